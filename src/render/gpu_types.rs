//! Plain-old-data layouts shared with the WGSL shaders, and the vertex buffer layouts.

use bytemuck::{Pod, Zeroable};

/// One mesh vertex (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Vertex {
    pub position: [f32; 3],
    pub normal: [f32; 3],
    pub uv: [f32; 2],
    pub color: [f32; 4],
    pub tangent: [f32; 4],
}

/// Per-instance data: `world_from_local`, the normal matrix, the colour grade and the
/// relighting of captured colour (160 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Instance {
    pub world_from_local: [[f32; 4]; 4],
    /// The normal matrix's columns; `[0][3]`: the node's hue in [0, 1) for solid shading's
    /// random colours ([`crate::render::gpu_scene::node_hue`]).
    pub normal_from_local: [[f32; 4]; 3],
    /// The node's colour grade: rgb factor (tint × brightness), saturation.
    pub grade: [f32; 4],
    /// Captured light model of unlit (captured) colour: directional part in world space,
    /// ambient (see `scene::relight`).
    pub relight_model: [f32; 4],
    /// x: relight amount (0 = as captured); yzw: unused.
    pub relight: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<Instance>() == 160);

/// `Frame` in common.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FrameUniform {
    pub clip_from_world: [[f32; 4]; 4],
    pub world_from_clip: [[f32; 4]; 4],
    pub view_from_world: [[f32; 4]; 4],
    pub shadow_clip_from_world: [[[f32; 4]; 4]; 4],
    pub camera_pos: [f32; 4],
    pub sun_dir: [f32; 4],
    pub sun_illuminance: [f32; 4],
    pub cascade_far: [f32; 4],
    /// xyz: a shadow-map texel's width in world units per cascade; w: the view depth where
    /// the first cascade starts.
    pub cascade_texel: [f32; 4],
    pub sky_params: [f32; 4],
    pub sh: [[f32; 4]; 9],
    pub params: [f32; 4],
    pub viewport: [f32; 4],
    /// x: tone mapper (0 ACES, 1 linear), so shaders can invert it for captured colour.
    pub display: [f32; 4],
    /// The per-tile light lists' layout (`LightTiles::params`): tile size in pixels,
    /// columns, words per tile.
    pub light_tiles: [f32; 4],
    /// x: target pixels per UI point (`RenderSettings::pixels_per_point`), which overlay
    /// widths are multiplied by; y: X-ray's alpha (`Overlays::xray_alpha`).
    pub overlay: [f32; 4],
}

/// `Light` in common.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct GpuLight {
    pub position_range: [f32; 4],
    pub direction_kind: [f32; 4],
    pub color: [f32; 4],
    pub spot: [f32; 4],
}

/// Texture slots of a material, in [`crate::scene::TextureSlot::ALL`] order (the index into
/// [`MaterialUniform::uv`]).
pub const TEXTURE_SLOTS: usize = crate::scene::TextureSlot::COUNT;

/// Binding of the first slot's sampler in the material bind group (mesh.wgsl group 1): slot
/// `i` samples with binding `MATERIAL_SAMPLER_BINDING + i`, after the uniform (0) and the
/// slots' textures (1..=14).
pub const MATERIAL_SAMPLER_BINDING: u32 = 1 + TEXTURE_SLOTS as u32;

/// `Material` in mesh.wgsl (784 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
pub struct MaterialUniform {
    pub base_color: [f32; 4],
    /// rgb emissive radiance; w KHR_materials_dispersion's factor.
    pub emissive: [f32; 4],
    pub pbr: [f32; 4],
    pub alpha: [f32; 4],
    /// KHR_materials_specular: rgb the specular colour factor, w the specular factor.
    pub specular: [f32; 4],
    /// x: KHR_materials_transmission's factor; KHR_materials_clearcoat's y: strength,
    /// z: roughness, w: normal scale.
    pub layers: [f32; 4],
    /// KHR_materials_volume: rgb the absorption coefficients per metre
    /// ([`crate::scene::Material::absorption`]), w the thickness (0: thin-walled).
    pub volume: [f32; 4],
    /// KHR_materials_sheen: rgb the sheen colour, w the sheen roughness
    /// ([`crate::scene::Material::sheen_factors`]).
    pub sheen: [f32; 4],
    /// KHR_materials_anisotropy: x the strength, y and z the cosine and sine of the rotation
    /// ([`crate::scene::Material::anisotropy_factors`]); w unused.
    pub anisotropy: [f32; 4],
    /// KHR_materials_iridescence: x the factor, y the film's IOR, z and w its thickness
    /// range in nanometres ([`crate::scene::Material::iridescence_factors`]).
    pub iridescence: [f32; 4],
    /// KHR_materials_diffuse_transmission: rgb the colour, w the factor
    /// ([`crate::scene::Material::diffuse_transmission_factors`]).
    pub diffuse_transmission: [f32; 4],
    /// Per texture slot (base colour, metallic-roughness, normal, occlusion, emissive,
    /// specular, specular colour, transmission, clearcoat, clearcoat roughness, clearcoat
    /// normal, thickness, sheen colour, sheen roughness, anisotropy, iridescence, iridescence
    /// thickness, diffuse transmission, its colour), two rows of its 2x3
    /// texture-coordinate transform; `w` of the first row is the UV set the slot reads (0 or
    /// 1).
    pub uv: [[[f32; 4]; 2]; TEXTURE_SLOTS],
}

/// `Post` in post.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct PostUniform {
    pub params: [f32; 4],
    pub outline_color: [f32; 4],
}

/// A line vertex for icons.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct LineVertex {
    pub position: [f32; 3],
    pub color: [f32; 4],
}

pub const VERTEX_ATTRIBUTES: [wgpu::VertexAttribute; 5] = wgpu::vertex_attr_array![
    0 => Float32x3, 1 => Float32x3, 2 => Float32x2, 3 => Float32x4, 4 => Float32x4
];
pub const POSITION_ONLY: [wgpu::VertexAttribute; 1] = wgpu::vertex_attr_array![0 => Float32x3];
/// The second texture-coordinate set, in its own buffer (slot 2) so that only meshes that
/// have one pay for it; after the instance attributes (5..=11).
pub const UV1_ATTRIBUTES: [wgpu::VertexAttribute; 1] = wgpu::vertex_attr_array![12 => Float32x2];
/// Instance rows: world matrix (5..=8), normal matrix (9..=11), colour grade (13),
/// relighting (14, 15). With the vertex (0..=4) and uv1 (12) attributes that is all 16
/// locations WebGPU guarantees.
pub const INSTANCE_ATTRIBUTES: [wgpu::VertexAttribute; 10] = wgpu::vertex_attr_array![
    5 => Float32x4, 6 => Float32x4, 7 => Float32x4, 8 => Float32x4,
    9 => Float32x4, 10 => Float32x4, 11 => Float32x4, 13 => Float32x4,
    14 => Float32x4, 15 => Float32x4
];
/// One overlay line per instance: two consecutive [`LineVertex`]es (lines.wgsl `LineIn`).
pub const LINE_PAIR_ATTRIBUTES: [wgpu::VertexAttribute; 4] = wgpu::vertex_attr_array![
    0 => Float32x3, 1 => Float32x4, 2 => Float32x3, 3 => Float32x4
];

pub fn vertex_layout(attributes: &[wgpu::VertexAttribute]) -> wgpu::VertexBufferLayout<'_> {
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<Vertex>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes,
    }
}

/// The vertex buffers of common.wgsl's `SurfaceIn` (wire.wgsl, solid.wgsl): a mesh's
/// positions and normals (locations 0 and 1) and its instances' world and normal matrices
/// (5..=11).
pub fn surface_buffers() -> [Option<wgpu::VertexBufferLayout<'static>>; 2] {
    static VERTEX: [wgpu::VertexAttribute; 5] = VERTEX_ATTRIBUTES;
    static INSTANCE: [wgpu::VertexAttribute; 10] = INSTANCE_ATTRIBUTES;
    [
        Some(vertex_layout(&VERTEX[..2])),
        Some(instance_layout(&INSTANCE[..7])),
    ]
}

/// Layout of a mesh's second texture-coordinate buffer: one `[f32; 2]` per vertex.
pub fn uv1_layout() -> wgpu::VertexBufferLayout<'static> {
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<[f32; 2]>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes: &UV1_ATTRIBUTES,
    }
}

pub fn instance_layout(attributes: &[wgpu::VertexAttribute]) -> wgpu::VertexBufferLayout<'_> {
    wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<Instance>() as u64,
        step_mode: wgpu::VertexStepMode::Instance,
        attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_uniform_matches_the_wgsl_struct_size() {
        // 11 vec4 + 2 vec4 per texture slot.
        assert_eq!(
            std::mem::size_of::<MaterialUniform>(),
            (11 + 2 * TEXTURE_SLOTS) * 16
        );
        // mesh.wgsl's `Material`, as naga lays it out, must agree.
        let source = crate::render::shaders::mesh(crate::render::shaders::MaterialBindings::Shared);
        let module = naga::front::wgsl::parse_str(&source).expect("mesh.wgsl parses");
        let span = module
            .types
            .iter()
            .find_map(|(_, ty)| match &ty.inner {
                naga::TypeInner::Struct { span, .. } if ty.name.as_deref() == Some("Material") => {
                    Some(*span)
                }
                _ => None,
            })
            .expect("mesh.wgsl has a Material struct");
        assert_eq!(span as usize, std::mem::size_of::<MaterialUniform>());
    }
}
