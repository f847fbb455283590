// Position-only pass used twice: the depth pre-pass (`vs_main`, so the costly mesh shader
// runs once per visible pixel) and the selection mask (`vs_selection`: each selected object
// writes its own value into an R16Float texture, the nearest where they overlap; post.wgsl
// outlines where the value changes, so each selected object is outlined even against
// another selected one, as Blender outlines them). The position math matches mesh.wgsl
// exactly, and both are @invariant, so the main pass can test depth with GreaterEqual
// against the pre-pass.

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

// The vertex's clip position, as mesh.wgsl works it out (both passes use it).
fn clip_of(v: VertexIn) -> vec4<f32> {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let world = world_from_local * vec4<f32>(v.position, 1.0);
    return mask.clip_from_world * world;
}

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    out.clip = clip_of(v);
    return out;
}

@fragment
fn fs_main() -> @location(0) vec4<f32> {
    return vec4<f32>(1.0, 0.0, 0.0, 1.0);
}

// How many mask values nodes share out (render::MASK_VALUES; the R16Float mask holds every
// whole number up to 2048 exactly).
const MASK_VALUES: f32 = 2047.0;

struct SelectionOut {
    @builtin(position) @invariant clip: vec4<f32>,
    // The object's mask value: a whole number from 1 to 2047 from its hue, so node ids less
    // than 987 apart never share one (the golden-ratio hues of ids that close lie more
    // than 1/2047 apart); clouds and line sets write the same value of their node
    // (gpu_scene::mask_value, points.wgsl, segments.wgsl, splats.wgsl).
    @location(0) @interpolate(flat) value: f32,
};

// The selection mask's input: `VertexIn` and the first column of the instance's normal
// matrix, whose w is the node's hue in [0, 1) (render/gpu_scene.rs `node_hue`).
@vertex
fn vs_selection(v: VertexIn, @location(9) normal_0: vec4<f32>) -> SelectionOut {
    var out: SelectionOut;
    out.clip = clip_of(v);
    out.value = 1.0 + floor(clamp(normal_0.w, 0.0, 0.9999) * MASK_VALUES);
    return out;
}

@fragment
fn fs_selection(in: SelectionOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.value, 0.0, 0.0, 1.0);
}
