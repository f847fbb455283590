//! WGSL sources, embedded at compile time. Passes that light or show the scene get
//! `common.wgsl` prepended (WGSL has no includes).

use super::gpu_types::MATERIAL_SAMPLER_BINDING;
use crate::scene::TextureSlot;

/// Colour functions without bindings (sRGB transfer, tone mappers), in `COMMON` and post.
pub const COLOR: &str = include_str!("../../shaders/color.wgsl");

/// Shared declarations (frame uniform, lights, shadows, sky), after [`COLOR`].
pub const COMMON: &str = concat!(
    include_str!("../../shaders/color.wgsl"),
    "\n",
    include_str!("../../shaders/common.wgsl")
);

/// Every pass: (file name, full source as compiled).
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("mesh.wgsl", mesh(MaterialBindings::Shared)),
        (
            "mesh.wgsl (a sampler per slot)",
            mesh(MaterialBindings::PerSlot { bound: 12 }),
        ),
        (
            "sky.wgsl",
            with_common(include_str!("../../shaders/sky.wgsl")),
        ),
        (
            "grid.wgsl",
            with_common(include_str!("../../shaders/grid.wgsl")),
        ),
        (
            "lines.wgsl",
            with_common(include_str!("../../shaders/lines.wgsl")),
        ),
        (
            "wire.wgsl",
            with_common(include_str!("../../shaders/wire.wgsl")),
        ),
        (
            "solid.wgsl",
            with_common(include_str!("../../shaders/solid.wgsl")),
        ),
        (
            "points.wgsl",
            with_common(include_str!("../../shaders/points.wgsl")),
        ),
        (
            "segments.wgsl",
            with_common(include_str!("../../shaders/segments.wgsl")),
        ),
        (
            "splats.wgsl",
            with_common(include_str!("../../shaders/splats.wgsl")),
        ),
        (
            "display.wgsl",
            with_common(include_str!("../../shaders/display.wgsl")),
        ),
        (
            "shadow.wgsl",
            include_str!("../../shaders/shadow.wgsl").to_owned(),
        ),
        (
            "mask.wgsl",
            include_str!("../../shaders/mask.wgsl").to_owned(),
        ),
        (
            "splat_sort.wgsl",
            include_str!("../../shaders/splat_sort.wgsl").to_owned(),
        ),
        (
            "post.wgsl",
            format!("{COLOR}\n{}", include_str!("../../shaders/post.wgsl")),
        ),
    ]
}

/// How the material bind group (mesh.wgsl group 1) holds its textures and samplers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MaterialBindings {
    /// Every texture slot, and [`MATERIAL_SAMPLERS`] samplers that the slots share: each slot
    /// samples with the one mesh.wgsl's pipeline constants `slot_samplers` name (two bits per
    /// slot). glTF gives every texture its own sampler, but a material rarely has more than
    /// two different ones, and one sampler per slot would pass Metal's 16 per shader stage.
    #[default]
    Shared,
    /// The first `bound` slots (in `TextureSlot::ALL` order), each with its own sampler; the
    /// others are not sampled (their factors alone count). For adapters with WebGPU's
    /// guaranteed 16 sampled textures per stage (the GL backend, whose GLSL combines each
    /// texture with every sampler it is read with into a texture unit of its own).
    PerSlot { bound: usize },
}

/// Samplers in the material bind group with [`MaterialBindings::Shared`].
pub const MATERIAL_SAMPLERS: usize = 4;

/// Texture slot `slot`'s name in mesh.wgsl: the texture `{name}_tex`, read by
/// `sample_{name}(uv)`.
fn slot_wgsl_name(slot: TextureSlot) -> &'static str {
    match slot {
        TextureSlot::BaseColor => "base_color",
        TextureSlot::MetallicRoughness => "metallic_roughness",
        TextureSlot::Normal => "normal",
        TextureSlot::Occlusion => "occlusion",
        TextureSlot::Emissive => "emissive",
        TextureSlot::Specular => "specular",
        TextureSlot::SpecularColor => "specular_color",
        TextureSlot::Transmission => "transmission",
        TextureSlot::Clearcoat => "clearcoat",
        TextureSlot::ClearcoatRoughness => "clearcoat_roughness",
        TextureSlot::ClearcoatNormal => "clearcoat_normal",
        TextureSlot::Thickness => "thickness",
        TextureSlot::SheenColor => "sheen_color",
        TextureSlot::SheenRoughness => "sheen_roughness",
        TextureSlot::Anisotropy => "anisotropy",
        TextureSlot::Iridescence => "iridescence",
        TextureSlot::IridescenceThickness => "iridescence_thickness",
        TextureSlot::DiffuseTransmission => "diffuse_transmission",
        TextureSlot::DiffuseTransmissionColor => "diffuse_transmission_color",
    }
}

/// The mesh pass with its material bindings: mesh.wgsl and, generated here, the material
/// group's textures and samplers and a `sample_{slot}(uv)` function per texture slot.
pub fn mesh(bindings: MaterialBindings) -> String {
    with_common(&format!(
        "{}\n{}",
        include_str!("../../shaders/mesh.wgsl"),
        material_bindings_wgsl(bindings)
    ))
}

fn material_bindings_wgsl(bindings: MaterialBindings) -> String {
    use std::fmt::Write;
    let sampler_binding = MATERIAL_SAMPLER_BINDING;
    let mut out = String::from(
        "// Generated by render/shaders.rs (`material_bindings_wgsl`): the material group's\n\
         // textures and samplers, and one sampling function per texture slot.\n",
    );
    if bindings == MaterialBindings::Shared {
        for k in 0..MATERIAL_SAMPLERS {
            let _ = writeln!(
                out,
                "@group(1) @binding({}) var material_sampler_{k}: sampler;",
                sampler_binding + k as u32
            );
        }
        out.push_str(
            "// The sampler of each slot: two bits per slot, slots 0–15 in `slot_samplers`, the\n\
             // rest in `slot_samplers_high` (renderer.rs, `MeshPipe::samplers`).\n\
             override slot_samplers: u32 = 0u;\n\
             override slot_samplers_high: u32 = 0u;\n",
        );
    }
    for (i, slot) in TextureSlot::ALL.into_iter().enumerate() {
        let name = slot_wgsl_name(slot);
        let bound = match bindings {
            MaterialBindings::Shared => true,
            MaterialBindings::PerSlot { bound } => i < bound,
        };
        if !bound {
            // Never called: `maps` has no bit for a slot the group lacks.
            let _ = writeln!(
                out,
                "fn sample_{name}(uv: vec2<f32>) -> vec4<f32> {{\n    return vec4<f32>(1.0);\n}}"
            );
            continue;
        }
        let _ = writeln!(
            out,
            "@group(1) @binding({}) var {name}_tex: texture_2d<f32>;",
            1 + i
        );
        match bindings {
            MaterialBindings::Shared => {
                let (word, shift) = if i < 16 {
                    ("slot_samplers", 2 * i)
                } else {
                    ("slot_samplers_high", 2 * (i - 16))
                };
                let _ = writeln!(
                    out,
                    "fn sample_{name}(uv: vec2<f32>) -> vec4<f32> {{\n    \
                     switch ({word} >> {shift}u) & 3u {{"
                );
                for k in 1..MATERIAL_SAMPLERS {
                    let _ = writeln!(
                        out,
                        "        case {k}u: {{ return textureSample({name}_tex, material_sampler_{k}, uv); }}"
                    );
                }
                let _ = writeln!(
                    out,
                    "        default: {{ return textureSample({name}_tex, material_sampler_0, uv); }}\n    }}\n}}"
                );
            }
            MaterialBindings::PerSlot { .. } => {
                let _ = writeln!(
                    out,
                    "@group(1) @binding({}) var {name}_sampler: sampler;\n\
                     fn sample_{name}(uv: vec2<f32>) -> vec4<f32> {{\n    \
                     return textureSample({name}_tex, {name}_sampler, uv);\n}}",
                    sampler_binding + i as u32
                );
            }
        }
    }
    out
}

fn with_common(src: &str) -> String {
    format!("{COMMON}\n{src}")
}

/// The full source of one pass by file name.
pub fn source(name: &str) -> String {
    all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap_or_default()
}
