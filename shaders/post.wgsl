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

fn rrt_and_odt_fit(v: vec3<f32>) -> vec3<f32> {
    let a = v * (v + 0.0245786) - 0.000090537;
    let b = v * (0.983729 * v + 0.4329510) + 0.238081;
    return a / b;
}

// Stephen Hill's fit of the ACES RRT + sRGB ODT.
fn aces_fitted(c: vec3<f32>) -> vec3<f32> {
    let aces_in = mat3x3<f32>(
        vec3<f32>(0.59719, 0.07600, 0.02840),
        vec3<f32>(0.35458, 0.90834, 0.13383),
        vec3<f32>(0.04823, 0.01566, 0.83777));
    let aces_out = mat3x3<f32>(
        vec3<f32>(1.60475, -0.10208, -0.00327),
        vec3<f32>(-0.53108, 1.10813, -0.07276),
        vec3<f32>(-0.07367, -0.00605, 1.07602));
    return clamp(aces_out * rrt_and_odt_fit(aces_in * c), vec3<f32>(0.0), vec3<f32>(1.0));
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
