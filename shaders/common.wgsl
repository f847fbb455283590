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
