// Line sets (glTF LINES / LINE_STRIP / LINE_LOOP, PLY edges): one screen-aligned quad per
// segment (a 4-vertex triangle strip from `vertex_index`, the segment from `instance_index`, no vertex
// buffers), `params.x` pixels wide with square caps half as long, coloured by its end points
// (blended along it). Opaque (but for X-ray, `fs_xray`): depth-tested and depth-written
// like meshes. Colour is shown as given, like point clouds'.

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
    // The view depth along the segment, for X-ray (`fs_front`, `fs_xray`; 0 unless
    // `view_depth_out`).
    @location(1) view_depth: f32,
};

// X-ray's pipelines (renderer.rs "X-ray"): the vertex stage works out each corner's view
// depth, which the others skip.
override view_depth_out: bool = false;

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
    out.view_depth = 0.0;
    if view_depth_out && corner.clip.w > 0.0 {
        // The corner lies beside its end at the end's clip depth, so at the end's view depth.
        out.view_depth = view_depth_of_clip(corner.clip);
    }
    return out;
}

@fragment
fn fs_main(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.color, 1.0);
}

// X-ray (renderer.rs, `Overlays::xray`): lines are see-through as meshes and points are.
// Their view depth into the front pre-pass (the nearest X-ray surface per pixel), then their
// display colour at X-ray's alpha, blended order-independently (common.wgsl `xray_out`).
@group(2) @binding(2) var xray_front: texture_2d<f32>;

@fragment
fn fs_front(in: SegmentOut) -> @location(0) f32 {
    return in.view_depth;
}

@fragment
fn fs_xray(in: SegmentOut) -> XrayOut {
    let c = vec4<f32>(display_encoded(in.color), xray_alpha());
    return xray_out(c, in.view_depth, textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r);
}

// Selection mask: the node's value (draw.params.w, gpu_scene::mask_value) over a selected
// line set's segments.
@fragment
fn fs_mask(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(draw.params.w, 0.0, 0.0, 1.0);
}
