//! Preetham analytic daylight sky (Preetham, Shirley, Smits 1999), evaluated here for the
//! ambient light (projected to 9 spherical-harmonic irradiance coefficients) and, with the same
//! parameters, per pixel in `shaders/common.wgsl` for the visible sky and reflections.

use crate::scene::Sky;
use glam::Vec3;

/// Luminance of the night sky floor in cd/m² (moonless but not black).
const NIGHT_SKY_NITS: f32 = 0.02;

/// Parameters of the sky for one sun direction; the layout matches `SkyUniform` in WGSL.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SkyModel {
    /// Perez coefficients A..E for (Y, x, y).
    pub perez: [[f32; 3]; 5],
    /// Zenith luminance (cd/m²) and chromaticity (x, y).
    pub zenith: [f32; 3],
    /// 1 / F(0, θs) for (Y, x, y).
    pub norm: [f32; 3],
    /// Unit vector towards the sun (clamped a little above the horizon for the model).
    pub sun_dir: Vec3,
    /// Scale on sky luminance (sky intensity × twilight fade).
    pub scale: f32,
    /// Radiance of the ground below the horizon (linear RGB, cd/m²).
    pub ground: Vec3,
}

fn perez(t: f32) -> [[f32; 3]; 5] {
    [
        [
            0.1787 * t - 1.4630,
            -0.0193 * t - 0.2592,
            -0.0167 * t - 0.2608,
        ],
        [
            -0.3554 * t + 0.4275,
            -0.0665 * t + 0.0008,
            -0.0950 * t + 0.0092,
        ],
        [
            -0.0227 * t + 5.3251,
            -0.0004 * t + 0.2125,
            -0.0079 * t + 0.2102,
        ],
        [
            0.1206 * t - 2.5771,
            -0.0641 * t - 0.8989,
            -0.0441 * t - 1.6537,
        ],
        [
            -0.0670 * t + 0.3703,
            -0.0033 * t + 0.0452,
            -0.0109 * t + 0.0529,
        ],
    ]
}

fn perez_f(c: &[[f32; 3]; 5], k: usize, cos_theta: f32, gamma: f32) -> f32 {
    let cos_gamma = gamma.cos();
    (1.0 + c[0][k] * (c[1][k] / cos_theta.max(0.01)).exp())
        * (1.0 + c[2][k] * (c[3][k] * gamma).exp() + c[4][k] * cos_gamma * cos_gamma)
}

fn xyz_to_linear_srgb(xyz: Vec3) -> Vec3 {
    Vec3::new(
        3.2406 * xyz.x - 1.5372 * xyz.y - 0.4986 * xyz.z,
        -0.9689 * xyz.x + 1.8758 * xyz.y + 0.0415 * xyz.z,
        0.0557 * xyz.x - 0.2040 * xyz.y + 1.0570 * xyz.z,
    )
}

/// Converts luminance Y and chromaticity (x, y) to linear sRGB.
pub fn yxy_to_rgb(big_y: f32, x: f32, y: f32) -> Vec3 {
    let y = y.max(1e-4);
    let xyz = Vec3::new(x / y * big_y, big_y, (1.0 - x - y) / y * big_y);
    xyz_to_linear_srgb(xyz).max(Vec3::ZERO)
}

impl SkyModel {
    /// Builds the sky for `sun_dir` (towards the sun; `None` = no sun: night sky) lit by a sun
    /// of `sun_lux` illuminance.
    pub fn new(sky: &Sky, sun_dir: Option<Vec3>, sun_lux: f32) -> Self {
        let t = sky.turbidity.clamp(1.7, 12.0);
        let raw = sun_dir.unwrap_or(Vec3::NEG_Y).normalize_or(Vec3::Y);
        // The model breaks down below the horizon: evaluate at >= 2° and fade out.
        let min_elev = 2f32.to_radians().sin();
        let sun = Vec3::new(raw.x, raw.y.max(min_elev), raw.z).normalize();
        let twilight = smoothstep(-0.12, 0.05, raw.y);
        let theta_s = sun.y.clamp(-1.0, 1.0).acos();
        let chi = (4.0 / 9.0 - t / 120.0) * (std::f32::consts::PI - 2.0 * theta_s);
        let zenith_y_kcd = ((4.0453 * t - 4.9710) * chi.tan() - 0.2155 * t + 2.4192).max(0.0);
        let th = [theta_s.powi(3), theta_s.powi(2), theta_s, 1.0];
        let dot4 = |a: [f32; 4]| a[0] * th[0] + a[1] * th[1] + a[2] * th[2] + a[3] * th[3];
        let zx = t * t * dot4([0.00166, -0.00375, 0.00209, 0.0])
            + t * dot4([-0.02903, 0.06377, -0.03202, 0.00394])
            + dot4([0.11693, -0.21196, 0.06052, 0.25886]);
        let zy = t * t * dot4([0.00275, -0.00610, 0.00317, 0.0])
            + t * dot4([-0.04214, 0.08970, -0.04153, 0.00516])
            + dot4([0.15346, -0.26756, 0.06670, 0.26688]);
        let c = perez(t);
        let norm = [0usize, 1, 2].map(|k| 1.0 / perez_f(&c, k, 1.0, theta_s));
        // Scale the sky with the sun: the model's zenith luminance assumes a standard sun.
        let sun_scale = (sun_lux / 100_000.0).clamp(0.0, 4.0);
        let mut model = Self {
            perez: c,
            zenith: [zenith_y_kcd * 1000.0, zx, zy],
            norm,
            sun_dir: sun,
            scale: sky.intensity.max(0.0) * twilight * sun_scale,
            ground: Vec3::ZERO,
        };
        if sun_dir.is_none() {
            model.scale = 0.0;
        }
        let sky_up = model.sky_irradiance_sh().irradiance(Vec3::Y);
        let sun_on_ground = sun_lux * raw.y.max(0.0);
        model.ground = Vec3::from(sky.ground_albedo) * (sky_up + Vec3::splat(sun_on_ground))
            / std::f32::consts::PI;
        model
    }

    /// Sky radiance (linear RGB, cd/m²) seen in direction `dir`.
    pub fn radiance(&self, dir: Vec3) -> Vec3 {
        let dir = dir.normalize_or(Vec3::Y);
        let night = Vec3::new(0.6, 0.75, 1.0) * NIGHT_SKY_NITS;
        if dir.y < 0.0 {
            let horizon = self.sky_above(Vec3::new(dir.x, 0.0, dir.z).normalize_or(Vec3::X));
            let k = smoothstep(0.0, -0.05, dir.y);
            return horizon.lerp(self.ground + night * 0.3, k);
        }
        self.sky_above(dir) + night
    }

    fn sky_above(&self, dir: Vec3) -> Vec3 {
        let cos_theta = dir.y.max(0.0);
        let gamma = dir.dot(self.sun_dir).clamp(-1.0, 1.0).acos();
        let v = [0usize, 1, 2]
            .map(|k| self.zenith[k] * perez_f(&self.perez, k, cos_theta, gamma) * self.norm[k]);
        yxy_to_rgb(v[0], v[1], v[2]) * self.scale
    }

    /// Irradiance from the upper hemisphere only, used to light the ground itself. (Radiance
    /// above the horizon never reads `ground`, so this is valid before `ground` is set.)
    fn sky_irradiance_sh(&self) -> Sh9 {
        Sh9::project(|d| {
            if d.y < 0.0 {
                Vec3::ZERO
            } else {
                self.radiance(d)
            }
        })
        .irradiance_convolved()
    }

    /// Irradiance from the whole environment (sky + ground) as 9 SH coefficients: evaluate
    /// with [`Sh9::irradiance`].
    pub fn irradiance_sh(&self) -> Sh9 {
        Sh9::project(|d| self.radiance(d)).irradiance_convolved()
    }
}

fn smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
    let t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Order-2 real spherical harmonics (9 RGB coefficients).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sh9(pub [Vec3; 9]);

fn sh_basis(d: Vec3) -> [f32; 9] {
    [
        0.282_095,
        0.488_603 * d.y,
        0.488_603 * d.z,
        0.488_603 * d.x,
        1.092_548 * d.x * d.y,
        1.092_548 * d.y * d.z,
        0.315_392 * (3.0 * d.z * d.z - 1.0),
        1.092_548 * d.x * d.z,
        0.546_274 * (d.x * d.x - d.y * d.y),
    ]
}

impl Sh9 {
    /// Projects a radiance function onto SH by numerical integration over the sphere.
    pub fn project(f: impl Fn(Vec3) -> Vec3) -> Self {
        const N_THETA: usize = 32;
        const N_PHI: usize = 64;
        let mut c = [Vec3::ZERO; 9];
        let d_theta = std::f32::consts::PI / N_THETA as f32;
        let d_phi = std::f32::consts::TAU / N_PHI as f32;
        for i in 0..N_THETA {
            let theta = (i as f32 + 0.5) * d_theta;
            let (st, ct) = theta.sin_cos();
            for j in 0..N_PHI {
                let phi = (j as f32 + 0.5) * d_phi;
                let d = Vec3::new(st * phi.cos(), ct, st * phi.sin());
                let l = f(d);
                let w = st * d_theta * d_phi;
                for (ck, bk) in c.iter_mut().zip(sh_basis(d)) {
                    *ck += l * bk * w;
                }
            }
        }
        Self(c)
    }

    /// Convolves radiance coefficients with the clamped cosine lobe (Ramamoorthi & Hanrahan):
    /// the result evaluates to irradiance.
    pub fn irradiance_convolved(mut self) -> Self {
        let a = [
            std::f32::consts::PI,
            2.0 * std::f32::consts::PI / 3.0,
            std::f32::consts::PI / 4.0,
        ];
        for (k, c) in self.0.iter_mut().enumerate() {
            let band = match k {
                0 => 0,
                1..=3 => 1,
                _ => 2,
            };
            *c *= a[band];
        }
        self
    }

    /// Evaluates the function at direction `n`.
    pub fn irradiance(&self, n: Vec3) -> Vec3 {
        sh_basis(n)
            .iter()
            .zip(self.0.iter())
            .fold(Vec3::ZERO, |acc, (b, c)| acc + *c * *b)
            .max(Vec3::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_radiance_gives_pi_times_irradiance() {
        let sh = Sh9::project(|_| Vec3::ONE).irradiance_convolved();
        for n in [
            Vec3::Y,
            Vec3::X,
            Vec3::NEG_Z,
            Vec3::new(1.0, 1.0, 0.0).normalize(),
        ] {
            let e = sh.irradiance(n);
            assert!((e.x - std::f32::consts::PI).abs() < 0.02, "{e}");
        }
    }

    #[test]
    fn noon_sky_is_blue_and_brighter_than_dusk() {
        let sky = Sky::default();
        let noon = SkyModel::new(&sky, Some(Vec3::new(0.3, 0.9, 0.1).normalize()), 100_000.0);
        let zenith = noon.radiance(Vec3::Y);
        assert!(zenith.z > zenith.x, "zenith should be blue: {zenith}");
        assert!(
            zenith.y > 1000.0 && zenith.y < 20_000.0,
            "zenith nits {zenith}"
        );
        let dusk = SkyModel::new(&sky, Some(Vec3::new(0.0, -0.2, 1.0).normalize()), 100_000.0);
        assert!(dusk.radiance(Vec3::Y).y < zenith.y * 0.01);
        // Looking towards the sun is brighter than away from it.
        let towards = noon.radiance(Vec3::new(0.3, 0.5, 0.1).normalize());
        let away = noon.radiance(Vec3::new(-0.3, 0.5, -0.1).normalize());
        assert!(towards.y > away.y);
    }

    #[test]
    fn irradiance_from_above_exceeds_below() {
        let noon = SkyModel::new(&Sky::default(), Some(Vec3::Y), 100_000.0);
        let sh = noon.irradiance_sh();
        assert!(sh.irradiance(Vec3::Y).y > sh.irradiance(Vec3::NEG_Y).y);
    }
}

/// Equirectangular direction of texel centre (`u`, `v` in 0..1): u = 0.5 looks along -Z,
/// v = 0 is straight up. Matches `sky_uv` in common.wgsl.
pub fn equirect_dir(u: f32, v: f32) -> Vec3 {
    let phi = (u - 0.5) * std::f32::consts::TAU;
    let theta = v * std::f32::consts::PI;
    Vec3::new(
        theta.sin() * phi.sin(),
        theta.cos(),
        -theta.sin() * phi.cos(),
    )
}

/// Width of the baked sky's top mip; height is half.
pub const SKY_TEXTURE_WIDTH: u32 = 256;

impl SkyModel {
    /// The sky (and ground) radiance baked into an equirectangular RGBA float image with a
    /// box-filtered mip chain, so shaders look it up instead of evaluating the model per pixel
    /// and rough reflections read blurrier mips.
    pub fn bake_equirect(&self) -> Vec<(u32, u32, Vec<[f32; 4]>)> {
        let (w, h) = (SKY_TEXTURE_WIDTH, SKY_TEXTURE_WIDTH / 2);
        let mut top = Vec::with_capacity((w * h) as usize);
        for y in 0..h {
            for x in 0..w {
                let d = equirect_dir((x as f32 + 0.5) / w as f32, (y as f32 + 0.5) / h as f32);
                top.push(self.radiance(d).extend(1.0).to_array());
            }
        }
        mip_chain(w, h, top)
    }
}

/// Widest sky texture baked from a panorama (a 2560-pixel Marble panorama stays sharp as a
/// background at 2048, and GPU memory stays at 2048 × 1024 × 8 bytes × 4/3 ≈ 22 MB).
pub const MAX_PANORAMA_TEXTURE_WIDTH: u32 = 2048;

/// An equirectangular panorama as scene radiance: `radiance_of(rgba8)` turns a pixel into
/// cd/m² (for captured panoramas, [`super::tonemap::display_to_radiance`] × intensity).
/// `rotation_rad` turns the panorama about the vertical axis.
///
/// The panorama's own convention is the common one, which is also the baked sky's: the
/// image centre looks along −Z, the top row is straight up, u grows towards +X.
pub fn bake_panorama(
    image: &crate::scene::Image,
    rotation_rad: f32,
    radiance_of: impl Fn([u8; 4]) -> Vec3 + Sync,
) -> Vec<(u32, u32, Vec<[f32; 4]>)> {
    use rayon::prelude::*;
    let (iw, ih) = (image.width.max(1), image.height.max(1));
    let w = iw
        .next_power_of_two()
        .clamp(SKY_TEXTURE_WIDTH, MAX_PANORAMA_TEXTURE_WIDTH);
    let h = w / 2;
    let pixel = |x: u32, y: u32| -> Vec3 {
        let i = ((y.min(ih - 1) * iw + x % iw) * 4) as usize;
        match image.rgba8.get(i..i + 4) {
            Some(p) => radiance_of([p[0], p[1], p[2], p[3]]),
            None => Vec3::ZERO,
        }
    };
    // Each target texel averages the source pixels it covers (at least one), so a large
    // panorama shrinks without aliasing and a small one is sampled bilinearly-ish.
    let turn = rotation_rad / std::f32::consts::TAU;
    let top: Vec<[f32; 4]> = (0..h)
        .into_par_iter()
        .flat_map_iter(|y| {
            let y0 = (y as f32 / h as f32 * ih as f32) as u32;
            let y1 = (((y + 1) as f32 / h as f32 * ih as f32) as u32).max(y0 + 1);
            (0..w).map(move |x| {
                let u = (x as f32 / w as f32 - turn).rem_euclid(1.0);
                let x0 = (u * iw as f32) as u32;
                let span = (iw as f32 / w as f32).ceil().max(1.0) as u32;
                let mut acc = Vec3::ZERO;
                let mut n = 0.0f32;
                for sy in y0..y1 {
                    for sx in x0..x0 + span {
                        acc += pixel(sx, sy);
                        n += 1.0;
                    }
                }
                (acc / n.max(1.0)).extend(1.0).to_array()
            })
        })
        .collect();
    mip_chain(w, h, top)
}

/// The irradiance SH of a baked equirect level (as from [`bake_panorama`]).
pub fn irradiance_sh_of_equirect(w: u32, h: u32, data: &[[f32; 4]]) -> Sh9 {
    Sh9::project(|d| {
        let u = 0.5 + d.x.atan2(-d.z) / std::f32::consts::TAU;
        let v = d.y.clamp(-1.0, 1.0).acos() / std::f32::consts::PI;
        let x = ((u.rem_euclid(1.0) * w as f32) as u32).min(w - 1);
        let y = ((v * h as f32) as u32).min(h - 1);
        data.get((y * w + x) as usize)
            .map_or(Vec3::ZERO, |p| Vec3::new(p[0], p[1], p[2]))
    })
    .irradiance_convolved()
}

/// Box-filtered mips down to one texel high.
fn mip_chain(w: u32, h: u32, top: Vec<[f32; 4]>) -> Vec<(u32, u32, Vec<[f32; 4]>)> {
    let mut levels = vec![(w, h, top)];
    while let Some((lw, lh, data)) = levels.last() {
        if *lw == 1 || *lh == 1 {
            break;
        }
        let (lw, lh) = (*lw, *lh);
        let (nw, nh) = (lw / 2, lh / 2);
        let mut out = Vec::with_capacity((nw * nh) as usize);
        for y in 0..nh {
            for x in 0..nw {
                let mut acc = [0f32; 4];
                for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                    let p = data[((y * 2 + dy) * lw + x * 2 + dx) as usize];
                    for c in 0..4 {
                        acc[c] += p[c] * 0.25;
                    }
                }
                out.push(acc);
            }
        }
        levels.push((nw, nh, out));
    }
    levels
}

#[cfg(test)]
mod bake_tests {
    use super::*;

    #[test]
    fn equirect_directions_cover_the_sphere() {
        assert!((equirect_dir(0.5, 0.5) - Vec3::NEG_Z).length() < 1e-5);
        assert!((equirect_dir(0.75, 0.5) - Vec3::X).length() < 1e-5);
        assert!(equirect_dir(0.3, 0.0).y > 0.999);
        assert!(equirect_dir(0.3, 1.0).y < -0.999);
    }

    #[test]
    fn baked_sky_matches_the_model_and_has_mips() {
        let sky = SkyModel::new(
            &Sky::default(),
            Some(Vec3::new(0.3, 0.8, 0.2).normalize()),
            100_000.0,
        );
        let levels = sky.bake_equirect();
        assert_eq!(levels[0].0, SKY_TEXTURE_WIDTH);
        assert!(levels.len() >= 7);
        let (w, h, top) = &levels[0];
        let (x, y) = (w / 4, h / 4);
        let d = equirect_dir((x as f32 + 0.5) / *w as f32, (y as f32 + 0.5) / *h as f32);
        let expect = sky.radiance(d);
        let got = top[(y * w + x) as usize];
        assert!((got[1] - expect.y).abs() <= expect.y * 1e-4 + 1e-3);
        // The 1x1-high last mip averages to something between ground and zenith.
        let last = &levels.last().expect("mips").2[0];
        assert!(last[1] > 0.0);
    }

    /// A 64×32 panorama: red in the half around the image centre (looking along −Z), blue in
    /// the other half; the top rows are white.
    fn test_panorama() -> crate::scene::Image {
        let (w, h) = (64u32, 32u32);
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let c = if y < 4 {
                    [255, 255, 255, 255]
                } else if (16..48).contains(&x) {
                    [255, 0, 0, 255]
                } else {
                    [0, 0, 255, 255]
                };
                px.extend_from_slice(&c);
            }
        }
        crate::scene::Image::new("pano", w, h, px).expect("image")
    }

    fn texel(levels: &[(u32, u32, Vec<[f32; 4]>)], d: Vec3) -> [f32; 4] {
        let (w, h, data) = &levels[0];
        let u = 0.5 + d.x.atan2(-d.z) / std::f32::consts::TAU;
        let v = d.y.clamp(-1.0, 1.0).acos() / std::f32::consts::PI;
        let x = ((u.rem_euclid(1.0) * *w as f32) as u32).min(w - 1);
        let y = ((v * *h as f32) as u32).min(h - 1);
        data[(y * w + x) as usize]
    }

    #[test]
    fn panorama_centre_looks_down_minus_z_and_rotation_turns_it() {
        let pano = test_panorama();
        let rad = |p: [u8; 4]| Vec3::new(p[0] as f32, p[1] as f32, p[2] as f32) / 255.0;
        let levels = bake_panorama(&pano, 0.0, rad);
        assert_eq!(
            levels[0].0, SKY_TEXTURE_WIDTH,
            "small panoramas bake at the minimum"
        );
        let front = texel(&levels, Vec3::NEG_Z);
        let back = texel(&levels, Vec3::Z);
        assert!(front[0] > 0.99 && front[2] < 0.01, "{front:?}");
        assert!(back[2] > 0.99 && back[0] < 0.01, "{back:?}");
        assert!(texel(&levels, Vec3::Y)[1] > 0.99, "top row is white");
        // A half turn swaps front and back.
        let turned = bake_panorama(&pano, std::f32::consts::PI, rad);
        assert!(texel(&turned, Vec3::NEG_Z)[2] > 0.99);
        // Irradiance facing the red half is redder than facing the blue half.
        let sh = irradiance_sh_of_equirect(levels[0].0, levels[0].1, &levels[0].2);
        let red_side = sh.irradiance(Vec3::NEG_Z);
        let blue_side = sh.irradiance(Vec3::Z);
        assert!(red_side.x > red_side.z && blue_side.z > blue_side.x);
    }

    #[test]
    fn large_panoramas_are_capped() {
        let w = 4096u32;
        let image = crate::scene::Image::new("big", w, w / 2, vec![128; (w * w / 2 * 4) as usize])
            .expect("image");
        let levels = bake_panorama(&image, 0.0, |_| Vec3::ONE);
        assert_eq!(levels[0].0, MAX_PANORAMA_TEXTURE_WIDTH);
        assert_eq!(levels.last().map(|l| l.1), Some(1));
    }
}
