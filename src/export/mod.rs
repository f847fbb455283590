//! `export` writes the edited world back out: glTF 2.0 (`.glb`, or `.gltf` + `.bin` + image
//! files) for meshes, materials, textures, lights, cameras and material variants
//! ([`gltf`]), INRIA 3DGS PLY for splats and point clouds ([`ply`]) and Niantic SPZ for splats
//! ([`spz`]).
//!
//! It reads a [`Scene`] and writes files; it never mutates the scene and knows nothing of the
//! GPU, egui or winit. Every file is written under a temporary name in its own folder and
//! renamed over the destination only when complete, so a failed or interrupted export never
//! leaves a half-written file under the real name. Problems are [`ExportError`]s that name
//! the file; what is written differently from the scene (a clamped value, a texture transform
//! glTF cannot express) comes back as warnings in the [`ExportReport`].

pub mod gltf;
pub(crate) mod gltf_animation;
pub mod ply;
pub mod spz;

use crate::scene::{MaterialId, MaterialVariant, NodeId, NodeKind, Scene, SplatCloud};
use glam::{DMat3, DVec3, Mat3, Mat4, Quat, Vec3};
use half::f16;
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a glTF export is packaged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GltfFormat {
    /// One binary `.glb` with buffers and images inside.
    #[default]
    Glb,
    /// A `.gltf` JSON file with a `.bin` buffer and image files beside it.
    Separate,
}

/// The file format splat layers are written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SplatFormat {
    /// INRIA 3DGS binary PLY (float properties, as trained).
    #[default]
    Ply,
    /// Niantic SPZ (gzip, quantised), version 3.
    Spz,
}

impl SplatFormat {
    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Ply => "ply",
            Self::Spz => "spz",
        }
    }
}

/// What an export writes and how.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportOptions {
    /// Only these nodes and everything under them (each topmost one keeps its world pose);
    /// `None` exports the whole scene.
    pub selection_only: Option<Vec<NodeId>>,
    /// Bake every node's world transform into its vertex data and write a flat list of
    /// nodes (groups are dropped; lights and cameras keep their world pose without scale).
    pub apply_transforms: bool,
    /// Also write hidden nodes (and nodes under hidden ones).
    pub include_hidden: bool,
    /// `.glb` or `.gltf` + files.
    pub format: GltfFormat,
    /// Format of the files splat layers are written to beside a glTF export.
    pub splats: SplatFormat,
}

/// What an export wrote.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportReport {
    /// Every file written, the main one first.
    pub files: Vec<PathBuf>,
    /// Bytes written in all files.
    pub bytes: u64,
    /// Nodes written to the glTF (or splats written to a splat file).
    pub count: usize,
    /// What was written differently from the scene, one line each (naming the file).
    pub warnings: Vec<String>,
}

/// Why an export failed. Every message names the file and the problem.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{file}: could not write: {error}")]
    Io { file: String, error: std::io::Error },
    #[error("{file}: nothing to export: {problem}")]
    Nothing { file: String, problem: String },
    #[error("{file}: cannot export: {problem}")]
    Unsupported { file: String, problem: String },
}

impl ExportError {
    fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            file: path.display().to_string(),
            error,
        }
    }
}

/// Writes `path` atomically: `write` fills a temporary file in the same folder, which is
/// flushed, synced and renamed over `path` only when `write` succeeds; on any failure the
/// temporary file is removed and `path` is untouched. Returns the bytes written.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<u64, ExportError> {
    let name = path
        .file_name()
        .ok_or_else(|| ExportError::Unsupported {
            file: path.display().to_string(),
            problem: "the path has no file name".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let file = std::fs::File::create(&temp)?;
        let mut counted = Counted {
            inner: std::io::BufWriter::with_capacity(1 << 20, file),
            written: 0,
        };
        write(&mut counted)?;
        counted.flush()?;
        let written = counted.written;
        let file = counted.inner.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)?;
        Ok(written)
    })();
    result.map_err(|error| {
        std::fs::remove_file(&temp).ok();
        ExportError::io(path, error)
    })
}

/// Counts the bytes that pass through.
struct Counted<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// One node to export, with its world matrix.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Exported {
    pub id: NodeId,
    pub world_from_local: Mat4,
    /// True for the topmost exported nodes (roots of the export).
    pub root: bool,
}

/// The nodes an export writes, in outliner order: hidden ones (and their subtrees) only with
/// `include_hidden`, and only the selected subtrees with `selection_only`.
pub(crate) fn exported_nodes(scene: &Scene, options: &ExportOptions) -> Vec<Exported> {
    let selected: Option<HashSet<NodeId>> = options
        .selection_only
        .as_ref()
        .map(|ids| ids.iter().copied().collect());
    let mut out = Vec::new();
    // Per depth: whether the node at that depth on the current path is exported.
    let mut inside: Vec<bool> = Vec::new();
    for wn in scene.walk() {
        inside.truncate(wn.depth);
        let parent_inside = inside.last().copied().unwrap_or(false);
        let here = parent_inside
            || selected
                .as_ref()
                .is_none_or(|s| s.contains(&wn.node.id) && (wn.depth == 0 || !parent_inside));
        let here = here && (options.include_hidden || wn.visible);
        inside.push(here);
        if here {
            out.push(Exported {
                id: wn.node.id,
                world_from_local: wn.world_from_local,
                root: !parent_inside,
            });
        }
    }
    out
}

/// The splat and point-cloud nodes an export would write beside the glTF.
pub fn cloud_nodes(scene: &Scene, options: &ExportOptions) -> Vec<NodeId> {
    exported_nodes(scene, options)
        .into_iter()
        .filter(|e| {
            scene.node(e.id).is_some_and(|n| {
                matches!(n.kind, NodeKind::Splats { .. } | NodeKind::Points { .. })
            })
        })
        .map(|e| e.id)
        .collect()
}

/// Exports the scene as glTF (see [`gltf`]) with its variants' material changes as
/// KHR_materials_variants (see [`with_variant_materials`]).
pub fn export_gltf(
    scene: &Scene,
    path: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    let (scene, variants) = with_variant_materials(scene);
    gltf::export(&scene, &variants, path, options)
}

/// The scene's variants as glTF material variants: every variant that swaps materials or
/// changes material values (or changes nothing at all, like an imported "Plain"). glTF's
/// variants only switch whole materials, so a material whose values a variant overrides is
/// added to the returned copy of the scene as "<material> (<variant>)" and mapped for that
/// variant. Lighting-only variants have no glTF equivalent and are left out (export one of
/// them with `worldsmith export --variant NAME`).
pub fn with_variant_materials(scene: &Scene) -> (Scene, Vec<MaterialVariant>) {
    let mut out = scene.clone();
    let mut list = Vec::new();
    for variant in &scene.variants().list {
        let o = &variant.overrides;
        let touches_materials =
            o.assigned_materials().next().is_some() || o.materials.values().any(|m| !m.is_empty());
        if !touches_materials && !o.is_empty() {
            continue;
        }
        // Made once per (variant, material) and shared by every node showing it.
        let mut made: std::collections::BTreeMap<MaterialId, MaterialId> = Default::default();
        let mut assignments = Vec::new();
        for node in scene.nodes() {
            let NodeKind::Mesh { material: base, .. } = node.kind else {
                continue;
            };
            let swapped = o
                .node(node.id)
                .and_then(|n| n.material)
                .filter(|m| scene.material(*m).is_some())
                .unwrap_or(base);
            let valued = o.material(swapped).is_some_and(|m| !m.is_empty());
            let shown = if valued {
                match made.get(&swapped) {
                    Some(id) => *id,
                    None => {
                        let Some(source) = scene.material(swapped) else {
                            continue;
                        };
                        let mut m = o
                            .material(swapped)
                            .map_or(source.clone(), |mo| mo.apply(source));
                        m.name = format!("{} ({})", source.name, variant.name);
                        let id = out.add_material(m);
                        made.insert(swapped, id);
                        id
                    }
                }
            } else {
                swapped
            };
            if shown != base {
                assignments.push((node.id, shown));
            }
        }
        list.push(MaterialVariant {
            name: variant.name.clone(),
            assignments,
        });
    }
    (out, list)
}

/// Writes the splat, point-cloud or line node `node` to `path` (PLY or SPZ by `format`; point
/// clouds and line sets are always PLY, a line set's segments as its `edge` element) with
/// its world transform applied.
pub fn export_cloud(
    scene: &Scene,
    node: NodeId,
    path: &Path,
    format: SplatFormat,
) -> Result<ExportReport, ExportError> {
    let file = path.display().to_string();
    let Some(n) = scene.node(node) else {
        return Err(ExportError::Nothing {
            file,
            problem: format!("node {} is not in the scene", node.0),
        });
    };
    let world_from_local = scene.world_from_local(node);
    match &n.kind {
        NodeKind::Splats { cloud } => {
            let Some(cloud) = scene.splat_cloud(*cloud) else {
                return Err(ExportError::Nothing {
                    file,
                    problem: format!("'{}' has no splat data", n.name),
                });
            };
            let (bytes, warnings) = match format {
                SplatFormat::Ply => (
                    ply::write_splats(path, cloud, world_from_local)?,
                    // PLY has no field for the draw mode (SPZ's header has).
                    if cloud.antialiased {
                        vec![format!(
                            "{file}: '{}' was trained with antialiasing; a PLY cannot say so, \
                             so viewers will draw it slightly denser (SPZ keeps the flag)",
                            n.name
                        )]
                    } else {
                        Vec::new()
                    },
                ),
                SplatFormat::Spz => spz::write_splats(path, cloud, world_from_local)?,
            };
            Ok(ExportReport {
                files: vec![path.to_owned()],
                bytes,
                count: cloud.len(),
                warnings,
            })
        }
        NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
            let lines = matches!(n.kind, NodeKind::Lines { .. });
            if format == SplatFormat::Spz {
                let what = if lines { "a line set" } else { "a point cloud" };
                return Err(ExportError::Unsupported {
                    file,
                    problem: format!("'{}' is {what}; SPZ holds only splats", n.name),
                });
            }
            let Some(cloud) = scene.point_cloud(*cloud) else {
                return Err(ExportError::Nothing {
                    file,
                    problem: format!("'{}' has no point data", n.name),
                });
            };
            let bytes = ply::write_points(path, cloud, world_from_local, lines)?;
            Ok(ExportReport {
                files: vec![path.to_owned()],
                bytes,
                count: cloud.len(),
                warnings: Vec::new(),
            })
        }
        _ => Err(ExportError::Unsupported {
            file,
            problem: format!("'{}' is a {}, not splats or points", n.name, n.kind.label()),
        }),
    }
}

/// A file-name-safe form of a node name: letters, digits, `-` and `_` kept, anything else
/// becomes `_`; never empty.
pub(crate) fn file_safe(name: &str) -> String {
    let safe: String = name
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() { "node".into() } else { safe }
}

// ---------------------------------------------------------------------------------------------
// Splats under a transform

/// The splats of `cloud` moved by `out_from_local` (any affine matrix): centres transformed,
/// each Gaussian's covariance `A Σ Aᵀ` (A the linear part) re-expressed as rotation and
/// scales, and the view-dependent colour (SH bands 1–3) rotated by A's orthogonal part.
///
/// For a rotation with uniform scale (mirrors included) this is exact. Under non-uniform
/// scale the shapes are still exact (eigen-decomposition of the new covariance), but the SH
/// are rotated by the orthogonal part of A only (Gram–Schmidt), an approximation: a squashed
/// direction field is not a rotation.
pub fn transform_splats(cloud: &SplatCloud, out_from_local: Mat4) -> SplatCloud {
    transform_splats_where(cloud, out_from_local, None)
}

/// [`transform_splats`] for the splats `only` holds (one bit per splat; all when `None`): the
/// others come back as they were. A mask of another length moves none.
pub fn transform_splats_where(
    cloud: &SplatCloud,
    out_from_local: Mat4,
    only: Option<&crate::scene::ElementMask>,
) -> SplatCloud {
    let moves = |i: usize| only.is_none_or(|m| m.len() == cloud.len() && m.get(i));
    let a = Mat3::from_mat4(out_from_local);
    let (similarity, q) = orthogonal_part(a);
    let n = SplatCloud::sh_rest_coefficients(cloud.sh_degree);
    // Nothing to rotate without SH above degree 0 (and `chunks_exact_mut(0)` would panic).
    let sh_matrices = if n == 0 || q.abs_diff_eq(Mat3::IDENTITY, 1e-7) {
        None
    } else {
        Some(sh_rotation_matrices(q, cloud.sh_degree))
    };
    let mut positions = Vec::with_capacity(cloud.len());
    let mut rotations = Vec::with_capacity(cloud.len());
    let mut scales = Vec::with_capacity(cloud.len());
    for i in 0..cloud.len() {
        let p = cloud.positions.get(i).copied().unwrap_or_default();
        let r = cloud
            .rotations
            .get(i)
            .copied()
            .unwrap_or([0.0, 0.0, 0.0, 1.0]);
        let s = cloud.scales.get(i).copied().unwrap_or([0.0; 3]);
        if !moves(i) {
            positions.push(p);
            rotations.push(r);
            scales.push(s);
            continue;
        }
        positions.push(out_from_local.transform_point3(Vec3::from(p)).to_array());
        let r = Quat::from_array(r).normalize();
        let (rotation, scale) = match similarity {
            Some(factor) => {
                // A = factor · q; a mirror q has det -1: -q·R then is a rotation with the
                // same covariance.
                let qr = q * Mat3::from_quat(r);
                let qr = if qr.determinant() < 0.0 { -qr } else { qr };
                (
                    Quat::from_mat3(&qr).normalize(),
                    Vec3::from(s) * factor.abs(),
                )
            }
            None => {
                covariance_rotation_scale(a * Mat3::from_quat(r) * Mat3::from_diagonal(s.into()))
            }
        };
        rotations.push(rotation.to_array());
        scales.push(scale.to_array());
    }
    let sh_rest = match &sh_matrices {
        None => cloud.sh_rest.clone(),
        Some(bands) => {
            let mut out = cloud.sh_rest.clone();
            for (i, splat) in out.chunks_exact_mut(n * 3).enumerate() {
                if !moves(i) {
                    continue;
                }
                for c in 0..3 {
                    let mut start = 0;
                    for band in bands {
                        let size = band.len();
                        let old: Vec<f64> = (0..size)
                            .map(|k| {
                                f64::from(
                                    splat.get((start + k) * 3 + c).map_or(0.0, |v| v.to_f32()),
                                )
                            })
                            .collect();
                        for (k, row) in band.iter().enumerate() {
                            let v: f64 = row.iter().zip(&old).map(|(m, o)| m * o).sum();
                            if let Some(slot) = splat.get_mut((start + k) * 3 + c) {
                                *slot = f16::from_f64(v);
                            }
                        }
                        start += size;
                    }
                }
            }
            out
        }
    };
    SplatCloud::new(
        positions,
        rotations,
        scales,
        cloud.opacities.clone(),
        cloud.colors.clone(),
        cloud.sh_degree,
        sh_rest,
    )
    .map(|out| out.with_antialiased(cloud.antialiased))
    // Same counts as the valid input cloud.
    .unwrap_or_else(|_| cloud.clone())
}

/// `(Some(s), Q)` when `a = s·Q` with `Q` orthogonal (a rotation, possibly with a mirror, and
/// a uniform scale), else `(None, Q)` with `Q` the Gram–Schmidt orthonormalisation of `a`.
fn orthogonal_part(a: Mat3) -> (Option<f32>, Mat3) {
    let cols = [a.x_axis, a.y_axis, a.z_axis];
    let lengths = cols.map(Vec3::length);
    let max = lengths.iter().copied().fold(0.0f32, f32::max);
    if max <= 0.0 || !max.is_finite() {
        return (None, Mat3::IDENTITY);
    }
    let uniform = lengths.iter().all(|l| (l - max).abs() <= 1e-5 * max)
        && cols[0].dot(cols[1]).abs() <= 1e-5 * max * max
        && cols[0].dot(cols[2]).abs() <= 1e-5 * max * max
        && cols[1].dot(cols[2]).abs() <= 1e-5 * max * max;
    if uniform {
        let s = if a.determinant() < 0.0 { -max } else { max };
        let q = a * (1.0 / max);
        return (Some(s), q);
    }
    let x = cols[0].normalize_or(Vec3::X);
    let y = (cols[1] - x * x.dot(cols[1])).normalize_or(x.any_orthonormal_vector());
    let z = x.cross(y);
    let z = if z.dot(cols[2]) < 0.0 { -z } else { z };
    (None, Mat3::from_cols(x, y, z))
}

/// Rotation and standard deviations of the Gaussian whose covariance is `m mᵀ`.
fn covariance_rotation_scale(m: Mat3) -> (Quat, Vec3) {
    let m = m.as_dmat3();
    let cov = m * m.transpose();
    let (values, vectors) = symmetric_eigen(cov);
    let mut vectors = vectors;
    if vectors.determinant() < 0.0 {
        vectors.z_axis = -vectors.z_axis;
    }
    let scale = DVec3::new(
        values.x.max(0.0).sqrt(),
        values.y.max(0.0).sqrt(),
        values.z.max(0.0).sqrt(),
    );
    (
        Quat::from_mat3(&vectors.as_mat3()).normalize(),
        scale.as_vec3(),
    )
}

/// Eigenvalues and unit eigenvectors (as columns) of a symmetric 3×3 matrix, by cyclic Jacobi
/// rotations.
fn symmetric_eigen(m: DMat3) -> (DVec3, DMat3) {
    let mut a = m.to_cols_array_2d();
    let mut v = DMat3::IDENTITY.to_cols_array_2d();
    for _ in 0..32 {
        let off = a[0][1].abs() + a[0][2].abs() + a[1][2].abs();
        if off < 1e-30 {
            break;
        }
        for (p, q) in [(0usize, 1usize), (0, 2), (1, 2)] {
            if a[p][q].abs() < 1e-300 {
                continue;
            }
            let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
            let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
            let t = if theta == 0.0 { 1.0 } else { t };
            let c = 1.0 / (t * t + 1.0).sqrt();
            let s = t * c;
            // A ← Jᵀ A J for the rotation J in the (p, q) plane.
            for row in &mut a {
                let (akp, akq) = (row[p], row[q]);
                row[p] = c * akp - s * akq;
                row[q] = s * akp + c * akq;
            }
            let (row_p, row_q) = (a[p], a[q]);
            a[p] = std::array::from_fn(|k| c * row_p[k] - s * row_q[k]);
            a[q] = std::array::from_fn(|k| s * row_p[k] + c * row_q[k]);
            for row in &mut v {
                let (vp, vq) = (row[p], row[q]);
                row[p] = c * vp - s * vq;
                row[q] = s * vp + c * vq;
            }
        }
    }
    // `v` holds columns as arrays of the column-major layout: v[col][row]. The updates above
    // treat v[k] as row k, so the eigenvectors are its rows: transpose back.
    let vectors = DMat3::from_cols_array_2d(&v).transpose();
    (DVec3::new(a[0][0], a[1][1], a[2][2]), vectors)
}

/// The real SH basis of band `l` (1..=3) at unit direction `d`, in 3DGS order (the
/// coefficient order of `f_rest_*` and SPZ) with its constants (they differ within a band, so
/// they matter to a rotation).
fn sh_band(l: usize, d: DVec3) -> Vec<f64> {
    const C1: f64 = 0.488_602_511_902_919_9;
    const C2: [f64; 5] = [
        1.092_548_430_592_079_2,
        -1.092_548_430_592_079_2,
        0.315_391_565_252_520_05,
        -1.092_548_430_592_079_2,
        0.546_274_215_296_039_6,
    ];
    const C3: [f64; 7] = [
        -0.590_043_589_926_643_5,
        2.890_611_442_640_554,
        -0.457_045_799_464_465_8,
        0.373_176_332_590_115_4,
        -0.457_045_799_464_465_8,
        1.445_305_721_320_277,
        -0.590_043_589_926_643_5,
    ];
    let (x, y, z) = (d.x, d.y, d.z);
    match l {
        1 => vec![-C1 * y, C1 * z, -C1 * x],
        2 => vec![
            C2[0] * x * y,
            C2[1] * y * z,
            C2[2] * (2.0 * z * z - x * x - y * y),
            C2[3] * x * z,
            C2[4] * (x * x - y * y),
        ],
        _ => vec![
            C3[0] * y * (3.0 * x * x - y * y),
            C3[1] * x * y * z,
            C3[2] * y * (4.0 * z * z - x * x - y * y),
            C3[3] * z * (2.0 * z * z - 3.0 * x * x - 3.0 * y * y),
            C3[4] * x * (4.0 * z * z - x * x - y * y),
            C3[5] * z * (x * x - y * y),
            C3[6] * x * (x * x - 3.0 * y * y),
        ],
    }
}

/// Per band 1..=degree, the matrix `D` with `c' = D c` such that the rotated function
/// `f'(d) = f(Qᵀ d)` (Q orthogonal). Bands are closed under rotation, so fitting `f'` at
/// enough directions (least squares over a Fibonacci sphere) gives `D` exactly; for the
/// orthonormal SH basis `D` is orthogonal (a band's energy is kept).
fn sh_rotation_matrices(q: Mat3, degree: u8) -> Vec<Vec<Vec<f64>>> {
    let q = q.as_dmat3();
    let samples = 48;
    let directions: Vec<DVec3> = (0..samples)
        .map(|i| {
            let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
            let y = 1.0 - 2.0 * (i as f64 + 0.5) / samples as f64;
            let r = (1.0 - y * y).sqrt();
            let phi = golden * i as f64;
            DVec3::new(r * phi.cos(), y, r * phi.sin())
        })
        .collect();
    (1..=usize::from(degree.min(3)))
        .map(|l| {
            let size = 2 * l + 1;
            let b: Vec<Vec<f64>> = directions.iter().map(|d| sh_band(l, *d)).collect();
            let b_rot: Vec<Vec<f64>> = directions
                .iter()
                .map(|d| sh_band(l, q.transpose() * *d))
                .collect();
            // Normal equations: (BᵀB) D = Bᵀ B'.
            let mut btb = vec![vec![0.0; size]; size];
            let mut btb_rot = vec![vec![0.0; size]; size];
            for (row, row_rot) in b.iter().zip(&b_rot) {
                for i in 0..size {
                    for j in 0..size {
                        btb[i][j] += row[i] * row[j];
                        btb_rot[i][j] += row[i] * row_rot[j];
                    }
                }
            }
            solve(btb, btb_rot)
        })
        .collect()
}

/// Solves `A X = B` for square `A` by Gauss–Jordan elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<Vec<f64>>) -> Vec<Vec<f64>> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let p = a[col][col];
        if p.abs() < 1e-300 {
            continue;
        }
        for j in 0..n {
            a[col][j] /= p;
            b[col][j] /= p;
        }
        for i in 0..n {
            if i != col {
                let f = a[i][col];
                if f != 0.0 {
                    for j in 0..n {
                        a[i][j] -= f * a[col][j];
                        b[i][j] -= f * b[col][j];
                    }
                }
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(band: usize, coefficients: &[f64], d: DVec3) -> f64 {
        sh_band(band, d)
            .iter()
            .zip(coefficients)
            .map(|(y, c)| y * c)
            .sum()
    }

    #[test]
    fn sh_rotation_moves_the_function_with_the_splat() {
        let q = Mat3::from_quat(Quat::from_euler(glam::EulerRot::YXZ, 0.7, -0.4, 1.9));
        let bands = sh_rotation_matrices(q, 3);
        assert_eq!(bands.len(), 3);
        for (l, d_matrix) in bands.iter().enumerate() {
            let l = l + 1;
            let c: Vec<f64> = (0..2 * l + 1).map(|k| (k as f64 * 0.37).sin()).collect();
            let rotated: Vec<f64> = d_matrix
                .iter()
                .map(|row| row.iter().zip(&c).map(|(m, v)| m * v).sum())
                .collect();
            // Orthonormal basis: the rotation keeps each band's energy.
            for (i, row) in d_matrix.iter().enumerate() {
                for (j, other) in d_matrix.iter().enumerate() {
                    let dot: f64 = row.iter().zip(other).map(|(a, b)| a * b).sum();
                    let want = if i == j { 1.0 } else { 0.0 };
                    // Q itself is orthogonal only to f32 precision.
                    assert!((dot - want).abs() < 1e-5, "band {l}: D is not orthogonal");
                }
            }
            for d in [
                DVec3::X,
                DVec3::new(0.3, -0.5, 0.8).normalize(),
                DVec3::NEG_Z,
            ] {
                let before = eval(l, &c, d);
                let after = eval(l, &rotated, q.as_dmat3() * d);
                assert!(
                    (before - after).abs() < 1e-6,
                    "band {l}: {before} vs {after}"
                );
            }
        }
    }

    #[test]
    fn covariance_survives_non_uniform_scale() {
        let r = Quat::from_rotation_z(0.5) * Quat::from_rotation_x(0.2);
        let s = Vec3::new(0.1, 0.4, 0.02);
        let m = Mat4::from_scale_rotation_translation(
            Vec3::new(2.0, 1.0, 0.5),
            Quat::from_rotation_y(0.8),
            Vec3::ONE,
        );
        let a = Mat3::from_mat4(m);
        let want = a * Mat3::from_quat(r) * Mat3::from_diagonal(s);
        let want = want * want.transpose();
        let (q2, s2) = covariance_rotation_scale(a * Mat3::from_quat(r) * Mat3::from_diagonal(s));
        let got = Mat3::from_quat(q2) * Mat3::from_diagonal(s2);
        let got = got * got.transpose();
        assert!(got.abs_diff_eq(want, 1e-5), "{got:?} vs {want:?}");
    }

    #[test]
    fn similarity_keeps_shapes_and_mirrors_stay_rotations() {
        let cloud = SplatCloud::new(
            vec![[1.0, 2.0, 3.0]],
            vec![Quat::from_rotation_x(0.3).to_array()],
            vec![[0.1, 0.2, 0.3]],
            vec![0.5],
            vec![[0.2, 0.4, 0.6]],
            1,
            [f16::from_f32(0.1), f16::from_f32(0.2), f16::from_f32(0.3)].repeat(3),
        )
        .unwrap();
        let m = Mat4::from_scale(Vec3::new(-2.0, 2.0, 2.0));
        let out = transform_splats(&cloud, m);
        assert_eq!(out.positions[0], [-2.0, 4.0, 6.0]);
        let q = Quat::from_array(out.rotations[0]);
        assert!((q.length() - 1.0).abs() < 1e-5);
        let cov = |r: Mat3, s: Vec3| {
            let m = r * Mat3::from_diagonal(s);
            m * m.transpose()
        };
        let want = Mat3::from_mat4(m)
            * cov(
                Mat3::from_quat(Quat::from_array(cloud.rotations[0])),
                Vec3::new(0.1, 0.2, 0.3),
            )
            * Mat3::from_mat4(m).transpose();
        let got = cov(Mat3::from_quat(q), Vec3::from(out.scales[0]));
        assert!(got.abs_diff_eq(want, 1e-5));
    }

    /// Splats with no SH above degree 0 under a rotation: nothing to rotate in the colour
    /// (this panicked in `chunks_exact_mut(0)` before, for export and for SPZ-in-glTF import).
    #[test]
    fn degree_zero_splats_turn_without_sh() {
        let cloud = SplatCloud::new(
            vec![[1.0, 2.0, 3.0]],
            vec![Quat::IDENTITY.to_array()],
            vec![[0.1, 0.2, 0.3]],
            vec![0.5],
            vec![[0.2, 0.4, 0.6]],
            0,
            Vec::new(),
        )
        .unwrap();
        let out = transform_splats(&cloud, Mat4::from_scale(Vec3::new(-1.0, 1.0, -1.0)));
        assert_eq!(out.positions[0], [-1.0, 2.0, -3.0]);
        assert_eq!(out.sh_degree, 0);
        assert!(out.sh_rest.is_empty());
        assert_eq!(out.colors, cloud.colors);
    }

    #[test]
    fn hidden_and_unselected_nodes_are_left_out() {
        let mut scene = Scene::new("t");
        let a = scene.add_node(
            None,
            "a",
            crate::scene::Transform::IDENTITY,
            NodeKind::Empty,
        );
        let b = scene.add_node(
            Some(a),
            "b",
            crate::scene::Transform::IDENTITY,
            NodeKind::Empty,
        );
        let c = scene.add_node(
            None,
            "c",
            crate::scene::Transform::IDENTITY,
            NodeKind::Empty,
        );
        scene.set_visible(a, false);
        let ids = |o: &ExportOptions| -> Vec<NodeId> {
            exported_nodes(&scene, o).iter().map(|e| e.id).collect()
        };
        assert_eq!(ids(&ExportOptions::default()), vec![c]);
        let all = ExportOptions {
            include_hidden: true,
            ..Default::default()
        };
        assert_eq!(ids(&all), vec![a, b, c]);
        let selected = ExportOptions {
            include_hidden: true,
            selection_only: Some(vec![b]),
            ..Default::default()
        };
        let nodes = exported_nodes(&scene, &selected);
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].id, b);
        assert!(nodes[0].root);
    }
}
