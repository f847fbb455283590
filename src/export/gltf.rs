//! glTF 2.0 export: `.glb` (JSON and one BIN chunk, laid out by the `gltf` crate's GLB
//! writer) or `.gltf` with a `.bin` buffer and image files beside it. The JSON is built from
//! `gltf-json` types and serialised by serde; nothing is written by hand.
//!
//! What is written, per exported node (see [`super::ExportOptions`] for which):
//! - groups as nodes, meshes as one-primitive glTF meshes (POSITION with min/max, NORMAL,
//!   TANGENT, TEXCOORD_0/1, COLOR_0, u32 indices; one tightly packed buffer view per
//!   attribute with its target, every view 4-byte aligned), shared geometry written once;
//! - metallic-roughness materials with all five texture slots, samplers,
//!   KHR_texture_transform (each slot's transform after the material-wide tiling, merged into
//!   one), KHR_materials_ior (when not 1.5), KHR_materials_specular (factors and both
//!   textures, when not the defaults), KHR_materials_transmission, KHR_materials_volume
//!   (on transmissive materials) and KHR_materials_dispersion (with a volume),
//!   KHR_materials_clearcoat, KHR_materials_sheen, KHR_materials_anisotropy,
//!   KHR_materials_iridescence, KHR_materials_diffuse_transmission,
//!   KHR_materials_emissive_strength (emissive colours above 1 are folded into the
//!   strength), KHR_materials_unlit;
//! - images as their original PNG/JPEG bytes when the scene still has them
//!   ([`crate::scene::Image::source`]), otherwise encoded as PNG;
//! - KHR_lights_punctual lights, perspective cameras;
//! - material variants as KHR_materials_variants mappings on the primitives;
//! - the timeline's shots as animations of the written nodes' transforms, and by
//!   KHR_animation_pointer of cameras' fields of view, lights' colours, intensities and cone
//!   angles and material factors ([`super::gltf_animation`]);
//! - point clouds as `POINTS` primitives (POSITION, COLOR_0), and splat and point layers as
//!   PLY/SPZ files beside the glTF (`<stem>_<node>.ply`), their node kept as an empty node
//!   whose `extras.worldsmith_file` names the file.
//!
//! Not written: the environment (sky, panorama, exposure; animated exposure too), per-node
//! colour grades, node lock flags and editable shape parameters, which
//! glTF has no place for.

use super::gltf_animation::{
    Interp, Motion, PointerObject, SHOT_EXTRAS, ShotExtras, Values, motion, pointer_of, values,
    weights,
};
use super::{
    ExportError, ExportOptions, ExportReport, Exported, GltfFormat, SplatFormat, exported_nodes,
    file_safe, write_atomic,
};
use crate::scene::color::srgb_u8_to_linear;
use crate::scene::morph::Morph;
use crate::scene::skin::Skin;
use crate::scene::{
    AlphaMode, Camera, Channel, Filter, ImageId, Light, LightKind, Material, MaterialId,
    MaterialVariant, Mesh, MeshId, MinFilter, NodeId, NodeKind, PointCloud, Sampler, Scene,
    TextureRef, UvTransform, Wrap,
};
use glam::{Mat3, Mat4, Quat, Vec2, Vec3, Vec4};
use gltf_json as json;
use json::validation::{Checked::Valid, USize64};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Exports `scene` to `path` (`.glb` or `.gltf` by `options.format`) with `variants` as its
/// KHR_materials_variants (the scene's own, or a list edited elsewhere; assignments to nodes
/// that are not exported are dropped). Splat and point layers go to files beside it.
pub fn export(
    scene: &Scene,
    variants: &[MaterialVariant],
    path: &Path,
    options: &ExportOptions,
) -> Result<ExportReport, ExportError> {
    let file = path.display().to_string();
    let nodes = exported_nodes(scene, options);
    if nodes.is_empty() {
        return Err(ExportError::Nothing {
            file,
            problem: if options.selection_only.is_some() {
                "no selected node is exported (nothing selected, or only hidden nodes)".into()
            } else {
                "the scene has no (visible) nodes".into()
            },
        });
    }
    let folder = path.parent().unwrap_or(Path::new("")).to_owned();
    if !folder.as_os_str().is_empty() && !folder.is_dir() {
        return Err(ExportError::Io {
            file,
            error: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("the folder {} does not exist", folder.display()),
            ),
        });
    }
    let stem = path
        .file_stem()
        .map_or_else(|| "export".into(), |s| s.to_string_lossy().into_owned());

    let mut builder = Builder {
        scene,
        options,
        file: file.clone(),
        root: json::Root::default(),
        bin: Vec::new(),
        node_index: HashMap::new(),
        images: HashMap::new(),
        image_payloads: Vec::new(),
        samplers: HashMap::new(),
        textures: HashMap::new(),
        materials: HashMap::new(),
        animated_extensions: animated_extensions(scene),
        geometry: HashMap::new(),
        meshes: HashMap::new(),
        extensions: BTreeMap::new(),
        warnings: Vec::new(),
        cloud_files: Vec::new(),
        used_names: HashSet::new(),
        cameras_of: HashMap::new(),
        lights_of: HashMap::new(),
        morphed: HashMap::new(),
        pointer_channels: Vec::new(),
        folder: folder.clone(),
        stem: stem.clone(),
    };
    builder.root.asset = json::Asset {
        generator: Some(format!("worldsmith {}", env!("CARGO_PKG_VERSION"))),
        version: "2.0".into(),
        ..Default::default()
    };
    let variant_materials = builder.variant_table(variants, &nodes);
    builder.add_nodes(&nodes, &variant_materials)?;
    builder.animations(&nodes);
    if !variants.is_empty() && !variant_materials.is_empty() {
        builder.use_extension("KHR_materials_variants");
        builder
            .root
            .extensions
            .get_or_insert_default()
            .khr_materials_variants = Some(json::extensions::root::KhrMaterialsVariants {
            variants: variants
                .iter()
                .map(
                    |v| json::extensions::scene::khr_materials_variants::Variant {
                        name: v.name.clone(),
                    },
                )
                .collect(),
        });
    }
    builder.root.extensions_used = builder.extensions.keys().cloned().collect();

    // Splat and point layers beside the glTF, before it.
    let mut report = ExportReport {
        files: vec![path.to_owned()],
        ..Default::default()
    };
    for (id, cloud_path) in std::mem::take(&mut builder.cloud_files) {
        let format = match scene.node(id).map(|n| &n.kind) {
            Some(NodeKind::Splats { .. }) => options.splats,
            _ => SplatFormat::Ply,
        };
        match super::export_cloud(scene, id, &cloud_path, format) {
            Ok(r) => {
                report.bytes += r.bytes;
                report.files.extend(r.files);
                report.warnings.extend(r.warnings);
            }
            Err(ExportError::Nothing { file, problem }) => builder
                .warnings
                .push(format!("{file}: not written: {problem}")),
            Err(e) => return Err(e),
        }
    }

    let Builder {
        mut root,
        mut bin,
        image_payloads,
        warnings,
        pointer_channels,
        ..
    } = builder;
    report.warnings.extend(warnings);
    report.count = root.nodes.len();
    match options.format {
        GltfFormat::Glb => {
            for (index, payload) in image_payloads.into_iter().enumerate() {
                let view = push_view(&mut root, &mut bin, &payload.bytes, None);
                if let Some(image) = root.images.get_mut(index) {
                    image.buffer_view = Some(view);
                    image.mime_type = Some(json::image::MimeType(payload.mime.into()));
                }
            }
            finish_buffer(&mut root, &bin, None);
            let json_bytes = root_json(&root, &pointer_channels, false).map_err(|e| {
                ExportError::Unsupported {
                    file: file.clone(),
                    problem: format!("the glTF JSON could not be written: {e}"),
                }
            })?;
            let glb = gltf::binary::Glb {
                header: gltf::binary::Header {
                    magic: *b"glTF",
                    version: 2,
                    // Recomputed by `to_writer`.
                    length: 0,
                },
                json: std::borrow::Cow::Owned(json_bytes),
                bin: (!bin.is_empty()).then_some(std::borrow::Cow::Borrowed(bin.as_slice())),
            };
            report.bytes += write_atomic(path, |w| {
                glb.to_writer(w).map_err(|e| match e {
                    gltf::Error::Io(e) => e,
                    other => std::io::Error::other(other.to_string()),
                })
            })?;
        }
        GltfFormat::Separate => {
            let mut image_files = Vec::new();
            for (index, payload) in image_payloads.into_iter().enumerate() {
                let extension = if payload.mime == "image/jpeg" {
                    "jpg"
                } else {
                    "png"
                };
                let name = format!("{stem}_image{index}.{extension}");
                let image_path = folder.join(&name);
                report.bytes += write_atomic(&image_path, |w| w.write_all(&payload.bytes))?;
                image_files.push(image_path);
                if let Some(image) = root.images.get_mut(index) {
                    image.uri = Some(uri_of(&name));
                }
            }
            report.files.extend(image_files);
            if !bin.is_empty() {
                let name = format!("{stem}.bin");
                let bin_path = folder.join(&name);
                report.bytes += write_atomic(&bin_path, |w| w.write_all(&bin))?;
                report.files.push(bin_path);
                finish_buffer(&mut root, &bin, Some(uri_of(&name)));
            }
            let json_bytes = root_json(&root, &pointer_channels, true).map_err(|e| {
                ExportError::Unsupported {
                    file: file.clone(),
                    problem: format!("the glTF JSON could not be written: {e}"),
                }
            })?;
            report.bytes += write_atomic(path, |w| w.write_all(&json_bytes))?;
        }
    }
    Ok(report)
}

/// Most keys one export samples per frame for tracks that mix interpolations (a few dozen
/// bytes each in the file).
const MAX_BAKED_KEYS: usize = 2_000_000;

/// Adds a sampler (key times, interpolation, values) and the channel that drives `node`'s
/// `path` with it.
fn push_channel(
    animation: &mut json::Animation,
    (input, interpolation, output): (
        json::Index<json::Accessor>,
        json::animation::Interpolation,
        json::Index<json::Accessor>,
    ),
    node: json::Index<json::Node>,
    path: json::animation::Property,
) {
    let sampler = json::Index::new(animation.samplers.len() as u32);
    animation.samplers.push(json::animation::Sampler {
        input,
        interpolation: Valid(interpolation),
        output,
        extensions: None,
        extras: None,
    });
    animation.channels.push(json::animation::Channel {
        sampler,
        target: json::animation::Target {
            node,
            path: Valid(path),
            extensions: None,
            extras: None,
        },
        extensions: None,
        extras: None,
    });
}

fn gltf_interpolation(interp: Interp) -> json::animation::Interpolation {
    match interp {
        Interp::Step => json::animation::Interpolation::Step,
        Interp::Linear => json::animation::Interpolation::Linear,
        Interp::Cubic => json::animation::Interpolation::CubicSpline,
    }
}

/// One KHR_animation_pointer channel: the animation and sampler (indices) and the pointer.
struct PointerChannel {
    animation: usize,
    sampler: u32,
    pointer: String,
}

/// The document's JSON with the pointer channels in their animations (and
/// KHR_animation_pointer among the extensions used where there are any).
fn root_json(
    root: &json::Root,
    pointers: &[PointerChannel],
    pretty: bool,
) -> serde_json::Result<Vec<u8>> {
    fn bytes(value: &impl serde::Serialize, pretty: bool) -> serde_json::Result<Vec<u8>> {
        if pretty {
            serde_json::to_vec_pretty(value)
        } else {
            serde_json::to_vec(value)
        }
    }
    if pointers.is_empty() {
        return bytes(root, pretty);
    }
    let mut value = serde_json::to_value(root)?;
    for p in pointers {
        let channel = serde_json::json!({
            "sampler": p.sampler,
            "target": { "path": "pointer",
                        "extensions": { "KHR_animation_pointer": { "pointer": p.pointer } } }
        });
        // An animation of pointer channels only has no `channels` yet (gltf-json leaves an
        // empty list out): start it.
        if let Some(channels) = value
            .pointer_mut(&format!("/animations/{}", p.animation))
            .and_then(serde_json::Value::as_object_mut)
            .map(|a| a.entry("channels").or_insert_with(|| serde_json::json!([])))
            .and_then(serde_json::Value::as_array_mut)
        {
            channels.push(channel);
        }
    }
    if let Some(object) = value.as_object_mut() {
        let used = object
            .entry("extensionsUsed")
            .or_insert_with(|| serde_json::json!([]));
        if let Some(list) = used.as_array_mut() {
            list.push(serde_json::json!("KHR_animation_pointer"));
        }
    }
    bytes(&value, pretty)
}

/// A relative URI for a file name (percent-encoded).
fn uri_of(name: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(name, KEEP).to_string()
}

/// Declares the one buffer (when anything was written to it).
fn finish_buffer(root: &mut json::Root, bin: &[u8], uri: Option<String>) {
    if bin.is_empty() {
        return;
    }
    root.buffers = vec![json::Buffer {
        byte_length: USize64(bin.len() as u64),
        name: None,
        uri,
        extensions: None,
        extras: None,
    }];
}

/// Appends `bytes` to the buffer at a 4-byte boundary as one buffer view.
fn push_view(
    root: &mut json::Root,
    bin: &mut Vec<u8>,
    bytes: &[u8],
    target: Option<json::buffer::Target>,
) -> json::Index<json::buffer::View> {
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
    let offset = bin.len();
    bin.extend_from_slice(bytes);
    root.push(json::buffer::View {
        buffer: json::Index::new(0),
        byte_length: USize64(bytes.len() as u64),
        byte_offset: Some(USize64(offset as u64)),
        byte_stride: None,
        name: None,
        target: target.map(Valid),
        extensions: None,
        extras: None,
    })
}

/// An image to store: its encoded bytes and MIME type.
struct ImagePayload {
    mime: &'static str,
    bytes: Vec<u8>,
}

/// The accessors of one written geometry.
#[derive(Clone)]
struct Geometry {
    attributes: BTreeMap<json::mesh::Semantic, json::Index<json::Accessor>>,
    indices: Option<json::Index<json::Accessor>>,
    mode: json::mesh::Mode,
    /// Morph targets (a morphed node's own geometry).
    targets: Option<Vec<json::mesh::MorphTarget>>,
}

/// What makes a written geometry distinct: the mesh, the node it was baked for (with
/// `apply_transforms`), and which texture-coordinate sets the material needs filled in.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct GeometryKey {
    mesh: MeshId,
    baked_for: Option<NodeId>,
    needs_uv0: bool,
    needs_uv1: bool,
    /// Written with generated tangents: a clearcoat normal map and an anisotropic highlight
    /// need a tangent space, which a reader may only generate itself from the base's normal
    /// map (glTF-Validator's MESH_PRIMITIVE_NO_TANGENT_SPACE).
    coat_tangents: bool,
    /// Written for this skinned or morphed node: as bound, with its joints and weights,
    /// and before its morph targets, with them.
    deformed_for: Option<NodeId>,
}

/// A glTF mesh: geometry, material and variant mappings (material index, variant indices).
type MeshKey = (GeometryKey, u32, Vec<(u32, Vec<u32>)>);

struct Builder<'a> {
    scene: &'a Scene,
    options: &'a ExportOptions,
    file: String,
    root: json::Root,
    bin: Vec<u8>,
    node_index: HashMap<NodeId, json::Index<json::Node>>,
    images: HashMap<ImageId, json::Index<json::Image>>,
    image_payloads: Vec<ImagePayload>,
    samplers: HashMap<Sampler, json::Index<json::texture::Sampler>>,
    textures: HashMap<(ImageId, Sampler), json::Index<json::Texture>>,
    materials: HashMap<MaterialId, json::Index<json::Material>>,
    /// Material extensions the timeline animates ([`animated_extensions`]).
    animated_extensions: HashSet<(MaterialId, &'static str)>,
    geometry: HashMap<GeometryKey, Geometry>,
    meshes: HashMap<MeshKey, json::Index<json::Mesh>>,
    extensions: BTreeMap<String, ()>,
    warnings: Vec<String>,
    /// Splat/point nodes and the files they go to.
    cloud_files: Vec<(NodeId, PathBuf)>,
    used_names: HashSet<String>,
    /// The glTF camera and light each written node holds (for animation pointers).
    cameras_of: HashMap<NodeId, u32>,
    lights_of: HashMap<NodeId, u32>,
    /// Nodes written with their morph targets, and how many targets.
    morphed: HashMap<NodeId, usize>,
    /// KHR_animation_pointer channels, added to the JSON when it is written (gltf-json's
    /// channel type needs a node).
    pointer_channels: Vec<PointerChannel>,
    folder: PathBuf,
    stem: String,
}

impl Builder<'_> {
    fn use_extension(&mut self, name: &str) {
        self.extensions.insert(name.to_owned(), ());
    }

    /// Adds material extension `name` to `extensions` as the JSON object `value` (for
    /// extensions gltf-json has no type for, or one that cannot write them validly).
    fn json_extension(
        &mut self,
        extensions: &mut json::extensions::material::Material,
        name: &str,
        value: serde_json::Map<String, serde_json::Value>,
    ) {
        self.use_extension(name);
        extensions.others.insert(name.into(), value.into());
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.file));
    }

    /// Per exported mesh node, its (variant index, material) pairs.
    fn variant_table(
        &self,
        variants: &[MaterialVariant],
        nodes: &[Exported],
    ) -> HashMap<NodeId, Vec<(u32, MaterialId)>> {
        let exported: HashSet<NodeId> = nodes.iter().map(|e| e.id).collect();
        let mut table: HashMap<NodeId, Vec<(u32, MaterialId)>> = HashMap::new();
        for (v, variant) in variants.iter().enumerate() {
            for (node, material) in &variant.assignments {
                let is_mesh = self
                    .scene
                    .node(*node)
                    .is_some_and(|n| matches!(n.kind, NodeKind::Mesh { .. }));
                if exported.contains(node) && is_mesh && self.scene.material(*material).is_some() {
                    table.entry(*node).or_default().push((v as u32, *material));
                }
            }
        }
        table
    }

    fn add_nodes(
        &mut self,
        nodes: &[Exported],
        variants: &HashMap<NodeId, Vec<(u32, MaterialId)>>,
    ) -> Result<(), ExportError> {
        let apply = self.options.apply_transforms;
        // Skinned nodes whose joints are all written get their skin (after the loop, when
        // every joint has its index); the others keep the posed mesh.
        let written: HashSet<NodeId> = nodes.iter().map(|e| e.id).collect();
        let skinned: HashSet<NodeId> = if apply {
            HashSet::new()
        } else {
            self.scene
                .skins()
                .filter(|(node, skin)| {
                    written.contains(node) && skin.joints.iter().all(|j| written.contains(j))
                })
                .map(|(node, _)| node)
                .collect()
        };
        let mut roots = Vec::new();
        for e in nodes {
            let Some(node) = self.scene.node(e.id) else {
                continue;
            };
            if apply && node.kind == NodeKind::Empty {
                continue;
            }
            let mut out = json::Node {
                name: Some(node.name.clone()),
                ..Default::default()
            };
            // The node's own transform, or its world pose for the roots of the export, or
            // (baked) nothing / the world pose without scale for lights and cameras.
            let transform = if apply {
                match node.kind {
                    NodeKind::Light(_) | NodeKind::Camera(_) => {
                        let (_, r, t) = e.world_from_local.to_scale_rotation_translation();
                        Some((Vec3::ONE, r, t))
                    }
                    _ => None,
                }
            } else if e.root {
                Some(e.world_from_local.to_scale_rotation_translation())
            } else {
                let t = node.transform;
                Some((t.scale, t.rotation, t.translation))
            };
            if let Some((s, r, t)) = transform {
                set_trs(&mut out, s, r, t);
            }
            let baked = apply.then_some(e.world_from_local);
            match &node.kind {
                NodeKind::Empty => {}
                NodeKind::Mesh { .. } if skinned.contains(&e.id) => {}
                NodeKind::Mesh { mesh, material } => {
                    let mapping = variants.get(&e.id).cloned().unwrap_or_default();
                    out.mesh = self.mesh(e.id, *mesh, *material, &mapping, baked, None)?;
                }
                NodeKind::Light(light) => {
                    let index = self.light(&node.name, light);
                    self.lights_of.insert(e.id, index.value() as u32);
                    out.extensions = Some(json::extensions::scene::Node {
                        khr_lights_punctual: Some(
                            json::extensions::scene::khr_lights_punctual::KhrLightsPunctual {
                                light: index,
                            },
                        ),
                        ..Default::default()
                    });
                }
                NodeKind::Camera(camera) => {
                    let index = self.camera(e.id, &node.name, camera);
                    self.cameras_of.insert(e.id, index.value() as u32);
                    out.camera = Some(index);
                }
                NodeKind::Points { cloud, .. } => {
                    if let Some(cloud) = self.scene.point_cloud(*cloud).cloned()
                        && !cloud.is_empty()
                    {
                        out.mesh = Some(self.points(&node.name, &cloud, baked, false));
                    }
                    out.extras = self.cloud_file(e.id, &node.name, "ply");
                }
                NodeKind::Lines { cloud, .. } => {
                    if let Some(cloud) = self.scene.point_cloud(*cloud).cloned()
                        && !cloud.segments.is_empty()
                    {
                        out.mesh = Some(self.points(&node.name, &cloud, baked, true));
                    }
                }
                NodeKind::Splats { .. } => {
                    let ext = self.options.splats.extension();
                    out.extras = self.cloud_file(e.id, &node.name, ext);
                }
            }
            if !node.visible {
                // Written hidden (`include_hidden`): KHR_node_visibility says so.
                self.use_extension("KHR_node_visibility");
                out.extensions.get_or_insert_default().others.insert(
                    "KHR_node_visibility".into(),
                    serde_json::json!({ "visible": false }),
                );
            }
            let index = self.root.push(out);
            self.node_index.insert(e.id, index);
            let parent = node.parent.and_then(|p| self.node_index.get(&p)).copied();
            match parent {
                Some(parent) if !apply && !e.root => {
                    if let Some(p) = self.root.nodes.get_mut(parent.value()) {
                        p.children.get_or_insert_default().push(index);
                    }
                }
                _ => roots.push(index),
            }
        }
        // In the nodes' order, so that the same scene always writes the same file.
        for e in nodes.iter().filter(|e| skinned.contains(&e.id)) {
            self.skin(e.id, variants)?;
        }
        if roots.is_empty() {
            return Err(ExportError::Nothing {
                file: self.file.clone(),
                problem: "with transforms applied only empty groups would remain".into(),
            });
        }
        let scene = self.root.push(json::Scene {
            name: Some(self.scene.name.clone()).filter(|n| !n.is_empty()),
            nodes: roots,
            extensions: None,
            extras: None,
        });
        self.root.scene = Some(scene);
        Ok(())
    }

    /// The timeline's shots as glTF animations, one per shot: the `Transform` tracks of
    /// written nodes ([`gltf_animation`]), each morphed node's weight tracks as one `weights`
    /// channel, other values by KHR_animation_pointer where glTF has a property for them, and
    /// the exposure in the animation's extras. What cannot be written is counted in a warning.
    fn animations(&mut self, nodes: &[Exported]) {
        let written: HashMap<NodeId, &Exported> = nodes.iter().map(|e| (e.id, e)).collect();
        let mut bake_budget = MAX_BAKED_KEYS;
        for shot in &self.scene.timeline().shots {
            let mut record = ShotExtras {
                fps: shot.fps,
                frames: shot.frames,
                size: shot.size,
                camera: shot
                    .camera
                    .and_then(|c| self.node_index.get(&c))
                    .map(|i| i.value() as u32),
                variant: shot
                    .variant
                    .and_then(|v| self.scene.variants().get(v))
                    .map(|v| v.name.clone()),
                exposure: Vec::new(),
            };
            let mut animation = json::Animation {
                name: Some(shot.name.clone()),
                channels: Vec::new(),
                samplers: Vec::new(),
                extensions: None,
                extras: None,
            };
            let (mut unwritable, mut approximate, mut baked_away) = (0usize, 0usize, 0usize);
            let mut pointers = Vec::new();
            // A node's morph weights: one glTF channel for all its weight tracks.
            let mut weight_tracks: BTreeMap<NodeId, Vec<&crate::scene::Track>> = BTreeMap::new();
            for track in shot.tracks.iter().filter(|t| !t.is_empty()) {
                if let Channel::MorphWeight(node, _) = track.channel {
                    weight_tracks.entry(node).or_default().push(track);
                    continue;
                }
                if track.channel == Channel::Exposure {
                    // No glTF property: kept in the shot's extras.
                    record.exposure = track.keys().to_vec();
                    continue;
                }
                let Channel::Transform(id) = track.channel else {
                    let shown = track
                        .channel
                        .node()
                        .is_none_or(|n| written.contains_key(&n));
                    if let Channel::SpotCone(node) = track.channel
                        && let Some(&light) = self.lights_of.get(&node)
                    {
                        // Two properties: a sampler per angle.
                        for (lane, angle) in [(0, "innerConeAngle"), (1, "outerConeAngle")] {
                            if let Some((v, rough)) =
                                values(track, shot.fps, Some(lane), &mut bake_budget)
                            {
                                approximate += usize::from(rough);
                                let sampler = self.write_values(&mut animation, &v);
                                let pointer = format!(
                                    "/extensions/KHR_lights_punctual/lights/{light}/spot/{angle}"
                                );
                                pointers.push((sampler, pointer));
                            }
                        }
                        continue;
                    }
                    if let Channel::OrthoSize(node) = track.channel {
                        // Two properties: ymag, and xmag following it at the frame's aspect.
                        let camera = self.cameras_of.get(&node).copied();
                        let ortho = matches!(
                            self.scene.node(node).map(|n| &n.kind),
                            Some(NodeKind::Camera(Camera {
                                ortho_half_height: Some(_),
                                ..
                            }))
                        );
                        match (camera, ortho) {
                            (Some(camera), true) => {
                                if let Some((v, rough)) =
                                    values(track, shot.fps, None, &mut bake_budget)
                                {
                                    approximate += usize::from(rough);
                                    let aspect = self.ortho_aspect(node);
                                    let wide = Values {
                                        values: v.values.iter().map(|y| y * aspect).collect(),
                                        ..v.clone()
                                    };
                                    for (v, property) in [(v, "ymag"), (wide, "xmag")] {
                                        let sampler = self.write_values(&mut animation, &v);
                                        let pointer =
                                            format!("/cameras/{camera}/orthographic/{property}");
                                        pointers.push((sampler, pointer));
                                    }
                                }
                            }
                            _ => unwritable += usize::from(shown),
                        }
                        continue;
                    }
                    match self.pointer_to(track.channel) {
                        Some(pointer) => match values(track, shot.fps, None, &mut bake_budget) {
                            Some((v, rough)) => {
                                approximate += usize::from(rough);
                                let sampler = self.write_values(&mut animation, &v);
                                pointers.push((sampler, pointer));
                            }
                            None => unwritable += usize::from(shown),
                        },
                        None => unwritable += usize::from(shown),
                    }
                    continue;
                };
                let (Some(e), Some(&node)) = (written.get(&id), self.node_index.get(&id)) else {
                    continue;
                };
                if self.options.apply_transforms {
                    baked_away += 1;
                    continue;
                }
                let parent = match self.scene.node(id).and_then(|n| n.parent) {
                    Some(parent) if e.root => Some(self.scene.world_from_local(parent)),
                    _ => None,
                };
                let Some((m, rough)) = motion(track, shot.fps, parent, &mut bake_budget) else {
                    continue;
                };
                approximate += usize::from(rough);
                self.write_motion(&mut animation, node, &m);
            }
            for (node, tracks) in weight_tracks {
                let (Some(&targets), Some(&index), Some(morph)) = (
                    self.morphed.get(&node),
                    self.node_index.get(&node),
                    self.scene.morph(node),
                ) else {
                    unwritable += usize::from(written.contains_key(&node));
                    continue;
                };
                let mut lanes: Vec<Option<&crate::scene::Track>> = vec![None; targets];
                for track in tracks {
                    // A muted target shapes nothing here: its weight is written as 0.
                    if let Channel::MorphWeight(_, k) = track.channel
                        && !morph.is_muted(usize::from(k))
                        && let Some(lane) = lanes.get_mut(usize::from(k))
                    {
                        *lane = Some(track);
                    }
                }
                if let Some((v, rough)) = weights(
                    &lanes,
                    &morph.weights_in_effect(),
                    shot.fps,
                    &mut bake_budget,
                ) {
                    approximate += usize::from(rough);
                    self.write_weights(&mut animation, index, &v);
                }
            }
            let name = &shot.name;
            if !animation.samplers.is_empty() {
                animation.extras =
                    serde_json::value::to_raw_value(&serde_json::json!({ SHOT_EXTRAS: record }))
                        .ok();
            } else if !record.exposure.is_empty() {
                // glTF animations need a channel: an exposure-only shot has no animation.
                unwritable += 1;
            }
            if unwritable > 0 {
                self.warn(format!(
                    "shot '{name}': {unwritable} track(s) of values glTF animations cannot hold \
                     (an exposure track alone: a glTF animation needs a channel) are not \
                     written"
                ));
            }
            if baked_away > 0 {
                self.warn(format!(
                    "shot '{name}': {baked_away} transform track(s) not written: with transforms \
                     applied there are no nodes to move"
                ));
            }
            if approximate > 0 {
                self.warn(format!(
                    "shot '{name}': {approximate} track(s) mixing interpolations written at their \
                     key frames only (past {MAX_BAKED_KEYS} keys sampled per frame)"
                ));
            }
            if !animation.samplers.is_empty() {
                let index = self.root.animations.len();
                self.pointer_channels
                    .extend(
                        pointers
                            .into_iter()
                            .map(|(sampler, pointer)| PointerChannel {
                                animation: index,
                                sampler,
                                pointer,
                            }),
                    );
                self.root.push(animation);
            }
        }
    }

    /// The KHR_animation_pointer pointer of a channel's value in the written document, where
    /// its object was written and has the JSON object the property sits in (an extension's
    /// factor only on a material written with that extension).
    fn pointer_to(&mut self, channel: Channel) -> Option<String> {
        let (object, below) = pointer_of(channel)?;
        let parent = below.rsplit_once('/').map_or("", |(p, _)| p);
        match object {
            PointerObject::Node(node) => {
                let index = self.node_index.get(&node)?.value();
                let visible = self.scene.node(node)?.visible;
                // The property a pointer names must exist: its extension object on the node.
                self.use_extension("KHR_node_visibility");
                self.root
                    .nodes
                    .get_mut(index)?
                    .extensions
                    .get_or_insert_default()
                    .others
                    .entry("KHR_node_visibility")
                    .or_insert_with(|| serde_json::json!({ "visible": visible }));
                Some(format!("/nodes/{index}/{below}"))
            }
            PointerObject::Camera(node) => {
                let c = self.cameras_of.get(&node)?;
                Some(format!("/cameras/{c}/{below}"))
            }
            PointerObject::Light(node) => {
                let l = self.lights_of.get(&node)?;
                Some(format!(
                    "/extensions/KHR_lights_punctual/lights/{l}/{below}"
                ))
            }
            PointerObject::Material(m) => {
                let index = self.materials.get(&m)?.value();
                let written = serde_json::to_value(self.root.materials.get(index)?).ok()?;
                if !parent.is_empty() {
                    written.pointer(&format!("/{parent}"))?;
                }
                Some(format!("/materials/{index}/{below}"))
            }
        }
    }

    /// The accessor of a sampler's key times (with the min and max glTF asks of it).
    fn times_accessor(&mut self, times: &[f32]) -> json::Index<json::Accessor> {
        let min = times.iter().copied().fold(f32::INFINITY, f32::min);
        let max = times.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        self.float_accessor(
            bytemuck::cast_slice(times),
            times.len(),
            json::accessor::Type::Scalar,
            Some((vec![min], vec![max])),
        )
    }

    /// Writes one value track's sampler (its times and values); its index.
    fn write_values(&mut self, animation: &mut json::Animation, v: &Values) -> u32 {
        use json::accessor::Type;
        let input = self.times_accessor(&v.times);
        let type_ = match v.width {
            1 => Type::Scalar,
            3 => Type::Vec3,
            _ => Type::Vec4,
        };
        let count = v.values.len() / v.width.max(1);
        let output = if v.boolean {
            let flags: Vec<u8> = v.values.iter().map(|&x| u8::from(x != 0.0)).collect();
            let u8 = json::accessor::ComponentType::U8;
            self.accessor(&flags, count, u8, type_, None, None)
        } else {
            self.float_accessor(bytemuck::cast_slice(&v.values), count, type_, None)
        };
        animation.samplers.push(json::animation::Sampler {
            input,
            interpolation: Valid(gltf_interpolation(v.interp)),
            output,
            extensions: None,
            extras: None,
        });
        (animation.samplers.len() - 1) as u32
    }

    /// Writes a node's morph weights: one sampler whose output holds every target's weight
    /// per key (SCALAR, as glTF asks), and its `weights` channel.
    fn write_weights(
        &mut self,
        animation: &mut json::Animation,
        node: json::Index<json::Node>,
        v: &Values,
    ) {
        let input = self.times_accessor(&v.times);
        let output = self.float_accessor(
            bytemuck::cast_slice(&v.values),
            v.values.len(),
            json::accessor::Type::Scalar,
            None,
        );
        let interpolation = gltf_interpolation(v.interp);
        let path = json::animation::Property::MorphTargetWeights;
        push_channel(animation, (input, interpolation, output), node, path);
    }

    /// Writes one node's motion: shared key times and a sampler and channel per path.
    fn write_motion(
        &mut self,
        animation: &mut json::Animation,
        node: json::Index<json::Node>,
        m: &Motion,
    ) {
        use json::accessor::Type;
        use json::animation::Property;
        let input = self.times_accessor(&m.times);
        let interpolation = gltf_interpolation(m.interp);
        let outputs = [
            (
                Property::Translation,
                bytemuck::cast_slice::<[f32; 3], u8>(&m.translation),
                m.translation.len(),
                Type::Vec3,
            ),
            (
                Property::Rotation,
                bytemuck::cast_slice::<[f32; 4], u8>(&m.rotation),
                m.rotation.len(),
                Type::Vec4,
            ),
            (
                Property::Scale,
                bytemuck::cast_slice::<[f32; 3], u8>(&m.scale),
                m.scale.len(),
                Type::Vec3,
            ),
        ];
        for (path, bytes, count, type_) in outputs {
            let output = self.float_accessor(bytes, count, type_, None);
            push_channel(animation, (input, interpolation, output), node, path);
        }
    }

    /// A float accessor over a buffer view of its own without a target (animation data).
    fn float_accessor(
        &mut self,
        bytes: &[u8],
        count: usize,
        type_: json::accessor::Type,
        bounds: Option<(Vec<f32>, Vec<f32>)>,
    ) -> json::Index<json::Accessor> {
        let f32 = json::accessor::ComponentType::F32;
        self.accessor(bytes, count, f32, type_, None, bounds)
    }

    /// Picks the file a splat/point node is written to and returns the node's extras naming
    /// it.
    fn cloud_file(&mut self, id: NodeId, name: &str, ext: &str) -> json::Extras {
        let base = format!("{}_{}", self.stem, file_safe(name));
        let mut file_name = format!("{base}.{ext}");
        let mut n = 2;
        while !self.used_names.insert(file_name.clone()) {
            file_name = format!("{base}_{n}.{ext}");
            n += 1;
        }
        self.cloud_files.push((id, self.folder.join(&file_name)));
        serde_json::value::to_raw_value(&serde_json::json!({ "worldsmith_file": file_name })).ok()
    }

    fn light(
        &mut self,
        name: &str,
        light: &Light,
    ) -> json::Index<json::extensions::scene::khr_lights_punctual::Light> {
        use json::extensions::scene::khr_lights_punctual as punctual;
        self.use_extension("KHR_lights_punctual");
        let (type_, spot) = match light.kind {
            LightKind::Directional => (punctual::Type::Directional, None),
            LightKind::Point => (punctual::Type::Point, None),
            LightKind::Spot {
                inner_cone_rad,
                outer_cone_rad,
            } => {
                let outer = finite_or(outer_cone_rad, std::f32::consts::FRAC_PI_4)
                    .clamp(1e-4, std::f32::consts::FRAC_PI_2);
                let inner = finite_or(inner_cone_rad, 0.0).clamp(0.0, outer - 1e-4);
                if (outer, inner) != (outer_cone_rad, inner_cone_rad) {
                    self.warn(format!(
                        "light '{name}': cone angles {inner_cone_rad}/{outer_cone_rad} rad \
                         written as {inner}/{outer} (glTF needs 0 ≤ inner < outer ≤ π/2)"
                    ));
                }
                (
                    punctual::Type::Spot,
                    Some(punctual::Spot {
                        inner_cone_angle: inner,
                        outer_cone_angle: outer,
                    }),
                )
            }
        };
        let range = light
            .range
            .filter(|r| r.is_finite() && *r > 0.0 && light.kind != LightKind::Directional);
        let value = punctual::Light {
            color: light.color.map(|c| finite_or(c, 1.0).max(0.0)),
            extensions: None,
            extras: None,
            intensity: finite_or(light.intensity, 0.0).max(0.0),
            name: Some(name.to_owned()),
            range,
            spot,
            type_: Valid(type_),
        };
        let lights = &mut self
            .root
            .extensions
            .get_or_insert_default()
            .khr_lights_punctual
            .get_or_insert_default()
            .lights;
        lights.push(value);
        json::Index::new(lights.len() as u32 - 1)
    }

    /// glTF's orthographic camera has a fixed frame: its width over its height is that of the
    /// first shot seen through camera node `id`, or 16:9 (what a new shot renders).
    fn ortho_aspect(&self, id: NodeId) -> f32 {
        self.scene
            .timeline()
            .shots()
            .iter()
            .find(|s| s.camera == Some(id))
            .map_or(16.0 / 9.0, |s| s.size[0] as f32 / s.size[1].max(1) as f32)
    }

    fn camera(&mut self, id: NodeId, name: &str, camera: &Camera) -> json::Index<json::Camera> {
        let znear = if camera.near.is_finite() && camera.near > 0.0 {
            camera.near
        } else {
            0.01
        };
        if let Some(half_height) = camera
            .ortho_half_height
            .filter(|h| h.is_finite() && *h > 0.0)
        {
            let aspect = self.ortho_aspect(id);
            let zfar = camera
                .far
                .filter(|f| f.is_finite() && *f > znear)
                .unwrap_or(znear + crate::scene::DEFAULT_ORTHO_DEPTH);
            return self.root.push(json::Camera {
                name: Some(name.to_owned()),
                orthographic: Some(json::camera::Orthographic {
                    xmag: half_height * aspect,
                    ymag: half_height,
                    zfar,
                    znear,
                    extensions: None,
                    extras: None,
                }),
                perspective: None,
                type_: Valid(json::camera::Type::Orthographic),
                extensions: None,
                extras: None,
            });
        }
        let yfov = if camera.fov_y_rad.is_finite() && camera.fov_y_rad > 0.0 {
            camera.fov_y_rad.min(3.1)
        } else {
            Camera::default().fov_y_rad
        };
        self.root.push(json::Camera {
            name: Some(name.to_owned()),
            orthographic: None,
            perspective: Some(json::camera::Perspective {
                aspect_ratio: None,
                yfov,
                zfar: camera.far.filter(|f| f.is_finite() && *f > znear),
                znear,
                extensions: None,
                extras: None,
            }),
            type_: Valid(json::camera::Type::Perspective),
            extensions: None,
            extras: None,
        })
    }

    /// Skinned node `node` (written, as are its joints): its mesh as bound with JOINTS_n and
    /// WEIGHTS_n, and a glTF skin of its joints' nodes and inverse bind matrices. glTF ignores
    /// a skinned node's own transform and places the vertices by the joints' world poses,
    /// which is what the scene's pose does too (see `scene::skin`).
    fn skin(
        &mut self,
        node: NodeId,
        variants: &HashMap<NodeId, Vec<(u32, MaterialId)>>,
    ) -> Result<(), ExportError> {
        use json::accessor::{ComponentType::F32, Type};
        let (Some(skin), Some(&index)) =
            (self.scene.skin(node).cloned(), self.node_index.get(&node))
        else {
            return Ok(());
        };
        let Some(NodeKind::Mesh { mesh, material }) = self.scene.node(node).map(|n| n.kind.clone())
        else {
            return Ok(());
        };
        let joints: Option<Vec<json::Index<json::Node>>> = skin
            .joints
            .iter()
            .map(|j| self.node_index.get(j).copied())
            .collect();
        let Some(joints) = joints else {
            return Ok(());
        };
        let mapping = variants.get(&node).cloned().unwrap_or_default();
        let mesh = self.mesh(node, mesh, material, &mapping, None, Some(&skin))?;
        let matrices = self.accessor(
            bytemuck::cast_slice(&skin.joint_from_bind),
            skin.joint_from_bind.len(),
            F32,
            Type::Mat4,
            None,
            None,
        );
        self.root.skins.push(json::Skin {
            extensions: None,
            extras: Default::default(),
            inverse_bind_matrices: Some(matrices),
            joints,
            name: None,
            skeleton: None,
        });
        let skin_index = json::Index::new(self.root.skins.len() as u32 - 1);
        if let Some(out) = self.root.nodes.get_mut(index.value()) {
            out.mesh = mesh;
            out.skin = Some(skin_index);
        }
        Ok(())
    }

    /// The glTF mesh for a mesh node (its geometry is shared with every other node using the
    /// same scene mesh, unless baked or skinned: `skin` writes the node's mesh as bound).
    fn mesh(
        &mut self,
        node: NodeId,
        mesh_id: MeshId,
        material_id: MaterialId,
        variants: &[(u32, MaterialId)],
        baked: Option<Mat4>,
        skin: Option<&Skin>,
    ) -> Result<Option<json::Index<json::Mesh>>, ExportError> {
        // Morph targets go with the mesh before them: on a skinned node only when its
        // skin is written too (a posed mesh has left bind space).
        let morph = self
            .scene
            .morph(node)
            .filter(|_| skin.is_some() || self.scene.skin(node).is_none())
            .cloned();
        let shown = match (&morph, skin) {
            (Some(morph), _) => Some(morph.base.clone()),
            (None, Some(skin)) => Some(skin.bind.clone()),
            (None, None) => self.scene.mesh(mesh_id).cloned(),
        };
        let Some(mesh) = shown else {
            return Ok(None);
        };
        if mesh.indices.len() < 3 || mesh.positions.is_empty() {
            return Ok(None);
        }
        let mut materials = vec![material_id];
        materials.extend(variants.iter().map(|(_, m)| *m));
        let mut needs = [false; 2];
        for m in &materials {
            if let Some(m) = self.scene.material(*m) {
                for slot in m.texture_slots().into_iter().flatten() {
                    needs[usize::from(slot.uv_set == 1)] = true;
                }
            }
        }
        // A clearcoat normal map or an anisotropic highlight without a base normal map, on a
        // mesh without tangents: the tangent frame the renderer uses is written out
        // (generated once per written geometry).
        let coat_frame = (mesh.tangents.is_empty() && mesh.normals.len() == mesh.positions.len())
            .then(|| {
                materials
                    .iter()
                    .filter_map(|m| self.scene.material(*m))
                    .find(|m| crate::import::needs_written_tangents(m))
                    .cloned()
            })
            .flatten();
        let key = GeometryKey {
            mesh: mesh_id,
            baked_for: baked.map(|_| node),
            needs_uv0: needs[0] && mesh.uvs.is_empty(),
            needs_uv1: needs[1] && mesh.uvs1.is_empty(),
            coat_tangents: coat_frame.is_some(),
            deformed_for: (skin.is_some() || morph.is_some()).then_some(node),
        };
        let geometry = match self.geometry.get(&key) {
            Some(g) => g.clone(),
            None => {
                let tangents = coat_frame.and_then(|m| crate::import::layer_tangents(&mesh, &m));
                let mesh = match tangents {
                    Some(tangents) => {
                        let mut with = (*mesh).clone();
                        with.tangents = tangents;
                        std::sync::Arc::new(with)
                    }
                    None => mesh.clone(),
                };
                let mut g = self.write_mesh(&mesh, key, baked);
                if let Some(skin) = skin {
                    self.write_influences(&mut g, skin);
                }
                if let Some(morph) = &morph {
                    g.targets = Some(self.write_targets(morph, &g, baked));
                }
                self.geometry.insert(key, g.clone());
                g
            }
        };
        let material = self.material(material_id);
        let mut mappings: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for (variant, m) in variants {
            let index = self.material(*m).value() as u32;
            mappings.entry(index).or_default().push(*variant);
        }
        let mappings: Vec<(u32, Vec<u32>)> = mappings.into_iter().collect();
        let mesh_key = (key, material.value() as u32, mappings.clone());
        if let Some(index) = self.meshes.get(&mesh_key) {
            return Ok(Some(*index));
        }
        let extensions = (!mappings.is_empty()).then(|| json::extensions::mesh::Primitive {
            khr_materials_variants: Some(json::extensions::mesh::KhrMaterialsVariants {
                mappings: mappings
                    .iter()
                    .map(|(material, variants)| json::extensions::mesh::Mapping {
                        material: *material,
                        variants: variants.clone(),
                    })
                    .collect(),
            }),
            ..Default::default()
        });
        let name = self.scene.node(node).map(|n| n.name.clone());
        // Morph targets: the node's weights in effect (0 for muted ones) as the mesh's
        // defaults, their names as Blender, three.js and Babylon.js read them.
        let (weights, extras) = match &morph {
            Some(morph) => {
                self.morphed.insert(node, morph.weights.len());
                (
                    Some(morph.weights_in_effect()),
                    serde_json::value::to_raw_value(
                        &serde_json::json!({ "targetNames": morph.names.to_vec() }),
                    )
                    .ok(),
                )
            }
            None => (None, None),
        };
        let index = self.root.push(json::Mesh {
            extensions: None,
            extras,
            name,
            primitives: vec![json::mesh::Primitive {
                attributes: geometry
                    .attributes
                    .iter()
                    .map(|(s, a)| (Valid(s.clone()), *a))
                    .collect(),
                extensions,
                extras: None,
                indices: geometry.indices,
                material: Some(material),
                mode: Valid(geometry.mode),
                targets: geometry.targets.clone(),
            }],
            weights,
        });
        self.meshes.insert(mesh_key, index);
        Ok(Some(index))
    }

    /// A skin's joints and weights as JOINTS_n (unsigned shorts) and WEIGHTS_n (floats) of
    /// `geometry`: influences naming no joint dropped, each vertex's weights normalized to sum
    /// 1 over all sets (as glTF asks), joint 0 where a weight is 0; a vertex with no weight
    /// goes to joint 0.
    fn write_influences(&mut self, geometry: &mut Geometry, skin: &Skin) {
        use json::accessor::{ComponentType::F32, ComponentType::U16, Type};
        use json::buffer::Target::ArrayBuffer;
        use json::mesh::Semantic;
        let sets = &skin.influences;
        let n = skin.bind.positions.len();
        let mut weights = sets.weights.clone();
        for v in 0..n {
            let mut total = 0.0f32;
            for (joints, weights) in sets.joints.iter().zip(&mut weights) {
                for (joint, weight) in joints[v].iter().zip(&mut weights[v]) {
                    if usize::from(*joint) >= skin.joints.len()
                        || !weight.is_finite()
                        || *weight <= 0.0
                    {
                        *weight = 0.0;
                    }
                    total += *weight;
                }
            }
            for w in weights.iter_mut().flat_map(|set| set[v].iter_mut()) {
                *w = if total > 0.0 { *w / total } else { 0.0 };
            }
            if total <= 0.0
                && let Some(first) = weights.first_mut()
            {
                first[v][0] = 1.0;
            }
        }
        for (k, (joints, weights)) in sets.joints.iter().zip(&weights).enumerate() {
            // An influence without weight names joint 0 (glTF-Validator's
            // ACCESSOR_JOINTS_USED_ZERO_WEIGHT otherwise).
            let joints: Vec<[u16; 4]> = joints
                .iter()
                .zip(weights)
                .map(|(j, w)| std::array::from_fn(|c| if w[c] > 0.0 { j[c] } else { 0 }))
                .collect();
            let j = self.accessor(
                bytemuck::cast_slice(&joints),
                n,
                U16,
                Type::Vec4,
                Some(ArrayBuffer),
                None,
            );
            let w = self.accessor(
                bytemuck::cast_slice(weights),
                n,
                F32,
                Type::Vec4,
                Some(ArrayBuffer),
                None,
            );
            geometry.attributes.insert(Semantic::Joints(k as u32), j);
            geometry.attributes.insert(Semantic::Weights(k as u32), w);
        }
    }

    /// A morph's targets for `geometry` (its base as written, `baked` into the world when
    /// transforms are applied): POSITION displacements (with the bounds glTF asks of them),
    /// NORMAL and TANGENT ones where the base has those attributes. A target without
    /// displacements is an all-zero POSITION accessor without data (glTF asks at least one
    /// attribute per target).
    fn write_targets(
        &mut self,
        morph: &Morph,
        geometry: &Geometry,
        baked: Option<Mat4>,
    ) -> Vec<json::mesh::MorphTarget> {
        use json::accessor::{ComponentType::F32, Type};
        use json::buffer::Target::ArrayBuffer;
        use json::mesh::Semantic;
        let n = morph.base.positions.len();
        let linear = Mat3::from_mat4(baked.unwrap_or(Mat4::IDENTITY));
        let normal_matrix = if linear.determinant().abs() > 1e-12 {
            linear.inverse().transpose()
        } else {
            Mat3::IDENTITY
        };
        let moved = |deltas: &[[f32; 3]], m: Mat3| -> Vec<[f32; 3]> {
            deltas
                .iter()
                .map(|d| {
                    let v = m * Vec3::from(*d);
                    if v.is_finite() {
                        v.to_array()
                    } else {
                        [0.0; 3]
                    }
                })
                .collect()
        };
        let has = |s: Semantic| geometry.attributes.contains_key(&s);
        let (has_normals, has_tangents) = (has(Semantic::Normals), has(Semantic::Tangents));
        let mut out = Vec::with_capacity(morph.targets.len());
        for target in morph.targets.iter() {
            let positions = if target.positions.len() == n {
                Some(self.positions_accessor(&moved(&target.positions, linear)))
            } else {
                None
            };
            let normals = (has_normals && target.normals.len() == n).then(|| {
                let deltas = moved(&target.normals, normal_matrix);
                let bytes = bytemuck::cast_slice(&deltas);
                self.accessor(bytes, n, F32, Type::Vec3, Some(ArrayBuffer), None)
            });
            let tangents = (has_tangents && target.tangents.len() == n).then(|| {
                let deltas = moved(&target.tangents, linear);
                let bytes = bytemuck::cast_slice(&deltas);
                self.accessor(bytes, n, F32, Type::Vec3, Some(ArrayBuffer), None)
            });
            let positions = match (positions, &normals, &tangents) {
                (None, None, None) => Some(self.zero_vec3_accessor(n)),
                (p, ..) => p,
            };
            out.push(json::mesh::MorphTarget {
                positions,
                normals,
                tangents,
            });
        }
        out
    }

    /// A vertex buffer of VEC3 float positions (or position displacements) with the bounds
    /// glTF asks of a POSITION accessor.
    fn positions_accessor(&mut self, positions: &[[f32; 3]]) -> json::Index<json::Accessor> {
        use json::accessor::{ComponentType::F32, Type};
        let (min, max) = positions.iter().fold(
            (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)),
            |(lo, hi), p| (lo.min(Vec3::from(*p)), hi.max(Vec3::from(*p))),
        );
        self.accessor(
            bytemuck::cast_slice(positions),
            positions.len(),
            F32,
            Type::Vec3,
            Some(json::buffer::Target::ArrayBuffer),
            Some((min.to_array().to_vec(), max.to_array().to_vec())),
        )
    }

    /// `count` zero VEC3 floats: an accessor without a buffer view (glTF reads zeros).
    fn zero_vec3_accessor(&mut self, count: usize) -> json::Index<json::Accessor> {
        self.root.push(json::Accessor {
            buffer_view: None,
            byte_offset: None,
            count: USize64(count as u64),
            component_type: Valid(json::accessor::GenericComponentType(
                json::accessor::ComponentType::F32,
            )),
            extensions: None,
            extras: None,
            type_: Valid(json::accessor::Type::Vec3),
            min: Some(serde_json::json!([0.0, 0.0, 0.0])),
            max: Some(serde_json::json!([0.0, 0.0, 0.0])),
            name: None,
            normalized: false,
            sparse: None,
        })
    }

    fn accessor(
        &mut self,
        bytes: &[u8],
        count: usize,
        component: json::accessor::ComponentType,
        type_: json::accessor::Type,
        target: Option<json::buffer::Target>,
        bounds: Option<(Vec<f32>, Vec<f32>)>,
    ) -> json::Index<json::Accessor> {
        let view = push_view(&mut self.root, &mut self.bin, bytes, target);
        let (min, max) = match bounds {
            Some((min, max)) => (Some(serde_json::json!(min)), Some(serde_json::json!(max))),
            None => (None, None),
        };
        self.root.push(json::Accessor {
            buffer_view: Some(view),
            byte_offset: None,
            count: USize64(count as u64),
            component_type: Valid(json::accessor::GenericComponentType(component)),
            extensions: None,
            extras: None,
            type_: Valid(type_),
            min,
            max,
            name: None,
            normalized: false,
            sparse: None,
        })
    }

    fn write_mesh(&mut self, mesh: &Mesh, key: GeometryKey, baked: Option<Mat4>) -> Geometry {
        use json::accessor::{ComponentType::F32, ComponentType::U32, Type};
        use json::buffer::Target::{ArrayBuffer, ElementArrayBuffer};
        use json::mesh::Semantic;
        let n = mesh.positions.len();
        let m = baked.unwrap_or(Mat4::IDENTITY);
        let normal_matrix = Mat3::from_mat4(m).inverse().transpose();
        let flips = Mat3::from_mat4(m).determinant() < 0.0;
        let mut non_finite = 0usize;
        let positions: Vec<[f32; 3]> = mesh
            .positions
            .iter()
            .map(|p| {
                let p = m.transform_point3(Vec3::from(*p));
                if p.is_finite() {
                    p.to_array()
                } else {
                    non_finite += 1;
                    [0.0; 3]
                }
            })
            .collect();
        if non_finite > 0 {
            self.warn(format!(
                "{non_finite} vertex position(s) that were not finite written as 0"
            ));
        }
        let mut attributes = BTreeMap::new();
        let a = self.positions_accessor(&positions);
        attributes.insert(Semantic::Positions, a);
        let has_normals = mesh.normals.len() == n;
        if has_normals {
            let normals: Vec<[f32; 3]> = mesh
                .normals
                .iter()
                .map(|v| {
                    (normal_matrix * Vec3::from(*v))
                        .try_normalize()
                        .unwrap_or(Vec3::Y)
                        .to_array()
                })
                .collect();
            let a = self.accessor(
                bytemuck::cast_slice(&normals),
                n,
                F32,
                Type::Vec3,
                Some(ArrayBuffer),
                None,
            );
            attributes.insert(Semantic::Normals, a);
        }
        if has_normals && mesh.tangents.len() == n {
            let linear = Mat3::from_mat4(m);
            let tangents: Vec<[f32; 4]> = mesh
                .tangents
                .iter()
                .map(|t| {
                    let v = Vec4::from(*t);
                    let xyz = (linear * v.truncate()).try_normalize().unwrap_or(Vec3::X);
                    let w = if (v.w < 0.0) != flips { -1.0 } else { 1.0 };
                    xyz.extend(w).to_array()
                })
                .collect();
            let a = self.accessor(
                bytemuck::cast_slice(&tangents),
                n,
                F32,
                Type::Vec4,
                Some(ArrayBuffer),
                None,
            );
            attributes.insert(Semantic::Tangents, a);
        }
        let zeros = || vec![[0.0f32; 2]; n];
        let uv0 = if mesh.uvs.len() == n {
            Some(mesh.uvs.clone())
        } else {
            key.needs_uv0.then(zeros)
        };
        // A slot on set 1 of a mesh without one reads set 0 here; glTF needs the set itself.
        let uv1 = if mesh.uvs1.len() == n {
            Some(mesh.uvs1.clone())
        } else if key.needs_uv1 {
            Some(uv0.clone().unwrap_or_else(zeros))
        } else {
            None
        };
        let uv0 = uv0.or_else(|| uv1.is_some().then(zeros));
        for (set, uvs) in [(0, uv0), (1, uv1)] {
            if let Some(uvs) = uvs {
                let a = self.accessor(
                    bytemuck::cast_slice(&uvs),
                    n,
                    F32,
                    Type::Vec2,
                    Some(ArrayBuffer),
                    None,
                );
                attributes.insert(Semantic::TexCoords(set), a);
            }
        }
        if mesh.colors.len() == n {
            let colors: Vec<[f32; 4]> = mesh
                .colors
                .iter()
                .map(|c| {
                    c.map(|v| {
                        if v.is_finite() {
                            v.clamp(0.0, 1.0)
                        } else {
                            0.0
                        }
                    })
                })
                .collect();
            if colors != mesh.colors {
                self.warn("vertex colours outside 0..1 clamped (glTF COLOR_0 is 0..1)".to_owned());
            }
            let a = self.accessor(
                bytemuck::cast_slice(&colors),
                n,
                F32,
                Type::Vec4,
                Some(ArrayBuffer),
                None,
            );
            attributes.insert(Semantic::Colors(0), a);
        }
        let mut indices: Vec<u32> = mesh
            .indices
            .chunks_exact(3)
            .filter(|t| t.iter().all(|&i| (i as usize) < n))
            .flat_map(|t| {
                if flips {
                    [t[0], t[2], t[1]]
                } else {
                    [t[0], t[1], t[2]]
                }
            })
            .collect();
        if indices.is_empty() {
            indices = Vec::new();
        }
        let count = indices.len();
        let a = self.accessor(
            bytemuck::cast_slice(&indices),
            count,
            U32,
            Type::Scalar,
            Some(ElementArrayBuffer),
            None,
        );
        Geometry {
            attributes,
            indices: Some(a),
            mode: json::mesh::Mode::Triangles,
            targets: None,
        }
    }

    /// A point cloud as one `POINTS` primitive, or its segments as one indexed `LINES`
    /// primitive (`lines`); linear colours from the sRGB bytes.
    fn points(
        &mut self,
        name: &str,
        cloud: &PointCloud,
        baked: Option<Mat4>,
        lines: bool,
    ) -> json::Index<json::Mesh> {
        use json::accessor::{ComponentType::F32, ComponentType::U32, Type};
        use json::buffer::Target::{ArrayBuffer, ElementArrayBuffer};
        use json::mesh::Semantic;
        let m = baked.unwrap_or(Mat4::IDENTITY);
        let positions: Vec<[f32; 3]> = cloud
            .positions
            .iter()
            .map(|p| {
                let p = m.transform_point3(Vec3::from(*p));
                if p.is_finite() {
                    p.to_array()
                } else {
                    [0.0; 3]
                }
            })
            .collect();
        let mut attributes = BTreeMap::new();
        let a = self.positions_accessor(&positions);
        attributes.insert(Valid(Semantic::Positions), a);
        if cloud.colors.len() == positions.len() {
            let colors: Vec<[f32; 4]> = cloud
                .colors
                .iter()
                .map(|[r, g, b, a]| {
                    [
                        srgb_u8_to_linear(*r),
                        srgb_u8_to_linear(*g),
                        srgb_u8_to_linear(*b),
                        f32::from(*a) / 255.0,
                    ]
                })
                .collect();
            let a = self.accessor(
                bytemuck::cast_slice(&colors),
                colors.len(),
                F32,
                Type::Vec4,
                Some(ArrayBuffer),
                None,
            );
            attributes.insert(Valid(Semantic::Colors(0)), a);
        }
        let (indices, mode) = if lines {
            let n = positions.len();
            let indices: Vec<u32> = cloud
                .segments
                .iter()
                .filter(|s| s.iter().all(|&i| (i as usize) < n))
                .flatten()
                .copied()
                .collect();
            let a = self.accessor(
                bytemuck::cast_slice(&indices),
                indices.len(),
                U32,
                Type::Scalar,
                Some(ElementArrayBuffer),
                None,
            );
            (Some(a), json::mesh::Mode::Lines)
        } else {
            (None, json::mesh::Mode::Points)
        };
        self.root.push(json::Mesh {
            extensions: None,
            extras: None,
            name: Some(name.to_owned()),
            primitives: vec![json::mesh::Primitive {
                attributes,
                extensions: None,
                extras: None,
                indices,
                material: None,
                mode: Valid(mode),
                targets: None,
            }],
            weights: None,
        })
    }

    fn material(&mut self, id: MaterialId) -> json::Index<json::Material> {
        if let Some(index) = self.materials.get(&id) {
            return *index;
        }
        let material = self.scene.material(id).cloned().unwrap_or_default();
        let out = self.material_json(id, &material);
        let index = self.root.push(out);
        self.materials.insert(id, index);
        index
    }

    /// Material `id` (`m`) as glTF: each extension where it changes something, or where the
    /// timeline animates one of its values (so that the animation's pointer has a property
    /// to animate; the extension's own defaults are the values that leave it out).
    fn material_json(&mut self, id: MaterialId, m: &Material) -> json::Material {
        use json::material as jm;
        let animated: HashSet<&str> = self
            .animated_extensions
            .iter()
            .filter(|(material, _)| *material == id)
            .map(|(_, extension)| *extension)
            .collect();
        let unit = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        let mut extensions = json::extensions::material::Material::default();
        let mut has_extensions = false;
        if m.unlit {
            self.use_extension("KHR_materials_unlit");
            extensions.unlit = Some(json::extensions::material::Unlit {});
            has_extensions = true;
        }
        // glTF's emissiveFactor is 0..1: brighter colours move into the strength.
        let emissive = m
            .emissive
            .map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 });
        let peak = emissive.iter().copied().fold(0.0f32, f32::max);
        let strength = finite_or(m.emissive_strength, 1.0).max(0.0);
        let (emissive, strength) = if peak > 1.0 {
            (emissive.map(|v| v / peak), (strength * peak).min(f32::MAX))
        } else {
            (emissive, strength)
        };
        if strength != 1.0 || animated.contains("KHR_materials_emissive_strength") {
            self.use_extension("KHR_materials_emissive_strength");
            extensions.emissive_strength = Some(json::extensions::material::EmissiveStrength {
                emissive_strength: json::extensions::material::EmissiveStrengthFactor(strength),
            });
            has_extensions = true;
        }
        // KHR_materials_ior only where the IOR is not glTF's default (and is one it allows).
        let ior = m.ior;
        if ior != 1.5 && (ior == 0.0 || (ior.is_finite() && ior >= 1.0)) {
            self.use_extension("KHR_materials_ior");
            extensions.ior = Some(json::extensions::material::Ior {
                ior: json::extensions::material::IndexOfRefraction(ior),
                extras: Default::default(),
            });
            has_extensions = true;
        }
        let info = |b: &mut Self, slot: Option<TextureRef>| -> Option<json::texture::Info> {
            let slot = slot?;
            let (index, tex_coord, transform) = b.texture(m, &slot)?;
            Some(json::texture::Info {
                index,
                tex_coord,
                extensions: transform.map(|t| json::extensions::texture::Info {
                    texture_transform: Some(t),
                    ..Default::default()
                }),
                extras: None,
            })
        };
        // The texture infos of an extension's JSON object, under their keys (a slot without a
        // texture writes nothing).
        let insert_infos = |b: &mut Self,
                            object: &mut serde_json::Map<String, serde_json::Value>,
                            slots: &[(&str, Option<TextureRef>)]| {
            for &(key, slot) in slots {
                if let Some(value) = info(b, slot).and_then(|i| serde_json::to_value(i).ok()) {
                    object.insert(key.into(), value);
                }
            }
        };
        // KHR_materials_specular only where it changes something.
        if m.has_specular() || animated.contains("KHR_materials_specular") {
            self.use_extension("KHR_materials_specular");
            extensions.specular = Some(json::extensions::material::Specular {
                specular_factor: json::extensions::material::SpecularFactor(unit(m.specular)),
                specular_texture: info(self, m.specular_texture),
                specular_color_factor: json::extensions::material::SpecularColorFactor(
                    m.specular_color
                        .map(|c| if c.is_finite() { c.max(0.0) } else { 1.0 }),
                ),
                specular_color_texture: info(self, m.specular_color_texture),
                extras: Default::default(),
            });
            has_extensions = true;
        }
        if m.transmission > 0.0
            || m.transmission_texture.is_some()
            || animated.contains("KHR_materials_transmission")
        {
            self.use_extension("KHR_materials_transmission");
            extensions.transmission = Some(json::extensions::material::Transmission {
                transmission_factor: json::extensions::material::TransmissionFactor(unit(
                    m.transmission,
                )),
                transmission_texture: info(self, m.transmission_texture),
                extras: Default::default(),
            });
            has_extensions = true;
        }
        // KHR_materials_volume on transmissive materials (it needs one of the transmission
        // extensions). Written as JSON: gltf-json's type always writes attenuationDistance,
        // whose default (+∞) JSON cannot hold.
        if m.is_transmissive() && m.has_volume() {
            let mut volume = serde_json::Map::new();
            volume.insert("thicknessFactor".into(), m.volume_thickness().into());
            if let Some(value) =
                info(self, m.thickness_texture).and_then(|i| serde_json::to_value(i).ok())
            {
                volume.insert("thicknessTexture".into(), value);
            }
            if let Some(d) = m.attenuation_distance.filter(|d| d.is_finite() && *d > 0.0) {
                volume.insert("attenuationDistance".into(), d.into());
            }
            let color = m.attenuation_color.map(unit);
            volume.insert("attenuationColor".into(), color.to_vec().into());
            self.json_extension(&mut extensions, "KHR_materials_volume", volume);
            has_extensions = true;
            // KHR_materials_dispersion needs the volume.
            if m.dispersion_factor() > 0.0 {
                let mut dispersion = serde_json::Map::new();
                dispersion.insert("dispersion".into(), m.dispersion_factor().into());
                self.json_extension(&mut extensions, "KHR_materials_dispersion", dispersion);
            }
        }
        // KHR_materials_clearcoat, which gltf-json has no type for: written as the
        // extension's JSON (texture infos through gltf-json's own type).
        if m.clearcoat > 0.0 || animated.contains("KHR_materials_clearcoat") {
            let mut coat = serde_json::Map::new();
            coat.insert("clearcoatFactor".into(), unit(m.clearcoat).into());
            coat.insert(
                "clearcoatRoughnessFactor".into(),
                unit(m.clearcoat_roughness).into(),
            );
            for (key, slot) in [
                ("clearcoatTexture", m.clearcoat_texture),
                ("clearcoatRoughnessTexture", m.clearcoat_roughness_texture),
                ("clearcoatNormalTexture", m.clearcoat_normal_texture),
            ] {
                let Some(mut value) = info(self, slot).and_then(|i| serde_json::to_value(i).ok())
                else {
                    continue;
                };
                if key == "clearcoatNormalTexture"
                    && let Some(object) = value.as_object_mut()
                {
                    object.insert(
                        "scale".into(),
                        finite_or(m.clearcoat_normal_scale, 1.0).into(),
                    );
                }
                coat.insert(key.into(), value);
            }
            self.json_extension(&mut extensions, "KHR_materials_clearcoat", coat);
            has_extensions = true;
        }
        // KHR_materials_sheen, which gltf-json has no type for either: the extension's JSON.
        // A black sheen colour turns the layer off, so it is not written.
        if m.has_sheen() || animated.contains("KHR_materials_sheen") {
            let (color, roughness) = m.sheen_factors();
            let mut sheen = serde_json::Map::new();
            sheen.insert("sheenColorFactor".into(), color.to_vec().into());
            sheen.insert("sheenRoughnessFactor".into(), roughness.into());
            insert_infos(
                self,
                &mut sheen,
                &[
                    ("sheenColorTexture", m.sheen_color_texture),
                    ("sheenRoughnessTexture", m.sheen_roughness_texture),
                ],
            );
            self.json_extension(&mut extensions, "KHR_materials_sheen", sheen);
            has_extensions = true;
        }
        // KHR_materials_anisotropy (no gltf-json type either), when the highlight stretches.
        if m.has_anisotropy() || animated.contains("KHR_materials_anisotropy") {
            let (strength, rotation) = m.anisotropy_factors();
            let mut anisotropy = serde_json::Map::new();
            anisotropy.insert("anisotropyStrength".into(), strength.into());
            anisotropy.insert("anisotropyRotation".into(), rotation.into());
            insert_infos(
                self,
                &mut anisotropy,
                &[("anisotropyTexture", m.anisotropy_texture)],
            );
            self.json_extension(&mut extensions, "KHR_materials_anisotropy", anisotropy);
            has_extensions = true;
        }
        // KHR_materials_iridescence (no gltf-json type either), when the film shows.
        if m.has_iridescence() || animated.contains("KHR_materials_iridescence") {
            let (factor, ior, [low, high]) = m.iridescence_factors();
            let mut film = serde_json::Map::new();
            film.insert("iridescenceFactor".into(), factor.into());
            film.insert("iridescenceIor".into(), ior.into());
            film.insert("iridescenceThicknessMinimum".into(), low.into());
            film.insert("iridescenceThicknessMaximum".into(), high.into());
            insert_infos(
                self,
                &mut film,
                &[
                    ("iridescenceTexture", m.iridescence_texture),
                    (
                        "iridescenceThicknessTexture",
                        m.iridescence_thickness_texture,
                    ),
                ],
            );
            self.json_extension(&mut extensions, "KHR_materials_iridescence", film);
            has_extensions = true;
        }
        // KHR_materials_diffuse_transmission (no gltf-json type either), when light passes.
        if m.has_diffuse_transmission() || animated.contains("KHR_materials_diffuse_transmission") {
            let (factor, color) = m.diffuse_transmission_factors();
            let mut through = serde_json::Map::new();
            through.insert("diffuseTransmissionFactor".into(), factor.into());
            through.insert(
                "diffuseTransmissionColorFactor".into(),
                color.to_vec().into(),
            );
            insert_infos(
                self,
                &mut through,
                &[
                    ("diffuseTransmissionTexture", m.diffuse_transmission_texture),
                    (
                        "diffuseTransmissionColorTexture",
                        m.diffuse_transmission_color_texture,
                    ),
                ],
            );
            self.json_extension(
                &mut extensions,
                "KHR_materials_diffuse_transmission",
                through,
            );
            has_extensions = true;
        }
        let base_color_texture = info(self, m.base_color_texture);
        let metallic_roughness_texture = info(self, m.metallic_roughness_texture);
        let emissive_texture = info(self, m.emissive_texture);
        let others = |t: Option<json::extensions::texture::TextureTransform>| {
            let value = serde_json::to_value(t?).ok()?;
            let mut map = serde_json::Map::new();
            map.insert("KHR_texture_transform".to_owned(), value);
            Some(map)
        };
        let normal_texture = m.normal_texture.and_then(|slot| {
            let (index, tex_coord, transform) = self.texture(m, &slot)?;
            Some(jm::NormalTexture {
                index,
                scale: finite_or(m.normal_scale, 1.0),
                tex_coord,
                extensions: others(transform)
                    .map(|others| json::extensions::material::NormalTexture { others }),
                extras: None,
            })
        });
        let occlusion_texture = m.occlusion_texture.and_then(|slot| {
            let (index, tex_coord, transform) = self.texture(m, &slot)?;
            Some(jm::OcclusionTexture {
                index,
                strength: jm::StrengthFactor(unit(m.occlusion_strength)),
                tex_coord,
                extensions: others(transform)
                    .map(|others| json::extensions::material::OcclusionTexture { others }),
                extras: None,
            })
        });
        let (alpha_mode, alpha_cutoff) = match m.alpha_mode {
            AlphaMode::Opaque => (jm::AlphaMode::Opaque, None),
            AlphaMode::Mask { cutoff } => (
                jm::AlphaMode::Mask,
                Some(jm::AlphaCutoff(finite_or(cutoff, 0.5).max(0.0))),
            ),
            AlphaMode::Blend => (jm::AlphaMode::Blend, None),
        };
        json::Material {
            alpha_cutoff,
            alpha_mode: Valid(alpha_mode),
            double_sided: m.double_sided,
            name: Some(m.name.clone()),
            pbr_metallic_roughness: jm::PbrMetallicRoughness {
                base_color_factor: jm::PbrBaseColorFactor(m.base_color.map(unit)),
                base_color_texture,
                metallic_factor: jm::StrengthFactor(unit(m.metallic)),
                roughness_factor: jm::StrengthFactor(unit(m.roughness)),
                metallic_roughness_texture,
                extensions: None,
                extras: None,
            },
            normal_texture,
            occlusion_texture,
            emissive_texture,
            emissive_factor: jm::EmissiveFactor(emissive.map(unit)),
            extensions: has_extensions.then_some(extensions),
            extras: None,
        }
    }

    /// The texture for a slot, its texCoord, and its KHR_texture_transform (the slot's own
    /// after the material-wide one), or `None` when the image is missing.
    fn texture(
        &mut self,
        m: &Material,
        slot: &TextureRef,
    ) -> Option<(
        json::Index<json::Texture>,
        u32,
        Option<json::extensions::texture::TextureTransform>,
    )> {
        let image = self.image(slot.image)?;
        let key = (slot.image, slot.sampler);
        let texture = match self.textures.get(&key) {
            Some(t) => *t,
            None => {
                let sampler = self.sampler(slot.sampler);
                let t = self.root.push(json::Texture {
                    name: None,
                    sampler: Some(sampler),
                    source: image,
                    extensions: None,
                    extras: None,
                });
                self.textures.insert(key, t);
                t
            }
        };
        let tex_coord = u32::from(slot.uv_set == 1);
        let combined = combined_transform(&m.uv_transform(), &slot.transform);
        let finite = |t: &UvTransform| {
            t.offset.iter().chain(&t.scale).all(|v| v.is_finite()) && t.rotation.is_finite()
        };
        let transform = match combined {
            Ok(t) if !finite(&t) => {
                self.warn(format!(
                    "material '{}': a texture transform that is not finite was left out",
                    m.name
                ));
                UvTransform::IDENTITY
            }
            Ok(t) => t,
            Err(t) if finite(&t) => {
                self.warn(format!(
                    "material '{}': its tiling and a slot's KHR_texture_transform combine into \
                     a sheared mapping glTF cannot express; written approximately",
                    m.name
                ));
                t
            }
            Err(_) => UvTransform::IDENTITY,
        };
        let transform = (!transform.is_identity()).then(|| {
            self.use_extension("KHR_texture_transform");
            json::extensions::texture::TextureTransform {
                offset: json::extensions::texture::TextureTransformOffset(transform.offset),
                rotation: json::extensions::texture::TextureTransformRotation(transform.rotation),
                scale: json::extensions::texture::TextureTransformScale(transform.scale),
                // gltf-json writes `None` as `null`, which the schema refuses; the
                // override repeats the slot's own set.
                tex_coord: Some(tex_coord),
                extras: None,
            }
        });
        Some((texture, tex_coord, transform))
    }

    fn sampler(&mut self, sampler: Sampler) -> json::Index<json::texture::Sampler> {
        use json::texture as jt;
        if let Some(s) = self.samplers.get(&sampler) {
            return *s;
        }
        let wrap = |w: Wrap| {
            Valid(match w {
                Wrap::Repeat => jt::WrappingMode::Repeat,
                Wrap::MirroredRepeat => jt::WrappingMode::MirroredRepeat,
                Wrap::ClampToEdge => jt::WrappingMode::ClampToEdge,
            })
        };
        let index = self.root.push(jt::Sampler {
            mag_filter: Some(Valid(match sampler.mag_filter {
                Filter::Nearest => jt::MagFilter::Nearest,
                Filter::Linear => jt::MagFilter::Linear,
            })),
            min_filter: Some(Valid(match sampler.min_filter {
                MinFilter::Nearest => jt::MinFilter::Nearest,
                MinFilter::Linear => jt::MinFilter::Linear,
                MinFilter::NearestMipmapNearest => jt::MinFilter::NearestMipmapNearest,
                MinFilter::LinearMipmapNearest => jt::MinFilter::LinearMipmapNearest,
                MinFilter::NearestMipmapLinear => jt::MinFilter::NearestMipmapLinear,
                MinFilter::LinearMipmapLinear => jt::MinFilter::LinearMipmapLinear,
            })),
            name: None,
            wrap_s: wrap(sampler.wrap_s),
            wrap_t: wrap(sampler.wrap_t),
            extensions: None,
            extras: None,
        });
        self.samplers.insert(sampler, index);
        index
    }

    /// The glTF image for a scene image: its original bytes when it has them, else PNG.
    fn image(&mut self, id: ImageId) -> Option<json::Index<json::Image>> {
        if let Some(i) = self.images.get(&id) {
            return Some(*i);
        }
        let image = self.scene.image(id)?.clone();
        let payload = match image.source() {
            Some(source) if source.mime == "image/png" || source.mime == "image/jpeg" => {
                ImagePayload {
                    mime: if source.mime == "image/png" {
                        "image/png"
                    } else {
                        "image/jpeg"
                    },
                    bytes: source.bytes.as_ref().clone(),
                }
            }
            _ => {
                let mut png = Vec::new();
                let encoder = image::codecs::png::PngEncoder::new(&mut png);
                if let Err(e) = image::ImageEncoder::write_image(
                    encoder,
                    &image.rgba8,
                    image.width,
                    image.height,
                    image::ExtendedColorType::Rgba8,
                ) {
                    self.warn(format!(
                        "image '{}' could not be encoded ({e}); left out",
                        image.name
                    ));
                    return None;
                }
                ImagePayload {
                    mime: "image/png",
                    bytes: png,
                }
            }
        };
        let index = self.root.push(json::Image {
            buffer_view: None,
            mime_type: None,
            name: Some(image.name.clone()),
            uri: None,
            extensions: None,
            extras: None,
        });
        self.image_payloads.push(payload);
        self.images.insert(id, index);
        Some(index)
    }
}

/// The material extensions whose values the timeline animates, per material: the part of
/// each material-value pointer after `extensions/`.
fn animated_extensions(scene: &Scene) -> HashSet<(MaterialId, &'static str)> {
    scene
        .timeline()
        .shots
        .iter()
        .flat_map(|shot| &shot.tracks)
        .filter(|track| !track.is_empty())
        .filter_map(|track| match pointer_of(track.channel)? {
            (PointerObject::Material(m), below) => {
                let extension = below.strip_prefix("extensions/")?.split('/').next()?;
                Some((m, extension))
            }
            _ => None,
        })
        .collect()
}

fn finite_or(v: f32, fallback: f32) -> f32 {
    if v.is_finite() { v } else { fallback }
}

/// Writes a TRS into a node, leaving out what is at its default.
fn set_trs(node: &mut json::Node, scale: Vec3, rotation: Quat, translation: Vec3) {
    if translation != Vec3::ZERO && translation.is_finite() {
        node.translation = Some(translation.to_array());
    }
    let rotation = rotation.normalize();
    if rotation != Quat::IDENTITY && rotation.is_finite() {
        node.rotation = Some(json::scene::UnitQuaternion(rotation.to_array()));
    }
    if scale != Vec3::ONE && scale.is_finite() {
        node.scale = Some(scale.to_array());
    }
}

/// One KHR_texture_transform equal to `slot` applied after `tiling` (the material-wide
/// transform): `Ok` when exact, `Err` with the nearest rotation-and-scale when the pair
/// shears (a rotation between two non-uniform scales).
fn combined_transform(
    tiling: &UvTransform,
    slot: &UvTransform,
) -> Result<UvTransform, UvTransform> {
    if tiling.is_identity() {
        return Ok(*slot);
    }
    if slot.is_identity() {
        return Ok(*tiling);
    }
    let m = slot.matrix() * tiling.matrix();
    let offset = m.z_axis.truncate();
    // Columns of the linear part: scale.x · (c, -s) and scale.y · (s, c).
    let col0 = m.x_axis.truncate();
    let col1 = m.y_axis.truncate();
    let rotation = (-col0.y).atan2(col0.x);
    let (s, c) = rotation.sin_cos();
    let scale_x = col0.length();
    let scale_y = col1.dot(Vec2::new(s, c));
    let out = UvTransform {
        offset: offset.to_array(),
        rotation,
        scale: [scale_x, scale_y],
    };
    let exact = out.matrix().abs_diff_eq(
        m,
        1e-5 * (1.0
            + m.abs()
                .to_cols_array()
                .iter()
                .fold(0.0f32, |a, b| a.max(*b))),
    );
    if exact { Ok(out) } else { Err(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiling_and_slot_transforms_merge_exactly_when_they_can() {
        let tiling = UvTransform {
            offset: [0.5, 0.25],
            rotation: 0.0,
            scale: [4.0, 4.0],
        };
        let slot = UvTransform {
            offset: [0.1, -0.2],
            rotation: 0.7,
            scale: [2.0, 3.0],
        };
        let merged = combined_transform(&tiling, &slot).expect("uniform tiling merges");
        for uv in [[0.0, 0.0], [1.0, 0.5], [-0.3, 2.0]] {
            let want = slot.apply(tiling.apply(uv));
            let got = merged.apply(uv);
            assert!(
                Vec2::from(want).abs_diff_eq(Vec2::from(got), 1e-4),
                "{want:?} {got:?}"
            );
        }
        // A turned tiling under a non-uniform slot scale shears.
        let shearing = UvTransform {
            rotation: 0.5,
            scale: [1.0, 3.0],
            ..tiling
        };
        assert!(combined_transform(&shearing, &slot).is_err());
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_of("my world_image0.png"), "my%20world_image0.png");
    }
}
