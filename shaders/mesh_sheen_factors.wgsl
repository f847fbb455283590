// In place of mesh_sheen_maps.wgsl on adapters limited to WebGPU's guaranteed 16 sampled
// textures per shader stage (the GL backend): the material bind group has no sheen slots and
// the sheen takes its factors alone (renderer.rs).
fn sheen_color_map(uv: vec2<f32>) -> vec3<f32> {
    return vec3<f32>(1.0);
}

fn sheen_roughness_map(uv: vec2<f32>) -> f32 {
    return 1.0;
}
