// The frame's display-space layer (already tone-mapped, sRGB-encoded; see display.wgsl) to the
// target, plus the selection outline. Writes linear colour to an sRGB target; the hardware
// encodes.

struct Post {
    // x: unused; y: outline on; zw: unused.
    params: vec4<f32>,
    outline_color: vec4<f32>,
};

@group(0) @binding(0) var display: texture_2d<f32>;
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

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@fragment
fn fs_main(in: PostOut) -> @location(0) vec4<f32> {
    let p = vec2<i32>(in.clip.xy);
    let size = vec2<i32>(textureDimensions(display));
    var color = srgb_to_linear(clamp(textureLoad(display, p, 0).rgb, vec3<f32>(0.0), vec3<f32>(1.0)));
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
