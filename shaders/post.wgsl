// Tone mapping (ACES filmic fit or clamp) of the exposed HDR image, plus the selection outline.
// Writes linear colour to an sRGB target; the hardware encodes.

struct Post {
    // x: tone mapper (0 ACES, 1 linear); y: outline on; zw: unused.
    params: vec4<f32>,
    outline_color: vec4<f32>,
};

@group(0) @binding(0) var hdr: texture_2d<f32>;
@group(0) @binding(1) var selection_mask: texture_2d<f32>;
@group(0) @binding(2) var<uniform> post: Post;

struct PostOut {
    @builtin(position) clip: vec4<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> PostOut {
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    var out: PostOut;
    out.clip = vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
    return out;
}

// Krzysztof Narkowicz's per-channel fit of the ACES RRT + ODT filmic curve, after a 0.5
// pre-scale that puts mid grey where Hill's matrix fit puts it. Per channel and strictly
// increasing, so every display colour has exactly one scene value: captured colour can be
// shown as captured (`display_to_radiance` in common.wgsl and src/render/tonemap.rs).
fn aces_fitted(c: vec3<f32>) -> vec3<f32> {
    let x = max(c, vec3<f32>(0.0)) * 0.5;
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), vec3<f32>(0.0), vec3<f32>(1.0));
}

@fragment
fn fs_main(in: PostOut) -> @location(0) vec4<f32> {
    let p = vec2<i32>(in.clip.xy);
    let size = vec2<i32>(textureDimensions(hdr));
    let c = textureLoad(hdr, p, 0).rgb;
    var color: vec3<f32>;
    if post.params.x < 0.5 {
        color = aces_fitted(c);
    } else {
        color = clamp(c, vec3<f32>(0.0), vec3<f32>(1.0));
    }
    if post.params.y > 0.5 {
        let center = textureLoad(selection_mask, p, 0).r;
        var edge = 0.0;
        for (var y = -2; y <= 2; y += 1) {
            for (var x = -2; x <= 2; x += 1) {
                let q = clamp(p + vec2<i32>(x, y), vec2<i32>(0), size - 1);
                edge = max(edge, abs(textureLoad(selection_mask, q, 0).r - center));
            }
        }
        color = mix(color, post.outline_color.rgb, edge * post.outline_color.a);
    }
    return vec4<f32>(color, 1.0);
}
