// The frame's display-space layer (already tone-mapped, sRGB-encoded; see display.wgsl) to the
// target, plus the selection outline. A frame with nothing translucent skips the display pass
// and this pass tone-maps the opaque pass's HDR image itself. Writes linear colour to an sRGB
// target, where the hardware encodes, or (`encode_srgb`) encoded colour to an Rgba8Unorm one
// on devices that cannot view a texture as sRGB (wgpu's GL backend). (color.wgsl is
// prepended.)

struct Post {
    // x: tone mapper (0 ACES, 1 linear); y: how many pixels the selection outline reaches
    // out from an edge (2 per UI point, at most 8); z, w unused.
    params: vec4<f32>,
    outline_color: vec4<f32>,
};

@group(0) @binding(0) var image: texture_2d<f32>;
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

override encode_srgb: bool = false;
// The input is the opaque pass's exposed HDR image (no display pass ran), tone-mapped here;
// else the display layer, decoded.
override from_hdr: bool = false;
// Draw the selection outline (the frame has a selection).
override outline: bool = false;

@fragment
fn fs_main(in: PostOut) -> @location(0) vec4<f32> {
    let p = vec2<i32>(in.clip.xy);
    let size = vec2<i32>(textureDimensions(image));
    let c = textureLoad(image, p, 0).rgb;
    var color: vec3<f32>;
    if from_hdr {
        color = tonemap_with(post.params.x, c);
    } else {
        color = srgb_to_linear(clamp(c, vec3<f32>(0.0), vec3<f32>(1.0)));
    }
    if outline {
        let center = textureLoad(selection_mask, p, 0).r;
        let reach = clamp(i32(post.params.y + 0.5), 1, 8);
        var edge = 0.0;
        for (var y = -reach; y <= reach; y += 1) {
            for (var x = -reach; x <= reach; x += 1) {
                let q = clamp(p + vec2<i32>(x, y), vec2<i32>(0), size - 1);
                // A change of value: the edge of a selected object (each has its own value,
                // mask.wgsl), against nothing or against another selected object.
                let other = textureLoad(selection_mask, q, 0).r;
                edge = max(edge, select(0.0, 1.0, abs(other - center) > 0.5));
            }
        }
        color = mix(color, post.outline_color.rgb, edge * post.outline_color.a);
    }
    if encode_srgb {
        return vec4<f32>(linear_to_srgb(clamp(color, vec3<f32>(0.0), vec3<f32>(1.0))), 1.0);
    }
    return vec4<f32>(color, 1.0);
}
