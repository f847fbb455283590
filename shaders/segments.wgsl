// Line sets (glTF LINES / LINE_STRIP / LINE_LOOP, PLY edges): one screen-aligned quad per
// segment (a 4-vertex triangle strip from `vertex_index`, the segment from `instance_index`, no vertex
// buffers), `params.x` pixels wide with square caps half as long, coloured by its end points
// (blended along it). Opaque: depth-tested and depth-written like meshes. Colour is shown as
// given, like point clouds'.

struct SegmentDraw {
    clip_from_local: mat4x4<f32>,
    // x: line width in target pixels; y: the least width in target pixels (one UI point of
    // the output, at least one pixel); w: the node's selection mask value (`fs_mask`).
    params: vec4<f32>,
    // The node's colour grade: rgb factor, w saturation (see `graded` in common.wgsl).
    grade: vec4<f32>,
};

struct Segment {
    a: vec3<f32>,
    // RGBA8, sRGB-encoded colour of `a`.
    a_color: u32,
    b: vec3<f32>,
    b_color: u32,
};

@group(1) @binding(0) var<uniform> draw: SegmentDraw;
@group(1) @binding(1) var<storage, read> segments: array<Segment>;

struct SegmentOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec3<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> SegmentOut {
    var out: SegmentOut;
    let s = segments[ii];
    let pa = draw.clip_from_local * vec4<f32>(s.a, 1.0);
    let pb = draw.clip_from_local * vec4<f32>(s.b, 1.0);
    // Half the width, at least half a pixel of the output so thin lines never vanish.
    let corner = segment_quad_corner(pa, pb, vi, max(draw.params.x, draw.params.y) * 0.5);
    let ca = unpack4x8unorm(s.a_color).rgb;
    let cb = unpack4x8unorm(s.b_color).rgb;
    out.color = captured_radiance(graded(mix(ca, cb, corner.end), draw.grade)) * frame.params.x;
    out.clip = corner.clip;
    return out;
}

@fragment
fn fs_main(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.color, 1.0);
}

// Selection mask: the node's value (draw.params.w, gpu_scene::mask_value) over a selected
// line set's segments.
@fragment
fn fs_mask(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(draw.params.w, 0.0, 0.0, 1.0);
}
