// Background sky: a full-screen triangle at the far plane (reverse-Z depth 0), with a sun disc.

struct SkyOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) ndc: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> SkyOut {
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    let ndc = uv * 2.0 - 1.0;
    var out: SkyOut;
    out.clip = vec4<f32>(ndc, 0.0, 1.0);
    out.ndc = ndc;
    return out;
}

@fragment
fn fs_main(in: SkyOut) -> @location(0) vec4<f32> {
    if frame.sky_params.z > 0.5 {
        // Solid shading: a neutral backdrop, lighter towards the top, shown the same at any
        // exposure.
        let g = mix(0.15, 0.27, in.ndc.y * 0.5 + 0.5);
        return vec4<f32>(captured_radiance(vec3<f32>(g)) * frame.params.x, 1.0);
    }
    let far = frame.world_from_clip * vec4<f32>(in.ndc, 1e-7, 1.0);
    let near = frame.world_from_clip * vec4<f32>(in.ndc, 1.0, 1.0);
    var dir = normalize(far.xyz / far.w - near.xyz / near.w);
    if frame.camera_pos.w == 0.0 {
        // Orthographic: every pixel looks the same way, which would paint the sky one flat
        // colour (all sun, looking at it). Show it as a 50° perspective would instead.
        let m = frame.view_from_world;
        let right = vec3<f32>(m[0].x, m[1].x, m[2].x);
        let up = vec3<f32>(m[0].y, m[1].y, m[2].y);
        let aspect = frame.viewport.x * frame.viewport.w;
        let t = 0.4663; // tan(25°)
        dir = normalize(dir + (right * in.ndc.x * aspect + up * in.ndc.y) * t);
    }
    var c = sky_radiance_lod(dir, 0.0);
    if frame.sun_dir.w > 0.5 && frame.sky_params.y < 0.5 {
        // Sun disc (0.27° radius) with a soft edge; bright but finite so it stays in range.
        let cos_a = dot(dir, frame.sun_dir.xyz);
        let disc = smoothstep(0.99996, 0.99999, cos_a);
        c += frame.sun_illuminance.rgb * disc * 20.0 * select(1.0, 0.0, dir.y < 0.0);
    }
    return vec4<f32>(c * frame.params.x, 1.0);
}
