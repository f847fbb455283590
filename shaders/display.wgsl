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

// The splat layer (renderer.rs, `Targets::one_sample`). With MSAA, blending every splat into
// four samples per pixel cost 2 to 3 times the fill, and splats, soft, gain nothing from it.
// So a frame's splats blend at one sample per pixel into a layer of their own (splats.wgsl
// `fs_layer`: premultiplied colour and alpha, and the nearest depth of the splats covering
// each pixel), depth-tested against the opaque pass's depth resolved to one sample per pixel
// by `fs_resolve_depth` (the farthest sample's, reverse Z: the least, so splats behind a
// mesh's edge reach its partly covered pixels). `fs_splat_layer` then lays the layer over the
// MSAA display layer at that nearest depth, tested sample by sample: a mesh edge in front of
// the splats keeps its antialiased samples, and splats in front of a mesh cover it.
@group(1) @binding(1) var opaque_depth: texture_depth_multisampled_2d;

@fragment
fn fs_resolve_depth(in: DisplayOut) -> @builtin(frag_depth) f32 {
    let p = vec2<i32>(in.clip.xy);
    var depth = 1.0;
    let samples = i32(textureNumSamples(opaque_depth));
    for (var s = 0; s < samples; s++) {
        depth = min(depth, textureLoad(opaque_depth, p, s));
    }
    return depth;
}

@group(1) @binding(2) var splat_layer: texture_2d<f32>;
@group(1) @binding(3) var splat_nearest: texture_2d<f32>;
@group(1) @binding(4) var resolved_depth: texture_depth_2d;

struct LayerOut {
    @location(0) color: vec4<f32>,
    @builtin(frag_depth) depth: f32,
};

@fragment
fn fs_splat_layer(in: DisplayOut) -> LayerOut {
    let p = vec2<i32>(in.clip.xy);
    let c = textureLoad(splat_layer, p, 0);
    if c.a < 1.0 / 1024.0 {
        discard;
    }
    var out: LayerOut;
    out.color = c;
    // Where only faint splats cover the pixel (no nearest depth), or all lie in front of an
    // opaque surface covering it whole, the resolved depth: the layer covers every sample
    // at or behind it.
    out.depth = max(textureLoad(splat_nearest, p, 0).r, textureLoad(resolved_depth, p, 0));
    return out;
}

// X-ray's meshes, blended order-independently into two targets (common.wgsl `xray_out`),
// laid over the display layer: their weighted mean colour at 1 − revealage.
@group(1) @binding(5) var xray_accum: texture_2d<f32>;
@group(1) @binding(6) var xray_reveal: texture_2d<f32>;

@fragment
fn fs_xray(in: DisplayOut) -> @location(0) vec4<f32> {
    let p = vec2<i32>(in.clip.xy);
    let accum = textureLoad(xray_accum, p, 0);
    let coverage = 1.0 - textureLoad(xray_reveal, p, 0).r;
    if accum.a < 1e-6 || coverage < 1.0 / 1024.0 {
        discard;
    }
    return vec4<f32>(accum.rgb / accum.a, coverage);
}
