// Shared declarations: the per-frame uniform (group 0), lights, shadows and the sky model.
// Prepended to every pass that lights or shows the scene (see render/shaders.rs).

const PI: f32 = 3.141592653589793;
const MAX_CASCADES: u32 = 4u;

struct Frame {
    clip_from_world: mat4x4<f32>,
    world_from_clip: mat4x4<f32>,
    view_from_world: mat4x4<f32>,
    shadow_clip_from_world: array<mat4x4<f32>, 4>,
    // xyz: the eye; w: 1 in perspective, 0 in an orthographic view (see `towards_viewer`).
    camera_pos: vec4<f32>,
    // xyz: unit vector towards the sun; w: 1 when there is a sun.
    sun_dir: vec4<f32>,
    // rgb: sun illuminance (lux × colour); w: 1 when the sun casts shadows.
    sun_illuminance: vec4<f32>,
    // View-space distance where each cascade ends.
    cascade_far: vec4<f32>,
    // xyz: a shadow-map texel's width in world units per cascade; w: the view depth where
    // the first cascade starts.
    cascade_texel: vec4<f32>,
    // x: number of mip levels of the sky texture; yzw: unused.
    sky_params: vec4<f32>,
    // Irradiance SH, 9 RGB coefficients.
    sh: array<vec4<f32>, 9>,
    // x: exposure scale; y: light count; z: shadow texel size (uv); w: cascade count.
    params: vec4<f32>,
    // xy: viewport size in pixels; zw: 1 / size.
    viewport: vec4<f32>,
    // x: tone mapper (0 ACES, 1 linear; `tonemap`); y: the grid's plane (renderer.rs
    // `GridPlane::code`); z: solid shading's flags, 1 each object its own colour, 2 flat
    // lighting, bits 2–4 the MatCap (`matcap_shade`, 0 none); w: the wireframe's opacity.
    display: vec4<f32>,
    // The per-tile light lists (`light_tile_words`): x tile size in pixels, y columns, z u32
    // words per tile.
    light_tiles: vec4<f32>,
    // x: target pixels per UI point (HiDPI, reduced-resolution frames), which overlay widths
    // are multiplied by.
    overlay: vec4<f32>,
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
// Which lights can reach each screen tile (render/light_tiles.rs): tile (x, y) holds
// `light_tiles.z` words from ((y * columns) + x) * words, bit b of word w for light 32 w + b.
// Lights left out contribute exactly nothing there (their range ends before the tile).
@group(0) @binding(6) var<uniform> light_tile_words: array<vec4<u32>, 1024>;

// Unit direction from a world point towards the viewer: the eye in perspective, the view's
// +Z (the third row of view_from_world) everywhere in an orthographic view.
fn towards_viewer(world: vec3<f32>) -> vec3<f32> {
    if frame.camera_pos.w == 0.0 {
        let m = frame.view_from_world;
        return normalize(vec3<f32>(m[0].z, m[1].z, m[2].z));
    }
    return normalize(frame.camera_pos.xyz - world);
}

fn light_tile_word(i: u32) -> u32 {
    return light_tile_words[i / 4u][i % 4u];
}

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
// lighting of the place they were captured in. The frame maps an exposed HDR value h to the
// display as sRGB(tonemap(h)) (display.wgsl, or post.wgsl when no display pass runs); these
// functions invert that map, so such content shows exactly its own colour whatever the
// exposure or tone mapper. (Splats need no inverse: they blend in the display layer as
// stored, except when relit.)

// The frame's tone mapper: exposed HDR value → linear display value in [0, 1].
fn tonemap(exposed: vec3<f32>) -> vec3<f32> {
    return tonemap_with(frame.display.x, exposed);
}

// What the display shows for an exposed HDR value, sRGB-encoded (0..1): the values the
// display-space layer holds and blends (see display.wgsl).
fn display_encoded(exposed: vec3<f32>) -> vec3<f32> {
    return linear_to_srgb(tonemap(exposed));
}

// Inverse of `aces_fitted` (Narkowicz's per-channel ACES curve after a 0.5
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

// The exposed HDR value that `tonemap` turns into `display_linear`.
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

// ---- Sun shadows ------------------------------------------------------------------------------
// Cascaded shadow map lookups; only `textureSampleCompareLevel`, so the splat pass can shade
// in its vertex stage.

fn cascade_shadow(c: u32, world_pos: vec3<f32>) -> f32 {
    let p = frame.shadow_clip_from_world[c] * vec4<f32>(world_pos, 1.0);
    let ndc = p.xyz / p.w;
    let uv = vec2<f32>(ndc.x * 0.5 + 0.5, 0.5 - ndc.y * 0.5);
    if any(uv < vec2<f32>(0.0)) || any(uv > vec2<f32>(1.0)) || ndc.z > 1.0 {
        return 1.0;
    }
    let texel = frame.params.z;
    if c > 0u {
        // Far cascades cover many pixels per texel already: one 2x2 PCF tap is soft enough.
        return textureSampleCompareLevel(shadow_map, shadow_sampler, uv, i32(c), ndc.z);
    }
    var lit = 0.0;
    // Five taps of 2x2 hardware PCF (centre + a rotated square 1.5 texels out): a soft,
    // stable penumbra at a cost a CPU adapter can afford.
    let o = texel * 1.5;
    lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv, i32(c), ndc.z) * 2.0;
    lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv + vec2<f32>(o, o * 0.4), i32(c), ndc.z);
    lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv + vec2<f32>(-o * 0.4, o), i32(c), ndc.z);
    lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv + vec2<f32>(-o, -o * 0.4), i32(c), ndc.z);
    lit += textureSampleCompareLevel(shadow_map, shadow_sampler, uv + vec2<f32>(o * 0.4, -o), i32(c), ndc.z);
    return lit / 6.0;
}

fn sun_shadow(world_pos: vec3<f32>, n: vec3<f32>, view_depth: f32) -> f32 {
    if frame.sun_illuminance.w < 0.5 {
        return 1.0;
    }
    let count = u32(frame.params.w);
    var c = 0u;
    loop {
        if c + 1u >= count || view_depth < frame.cascade_far[c] {
            break;
        }
        c += 1u;
    }
    if view_depth > frame.cascade_far[count - 1u] {
        return 1.0;
    }
    // Normal offset grows with the cascade's texel size in world units.
    var texel_world = frame.cascade_far[c] * frame.params.z * 2.0;
    // Blend into the next cascade near the end of this one, hiding the seam.
    var blend_start = frame.cascade_far[c] * 0.9;
    if frame.camera_pos.w == 0.0 {
        // Orthographic: the cascades are boxes the width of the view, one after another in
        // depth far from the eye; their texels are what `shadow::fit` made them.
        texel_world = frame.cascade_texel[c];
        let start = select(frame.cascade_texel.w, frame.cascade_far[max(c, 1u) - 1u], c > 0u);
        blend_start = mix(start, frame.cascade_far[c], 0.9);
    }
    let p = world_pos + n * texel_world * 1.5;
    var s = cascade_shadow(c, p);
    if c + 1u < count && view_depth > blend_start {
        let t = (view_depth - blend_start) / (frame.cascade_far[c] - blend_start);
        s = mix(s, cascade_shadow(c + 1u, p), t);
    }
    return s;
}

// ---- Relighting captured colour (scene/relight.rs) -----------------------------------------
// Captured colour holds the capture's lighting, modelled as irradiance L(n) = a + b·n with
// `model` = (b, a) in the element's frame. The albedo is the captured exposed value divided by
// max(L(n), RELIGHT_FLOOR · L_ref) / L_ref, L_ref = a + |b|.

const RELIGHT_FLOOR: f32 = 0.1;

fn captured_ratio(model: vec4<f32>, n: vec3<f32>) -> f32 {
    let reference = model.w + length(model.xyz);
    if !(reference > 0.0) {
        return 1.0;
    }
    return max(model.w + dot(model.xyz, n), RELIGHT_FLOOR * reference) / reference;
}

// A point or spot light seen from `world_pos`: xyz the unit direction to it, w its
// attenuation: inverse square, times KHR_lights_punctual's recommended range window
// clamp(1 − (d / range)⁴, 0, 1) (as the Khronos sample viewer; not squared as in Filament,
// which dims a light well inside its range), times the spot cone's smooth falloff (squared,
// as the extension recommends).
fn punctual(light: Light, world_pos: vec3<f32>) -> vec4<f32> {
    let to_light = light.position_range.xyz - world_pos;
    let d2 = max(dot(to_light, to_light), 1e-4);
    let l = to_light * inverseSqrt(d2);
    var att = 1.0 / d2;
    let range = light.position_range.w;
    if range > 0.0 {
        let r = d2 / (range * range);
        att *= clamp(1.0 - r * r, 0.0, 1.0);
    }
    if light.direction_kind.w > 0.5 {
        let cd = dot(light.direction_kind.xyz, -l);
        let s = clamp(cd * light.spot.x + light.spot.y, 0.0, 1.0);
        att *= s * s;
    }
    return vec4<f32>(l, att);
}

// Irradiance (lux) on a diffuse surface at `world_pos` facing unit `n`: the sun (with its
// cascaded shadow), point and spot lights, and the sky's SH irradiance.
fn diffuse_irradiance(world_pos: vec3<f32>, n: vec3<f32>, view_depth: f32) -> vec3<f32> {
    var e = sh_irradiance(n);
    if frame.sun_dir.w > 0.5 {
        let n_dot_l = dot(n, frame.sun_dir.xyz);
        if n_dot_l > 0.0 {
            e += frame.sun_illuminance.rgb * n_dot_l * sun_shadow(world_pos, n, view_depth);
        }
    }
    let count = u32(frame.params.y);
    for (var i = 0u; i < count; i += 1u) {
        let light = lights[i];
        let p = punctual(light, world_pos);
        e += light.color.rgb * p.w * max(dot(n, p.xyz), 0.0);
    }
    return e;
}

// Captured exposed value `h` of an element with unit normal `n_local` (the model's frame),
// shown relit at `world_pos` with world normal `n_world`, mixed by `amount` (0: `h` exactly).
fn relit(h: vec3<f32>, amount: f32, model: vec4<f32>, n_local: vec3<f32>,
         world_pos: vec3<f32>, n_world: vec3<f32>, view_depth: f32) -> vec3<f32> {
    if !(amount > 0.0) {
        return h;
    }
    let albedo = h / captured_ratio(model, n_local);
    let lit = albedo * diffuse_irradiance(world_pos, n_world, view_depth) / PI * frame.params.x;
    return mix(h, lit, amount);
}

// Vertex input of passes that read a mesh's positions and normals and its instances' world
// and normal matrices (wire.wgsl, solid.wgsl); the locations are mesh.wgsl's.
struct SurfaceIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(5) model_0: vec4<f32>,
    @location(6) model_1: vec4<f32>,
    @location(7) model_2: vec4<f32>,
    @location(8) model_3: vec4<f32>,
    @location(9) normal_0: vec4<f32>,
    @location(10) normal_1: vec4<f32>,
    @location(11) normal_2: vec4<f32>,
};

// Solid shading's studio light (solid.wgsl, and mesh.wgsl's `solid` pipelines): `color`
// (display sRGB) on a surface with `normal` at `world`, lit by a light fixed in view space
// (x right, y up, z towards the viewer): a key from over the viewer's left shoulder
// (surfaces facing the viewer brightest), a fill from the right, sky from above. Returns the
// opaque pass's output, which shows the same at any exposure (`captured_radiance`). With
// flat lighting (`display.z` flag 2) the colour is shown as it is; with a MatCap (`display.z`
// bits 2–4: render/mod.rs `Matcap::code`) it is shaded by `matcap_shade`.
const STUDIO_KEY: vec3<f32> = vec3<f32>(-0.35, 0.45, 0.82);
const STUDIO_FILL: vec3<f32> = vec3<f32>(0.75, -0.1, 0.65);

// The view depth (metres in front of the eye) of a clip-space position: how X-ray's passes
// weigh points and line segments (points.wgsl, segments.wgsl).
fn view_depth_of_clip(clip: vec4<f32>) -> f32 {
    let world = frame.world_from_clip * clip;
    return -(frame.view_from_world * vec4<f32>(world.xyz / world.w, 1.0)).z;
}

// How opaque X-ray leaves a surface (`Overlays::xray_alpha`, carried in frame.overlay.y).
fn xray_alpha() -> f32 {
    return frame.overlay.y;
}

// X-ray blends order-independently (renderer.rs, "X-ray"): weighted blended
// order-independent transparency (McGuire and Bavoil 2013; Blender's X-ray blends so too).
// Each fragment adds its display colour × alpha × weight and alpha × weight to one target and
// multiplies the other (the "revealage", cleared to 1) by 1 − alpha; the display pass lays
// their quotient over the image at 1 − revealage (display.wgsl `fs_xray`). So a mesh's own
// triangles and objects of any size (a terrain under a house) need no order. The weight
// falls with the fragment's view depth relative to the nearest X-ray surface at its pixel
// (`front`, from a depth-only pre-pass): 1 there and (front / depth)^XRAY_WEIGHT_POWER
// behind, so a surface outweighs what lies 1.4 times as far 2:1 and twice as far 4:1, as
// the layers behind a half-opaque surface would show (2:1, 4:1 in that order), at any scale
// of scene; at least XRAY_MIN_WEIGHT, so that layers a hundred times as far still add up in
// half floats. Layers close together mix about evenly (the method's known limit).
const XRAY_WEIGHT_POWER: f32 = 2.0;
const XRAY_MIN_WEIGHT: f32 = 1e-4;

// X-ray splits what the display pass blends besides the meshes (the grid, splats) at the
// nearest X-ray surface of each pixel (renderer.rs, "X-ray"): what lies at or behind it is
// drawn before X-ray's composite, so the see-through meshes lie over it; what lies in front
// after, so they do not tint it. `side`: the pipeline's `xray_side` constant (-1 behind, +1
// in front); `depth`: the fragment's view depth; `front`: the split front's view depth at
// its pixel (solid.wgsl `fs_split_front`: the pre-pass's, or where an X-ray surface's edge
// crosses the pixel without covering its centre, a neighbour's, so the split leaves no
// tinted line along the edge at MSAA; 0: no X-ray surface there, so everything is behind).
// Within XRAY_SPLIT_MARGIN of the front counts as behind: the pre-pass stores half floats
// (0.05 % steps), and a grid on the ground under an X-ray floor must not speckle.
const XRAY_SPLIT_MARGIN: f32 = 0.002;

fn xray_keeps(side: f32, depth: f32, front: f32) -> bool {
    let in_front = front > 0.0 && depth < front * (1.0 - XRAY_SPLIT_MARGIN);
    return in_front == (side > 0.0);
}

struct XrayOut {
    @location(0) accum: vec4<f32>,
    @location(1) reveal: f32,
};

// `c`: the display colour and alpha; `depth`: the fragment's view depth; `front`: the
// nearest X-ray surface's view depth at its pixel (solid.wgsl `fs_front`; 0: none there).
fn xray_out(c: vec4<f32>, depth: f32, front: f32) -> XrayOut {
    var w = 1.0;
    if front > 0.0 && depth > 0.0 {
        w = clamp(pow(front / depth, XRAY_WEIGHT_POWER), XRAY_MIN_WEIGHT, 1.0);
    }
    let a = clamp(c.a, 0.0, 1.0);
    var out: XrayOut;
    out.accum = vec4<f32>(c.rgb * a * w, a * w);
    out.reveal = a;
    return out;
}

fn studio_lit(color: vec3<f32>, normal: vec3<f32>, world: vec3<f32>) -> vec4<f32> {
    if (u32(frame.display.z) & 2u) != 0u {
        let flat_color = clamp(color, vec3<f32>(0.0), vec3<f32>(1.0));
        return vec4<f32>(captured_radiance(flat_color) * frame.params.x, 1.0);
    }
    let to_viewer = towards_viewer(world);
    var n = to_viewer;
    if dot(normal, normal) > 1e-12 {
        n = normalize(normal);
    }
    // The side seen: the back of a double-sided or open surface lights as its front (by the
    // normal, not the winding, which mirrored instances turn round).
    if dot(n, to_viewer) < 0.0 {
        n = -n;
    }
    let m = frame.view_from_world;
    let nv = normalize((m * vec4<f32>(n, 0.0)).xyz);
    let matcap = (u32(frame.display.z) >> 2u) & 7u;
    if matcap != 0u {
        let shaded = clamp(matcap_shade(matcap, color, nv), vec3<f32>(0.0), vec3<f32>(0.95));
        return vec4<f32>(captured_radiance(shaded) * frame.params.x, 1.0);
    }
    let key = normalize(STUDIO_KEY);
    let diffuse = 0.6 * max(dot(nv, key), 0.0) + 0.15 * max(dot(nv, normalize(STUDIO_FILL)), 0.0)
        + 0.35 * (0.7 + 0.3 * nv.y);
    let half_key = normalize(key + vec3<f32>(0.0, 0.0, 1.0));
    let specular = 0.12 * pow(max(dot(nv, half_key), 0.0), 40.0);
    let shown = clamp(color * diffuse + vec3<f32>(specular), vec3<f32>(0.0), vec3<f32>(0.95));
    return vec4<f32>(captured_radiance(shown) * frame.params.x, 1.0);
}

// The part of the segment in front of the near plane (reverse Z: visible where z <= w and
// w > 0), or a w of 0 when none is.
fn clip_to_near(p: vec4<f32>, q: vec4<f32>) -> vec4<f32> {
    let dp = p.w - p.z;
    let dq = q.w - q.z;
    if dp >= 0.0 && p.w > 0.0 {
        return p;
    }
    if dq < 0.0 || q.w <= 0.0 {
        return vec4<f32>(0.0);
    }
    // Where w - z = 0 between them, nudged towards q.
    let t = dp / (dp - dq);
    return mix(p, q, min(t + 1e-5, 1.0));
}

// A corner of the screen-aligned quad that draws a line segment (line sets' segments.wgsl,
// the overlay lines of lines.wgsl): `end` 0 at the first end, 1 at the second.
struct QuadCorner {
    clip: vec4<f32>,
    end: f32,
};

// Corner `vi` (of 4, a triangle strip) of the quad drawing the segment from clip-space `pa`
// to `pb`, clipped to the near plane, `2 half_px` pixels wide with square caps half the width
// long. A segment wholly behind the near plane (or not a number) lands outside the clip
// volume.
fn segment_quad_corner(pa: vec4<f32>, pb: vec4<f32>, vi: u32, half_px: f32) -> QuadCorner {
    let a = clip_to_near(pa, pb);
    let b = clip_to_near(pb, pa);
    // Which end (0 = a, 1 = b) and which side (-1, 1).
    var ends = array<f32, 4>(0.0, 1.0, 0.0, 1.0);
    var sides = array<f32, 4>(-1.0, -1.0, 1.0, 1.0);
    var out: QuadCorner;
    out.end = ends[vi % 4u];
    let side = sides[vi % 4u];
    if !(a.w > 0.0 && b.w > 0.0) {
        out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
        return out;
    }
    // Direction along the segment in pixels (so the width is even on a non-square frame).
    let to_px = frame.viewport.xy * 0.5;
    let along_px = (b.xy / b.w - a.xy / a.w) * to_px;
    let len = length(along_px);
    var dir = vec2<f32>(1.0, 0.0);
    if len > 1e-6 {
        dir = along_px / len;
    }
    let normal = vec2<f32>(-dir.y, dir.x);
    let offset_px = (normal * side + dir * (out.end * 2.0 - 1.0)) * half_px;
    let p = select(a, b, out.end > 0.5);
    out.clip = vec4<f32>(p.xy + offset_px / to_px * p.w, p.zw);
    return out;
}

// A MatCap (a material capture, Blender's MatCap lighting): `color` (display sRGB) shaded by
// the view-space normal `nv` alone (x right, y up, z towards the viewer), so a surface reads
// the same from any view. Drawn here rather than from images: 1 ceramic (soft key, sharp
// highlight), 2 metal (chrome reflecting a bright sky, a horizon and a dark floor: dents and
// seams break the horizon line), 3 wax (light wrapping round, a warm glowing rim), 4 toon
// (three flat bands, a dark rim), 5 normals (the normal as colour, x red, y green, z blue).
fn matcap_shade(which: u32, color: vec3<f32>, nv: vec3<f32>) -> vec3<f32> {
    let facing = max(nv.z, 0.0);
    switch which {
        case 1u: {
            let key = normalize(vec3<f32>(-0.4, 0.6, 0.7));
            let half_key = normalize(key + vec3<f32>(0.0, 0.0, 1.0));
            let d = max(dot(nv, key), 0.0);
            let h = max(dot(nv, half_key), 0.0);
            let base = color * (0.16 + 0.58 * d + 0.2 * (0.5 + 0.5 * nv.y));
            let shine = 0.5 * pow(h, 90.0) + 0.1 * pow(h, 8.0) + 0.12 * pow(1.0 - facing, 3.0);
            return base + vec3<f32>(shine);
        }
        case 2u: {
            // The view direction reflected about the normal: what the chrome mirrors.
            let r = vec3<f32>(2.0 * nv.z * nv.x, 2.0 * nv.z * nv.y, 2.0 * nv.z * nv.z - 1.0);
            var env: vec3<f32>;
            if r.y >= 0.0 {
                env = mix(vec3<f32>(0.78, 0.82, 0.86), vec3<f32>(0.32, 0.42, 0.58), smoothstep(0.0, 0.8, r.y));
            } else {
                env = mix(vec3<f32>(0.26, 0.23, 0.2), vec3<f32>(0.04, 0.04, 0.045), smoothstep(0.0, 0.6, -r.y));
            }
            env += vec3<f32>(0.5 * exp(-abs(r.y) * 16.0));
            let sun = pow(max(dot(r, normalize(vec3<f32>(-0.3, 0.7, 0.6))), 0.0), 60.0);
            return env * (0.35 + 0.65 * color) + vec3<f32>(0.6 * sun);
        }
        case 3u: {
            let key = normalize(vec3<f32>(0.3, 0.7, 0.65));
            let wrapped = max((dot(nv, key) + 0.6) / 1.6, 0.0);
            let glow = vec3<f32>(1.0, 0.55, 0.4) * (0.4 * pow(1.0 - facing, 2.0));
            let h = max(dot(nv, normalize(key + vec3<f32>(0.0, 0.0, 1.0))), 0.0);
            return color * (0.14 + 0.72 * wrapped + glow) + vec3<f32>(0.07 * pow(h, 16.0));
        }
        case 4u: {
            let d = dot(nv, normalize(vec3<f32>(-0.35, 0.65, 0.7)));
            var band = 0.38;
            if d > 0.2 {
                band = 0.7;
            }
            if d > 0.8 {
                band = 1.0;
            }
            if facing < 0.22 {
                band *= 0.3;
            }
            return color * band;
        }
        default: {
            return nv * 0.5 + 0.5;
        }
    }
}

// The selection tool's marks of a splat or point cloud's element `index` (a page slot), from
// `marks`: two bits per element (element i at bits 2(i % 16) and 2(i % 16) + 1 of word
// i / 16), MARK_ROW_WORDS words per texture row (render/clouds.rs `selected_words`,
// `SELECTED_ROW_WORDS`); 0 is a plain element.
const MARK_ROW_WORDS: u32 = 2048u;
const MARK_SELECTED: u32 = 1u;
const MARK_HIDDEN: u32 = 2u;
const MARK_LOCKED: u32 = 3u;
fn element_mark(marks: texture_2d<u32>, index: u32) -> u32 {
    let word = index >> 4u;
    let bits = textureLoad(marks, vec2<u32>(word % MARK_ROW_WORDS, word / MARK_ROW_WORDS), 0).x;
    return (bits >> ((index & 15u) * 2u)) & 3u;
}

// How the selection tool shows locked splats and points (display sRGB in and out): greyed
// out, their brightness kept in part, so what the tool leaves alone reads at a glance.
fn locked_look(shown: vec3<f32>) -> vec3<f32> {
    let luma = dot(shown, vec3<f32>(0.2126, 0.7152, 0.0722));
    return vec3<f32>(0.12 + 0.5 * luma);
}
