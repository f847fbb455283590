//! The `.splat` format of antimatter15's WebGL splat viewer, which SuperSplat, gsplat.js and
//! many converters also write: no header, one 32-byte little-endian record per splat —
//! centre (3 × f32), scale (3 × f32, linear standard deviations), colour (RGBA u8: the DC
//! colour `0.5 + C0 · f_dc` and the sigmoid opacity, times 255) and orientation (4 × u8,
//! `w x y z` of the unit quaternion as `q · 128 + 128`). SH degree 0.
//!
//! Axes: the converters copy the INRIA PLY's centres unchanged, so the data is in the
//! OpenCV/COLMAP frame of 3DGS training like a splat PLY, and goes under a node turned by
//! [`super::ply::GL_FROM_CV`] the same way.
//!
//! Hostile input is bounded by the file itself: the record count is its length over 32
//! (a length that is not a multiple of 32 is refused), read in chunks between cancel checks.

use super::{ImportError, Imported, MAX_SPLATS, Progress};
use crate::scene::{SplatCloud, Transform};
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;

/// Bytes of one splat record.
pub const RECORD_BYTES: usize = 32;
/// Records read (and allocated) at a time, between cancel checks.
const CHUNK_RECORDS: usize = 1 << 17;

/// Imports a `.splat` file as one splat node named after the file, turned from OpenCV axes.
pub(super) fn import_splat(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    let io = |error| ImportError::io(path, error);
    progress.check(path)?;
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let count = record_count(path, len)?;
    let bytes = read_counted(path, &mut file, (count * RECORD_BYTES) as u64, progress)?;
    scene_from(path, &bytes)
}

/// The first `want` bytes of `file` (at least that many, as its length said), read in chunks
/// between cancel checks and reported to `progress` (`path` names the file).
pub(super) fn read_counted(
    path: &Path,
    file: &mut std::fs::File,
    want: u64,
    progress: &Progress,
) -> Result<Vec<u8>, ImportError> {
    const CHUNK_BYTES: u64 = (CHUNK_RECORDS * RECORD_BYTES) as u64;
    progress.begin(want);
    let mut bytes = Vec::new();
    while (bytes.len() as u64) < want {
        progress.check(path)?;
        let chunk = (want - bytes.len() as u64).min(CHUNK_BYTES);
        let got = file
            .take(chunk)
            .read_to_end(&mut bytes)
            .map_err(|error| ImportError::io(path, error))?;
        if got == 0 {
            return Err(ImportError::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!(
                        "truncated while reading: {} of {want} bytes arrived",
                        bytes.len()
                    ),
                ),
            ));
        }
        progress.advance(got as u64);
    }
    Ok(bytes)
}

/// [`import_splat`] of a file already in memory; `path` only names it.
pub(super) fn import_splat_bytes(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    record_count(path, bytes.len() as u64)?;
    scene_from(path, bytes)
}

fn fail(path: &Path, problem: String) -> ImportError {
    ImportError::Splat {
        file: path.display().to_string(),
        problem,
    }
}

/// The number of records a file of `len` bytes holds, or why it cannot be a `.splat` file.
fn record_count(path: &Path, len: u64) -> Result<usize, ImportError> {
    let record = RECORD_BYTES as u64;
    if len == 0 {
        return Err(fail(path, "the file is empty".into()));
    }
    if !len.is_multiple_of(record) {
        return Err(fail(
            path,
            format!(
                "{len} bytes is not a whole number of 32-byte splat records ({} bytes left \
                 over); the file is cut short or not a .splat file",
                len % record
            ),
        ));
    }
    let count = len / record;
    if count > u64::from(MAX_SPLATS) {
        return Err(fail(
            path,
            format!("{count} splats, more than the {MAX_SPLATS} worldsmith reads"),
        ));
    }
    Ok(count as usize)
}

/// One splat node from whole records, with a warning for values that had to be replaced.
fn scene_from(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    let (cloud, repaired) = decode(bytes);
    let cloud = cloud.map_err(|e| fail(path, e.to_string()))?;
    Ok(opencv_splat_scene(path, cloud, repaired))
}

/// One splat node named after the file at `path`, turned from the OpenCV axes of 3DGS
/// training (`.splat` and `.ksplat` files keep a PLY's axes), with a warning when `repaired`
/// splats had a value replaced ([`Record::repaired`]).
pub(super) fn opencv_splat_scene(path: &Path, cloud: SplatCloud, repaired: usize) -> Imported {
    let mut warnings = Vec::new();
    if repaired > 0 {
        warnings.push(format!(
            "{}: {repaired} splats had a non-finite or negative centre, scale or SH \
             coefficient (replaced by 0, or a scale by its size)",
            path.display()
        ));
    }
    let name = super::stem_or(path, "Splats");
    let turned = Transform::IDENTITY.with_rotation(super::ply::GL_FROM_CV);
    let scene = super::splat_scene(&name, cloud, turned);
    Imported { scene, warnings }
}

/// One splat, decoded (here and by the other per-splat readers, e.g. SOG).
pub(super) struct Record {
    pub position: [f32; 3],
    pub scale: [f32; 3],
    /// DC colour, `0.5 + C0 · f_dc`.
    pub color: [f32; 3],
    pub opacity: f32,
    /// `x y z w`, unit length.
    pub rotation: [f32; 4],
    /// A value had to be replaced.
    pub repaired: bool,
}

impl Record {
    /// A splat of decoded values, a non-finite centre or scale coordinate replaced by 0 and
    /// a negative scale by its size (then `repaired` is set), and `rotation` (`x y z w`, any
    /// length) made unit length, the identity when it has none.
    pub fn repaired(
        position: [f32; 3],
        scale: [f32; 3],
        color: [f32; 3],
        opacity: f32,
        rotation: [f32; 4],
    ) -> Self {
        let mut repaired = false;
        let mut fix = |v: f32, size: bool| {
            if !v.is_finite() {
                repaired = true;
                0.0
            } else if size && v < 0.0 {
                repaired = true;
                -v
            } else {
                v
            }
        };
        let position = position.map(|v| fix(v, false));
        let scale = scale.map(|v| fix(v, true));
        let len = rotation.iter().map(|c| c * c).sum::<f32>().sqrt();
        let rotation = if len > 1e-6 && len.is_finite() {
            rotation.map(|c| c / len)
        } else {
            [0.0, 0.0, 0.0, 1.0]
        };
        Self {
            position,
            scale,
            color,
            opacity,
            rotation,
            repaired,
        }
    }
}

/// The splats of whole records (a trailing partial record is ignored) and how many had a
/// value replaced: a non-finite centre or scale coordinate by 0, a negative scale by its size.
fn decode(bytes: &[u8]) -> (Result<SplatCloud, crate::scene::SplatShapeError>, usize) {
    let records: Vec<Record> = bytes
        .as_chunks::<RECORD_BYTES>()
        .0
        .par_iter()
        .map(record)
        .collect();
    cloud_from_records(records, 0, Vec::new())
}

/// A splat cloud of `records` with SH `degree` and `sh_rest` (see [`SplatCloud::new`]), and
/// how many records had a value replaced.
pub(super) fn cloud_from_records(
    records: Vec<Record>,
    degree: u8,
    sh_rest: Vec<half::f16>,
) -> (Result<SplatCloud, crate::scene::SplatShapeError>, usize) {
    let repaired = records.iter().filter(|r| r.repaired).count();
    let n = records.len();
    let (mut positions, mut rotations, mut scales, mut opacities, mut colors) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in records {
        positions.push(r.position);
        rotations.push(r.rotation);
        scales.push(r.scale);
        opacities.push(r.opacity);
        colors.push(r.color);
    }
    let cloud = SplatCloud::new(
        positions, rotations, scales, opacities, colors, degree, sh_rest,
    );
    (cloud, repaired)
}

fn record(raw: &[u8; RECORD_BYTES]) -> Record {
    let (floats, bytes) = raw.split_at(24);
    let mut values = [0f32; 6];
    for (v, b) in values.iter_mut().zip(floats.as_chunks::<4>().0) {
        *v = f32::from_le_bytes(*b);
    }
    let [x, y, z, sx, sy, sz] = values;
    let [r, g, b, a, qw, qx, qy, qz] = bytes.try_into().unwrap_or([0; 8]);
    let unit = |c: u8| f32::from(c) / 255.0;
    let q = [qx, qy, qz, qw].map(|c| (f32::from(c) - 128.0) / 128.0);
    Record::repaired(
        [x, y, z],
        [sx, sy, sz],
        [unit(r), unit(g), unit(b)],
        unit(a),
        q,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_decodes_to_its_fields() {
        let mut raw = [0u8; RECORD_BYTES];
        for (i, v) in [1.5f32, -2.0, 3.25, 0.1, 0.2, 0.3].iter().enumerate() {
            raw[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        // Colour, opacity, then w x y z: a quarter turn about y.
        raw[24..32].copy_from_slice(&[255, 0, 51, 128, 219, 128, 219, 128]);
        let r = record(&raw);
        assert_eq!(r.position, [1.5, -2.0, 3.25]);
        assert_eq!(r.scale, [0.1, 0.2, 0.3]);
        assert_eq!(r.color, [1.0, 0.0, 0.2]);
        assert!((r.opacity - 128.0 / 255.0).abs() < 1e-6);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        for (got, want) in r.rotation.iter().zip([0.0, h, 0.0, h]) {
            assert!((got - want).abs() < 1e-6, "{:?}", r.rotation);
        }
        assert!(!r.repaired);
    }

    #[test]
    fn bad_values_are_replaced_and_counted() {
        let mut raw = [128u8; RECORD_BYTES];
        raw[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
        raw[12..16].copy_from_slice(&(-0.5f32).to_le_bytes());
        raw[16..20].copy_from_slice(&f32::INFINITY.to_le_bytes());
        let r = record(&raw);
        assert!(r.repaired);
        assert_eq!(r.position[0], 0.0);
        assert_eq!(r.scale[0], 0.5);
        assert_eq!(r.scale[1], 0.0);
        // All four quaternion bytes at 128: a zero quaternion becomes the identity.
        assert_eq!(r.rotation, [0.0, 0.0, 0.0, 1.0]);
    }
}
