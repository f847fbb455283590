//! Relighting of captured content (splats, vertex-coloured meshes): plain data and the CPU
//! side of the model the shaders use.
//!
//! Captured colour already holds the lighting of the place it was captured in. To light it
//! with the scene's lights we estimate that lighting as a low-order model of irradiance over
//! the surface normal, `L(n) = ambient + directional · n` (an order-1 spherical-harmonics
//! fit, in the node's local frame), and take the albedo as the captured colour divided by it:
//!
//! ```text
//! h      = the exposed value the captured colour shows as (inverse tone map, exposure-free)
//! ratio  = max(L(n), FLOOR · L_ref) / L_ref          with L_ref = ambient + |directional|
//! albedo = h / ratio
//! relit  = albedo · E(n) · exposure / π              E: the scene's irradiance on n (lux)
//! shown  = mix(h, relit, amount)
//! ```
//!
//! Normalisation: the capture is taken to be exposed so that a white Lambertian surface
//! facing its key light (irradiance `L_ref`) has the exposed value 1 — the usual metering,
//! under which an 18 % grey card reads 0.18. So the albedo does not depend on the scene's
//! exposure, a surface the capture lit head-on keeps its captured value as albedo, and a
//! light "equal to the captured one" (`E(n) · exposure / π = L(n) / L_ref`) gives back the
//! captured colour exactly. The default model (ambient 1, no direction) is "unknown": the
//! albedo is the captured value itself.

use glam::Vec3;
use serde::{Deserialize, Serialize};

/// Below this share of `L_ref`, the fitted irradiance is held (elements facing away from
/// the captured key light would otherwise get unbounded albedo).
pub const FLOOR: f32 = 0.1;

/// How a node's captured colour responds to the scene's lights.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Relight {
    /// 0 = as captured, 1 = relit by the scene's lights; in between mixes the two.
    pub amount: f32,
    /// The lighting the capture baked in.
    #[serde(default)]
    pub captured: CapturedLight,
}

impl Default for Relight {
    fn default() -> Self {
        Self {
            amount: 0.0,
            captured: CapturedLight::default(),
        }
    }
}

impl Relight {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }

    /// Every value is a finite number.
    pub fn is_finite(&self) -> bool {
        self.amount.is_finite()
            && self.captured.ambient.is_finite()
            && self.captured.directional.iter().all(|v| v.is_finite())
    }
}

/// Irradiance the capture baked in, over the unit normal `n` in the node's local frame:
/// `ambient + directional · n` (relative units: only ratios matter).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapturedLight {
    /// The direction-independent part (an order-0 SH term).
    pub ambient: f32,
    /// Towards the captured key light, times its strength (the order-1 SH terms).
    pub directional: [f32; 3],
}

impl Default for CapturedLight {
    /// Unknown lighting: albedo = captured colour.
    fn default() -> Self {
        Self::UNKNOWN
    }
}

impl CapturedLight {
    /// Unknown lighting: uniform, so the albedo is the captured value itself.
    pub const UNKNOWN: Self = Self {
        ambient: 1.0,
        directional: [0.0; 3],
    };

    /// `L(n)`.
    pub fn irradiance(&self, n: Vec3) -> f32 {
        self.ambient + Vec3::from(self.directional).dot(n)
    }

    /// `L_ref`: the irradiance on a surface facing the key light (the largest).
    pub fn reference(&self) -> f32 {
        self.ambient + Vec3::from(self.directional).length()
    }

    /// `max(L(n), FLOOR · L_ref) / L_ref`; 1 for a model with no positive reference.
    pub fn ratio(&self, n: Vec3) -> f32 {
        let reference = self.reference();
        if reference.is_nan() || reference <= 0.0 {
            return 1.0;
        }
        self.irradiance(n).max(FLOOR * reference) / reference
    }

    /// The albedo of an element whose captured colour shows as the exposed value `h`.
    pub fn albedo(&self, h: Vec3, n: Vec3) -> Vec3 {
        h / self.ratio(n)
    }

    /// `(directional, ambient)` as the shaders take it.
    pub fn packed(&self) -> [f32; 4] {
        let [x, y, z] = self.directional;
        [x, y, z, self.ambient]
    }

    /// Unit direction towards the captured key light (zero when there is none).
    pub fn key_direction(&self) -> Vec3 {
        Vec3::from(self.directional).normalize_or_zero()
    }

    /// Weighted least-squares fit of `value ≈ ambient + directional · normal` over samples
    /// `(unit normal, value, weight)`, then one robust reweighting pass (Tukey's biweight on
    /// the residuals, scale from their median absolute deviation) so highlights, sky and
    /// specks do not drag the fit. The result is scaled to `L_ref = 1`. `None` when nothing
    /// usable was given (no positive weight, or a fit with no positive reference).
    pub fn fit(samples: &[(Vec3, f32, f32)]) -> Option<Self> {
        let samples: Vec<(Vec3, f32, f32)> = samples
            .iter()
            .copied()
            .filter(|(n, v, w)| n.is_finite() && v.is_finite() && w.is_finite() && *w > 0.0)
            .collect();
        let first = solve(samples.iter().map(|&(n, v, w)| (n, v, w)))?;
        let mut residuals: Vec<f32> = samples
            .iter()
            .map(|&(n, v, _)| (v - first.irradiance(n)).abs())
            .collect();
        let mid = residuals.len() / 2;
        let mad = *residuals.select_nth_unstable_by(mid, f32::total_cmp).1;
        let fitted = if mad > 0.0 {
            // 4.685 · σ with σ ≈ 1.4826 · MAD: 95 % efficiency for Gaussian residuals.
            let c = 4.685 * 1.4826 * mad;
            solve(samples.iter().map(|&(n, v, w)| {
                let u = (v - first.irradiance(n)) / c;
                let t = (1.0 - u * u).max(0.0);
                (n, v, w * t * t)
            }))
            .unwrap_or(first)
        } else {
            first
        };
        let reference = fitted.reference();
        if !(reference > 0.0 && reference.is_finite()) {
            return None;
        }
        Some(Self {
            ambient: fitted.ambient / reference,
            directional: (Vec3::from(fitted.directional) / reference).to_array(),
        })
    }
}

/// Solves the 4×4 normal equations of the weighted fit (in f64; a small ridge on the
/// directional terms keeps it solvable when all normals agree: then it prefers ambient).
fn solve(samples: impl Iterator<Item = (Vec3, f32, f32)>) -> Option<CapturedLight> {
    let mut m = [[0.0f64; 5]; 4];
    let mut total = 0.0f64;
    for (n, v, w) in samples {
        let x = [1.0, f64::from(n.x), f64::from(n.y), f64::from(n.z)];
        let (v, w) = (f64::from(v), f64::from(w));
        total += w;
        for (i, row) in m.iter_mut().enumerate() {
            for (j, cell) in row.iter_mut().take(4).enumerate() {
                *cell += w * x[i] * x[j];
            }
            row[4] += w * x[i] * v;
        }
    }
    if total.is_nan() || total <= 0.0 {
        return None;
    }
    for (i, row) in m.iter_mut().enumerate().skip(1) {
        row[i] += 1e-6 * total;
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..4 {
        let pivot = (col..4).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))?;
        m.swap(col, pivot);
        let p = m[col][col];
        if p.abs() < 1e-12 * total {
            return None;
        }
        let pivot_row = m[col];
        for (row, cells) in m.iter_mut().enumerate() {
            if row != col {
                let f = cells[col] / p;
                for (cell, above) in cells.iter_mut().zip(pivot_row).skip(col) {
                    *cell -= f * above;
                }
            }
        }
    }
    let x: Vec<f32> = (0..4).map(|i| (m[i][4] / m[i][i]) as f32).collect();
    let out = CapturedLight {
        ambient: x[0],
        directional: [x[1], x[2], x[3]],
    };
    (out.ambient.is_finite() && out.directional.iter().all(|v| v.is_finite())).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic unit normals spread over the sphere (a Fibonacci lattice).
    fn normals(n: usize) -> Vec<Vec3> {
        let golden = std::f32::consts::PI * (3.0 - 5.0f32.sqrt());
        (0..n)
            .map(|i| {
                let y = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
                let r = (1.0 - y * y).sqrt();
                let phi = golden * i as f32;
                Vec3::new(r * phi.cos(), y, r * phi.sin())
            })
            .collect()
    }

    #[test]
    fn fit_recovers_a_known_captured_light_despite_outliers() {
        let truth = CapturedLight {
            ambient: 0.45,
            directional: (Vec3::new(0.3, 0.8, -0.2).normalize() * 0.55).to_array(),
        };
        let mut samples = Vec::new();
        for (i, n) in normals(4000).into_iter().enumerate() {
            // Albedo varies but is uncorrelated with the normal.
            let albedo = 0.3 + 0.4 * ((i * 7919) % 101) as f32 / 100.0;
            let mut value = albedo * truth.irradiance(n);
            // 4 % very bright outliers (highlights, sky).
            if i % 25 == 0 {
                value = 20.0;
            }
            samples.push((n, value, 1.0));
        }
        let fitted = CapturedLight::fit(&samples).expect("fit");
        // Scaled to L_ref = 1, as the truth is already.
        assert!((fitted.reference() - 1.0).abs() < 1e-4, "{fitted:?}");
        assert!(
            (fitted.ambient - truth.ambient).abs() < 0.05,
            "{fitted:?} vs {truth:?}"
        );
        let angle = fitted.key_direction().angle_between(truth.key_direction());
        assert!(angle < 3f32.to_radians(), "off by {}°", angle.to_degrees());
        // Without the reweighting pass the outliers would pull the ambient well up.
        let plain = solve(samples.iter().copied()).expect("plain fit");
        let plain_ambient = plain.ambient / plain.reference();
        assert!(plain_ambient > truth.ambient + 0.1, "{plain_ambient}");
    }

    #[test]
    fn fit_refuses_nothing_and_prefers_ambient_when_normals_agree() {
        assert_eq!(CapturedLight::fit(&[]), None);
        assert_eq!(CapturedLight::fit(&[(Vec3::Y, 1.0, 0.0)]), None);
        let flat: Vec<_> = (0..100)
            .map(|i| (Vec3::Y, 0.5 + (i % 3) as f32 * 0.01, 1.0))
            .collect();
        let fitted = CapturedLight::fit(&flat).expect("fit");
        assert!(fitted.ambient > 0.99, "{fitted:?}");
    }

    #[test]
    fn relit_under_the_captured_light_gives_back_the_captured_colour() {
        let captured = CapturedLight {
            ambient: 0.3,
            directional: [0.0, 0.7, 0.0],
        };
        let h = Vec3::new(0.6, 0.3, 0.1);
        for n in normals(64) {
            let albedo = captured.albedo(h, n);
            // A light equal to the captured one: E · exposure / π = L(n) / L_ref.
            let light = captured.ratio(n);
            assert!(((albedo * light) - h).abs().max_element() < 1e-6, "{n}");
        }
        // Facing the key light the albedo is the captured value; facing away it is larger,
        // bounded by the floor.
        assert!((captured.albedo(h, Vec3::Y) - h).abs().max_element() < 1e-6);
        let away = captured.albedo(h, -Vec3::Y);
        assert!((away - h / FLOOR).abs().max_element() < 1e-5, "{away}");
        // Unknown lighting: albedo = captured.
        assert_eq!(CapturedLight::UNKNOWN.albedo(h, Vec3::X), h);
    }
}
