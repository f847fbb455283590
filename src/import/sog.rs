//! SOG ("spatially ordered Gaussians"), PlayCanvas's compressed splat format, as SuperSplat
//! and `splat-transform` write it (reference: playcanvas/splat-transform,
//! `src/lib/readers/read-sog.ts`, `read-sog-v1.ts` and `writers/write-sog.ts`; meta version 2,
//! and the first layout without a version, whose bytes lerp between per-channel bounds where
//! version 2 indexes codebooks — both become per-byte tables, [`Layout`]): a `meta.json`
//! and lossless WebP images holding one texel per splat, either in a folder or bundled in a
//! `.sog` zip archive.
//!
//! * `means_l.webp` / `means_u.webp`: low and high bytes of 16-bit positions, a lerp between
//!   the meta's `mins` and `maxs` of `sign(x) · ln(|x| + 1)`;
//! * `quats.webp`: "smallest three" quaternions, the alpha byte 252 + the index of the
//!   dropped (largest) component in `w x y z`;
//! * `scales.webp`: three indices into a 256-entry codebook of log scales;
//! * `sh0.webp`: three indices into a 256-entry codebook of DC coefficients, and the sigmoid
//!   opacity in alpha;
//! * optionally `shN_centroids.webp` / `shN_labels.webp`: a 16-bit palette label per splat, the
//!   palette entry's higher-order SH coefficients as one texel each (RGB indices into a third
//!   codebook), 64 entries to a row.
//!
//! Axes: the data is the INRIA PLY's, in the OpenCV frame of 3DGS training, so it goes under
//! a node turned by [`super::ply::GL_FROM_CV`] like a splat PLY.
//!
//! Hostile input is bounded: the splat count by [`MAX_SPLATS`], each texture's size by its
//! header before it is decoded (at most about twice the splat count), every file's bytes (in
//! the folder or the archive) by a fixed limit, and file names must be plain names inside the
//! folder or archive.

use super::splat::{Record, cloud_from_records};
use super::{ImportError, Imported, MAX_SPLATS, Progress};
use crate::scene::{SH_C0, SplatCloud, Transform};
use half::f16;
use rayon::prelude::*;
use serde::Deserialize;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// The most bytes worldsmith reads of one file of a SOG (a 16383² RGBA WebP cannot need more).
const MAX_FILE_BYTES: u64 = 1 << 30;
/// The most bytes of `meta.json`.
const MAX_META_BYTES: u64 = 16 << 20;
/// The name of the metadata file, in a folder or at the root of a `.sog` archive.
pub const META: &str = "meta.json";

/// `meta.json`, version 2: codebooks of 256 values shared by the channels.
#[derive(Deserialize)]
struct Meta {
    count: u64,
    means: Means,
    scales: Coded,
    quats: Files,
    sh0: Coded,
    #[serde(rename = "shN")]
    sh_n: Option<ShN>,
}

/// `meta.json` of version 1 (no `version` key; SuperSplat's first SOGs): each byte a lerp
/// between per-channel bounds, the opacity a pre-sigmoid logit, the SH palette's band count
/// given by its width.
#[derive(Deserialize)]
struct MetaV1 {
    means: MeansV1,
    scales: Ranged,
    quats: Files,
    sh0: Ranged,
    #[serde(rename = "shN")]
    sh_n: Option<ShNV1>,
}

#[derive(Deserialize)]
struct Means {
    mins: [f64; 3],
    maxs: [f64; 3],
    files: Vec<String>,
}

#[derive(Deserialize)]
struct MeansV1 {
    /// `[count, 3]`.
    shape: Vec<u64>,
    mins: [f64; 3],
    maxs: [f64; 3],
    files: Vec<String>,
}

#[derive(Deserialize)]
struct Coded {
    codebook: Vec<f32>,
    files: Vec<String>,
}

/// Per-channel bounds (3 for scales; 4 for sh0, the last the opacity logit's).
#[derive(Deserialize)]
struct Ranged {
    mins: Vec<f64>,
    maxs: Vec<f64>,
    files: Vec<String>,
}

impl Ranged {
    /// The per-byte tables of the first `N` channels, or why the bounds do not have them.
    fn tables<const N: usize>(&self, what: &str) -> Result<[Table; N], String> {
        if self.mins.len() < N || self.maxs.len() < N {
            return Err(format!(
                "the {what} bounds have {} and {} values where {N} are needed",
                self.mins.len(),
                self.maxs.len()
            ));
        }
        Ok(std::array::from_fn(|k| ramp(self.mins[k], self.maxs[k])))
    }
}

#[derive(Deserialize)]
struct Files {
    files: Vec<String>,
}

#[derive(Deserialize)]
struct ShN {
    count: u32,
    bands: u8,
    codebook: Vec<f32>,
    files: Vec<String>,
}

#[derive(Deserialize)]
struct ShNV1 {
    mins: f64,
    maxs: f64,
    files: Vec<String>,
}

/// A byte's value: 256 entries.
type Table = [f32; 256];

/// What either meta version says, as per-byte tables.
struct Layout {
    count: u64,
    means: Lerp,
    /// Low bytes, high bytes.
    means_files: [String; 2],
    quats_file: String,
    /// Log scale per axis.
    scales: [Table; 3],
    scales_file: String,
    /// DC coefficient per channel, and opacity (after the sigmoid) from the alpha byte.
    dc: [Table; 3],
    opacity: Table,
    sh0_file: String,
    sh: Option<ShLayout>,
}

struct ShLayout {
    /// SH bands (1 to 3), or `None` to take them from the palette image's width (version 1).
    bands: Option<u8>,
    /// Palette entries, or `None` for as many as the palette image holds (version 1).
    palette: Option<u32>,
    code: Table,
    /// Palette (centroids), labels.
    files: [String; 2],
}

/// 256 entries of `codebook`, or why not.
fn codebook(what: &str, codebook: &[f32]) -> Result<Table, String> {
    <[f32; 256]>::try_from(codebook).map_err(|_| {
        format!(
            "the {what} codebook has {} entries instead of 256",
            codebook.len()
        )
    })
}

/// `min + (max − min) · byte / 255` for each byte.
fn ramp(min: f64, max: f64) -> Table {
    std::array::from_fn(|b| (min + (max - min) * b as f64 / 255.0) as f32)
}

/// `files[k]`, or which image `meta.json` does not name.
fn file(files: &[String], k: usize, what: &str) -> Result<String, String> {
    files
        .get(k)
        .cloned()
        .ok_or_else(|| format!("{META} names no {what} image"))
}

impl Layout {
    /// The layout `meta.json` describes, either version.
    fn parse(value: serde_json::Value) -> Result<Self, String> {
        // A version written `2.0` is version 2.
        let version = value.get("version").and_then(|v| {
            v.as_u64().or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
        });
        match version {
            Some(2) => {
                let meta: Meta = serde_json::from_value(value)
                    .map_err(|e| format!("{META} is not a SOG version 2 description: {e}"))?;
                let scale = codebook("scales", &meta.scales.codebook)?;
                let dc = codebook("sh0", &meta.sh0.codebook)?;
                let sh = match meta.sh_n {
                    Some(sh) if sh.bands > 3 => {
                        return Err(format!("shN has {} SH bands (at most 3)", sh.bands));
                    }
                    Some(sh) if sh.bands > 0 => Some(ShLayout {
                        bands: Some(sh.bands),
                        palette: Some(sh.count),
                        code: codebook("shN", &sh.codebook)?,
                        files: [
                            file(&sh.files, 0, "shN centroids")?,
                            file(&sh.files, 1, "shN labels")?,
                        ],
                    }),
                    _ => None,
                };
                Ok(Self {
                    count: meta.count,
                    means: Lerp::new(meta.means.mins, meta.means.maxs),
                    means_files: [
                        file(&meta.means.files, 0, "means (low bytes)")?,
                        file(&meta.means.files, 1, "means (high bytes)")?,
                    ],
                    quats_file: file(&meta.quats.files, 0, "quaternions")?,
                    scales: [scale; 3],
                    scales_file: file(&meta.scales.files, 0, "scales")?,
                    dc: [dc; 3],
                    opacity: std::array::from_fn(|b| b as f32 / 255.0),
                    sh0_file: file(&meta.sh0.files, 0, "sh0")?,
                    sh,
                })
            }
            None if value.get("lods").is_some() || value.get("tree").is_some() => Err(format!(
                "{META} describes a streamed level-of-detail SOG, which worldsmith does not read"
            )),
            None => {
                let meta: MetaV1 = serde_json::from_value(value).map_err(|e| {
                    format!("{META} is not a SOG description (version 2, or 1 without one): {e}")
                })?;
                let count = meta.means.shape.first().copied().unwrap_or(0);
                let sigmoid = |x: f32| 1.0 / (1.0 + (-x).exp());
                let [r, g, b, logit] = meta.sh0.tables::<4>("sh0")?;
                let sh = match meta.sh_n {
                    Some(sh) => Some(ShLayout {
                        bands: None,
                        palette: None,
                        code: ramp(sh.mins, sh.maxs),
                        files: [
                            file(&sh.files, 0, "shN centroids")?,
                            file(&sh.files, 1, "shN labels")?,
                        ],
                    }),
                    None => None,
                };
                Ok(Self {
                    count,
                    means: Lerp::new(meta.means.mins, meta.means.maxs),
                    means_files: [
                        file(&meta.means.files, 0, "means (low bytes)")?,
                        file(&meta.means.files, 1, "means (high bytes)")?,
                    ],
                    quats_file: file(&meta.quats.files, 0, "quaternions")?,
                    scales: meta.scales.tables::<3>("scales")?,
                    scales_file: file(&meta.scales.files, 0, "scales")?,
                    dc: [r, g, b],
                    opacity: logit.map(sigmoid),
                    sh0_file: file(&meta.sh0.files, 0, "sh0")?,
                    sh,
                })
            }
            Some(other) => Err(format!(
                "SOG version {other} is not read (worldsmith reads versions 1 and 2)"
            )),
        }
    }
}

/// Where a SOG's files come from.
trait Source {
    /// The whole file called `name` (at most `limit` bytes).
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String>;
}

/// A folder holding `meta.json` and the images.
struct Folder(PathBuf);

impl Source for Folder {
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let plain = !name.is_empty()
            && name != ".."
            && name != "."
            && !name.contains(['/', '\\', ':'])
            && Path::new(name).file_name().is_some();
        if !plain {
            return Err(format!(
                "'{name}' is not a plain file name in the SOG's folder"
            ));
        }
        let file = std::fs::File::open(self.0.join(name)).map_err(|e| format!("{name}: {e}"))?;
        read_limited(file, name, limit)
    }
}

/// A `.sog` zip archive.
struct Archive<R: Read + Seek>(zip::ZipArchive<R>);

impl<R: Read + Seek> Source for Archive<R> {
    fn read(&mut self, name: &str, limit: u64) -> Result<Vec<u8>, String> {
        let entry = self
            .0
            .by_name(name)
            .map_err(|e| format!("{name}: not in the archive ({e})"))?;
        read_limited(entry, name, limit)
    }
}

/// All of `reader`, refusing more than `limit` bytes.
fn read_limited(reader: impl Read, name: &str, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{name}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{name} is larger than the {limit} bytes worldsmith reads"
        ));
    }
    Ok(bytes)
}

/// Imports a `.sog` archive, or the SOG whose `meta.json` is `path`.
pub(super) fn import_sog(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    progress.check(path)?;
    let is_meta = path
        .file_name()
        .is_some_and(|n| n.eq_ignore_ascii_case(META));
    if is_meta {
        let folder = path.parent().unwrap_or(Path::new(".")).to_owned();
        // A folder's SOG is named after the folder.
        let name = folder.file_name().map_or_else(
            || super::stem_or(path, "Splats"),
            |n| n.to_string_lossy().into_owned(),
        );
        return import_from(path, &name, &mut Folder(folder), progress);
    }
    let file = std::fs::File::open(path).map_err(|error| ImportError::io(path, error))?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| fail(path, format!("not a readable zip archive: {e}")))?;
    import_from(
        path,
        &super::stem_or(path, "Splats"),
        &mut Archive(archive),
        progress,
    )
}

/// [`import_sog`] of a `.sog` archive already in memory; `path` only names it.
pub(super) fn import_sog_bytes(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| fail(path, format!("not a readable zip archive: {e}")))?;
    let name = super::stem_or(path, "Splats");
    import_from(path, &name, &mut Archive(archive), &Progress::new())
}

/// Whether `folder` holds a SOG: a `meta.json` naming means, quaternions, scales and SH.
pub fn is_sog_folder(folder: &Path) -> bool {
    let meta = folder.join(META);
    meta.is_file()
        && std::fs::File::open(&meta)
            .ok()
            .and_then(|f| read_limited(f, META, MAX_META_BYTES).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .is_some_and(|v| {
                ["means", "quats", "scales", "sh0"]
                    .iter()
                    .all(|k| v.get(k).is_some())
            })
}

fn fail(path: &Path, problem: String) -> ImportError {
    ImportError::Sog {
        file: path.display().to_string(),
        problem,
    }
}

/// One splat node called `name` holding the SOG that `source` serves (`path` names it in
/// messages).
fn import_from(
    path: &Path,
    name: &str,
    source: &mut dyn Source,
    progress: &Progress,
) -> Result<Imported, ImportError> {
    let (cloud, warnings) = read(path, source, progress)?;
    let turned = Transform::IDENTITY.with_rotation(super::ply::GL_FROM_CV);
    let scene = super::splat_scene(name, cloud, turned);
    Ok(Imported { scene, warnings })
}

/// The splats of a SOG, with warnings naming `path`.
fn read(
    path: &Path,
    source: &mut dyn Source,
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    let fail = |problem: String| fail(path, problem);
    let raw = source.read(META, MAX_META_BYTES).map_err(&fail)?;
    let value: serde_json::Value =
        serde_json::from_slice(&raw).map_err(|e| fail(format!("{META} is not valid JSON: {e}")))?;
    let layout = Layout::parse(value).map_err(&fail)?;
    if layout.count == 0 {
        return Err(fail("the SOG holds no splats".into()));
    }
    if layout.count > u64::from(MAX_SPLATS) {
        return Err(fail(format!(
            "{} splats, more than the {MAX_SPLATS} worldsmith reads",
            layout.count
        )));
    }
    let count = layout.count;
    let n = count as usize;
    let textures = 5 + if layout.sh.is_some() { 2 } else { 0 };
    progress.begin((textures + 1) * count);

    let mut texture = |name: &str, texels: (u64, u64)| {
        progress.check(path)?;
        let image = decode(source, name, texels).map_err(&fail)?;
        progress.advance(count);
        Ok::<_, ImportError>(image)
    };
    let per_splat = (count, count.saturating_mul(2) + (1 << 16));
    let [low, high] = &layout.means_files;
    let means_l = texture(low, per_splat)?;
    let means_u = texture(high, per_splat)?;
    let quats = texture(&layout.quats_file, per_splat)?;
    let scales = texture(&layout.scales_file, per_splat)?;
    let sh0 = texture(&layout.sh0_file, per_splat)?;
    let sh_images = match &layout.sh {
        Some(sh) => {
            // 64 palette entries to a row of one texel per coefficient; labels are 16 bits.
            let [palette_file, labels_file] = &sh.files;
            let centroids = texture(palette_file, (1, 64 * 15 * 1024))?;
            let width = centroids.width() as usize;
            let bands = match sh.bands {
                Some(bands) => bands,
                None => match width {
                    192 => 1,
                    512 => 2,
                    960 => 3,
                    _ => 0,
                },
            };
            let coeffs = SplatCloud::sh_rest_coefficients(bands);
            if bands == 0 || width != 64 * coeffs {
                return Err(fail(format!(
                    "the shN centroids image is {width} texels wide, which fits no SH band \
                     count{}",
                    sh.bands
                        .map(|b| format!(" ({b} bands need {})", 64 * coeffs))
                        .unwrap_or_default()
                )));
            }
            let palette = sh
                .palette
                .unwrap_or(64 * centroids.height())
                .min(64 * centroids.height());
            let labels = texture(labels_file, per_splat)?;
            Some((bands, coeffs, palette, &sh.code, centroids, labels))
        }
        None => None,
    };
    progress.check(path)?;

    let means = &layout.means;
    let texel = |image: &image::RgbaImage, i: usize| -> [u8; 4] {
        let at = i * 4;
        image
            .as_raw()
            .get(at..at + 4)
            .and_then(|t| t.try_into().ok())
            .unwrap_or([0; 4])
    };
    let (scale_table, dc_table, opacity_table) = (&layout.scales, &layout.dc, &layout.opacity);
    let records: Vec<Record> = (0..n)
        .into_par_iter()
        .map(|i| {
            let [xl, yl, zl, _] = texel(&means_l, i);
            let [xu, yu, zu, _] = texel(&means_u, i);
            let position = means.at([xl, yl, zl], [xu, yu, zu]);
            let [a, b, c, tag] = texel(&quats, i);
            let [s0, s1, s2, _] = texel(&scales, i);
            let scale = std::array::from_fn(|k| scale_table[k][usize::from([s0, s1, s2][k])].exp());
            let [r, g, bl, alpha] = texel(&sh0, i);
            let color: [f32; 3] =
                std::array::from_fn(|k| 0.5 + SH_C0 * dc_table[k][usize::from([r, g, bl][k])]);
            let finite = position
                .iter()
                .chain(&scale)
                .chain(&color)
                .all(|v| v.is_finite());
            let clean = |v: f32| if v.is_finite() { v } else { 0.0 };
            Record {
                position: position.map(clean),
                scale: scale.map(clean),
                color: color.map(clean),
                opacity: opacity_table[usize::from(alpha)],
                rotation: quaternion(a, b, c, tag),
                repaired: !finite,
            }
        })
        .collect();
    let (degree, sh_rest) = match &sh_images {
        Some((bands, coeffs, palette, code, centroids, labels)) => {
            let rest: Vec<f16> = (0..n)
                .into_par_iter()
                .flat_map_iter(|i| {
                    let [l0, l1, _, _] = texel(labels, i);
                    let label = u32::from(l0) | u32::from(l1) << 8;
                    let row = (label / 64) as usize;
                    let column = (label % 64) as usize * coeffs;
                    let known = label < *palette && row < centroids.height() as usize;
                    (0..*coeffs).flat_map(move |k| {
                        let [r, g, b, _] = if known {
                            texel(centroids, row * centroids.width() as usize + column + k)
                        } else {
                            [128; 4]
                        };
                        [r, g, b].map(|c| {
                            let v = if known { code[usize::from(c)] } else { 0.0 };
                            f16::from_f32(v.clamp(-65504.0, 65504.0))
                        })
                    })
                })
                .collect();
            (*bands, rest)
        }
        None => (0, Vec::new()),
    };
    let (cloud, repaired) = cloud_from_records(records, degree, sh_rest);
    let cloud = cloud.map_err(|e| fail(e.to_string()))?;
    let mut warnings = Vec::new();
    if repaired > 0 {
        warnings.push(format!(
            "{}: {repaired} splats decoded to a non-finite centre, scale or colour (replaced by 0)",
            path.display()
        ));
    }
    progress.set_done((textures + 1) * count);
    Ok((cloud, warnings))
}

/// The WebP image `name`, refused before decoding unless it has between `texels.0` and
/// `texels.1` texels.
fn decode(
    source: &mut dyn Source,
    name: &str,
    (least, most): (u64, u64),
) -> Result<image::RgbaImage, String> {
    let bytes = source.read(name, MAX_FILE_BYTES)?;
    let reader =
        || image::ImageReader::with_format(std::io::Cursor::new(&bytes), image::ImageFormat::WebP);
    let (width, height) = reader()
        .into_dimensions()
        .map_err(|e| format!("{name} is not a readable WebP image: {e}"))?;
    let texels = u64::from(width) * u64::from(height);
    if texels < least || texels > most {
        return Err(format!(
            "{name} is {width}×{height} texels where {least} to {most} are expected"
        ));
    }
    Ok(reader()
        .decode()
        .map_err(|e| format!("{name} is not a readable WebP image: {e}"))?
        .into_rgba8())
}

/// Positions from 16-bit fractions between the meta's bounds of `sign(x) · ln(|x| + 1)`.
struct Lerp {
    min: [f64; 3],
    span: [f64; 3],
}

impl Lerp {
    fn new(mins: [f64; 3], maxs: [f64; 3]) -> Self {
        // As the reference: an empty range spans 1 (its writer then stores 0).
        let span = std::array::from_fn(|c| {
            let span = maxs[c] - mins[c];
            if span == 0.0 || !span.is_finite() {
                1.0
            } else {
                span
            }
        });
        Self { min: mins, span }
    }

    fn at(&self, low: [u8; 3], high: [u8; 3]) -> [f32; 3] {
        std::array::from_fn(|c| {
            let v = f64::from(u16::from_le_bytes([low[c], high[c]])) / 65535.0;
            let t = self.min[c] + self.span[c] * v;
            let x = t.abs().exp_m1();
            (if t < 0.0 { -x } else { x }) as f32
        })
    }
}

/// A "smallest three" quaternion: `a b c` are the three smaller components of `w x y z` in
/// order, each `(byte / 255 · 2 − 1) / √2`; `tag − 252` is the index of the largest, which is
/// non-negative. Returned as `x y z w`; a tag outside 252..=255 gives the identity.
fn quaternion(a: u8, b: u8, c: u8, tag: u8) -> [f32; 4] {
    let Some(largest) = tag.checked_sub(252).filter(|&k| k < 4).map(usize::from) else {
        return [0.0, 0.0, 0.0, 1.0];
    };
    let small =
        [a, b, c].map(|v| (f32::from(v) / 255.0 * 2.0 - 1.0) * std::f32::consts::FRAC_1_SQRT_2);
    let mut wxyz = [0f32; 4];
    let mut rest = small.iter();
    for (k, slot) in wxyz.iter_mut().enumerate() {
        if k != largest {
            *slot = rest.next().copied().unwrap_or(0.0);
        }
    }
    let sum: f32 = small.iter().map(|v| v * v).sum();
    wxyz[largest] = (1.0 - sum).max(0.0).sqrt();
    let [w, x, y, z] = wxyz;
    let len = (w * w + x * x + y * y + z * z).sqrt();
    if len > 1e-6 {
        [x / len, y / len, z / len, w / len]
    } else {
        [0.0, 0.0, 0.0, 1.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quaternion_tags_name_the_dropped_component() {
        // w largest, the others zero (127.5 is not a byte: 128 is +0.0028).
        let q = quaternion(128, 128, 128, 252);
        assert!((q[3] - 1.0).abs() < 1e-4, "{q:?}");
        // x largest; then w, y, z follow in order: w = 1/√2 ⇒ byte 255.
        let q = quaternion(255, 128, 128, 253);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!((q[0] - h).abs() < 3e-3 && (q[3] - h).abs() < 3e-3, "{q:?}");
        assert_eq!(quaternion(0, 0, 0, 7), [0.0, 0.0, 0.0, 1.0]);
        let len: f32 = quaternion(0, 0, 0, 255)
            .iter()
            .map(|c| c * c)
            .sum::<f32>()
            .sqrt();
        assert!((len - 1.0).abs() < 1e-5);
    }

    #[test]
    fn positions_invert_the_log_transform() {
        let lerp = Lerp::new([-(3f64.ln_1p()), 0.0, 5.0], [3f64.ln_1p(), 0.0, 5.0]);
        let p = lerp.at([0, 0, 0], [0, 0, 0]);
        assert!((p[0] + 3.0).abs() < 1e-5, "{p:?}");
        assert_eq!(p[1], 0.0);
        let p = lerp.at([255, 0, 0], [255, 0, 0]);
        assert!((p[0] - 3.0).abs() < 1e-5, "{p:?}");
        // An empty range spans 1 from its minimum.
        assert!((p[2] - 5f64.exp_m1() as f32).abs() < 1e-2, "{p:?}");
    }
}
