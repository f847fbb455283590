// The display-space layer. The opaque pass (meshes, points, sky) renders exposed HDR; this
// pass's first draw tone-maps its resolved image into sRGB-encoded display values, and
// everything translucent drawn after it in the same pass (Gaussian splats, blended meshes,
// the viewport grid and icon lines) blends over those display values, as a 3DGS rasteriser,
// a splat viewer or a glTF viewer blends: splats were trained to reproduce photographs by
// compositing their stored colours this way, and blending them in HDR radiance instead
// (through the inverse tone map) brightened every soft edge, most under ACES. The post pass
// then only decodes the result (and draws the selection outline).

@group(1) @binding(0) var opaque_hdr: texture_2d<f32>;

struct DisplayOut {
    @builtin(position) clip: vec4<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> DisplayOut {
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    var out: DisplayOut;
    out.clip = vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
    return out;
}

@fragment
fn fs_main(in: DisplayOut) -> @location(0) vec4<f32> {
    let c = textureLoad(opaque_hdr, vec2<i32>(in.clip.xy), 0).rgb;
    return vec4<f32>(display_encoded(c), 1.0);
}
