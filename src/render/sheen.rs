//! KHR_materials_sheen's BRDF terms on the CPU: the "Charlie" fibre distribution and its
//! visibility (Conty Estevez and Kulla 2017, as the extension's implementation notes give
//! them), and the table of the lobe's directional albedo E(n·v, roughness) that mesh.wgsl
//! reads to take the sheen's share of the light from the layer under it (albedo scaling) and
//! to light the sheen by the sky.
//!
//! The table is integrated once, offline, into [`ALBEDO`] (`sheen_albedo.rs`), so start-up
//! pays nothing; the unit test below integrates it again and fails if it no longer matches
//! (`WORLDSMITH_BLESS=1 cargo test --lib sheen` rewrites it).

use std::f32::consts::PI;

/// Entries per axis of [`ALBEDO`]: n·v and roughness each from 0 to 1 in `SIZE − 1` steps.
pub const SIZE: usize = 32;

/// Lowest sheen roughness drawn: below it the lobe is a rim thinner than a pixel that the
/// table cannot resolve (three.js and threeify clamp at the same value).
pub const MIN_ROUGHNESS: f32 = 0.07;

/// E(n·v, roughness) of the sheen lobe (white, no Fresnel), row `r` (roughness
/// `r / (SIZE − 1)`), column `v` (n·v = `v / (SIZE − 1)`), at most 1: the fitted visibility
/// lets the lobe reflect more than it receives at grazing views below roughness ≈ 0.3
/// (E ≈ 2.9 at n·v → 0, roughness 0.07), and a share above 1 would leave the layer beneath a
/// negative weight in the albedo scaling.
pub use super::sheen_albedo::ALBEDO;

/// The roughness the lobe is evaluated at: the material's clamped to
/// [`MIN_ROUGHNESS`]–1; α = roughness² as the sample viewer, Filament and three.js take it.
fn alpha(roughness: f32) -> f32 {
    let r = roughness.clamp(MIN_ROUGHNESS, 1.0);
    r * r
}

/// The Charlie distribution of fibre normals at n·h.
pub fn distribution(n_dot_h: f32, roughness: f32) -> f32 {
    let inv_alpha = 1.0 / alpha(roughness);
    let sin2h = (1.0 - n_dot_h * n_dot_h).max(0.0);
    (2.0 + inv_alpha) * sin2h.powf(inv_alpha * 0.5) / (2.0 * PI)
}

/// The fitted exponent of Λ (the extension's `l(x, alphaG)`).
fn lambda_exponent(x: f32, alpha: f32) -> f32 {
    let t = (1.0 - alpha) * (1.0 - alpha);
    let mix = |at_one: f32, at_zero: f32| at_one + (at_zero - at_one) * t;
    let a = mix(21.5473, 25.3245);
    let b = mix(3.82987, 3.32435);
    let c = mix(0.19823, 0.16801);
    let d = mix(-1.97760, -1.27393);
    let e = mix(-4.32054, -4.85967);
    a / (1.0 + b * x.powf(c)) + d * x + e
}

fn lambda(cos_theta: f32, alpha: f32) -> f32 {
    if cos_theta.abs() < 0.5 {
        lambda_exponent(cos_theta, alpha).exp()
    } else {
        (2.0 * lambda_exponent(0.5, alpha) - lambda_exponent(1.0 - cos_theta, alpha)).exp()
    }
}

/// The Charlie visibility G / (4 n·l n·v).
pub fn visibility(n_dot_v: f32, n_dot_l: f32, roughness: f32) -> f32 {
    let a = alpha(roughness);
    1.0 / ((1.0 + lambda(n_dot_v, a) + lambda(n_dot_l, a)) * (4.0 * n_dot_v * n_dot_l))
}

/// The directional albedo of the white sheen lobe seen at n·v (∫ D V n·l dω over the
/// lights' hemisphere), integrated over the half vector: 512 polar × 128 azimuth steps,
/// fine enough for the narrowest lobe [`MIN_ROUGHNESS`] allows.
pub fn directional_albedo(n_dot_v: f32, roughness: f32) -> f32 {
    let n_dot_v = n_dot_v.clamp(1e-3, 1.0);
    let v = [(1.0 - n_dot_v * n_dot_v).sqrt(), 0.0, n_dot_v];
    let (polar, azimuth) = (512, 128);
    let d_theta = 0.5 * PI / polar as f32;
    let d_phi = PI / azimuth as f32;
    let mut sum = 0.0f64;
    for i in 0..polar {
        let theta = (i as f32 + 0.5) * d_theta;
        let (sin_t, cos_t) = theta.sin_cos();
        let d = distribution(cos_t, roughness);
        for j in 0..azimuth {
            // v lies in the xz plane: the half-vector azimuths φ and −φ give the same
            // lobe, so half the circle is integrated and counted twice.
            let phi = (j as f32 + 0.5) * d_phi;
            let h = [sin_t * phi.cos(), sin_t * phi.sin(), cos_t];
            let v_dot_h = v[0] * h[0] + v[2] * h[2];
            if v_dot_h <= 0.0 {
                continue;
            }
            let n_dot_l = 2.0 * v_dot_h * h[2] - v[2];
            if n_dot_l <= 0.0 {
                continue;
            }
            // dω_l = 4 (v·h) dω_h.
            let f = d * visibility(n_dot_v, n_dot_l, roughness) * n_dot_l * 4.0 * v_dot_h;
            sum += f64::from(f * sin_t * d_theta * d_phi * 2.0);
        }
    }
    sum as f32
}

/// [`ALBEDO`] bilinearly interpolated, as mesh.wgsl's `sheen_albedo` reads it.
pub fn albedo_lookup(n_dot_v: f32, roughness: f32) -> f32 {
    let last = (SIZE - 1) as f32;
    let x = n_dot_v.clamp(0.0, 1.0) * last;
    let y = roughness.clamp(0.0, 1.0) * last;
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(SIZE - 1), (y0 + 1).min(SIZE - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let row = |r: usize| ALBEDO[r][x0] + (ALBEDO[r][x1] - ALBEDO[r][x0]) * fx;
    row(y0) + (row(y1) - row(y0)) * fy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(r: usize, v: usize) -> f32 {
        let last = (SIZE - 1) as f32;
        directional_albedo(v as f32 / last, r as f32 / last).min(1.0)
    }

    #[test]
    fn the_albedo_table_is_the_integrated_lobe() {
        if std::env::var_os("WORLDSMITH_BLESS").is_some() {
            let mut out = String::from(
                "//! Generated by `WORLDSMITH_BLESS=1 cargo test --lib sheen` (render/sheen.rs):\n\
                 //! the sheen lobe's directional albedo, rows by roughness, columns by n·v.\n\n\
                 #[rustfmt::skip]\n\
                 pub const ALBEDO: [[f32; 32]; 32] = [\n",
            );
            for r in 0..SIZE {
                let row: Vec<String> = (0..SIZE).map(|v| format!("{:.5}", entry(r, v))).collect();
                out += &format!("    [{}],\n", row.join(", "));
            }
            out += "];\n";
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/render/sheen_albedo.rs");
            std::fs::write(path, out).unwrap();
            return;
        }
        // Every fifth entry in each direction (the whole table takes a minute at opt-level 1).
        for r in (0..SIZE).step_by(5) {
            for v in (0..SIZE).step_by(5) {
                let (stored, integrated) = (ALBEDO[r][v], entry(r, v));
                assert!(
                    (stored - integrated).abs() < 2e-4,
                    "E at roughness row {r}, n·v column {v}: table {stored}, integral {integrated}"
                );
            }
        }
    }

    #[test]
    fn the_lobe_reflects_less_than_it_receives_and_most_at_grazing_angles() {
        for (r, row) in ALBEDO.iter().enumerate() {
            for (v, e) in row.iter().enumerate() {
                assert!((0.0..=1.0).contains(e), "E[{r}][{v}] = {e}");
            }
            // Fibres standing off the surface scatter back most at grazing views.
            assert!(row[1] > row[SIZE - 1], "row {r}");
        }
        // Interpolation hits the stored values at the nodes and stays between neighbours.
        assert_eq!(albedo_lookup(1.0, 1.0), ALBEDO[SIZE - 1][SIZE - 1]);
        let mid = albedo_lookup(0.5 / (SIZE - 1) as f32, 0.0);
        assert!(mid >= ALBEDO[0][0].min(ALBEDO[0][1]) && mid <= ALBEDO[0][0].max(ALBEDO[0][1]));
    }

    #[test]
    fn the_distribution_is_normalised_over_projected_fibre_area() {
        // ∫ D(h) (n·h) dω_h = 1 over the hemisphere for any roughness.
        for roughness in [MIN_ROUGHNESS, 0.3, 0.6, 1.0] {
            let steps = 4096;
            let d_theta = 0.5 * PI / steps as f32;
            let integral: f32 = (0..steps)
                .map(|i| {
                    let theta = (i as f32 + 0.5) * d_theta;
                    distribution(theta.cos(), roughness) * theta.cos() * theta.sin()
                })
                .sum::<f32>()
                * d_theta
                * 2.0
                * PI;
            assert!(
                (integral - 1.0).abs() < 2e-3,
                "roughness {roughness}: {integral}"
            );
        }
    }
}
