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

// Inverse of post.wgsl's `aces_fitted` (Narkowicz's per-channel ACES curve after a 0.5
// pre-scale; src/render/tonemap.rs has the same pair on the CPU). The curve
// d = x(2.51x + 0.03) / (x(2.43x + 0.59) + 0.14) rearranges per channel to
// (2.51 − 2.43d)x² + (0.03 − 0.59d)x − 0.14d = 0, whose leading coefficient stays positive
// for d in [0, 1] and whose constant is ≤ 0: the non-negative root is the only one. Every
// display colour, however saturated, has exactly one non-negative scene value.
fn inverse_aces_fitted(display_linear: vec3<f32>) -> vec3<f32> {
    let d = clamp(display_linear, vec3<f32>(0.0), vec3<f32>(1.0));
    let a = 2.51 - 2.43 * d;
    let b = 0.03 - 0.59 * d;
    let c = -0.14 * d;
    let x = (-b + sqrt(max(b * b - 4.0 * a * c, vec3<f32>(0.0)))) / (2.0 * a);
    return max(x, vec3<f32>(0.0)) / 0.5;
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

// A node's colour grade (scene::ColorGrade::apply): saturation around the Rec. 709
// luminance, then the rgb factor (tint × brightness). grade = (r, g, b, saturation).
fn graded(c: vec3<f32>, grade: vec4<f32>) -> vec3<f32> {
    let luma = dot(c, vec3<f32>(0.2126, 0.7152, 0.0722));
    return max((vec3<f32>(luma) + (c - vec3<f32>(luma)) * grade.w) * grade.rgb, vec3<f32>(0.0));
}
