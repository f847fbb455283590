// Depth-only pass into one shadow cascade.

struct Cascade {
    clip_from_world: mat4x4<f32>,
};

@group(0) @binding(0) var<uniform> cascade: Cascade;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(5) model_0: vec4<f32>,
    @location(6) model_1: vec4<f32>,
    @location(7) model_2: vec4<f32>,
    @location(8) model_3: vec4<f32>,
};

@vertex
fn vs_main(v: VertexIn) -> @builtin(position) vec4<f32> {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    var p = cascade.clip_from_world * world_from_local * vec4<f32>(v.position, 1.0);
    // Pancaking: casters in front of the near plane are clamped onto it.
    p.z = max(p.z, 0.0);
    return p;
}
