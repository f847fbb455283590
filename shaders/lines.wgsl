// Viewport wireframe icons for lights and cameras.

struct LineIn {
    @location(0) position: vec3<f32>,
    @location(1) color: vec4<f32>,
};

struct LineOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(v: LineIn) -> LineOut {
    var out: LineOut;
    out.clip = frame.clip_from_world * vec4<f32>(v.position, 1.0);
    out.color = v.color;
    return out;
}

@fragment
fn fs_main(in: LineOut) -> @location(0) vec4<f32> {
    // Exposed HDR colours, drawn in the display-space layer (display.wgsl).
    return vec4<f32>(display_encoded(in.color.rgb), in.color.a);
}
