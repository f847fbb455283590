// Viewport ground grid on y = 0: 1 m and 10 m lines, antialiased, fading with distance.

struct GridOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> GridOut {
    let corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0));
    let extent = 1000.0;
    let c = corners[i] * extent + floor(frame.camera_pos.xz / 10.0) * 10.0;
    let world = vec3<f32>(c.x, 0.0, c.y);
    var out: GridOut;
    out.clip = frame.clip_from_world * vec4<f32>(world, 1.0);
    out.world = world;
    return out;
}

fn line_strength(p: vec2<f32>, spacing: f32) -> f32 {
    let g = p / spacing;
    let w = fwidth(g);
    let d = abs(fract(g - 0.5) - 0.5) / max(w, vec2<f32>(1e-5));
    return 1.0 - min(min(d.x, d.y), 1.0);
}

@fragment
fn fs_main(in: GridOut) -> @location(0) vec4<f32> {
    let dist = length(in.world - frame.camera_pos.xyz);
    var fade = 1.0 - smoothstep(60.0, 400.0, dist);
    var minor_fade = 1.0 - smoothstep(20.0, 80.0, dist);
    var major_fade = 1.0;
    if frame.camera_pos.w == 0.0 {
        // Orthographic: the eye is far back and distance does not thin the lines on screen.
        // A spacing fades as it nears a few pixels (metres per pixel across the plane), and
        // the grid fades out across the view before the edge of its quad.
        let d = in.world - frame.camera_pos.xyz;
        let z = towards_viewer(in.world);
        fade = 1.0 - smoothstep(600.0, 1000.0, length(d - z * dot(d, z)));
        let m = max(fwidth(in.world.x), fwidth(in.world.z));
        minor_fade = 1.0 - smoothstep(0.12, 0.3, m);
        major_fade = 1.0 - smoothstep(1.2, 3.0, m);
    }
    let minor = line_strength(in.world.xz, 1.0) * minor_fade;
    let major = line_strength(in.world.xz, 10.0) * major_fade;
    var color = vec3<f32>(0.5);
    var a = max(minor * 0.25, major * 0.5) * fade;
    // X axis red, Z axis blue.
    let ax = 1.0 - min(abs(in.world.z) / max(fwidth(in.world.z) * 1.5, 1e-5), 1.0);
    let az = 1.0 - min(abs(in.world.x) / max(fwidth(in.world.x) * 1.5, 1e-5), 1.0);
    if ax > 0.01 {
        color = vec3<f32>(0.9, 0.2, 0.2);
        a = max(a, ax * 0.9 * fade);
    }
    if az > 0.01 {
        color = vec3<f32>(0.2, 0.35, 0.9);
        a = max(a, az * 0.9 * fade);
    }
    if a < 0.003 {
        discard;
    }
    // A fixed mid grey in the exposed HDR range, shown through the tone mapper as a light grey
    // line; blended in the display-space layer (display.wgsl).
    return vec4<f32>(display_encoded(color * 0.5), a);
}
