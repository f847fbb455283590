// Line sets (glTF LINES / LINE_STRIP / LINE_LOOP, PLY edges): one screen-aligned quad per
// segment (a 4-vertex triangle strip from `vertex_index`, the segment from `instance_index`, no vertex
// buffers), `params.x` pixels wide with square caps half as long, coloured by its end points
// (blended along it). Opaque: depth-tested and depth-written like meshes. Colour is shown as
// given, like point clouds'.

struct SegmentDraw {
    clip_from_local: mat4x4<f32>,
    // x: line width in target pixels; y: the least width in target pixels (one UI point of
    // the output, at least one pixel).
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

// The part of the segment in front of the near plane (reverse Z: visible where z <= w and
// w > 0), or a w of 0 when none is.
fn clip_to_near(p: vec4<f32>, q: vec4<f32>) -> vec4<f32> {
    let dp = p.w - p.z;
    let dq = q.w - q.z;
    if dp >= 0.0 && p.w > 0.0 {
        return p;
    }
    if dq < 0.0 || q.w <= 0.0 {
        return vec4<f32>(0.0);
    }
    // Where w - z = 0 between them, nudged towards q.
    let t = dp / (dp - dq);
    return mix(p, q, min(t + 1e-5, 1.0));
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> SegmentOut {
    var out: SegmentOut;
    let s = segments[ii];
    let pa = draw.clip_from_local * vec4<f32>(s.a, 1.0);
    let pb = draw.clip_from_local * vec4<f32>(s.b, 1.0);
    let a = clip_to_near(pa, pb);
    let b = clip_to_near(pb, pa);
    // Corner i of the quad: which end (0 = a, 1 = b) and which side (-1, 1).
    var ends = array<f32, 4>(0.0, 1.0, 0.0, 1.0);
    var sides = array<f32, 4>(-1.0, -1.0, 1.0, 1.0);
    let end = ends[vi % 4u];
    let side = sides[vi % 4u];
    let ca = unpack4x8unorm(s.a_color).rgb;
    let cb = unpack4x8unorm(s.b_color).rgb;
    out.color = captured_radiance(graded(mix(ca, cb, end), draw.grade)) * frame.params.x;
    // Not a number anywhere, or wholly behind the near plane: outside the clip volume.
    if !(a.w > 0.0 && b.w > 0.0) {
        out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        return out;
    }
    // Direction along the segment in pixels (so the width is even on a non-square frame).
    let to_px = frame.viewport.xy * 0.5;
    let along_px = (b.xy / b.w - a.xy / a.w) * to_px;
    let len = length(along_px);
    var dir = vec2<f32>(1.0, 0.0);
    if len > 1e-6 {
        dir = along_px / len;
    }
    let normal = vec2<f32>(-dir.y, dir.x);
    // Half the width, at least half a pixel of the output so thin lines never vanish.
    let half_px = max(draw.params.x, draw.params.y) * 0.5;
    let offset_px = (normal * side + dir * (end * 2.0 - 1.0)) * half_px;
    let p = select(a, b, end > 0.5);
    out.clip = vec4<f32>(p.xy + offset_px / to_px * p.w, p.zw);
    return out;
}

@fragment
fn fs_main(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.color, 1.0);
}

// Selection mask (R8): 1 over a selected line set's segments.
@fragment
fn fs_mask(in: SegmentOut) -> @location(0) vec4<f32> {
    return vec4<f32>(1.0, 0.0, 0.0, 1.0);
}
