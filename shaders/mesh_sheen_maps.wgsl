// KHR_materials_sheen's two texture slots (mesh.wgsl's slots 12 and 13), appended to
// mesh.wgsl on adapters that allow 18 sampled textures per shader stage (renderer.rs).
@group(1) @binding(13) var sheen_color_tex: texture_2d<f32>;
@group(1) @binding(14) var sheen_roughness_tex: texture_2d<f32>;
@group(1) @binding(27) var sheen_color_sampler: sampler;
@group(1) @binding(28) var sheen_roughness_sampler: sampler;

fn sheen_color_map(uv: vec2<f32>) -> vec3<f32> {
    return textureSample(sheen_color_tex, sheen_color_sampler, uv).rgb;
}

fn sheen_roughness_map(uv: vec2<f32>) -> f32 {
    return textureSample(sheen_roughness_tex, sheen_roughness_sampler, uv).a;
}
