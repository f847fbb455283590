//! CPU versions of the frame's exposure and tone mapping, and their inverse.
//!
//! Captured content (panoramas, splats, vertex colours of generated meshes) holds display
//! colours that already contain the captured lighting. Drawn "as captured" it must come out of
//! exposure × tone map × sRGB encode with exactly those colours, so its scene radiance is the
//! inverse of that chain: [`display_to_radiance`]. `shaders/color.wgsl` holds the forward chain
//! the GPU runs (`tonemap_with`, `linear_to_srgb`); the tests here keep both in step.

use crate::scene::ToneMapper;
use glam::Vec3;

/// Scale applied before the curve so mid grey (0.18) lands near 0.108, as with Hill's fit.
const ACES_PRESCALE: f32 = 0.5;

/// Narkowicz's ACES curve on one channel (after the pre-scale), clamped to 0..=1.
fn aces_curve(x: f32) -> f32 {
    let x = x.max(0.0) * ACES_PRESCALE;
    ((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14)).clamp(0.0, 1.0)
}

/// The one exposed value ≥ 0 that [`aces_curve`] maps to `d` in 0..=1 (the root of
/// `(2.51 − 2.43d)x² + (0.03 − 0.59d)x − 0.14d = 0`).
fn inverse_aces_curve(d: f32) -> f32 {
    let d = d.clamp(0.0, 1.0);
    let a = 2.51 - 2.43 * d;
    let b = 0.03 - 0.59 * d;
    let c = -0.14 * d;
    let x = (-b + (b * b - 4.0 * a * c).max(0.0).sqrt()) / (2.0 * a);
    x.max(0.0) / ACES_PRESCALE
}

/// The filmic tone curve of color.wgsl (Narkowicz's per-channel ACES fit), linear in and out.
pub fn aces_fitted(c: Vec3) -> Vec3 {
    Vec3::new(aces_curve(c.x), aces_curve(c.y), aces_curve(c.z))
}

/// The exposed linear colour that [`aces_fitted`] maps to `display_linear`: exact for every
/// colour in 0..=1 (pure white comes back as a bright, finite value).
pub fn inverse_aces_fitted(display_linear: Vec3) -> Vec3 {
    Vec3::new(
        inverse_aces_curve(display_linear.x),
        inverse_aces_curve(display_linear.y),
        inverse_aces_curve(display_linear.z),
    )
}

pub use crate::scene::color::{linear_to_srgb, srgb_to_linear};

/// What the post pass shows for scene radiance `radiance` (cd/m²): linear display colour.
pub fn radiance_to_display(radiance: Vec3, tone_mapper: ToneMapper, ev100: f32) -> Vec3 {
    let exposed = radiance * super::exposure_scale(ev100);
    match tone_mapper {
        ToneMapper::Aces => aces_fitted(exposed),
        ToneMapper::Linear => exposed.clamp(Vec3::ZERO, Vec3::ONE),
    }
}

/// Scene radiance (cd/m²) that reaches the tone mapper as 1.0 at this exposure: the scale
/// for linear HDR images whose values are meant pre-exposure.
pub fn radiance_per_exposed_unit(ev100: f32) -> f32 {
    1.0 / super::exposure_scale(ev100)
}

/// The scene radiance (cd/m²) that shows as the sRGB-encoded display colour `srgb` under this
/// exposure and tone mapper: how captured colour enters the HDR pipeline "as captured".
pub fn display_to_radiance(srgb: Vec3, tone_mapper: ToneMapper, ev100: f32) -> Vec3 {
    let linear = Vec3::new(
        srgb_to_linear(srgb.x.clamp(0.0, 1.0)),
        srgb_to_linear(srgb.y.clamp(0.0, 1.0)),
        srgb_to_linear(srgb.z.clamp(0.0, 1.0)),
    );
    let exposed = match tone_mapper {
        ToneMapper::Aces => inverse_aces_fitted(linear),
        ToneMapper::Linear => linear,
    };
    exposed / super::exposure_scale(ev100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgbe_round_trips_hdr_values() {
        use crate::scene::{linear_from_rgbe, rgbe_from_linear};
        for v in [
            [0.0, 0.0, 0.0],
            [1.0, 0.5, 0.25],
            [4000.0, 3000.0, 100.0],
            [0.001, 0.002, 0.0],
        ] {
            let back = linear_from_rgbe(rgbe_from_linear(v));
            for (a, b) in v.iter().zip(back) {
                // 8-bit mantissa on the brightest channel: within 1/128 of it.
                let tolerance = v.iter().copied().fold(0.0f32, f32::max) / 100.0;
                assert!((a - b).abs() <= tolerance, "{v:?} → {back:?}");
            }
        }
        assert_eq!(rgbe_from_linear([f32::NAN, -1.0, 0.0]), [0; 4]);
        // An HDR value of 1.0 at any exposure shows as the tone curve's 1.0.
        for ev in [0.0, 10.0, 15.0] {
            let shown = radiance_to_display(
                Vec3::ONE * radiance_per_exposed_unit(ev),
                ToneMapper::Linear,
                ev,
            );
            assert!((shown - Vec3::ONE).abs().max_element() < 1e-4);
        }
    }

    #[test]
    fn inverse_aces_round_trips_every_display_colour() {
        // Per-channel and strictly increasing: every colour, saturated or not, comes back.
        for r in 0..=32 {
            for g in 0..=32 {
                for b in 0..=32 {
                    let display = Vec3::new(r as f32, g as f32, b as f32) / 32.0;
                    let back = aces_fitted(inverse_aces_fitted(display));
                    assert!(
                        (back - display).abs().max_element() < 1e-4,
                        "{display} -> {back}"
                    );
                }
            }
        }
        let white = inverse_aces_fitted(Vec3::ONE);
        assert!(white.is_finite() && white.min_element() > 5.0, "{white}");
        // Mid grey stays where Hill's fit put it (0.18 exposed → ≈ 0.105 linear display).
        let grey = aces_fitted(Vec3::splat(0.18)).x;
        assert!((grey - 0.106).abs() < 0.01, "{grey}");
    }

    #[test]
    fn display_colour_survives_exposure_and_tone_mapping_at_any_exposure() {
        let srgb = Vec3::new(0.8, 0.45, 0.2);
        for mapper in [ToneMapper::Aces, ToneMapper::Linear] {
            for ev in [8.0, 13.0, 15.0] {
                let radiance = display_to_radiance(srgb, mapper, ev);
                let shown = radiance_to_display(radiance, mapper, ev);
                let encoded = Vec3::new(
                    linear_to_srgb(shown.x),
                    linear_to_srgb(shown.y),
                    linear_to_srgb(shown.z),
                );
                assert!(
                    (encoded - srgb).abs().max_element() < 1.0 / 255.0,
                    "{mapper:?} EV{ev}: {encoded}"
                );
            }
        }
    }
}
