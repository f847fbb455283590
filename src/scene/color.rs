//! The sRGB transfer functions (IEC 61966-2-1), one copy for the whole program: colours are
//! stored and computed linear, and encoded only where a file or a display wants sRGB.

/// sRGB-encoded 0..=1 → linear.
pub fn srgb_to_linear(c: f32) -> f32 {
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

/// Linear → sRGB-encoded 0..=1 (clamped to 0..=1 first).
pub fn linear_to_srgb(c: f32) -> f32 {
    let c = c.clamp(0.0, 1.0);
    if c <= 0.003_130_8 {
        c * 12.92
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    }
}

/// An sRGB-encoded byte → linear.
pub fn srgb_u8_to_linear(v: u8) -> f32 {
    srgb_to_linear(f32::from(v) / 255.0)
}

/// Linear → the nearest sRGB-encoded byte (clamped).
pub fn linear_to_srgb_u8(c: f32) -> u8 {
    (linear_to_srgb(c) * 255.0).round() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_survive_the_round_trip_and_the_curve_is_the_standard_one() {
        for v in 0..=255u8 {
            assert_eq!(linear_to_srgb_u8(srgb_u8_to_linear(v)), v);
        }
        assert!((srgb_to_linear(0.5) - 0.214_041).abs() < 1e-6);
        assert!((linear_to_srgb(0.5) - 0.735_357).abs() < 1e-6);
        assert_eq!(linear_to_srgb_u8(-1.0), 0);
        assert_eq!(linear_to_srgb_u8(7.0), 255);
    }
}
