// Position-only pass used twice: the depth pre-pass (so the costly mesh shader runs once per
// visible pixel) and the selection mask (selected objects write 1 into an R8 texture;
// post.wgsl outlines its edges). The position math matches mesh.wgsl exactly, and both are
// @invariant, so the main pass can test depth with GreaterEqual against the pre-pass.

struct Mask {
    clip_from_world: mat4x4<f32>,
};

@group(0) @binding(0) var<uniform> mask: Mask;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(5) model_0: vec4<f32>,
    @location(6) model_1: vec4<f32>,
    @location(7) model_2: vec4<f32>,
    @location(8) model_3: vec4<f32>,
};

struct VertexOut {
    @builtin(position) @invariant clip: vec4<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let world = world_from_local * vec4<f32>(v.position, 1.0);
    var out: VertexOut;
    out.clip = mask.clip_from_world * world;
    return out;
}

@fragment
fn fs_main() -> @location(0) vec4<f32> {
    return vec4<f32>(1.0, 0.0, 0.0, 1.0);
}
