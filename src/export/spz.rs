//! Niantic SPZ, version 3: the inverse of [`crate::import::read_spz`].
//!
//! One gzip stream (flate2) holding the 16-byte header (magic "NGSP", version 3, count, SH
//! degree, fractional bits, flags (antialiased or 0), reserved 0) and then, for all splats in turn: positions
//! (24-bit fixed point), alphas (`round(opacity · 255)`), colours (`f_dc · 0.15 + 0.5` in
//! bytes), scales (`(ln σ + 10) · 16`), rotations ("smallest three", 4 bytes) and SH
//! coefficients (`v · 128 + 128`, 8 bits each, splat-major, channel fastest). SPZ's axes (RUB)
//! are worldsmith's own, so the splats are written in world space as they are.

use super::{ExportError, write_atomic};
use crate::scene::{SH_C0, SplatCloud};
use glam::Mat4;
use std::io::Write;
use std::path::Path;

const MAGIC: u32 = 0x5053_474e;
const VERSION: u32 = 3;
/// Fraction bits the reference writer uses (1/4096 m); fewer when the splats reach further.
const FRACTIONAL_BITS: u8 = 12;
const COLOR_SCALE: f32 = 0.15;

/// Writes `cloud` moved by `world_from_local` to `path` as SPZ. Returns the bytes written and
/// warnings (precision lost to far-away splats).
pub fn write_splats(
    path: &Path,
    cloud: &SplatCloud,
    world_from_local: Mat4,
) -> Result<(u64, Vec<String>), ExportError> {
    let file = path.display().to_string();
    if cloud.is_empty() {
        return Err(ExportError::Nothing {
            file,
            problem: "the splat layer holds no splats".into(),
        });
    }
    let count = u32::try_from(cloud.len())
        .ok()
        .filter(|n| *n <= crate::import::MAX_SPLATS)
        .ok_or_else(|| ExportError::Unsupported {
            file: file.clone(),
            problem: format!(
                "{} splats, more than the {} an SPZ file may hold here",
                cloud.len(),
                crate::import::MAX_SPLATS
            ),
        })?;
    let cloud = super::transform_splats(cloud, world_from_local);
    let reach = cloud
        .positions
        .iter()
        .flatten()
        .filter(|v| v.is_finite())
        .fold(0.0f32, |m, v| m.max(v.abs()));
    // 24-bit signed fixed point: |v| · 2^bits must stay below 2^23.
    let mut bits = FRACTIONAL_BITS;
    while bits > 0 && f64::from(reach) * f64::from(1u32 << bits) >= f64::from((1u32 << 23) - 1) {
        bits -= 1;
    }
    if f64::from(reach) >= f64::from((1u32 << 23) - 1) {
        return Err(ExportError::Unsupported {
            file,
            problem: format!("a splat lies {reach} m from the origin, beyond SPZ's reach"),
        });
    }
    let mut warnings = Vec::new();
    if bits < FRACTIONAL_BITS {
        warnings.push(format!(
            "{file}: splats reach {reach:.0} m from the origin; positions are stored to \
             1/{} m",
            1u32 << bits
        ));
    }
    let bytes = write_atomic(path, |w| {
        let mut gz = flate2::write::GzEncoder::new(w, flate2::Compression::default());
        write_payload(&mut gz, &cloud, count, bits)?;
        gz.finish()?;
        Ok(())
    })?;
    Ok((bytes, warnings))
}

fn write_payload(
    w: &mut dyn Write,
    cloud: &SplatCloud,
    count: u32,
    fractional_bits: u8,
) -> std::io::Result<()> {
    let mut header = Vec::with_capacity(16);
    header.extend_from_slice(&MAGIC.to_le_bytes());
    header.extend_from_slice(&VERSION.to_le_bytes());
    header.extend_from_slice(&count.to_le_bytes());
    // Flags: bit 0, trained with antialiasing (the cloud's draw mode travels with it).
    let flags = u8::from(cloud.antialiased);
    header.extend_from_slice(&[cloud.sh_degree, fractional_bits, flags, 0]);
    w.write_all(&header)?;

    let scale = f64::from(1u32 << fractional_bits);
    let fixed: Vec<u8> = cloud
        .positions
        .iter()
        .flat_map(|p| {
            p.map(|v| {
                let v = if v.is_finite() { f64::from(v) } else { 0.0 };
                let i = (v * scale).round() as i32;
                let [a, b, c, _] = i.to_le_bytes();
                [a, b, c]
            })
        })
        .flatten()
        .collect();
    w.write_all(&fixed)?;
    drop(fixed);

    let alphas: Vec<u8> = cloud.opacities.iter().map(|o| to_byte(o * 255.0)).collect();
    w.write_all(&alphas)?;

    let colors: Vec<u8> = cloud
        .colors
        .iter()
        .flat_map(|c| c.map(|c| to_byte(((c - 0.5) / SH_C0 * COLOR_SCALE + 0.5) * 255.0)))
        .collect();
    w.write_all(&colors)?;

    let scales: Vec<u8> = cloud
        .scales
        .iter()
        .flat_map(|s| {
            s.map(|s| {
                if s > 0.0 {
                    to_byte((s.ln() + 10.0) * 16.0)
                } else {
                    0
                }
            })
        })
        .collect();
    w.write_all(&scales)?;

    let rotations: Vec<u8> = cloud
        .rotations
        .iter()
        .flat_map(|q| smallest_three(*q).to_le_bytes())
        .collect();
    w.write_all(&rotations)?;

    let sh: Vec<u8> = cloud
        .sh_rest
        .iter()
        .map(|v| to_byte(v.to_f32() * 128.0 + 128.0))
        .collect();
    w.write_all(&sh)
}

/// Rounds and clamps to a byte (NaN gives 0).
fn to_byte(v: f32) -> u8 {
    if v.is_nan() {
        0
    } else {
        v.round().clamp(0.0, 255.0) as u8
    }
}

/// Packs a unit quaternion `[x, y, z, w]` as SPZ v3 "smallest three": the index of the
/// largest component in the top 2 bits (that component made non-negative and left out), then
/// for the others in ascending index order, each shifted in from the bottom, a sign bit and 9
/// bits of magnitude scaled by `511 / (1/√2)`.
fn smallest_three(q: [f32; 4]) -> u32 {
    let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
    let q = if len.is_finite() && len > 1e-6 {
        q.map(|c| c / len)
    } else {
        [0.0, 0.0, 0.0, 1.0]
    };
    let largest = (0..4)
        .max_by(|&a, &b| q[a].abs().total_cmp(&q[b].abs()))
        .unwrap_or(3);
    let negate = q[largest] < 0.0;
    let mut packed = 0u32;
    for (i, c) in q.iter().enumerate() {
        if i == largest {
            continue;
        }
        let negative = (*c < 0.0) != negate;
        let magnitude = (511.0 * (c.abs() / std::f32::consts::FRAC_1_SQRT_2))
            .round()
            .min(511.0) as u32;
        packed = (packed << 10) | (u32::from(negative) << 9) | magnitude;
    }
    packed | ((largest as u32) << 30)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_three_round_trips_through_the_reader() {
        let q = glam::Quat::from_euler(glam::EulerRot::XYZ, 0.3, -1.2, 2.0).to_array();
        let bytes = smallest_three(q).to_le_bytes();
        // The importer's decoder, reached through a one-splat file in memory.
        let cloud = SplatCloud::new(
            vec![[0.5, -1.0, 2.0]],
            vec![q],
            vec![[0.1, 0.2, 0.3]],
            vec![0.5],
            vec![[0.3, 0.5, 0.7]],
            0,
            Vec::new(),
        )
        .unwrap();
        let mut raw = Vec::new();
        write_payload(&mut raw, &cloud, 1, FRACTIONAL_BITS).unwrap();
        assert_eq!(&raw[raw.len() - 4..], &bytes);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let file = gz.finish().unwrap();
        let (read, _) = crate::import::read_spz_bytes(
            Path::new("t.spz"),
            &file,
            &crate::import::Progress::new(),
        )
        .unwrap();
        let got = glam::Quat::from_array(read.rotations[0]);
        let want = glam::Quat::from_array(q);
        assert!(got.dot(want).abs() > 0.9999, "{got:?} vs {want:?}");
        assert_eq!(read.positions[0], [0.5, -1.0, 2.0]);
        assert!(!read.antialiased);

        // The antialiased draw mode travels as the header's flag.
        let mut raw = Vec::new();
        write_payload(&mut raw, &cloud.with_antialiased(true), 1, FRACTIONAL_BITS).unwrap();
        assert_eq!(raw[14], 1, "flags byte");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        let (read, warnings) = crate::import::read_spz_bytes(
            Path::new("t.spz"),
            &gz.finish().unwrap(),
            &crate::import::Progress::new(),
        )
        .unwrap();
        assert!(read.antialiased && warnings.is_empty(), "{warnings:?}");
    }
}
