//! The `.ksplat` format of mkkellogg's GaussianSplats3D (three.js), written by its
//! `create-ksplat` tool and its viewer's "save" path: a 4096-byte header, a 1024-byte header
//! per section, then each section's buckets and splats. All little-endian.
//!
//! - Header: version (major, minor bytes; 0.1 is current), section and splat counts (u32 at 4,
//!   8, 12, 16), the compression level (u16 at 20: 0, 1 or 2), the scene centre (3 × f32 at
//!   24, unused: centres are absolute) and the range of 8-bit SH values (f32 at 36 and 40;
//!   0 means the default ±1.5).
//! - Section header: splat count and maximum splat count (u32 at 0 and 4; a complete file
//!   holds the maximum), bucket size and count (u32 at 8, 12), bucket block size (f32 at 16),
//!   bytes per bucket (u16 at 20), the position quantisation range (u32 at 24; 0 means 1 at
//!   level 0, 32767 above), full and partly filled bucket counts (u32 at 32, 36) and the SH
//!   degree (u16 at 40).
//! - Section body: the lengths of the partly filled buckets (u32 each), the bucket centres
//!   (3 × f32 each), then the splats: centre, scale (linear standard deviations), rotation
//!   (`w x y z`), colour (RGBA u8: DC colour `0.5 + C0 · f_dc` and sigmoid opacity, times
//!   255) and SH coefficients. Level 0 stores floats as f32; levels 1 and 2 store them as
//!   f16, and a centre as a u16 offset from its bucket's centre, `(v − range) · (block / 2) /
//!   range`. SH coefficients are f32, f16, or (level 2) u8 mapped linearly onto the header's
//!   range; degree 1's nine come first, channel by channel (r1 r2 r3 g1 … b3), then degree
//!   2's fifteen the same way. Splats fill the full buckets in order, `bucket size` each, then
//!   the partly filled ones by their lengths.
//!
//! This follows the reader and writer of GaussianSplats3D 0.4.7 (`SplatBuffer`). Like
//! `.splat` files the data keeps the INRIA PLY's OpenCV axes, so it goes under a node turned
//! by [`super::ply::GL_FROM_CV`]. SH degree 3 is refused: no version of the tool writes it.
//!
//! Hostile input is bounded by the file itself: every section's extent is checked against
//! the file's length before a splat is read, so the splat count cannot outgrow the file.

use super::splat::{Record, cloud_from_records, opencv_splat_scene, read_counted};
use super::{ImportError, Imported, MAX_SPLATS, Progress};
use crate::scene::SplatCloud;
use half::f16;
use rayon::prelude::*;
use std::path::Path;

const HEADER_BYTES: u64 = 4096;
const SECTION_HEADER_BYTES: u64 = 1024;
/// The 8-bit SH range when the header leaves it 0 (GaussianSplats3D's default).
const DEFAULT_SH_HALF_RANGE: f32 = 1.5;

/// Imports a `.ksplat` file as one splat node named after the file, turned from OpenCV axes.
pub(super) fn import_ksplat(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    let io = |error| ImportError::io(path, error);
    progress.check(path)?;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let bytes = read_counted(path, &mut file, len, progress)?;
    import_ksplat_bytes(path, &bytes)
}

/// [`import_ksplat`] of a file already in memory; `path` only names it.
pub(super) fn import_ksplat_bytes(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    let (cloud, repaired) = decode(bytes).map_err(|problem| fail(path, problem))?;
    Ok(opencv_splat_scene(path, cloud, repaired))
}

fn fail(path: &Path, problem: String) -> ImportError {
    ImportError::Ksplat {
        file: path.display().to_string(),
        problem,
    }
}

/// Little-endian reads at byte offsets of a slice known to be long enough (0 past its end).
struct At<'a>(&'a [u8]);

impl At<'_> {
    fn bytes<const N: usize>(&self, at: u64) -> [u8; N] {
        usize::try_from(at)
            .ok()
            .and_then(|at| self.0.get(at..at.checked_add(N)?))
            .and_then(|b| b.try_into().ok())
            .unwrap_or([0; N])
    }
    fn u16(&self, at: u64) -> u16 {
        u16::from_le_bytes(self.bytes(at))
    }
    fn u32(&self, at: u64) -> u32 {
        u32::from_le_bytes(self.bytes(at))
    }
    fn f32(&self, at: u64) -> f32 {
        f32::from_le_bytes(self.bytes(at))
    }
    fn f16(&self, at: u64) -> f32 {
        f16::from_le_bytes(self.bytes(at)).to_f32()
    }
}

/// How a compression level stores a splat's fields.
#[derive(Clone, Copy)]
struct Level {
    /// 0, 1 or 2.
    level: u16,
}

impl Level {
    /// Bytes of one float field (centre, scale, rotation).
    fn float_bytes(self) -> u64 {
        if self.level == 0 { 4 } else { 2 }
    }
    /// Bytes of one SH coefficient.
    fn sh_bytes(self) -> u64 {
        match self.level {
            0 => 4,
            1 => 2,
            _ => 1,
        }
    }
    /// Bytes of one splat with SH `degree`: centre, scale, rotation, colour, SH.
    fn splat_bytes(self, degree: u8) -> u64 {
        10 * self.float_bytes() + 4 + sh_values(degree) * self.sh_bytes()
    }
    fn float(self, at: &At<'_>, offset: u64) -> f32 {
        if self.level == 0 {
            at.f32(offset)
        } else {
            at.f16(offset)
        }
    }
}

/// SH values a splat of `degree` stores (three channels).
fn sh_values(degree: u8) -> u64 {
    3 * SplatCloud::sh_rest_coefficients(degree) as u64
}

/// One section, located in the file.
struct Section {
    splats: u64,
    degree: u8,
    /// Offsets of the bucket centres and of the first splat.
    buckets_at: u64,
    data_at: u64,
    /// Splats per full bucket, how many full buckets, and the partly filled buckets' lengths.
    bucket_size: u64,
    full_buckets: u64,
    partial_lengths: Vec<u64>,
    /// Centre = (stored − range) · factor + bucket centre.
    range: f32,
    factor: f32,
}

impl Section {
    /// The bucket of each splat, in order.
    fn bucket_of_each(&self) -> Vec<u32> {
        let full = (0..self.full_buckets)
            .flat_map(|b| std::iter::repeat_n(b as u32, self.bucket_size as usize));
        let partial = self.partial_lengths.iter().enumerate().flat_map(|(k, &n)| {
            std::iter::repeat_n((self.full_buckets + k as u64) as u32, n as usize)
        });
        full.chain(partial).take(self.splats as usize).collect()
    }
}

/// The splats of a whole `.ksplat` file and how many had a value replaced.
fn decode(bytes: &[u8]) -> Result<(SplatCloud, usize), String> {
    let len = bytes.len() as u64;
    if len < HEADER_BYTES {
        return Err(format!(
            "the file is {len} bytes, shorter than the {HEADER_BYTES}-byte header"
        ));
    }
    let at = At(bytes);
    let [major, minor] = at.bytes::<2>(0);
    if major != 0 || minor < 1 {
        return Err(format!(
            "version {major}.{minor}; worldsmith reads version 0.1 and later 0.x files (the \
             first bytes of a .ksplat are 0 and 1 or more)"
        ));
    }
    let level = at.u16(20);
    if level > 2 {
        return Err(format!(
            "compression level {level}; levels 0, 1 and 2 exist"
        ));
    }
    let level = Level { level };
    let sections = u64::from(at.u32(4));
    let table_end = sections
        .checked_mul(SECTION_HEADER_BYTES)
        .and_then(|t| t.checked_add(HEADER_BYTES))
        .filter(|&end| end <= len)
        .ok_or_else(|| {
            format!(
                "the header lists {sections} sections, whose headers alone do not fit in the \
                 {len}-byte file"
            )
        })?;
    let sh_range = |offset: u64, default: f32| {
        let v = at.f32(offset);
        if v == 0.0 || v.is_nan() { default } else { v }
    };
    let (sh_min, sh_max) = (
        sh_range(36, -DEFAULT_SH_HALF_RANGE),
        sh_range(40, DEFAULT_SH_HALF_RANGE),
    );

    // Locate every section before reading a splat: their extents bound the splat count.
    let mut located = Vec::new();
    let mut base = table_end;
    let mut total = 0u64;
    for i in 0..sections {
        let h = HEADER_BYTES + i * SECTION_HEADER_BYTES;
        let splats = u64::from(at.u32(h + 4));
        let degree = at.u16(h + 40);
        let degree = match u8::try_from(degree) {
            Ok(d @ 0..=2) => d,
            _ => {
                return Err(format!(
                    "section {i} has SH degree {degree}; .ksplat files hold degrees 0 to 2"
                ));
            }
        };
        let bucket_count = u64::from(at.u32(h + 12));
        let bucket_bytes = u64::from(at.u16(h + 20));
        let full_buckets = u64::from(at.u32(h + 32));
        let partial = u64::from(at.u32(h + 36));
        let block = at.f32(h + 16);
        let range = match at.u32(h + 24) {
            0 if level.level == 0 => 1.0,
            0 => 32767.0,
            r => r as f32,
        };
        // Every product below is of u32 values, so fits in u64; sums are checked.
        let meta = partial * 4;
        let bucket_storage = bucket_bytes * bucket_count + meta;
        let end = base
            .checked_add(bucket_storage)
            .and_then(|e| e.checked_add(splats * level.splat_bytes(degree)))
            .filter(|&end| end <= len)
            .ok_or_else(|| {
                format!(
                    "section {i} ({splats} splats, {bucket_count} buckets) runs past the end \
                     of the {len}-byte file; the file is cut short"
                )
            })?;
        total += splats;
        if total > u64::from(MAX_SPLATS) {
            return Err(format!(
                "more than the {MAX_SPLATS} splats worldsmith reads"
            ));
        }
        let mut section = Section {
            splats,
            degree,
            buckets_at: base + meta,
            data_at: base + bucket_storage,
            bucket_size: u64::from(at.u32(h + 8)),
            full_buckets,
            partial_lengths: (0..partial)
                .map(|k| u64::from(at.u32(base + k * 4)))
                .collect(),
            range,
            factor: block / 2.0 / range,
        };
        if level.level > 0 && splats > 0 {
            // Centres are stored relative to their bucket: every splat needs one, within the
            // bucket table (12 bytes of centre each).
            let held = section
                .full_buckets
                .saturating_mul(section.bucket_size)
                .saturating_add(section.partial_lengths.iter().sum::<u64>());
            if held < splats {
                return Err(format!(
                    "section {i}: its buckets hold {held} splats, not its {splats}"
                ));
            }
            if full_buckets + partial > bucket_count || bucket_bytes < 12 {
                return Err(format!(
                    "section {i}: {full_buckets} full and {partial} partly filled buckets do \
                     not fit its table of {bucket_count} buckets of {bucket_bytes} bytes"
                ));
            }
        } else {
            section.full_buckets = 0;
            section.partial_lengths.clear();
        }
        located.push(section);
        base = end;
    }
    if total == 0 {
        return Err("the file holds no splats".into());
    }

    let degree = located.iter().map(|s| s.degree).max().unwrap_or(0);
    let rest_coefficients = SplatCloud::sh_rest_coefficients(degree);
    let mut records = Vec::with_capacity(total as usize);
    let mut sh_rest: Vec<f16> = Vec::with_capacity(total as usize * 3 * rest_coefficients);
    let float_bytes = level.float_bytes();
    for section in &located {
        let buckets = if level.level > 0 {
            section.bucket_of_each()
        } else {
            Vec::new()
        };
        let stride = level.splat_bytes(section.degree);
        let read = |i: u64| {
            let s = section.data_at + i * stride;
            let field = |k: u64| level.float(&at, s + k * float_bytes);
            let stored = [field(0), field(1), field(2)];
            let position = match buckets.get(i as usize) {
                Some(&b) if level.level > 0 => {
                    let centre = section.buckets_at + u64::from(b) * 12;
                    let raw = [0, 1, 2].map(|k| f32::from(at.u16(s + k * 2)));
                    std::array::from_fn(|k| {
                        (raw[k] - section.range) * section.factor + at.f32(centre + k as u64 * 4)
                    })
                }
                _ => stored,
            };
            let scale = [field(3), field(4), field(5)];
            let [w, x, y, z] = [field(6), field(7), field(8), field(9)];
            let [r, g, b, a] = at.bytes::<4>(s + 10 * float_bytes);
            let unit = |c: u8| f32::from(c) / 255.0;
            Record::repaired(
                position,
                scale,
                [unit(r), unit(g), unit(b)],
                unit(a),
                [x, y, z, w],
            )
        };
        let first = records.len();
        records.par_extend((0..section.splats).into_par_iter().map(read));
        if degree > 0 {
            // Channel-major blocks per degree in the file; coefficient-major in the cloud.
            let sh_at = 10 * float_bytes + 4;
            let value = |offset: u64| match level.level {
                0 => at.f32(offset),
                1 => at.f16(offset),
                _ => f32::from(at.bytes::<1>(offset)[0]) / 255.0 * (sh_max - sh_min) + sh_min,
            };
            let own = SplatCloud::sh_rest_coefficients(section.degree);
            // One splat's values (degree 2 at most: 8 coefficients × 3 channels), and whether
            // one was not finite (replaced by 0, as the PLY reader does).
            let per_splat: Vec<([f16; 24], bool)> = (0..section.splats)
                .into_par_iter()
                .map(|i| {
                    let s = section.data_at + i * stride + sh_at;
                    let mut out = [f16::ZERO; 24];
                    let mut bad = false;
                    for k in 0..own {
                        // Degree 1 holds coefficients 0..3, degree 2 3..8.
                        let (block_start, block_len, within) =
                            if k < 3 { (0, 3, k) } else { (9, 5, k - 3) };
                        for c in 0..3 {
                            let index = (block_start + c * block_len + within) as u64;
                            let v = value(s + index * level.sh_bytes());
                            bad |= !v.is_finite();
                            out[k * 3 + c] =
                                SplatCloud::sh_half(if v.is_finite() { v } else { 0.0 });
                        }
                    }
                    (out, bad)
                })
                .collect();
            for (record, (values, bad)) in records[first..].iter_mut().zip(per_splat) {
                sh_rest.extend_from_slice(&values[..rest_coefficients * 3]);
                record.repaired |= bad;
            }
        }
    }
    let (cloud, repaired) = cloud_from_records(records, degree, sh_rest);
    Ok((cloud.map_err(|e| e.to_string())?, repaired))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splat_sizes_match_the_reference_tables() {
        // GaussianSplats3D's `SplatBuffer.CompressionLevels[level].SphericalHarmonicsDegrees`.
        let table = [[44, 80, 140], [24, 42, 72], [24, 33, 48]];
        for (level, row) in table.iter().enumerate() {
            for (degree, bytes) in row.iter().enumerate() {
                let level = Level {
                    level: level as u16,
                };
                assert_eq!(level.splat_bytes(degree as u8), *bytes);
            }
        }
    }

    #[test]
    fn buckets_are_full_ones_then_partly_filled_ones() {
        let section = Section {
            splats: 7,
            degree: 0,
            buckets_at: 0,
            data_at: 0,
            bucket_size: 2,
            full_buckets: 2,
            partial_lengths: vec![1, 2],
            range: 1.0,
            factor: 1.0,
        };
        assert_eq!(section.bucket_of_each(), [0, 0, 1, 1, 2, 3, 3]);
    }
}
