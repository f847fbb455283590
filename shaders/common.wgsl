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
    // Perez coefficients A..E (xyz = for Y, x, y).
    perez_a: vec4<f32>,
    perez_b: vec4<f32>,
    perez_c: vec4<f32>,
    perez_d: vec4<f32>,
    perez_e: vec4<f32>,
    // xyz: zenith Y (cd/m²), x, y; w: sky scale.
    zenith: vec4<f32>,
    // xyz: 1/F(0, θs) for Y, x, y; w: unused.
    sky_norm: vec4<f32>,
    // xyz: sun direction used by the sky model; w: unused.
    sky_sun: vec4<f32>,
    // rgb: ground radiance; w: unused.
    ground: vec4<f32>,
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

fn perez(cos_theta: f32, gamma: f32) -> vec3<f32> {
    let cg = cos(gamma);
    return (1.0 + frame.perez_a.xyz * exp(frame.perez_b.xyz / max(cos_theta, 0.01)))
        * (1.0 + frame.perez_c.xyz * exp(frame.perez_d.xyz * gamma) + frame.perez_e.xyz * cg * cg);
}

fn yxy_to_rgb(v: vec3<f32>) -> vec3<f32> {
    let big_y = v.x;
    let y = max(v.z, 1e-4);
    let xyz = vec3<f32>(v.y / y * big_y, big_y, (1.0 - v.y - v.z) / y * big_y);
    let rgb = vec3<f32>(
        3.2406 * xyz.x - 1.5372 * xyz.y - 0.4986 * xyz.z,
        -0.9689 * xyz.x + 1.8758 * xyz.y + 0.0415 * xyz.z,
        0.0557 * xyz.x - 0.2040 * xyz.y + 1.0570 * xyz.z,
    );
    return max(rgb, vec3<f32>(0.0));
}

fn sky_above(dir: vec3<f32>) -> vec3<f32> {
    let cos_theta = max(dir.y, 0.0);
    let gamma = acos(clamp(dot(dir, frame.sky_sun.xyz), -1.0, 1.0));
    let v = frame.zenith.xyz * perez(cos_theta, gamma) * frame.sky_norm.xyz;
    return yxy_to_rgb(v) * frame.zenith.w;
}

// Sky radiance (cd/m², linear RGB) in direction `d` (unit). Matches render/sky.rs.
fn sky_radiance(d: vec3<f32>) -> vec3<f32> {
    let night = vec3<f32>(0.6, 0.75, 1.0) * 0.02;
    if d.y < 0.0 {
        let h = normalize(vec3<f32>(d.x, 0.0, d.z) + vec3<f32>(1e-5, 0.0, 0.0));
        let k = smoothstep(0.0, -0.05, d.y);
        return mix(sky_above(h), frame.ground.rgb + night * 0.3, k);
    }
    return sky_above(d) + night;
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
