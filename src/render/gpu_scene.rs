//! The GPU copy of a scene. `sync` compares the scene's revision stamps with what was uploaded
//! and uploads only what changed; every upload is counted in [`UploadStats`].

use super::gpu_types::{
    GpuLight, Instance, LineVertex, MATERIAL_SAMPLER_BINDING, MaterialUniform, TEXTURE_SLOTS,
    Vertex,
};
use super::shaders::{MATERIAL_SAMPLERS, MaterialBindings};
use super::{Detail, UploadStats};
use crate::scene::color::{linear_to_srgb_u8, srgb_u8_to_linear};
use crate::scene::{
    AlphaMode, EMISSIVE_NITS, Filter, ImageId, LightKind, Material, MaterialId, MeshId, NodeId,
    NodeKind, Revision, Sampler, Scene, TextureRef, TextureSlot, Wrap,
};
use glam::{Mat3, Mat4, Vec3};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use wgpu::util::DeviceExt as _;

pub struct GpuMesh {
    content_id: u64,
    pub vertices: wgpu::Buffer,
    /// The second texture-coordinate set (vertex slot 2), only for meshes that have one;
    /// the others draw with a pipeline that reads set 0 in its place.
    pub uv1: Option<wgpu::Buffer>,
    pub indices: wgpu::Buffer,
    pub index_count: u32,
    /// Simplified index lists of the same vertices, finest first ([`Detail::BySize`]);
    /// built the first time a small frame asks, empty for meshes below
    /// [`LOD_MIN_TRIANGLES`].
    lods: Vec<(wgpu::Buffer, u32)>,
    lods_built: bool,
    /// The level this frame draws: 0 is the full mesh, `i` is `lods[i - 1]`.
    level: usize,
    /// The mesh's edges (each once), for the wireframe overlay; built the first time a frame
    /// draws it ([`GpuScene::build_wires`]).
    pub wire: Option<Wire>,
    /// The mesh's local bounds, kept from the upload so that placing its instances (blended
    /// ones' and X-ray's sort spheres, on every transform change) never walks its vertices.
    bounds: crate::scene::Aabb,
}

/// A mesh's edges for the wireframe overlay (wire.wgsl): pairs of vertex indices, drawn as an
/// index buffer into the mesh's vertices (lines) or read with them as storage buffers
/// through `group` (quads; `None` when they do not fit one binding of the adapter).
pub struct Wire {
    pub indices: wgpu::Buffer,
    pub group: Option<wgpu::BindGroup>,
    pub edges: u32,
}

/// Meshes with fewer triangles are always drawn whole.
pub const LOD_MIN_TRIANGLES: u32 = 16_384;
/// A level is drawn only while it keeps at least one triangle per this many frame pixels.
const PIXELS_PER_TRIANGLE: u64 = 4;

impl GpuMesh {
    /// The index buffer and count this frame draws.
    pub fn drawn_indices(&self) -> (&wgpu::Buffer, u32) {
        match self.level.checked_sub(1).and_then(|i| self.lods.get(i)) {
            Some((buffer, count)) => (buffer, *count),
            None => (&self.indices, self.index_count),
        }
    }

    /// Triangles of the level this frame draws.
    pub fn drawn_triangles(&self) -> u32 {
        self.drawn_indices().1 / 3
    }
}

/// The mesh's indices without triangles that point outside its vertex array (drawn, they
/// would fault the GPU).
fn valid_triangles(mesh: &crate::scene::Mesh) -> Vec<u32> {
    let n = mesh.positions.len() as u32;
    mesh.indices
        .chunks_exact(3)
        .filter(|t| t.iter().all(|&i| i < n))
        .flatten()
        .copied()
        .collect()
}

/// A triangle list's edges as a line list, each edge once whichever way round, however many
/// triangles share it, and whether or not a seam split its vertices (`weld`:
/// [`crate::scene::Mesh::weld_map`]; the line joins the representatives, which stand where
/// the split vertices do).
pub fn mesh_edges(triangles: &[u32], weld: &[u32]) -> Vec<u32> {
    let corner = |i: u32| weld.get(i as usize).copied().unwrap_or(i);
    let mut edges: Vec<u64> = triangles
        .chunks_exact(3)
        .map(|t| [corner(t[0]), corner(t[1]), corner(t[2])])
        .flat_map(|t| [(t[0], t[1]), (t[1], t[2]), (t[2], t[0])])
        .filter(|(a, b)| a != b)
        .map(|(a, b)| (u64::from(a.min(b)) << 32) | u64::from(a.max(b)))
        .collect();
    edges.sort_unstable();
    edges.dedup();
    edges
        .into_iter()
        .flat_map(|e| [(e >> 32) as u32, e as u32])
        .collect()
}

/// Simplified index lists of a mesh: a quarter and a sixteenth of its triangles, each
/// within a small geometric error (meshoptimizer, borders locked so tiles and edges stay
/// put). Levels that fail to get below 70 % of the previous one are dropped.
fn simplified_levels(positions: &[[f32; 3]], indices: &[u32]) -> Vec<Vec<u32>> {
    let Ok(adapter) = meshopt::VertexDataAdapter::new(
        bytemuck::cast_slice(positions),
        std::mem::size_of::<[f32; 3]>(),
        0,
    ) else {
        return Vec::new();
    };
    let mut levels: Vec<Vec<u32>> = Vec::new();
    let mut previous = indices.len();
    for (fraction, error) in [(4, 0.004), (16, 0.012)] {
        let target = (indices.len() / 3 / fraction) * 3;
        let level = meshopt::simplify(
            indices,
            &adapter,
            target,
            error,
            meshopt::SimplifyOptions::LockBorder,
            None,
        );
        if level.is_empty() || level.len() * 10 > previous * 7 {
            break;
        }
        previous = level.len();
        levels.push(level);
    }
    levels
}

struct GpuTexture {
    content_id: u64,
    view: wgpu::TextureView,
}

/// What a material's bind group depends on: each slot's image and sampler. UV sets and
/// transforms live in the uniform, so editing them is a buffer write, not a new bind group.
type SlotBindings = [Option<(ImageId, Sampler)>; TEXTURE_SLOTS];

pub struct GpuMaterial {
    uniform: MaterialUniform,
    textures: SlotBindings,
    buffer: wgpu::Buffer,
    pub bind_group: wgpu::BindGroup,
    pub blend: bool,
    /// Alpha mask: drawn with the `discard` pipeline.
    pub mask: bool,
    pub double_sided: bool,
    /// Drawn with the unlit (captured colour, relit) pipeline.
    pub unlit: bool,
    /// KHR_materials_transmission: drawn in the display pass over what is behind, which it
    /// samples from the opaque image (`Material::is_transmissive`).
    pub transmissive: bool,
    /// KHR_materials_clearcoat: drawn with mesh.wgsl's `clearcoat` pipeline constant.
    pub clearcoat: bool,
    /// KHR_materials_sheen: drawn with mesh.wgsl's `sheen` pipeline constant.
    pub sheen: bool,
    /// KHR_materials_anisotropy: drawn with mesh.wgsl's `anisotropy` pipeline constant.
    pub anisotropy: bool,
    /// KHR_materials_iridescence: drawn with mesh.wgsl's `iridescence` pipeline constant.
    pub iridescence: bool,
    /// KHR_materials_diffuse_transmission: mesh.wgsl's `diffuse_transmission` constant.
    pub diffuse_transmission: bool,
    /// Which of the bind group's shared samplers each slot reads, two bits per slot (slot 0
    /// lowest; `MaterialBindings::Shared`), 0 with a sampler per slot.
    slot_samplers: u64,
}

impl GpuMaterial {
    /// Whether the material draws in the display pass (blended or transmissive), sorted back
    /// to front, rather than in the opaque pass.
    pub fn layered(&self) -> bool {
        self.blend || self.transmissive
    }

    /// The texture slots the material uses, bit `i` for slot `i` (in `TextureSlot::ALL`
    /// order): mesh.wgsl's `maps` constant.
    pub fn maps(&self) -> u32 {
        self.textures
            .iter()
            .enumerate()
            .filter(|(_, t)| t.is_some())
            .fold(0, |maps, (i, _)| maps | 1 << i)
    }

    /// The shared sampler of each slot in `maps` (two bits per slot), the others 0: so that
    /// materials that differ only in unused slots share a pipeline.
    pub fn samplers(&self, maps: u32) -> u64 {
        sampled_slot_samplers(self.slot_samplers, maps)
    }
}

/// `slot_samplers` (two bits per slot) with the slots not in `maps` zeroed.
fn sampled_slot_samplers(slot_samplers: u64, maps: u32) -> u64 {
    (0..TEXTURE_SLOTS)
        .filter(|i| maps & (1 << i) != 0)
        .fold(0, |map, i| map | (slot_samplers & (3 << (2 * i))))
}

/// The samplers of a material's bind group with [`MaterialBindings::Shared`]: up to
/// [`MATERIAL_SAMPLERS`] distinct ones from its slots (in slot order), and which each slot
/// reads (two bits per slot). Empty slots read the first. A material with more distinct
/// samplers than that (glTF allows one per texture; files hardly ever have more than two)
/// reads the rest with the most similar one kept: same filters first, then same wrap modes.
fn shared_samplers(slots: &[Option<Sampler>]) -> (Vec<Sampler>, u64) {
    let mut kept: Vec<Sampler> = Vec::new();
    let mut map = 0u64;
    for (i, sampler) in slots.iter().enumerate() {
        let Some(s) = sampler else { continue };
        let k = match kept.iter().position(|k| k == s) {
            Some(k) => k,
            None if kept.len() < MATERIAL_SAMPLERS => {
                kept.push(*s);
                kept.len() - 1
            }
            None => {
                let likeness = |k: &Sampler| {
                    2 * u8::from(k.mag_filter == s.mag_filter && k.min_filter == s.min_filter)
                        + u8::from(k.wrap_s == s.wrap_s && k.wrap_t == s.wrap_t)
                };
                (0..kept.len())
                    .max_by_key(|&k| (likeness(&kept[k]), std::cmp::Reverse(k)))
                    .unwrap_or(0)
            }
        };
        map |= (k as u64) << (2 * i);
    }
    if kept.is_empty() {
        kept.push(Sampler::default());
    }
    (kept, map)
}

/// Instances of one (mesh, material) pair, contiguous in the instance buffer.
#[derive(Clone, Copy, Debug)]
pub struct Batch {
    pub mesh: MeshId,
    pub material: MaterialId,
    pub first_instance: u32,
    pub instance_count: u32,
    /// The instances' world matrices mirror (a negative determinant): their triangles' front
    /// faces turn clockwise on screen (glTF 2.0 §3.7.4).
    pub mirrored: bool,
    /// World-space centre (for back-to-front sorting of blended single-instance batches);
    /// the origin for opaque batches (X-ray blends them in no order).
    pub center: Vec3,
    /// World-space radius of a sphere about `center` that holds a blended batch (where on
    /// screen it can draw; not finite for a mesh without bounds); 0 for opaque batches.
    pub radius: f32,
}

impl Batch {
    /// The instance range to draw.
    pub fn instances(&self) -> std::ops::Range<u32> {
        self.first_instance..self.first_instance + self.instance_count
    }
}

/// Whether a world matrix mirrors what it places (its linear part's determinant is negative).
fn mirrors(world_from_local: &Mat4) -> bool {
    Mat3::from_mat4(*world_from_local).determinant() < 0.0
}

/// Default textures bound to empty material slots.
pub struct Defaults {
    pub white_srgb: wgpu::TextureView,
    pub white_linear: wgpu::TextureView,
    pub flat_normal: wgpu::TextureView,
}

#[derive(Default)]
pub struct GpuScene {
    seen: Option<Revision>,
    pub meshes: HashMap<MeshId, GpuMesh>,
    textures: HashMap<(ImageId, bool), GpuTexture>,
    pub materials: HashMap<MaterialId, GpuMaterial>,
    /// wgpu samplers by descriptor, shared by every slot of every material that uses one.
    samplers: HashMap<SamplerKey, wgpu::Sampler>,
    pub instance_buffer: Option<wgpu::Buffer>,
    instance_capacity: usize,
    /// Opaque and masked batches, grouped by material then mesh.
    pub opaque: Vec<Batch>,
    /// Blended objects, one instance each.
    pub blended: Vec<Batch>,
    /// Mesh node → (mesh, instance index), for drawing a selection mask.
    pub node_instances: HashMap<NodeId, (MeshId, u32)>,
    pub lights: Vec<GpuLight>,
    /// Icon lines, then bone lines from [`GpuScene::bone_start`] on.
    pub lines: Vec<LineVertex>,
    pub bone_start: usize,
    pub line_buffer: Option<wgpu::Buffer>,
    line_capacity: usize,
    lines_key: Option<(u64, u64, Vec<NodeId>, super::Overlays)>,
    /// The first visible sun (direction towards it, light) and the world bounds of everything
    /// visible, refreshed with the lights so frames don't walk the scene for them.
    pub sun: Option<(Vec3, crate::scene::Light)>,
    pub bounds: crate::scene::Aabb,
    /// Anisotropic filtering level for linear samplers (1 on CPU adapters, where each extra
    /// tap costs real time).
    pub anisotropy: u16,
    /// How the material bind group holds textures and samplers (renderer.rs): every slot
    /// with shared samplers, or the first few slots with a sampler each on adapters with 16
    /// sampled textures per shader stage.
    material_bindings: MaterialBindings,
}

/// The wgpu sampler for a scene sampler. Anisotropy (`anisotropy` > 1) only where every filter
/// is linear, as wgpu requires; a minification filter without mipmaps reads level 0 only.
fn sampler_desc(s: &Sampler, anisotropy: u16) -> wgpu::SamplerDescriptor<'static> {
    let address = |w: Wrap| match w {
        Wrap::Repeat => wgpu::AddressMode::Repeat,
        Wrap::MirroredRepeat => wgpu::AddressMode::MirrorRepeat,
        Wrap::ClampToEdge => wgpu::AddressMode::ClampToEdge,
    };
    let filter = |f: Filter| match f {
        Filter::Nearest => wgpu::FilterMode::Nearest,
        Filter::Linear => wgpu::FilterMode::Linear,
    };
    let mipmap = s.min_filter.mipmap();
    let all_linear = s.mag_filter == Filter::Linear
        && s.min_filter.texel() == Filter::Linear
        && mipmap == Some(Filter::Linear);
    wgpu::SamplerDescriptor {
        label: Some("material sampler"),
        address_mode_u: address(s.wrap_s),
        address_mode_v: address(s.wrap_t),
        address_mode_w: wgpu::AddressMode::ClampToEdge,
        mag_filter: filter(s.mag_filter),
        min_filter: filter(s.min_filter.texel()),
        mipmap_filter: match mipmap {
            Some(Filter::Linear) => wgpu::MipmapFilterMode::Linear,
            Some(Filter::Nearest) | None => wgpu::MipmapFilterMode::Nearest,
        },
        lod_max_clamp: if mipmap.is_some() { 32.0 } else { 0.0 },
        anisotropy_clamp: if all_linear { anisotropy.max(1) } else { 1 },
        ..Default::default()
    }
}

/// What makes two wgpu samplers the same: every field of [`sampler_desc`] that varies, so
/// scene samplers that map to one descriptor share one wgpu sampler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct SamplerKey {
    address: [wgpu::AddressMode; 2],
    filters: [wgpu::FilterMode; 2],
    mipmap: wgpu::MipmapFilterMode,
    lod_max_bits: u32,
    anisotropy: u16,
}

impl SamplerKey {
    fn of(d: &wgpu::SamplerDescriptor<'_>) -> Self {
        Self {
            address: [d.address_mode_u, d.address_mode_v],
            filters: [d.mag_filter, d.min_filter],
            mipmap: d.mipmap_filter,
            lod_max_bits: d.lod_max_clamp.to_bits(),
            anisotropy: d.anisotropy_clamp,
        }
    }
}

/// Row-major 2x3 matrix a texture slot samples through (`slot_uv_from_mesh_uv`: the slot's
/// KHR_texture_transform after the material-wide one), with the slot's UV set (0 or 1) in `w`
/// of the first row. An empty slot gets the material-wide transform on set 0.
pub fn uv_transform_rows(m: &Material, slot: Option<&TextureRef>) -> [[f32; 4]; 2] {
    let (matrix, uv_set) = match slot {
        Some(t) => (m.slot_uv_matrix(t), t.uv_set),
        None => (m.uv_transform().matrix(), 0),
    };
    let set = if uv_set == 1 { 1.0 } else { 0.0 };
    let (c0, c1, c2) = (matrix.x_axis, matrix.y_axis, matrix.z_axis);
    [[c0.x, c1.x, c2.x, set], [c0.y, c1.y, c2.y, 0.0]]
}

fn material_uniform(m: &Material) -> MaterialUniform {
    let (mode, cutoff) = match m.alpha_mode {
        AlphaMode::Opaque => (0.0, 0.0),
        AlphaMode::Mask { cutoff } => (1.0, cutoff),
        AlphaMode::Blend => (2.0, 0.0),
    };
    let e = Vec3::from(m.emissive) * m.emissive_strength * EMISSIVE_NITS;
    let uv = m
        .texture_slots()
        .map(|slot| uv_transform_rows(m, slot.as_ref()));
    MaterialUniform {
        base_color: m.base_color,
        emissive: [e.x, e.y, e.z, m.dispersion_factor().min(100.0)],
        pbr: [
            m.metallic,
            m.roughness,
            m.normal_scale,
            m.occlusion_strength,
        ],
        alpha: [
            mode,
            cutoff,
            m.dielectric_f0(),
            if m.double_sided { 1.0 } else { 0.0 },
        ],
        specular: [
            m.specular_color[0],
            m.specular_color[1],
            m.specular_color[2],
            m.specular,
        ],
        layers: [
            m.transmission,
            m.clearcoat,
            m.clearcoat_roughness,
            m.clearcoat_normal_scale,
        ],
        volume: {
            // Bounded so the path through the solid (times the node's scale) stays finite.
            let [r, g, b] = m.absorption();
            [r, g, b, m.volume_thickness().min(1.0e6)]
        },
        sheen: {
            let ([r, g, b], roughness) = m.sheen_factors();
            [r, g, b, roughness]
        },
        anisotropy: {
            let (strength, rotation) = m.anisotropy_factors();
            [strength, rotation.cos(), rotation.sin(), 0.0]
        },
        iridescence: {
            let (factor, ior, [low, high]) = m.iridescence_factors();
            [factor, ior, low, high]
        },
        diffuse_transmission: {
            let (factor, [r, g, b]) = m.diffuse_transmission_factors();
            [r, g, b, factor]
        },
        uv,
    }
}

/// The mip levels below the top one, box-filtered (in linear light for sRGB images). Works
/// in 16-bit fixed point with lookup tables both ways, so a 2048² texture takes a few ms.
pub fn mip_chain(width: u32, height: u32, rgba: &[u8], srgb: bool) -> Vec<(u32, u32, Vec<u8>)> {
    // u8 → linear u16 (sRGB decode or plain scale); linear u16 >> 4 → u8.
    let to_linear: Vec<u16> = (0..=255u8)
        .map(|v| {
            let l = if srgb {
                srgb_u8_to_linear(v)
            } else {
                f32::from(v) / 255.0
            };
            (l * 65535.0 + 0.5) as u16
        })
        .collect();
    let from_linear: Vec<u8> = (0..4096u32)
        .map(|i| {
            let l = (i as f32 + 0.5) / 4096.0;
            if srgb {
                linear_to_srgb_u8(l)
            } else {
                (l * 255.0 + 0.5) as u8
            }
        })
        .collect();
    let mut levels: Vec<(u32, u32, Vec<u8>)> = Vec::new();
    let (mut w, mut h) = (width, height);
    while w > 1 || h > 1 {
        let src: &[u8] = levels.last().map_or(rgba, |l| &l.2);
        let (nw, nh) = ((w / 2).max(1), (h / 2).max(1));
        let mut out = vec![0u8; (nw * nh * 4) as usize];
        let (w_us, h_us) = (w as usize, h as usize);
        // Rows in parallel: a 2048² level is a million texels.
        out.par_chunks_mut(nw as usize * 4)
            .enumerate()
            .for_each(|(y, row)| {
                let y0 = (y * 2).min(h_us - 1);
                let y1 = (y * 2 + 1).min(h_us - 1);
                for (x, texel) in row.chunks_exact_mut(4).enumerate() {
                    let x0 = (x * 2).min(w_us - 1);
                    let x1 = (x * 2 + 1).min(w_us - 1);
                    let texels = [
                        (y0 * w_us + x0) * 4,
                        (y0 * w_us + x1) * 4,
                        (y1 * w_us + x0) * 4,
                        (y1 * w_us + x1) * 4,
                    ];
                    for ch in 0..3 {
                        let sum: u32 = texels
                            .iter()
                            .map(|t| {
                                u32::from(
                                    to_linear[usize::from(src.get(t + ch).copied().unwrap_or(0))],
                                )
                            })
                            .sum();
                        texel[ch] = from_linear[(sum / 64) as usize];
                    }
                    let alpha: u32 = texels
                        .iter()
                        .map(|t| u32::from(src.get(t + 3).copied().unwrap_or(255)))
                        .sum();
                    texel[3] = ((alpha + 2) / 4) as u8;
                }
            });
        levels.push((nw, nh, out));
        (w, h) = (nw, nh);
    }
    levels
}

/// Uploads one tightly packed mip level of `w`×`h` texels of `bytes_per_texel` bytes.
pub(super) fn write_mip(
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    level: u32,
    (w, h): (u32, u32),
    data: &[u8],
    bytes_per_texel: u32,
) {
    queue.write_texture(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: level,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        data,
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(w * bytes_per_texel),
            rows_per_image: Some(h),
        },
        wgpu::Extent3d {
            width: w,
            height: h,
            depth_or_array_layers: 1,
        },
    );
}

pub fn create_texture(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    label: &str,
    width: u32,
    height: u32,
    rgba: &[u8],
    srgb: bool,
) -> (wgpu::TextureView, u64) {
    let levels = mip_chain(width, height, rgba, srgb);
    let mip_count = levels.len() as u32 + 1;
    let format = if srgb {
        wgpu::TextureFormat::Rgba8UnormSrgb
    } else {
        wgpu::TextureFormat::Rgba8Unorm
    };
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some(label),
        size: wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
        mip_level_count: mip_count,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    // The top level straight from the image, then the generated ones.
    write_mip(queue, &texture, 0, (width, height), rgba, 4);
    let mut bytes = rgba.len() as u64;
    for (level, (w, h, data)) in levels.iter().enumerate() {
        write_mip(queue, &texture, level as u32 + 1, (*w, *h), data, 4);
        bytes += data.len() as u64;
    }
    (texture.create_view(&Default::default()), bytes)
}

impl Defaults {
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Self {
        let white = [255u8; 4];
        Self {
            white_srgb: create_texture(device, queue, "white", 1, 1, &white, true).0,
            white_linear: create_texture(device, queue, "white", 1, 1, &white, false).0,
            flat_normal: create_texture(device, queue, "flat", 1, 1, &[128, 128, 255, 255], false)
                .0,
        }
    }
}

/// What a visible mesh node draws with besides its mesh: its colour grade and relighting.
type NodeLook = (crate::scene::ColorGrade, crate::scene::Relight);

/// A visible mesh node: its id, world matrix and look.
type DrawnNode = (NodeId, Mat4, NodeLook);

/// A node's hue in [0, 1) for solid shading's random colours, from its id alone, so a node
/// keeps its colour whatever is edited: the golden-ratio sequence, under which nodes with
/// consecutive ids (siblings, the parts of one import) lie 0.382 apart on the colour wheel,
/// and any ten consecutive ids stay well apart.
pub fn node_hue(node: NodeId) -> f32 {
    const INVERSE_GOLDEN_RATIO: f64 = 0.618_033_988_749_894_8;
    // The id's low 32 bits keep the product exact enough in an f64.
    ((node.0 & 0xffff_ffff) as f64 * INVERSE_GOLDEN_RATIO).fract() as f32
}

/// A node's value in the selection mask (post.wgsl outlines where it changes): a whole
/// number from 1 to [`super::MASK_VALUES`] from its hue, so node ids less than 987 apart
/// never share one. Meshes compute the same in mask.wgsl `vs_selection` from the hue in their
/// instance data; clouds and line sets are given it in their draw uniforms.
pub fn mask_value(node: NodeId) -> f32 {
    1.0 + (node_hue(node).clamp(0.0, 0.9999) * super::MASK_VALUES).floor()
}

/// The world-space sphere (centre, radius) around an uploaded mesh's bounds under
/// `world_from_local`; a point at the origin for a mesh that is not uploaded.
fn world_sphere(mesh: Option<&GpuMesh>, world_from_local: &Mat4) -> (Vec3, f32) {
    mesh.map(|me| {
        let b = me.bounds;
        let m = world_from_local;
        let scale = m
            .x_axis
            .length()
            .max(m.y_axis.length())
            .max(m.z_axis.length());
        let half_diagonal = ((b.max - b.min) * 0.5).length();
        (m.transform_point3(b.center()), half_diagonal * scale)
    })
    .unwrap_or((Vec3::ZERO, 0.0))
}

fn instance_of(node: NodeId, world_from_local: Mat4, (grade, relight): NodeLook) -> Instance {
    let n = Mat3::from_mat4(world_from_local).inverse().transpose();
    let n = if n.is_finite() { n } else { Mat3::IDENTITY };
    // The captured light's direction turned into world space: for a rotation and uniform
    // scale, b · n_local = (M b / |M b| · |b|) · n_world exactly.
    let [bx, by, bz, ambient] = relight.captured.packed();
    let b = Vec3::new(bx, by, bz);
    let b_world = (Mat3::from_mat4(world_from_local) * b).normalize_or_zero() * b.length();
    Instance {
        world_from_local: world_from_local.to_cols_array_2d(),
        normal_from_local: [
            n.x_axis.extend(node_hue(node)).to_array(),
            n.y_axis.extend(0.0).to_array(),
            n.z_axis.extend(0.0).to_array(),
        ],
        grade: grade.packed(),
        relight_model: b_world.extend(ambient).to_array(),
        relight: [relight.amount, 0.0, 0.0, 0.0],
    }
}

impl GpuScene {
    pub fn new(anisotropy: u16, material_bindings: MaterialBindings) -> Self {
        Self {
            anisotropy,
            material_bindings,
            ..Default::default()
        }
    }

    /// How the material bind group holds textures and samplers.
    pub fn material_bindings(&self) -> MaterialBindings {
        self.material_bindings
    }

    /// The texture slots the material bind group has: the first this many of
    /// [`TextureSlot::ALL`].
    fn bound_slots(&self) -> usize {
        match self.material_bindings {
            MaterialBindings::Shared => TEXTURE_SLOTS,
            MaterialBindings::PerSlot { bound } => bound.min(TEXTURE_SLOTS),
        }
    }

    /// Brings the GPU copy up to date with `scene`.
    pub fn sync(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        material_layout: &wgpu::BindGroupLayout,
        defaults: &Defaults,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        let rev = scene.revision();
        let seen = self.seen;
        let changed = |f: fn(&Revision) -> u64| seen.is_none_or(|s| f(&s) != f(&rev));
        let structure = changed(|r| r.structure);
        if structure {
            self.sync_meshes(device, scene, stats);
        }
        let mut lists_changed = false;
        if structure || changed(|r| r.materials) {
            lists_changed =
                self.sync_materials(device, queue, material_layout, defaults, scene, stats);
        }
        if structure || lists_changed || changed(|r| r.transforms) {
            self.sync_instances(device, queue, scene, stats);
        }
        if structure || changed(|r| r.transforms) || changed(|r| r.lights) {
            self.sync_lights(scene, stats);
            self.sun = scene.sun();
            self.bounds = scene.bounds();
        }
        self.seen = Some(rev);
    }

    /// Picks each mesh's level for a frame of `pixels` pixels ([`Detail::BySize`]), building
    /// the simplified levels of big meshes the first time; with [`Detail::Full`] every mesh
    /// draws whole.
    pub fn select_levels(
        &mut self,
        device: &wgpu::Device,
        scene: &Scene,
        detail: Detail,
        pixels: u64,
    ) {
        for (id, gpu) in &mut self.meshes {
            gpu.level = 0;
            if detail == Detail::Full || gpu.index_count / 3 < LOD_MIN_TRIANGLES {
                continue;
            }
            if !gpu.lods_built {
                gpu.lods_built = true;
                let Some(mesh) = scene.mesh(*id) else {
                    continue;
                };
                let indices = valid_triangles(mesh);
                gpu.lods = simplified_levels(&mesh.positions, &indices)
                    .into_iter()
                    .map(|level| {
                        let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                            label: Some("mesh level of detail"),
                            contents: bytemuck::cast_slice(&level),
                            usage: wgpu::BufferUsages::INDEX,
                        });
                        (buffer, level.len() as u32)
                    })
                    .collect();
            }
            let needed = pixels / PIXELS_PER_TRIANGLE;
            for (i, (_, count)) in gpu.lods.iter().enumerate() {
                if u64::from(count / 3) >= needed {
                    gpu.level = i + 1;
                }
            }
        }
    }

    /// Makes the edge lists of meshes that have none yet (for the wireframe overlay); a mesh
    /// keeps its list until its content changes.
    pub fn build_wires(
        &mut self,
        device: &wgpu::Device,
        layout: &wgpu::BindGroupLayout,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        // Quads bind both buffers whole: a mesh too large for one binding on this adapter
        // (2 M vertices where it allows 128 MiB) has no group, and only lines draw it.
        let limit = device.limits().max_storage_buffer_binding_size;
        for (id, gpu) in &mut self.meshes {
            if gpu.wire.is_some() {
                continue;
            }
            let Some(mesh) = scene.mesh(*id) else {
                continue;
            };
            let edges = mesh_edges(
                &valid_triangles(mesh),
                &crate::scene::Mesh::weld_map(&mesh.positions),
            );
            if edges.is_empty() {
                continue;
            }
            let bytes = (edges.len() * 4) as u64;
            stats.bytes += bytes;
            let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("mesh edges"),
                contents: bytemuck::cast_slice(&edges),
                usage: wgpu::BufferUsages::INDEX | wgpu::BufferUsages::STORAGE,
            });
            let group = (bytes <= limit && gpu.vertices.size() <= limit).then(|| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("mesh edges"),
                    layout,
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: 0,
                            resource: buffer.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: 1,
                            resource: gpu.vertices.as_entire_binding(),
                        },
                    ],
                })
            });
            if group.is_none() {
                log::warn!(
                    "a HiDPI wireframe leaves out a mesh of {} vertices: larger than one \
                     storage binding of this adapter ({limit} bytes)",
                    mesh.positions.len()
                );
            }
            gpu.wire = Some(Wire {
                indices: buffer,
                group,
                edges: (edges.len() / 2) as u32,
            });
        }
    }

    fn sync_meshes(&mut self, device: &wgpu::Device, scene: &Scene, stats: &mut UploadStats) {
        let mut alive = HashSet::new();
        for (id, mesh) in scene.meshes() {
            alive.insert(id);
            if self
                .meshes
                .get(&id)
                .is_some_and(|g| g.content_id == mesh.content_id())
            {
                continue;
            }
            let vertices: Vec<Vertex> = (0..mesh.positions.len())
                .map(|i| Vertex {
                    position: mesh.positions[i],
                    normal: mesh.normals.get(i).copied().unwrap_or([0.0, 1.0, 0.0]),
                    uv: mesh.uvs.get(i).copied().unwrap_or([0.0; 2]),
                    color: mesh.colors.get(i).copied().unwrap_or([1.0; 4]),
                    tangent: mesh.tangents.get(i).copied().unwrap_or([0.0; 4]),
                })
                .collect();
            let mut indices = valid_triangles(mesh);
            if indices.is_empty() || vertices.is_empty() {
                self.meshes.remove(&id);
                continue;
            }
            // wgpu wants buffer sizes in multiples of 4 bytes: u32 indices always are.
            indices.shrink_to_fit();
            let vb = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("mesh vertices"),
                contents: bytemuck::cast_slice(&vertices),
                // Storage too: the wireframe reads the vertices of each edge (wire.wgsl).
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::STORAGE,
            });
            let ib = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("mesh indices"),
                contents: bytemuck::cast_slice(&indices),
                usage: wgpu::BufferUsages::INDEX,
            });
            // The second UV set only where the mesh has one for every vertex.
            let uv1 = (mesh.uvs1.len() == mesh.positions.len()).then(|| {
                stats.bytes += (mesh.uvs1.len() * std::mem::size_of::<[f32; 2]>()) as u64;
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("mesh uv1"),
                    contents: bytemuck::cast_slice(&mesh.uvs1),
                    usage: wgpu::BufferUsages::VERTEX,
                })
            });
            stats.meshes += 1;
            stats.bytes +=
                (vertices.len() * std::mem::size_of::<Vertex>() + indices.len() * 4) as u64;
            self.meshes.insert(
                id,
                GpuMesh {
                    content_id: mesh.content_id(),
                    vertices: vb,
                    uv1,
                    indices: ib,
                    index_count: indices.len() as u32,
                    lods: Vec::new(),
                    lods_built: false,
                    level: 0,
                    wire: None,
                    bounds: mesh.bounds(),
                },
            );
        }
        self.meshes.retain(|id, _| alive.contains(id));
    }

    #[allow(clippy::too_many_arguments)] // Private helper; the GPU handles travel together.
    fn texture_view(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        slot: Option<TextureRef>,
        srgb: bool,
        fallback: &wgpu::TextureView,
        stats: &mut UploadStats,
    ) -> wgpu::TextureView {
        let Some(t) = slot else {
            return fallback.clone();
        };
        let Some(image) = scene.image(t.image) else {
            return fallback.clone();
        };
        let key = (t.image, srgb);
        if let Some(g) = self.textures.get(&key)
            && g.content_id == image.content_id()
        {
            return g.view.clone();
        }
        let (view, bytes) = create_texture(
            device,
            queue,
            &image.name,
            image.width,
            image.height,
            &image.rgba8,
            srgb,
        );
        stats.textures += 1;
        stats.bytes += bytes;
        self.textures.insert(
            key,
            GpuTexture {
                content_id: image.content_id(),
                view: view.clone(),
            },
        );
        view
    }

    fn sync_materials(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        layout: &wgpu::BindGroupLayout,
        defaults: &Defaults,
        scene: &Scene,
        stats: &mut UploadStats,
    ) -> bool {
        // Whether a material moved between the opaque and the display pass, or appeared or
        // went: the draw lists (`sync_instances`) must be rebuilt.
        let mut lists_changed = false;
        let mut alive = HashSet::new();
        for (id, m) in scene.materials() {
            alive.insert(id);
            let uniform = material_uniform(m);
            let mut slots = m.texture_slots();
            let bound_slots = self.bound_slots();
            for unbound in &mut slots[bound_slots..] {
                *unbound = None;
            }
            let textures: SlotBindings = slots.map(|t| t.map(|t| (t.image, t.sampler)));
            let blend = m.alpha_mode == AlphaMode::Blend;
            let layered = blend || m.is_transmissive();
            lists_changed |= self
                .materials
                .get(&id)
                .is_none_or(|g| g.layered() != layered);
            let mask = matches!(m.alpha_mode, AlphaMode::Mask { .. });
            if let Some(g) = self.materials.get_mut(&id)
                && g.textures == textures
            {
                if g.uniform != uniform {
                    queue.write_buffer(&g.buffer, 0, bytemuck::bytes_of(&uniform));
                    g.uniform = uniform;
                    stats.material_writes += 1;
                    stats.bytes += std::mem::size_of::<MaterialUniform>() as u64;
                }
                g.blend = blend;
                g.mask = mask;
                g.double_sided = m.double_sided;
                g.unlit = m.unlit;
                g.transmissive = m.is_transmissive();
                g.clearcoat = m.has_clearcoat();
                g.sheen = m.has_sheen();
                g.anisotropy = m.has_anisotropy();
                g.iridescence = m.has_iridescence();
                g.diffuse_transmission = m.has_diffuse_transmission();
                continue;
            }
            let bound = &slots[..bound_slots];
            let views: Vec<wgpu::TextureView> = bound
                .iter()
                .zip(TextureSlot::ALL)
                .map(|(slot, kind)| {
                    let srgb = kind.is_srgb();
                    let fallback = match kind {
                        TextureSlot::Normal | TextureSlot::ClearcoatNormal => &defaults.flat_normal,
                        _ if srgb => &defaults.white_srgb,
                        _ => &defaults.white_linear,
                    };
                    self.texture_view(device, queue, scene, *slot, srgb, fallback, stats)
                })
                .collect();
            // The slots' samplers: shared, or each slot its own (an empty slot the default
            // one); wgpu samplers from the cache.
            let slot_sampler_list: Vec<Option<Sampler>> =
                bound.iter().map(|t| t.map(|t| t.sampler)).collect();
            let (wanted, slot_samplers) = match self.material_bindings {
                MaterialBindings::Shared => shared_samplers(&slot_sampler_list),
                MaterialBindings::PerSlot { .. } => (
                    slot_sampler_list
                        .iter()
                        .map(|s| s.unwrap_or_default())
                        .collect(),
                    0,
                ),
            };
            let samplers: Vec<wgpu::Sampler> = wanted
                .iter()
                .map(|s| {
                    let desc = sampler_desc(s, self.anisotropy);
                    self.samplers
                        .entry(SamplerKey::of(&desc))
                        .or_insert_with(|| {
                            stats.samplers += 1;
                            device.create_sampler(&desc)
                        })
                        .clone()
                })
                .collect();
            // Unused shared samplers repeat the first.
            let sampler_bindings = match self.material_bindings {
                MaterialBindings::Shared => MATERIAL_SAMPLERS,
                MaterialBindings::PerSlot { .. } => samplers.len(),
            };
            let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("material"),
                contents: bytemuck::bytes_of(&uniform),
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            });
            stats.material_writes += 1;
            stats.bytes += std::mem::size_of::<MaterialUniform>() as u64;
            let mut entries = vec![wgpu::BindGroupEntry {
                binding: 0,
                resource: buffer.as_entire_binding(),
            }];
            for (i, v) in views.iter().enumerate() {
                entries.push(wgpu::BindGroupEntry {
                    binding: i as u32 + 1,
                    resource: wgpu::BindingResource::TextureView(v),
                });
            }
            for i in 0..sampler_bindings {
                entries.push(wgpu::BindGroupEntry {
                    binding: MATERIAL_SAMPLER_BINDING + i as u32,
                    resource: wgpu::BindingResource::Sampler(
                        samplers.get(i).unwrap_or(&samplers[0]),
                    ),
                });
            }
            stats.material_bind_groups += 1;
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&m.name),
                layout,
                entries: &entries,
            });
            self.materials.insert(
                id,
                GpuMaterial {
                    uniform,
                    textures,
                    buffer,
                    bind_group,
                    blend,
                    mask,
                    double_sided: m.double_sided,
                    unlit: m.unlit,
                    transmissive: m.is_transmissive(),
                    clearcoat: m.has_clearcoat(),
                    sheen: m.has_sheen(),
                    anisotropy: m.has_anisotropy(),
                    iridescence: m.has_iridescence(),
                    diffuse_transmission: m.has_diffuse_transmission(),
                    slot_samplers,
                },
            );
        }
        let before = self.materials.len();
        self.materials.retain(|id, _| alive.contains(id));
        lists_changed |= self.materials.len() != before;
        // Every slot's image, in the encoding the slot samples it with.
        let used: HashSet<(ImageId, bool)> = scene
            .materials()
            .flat_map(|(_, m)| {
                m.texture_slots()
                    .into_iter()
                    .zip(TextureSlot::ALL)
                    .filter_map(|(t, slot)| t.map(|t| (t.image, slot.is_srgb())))
            })
            .collect();
        self.textures.retain(|k, _| used.contains(k));
        lists_changed
    }

    fn sync_instances(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        stats: &mut UploadStats,
    ) {
        let mut groups: BTreeMap<(MaterialId, MeshId, bool), Vec<DrawnNode>> = BTreeMap::new();
        let mut blended: Vec<(NodeId, MaterialId, MeshId, Mat4, NodeLook)> = Vec::new();
        for wn in scene.walk() {
            if !wn.visible {
                continue;
            }
            if let NodeKind::Mesh { mesh, material } = wn.node.kind {
                if !self.meshes.contains_key(&mesh) {
                    continue;
                }
                let blend = self.materials.get(&material).is_some_and(|m| m.layered());
                let grade = (wn.node.grade, wn.node.relight);
                if blend {
                    blended.push((wn.node.id, material, mesh, wn.world_from_local, grade));
                } else {
                    let mirrored = mirrors(&wn.world_from_local);
                    groups.entry((material, mesh, mirrored)).or_default().push((
                        wn.node.id,
                        wn.world_from_local,
                        grade,
                    ));
                }
            }
        }
        let mut instances = Vec::new();
        self.opaque.clear();
        self.blended.clear();
        self.node_instances.clear();
        for ((material, mesh, mirrored), items) in groups {
            let first = instances.len() as u32;
            for (node, m, grade) in &items {
                self.node_instances
                    .insert(*node, (mesh, instances.len() as u32));
                instances.push(instance_of(*node, *m, *grade));
            }
            self.opaque.push(Batch {
                mesh,
                material,
                first_instance: first,
                instance_count: items.len() as u32,
                mirrored,
                center: Vec3::ZERO,
                radius: 0.0,
            });
        }
        for (node, material, mesh, m, grade) in blended {
            let idx = instances.len() as u32;
            let (center, radius) = world_sphere(self.meshes.get(&mesh), &m);
            self.node_instances.insert(node, (mesh, idx));
            instances.push(instance_of(node, m, grade));
            self.blended.push(Batch {
                mesh,
                material,
                first_instance: idx,
                instance_count: 1,
                mirrored: mirrors(&m),
                center,
                radius,
            });
        }
        if instances.is_empty() {
            return;
        }
        if self.instance_buffer.is_none() || self.instance_capacity < instances.len() {
            self.instance_capacity = instances.len().next_power_of_two();
            self.instance_buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("instances"),
                size: (self.instance_capacity * std::mem::size_of::<Instance>()) as u64,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        if let Some(buf) = &self.instance_buffer {
            queue.write_buffer(buf, 0, bytemuck::cast_slice(&instances));
            stats.instance_writes += 1;
            stats.bytes += (instances.len() * std::mem::size_of::<Instance>()) as u64;
        }
    }

    fn sync_lights(&mut self, scene: &Scene, stats: &mut UploadStats) {
        self.lights.clear();
        for wn in scene.walk() {
            let NodeKind::Light(l) = &wn.node.kind else {
                continue;
            };
            if !wn.visible {
                continue;
            }
            let pos = wn.world_from_local.transform_point3(Vec3::ZERO);
            let dir = wn
                .world_from_local
                .transform_vector3(Vec3::NEG_Z)
                .normalize_or(Vec3::NEG_Y);
            let color = Vec3::from(l.color) * l.intensity.max(0.0);
            let range = l.range.unwrap_or(0.0).max(0.0);
            let (kind, spot) = match l.kind {
                LightKind::Directional => continue,
                LightKind::Point => (0.0, [0.0; 4]),
                LightKind::Spot {
                    inner_cone_rad,
                    outer_cone_rad,
                } => {
                    let cos_outer = outer_cone_rad.cos();
                    let cos_inner = inner_cone_rad.min(outer_cone_rad - 1e-4).cos();
                    let scale = 1.0 / (cos_inner - cos_outer).max(1e-3);
                    (1.0, [scale, -cos_outer * scale, 0.0, 0.0])
                }
            };
            self.lights.push(GpuLight {
                position_range: [pos.x, pos.y, pos.z, range],
                direction_kind: [dir.x, dir.y, dir.z, kind],
                color: [color.x, color.y, color.z, 0.0],
                spot,
            });
        }
        stats.light_writes += 1;
        stats.bytes += (self.lights.len() * std::mem::size_of::<GpuLight>()) as u64;
    }

    /// Rebuilds the icon lines when lights/cameras moved or the selection changed.
    pub fn sync_lines(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        scene: &Scene,
        selection: &[NodeId],
        overlays: super::Overlays,
    ) {
        let rev = scene.revision();
        let key = (
            rev.transforms ^ rev.structure.rotate_left(17) ^ rev.timeline.rotate_left(34),
            rev.lights,
            selection.to_vec(),
            overlays,
        );
        if self.lines_key.as_ref() == Some(&key) {
            return;
        }
        self.lines = if overlays.icons {
            let mut lines = super::icons::icon_lines(scene, selection);
            lines.extend(super::icons::path_lines(scene, selection, overlays.paths));
            lines
        } else {
            Vec::new()
        };
        self.bone_start = self.lines.len();
        if overlays.bones {
            self.lines
                .extend(super::icons::bone_lines(&scene.bones(), selection));
        }
        self.lines_key = Some(key);
        if self.lines.is_empty() {
            return;
        }
        if self.line_buffer.is_none() || self.line_capacity < self.lines.len() {
            self.line_capacity = self.lines.len().next_power_of_two();
            self.line_buffer = Some(device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("icon lines"),
                size: (self.line_capacity * std::mem::size_of::<LineVertex>()) as u64,
                usage: wgpu::BufferUsages::VERTEX | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            }));
        }
        if let Some(b) = &self.line_buffer {
            queue.write_buffer(b, 0, bytemuck::cast_slice(&self.lines));
        }
    }
}

#[cfg(test)]
mod mip_tests {
    use super::*;

    #[test]
    fn mips_average_in_linear_light_down_to_one_texel() {
        // A 4x2 image: left half black, right half white.
        let mut px = Vec::new();
        for _y in 0..2 {
            for x in 0..4 {
                let v = if x < 2 { 0 } else { 255 };
                px.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let levels = mip_chain(4, 2, &px, true);
        let dims: Vec<(u32, u32)> = levels.iter().map(|l| (l.0, l.1)).collect();
        assert_eq!(dims, vec![(2, 1), (1, 1)]);
        // Average of black and white in linear light is 0.5 → sRGB 188, not 128.
        let last = &levels[1].2;
        assert!((186..=190).contains(&last[0]), "{last:?}");
        assert_eq!(last[3], 255);
        let linear = mip_chain(4, 2, &px, false);
        assert!((127..=128).contains(&linear[1].2[0]), "{:?}", linear[1].2);
    }

    #[test]
    fn odd_sizes_and_constant_images_are_stable() {
        let px: Vec<u8> = [[10u8, 200, 77, 128]; 15].concat();
        for srgb in [true, false] {
            let levels = mip_chain(5, 3, &px, srgb);
            assert_eq!((levels[0].0, levels[0].1), (2, 1));
            for (_, _, data) in &levels {
                for t in data.chunks_exact(4) {
                    for (a, b) in t.iter().zip([10u8, 200, 77, 128]) {
                        assert!(a.abs_diff(b) <= 1, "{t:?}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod sampler_tests {
    use super::*;
    use crate::scene::MinFilter;

    fn sampler(wrap: Wrap, filter: Filter) -> Sampler {
        Sampler {
            wrap_s: wrap,
            wrap_t: wrap,
            mag_filter: filter,
            ..Sampler::default()
        }
    }

    fn slot_of(map: u64, slot: usize) -> usize {
        ((map >> (2 * slot)) & 3) as usize
    }

    #[test]
    fn slots_share_equal_samplers_and_keep_distinct_ones() {
        let repeat = Sampler::default();
        let clamp = sampler(Wrap::ClampToEdge, Filter::Linear);
        let nearest = sampler(Wrap::Repeat, Filter::Nearest);
        let slots = [Some(clamp), None, Some(repeat), Some(clamp), Some(nearest)];
        let (kept, map) = shared_samplers(&slots);
        assert_eq!(kept, vec![clamp, repeat, nearest]);
        assert_eq!(
            (0..5).map(|i| slot_of(map, i)).collect::<Vec<_>>(),
            [0, 0, 1, 0, 2]
        );
        // No textures: one default sampler.
        let (kept, map) = shared_samplers(&[None, None]);
        assert_eq!((kept, map), (vec![Sampler::default()], 0));
    }

    #[test]
    fn a_fifth_distinct_sampler_reads_the_most_similar_kept_one() {
        let wraps = [Wrap::Repeat, Wrap::ClampToEdge, Wrap::MirroredRepeat];
        let mut slots: Vec<Option<Sampler>> = wraps
            .iter()
            .map(|&w| Some(sampler(w, Filter::Linear)))
            .collect();
        // The fourth: nearest magnification, clamped.
        slots.push(Some(sampler(Wrap::ClampToEdge, Filter::Nearest)));
        // The fifth: nearest, mirrored, with a different minification filter. Same filters as
        // none kept; the fourth shares its magnification only, so the wrap decides: the
        // mirrored one (kept third).
        let fifth = Sampler {
            min_filter: MinFilter::Nearest,
            ..sampler(Wrap::MirroredRepeat, Filter::Nearest)
        };
        slots.push(Some(fifth));
        // A sixth like the fourth but mirrored: the fourth's filters win over the wrap.
        slots.push(Some(sampler(Wrap::MirroredRepeat, Filter::Nearest)));
        let (kept, map) = shared_samplers(&slots);
        assert_eq!(kept.len(), MATERIAL_SAMPLERS);
        assert_eq!(
            (0..6).map(|i| slot_of(map, i)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 2, 3]
        );
    }

    #[test]
    fn pipelines_see_only_the_samplers_of_sampled_slots() {
        let map = 0b11_10_01_00u64 | (2 << (2 * (TEXTURE_SLOTS - 1)));
        // Slots 1 and 3 sampled.
        assert_eq!(sampled_slot_samplers(map, 0b1010), 0b11_00_01_00);
        // The last slot's bits, past the first 32.
        let last = 1 << (TEXTURE_SLOTS - 1);
        assert_eq!(
            sampled_slot_samplers(map, last),
            2 << (2 * (TEXTURE_SLOTS - 1))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_values_are_whole_in_range_and_apart_for_ids_less_than_987_apart() {
        let values: Vec<f32> = (0..4000).map(|i| mask_value(NodeId(i))).collect();
        assert!(
            values
                .iter()
                .all(|v| v.fract() == 0.0 && (1.0..=super::super::MASK_VALUES).contains(v))
        );
        for (i, a) in values.iter().enumerate() {
            for (d, b) in values[i + 1..].iter().take(986).enumerate() {
                assert_ne!(a, b, "ids {i} and {} share {a}", i + d + 1);
            }
        }
        // 987 apart they may (the claim's bound is tight).
        assert!((0..4000).any(|i| mask_value(NodeId(i)) == mask_value(NodeId(i + 987))));
    }

    #[test]
    fn node_hues_are_spread_and_stable() {
        let hues: Vec<f32> = (0..1000).map(|i| node_hue(NodeId(i))).collect();
        assert!(hues.iter().all(|h| (0.0..1.0).contains(h)));
        assert_eq!(node_hue(NodeId(7)), hues[7], "the same node, the same hue");
        // Spread over the circle: every tenth of it gets its share.
        for tenth in 0..10 {
            let n = hues
                .iter()
                .filter(|h| (**h * 10.0) as usize == tenth)
                .count();
            assert!((90..=110).contains(&n), "tenth {tenth}: {n}");
        }
        // Within any ten consecutive ids, no two hues closer than 0.05 around the wheel.
        let apart = |a: f32, b: f32| {
            let d = (a - b).abs();
            d.min(1.0 - d)
        };
        for window in hues.windows(10) {
            for (i, a) in window.iter().enumerate() {
                for b in &window[i + 1..] {
                    assert!(apart(*a, *b) > 0.05, "{window:?}");
                }
            }
        }
    }

    #[test]
    fn mesh_edges_lists_each_edge_once() {
        // A quad of two triangles sharing the diagonal 0–2, one degenerate triangle.
        let edges = mesh_edges(&[0, 1, 2, 0, 2, 3, 4, 4, 5], &[]);
        let mut pairs: Vec<(u32, u32)> = edges.chunks_exact(2).map(|e| (e[0], e[1])).collect();
        pairs.sort_unstable();
        assert_eq!(pairs, [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3), (4, 5)]);
        // A closed box: 12 triangles over 8 corners share 18 edges.
        let cube = crate::generate::shapes::cube(1.0);
        assert_eq!(cube.indices.len(), 36);
        assert!(cube.positions.len() > 8, "split at the hard edges");
        let weld = crate::scene::Mesh::weld_map(&cube.positions);
        let edges = mesh_edges(&cube.indices, &weld);
        assert_eq!(edges.len() / 2, 18);
        // Each line joins two different corners.
        let corners: std::collections::HashSet<u32> = edges.iter().copied().collect();
        assert_eq!(corners.len(), 8);
        // Unwelded, the faces' shared edges come twice.
        assert_eq!(mesh_edges(&cube.indices, &[]).len() / 2, 30);
        assert!(mesh_edges(&[], &[]).is_empty());
    }
}
