// Viewport overlay lines: light and camera icons, motion paths and bones. One instance per
// line (a pair of `LineVertex`es), drawn as a screen-aligned quad (a 4-vertex triangle strip)
// one UI point wide (`frame.overlay.x` pixels, at least one), so HiDPI displays show them at
// the width a 1× display does.

struct LineIn {
    @location(0) a: vec3<f32>,
    @location(1) a_color: vec4<f32>,
    @location(2) b: vec3<f32>,
    @location(3) b_color: vec4<f32>,
};

struct LineOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, v: LineIn) -> LineOut {
    let pa = frame.clip_from_world * vec4<f32>(v.a, 1.0);
    let pb = frame.clip_from_world * vec4<f32>(v.b, 1.0);
    let corner = segment_quad_corner(pa, pb, vi, max(frame.overlay.x, 1.0) * 0.5);
    var out: LineOut;
    out.clip = corner.clip;
    out.color = mix(v.a_color, v.b_color, corner.end);
    return out;
}

@fragment
fn fs_main(in: LineOut) -> @location(0) vec4<f32> {
    // Exposed HDR colours, drawn in the display-space layer (display.wgsl).
    return vec4<f32>(display_encoded(in.color.rgb), in.color.a);
}
