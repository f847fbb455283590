//! glTF 2.0 (`.gltf` and `.glb`) into a [`Scene`].
//!
//! Buffers and images are resolved here, not by the `gltf` crate: the GLB `BIN` chunk,
//! base64 `data:` URIs and relative paths inside the asset's folder only. Every accessor is
//! checked against its buffer before anything is read, so a hostile count or offset is an
//! error, not an allocation or a panic.

use super::gltf_animation::{self, Curve, Interp, NodeCurves, frame_rate_for};
use super::gltf_deform::{self, Influences, SkinJson, Vertices};
use super::{ImportError, Imported, gltf_draco, gltf_meshopt};
use crate::export::gltf_animation::{SHOT_EXTRAS, ShotExtras};
use crate::scene::color::linear_to_srgb_u8;
use crate::scene::morph::{self, MorphTarget, Moved};
use crate::scene::skin::{local_from_bind as skin_frames, skin_vertices};
use crate::scene::{
    AlphaMode, Camera, Channel, DEFAULT_LINE_WIDTH_PX, DEFAULT_POINT_SIZE_PX, FRAME_RATES, Filter,
    Image, ImageId, Light, LightKind, MAX_SHOT_FRAMES, MAX_SHOT_SIDE, Material, MaterialId,
    MaterialVariant, Mesh, MeshId, MinFilter, NodeId, NodeKind, PointCloud, PointCloudId, Sampler,
    Scene, Shot, SplatCloud, SplatCloudId, TextureRef, TextureSlot, Transform, UvTransform, Wrap,
};
use base64::Engine as _;
use glam::{Mat4, Quat, Vec3};
use gltf::accessor::{DataType, Dimensions};
use gltf::mesh::{Mode, Semantic};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Extensions read: a file may require them and still load (`parse` checks
/// `extensionsRequired` against this list).
const SUPPORTED_EXTENSIONS: &[&str] = &[
    "KHR_animation_pointer",
    "KHR_node_visibility",
    "KHR_lights_punctual",
    "KHR_materials_emissive_strength",
    "KHR_materials_ior",
    "KHR_materials_specular",
    "KHR_materials_transmission",
    "KHR_materials_clearcoat",
    "KHR_materials_volume",
    "KHR_materials_dispersion",
    "KHR_materials_sheen",
    "KHR_materials_anisotropy",
    "KHR_materials_iridescence",
    "KHR_materials_diffuse_transmission",
    "KHR_texture_transform",
    "KHR_materials_variants",
    "KHR_materials_unlit",
    "KHR_materials_pbrSpecularGlossiness",
    "KHR_mesh_quantization",
    "EXT_texture_webp",
    "KHR_texture_basisu",
    "EXT_meshopt_compression",
    "KHR_meshopt_compression",
    "KHR_draco_mesh_compression",
    INSTANCING,
    GAUSSIAN_SPLATTING,
    SPZ_COMPRESSION[0],
    SPZ_COMPRESSION[1],
];

/// KHR_gaussian_splatting_compression_spz_2: a splat primitive's data as one SPZ (version 2 or
/// later) blob in a buffer view, nested in the KHR_gaussian_splatting object. The draft's
/// example lists it as `…_spz` in `extensionsUsed`, so both names are read.
const SPZ_COMPRESSION: [&str; 2] = [
    "KHR_gaussian_splatting_compression_spz_2",
    "KHR_gaussian_splatting_compression_spz",
];

/// EXT_mesh_gpu_instancing: a node's mesh drawn once per instance transform.
const INSTANCING: &str = "EXT_mesh_gpu_instancing";
/// Most instances read from one file (each becomes a scene node); past it, the rest of a
/// node's instances are left out with a warning.
const MAX_INSTANCES: usize = 100_000;
/// An orthographic camera's near plane when the file's is 0 (glTF allows it there): a
/// millimetre in front of it, so near planes stay positive distances everywhere.
const ORTHO_MIN_NEAR: f32 = 0.001;

/// Largest texture accepted, in pixels per side (GPUs commonly top out at 16384).
pub const MAX_IMAGE_SIDE: u32 = 16_384;
/// Most memory one image may take while it decodes (a 16384² RGBA8 image is 1 GiB).
const MAX_IMAGE_DECODE_BYTES: u64 = 1 << 30;

/// Most memory all of a file's images may take decoded (RGBA8, 4 GiB: 64 textures of
/// 4096²), so a folder of small PNGs that each inflate to a 16384² image cannot exhaust
/// memory; images past it are left empty with a warning.
const MAX_TOTAL_IMAGE_BYTES: u64 = 4 << 30;

/// Which images fit `budget`, taken in order: `sizes[i]` is image i's decoded size (`None`
/// where its header cannot be read; its decode then fails on its own).
fn within_budget(sizes: &[Option<u64>], budget: u64) -> Vec<bool> {
    let mut used = 0u64;
    sizes
        .iter()
        .map(|size| {
            let Some(bytes) = size else { return true };
            let fits = used.saturating_add(*bytes) <= budget;
            if fits {
                used += bytes;
            }
            fits
        })
        .collect()
}

/// Decoded RGBA8 size of an encoded image from its header alone.
fn decoded_size(bytes: &[u8]) -> Option<u64> {
    if super::ktx2::is_ktx2(bytes) {
        return super::ktx2::decoded_size(bytes);
    }
    let (w, h) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    // Saturating: some formats' headers can claim 2³² − 1 pixels a side.
    Some(u64::from(w).saturating_mul(u64::from(h)).saturating_mul(4))
}

/// Decoder limits so a hostile header (a 100000×100000 PNG in a few bytes) is refused before
/// anything is allocated.
pub(crate) fn image_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_DECODE_BYTES);
    limits
}

/// Decodes an encoded image (PNG, JPEG, WebP, KTX2 with Basis Universal data, …) to RGBA8
/// within [`image_limits`]. JPEGs in
/// YCbCr or RGB, nearly all of them, are decoded by zune-jpeg straight to RGBA: no RGB image
/// and conversion pass (a 2048² texture is 12 MB less to write and fault in).
pub(crate) fn decode_rgba(bytes: &[u8]) -> Result<image::RgbaImage, String> {
    if super::ktx2::is_ktx2(bytes) {
        return super::ktx2::decode_rgba(bytes);
    }
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    if reader.format() == Some(image::ImageFormat::Jpeg)
        && let Some(rgba) = jpeg_to_rgba(bytes)
    {
        return Ok(rgba);
    }
    reader.limits(image_limits());
    Ok(reader.decode().map_err(|e| e.to_string())?.into_rgba8())
}

/// A YCbCr or RGB JPEG decoded to RGBA, or `None` for anything else (other colour spaces,
/// sizes past the limits, corrupt data) for `image` to decode or explain.
fn jpeg_to_rgba(bytes: &[u8]) -> Option<image::RgbaImage> {
    use zune_core::colorspace::ColorSpace;
    let side = MAX_IMAGE_SIDE as usize;
    let options = zune_core::options::DecoderOptions::default()
        .set_strict_mode(false)
        .set_max_width(side)
        .set_max_height(side)
        .jpeg_set_out_colorspace(ColorSpace::RGBA);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(
        zune_core::bytestream::ZCursor::new(bytes),
        options,
    );
    decoder.decode_headers().ok()?;
    if !matches!(
        decoder.input_colorspace()?,
        ColorSpace::YCbCr | ColorSpace::RGB
    ) {
        return None;
    }
    let (w, h) = decoder.dimensions()?;
    if (w as u64) * (h as u64) * 4 > MAX_IMAGE_DECODE_BYTES {
        return None;
    }
    let pixels = decoder.decode().ok()?;
    image::RgbaImage::from_raw(u32::try_from(w).ok()?, u32::try_from(h).ok()?, pixels)
}

/// Bytes allowed per byte of the file's buffers (plus [`EXPANDED_BASE`]) for data that
/// expands beyond what the file stores: decoded meshopt views and Draco primitives, and
/// accessors without a buffer view (zeros plus sparse values). meshopt reaches ~1000:1 only
/// on constant streams and Draco ~30:1 on dense meshes; whole files stay far below 256:1. A
/// hostile file claiming huge counts is refused before anything is allocated.
const EXPANSION_RATIO: u64 = 256;
/// Expanded bytes always allowed, whatever the file's size.
const EXPANDED_BASE: u64 = 64 << 20;
/// Most bytes a file's expanded data may take in all.
const MAX_EXPANDED_BYTES: u64 = 4 << 30;

/// How many bytes a file with `buffers` may expand to ([`EXPANSION_RATIO`]).
pub(super) fn expansion_budget(buffers: &[Vec<u8>]) -> u64 {
    let file_bytes: u64 = buffers.iter().map(|b| b.len() as u64).sum();
    EXPANDED_BASE
        .saturating_add(file_bytes.saturating_mul(EXPANSION_RATIO))
        .min(MAX_EXPANDED_BYTES)
}

/// Deepest node hierarchy accepted (a guard against cycles and stack-like files).
const MAX_DEPTH: usize = 1024;
/// Vertices all nodes that skin or morph a mesh their own way may build copies of: past it
/// they share the mesh undeformed (a file of 10,000 skinned nodes on one big mesh must not
/// take 10,000 copies).
const MAX_DEFORMED_VERTICES: u64 = 16_000_000;
/// JOINTS_n/WEIGHTS_n pairs read per primitive (4 influences each).
const MAX_INFLUENCE_SETS: u32 = 8;
/// Joint matrices all skinned nodes of a file may build together (64 MiB): a short file can
/// name a skin of 100,000 joints from 100,000 nodes.
const MAX_JOINT_MATRICES: usize = 1 << 20;
/// Vertex moves by morph targets per file (a vertex moved by three targets counts three):
/// many targets may share one large accessor, so the file's size does not bound the work.
const MAX_MORPHED_VALUES: u64 = 1 << 28;
/// Morph target displacements (vertices × targets) kept per file so that the weights stay
/// editable and animatable (at most ~1.2 GB with positions, normals and tangents); past it,
/// meshes show at their weights only. A 50,000-vertex face with 52 ARKit shapes keeps 2.6 M.
const MAX_KEPT_MORPH_VALUES: u64 = 1 << 25;
/// Longest morph target name kept (characters).
const MAX_TARGET_NAME_CHARS: usize = 200;

/// Reads a glTF or GLB file already loaded into `bytes`; `path` names it and locates its
/// folder for relative URIs.
pub(super) fn import_gltf(path: &Path, bytes: &[u8]) -> Result<Imported, ImportError> {
    import_gltf_within(path, bytes, MAX_TOTAL_IMAGE_BYTES)
}

/// [`import_gltf`] with `image_budget` bytes for all decoded images together.
fn import_gltf_within(
    path: &Path,
    bytes: &[u8],
    image_budget: u64,
) -> Result<Imported, ImportError> {
    let file = path.display().to_string();
    let Parsed {
        gltf,
        meshopt,
        draco,
        mut repairs,
    } = parse(&file, bytes)?;
    let folder = path.parent().unwrap_or(Path::new("")).to_owned();
    let mut buffers = load_buffers(&file, &folder, &gltf, |b| {
        meshopt.fills(b) || draco.fills(b) || repairs.zeros.is_some_and(|z| z.buffer == b)
    })?;
    gltf_meshopt::decode(&file, &meshopt, &mut buffers)?;
    gltf_draco::decode(&file, &draco, &mut buffers)?;
    repairs.fill_zeros(&file, &mut buffers)?;
    check_views(&file, &gltf, &buffers)?;
    check_accessors(&file, &gltf, expansion_budget(&buffers))?;

    let scene_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Imported".into());
    let (extra_transforms, transform_warning) = slot_transforms_outside_info(&gltf, bytes);
    let rest_world = if repairs.skin_json.is_empty() {
        Vec::new()
    } else {
        rest_world(&gltf.document)
    };
    let mut importer = Importer {
        file,
        folder,
        doc: &gltf.document,
        extra_transforms,
        buffers: Rc::new(buffers),
        scene: Scene::new(&scene_name),
        warnings: Vec::new(),
        images: Vec::new(),
        materials: HashMap::new(),
        meshes: HashMap::new(),
        variant_names: Vec::new(),
        variant_assignments: Vec::new(),
        image_budget,
        roughness_images: HashMap::new(),
        instances: 0,
        node_ids: vec![None; gltf.document.nodes().len()],
        skins: std::mem::take(&mut repairs.skin_json),
        node_skins: std::mem::take(&mut repairs.node_skins),
        rest_world,
        deformed_vertices: 0,
        joint_matrices: 0,
        morphed_values: 0,
        kept_morph_values: 0,
        weights_animated: weights_animated(&repairs.animations, &gltf.document),
        joint_from_bind: HashMap::new(),
        pending_deforms: Vec::new(),
    };
    if let Some(problem) = transform_warning {
        importer.warn(problem);
    }
    importer.load_images(repairs.missing_image);
    for &(mesh, primitive) in &repairs.positionless {
        importer.warn(format!(
            "meshes[{mesh}].primitives[{primitive}] has no POSITION attribute; it is left out"
        ));
    }
    for &texture in &repairs.sourceless_textures {
        importer.warn(format!(
            "texture {texture} has no image (no source, nor an image of an extension worldsmith \
             reads); materials using it show without it"
        ));
    }
    importer.warn_unsupported(&repairs);
    importer.load_variant_names();
    importer.load_nodes()?;
    importer.bind_deforms();
    let variants = importer
        .variant_names
        .drain(..)
        .zip(importer.variant_assignments.drain(..))
        .map(|(name, assignments)| MaterialVariant { name, assignments })
        .collect();
    importer.scene.set_material_variants(variants);
    // After the variants: a shot worldsmith wrote names the one it shows.
    let animations = std::mem::take(&mut repairs.animations);
    importer.load_animations(&animations);
    Ok(Imported {
        scene: importer.scene,
        warnings: importer.warnings,
    })
}

/// Parses and validates the JSON (and GLB chunks), with meshopt-compressed views moved to
/// buffers of their own (see [`gltf_meshopt`]) and Draco-compressed primitives given accessors
/// in buffers of their own (see [`gltf_draco`]). gltf-json's validator indexes the POSITION
/// accessor without a bounds check, so that index is checked first: a hostile file must give
/// an error, not a panic.
fn parse(file: &str, bytes: &[u8]) -> Result<Parsed, ImportError> {
    // gltf 1.4 subtracts the 12-byte header from the GLB length field unchecked, which panics
    // where overflow checks are on (debug builds): such a header is refused here first.
    let glb_length = bytes
        .strip_prefix(b"glTF")
        .and_then(|rest| rest.get(4..8))
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes);
    if let Some(length) = glb_length.filter(|&l| l < 12) {
        return Err(ImportError::Parse {
            file: file.into(),
            problem: format!(
                "the GLB header gives a total length of {length} bytes, less than the 12-byte header itself"
            ),
        });
    }
    // Bytes after the end the header gives are not the model's (the validator warns of them);
    // the gltf crate would read them as a chunk.
    let bytes = match glb_length {
        Some(length) if (length as usize) < bytes.len() => &bytes[..length as usize],
        _ => bytes,
    };
    let (unchecked, animations) = parse_unchecked(bytes).map_err(|e| error_from_gltf(file, e))?;
    let root = unchecked.document.as_json();
    let accessor_count = root.accessors.len();
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, primitive) in mesh.primitives.iter().enumerate() {
            let position = gltf::json::validation::Checked::Valid(Semantic::Positions);
            if let Some(index) = primitive.attributes.get(&position)
                && index.value() >= accessor_count
            {
                return Err(ImportError::Parse {
                    file: file.into(),
                    problem: format!(
                        "meshes[{m}].primitives[{p}] POSITION refers to accessor {} but the file has {accessor_count}",
                        index.value()
                    ),
                });
            }
        }
    }
    let mut root = unchecked.document.into_json();
    // Required extensions are checked here, against what this importer reads, and then taken
    // off the list: gltf-json's validator refuses those it does not know itself (mesh
    // quantization, meshopt, WebP), and any other would only fail validation less clearly.
    let unsupported: Vec<&str> = root
        .extensions_required
        .iter()
        .map(String::as_str)
        .filter(|e| !SUPPORTED_EXTENSIONS.contains(e))
        .collect();
    if !unsupported.is_empty() {
        return Err(ImportError::UnsupportedExtension {
            file: file.into(),
            extensions: unsupported.join(", "),
        });
    }
    root.extensions_required.clear();
    let mut repairs = Repairs::default();
    repairs.set_aside_skins_and_animations(&mut root, animations);
    repairs.drop_primitives_without_positions(&mut root);
    choose_texture_sources(&mut root);
    repairs.point_sourceless_textures_at_no_image(&mut root);
    point_spz_accessors_at_their_blob(&mut root).map_err(|problem| ImportError::Parse {
        file: file.into(),
        problem,
    })?;
    let meshopt = gltf_meshopt::rewrite(file, &mut root)?;
    let draco = gltf_draco::rewrite(file, &mut root)?;
    repairs.give_zeros_to_accessors_without_data(&mut root);
    let document = gltf::Document::from_json(root).map_err(|e| error_from_gltf(file, e))?;
    let gltf = gltf::Gltf {
        document,
        blob: unchecked.blob,
    };
    Ok(Parsed {
        gltf,
        meshopt,
        draco,
        repairs,
    })
}

/// Appends a buffer of `length` bytes that the file holds no data for (the importer fills
/// it: decoded meshopt or Draco data, zeros); its index.
pub(super) fn append_buffer(root: &mut gltf::json::Root, length: u64) -> usize {
    root.buffers.push(gltf::json::Buffer {
        byte_length: length.into(),
        name: None,
        uri: None,
        extensions: None,
        extras: Default::default(),
    });
    root.buffers.len() - 1
}

/// Appends a plain (unstrided) view of `length` bytes at `offset` in `buffer`; its index.
pub(super) fn append_view(
    root: &mut gltf::json::Root,
    buffer: usize,
    offset: Option<u64>,
    length: u64,
) -> usize {
    root.buffer_views.push(gltf::json::buffer::View {
        buffer: gltf::json::Index::new(buffer as u32),
        byte_length: length.into(),
        byte_offset: offset.map(Into::into),
        byte_stride: None,
        name: None,
        target: None,
        extensions: None,
        extras: Default::default(),
    });
    root.buffer_views.len() - 1
}

/// What [`parse`] read: the validated document, the plans for compressed data, and what was
/// mended on the way.
struct Parsed {
    gltf: gltf::Gltf,
    meshopt: gltf_meshopt::Plan,
    draco: gltf_draco::Plan,
    repairs: Repairs,
}

/// What [`parse`] changed in a file's JSON so that gltf-json's validator accepts what glTF
/// allows (or what only costs the model a part worldsmith does not show), each to be
/// reported or completed once the buffers are loaded.
#[derive(Default)]
struct Repairs {
    /// Skins the file has: skinned meshes load in their rest pose.
    skins: usize,
    /// The skins as declared, read once the buffers are loaded (skinned meshes are baked in
    /// their rest pose, see [`gltf_deform`]).
    skin_json: Vec<SkinJson>,
    /// The skin of each node, by node index.
    node_skins: Vec<Option<usize>>,
    /// The file's animations as plain JSON, kept out of validation and read once the nodes
    /// are built ([`Importer::load_animations`]): a broken one costs only itself, never the
    /// model.
    animations: Vec<serde_json::Value>,
    /// Accessors without a buffer view or sparse values hold zeros (glTF 2.0, 3.6.2.1), which
    /// gltf-json refuses: they read one zero-filled buffer added for them.
    zeros: Option<Zeros>,
    /// An image added for textures without one, so they validate; it reads as nothing.
    missing_image: Option<usize>,
    /// Textures without an image (no `source`, nor one of an extension read here).
    sourceless_textures: Vec<usize>,
    /// Primitives without positions (glTF allows them, for extensions), left out: (mesh,
    /// primitive) as numbered in the file.
    positionless: Vec<(usize, usize)>,
}

/// The zero-filled buffer of [`Repairs::zeros`]: its index and length, which is that of the
/// largest accessor reading it (`accessor`, `count` values).
#[derive(Clone, Copy)]
struct Zeros {
    buffer: usize,
    length: u64,
    accessor: usize,
    count: u64,
}

impl Repairs {
    fn set_aside_skins_and_animations(
        &mut self,
        root: &mut gltf::json::Root,
        animations: Vec<serde_json::Value>,
    ) {
        self.skins = root.skins.len();
        self.skin_json = root
            .skins
            .iter()
            .map(|s| SkinJson {
                joints: s.joints.iter().map(|j| j.value()).collect(),
                inverse_bind_matrices: s.inverse_bind_matrices.map(|a| a.value()),
            })
            .collect();
        self.node_skins = root
            .nodes
            .iter()
            .map(|n| n.skin.map(|s| s.value()))
            .collect();
        self.animations = animations;
        root.animations.clear();
        root.skins.clear();
        for node in &mut root.nodes {
            node.skin = None;
        }
    }

    fn drop_primitives_without_positions(&mut self, root: &mut gltf::json::Root) {
        let position = gltf::json::validation::Checked::Valid(Semantic::Positions);
        for (m, mesh) in root.meshes.iter_mut().enumerate() {
            let mut p = 0;
            mesh.primitives.retain(|primitive| {
                let keep = primitive.attributes.contains_key(&position);
                if !keep {
                    self.positionless.push((m, p));
                }
                p += 1;
                keep
            });
        }
    }

    fn point_sourceless_textures_at_no_image(&mut self, root: &mut gltf::json::Root) {
        // gltf-json marks a missing `source` with u32::MAX.
        self.sourceless_textures = (root.textures.iter().enumerate())
            .filter(|(_, t)| t.source.value() == u32::MAX as usize)
            .map(|(i, _)| i)
            .collect();
        if self.sourceless_textures.is_empty() {
            return;
        }
        let image = root.images.len();
        root.images.push(gltf::json::Image {
            buffer_view: None,
            mime_type: None,
            name: None,
            uri: None,
            extensions: None,
            extras: Default::default(),
        });
        for &t in &self.sourceless_textures {
            root.textures[t].source = gltf::json::Index::new(image as u32);
        }
        self.missing_image = Some(image);
    }

    fn give_zeros_to_accessors_without_data(&mut self, root: &mut gltf::json::Root) {
        use gltf::json::validation::Checked;
        let mut largest: Option<(u64, usize, u64)> = None;
        let mut dataless = Vec::new();
        for (i, a) in root.accessors.iter().enumerate() {
            if a.buffer_view.is_some() || a.sparse.is_some() || a.count.0 == 0 {
                continue;
            }
            let (Checked::Valid(component), Checked::Valid(kind)) = (&a.component_type, &a.type_)
            else {
                continue;
            };
            let elem = (component.0.size() * kind.multiplicity()) as u64;
            let bytes = a.count.0.saturating_mul(elem);
            if largest.is_none_or(|(most, _, _)| bytes > most) {
                largest = Some((bytes, i, a.count.0));
            }
            dataless.push(i);
        }
        let Some((length, accessor, count)) = largest else {
            return;
        };
        let buffer = append_buffer(root, length);
        let view = append_view(root, buffer, None, length);
        for i in dataless {
            root.accessors[i].buffer_view = Some(gltf::json::Index::new(view as u32));
            root.accessors[i].byte_offset = None;
        }
        self.zeros = Some(Zeros {
            buffer,
            length,
            accessor,
            count,
        });
    }

    /// Fills the zero buffer, once the file's own buffers are loaded: it may take no more
    /// than the file may expand to ([`expansion_budget`]), so a hostile count is an error.
    fn fill_zeros(&self, file: &str, buffers: &mut [Vec<u8>]) -> Result<(), ImportError> {
        let Some(zeros) = self.zeros else {
            return Ok(());
        };
        let budget = expansion_budget(buffers);
        if zeros.length > budget {
            return Err(ImportError::Accessor {
                file: file.into(),
                index: zeros.accessor,
                problem: format!(
                    "{} values without a buffer view would take {} bytes: more than this file \
                     may expand to ({budget} bytes)",
                    zeros.count, zeros.length
                ),
            });
        }
        if let Some(buffer) = buffers.get_mut(zeros.buffer) {
            *buffer = vec![0; zeros.length as usize];
        }
        Ok(())
    }
}

/// The document as gltf-json reads it, before validation. KHR_gaussian_splatting names its
/// attributes `KHR_gaussian_splatting:…`, which gltf-json reads as invalid semantics (all of
/// them the same `Invalid` key, losing the names): where the JSON uses the extension, those
/// keys get a leading underscore first, making them the application-specific semantics
/// (`Semantic::Extras`) glTF allows, under their own names.
fn parse_unchecked(bytes: &[u8]) -> Result<(gltf::Gltf, Vec<serde_json::Value>), gltf::Error> {
    const KEY: &[u8] = b"\"KHR_gaussian_splatting:";
    let glb = if bytes.starts_with(b"glTF") {
        Some(gltf::binary::Glb::from_slice(bytes)?)
    } else {
        None
    };
    let json: &[u8] = glb.as_ref().map_or(bytes, |g| &g.json);
    let root = if json.windows(KEY.len()).any(|w| w == KEY) {
        let mut renamed = Vec::with_capacity(json.len() + 64);
        let mut rest = json;
        while let Some(at) = rest.windows(KEY.len()).position(|w| w == KEY) {
            renamed.extend_from_slice(&rest[..at]);
            renamed.extend_from_slice(b"\"_KHR_gaussian_splatting:");
            rest = &rest[at + KEY.len()..];
        }
        renamed.extend_from_slice(rest);
        root_from_json(&renamed)?
    } else {
        root_from_json(json)?
    };
    let (root, animations) = root;
    let gltf = gltf::Gltf {
        document: gltf::Document::from_json_without_validation(root),
        blob: glb.and_then(|g| g.bin).map(std::borrow::Cow::into_owned),
    };
    Ok((gltf, animations))
}

/// The JSON as gltf-json's types, and its animations as plain JSON (read by
/// [`Importer::load_animations`], which also takes KHR_animation_pointer channels: they have a
/// `pointer` path and no node, which gltf-json cannot hold). Where gltf-json cannot read the
/// file, it is read again leniently ([`lenient`]: what glTF allows but gltf-json refuses)
/// without its animations; a file that still cannot be read reports the problem (without a
/// line and column: serde_json knows them only for text); one without animations, its first
/// problem as written, with its place.
fn root_from_json(json: &[u8]) -> Result<(gltf::json::Root, Vec<serde_json::Value>), gltf::Error> {
    /// Only the animations of a document.
    #[derive(serde::Deserialize)]
    struct Animations {
        #[serde(default)]
        animations: Vec<serde_json::Value>,
    }
    let error = match gltf::json::deserialize::from_slice::<gltf::json::Root>(json) {
        Ok(root) if root.animations.is_empty() => return Ok((root, Vec::new())),
        Ok(root) => {
            let animations = serde_json::from_slice::<Animations>(json)
                .map(|a| a.animations)
                .unwrap_or_default();
            return Ok((root, animations));
        }
        Err(error) => error,
    };
    let mut value: serde_json::Value = match serde_json::from_slice(json) {
        Ok(value) => value,
        Err(_) => return Err(error.into()),
    };
    lenient(&mut value);
    let animations = value.as_object_mut().and_then(|o| o.remove("animations"));
    let animations = match animations {
        Some(serde_json::Value::Array(list)) => list,
        Some(_) => Vec::new(),
        None => match serde_json::from_value(value.clone()) {
            Ok(root) => return Ok((root, Vec::new())),
            Err(_) => return Err(error.into()),
        },
    };
    let root = serde_json::from_value(value)?;
    Ok((root, animations))
}

/// What glTF allows and gltf-json refuses, made plain: integers written with a fraction of
/// zero (`"count": 3.0`) become integers (a float field reads them just as well), and a scene
/// without `nodes` gets an empty list.
fn lenient(value: &mut serde_json::Value) {
    fn integers(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Number(n) if n.is_f64() => {
                if let Some(f) = n.as_f64()
                    && f.fract() == 0.0
                    && f.abs() < 9.0e15
                {
                    *value = serde_json::Value::from(f as i64);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(integers),
            serde_json::Value::Object(map) => map.values_mut().for_each(integers),
            _ => {}
        }
    }
    integers(value);
    if let Some(scenes) = value
        .get_mut("scenes")
        .and_then(serde_json::Value::as_array_mut)
    {
        for scene in scenes
            .iter_mut()
            .filter_map(serde_json::Value::as_object_mut)
        {
            scene
                .entry("nodes")
                .or_insert_with(|| serde_json::json!([]));
        }
    }
}

/// The KHR_gaussian_splatting_compression_spz_2 object nested in a KHR_gaussian_splatting one.
fn spz_compression(splatting: &serde_json::Value) -> Option<&serde_json::Value> {
    let nested = splatting.get("extensions")?;
    SPZ_COMPRESSION.iter().find_map(|name| nested.get(name))
}

/// The accessors of a KHR_gaussian_splatting_compression_spz_2 primitive hold no data of
/// their own (no bufferView, no sparse): its splats come from the SPZ blob
/// (`Importer::spz_splats`). gltf-json refuses accessors without data, so each such accessor is
/// pointed at the start of its primitive's SPZ buffer view as a single value, which nothing
/// reads. A missing or out-of-range SPZ `bufferView` is the error.
fn point_spz_accessors_at_their_blob(root: &mut gltf::json::Root) -> Result<(), String> {
    let mut pointed = Vec::new();
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, primitive) in mesh.primitives.iter().enumerate() {
            let Some(spz) = primitive
                .extensions
                .as_ref()
                .and_then(|e| e.others.get(GAUSSIAN_SPLATTING))
                .and_then(spz_compression)
            else {
                continue;
            };
            let views = root.buffer_views.len();
            let view = spz
                .get("bufferView")
                .and_then(serde_json::Value::as_u64)
                .and_then(|v| u32::try_from(v).ok())
                .filter(|&v| (v as usize) < views)
                .ok_or_else(|| {
                    format!(
                        "meshes[{m}].primitives[{p}] {}: SPZ bufferView {} does not exist \
                         (the file has {views})",
                        SPZ_COMPRESSION[0],
                        spz.get("bufferView").unwrap_or(&serde_json::Value::Null)
                    )
                })?;
            pointed.extend(primitive.attributes.values().map(|a| (a.value(), view)));
        }
    }
    for (accessor, view) in pointed {
        if let Some(a) = root.accessors.get_mut(accessor)
            && a.buffer_view.is_none()
            && a.sparse.is_none()
        {
            a.buffer_view = Some(gltf::json::Index::new(view));
            a.byte_offset = None;
            a.count = gltf::json::validation::USize64(1);
        }
    }
    Ok(())
}

/// Texture images of EXT_texture_webp and KHR_texture_basisu: a texture's WebP image
/// replaces its `source` (which such files leave out, or point at a PNG/JPEG fallback); a
/// KTX2 image (Basis Universal) is read only where there is no other, as a PNG or JPEG
/// fallback holds the texture before its lossy GPU compression. Both decode here like PNG.
fn choose_texture_sources(root: &mut gltf::json::Root) {
    for texture in &mut root.textures {
        let source = |name: &str| {
            texture
                .extensions
                .as_ref()
                .and_then(|e| e.others.get(name))
                .and_then(|w| w.get("source"))
                .and_then(serde_json::Value::as_u64)
                .and_then(|i| u32::try_from(i).ok())
        };
        // gltf-json marks a missing `source` with u32::MAX.
        let none = texture.source.value() == u32::MAX as usize;
        let chosen =
            source("EXT_texture_webp").or_else(|| source("KHR_texture_basisu").filter(|_| none));
        if let Some(image) = chosen {
            texture.source = gltf::json::Index::new(image);
        }
    }
}

/// A parse or validation error of the `gltf` crate, naming the file.
fn error_from_gltf(file: &str, error: gltf::Error) -> ImportError {
    ImportError::Parse {
        file: file.into(),
        problem: error.to_string(),
    }
}

/// A KHR_texture_transform as the file states it: the transform and its optional `texCoord`
/// override.
type SlotTransform = (UvTransform, Option<u32>);

/// KHR_texture_transform of the normal and occlusion slots of one material, which the `gltf`
/// crate does not parse (it only reads the extension on plain `textureInfo`).
#[derive(Clone, Copy, Default)]
struct ExtraTransforms {
    normal: Option<SlotTransform>,
    occlusion: Option<SlotTransform>,
}

/// Just enough of the glTF JSON to find the normal and occlusion slots' extensions; every
/// other key is skipped without being stored.
#[derive(serde::Deserialize)]
struct RawRoot {
    #[serde(default)]
    materials: Vec<RawMaterial>,
}

#[derive(serde::Deserialize)]
struct RawMaterial {
    #[serde(rename = "normalTexture", default)]
    normal: Option<RawSlot>,
    #[serde(rename = "occlusionTexture", default)]
    occlusion: Option<RawSlot>,
}

#[derive(serde::Deserialize)]
struct RawSlot {
    #[serde(default)]
    extensions: Option<RawSlotExtensions>,
}

#[derive(serde::Deserialize)]
struct RawSlotExtensions {
    #[serde(rename = "KHR_texture_transform", default)]
    transform: Option<serde_json::Value>,
}

/// Reads a KHR_texture_transform object leniently: missing members take the extension's
/// defaults; a member of the wrong type or a non-finite number is a problem to report.
fn slot_transform_from_json(value: &serde_json::Value) -> Result<SlotTransform, String> {
    let number = |v: &serde_json::Value, what: &str| {
        v.as_f64()
            .map(|x| x as f32)
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("{what} is not a finite number"))
    };
    let pair = |key: &str, default: [f32; 2]| match value.get(key) {
        None => Ok(default),
        Some(serde_json::Value::Array(a)) if a.len() == 2 => {
            Ok([number(&a[0], key)?, number(&a[1], key)?])
        }
        Some(_) => Err(format!("{key} is not an array of two numbers")),
    };
    let rotation = match value.get("rotation") {
        None => 0.0,
        Some(v) => number(v, "rotation")?,
    };
    let tex_coord = match value.get("texCoord") {
        None => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or("texCoord is not a non-negative integer")?,
        ),
    };
    Ok((
        UvTransform {
            offset: pair("offset", [0.0; 2])?,
            rotation,
            scale: pair("scale", [1.0; 2])?,
        },
        tex_coord,
    ))
}

/// The normal and occlusion slots' KHR_texture_transform per material index, read from the
/// file's JSON, and a warning if that failed. Skipped (no second parse) unless the file uses
/// the extension and some material has a normal or occlusion texture.
fn slot_transforms_outside_info(
    gltf: &gltf::Gltf,
    bytes: &[u8],
) -> (Vec<ExtraTransforms>, Option<String>) {
    let uses_extension = gltf.extensions_used().any(|e| e == "KHR_texture_transform");
    let has_slots = gltf
        .materials()
        .any(|m| m.normal_texture().is_some() || m.occlusion_texture().is_some());
    if !uses_extension || !has_slots {
        return (Vec::new(), None);
    }
    let glb;
    let json: &[u8] = if bytes.starts_with(b"glTF") {
        match gltf::Glb::from_slice(bytes) {
            Ok(g) => {
                glb = g;
                &glb.json[..]
            }
            Err(e) => return (Vec::new(), Some(transform_problem(&e.to_string()))),
        }
    } else {
        bytes
    };
    let root: RawRoot = match serde_json::from_slice(json) {
        Ok(root) => root,
        Err(e) => return (Vec::new(), Some(transform_problem(&e.to_string()))),
    };
    let mut problems = Vec::new();
    let mut read = |slot: Option<RawSlot>, what: &str, index: usize| {
        let value = slot?.extensions?.transform?;
        slot_transform_from_json(&value)
            .map_err(|p| problems.push(format!("materials[{index}].{what}: {p}")))
            .ok()
    };
    let out = root
        .materials
        .into_iter()
        .enumerate()
        .map(|(i, m)| ExtraTransforms {
            normal: read(m.normal, "normalTexture", i),
            occlusion: read(m.occlusion, "occlusionTexture", i),
        })
        .collect();
    let warning = (!problems.is_empty()).then(|| transform_problem(&problems.join("; ")));
    (out, warning)
}

fn transform_problem(problem: &str) -> String {
    format!("KHR_texture_transform ignored where it could not be read: {problem}")
}

/// What a URI points at once it passed the checks.
enum Resolved {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Resolves `uri` against `folder`: base64 `data:` URIs, or relative paths that stay inside
/// `folder` after percent-decoding and normalisation. Returns the reason on rejection.
fn resolve_uri(folder: &Path, uri: &str) -> Result<Resolved, String> {
    if let Some(rest) = uri.strip_prefix("data:") {
        let (header, payload) = rest
            .split_once(',')
            .ok_or("a data: URI needs a ',' before its payload")?;
        if header.ends_with(";base64") {
            return base64::engine::general_purpose::STANDARD
                .decode(payload)
                .map(Resolved::Bytes)
                .map_err(|e| format!("bad base64 payload: {e}"));
        }
        return Ok(Resolved::Bytes(
            percent_encoding::percent_decode_str(payload).collect(),
        ));
    }
    if let Some((scheme, _)) = uri.split_once(':')
        && !scheme.contains(['/', '\\', '?', '#'])
    {
        return Err(format!(
            "'{scheme}:' URIs are not allowed; only data: URIs and relative paths inside the asset's folder"
        ));
    }
    let decoded = percent_encoding::percent_decode_str(uri)
        .decode_utf8()
        .map_err(|_| "the path is not valid UTF-8 after percent-decoding".to_string())?;
    if decoded.starts_with(['/', '\\']) {
        return Err("absolute paths are not allowed".into());
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in decoded.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the path leaves the asset's folder".into());
                }
            }
            p if p.contains(':') => return Err("drive or stream prefixes are not allowed".into()),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("the path is empty".into());
    }
    let mut out = folder.to_owned();
    out.extend(parts);
    Ok(Resolved::File(out))
}

/// Loads every buffer and checks it holds its declared `byteLength`; those decoding `fills`
/// (decoded views and primitives, meshopt fallbacks) are left empty.
fn load_buffers(
    file: &str,
    folder: &Path,
    gltf: &gltf::Gltf,
    fills: impl Fn(usize) -> bool,
) -> Result<Vec<Vec<u8>>, ImportError> {
    let mut out = Vec::new();
    for buffer in gltf.buffers() {
        let index = buffer.index();
        if fills(index) {
            out.push(Vec::new());
            continue;
        }
        let data = match buffer.source() {
            gltf::buffer::Source::Bin => {
                gltf.blob
                    .clone()
                    .ok_or_else(|| ImportError::BufferMissing {
                        file: file.into(),
                        index,
                        problem: "it refers to the GLB BIN chunk, but the file has none".into(),
                    })?
            }
            gltf::buffer::Source::Uri(uri) => match resolve_uri(folder, uri) {
                Ok(Resolved::Bytes(b)) => b,
                Ok(Resolved::File(p)) => {
                    std::fs::read(&p).map_err(|e| ImportError::BufferMissing {
                        file: file.into(),
                        index,
                        problem: format!("{}: {e}", p.display()),
                    })?
                }
                Err(problem) => {
                    return Err(ImportError::UriRejected {
                        file: file.into(),
                        index,
                        uri: uri.chars().take(120).collect(),
                        problem,
                    });
                }
            },
        };
        if data.len() < buffer.length() {
            return Err(ImportError::BufferTooShort {
                file: file.into(),
                index,
                needed: buffer.length() as u64,
                available: data.len() as u64,
            });
        }
        out.push(data);
    }
    Ok(out)
}

/// The byte range of a buffer view inside its buffer, checked.
fn view_range(
    view: &gltf::buffer::View,
    buffers: &[Vec<u8>],
) -> Result<std::ops::Range<usize>, String> {
    let buffer_len = buffers.get(view.buffer().index()).map_or(0, Vec::len);
    let end = view
        .offset()
        .checked_add(view.length())
        .ok_or("offset plus length overflows")?;
    if end > buffer_len {
        return Err(format!(
            "needs bytes {}..{end} but buffer {} has {buffer_len}",
            view.offset(),
            view.buffer().index()
        ));
    }
    Ok(view.offset()..end)
}

fn check_views(file: &str, gltf: &gltf::Gltf, buffers: &[Vec<u8>]) -> Result<(), ImportError> {
    for view in gltf.views() {
        view_range(&view, buffers).map_err(|problem| ImportError::View {
            file: file.into(),
            index: view.index(),
            problem,
        })?;
    }
    Ok(())
}

/// Checks that `count` elements of `elem` bytes at `offset` with the view's stride fit in the
/// view; this is what the `gltf` reader indexes, so it must hold before reading.
fn check_span(
    view: &gltf::buffer::View,
    offset: usize,
    count: usize,
    elem: usize,
) -> Result<(), String> {
    if count == 0 {
        return Err("count is 0".into());
    }
    let stride = view.stride().unwrap_or(elem);
    if stride < elem {
        return Err(format!(
            "stride {stride} of buffer view {} is smaller than its {elem}-byte elements",
            view.index()
        ));
    }
    let needed = stride
        .checked_mul(count - 1)
        .and_then(|n| n.checked_add(elem))
        .and_then(|n| n.checked_add(offset));
    match needed {
        Some(n) if n <= view.length() => Ok(()),
        _ => Err(format!(
            "{count} elements of {elem} bytes (stride {stride}, offset {offset}) need more than the {} bytes of buffer view {}",
            view.length(),
            view.index()
        )),
    }
}

/// The bytes of buffer view `view` (its range checked by [`view_range`]).
fn view_bytes<'b>(view: &gltf::buffer::View, buffers: &'b [Vec<u8>]) -> Result<&'b [u8], String> {
    let range = view_range(view, buffers)?;
    buffers
        .get(view.buffer().index())
        .and_then(|b| b.get(range))
        .ok_or_else(|| "its buffer view is out of range".to_string())
}

fn check_accessors(file: &str, gltf: &gltf::Gltf, budget: u64) -> Result<(), ImportError> {
    // Accessors without a view read as zeros (plus sparse values) whatever their count: all
    // of them together may take `budget` bytes.
    let mut viewless = 0u64;
    for accessor in gltf.accessors() {
        let err = |problem: String| ImportError::Accessor {
            file: file.into(),
            index: accessor.index(),
            problem,
        };
        let elem = accessor.size();
        match accessor.view() {
            Some(view) => {
                check_span(&view, accessor.offset(), accessor.count(), elem).map_err(err)?
            }
            None if accessor.count() == 0 => return Err(err("count is 0".into())),
            None => {
                let bytes = (accessor.count() as u64).saturating_mul(elem as u64);
                viewless = viewless.saturating_add(bytes);
                if viewless > budget {
                    return Err(err(format!(
                        "{} values without a buffer view would take {bytes} bytes: more than \
                         this file may expand to ({budget} bytes)",
                        accessor.count()
                    )));
                }
            }
        }
        if let Some(sparse) = accessor.sparse() {
            let indices = sparse.indices();
            check_span(
                &indices.view(),
                indices.offset(),
                sparse.count(),
                indices.index_type().size(),
            )
            .map_err(|p| err(format!("sparse indices: {p}")))?;
            let values = sparse.values();
            check_span(&values.view(), values.offset(), sparse.count(), elem)
                .map_err(|p| err(format!("sparse values: {p}")))?;
        }
    }
    Ok(())
}

/// A scalar accessor's values as floats: `f32` as stored, normalized `u8`/`u16` as fractions.
fn read_scalars<'a>(
    accessor: &gltf::Accessor<'a>,
    data: impl Clone + Fn(gltf::Buffer<'a>) -> Option<&'a [u8]>,
) -> Option<Vec<f32>> {
    if accessor.dimensions() != Dimensions::Scalar {
        return None;
    }
    let iter = |a: &gltf::Accessor<'a>| a.clone();
    match (accessor.data_type(), accessor.normalized()) {
        (DataType::F32, _) => {
            Some(gltf::accessor::Iter::<f32>::new(iter(accessor), data)?.collect())
        }
        (DataType::U8, true) => Some(
            gltf::accessor::Iter::<u8>::new(iter(accessor), data)?
                .map(|v| f32::from(v) / 255.0)
                .collect(),
        ),
        (DataType::U16, true) => Some(
            gltf::accessor::Iter::<u16>::new(iter(accessor), data)?
                .map(|v| f32::from(v) / 65535.0)
                .collect(),
        ),
        // Morph weights may be signed (glTF 2.0 §3.7.2.2: max(c / 127, -1)).
        (DataType::I8, true) => Some(
            gltf::accessor::Iter::<i8>::new(iter(accessor), data)?
                .map(|v| (f32::from(v) / 127.0).max(-1.0))
                .collect(),
        ),
        (DataType::I16, true) => Some(
            gltf::accessor::Iter::<i16>::new(iter(accessor), data)?
                .map(|v| (f32::from(v) / 32767.0).max(-1.0))
                .collect(),
        ),
        _ => None,
    }
}

/// The values of a vertex attribute accessor as floats: `f32` as stored, and the integer
/// types of KHR_mesh_quantization converted as glTF says, normalized (`i8` → `max(c / 127,
/// -1)`, `u8` → `c / 255`, `i16` → `max(c / 32767, -1)`, `u16` → `c / 65535`) or not (the
/// integer itself), as `normalized` says. Sparse accessors are applied. `None` for other component types or an
/// accessor whose data cannot be read.
fn read_vectors<'a, const N: usize>(
    accessor: &gltf::Accessor<'a>,
    normalized: bool,
    data: impl Clone + Fn(gltf::Buffer<'a>) -> Option<&'a [u8]>,
) -> Option<Vec<[f32; N]>>
where
    [f32; N]: gltf::accessor::Item,
    [i8; N]: gltf::accessor::Item,
    [u8; N]: gltf::accessor::Item,
    [i16; N]: gltf::accessor::Item,
    [u16; N]: gltf::accessor::Item,
{
    fn read<'a, T, const N: usize>(
        accessor: &gltf::Accessor<'a>,
        data: impl Clone + Fn(gltf::Buffer<'a>) -> Option<&'a [u8]>,
        convert: impl Fn(T) -> f32,
    ) -> Option<Vec<[f32; N]>>
    where
        [T; N]: gltf::accessor::Item,
    {
        if accessor.size() != N * std::mem::size_of::<T>() {
            return None;
        }
        let values = gltf::accessor::Iter::<[T; N]>::new(accessor.clone(), data)?;
        Some(values.map(|v| v.map(&convert)).collect())
    }
    match accessor.data_type() {
        DataType::F32 => read(accessor, data, |v: f32| v),
        DataType::I8 if normalized => {
            read(accessor, data, |v: i8| (f32::from(v) / 127.0).max(-1.0))
        }
        DataType::U8 if normalized => read(accessor, data, |v: u8| f32::from(v) / 255.0),
        DataType::I16 if normalized => {
            read(accessor, data, |v: i16| (f32::from(v) / 32767.0).max(-1.0))
        }
        DataType::U16 if normalized => read(accessor, data, |v: u16| f32::from(v) / 65535.0),
        DataType::I8 => read(accessor, data, |v: i8| f32::from(v)),
        DataType::U8 => read(accessor, data, |v: u8| f32::from(v)),
        DataType::I16 => read(accessor, data, |v: i16| f32::from(v)),
        DataType::U16 => read(accessor, data, |v: u16| f32::from(v)),
        DataType::U32 => None,
    }
}

/// The glTF sampler as it is: each wrap mode and filter kept. Filters the file leaves out
/// (and a texture without a sampler) take glTF's usual default, linear with trilinear mips.
fn sampler_from_gltf(sampler: &gltf::texture::Sampler) -> Sampler {
    use gltf::texture::{MagFilter, MinFilter as GltfMin, WrappingMode};
    let wrap = |w: WrappingMode| match w {
        WrappingMode::Repeat => Wrap::Repeat,
        WrappingMode::MirroredRepeat => Wrap::MirroredRepeat,
        WrappingMode::ClampToEdge => Wrap::ClampToEdge,
    };
    let d = Sampler::default();
    Sampler {
        wrap_s: wrap(sampler.wrap_s()),
        wrap_t: wrap(sampler.wrap_t()),
        mag_filter: match sampler.mag_filter() {
            Some(MagFilter::Nearest) => Filter::Nearest,
            Some(MagFilter::Linear) => Filter::Linear,
            None => d.mag_filter,
        },
        min_filter: match sampler.min_filter() {
            Some(GltfMin::Nearest) => MinFilter::Nearest,
            Some(GltfMin::Linear) => MinFilter::Linear,
            Some(GltfMin::NearestMipmapNearest) => MinFilter::NearestMipmapNearest,
            Some(GltfMin::LinearMipmapNearest) => MinFilter::LinearMipmapNearest,
            Some(GltfMin::NearestMipmapLinear) => MinFilter::NearestMipmapLinear,
            Some(GltfMin::LinearMipmapLinear) => MinFilter::LinearMipmapLinear,
            None => d.min_filter,
        },
    }
}

fn transform_from_gltf(transform: gltf::scene::Transform) -> Transform {
    let (scale, rotation, translation) = match transform {
        gltf::scene::Transform::Matrix { matrix } => {
            let parent_from_local = Mat4::from_cols_array_2d(&matrix);
            parent_from_local.to_scale_rotation_translation()
        }
        gltf::scene::Transform::Decomposed {
            translation,
            rotation,
            scale,
        } => (
            Vec3::from(scale),
            Quat::from_array(rotation),
            Vec3::from(translation),
        ),
    };
    let finite = scale.is_finite() && rotation.is_finite() && translation.is_finite();
    if !finite {
        return Transform::IDENTITY;
    }
    Transform {
        translation,
        rotation: if rotation.length_squared() > 1e-12 {
            rotation.normalize()
        } else {
            Quat::IDENTITY
        },
        scale,
    }
}

/// The segments of a LINES (index pairs), LINE_STRIP (each index to the next) or LINE_LOOP
/// (a strip closed back to its first index) primitive; none for other modes.
fn segments_from(mode: Mode, indices: &[u32]) -> Vec<[u32; 2]> {
    match mode {
        Mode::Lines => indices.chunks_exact(2).map(|p| [p[0], p[1]]).collect(),
        Mode::LineStrip => indices.windows(2).map(|w| [w[0], w[1]]).collect(),
        Mode::LineLoop => {
            let mut segments: Vec<[u32; 2]> = indices.windows(2).map(|w| [w[0], w[1]]).collect();
            if let (Some(&first), Some(&last)) = (indices.first(), indices.last())
                && indices.len() > 2
            {
                segments.push([last, first]);
            }
            segments
        }
        _ => Vec::new(),
    }
}

/// Triangle-list indices for `mode`, or `None` for points and lines.
fn triangles_from(mode: Mode, indices: Vec<u32>) -> Option<Vec<u32>> {
    match mode {
        Mode::Triangles => {
            let whole = indices.len() - indices.len() % 3;
            let mut indices = indices;
            indices.truncate(whole);
            Some(indices)
        }
        Mode::TriangleStrip => Some(
            indices
                .windows(3)
                .enumerate()
                .flat_map(|(i, w)| {
                    if i % 2 == 0 {
                        [w[0], w[1], w[2]]
                    } else {
                        [w[1], w[0], w[2]]
                    }
                })
                .collect(),
        ),
        Mode::TriangleFan => {
            let first = *indices.first()?;
            Some(
                indices
                    .get(1..)
                    .unwrap_or_default()
                    .windows(2)
                    .flat_map(|w| [first, w[0], w[1]])
                    .collect(),
            )
        }
        Mode::Points | Mode::Lines | Mode::LineLoop | Mode::LineStrip => None,
    }
}

/// MikkTSpace input: an indexed triangle list and the texture coordinates the normal map is
/// sampled at; tangents are written per vertex.
struct TangentInput<'a> {
    mesh: &'a Mesh,
    uvs: &'a [[f32; 2]],
    tangents: Vec<[f32; 4]>,
}

impl TangentInput<'_> {
    fn vertex(&self, face: usize, vert: usize) -> usize {
        self.mesh
            .indices
            .get(face * 3 + vert)
            .map_or(0, |&i| i as usize)
    }
}

impl bevy_mikktspace::Geometry for TangentInput<'_> {
    fn num_faces(&self) -> usize {
        self.mesh.indices.len() / 3
    }
    fn num_vertices_of_face(&self, _face: usize) -> usize {
        3
    }
    fn position(&self, face: usize, vert: usize) -> [f32; 3] {
        let i = self.vertex(face, vert);
        self.mesh.positions.get(i).copied().unwrap_or_default()
    }
    fn normal(&self, face: usize, vert: usize) -> [f32; 3] {
        let i = self.vertex(face, vert);
        self.mesh.normals.get(i).copied().unwrap_or([0.0, 1.0, 0.0])
    }
    fn tex_coord(&self, face: usize, vert: usize) -> [f32; 2] {
        let i = self.vertex(face, vert);
        self.uvs.get(i).copied().unwrap_or_default()
    }
    fn set_tangent(
        &mut self,
        tangent_space: Option<bevy_mikktspace::TangentSpace>,
        face: usize,
        vert: usize,
    ) {
        let i = self.vertex(face, vert);
        if let (Some(ts), Some(slot)) = (tangent_space, self.tangents.get_mut(i)) {
            *slot = ts.tangent_encoded();
        }
    }
}

/// MikkTSpace tangents for an indexed mesh with normals, in the tangent frame of `uvs` (the
/// normal map's coordinates, one pair per vertex), as glTF defines them: MikkTSpace's
/// bitangent points along +v, but glTF's normal maps are "OpenGL" maps whose green points
/// to the top of the image, i.e. along −v (glTF's v grows downwards), so the handedness `w`
/// is negated (as three.js's `computeMikkTSpaceTangents` does for glTF, and as Blender's
/// exporter's tangents come out). Tangents in files are used as they are.
fn mikktspace_tangents(mesh: &Mesh, uvs: &[[f32; 2]]) -> Option<Vec<[f32; 4]>> {
    let mut input = TangentInput {
        mesh,
        uvs,
        tangents: vec![[1.0, 0.0, 0.0, 1.0]; mesh.positions.len()],
    };
    bevy_mikktspace::generate_tangents(&mut input).ok()?;
    for t in &mut input.tangents {
        t[3] = -t[3];
    }
    Some(input.tangents)
}

/// The tangents generated for `mesh` drawn with `material`'s normal map: MikkTSpace in the
/// map's own frame, its UV set through its transform (a rotated normal map turns its tangent
/// frame with it). An anisotropic material without a normal map gets them too
/// (KHR_materials_anisotropy's highlight follows the tangent), in the frame of its
/// anisotropy texture or else of its first UV set. `None` without either, or without
/// texture coordinates or normals to build on.
pub(crate) fn generated_tangents(mesh: &Mesh, material: &Material) -> Option<Vec<[f32; 4]>> {
    if let Some(normal) = &material.normal_texture {
        return tangents_for_slot(mesh, material, normal);
    }
    if !material.has_anisotropy() {
        return None;
    }
    anisotropy_tangents(mesh, material)
}

fn anisotropy_tangents(mesh: &Mesh, material: &Material) -> Option<Vec<[f32; 4]>> {
    match &material.anisotropy_texture {
        Some(direction) => tangents_for_slot(mesh, material, direction),
        None => tangents_in_uv_frame(mesh, 0, material.uv_transform().matrix()),
    }
}

/// Whether a mesh without tangents drawn with `material` is written with tangents: the
/// material needs a tangent space (a clearcoat normal map, an anisotropic highlight) and has
/// no base normal map a reader could generate one from.
pub(crate) fn needs_written_tangents(material: &Material) -> bool {
    material.normal_texture.is_none()
        && (material.clearcoat_normal_texture.is_some() || material.has_anisotropy())
}

/// The tangents written for `mesh` drawn with `material` when [`needs_written_tangents`]:
/// MikkTSpace in the frame of the clearcoat normal map, or else of the anisotropy's.
pub(crate) fn layer_tangents(mesh: &Mesh, material: &Material) -> Option<Vec<[f32; 4]>> {
    match &material.clearcoat_normal_texture {
        Some(coat) => tangents_for_slot(mesh, material, coat),
        None => anisotropy_tangents(mesh, material),
    }
}

/// The tangents generated for `mesh` in the frame of `material`'s texture slot `normal` (a
/// normal map: the base's or the clearcoat's).
fn tangents_for_slot(
    mesh: &Mesh,
    material: &Material,
    normal: &TextureRef,
) -> Option<Vec<[f32; 4]>> {
    tangents_in_uv_frame(mesh, normal.uv_set, material.slot_uv_matrix(normal))
}

/// MikkTSpace tangents for `mesh` in the frame of its UV set `uv_set` through `uv_matrix`.
fn tangents_in_uv_frame(mesh: &Mesh, uv_set: u32, uv_matrix: glam::Mat3) -> Option<Vec<[f32; 4]>> {
    let uvs: Vec<[f32; 2]> = mesh
        .uv_set(uv_set)
        .iter()
        .map(|uv| uv_matrix.transform_point2(glam::Vec2::from(*uv)).to_array())
        .collect();
    if uvs.is_empty() {
        return None;
    }
    mikktspace_tangents(mesh, &uvs)
}

/// Factor `key` of an extension's JSON object, 0–1 with 0 by default: out-of-range values
/// are clamped and what is not a number counts as 0, each described in `problems`.
fn json_unit_factor(value: &serde_json::Value, key: &str, problems: &mut Vec<String>) -> f32 {
    json_unit(value.get(key), key, problems)
}

/// Colour `key` of an extension's JSON object: three channels, each clamped to 0–1 (what is
/// not a number counts as 0), described in `problems`; None when absent, or when not three
/// numbers (described, with what is done instead: `otherwise`).
fn json_unit_color(
    value: &serde_json::Value,
    key: &str,
    otherwise: &str,
    problems: &mut Vec<String>,
) -> Option<[f32; 3]> {
    match value.get(key)? {
        serde_json::Value::Array(c) if c.len() == 3 => {
            let mut color = [0.0; 3];
            for (i, channel) in c.iter().enumerate() {
                color[i] = json_unit(Some(channel), &format!("{key}[{i}]"), problems);
            }
            Some(color)
        }
        _ => {
            problems.push(format!("{key} is not three numbers; {otherwise}"));
            None
        }
    }
}

/// Number `key` of an extension's JSON object, at least `min`: `default` when absent or not a
/// number, raised to `min` when below it, each but the absence described in `problems`.
fn json_at_least(
    value: &serde_json::Value,
    key: &str,
    min: f32,
    default: f32,
    problems: &mut Vec<String>,
) -> f32 {
    let Some(raw) = value.get(key) else {
        return default;
    };
    match raw.as_f64().map(|x| x as f32).filter(|x| x.is_finite()) {
        Some(x) if x < min => {
            problems.push(format!("{key} {x} raised to {min}"));
            min
        }
        Some(x) => x,
        None => {
            problems.push(format!("{key} is not a number; {default} taken"));
            default
        }
    }
}

fn json_unit(raw: Option<&serde_json::Value>, key: &str, problems: &mut Vec<String>) -> f32 {
    let Some(raw) = raw else {
        return 0.0;
    };
    match raw.as_f64().map(|x| x as f32).filter(|x| x.is_finite()) {
        Some(raw) => {
            let (x, repaired) = unit_factor(raw, 0.0);
            if repaired {
                problems.push(format!("{key} {raw} clamped to {x}"));
            }
            x
        }
        None => {
            problems.push(format!("{key} is not a number"));
            0.0
        }
    }
}

/// A factor the specification bounds to 0–1, clamped into it (one that is not a number takes
/// `default`), and whether that changed it.
fn unit_factor(x: f32, default: f32) -> (f32, bool) {
    if x.is_finite() {
        let clamped = x.clamp(0.0, 1.0);
        (clamped, clamped != x)
    } else {
        (default, true)
    }
}

/// One glTF primitive in the scene: node name, mesh and material; `None` if skipped.
/// A built glTF primitive: its node name, mesh, default material and, per material variant
/// index (KHR_materials_variants), the material it shows in that variant.
/// The items of `values` whose `keep` is true (`values` as it is unless one per item).
fn keep_where<T>(values: Vec<T>, keep: &[bool]) -> Vec<T> {
    if values.len() != keep.len() {
        return values;
    }
    values
        .into_iter()
        .zip(keep)
        .filter_map(|(v, &k)| k.then_some(v))
        .collect()
}

/// How a node deforms the mesh it holds, baked into the vertices ([`gltf_deform`]).
struct Deform {
    /// Morph target weights: the node's, else the mesh's.
    weights: Vec<f32>,
    /// Morph target names (the mesh's `extras.targetNames`), possibly fewer than targets.
    target_names: Vec<String>,
    /// Per joint of the node's skin: the node's frame from bind space, joints at rest.
    local_from_bind: Option<Vec<Mat4>>,
    /// The node's skin (index in the file), when `local_from_bind` is there.
    skin: Option<usize>,
}

/// A primitive's vertices as bound, before its skin moved them.
struct Bound {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    tangents: Vec<[f32; 4]>,
    indices: Vec<u32>,
    influences: Influences,
}

/// What [`Importer::deform`] made of a primitive besides its rest pose.
#[derive(Default)]
struct Deformed {
    /// The vertices as bound (skinned primitives).
    bound: Option<Bound>,
    /// The morph targets, kept (editable weights).
    morph: Option<KeptMorph>,
}

/// A primitive's morph targets and its vertices before any target moved them.
struct KeptMorph {
    positions: Vec<[f32; 3]>,
    normals: Vec<[f32; 3]>,
    tangents: Vec<[f32; 4]>,
    targets: Vec<MorphTarget>,
    weights: Vec<f32>,
    names: Vec<String>,
}

/// A skinned or morphed mesh built for one node, bound to its joints and given its morph
/// targets once the nodes exist ([`Importer::bind_deforms`]).
struct PendingDeform {
    mesh: MeshId,
    /// The skin (index in the file), the mesh as bound and its influences.
    skin: Option<(usize, Arc<Mesh>, Influences)>,
    morph: Option<morph::Morph>,
    /// The material whose tangents the rest-pose mesh still needs if it stays unbound (the
    /// file has none for it).
    tangents_for: Option<Material>,
}

/// The world-from-local matrix of every glTF node at rest (the scene's transforms of them).
fn rest_world(doc: &gltf::Document) -> Vec<Mat4> {
    let local: Vec<Mat4> = doc
        .nodes()
        .map(|n| transform_from_gltf(n.transform()).matrix())
        .collect();
    let children: Vec<Vec<usize>> = doc
        .nodes()
        .map(|n| n.children().map(|c| c.index()).collect())
        .collect();
    gltf_deform::rest_world_from_nodes(&local, &children)
}

type BuiltPrimitive = Option<(String, Built, Vec<(usize, MaterialId)>)>;

/// What one glTF primitive became.
#[derive(Clone, Copy)]
enum Built {
    Mesh(MeshId, MaterialId),
    /// A KHR_gaussian_splatting point primitive.
    Splats(SplatCloudId),
    /// Any other point primitive.
    Points(PointCloudId),
    /// A LINES, LINE_STRIP or LINE_LOOP primitive: a cloud with segments.
    Lines(PointCloudId),
}

/// The layouts indices may have (glTF core).
const INDEX_LAYOUTS: [(DataType, Dimensions); 3] = [
    (DataType::U8, Dimensions::Scalar),
    (DataType::U16, Dimensions::Scalar),
    (DataType::U32, Dimensions::Scalar),
];

/// The layouts each attribute may have (core glTF, plus the integers of
/// KHR_mesh_quantization, accepted whether or not the file declares it: they are
/// unambiguous), so that the `gltf` reader, which asserts on others, can read them.
const POSITION_LAYOUTS: [(DataType, Dimensions); 5] = [
    (DataType::F32, Dimensions::Vec3),
    (DataType::I8, Dimensions::Vec3),
    (DataType::U8, Dimensions::Vec3),
    (DataType::I16, Dimensions::Vec3),
    (DataType::U16, Dimensions::Vec3),
];
const NORMAL_LAYOUTS: [(DataType, Dimensions); 3] = [
    (DataType::F32, Dimensions::Vec3),
    (DataType::I8, Dimensions::Vec3),
    (DataType::I16, Dimensions::Vec3),
];
const COLOR_LAYOUTS: [(DataType, Dimensions); 6] = [
    (DataType::F32, Dimensions::Vec3),
    (DataType::U8, Dimensions::Vec3),
    (DataType::U16, Dimensions::Vec3),
    (DataType::F32, Dimensions::Vec4),
    (DataType::U8, Dimensions::Vec4),
    (DataType::U16, Dimensions::Vec4),
];

/// The extension whose point primitives are 3D Gaussian splats.
const GAUSSIAN_SPLATTING: &str = "KHR_gaussian_splatting";

/// One thing a glTF node holds: its name, kind and (for mesh primitives) variant materials.
type NodeContent = (String, NodeKind, Vec<(usize, MaterialId)>);

/// Most material variants read from one file.
const MAX_VARIANTS: usize = 1024;

struct Importer<'a> {
    file: String,
    folder: PathBuf,
    doc: &'a gltf::Document,
    /// Normal and occlusion KHR_texture_transform per glTF material index.
    extra_transforms: Vec<ExtraTransforms>,
    buffers: Rc<Vec<Vec<u8>>>,
    scene: Scene,
    warnings: Vec<String>,
    /// Scene image per glTF image; `None` where it failed to load (warned).
    images: Vec<Option<ImageId>>,
    /// Scene material per glTF material index (`None` = the glTF default material).
    materials: HashMap<Option<usize>, MaterialId>,
    /// Scene meshes (with materials) per glTF mesh, and node for those a node deforms
    /// itself (its skin or morph weights); `None` for skipped primitives.
    meshes: HashMap<(usize, Option<usize>), Vec<BuiltPrimitive>>,
    /// The skins of the file and of each node ([`Repairs::skin_json`]).
    skins: Vec<SkinJson>,
    node_skins: Vec<Option<usize>>,
    /// World from local of each glTF node at rest, for skins.
    rest_world: Vec<Mat4>,
    /// Vertices built for nodes that deform a mesh their own way ([`MAX_DEFORMED_VERTICES`]).
    deformed_vertices: u64,
    /// Joint matrices built for skinned nodes ([`MAX_JOINT_MATRICES`]).
    joint_matrices: usize,
    /// Vertices moved by morph targets, once per target ([`MAX_MORPHED_VALUES`]).
    morphed_values: u64,
    /// Morph displacements kept editable ([`MAX_KEPT_MORPH_VALUES`]).
    kept_morph_values: u64,
    /// glTF nodes whose morph weights an animation moves (they get meshes of their own).
    weights_animated: HashSet<usize>,
    /// Inverse bind matrices per skin (one per joint), as read.
    joint_from_bind: HashMap<usize, Vec<Mat4>>,
    /// Skinned and morphed meshes waiting for their scene nodes.
    pending_deforms: Vec<PendingDeform>,
    /// KHR_materials_variants names, by variant index.
    variant_names: Vec<String>,
    /// Per variant index: (node, material) pairs.
    variant_assignments: Vec<Vec<(NodeId, MaterialId)>>,
    /// Bytes all decoded images may take together ([`MAX_TOTAL_IMAGE_BYTES`]).
    image_budget: u64,
    /// Roughness images derived from specular-glossiness textures, by (source image,
    /// glossiness factor bits).
    roughness_images: HashMap<(ImageId, u32), ImageId>,
    /// EXT_mesh_gpu_instancing instances read so far ([`MAX_INSTANCES`]).
    instances: usize,
    /// The scene node each glTF node became (`None`: not in the scene shown).
    node_ids: Vec<Option<NodeId>>,
}

impl Importer<'_> {
    fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.file));
    }

    fn warn_unsupported(&mut self, repairs: &Repairs) {
        let ignored: Vec<&str> = self
            .doc
            .extensions_used()
            .filter(|e| !SUPPORTED_EXTENSIONS.contains(e))
            .collect();
        if !ignored.is_empty() {
            self.warn(format!(
                "uses glTF extension(s) worldsmith ignores: {} (what they add is not \
                 shown)",
                ignored.join(", ")
            ));
        }
        if repairs.skins > 0 {
            self.warn(format!(
                "{} skin(s): skinned meshes show in their rest pose; their joints' animation \
                 plays on the timeline",
                repairs.skins
            ));
        }
    }

    fn image_bytes(&self, image: &gltf::Image) -> Result<Vec<u8>, String> {
        // gltf 1.4's `Image::source` unwraps the URI when there is no buffer view, and the
        // MIME type when there is one; validation lets both through, so check them first.
        let json = self.doc.as_json().images.get(image.index());
        match json.map(|j| {
            (
                j.buffer_view.is_some(),
                j.uri.is_some(),
                j.mime_type.is_some(),
            )
        }) {
            Some((true, _, true) | (false, true, _)) => {}
            Some((true, _, false)) => return Err("it has a bufferView but no mimeType".into()),
            _ => return Err("it has neither a uri nor a bufferView".into()),
        }
        match image.source() {
            gltf::image::Source::View { view, .. } => {
                view_bytes(&view, &self.buffers).map(<[u8]>::to_vec)
            }
            gltf::image::Source::Uri { uri, .. } => {
                let shown: String = uri.chars().take(120).collect();
                match resolve_uri(&self.folder, uri) {
                    Ok(Resolved::Bytes(b)) => Ok(b),
                    Ok(Resolved::File(p)) => {
                        std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))
                    }
                    Err(problem) => Err(format!("URI '{shown}' is not allowed: {problem}")),
                }
            }
        }
    }

    /// Every image of the file, decoded; `added` is the image [`Repairs`] gave textures
    /// without one, left empty without a warning of its own.
    fn load_images(&mut self, added: Option<usize>) {
        // The bytes first (files and buffer views are read through the importer), then every
        // image decoded in parallel: a PBR model's 2048² JPEG/PNG maps are most of its import.
        let sources: Vec<(String, Result<Vec<u8>, String>)> = self
            .doc
            .images()
            .map(|image| {
                let name = image
                    .name()
                    .map_or_else(|| format!("Image_{}", image.index()), str::to_owned);
                (name, self.image_bytes(&image))
            })
            .collect();
        let sizes: Vec<Option<u64>> = sources
            .iter()
            .map(|(_, bytes)| bytes.as_deref().ok().and_then(decoded_size))
            .collect();
        let fits = within_budget(&sizes, self.image_budget);
        let budget_gib = self.image_budget as f64 / f64::from(1u32 << 30);
        let decoded: Vec<_> = sources
            .into_par_iter()
            .zip(fits)
            .map(|((name, bytes), fits)| {
                if !fits {
                    let problem = format!(
                        "decoded, the file's images would take more than {budget_gib:.1} GiB"
                    );
                    return (name, Err(problem));
                }
                let decoded = bytes.and_then(|bytes| {
                    let rgba = decode_rgba(&bytes)?;
                    Ok((rgba, super::encoded_source(bytes)))
                });
                (name, decoded)
            })
            .collect();
        for (index, (name, decoded)) in decoded.into_iter().enumerate() {
            let id = match decoded {
                Ok((rgba, source)) => {
                    let (w, h) = rgba.dimensions();
                    Image::new(&name, w, h, rgba.into_raw()).map(|i| {
                        let i = match source {
                            Some(source) => i.with_source(source),
                            None => i,
                        };
                        self.scene.add_image(i)
                    })
                }
                Err(_) if added == Some(index) => None,
                Err(problem) => {
                    self.warn(format!("image {index} ('{name}') left empty: {problem}"));
                    None
                }
            };
            self.images.push(id);
        }
    }

    /// The scene slot for one glTF texture slot of material `material`: its image and
    /// sampler, and the UV set (`tex_coord`, or the transform's override) and transform it
    /// samples through. A set other than 0 or 1 is warned about and reads set 0.
    fn texture_ref(
        &mut self,
        material: &str,
        slot: &str,
        texture: &gltf::Texture,
        tex_coord: u32,
        transform: Option<SlotTransform>,
    ) -> Option<TextureRef> {
        let image = (*self.images.get(texture.source().index())?)?;
        let (mut transform, set_override) = transform.unwrap_or((UvTransform::IDENTITY, None));
        let finite = |v: [f32; 2]| v.iter().all(|x| x.is_finite());
        if !(finite(transform.offset) && transform.rotation.is_finite() && finite(transform.scale))
        {
            // Numbers beyond f32 range parse as infinities, which would blank the texture.
            self.warn(format!(
                "material '{material}': the {slot} texture's KHR_texture_transform has a number \
                 out of range; the transform is ignored"
            ));
            transform = UvTransform::IDENTITY;
        }
        let mut uv_set = set_override.unwrap_or(tex_coord);
        if uv_set > 1 {
            self.warn(format!(
                "material '{material}': the {slot} texture uses TEXCOORD_{uv_set}, but only \
                 TEXCOORD_0 and TEXCOORD_1 are supported; it reads TEXCOORD_0"
            ));
            uv_set = 0;
        }
        Some(TextureRef {
            image,
            sampler: sampler_from_gltf(&texture.sampler()),
            uv_set,
            transform,
        })
    }

    fn material(&mut self, material: &gltf::Material) -> MaterialId {
        if let Some(&id) = self.materials.get(&material.index()) {
            return id;
        }
        let pbr = material.pbr_metallic_roughness();
        let name = match (material.name(), material.index()) {
            (Some(n), _) => n.to_owned(),
            (None, Some(i)) => format!("Material_{i}"),
            (None, None) => "Default".into(),
        };
        fn info_slot(
            info: gltf::texture::Info<'_>,
        ) -> (gltf::Texture<'_>, u32, Option<SlotTransform>) {
            let transform = info.texture_transform().map(|t| {
                let transform = UvTransform {
                    offset: t.offset(),
                    rotation: t.rotation(),
                    scale: t.scale(),
                };
                (transform, t.tex_coord())
            });
            (info.texture(), info.tex_coord(), transform)
        }
        let extra = material
            .index()
            .and_then(|i| self.extra_transforms.get(i))
            .copied()
            .unwrap_or_default();
        let specular = material.specular();
        let transmission = material.transmission();
        let volume = material.volume();
        let mut slots = [None; TextureSlot::COUNT];
        let sources = [
            (
                TextureSlot::BaseColor,
                "base colour",
                pbr.base_color_texture().map(info_slot),
            ),
            (
                TextureSlot::MetallicRoughness,
                "metallic-roughness",
                pbr.metallic_roughness_texture().map(info_slot),
            ),
            (
                TextureSlot::Normal,
                "normal",
                material
                    .normal_texture()
                    .map(|n| (n.texture(), n.tex_coord(), extra.normal)),
            ),
            (
                TextureSlot::Occlusion,
                "occlusion",
                material
                    .occlusion_texture()
                    .map(|o| (o.texture(), o.tex_coord(), extra.occlusion)),
            ),
            (
                TextureSlot::Emissive,
                "emissive",
                material.emissive_texture().map(info_slot),
            ),
            (
                TextureSlot::Specular,
                "specular",
                specular
                    .as_ref()
                    .and_then(|s| s.specular_texture())
                    .map(info_slot),
            ),
            (
                TextureSlot::SpecularColor,
                "specular colour",
                specular
                    .as_ref()
                    .and_then(|s| s.specular_color_texture())
                    .map(info_slot),
            ),
            (
                TextureSlot::Transmission,
                "transmission",
                transmission
                    .as_ref()
                    .and_then(|t| t.transmission_texture())
                    .map(info_slot),
            ),
            (
                TextureSlot::Thickness,
                "thickness",
                volume
                    .as_ref()
                    .and_then(|v| v.thickness_texture())
                    .map(info_slot),
            ),
        ];
        // The clearcoat's three slots are read from its JSON (`clearcoat`).
        for (slot, label, source) in sources {
            if let Some((texture, tex_coord, transform)) = source {
                slots[slot as usize] =
                    self.texture_ref(&name, label, &texture, tex_coord, transform);
            }
        }
        let mut out = Material {
            name,
            base_color: pbr.base_color_factor(),
            metallic: pbr.metallic_factor(),
            roughness: pbr.roughness_factor(),
            emissive: material.emissive_factor(),
            emissive_strength: material.emissive_strength().unwrap_or(1.0),
            // KHR_materials_ior; `dielectric_f0` treats an invalid value as 1.5.
            ior: material.ior().unwrap_or(1.5),
            alpha_mode: match material.alpha_mode() {
                gltf::material::AlphaMode::Opaque => AlphaMode::Opaque,
                gltf::material::AlphaMode::Mask => AlphaMode::Mask {
                    cutoff: material.alpha_cutoff().unwrap_or(0.5),
                },
                gltf::material::AlphaMode::Blend => AlphaMode::Blend,
            },
            double_sided: material.double_sided(),
            unlit: material.unlit(),
            ..Material::default()
        };
        for (slot, texture) in TextureSlot::ALL.into_iter().zip(slots) {
            *out.slot_mut(slot) = texture;
        }
        if let Some(t) = &transmission {
            let factor = t.transmission_factor();
            let repaired;
            (out.transmission, repaired) = unit_factor(factor, 0.0);
            if repaired {
                self.warn(format!(
                    "material '{}': KHR_materials_transmission factor {factor} is outside 0–1; \
                     clamped to {}",
                    out.name, out.transmission
                ));
            }
        }
        self.clearcoat(&mut out, material);
        self.sheen(&mut out, material);
        self.anisotropy(&mut out, material);
        self.iridescence(&mut out, material);
        self.diffuse_transmission(&mut out, material);
        if let Some(v) = &volume {
            self.volume_factors(&mut out, v);
        }
        self.dispersion(&mut out, material);
        if let Some(s) = &specular {
            self.specular_factors(&mut out, s.specular_factor(), s.specular_color_factor());
        }
        if let Some(sg) = material.pbr_specular_glossiness()
            && out.base_color_texture.is_none()
            && out.metallic_roughness_texture.is_none()
        {
            self.specular_glossiness(&mut out, &sg, info_slot);
        }
        if let Some(normal) = material.normal_texture() {
            out.normal_scale = normal.scale();
        }
        if let Some(occlusion) = material.occlusion_texture() {
            out.occlusion_strength = occlusion.strength();
        }
        let id = self.scene.add_material(out);
        self.materials.insert(material.index(), id);
        id
    }

    /// KHR_materials_clearcoat, which the `gltf` crate does not parse: read from the
    /// material's extension object as the file states it. Factors outside 0–1 are clamped
    /// and a texture that names no texture of the file is left out, each with a warning.
    fn clearcoat(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_clearcoat";
        let Some(value) = self.extension_json(material, NAME) else {
            return;
        };
        let name = out.name.clone();
        let mut problems = Vec::new();
        out.clearcoat = json_unit_factor(&value, "clearcoatFactor", &mut problems);
        out.clearcoat_roughness =
            json_unit_factor(&value, "clearcoatRoughnessFactor", &mut problems);
        let normal_scale = value
            .get("clearcoatNormalTexture")
            .and_then(|t| t.get("scale"))
            .and_then(serde_json::Value::as_f64)
            .map(|x| x as f32)
            .filter(|x| x.is_finite());
        out.clearcoat_normal_scale = normal_scale.unwrap_or(1.0);
        self.json_texture_slots(
            out,
            &value,
            &[
                ("clearcoatTexture", TextureSlot::Clearcoat),
                ("clearcoatRoughnessTexture", TextureSlot::ClearcoatRoughness),
                ("clearcoatNormalTexture", TextureSlot::ClearcoatNormal),
            ],
            &mut problems,
        );
        self.warn_extension(&name, NAME, &problems);
    }

    /// KHR_materials_sheen, which the `gltf` crate does not parse: read from the material's
    /// extension object. Colour channels and the roughness outside 0–1 are clamped, and a
    /// texture that names no texture of the file is left out, each with a warning.
    fn sheen(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_sheen";
        let Some(value) = self.extension_json(material, NAME) else {
            return;
        };
        let mut problems = Vec::new();
        if let Some(color) = json_unit_color(&value, "sheenColorFactor", "left out", &mut problems)
        {
            out.sheen_color = color;
        }
        out.sheen_roughness = json_unit_factor(&value, "sheenRoughnessFactor", &mut problems);
        self.json_texture_slots(
            out,
            &value,
            &[
                ("sheenColorTexture", TextureSlot::SheenColor),
                ("sheenRoughnessTexture", TextureSlot::SheenRoughness),
            ],
            &mut problems,
        );
        self.warn_extension(&out.name, NAME, &problems);
    }

    /// KHR_materials_anisotropy, which the `gltf` crate does not parse: read from the
    /// material's extension object. A strength outside 0–1 is clamped, a rotation that is not
    /// a number is left at 0, and a texture that names no texture of the file is left out,
    /// each with a warning.
    fn anisotropy(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_anisotropy";
        let Some(value) = self.extension_json(material, NAME) else {
            return;
        };
        let mut problems = Vec::new();
        out.anisotropy_strength = json_unit_factor(&value, "anisotropyStrength", &mut problems);
        if let Some(raw) = value.get("anisotropyRotation") {
            match raw.as_f64().map(|x| x as f32).filter(|x| x.is_finite()) {
                Some(rotation) => out.anisotropy_rotation = rotation,
                None => problems.push("anisotropyRotation is not a number; 0 taken".into()),
            }
        }
        self.json_texture_slots(
            out,
            &value,
            &[("anisotropyTexture", TextureSlot::Anisotropy)],
            &mut problems,
        );
        self.warn_extension(&out.name, NAME, &problems);
    }

    /// KHR_materials_iridescence, which the `gltf` crate does not parse: read from the
    /// material's extension object. A factor outside 0–1 is clamped, an IOR below 1 or a
    /// negative thickness is raised, what is not a number takes the extension's default,
    /// and a texture that names no texture of the file is left out, each with a warning.
    fn iridescence(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_iridescence";
        let Some(value) = self.extension_json(material, NAME) else {
            return;
        };
        let mut problems = Vec::new();
        out.iridescence = json_unit_factor(&value, "iridescenceFactor", &mut problems);
        let defaults = Material::default();
        out.iridescence_ior = json_at_least(
            &value,
            "iridescenceIor",
            1.0,
            defaults.iridescence_ior,
            &mut problems,
        );
        for (i, key) in ["iridescenceThicknessMinimum", "iridescenceThicknessMaximum"]
            .into_iter()
            .enumerate()
        {
            out.iridescence_thickness[i] = json_at_least(
                &value,
                key,
                0.0,
                defaults.iridescence_thickness[i],
                &mut problems,
            );
        }
        self.json_texture_slots(
            out,
            &value,
            &[
                ("iridescenceTexture", TextureSlot::Iridescence),
                (
                    "iridescenceThicknessTexture",
                    TextureSlot::IridescenceThickness,
                ),
            ],
            &mut problems,
        );
        self.warn_extension(&out.name, NAME, &problems);
    }

    /// KHR_materials_diffuse_transmission, which the `gltf` crate does not parse: read from
    /// the material's extension object. The factor and colour channels outside 0–1 are
    /// clamped, a colour that is not three numbers is left white, and a texture that names no
    /// texture of the file is left out, each with a warning.
    fn diffuse_transmission(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_diffuse_transmission";
        let Some(value) = self.extension_json(material, NAME) else {
            return;
        };
        let mut problems = Vec::new();
        out.diffuse_transmission =
            json_unit_factor(&value, "diffuseTransmissionFactor", &mut problems);
        if let Some(color) = json_unit_color(
            &value,
            "diffuseTransmissionColorFactor",
            "white taken",
            &mut problems,
        ) {
            out.diffuse_transmission_color = color;
        }
        self.json_texture_slots(
            out,
            &value,
            &[
                (
                    "diffuseTransmissionTexture",
                    TextureSlot::DiffuseTransmission,
                ),
                (
                    "diffuseTransmissionColorTexture",
                    TextureSlot::DiffuseTransmissionColor,
                ),
            ],
            &mut problems,
        );
        self.warn_extension(&out.name, NAME, &problems);
    }

    /// The texture slots an extension's JSON object (`value`) names under `keys`
    /// (glTF `textureInfo`s: index, texCoord, KHR_texture_transform), set on `out`; what
    /// cannot be read is described in `problems` and left out.
    fn json_texture_slots(
        &mut self,
        out: &mut Material,
        value: &serde_json::Value,
        keys: &[(&str, TextureSlot)],
        problems: &mut Vec<String>,
    ) {
        let name = out.name.clone();
        for &(key, slot) in keys {
            let Some(info) = value.get(key) else {
                continue;
            };
            let texture = info
                .get("index")
                .and_then(serde_json::Value::as_u64)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.doc.textures().nth(i));
            let Some(texture) = texture else {
                problems.push(format!("{key} names no texture of the file; left out"));
                continue;
            };
            let tex_coord = info
                .get("texCoord")
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0);
            let transform = match info
                .get("extensions")
                .and_then(|e| e.get("KHR_texture_transform"))
                .map(slot_transform_from_json)
            {
                Some(Ok(t)) => Some(t),
                Some(Err(problem)) => {
                    problems.push(format!("{key}'s KHR_texture_transform: {problem}"));
                    None
                }
                None => None,
            };
            *out.slot_mut(slot) =
                self.texture_ref(&name, slot.label(), &texture, tex_coord, transform);
        }
    }

    /// The JSON object of material extension `name` as the file states it, for extensions
    /// the `gltf` crate does not parse.
    fn extension_json(&self, material: &gltf::Material, name: &str) -> Option<serde_json::Value> {
        material
            .index()
            .and_then(|i| self.doc.as_json().materials.get(i))
            .and_then(|m| m.extensions.as_ref())
            .and_then(|e| e.others.get(name))
            .cloned()
    }

    /// KHR_materials_dispersion, which the `gltf` crate does not parse: its one factor from
    /// the extension's JSON; a value that is not a number ≥ 0 is left out with a warning.
    fn dispersion(&mut self, out: &mut Material, material: &gltf::Material) {
        const NAME: &str = "KHR_materials_dispersion";
        let Some(value) = self
            .extension_json(material, NAME)
            .and_then(|v| v.get("dispersion").cloned())
        else {
            return;
        };
        match value.as_f64().map(|x| x as f32) {
            Some(x) if x.is_finite() && x >= 0.0 => out.dispersion = x,
            _ => self.warn(format!(
                "material '{}': {NAME} dispersion {value} is not a number ≥ 0; left out",
                out.name
            )),
        }
    }

    /// KHR_materials_volume's factors: a thickness below 0 or not a number becomes 0 (thin),
    /// an attenuation distance that is not a positive number means none (glTF's +∞), colour
    /// channels are clamped to 0–1; each repair is warned.
    fn volume_factors(&mut self, out: &mut Material, volume: &gltf::material::Volume) {
        let mut problems = Vec::new();
        let thickness = volume.thickness_factor();
        out.thickness = if thickness.is_finite() && thickness >= 0.0 {
            thickness
        } else {
            problems.push(format!(
                "thicknessFactor {thickness} is not a number ≥ 0; 0 used"
            ));
            0.0
        };
        let distance = volume.attenuation_distance();
        out.attenuation_distance = if distance.is_finite() && distance > 0.0 {
            Some(distance)
        } else {
            if distance != f32::INFINITY {
                problems.push(format!(
                    "attenuationDistance {distance} is not a positive number; no absorption"
                ));
            }
            None
        };
        let color = volume.attenuation_color();
        out.attenuation_color = color.map(|c| unit_factor(c, 1.0).0);
        if out.attenuation_color != color {
            problems.push(format!(
                "attenuationColor {color:?} is outside 0–1; clamped to {:?}",
                out.attenuation_color
            ));
        }
        self.warn_extension(&out.name, "KHR_materials_volume", &problems);
    }

    /// One warning for what could not be read of a material's `extension` as written (none
    /// when `problems` is empty).
    fn warn_extension(&mut self, material: &str, extension: &str, problems: &[String]) {
        if !problems.is_empty() {
            self.warn(format!(
                "material '{material}': {extension}: {}",
                problems.join("; ")
            ));
        }
    }

    /// KHR_materials_specular's factors, kept in range: the strength in 0–1 and each colour
    /// channel ≥ 0 (a value outside, or not a number, is replaced and warned about).
    fn specular_factors(&mut self, out: &mut Material, specular: f32, color: [f32; 3]) {
        let mut repaired;
        (out.specular, repaired) = unit_factor(specular, 1.0);
        out.specular_color = color.map(|c| {
            if c.is_finite() && c >= 0.0 {
                c
            } else {
                repaired = true;
                if c.is_finite() { 0.0 } else { 1.0 }
            }
        });
        if repaired {
            self.warn(format!(
                "material '{}': KHR_materials_specular factors out of range (specularFactor \
                 {specular}, specularColorFactor {color:?}); clamped to {} and {:?}",
                out.name, out.specular, out.specular_color
            ));
        }
    }

    /// A KHR_materials_pbrSpecularGlossiness material (without a metallic-roughness
    /// fallback of its own) as metallic-roughness with KHR_materials_specular, the conversion
    /// that extension gives: IOR 0 (so the dielectric's f0 is 1) and the specular colour and
    /// texture as the specular colour, so f0 = specular as in specular-glossiness; the diffuse
    /// colour and texture become the base colour, metallic 0, roughness `1 − glossiness` —
    /// from the specular-glossiness texture's alpha as a derived roughness texture
    /// (G = 1 − gloss · A, B = 0) where there is one.
    fn specular_glossiness(
        &mut self,
        out: &mut Material,
        sg: &gltf::material::PbrSpecularGlossiness,
        info_slot: fn(gltf::texture::Info<'_>) -> (gltf::Texture<'_>, u32, Option<SlotTransform>),
    ) {
        let name = out.name.clone();
        out.base_color = sg.diffuse_factor();
        out.metallic = 0.0;
        let gloss = sg.glossiness_factor().clamp(0.0, 1.0);
        out.roughness = 1.0 - gloss;
        out.ior = 0.0;
        self.specular_factors(out, 1.0, sg.specular_factor());
        if let Some((texture, tex_coord, transform)) = sg.diffuse_texture().map(info_slot) {
            out.base_color_texture =
                self.texture_ref(&name, "diffuse", &texture, tex_coord, transform);
        }
        if let Some((texture, tex_coord, transform)) =
            sg.specular_glossiness_texture().map(info_slot)
            && let Some(mut slot) =
                self.texture_ref(&name, "specular-glossiness", &texture, tex_coord, transform)
        {
            out.specular_color_texture = Some(slot);
            let key = (slot.image, gloss.to_bits());
            let derived = match self.roughness_images.get(&key) {
                Some(&id) => Some(id),
                None => self.scene.image(slot.image).cloned().and_then(|source| {
                    let pixels = source
                        .rgba8
                        .chunks_exact(4)
                        .flat_map(|p| {
                            let roughness = 255.0 - (gloss * f32::from(p[3])).round();
                            [0, roughness as u8, 0, 255]
                        })
                        .collect();
                    let name = format!("{} (roughness)", source.name);
                    let image = Image::new(&name, source.width, source.height, pixels)?;
                    let id = self.scene.add_image(image);
                    self.roughness_images.insert(key, id);
                    Some(id)
                }),
            };
            if let Some(id) = derived {
                slot.image = id;
                out.metallic_roughness_texture = Some(slot);
                out.roughness = 1.0;
            }
        }
        self.warn(format!(
            "material '{name}' uses KHR_materials_pbrSpecularGlossiness: converted to \
             metallic-roughness with KHR_materials_specular (diffuse as base colour, \
             roughness from glossiness, specular colour kept with IOR 0)"
        ));
    }

    fn mesh_error(&self, mesh: &str, problem: String) -> ImportError {
        ImportError::Mesh {
            file: self.file.clone(),
            mesh: mesh.into(),
            problem,
        }
    }

    /// Checks that the accessor for `semantic` (if any) has one of the allowed layouts, so
    /// the `gltf` reader (which asserts on others) can read it.
    fn check_layout(
        &self,
        mesh: &str,
        accessor: Option<gltf::Accessor>,
        what: &str,
        allowed: &[(DataType, Dimensions)],
    ) -> Result<(), ImportError> {
        let Some(accessor) = accessor else {
            return Ok(());
        };
        let layout = (accessor.data_type(), accessor.dimensions());
        if allowed.contains(&layout) {
            Ok(())
        } else {
            Err(self.mesh_error(
                mesh,
                format!(
                    "{what} accessor {} has unsupported layout {:?} {:?}",
                    accessor.index(),
                    layout.0,
                    layout.1
                ),
            ))
        }
    }

    /// The indices of `primitive` (their layout checked against [`INDEX_LAYOUTS`] first), or
    /// `0..n` when it has none; an index past its `n` vertices is an error naming the mesh.
    fn indices(
        &self,
        name: &str,
        primitive: &gltf::Primitive,
        n: usize,
    ) -> Result<Vec<u32>, ImportError> {
        self.check_layout(name, primitive.indices(), "indices", &INDEX_LAYOUTS)?;
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let indices: Vec<u32> = match primitive.indices() {
            Some(accessor) => primitive
                .reader(data)
                .read_indices()
                .ok_or_else(|| self.unreadable(name, Some(accessor), "indices"))?
                .into_u32()
                .collect(),
            None => (0..n as u32).collect(),
        };
        if let Some(bad) = indices.iter().find(|&&i| i as usize >= n) {
            return Err(self.mesh_error(
                name,
                format!(
                    "primitive {} has index {bad} but only {n} vertices",
                    primitive.index()
                ),
            ));
        }
        Ok(indices)
    }

    fn unreadable(&self, mesh: &str, accessor: Option<gltf::Accessor>, what: &str) -> ImportError {
        let index = accessor.map_or_else(|| "?".into(), |a| a.index().to_string());
        self.mesh_error(
            mesh,
            format!("{what} accessor {index} could not be read (no buffer view or out of range)"),
        )
    }

    /// Builds the scene meshes of one glTF primitive, or `None` if it is skipped (warned).
    fn primitive(
        &mut self,
        mesh_index: usize,
        mesh_name: &str,
        primitive: &gltf::Primitive,
        deform: &Deform,
    ) -> Result<Option<Built>, ImportError> {
        use DataType::{F32, I8, I16, U8, U16};
        use Dimensions::{Vec2, Vec4};
        let mode = primitive.mode();
        if let Some(extension) = self.splatting_extension(mesh_index, primitive) {
            if mode == Mode::Points {
                return self.splats(mesh_name, primitive, &extension).map(Some);
            }
            self.warn(format!(
                "mesh '{mesh_name}' primitive {}: {GAUSSIAN_SPLATTING} on {mode:?}, not POINTS; \
                 read as a mesh",
                primitive.index()
            ));
        }
        if matches!(
            mode,
            Mode::Points | Mode::Lines | Mode::LineLoop | Mode::LineStrip
        ) {
            return self.points(mesh_name, primitive, deform);
        }
        let Some(position_accessor) = primitive.get(&Semantic::Positions) else {
            self.warn(format!(
                "mesh '{mesh_name}' primitive {} has no POSITION; skipped",
                primitive.index()
            ));
            return Ok(None);
        };
        let name = mesh_name;
        // Core float attributes, plus the integer ones of KHR_mesh_quantization (accepted
        // whether or not the file declares it: they are unambiguous).
        self.check_layout(
            name,
            Some(position_accessor.clone()),
            "POSITION",
            &POSITION_LAYOUTS,
        )?;
        self.check_layout(
            name,
            primitive.get(&Semantic::Normals),
            "NORMAL",
            &NORMAL_LAYOUTS,
        )?;
        self.check_layout(
            name,
            primitive.get(&Semantic::Tangents),
            "TANGENT",
            &[(F32, Vec4), (I8, Vec4), (I16, Vec4)],
        )?;
        let uv_layouts = [
            (F32, Vec2),
            (I8, Vec2),
            (U8, Vec2),
            (I16, Vec2),
            (U16, Vec2),
        ];
        for (set, what) in [(0, "TEXCOORD_0"), (1, "TEXCOORD_1")] {
            self.check_layout(
                name,
                primitive.get(&Semantic::TexCoords(set)),
                what,
                &uv_layouts,
            )?;
        }
        self.check_layout(
            name,
            primitive.get(&Semantic::Colors(0)),
            "COLOR_0",
            &COLOR_LAYOUTS,
        )?;
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let reader = primitive.reader(data);
        let positions: Vec<[f32; 3]> =
            read_vectors(&position_accessor, position_accessor.normalized(), data).ok_or_else(
                || self.unreadable(name, Some(position_accessor.clone()), "POSITION"),
            )?;
        let n = positions.len();
        let mut dropped = Vec::new();
        let attribute = |semantic: Semantic| primitive.get(&semantic);
        let normals = attribute(Semantic::Normals).and_then(|a| {
            let mut normals =
                read_vectors::<3>(&a, a.normalized(), data).filter(|v| v.len() == n)?;
            if a.data_type() != F32 {
                // Quantized normals are only close to unit length.
                for normal in &mut normals {
                    *normal = Vec3::from(*normal).normalize_or_zero().to_array();
                }
            }
            Some(normals)
        });
        let tangents = attribute(Semantic::Tangents)
            .and_then(|a| read_vectors::<4>(&a, a.normalized(), data))
            .filter(|t| t.len() == n);
        // Without KHR_mesh_quantization, 8- and 16-bit unsigned UVs can only be normalized
        // (core glTF), even where a sloppy exporter left the flag out.
        let quantized = self
            .doc
            .extensions_used()
            .any(|e| e == "KHR_mesh_quantization");
        let read_uvs = |set: u32| -> Option<Vec<[f32; 2]>> {
            let uvs = attribute(Semantic::TexCoords(set))?;
            let core_normalized = !quantized && matches!(uvs.data_type(), U8 | U16);
            read_vectors::<2>(&uvs, uvs.normalized() || core_normalized, data)
                .filter(|t| t.len() == n)
        };
        // Sets beyond 1 are never read: no slot can sample them (see `texture_ref`).
        let uvs = read_uvs(0);
        let uvs1 = read_uvs(1);
        let colors: Option<Vec<[f32; 4]>> = reader
            .read_colors(0)
            .map(|c| c.into_rgba_f32().collect())
            .filter(|c: &Vec<[f32; 4]>| c.len() == n);
        for (what, semantic) in [
            ("NORMAL", Semantic::Normals),
            ("TANGENT", Semantic::Tangents),
            ("TEXCOORD_0", Semantic::TexCoords(0)),
            ("TEXCOORD_1", Semantic::TexCoords(1)),
            ("COLOR_0", Semantic::Colors(0)),
        ] {
            let present = primitive.get(&semantic).is_some();
            let read = match what {
                "NORMAL" => normals.is_some(),
                "TANGENT" => tangents.is_some(),
                "TEXCOORD_0" => uvs.is_some(),
                "TEXCOORD_1" => uvs1.is_some(),
                _ => colors.is_some(),
            };
            if present && !read {
                dropped.push(what);
            }
        }
        if !dropped.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {}: {} unreadable or not one per vertex; ignored",
                primitive.index(),
                dropped.join(", ")
            ));
        }
        let indices = self.indices(name, primitive, n)?;
        let mut indices = triangles_from(mode, indices).unwrap_or_default();
        if indices.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {} has no whole triangle; skipped",
                primitive.index()
            ));
            return Ok(None);
        }
        let mut positions = positions;
        let mut normals = normals.unwrap_or_default();
        let mut tangents = tangents.unwrap_or_default();
        let mut vertices = Vertices {
            positions: &mut positions,
            normals: &mut normals,
            tangents: &mut tangents,
        };
        let deformed = self.deform(name, primitive, deform, &mut vertices, &mut indices, true);

        let material = self.material(&primitive.material());
        let mut mesh = Mesh::new(
            positions,
            normals,
            uvs.unwrap_or_default(),
            colors.unwrap_or_default(),
            indices,
        );
        mesh.uvs1 = uvs1.unwrap_or_default();
        let Some(material_data) = self.scene.material(material).cloned() else {
            return Ok(Some(Built::Mesh(self.scene.add_mesh(mesh), material)));
        };
        // A slot on set 1 of a primitive without TEXCOORD_1 reads set 0 (as the renderer
        // does); say so, since the file asked for something else.
        let slot_names = [
            "base colour",
            "metallic-roughness",
            "normal",
            "occlusion",
            "emissive",
        ];
        let missing: Vec<&str> = slot_names
            .iter()
            .zip(material_data.texture_slots())
            .filter(|(_, t)| t.is_some_and(|t| t.uv_set == 1) && mesh.uvs1.is_empty())
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {}: material '{}' samples its {} texture(s) at \
                 TEXCOORD_1, which the primitive lacks; TEXCOORD_0 is used",
                primitive.index(),
                material_data.name,
                missing.join(", ")
            ));
        }
        let file_tangents = !tangents.is_empty();
        let Deformed { bound, morph } = deformed;
        // A mesh that will be bound is re-made from its bind mesh or morph base (which get
        // tangents of their own): its rest pose needs none generated now (see
        // `bind_deforms`, which generates them if the binding does not happen).
        let deferred = (bound.is_some() && deform.skin.is_some()) || morph.is_some();
        if file_tangents {
            mesh.tangents = tangents;
        } else if !deferred && let Some(tangents) = generated_tangents(&mesh, &material_data) {
            mesh.tangents = tangents;
        }
        // The mesh before its morph targets (in bind space, before any skin turned
        // triangles round), with its own tangents.
        let morph = morph.map(|kept| {
            let indices = bound
                .as_ref()
                .map_or_else(|| mesh.indices.clone(), |b| b.indices.clone());
            let derive_normals = kept.normals.is_empty();
            let mut base = Mesh::new(
                kept.positions,
                kept.normals,
                mesh.uvs.clone(),
                mesh.colors.clone(),
                indices,
            );
            base.uvs1 = mesh.uvs1.clone();
            if file_tangents {
                base.tangents = kept.tangents;
            } else if let Some(tangents) = generated_tangents(&base, &material_data) {
                base.tangents = tangents;
            }
            crate::scene::morph::Morph {
                base: Arc::new(base),
                targets: kept.targets.into(),
                names: kept.names.into(),
                weights: kept.weights,
                derive_normals,
                muted: Vec::new(),
                ranges: Vec::new(),
            }
        });
        let skin = bound.zip(deform.skin).map(|(bound, skin)| {
            // The mesh as bound: the morph's base (the skin moves the morphed mesh), else
            // its own normals (computed from the bound positions where the file has none)
            // and tangents.
            let bind = match &morph {
                Some(morph) => Arc::clone(&morph.base),
                None => {
                    let mut bind = Mesh::new(
                        bound.positions,
                        bound.normals,
                        mesh.uvs.clone(),
                        mesh.colors.clone(),
                        bound.indices,
                    );
                    bind.uvs1 = mesh.uvs1.clone();
                    if file_tangents {
                        bind.tangents = bound.tangents;
                    } else if let Some(tangents) = generated_tangents(&bind, &material_data) {
                        bind.tangents = tangents;
                    }
                    Arc::new(bind)
                }
            };
            (skin, bind, bound.influences)
        });
        let id = self.scene.add_mesh(mesh);
        if skin.is_some() || morph.is_some() {
            self.pending_deforms.push(PendingDeform {
                mesh: id,
                skin,
                morph,
                tangents_for: (!file_tangents).then_some(material_data),
            });
        }
        Ok(Some(Built::Mesh(id, material)))
    }

    /// The scene meshes of glTF mesh `mesh`, built once and shared by every node using it.
    /// The KHR_gaussian_splatting object of a primitive, if it has one.
    fn splatting_extension(
        &self,
        mesh: usize,
        primitive: &gltf::Primitive,
    ) -> Option<serde_json::Value> {
        let mesh = self.doc.as_json().meshes.get(mesh)?;
        mesh.primitives
            .get(primitive.index())?
            .extensions
            .as_ref()?
            .others
            .get(GAUSSIAN_SPLATTING)
            .cloned()
    }

    /// A KHR_gaussian_splatting point primitive as a splat cloud (in the node's space, glTF's
    /// Y-up frame): rotations (float or normalized), linear scales, opacity, SH degree 0 (as
    /// colour `0.5 + C0 · SH0`) and every complete higher degree up to 3.
    fn splats(
        &mut self,
        mesh_name: &str,
        primitive: &gltf::Primitive,
        extension: &serde_json::Value,
    ) -> Result<Built, ImportError> {
        const C0: f32 = 0.282_094_8;
        let what = format!(
            "mesh '{mesh_name}' primitive {} ({GAUSSIAN_SPLATTING})",
            primitive.index()
        );
        let file = self.file.clone();
        let error = |problem: String| ImportError::Parse {
            file: file.clone(),
            problem: format!("{what}: {problem}"),
        };
        if let Some(spz) = spz_compression(extension) {
            let cloud = self.spz_splats(&what, spz)?;
            self.warn_splat_kind(&what, extension);
            return Ok(Built::Splats(self.scene.add_splat_cloud(cloud)));
        }
        let attribute =
            |name: &str| primitive.get(&Semantic::Extras(format!("{GAUSSIAN_SPLATTING}:{name}")));
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let position = primitive
            .get(&Semantic::Positions)
            .ok_or_else(|| error("no POSITION".into()))?;
        let n = position.count();
        let counted = |a: &gltf::Accessor, name: &str| {
            if a.count() == n {
                Ok(())
            } else {
                Err(error(format!(
                    "{name} has {} values for {n} splats",
                    a.count()
                )))
            }
        };
        macro_rules! read {
            ($name:expr, $n:literal, $dims:expr) => {{
                let name = $name;
                let a = attribute(name).ok_or_else(|| error(format!("no {name} attribute")))?;
                counted(&a, name)?;
                if a.dimensions() != $dims {
                    return Err(error(format!(
                        "{name} is {:?}, not {:?}",
                        a.dimensions(),
                        $dims
                    )));
                }
                read_vectors::<$n>(&a, a.normalized(), data).ok_or_else(|| {
                    error(format!("{name} accessor {} could not be read", a.index()))
                })?
            }};
        }
        // Values that are not finite become 0 (scales: their size; SH beyond half-float range:
        // its largest value), as the PLY reader does; the splats touched are counted.
        let mut non_finite = vec![false; n];
        let mut fix = |i: usize, v: f32| {
            if v.is_finite() {
                v
            } else {
                if let Some(bad) = non_finite.get_mut(i) {
                    *bad = true;
                }
                0.0
            }
        };
        let positions: Vec<[f32; 3]> = read_vectors(&position, position.normalized(), data)
            .ok_or_else(|| error("POSITION could not be read".into()))?
            .into_iter()
            .enumerate()
            .map(|(i, p)| p.map(|v| fix(i, v)))
            .collect();
        let rotations: Vec<[f32; 4]> = read!("ROTATION", 4, Dimensions::Vec4)
            .into_iter()
            .map(|q| {
                let q = Quat::from_array(q);
                if q.length_squared() > 0.0 && q.is_finite() {
                    q.normalize().to_array()
                } else {
                    Quat::IDENTITY.to_array()
                }
            })
            .collect();
        // Linear standard deviations: a negative one draws as its size.
        let scales: Vec<[f32; 3]> = read!("SCALE", 3, Dimensions::Vec3)
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.map(|v| fix(i, v).abs()))
            .collect();
        let sh0: Vec<[f32; 3]> = read!("SH_DEGREE_0_COEF_0", 3, Dimensions::Vec3);
        let colors = sh0
            .iter()
            .enumerate()
            .map(|(i, c)| c.map(|v| fix(i, 0.5 + C0 * v)))
            .collect();
        let opacity = attribute("OPACITY").ok_or_else(|| error("no OPACITY attribute".into()))?;
        counted(&opacity, "OPACITY")?;
        let opacities = read_scalars(&opacity, data)
            .ok_or_else(|| {
                error(format!(
                    "OPACITY accessor {} could not be read",
                    opacity.index()
                ))
            })?
            .into_iter()
            .map(|o| {
                if o.is_finite() {
                    o.clamp(0.0, 1.0)
                } else {
                    0.0
                }
            })
            .collect();
        // Higher degrees: each complete degree in turn (a partial one ends the series).
        let mut degrees: Vec<Vec<Vec<[f32; 3]>>> = Vec::new();
        for l in 1..=3u32 {
            let names: Vec<String> = (0..2 * l + 1)
                .map(|c| format!("SH_DEGREE_{l}_COEF_{c}"))
                .collect();
            if names.iter().any(|name| attribute(name).is_none()) {
                break;
            }
            let mut coefficients = Vec::new();
            for name in &names {
                coefficients.push(read!(name.as_str(), 3, Dimensions::Vec3));
            }
            degrees.push(coefficients);
        }
        let degree = degrees.len() as u8;
        let per_splat = SplatCloud::sh_rest_coefficients(degree);
        let mut sh_rest = Vec::with_capacity(n * per_splat * 3);
        for i in 0..n {
            for coefficients in &degrees {
                for values in coefficients {
                    sh_rest.extend(values[i].map(|v| SplatCloud::sh_half(fix(i, v))));
                }
            }
        }
        let bad = non_finite.iter().filter(|b| **b).count();
        if bad > 0 {
            self.warn(format!(
                "{what}: {bad} splats had values that are not finite (replaced by 0)"
            ));
        }
        self.warn_splat_kind(&what, extension);
        let cloud = SplatCloud::new(
            positions, rotations, scales, opacities, colors, degree, sh_rest,
        )
        .map_err(|e| error(e.to_string()))?;
        Ok(Built::Splats(self.scene.add_splat_cloud(cloud)))
    }

    /// A kernel or colour space other than the ones worldsmith draws, named in a warning.
    fn warn_splat_kind(&mut self, what: &str, extension: &serde_json::Value) {
        for (key, known) in [("kernel", "ellipse"), ("colorSpace", "srgb_rec709_display")] {
            if let Some(value) = extension.get(key).and_then(serde_json::Value::as_str)
                && value != known
            {
                self.warn(format!("{what}: {key} '{value}' is drawn as '{known}'"));
            }
        }
    }

    /// The splats of a KHR_gaussian_splatting_compression_spz_2 primitive, decoded by the SPZ
    /// reader (hostile streams are its errors) and turned into glTF's frame. The extension has
    /// the blob packed from glTF's left-up-front axes into SPZ's right-up-back ones, which the
    /// reader returns as they are: x and z flipped, a half turn about Y, undone here
    /// (positions, orientations and the view-dependent colour).
    fn spz_splats(
        &mut self,
        what: &str,
        spz: &serde_json::Value,
    ) -> Result<SplatCloud, ImportError> {
        let error = |problem: String| ImportError::Parse {
            file: self.file.clone(),
            problem: format!("{what}: {problem}"),
        };
        let index = spz
            .get("bufferView")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| error("its SPZ extension names no bufferView".into()))?;
        let view = usize::try_from(index)
            .ok()
            .and_then(|i| self.doc.views().nth(i))
            .ok_or_else(|| error(format!("SPZ bufferView {index} does not exist")))?;
        let buffers = Rc::clone(&self.buffers);
        let bytes = view_bytes(&view, &buffers)
            .map_err(|p| error(format!("SPZ bufferView {index}: {p}")))?;
        let (cloud, warnings) =
            super::spz::read_spz_bytes(Path::new(what), bytes, &super::Progress::new()).map_err(
                |e| ImportError::Parse {
                    file: self.file.clone(),
                    problem: e.to_string(),
                },
            )?;
        for warning in warnings {
            self.warn(warning);
        }
        let gltf_from_spz = Mat4::from_scale(Vec3::new(-1.0, 1.0, -1.0));
        Ok(crate::export::transform_splats(&cloud, gltf_from_spz))
    }

    fn mesh(
        &mut self,
        mesh: &gltf::Mesh,
        node: &gltf::Node,
    ) -> Result<Vec<BuiltPrimitive>, ImportError> {
        let name = mesh
            .name()
            .map_or_else(|| format!("Mesh_{}", mesh.index()), str::to_owned);
        let own = self.deforms_own_way(node, mesh, &name);
        let key = (mesh.index(), own.then_some(node.index()));
        if let Some(done) = self.meshes.get(&key) {
            return Ok(done.clone());
        }
        let deform = self.deform_of(own.then_some(node), mesh, &name);
        let mut out = Vec::new();
        for primitive in mesh.primitives() {
            let built = self.primitive(mesh.index(), &name, &primitive, &deform)?;
            let mut variants = Vec::new();
            if matches!(built, Some(Built::Mesh(..))) {
                for mapping in primitive.mappings() {
                    let material = self.material(&mapping.material());
                    for &v in mapping.variants() {
                        if (v as usize) < self.variant_names.len() {
                            variants.push((v as usize, material));
                        }
                    }
                }
            }
            out.push(built.map(|built| (format!("{name}_{}", primitive.index()), built, variants)));
        }
        self.meshes.insert(key, out.clone());
        Ok(out)
    }

    /// A POINTS primitive that is not Gaussian splats: a point cloud coloured by COLOR_0
    /// times the material's base colour factor (as three.js and Blender show one), with its
    /// normals, morphed and skinned like a mesh. What trimesh writes for the coloured point
    /// clouds of DUSt3R, MASt3R or VGGT, and what worldsmith exports a point cloud as.
    ///
    /// A LINES, LINE_STRIP or LINE_LOOP primitive becomes the same cloud with the segments
    /// its indices (or its vertices in order) make: CAD edges, Blender's loose edges,
    /// wireframes, paths.
    fn points(
        &mut self,
        name: &str,
        primitive: &gltf::Primitive,
        deform: &Deform,
    ) -> Result<Option<Built>, ImportError> {
        let Some(position_accessor) = primitive.get(&Semantic::Positions) else {
            self.warn(format!(
                "mesh '{name}' primitive {} has no POSITION; skipped",
                primitive.index()
            ));
            return Ok(None);
        };
        self.check_layout(
            name,
            Some(position_accessor.clone()),
            "POSITION",
            &POSITION_LAYOUTS,
        )?;
        let normal_accessor = primitive.get(&Semantic::Normals);
        self.check_layout(name, normal_accessor.clone(), "NORMAL", &NORMAL_LAYOUTS)?;
        self.check_layout(
            name,
            primitive.get(&Semantic::Colors(0)),
            "COLOR_0",
            &COLOR_LAYOUTS,
        )?;
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let mut positions: Vec<[f32; 3]> =
            read_vectors(&position_accessor, position_accessor.normalized(), data).ok_or_else(
                || self.unreadable(name, Some(position_accessor.clone()), "POSITION"),
            )?;
        let n = positions.len();
        let mode = primitive.mode();
        let mut segments = Vec::new();
        // Indexed POINTS draw only the vertices their indices name.
        let mut named: Option<Vec<bool>> = None;
        if mode != Mode::Points || primitive.indices().is_some() {
            let indices = self.indices(name, primitive, n)?;
            if mode == Mode::Points {
                let mut is_named = vec![false; n];
                for &i in &indices {
                    is_named[i as usize] = true;
                }
                named = Some(is_named);
            }
            segments = segments_from(mode, &indices);
            if mode != Mode::Points && segments.is_empty() {
                self.warn(format!(
                    "mesh '{name}' primitive {} has no whole line segment; skipped",
                    primitive.index()
                ));
                return Ok(None);
            }
        }
        let mut normals: Vec<[f32; 3]> = normal_accessor
            .as_ref()
            .and_then(|a| read_vectors::<3>(a, a.normalized(), data))
            .filter(|v| v.len() == n)
            .unwrap_or_default();
        let colors: Option<Vec<[f32; 4]>> = primitive
            .reader(data)
            .read_colors(0)
            .map(|c| c.into_rgba_f32().collect())
            .filter(|c: &Vec<[f32; 4]>| c.len() == n);
        let mut dropped = Vec::new();
        if normal_accessor.is_some() && normals.is_empty() {
            dropped.push("NORMAL");
        }
        if primitive.get(&Semantic::Colors(0)).is_some() && colors.is_none() {
            dropped.push("COLOR_0");
        }
        if !dropped.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {}: {} unreadable or not one per point; ignored",
                primitive.index(),
                dropped.join(", ")
            ));
        }
        let mut vertices = Vertices {
            positions: &mut positions,
            normals: &mut normals,
            tangents: &mut [],
        };
        // Point clouds keep their rest pose only (no skin binding).
        let _ = self.deform(name, primitive, deform, &mut vertices, &mut [], false);
        for normal in &mut normals {
            *normal = Vec3::from(*normal).normalize_or_zero().to_array();
        }
        let factor = primitive
            .material()
            .pbr_metallic_roughness()
            .base_color_factor();
        let encode = |c: [f32; 4]| -> [u8; 4] {
            let [r, g, b, a] = std::array::from_fn(|k| c[k] * factor[k]);
            let alpha = (a.clamp(0.0, 1.0) * 255.0).round() as u8;
            [
                linear_to_srgb_u8(r),
                linear_to_srgb_u8(g),
                linear_to_srgb_u8(b),
                alpha,
            ]
        };
        let mut colors = match colors {
            Some(colors) => colors.into_iter().map(encode).collect(),
            None if factor != [1.0; 4] => vec![encode([1.0; 4]); n],
            None => Vec::new(),
        };
        // Points at no place (non-finite coordinates, as read or once deformed) are left out,
        // as are the vertices an indexed POINTS primitive does not name.
        let keep: Vec<bool> = positions
            .iter()
            .map(|p| p.iter().all(|c| c.is_finite()))
            .collect();
        let lost = keep.iter().filter(|k| !**k).count();
        let keep: Vec<bool> = match &named {
            Some(named) => keep.iter().zip(named).map(|(k, n)| *k && *n).collect(),
            None => keep,
        };
        if keep.iter().any(|k| !k) {
            positions = keep_where(positions, &keep);
            normals = keep_where(normals, &keep);
            colors = keep_where(colors, &keep);
            // Segments touching a lost point go with it; the others follow their points.
            let mut new_index = Vec::with_capacity(keep.len());
            let mut next = 0u32;
            for &k in &keep {
                new_index.push(k.then_some(next));
                next += u32::from(k);
            }
            segments = segments
                .into_iter()
                .filter_map(|[a, b]| Some([new_index[a as usize]?, new_index[b as usize]?]))
                .collect();
            if lost > 0 {
                self.warn(format!(
                    "mesh '{name}' primitive {}: {lost} {} with coordinates that are not \
                     finite numbers left out",
                    primitive.index(),
                    if mode == Mode::Points {
                        "point(s)"
                    } else {
                        "vertices and their segments"
                    }
                ));
            }
        }
        if positions.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {} has no point to show; skipped",
                primitive.index()
            ));
            return Ok(None);
        }
        let cloud = PointCloud::new(positions, colors, normals);
        if mode == Mode::Points {
            return Ok(Some(Built::Points(self.scene.add_point_cloud(cloud))));
        }
        let (cloud, _) = cloud.with_segments(segments);
        if cloud.segments.is_empty() {
            return Ok(None);
        }
        Ok(Some(Built::Lines(self.scene.add_point_cloud(cloud))))
    }

    /// Whether `node` deforms `mesh` in a way of its own (a skin, or morph weights other than
    /// the mesh's), so needs a copy of it: within [`MAX_DEFORMED_VERTICES`] for all nodes
    /// together; past that a node shares the mesh as the mesh itself deforms (warned once).
    fn deforms_own_way(&mut self, node: &gltf::Node, mesh: &gltf::Mesh, name: &str) -> bool {
        let skinned = self
            .node_skins
            .get(node.index())
            .copied()
            .flatten()
            .is_some();
        let own_weights = node.weights().is_some_and(|w| Some(w) != mesh.weights())
            || (self.weights_animated.contains(&node.index())
                && mesh.primitives().any(|p| p.morph_targets().len() > 0));
        if !(skinned || own_weights) {
            return false;
        }
        if self
            .meshes
            .contains_key(&(mesh.index(), Some(node.index())))
        {
            return true;
        }
        let vertices: u64 = mesh
            .primitives()
            .filter_map(|p| p.get(&Semantic::Positions))
            .map(|a| a.count() as u64)
            .sum();
        if self.deformed_vertices.saturating_add(vertices) > MAX_DEFORMED_VERTICES {
            if self.deformed_vertices <= MAX_DEFORMED_VERTICES {
                self.warn(format!(
                    "skinned or morphed copies of meshes would pass \
                     {MAX_DEFORMED_VERTICES} vertices at node '{}' (mesh '{name}'): it and \
                     later ones show the mesh undeformed",
                    node.name().unwrap_or("?")
                ));
                self.deformed_vertices = MAX_DEFORMED_VERTICES + 1;
            }
            return false;
        }
        self.deformed_vertices += vertices;
        true
    }

    /// How `node` (`None`: any node that does not deform the mesh its own way) deforms
    /// `mesh`: its morph weights (the node's, else the mesh's) and its skin's joints at rest.
    fn deform_of(&mut self, node: Option<&gltf::Node>, mesh: &gltf::Mesh, name: &str) -> Deform {
        let weights = node
            .and_then(gltf::Node::weights)
            .or_else(|| mesh.weights())
            .map(<[f32]>::to_vec)
            .unwrap_or_default();
        let skin = node.and_then(|node| self.node_skins.get(node.index()).copied().flatten());
        let local_from_bind = node
            .zip(skin)
            .and_then(|(node, skin)| self.local_from_bind(node, skin, name));
        Deform {
            weights,
            target_names: self.target_names(mesh.index()),
            skin: skin.filter(|_| local_from_bind.is_some()),
            local_from_bind,
        }
    }

    /// For each joint of skin `skin`, the frame of `node` (which holds the skinned mesh)
    /// from bind space, with the joints at rest ([`gltf_deform`]). `None` (warned) if the
    /// skin does not exist; a joint or matrix that cannot be used counts as the identity.
    fn local_from_bind(&mut self, node: &gltf::Node, skin: usize, name: &str) -> Option<Vec<Mat4>> {
        let node_name = node.name().unwrap_or("?").to_owned();
        let Some(joints) = self.skins.get(skin).map(|s| s.joints.clone()) else {
            self.warn(format!(
                "node '{node_name}' names skin {skin}, which the file lacks; mesh '{name}' \
                 shows undeformed"
            ));
            return None;
        };
        if self.joint_matrices.saturating_add(joints.len()) > MAX_JOINT_MATRICES {
            if self.joint_matrices <= MAX_JOINT_MATRICES {
                self.warn(format!(
                    "skinned nodes would need more than {MAX_JOINT_MATRICES} joint matrices at \
                     node '{node_name}': it and later ones show their meshes unskinned"
                ));
                self.joint_matrices = MAX_JOINT_MATRICES + 1;
            }
            return None;
        }
        self.joint_matrices += joints.len();
        let accessor = self.skins[skin].inverse_bind_matrices;
        let joint_from_bind = match accessor.map(|a| self.inverse_bind_matrices(a)) {
            None => Vec::new(),
            Some(Some(matrices)) => matrices,
            Some(None) => {
                self.warn(format!(
                    "skin {skin}: inverse bind matrices (accessor {}) are not readable MAT4 \
                     floats; identities used",
                    accessor.unwrap_or_default()
                ));
                Vec::new()
            }
        };
        let world_from_node = self
            .rest_world
            .get(node.index())
            .copied()
            .unwrap_or(Mat4::IDENTITY);
        let joint_from_bind = self
            .joint_from_bind
            .entry(skin)
            .or_insert_with(|| {
                (0..joints.len())
                    .map(|k| joint_from_bind.get(k).copied().unwrap_or(Mat4::IDENTITY))
                    .collect()
            })
            .clone();
        let frames = skin_frames(
            world_from_node,
            joints
                .iter()
                .zip(joint_from_bind)
                .map(|(&joint, bind)| (self.rest_world.get(joint).copied(), bind)),
        );
        // At rest, a joint that cannot be used holds its vertices where they are bound.
        let unusable = frames.iter().filter(|m| m.is_none()).count();
        let out = frames
            .into_iter()
            .map(|m| m.unwrap_or(Mat4::IDENTITY))
            .collect();
        if unusable > 0 {
            self.warn(format!(
                "skin {skin}: {unusable} joint(s) are not nodes of the file or have matrices \
                 that are not finite; they do not move mesh '{name}'"
            ));
        }
        Some(out)
    }

    /// The matrices of a MAT4 float accessor; `None` for any other layout.
    fn inverse_bind_matrices(&self, accessor: usize) -> Option<Vec<Mat4>> {
        let accessor = self.doc.accessors().nth(accessor)?;
        if accessor.data_type() != DataType::F32 || accessor.dimensions() != Dimensions::Mat4 {
            return None;
        }
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let matrices = gltf::accessor::Iter::<[[f32; 4]; 4]>::new(accessor, data)?;
        Some(matrices.map(|m| Mat4::from_cols_array_2d(&m)).collect())
    }

    /// The names of glTF mesh `mesh`'s morph targets: its `extras.targetNames` (the
    /// convention of Blender, three.js and Babylon.js), empty where it has none.
    fn target_names(&self, mesh: usize) -> Vec<String> {
        let Some(extras) = self
            .doc
            .as_json()
            .meshes
            .get(mesh)
            .and_then(|m| m.extras.as_ref())
        else {
            return Vec::new();
        };
        let Ok(extras) = serde_json::from_str::<serde_json::Value>(extras.get()) else {
            return Vec::new();
        };
        let Some(names) = extras.get("targetNames").and_then(|v| v.as_array()) else {
            return Vec::new();
        };
        names
            .iter()
            .map(|n| {
                n.as_str()
                    .unwrap_or_default()
                    .chars()
                    .take(MAX_TARGET_NAME_CHARS)
                    .collect()
            })
            .collect()
    }

    /// Morphs and skins one primitive's vertices as `deform` says ([`gltf_deform`]);
    /// attributes that cannot be read are left out with a warning. With `keep_morph`, the
    /// morph targets and the vertices before them are kept (within
    /// [`MAX_KEPT_MORPH_VALUES`]) so that the weights stay editable.
    fn deform(
        &mut self,
        name: &str,
        primitive: &gltf::Primitive,
        deform: &Deform,
        vertices: &mut Vertices,
        indices: &mut [u32],
        keep_morph: bool,
    ) -> Deformed {
        use DataType::{U8, U16};
        let n = vertices.positions.len();
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let mut unreadable = Vec::new();
        let mut out = Deformed::default();
        let target_count = primitive.morph_targets().len();
        let kept_values = (n as u64).saturating_mul(target_count as u64);
        let keep = keep_morph && target_count > 0 && {
            let fits = self.kept_morph_values.saturating_add(kept_values) <= MAX_KEPT_MORPH_VALUES;
            if fits {
                self.kept_morph_values += kept_values;
            } else if self.kept_morph_values <= MAX_KEPT_MORPH_VALUES {
                self.warn(format!(
                    "morph targets would keep more than {MAX_KEPT_MORPH_VALUES} vertex \
                     displacements at mesh '{name}': it and later meshes show at their \
                     weights, which cannot be changed or animated"
                ));
                self.kept_morph_values = MAX_KEPT_MORPH_VALUES + 1;
            }
            fits
        };
        let weight_of = |k: usize| {
            deform
                .weights
                .get(k)
                .copied()
                .filter(|w| w.is_finite())
                .unwrap_or(0.0)
        };
        let mut kept = keep.then(|| KeptMorph {
            positions: vertices.positions.to_vec(),
            normals: vertices.normals.to_vec(),
            tangents: vertices.tangents.to_vec(),
            targets: Vec::with_capacity(target_count),
            weights: (0..target_count).map(weight_of).collect(),
            names: (0..target_count)
                .map(|k| match deform.target_names.get(k) {
                    Some(name) if !name.trim().is_empty() => name.clone(),
                    _ => morph::default_target_name(k),
                })
                .collect(),
        });
        if keep || deform.weights.iter().any(|w| *w != 0.0) {
            let mut moved = Moved::default();
            for (k, target) in primitive.morph_targets().enumerate() {
                let weight = weight_of(k);
                if weight == 0.0 && !keep {
                    continue;
                }
                // Kept targets are within their own, smaller budget.
                if !keep {
                    if self.morphed_values.saturating_add(n as u64) > MAX_MORPHED_VALUES {
                        if self.morphed_values <= MAX_MORPHED_VALUES {
                            self.warn(format!(
                                "morph targets would move more than {MAX_MORPHED_VALUES} \
                                 vertices in all at mesh '{name}': its later targets and \
                                 those of later meshes are left out"
                            ));
                            self.morphed_values = MAX_MORPHED_VALUES + 1;
                        }
                        break;
                    }
                    self.morphed_values += n as u64;
                }
                let mut lanes: [Vec<[f32; 3]>; 3] = Default::default();
                let accessors = [
                    (target.positions(), "POSITION"),
                    (target.normals(), "NORMAL"),
                    (target.tangents(), "TANGENT"),
                ];
                for (lane, (accessor, what)) in lanes.iter_mut().zip(accessors) {
                    let Some(accessor) = accessor else {
                        continue;
                    };
                    match read_vectors::<3>(&accessor, accessor.normalized(), data)
                        .filter(|d| d.len() == n)
                    {
                        Some(d) if d.iter().flatten().all(|v| v.is_finite()) => *lane = d,
                        _ => unreadable.push(format!("morph target {k} {what}")),
                    }
                }
                let [positions, normals, tangents] = lanes;
                let target = MorphTarget {
                    positions,
                    normals,
                    tangents,
                };
                moved.add(
                    vertices.positions,
                    vertices.normals,
                    vertices.tangents,
                    &target,
                    weight,
                );
                if let Some(kept) = &mut kept {
                    kept.targets.push(target);
                }
            }
            moved.renormalize(vertices.normals, vertices.tangents);
        }
        out.morph = kept;
        if let Some(local_from_bind) = &deform.local_from_bind {
            let mut influences = Influences {
                joints: Vec::new(),
                weights: Vec::new(),
            };
            for set in 0..MAX_INFLUENCE_SETS {
                let (Some(joints), Some(weights)) = (
                    primitive.get(&Semantic::Joints(set)),
                    primitive.get(&Semantic::Weights(set)),
                ) else {
                    break;
                };
                // Weights are normalized integers or floats; a file that forgets the flag
                // on integers still means fractions.
                let fractions = weights.normalized() || matches!(weights.data_type(), U8 | U16);
                // Joint indices past u16 name no joint (a skin has fewer): they stay missing.
                let joints = read_vectors::<4>(&joints, false, data)
                    .filter(|j| j.len() == n)
                    .map(|j| {
                        j.into_iter()
                            .map(|c| c.map(|v| v.clamp(0.0, 65535.0) as u16))
                            .collect::<Vec<_>>()
                    });
                let weights = read_vectors::<4>(&weights, fractions, data).filter(|w| w.len() == n);
                match (joints, weights) {
                    (Some(joints), Some(weights)) => {
                        influences.joints.push(joints);
                        influences.weights.push(weights);
                    }
                    _ => unreadable.push(format!("JOINTS_{set}/WEIGHTS_{set}")),
                }
            }
            if influences.joints.is_empty() {
                if unreadable.is_empty() {
                    self.warn(format!(
                        "mesh '{name}' primitive {}: its node has a skin but it has no \
                         JOINTS_0/WEIGHTS_0; shown undeformed",
                        primitive.index()
                    ));
                }
                self.warn_unreadable(name, primitive, &unreadable);
                return out;
            }
            let bound = Bound {
                positions: vertices.positions.to_vec(),
                normals: vertices.normals.to_vec(),
                tangents: vertices.tangents.to_vec(),
                indices: indices.to_vec(),
                influences: influences.clone(),
            };
            let local_from_bind: Vec<Option<Mat4>> =
                local_from_bind.iter().copied().map(Some).collect();
            let report = skin_vertices(vertices, indices, &influences, &local_from_bind);
            if report.missing_joints > 0 || report.unweighted > 0 {
                self.warn(format!(
                    "mesh '{name}' primitive {}: {} vertex influence(s) name joints the skin \
                     lacks (ignored) and {} vertices have no usable weight (left unskinned)",
                    primitive.index(),
                    report.missing_joints,
                    report.unweighted
                ));
            }
            self.warn_unreadable(name, primitive, &unreadable);
            out.bound = Some(bound);
            return out;
        }
        self.warn_unreadable(name, primitive, &unreadable);
        out
    }

    /// Binds each skinned mesh to its joints' scene nodes ([`crate::scene::skin`]), so that
    /// moving a joint (by hand or by a shot) moves the mesh, and gives each morphed mesh its
    /// targets ([`crate::scene::morph`]), so that its weights stay editable. A mesh shown by
    /// several nodes (instances) keeps its rest pose only, as does a skin whose joints are
    /// not all in the scene.
    fn bind_deforms(&mut self) {
        let pending = std::mem::take(&mut self.pending_deforms);
        if pending.is_empty() {
            return;
        }
        // The nodes showing each mesh, gathered once (not a scan of the scene per mesh).
        let mut holders: HashMap<MeshId, Vec<NodeId>> = HashMap::new();
        for node in self.scene.nodes() {
            if let NodeKind::Mesh { mesh, .. } = node.kind {
                holders.entry(mesh).or_default().push(node.id);
            }
        }
        for pending in pending {
            let holder = match holders.get(&pending.mesh).map(Vec::as_slice) {
                Some(&[holder]) => Some(holder),
                _ => None,
            };
            if let Some(holder) = holder {
                if let Some((skin, bind, influences)) = pending.skin {
                    self.bind_skin(holder, skin, bind, influences);
                }
                if let Some(morph) = pending.morph
                    && morph.check().is_ok()
                {
                    self.scene.set_morph(holder, morph);
                }
            }
            match holder {
                // Bound: made again from the bind mesh or morph base, as every frame of
                // an animation will be, so the rest pose and a played one shade alike.
                Some(holder)
                    if self.scene.skin(holder).is_some() || self.scene.morph(holder).is_some() =>
                {
                    self.scene.forget_pose(holder);
                }
                // Not bound (instances, missing joints): the rest pose keeps what the file
                // deformed, with the tangents its material needs.
                _ => {
                    let Some(material) = pending.tangents_for else {
                        continue;
                    };
                    let Some(mesh) = self.scene.mesh(pending.mesh) else {
                        continue;
                    };
                    if let Some(tangents) = generated_tangents(mesh, &material) {
                        let mut with = mesh.clone_data();
                        with.tangents = tangents;
                        self.scene.replace_mesh(pending.mesh, Arc::new(with));
                    }
                }
            }
        }
        self.scene.pose_deformed();
    }

    /// Binds mesh node `holder` to skin `skin` of the file, if all its joints are in the scene.
    fn bind_skin(&mut self, holder: NodeId, skin: usize, bind: Arc<Mesh>, influences: Influences) {
        let Some(joints) = self.skins.get(skin).map(|s| s.joints.clone()) else {
            return;
        };
        let Some(joints) = joints
            .iter()
            .map(|&j| self.node_ids.get(j).copied().flatten())
            .collect::<Option<Vec<NodeId>>>()
        else {
            return;
        };
        let joint_from_bind = self
            .joint_from_bind
            .get(&skin)
            .map(|m| m.iter().map(Mat4::to_cols_array).collect())
            .unwrap_or_default();
        // The joints' transforms as the file has them: the rest pose.
        let rest = joints
            .iter()
            .map(|j| {
                self.scene
                    .node(*j)
                    .map_or(Transform::IDENTITY, |n| n.transform)
            })
            .collect();
        let skin = crate::scene::skin::Skin {
            bind,
            joints,
            joint_from_bind,
            influences,
            rest,
        };
        if skin.check().is_ok() {
            self.scene.set_skin(holder, skin);
        }
    }

    fn warn_unreadable(&mut self, name: &str, primitive: &gltf::Primitive, unreadable: &[String]) {
        if !unreadable.is_empty() {
            self.warn(format!(
                "mesh '{name}' primitive {}: {} unreadable or not one per vertex; ignored",
                primitive.index(),
                unreadable.join(", ")
            ));
        }
    }

    fn camera(&mut self, camera: &gltf::Camera) -> Camera {
        match camera.projection() {
            gltf::camera::Projection::Perspective(p) => {
                let near = if p.znear().is_finite() && p.znear() > 0.0 {
                    p.znear()
                } else {
                    0.01
                };
                Camera {
                    fov_y_rad: if p.yfov().is_finite() && p.yfov() > 0.0 && p.yfov() < 3.1 {
                        p.yfov()
                    } else {
                        Camera::default().fov_y_rad
                    },
                    near,
                    // A far plane not beyond the near one (a broken file) is dropped.
                    far: p.zfar().filter(|f| f.is_finite() && *f > near),
                    ortho_half_height: None,
                }
            }
            gltf::camera::Projection::Orthographic(o) => {
                // glTF: ymag must not be zero and should not be negative; zfar > znear ≥ 0.
                let ymag = o.ymag().abs();
                let half_height = if ymag.is_finite() && ymag > 0.0 {
                    ymag
                } else {
                    self.warn(format!(
                        "orthographic camera {} has ymag {}; shown 1 m high instead",
                        camera.index(),
                        o.ymag()
                    ));
                    0.5
                };
                let near = if o.znear().is_finite() && o.znear() > 0.0 {
                    o.znear()
                } else {
                    ORTHO_MIN_NEAR
                };
                let far = (o.zfar().is_finite() && o.zfar() > near).then_some(o.zfar());
                if far.is_none() {
                    self.warn(format!(
                        "orthographic camera {} has zfar {} (not beyond znear {}); it sees \
                         {} m deep instead",
                        camera.index(),
                        o.zfar(),
                        o.znear(),
                        crate::scene::DEFAULT_ORTHO_DEPTH
                    ));
                }
                Camera {
                    near,
                    far,
                    ortho_half_height: Some(half_height),
                    ..Camera::default()
                }
            }
        }
    }

    fn light(light: &gltf::khr_lights_punctual::Light) -> Light {
        use gltf::khr_lights_punctual::Kind;
        let kind = match light.kind() {
            Kind::Directional => LightKind::Directional,
            Kind::Point => LightKind::Point,
            Kind::Spot {
                inner_cone_angle,
                outer_cone_angle,
            } => LightKind::Spot {
                inner_cone_rad: inner_cone_angle,
                outer_cone_rad: outer_cone_angle,
            },
        };
        Light {
            kind,
            color: light.color(),
            intensity: light.intensity(),
            range: light.range(),
            cast_shadows: kind == LightKind::Directional,
        }
    }

    /// What a glTF node holds, as (name, kind) pairs: mesh primitives, a camera, a light.
    fn contents(
        &mut self,
        node: &gltf::Node,
        node_name: &str,
    ) -> Result<Vec<NodeContent>, ImportError> {
        let mut out = Vec::new();
        if let Some(mesh) = node.mesh() {
            for (name, built, variants) in self.mesh(&mesh, node)?.into_iter().flatten() {
                let kind = match built {
                    Built::Mesh(mesh, material) => NodeKind::Mesh { mesh, material },
                    Built::Splats(cloud) => NodeKind::Splats { cloud },
                    Built::Points(cloud) => NodeKind::Points {
                        cloud,
                        point_size_px: DEFAULT_POINT_SIZE_PX,
                    },
                    Built::Lines(cloud) => NodeKind::Lines {
                        cloud,
                        width_px: DEFAULT_LINE_WIDTH_PX,
                    },
                };
                out.push((name, kind, variants));
            }
        }
        if let Some(camera) = node.camera() {
            let name = camera
                .name()
                .map_or_else(|| format!("{node_name}_camera"), str::to_owned);
            out.push((name, NodeKind::Camera(self.camera(&camera)), Vec::new()));
        }
        if let Some(light) = node.light() {
            let name = light
                .name()
                .map_or_else(|| format!("{node_name}_light"), str::to_owned);
            out.push((name, NodeKind::Light(Self::light(&light)), Vec::new()));
        }
        Ok(out)
    }

    fn load_variant_names(&mut self) {
        let Some(variants) = self.doc.variants() else {
            return;
        };
        let total = variants.len();
        self.variant_names = variants
            .take(MAX_VARIANTS)
            .map(|v| v.name().to_owned())
            .collect();
        self.variant_assignments = vec![Vec::new(); self.variant_names.len()];
        if total > MAX_VARIANTS {
            self.warn(format!(
                "{total} material variants; only the first {MAX_VARIANTS} are kept"
            ));
        }
    }

    /// A node's EXT_mesh_gpu_instancing transforms (in the node's space: translation,
    /// rotation, scale, each defaulting to identity), or `None` without the extension. The
    /// accessors must agree on their count and have the layouts the extension allows (float,
    /// or the normalized integers of KHR_mesh_quantization).
    fn instance_transforms(
        &mut self,
        node: &gltf::Node,
        name: &str,
    ) -> Result<Option<Vec<Transform>>, ImportError> {
        let json = self.doc.as_json().nodes.get(node.index());
        let Some(extension) = json
            .and_then(|n| n.extensions.as_ref())
            .and_then(|e| e.others.get(INSTANCING))
        else {
            return Ok(None);
        };
        if node.mesh().is_none() {
            return Ok(None);
        }
        let error = |problem: String| ImportError::Parse {
            file: self.file.clone(),
            problem: format!("node {name} {INSTANCING}: {problem}"),
        };
        let accessor = |semantic: &str| -> Result<Option<gltf::Accessor>, ImportError> {
            let Some(index) = extension.get("attributes").and_then(|a| a.get(semantic)) else {
                return Ok(None);
            };
            index
                .as_u64()
                .and_then(|i| self.doc.accessors().nth(usize::try_from(i).ok()?))
                .map(Some)
                .ok_or_else(|| {
                    error(format!(
                        "{semantic} names no accessor of the file ({index})"
                    ))
                })
        };
        let (translation, rotation, scale) = (
            accessor("TRANSLATION")?,
            accessor("ROTATION")?,
            accessor("SCALE")?,
        );
        let counts: Vec<usize> = [&translation, &rotation, &scale]
            .into_iter()
            .flatten()
            .map(gltf::Accessor::count)
            .collect();
        let Some(&count) = counts.first() else {
            return Err(error("no TRANSLATION, ROTATION or SCALE accessor".into()));
        };
        if counts.iter().any(|&c| c != count) {
            return Err(error(format!("the accessors' counts differ: {counts:?}")));
        }
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        fn read<'a, const N: usize>(
            accessor: &Option<gltf::Accessor<'a>>,
            dimensions: Dimensions,
            data: impl Clone + Fn(gltf::Buffer<'a>) -> Option<&'a [u8]>,
        ) -> Result<Option<Vec<[f32; N]>>, String>
        where
            [f32; N]: gltf::accessor::Item,
            [i8; N]: gltf::accessor::Item,
            [u8; N]: gltf::accessor::Item,
            [i16; N]: gltf::accessor::Item,
            [u16; N]: gltf::accessor::Item,
        {
            let Some(a) = accessor else { return Ok(None) };
            let layout = (a.data_type(), a.dimensions());
            if layout.1 != dimensions || !(layout.0 == DataType::F32 || a.normalized()) {
                return Err(format!(
                    "accessor {} is {layout:?}{}, not float or normalized {dimensions:?}",
                    a.index(),
                    if a.normalized() { " normalized" } else { "" }
                ));
            }
            read_vectors::<N>(a, true, data)
                .map(Some)
                .ok_or_else(|| format!("accessor {} could not be read", a.index()))
        }
        let translations = read::<3>(&translation, Dimensions::Vec3, data).map_err(error)?;
        let rotations = read::<4>(&rotation, Dimensions::Vec4, data).map_err(error)?;
        let scales = read::<3>(&scale, Dimensions::Vec3, data).map_err(error)?;
        let kept = count.min(MAX_INSTANCES.saturating_sub(self.instances));
        if kept < count {
            self.warn(format!(
                "node {name}: {count} instances, of which the first {kept} are kept ({MAX_INSTANCES} per file at most)"
            ));
        }
        self.instances += kept;
        Ok(Some(
            (0..kept)
                .map(|i| Transform {
                    translation: translations.as_ref().map_or(Vec3::ZERO, |t| t[i].into()),
                    rotation: rotations.as_ref().map_or(Quat::IDENTITY, |r| {
                        let q = Quat::from_array(r[i]);
                        if q.length_squared() > 0.0 {
                            q.normalize()
                        } else {
                            Quat::IDENTITY
                        }
                    }),
                    scale: scales.as_ref().map_or(Vec3::ONE, |s| s[i].into()),
                })
                .collect(),
        ))
    }

    fn assign_variants(&mut self, node: NodeId, variants: Vec<(usize, MaterialId)>) {
        for (variant, material) in variants {
            if let Some(list) = self.variant_assignments.get_mut(variant) {
                list.push((node, material));
            }
        }
    }

    fn load_nodes(&mut self) -> Result<(), ImportError> {
        let doc = self.doc;
        let roots: Vec<gltf::Node> = match doc.default_scene() {
            Some(scene) => scene.nodes().collect(),
            None if doc.scenes().len() > 0 => doc.scenes().flat_map(|s| s.nodes()).collect(),
            None => {
                let mut is_child = vec![false; doc.nodes().len()];
                for child in doc.nodes().flat_map(|n| n.children()) {
                    if let Some(slot) = is_child.get_mut(child.index()) {
                        *slot = true;
                    }
                }
                doc.nodes()
                    .filter(|n| !is_child.get(n.index()).copied().unwrap_or(true))
                    .collect()
            }
        };
        let mut visited = vec![false; doc.nodes().len()];
        let mut stack: Vec<(gltf::Node, Option<NodeId>, usize)> =
            roots.into_iter().rev().map(|n| (n, None, 0)).collect();
        let mut repeated = 0usize;
        while let Some((node, parent, depth)) = stack.pop() {
            let Some(seen) = visited.get_mut(node.index()) else {
                continue;
            };
            if *seen || depth > MAX_DEPTH {
                repeated += 1;
                continue;
            }
            *seen = true;
            let name = node
                .name()
                .map_or_else(|| format!("Node_{}", node.index()), str::to_owned);
            let transform = transform_from_gltf(node.transform());
            let mut contents = self.contents(&node, &name)?;
            let instances = self.instance_transforms(&node, &name)?;
            // A node holding exactly one thing (one primitive, a camera or a light) becomes
            // that thing; otherwise its contents hang below it as children.
            let single_primitive = node.mesh().is_none_or(|m| m.primitives().len() == 1);
            let id = if let Some(instances) = instances {
                // Instanced: the mesh is drawn once per instance (not at the node itself),
                // each instance a child holding the node's primitives; a camera or light stays
                // on the node.
                let id = self
                    .scene
                    .add_node(parent, &name, transform, NodeKind::Empty);
                let (meshes, others): (Vec<_>, Vec<_>) = contents
                    .into_iter()
                    .partition(|(_, kind, _)| matches!(kind, NodeKind::Mesh { .. }));
                for (child_name, kind, variants) in others {
                    let child =
                        self.scene
                            .add_node(Some(id), &child_name, Transform::IDENTITY, kind);
                    self.assign_variants(child, variants);
                }
                for (k, instance) in instances.into_iter().enumerate() {
                    let instance_name = format!("{name}_{k}");
                    if let [(_, kind, variants)] = meshes.as_slice() {
                        let single =
                            self.scene
                                .add_node(Some(id), &instance_name, instance, kind.clone());
                        self.assign_variants(single, variants.clone());
                        continue;
                    }
                    let holder =
                        self.scene
                            .add_node(Some(id), &instance_name, instance, NodeKind::Empty);
                    for (child_name, kind, variants) in &meshes {
                        let child = self.scene.add_node(
                            Some(holder),
                            child_name,
                            Transform::IDENTITY,
                            kind.clone(),
                        );
                        self.assign_variants(child, variants.clone());
                    }
                }
                id
            } else if contents.len() == 1 && single_primitive {
                let (_, kind, variants) = contents.remove(0);
                let id = self.scene.add_node(parent, &name, transform, kind);
                self.assign_variants(id, variants);
                id
            } else {
                let id = self
                    .scene
                    .add_node(parent, &name, transform, NodeKind::Empty);
                for (child_name, kind, variants) in contents {
                    let child =
                        self.scene
                            .add_node(Some(id), &child_name, Transform::IDENTITY, kind);
                    self.assign_variants(child, variants);
                }
                id
            };
            if let Some(slot) = self.node_ids.get_mut(node.index()) {
                *slot = Some(id);
            }
            // KHR_node_visibility: a hidden node hides its subtree, as a hidden scene node does.
            let hidden = doc.as_json().nodes.get(node.index()).is_some_and(|n| {
                n.extensions
                    .as_ref()
                    .and_then(|e| e.others.get("KHR_node_visibility"))
                    .and_then(|v| v.get("visible"))
                    .and_then(serde_json::Value::as_bool)
                    == Some(false)
            });
            if hidden {
                self.scene.set_visible(id, false);
            }
            for child in node.children().collect::<Vec<_>>().into_iter().rev() {
                stack.push((child, Some(id), depth + 1));
            }
        }
        if repeated > 0 {
            self.warn(format!(
                "{repeated} node reference(s) repeat a node or nest too deep; skipped"
            ));
        }
        Ok(())
    }

    /// The file's animations as shots of the timeline: each animation's translation, rotation
    /// and scale channels key its nodes' `Transform` tracks ([`gltf_animation`]), and its
    /// KHR_animation_pointer channels the values the timeline keys (a camera's field of view,
    /// a light's colour and intensity, material factors). Animations that animate different
    /// things play together in one shot (an exporter's one action per object); one that
    /// animates what an earlier one does gets a shot of its own (a model's clips). A channel
    /// that cannot be used is left out with a warning, never the model.
    fn load_animations(&mut self, animations: &[serde_json::Value]) {
        let mut groups: Vec<AnimationGroup> = Vec::new();
        let accessors: Vec<gltf::Accessor> = self.doc.accessors().collect();
        let mut key_budget = MAX_ANIMATION_KEYS;
        for (a, json) in animations.iter().enumerate() {
            let fallback = format!("Animation {}", a + 1);
            let animation: AnimationJson = match serde_json::from_value(json.clone()) {
                Ok(animation) => animation,
                Err(e) => {
                    self.warn(format!("animation {a} could not be read ({e}); left out"));
                    continue;
                }
            };
            let name = animation.name.clone().unwrap_or(fallback);
            let curves = self.animation_curves(&name, &animation, &accessors, &mut key_budget);
            if curves.is_empty() {
                continue;
            }
            // worldsmith's own animations are shots already: never merged.
            let recorded = shot_extras(json);
            let shots = groups.len();
            match groups.iter_mut().find(|g| {
                recorded.is_none()
                    && g.recorded.is_none()
                    && curves.channels().all(|c| !g.curves.animates(c))
            }) {
                Some(group) => {
                    group.names.push(name);
                    group.curves.nodes.extend(curves.nodes);
                    group.curves.values.extend(curves.values);
                }
                None if shots < MAX_ANIMATION_SHOTS => groups.push(AnimationGroup {
                    names: vec![name],
                    curves,
                    recorded,
                }),
                None => self.warn(format!(
                    "animation '{name}' left out: the file's animations already make \
                     {MAX_ANIMATION_SHOTS} shots"
                )),
            }
        }
        let mut bake_budget = MAX_BAKED_KEYS;
        let mut timeline = self.scene.timeline().clone();
        for AnimationGroup {
            names,
            curves,
            recorded,
        } in groups
        {
            let recorded = recorded.as_ref();
            let fps = recorded
                .map(|r| r.fps)
                .filter(|fps| FRAME_RATES.contains(fps))
                .unwrap_or_else(|| frame_rate_for(curves.times()));
            let end = curves.times().fold(0.0, f32::max);
            let last = (gltf_animation::frame_of(end, fps) - 1e-3).ceil().max(0.0);
            let name = match names.as_slice() {
                [one] => one.clone(),
                _ => "Animation".to_owned(),
            };
            if last >= MAX_SHOT_FRAMES as f32 {
                self.warn(format!(
                    "animation '{name}' lasts {end:.0} s; its shot ends after an hour"
                ));
            }
            let frames = recorded
                .map(|r| r.frames)
                .filter(|f| (1..=MAX_SHOT_FRAMES).contains(f))
                .unwrap_or((last as u32).saturating_add(1).min(MAX_SHOT_FRAMES));
            let mut shot = Shot {
                fps,
                frames,
                camera: self.shot_camera(&curves.nodes),
                ..Shot::new(self.scene.reserve_shot_id(), &name)
            };
            // The camera's aspect ratio (an exporter's render size) at 1080 lines.
            if let Some(aspect) = shot.camera.and_then(|c| self.camera_aspect(c)) {
                let width = (1080.0 * aspect / 2.0).round() * 2.0;
                if (2.0..=MAX_SHOT_SIDE as f32).contains(&width) {
                    shot.size = [width as u32, 1080];
                }
            }
            if let Some(r) = recorded {
                let side = |v: u32| (2..=MAX_SHOT_SIDE).contains(&v) && v.is_multiple_of(2);
                if side(r.size[0]) && side(r.size[1]) {
                    shot.size = r.size;
                }
                let camera = r
                    .camera
                    .and_then(|c| self.node_ids.get(c as usize).copied().flatten())
                    .filter(|&id| {
                        self.scene
                            .node(id)
                            .is_some_and(|n| matches!(n.kind, NodeKind::Camera(_)))
                    });
                if camera.is_some() {
                    shot.camera = camera;
                }
                shot.variant = r
                    .variant
                    .as_deref()
                    .and_then(|v| self.scene.variants().find(v))
                    .map(|v| v.id);
                // Exposure keys (floats only; `set_keys` drops non-finite ones).
                if !r.exposure.is_empty() {
                    let exposure = r
                        .exposure
                        .iter()
                        .filter(|k| matches!(k.value, crate::scene::Value::Float(_)))
                        .take(MAX_ANIMATION_KEYS)
                        .copied();
                    shot.track_mut(Channel::Exposure).set_keys(exposure);
                }
            }
            let mut approximate = 0;
            for (node, node_curves) in &curves.nodes {
                let (keys, rough) = node_curves.keys(fps, &mut bake_budget);
                approximate += usize::from(rough);
                shot.track_mut(Channel::Transform(*node)).set_keys(keys);
            }
            // A spot's cone angles come as two curves, one per lane.
            let mut cones: BTreeMap<Channel, [Option<&Curve>; 2]> = BTreeMap::new();
            for (channel, curve, _, lane) in &curves.values {
                if let Some(lane) = *lane
                    && let Some(slot) = cones.entry(*channel).or_default().get_mut(lane)
                {
                    *slot = Some(curve);
                }
            }
            for (channel, lanes) in cones {
                let rest = match channel.read(&self.scene) {
                    Some(crate::scene::Value::Vec2(rest)) => rest,
                    _ => continue,
                };
                let value = |v: &[f32]| crate::scene::Value::Vec2([v[0], v[1]]);
                let (keys, rough) =
                    gltf_animation::lane_keys(&lanes, &rest, fps, value, &mut bake_budget);
                approximate += usize::from(rough);
                shot.track_mut(channel).set_keys(keys);
            }
            for (channel, curve, width, _) in curves.values.iter().filter(|v| v.3.is_none()) {
                let width = *width;
                let boolean = matches!(channel, Channel::Visible(_));
                let value = |v: glam::Vec4| match width {
                    1 if boolean => crate::scene::Value::Bool(v.x != 0.0),
                    1 => crate::scene::Value::Float(v.x),
                    3 => crate::scene::Value::Vec3(v.truncate().to_array()),
                    _ => crate::scene::Value::Vec4(v.to_array()),
                };
                let (keys, rough) = gltf_animation::value_keys(curve, fps, value, &mut bake_budget);
                approximate += usize::from(rough);
                shot.track_mut(*channel).set_keys(keys);
            }
            if approximate > 0 {
                self.warn(format!(
                    "animation '{name}': {approximate} track(s) beyond the {MAX_BAKED_KEYS} \
                     keys sampled per frame keyed at the file's key times instead (exact \
                     there, close between)"
                ));
            }
            if timeline.active.is_none() {
                timeline.active = Some(shot.id);
            }
            timeline.shots.push(shot);
        }
        self.scene.set_timeline(timeline);
    }

    /// One animation's usable channels as curves per scene node and per timeline channel;
    /// warns of those left out.
    fn animation_curves(
        &mut self,
        name: &str,
        animation: &AnimationJson,
        accessors: &[gltf::Accessor],
        key_budget: &mut usize,
    ) -> AnimationCurves {
        let buffers = Rc::clone(&self.buffers);
        let data = |b: gltf::Buffer| buffers.get(b.index()).map(Vec::as_slice);
        let mut out = AnimationCurves::default();
        let (mut weights, mut outside) = (0usize, 0usize);
        let mut unknown: Vec<String> = Vec::new();
        let mut problems: Vec<String> = Vec::new();
        for (c, channel) in animation.channels.iter().enumerate() {
            // What the channel animates: a node's transform, or values keyed by channel.
            let (node_target, values): ChannelTargets = match channel.target() {
                target @ (AnimTarget::Weights(_) | AnimTarget::MeshWeights(_)) => {
                    let holders: Vec<NodeId> = match target {
                        AnimTarget::MeshWeights(m) => nodes_with_mesh_weights(self.doc, m)
                            .into_iter()
                            .flat_map(|n| self.morph_holders(n))
                            .collect(),
                        AnimTarget::Weights(n) => self.morph_holders(n),
                        _ => Vec::new(),
                    };
                    let targets = holders
                        .first()
                        .and_then(|&h| self.scene.morph(h))
                        .map_or(0, |m| m.weights.len());
                    if targets == 0 {
                        weights += 1;
                        continue;
                    }
                    let channels: Vec<Channel> = holders
                        .iter()
                        .flat_map(|&h| {
                            (0..targets)
                                .map_while(|k| u16::try_from(k).ok())
                                .map(move |k| Channel::MorphWeight(h, k))
                        })
                        .collect();
                    if channels
                        .iter()
                        .any(|c| out.values.iter().any(|(w, ..)| w == c))
                    {
                        problems.push(format!("channel {c}: an earlier channel animates the same"));
                        continue;
                    }
                    let shape = (targets, holders.len());
                    match weight_curves(
                        animation,
                        channel.sampler,
                        accessors,
                        key_budget,
                        shape,
                        data,
                    ) {
                        Ok(curves) => {
                            for channel in channels {
                                if let Channel::MorphWeight(_, k) = channel {
                                    out.values.push((
                                        channel,
                                        curves[usize::from(k)].clone(),
                                        1,
                                        None,
                                    ));
                                }
                            }
                        }
                        Err(problem) => problems.push(format!("channel {c}: {problem}")),
                    }
                    continue;
                }
                AnimTarget::Unknown(what) => {
                    unknown.push(what);
                    continue;
                }
                AnimTarget::Derived => continue,
                AnimTarget::Node(index, path) => {
                    let Some(node) = self.node_ids.get(index).copied().flatten() else {
                        outside += 1;
                        continue;
                    };
                    (Some((node, path)), Vec::new())
                }
                AnimTarget::Visible(index) => {
                    let Some(node) = self.node_ids.get(index).copied().flatten() else {
                        outside += 1;
                        continue;
                    };
                    (None, vec![(Channel::Visible(node), 1, None)])
                }
                AnimTarget::Camera(camera) => (
                    None,
                    self.nodes_with(|n| n.camera().map(|c| c.index()) == Some(camera))
                        .into_iter()
                        .map(|n| (Channel::FieldOfView(n), 1, None))
                        .collect(),
                ),
                AnimTarget::OrthoSize(camera) => (
                    None,
                    self.nodes_with(|n| n.camera().map(|c| c.index()) == Some(camera))
                        .into_iter()
                        .filter(|&n| {
                            matches!(
                                self.scene.node(n).map(|n| &n.kind),
                                Some(NodeKind::Camera(Camera {
                                    ortho_half_height: Some(_),
                                    ..
                                }))
                            )
                        })
                        .map(|n| (Channel::OrthoSize(n), 1, None))
                        .collect(),
                ),
                AnimTarget::Light(light, property) => (
                    None,
                    self.nodes_with(|n| n.light().map(|l| l.index()) == Some(light))
                        .into_iter()
                        .filter(|&n| {
                            // Cone angles only on spots.
                            !matches!(property, LightProperty::Cone(_))
                                || self.scene.node(n).is_some_and(|n| {
                                    matches!(
                                        n.kind,
                                        NodeKind::Light(Light {
                                            kind: LightKind::Spot { .. },
                                            ..
                                        })
                                    )
                                })
                        })
                        .map(|n| match property {
                            LightProperty::Color => (Channel::LightColor(n), 3, None),
                            LightProperty::Intensity => (Channel::LightIntensity(n), 1, None),
                            LightProperty::Cone(lane) => (Channel::SpotCone(n), 1, Some(lane)),
                        })
                        .collect(),
                ),
                AnimTarget::Material(index, channel, width) => (
                    None,
                    self.materials
                        .get(&Some(index))
                        .map(|&m| (channel(m), width, None))
                        .into_iter()
                        .collect(),
                ),
            };
            if node_target.is_none() && values.is_empty() {
                outside += 1;
                continue;
            }
            let taken = match node_target {
                Some((node, path)) => out.nodes.get(&node).is_some_and(|c| path.of(c).is_some()),
                None => values
                    .iter()
                    .any(|(v, _, lane)| out.values.iter().any(|(w, _, _, l)| w == v && l == lane)),
            };
            if taken {
                problems.push(format!("channel {c}: an earlier channel animates the same"));
                continue;
            }
            let width = match node_target {
                Some((_, NodePath::Rotation)) => 4,
                Some(_) => 3,
                None => values.first().map_or(1, |(_, w, _)| *w),
            };
            // Each node showing an animated camera or light gets a copy of the curve: the
            // copies count against the key budget too.
            let copies = values.len().max(1);
            let curve = (|| -> Result<Curve, String> {
                let (interp, input, output) = sampler_of(animation, channel.sampler, accessors)?;
                // Counts first: a file may point many channels at one huge accessor.
                let keys = input.count();
                let per_key = if interp == Interp::Cubic { 3 } else { 1 };
                let tracked = keys.saturating_mul(copies);
                if tracked > *key_budget {
                    let copied = match copies {
                        1 => String::new(),
                        n => format!(" (for {n} nodes)"),
                    };
                    return Err(format!(
                        "its {keys} keys{copied} are past the {MAX_ANIMATION_KEYS} one file's \
                         animations may have"
                    ));
                }
                if output.count() != keys.saturating_mul(per_key) {
                    return Err(format!(
                        "it has {keys} key times but {} output values (expected {})",
                        output.count(),
                        keys.saturating_mul(per_key)
                    ));
                }
                *key_budget -= tracked;
                let times = read_scalars(input, data)
                    .ok_or("its key times are not a readable float scalar accessor")?;
                let pad = |v: &[f32]| {
                    let mut out = [0.0; 4];
                    out[..v.len()].copy_from_slice(v);
                    out
                };
                let boolean = matches!(values.first(), Some((Channel::Visible(_), ..)));
                let values: Vec<[f32; 4]> = match width {
                    1 if boolean => {
                        let flags = (output.data_type() == DataType::U8
                            && output.dimensions() == Dimensions::Scalar)
                            .then(|| gltf::accessor::Iter::<u8>::new(output.clone(), data))
                            .flatten()
                            .ok_or("its values are not a readable unsigned byte scalar accessor")?;
                        flags.map(|v| [f32::from(v), 0.0, 0.0, 0.0]).collect()
                    }
                    1 => read_scalars(output, data)
                        .ok_or("its values are not a readable float scalar accessor")?
                        .into_iter()
                        .map(|v| [v, 0.0, 0.0, 0.0])
                        .collect(),
                    3 => read_vectors::<3>(output, output.normalized(), data)
                        .ok_or("its values are not a readable VEC3 accessor")?
                        .iter()
                        .map(|v| pad(v))
                        .collect(),
                    _ => read_vectors::<4>(output, output.normalized(), data)
                        .ok_or("its values are not a readable VEC4 accessor")?,
                };
                Curve::new(times, interp, values)
            })();
            let curve = match curve {
                Ok(curve) => curve,
                Err(problem) => {
                    problems.push(format!("channel {c}: {problem}"));
                    continue;
                }
            };
            match node_target {
                Some((node, path)) => {
                    let rest = self
                        .scene
                        .node(node)
                        .map_or(Transform::IDENTITY, |n| n.transform);
                    let curves = out.nodes.entry(node).or_insert_with(|| NodeCurves {
                        rest,
                        ..NodeCurves::default()
                    });
                    *path.of_mut(curves) = Some(curve);
                }
                None => {
                    for (channel, width, lane) in values {
                        out.values.push((channel, curve.clone(), width, lane));
                    }
                }
            }
        }
        if let Some(first) = problems.first() {
            let more = match problems.len() {
                1 => String::new(),
                n => format!(" (and {} more)", n - 1),
            };
            self.warn(format!("animation '{name}': {first}; left out{more}"));
        }
        if weights > 0 {
            self.warn(format!(
                "animation '{name}': {weights} morph-target weight channel(s) left out: their \
                 nodes show no mesh with morph targets kept (instanced, or past the budget)"
            ));
        }
        if outside > 0 {
            self.warn(format!(
                "animation '{name}': {outside} channel(s) animate nodes, cameras, lights or \
                 materials outside the scene shown; left out"
            ));
        }
        if let Some(first) = unknown.first() {
            let shown: String = first.chars().take(80).collect();
            self.warn(format!(
                "animation '{name}': {} channel(s) animate what the timeline does not key \
                 (first: {shown}); left out",
                unknown.len()
            ));
        }
        out
    }

    /// The mesh nodes with morph targets made from glTF node `index`: the node itself, or
    /// its children (one per primitive) when it held more than one thing.
    fn morph_holders(&self, index: usize) -> Vec<NodeId> {
        let Some(id) = self.node_ids.get(index).copied().flatten() else {
            return Vec::new();
        };
        if self.scene.morph(id).is_some() {
            return vec![id];
        }
        self.scene.node(id).map_or_else(Vec::new, |node| {
            node.children
                .iter()
                .copied()
                .filter(|&c| self.scene.morph(c).is_some() && !self.node_ids.contains(&Some(c)))
                .collect()
        })
    }

    /// The aspect ratio the file gives the camera scene node `id` shows, if any.
    fn camera_aspect(&self, id: NodeId) -> Option<f32> {
        let node = self
            .doc
            .nodes()
            .filter(|n| n.camera().is_some())
            .find(|n| {
                let camera = n.camera().map(|c| c.index());
                camera.is_some_and(|c| {
                    self.nodes_with(|m| m.camera().map(|k| k.index()) == Some(c))
                        .contains(&id)
                })
            })?;
        match node.camera()?.projection() {
            gltf::camera::Projection::Perspective(p) => {
                p.aspect_ratio().filter(|a| a.is_finite() && *a > 0.0)
            }
            gltf::camera::Projection::Orthographic(o) => {
                Some((o.xmag() / o.ymag()).abs()).filter(|a| a.is_finite() && *a > 0.0)
            }
        }
    }

    /// The scene nodes made from glTF nodes that `holds` (a camera or light of the file):
    /// the node itself, or its child when the glTF node held more than one thing.
    fn nodes_with(&self, holds: impl Fn(&gltf::Node) -> bool) -> Vec<NodeId> {
        let mut out = Vec::new();
        for node in self.doc.nodes().filter(|n| holds(n)) {
            let Some(id) = self.node_ids.get(node.index()).copied().flatten() else {
                continue;
            };
            let Some(scene_node) = self.scene.node(id) else {
                continue;
            };
            let wanted = |kind: &NodeKind| {
                matches!(
                    (kind, node.camera().is_some()),
                    (NodeKind::Camera(_), true) | (NodeKind::Light(_), false)
                )
            };
            if wanted(&scene_node.kind) {
                out.push(id);
            } else {
                out.extend(
                    scene_node
                        .children
                        .iter()
                        .copied()
                        .filter(|&c| self.scene.node(c).is_some_and(|n| wanted(&n.kind))),
                );
            }
        }
        out
    }

    /// The camera a shot of `animated` nodes is seen through: the first camera that moves
    /// with them (it or a parent is animated), else the file's first camera.
    fn shot_camera(&self, animated: &BTreeMap<NodeId, NodeCurves>) -> Option<NodeId> {
        let cameras: Vec<NodeId> = self
            .node_ids
            .iter()
            .flatten()
            .flat_map(|&id| {
                // A glTF node holding a camera among other things keeps it as a child.
                let node = self.scene.node(id);
                std::iter::once(id).chain(node.map(|n| n.children.clone()).unwrap_or_default())
            })
            .filter(|&id| {
                self.scene
                    .node(id)
                    .is_some_and(|n| matches!(n.kind, NodeKind::Camera(_)))
            })
            .collect();
        let moves = |mut id: NodeId| {
            for _ in 0..=MAX_DEPTH {
                if animated.contains_key(&id) {
                    return true;
                }
                match self.scene.node(id).and_then(|n| n.parent) {
                    Some(parent) => id = parent,
                    None => return false,
                }
            }
            false
        };
        cameras
            .iter()
            .copied()
            .find(|&c| moves(c))
            .or_else(|| cameras.first().copied())
    }
}

/// Animations that become one shot, and the shot worldsmith recorded for them, if it did.
struct AnimationGroup {
    names: Vec<String>,
    curves: AnimationCurves,
    recorded: Option<ShotExtras>,
}

/// What one or more animations animate: node transforms, and values by timeline channel
/// (with their width: 1, 3 or 4 lanes).
#[derive(Default)]
struct AnimationCurves {
    nodes: BTreeMap<NodeId, NodeCurves>,
    /// (channel, curve, width, lane): a lane for values made of several curves (a spot's
    /// cone angles), `None` for those a curve holds whole.
    values: Vec<(Channel, Curve, usize, Option<usize>)>,
}

impl AnimationCurves {
    fn is_empty(&self) -> bool {
        self.nodes.is_empty() && self.values.is_empty()
    }

    fn channels(&self) -> impl Iterator<Item = Channel> + '_ {
        let nodes = self.nodes.keys().map(|&n| Channel::Transform(n));
        nodes.chain(self.values.iter().map(|(c, ..)| *c))
    }

    fn animates(&self, channel: Channel) -> bool {
        match channel {
            Channel::Transform(n) => self.nodes.contains_key(&n),
            other => self.values.iter().any(|(c, ..)| *c == other),
        }
    }

    /// Every key time of every curve.
    fn times(&self) -> impl Iterator<Item = f32> + Clone + '_ {
        let nodes = self.nodes.values().flat_map(NodeCurves::curves);
        nodes
            .chain(self.values.iter().map(|(_, c, ..)| c))
            .flat_map(|c| c.times.iter().copied())
    }
}

/// A glTF animation as read here (gltf-json's types cannot hold KHR_animation_pointer
/// channels, which have no node and a `pointer` path).
#[derive(serde::Deserialize)]
struct AnimationJson {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    channels: Vec<ChannelJson>,
    #[serde(default)]
    samplers: Vec<SamplerJson>,
}

#[derive(serde::Deserialize)]
struct ChannelJson {
    sampler: usize,
    target: TargetJson,
}

#[derive(serde::Deserialize)]
struct TargetJson {
    #[serde(default)]
    node: Option<usize>,
    path: String,
    #[serde(default)]
    extensions: Option<TargetExtensions>,
}

#[derive(serde::Deserialize)]
struct TargetExtensions {
    #[serde(rename = "KHR_animation_pointer", default)]
    pointer: Option<PointerJson>,
}

#[derive(serde::Deserialize)]
struct PointerJson {
    pointer: String,
}

#[derive(serde::Deserialize)]
struct SamplerJson {
    input: usize,
    output: usize,
    #[serde(default = "linear")]
    interpolation: String,
}

/// A sampler's interpolation, or why it is not glTF's.
fn interpolation(name: &str) -> Result<Interp, String> {
    match name {
        "STEP" => Ok(Interp::Step),
        "LINEAR" => Ok(Interp::Linear),
        "CUBICSPLINE" => Ok(Interp::Cubic),
        other => {
            let shown: String = other.chars().take(40).collect();
            Err(format!("its interpolation '{shown}' is not glTF's"))
        }
    }
}

/// Sampler `s` of `animation`: its interpolation and its input (times) and output accessors,
/// or why they cannot be used.
fn sampler_of<'d, 'a>(
    animation: &AnimationJson,
    s: usize,
    accessors: &'d [gltf::Accessor<'a>],
) -> Result<(Interp, &'d gltf::Accessor<'a>, &'d gltf::Accessor<'a>), String> {
    let sampler = animation
        .samplers
        .get(s)
        .ok_or_else(|| format!("it refers to sampler {s} of {}", animation.samplers.len()))?;
    let interp = interpolation(&sampler.interpolation)?;
    let accessor = |i: usize| {
        accessors
            .get(i)
            .ok_or_else(|| format!("it refers to accessor {i} of {}", accessors.len()))
    };
    Ok((interp, accessor(sampler.input)?, accessor(sampler.output)?))
}

/// One curve per morph target from a `weights` channel's sampler, whose output holds
/// `targets` weights per key (three groups per key for cubic: in-tangents, values,
/// out-tangents). `(targets, copies)`: the keys count once per target and per mesh node
/// that gets a copy of the curves (one per primitive) against `key_budget`.
fn weight_curves<'a>(
    animation: &AnimationJson,
    sampler: usize,
    accessors: &[gltf::Accessor<'a>],
    key_budget: &mut usize,
    (targets, copies): (usize, usize),
    data: impl Clone + Fn(gltf::Buffer<'a>) -> Option<&'a [u8]>,
) -> Result<Vec<Curve>, String> {
    let (interp, input, output) = sampler_of(animation, sampler, accessors)?;
    // Counts first: a file may point many channels at one huge accessor.
    let keys = input.count();
    let per_key = if interp == Interp::Cubic { 3 } else { 1 };
    let tracked = keys.saturating_mul(targets).saturating_mul(copies.max(1));
    if tracked > *key_budget {
        return Err(format!(
            "its {keys} keys for {targets} morph targets of {copies} mesh(es) are past the \
             {MAX_ANIMATION_KEYS} one file's animations may have"
        ));
    }
    let expected = keys.saturating_mul(targets).saturating_mul(per_key);
    if output.count() != expected {
        return Err(format!(
            "it has {keys} key times for {targets} morph targets but {} output values \
             (expected {expected})",
            output.count()
        ));
    }
    *key_budget -= tracked;
    let times = read_scalars(input, data.clone())
        .ok_or("its key times are not a readable float scalar accessor")?;
    let values = read_scalars(output, data)
        .ok_or("its weights are not a readable float or normalized integer scalar accessor")?;
    (0..targets)
        .map(|k| {
            let lane = values
                .iter()
                .skip(k)
                .step_by(targets)
                .map(|&v| [v, 0.0, 0.0, 0.0])
                .collect();
            Curve::new(times.clone(), interp, lane)
        })
        .collect()
}

fn linear() -> String {
    "LINEAR".into()
}

/// What one channel keys in the scene: a node's transform part, or timeline channels (one
/// per scene node or material the glTF target became) with their width and, for a value
/// made of several curves, the lane this one is.
type ChannelTargets = (
    Option<(NodeId, NodePath)>,
    Vec<(Channel, usize, Option<usize>)>,
);

/// Which part of a node's transform a channel animates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NodePath {
    Translation,
    Rotation,
    Scale,
}

impl NodePath {
    fn of(self, curves: &NodeCurves) -> Option<&Curve> {
        match self {
            NodePath::Translation => curves.translation.as_ref(),
            NodePath::Rotation => curves.rotation.as_ref(),
            NodePath::Scale => curves.scale.as_ref(),
        }
    }

    fn of_mut(self, curves: &mut NodeCurves) -> &mut Option<Curve> {
        match self {
            NodePath::Translation => &mut curves.translation,
            NodePath::Rotation => &mut curves.rotation,
            NodePath::Scale => &mut curves.scale,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LightProperty {
    Color,
    Intensity,
    /// A spot's inner or outer cone angle: lane 0 or 1 of its `SpotCone`.
    Cone(usize),
}

/// What a channel animates, by glTF index.
enum AnimTarget {
    Node(usize, NodePath),
    /// A node's KHR_node_visibility `visible` (a boolean: unsigned bytes, 0 = hidden).
    Visible(usize),
    /// A camera's vertical field of view (`/cameras/{c}/perspective/yfov`).
    Camera(usize),
    /// An orthographic camera's size (`/cameras/{c}/orthographic/ymag`).
    OrthoSize(usize),
    /// What follows from another animated value here (an orthographic camera's `xmag`: its
    /// width follows the output's aspect): skipped without a warning.
    Derived,
    Light(usize, LightProperty),
    /// A material value: its channel and width.
    Material(usize, fn(MaterialId) -> Channel, usize),
    /// A node's morph target weights.
    Weights(usize),
    /// A mesh's morph target weights (`/meshes/{m}/weights`): those of every node showing
    /// it without weights of its own.
    MeshWeights(usize),
    /// Something the timeline does not key (the path or pointer, for the warning).
    Unknown(String),
}

impl ChannelJson {
    fn target(&self) -> AnimTarget {
        let t = &self.target;
        let node_path = |path: &str| match path {
            "translation" => Some(NodePath::Translation),
            "rotation" => Some(NodePath::Rotation),
            "scale" => Some(NodePath::Scale),
            _ => None,
        };
        if t.path != "pointer" {
            return match (t.node, t.path.as_str()) {
                (Some(n), "weights") => AnimTarget::Weights(n),
                (None, "weights") => AnimTarget::Unknown("path 'weights' without a node".into()),
                (Some(n), path) => match node_path(path) {
                    Some(p) => AnimTarget::Node(n, p),
                    None => AnimTarget::Unknown(format!("path '{path}'")),
                },
                (None, path) => AnimTarget::Unknown(format!("path '{path}' without a node")),
            };
        }
        let Some(pointer) = t.extensions.as_ref().and_then(|e| e.pointer.as_ref()) else {
            return AnimTarget::Unknown("a pointer path without KHR_animation_pointer".into());
        };
        pointer_target(&pointer.pointer)
    }
}

/// The glTF nodes whose morph target weights some animation moves (by node, or by their
/// mesh's weights: [`nodes_with_mesh_weights`]).
fn weights_animated(animations: &[serde_json::Value], doc: &gltf::Document) -> HashSet<usize> {
    let mut out = HashSet::new();
    let channels = animations
        .iter()
        .filter_map(|a| <AnimationJson as serde::Deserialize>::deserialize(a).ok())
        .flat_map(|a| a.channels);
    for channel in channels {
        match channel.target() {
            AnimTarget::Weights(n) => {
                out.insert(n);
            }
            AnimTarget::MeshWeights(m) => out.extend(nodes_with_mesh_weights(doc, m)),
            _ => {}
        }
    }
    out
}

/// The glTF nodes that show mesh `mesh` with its weights (no weights of their own).
fn nodes_with_mesh_weights(doc: &gltf::Document, mesh: usize) -> Vec<usize> {
    doc.nodes()
        .filter(|n| n.mesh().is_some_and(|m| m.index() == mesh) && n.weights().is_none())
        .map(|n| n.index())
        .collect()
}

/// The target a KHR_animation_pointer JSON pointer names, where the timeline keys it.
fn pointer_target(pointer: &str) -> AnimTarget {
    let parts: Vec<&str> = pointer.split('/').collect();
    let index = |s: &str| s.parse::<usize>().ok();
    let unknown = || AnimTarget::Unknown(format!("pointer '{pointer}'"));
    let material = |channel: fn(MaterialId) -> Channel, width: usize| (channel, width);
    match parts.as_slice() {
        ["", "nodes", n, path] => match (index(n), *path) {
            (Some(n), "translation") => AnimTarget::Node(n, NodePath::Translation),
            (Some(n), "rotation") => AnimTarget::Node(n, NodePath::Rotation),
            (Some(n), "scale") => AnimTarget::Node(n, NodePath::Scale),
            (Some(n), "weights") => AnimTarget::Weights(n),
            _ => unknown(),
        },
        ["", "meshes", m, "weights"] => index(m).map_or_else(unknown, AnimTarget::MeshWeights),
        [
            "",
            "nodes",
            n,
            "extensions",
            "KHR_node_visibility",
            "visible",
        ] => index(n).map_or_else(unknown, AnimTarget::Visible),
        ["", "cameras", c, "perspective", "yfov"] => {
            index(c).map_or_else(unknown, AnimTarget::Camera)
        }
        ["", "cameras", c, "orthographic", "ymag"] => {
            index(c).map_or_else(unknown, AnimTarget::OrthoSize)
        }
        ["", "cameras", _, "orthographic", "xmag"] => AnimTarget::Derived,
        [
            "",
            "extensions",
            "KHR_lights_punctual",
            "lights",
            l,
            property,
        ] => match (index(l), *property) {
            (Some(l), "color") => AnimTarget::Light(l, LightProperty::Color),
            (Some(l), "intensity") => AnimTarget::Light(l, LightProperty::Intensity),
            _ => unknown(),
        },
        [
            "",
            "extensions",
            "KHR_lights_punctual",
            "lights",
            l,
            "spot",
            angle,
        ] => match (index(l), *angle) {
            (Some(l), "innerConeAngle") => AnimTarget::Light(l, LightProperty::Cone(0)),
            (Some(l), "outerConeAngle") => AnimTarget::Light(l, LightProperty::Cone(1)),
            _ => unknown(),
        },
        ["", "materials", m, rest @ ..] => {
            let Some(m) = index(m) else {
                return unknown();
            };
            let found = match rest {
                ["pbrMetallicRoughness", "baseColorFactor"] => material(Channel::BaseColor, 4),
                ["pbrMetallicRoughness", "metallicFactor"] => material(Channel::Metallic, 1),
                ["pbrMetallicRoughness", "roughnessFactor"] => material(Channel::Roughness, 1),
                ["emissiveFactor"] => material(Channel::Emissive, 3),
                ["extensions", extension, property] => match (*extension, *property) {
                    ("KHR_materials_emissive_strength", "emissiveStrength") => {
                        material(Channel::EmissiveStrength, 1)
                    }
                    ("KHR_materials_specular", "specularFactor") => material(Channel::Specular, 1),
                    ("KHR_materials_transmission", "transmissionFactor") => {
                        material(Channel::Transmission, 1)
                    }
                    ("KHR_materials_clearcoat", "clearcoatFactor") => {
                        material(Channel::Clearcoat, 1)
                    }
                    ("KHR_materials_sheen", "sheenColorFactor") => material(Channel::SheenColor, 3),
                    ("KHR_materials_sheen", "sheenRoughnessFactor") => {
                        material(Channel::SheenRoughness, 1)
                    }
                    ("KHR_materials_anisotropy", "anisotropyStrength") => {
                        material(Channel::Anisotropy, 1)
                    }
                    ("KHR_materials_iridescence", "iridescenceFactor") => {
                        material(Channel::Iridescence, 1)
                    }
                    ("KHR_materials_iridescence", "iridescenceThicknessMaximum") => {
                        material(Channel::IridescenceThickness, 1)
                    }
                    ("KHR_materials_diffuse_transmission", "diffuseTransmissionFactor") => {
                        material(Channel::DiffuseTransmission, 1)
                    }
                    _ => return unknown(),
                },
                _ => return unknown(),
            };
            AnimTarget::Material(m, found.0, found.1)
        }
        _ => unknown(),
    }
}

/// The shot worldsmith recorded in an animation's extras ([`SHOT_EXTRAS`]), if it reads.
fn shot_extras(animation: &serde_json::Value) -> Option<ShotExtras> {
    let recorded = animation.get("extras")?.get(SHOT_EXTRAS)?;
    serde_json::from_value(recorded.clone()).ok()
}

/// Most shots a file's animations make (one per animation whose nodes overlap another's).
const MAX_ANIMATION_SHOTS: usize = 256;
/// Most keys all of a file's animation channels may have together (each read costs ~50 bytes
/// and becomes a timeline key of ~100): a file pointing many channels at one huge accessor
/// must not allocate without bound.
const MAX_ANIMATION_KEYS: usize = 1_000_000;
/// Most keys an import samples per frame for nodes whose channels mix interpolations
/// (≈ 100 bytes each).
const MAX_BAKED_KEYS: usize = 500_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpegs_decode_straight_to_the_rgba_image_would_make() {
        let encode = |img: image::DynamicImage| {
            let mut bytes = std::io::Cursor::new(Vec::new());
            img.write_to(&mut bytes, image::ImageFormat::Jpeg)
                .expect("jpeg");
            bytes.into_inner()
        };
        let colour = image::RgbImage::from_fn(67, 45, |x, y| {
            image::Rgb([(x * 3) as u8, (y * 5) as u8, ((x * y) % 251) as u8])
        });
        let grey = image::GrayImage::from_fn(33, 20, |x, y| image::Luma([(x * 7 + y) as u8]));
        for (name, jpeg) in [
            ("colour", encode(colour.into())),
            ("grey", encode(grey.into())),
        ] {
            let fast = decode_rgba(&jpeg).expect("decodes");
            let reference = image::load_from_memory(&jpeg).expect("image").to_rgba8();
            assert_eq!(fast.dimensions(), reference.dimensions(), "{name}");
            assert!(
                fast == reference,
                "{name}: pixels differ from image's decode"
            );
        }
        assert!(
            jpeg_to_rgba(&encode(
                image::GrayImage::from_pixel(4, 4, image::Luma([9])).into()
            ))
            .is_none(),
            "grey JPEGs go through image"
        );
        assert!(decode_rgba(b"\xFF\xD8\xFF\xE0 not really a jpeg").is_err());
    }

    #[test]
    fn images_past_the_budget_are_left_empty_with_a_warning() {
        assert_eq!(
            within_budget(&[Some(10), None, Some(5), Some(20), Some(5)], 20),
            [true, true, true, false, true]
        );
        // Three 64×64 PNGs (16 KiB each decoded) against a 40,000-byte budget.
        let png = |shade: u8| {
            let img = image::RgbaImage::from_pixel(64, 64, image::Rgba([shade, 0, 0, 255]));
            let mut bytes = std::io::Cursor::new(Vec::new());
            img.write_to(&mut bytes, image::ImageFormat::Png)
                .expect("png");
            base64::engine::general_purpose::STANDARD.encode(bytes.into_inner())
        };
        let images: Vec<String> = (0..3)
            .map(|i| format!(r#"{{"uri":"data:image/png;base64,{}"}}"#, png(i * 80)))
            .collect();
        let json = format!(
            r#"{{"asset":{{"version":"2.0"}},"images":[{}]}}"#,
            images.join(",")
        );
        let path = Path::new("budget.gltf");
        let imported = import_gltf_within(path, json.as_bytes(), 40_000).expect("imports");
        assert_eq!(imported.scene.images().count(), 2, "the first two fit");
        assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
        let warning = &imported.warnings[0];
        assert!(
            warning.contains("budget.gltf")
                && warning.contains("image 2")
                && warning.contains("GiB"),
            "{warning}"
        );
        let all = import_gltf_within(path, json.as_bytes(), MAX_TOTAL_IMAGE_BYTES).expect("all");
        assert_eq!(all.scene.images().count(), 3);
        assert!(all.warnings.is_empty(), "{:?}", all.warnings);
    }

    #[test]
    fn uris_stay_inside_the_folder() {
        let folder = Path::new("/assets/model");
        let ok = |uri: &str| match resolve_uri(folder, uri) {
            Ok(Resolved::File(p)) => p,
            _ => panic!("{uri} rejected"),
        };
        assert_eq!(ok("a.bin"), Path::new("/assets/model/a.bin"));
        assert_eq!(ok("tex/../b%20c.png"), Path::new("/assets/model/b c.png"));
        for bad in [
            "../x.bin",
            "a/../../x.bin",
            "/etc/passwd",
            "file:///etc/passwd",
            "http://example.com/x.bin",
            "C:/x.bin",
            "%2E%2E/x.bin",
        ] {
            assert!(resolve_uri(folder, bad).is_err(), "{bad} accepted");
        }
        let Ok(Resolved::Bytes(b)) =
            resolve_uri(folder, "data:application/octet-stream;base64,AAEC")
        else {
            panic!("data URI rejected");
        };
        assert_eq!(b, [0, 1, 2]);
    }

    #[test]
    fn strips_and_fans_become_lists() {
        assert_eq!(
            triangles_from(Mode::TriangleStrip, vec![0, 1, 2, 3]),
            Some(vec![0, 1, 2, 2, 1, 3])
        );
        assert_eq!(
            triangles_from(Mode::TriangleFan, vec![0, 1, 2, 3]),
            Some(vec![0, 1, 2, 0, 2, 3])
        );
        assert_eq!(triangles_from(Mode::Lines, vec![0, 1]), None);
        assert_eq!(
            triangles_from(Mode::Triangles, vec![0, 1, 2, 3]),
            Some(vec![0, 1, 2])
        );
    }
}
