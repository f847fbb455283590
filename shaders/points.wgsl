// Point clouds: one screen-aligned quad per point (a 4-vertex triangle strip from
// `vertex_index`, the point from `instance_index`, no vertex buffers), cut to a round disc
// `point_size_px` wide. Opaque (but for X-ray, `fs_xray`):
// depth-tested and depth-written like meshes. Colour is shown as captured.

struct PointDraw {
    clip_from_local: mat4x4<f32>,
    // x: point diameter in target pixels; y: target pixels per output pixel (unused here);
    // z: 1 when the selected points (`selected`) are shown tinted; w: the node's selection
    // mask value (`fs_mask`).
    params: vec4<f32>,
    // The node's colour grade: rgb factor, w saturation (see `graded` in common.wgsl).
    grade: vec4<f32>,
    // Where the selected points are shown, in the cloud's frame (the editor's gizmo dragging
    // them); used only when params.z is 1.
    moved: mat4x4<f32>,
};

struct Point {
    position: vec3<f32>,
    // RGBA8, sRGB-encoded colour.
    color: u32,
};

@group(1) @binding(0) var<uniform> draw: PointDraw;
@group(1) @binding(1) var<storage, read> points: array<Point>;
// The selection tool's marks of the page's points (`element_mark` in common.wgsl), read when
// draw.params.z is 1: the points the editor's screen selection holds (tinted), those its tool
// hides (not drawn) and those it locks (greyed).
@group(1) @binding(2) var selected: texture_2d<u32>;
// What selected points are tinted towards (display sRGB), as selected splats are.
const SELECTED_TINT: vec3<f32> = vec3<f32>(1.0, 0.82, 0.1);

struct PointOut {
    @builtin(position) clip: vec4<f32>,
    // Position in the disc, -1..1 on both axes.
    @location(0) corner: vec2<f32>,
    @location(1) @interpolate(flat) color: vec3<f32>,
    // The centre's view depth, for X-ray (`fs_front`, `fs_xray`; 0 unless `view_depth_out`).
    @location(2) @interpolate(flat) view_depth: f32,
};

// X-ray's pipelines (renderer.rs "X-ray"): the vertex stage works out each point's view
// depth, which the others skip.
override view_depth_out: bool = false;

// Two triangles covering [-1, 1]², as a strip.
fn quad_corner(i: u32) -> vec2<f32> {
    // A triangle strip of four corners: the vertex stage runs 4 times per quad, not 6.
    var corners = array<vec2<f32>, 4>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0),
        vec2<f32>(1.0, 1.0));
    return corners[i % 4u];
}

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> PointOut {
    var out: PointOut;
    let p = points[ii];
    let corner = quad_corner(vi);
    var position = p.position;
    var shown = graded(unpack4x8unorm(p.color).rgb, draw.grade);
    var hidden = false;
    if draw.params.z != 0.0 {
        let mark = element_mark(selected, ii);
        hidden = mark == MARK_HIDDEN;
        if mark == MARK_SELECTED {
            shown = mix(shown, SELECTED_TINT, 0.6);
            position = (draw.moved * vec4<f32>(position, 1.0)).xyz;
        }
        if mark == MARK_LOCKED {
            shown = locked_look(shown);
        }
    }
    let clip = draw.clip_from_local * vec4<f32>(position, 1.0);
    out.corner = corner;
    out.view_depth = 0.0;
    if view_depth_out {
        out.view_depth = view_depth_of_clip(clip);
    }
    out.color = captured_radiance(shown) * frame.params.x;
    // Behind the near plane (reverse Z: z > w), or not a number: outside the clip volume.
    if hidden || !(clip.w > 0.0 && clip.z <= clip.w) {
        out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        return out;
    }
    // Half the diameter in NDC is size_px / viewport_px; scale by w to stay in clip space.
    let offset = corner * draw.params.x * frame.viewport.zw;
    out.clip = vec4<f32>(clip.xy + offset * clip.w, clip.zw);
    return out;
}

@fragment
fn fs_main(in: PointOut) -> @location(0) vec4<f32> {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    return vec4<f32>(in.color, 1.0);
}

// X-ray (renderer.rs, `Overlays::xray`): points are see-through as meshes are. Their view
// depth into the front pre-pass (the nearest X-ray surface per pixel, solid.wgsl's
// `fs_front`), then their display colour at X-ray's alpha, blended order-independently
// (common.wgsl `xray_out`).
@group(2) @binding(2) var xray_front: texture_2d<f32>;

@fragment
fn fs_front(in: PointOut) -> @location(0) f32 {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    return in.view_depth;
}

@fragment
fn fs_xray(in: PointOut) -> XrayOut {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    let c = vec4<f32>(display_encoded(in.color), xray_alpha());
    return xray_out(c, in.view_depth, textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r);
}

// Selection mask: the node's value (draw.params.w, gpu_scene::mask_value) over a selected
// cloud's discs.
@fragment
fn fs_mask(in: PointOut) -> @location(0) vec4<f32> {
    if dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    return vec4<f32>(draw.params.w, 0.0, 0.0, 1.0);
}
