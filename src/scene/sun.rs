//! Sun placement and light colour helpers: azimuth/elevation, the sun's position from time
//! of day, latitude and date, and the colour of a black body at a temperature in kelvin.
//!
//! World convention: +Y up, north along −Z, east along +X; azimuth is measured from north
//! towards east (0° north, 90° east), elevation above the horizon.

use glam::Vec3;

/// Unit vector towards the sun for an azimuth and elevation in degrees.
pub fn direction_from_azimuth_elevation(azimuth_deg: f32, elevation_deg: f32) -> Vec3 {
    let (az, el) = (azimuth_deg.to_radians(), elevation_deg.to_radians());
    Vec3::new(az.sin() * el.cos(), el.sin(), -az.cos() * el.cos())
}

/// Azimuth (0..360, from north towards east) and elevation in degrees of a direction
/// towards the sun.
pub fn azimuth_elevation_of(to_sun: Vec3) -> (f32, f32) {
    let d = to_sun.normalize_or(Vec3::Y);
    let elevation = d.y.clamp(-1.0, 1.0).asin().to_degrees();
    let azimuth = if d.x.abs() < 1e-6 && d.z.abs() < 1e-6 {
        0.0
    } else {
        d.x.atan2(-d.z).to_degrees().rem_euclid(360.0)
    };
    (azimuth, elevation)
}

/// Direction towards the sun at `solar_hour` (local solar time, 12 = noon) on day
/// `day_of_year` (1 = 1 January) at `latitude_deg` (positive north), from the declination
/// (Cooper's formula) and the hour angle: within about a degree of an ephemeris, which is
/// plenty for lighting.
pub fn sun_direction_at(latitude_deg: f32, day_of_year: u32, solar_hour: f32) -> Vec3 {
    let day = day_of_year.clamp(1, 366) as f32;
    let declination =
        (-23.44f32).to_radians() * (std::f32::consts::TAU / 365.0 * (day + 10.0)).cos();
    let hour_angle = (15.0 * (solar_hour - 12.0)).to_radians();
    let latitude = latitude_deg.clamp(-90.0, 90.0).to_radians();
    let (sd, cd) = declination.sin_cos();
    let (sl, cl) = latitude.sin_cos();
    let (sh, ch) = hour_angle.sin_cos();
    let east = -cd * sh;
    let north = sd * cl - cd * ch * sl;
    let up = sd * sl + cd * ch * cl;
    Vec3::new(east, up, -north).normalize_or(Vec3::Y)
}

/// Linear-RGB colour (brightest channel 1) of a black body at `kelvin` (1000–40000 K), from
/// Tanner Helland's fit to the CIE colour-matching data, converted from sRGB to linear.
pub fn color_temperature(kelvin: f32) -> [f32; 3] {
    let t = kelvin.clamp(1000.0, 40_000.0) / 100.0;
    let r = if t <= 66.0 {
        255.0
    } else {
        329.698_73 * (t - 60.0).powf(-0.133_204_76)
    };
    let g = if t <= 66.0 {
        99.470_8 * t.ln() - 161.119_57
    } else {
        288.122_16 * (t - 60.0).powf(-0.075_514_846)
    };
    let b = if t >= 66.0 {
        255.0
    } else if t <= 19.0 {
        0.0
    } else {
        138.517_73 * (t - 10.0).ln() - 305.044_8
    };
    let linear = |c: f32| {
        let c = (c / 255.0).clamp(0.0, 1.0);
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let rgb = [linear(r), linear(g), linear(b)];
    let max = rgb.iter().copied().fold(1e-6, f32::max);
    rgb.map(|c| c / max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azimuth_elevation_round_trip() {
        for (az, el) in [(0.0, 30.0), (90.0, 10.0), (200.0, 60.0), (359.0, 1.0)] {
            let d = direction_from_azimuth_elevation(az, el);
            let (a, e) = azimuth_elevation_of(d);
            assert!(
                (a - az).abs() < 1e-3 && (e - el).abs() < 1e-3,
                "{az},{el} → {a},{e}"
            );
        }
        // East is +X, north is −Z.
        assert!(direction_from_azimuth_elevation(90.0, 0.0).abs_diff_eq(Vec3::X, 1e-6));
        assert!(direction_from_azimuth_elevation(0.0, 0.0).abs_diff_eq(Vec3::NEG_Z, 1e-6));
    }

    #[test]
    fn the_sun_follows_the_day() {
        // Equinox (day 80) at the equator: overhead at noon, rising in the east.
        let noon = sun_direction_at(0.0, 80, 12.0);
        assert!(noon.y > 0.99, "{noon}");
        let morning = sun_direction_at(0.0, 80, 7.0);
        assert!(morning.x > 0.9 && morning.y > 0.0, "{morning}");
        // Midsummer noon at 48° N: elevation ≈ 90 − 48 + 23.4 = 65.4°, due south (+Z).
        let d = sun_direction_at(48.0, 172, 12.0);
        let (az, el) = azimuth_elevation_of(d);
        assert!((el - 65.4).abs() < 1.0, "{el}");
        assert!((az - 180.0).abs() < 1.0, "{az}");
        // Midnight is below the horizon.
        assert!(sun_direction_at(48.0, 172, 0.0).y < 0.0);
    }

    #[test]
    fn colour_temperatures() {
        let candle = color_temperature(1900.0);
        assert!(candle[0] == 1.0 && candle[2] < 0.1, "{candle:?}");
        let daylight = color_temperature(6600.0);
        assert!(daylight.iter().all(|c| *c > 0.9), "{daylight:?}");
        let sky = color_temperature(12000.0);
        assert!(sky[2] == 1.0 && sky[0] < 0.8, "{sky:?}");
    }
}
