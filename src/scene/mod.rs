//! `scene` owns the plain data of a world: nodes in a hierarchy, meshes, materials, lights,
//! cameras and the environment (sky, exposure, tone mapping).
//!
//! It never touches the GPU, egui or winit. Geometry is shared through `Arc` so snapshots are
//! cheap, and every collection is keyed by a stable id, never by a position that shifts.
//! The renderer detects what changed through [`Scene::revision`] and per-mesh content ids.

mod camera;
mod clouds;
pub mod color;
mod hash;
mod mask;
pub mod morph;
mod parts;
pub mod relight;
pub mod skin;
mod structure;
pub mod sun;
mod timeline;
mod variants;

pub use camera::{CameraView, DEFAULT_ORTHO_DEPTH, OrbitCamera, Ortho, ViewAxis, ui_scale};
pub use clouds::{
    PointCloud, SH_C0, SplatCloud, SplatShapeError, axis_quantiles, framing_bounds_of,
};
pub use hash::scene_hash;
pub use mask::{Combine, ElementMask};
pub use parts::{SceneError, SceneParts};
pub use relight::{CapturedLight, Relight};
pub use structure::{ResourceIds, Resources, StructureError, Subtree};
pub use timeline::{
    Channel, FRAME_RATES, Handles, Interpolation, Key, MAX_COMPONENTS, MAX_PATH_POINTS,
    MAX_SHOT_FRAMES, MAX_SHOT_SIDE, MotionPath, Shot, ShotId, Timeline, Track, Value, motion_path,
    motion_path_within, timecode,
};
pub use variants::{
    EnvironmentOverride, MaterialOverride, NodeOverride, Overrides, Variant, VariantId, Variants,
};

use glam::{Mat3, Mat4, Quat, Vec2, Vec3};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Stable id of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u64);
/// Stable id of a mesh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MeshId(pub u64);
/// Stable id of a material.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MaterialId(pub u64);
/// Stable id of a point cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PointCloudId(pub u64);
/// Stable id of a Gaussian splat cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SplatCloudId(pub u64);
/// Stable id of an image (texture source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ImageId(pub u64);

/// Translation, rotation and scale of a node relative to its parent (`parent_from_local`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    pub translation: Vec3,
    pub rotation: Quat,
    pub scale: Vec3,
}

impl Default for Transform {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl Transform {
    pub const IDENTITY: Self = Self {
        translation: Vec3::ZERO,
        rotation: Quat::IDENTITY,
        scale: Vec3::ONE,
    };

    pub fn from_translation(translation: Vec3) -> Self {
        Self {
            translation,
            ..Self::IDENTITY
        }
    }

    pub fn with_rotation(mut self, rotation: Quat) -> Self {
        self.rotation = rotation;
        self
    }

    pub fn with_scale(mut self, scale: Vec3) -> Self {
        self.scale = scale;
        self
    }

    /// A transform at `eye` whose -Z axis looks at `target` (Y up).
    pub fn looking_at(eye: Vec3, target: Vec3) -> Self {
        let world_from_view = Mat4::look_at_rh(eye, target, Vec3::Y).inverse();
        let (_, rotation, translation) = world_from_view.to_scale_rotation_translation();
        Self::from_translation(translation).with_rotation(rotation)
    }

    /// A rotation-only transform whose -Z axis (the way lights and cameras point) runs along
    /// `direction`; e.g. a sun shining from `to_sun` is `Transform::pointing(-to_sun)`.
    pub fn pointing(direction: Vec3) -> Self {
        let direction = direction.normalize_or(Vec3::NEG_Z);
        Self::IDENTITY.with_rotation(Quat::from_rotation_arc(Vec3::NEG_Z, direction))
    }

    /// The matrix `parent_from_local`.
    pub fn matrix(&self) -> Mat4 {
        Mat4::from_scale_rotation_translation(self.scale, self.rotation, self.translation)
    }
}

/// Vertex data of one triangle list with one material. Immutable once built: an edit replaces
/// the whole `Arc<Mesh>`, which gives it a new [`Mesh::content_id`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Mesh {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    /// Texture coordinates (set 0); empty when the mesh has none.
    pub uvs: Vec<[f32; 2]>,
    /// Second texture-coordinate set (glTF `TEXCOORD_1`); empty when the mesh has none, and
    /// then a texture slot that asks for set 1 reads set 0. Only meshes that have it pay for
    /// it, here and on the GPU.
    #[serde(default)]
    pub uvs1: Vec<[f32; 2]>,
    /// Linear RGBA vertex colours; empty when the mesh has none.
    pub colors: Vec<[f32; 4]>,
    /// Tangents (xyz, w = handedness); empty means "derive in the shader".
    pub tangents: Vec<[f32; 4]>,
    pub indices: Vec<u32>,
    /// The parametric shape this mesh was generated from (Add ▸ Cube…), so its parameters
    /// stay editable; `None` for imported or edited geometry.
    #[serde(default)]
    pub primitive: Option<Primitive>,
    #[serde(skip, default = "next_content_id")]
    content_id: u64,
}

/// A parametric shape (Add menu); sizes in metres, the shape centred on the origin.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Primitive {
    Cube {
        size: f32,
    },
    UvSphere {
        radius: f32,
        segments: u32,
        rings: u32,
    },
    Plane {
        size: f32,
        subdivisions: u32,
    },
    Cylinder {
        radius: f32,
        height: f32,
        segments: u32,
    },
    Cone {
        radius: f32,
        height: f32,
        segments: u32,
    },
    Torus {
        major_radius: f32,
        minor_radius: f32,
        major_segments: u32,
        minor_segments: u32,
    },
}

impl Primitive {
    /// Every shape with its default parameters, in menu order.
    pub const ALL: [Primitive; 6] = [
        Primitive::Cube { size: 1.0 },
        Primitive::UvSphere {
            radius: 0.5,
            segments: 32,
            rings: 16,
        },
        Primitive::Plane {
            size: 2.0,
            subdivisions: 1,
        },
        Primitive::Cylinder {
            radius: 0.5,
            height: 1.0,
            segments: 32,
        },
        Primitive::Cone {
            radius: 0.5,
            height: 1.0,
            segments: 32,
        },
        Primitive::Torus {
            major_radius: 0.5,
            minor_radius: 0.15,
            major_segments: 48,
            minor_segments: 16,
        },
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Primitive::Cube { .. } => "Cube",
            Primitive::UvSphere { .. } => "Sphere",
            Primitive::Plane { .. } => "Plane",
            Primitive::Cylinder { .. } => "Cylinder",
            Primitive::Cone { .. } => "Cone",
            Primitive::Torus { .. } => "Torus",
        }
    }
}

static NEXT_CONTENT_ID: AtomicU64 = AtomicU64::new(1);

fn next_content_id() -> u64 {
    NEXT_CONTENT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Axis-aligned bounding box.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aabb {
    pub min: Vec3,
    pub max: Vec3,
}

/// Which extent of a captured cloud a bounds query wants: every point, or the central part
/// a view should frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Extent {
    Exact,
    Framing,
}

impl Default for Aabb {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl Aabb {
    pub const EMPTY: Self = Self {
        min: Vec3::splat(f32::INFINITY),
        max: Vec3::splat(f32::NEG_INFINITY),
    };

    pub fn is_empty(&self) -> bool {
        self.min.x > self.max.x
    }

    pub fn extend(&mut self, p: Vec3) {
        self.min = self.min.min(p);
        self.max = self.max.max(p);
    }

    pub fn union(&self, other: &Aabb) -> Aabb {
        Aabb {
            min: self.min.min(other.min),
            max: self.max.max(other.max),
        }
    }

    pub fn center(&self) -> Vec3 {
        (self.min + self.max) * 0.5
    }

    pub fn size(&self) -> Vec3 {
        self.max - self.min
    }

    /// The box that contains this box transformed by `world_from_local`.
    pub fn transformed(&self, world_from_local: &Mat4) -> Aabb {
        let mut out = Aabb::EMPTY;
        if self.is_empty() {
            return out;
        }
        for corner in self.corners() {
            out.extend(world_from_local.transform_point3(corner));
        }
        out
    }

    /// The box's eight corners (meaningless for an empty box).
    pub fn corners(&self) -> [Vec3; 8] {
        std::array::from_fn(|i| {
            Vec3::new(
                if i & 1 == 0 { self.min.x } else { self.max.x },
                if i & 2 == 0 { self.min.y } else { self.max.y },
                if i & 4 == 0 { self.min.z } else { self.max.z },
            )
        })
    }
}

impl Mesh {
    /// For each vertex, the first vertex with bit-identical position (its weld
    /// representative): the vertices a seam or a hard edge split are one corner again.
    pub fn weld_map(positions: &[[f32; 3]]) -> Vec<u32> {
        let mut first: std::collections::HashMap<[u32; 3], u32> =
            std::collections::HashMap::with_capacity(positions.len());
        positions
            .iter()
            .enumerate()
            .map(|(i, p)| {
                // +0.0 and -0.0 are the same place.
                let key = p.map(|c| if c == 0.0 { 0 } else { c.to_bits() });
                *first.entry(key).or_insert(i as u32)
            })
            .collect()
    }

    /// Builds a mesh; `normals` must match `positions` in length (or be empty to compute
    /// smooth normals); `uvs`, `colors`, `tangents` must match or be empty.
    pub fn new(
        positions: Vec<[f32; 3]>,
        normals: Vec<[f32; 3]>,
        uvs: Vec<[f32; 2]>,
        colors: Vec<[f32; 4]>,
        indices: Vec<u32>,
    ) -> Self {
        let mut mesh = Self {
            positions,
            normals,
            uvs,
            uvs1: Vec::new(),
            colors,
            tangents: Vec::new(),
            indices,
            primitive: None,
            content_id: next_content_id(),
        };
        if mesh.normals.len() != mesh.positions.len() {
            mesh.normals = mesh.smooth_normals();
        }
        mesh
    }

    /// A copy of the data under a new content id, to change and store as a new mesh (a
    /// plain `clone` keeps the id and so would look unchanged to the renderer).
    pub fn clone_data(&self) -> Mesh {
        Mesh {
            content_id: next_content_id(),
            ..self.clone()
        }
    }

    /// Bytes held by the vertex and index arrays (for benchmarks and undo accounting).
    pub fn byte_size(&self) -> usize {
        (self.positions.len() + self.normals.len()) * 12
            + (self.uvs.len() + self.uvs1.len()) * 8
            + (self.colors.len() + self.tangents.len()) * 16
            + self.indices.len() * 4
    }

    /// An id that changes whenever the mesh content is replaced (not serialized).
    pub fn content_id(&self) -> u64 {
        self.content_id
    }

    pub fn vertex_count(&self) -> usize {
        self.positions.len()
    }

    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }

    pub fn bounds(&self) -> Aabb {
        let mut b = Aabb::EMPTY;
        for p in &self.positions {
            b.extend(Vec3::from(*p));
        }
        b
    }

    /// The texture coordinates a slot on `uv_set` reads: set 1 when asked for and present,
    /// otherwise set 0 (the renderer falls back the same way).
    pub fn uv_set(&self, uv_set: u32) -> &[[f32; 2]] {
        if uv_set == 1 && !self.uvs1.is_empty() {
            &self.uvs1
        } else {
            &self.uvs
        }
    }

    /// Area-weighted smooth vertex normals from the triangles.
    pub fn smooth_normals(&self) -> Vec<[f32; 3]> {
        let mut acc = vec![Vec3::ZERO; self.positions.len()];
        for tri in self.indices.chunks_exact(3) {
            let (Some(a), Some(b), Some(c)) = (
                self.positions.get(tri[0] as usize),
                self.positions.get(tri[1] as usize),
                self.positions.get(tri[2] as usize),
            ) else {
                continue;
            };
            let (a, b, c) = (Vec3::from(*a), Vec3::from(*b), Vec3::from(*c));
            let n = (b - a).cross(c - a);
            for &i in tri {
                if let Some(slot) = acc.get_mut(i as usize) {
                    *slot += n;
                }
            }
        }
        acc.into_iter()
            .map(|n| n.try_normalize().unwrap_or(Vec3::Y).to_array())
            .collect()
    }
}

/// How a material's alpha is used (glTF `alphaMode`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum AlphaMode {
    Opaque,
    /// Fragments with alpha below the cutoff are discarded.
    Mask {
        cutoff: f32,
    },
    /// Alpha-blended, drawn after opaque objects sorted back to front.
    Blend,
}

/// Which image a material slot samples, how, and at which texture coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextureRef {
    pub image: ImageId,
    pub sampler: Sampler,
    /// The mesh's texture-coordinate set this slot reads: 0 (`TEXCOORD_0`) or 1
    /// (`TEXCOORD_1`), already resolved from glTF's `texCoord` and the KHR_texture_transform
    /// `texCoord` override. Any other value, or 1 on a mesh without a second set, reads set 0.
    #[serde(default)]
    pub uv_set: u32,
    /// This slot's own KHR_texture_transform.
    #[serde(default)]
    pub transform: UvTransform,
}

impl TextureRef {
    /// A slot on texture-coordinate set 0 with no transform.
    pub fn new(image: ImageId, sampler: Sampler) -> Self {
        Self {
            image,
            sampler,
            uv_set: 0,
            transform: UvTransform::IDENTITY,
        }
    }
}

/// A KHR_texture_transform: `uv' = T(offset) · R(rotation) · S(scale) · uv`, rotation in
/// radians counter-clockwise in UV space, as the extension defines it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UvTransform {
    pub offset: [f32; 2],
    pub rotation: f32,
    pub scale: [f32; 2],
}

impl Default for UvTransform {
    fn default() -> Self {
        Self::IDENTITY
    }
}

impl UvTransform {
    pub const IDENTITY: Self = Self {
        offset: [0.0; 2],
        rotation: 0.0,
        scale: [1.0; 2],
    };

    /// Whether this transform leaves coordinates unchanged.
    pub fn is_identity(&self) -> bool {
        *self == Self::IDENTITY
    }

    /// The transform as a 3x3 matrix acting on `(u, v, 1)` column vectors
    /// (`transformed_from_uv`). The rotation is the ratified extension's reference
    /// `mat3(cos, -sin, 0, sin, cos, 0, 0, 0, 1)` (GLSL, column-major), i.e. rows `[c, s]`
    /// and `[-s, c]` (the convention the material-wide transform always used).
    pub fn matrix(&self) -> Mat3 {
        let (s, c) = self.rotation.sin_cos();
        let translation = Mat3::from_translation(Vec2::from(self.offset));
        let rotation = Mat3::from_cols(
            Vec3::new(c, -s, 0.0),
            Vec3::new(s, c, 0.0),
            Vec3::new(0.0, 0.0, 1.0),
        );
        let scale = Mat3::from_scale(Vec2::from(self.scale));
        translation * rotation * scale
    }

    /// Applies the transform to one coordinate pair.
    pub fn apply(&self, uv: [f32; 2]) -> [f32; 2] {
        self.matrix().transform_point2(Vec2::from(uv)).to_array()
    }
}

/// How a texture slot is filtered and wrapped: a glTF sampler, kept whole (separate wrap
/// modes for u and v, separate magnification and minification filters, the latter with its
/// mipmap mode).
///
/// Saved scenes from before the split stored `{ wrap, linear }`; they still load, as the
/// sampler the renderer drew them with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "SamplerFields")]
pub struct Sampler {
    /// Wrapping across u (glTF `wrapS`).
    pub wrap_s: Wrap,
    /// Wrapping across v (glTF `wrapT`).
    pub wrap_t: Wrap,
    /// Filter when a texel covers more than a pixel (glTF `magFilter`).
    pub mag_filter: Filter,
    /// Filter when a pixel covers more than a texel, with its mipmap mode (glTF `minFilter`).
    pub min_filter: MinFilter,
}

impl Default for Sampler {
    /// glTF's default for a texture without a sampler: repeat both ways, linear, trilinear.
    fn default() -> Self {
        Self {
            wrap_s: Wrap::Repeat,
            wrap_t: Wrap::Repeat,
            mag_filter: Filter::Linear,
            min_filter: MinFilter::LinearMipmapLinear,
        }
    }
}

impl Sampler {
    /// The same wrap mode both ways and nearest filtering everywhere (mipmaps included):
    /// hard texel edges, as pixel-art or lookup textures want.
    pub fn nearest(wrap: Wrap) -> Self {
        Self {
            wrap_s: wrap,
            wrap_t: wrap,
            mag_filter: Filter::Nearest,
            min_filter: MinFilter::NearestMipmapNearest,
        }
    }
}

impl std::fmt::Display for Sampler {
    /// One short line for the inspector: `wrap s/t, mag/min`, the wrap once when both agree,
    /// e.g. `repeat, linear/linear-mip-linear` or `clamp/mirror, nearest/nearest`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.wrap_s == self.wrap_t {
            write!(f, "{}", self.wrap_s.short_name())?;
        } else {
            write!(
                f,
                "{}/{}",
                self.wrap_s.short_name(),
                self.wrap_t.short_name()
            )?;
        }
        write!(
            f,
            ", {}/{}",
            self.mag_filter.short_name(),
            self.min_filter.short_name()
        )
    }
}

/// What a [`Sampler`] deserializes from: today's fields, or the older `wrap` (both ways) and
/// `linear` (linear with linear mipmaps, else nearest with nearest mipmaps — what the
/// renderer drew those with). A field missing from both takes glTF's default.
#[derive(Deserialize)]
struct SamplerFields {
    wrap_s: Option<Wrap>,
    wrap_t: Option<Wrap>,
    mag_filter: Option<Filter>,
    min_filter: Option<MinFilter>,
    /// Older scenes: one wrap mode for both directions.
    wrap: Option<Wrap>,
    /// Older scenes: linear filtering with mipmaps when true, nearest otherwise.
    linear: Option<bool>,
}

impl From<SamplerFields> for Sampler {
    fn from(f: SamplerFields) -> Self {
        let d = Self::default();
        let (old_mag, old_min) = match f.linear {
            Some(false) => (Filter::Nearest, MinFilter::NearestMipmapNearest),
            Some(true) | None => (d.mag_filter, d.min_filter),
        };
        Self {
            wrap_s: f.wrap_s.or(f.wrap).unwrap_or(d.wrap_s),
            wrap_t: f.wrap_t.or(f.wrap).unwrap_or(d.wrap_t),
            mag_filter: f.mag_filter.unwrap_or(old_mag),
            min_filter: f.min_filter.unwrap_or(old_min),
        }
    }
}

/// Texture wrap mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wrap {
    #[default]
    Repeat,
    MirroredRepeat,
    ClampToEdge,
}

impl Wrap {
    /// A word for the inspector.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Repeat => "repeat",
            Self::MirroredRepeat => "mirror",
            Self::ClampToEdge => "clamp",
        }
    }
}

/// Texel filter (glTF `magFilter`, and the texel part of `minFilter`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Filter {
    Nearest,
    #[default]
    Linear,
}

impl Filter {
    /// A word for the inspector.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Nearest => "nearest",
            Self::Linear => "linear",
        }
    }
}

/// Minification filter with its mipmap mode: glTF's six `minFilter` values. The first word
/// filters texels within a level, the second chooses between levels; the two without a
/// mipmap part read the full-size level only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MinFilter {
    Nearest,
    Linear,
    NearestMipmapNearest,
    LinearMipmapNearest,
    NearestMipmapLinear,
    #[default]
    LinearMipmapLinear,
}

impl MinFilter {
    /// The filter within one mip level.
    pub fn texel(self) -> Filter {
        match self {
            Self::Nearest | Self::NearestMipmapNearest | Self::NearestMipmapLinear => {
                Filter::Nearest
            }
            Self::Linear | Self::LinearMipmapNearest | Self::LinearMipmapLinear => Filter::Linear,
        }
    }

    /// The filter between mip levels, or `None` when only the full-size level is read.
    pub fn mipmap(self) -> Option<Filter> {
        match self {
            Self::Nearest | Self::Linear => None,
            Self::NearestMipmapNearest | Self::LinearMipmapNearest => Some(Filter::Nearest),
            Self::NearestMipmapLinear | Self::LinearMipmapLinear => Some(Filter::Linear),
        }
    }

    /// A short name for the inspector, e.g. `linear-mip-nearest`.
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Nearest => "nearest",
            Self::Linear => "linear",
            Self::NearestMipmapNearest => "nearest-mip-nearest",
            Self::LinearMipmapNearest => "linear-mip-nearest",
            Self::NearestMipmapLinear => "nearest-mip-linear",
            Self::LinearMipmapLinear => "linear-mip-linear",
        }
    }
}

/// glTF metallic-roughness material.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    /// Linear RGBA.
    pub base_color: [f32; 4],
    pub metallic: f32,
    pub roughness: f32,
    /// Linear RGB emissive colour, multiplied by `emissive_strength` (nits scale: 1.0 = 1 cd/m²
    /// times [`EMISSIVE_NITS`]).
    pub emissive: [f32; 3],
    pub emissive_strength: f32,
    pub alpha_mode: AlphaMode,
    pub double_sided: bool,
    pub normal_scale: f32,
    pub occlusion_strength: f32,
    pub base_color_texture: Option<TextureRef>,
    pub metallic_roughness_texture: Option<TextureRef>,
    pub normal_texture: Option<TextureRef>,
    pub occlusion_texture: Option<TextureRef>,
    pub emissive_texture: Option<TextureRef>,
    /// Material-wide texture-coordinate transform (tiling), applied to every slot's
    /// coordinates before that slot's own [`TextureRef::transform`]: offset, rotation
    /// (radians), scale, with the same conventions as [`UvTransform`]. Generated materials
    /// tile with it; glTF imports leave it at identity and put KHR_texture_transform on each
    /// slot. Projects saved before per-slot transforms existed kept the base-colour
    /// transform here, so they still render as they did.
    pub uv_offset: [f32; 2],
    pub uv_rotation: f32,
    pub uv_scale: [f32; 2],
    /// Shows the colour as captured (base colour × vertex colour, display-referred) instead of
    /// lighting it: for generated meshes whose vertex colours already contain their lighting,
    /// and glTF's KHR_materials_unlit.
    #[serde(default)]
    pub unlit: bool,
    /// Index of refraction of the dielectric layer (KHR_materials_ior; glTF's default 1.5):
    /// its Fresnel reflectance at normal incidence is ((ior − 1) / (ior + 1))², 4 % at 1.5.
    #[serde(default = "default_ior")]
    pub ior: f32,
    /// Strength of the dielectric layer's reflection (KHR_materials_specular's
    /// `specularFactor`, 0–1; 1 = as the IOR gives, 0 = no reflection, all diffuse). Metals
    /// are not affected.
    #[serde(default = "one")]
    pub specular: f32,
    /// Linear RGB tint of the dielectric layer's reflectance at normal incidence
    /// (`specularColorFactor`; may exceed 1, the product with the IOR's f0 is clamped to 1).
    #[serde(default = "white")]
    pub specular_color: [f32; 3],
    /// Multiplies `specular` by its alpha channel (`specularTexture`).
    #[serde(default)]
    pub specular_texture: Option<TextureRef>,
    /// Multiplies `specular_color` by its RGB (sRGB-encoded; `specularColorTexture`).
    #[serde(default)]
    pub specular_color_texture: Option<TextureRef>,
    /// Share of the light that passes through the non-metal layer instead of being diffused
    /// (KHR_materials_transmission's `transmissionFactor`, 0–1): glass, thin plastic, water
    /// surfaces. Thin-walled (no refraction): what lies behind shows through, tinted by the
    /// base colour and blurred by the roughness.
    #[serde(default)]
    pub transmission: f32,
    /// Multiplies `transmission` by its red channel (`transmissionTexture`).
    #[serde(default)]
    pub transmission_texture: Option<TextureRef>,
    /// Strength of a clear lacquer layer over the whole material, emission included
    /// (KHR_materials_clearcoat's `clearcoatFactor`, 0–1; 0 = none): car paint, varnish.
    #[serde(default)]
    pub clearcoat: f32,
    /// The lacquer's roughness (`clearcoatRoughnessFactor`, 0–1).
    #[serde(default)]
    pub clearcoat_roughness: f32,
    /// Scale of the lacquer's own normal map (`clearcoatNormalTexture.scale`).
    #[serde(default = "one")]
    pub clearcoat_normal_scale: f32,
    /// Multiplies `clearcoat` by its red channel (`clearcoatTexture`).
    #[serde(default)]
    pub clearcoat_texture: Option<TextureRef>,
    /// Multiplies `clearcoat_roughness` by its green channel (`clearcoatRoughnessTexture`).
    #[serde(default)]
    pub clearcoat_roughness_texture: Option<TextureRef>,
    /// The lacquer's normal map (`clearcoatNormalTexture`); without one the lacquer follows
    /// the geometry, not the base's normal map.
    #[serde(default)]
    pub clearcoat_normal_texture: Option<TextureRef>,
    /// Thickness of the volume under a transmissive surface, in the mesh's own units (scaled
    /// with its node; KHR_materials_volume's `thicknessFactor`, ≥ 0). 0 = thin-walled (light
    /// passes straight through); above 0 the surface bounds a solid (a glass block, a bottle,
    /// amber): light refracts by the IOR and is absorbed along its path through it.
    #[serde(default)]
    pub thickness: f32,
    /// Multiplies `thickness` by its green channel (`thicknessTexture`, usually baked from the
    /// mesh).
    #[serde(default)]
    pub thickness_texture: Option<TextureRef>,
    /// The distance in world units (metres) after which light inside the volume has turned
    /// `attenuation_color` (`attenuationDistance`); `None` = no absorption (glTF's +∞).
    #[serde(default)]
    pub attenuation_distance: Option<f32>,
    /// The colour white light turns after `attenuation_distance` inside the volume (linear
    /// RGB, `attenuationColor`): Beer–Lambert absorption, deeper colour through thicker parts.
    #[serde(default = "white")]
    pub attenuation_color: [f32; 3],
    /// How much the volume's IOR varies with wavelength (KHR_materials_dispersion's
    /// `dispersion`, 20 / Abbe number: 0 none, ≈ 0.36 diamond, ≈ 0.7 dense flint glass):
    /// thick glass splits what it shows behind into colour fringes. Only volumes show it.
    #[serde(default)]
    pub dispersion: f32,
    /// Colour of a velvet-like sheen over the material (KHR_materials_sheen's
    /// `sheenColorFactor`, linear RGB 0–1; black = none): light scattered back by fibres
    /// standing off the surface, brightest at grazing angles. Fabrics, felt, dust, peach skin.
    #[serde(default)]
    pub sheen_color: [f32; 3],
    /// How far the fibres lean away from the normal (`sheenRoughnessFactor`, 0–1): low
    /// gives a narrow rim at the silhouette, high a soft glow over the whole surface.
    #[serde(default)]
    pub sheen_roughness: f32,
    /// Multiplies `sheen_color` by its RGB (sRGB-encoded; `sheenColorTexture`).
    #[serde(default)]
    pub sheen_color_texture: Option<TextureRef>,
    /// Multiplies `sheen_roughness` by its alpha channel (`sheenRoughnessTexture`).
    #[serde(default)]
    pub sheen_roughness_texture: Option<TextureRef>,
    /// How much the highlight stretches along one direction of the surface
    /// (KHR_materials_anisotropy's `anisotropyStrength`, 0–1; 0 = none): brushed metal,
    /// hair, satin, vinyl records. Needs texture coordinates or tangents for its direction.
    #[serde(default)]
    pub anisotropy_strength: f32,
    /// The direction of the stretch, radians counter-clockwise from the tangent (+u) towards
    /// the bitangent (`anisotropyRotation`).
    #[serde(default)]
    pub anisotropy_rotation: f32,
    /// Per-texel direction (red, green: a unit vector in the tangent frame, 0–1 mapped to
    /// −1–1) and strength (blue, times `anisotropy_strength`), before the rotation
    /// (`anisotropyTexture`, linear).
    #[serde(default)]
    pub anisotropy_texture: Option<TextureRef>,
    /// How much of a thin film over the surface shows (KHR_materials_iridescence's
    /// `iridescenceFactor`, 0–1; 0 = none): colours that shift with the viewing angle, as on
    /// soap bubbles, oil slicks, beetle shells, coated lenses.
    #[serde(default)]
    pub iridescence: f32,
    /// The film's index of refraction (`iridescenceIor`, glTF default 1.3).
    #[serde(default = "film_ior")]
    pub iridescence_ior: f32,
    /// The film's thickness in nanometres where the thickness texture's green channel is 0
    /// (`iridescenceThicknessMinimum`, default 100) and 1, or everywhere without the texture
    /// (`iridescenceThicknessMaximum`, default 400).
    #[serde(default = "film_thickness")]
    pub iridescence_thickness: [f32; 2],
    /// Multiplies `iridescence` by its red channel (`iridescenceTexture`, linear).
    #[serde(default)]
    pub iridescence_texture: Option<TextureRef>,
    /// The film's thickness between the two of `iridescence_thickness`, by its green channel
    /// (`iridescenceThicknessTexture`, linear).
    #[serde(default)]
    pub iridescence_thickness_texture: Option<TextureRef>,
    /// How much of the diffuse light passes through to the surface's other side
    /// (KHR_materials_diffuse_transmission's `diffuseTransmissionFactor`, 0–1; 0 = none):
    /// leaves, paper, lamp shades, curtains and candles lit from behind.
    #[serde(default)]
    pub diffuse_transmission: f32,
    /// The colour that light takes (`diffuseTransmissionColorFactor`, linear RGB 0–1).
    #[serde(default = "white")]
    pub diffuse_transmission_color: [f32; 3],
    /// Multiplies `diffuse_transmission` by its alpha (`diffuseTransmissionTexture`).
    #[serde(default)]
    pub diffuse_transmission_texture: Option<TextureRef>,
    /// Multiplies the colour by its RGB (sRGB-encoded; `diffuseTransmissionColorTexture`).
    #[serde(default)]
    pub diffuse_transmission_color_texture: Option<TextureRef>,
}

fn film_ior() -> f32 {
    1.3
}

fn film_thickness() -> [f32; 2] {
    [100.0, 400.0]
}

fn default_ior() -> f32 {
    1.5
}

fn one() -> f32 {
    1.0
}

fn white() -> [f32; 3] {
    [1.0; 3]
}

/// Luminance in cd/m² of an emissive colour of 1.0 at strength 1.0. glTF emissive is unitless;
/// this maps it to a brightness that reads as "glowing" at daylight exposure.
pub const EMISSIVE_NITS: f32 = 1000.0;

impl Default for Material {
    fn default() -> Self {
        Self {
            name: "Material".into(),
            base_color: [0.8, 0.8, 0.8, 1.0],
            metallic: 0.0,
            roughness: 0.5,
            emissive: [0.0; 3],
            emissive_strength: 1.0,
            alpha_mode: AlphaMode::Opaque,
            double_sided: false,
            normal_scale: 1.0,
            occlusion_strength: 1.0,
            base_color_texture: None,
            metallic_roughness_texture: None,
            normal_texture: None,
            occlusion_texture: None,
            emissive_texture: None,
            uv_offset: [0.0; 2],
            uv_rotation: 0.0,
            uv_scale: [1.0; 2],
            unlit: false,
            ior: default_ior(),
            specular: 1.0,
            specular_color: white(),
            specular_texture: None,
            specular_color_texture: None,
            transmission: 0.0,
            transmission_texture: None,
            clearcoat: 0.0,
            clearcoat_roughness: 0.0,
            clearcoat_normal_scale: 1.0,
            clearcoat_texture: None,
            clearcoat_roughness_texture: None,
            clearcoat_normal_texture: None,
            thickness: 0.0,
            thickness_texture: None,
            attenuation_distance: None,
            attenuation_color: white(),
            dispersion: 0.0,
            sheen_color: [0.0; 3],
            sheen_roughness: 0.0,
            sheen_color_texture: None,
            sheen_roughness_texture: None,
            anisotropy_strength: 0.0,
            anisotropy_rotation: 0.0,
            anisotropy_texture: None,
            iridescence: 0.0,
            iridescence_ior: film_ior(),
            iridescence_thickness: film_thickness(),
            iridescence_texture: None,
            iridescence_thickness_texture: None,
            diffuse_transmission: 0.0,
            diffuse_transmission_color: white(),
            diffuse_transmission_texture: None,
            diffuse_transmission_color_texture: None,
        }
    }
}

impl Material {
    /// The dielectric layer's reflectance at normal incidence, ((ior − 1) / (ior + 1))²
    /// (KHR_materials_ior); an IOR that is not a finite number ≥ 1 (or exactly 0, which the
    /// extension allows: a perfect mirror) counts as glTF's 1.5.
    pub fn dielectric_f0(&self) -> f32 {
        let ior = if self.ior == 0.0 || (self.ior.is_finite() && self.ior >= 1.0) {
            self.ior
        } else {
            default_ior()
        };
        ((ior - 1.0) / (ior + 1.0)).powi(2)
    }

    /// Whether KHR_materials_specular changes anything (what an export writes).
    pub fn has_specular(&self) -> bool {
        self.specular != 1.0
            || self.specular_color != white()
            || self.specular_texture.is_some()
            || self.specular_color_texture.is_some()
    }

    /// The material-wide transform as a [`UvTransform`].
    pub fn uv_transform(&self) -> UvTransform {
        UvTransform {
            offset: self.uv_offset,
            rotation: self.uv_rotation,
            scale: self.uv_scale,
        }
    }

    /// The slot `slot` (mutable), to assign or clear a texture.
    pub fn slot_mut(&mut self, slot: TextureSlot) -> &mut Option<TextureRef> {
        match slot {
            TextureSlot::BaseColor => &mut self.base_color_texture,
            TextureSlot::MetallicRoughness => &mut self.metallic_roughness_texture,
            TextureSlot::Normal => &mut self.normal_texture,
            TextureSlot::Occlusion => &mut self.occlusion_texture,
            TextureSlot::Emissive => &mut self.emissive_texture,
            TextureSlot::Specular => &mut self.specular_texture,
            TextureSlot::SpecularColor => &mut self.specular_color_texture,
            TextureSlot::Transmission => &mut self.transmission_texture,
            TextureSlot::Clearcoat => &mut self.clearcoat_texture,
            TextureSlot::ClearcoatRoughness => &mut self.clearcoat_roughness_texture,
            TextureSlot::ClearcoatNormal => &mut self.clearcoat_normal_texture,
            TextureSlot::Thickness => &mut self.thickness_texture,
            TextureSlot::SheenColor => &mut self.sheen_color_texture,
            TextureSlot::SheenRoughness => &mut self.sheen_roughness_texture,
            TextureSlot::Anisotropy => &mut self.anisotropy_texture,
            TextureSlot::Iridescence => &mut self.iridescence_texture,
            TextureSlot::IridescenceThickness => &mut self.iridescence_thickness_texture,
            TextureSlot::DiffuseTransmission => &mut self.diffuse_transmission_texture,
            TextureSlot::DiffuseTransmissionColor => &mut self.diffuse_transmission_color_texture,
        }
    }

    /// Whether diffuse light passes through the surface (KHR_materials_diffuse_transmission):
    /// a factor above 0.
    pub fn has_diffuse_transmission(&self) -> bool {
        !self.unlit && self.diffuse_transmission_factors().0 > 0.0
    }

    /// The diffuse transmission factor and colour as drawn and written: each a number in 0–1
    /// (what is not a number counts as 0).
    pub fn diffuse_transmission_factors(&self) -> (f32, [f32; 3]) {
        let unit = |x: f32| {
            if x.is_finite() {
                x.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        (
            unit(self.diffuse_transmission),
            self.diffuse_transmission_color.map(unit),
        )
    }

    /// Whether the material has a thin film (KHR_materials_iridescence): a factor above 0.
    pub fn has_iridescence(&self) -> bool {
        !self.unlit && self.iridescence_factors().0 > 0.0
    }

    /// The iridescence factor (0–1), the film's IOR (at least 1; glTF's 1.3 where it is not
    /// a number) and its thickness range in nanometres (each at least 0; the defaults where
    /// not numbers), as drawn and written.
    pub fn iridescence_factors(&self) -> (f32, f32, [f32; 2]) {
        let or = |x: f32, default: f32| if x.is_finite() { x } else { default };
        let [low, high] = self.iridescence_thickness;
        let [default_low, default_high] = film_thickness();
        (
            or(self.iridescence, 0.0).clamp(0.0, 1.0),
            or(self.iridescence_ior, film_ior()).max(1.0),
            [
                or(low, default_low).clamp(0.0, 1.0e5),
                or(high, default_high).clamp(0.0, 1.0e5),
            ],
        )
    }

    /// Whether the highlight is anisotropic (KHR_materials_anisotropy): a strength above 0
    /// (the texture's blue channel only scales it).
    pub fn has_anisotropy(&self) -> bool {
        !self.unlit && self.anisotropy_factors().0 > 0.0
    }

    /// The anisotropy strength (0–1) and rotation (radians) as drawn and written: what is
    /// not a number counts as 0.
    pub fn anisotropy_factors(&self) -> (f32, f32) {
        let finite = |x: f32| if x.is_finite() { x } else { 0.0 };
        (
            finite(self.anisotropy_strength).clamp(0.0, 1.0),
            finite(self.anisotropy_rotation),
        )
    }

    /// Whether the material has a sheen layer (KHR_materials_sheen): a sheen colour that is
    /// not black. The extension turns the whole layer off when its colour factor is zero,
    /// whatever its textures.
    pub fn has_sheen(&self) -> bool {
        !self.unlit && self.sheen_color.iter().any(|&c| c > 0.0)
    }

    /// The sheen colour and roughness as drawn and written: each channel a number in 0–1
    /// (what is not a number counts as 0).
    pub fn sheen_factors(&self) -> ([f32; 3], f32) {
        let unit = |x: f32| {
            if x.is_finite() {
                x.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        (self.sheen_color.map(unit), unit(self.sheen_roughness))
    }

    /// Whether the material has a lacquer layer (KHR_materials_clearcoat).
    pub fn has_clearcoat(&self) -> bool {
        !self.unlit && self.clearcoat > 0.0
    }

    /// Whether light passes through the surface (KHR_materials_transmission): drawn over
    /// what is behind it, which it samples.
    pub fn is_transmissive(&self) -> bool {
        !self.unlit && (self.transmission > 0.0 || self.transmission_texture.is_some())
    }

    /// Whether KHR_materials_volume changes anything (what an export writes): a thickness
    /// or absorption set. Only transmissive materials show it.
    pub fn has_volume(&self) -> bool {
        self.thickness != 0.0
            || self.thickness_texture.is_some()
            || self.attenuation_distance.is_some()
            || self.attenuation_color != white()
    }

    /// The volume's thickness as drawn and written: 0 (thin-walled) unless it is a number
    /// above 0.
    pub fn volume_thickness(&self) -> f32 {
        if self.thickness.is_finite() {
            self.thickness.max(0.0)
        } else {
            0.0
        }
    }

    /// KHR_materials_dispersion's factor as drawn and written: 0 (none) unless it is a
    /// number above 0.
    pub fn dispersion_factor(&self) -> f32 {
        if self.dispersion.is_finite() {
            self.dispersion.max(0.0)
        } else {
            0.0
        }
    }

    /// Beer–Lambert absorption coefficients per metre of the volume (KHR_materials_volume:
    /// −ln(attenuation colour) / attenuation distance), 0 without absorption. A colour
    /// channel of 0 absorbs as a channel of 1/1000 does, and no coefficient exceeds 10⁶ per
    /// metre (opaque within a micrometre), so it stays finite at any distance.
    pub fn absorption(&self) -> [f32; 3] {
        match self.attenuation_distance {
            Some(d) if d.is_finite() && d > 0.0 => self.attenuation_color.map(|c| {
                (-(if c.is_finite() { c } else { 1.0 }).clamp(1e-3, 1.0).ln() / d).min(1.0e6)
            }),
            _ => [0.0; 3],
        }
    }

    /// The texture slots in [`TextureSlot::ALL`] order: glTF's five (base colour,
    /// metallic-roughness, normal, occlusion, emissive), then KHR_materials_specular's two
    /// KHR_materials_transmission's, KHR_materials_clearcoat's three, KHR_materials_volume's
    /// thickness, KHR_materials_sheen's two, KHR_materials_anisotropy's,
    /// KHR_materials_iridescence's two and KHR_materials_diffuse_transmission's two.
    pub fn texture_slots(&self) -> [Option<TextureRef>; TextureSlot::COUNT] {
        [
            self.base_color_texture,
            self.metallic_roughness_texture,
            self.normal_texture,
            self.occlusion_texture,
            self.emissive_texture,
            self.specular_texture,
            self.specular_color_texture,
            self.transmission_texture,
            self.clearcoat_texture,
            self.clearcoat_roughness_texture,
            self.clearcoat_normal_texture,
            self.thickness_texture,
            self.sheen_color_texture,
            self.sheen_roughness_texture,
            self.anisotropy_texture,
            self.iridescence_texture,
            self.iridescence_thickness_texture,
            self.diffuse_transmission_texture,
            self.diffuse_transmission_color_texture,
        ]
    }

    /// The matrix a slot's texture is sampled through (`slot_uv_from_mesh_uv`): the slot's
    /// own transform after the material-wide one.
    pub fn slot_uv_matrix(&self, slot: &TextureRef) -> Mat3 {
        slot.transform.matrix() * self.uv_transform().matrix()
    }

    pub fn named(name: &str, base_color: [f32; 4], roughness: f32) -> Self {
        Self {
            name: name.into(),
            base_color,
            roughness,
            ..Default::default()
        }
    }
}

/// The texture slots of a metallic-roughness material: glTF's five in glTF order, then
/// KHR_materials_specular's strength (alpha) and colour (sRGB RGB), and
/// KHR_materials_transmission's (red), and KHR_materials_clearcoat's strength (red),
/// roughness (green) and normal map, KHR_materials_volume's thickness (green), and
/// KHR_materials_sheen's colour (sRGB RGB) and roughness (alpha).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextureSlot {
    BaseColor,
    MetallicRoughness,
    Normal,
    Occlusion,
    Emissive,
    Specular,
    SpecularColor,
    Transmission,
    Clearcoat,
    ClearcoatRoughness,
    ClearcoatNormal,
    Thickness,
    SheenColor,
    SheenRoughness,
    /// KHR_materials_anisotropy's direction (red, green) and strength (blue).
    Anisotropy,
    /// KHR_materials_iridescence's factor (red) and film thickness (green).
    Iridescence,
    IridescenceThickness,
    /// KHR_materials_diffuse_transmission's factor (alpha) and colour (sRGB RGB).
    DiffuseTransmission,
    DiffuseTransmissionColor,
}

impl TextureSlot {
    pub const COUNT: usize = 19;

    pub const ALL: [TextureSlot; Self::COUNT] = [
        TextureSlot::BaseColor,
        TextureSlot::MetallicRoughness,
        TextureSlot::Normal,
        TextureSlot::Occlusion,
        TextureSlot::Emissive,
        TextureSlot::Specular,
        TextureSlot::SpecularColor,
        TextureSlot::Transmission,
        TextureSlot::Clearcoat,
        TextureSlot::ClearcoatRoughness,
        TextureSlot::ClearcoatNormal,
        TextureSlot::Thickness,
        TextureSlot::SheenColor,
        TextureSlot::SheenRoughness,
        TextureSlot::Anisotropy,
        TextureSlot::Iridescence,
        TextureSlot::IridescenceThickness,
        TextureSlot::DiffuseTransmission,
        TextureSlot::DiffuseTransmissionColor,
    ];

    /// Whether the slot's texture holds sRGB-encoded colour (decoded to linear when
    /// sampled) rather than linear data.
    pub fn is_srgb(self) -> bool {
        matches!(
            self,
            TextureSlot::BaseColor
                | TextureSlot::Emissive
                | TextureSlot::SpecularColor
                | TextureSlot::SheenColor
                | TextureSlot::DiffuseTransmissionColor
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            TextureSlot::BaseColor => "Base colour",
            TextureSlot::MetallicRoughness => "Metallic-roughness",
            TextureSlot::Normal => "Normal",
            TextureSlot::Occlusion => "Occlusion",
            TextureSlot::Emissive => "Emissive",
            TextureSlot::Specular => "Specular (A)",
            TextureSlot::SpecularColor => "Specular colour",
            TextureSlot::Transmission => "Transmission (R)",
            TextureSlot::Clearcoat => "Clearcoat (R)",
            TextureSlot::ClearcoatRoughness => "Clearcoat roughness (G)",
            TextureSlot::ClearcoatNormal => "Clearcoat normal",
            TextureSlot::Thickness => "Thickness (G)",
            TextureSlot::SheenColor => "Sheen colour",
            TextureSlot::SheenRoughness => "Sheen roughness (A)",
            TextureSlot::Anisotropy => "Anisotropy (RG direction, B strength)",
            TextureSlot::Iridescence => "Iridescence (R)",
            TextureSlot::IridescenceThickness => "Iridescence thickness (G)",
            TextureSlot::DiffuseTransmission => "Diffuse transmission (A)",
            TextureSlot::DiffuseTransmissionColor => "Diffuse transmission colour",
        }
    }
}

/// An RGBA8 image. `srgb` says whether the bytes are sRGB-encoded colour (base colour,
/// emissive) or linear data (normal, metallic-roughness, occlusion).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Image {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub rgba8: Vec<u8>,
    /// The encoded file these pixels were decoded from (PNG or JPEG), kept so that an export
    /// can write the original bytes instead of re-encoding. Only [`Image::with_source`] sets
    /// it; an image with edited pixels is a new `Image` and so has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<EncodedImage>,
    #[serde(skip, default = "next_content_id")]
    content_id: u64,
}

/// An image file's original bytes and their MIME type (`image/png` or `image/jpeg`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncodedImage {
    pub mime: String,
    pub bytes: Arc<Vec<u8>>,
}

impl Image {
    /// The same image with the encoded bytes it was decoded from (see [`Image::source`]).
    pub fn with_source(mut self, source: EncodedImage) -> Self {
        self.source = Some(source);
        self
    }

    /// The encoded bytes these pixels were decoded from, if known and unchanged since.
    pub fn source(&self) -> Option<&EncodedImage> {
        self.source.as_ref()
    }

    /// Builds an image; returns `None` if `rgba8` does not hold `width * height * 4` bytes.
    pub fn new(name: &str, width: u32, height: u32, rgba8: Vec<u8>) -> Option<Self> {
        let expected = (width as usize)
            .checked_mul(height as usize)?
            .checked_mul(4)?;
        (expected == rgba8.len() && width > 0 && height > 0).then(|| Self {
            name: name.into(),
            width,
            height,
            rgba8,
            source: None,
            content_id: next_content_id(),
        })
    }

    pub fn content_id(&self) -> u64 {
        self.content_id
    }
}

/// Packs a linear RGB value into Radiance RGBE bytes (shared exponent), as `.hdr` files do.
pub fn rgbe_from_linear(rgb: [f32; 3]) -> [u8; 4] {
    let rgb = rgb.map(|c| if c.is_finite() { c.max(0.0) } else { 0.0 });
    let v = rgb[0].max(rgb[1]).max(rgb[2]);
    if v < 1e-32 {
        return [0; 4];
    }
    // v = m · 2^e with m in [0.5, 1).
    let e = v.log2().floor() as i32 + 1;
    let e = e.clamp(-128, 127);
    let scale = 256.0 / 2f32.powi(e);
    let [r, g, b] = rgb.map(|c| (c * scale).min(255.0) as u8);
    [r, g, b, (e + 128) as u8]
}

/// Unpacks Radiance RGBE bytes into linear RGB.
pub fn linear_from_rgbe(p: [u8; 4]) -> [f32; 3] {
    if p[3] == 0 {
        return [0.0; 3];
    }
    let f = 2f32.powi(i32::from(p[3]) - 128 - 8);
    [p[0], p[1], p[2]].map(|c| (f32::from(c) + 0.5) * f)
}

/// Punctual light types, in KHR_lights_punctual units.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum LightKind {
    /// Shines along the node's -Z axis; intensity in lux.
    Directional,
    /// Intensity in candela.
    Point,
    /// Shines along the node's -Z axis; intensity in candela; cone angles in radians.
    Spot {
        inner_cone_rad: f32,
        outer_cone_rad: f32,
    },
}

/// A light attached to a node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Light {
    pub kind: LightKind,
    /// Linear RGB.
    pub color: [f32; 3],
    /// Lux for directional lights, candela for point and spot lights.
    pub intensity: f32,
    /// Distance where the light's influence reaches zero; `None` = infinite.
    pub range: Option<f32>,
    pub cast_shadows: bool,
}

impl Light {
    pub fn unit(&self) -> &'static str {
        match self.kind {
            LightKind::Directional => "lux",
            _ => "cd",
        }
    }
}

/// A camera attached to a node; it looks along the node's -Z axis.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// The perspective's vertical field of view (kept, unused, while orthographic).
    pub fov_y_rad: f32,
    pub near: f32,
    /// `None` = infinite far plane (perspective), [`DEFAULT_ORTHO_DEPTH`] past the
    /// near plane (orthographic).
    pub far: Option<f32>,
    /// Orthographic: half the view's height in metres (glTF's `ymag`). `None`: perspective.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ortho_half_height: Option<f32>,
}

impl Camera {
    /// Whether the values make a usable projection (a project file or an import could hold
    /// anything): a field of view in (0, π), a positive near plane, a far plane beyond it and
    /// a positive orthographic size, all finite.
    pub fn check(&self) -> Result<(), String> {
        if !(self.fov_y_rad > 0.0 && self.fov_y_rad < std::f32::consts::PI) {
            return Err(format!(
                "field of view {} rad is not between 0 and π",
                self.fov_y_rad
            ));
        }
        if !(self.near > 0.0 && self.near.is_finite()) {
            return Err(format!(
                "near plane {} is not a positive distance",
                self.near
            ));
        }
        if let Some(far) = self.far
            && !(far > self.near && far.is_finite())
        {
            return Err(format!(
                "far plane {far} is not beyond the near plane {}",
                self.near
            ));
        }
        if let Some(h) = self.ortho_half_height
            && !(h > 0.0 && h.is_finite())
        {
            return Err(format!(
                "orthographic half-height {h} is not a positive size"
            ));
        }
        Ok(())
    }
}

impl Default for Camera {
    fn default() -> Self {
        Self {
            fov_y_rad: 50f32.to_radians(),
            near: 0.1,
            far: None,
            ortho_half_height: None,
        }
    }
}

/// How wide (in pixels) a point cloud's points are drawn when it is opened or made.
pub const DEFAULT_POINT_SIZE_PX: f32 = 2.0;

/// How wide (in pixels) the segments of a line node are drawn when it is opened or made.
pub const DEFAULT_LINE_WIDTH_PX: f32 = 1.5;

/// What a node is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A grouping node.
    Empty,
    Mesh {
        mesh: MeshId,
        material: MaterialId,
    },
    Light(Light),
    Camera(Camera),
    /// Coloured points drawn as round discs `point_size_px` pixels wide
    /// ([`DEFAULT_POINT_SIZE_PX`] when opened).
    Points {
        cloud: PointCloudId,
        point_size_px: f32,
    },
    /// The line segments of a point cloud ([`PointCloud::segments`]) drawn `width_px` pixels
    /// wide in the colours of their points, blended along each segment
    /// ([`DEFAULT_LINE_WIDTH_PX`] when opened): a glTF line primitive, a PLY file of edges.
    Lines {
        cloud: PointCloudId,
        width_px: f32,
    },
    /// 3D Gaussian splats.
    Splats {
        cloud: SplatCloudId,
    },
}

impl NodeKind {
    pub fn label(&self) -> &'static str {
        match self {
            NodeKind::Empty => "Group",
            NodeKind::Mesh { .. } => "Mesh",
            NodeKind::Light(l) => match l.kind {
                LightKind::Directional => "Sun light",
                LightKind::Point => "Point light",
                LightKind::Spot { .. } => "Spot light",
            },
            NodeKind::Camera(_) => "Camera",
            NodeKind::Points { .. } => "Point cloud",
            NodeKind::Lines { .. } => "Lines",
            NodeKind::Splats { .. } => "Gaussian splats",
        }
    }

    /// The point cloud a point or line node draws.
    pub fn point_cloud(&self) -> Option<PointCloudId> {
        match self {
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => Some(*cloud),
            _ => None,
        }
    }

    /// Whether the node is a layer of captured or drawn elements that File ▸ Export ▸ Layer
    /// as PLY writes on its own: splats, points or lines.
    pub fn is_layer(&self) -> bool {
        matches!(
            self,
            NodeKind::Splats { .. } | NodeKind::Points { .. } | NodeKind::Lines { .. }
        )
    }

    /// The on-screen size of a point node's discs or a line node's lines, in pixels.
    pub fn draw_size_px(&self) -> Option<f32> {
        match self {
            NodeKind::Points { point_size_px, .. } => Some(*point_size_px),
            NodeKind::Lines { width_px, .. } => Some(*width_px),
            _ => None,
        }
    }
}

/// One element of the hierarchy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub id: NodeId,
    pub name: String,
    pub parent: Option<NodeId>,
    pub children: Vec<NodeId>,
    pub transform: Transform,
    pub kind: NodeKind,
    pub visible: bool,
    /// A locked node cannot be picked in the viewport (the outliner still selects it).
    #[serde(default)]
    pub locked: bool,
    /// Colour adjustment of what the node draws (mesh base colour incl. vertex colours,
    /// point and splat colours); identity by default.
    #[serde(default, skip_serializing_if = "ColorGrade::is_identity")]
    pub grade: ColorGrade,
    /// How captured colour (splats, vertex-coloured unlit meshes) responds to the scene's
    /// lights; as captured by default.
    #[serde(default, skip_serializing_if = "Relight::is_default")]
    pub relight: Relight,
}

/// A non-destructive colour adjustment: saturation around the pixel's luminance, then a
/// tint and a brightness factor. Generated worlds carry their colour in vertices and
/// splats, not in textures, so this is how their colour is corrected.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColorGrade {
    /// Linear RGB multiplier.
    pub tint: [f32; 3],
    /// Overall multiplier.
    pub brightness: f32,
    /// 0 = grey, 1 = unchanged, 2 = twice as saturated.
    pub saturation: f32,
}

impl Default for ColorGrade {
    fn default() -> Self {
        Self {
            tint: [1.0; 3],
            brightness: 1.0,
            saturation: 1.0,
        }
    }
}

impl ColorGrade {
    pub fn is_identity(&self) -> bool {
        *self == Self::default()
    }

    /// The RGB factor (tint × brightness) and the saturation, as the shaders take them.
    pub fn packed(&self) -> [f32; 4] {
        let [r, g, b] = self.tint.map(|c| c * self.brightness);
        [r, g, b, self.saturation]
    }

    /// The grade applied to one linear colour (the shaders' formula, for tests).
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
        let p = self.packed();
        [0, 1, 2].map(|i| ((luma + (rgb[i] - luma) * p[3]) * p[i]).max(0.0))
    }
}

/// A named set of material assignments from glTF's KHR_materials_variants (e.g. "Beige
/// fabric", "Red leather"): which material each listed mesh node shows in that variant. The
/// base scene keeps the file's default materials; variants are kept for the variants panel
/// and re-export.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MaterialVariant {
    pub name: String,
    pub assignments: Vec<(NodeId, MaterialId)>,
}

/// Tone mapping operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ToneMapper {
    /// ACES filmic (Hill's RRT+ODT fit).
    Aces,
    /// Plain clamp, for debugging.
    Linear,
}

/// Procedural sky, lit by the first directional light of the scene.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sky {
    /// Preetham turbidity (2 = very clear, 10 = hazy).
    pub turbidity: f32,
    /// Linear RGB ground colour below the horizon.
    pub ground_albedo: [f32; 3],
    /// Multiplier on sky radiance, as seen and as ambient light.
    pub intensity: f32,
}

impl Default for Sky {
    fn default() -> Self {
        Self {
            turbidity: 2.5,
            ground_albedo: [0.25, 0.23, 0.2],
            intensity: 1.0,
        }
    }
}

/// An equirectangular image used as the sky instead of the procedural one (e.g. the
/// panorama a world model generated the world from).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Panorama {
    pub image: ImageId,
    /// Turn about the vertical axis, radians.
    pub rotation_rad: f32,
    /// Multiplier on the image's radiance. At 1.0 the panorama shows as captured (its pixels
    /// appear with their own colours at any exposure) and lights the scene accordingly.
    pub intensity: f32,
    /// The image holds linear high-dynamic-range values packed as Radiance RGBE (a `.hdr`
    /// file): at intensity 1 a value of 1.0 reaches the tone mapper as 1.0 whatever the
    /// exposure, and the sun in it can be thousands of times brighter than the sky.
    #[serde(default)]
    pub hdr: bool,
}

/// Scene-wide look: sky, exposure and tone mapping.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Environment {
    pub sky: Sky,
    /// When set, the sky is this image instead of the procedural sky.
    #[serde(default)]
    pub panorama: Option<Panorama>,
    /// Exposure value at ISO 100; higher = darker image (sunny day ≈ 15).
    pub exposure_ev100: f32,
    pub tone_mapper: ToneMapper,
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            sky: Sky::default(),
            panorama: None,
            exposure_ev100: 14.0,
            tone_mapper: ToneMapper::Aces,
        }
    }
}

/// Stamps that say which parts of a scene changed; the renderer compares them with what it
/// uploaded last. Every mutation goes through `Scene` methods (later `edit` commands), which
/// give the matching field a new globally unique [`stamp`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// Nodes added/removed/re-parented, mesh or material assignments changed.
    pub structure: u64,
    /// Any node transform or visibility changed.
    pub transforms: u64,
    pub materials: u64,
    pub lights: u64,
    pub environment: u64,
    /// Variants added, removed, renamed, switched or their overrides changed.
    #[serde(default)]
    pub variants: u64,
    /// Shots, tracks or keys changed.
    #[serde(default)]
    pub timeline: u64,
}

impl Revision {
    /// Stamps never used before, so a freshly loaded scene never matches what a renderer
    /// uploaded for another scene.
    pub fn fresh() -> Self {
        Self {
            structure: stamp(),
            transforms: stamp(),
            materials: stamp(),
            lights: stamp(),
            environment: stamp(),
            variants: stamp(),
            timeline: stamp(),
        }
    }
}

/// A new, globally unique revision stamp.
pub fn stamp() -> u64 {
    next_content_id()
}

/// A whole world.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Scene {
    pub name: String,
    nodes: BTreeMap<NodeId, Node>,
    roots: Vec<NodeId>,
    meshes: BTreeMap<MeshId, Arc<Mesh>>,
    materials: BTreeMap<MaterialId, Material>,
    images: BTreeMap<ImageId, Arc<Image>>,
    #[serde(default)]
    point_clouds: BTreeMap<PointCloudId, Arc<PointCloud>>,
    #[serde(default)]
    splat_clouds: BTreeMap<SplatCloudId, Arc<SplatCloud>>,
    #[serde(default)]
    variants: Variants,
    #[serde(default)]
    timeline: Timeline,
    pub environment: Environment,
    next_id: u64,
    /// Skinned mesh nodes and how they follow their joints ([`skin`]).
    #[serde(default)]
    skins: BTreeMap<NodeId, Arc<skin::Skin>>,
    /// Mesh nodes with morph targets and their weights ([`morph`]).
    #[serde(default)]
    morphs: BTreeMap<NodeId, morph::Morph>,
    /// What each skinned or morphed node's mesh was last made from (derived, not saved).
    #[serde(skip)]
    poses: BTreeMap<NodeId, skin::Pose>,
    #[serde(skip, default = "Revision::fresh")]
    revision: Revision,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            name: String::new(),
            nodes: BTreeMap::new(),
            roots: Vec::new(),
            meshes: BTreeMap::new(),
            materials: BTreeMap::new(),
            images: BTreeMap::new(),
            point_clouds: BTreeMap::new(),
            splat_clouds: BTreeMap::new(),
            variants: Variants::default(),
            timeline: Timeline::default(),
            environment: Environment::default(),
            next_id: 1,
            skins: BTreeMap::new(),
            morphs: BTreeMap::new(),
            poses: BTreeMap::new(),
            revision: Revision::fresh(),
        }
    }
}

/// A node together with its world matrix, as produced by [`Scene::walk`].
#[derive(Clone, Copy, Debug)]
pub struct WorldNode<'a> {
    pub node: &'a Node,
    pub world_from_local: Mat4,
    /// False if this node or any ancestor is hidden.
    pub visible: bool,
    pub depth: usize,
}

impl Scene {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            ..Default::default()
        }
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id = self.next_id.max(1);
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn revision(&self) -> Revision {
        self.revision
    }

    pub fn add_mesh(&mut self, mesh: Mesh) -> MeshId {
        let id = MeshId(self.fresh_id());
        self.meshes.insert(id, Arc::new(mesh));
        self.revision.structure = stamp();
        id
    }

    pub fn add_material(&mut self, material: Material) -> MaterialId {
        let id = MaterialId(self.fresh_id());
        self.materials.insert(id, material);
        self.revision.materials = stamp();
        id
    }

    pub fn add_image(&mut self, image: Image) -> ImageId {
        let id = ImageId(self.fresh_id());
        self.images.insert(id, Arc::new(image));
        self.revision.materials = stamp();
        id
    }

    pub fn add_point_cloud(&mut self, cloud: PointCloud) -> PointCloudId {
        let id = PointCloudId(self.fresh_id());
        self.point_clouds.insert(id, Arc::new(cloud));
        self.revision.structure = stamp();
        id
    }

    pub fn add_splat_cloud(&mut self, cloud: SplatCloud) -> SplatCloudId {
        let id = SplatCloudId(self.fresh_id());
        self.splat_clouds.insert(id, Arc::new(cloud));
        self.revision.structure = stamp();
        id
    }

    /// The variants as glTF's KHR_materials_variants sees them: for each variant that swaps
    /// materials (or overrides nothing at all, like an imported "Plain"), which material each
    /// mesh node shows. Lighting-only variants are not material variants.
    pub fn material_variants(&self) -> Vec<MaterialVariant> {
        self.variants
            .list
            .iter()
            .filter(|v| v.overrides.is_empty() || v.overrides.assigned_materials().next().is_some())
            .map(|v| MaterialVariant {
                name: v.name.clone(),
                assignments: v
                    .overrides
                    .nodes
                    .iter()
                    .filter_map(|(node, o)| Some((*node, o.material?)))
                    .filter(|(node, material)| {
                        self.nodes.contains_key(node) && self.materials.contains_key(material)
                    })
                    .collect(),
            })
            .collect()
    }

    /// Replaces the variants with material variants (from a glTF file's
    /// KHR_materials_variants), each a variant that swaps materials; assignments to unknown
    /// nodes or materials are dropped.
    pub fn set_material_variants(&mut self, variants: Vec<MaterialVariant>) {
        let mut list = Vec::with_capacity(variants.len());
        for v in variants {
            let mut overrides = Overrides::default();
            for (node, material) in v.assignments {
                if self.nodes.contains_key(&node) && self.materials.contains_key(&material) {
                    overrides.node_mut(node).material = Some(material);
                }
            }
            let id = self.reserve_variant_id();
            list.push(Variant {
                id,
                name: v.name,
                overrides,
            });
        }
        self.set_variants(Variants { list, active: None });
    }

    pub fn point_cloud(&self, id: PointCloudId) -> Option<&Arc<PointCloud>> {
        self.point_clouds.get(&id)
    }

    pub fn splat_cloud(&self, id: SplatCloudId) -> Option<&Arc<SplatCloud>> {
        self.splat_clouds.get(&id)
    }

    pub fn point_clouds(&self) -> impl Iterator<Item = (PointCloudId, &Arc<PointCloud>)> {
        self.point_clouds.iter().map(|(k, v)| (*k, v))
    }

    pub fn splat_clouds(&self) -> impl Iterator<Item = (SplatCloudId, &Arc<SplatCloud>)> {
        self.splat_clouds.iter().map(|(k, v)| (*k, v))
    }

    /// Adds a node under `parent` (or as a root) and returns its id.
    pub fn add_node(
        &mut self,
        parent: Option<NodeId>,
        name: &str,
        transform: Transform,
        kind: NodeKind,
    ) -> NodeId {
        let id = NodeId(self.fresh_id());
        let parent = parent.filter(|p| self.nodes.contains_key(p));
        self.nodes.insert(
            id,
            Node {
                id,
                name: name.into(),
                parent,
                children: Vec::new(),
                transform,
                kind,
                visible: true,
                grade: ColorGrade::default(),
                relight: Relight::default(),
                locked: false,
            },
        );
        match parent.and_then(|p| self.nodes.get_mut(&p)) {
            Some(p) => p.children.push(id),
            None => self.roots.push(id),
        }
        self.revision.structure = stamp();
        self.revision.lights = stamp();
        id
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(&id)
    }

    pub fn mesh(&self, id: MeshId) -> Option<&Arc<Mesh>> {
        self.meshes.get(&id)
    }

    pub fn material(&self, id: MaterialId) -> Option<&Material> {
        self.materials.get(&id)
    }

    pub fn image(&self, id: ImageId) -> Option<&Arc<Image>> {
        self.images.get(&id)
    }

    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn meshes(&self) -> impl Iterator<Item = (MeshId, &Arc<Mesh>)> {
        self.meshes.iter().map(|(k, v)| (*k, v))
    }

    pub fn materials(&self) -> impl Iterator<Item = (MaterialId, &Material)> {
        self.materials.iter().map(|(k, v)| (*k, v))
    }

    pub fn images(&self) -> impl Iterator<Item = (ImageId, &Arc<Image>)> {
        self.images.iter().map(|(k, v)| (*k, v))
    }

    /// Mutable access to a node's transform; bumps the transform revision.
    pub fn set_transform(&mut self, id: NodeId, transform: Transform) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.transform = transform;
            self.revision.transforms = stamp();
            self.revision.lights = stamp();
        }
    }

    pub fn set_visible(&mut self, id: NodeId, visible: bool) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.visible = visible;
            self.revision.transforms = stamp();
            self.revision.lights = stamp();
        }
    }

    /// Sets a node's colour adjustment (per-node draw data, refreshed with the transforms).
    pub fn set_grade(&mut self, id: NodeId, grade: ColorGrade) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.grade = grade;
            self.revision.transforms = stamp();
        }
    }

    /// Sets how a node's captured colour responds to the scene's lights (per-node draw data,
    /// refreshed with the transforms).
    pub fn set_relight(&mut self, id: NodeId, relight: Relight) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.relight = relight;
            self.revision.transforms = stamp();
        }
    }

    /// Locks a node against viewport picking, or unlocks it. Locking changes nothing drawn.
    pub fn set_locked(&mut self, id: NodeId, locked: bool) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.locked = locked;
        }
    }

    /// True if `ancestor` is `id` itself or above it in the hierarchy.
    pub fn is_ancestor_or_self(&self, ancestor: NodeId, id: NodeId) -> bool {
        let mut cur = Some(id);
        let mut guard = 0;
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.nodes.get(&c).and_then(|n| n.parent);
            guard += 1;
            if guard > 10_000 {
                break;
            }
        }
        false
    }

    /// Where a node sits: its parent (`None` for a root) and its index among its siblings.
    pub fn position_of(&self, id: NodeId) -> Option<(Option<NodeId>, usize)> {
        let parent = self.nodes.get(&id)?.parent;
        let siblings = match parent {
            Some(p) => &self.nodes.get(&p)?.children,
            None => &self.roots,
        };
        Some((parent, siblings.iter().position(|c| *c == id)?))
    }

    /// Moves `id` under `parent` (or to the roots) at `index` among its new siblings (clamped
    /// to the end), with `transform` as its new local transform. Refuses (returns false) an
    /// unknown node or parent and a move under the node itself or one of its descendants.
    pub fn reparent(
        &mut self,
        id: NodeId,
        parent: Option<NodeId>,
        index: usize,
        transform: Transform,
    ) -> bool {
        let Some(old_parent) = self.nodes.get(&id).map(|n| n.parent) else {
            return false;
        };
        if let Some(p) = parent
            && (!self.nodes.contains_key(&p) || self.is_ancestor_or_self(id, p))
        {
            return false;
        }
        match old_parent.and_then(|p| self.nodes.get_mut(&p)) {
            Some(p) => p.children.retain(|c| *c != id),
            None => self.roots.retain(|c| *c != id),
        }
        let siblings = match parent.and_then(|p| self.nodes.get_mut(&p)) {
            Some(p) => &mut p.children,
            None => &mut self.roots,
        };
        siblings.insert(index.min(siblings.len()), id);
        if let Some(n) = self.nodes.get_mut(&id) {
            n.parent = parent;
            n.transform = transform;
        }
        self.revision.structure = stamp();
        self.revision.transforms = stamp();
        self.revision.lights = stamp();
        true
    }

    /// Renames a node (names are for people; ids stay). Bumps the structure revision, which
    /// costs no geometry upload (meshes are keyed by content id).
    pub fn set_name(&mut self, id: NodeId, name: &str) {
        if let Some(n) = self.nodes.get_mut(&id) {
            n.name = name.to_owned();
            self.revision.structure = stamp();
        }
    }

    /// Sets the on-screen disc size of a point-cloud node or the line width of a line node
    /// (ignored for other kinds); sizes are per-node draw data, refreshed with the transforms.
    pub fn set_point_size(&mut self, id: NodeId, size_px: f32) {
        if let Some(Node {
            kind:
                NodeKind::Points {
                    point_size_px: size,
                    ..
                }
                | NodeKind::Lines { width_px: size, .. },
            ..
        }) = self.nodes.get_mut(&id)
        {
            *size = size_px;
            self.revision.transforms = stamp();
        }
    }

    /// Mutable access to a material; bumps the material revision.
    pub fn material_mut(&mut self, id: MaterialId) -> Option<&mut Material> {
        self.revision.materials = stamp();
        self.materials.get_mut(&id)
    }

    /// Mutable access to a light; bumps the light revision.
    pub fn light_mut(&mut self, id: NodeId) -> Option<&mut Light> {
        self.revision.lights = stamp();
        match &mut self.nodes.get_mut(&id)?.kind {
            NodeKind::Light(l) => Some(l),
            _ => None,
        }
    }

    pub fn environment_mut(&mut self) -> &mut Environment {
        self.revision.environment = stamp();
        &mut self.environment
    }

    /// Finds the first node with the given name.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes.values().find(|n| n.name == name).map(|n| n.id)
    }

    /// Depth-first walk of the hierarchy in outliner order, with world matrices.
    pub fn walk(&self) -> Vec<WorldNode<'_>> {
        let mut out = Vec::with_capacity(self.nodes.len());
        let mut stack: Vec<(NodeId, Mat4, bool, usize)> = self
            .roots
            .iter()
            .rev()
            .map(|id| (*id, Mat4::IDENTITY, true, 0))
            .collect();
        while let Some((id, parent_from_world_base, parent_visible, depth)) = stack.pop() {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            let world_from_local = parent_from_world_base * node.transform.matrix();
            let visible = parent_visible && node.visible;
            out.push(WorldNode {
                node,
                world_from_local,
                visible,
                depth,
            });
            for child in node.children.iter().rev() {
                stack.push((*child, world_from_local, visible, depth + 1));
            }
        }
        out
    }

    /// World matrix of one node (`world_from_local`).
    pub fn world_from_local(&self, id: NodeId) -> Mat4 {
        let mut m = Mat4::IDENTITY;
        let mut cur = self.nodes.get(&id);
        let mut guard = 0;
        while let Some(n) = cur {
            m = n.transform.matrix() * m;
            cur = n.parent.and_then(|p| self.nodes.get(&p));
            guard += 1;
            if guard > 10_000 {
                break;
            }
        }
        m
    }

    /// World-space bounds of a node and its descendants (visible meshes and lights).
    pub fn bounds_of(&self, ids: &[NodeId]) -> Aabb {
        self.selection_bounds(ids, Extent::Exact)
    }

    /// World-space bounds of everything visible.
    pub fn bounds(&self) -> Aabb {
        self.visible_bounds(Extent::Exact)
    }

    /// What a view of `ids` (and their descendants) should frame: as [`Self::bounds_of`], but a
    /// captured cloud counts by its central part, so that stray points far off do not make
    /// the content a speck (see [`clouds::framing_bounds_of`]).
    pub fn framing_bounds_of(&self, ids: &[NodeId]) -> Aabb {
        self.selection_bounds(ids, Extent::Framing)
    }

    /// What a view of everything visible should frame (see [`Self::framing_bounds_of`]).
    pub fn framing_bounds(&self) -> Aabb {
        self.visible_bounds(Extent::Framing)
    }

    fn selection_bounds(&self, ids: &[NodeId], extent: Extent) -> Aabb {
        let mut out = Aabb::EMPTY;
        let wanted: std::collections::HashSet<NodeId> = ids.iter().copied().collect();
        let mut inside: Vec<bool> = Vec::new();
        for wn in self.walk() {
            inside.truncate(wn.depth);
            let parent_inside = inside.last().copied().unwrap_or(false);
            let here = parent_inside || wanted.contains(&wn.node.id);
            inside.push(here);
            if !here {
                continue;
            }
            out = out.union(&self.node_bounds(&wn, extent));
        }
        out
    }

    /// What [`Self::framing_bounds`] frames of the visible geometry alone (meshes, point and
    /// splat clouds; not the lights' markers).
    pub fn content_bounds(&self) -> Aabb {
        self.walk()
            .iter()
            .filter(|wn| wn.visible && !matches!(wn.node.kind, NodeKind::Light(_)))
            .fold(Aabb::EMPTY, |acc, wn| {
                acc.union(&self.node_bounds(wn, Extent::Framing))
            })
    }

    fn visible_bounds(&self, extent: Extent) -> Aabb {
        self.walk()
            .iter()
            .filter(|wn| wn.visible)
            .fold(Aabb::EMPTY, |acc, wn| {
                acc.union(&self.node_bounds(wn, extent))
            })
    }

    fn node_bounds(&self, wn: &WorldNode<'_>, extent: Extent) -> Aabb {
        let local = match &wn.node.kind {
            NodeKind::Mesh { mesh, .. } => self.meshes.get(mesh).map(|m| m.bounds()),
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
                self.point_clouds.get(cloud).map(|c| match extent {
                    Extent::Exact => c.bounds(),
                    Extent::Framing => c.framing_bounds(),
                })
            }
            NodeKind::Splats { cloud } => self.splat_clouds.get(cloud).map(|c| match extent {
                Extent::Exact => c.bounds(),
                Extent::Framing => c.framing_bounds(),
            }),
            NodeKind::Light(l) if l.kind != LightKind::Directional => {
                let p = wn.world_from_local.transform_point3(Vec3::ZERO);
                return Aabb {
                    min: p - 0.25,
                    max: p + 0.25,
                };
            }
            _ => None,
        };
        local.map_or(Aabb::EMPTY, |b| b.transformed(&wn.world_from_local))
    }

    /// Total triangles of visible meshes.
    pub fn triangle_count(&self) -> usize {
        self.walk()
            .iter()
            .filter(|wn| wn.visible)
            .filter_map(|wn| match &wn.node.kind {
                NodeKind::Mesh { mesh, .. } => self.meshes.get(mesh).map(|m| m.triangle_count()),
                _ => None,
            })
            .sum()
    }

    /// Total line segments of visible line nodes.
    pub fn segment_count(&self) -> usize {
        self.walk()
            .iter()
            .filter(|wn| wn.visible)
            .filter_map(|wn| match &wn.node.kind {
                NodeKind::Lines { cloud, .. } => {
                    self.point_clouds.get(cloud).map(|c| c.segments.len())
                }
                _ => None,
            })
            .sum()
    }

    /// Total points of visible point clouds and splats of visible splat clouds.
    pub fn point_and_splat_count(&self) -> (usize, usize) {
        let (mut points, mut splats) = (0, 0);
        for wn in self.walk().iter().filter(|wn| wn.visible) {
            match &wn.node.kind {
                NodeKind::Points { cloud, .. } => {
                    points += self.point_clouds.get(cloud).map_or(0, |c| c.len());
                }
                NodeKind::Splats { cloud } => {
                    splats += self.splat_clouds.get(cloud).map_or(0, |c| c.len());
                }
                _ => {}
            }
        }
        (points, splats)
    }

    /// The first visible directional light: its direction *towards* the light (world space),
    /// colour and illuminance.
    pub fn sun(&self) -> Option<(Vec3, Light)> {
        self.walk().into_iter().find_map(|wn| match &wn.node.kind {
            NodeKind::Light(l) if wn.visible && l.kind == LightKind::Directional => {
                let forward = wn.world_from_local.transform_vector3(Vec3::NEG_Z);
                Some((-forward.normalize_or(Vec3::NEG_Y), *l))
            }
            _ => None,
        })
    }
}

impl Scene {
    /// Moves everything of `other` into this scene with fresh ids (File ▸ Import): meshes,
    /// materials, images, clouds and the node hierarchy, whose roots go under `parent` (or
    /// become roots). The environment of `other` is dropped. Returns the new ids of `other`'s
    /// roots, in order.
    pub fn merge(&mut self, other: Scene, parent: Option<NodeId>) -> Vec<NodeId> {
        let prepared = self.prepare_merge(other, parent);
        let roots = prepared.roots();
        // Fresh ids and a consistent tree: neither insertion can be refused.
        if let Err(e) = self.insert_resources(prepared.resources) {
            log::error!("merging scenes: {e}");
        }
        for tree in prepared.trees {
            if let Err(e) = self.insert_subtree(tree) {
                log::error!("merging scenes: {e}");
            }
        }
        let mut variants = self.variants.clone();
        variants.list.extend(prepared.variants);
        self.set_variants(variants);
        let mut timeline = self.timeline.clone();
        timeline.shots.extend(prepared.shots);
        if timeline.active.is_none() {
            timeline.active = timeline.shots.first().map(|s| s.id);
        }
        self.set_timeline(timeline);
        self.revision = Revision::fresh();
        roots
    }

    /// Everything of `other` under ids reserved in this scene, ready to insert (as commands,
    /// so an import can be undone): its resources, one subtree per root of `other` (under
    /// `parent`, appended in order) and its material variants. Nothing is inserted yet.
    pub fn prepare_merge(&mut self, other: Scene, parent: Option<NodeId>) -> PreparedMerge {
        // Suspended skins and morphs (a geometry edit since) stay behind.
        let mut other = other;
        let suspended: Vec<NodeId> = other
            .skins
            .keys()
            .chain(other.morphs.keys())
            .copied()
            .filter(|n| !other.binding_holds(*n))
            .collect();
        for node in suspended {
            other.skins.remove(&node);
            other.morphs.remove(&node);
        }
        let mut resources = Resources::default();
        let mut meshes = BTreeMap::new();
        for (id, mesh) in other.meshes {
            let new = MeshId(self.fresh_id());
            resources.meshes.push((new, mesh));
            meshes.insert(id, new);
        }
        let mut images = BTreeMap::new();
        for (id, image) in other.images {
            let new = ImageId(self.fresh_id());
            resources.images.push((new, image));
            images.insert(id, new);
        }
        // Only the image id changes; the slot's sampler, UV set and transform travel with it.
        let remap_texture = |t: &mut Option<TextureRef>| {
            if let Some(t) = t
                && let Some(new) = images.get(&t.image)
            {
                t.image = *new;
            }
        };
        let mut materials = BTreeMap::new();
        for (id, mut material) in other.materials {
            for slot in TextureSlot::ALL {
                remap_texture(material.slot_mut(slot));
            }
            let new = MaterialId(self.fresh_id());
            resources.materials.push((new, material));
            materials.insert(id, new);
        }
        let mut points = BTreeMap::new();
        for (id, cloud) in other.point_clouds {
            let new = PointCloudId(self.fresh_id());
            resources.point_clouds.push((new, cloud));
            points.insert(id, new);
        }
        let mut splats = BTreeMap::new();
        for (id, cloud) in other.splat_clouds {
            let new = SplatCloudId(self.fresh_id());
            resources.splat_clouds.push((new, cloud));
            splats.insert(id, new);
        }
        let parent = parent.filter(|p| self.nodes.contains_key(p));
        let mut index = match parent.and_then(|p| self.nodes.get(&p)) {
            Some(p) => p.children.len(),
            None => self.roots.len(),
        };
        let mut node_map = BTreeMap::new();
        let mut trees = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for root in &other.roots {
            // Parents before children: walk down from the root.
            let mut nodes: Vec<Node> = Vec::new();
            let mut stack: Vec<(NodeId, Option<NodeId>)> = vec![(*root, None)];
            while let Some((old, new_parent)) = stack.pop() {
                let Some(node) = other.nodes.get(&old) else {
                    continue;
                };
                if !seen.insert(old) {
                    continue;
                }
                let kind = match &node.kind {
                    NodeKind::Mesh { mesh, material } => NodeKind::Mesh {
                        mesh: meshes.get(mesh).copied().unwrap_or(*mesh),
                        material: materials.get(material).copied().unwrap_or(*material),
                    },
                    NodeKind::Points {
                        cloud,
                        point_size_px,
                    } => NodeKind::Points {
                        cloud: points.get(cloud).copied().unwrap_or(*cloud),
                        point_size_px: *point_size_px,
                    },
                    NodeKind::Lines { cloud, width_px } => NodeKind::Lines {
                        cloud: points.get(cloud).copied().unwrap_or(*cloud),
                        width_px: *width_px,
                    },
                    NodeKind::Splats { cloud } => NodeKind::Splats {
                        cloud: splats.get(cloud).copied().unwrap_or(*cloud),
                    },
                    other_kind => other_kind.clone(),
                };
                let id = NodeId(self.fresh_id());
                node_map.insert(old, id);
                if let Some(p) = new_parent
                    && let Some(parent_node) = nodes.iter_mut().find(|n| n.id == p)
                {
                    parent_node.children.push(id);
                }
                nodes.push(Node {
                    id,
                    parent: new_parent,
                    children: Vec::new(),
                    kind,
                    ..node.clone()
                });
                for child in node.children.iter().rev() {
                    stack.push((*child, Some(id)));
                }
            }
            if !nodes.is_empty() {
                trees.push(Subtree {
                    parent,
                    index,
                    nodes,
                });
                index += 1;
            }
        }
        // Skins and morphs follow their nodes' and joints' new ids; they pose once the nodes
        // are in.
        for (node, skin) in other.skins {
            let joints: Option<Vec<NodeId>> = skin
                .joints
                .iter()
                .map(|j| node_map.get(j).copied())
                .collect();
            if let (Some(&node), Some(joints)) = (node_map.get(&node), joints) {
                let mut skin = Arc::unwrap_or_clone(skin);
                skin.joints = joints;
                self.skins.insert(node, Arc::new(skin));
            }
        }
        for (node, morph) in other.morphs {
            if let Some(&node) = node_map.get(&node) {
                self.morphs.insert(node, morph);
            }
        }
        let mut names = self.variants.clone();
        let mut variants = Vec::with_capacity(other.variants.list.len());
        let mut variant_map = BTreeMap::new();
        for variant in other.variants.list {
            let v = Variant {
                id: self.reserve_variant_id(),
                name: names.unique_name(&variant.name),
                overrides: variant.overrides.remapped(&node_map, &materials, &images),
            };
            variant_map.insert(variant.id, v.id);
            names.list.push(v.clone());
            variants.push(v);
        }
        let mut shot_names = self.timeline.clone();
        let mut shots = Vec::with_capacity(other.timeline.shots.len());
        for shot in other.timeline.shots {
            let mut s = shot.remapped(&node_map, &materials, &variant_map);
            s.id = self.reserve_shot_id();
            s.name = shot_names.unique_name(&s.name);
            shot_names.shots.push(s.clone());
            shots.push(s);
        }
        PreparedMerge {
            resources,
            trees,
            variants,
            shots,
        }
    }
}

/// Another scene's content under ids reserved in this one ([`Scene::prepare_merge`]).
#[derive(Clone, Debug, Default)]
pub struct PreparedMerge {
    pub resources: Resources,
    /// One subtree per root of the other scene, in order.
    pub trees: Vec<Subtree>,
    /// The other scene's variants under new ids, their overrides remapped.
    pub variants: Vec<Variant>,
    /// The other scene's shots under new ids, their cameras, tracks and variants remapped.
    pub shots: Vec<Shot>,
}

impl PreparedMerge {
    /// Ids the other scene's roots get.
    pub fn roots(&self) -> Vec<NodeId> {
        self.trees.iter().filter_map(Subtree::root).collect()
    }
}

impl Scene {
    /// Camera nodes in outliner order.
    pub fn cameras(&self) -> Vec<(NodeId, String)> {
        self.walk()
            .into_iter()
            .filter(|wn| matches!(wn.node.kind, NodeKind::Camera(_)))
            .map(|wn| (wn.node.id, wn.node.name.clone()))
            .collect()
    }

    /// The view from a camera node (by id).
    pub fn camera_view(&self, id: NodeId) -> Option<CameraView> {
        match &self.node(id)?.kind {
            NodeKind::Camera(cam) => Some(CameraView::from_camera(self.world_from_local(id), cam)),
            _ => None,
        }
    }

    /// The view from the camera node called `name` (a plain name like `Main` or a path like
    /// `Cameras/Main`).
    pub fn camera_view_named(&self, name: &str) -> Option<CameraView> {
        let leaf = name.rsplit('/').next().unwrap_or(name);
        self.cameras()
            .into_iter()
            .find(|(id, n)| n == leaf && self.path_of(*id).ends_with(name))
            .and_then(|(id, _)| self.camera_view(id))
    }

    /// `Parent/Child/Name` path of a node.
    pub fn path_of(&self, id: NodeId) -> String {
        let mut parts = Vec::new();
        let mut cur = self.node(id);
        while let Some(n) = cur {
            parts.push(n.name.as_str());
            cur = n.parent.and_then(|p| self.node(p));
            if parts.len() > 10_000 {
                break;
            }
        }
        parts.reverse();
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_absorption_is_beer_lambert_and_always_finite() {
        let glass = |distance, color| Material {
            attenuation_distance: distance,
            attenuation_color: color,
            ..Material::default()
        };
        // After one attenuation distance, white light has turned the attenuation colour.
        let tinted = glass(Some(2.0), [0.5, 0.25, 1.0]).absorption();
        for (sigma, color) in tinted.iter().zip([0.5f32, 0.25, 1.0]) {
            assert!(((-sigma * 2.0).exp() - color).abs() < 1e-6, "{tinted:?}");
        }
        assert_eq!(glass(None, [0.1; 3]).absorption(), [0.0; 3], "no distance");
        for extreme in [
            glass(Some(1e-40), [0.0, f32::NAN, 1.0]),
            glass(Some(f32::MIN_POSITIVE), [0.0; 3]),
            glass(Some(-1.0), [0.5; 3]),
            glass(Some(f32::INFINITY), [0.5; 3]),
        ] {
            let sigma = extreme.absorption();
            assert!(
                sigma
                    .iter()
                    .all(|s| s.is_finite() && (0.0..=1.0e6).contains(s)),
                "{sigma:?}"
            );
        }
    }

    fn small_scene(name: &str) -> Scene {
        let mut scene = Scene::new(name);
        let image = scene
            .add_image(Image::new("px", 1, 1, vec![255; 4]).expect("1x1 image"))
            .to_owned();
        let mesh = scene.add_mesh(Mesh::new(
            vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            Vec::new(),
            Vec::new(),
            Vec::new(),
            vec![0, 1, 2],
        ));
        let material = scene.add_material(Material {
            base_color_texture: Some(TextureRef {
                uv_set: 1,
                transform: slot_transform(),
                ..TextureRef::new(image, Sampler::default())
            }),
            ..Material::default()
        });
        let group = scene.add_node(None, "Group", Transform::default(), NodeKind::Empty);
        scene.add_node(
            Some(group),
            "Tri",
            Transform::from_translation(Vec3::X),
            NodeKind::Mesh { mesh, material },
        );
        let cloud = scene.add_point_cloud(PointCloud::new(
            vec![[0.0, 2.0, 0.0]],
            Vec::new(),
            Vec::new(),
        ));
        let hidden = scene.add_node(
            None,
            "Points",
            Transform::default(),
            NodeKind::Points {
                cloud,
                point_size_px: 3.0,
            },
        );
        scene.set_visible(hidden, false);
        scene
    }

    fn slot_transform() -> UvTransform {
        UvTransform {
            offset: [0.25, 0.5],
            rotation: 0.3,
            scale: [2.0, 3.0],
        }
    }

    #[test]
    fn uv_transform_is_translation_after_rotation_after_scale() {
        assert_eq!(UvTransform::IDENTITY.matrix(), Mat3::IDENTITY);
        assert!(UvTransform::default().is_identity());
        let t = UvTransform {
            offset: [0.5, 0.25],
            rotation: std::f32::consts::FRAC_PI_2,
            scale: [2.0, 3.0],
        };
        // (1, 1) scales to (2, 3); the rotation (rows [c, s], [-s, c]) takes it to (3, -2);
        // the offset then moves it to (3.5, -1.75).
        let [u, v] = t.apply([1.0, 1.0]);
        assert!((u - 3.5).abs() < 1e-5 && (v + 1.75).abs() < 1e-5, "{u} {v}");
        assert!(!t.is_identity());
    }

    #[test]
    fn slot_matrix_applies_the_material_transform_first() {
        let material = Material {
            uv_scale: [4.0, 4.0],
            ..Material::default()
        };
        let slot = TextureRef {
            transform: UvTransform {
                offset: [0.5, 0.0],
                ..UvTransform::IDENTITY
            },
            ..TextureRef::new(ImageId(1), Sampler::default())
        };
        let p = material
            .slot_uv_matrix(&slot)
            .transform_point2(Vec2::new(1.0, 1.0));
        assert_eq!(p, Vec2::new(4.5, 4.0));
        // An identity slot gives exactly the material-wide matrix (old projects and the
        // generator's tiling render as before).
        let plain = TextureRef::new(ImageId(1), Sampler::default());
        assert_eq!(
            material.slot_uv_matrix(&plain),
            material.uv_transform().matrix()
        );
    }

    #[test]
    fn old_materials_and_meshes_load_with_identity_slots_and_one_uv_set() {
        let scene = small_scene("s");
        let (id, _) = scene.materials().next().expect("material");
        let json = serde_json::to_value(scene.material(id).expect("material")).expect("json");
        let mut old = json.clone();
        let slot = old["base_color_texture"]
            .as_object_mut()
            .expect("slot object");
        assert!(slot.remove("uv_set").is_some() && slot.remove("transform").is_some());
        let loaded: Material = serde_json::from_value(old).expect("old material loads");
        let t = loaded.base_color_texture.expect("slot kept");
        assert_eq!(t.uv_set, 0);
        assert!(t.transform.is_identity());
        // And what is saved now comes back unchanged.
        let again: Material = serde_json::from_value(json).expect("material loads");
        assert_eq!(Some(&again), scene.material(id));

        let (_, mesh) = scene.meshes().next().expect("mesh");
        let mut old = serde_json::to_value(&**mesh).expect("json");
        assert!(old.as_object_mut().and_then(|m| m.remove("uvs1")).is_some());
        let loaded: Mesh = serde_json::from_value(old).expect("old mesh loads");
        assert!(loaded.uvs1.is_empty());
    }

    #[test]
    fn scene_hash_sees_slot_uv_sets_and_transforms() {
        let mut scene = small_scene("s");
        let (id, _) = scene.materials().next().expect("material");
        let before = scene_hash(&scene);
        if let Some(t) = scene
            .material_mut(id)
            .and_then(|m| m.base_color_texture.as_mut())
        {
            t.transform.rotation += 0.01;
        }
        let rotated = scene_hash(&scene);
        assert_ne!(before, rotated);
        if let Some(t) = scene
            .material_mut(id)
            .and_then(|m| m.base_color_texture.as_mut())
        {
            t.uv_set = 0;
        }
        assert_ne!(rotated, scene_hash(&scene));
    }

    #[test]
    fn old_samplers_load_as_they_were_drawn() {
        // Saved before wrap and filters were split: `{ wrap, linear }`.
        let old = |wrap: &str, linear: bool| {
            serde_json::from_value::<Sampler>(serde_json::json!({"wrap": wrap, "linear": linear}))
                .expect("old sampler loads")
        };
        assert_eq!(old("Repeat", true), Sampler::default());
        assert_eq!(
            old("ClampToEdge", false),
            Sampler::nearest(Wrap::ClampToEdge)
        );
        assert_eq!(
            old("MirroredRepeat", true),
            Sampler {
                wrap_s: Wrap::MirroredRepeat,
                wrap_t: Wrap::MirroredRepeat,
                ..Sampler::default()
            }
        );
        // A slot inside an old material, too.
        let slot: TextureRef = serde_json::from_value(serde_json::json!({
            "image": 4, "sampler": {"wrap": "ClampToEdge", "linear": false}
        }))
        .expect("old slot loads");
        assert_eq!(slot.sampler, Sampler::nearest(Wrap::ClampToEdge));
        // Today's fields round-trip, and win over old ones.
        let s = Sampler {
            wrap_s: Wrap::ClampToEdge,
            wrap_t: Wrap::MirroredRepeat,
            mag_filter: Filter::Nearest,
            min_filter: MinFilter::LinearMipmapNearest,
        };
        let json = serde_json::to_value(s).expect("json");
        assert_eq!(
            serde_json::from_value::<Sampler>(json.clone()).ok(),
            Some(s)
        );
        let mut both = json;
        both["wrap"] = serde_json::json!("Repeat");
        both["linear"] = serde_json::json!(true);
        assert_eq!(serde_json::from_value::<Sampler>(both).ok(), Some(s));
        assert_eq!(
            serde_json::from_value::<Sampler>(serde_json::json!({})).ok(),
            Some(Sampler::default())
        );
    }

    #[test]
    fn scene_hash_sees_every_sampler_field() {
        let mut scene = small_scene("s");
        let (id, _) = scene.materials().next().expect("material");
        let mut seen = vec![scene_hash(&scene)];
        let edits: [fn(&mut Sampler); 4] = [
            |s| s.wrap_s = Wrap::ClampToEdge,
            |s| s.wrap_t = Wrap::MirroredRepeat,
            |s| s.mag_filter = Filter::Nearest,
            |s| s.min_filter = MinFilter::NearestMipmapLinear,
        ];
        for edit in edits {
            if let Some(t) = scene
                .material_mut(id)
                .and_then(|m| m.base_color_texture.as_mut())
            {
                edit(&mut t.sampler);
            }
            let h = scene_hash(&scene);
            assert!(!seen.contains(&h), "{:?}", scene.material(id));
            seen.push(h);
        }
    }

    #[test]
    fn sampler_text_is_short_and_names_each_part() {
        assert_eq!(
            Sampler::default().to_string(),
            "repeat, linear/linear-mip-linear"
        );
        let s = Sampler {
            wrap_s: Wrap::ClampToEdge,
            wrap_t: Wrap::MirroredRepeat,
            mag_filter: Filter::Nearest,
            min_filter: MinFilter::Linear,
        };
        assert_eq!(s.to_string(), "clamp/mirror, nearest/linear");
        assert_eq!(MinFilter::Linear.mipmap(), None);
        assert_eq!(MinFilter::LinearMipmapNearest.texel(), Filter::Linear);
        assert_eq!(
            MinFilter::LinearMipmapNearest.mipmap(),
            Some(Filter::Nearest)
        );
    }

    #[test]
    fn mesh_uv_set_falls_back_to_set_0() {
        let mut mesh = Mesh::new(
            vec![[0.0; 3]; 3],
            Vec::new(),
            vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
            Vec::new(),
            vec![0, 1, 2],
        );
        assert_eq!(mesh.uv_set(1), mesh.uvs.as_slice());
        mesh.uvs1 = vec![[5.0, 5.0]; 3];
        assert_eq!(mesh.uv_set(1), mesh.uvs1.as_slice());
        assert_eq!(mesh.uv_set(0), mesh.uvs.as_slice());
        assert_eq!(mesh.uv_set(7), mesh.uvs.as_slice());
    }

    #[test]
    fn merge_keeps_hierarchy_and_remaps_every_reference() {
        let mut base = small_scene("base");
        let before_nodes = base.node_count();
        let roots = base.merge(small_scene("other"), None);
        assert_eq!(roots.len(), 2);
        assert_eq!(base.node_count(), before_nodes * 2);
        assert_eq!(base.meshes().count(), 2);
        assert_eq!(base.materials().count(), 2);
        assert_eq!(base.images().count(), 2);
        assert_eq!(base.point_clouds().count(), 1 + 1);
        let group = base.node(roots[0]).expect("merged group");
        assert_eq!(group.name, "Group");
        let tri = base.node(group.children[0]).expect("merged child");
        assert_eq!(tri.parent, Some(roots[0]));
        assert_eq!(tri.transform.translation, Vec3::X);
        let NodeKind::Mesh { mesh, material } = tri.kind else {
            panic!("not a mesh: {:?}", tri.kind);
        };
        assert!(base.mesh(mesh).is_some());
        let texture = base
            .material(material)
            .and_then(|m| m.base_color_texture)
            .expect("texture kept");
        assert!(base.image(texture.image).is_some());
        assert_eq!(texture.uv_set, 1, "UV set kept");
        assert_eq!(texture.transform, slot_transform(), "slot transform kept");
        // Every merged id is new: no node of the base points at the merged data.
        let original_tri = base.find("Tri").expect("base tri");
        assert_ne!(original_tri, group.children[0]);
        let points = base.node(roots[1]).expect("merged points");
        assert!(!points.visible, "visibility kept");
        let NodeKind::Points { cloud, .. } = points.kind else {
            panic!("not points");
        };
        assert!(base.point_cloud(cloud).is_some());
    }

    #[test]
    fn merge_remaps_the_textures_of_every_slot() {
        let mut base = small_scene("base");
        let base_images: Vec<ImageId> = base.images().map(|(id, _)| id).collect();
        let mut other = small_scene("other");
        let (material, image) = {
            let (id, m) = other.materials().next().expect("a material");
            (id, m.base_color_texture.expect("a texture").image)
        };
        let m = other.material_mut(material).expect("material");
        for slot in TextureSlot::ALL {
            *m.slot_mut(slot) = Some(TextureRef::new(image, Sampler::default()));
        }
        base.merge(other, None);
        let merged_images: Vec<ImageId> = base
            .images()
            .map(|(id, _)| id)
            .filter(|id| !base_images.contains(id))
            .collect();
        assert_eq!(merged_images.len(), 1);
        let merged = base
            .materials()
            .find(|(_, m)| m.clearcoat_texture.is_some())
            .map(|(_, m)| m.clone())
            .expect("the merged material");
        for (slot, texture) in TextureSlot::ALL.into_iter().zip(merged.texture_slots()) {
            assert_eq!(
                texture.map(|t| t.image),
                Some(merged_images[0]),
                "{slot:?} points at the merged image"
            );
        }
    }

    #[test]
    fn merge_under_a_parent() {
        let mut base = small_scene("base");
        let parent = base.find("Group").expect("group");
        let roots = base.merge(small_scene("other"), Some(parent));
        for root in roots {
            assert_eq!(base.node(root).and_then(|n| n.parent), Some(parent));
        }
        assert_eq!(base.node(parent).map(|n| n.children.len()), Some(3));
    }
}
