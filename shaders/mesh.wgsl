// Opaque, masked and blended meshes: glTF metallic-roughness BRDF (GGX, Smith height-correlated,
// Schlick) lit by the sun (cascaded shadows), punctual lights and the sky (SH irradiance +
// sky reflections with an analytic split-sum).

struct Material {
    base_color: vec4<f32>,
    // rgb: emissive radiance (cd/m²); w: KHR_materials_dispersion's factor (20 / Abbe number).
    emissive: vec4<f32>,
    // metallic, roughness, normal scale, occlusion strength.
    pbr: vec4<f32>,
    // x: alpha mode (0 opaque, 1 mask, 2 blend); y: cutoff; z: the dielectric layer's f0
    // (((ior − 1) / (ior + 1))², 0.04 at glTF's default IOR 1.5); w: 1 when double-sided.
    alpha: vec4<f32>,
    // KHR_materials_specular: rgb the specular colour factor, w the specular factor.
    specular: vec4<f32>,
    // x: KHR_materials_transmission's factor; KHR_materials_clearcoat's y: strength,
    // z: roughness, w: normal scale.
    layers: vec4<f32>,
    // KHR_materials_volume: rgb the absorption coefficients per metre (−ln(attenuation
    // colour) / attenuation distance), w the thickness in the mesh's units (0: thin-walled).
    volume: vec4<f32>,
    // KHR_materials_sheen: rgb the sheen colour, w the sheen roughness.
    sheen: vec4<f32>,
    // KHR_materials_anisotropy: x the strength, y and z the cosine and sine of the rotation.
    anisotropy: vec4<f32>,
    // KHR_materials_iridescence: x the factor, y the film's IOR, z and w its thickness range
    // (nanometres).
    iridescence: vec4<f32>,
    // KHR_materials_diffuse_transmission: rgb the colour, w the factor.
    diffuse_transmission: vec4<f32>,
    // Per texture slot i (0 base colour, 1 metallic-roughness, 2 normal, 3 occlusion,
    // 4 emissive, 5 specular, 6 specular colour, 7 transmission, 8 clearcoat, 9 clearcoat
    // roughness, 10 clearcoat normal, 11 thickness, 12 sheen colour, 13 sheen roughness,
    // 14 anisotropy, 15 iridescence, 16 iridescence thickness, 17 diffuse transmission,
    // 18 diffuse transmission colour):
    // uv[2i] and uv[2i + 1] are the rows of its 2x3 texture-coordinate transform
    // (KHR_texture_transform after the material-wide one); uv[2i].w is the UV set it reads.
    uv: array<vec4<f32>, 38>,
};

@group(1) @binding(0) var<uniform> material: Material;
// Bindings 1 and up: the texture slots, and their samplers, with a `sample_{slot}(uv)`
// function each, generated after this file by render/shaders.rs (`MaterialBindings`).

// Transmissive materials (`fs_transmissive`, display pass only): the opaque pass's resolved
// image (exposed HDR radiance), which they show through themselves, and the display layer as
// it was before they were drawn (display-encoded: the opaque image with splats, blended
// meshes, the grid and glass further back blended over it; renderer.rs `copies_before`).
@group(2) @binding(0) var opaque_image: texture_2d<f32>;
@group(2) @binding(1) var display_behind: texture_2d<f32>;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv: vec2<f32>,
    @location(3) color: vec4<f32>,
    @location(4) tangent: vec4<f32>,
    @location(5) model_0: vec4<f32>,
    @location(6) model_1: vec4<f32>,
    @location(7) model_2: vec4<f32>,
    @location(8) model_3: vec4<f32>,
    @location(9) normal_0: vec4<f32>,
    @location(10) normal_1: vec4<f32>,
    @location(11) normal_2: vec4<f32>,
    // The node's colour grade: rgb factor, w saturation.
    @location(13) grade: vec4<f32>,
    // Relighting of unlit (captured) colour: the captured light model (b in world space, a),
    // and x: amount (0 = as captured).
    @location(14) relight_model: vec4<f32>,
    @location(15) relight: vec4<f32>,
};

struct VertexOut {
    @builtin(position) @invariant clip: vec4<f32>,
    @location(0) world_pos: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv: vec2<f32>,
    @location(3) color: vec4<f32>,
    @location(4) tangent: vec4<f32>,
    @location(5) view_depth: f32,
    // The second texture-coordinate set (set 0 again for meshes without one).
    @location(6) uv1: vec2<f32>,
    @location(7) @interpolate(flat) grade: vec4<f32>,
    @location(8) @interpolate(flat) relight_model: vec4<f32>,
    // x: the relighting amount; yzw: the node's scale along its local axes (lengths of
    // world_from_local's columns), which scales KHR_materials_volume's thickness.
    @location(9) @interpolate(flat) relight: vec4<f32>,
};

fn vertex_out(v: VertexIn, uv1: vec2<f32>) -> VertexOut {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let normal_from_local = mat3x3<f32>(v.normal_0.xyz, v.normal_1.xyz, v.normal_2.xyz);
    let world = world_from_local * vec4<f32>(v.position, 1.0);
    var out: VertexOut;
    out.clip = frame.clip_from_world * world;
    out.world_pos = world.xyz;
    out.normal = normal_from_local * v.normal;
    out.uv = v.uv;
    out.uv1 = uv1;
    out.color = v.color;
    // A mirrored instance (negative determinant) reverses its triangles' winding (glTF 2.0
    // §3.7.4), and cross(n, t) of its world frame points against the mirrored bitangent:
    // the handedness turns round with it.
    let linear = mat3x3<f32>(v.model_0.xyz, v.model_1.xyz, v.model_2.xyz);
    let handedness = select(v.tangent.w, -v.tangent.w, determinant(linear) < 0.0);
    out.tangent = vec4<f32>((world_from_local * vec4<f32>(v.tangent.xyz, 0.0)).xyz, handedness);
    out.view_depth = -(frame.view_from_world * world).z;
    out.grade = v.grade;
    out.relight_model = v.relight_model;
    out.relight = vec4<f32>(v.relight.x, length(v.model_0.xyz), length(v.model_1.xyz),
                            length(v.model_2.xyz));
    return out;
}

// Meshes with one UV set: a slot asking for set 1 reads set 0.
@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return vertex_out(v, v.uv);
}

// Meshes with a second UV set, in its own vertex buffer (slot 2).
@vertex
fn vs_main_uv1(v: VertexIn, @location(12) uv1: vec2<f32>) -> VertexOut {
    return vertex_out(v, uv1);
}

// Texture coordinates of slot `i` (see `Material.uv`): its UV set through its transform.
fn slot_uv(i: u32, in: VertexOut) -> vec2<f32> {
    let row0 = material.uv[2u * i];
    let row1 = material.uv[2u * i + 1u];
    let p = vec3<f32>(select(in.uv, in.uv1, row0.w > 0.5), 1.0);
    return vec2<f32>(dot(row0.xyz, p), dot(row1.xyz, p));
}

fn d_ggx(n_dot_h: f32, a: f32) -> f32 {
    let a2 = a * a;
    let f = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
    return a2 / (PI * f * f);
}

fn v_smith_correlated(n_dot_v: f32, n_dot_l: f32, a: f32) -> f32 {
    let a2 = a * a;
    let lambda_v = n_dot_l * sqrt(n_dot_v * n_dot_v * (1.0 - a2) + a2);
    let lambda_l = n_dot_v * sqrt(n_dot_l * n_dot_l * (1.0 - a2) + a2);
    return 0.5 / max(lambda_v + lambda_l, 1e-5);
}


// The reflectances of a surface at normal and grazing incidence: `f0`, `f90` of the GGX
// layer (the dielectric's and the metal's mixed by metallic) and `f0_d`, `f90_d` of the
// dielectric layer alone, which the diffuse base lies under.
struct Fresnel {
    f0: vec3<f32>,
    f90: vec3<f32>,
    f0_d: vec3<f32>,
    f90_d: f32,
};

// BRDF × cos for one light of illuminance `e` (lux) from direction `l`: glTF's complete
// model, mix(dielectric, metal, metallic). The GGX layer's Fresnel is Schlick's from f0 to
// f90, the two layers' Fresnels mixed. The diffuse base (already weighed by 1 − metallic)
// sits under the dielectric layer only, so it loses the dielectric's Fresnel (f0 from the
// IOR, 0.04 at 1.5, tinted and scaled by KHR_materials_specular, whose colour counts by its
// largest channel), not the mixed one (which darkened part-metal surfaces' diffuse by up to
// a third; tests/shading_reference.rs).
//
// `base`: the material's own layer, which takes the pipeline's KHR_materials_anisotropy
// (`aniso_layer`) and KHR_materials_iridescence (`film`), rather than the lacquer's.
fn shade(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, e: vec3<f32>, diffuse: vec3<f32>,
         fr: Fresnel, a: f32, base: bool) -> vec3<f32> {
    let n_dot_l = dot(n, l);
    if n_dot_l <= 0.0 {
        if base && diffuse_transmission {
            return diffuse_through(n, v, l, e, fr);
        }
        return vec3<f32>(0.0);
    }
    let h = normalize(l + v);
    let n_dot_v = max(dot(n, v), 1e-4);
    let n_dot_h = max(dot(n, h), 0.0);
    let v_dot_h = max(dot(v, h), 0.0);
    // Schlick's Fresnel for both layers from one power.
    let schlick = pow(1.0 - v_dot_h, 5.0);
    var f = fr.f0 + (fr.f90 - fr.f0) * schlick;
    let f_d = fr.f0_d + (fr.f90_d - fr.f0_d) * schlick;
    var taken_d = max3(f_d);
    if base && iridescence {
        // The film's reflectance (at n·v, as the sample viewer evaluates it once per pixel)
        // in place of Schlick's, by the iridescence factor; the diffuse loses what the
        // dielectric's film reflects.
        f = mix(f, film.fresnel, film.factor);
        taken_d = mix(taken_d, max3(film.fresnel_d), film.factor);
    }
    var lobe: f32;
    if base && anisotropy {
        lobe = ggx_anisotropic(n_dot_v, n_dot_l, n_dot_h, v, l, h);
    } else {
        lobe = d_ggx(n_dot_h, a) * v_smith_correlated(n_dot_v, n_dot_l, a);
    }
    let spec = lobe * f;
    var diff = (1.0 - taken_d) * diffuse / PI;
    if base && diffuse_transmission {
        // What passes through to the other side is not reflected diffusely.
        diff *= 1.0 - through.factor;
    }
    return (diff + spec) * e * n_dot_l;
}

fn max3(c: vec3<f32>) -> f32 {
    return max(c.r, max(c.g, c.b));
}

// The texture slots this pipeline samples (1 base colour, 2 metallic-roughness, 4 normal,
// 8 occlusion, 16 emissive, 32 specular, 64 specular colour, 128 transmission, 256
// clearcoat, 512 clearcoat roughness, 1024 clearcoat normal, 2048 thickness, 4096 sheen
// colour, 8192 sheen roughness, 16384 anisotropy, 32768 iridescence, 65536 iridescence
// thickness, 131072 diffuse transmission, 262144 its colour): a pipeline constant
// (renderer.rs, `MeshPipe`), so a pipeline holds only the sampling its materials do.
// Sampling sites are large in a CPU adapter's compiled shader; this and `unlit` halved the
// default world's first-draw compile on lavapipe.
override maps: u32 = 0u;

fn has(flag: u32) -> bool {
    return (maps & flag) != 0u;
}

// The normal a glTF normal map gives: red along the tangent (+u), green along the bitangent,
// which glTF puts towards the top of the texture image (decreasing v: glTF's v grows
// downwards), blue along `n`. With tangents: bitangent = cross(n, t) · w (glTF; generated
// tangents follow it too, see import/gltf.rs). Without: a cotangent frame from screen-space
// derivatives (Schüler), whose t and b come out as −∂p/∂u and −∂p/∂v in WebGPU's y-down
// framebuffer (the screen frame is left-handed there): t is turned round, b kept.
// tests/shading_reference.rs checks all three paths against the convention.
fn perturb_normal(n: vec3<f32>, p: vec3<f32>, uv: vec2<f32>, t_in: vec4<f32>,
                  sample: vec3<f32>, scale: f32) -> vec3<f32> {
    let tb = tangent_frame(n, p, uv, t_in);
    let m = sample * 2.0 - 1.0;
    let s = vec3<f32>(m.xy * scale, m.z);
    return normalize(tb[0] * s.x + tb[1] * s.y + n * s.z);
}

// The tangent (+u) and bitangent (towards the texture's top) at a surface point of normal
// `n` (see `perturb_normal`): from the mesh's tangent `t_in` where it has one, else from
// the screen-space derivatives of the position `p` and of `uv`.
fn tangent_frame(n: vec3<f32>, p: vec3<f32>, uv: vec2<f32>, t_in: vec4<f32>) -> mat2x3<f32> {
    var t: vec3<f32>;
    var b: vec3<f32>;
    if dot(t_in.xyz, t_in.xyz) > 1e-8 {
        t = normalize(t_in.xyz - n * dot(n, t_in.xyz));
        b = cross(n, t) * select(1.0, -1.0, t_in.w < 0.0);
    } else {
        let dp1 = dpdx(p);
        let dp2 = dpdy(p);
        let duv1 = dpdx(uv);
        let duv2 = dpdy(uv);
        let dp2perp = cross(dp2, n);
        let dp1perp = cross(n, dp1);
        t = -(dp2perp * duv1.x + dp1perp * duv2.x);
        b = dp2perp * duv1.y + dp1perp * duv2.y;
        let invmax = inverseSqrt(max(dot(t, t), dot(b, b)) + 1e-20);
        t *= invmax;
        b *= invmax;
    }
    return mat2x3<f32>(t, b);
}

// Blended materials draw in the display-space layer (display.wgsl): they blend as the
// display shows them, over splats and the tone-mapped opaque image.
override display_out: bool = false;
// X-ray (renderer.rs, `Overlays::xray`): every mesh drawn in the display layer, see-through:
// lit, its alpha times `xray_alpha()`; in solid shading (which draws translucent ones opaque)
// `xray_alpha()` itself.
override xray: bool = false;

// What a surface shaded `c` writes: exposed radiance, or in the display layer its display
// value and alpha.
fn surface_out(c: vec4<f32>) -> vec4<f32> {
    if !display_out {
        return c;
    }
    var alpha = c.a;
    if xray {
        alpha = select(c.a * xray_alpha(), xray_alpha(), solid != 0u);
    }
    return vec4<f32>(display_encoded(c.rgb), alpha);
}

// Opaque and blended materials: no `discard`, so the depth test can run before shading.
@fragment
fn fs_main(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    return surface_out(shade_surface(in, front, false));
}

// Alpha-masked materials (glTF MASK): discard below the cutoff.
@fragment
fn fs_mask(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    return surface_out(shade_surface(in, front, true));
}

// X-ray's order-independent blending (common.wgsl `xray_out`): the nearest X-ray surface's
// view depth at each pixel, from the pre-pass.
@group(2) @binding(2) var xray_front: texture_2d<f32>;

@fragment
fn fs_xray_main(in: VertexOut, @builtin(front_facing) front: bool) -> XrayOut {
    let c = surface_out(shade_surface(in, front, false));
    return xray_out(c, in.view_depth, textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r);
}

@fragment
fn fs_xray_mask(in: VertexOut, @builtin(front_facing) front: bool) -> XrayOut {
    let c = surface_out(shade_surface(in, front, true));
    return xray_out(c, in.view_depth, textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r);
}

// What `shade_surface` leaves for `fs_transmissive`: rgb the weight of the light from behind
// (transmission × base colour × (1 − metallic), less what the dielectric layer reflects,
// and what a volume absorbs), w the roughness that blurs it. Zero for surfaces that
// transmit nothing.
var<private> transmitted: vec4<f32>;
// Where (framebuffer pixel) the light from behind is read: the surface's own pixel when
// thin-walled, where the refracted ray leaves a volume otherwise. With dispersion each colour
// channel refracts by its own IOR and leaves elsewhere: red at `transmitted_from`, green and
// blue at `dispersed_from` (xy, zw).
var<private> transmitted_from: vec2<f32>;
var<private> dispersed_from: vec4<f32>;
var<private> dispersed: bool;

// Transmissive materials (KHR_materials_transmission), thin-walled as the extension has them
// without KHR_materials_volume: light from behind passes straight through, so the surface
// shows the opaque image at its own pixel, weighed by `transmitted` and blurred by its
// roughness, under its reflections and the diffuse share that is not transmitted. With a
// volume (thickness > 0) the view ray refracts into it, and the image is read where it
// leaves, as the Khronos sample viewer does (`volume_exit`). Drawn in
// the display pass (renderer.rs: blended like blended materials, with alpha 1 unless the
// material blends), where the opaque image is complete. What the display pass drew before
// (splats, blended meshes, the grid, transmissive surfaces further back) shows through too
// (`behind_at`).
@fragment
fn fs_transmissive(in: VertexOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    let c = shade_surface(in, front, u32(material.alpha.x) == 1u);
    var color = c.rgb;
    if any(transmitted.rgb > vec3<f32>(0.0)) {
        var seen = behind(transmitted_from, transmitted.w);
        if dispersed {
            seen = vec3<f32>(seen.r, behind(dispersed_from.xy, transmitted.w).g,
                             behind(dispersed_from.zw, transmitted.w).b);
        }
        color += transmitted.rgb * seen;
    }
    return vec4<f32>(display_encoded(color), c.a);
}

// What is behind pixel `p` (`behind_at`), blurred for rough surfaces: a disc of 16 taps (Vogel
// spiral) whose radius grows with roughness² up to a twentieth of the image height (the
// spread of the transmission lobe, roughly, as the sample viewer's mip lookup has it).
fn behind(p: vec2<f32>, roughness: f32) -> vec3<f32> {
    let size = vec2<i32>(textureDimensions(opaque_image));
    let last = size - vec2<i32>(1);
    let radius = roughness * roughness * f32(size.y) * 0.05;
    if radius < 0.5 {
        return behind_at(clamp(vec2<i32>(p), vec2<i32>(0), last));
    }
    var sum = vec3<f32>(0.0);
    for (var i = 0; i < 16; i += 1) {
        let r = radius * sqrt((f32(i) + 0.5) / 16.0);
        let a = f32(i) * 2.39996323;
        let q = vec2<i32>(p + r * vec2<f32>(cos(a), sin(a)));
        sum += behind_at(clamp(q, vec2<i32>(0), last));
    }
    return sum / 16.0;
}

// Exposed radiance behind pixel `q`: the opaque image where the display layer still shows
// just that (exact, HDR highlights included); where splats, blended meshes or the grid
// were drawn over it, the display layer's colour taken back through the inverse tone map.
fn behind_at(q: vec2<i32>) -> vec3<f32> {
    let opaque = textureLoad(opaque_image, q, 0).rgb;
    let shown = textureLoad(display_behind, q, 0).rgb;
    if all(abs(shown - display_encoded(opaque)) < vec3<f32>(2.0 / 1024.0)) {
        return opaque;
    }
    return inverse_tonemap(srgb_to_linear(clamp(shown, vec3<f32>(0.0), vec3<f32>(1.0))));
}

// KHR_materials_volume: the view ray refracts into the solid (Snell, by the IOR the
// dielectric layer's f0 stands for) and travels `thickness` (the mesh's units, scaled with
// its node) before it leaves; the light from behind is read where that exit point lies on
// screen and loses what the medium absorbs on the way (Beer–Lambert: exp(−σ·distance)).
// Its blur narrows as the IOR nears 1 (no bending, no spread), as the sample viewer has it.
fn volume_exit(in: VertexOut, n: vec3<f32>, v: vec3<f32>, thickness: f32) {
    let s = sqrt(clamp(material.alpha.z, 0.0, 0.999));
    let ior = (1.0 + s) / (1.0 - s);
    // KHR_materials_dispersion: red, green and blue refract by IORs spread around the
    // material's by ±(ior − 1) × dispersion / 40 (the extension's sample implementation),
    // each leaving at its own point and absorbed along its own path.
    let spread = (ior - 1.0) * 0.025 * material.emissive.w;
    dispersed = spread > 0.0;
    let red = refracted_ray(in, n, v, thickness, ior - spread);
    transmitted_from = red.at;
    var path = vec3<f32>(red.length);
    if dispersed {
        let green = refracted_ray(in, n, v, thickness, ior);
        let blue = refracted_ray(in, n, v, thickness, ior + spread);
        dispersed_from = vec4<f32>(green.at, blue.at);
        path = vec3<f32>(red.length, green.length, blue.length);
    }
    transmitted = vec4<f32>(transmitted.rgb * exp(-material.volume.rgb * path),
                            transmitted.w * clamp(ior * 2.0 - 2.0, 0.0, 1.0));
}

// Where a view ray refracted into a volume by `ior` leaves it (framebuffer pixel; the
// surface's own pixel if that point is behind the camera) and the length of its path inside.
struct RefractedRay {
    at: vec2<f32>,
    length: f32,
};

fn refracted_ray(in: VertexOut, n: vec3<f32>, v: vec3<f32>, thickness: f32,
                 ior: f32) -> RefractedRay {
    let ray = normalize(refract(-v, n, 1.0 / ior)) * thickness * in.relight.yzw;
    let exit = frame.clip_from_world * vec4<f32>(in.world_pos + ray, 1.0);
    var out = RefractedRay(in.clip.xy, length(ray));
    if exit.w > 1e-4 {
        let ndc = exit.xy / exit.w;
        out.at = (vec2<f32>(ndc.x, -ndc.y) * 0.5 + 0.5) * frame.viewport.xy;
    }
    return out;
}

// KHR_materials_clearcoat: a pipeline of its own (renderer.rs, `MeshPipe`), so materials
// without a lacquer carry none of its code.
override clearcoat: bool = false;

// The lacquer's GGX lobe × cos for one light: `shade` with no diffuse and a reflectance of 1
// at every angle (no Fresnel: the layering weighs the lobe by its own).
fn coat_specular(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, e: vec3<f32>, a: f32) -> vec3<f32> {
    let one = Fresnel(vec3<f32>(1.0), vec3<f32>(1.0), vec3<f32>(1.0), 1.0);
    return shade(n, v, l, e, vec3<f32>(0.0), one, a, false);
}

// KHR_materials_sheen: a pipeline of its own (renderer.rs, `MeshPipe`), so materials
// without a sheen carry none of its code.
override sheen: bool = false;

// The sheen lobe's directional albedo E(n·v, roughness), 32 × 32 values row by roughness
// (render/sheen.rs, where it is integrated and the tests check it).
@group(0) @binding(7) var<storage, read> sheen_albedo_table: array<f32, 1024>;

fn sheen_albedo_entry(i: u32) -> f32 {
    return sheen_albedo_table[i];
}

// E at (n·v, roughness), bilinearly interpolated between the table's entries.
fn sheen_albedo(n_dot_v: f32, roughness: f32) -> f32 {
    let p = clamp(vec2<f32>(n_dot_v, roughness), vec2<f32>(0.0), vec2<f32>(1.0)) * 31.0;
    let p0 = vec2<u32>(floor(p));
    let p1 = min(p0 + vec2<u32>(1u), vec2<u32>(31u));
    let f = p - vec2<f32>(p0);
    let row0 = mix(sheen_albedo_entry(p0.y * 32u + p0.x), sheen_albedo_entry(p0.y * 32u + p1.x), f.x);
    let row1 = mix(sheen_albedo_entry(p1.y * 32u + p0.x), sheen_albedo_entry(p1.y * 32u + p1.x), f.x);
    return mix(row0, row1, f.y);
}

// The Charlie fibre distribution (Conty Estevez and Kulla 2017) at n·h, α = roughness².
fn d_charlie(n_dot_h: f32, a: f32) -> f32 {
    let inv_a = 1.0 / a;
    let sin2h = max(1.0 - n_dot_h * n_dot_h, 1e-7);
    return (2.0 + inv_a) * pow(sin2h, inv_a * 0.5) / (2.0 * PI);
}

// The exponent of the Charlie visibility's Λ, fitted (the extension's `l(x, alphaG)`).
fn sheen_lambda_exponent(x: f32, a: f32) -> f32 {
    let t = (1.0 - a) * (1.0 - a);
    let c = mix(vec4<f32>(21.5473, 3.82987, 0.19823, -1.97760),
                vec4<f32>(25.3245, 3.32435, 0.16801, -1.27393), t);
    let e = mix(-4.32054, -4.85967, t);
    return c.x / (1.0 + c.y * pow(x, c.z)) + c.w * x + e;
}

fn sheen_lambda(cos_theta: f32, a: f32) -> f32 {
    if cos_theta < 0.5 {
        return exp(sheen_lambda_exponent(cos_theta, a));
    }
    return exp(2.0 * sheen_lambda_exponent(0.5, a) - sheen_lambda_exponent(1.0 - cos_theta, a));
}

// The sheen of this pixel: its colour, roughness and α, the lobe's albedo E(n·v) seen from
// the view direction, and the share of light the lobe takes from there (max colour channel
// × E(n·v)).
struct SheenLayer {
    color: vec3<f32>,
    roughness: f32,
    a: f32,
    albedo_v: f32,
    taken_v: f32,
};
var<private> sheen_layer: SheenLayer;

// One light through the sheen: the lobe × cos over the layer beneath, whose light `under`
// (`shade`'s) loses what the fibres take from the view and the light directions (the
// extension's albedo scaling, min(1 − max(colour)·E(n·v), 1 − max(colour)·E(n·l))).
fn sheen_over(under: vec3<f32>, n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, e: vec3<f32>) -> vec3<f32> {
    let n_dot_l = dot(n, l);
    if n_dot_l <= 0.0 {
        return under;
    }
    let n_dot_v = max(dot(n, v), 1e-4);
    let h = normalize(l + v);
    let a = sheen_layer.a;
    let vis = 1.0 / ((1.0 + sheen_lambda(n_dot_v, a) + sheen_lambda(n_dot_l, a)) * 4.0 * n_dot_v);
    let lobe = sheen_layer.color * d_charlie(dot(n, h), a) * vis;
    let taken_l = max3(sheen_layer.color) * sheen_albedo(n_dot_l, sheen_layer.roughness);
    return under * (1.0 - max(sheen_layer.taken_v, taken_l)) + lobe * e;
}

// KHR_materials_anisotropy: a pipeline of its own (renderer.rs, `MeshPipe`), so materials
// with a round highlight carry none of its code.
override anisotropy: bool = false;

// The anisotropic highlight of this pixel: the direction it stretches along (`t`) and the
// one across (`b`), and the GGX roughnesses along each (α_t = mix(α, 1, strength²),
// α_b = α: the extension's model).
struct AnisoLayer {
    t: vec3<f32>,
    b: vec3<f32>,
    at: f32,
    ab: f32,
};
var<private> aniso_layer: AnisoLayer;

// The anisotropic GGX distribution × the height-correlated Smith visibility (Kulla and
// Conty 2017, as the extension and the Khronos sample viewer write them).
fn ggx_anisotropic(n_dot_v: f32, n_dot_l: f32, n_dot_h: f32, v: vec3<f32>, l: vec3<f32>,
                   h: vec3<f32>) -> f32 {
    let t = aniso_layer.t;
    let b = aniso_layer.b;
    let at = aniso_layer.at;
    let ab = aniso_layer.ab;
    let a2 = at * ab;
    let f = vec3<f32>(ab * dot(t, h), at * dot(b, h), a2 * max(n_dot_h, 1e-3));
    let w2 = a2 / dot(f, f);
    let d = a2 * w2 * w2 / PI;
    // (Not named `gl`: naga's GLSL output renames a second `gl` to the reserved `gl_1`.)
    let lambda_v = n_dot_l * length(vec3<f32>(at * dot(t, v), ab * dot(b, v), n_dot_v));
    let lambda_l = n_dot_v * length(vec3<f32>(at * dot(t, l), ab * dot(b, l), n_dot_l));
    // Not clamped to 1 (as the sample viewer does, which darkens grazing highlights): the
    // visibility of a round highlight (`v_smith_correlated`) is not either.
    return d * 0.5 / max(lambda_v + lambda_l, 1e-5);
}

// KHR_materials_iridescence: a pipeline of its own (renderer.rs, `MeshPipe`).
override iridescence: bool = false;

// The thin film of this pixel: its factor, and the reflectance of film over surface at n·v
// for the GGX layer (dielectric and metal mixed by metallic, `fresnel`) and for the
// dielectric alone (`fresnel_d`, over the diffuse base).
struct Film {
    factor: f32,
    fresnel: vec3<f32>,
    fresnel_d: vec3<f32>,
};
var<private> film: Film;

// CIE XYZ → linear sRGB (Rec. 709 primaries, D65).
const XYZ_TO_REC709 = mat3x3<f32>(
    vec3<f32>(3.2404542, -0.9692660, 0.0556434),
    vec3<f32>(-1.5371385, 1.8760108, -0.2040259),
    vec3<f32>(-0.4985314, 0.0415560, 1.0572252));

// The XYZ colour-matching functions' Fourier transform at optical path difference `opd`
// (nanometres) with phase `shift`, in linear sRGB (Belcour and Barla 2017's Gaussian fit).
fn film_sensitivity(opd: f32, shift: vec3<f32>) -> vec3<f32> {
    let phase = 2.0 * PI * opd * 1.0e-9;
    let val = vec3<f32>(5.4856e-13, 4.4201e-13, 5.2481e-13);
    let pos = vec3<f32>(1.6810e+06, 1.7953e+06, 2.2084e+06);
    let spread = vec3<f32>(4.3278e+09, 9.3046e+09, 6.6121e+09);
    var xyz = val * sqrt(2.0 * PI * spread) * cos(pos * phase + shift)
        * exp(-phase * phase * spread);
    xyz.x += 9.7470e-14 * sqrt(2.0 * PI * 4.5282e+09) * cos(2.2399e+06 * phase + shift.x)
        * exp(-4.5282e+09 * phase * phase);
    return XYZ_TO_REC709 * (xyz / 1.0685e-7);
}

fn ior_to_f0(transmitted: vec3<f32>, incident: f32) -> vec3<f32> {
    let r = (transmitted - vec3<f32>(incident)) / (transmitted + vec3<f32>(incident));
    return r * r;
}

// The reflectance of a thin film (IOR `film_ior`, `thickness` nm) over a surface of
// reflectance `base_f0`, from air at cos θ = `cos1`: Airy summation of the two interfaces'
// Fresnel terms with the phase the film's optical path adds, integrated against the colour
// matching functions (Belcour and Barla 2017, as KHR_materials_iridescence's sample
// implementation writes it).
fn film_fresnel(film_ior_in: f32, cos1: f32, thickness: f32, base_f0: vec3<f32>) -> vec3<f32> {
    // A film thinning to nothing turns into air.
    let film_ior = mix(1.0, film_ior_in, smoothstep(0.0, 0.03, thickness));
    let sin2_sq = (1.0 / (film_ior * film_ior)) * (1.0 - cos1 * cos1);
    let cos2_sq = 1.0 - sin2_sq;
    if cos2_sq < 0.0 {
        return vec3<f32>(1.0);
    }
    let cos2 = sqrt(cos2_sq);
    // Air to film.
    let r0 = (film_ior - 1.0) / (film_ior + 1.0);
    let r12 = r0 * r0 + (1.0 - r0 * r0) * pow(1.0 - cos1, 5.0);
    let t121 = 1.0 - r12;
    let phi12 = select(0.0, PI, film_ior < 1.0);
    let phi21 = PI - phi12;
    // Film to surface.
    let sqrt_f0 = sqrt(clamp(base_f0, vec3<f32>(0.0), vec3<f32>(0.9999)));
    let base_ior = (vec3<f32>(1.0) + sqrt_f0) / (vec3<f32>(1.0) - sqrt_f0);
    let r1 = ior_to_f0(base_ior, film_ior);
    let r23 = r1 + (vec3<f32>(1.0) - r1) * pow(1.0 - cos2, 5.0);
    let phi23 = select(vec3<f32>(0.0), vec3<f32>(PI), base_ior < vec3<f32>(film_ior));
    let opd = 2.0 * film_ior * thickness * cos2;
    let phi = vec3<f32>(phi21) + phi23;
    let r123 = clamp(r12 * r23, vec3<f32>(1e-5), vec3<f32>(0.9999));
    let r123_sqrt = sqrt(r123);
    let rs = t121 * t121 * r23 / (vec3<f32>(1.0) - r123);
    var reflectance = r12 + rs;
    var cm = rs - t121;
    for (var m = 1; m <= 2; m += 1) {
        cm *= r123_sqrt;
        reflectance += cm * 2.0 * film_sensitivity(f32(m) * opd, f32(m) * phi);
    }
    // Colours outside the gamut come out negative.
    return max(reflectance, vec3<f32>(0.0));
}

// KHR_materials_diffuse_transmission: a pipeline of its own (renderer.rs, `MeshPipe`).
override diffuse_transmission: bool = false;

// The diffuse transmission of this pixel: its factor, and the colour light from behind
// takes (the transmission colour × factor × the share of the base that is neither metal nor
// specular transmission).
struct Through {
    factor: f32,
    weight: vec3<f32>,
};
var<private> through: Through;

// Light from behind a diffusely transmitting surface (thin-walled, as the extension has it):
// Lambert's law about −n, tinted by the transmission colour, less what the dielectric layer
// reflects (its Fresnel at the light mirrored to the front, as the sample viewer has it).
fn diffuse_through(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, e: vec3<f32>, fr: Fresnel) -> vec3<f32> {
    let mirrored = l - 2.0 * n * dot(n, l);
    let h = normalize(mirrored + v);
    let schlick = pow(1.0 - max(dot(v, h), 0.0), 5.0);
    let f_d = fr.f0_d + (fr.f90_d - fr.f0_d) * schlick;
    return (1.0 - max3(f_d)) * through.weight / PI * e * max(-dot(n, l), 0.0);
}

// Karis's analytic environment BRDF (mobile): the split-sum scale and bias at this
// roughness and n·v.
fn env_brdf_ab(roughness: f32, n_dot_v: f32) -> vec2<f32> {
    let c0 = vec4<f32>(-1.0, -0.0275, -0.572, 0.022);
    let c1 = vec4<f32>(1.0, 0.0425, 1.04, -0.04);
    let r4 = roughness * c0 + c1;
    let a004 = min(r4.x * r4.x, exp2(-9.28 * n_dot_v)) * r4.x + r4.y;
    return vec2<f32>(-1.04, 1.04) * a004 + r4.zw;
}

// Unlit (KHR_materials_unlit, captured colour): a pipeline of its own (renderer.rs, `MeshPipe`),
// so neither the lit nor the unlit pipelines carry the other's code.
override unlit: bool = false;

// The normal a normal-map sample `s` (read at `uv`, at `scale`) gives, built in the front's
// tangent frame and turned round whole for the back of a double-sided surface (`back`).
fn mapped_normal(in: VertexOut, front_n: vec3<f32>, back: bool, uv: vec2<f32>, s: vec3<f32>,
                 scale: f32) -> vec3<f32> {
    let n = perturb_normal(front_n, in.world_pos, uv, in.tangent, s, scale);
    return select(n, -n, back);
}

// Solid shading in the materials' colours (renderer.rs `MeshPipe::solid`): 0 lit, 1 the
// base colour factor × vertex colours, 2 also × the base colour texture, under solid.wgsl's
// studio light instead of the scene's.
override solid: u32 = 0u;

fn shade_surface(in: VertexOut, front: bool, masked: bool) -> vec4<f32> {
    var base = material.base_color * in.color;
    // Textures are sampled only when the slot is used (`maps`). Each slot reads its own UV set
    // through its own transform, with its own sampler.
    if has(1u) {
        base *= sample_base_color(slot_uv(0u, in));
    }
    if solid != 0u {
        if masked && base.a < material.alpha.y {
            discard;
        }
        var albedo = base.rgb;
        if solid == 1u {
            // The texture's alpha still cuts out masked surfaces; its colour is left out.
            albedo = material.base_color.rgb * in.color.rgb;
        }
        return studio_lit(linear_to_srgb(clamp(albedo, vec3<f32>(0.0), vec3<f32>(1.0))),
                          in.normal, in.world_pos);
    }
    base = vec4<f32>(graded(base.rgb, in.grade), base.a);
    var n = normalize(in.normal);
    // A double-sided surface seen from behind: its normal, and its normal-mapped normal
    // (built in the front's tangent frame, then turned round whole, as the Khronos sample
    // viewer does), face the viewer.
    let back = !front && material.alpha.w > 0.5;
    let front_n = n;
    if back {
        n = -n;
    }
    var alpha = 1.0;
    if u32(material.alpha.x) == 2u {
        alpha = base.a;
    }
    // Unlit: the colour is as captured, with its lighting baked in; it must reach the screen
    // unchanged, so no lights, shadows or ambient, just the inverse of the post pass (already
    // exposed, so no multiplication by the exposure below). A node relit (`relight.x` > 0)
    // mixes in its albedo lit by the scene (see `relit`).
    if unlit {
        if masked && base.a < material.alpha.y {
            discard;
        }
        let h = inverse_tonemap(base.rgb);
        return vec4<f32>(relit(h, in.relight.x, in.relight_model, n, in.world_pos, n,
                               in.view_depth), alpha);
    }
    var metallic = material.pbr.x;
    var roughness = material.pbr.y;
    if has(2u) {
        let mr = sample_metallic_roughness(slot_uv(1u, in));
        roughness *= mr.g;
        metallic *= mr.b;
    }
    var ao = 1.0;
    if has(8u) {
        let occlusion = sample_occlusion(slot_uv(3u, in)).r;
        ao = 1.0 + material.pbr.w * (occlusion - 1.0);
    }
    var emissive = material.emissive.rgb;
    if has(16u) {
        emissive *= sample_emissive(slot_uv(4u, in)).rgb;
    }
    var shading_n = n;
    if has(4u) {
        // Meshes without tangents derive the frame from this slot's coordinates, so it
        // follows the normal map's UV set and transform as MikkTSpace tangents do.
        let normal_uv = slot_uv(2u, in);
        let normal_s = sample_normal(normal_uv);
        shading_n = mapped_normal(in, front_n, back, normal_uv, normal_s.xyz, material.pbr.z);
    }
    if masked && base.a < material.alpha.y {
        discard;
    }
    roughness = clamp(roughness, 0.045, 1.0);
    metallic = clamp(metallic, 0.0, 1.0);

    // KHR_materials_specular: the dielectric layer's f0 = min(f0(ior) · colour, 1) · strength,
    // its f90 = strength.
    var specular = material.specular.w;
    if has(32u) {
        specular *= sample_specular(slot_uv(5u, in)).a;
    }
    var specular_color = material.specular.rgb;
    if has(64u) {
        specular_color *= sample_specular_color(slot_uv(6u, in)).rgb;
    }
    var fr: Fresnel;
    fr.f0_d = min(material.alpha.z * specular_color, vec3<f32>(1.0)) * specular;
    fr.f90_d = specular;
    fr.f0 = mix(fr.f0_d, base.rgb, metallic);
    fr.f90 = vec3<f32>(mix(specular, 1.0, metallic));

    // KHR_materials_transmission: the non-metal layer's base splits into diffuse and
    // transmitted light; what passes straight through (thin-walled) loses what the dielectric
    // layer reflects at this angle (`fs_transmissive` adds it).
    var transmission = material.layers.x;
    if has(128u) {
        transmission *= sample_transmission(slot_uv(7u, in)).r;
    }
    transmission = clamp(transmission, 0.0, 1.0);

    let a = roughness * roughness;
    let diffuse = base.rgb * (1.0 - metallic) * (1.0 - transmission);
    let v = towards_viewer(in.world_pos);
    var color = vec3<f32>(0.0);

    // KHR_materials_clearcoat: a lacquer over everything (emission and transmission too),
    // weighed by strength × its Fresnel at n·v (the extension's layering); its lobe sums in
    // `coat`, with its own roughness and normal (the geometry's unless it has a map).
    var coat = vec3<f32>(0.0);
    var coat_weight = 0.0;
    var coat_n = n;
    var coat_a = 0.0;
    var coat_roughness = 0.0;
    if clearcoat {
        var strength = material.layers.y;
        if has(256u) {
            strength *= sample_clearcoat(slot_uv(8u, in)).r;
        }
        coat_roughness = material.layers.z;
        if has(512u) {
            coat_roughness *= sample_clearcoat_roughness(slot_uv(9u, in)).g;
        }
        if has(1024u) {
            let coat_uv = slot_uv(10u, in);
            let coat_s = sample_clearcoat_normal(coat_uv);
            coat_n = mapped_normal(in, front_n, back, coat_uv, coat_s.xyz, material.layers.w);
        }
        coat_roughness = clamp(coat_roughness, 0.045, 1.0);
        coat_a = coat_roughness * coat_roughness;
        let fresnel = 0.04 + 0.96 * pow(1.0 - abs(dot(coat_n, v)), 5.0);
        coat_weight = clamp(strength, 0.0, 1.0) * fresnel;
    }
    // KHR_materials_sheen: fibres over the base layer (under the lacquer).
    if sheen {
        var sheen_color = material.sheen.rgb;
        if has(4096u) {
            sheen_color *= sample_sheen_color(slot_uv(12u, in)).rgb;
        }
        var sheen_roughness = material.sheen.w;
        if has(8192u) {
            sheen_roughness *= sample_sheen_roughness(slot_uv(13u, in)).a;
        }
        // Below 0.07 the rim is thinner than the albedo table resolves (render/sheen.rs).
        sheen_roughness = clamp(sheen_roughness, 0.07, 1.0);
        sheen_layer.color = sheen_color;
        sheen_layer.roughness = sheen_roughness;
        sheen_layer.a = sheen_roughness * sheen_roughness;
        sheen_layer.albedo_v = sheen_albedo(max(dot(shading_n, v), 1e-4), sheen_roughness);
        sheen_layer.taken_v = max3(sheen_color) * sheen_layer.albedo_v;
    }
    // KHR_materials_anisotropy: the highlight's direction in the tangent frame (the
    // texture's, or +u), turned by the rotation; its strength stretches it.
    var aniso_strength = 0.0;
    if anisotropy {
        var direction = vec2<f32>(1.0, 0.0);
        aniso_strength = material.anisotropy.x;
        let aniso_uv = slot_uv(14u, in);
        if has(16384u) {
            let s = sample_anisotropy(aniso_uv).rgb;
            direction = s.xy * 2.0 - 1.0;
            aniso_strength *= s.z;
        }
        aniso_strength = clamp(aniso_strength, 0.0, 1.0);
        let c = material.anisotropy.y;
        let s = material.anisotropy.z;
        direction = vec2<f32>(c * direction.x - s * direction.y, s * direction.x + c * direction.y);
        let tb = tangent_frame(front_n, in.world_pos, aniso_uv, in.tangent);
        let t = normalize(tb[0]) * direction.x + normalize(tb[1]) * direction.y;
        // Along the surface as the shading normal has it (a line: its sign never counts).
        let t_along = t - shading_n * dot(shading_n, t);
        aniso_layer.t = t_along * inverseSqrt(max(dot(t_along, t_along), 1e-12));
        aniso_layer.b = cross(shading_n, aniso_layer.t);
        aniso_layer.at = mix(a, 1.0, aniso_strength * aniso_strength);
        aniso_layer.ab = max(a, 1e-3);
    }
    // KHR_materials_iridescence: the film's factor and thickness (between the range's ends
    // by the thickness texture's green, else its upper end), and its reflectance at n·v
    // over the dielectric and over the metal.
    if iridescence {
        film.factor = material.iridescence.x;
        if has(32768u) {
            film.factor *= sample_iridescence(slot_uv(15u, in)).r;
        }
        var thickness = material.iridescence.w;
        if has(65536u) {
            thickness = mix(material.iridescence.z, material.iridescence.w,
                            sample_iridescence_thickness(slot_uv(16u, in)).g);
        }
        if thickness <= 0.0 {
            film.factor = 0.0;
        }
        film.factor = clamp(film.factor, 0.0, 1.0);
        let cos_v = max(dot(shading_n, v), 1e-4);
        film.fresnel_d = film_fresnel(material.iridescence.y, cos_v, thickness, fr.f0_d);
        let metal = film_fresnel(material.iridescence.y, cos_v, thickness, base.rgb);
        film.fresnel = mix(film.fresnel_d, metal, metallic);
    }
    // KHR_materials_diffuse_transmission: the factor and colour of the light that passes.
    if diffuse_transmission {
        var factor = material.diffuse_transmission.w;
        if has(131072u) {
            factor *= sample_diffuse_transmission(slot_uv(17u, in)).a;
        }
        var color = material.diffuse_transmission.rgb;
        if has(262144u) {
            color *= sample_diffuse_transmission_color(slot_uv(18u, in)).rgb;
        }
        through.factor = clamp(factor, 0.0, 1.0);
        through.weight = color * through.factor * (1.0 - metallic) * (1.0 - transmission);
    }
    if transmission > 0.0 {
        let schlick_v = pow(1.0 - max(dot(shading_n, v), 0.0), 5.0);
        let f_v = fr.f0_d + (fr.f90_d - fr.f0_d) * schlick_v;
        transmitted = vec4<f32>(base.rgb * (1.0 - metallic) * transmission * (1.0 - max3(f_v)),
                                roughness);
        transmitted_from = in.clip.xy;
        var thickness = material.volume.w;
        if has(2048u) {
            thickness *= sample_thickness(slot_uv(11u, in)).g;
        }
        if thickness > 0.0 {
            volume_exit(in, shading_n, v, thickness);
        }
    }

    let sun = frame.sun_dir.xyz;
    if frame.sun_dir.w > 0.5
        && (dot(shading_n, sun) > 0.0 || (clearcoat && dot(coat_n, sun) > 0.0)
            || diffuse_transmission) {
        // A surface lit through from behind (diffuse transmission) is looked up in the
        // shadow map from its lit side: offset along −n, towards the sun, so a thin sheet
        // does not shadow itself.
        var shadow_n = n;
        if diffuse_transmission && dot(n, sun) < 0.0 {
            shadow_n = -n;
        }
        let e = frame.sun_illuminance.rgb * sun_shadow(in.world_pos, shadow_n, in.view_depth);
        var lit = shade(shading_n, v, sun, e, diffuse, fr, a, true);
        if sheen {
            lit = sheen_over(lit, shading_n, v, sun, e);
        }
        color += lit;
        if clearcoat {
            coat += coat_specular(coat_n, v, sun, e, coat_a);
        }
    }

    // The lights listed for this pixel's screen tile (common.wgsl `light_tile_words`).
    let tile = vec2<u32>(in.clip.xy / frame.light_tiles.x);
    let words = u32(frame.light_tiles.z);
    let first = (tile.y * u32(frame.light_tiles.y) + tile.x) * words;
    for (var w = 0u; w < words; w += 1u) {
        var bits = light_tile_word(first + w);
        while bits != 0u {
            let i = w * 32u + firstTrailingBit(bits);
            bits &= bits - 1u;
            let light = lights[i];
            let p = punctual(light, in.world_pos);
            if p.w > 0.0 {
                let e = light.color.rgb * p.w;
                var lit = shade(shading_n, v, p.xyz, e, diffuse, fr, a, true);
                if sheen {
                    lit = sheen_over(lit, shading_n, v, p.xyz, e);
                }
                color += lit;
                if clearcoat {
                    coat += coat_specular(coat_n, v, p.xyz, e, coat_a);
                }
            }
        }
    }

    // Ambient from the sky: SH irradiance (diffuse) and sky reflection blurred towards the
    // irradiance with roughness, weighted by an analytic environment BRDF (Karis, mobile).
    let n_dot_v = max(dot(shading_n, v), 1e-4);
    let ab = env_brdf_ab(roughness, n_dot_v);
    var env_brdf = fr.f0 * ab.x + fr.f90 * ab.y;
    // The diffuse base lies under the dielectric layer only (see `shade`).
    var env_dielectric = max3(fr.f0_d * ab.x + fr.f90_d * ab.y);
    if iridescence {
        // The film's reflectance in place of the split sum's (as the sample viewer has it).
        env_brdf = mix(env_brdf, film.fresnel, film.factor);
        env_dielectric = mix(env_dielectric, max3(film.fresnel_d), film.factor);
    }
    let irradiance = sh_irradiance(shading_n);
    var r = reflect(-v, shading_n);
    if anisotropy {
        // The sky reflects about a normal bent towards the stretch's cross direction, the
        // more the stronger and smoother the highlight (the sample viewer's bent normal).
        let across = cross(aniso_layer.b, v);
        let bent_from = cross(across, aniso_layer.b);
        let bend = pow(1.0 - aniso_strength * (1.0 - roughness), 4.0);
        let bent = mix(bent_from, shading_n, bend);
        r = reflect(-v, bent * inverseSqrt(max(dot(bent, bent), 1e-12)));
    }
    // Rougher surfaces read blurrier mips of the baked sky; the roughest fade to irradiance.
    let lod = roughness * (frame.sky_params.x - 1.0);
    var spec_env = sky_radiance_lod(r, lod);
    let to_irradiance = smoothstep(0.6, 1.0, roughness);
    if to_irradiance > 0.0 {
        spec_env = mix(spec_env, sh_irradiance(r) / PI, to_irradiance);
    }
    // Specular occlusion (Lagarde) only matters where there is ambient occlusion.
    var spec_occlusion = 1.0;
    if has(8u) {
        spec_occlusion = clamp(pow(n_dot_v + ao, exp2(-16.0 * roughness - 1.0)) - 1.0 + ao, 0.0, 1.0);
    }
    var diffuse_ambient = diffuse * irradiance;
    if diffuse_transmission {
        // The sky behind the surface lights it through.
        diffuse_ambient = diffuse_ambient * (1.0 - through.factor)
            + through.weight * sh_irradiance(-shading_n);
    }
    var ambient = diffuse_ambient / PI * ao * (1.0 - env_dielectric)
        + spec_env * env_brdf * spec_occlusion;
    if sheen {
        // The fibres take their share of the sky from the layer beneath and reflect the
        // sky's irradiance by their albedo (as three.js lights sheen by the environment).
        ambient = ambient * (1.0 - sheen_layer.taken_v)
            + sheen_layer.color * sheen_layer.albedo_v * irradiance / PI * ao;
        transmitted = vec4<f32>(transmitted.rgb * (1.0 - sheen_layer.taken_v), transmitted.w);
    }
    color += ambient + emissive;

    if clearcoat {
        let ab_coat = env_brdf_ab(coat_roughness, max(dot(coat_n, v), 1e-4));
        let lod_coat = coat_roughness * (frame.sky_params.x - 1.0);
        coat += sky_radiance_lod(reflect(-v, coat_n), lod_coat) * (ab_coat.x + ab_coat.y)
            * spec_occlusion;
        color = color * (1.0 - coat_weight) + coat * coat_weight;
        transmitted = vec4<f32>(transmitted.rgb * (1.0 - coat_weight), transmitted.w);
    }

    return vec4<f32>(color * frame.params.x, alpha);
}
