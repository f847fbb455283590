//! The `.wsproj` container: one file, GLB-like.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"WSPROJ\r\n"            (the \r\n catches text-mode mangling)
//! 8       4     format version, u32 LE          (FORMAT_VERSION)
//! 12      4     flags, u32 LE                   (0; reserved)
//! 16      8     JSON length J, u64 LE
//! 24      8     binary length B, u64 LE
//! 32      J     JSON (UTF-8): ProjectJson
//! ..      0-7   zero padding to a multiple of 8
//! P       B     binary chunk: raw little-endian arrays, each at an 8-aligned offset
//! P+B     4     CRC-32 (IEEE) of every byte before it, u32 LE
//! P+B+4   4     end marker b"WEND"
//! ```
//!
//! The JSON holds the small data through the scene types' own serde derives (nodes,
//! materials, lights, cameras, environment, variants) and refers to each big array by
//! `{offset, count, type}` relative to the binary chunk. Arrays appear in the binary chunk in
//! the order the JSON lists them, so both writing and reading stream: the writer borrows
//! each array from the scene and writes it straight out, the reader reads each one straight
//! into its `Vec`. Every reference is checked (type, alignment, order, bounds) before its
//! `Vec` is allocated, and the file's total size must match the header exactly, so no
//! allocation can exceed the file's real length.

use super::{EditorState, Project, ProjectError};
use crate::import::Progress;
use crate::scene::morph::{Morph, MorphTarget};
use crate::scene::skin::{Influences, Skin};
use crate::scene::{
    EncodedImage, Environment, Image, ImageId, Material, MaterialId, MaterialVariant, Mesh, MeshId,
    Node, NodeId, PointCloud, PointCloudId, Scene, SceneParts, SplatCloud, SplatCloudId, Timeline,
    Variants,
};
use half::f16;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

// The arrays are written as the machine holds them; the format is little-endian.
#[cfg(target_endian = "big")]
compile_error!("the .wsproj writer and reader assume a little-endian machine");

/// The first eight bytes of every project file.
pub const MAGIC: [u8; 8] = *b"WSPROJ\r\n";
/// The last four bytes of every project file.
const END: [u8; 4] = *b"WEND";
/// The container version this build writes and the newest it reads. Version 2 (this): the
/// tangents the glTF importer generates follow glTF's handedness; version 1 files are
/// brought up to it on load (`migrate`).
pub const FORMAT_VERSION: u32 = 2;
/// Bytes before the JSON.
pub const HEADER_LEN: u64 = 32;
/// Bytes after the binary chunk (CRC + end marker).
const TRAILER_LEN: u64 = 8;
/// How much of a big array is read between progress reports and cancel checks.
const READ_PIECE: usize = 8 << 20;
/// Environment variable for the kill-during-save test: stall (sleep) once this many bytes
/// of a project have been written, with them flushed to disk.
pub const STALL_ENV: &str = "WORLDSMITH_TEST_STALL_SAVE_AFTER_BYTES";

/// Where an array lives in the binary chunk.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct ArrayRef {
    /// Byte offset from the start of the binary chunk.
    offset: u64,
    /// Number of elements.
    count: u64,
    /// Element type, e.g. `f32x3`.
    #[serde(rename = "type")]
    kind: String,
}

/// Array element types and their names in the JSON.
trait Element: bytemuck::Pod {
    const KIND: &'static str;
}
impl Element for u8 {
    const KIND: &'static str = "u8";
}
impl Element for [u8; 4] {
    const KIND: &'static str = "u8x4";
}
impl Element for u32 {
    const KIND: &'static str = "u32";
}
impl Element for f32 {
    const KIND: &'static str = "f32";
}
impl Element for [f32; 2] {
    const KIND: &'static str = "f32x2";
}
impl Element for [f32; 3] {
    const KIND: &'static str = "f32x3";
}
impl Element for [f32; 4] {
    const KIND: &'static str = "f32x4";
}
impl Element for [u32; 2] {
    const KIND: &'static str = "u32x2";
}
impl Element for f16 {
    const KIND: &'static str = "f16";
}
impl Element for [u16; 4] {
    const KIND: &'static str = "u16x4";
}

#[derive(Serialize, Deserialize)]
struct ProjectJson {
    format_version: u32,
    /// Version of the worldsmith that wrote the file.
    worldsmith: String,
    scene: SceneJson,
    #[serde(default)]
    editor: EditorState,
}

#[derive(Serialize, Deserialize)]
struct SceneJson {
    name: String,
    next_id: u64,
    roots: Vec<NodeId>,
    nodes: Vec<Node>,
    materials: Vec<MaterialJson>,
    environment: Environment,
    #[serde(default)]
    variants: Variants,
    /// Shots, tracks and keys.
    #[serde(default)]
    timeline: Timeline,
    /// Written by format 1 files before variants existed: glTF material variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    material_variants: Vec<MaterialVariant>,
    #[serde(default)]
    meshes: Vec<MeshJson>,
    #[serde(default)]
    images: Vec<ImageJson>,
    #[serde(default)]
    point_clouds: Vec<PointCloudJson>,
    #[serde(default)]
    splat_clouds: Vec<SplatCloudJson>,
    /// Skinned mesh nodes (absent in projects saved before skins were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    skins: Vec<SkinJson>,
    /// Mesh nodes with morph targets (absent in projects saved before they were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    morphs: Vec<MorphJson>,
}

/// A mesh node's skin: its joints, inverse bind matrices (column-major), the mesh as bound
/// (its `id` unused) and each vertex's joints and weights per set.
#[derive(Serialize, Deserialize)]
struct SkinJson {
    node: NodeId,
    joints: Vec<NodeId>,
    joint_from_bind: Vec<[f32; 16]>,
    bind: MeshJson,
    influences: Vec<InfluenceJson>,
    /// The joints' rest transforms (absent in projects saved before they were kept).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    rest: Vec<crate::scene::Transform>,
}

/// A mesh node's morph targets: the mesh before them (absent: the node's skin's bind mesh,
/// the same data), each target's displacements, names and the current weights.
#[derive(Serialize, Deserialize)]
struct MorphJson {
    node: NodeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base: Option<MeshJson>,
    targets: Vec<MorphTargetJson>,
    names: Vec<String>,
    weights: Vec<f32>,
    #[serde(default)]
    derive_normals: bool,
    /// One per target when any is muted (absent in projects saved before muting).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    muted: Vec<bool>,
    /// One slider range per target when any differs from 0–1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    ranges: Vec<[f32; 2]>,
}

#[derive(Serialize, Deserialize)]
struct MorphTargetJson {
    positions: ArrayRef,
    normals: ArrayRef,
    tangents: ArrayRef,
}

#[derive(Serialize, Deserialize)]
struct InfluenceJson {
    joints: ArrayRef,
    weights: ArrayRef,
}

#[derive(Serialize, Deserialize)]
struct MaterialJson {
    id: MaterialId,
    material: Material,
}

#[derive(Serialize, Deserialize)]
struct MeshJson {
    id: MeshId,
    positions: ArrayRef,
    normals: ArrayRef,
    uvs: ArrayRef,
    uvs1: ArrayRef,
    colors: ArrayRef,
    tangents: ArrayRef,
    indices: ArrayRef,
    /// The shape parameters of a mesh made with Add ▸ (so they stay editable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    primitive: Option<crate::scene::Primitive>,
}

#[derive(Serialize, Deserialize)]
struct ImageJson {
    id: ImageId,
    name: String,
    width: u32,
    height: u32,
    rgba8: ArrayRef,
    /// The encoded file the pixels came from (kept for export), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<ImageSourceJson>,
}

#[derive(Serialize, Deserialize)]
struct ImageSourceJson {
    mime: String,
    bytes: ArrayRef,
}

#[derive(Serialize, Deserialize)]
struct PointCloudJson {
    id: PointCloudId,
    positions: ArrayRef,
    colors: ArrayRef,
    normals: ArrayRef,
    /// Line segments as point index pairs (absent for a plain cloud, and in projects saved
    /// before line sets existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segments: Option<ArrayRef>,
}

#[derive(Serialize, Deserialize)]
struct SplatCloudJson {
    id: SplatCloudId,
    sh_degree: u8,
    /// Drawn in antialiased mode (absent in projects saved before it existed: false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    antialiased: bool,
    positions: ArrayRef,
    rotations: ArrayRef,
    scales: ArrayRef,
    opacities: ArrayRef,
    colors: ArrayRef,
    sh_rest: ArrayRef,
}

fn align8(n: u64) -> u64 {
    n.div_ceil(8) * 8
}

// ---------------------------------------------------------------------------------------
// Writing

/// The arrays to write, borrowed from the scene, in binary-chunk order.
#[derive(Default)]
struct Plan<'a> {
    blobs: Vec<(u64, &'a [u8])>,
    end: u64,
}

impl<'a> Plan<'a> {
    fn add<T: Element>(&mut self, data: &'a [T]) -> ArrayRef {
        let bytes: &'a [u8] = bytemuck::cast_slice(data);
        let offset = if bytes.is_empty() {
            self.end
        } else {
            align8(self.end)
        };
        if !bytes.is_empty() {
            self.blobs.push((offset, bytes));
            self.end = offset + bytes.len() as u64;
        }
        ArrayRef {
            offset,
            count: data.len() as u64,
            kind: T::KIND.to_owned(),
        }
    }
}

/// A mesh's description, its arrays added to `plan`.
fn mesh_json<'a>(plan: &mut Plan<'a>, id: MeshId, mesh: &'a Mesh) -> MeshJson {
    MeshJson {
        id,
        positions: plan.add(&mesh.positions),
        normals: plan.add(&mesh.normals),
        uvs: plan.add(&mesh.uvs),
        uvs1: plan.add(&mesh.uvs1),
        colors: plan.add(&mesh.colors),
        tangents: plan.add(&mesh.tangents),
        indices: plan.add(&mesh.indices),
        primitive: mesh.primitive,
    }
}

/// The mesh `m` describes, read from the binary chunk and checked; `what` names it in errors.
fn read_mesh<R: Read>(
    bin: &mut BinReader<'_, R>,
    m: &MeshJson,
    what: &str,
) -> Result<Mesh, ProjectError> {
    let field = |field: &str| format!("{what} {field}");
    let positions = bin.array::<[f32; 3]>(&m.positions, &field("positions"))?;
    let normals = bin.array::<[f32; 3]>(&m.normals, &field("normals"))?;
    let uvs = bin.array::<[f32; 2]>(&m.uvs, &field("uvs"))?;
    let uvs1 = bin.array::<[f32; 2]>(&m.uvs1, &field("uvs1"))?;
    let colors = bin.array::<[f32; 4]>(&m.colors, &field("colors"))?;
    let tangents = bin.array::<[f32; 4]>(&m.tangents, &field("tangents"))?;
    let indices = bin.array::<u32>(&m.indices, &field("indices"))?;
    if !normals.is_empty() && normals.len() != positions.len() {
        // `Mesh::new` would quietly compute new ones.
        return Err(bin.corrupt(format!(
            "{what}: {} normals for {} vertices",
            normals.len(),
            positions.len()
        )));
    }
    let keep_empty_normals = normals.is_empty();
    let mut mesh = Mesh::new(positions, normals, uvs, colors, indices);
    if keep_empty_normals {
        mesh.normals.clear();
    }
    mesh.uvs1 = uvs1;
    mesh.tangents = tangents;
    mesh.primitive = m.primitive;
    check_mesh(&mesh).map_err(|p| bin.corrupt(format!("{what}: {p}")))?;
    Ok(mesh)
}

/// Lengths of a mesh's optional arrays agree with its vertex count, indices are whole
/// triangles that name existing vertices: what the reader accepts.
pub(super) fn check_mesh(mesh: &Mesh) -> Result<(), String> {
    let n = mesh.positions.len();
    for (what, len) in [
        ("normals", mesh.normals.len()),
        ("uvs", mesh.uvs.len()),
        ("uvs1", mesh.uvs1.len()),
        ("colors", mesh.colors.len()),
        ("tangents", mesh.tangents.len()),
    ] {
        if len != 0 && len != n {
            return Err(format!("{len} {what} for {n} vertices"));
        }
    }
    if !mesh.indices.len().is_multiple_of(3) {
        return Err(format!(
            "{} indices are not whole triangles",
            mesh.indices.len()
        ));
    }
    if let Some(bad) = mesh.indices.iter().find(|i| **i as usize >= n) {
        return Err(format!("index {bad} but only {n} vertices"));
    }
    Ok(())
}

fn check_point_cloud(cloud: &PointCloud) -> Result<(), String> {
    let n = cloud.positions.len();
    for (what, len) in [
        ("colors", cloud.colors.len()),
        ("normals", cloud.normals.len()),
    ] {
        if len != 0 && len != n {
            return Err(format!("{len} {what} for {n} points"));
        }
    }
    if !cloud.segments_in_range() {
        return Err(format!(
            "a line segment joins a point beyond the {n} points"
        ));
    }
    Ok(())
}

fn check_splats(cloud: &SplatCloud) -> Result<(), String> {
    // The constructor's checks, without copying the arrays.
    let n = cloud.positions.len();
    if cloud.sh_degree > 3 {
        return Err(format!("SH degree {} (at most 3)", cloud.sh_degree));
    }
    let rest = SplatCloud::sh_rest_coefficients(cloud.sh_degree) * 3 * n;
    for (what, len, want) in [
        ("rotations", cloud.rotations.len(), n),
        ("scales", cloud.scales.len(), n),
        ("opacities", cloud.opacities.len(), n),
        ("colors", cloud.colors.len(), n),
        ("sh_rest", cloud.sh_rest.len(), rest),
    ] {
        if len != want {
            return Err(format!("{len} {what} for {n} splats (expected {want})"));
        }
    }
    Ok(())
}

/// Counts and checksums what passes through, and stalls on request (tests).
struct Sink<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    written: u64,
    stall_after: Option<u64>,
}

impl<W: Write> Write for Sink<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.written += n as u64;
        if let Some(at) = self.stall_after
            && self.written >= at
        {
            self.stall_after = None;
            self.inner.flush()?;
            eprintln!("worldsmith: {STALL_ENV}: stalling the save after {at} bytes");
            std::thread::sleep(std::time::Duration::from_secs(120));
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn zeros<W: Write>(out: &mut W, n: u64) -> std::io::Result<()> {
    let pad = [0u8; 8];
    let n = usize::try_from(n).unwrap_or(usize::MAX).min(pad.len());
    out.write_all(pad.get(..n).unwrap_or_default())
}

/// Writes the whole container to `out`; returns the bytes written. `file` names the
/// destination in errors. Nothing geometric is copied: arrays go from the scene to `out`.
pub(super) fn write_project<W: Write>(
    file: &str,
    out: W,
    scene: &Scene,
    editor: &EditorState,
) -> Result<u64, ProjectError> {
    let unsavable = |problem: String| ProjectError::Unsavable {
        file: file.to_owned(),
        problem,
    };
    let io = |error| ProjectError::Io {
        file: file.to_owned(),
        action: "could not write the project",
        error,
    };
    let parts = scene.to_parts();
    let mut plan = Plan::default();
    let mut meshes = Vec::with_capacity(parts.meshes.len());
    for (id, mesh) in &parts.meshes {
        check_mesh(mesh).map_err(|p| unsavable(format!("mesh {}: {p}", id.0)))?;
        meshes.push(mesh_json(&mut plan, *id, mesh));
    }
    let mut images = Vec::with_capacity(parts.images.len());
    for (id, image) in &parts.images {
        images.push(ImageJson {
            id: *id,
            name: image.name.clone(),
            width: image.width,
            height: image.height,
            rgba8: plan.add(&image.rgba8),
            source: image.source().map(|source| ImageSourceJson {
                mime: source.mime.clone(),
                bytes: plan.add(source.bytes.as_slice()),
            }),
        });
    }
    let mut point_clouds = Vec::with_capacity(parts.point_clouds.len());
    for (id, cloud) in &parts.point_clouds {
        check_point_cloud(cloud).map_err(|p| unsavable(format!("point cloud {}: {p}", id.0)))?;
        point_clouds.push(PointCloudJson {
            id: *id,
            positions: plan.add(&cloud.positions),
            colors: plan.add(&cloud.colors),
            normals: plan.add(&cloud.normals),
            segments: (!cloud.segments.is_empty()).then(|| plan.add(&cloud.segments)),
        });
    }
    let mut splat_clouds = Vec::with_capacity(parts.splat_clouds.len());
    for (id, cloud) in &parts.splat_clouds {
        check_splats(cloud).map_err(|p| unsavable(format!("splat cloud {}: {p}", id.0)))?;
        splat_clouds.push(SplatCloudJson {
            id: *id,
            sh_degree: cloud.sh_degree,
            antialiased: cloud.antialiased,
            positions: plan.add(&cloud.positions),
            rotations: plan.add(&cloud.rotations),
            scales: plan.add(&cloud.scales),
            opacities: plan.add(&cloud.opacities),
            colors: plan.add(&cloud.colors),
            sh_rest: plan.add(&cloud.sh_rest),
        });
    }
    let mut skins = Vec::with_capacity(parts.skins.len());
    for (node, skin) in &parts.skins {
        skin.check()
            .and_then(|()| check_mesh(&skin.bind))
            .map_err(|p| unsavable(format!("the skin of node {}: {p}", node.0)))?;
        skins.push(SkinJson {
            node: *node,
            joints: skin.joints.clone(),
            joint_from_bind: skin.joint_from_bind.clone(),
            bind: mesh_json(&mut plan, MeshId(0), &skin.bind),
            influences: skin
                .influences
                .joints
                .iter()
                .zip(&skin.influences.weights)
                .map(|(joints, weights)| InfluenceJson {
                    joints: plan.add(joints),
                    weights: plan.add(weights),
                })
                .collect(),
            rest: skin.rest.clone(),
        });
    }
    let mut morphs = Vec::with_capacity(parts.morphs.len());
    for (node, morph) in &parts.morphs {
        morph
            .check()
            .and_then(|()| check_mesh(&morph.base))
            .map_err(|p| unsavable(format!("the morph targets of node {}: {p}", node.0)))?;
        // A skinned node's base is its skin's bind mesh: written once.
        let shared = parts
            .skins
            .get(node)
            .is_some_and(|skin| Arc::ptr_eq(&skin.bind, &morph.base));
        morphs.push(MorphJson {
            node: *node,
            base: (!shared).then(|| mesh_json(&mut plan, MeshId(0), &morph.base)),
            targets: morph
                .targets
                .iter()
                .map(|t| MorphTargetJson {
                    positions: plan.add(&t.positions),
                    normals: plan.add(&t.normals),
                    tangents: plan.add(&t.tangents),
                })
                .collect(),
            names: morph.names.to_vec(),
            weights: morph.weights.clone(),
            derive_normals: morph.derive_normals,
            muted: morph.muted.clone(),
            ranges: morph.ranges.clone(),
        });
    }
    let json = ProjectJson {
        format_version: FORMAT_VERSION,
        worldsmith: env!("CARGO_PKG_VERSION").to_owned(),
        scene: SceneJson {
            name: parts.name.clone(),
            next_id: parts.next_id,
            roots: parts.roots.clone(),
            nodes: parts.nodes.clone(),
            materials: parts
                .materials
                .iter()
                .map(|(id, m)| MaterialJson {
                    id: *id,
                    material: m.clone(),
                })
                .collect(),
            environment: parts.environment,
            variants: parts.variants.clone(),
            timeline: parts.timeline.clone(),
            material_variants: Vec::new(),
            meshes,
            images,
            point_clouds,
            splat_clouds,
            skins,
            morphs,
        },
        editor: editor.clone(),
    };
    let json = serde_json::to_vec(&json).map_err(|e| unsavable(e.to_string()))?;
    // JSON writes a non-finite number as `null`, which would not load again: refuse to
    // write a project this build could not read back.
    serde_json::from_slice::<ProjectJson>(&json).map_err(|e| {
        unsavable(format!(
            "a value cannot be stored (a number that is not finite?): {e}"
        ))
    })?;

    let stall_after = std::env::var(STALL_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok());
    let mut sink = Sink {
        inner: out,
        crc: crc32fast::Hasher::new(),
        written: 0,
        stall_after,
    };
    let json_len = json.len() as u64;
    let bin_len = plan.end;
    let mut header = Vec::with_capacity(HEADER_LEN as usize);
    header.extend_from_slice(&MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&json_len.to_le_bytes());
    header.extend_from_slice(&bin_len.to_le_bytes());
    sink.write_all(&header).map_err(io)?;
    sink.write_all(&json).map_err(io)?;
    let bin_start = align8(HEADER_LEN + json_len);
    zeros(&mut sink, bin_start - HEADER_LEN - json_len).map_err(io)?;
    let mut at = 0u64;
    for (offset, bytes) in &plan.blobs {
        zeros(&mut sink, offset - at).map_err(io)?;
        sink.write_all(bytes).map_err(io)?;
        at = offset + bytes.len() as u64;
    }
    let crc = sink.crc.clone().finalize();
    sink.write_all(&crc.to_le_bytes()).map_err(io)?;
    sink.write_all(&END).map_err(io)?;
    sink.flush().map_err(io)?;
    Ok(sink.written)
}

// ---------------------------------------------------------------------------------------
// Reading

/// Reads the binary chunk front to back, checksumming every byte.
struct BinReader<'p, R: Read> {
    file: String,
    inner: R,
    crc: crc32fast::Hasher,
    /// Bytes of the binary chunk read so far.
    pos: u64,
    len: u64,
    progress: &'p Progress,
}

impl<R: Read> BinReader<'_, R> {
    fn corrupt(&self, problem: String) -> ProjectError {
        ProjectError::Corrupt {
            file: self.file.clone(),
            problem,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), ProjectError> {
        for piece in buf.chunks_mut(READ_PIECE) {
            if self.progress.is_cancelled() {
                return Err(ProjectError::Cancelled {
                    file: self.file.clone(),
                });
            }
            self.inner
                .read_exact(piece)
                .map_err(|error| ProjectError::Io {
                    file: self.file.clone(),
                    action: "could not read the project",
                    error,
                })?;
            self.crc.update(piece);
            self.pos += piece.len() as u64;
            self.progress.advance(piece.len() as u64);
        }
        Ok(())
    }

    /// Skips (and checksums) padding up to `to`.
    fn skip_to(&mut self, to: u64) -> Result<(), ProjectError> {
        let mut scratch = [0u8; 4096];
        while self.pos < to {
            let n = usize::try_from(to - self.pos)
                .unwrap_or(usize::MAX)
                .min(scratch.len());
            let (piece, _) = scratch.split_at_mut(n);
            self.fill(piece)?;
        }
        Ok(())
    }

    /// Reads the array `r` names, after checking it against the chunk; `what` names it in
    /// errors.
    fn array<T: Element>(&mut self, r: &ArrayRef, what: &str) -> Result<Vec<T>, ProjectError> {
        if r.kind != T::KIND {
            return Err(self.corrupt(format!(
                "{what}: element type '{}' (expected '{}')",
                r.kind,
                T::KIND
            )));
        }
        if r.count == 0 {
            return Ok(Vec::new());
        }
        let size = std::mem::size_of::<T>() as u64;
        let bytes = r
            .count
            .checked_mul(size)
            .filter(|b| r.offset.checked_add(*b).is_some_and(|end| end <= self.len));
        let Some(bytes) = bytes else {
            return Err(self.corrupt(format!(
                "{what}: {} elements at offset {} do not fit in the {}-byte binary chunk",
                r.count, r.offset, self.len
            )));
        };
        if r.offset < self.pos {
            return Err(self.corrupt(format!(
                "{what}: offset {} overlaps the previous array (ends at {})",
                r.offset, self.pos
            )));
        }
        if !r.offset.is_multiple_of(std::mem::align_of::<T>() as u64) {
            return Err(self.corrupt(format!(
                "{what}: offset {} is not aligned for {}",
                r.offset,
                T::KIND
            )));
        }
        self.skip_to(r.offset)?;
        // Bounded by the binary chunk, which is bounded by the file's real length.
        let count = usize::try_from(r.count).map_err(|_| {
            self.corrupt(format!("{what}: {} elements do not fit in memory", r.count))
        })?;
        let mut data = vec![T::zeroed(); count];
        self.fill(bytemuck::cast_slice_mut(&mut data))?;
        debug_assert_eq!(self.pos, r.offset + bytes);
        Ok(data)
    }
}

/// Reads a project. `progress` counts bytes and is checked for Cancel between pieces.
pub(super) fn read_project(path: &Path, progress: &Progress) -> Result<Project, ProjectError> {
    let file = path.display().to_string();
    let io = |action: &'static str| {
        let file = file.clone();
        move |error| ProjectError::Io {
            file,
            action,
            error,
        }
    };
    let handle = std::fs::File::open(path).map_err(io("could not open the project"))?;
    let file_len = handle
        .metadata()
        .map_err(io("could not read the project"))?
        .len();
    let reader = std::io::BufReader::with_capacity(1 << 20, handle);
    read_from(&file, reader, file_len, progress)
}

/// Reads a project of exactly `file_len` bytes from `reader`; `file` names it in errors.
pub(super) fn read_from<R: Read>(
    file: &str,
    mut reader: R,
    file_len: u64,
    progress: &Progress,
) -> Result<Project, ProjectError> {
    let file = file.to_owned();
    let io = |action: &'static str| {
        let file = file.clone();
        move |error| ProjectError::Io {
            file,
            action,
            error,
        }
    };
    progress.begin(file_len);
    let size_error = |problem: String| ProjectError::Size {
        file: file.clone(),
        problem,
    };
    let corrupt = |problem: String| ProjectError::Corrupt {
        file: file.clone(),
        problem,
    };

    let mut header = [0u8; HEADER_LEN as usize];
    let got = read_up_to(&mut reader, &mut header).map_err(io("could not read the project"))?;
    let magic_len = got.min(MAGIC.len());
    if header.get(..magic_len) != MAGIC.get(..magic_len) || got < MAGIC.len() {
        return Err(ProjectError::NotAProject { file });
    }
    let u32_at = |at: usize| {
        let mut b = [0u8; 4];
        b.copy_from_slice(header.get(at..at + 4).unwrap_or(&[0; 4]));
        u32::from_le_bytes(b)
    };
    let u64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(header.get(at..at + 8).unwrap_or(&[0; 8]));
        u64::from_le_bytes(b)
    };
    if got >= 12 {
        let version = u32_at(8);
        if version > FORMAT_VERSION {
            return Err(ProjectError::NewerVersion {
                file,
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(corrupt("format version 0".into()));
        }
    }
    if (got as u64) < HEADER_LEN {
        return Err(size_error(format!(
            "{file_len} bytes, shorter than the {HEADER_LEN}-byte header"
        )));
    }
    let flags = u32_at(12);
    if flags != 0 {
        return Err(corrupt(format!("unknown flags {flags:#x}")));
    }
    let (json_len, bin_len) = (u64_at(16), u64_at(24));
    let expected = align8_checked(HEADER_LEN.checked_add(json_len))
        .and_then(|bin_start| bin_start.checked_add(bin_len))
        .and_then(|end| end.checked_add(TRAILER_LEN));
    match expected {
        Some(e) if e == file_len => {}
        Some(e) if e < file_len => {
            return Err(size_error(format!(
                "the header accounts for {e} bytes but the file has {file_len}"
            )));
        }
        _ => {
            return Err(size_error(format!(
                "the header says {json_len} bytes of JSON and {bin_len} bytes of data but the \
                 file has only {file_len} bytes (truncated?)"
            )));
        }
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(&header);

    // Within the file's real length, checked above.
    let json_bytes = usize::try_from(json_len)
        .map_err(|_| size_error(format!("{json_len} bytes of JSON do not fit in memory")))?;
    let mut json = vec![0u8; json_bytes];
    reader
        .read_exact(&mut json)
        .map_err(io("could not read the project"))?;
    crc.update(&json);
    let mut pad = [0u8; 8];
    let pad_len = (align8(HEADER_LEN + json_len) - HEADER_LEN - json_len) as usize;
    let (pad, _) = pad.split_at_mut(pad_len);
    reader
        .read_exact(pad)
        .map_err(io("could not read the project"))?;
    crc.update(pad);
    progress.advance(HEADER_LEN + json_len + pad_len as u64);

    let parsed: ProjectJson = serde_json::from_slice(&json)
        .map_err(|e| corrupt(format!("the project description is not valid: {e}")))?;
    drop(json);
    if parsed.format_version != u32_at(8) {
        return Err(corrupt(format!(
            "the header says format {} but the description says {}",
            u32_at(8),
            parsed.format_version
        )));
    }

    let mut bin = BinReader {
        file: file.clone(),
        inner: reader,
        crc,
        pos: 0,
        len: bin_len,
        progress,
    };
    let scene_json = parsed.scene;
    let mut meshes = BTreeMap::new();
    for m in &scene_json.meshes {
        let mesh = read_mesh(&mut bin, m, &format!("mesh {}", m.id.0))?;
        if meshes.insert(m.id, Arc::new(mesh)).is_some() {
            return Err(bin.corrupt(format!("mesh {} appears twice", m.id.0)));
        }
    }
    let mut images = BTreeMap::new();
    for i in &scene_json.images {
        let rgba8 = bin.array::<u8>(&i.rgba8, &format!("image {} pixels", i.id.0))?;
        let image = Image::new(&i.name, i.width, i.height, rgba8).ok_or_else(|| {
            bin.corrupt(format!(
                "image {}: {} bytes of pixels for {}x{}",
                i.id.0, i.rgba8.count, i.width, i.height
            ))
        })?;
        let image = match &i.source {
            Some(source) => {
                let bytes = bin.array::<u8>(&source.bytes, &format!("image {} source", i.id.0))?;
                image.with_source(EncodedImage {
                    mime: source.mime.clone(),
                    bytes: Arc::new(bytes),
                })
            }
            None => image,
        };
        if images.insert(i.id, Arc::new(image)).is_some() {
            return Err(bin.corrupt(format!("image {} appears twice", i.id.0)));
        }
    }
    let mut point_clouds = BTreeMap::new();
    for c in &scene_json.point_clouds {
        let what = |field: &str| format!("point cloud {} {field}", c.id.0);
        let positions = bin.array::<[f32; 3]>(&c.positions, &what("positions"))?;
        let colors = bin.array::<[u8; 4]>(&c.colors, &what("colors"))?;
        let normals = bin.array::<[f32; 3]>(&c.normals, &what("normals"))?;
        let segments = match &c.segments {
            Some(r) => bin.array::<[u32; 2]>(r, &what("segments"))?,
            None => Vec::new(),
        };
        let (cloud, dropped) = PointCloud::new(positions, colors, normals).with_segments(segments);
        // `new` drops mismatched arrays and `with_segments` segments beyond the points; the
        // file must not have had any.
        if cloud.colors.len() as u64 != c.colors.count
            || cloud.normals.len() as u64 != c.normals.count
        {
            return Err(bin.corrupt(format!(
                "point cloud {}: {} colours and {} normals for {} points",
                c.id.0, c.colors.count, c.normals.count, c.positions.count
            )));
        }
        if dropped > 0 {
            return Err(bin.corrupt(format!(
                "point cloud {}: {dropped} line segments join points beyond its {} points",
                c.id.0, c.positions.count
            )));
        }
        if point_clouds.insert(c.id, Arc::new(cloud)).is_some() {
            return Err(bin.corrupt(format!("point cloud {} appears twice", c.id.0)));
        }
    }
    let mut splat_clouds = BTreeMap::new();
    for c in &scene_json.splat_clouds {
        let what = |field: &str| format!("splat cloud {} {field}", c.id.0);
        let cloud = SplatCloud::new(
            bin.array::<[f32; 3]>(&c.positions, &what("positions"))?,
            bin.array::<[f32; 4]>(&c.rotations, &what("rotations"))?,
            bin.array::<[f32; 3]>(&c.scales, &what("scales"))?,
            bin.array::<f32>(&c.opacities, &what("opacities"))?,
            bin.array::<[f32; 3]>(&c.colors, &what("colors"))?,
            c.sh_degree,
            bin.array::<f16>(&c.sh_rest, &what("sh_rest"))?,
        )
        .map_err(|e| bin.corrupt(format!("splat cloud {}: {e}", c.id.0)))?
        .with_antialiased(c.antialiased);
        if splat_clouds.insert(c.id, Arc::new(cloud)).is_some() {
            return Err(bin.corrupt(format!("splat cloud {} appears twice", c.id.0)));
        }
    }
    let mut skins = BTreeMap::new();
    for k in &scene_json.skins {
        let what = format!("the skin of node {}", k.node.0);
        let bind = read_mesh(&mut bin, &k.bind, &what)?;
        let mut influences = Influences::default();
        for set in &k.influences {
            influences
                .joints
                .push(bin.array::<[u16; 4]>(&set.joints, &format!("{what}: joints"))?);
            influences
                .weights
                .push(bin.array::<[f32; 4]>(&set.weights, &format!("{what}: weights"))?);
        }
        let skin = Skin {
            bind: Arc::new(bind),
            joints: k.joints.clone(),
            joint_from_bind: k.joint_from_bind.clone(),
            influences,
            rest: k.rest.clone(),
        };
        if skins.insert(k.node, Arc::new(skin)).is_some() {
            return Err(bin.corrupt(format!("{what} appears twice")));
        }
    }
    let mut morphs = BTreeMap::new();
    for m in &scene_json.morphs {
        let what = format!("the morph targets of node {}", m.node.0);
        let base = match &m.base {
            Some(base) => Arc::new(read_mesh(&mut bin, base, &what)?),
            None => match skins.get(&m.node) {
                Some(skin) => Arc::clone(&skin.bind),
                None => return Err(bin.corrupt(format!("{what}: no base mesh and no skin"))),
            },
        };
        let mut targets = Vec::with_capacity(m.targets.len().min(1 << 16));
        for (k, t) in m.targets.iter().enumerate() {
            let what = |lane: &str| format!("{what}: target {k} {lane}");
            targets.push(MorphTarget {
                positions: bin.array::<[f32; 3]>(&t.positions, &what("positions"))?,
                normals: bin.array::<[f32; 3]>(&t.normals, &what("normals"))?,
                tangents: bin.array::<[f32; 3]>(&t.tangents, &what("tangents"))?,
            });
        }
        let morph = Morph {
            base,
            targets: targets.into(),
            names: m.names.clone().into(),
            weights: m.weights.clone(),
            derive_normals: m.derive_normals,
            muted: m.muted.clone(),
            ranges: m.ranges.clone(),
        };
        if morphs.insert(m.node, morph).is_some() {
            return Err(bin.corrupt(format!("{what} appears twice")));
        }
    }
    bin.skip_to(bin_len)?;
    let computed = bin.crc.clone().finalize();
    let mut trailer = [0u8; TRAILER_LEN as usize];
    bin.inner
        .read_exact(&mut trailer)
        .map_err(io("could not read the project"))?;
    progress.advance(TRAILER_LEN);
    let (stored, end) = trailer.split_at(4);
    if end != END {
        return Err(corrupt("the end marker is missing".into()));
    }
    let stored = u32::from_le_bytes(stored.try_into().unwrap_or([0; 4]));
    if stored != computed {
        return Err(corrupt(format!(
            "checksum mismatch (stored {stored:08x}, computed {computed:08x}): the file was \
             damaged"
        )));
    }

    let mut materials = BTreeMap::new();
    for m in scene_json.materials {
        if materials.insert(m.id, m.material).is_some() {
            return Err(corrupt(format!("material {} appears twice", m.id.0)));
        }
    }
    if parsed.format_version < 2 {
        super::migrate::generated_tangents_to_gltf_handedness(
            &mut meshes,
            &scene_json.nodes,
            &materials,
        );
    }
    let mut scene = Scene::from_parts(SceneParts {
        name: scene_json.name,
        nodes: scene_json.nodes,
        roots: scene_json.roots,
        meshes,
        materials,
        images,
        point_clouds,
        splat_clouds,
        variants: scene_json.variants,
        timeline: scene_json.timeline,
        environment: scene_json.environment,
        next_id: scene_json.next_id,
        skins,
        morphs,
    })
    .map_err(|error| ProjectError::Scene { file, error })?;
    if scene.variants().list.is_empty() && !scene_json.material_variants.is_empty() {
        scene.set_material_variants(scene_json.material_variants);
    }
    Ok(Project {
        scene,
        editor: parsed.editor,
        saved_by: parsed.worldsmith,
    })
}

fn align8_checked(n: Option<u64>) -> Option<u64> {
    n?.checked_add(7).map(|v| v / 8 * 8)
}

/// Reads as much of `buf` as the reader has (short only at the end of the file).
fn read_up_to<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let Some(rest) = buf.get_mut(got..) else {
            break;
        };
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}
