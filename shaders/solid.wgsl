// Solid viewport shading (Blender's Solid mode, the three.js editor's normal view): every
// mesh in one clay grey under a studio light fixed to the view, whatever its materials and
// the scene's lights, to judge shapes and topology; translucent meshes are drawn opaque.
// Shown the same at any exposure (`captured_radiance`).

struct SolidOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) normal: vec3<f32>,
    @location(1) world: vec3<f32>,
    // The object's colour (display sRGB).
    @location(2) @interpolate(flat) color: vec3<f32>,
};

// A bright, soft colour of `hue` (0..1 around the colour wheel), display sRGB.
fn hue_color(hue: f32) -> vec3<f32> {
    let k = fract(hue + vec3<f32>(0.0, 2.0 / 3.0, 1.0 / 3.0)) * 6.0;
    let rgb = clamp(abs(k - 3.0) - 1.0, vec3<f32>(0.0), vec3<f32>(1.0));
    return mix(vec3<f32>(1.0), rgb, 0.45) * 0.85;
}

@vertex
fn vs_main(v: SurfaceIn) -> SolidOut {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let normal_from_local = mat3x3<f32>(v.normal_0.xyz, v.normal_1.xyz, v.normal_2.xyz);
    let world = world_from_local * vec4<f32>(v.position, 1.0);
    var out: SolidOut;
    out.clip = frame.clip_from_world * world;
    out.normal = normal_from_local * v.normal;
    out.world = world.xyz;
    out.color = CLAY;
    if (u32(frame.display.z) & 1u) != 0u {
        // Random per object: the node's hue, carried in the normal matrix's spare w.
        out.color = hue_color(v.normal_0.w);
    }
    return out;
}

// The clay's display colour (sRGB).
const CLAY: vec3<f32> = vec3<f32>(0.8, 0.8, 0.8);

@fragment
fn fs_main(in: SolidOut) -> @location(0) vec4<f32> {
    return studio_lit(in.color, in.normal, in.world);
}

// X-ray (renderer.rs, `Overlays::xray`): see-through, blended order-independently
// (common.wgsl `xray_out`; the nearest X-ray surface's view depth from the pre-pass).
@group(1) @binding(2) var xray_front: texture_2d<f32>;

// X-ray's front pre-pass (`Renderer::xray_front_pipeline`): each fragment's view depth, the
// nearest kept by the depth test, into a half-float target the meshes read back.
@fragment
fn fs_front(in: SolidOut) -> @location(0) f32 {
    return -(frame.view_from_world * vec4<f32>(in.world, 1.0)).z;
}

// X-ray's split front (`Renderer::xray_split_front_pipeline`): the pre-pass's front where it
// covers the pixel's centre, else the nearest of its four neighbours' (common.wgsl
// `xray_keeps`), once per pixel for every splat and grid fragment to read.
@vertex
fn vs_fullscreen(@builtin(vertex_index) i: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((i << 1u) & 2u), f32(i & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs_split_front(@builtin(position) clip: vec4<f32>) -> @location(0) f32 {
    let p = vec2<i32>(clip.xy);
    let here = textureLoad(xray_front, p, 0).r;
    if here > 0.0 {
        return here;
    }
    let last = vec2<i32>(textureDimensions(xray_front)) - vec2<i32>(1);
    let around = array<vec2<i32>, 4>(vec2<i32>(1, 0), vec2<i32>(-1, 0), vec2<i32>(0, 1),
                                     vec2<i32>(0, -1));
    var nearest = 0.0;
    for (var i = 0; i < 4; i++) {
        let f = textureLoad(xray_front, clamp(p + around[i], vec2<i32>(0), last), 0).r;
        if f > 0.0 && (nearest == 0.0 || f < nearest) {
            nearest = f;
        }
    }
    return nearest;
}

@fragment
fn fs_xray(in: SolidOut) -> XrayOut {
    let c = studio_lit(in.color, in.normal, in.world);
    let depth = -(frame.view_from_world * vec4<f32>(in.world, 1.0)).z;
    let front = textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r;
    return xray_out(vec4<f32>(display_encoded(c.rgb), xray_alpha()), depth, front);
}
