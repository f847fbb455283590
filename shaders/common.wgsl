// Shared declarations: the per-frame uniform (group 0), lights, shadows and the sky model.
// Prepended to every pass that lights or shows the scene (see render/shaders.rs).

const PI: f32 = 3.141592653589793;
const MAX_CASCADES: u32 = 4u;

struct Frame {
    clip_from_world: mat4x4<f32>,
    world_from_clip: mat4x4<f32>,
    view_from_world: mat4x4<f32>,
    shadow_clip_from_world: array<mat4x4<f32>, 4>,
    camera_pos: vec4<f32>,
    // xyz: unit vector towards the sun; w: 1 when there is a sun.
    sun_dir: vec4<f32>,
    // rgb: sun illuminance (lux × colour); w: 1 when the sun casts shadows.
    sun_illuminance: vec4<f32>,
    // View-space distance where each cascade ends.
    cascade_far: vec4<f32>,
    // x: number of mip levels of the sky texture; yzw: unused.
    sky_params: vec4<f32>,
    // Irradiance SH, 9 RGB coefficients.
    sh: array<vec4<f32>, 9>,
    // x: exposure scale; y: light count; z: shadow texel size (uv); w: cascade count.
    params: vec4<f32>,
    // xy: viewport size in pixels; zw: 1 / size.
    viewport: vec4<f32>,
    // x: tone mapper of the post pass (0 ACES, 1 linear); yzw: unused.
    display: vec4<f32>,
};

struct Light {
    // xyz: position; w: range (0 = infinite).
    position_range: vec4<f32>,
    // xyz: direction the light shines along; w: 0 point, 1 spot.
    direction_kind: vec4<f32>,
    // rgb: colour × intensity (candela).
    color: vec4<f32>,
    // x: spot angle scale; y: spot angle offset (KHR_lights_punctual).
    spot: vec4<f32>,
};

@group(0) @binding(0) var<uniform> frame: Frame;
@group(0) @binding(1) var<storage, read> lights: array<Light>;
@group(0) @binding(2) var shadow_map: texture_depth_2d_array;
@group(0) @binding(3) var shadow_sampler: sampler_comparison;
@group(0) @binding(4) var sky_texture: texture_2d<f32>;
@group(0) @binding(5) var sky_sampler: sampler;

// Equirectangular coordinates of a unit direction (matches render/sky.rs `equirect_dir`).
fn sky_uv(d: vec3<f32>) -> vec2<f32> {
    let u = atan2(d.x, -d.z) / (2.0 * PI) + 0.5;
    let v = acos(clamp(d.y, -1.0, 1.0)) / PI;
    return vec2<f32>(u, v);
}

// Sky radiance (cd/m², linear RGB) towards unit direction `d`, from the baked sky texture;
// `lod` > 0 reads blurrier mips (rough reflections).
fn sky_radiance_lod(d: vec3<f32>, lod: f32) -> vec3<f32> {
    return textureSampleLevel(sky_texture, sky_sampler, sky_uv(d), lod).rgb;
}

fn sh_irradiance(n: vec3<f32>) -> vec3<f32> {
    let s = frame.sh;
    var e = s[0].rgb * 0.282095
        + s[1].rgb * (0.488603 * n.y)
        + s[2].rgb * (0.488603 * n.z)
        + s[3].rgb * (0.488603 * n.x)
        + s[4].rgb * (1.092548 * n.x * n.y)
        + s[5].rgb * (1.092548 * n.y * n.z)
        + s[6].rgb * (0.315392 * (3.0 * n.z * n.z - 1.0))
        + s[7].rgb * (1.092548 * n.x * n.z)
        + s[8].rgb * (0.546274 * (n.x * n.x - n.y * n.y));
    return max(e, vec3<f32>(0.0));
}

// ---- "As captured" colour --------------------------------------------------------------------
// Points, splats and unlit materials carry display-referred colour that already contains the
// lighting of the place they were captured in. The post pass maps an exposed HDR value h to
// the display as sRGB(tonemap(h)); these functions invert that map, so such content shows
// exactly its own colour whatever the exposure or tone mapper.

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

// Inverse of post.wgsl's `rrt_and_odt_fit`, per channel. y = (v² + 0.0245786 v − 0.000090537)
// / (0.983729 v² + 0.432951 v + 0.238081) rearranges to the quadratic
// (0.983729 y − 1) v² + (0.432951 y − 0.0245786) v + (0.238081 y + 0.000090537) = 0.
// For y below the fit's asymptote (1/0.983729) the leading coefficient is negative and the
// constant positive, so the roots have opposite signs; the non-negative one is
// (−b − √(b² − 4ac)) / 2a. y is clamped to [fit(0), 1.01]: below fit(0) ≈ −0.00038 nothing
// non-negative maps there, and 1.01 keeps the result finite (v ≤ ~65) near white.
fn inverse_rrt_and_odt_fit(y_in: vec3<f32>) -> vec3<f32> {
    let y = clamp(y_in, vec3<f32>(-0.00038), vec3<f32>(1.01));
    let a = 0.983729 * y - 1.0;
    let b = 0.432951 * y - 0.0245786;
    let c = 0.238081 * y + 0.000090537;
    let disc = max(b * b - 4.0 * a * c, vec3<f32>(0.0));
    return max((-b - sqrt(disc)) / (2.0 * a), vec3<f32>(0.0));
}

// Inverse of post.wgsl's `aces_fitted` (Stephen Hill's RRT + ODT fit): the inverses of its two
// matrices around the inverse of the rational fit. Matrices must stay in sync with post.wgsl.
fn inverse_aces_fitted(display_linear: vec3<f32>) -> vec3<f32> {
    let aces_out_inv = mat3x3<f32>(
        vec3<f32>(0.6430382, 0.0592687, 0.0059619),
        vec3<f32>(0.3111868, 0.9314365, 0.0639290),
        vec3<f32>(0.0457755, 0.0092949, 0.9301184));
    let aces_in_inv = mat3x3<f32>(
        vec3<f32>(1.7647410, -0.1470279, -0.0363368),
        vec3<f32>(-0.6757777, 1.1602515, -0.1624364),
        vec3<f32>(-0.0889633, -0.0132237, 1.1987733));
    // aces_out_inv has no negative entries, so every display colour in [0, 1]³ has a
    // non-negative preimage v of the fit. The result may be negative in a channel: the fit
    // desaturates, and a saturated display colour needs a scene colour outside the positive
    // gamut. That is fine: the HDR target is signed, blending is linear, and the post pass's
    // input matrix brings it back to v exactly.
    let v = inverse_rrt_and_odt_fit(aces_out_inv * clamp(display_linear, vec3<f32>(0.0), vec3<f32>(1.0)));
    return aces_in_inv * v;
}

// The exposed HDR value that the post pass's tone mapper turns into `display_linear`.
fn inverse_tonemap(display_linear: vec3<f32>) -> vec3<f32> {
    if frame.display.x < 0.5 {
        return inverse_aces_fitted(display_linear);
    }
    return clamp(display_linear, vec3<f32>(0.0), vec3<f32>(1.0));
}

// Scene radiance (the units mesh.wgsl shades in, before exposure) that appears on screen as
// the display sRGB colour `display_srgb` (0..1): inverse tone map, divided by the exposure.
fn captured_radiance(display_srgb: vec3<f32>) -> vec3<f32> {
    let c = clamp(display_srgb, vec3<f32>(0.0), vec3<f32>(1.0));
    return inverse_tonemap(srgb_to_linear(c)) / max(frame.params.x, 1e-30);
}
