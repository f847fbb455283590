//! The renderer's shading against a reference evaluated here, pixel by pixel, on the CPU: the
//! glTF 2.0 metallic-roughness "complete model" (specification, Appendix B: the material is
//! `mix(dielectric_brdf, metal_brdf, metallic)`, the dielectric a Fresnel mix of a Lambert
//! base under a GGX layer at IOR 1.5) with the height-correlated Smith visibility of the
//! Khronos glTF Sample Viewer and Filament, KHR_lights_punctual units (sun in lux, point
//! light in candela, inverse-square falloff), the Frostbite EV100 exposure, a clamp tone
//! mapper and sRGB encoding. Everything here is written from those documents, not from the
//! renderer's shader, so a wrong term there (a missing 1/π, Fresnel on the wrong angle, the
//! diffuse weighed by the metal's Fresnel, a light unit off) makes these spheres differ.
//!
//! Each case is one sphere lit by one light, with the sky's ambient turned off, seen from
//! the front; the reference ray-traces the same sphere through each pixel's centre. Pixels
//! near the silhouette (where the 128 × 64 tessellation and MSAA edges differ from a true
//! sphere) and those the reference clips at white are left out.

use crate::common;

use common::*;
use glam::Vec3;
use worldsmith::generate::shapes;
use worldsmith::render::{FrameInput, GpuContext, RenderSettings, Renderer, exposure_scale};
use worldsmith::scene::{
    CameraView, Image, Light, LightKind, Material, NodeKind, Sampler, Scene, TextureRef,
    ToneMapper, Transform, Wrap,
};

const SIZE: u32 = 128;
const EV100: f32 = 15.0;

struct Case {
    name: &'static str,
    base: [f32; 3],
    metallic: f32,
    roughness: f32,
    /// KHR_materials_ior (1.5 is glTF's default).
    ior: f32,
    specular: Specular,
    /// KHR_materials_transmission's factor (0 for an opaque surface).
    transmission: f32,
    /// KHR_materials_clearcoat's strength and roughness (0: no lacquer).
    clearcoat: (f32, f32),
    /// KHR_materials_volume (thin-walled when `None`).
    volume: Option<Volume>,
    /// KHR_materials_sheen (none when `None`).
    sheen: Option<Sheen>,
    /// KHR_materials_anisotropy (a round highlight when `None`).
    anisotropy: Option<Anisotropy>,
    /// KHR_materials_iridescence (no film when `None`).
    film: Option<Film>,
    /// KHR_materials_diffuse_transmission (none when `None`).
    through: Option<Through>,
    light: Lighting,
}

/// KHR_materials_diffuse_transmission: the factor and colour, and optionally 1×1 textures:
/// the factor's alpha byte and the colour's sRGB bytes.
#[derive(Clone, Copy)]
struct Through {
    factor: f32,
    color: [f32; 3],
    textures: Option<(u8, [u8; 3])>,
}

impl Through {
    /// The factor and colour the shading sees.
    fn effective(&self) -> (f32, Vec3) {
        match self.textures {
            None => (self.factor, Vec3::from(self.color)),
            Some((alpha, srgb)) => (
                self.factor * f32::from(alpha) / 255.0,
                Vec3::from(self.color) * Vec3::from(srgb.map(srgb_decode)),
            ),
        }
    }
}

/// KHR_materials_iridescence: the factor, the film's IOR and thickness range (nm), and
/// optionally 1×1 textures: the factor's red byte and the thickness's green byte.
#[derive(Clone, Copy)]
struct Film {
    factor: f32,
    ior: f32,
    thickness: [f32; 2],
    textures: Option<(u8, u8)>,
}

impl Film {
    /// The factor and the thickness the shading sees.
    fn effective(&self) -> (f32, f32) {
        match self.textures {
            None => (self.factor, self.thickness[1]),
            Some((r, g)) => {
                let t = f32::from(g) / 255.0;
                (
                    self.factor * f32::from(r) / 255.0,
                    self.thickness[0] + (self.thickness[1] - self.thickness[0]) * t,
                )
            }
        }
    }
}

/// The reflectance of a thin film (IOR `film_ior`, `thickness` nm) over a surface whose
/// reflectance at normal incidence is `base_f0`, seen from air at cos θ₁ = `cos1`: the
/// extension's reference model (Belcour and Barla 2017, "A Practical Extension to
/// Microfacet Theory for the Modeling of Varying Iridescence"): the Airy sum of the two
/// interfaces' Schlick reflectances with the film's phase, its first three terms integrated
/// against the CIE colour matching functions through their Gaussian fit, in linear sRGB.
fn film_reflectance(film_ior: f32, cos1: f32, thickness: f32, base_f0: Vec3) -> Vec3 {
    use std::f32::consts::PI;
    let smooth = {
        let t = (thickness / 0.03).clamp(0.0, 1.0);
        t * t * (3.0 - 2.0 * t)
    };
    let eta2 = 1.0 + (film_ior - 1.0) * smooth;
    let cos2_sq = 1.0 - (1.0 - cos1 * cos1) / (eta2 * eta2);
    if cos2_sq < 0.0 {
        return Vec3::ONE;
    }
    let cos2 = cos2_sq.sqrt();
    let schlick = |f0: f32, c: f32| f0 + (1.0 - f0) * (1.0 - c).powi(5);
    let r12 = schlick(((eta2 - 1.0) / (eta2 + 1.0)).powi(2), cos1);
    let t121 = 1.0 - r12;
    let phi21 = if eta2 < 1.0 { 0.0 } else { PI };
    let channel = |f0: f32| {
        let s = f0.clamp(0.0, 0.9999).sqrt();
        let base_ior = (1.0 + s) / (1.0 - s);
        let r23 = schlick(((base_ior - eta2) / (base_ior + eta2)).powi(2), cos2);
        let phi23 = if base_ior < eta2 { PI } else { 0.0 };
        (r23, phi21 + phi23)
    };
    let [(r_r, p_r), (r_g, p_g), (r_b, p_b)] = base_f0.to_array().map(channel);
    let r23 = Vec3::new(r_r, r_g, r_b);
    let phi = Vec3::new(p_r, p_g, p_b);
    let opd = 2.0 * eta2 * thickness * cos2;
    let r123 = (r12 * r23).clamp(Vec3::splat(1e-5), Vec3::splat(0.9999));
    let rs = t121 * t121 * r23 / (Vec3::ONE - r123);
    let mut reflectance = Vec3::splat(r12) + rs;
    let mut cm = rs - Vec3::splat(t121);
    for m in 1..=2 {
        cm *= r123.map(f32::sqrt);
        let (opd_m, phi_m) = (m as f32 * opd, phi * m as f32);
        // The colour matching functions' Fourier transform (the paper's Gaussian fit).
        let phase = 2.0 * PI * opd_m * 1.0e-9;
        let gauss = |val: f32, pos: f32, var: f32, shift: f32| {
            val * (2.0 * PI * var).sqrt()
                * (pos * phase + shift).cos()
                * (-phase * phase * var).exp()
        };
        let x = gauss(5.4856e-13, 1.6810e6, 4.3278e9, phi_m.x)
            + gauss(9.7470e-14, 2.2399e6, 4.5282e9, phi_m.x);
        let y = gauss(4.4201e-13, 1.7953e6, 9.3046e9, phi_m.y);
        let z = gauss(5.2481e-13, 2.2084e6, 6.6121e9, phi_m.z);
        let xyz = Vec3::new(x, y, z) / 1.0685e-7;
        // XYZ → linear sRGB.
        let rgb = Vec3::new(
            3.2404542 * xyz.x - 1.5371385 * xyz.y - 0.4985314 * xyz.z,
            -0.969_266 * xyz.x + 1.8760108 * xyz.y + 0.0415560 * xyz.z,
            0.0556434 * xyz.x - 0.2040259 * xyz.y + 1.0572252 * xyz.z,
        );
        reflectance += cm * 2.0 * rgb;
    }
    reflectance.max(Vec3::ZERO)
}

/// KHR_materials_anisotropy: the strength and rotation (degrees) factors, and optionally a
/// 1×1 texture's red, green (direction) and blue (strength) bytes.
#[derive(Clone, Copy)]
struct Anisotropy {
    strength: f32,
    rotation_deg: f32,
    texture: Option<[u8; 3]>,
}

impl Anisotropy {
    /// The direction the highlight stretches along and the one across it at the unit
    /// sphere's point with normal `n`, and the strength. The sphere's texture coordinates
    /// (`shapes::uv_sphere`) run u around +y and v from the north pole down, so the tangent
    /// (+u) is the eastward direction and the bitangent (glTF: towards the texture's top,
    /// decreasing v) points north, = n × tangent.
    fn frame(&self, n: Vec3) -> (Vec3, Vec3, f32) {
        let tangent = Vec3::new(n.z, 0.0, -n.x).normalize();
        let bitangent = n.cross(tangent);
        let (direction, strength) = match self.texture {
            None => ((1.0, 0.0), self.strength),
            Some([r, g, b]) => (
                (
                    f32::from(r) / 255.0 * 2.0 - 1.0,
                    f32::from(g) / 255.0 * 2.0 - 1.0,
                ),
                self.strength * f32::from(b) / 255.0,
            ),
        };
        let (s, c) = self.rotation_deg.to_radians().sin_cos();
        let (x, y) = (
            c * direction.0 - s * direction.1,
            s * direction.0 + c * direction.1,
        );
        let t = (tangent * x + bitangent * y).normalize();
        (t, n.cross(t), strength.clamp(0.0, 1.0))
    }
}

/// KHR_materials_sheen: the colour and roughness factors, and optionally a colour texture
/// (sRGB bytes) and a roughness texture (alpha byte), each 1×1.
#[derive(Clone, Copy)]
struct Sheen {
    color: [f32; 3],
    roughness: f32,
    textures: Option<([u8; 3], u8)>,
}

impl Sheen {
    /// The colour and roughness the shading sees (factor × texture).
    fn effective(&self) -> (Vec3, f32) {
        match self.textures {
            None => (Vec3::from(self.color), self.roughness),
            Some((srgb, alpha)) => (
                Vec3::from(self.color) * Vec3::from(srgb.map(srgb_decode)),
                self.roughness * f32::from(alpha) / 255.0,
            ),
        }
    }
}

/// KHR_materials_volume: the thickness (the factor, times the green channel of a 1×1
/// texture when `texture_g` is set), the attenuation distance and colour.
#[derive(Clone, Copy)]
struct Volume {
    thickness: f32,
    texture_g: Option<u8>,
    distance: Option<f32>,
    color: [f32; 3],
    /// KHR_materials_dispersion's factor.
    dispersion: f32,
}

impl Volume {
    /// The thickness the material ends up with.
    fn effective_thickness(&self) -> f32 {
        self.thickness * self.texture_g.map_or(1.0, |g| f32::from(g) / 255.0)
    }
}

impl Case {
    /// A plain glTF material (IOR 1.5, no specular or transmission extension) under `light`.
    fn lit(
        name: &'static str,
        base: [f32; 3],
        metallic: f32,
        roughness: f32,
        light: Lighting,
    ) -> Self {
        Self {
            name,
            base,
            metallic,
            roughness,
            ior: 1.5,
            specular: NO_SPECULAR,
            transmission: 0.0,
            clearcoat: (0.0, 0.0),
            volume: None,
            sheen: None,
            anisotropy: None,
            film: None,
            through: None,
            light,
        }
    }

    fn through(self, through: Through) -> Self {
        Self {
            through: Some(through),
            ..self
        }
    }

    fn film(self, film: Film) -> Self {
        Self {
            film: Some(film),
            ..self
        }
    }

    fn anisotropy(self, anisotropy: Anisotropy) -> Self {
        Self {
            anisotropy: Some(anisotropy),
            ..self
        }
    }

    fn sheen(self, sheen: Sheen) -> Self {
        Self {
            sheen: Some(sheen),
            ..self
        }
    }

    fn volume(self, volume: Volume) -> Self {
        Self {
            volume: Some(volume),
            ..self
        }
    }

    fn clearcoat(self, strength: f32, roughness: f32) -> Self {
        Self {
            clearcoat: (strength, roughness),
            ..self
        }
    }

    fn ior(self, ior: f32) -> Self {
        Self { ior, ..self }
    }

    fn specular(self, specular: Specular) -> Self {
        Self { specular, ..self }
    }

    fn transmission(self, transmission: f32) -> Self {
        Self {
            transmission,
            ..self
        }
    }
}

/// KHR_materials_specular: the strength and colour, as factors or from 1×1 textures.
#[derive(Clone, Copy)]
enum Specular {
    Factors(f32, [f32; 3]),
    /// A strength texture with this alpha byte (linear) and a colour texture with these
    /// sRGB-encoded bytes, under these factors.
    Textures(u8, [u8; 3], f32, [f32; 3]),
}

/// The extension's defaults: the plain glTF material.
const NO_SPECULAR: Specular = Specular::Factors(1.0, [1.0; 3]);

fn srgb_decode(byte: u8) -> f32 {
    let c = f32::from(byte) / 255.0;
    if c <= 0.040_45 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

impl Specular {
    /// The strength and colour the shading sees (factor × texture).
    fn effective(self) -> (f32, Vec3) {
        match self {
            Specular::Factors(strength, color) => (strength, Vec3::from(color)),
            Specular::Textures(alpha, srgb, strength, color) => (
                strength * f32::from(alpha) / 255.0,
                Vec3::from(color) * Vec3::from(srgb.map(srgb_decode)),
            ),
        }
    }
}

#[derive(Clone, Copy)]
enum Lighting {
    /// A sun from this direction (towards the sun), in lux.
    Sun(Vec3, f32),
    /// A point light here, in candela, with an optional range (metres).
    Point(Vec3, f32, Option<f32>),
    /// A spot light here shining towards a point, in candela, with inner and outer cone
    /// half-angles (degrees).
    Spot(Vec3, Vec3, f32, f32, f32),
}

/// The glTF complete model for one light: BRDF × cos θ × illuminance, in cd/m² (linear).
fn reference_radiance(case: &Case, n: Vec3, v: Vec3, l: Vec3, illuminance: f32) -> Vec3 {
    let n_dot_l = n.dot(l);
    let n_dot_v = n.dot(v);
    if n_dot_v <= 0.0 {
        return Vec3::ZERO;
    }
    // The dielectric layer's Fresnel at the half vector of `l` and the view: f0 = ((ior −
    // 1) / (ior + 1))² (KHR_materials_ior; 0.04 at 1.5), and as KHR_materials_specular's
    // implementation section writes it: dielectric_f0 = min(f0 · specularColor, 1) ·
    // specular, dielectric_f90 = specular.
    let (strength, color) = case.specular.effective();
    let f0_ior = ((case.ior - 1.0) / (case.ior + 1.0)).powi(2);
    let f0_dielectric = (f0_ior * color).min(Vec3::ONE) * strength;
    let fresnel_dielectric = |l: Vec3| {
        let schlick = (1.0 - v.dot((l + v).normalize()).abs()).powi(5);
        f0_dielectric + (Vec3::splat(strength) - f0_dielectric) * schlick
    };
    if n_dot_l <= 0.0 {
        // KHR_materials_diffuse_transmission, its specification: light from behind reaches
        // the front through diffuse_btdf = transmission colour / π about −n, in place of
        // the diffuse BRDF by the factor, under the dielectric layer (its Fresnel taken at
        // the light mirrored to the front, as the Khronos sample viewer evaluates it).
        let Some(through) = case.through else {
            return Vec3::ZERO;
        };
        let (factor, color) = through.effective();
        let mirrored = l - 2.0 * n * n.dot(l);
        let taken = fresnel_dielectric(mirrored).max_element();
        return color * factor * (1.0 - case.metallic) * (1.0 - case.transmission) * (1.0 - taken)
            / std::f32::consts::PI
            * -n_dot_l
            * illuminance;
    }
    let h = (l + v).normalize();
    let (n_dot_h, v_dot_h) = (n.dot(h).max(0.0), v.dot(h).abs());
    let alpha = case.roughness * case.roughness;
    let a2 = alpha * alpha;
    // Trowbridge-Reitz (GGX) distribution.
    let d = {
        let f = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
        a2 / (std::f32::consts::PI * f * f)
    };
    // Height-correlated Smith visibility: G / (4 |N·L| |N·V|).
    let vis = 0.5
        / (n_dot_l * (n_dot_v * n_dot_v * (1.0 - a2) + a2).sqrt()
            + n_dot_v * (n_dot_l * n_dot_l * (1.0 - a2) + a2).sqrt());
    // KHR_materials_anisotropy, its specification: the GGX distribution and visibility with
    // roughness α_t = mix(α, 1, strength²) along the direction t and α_b = α across it.
    let specular = match case.anisotropy {
        None => d * vis,
        Some(anisotropy) => {
            let (t, b, strength) = anisotropy.frame(n);
            let at = alpha + (1.0 - alpha) * strength * strength;
            let ab = alpha;
            let d = 1.0
                / (std::f32::consts::PI
                    * at
                    * ab
                    * ((t.dot(h) / at).powi(2) + (b.dot(h) / ab).powi(2) + n_dot_h * n_dot_h)
                        .powi(2));
            let lambda = |x: Vec3, n_dot_x: f32| {
                (at * at * t.dot(x).powi(2) + ab * ab * b.dot(x).powi(2) + n_dot_x * n_dot_x).sqrt()
            };
            d * 0.5 / (n_dot_l * lambda(v, n_dot_v) + n_dot_v * lambda(l, n_dot_l))
        }
    };
    let base = Vec3::from(case.base);
    let schlick = (1.0 - v_dot_h).powi(5);
    // metal_brdf = conductor_fresnel(f0 = baseColor, specular_brdf)
    let metal = (base + (Vec3::ONE - base) * schlick) * specular;
    // dielectric_brdf = fresnel_mix(ior, diffuse_brdf(baseColor), specular_brdf), the diffuse
    // weighed by 1 − max_value(dielectric_fresnel).
    let f_dielectric = fresnel_dielectric(l);
    // KHR_materials_iridescence, as its sample implementation layers it: the film's
    // reflectance at n·v over the dielectric (and over the metal, whose f0 is the base
    // colour) replaces Schlick's by the factor; the diffuse loses what the film reflects.
    let (f_dielectric, diffuse_taken, metal) = match case.film {
        None => (f_dielectric, f_dielectric.max_element(), metal),
        Some(film) => {
            let (k, thickness) = film.effective();
            let k = if thickness > 0.0 { k } else { 0.0 };
            let film_d = film_reflectance(film.ior, n_dot_v, thickness, f0_dielectric);
            let film_m = film_reflectance(film.ior, n_dot_v, thickness, base);
            (
                f_dielectric.lerp(film_d, k),
                f_dielectric.max_element() * (1.0 - k) + film_d.max_element() * k,
                metal.lerp(film_m * specular, k),
            )
        }
    };
    // KHR_materials_transmission: the Lambert base becomes mix(diffuse, transmission btdf,
    // transmission); the transmitted light is added by the transmission test itself.
    // Diffuse transmission takes its share of the diffuse reflection.
    let diffuse_kept = 1.0 - case.through.map_or(0.0, |t| t.effective().0);
    let dielectric = base / std::f32::consts::PI
        * (1.0 - case.transmission)
        * (1.0 - diffuse_taken)
        * diffuse_kept
        + specular * f_dielectric;
    let material = dielectric + (metal - dielectric) * case.metallic;
    // KHR_materials_sheen, its implementation notes: f = f_sheen + f_base × min(1 −
    // max(colour) E(n·v), 1 − max(colour) E(n·l)), f_sheen = colour × D × V with the Charlie
    // distribution and visibility at α = roughness² (as the Khronos sample viewer squares it),
    // E the lobe's directional albedo (`sheen_albedo`, integrated here).
    let material = match case.sheen {
        None => material,
        Some(sheen) => {
            let (color, roughness) = sheen.effective();
            let a = roughness * roughness;
            let lobe = color * charlie_d(n_dot_h, a) * charlie_v(n_dot_v, n_dot_l, a);
            let taken = |mu: f32| color.max_element() * sheen_albedo(mu, roughness);
            lobe + material * (1.0 - taken(n_dot_v)).min(1.0 - taken(n_dot_l))
        }
    };
    // KHR_materials_clearcoat, its implementation section: coated = mix(material,
    // clearcoat_brdf, clearcoat · (0.04 + 0.96 (1 − |V·Nc|)⁵)), the lacquer's BRDF the same
    // GGX specular term (no Fresnel) at its own roughness.
    let (coat, coat_roughness) = case.clearcoat;
    let coated = if coat > 0.0 {
        let a = coat_roughness * coat_roughness;
        let a2 = a * a;
        let f = n_dot_h * n_dot_h * (a2 - 1.0) + 1.0;
        let d = a2 / (std::f32::consts::PI * f * f);
        let vis = 0.5
            / (n_dot_l * (n_dot_v * n_dot_v * (1.0 - a2) + a2).sqrt()
                + n_dot_v * (n_dot_l * n_dot_l * (1.0 - a2) + a2).sqrt());
        let weight = coat * (0.04 + 0.96 * (1.0 - n_dot_v.abs()).powi(5));
        material * (1.0 - weight) + Vec3::splat(d * vis * weight)
    } else {
        material
    };
    coated * n_dot_l * illuminance
}

/// The Charlie sheen distribution (Conty Estevez and Kulla 2017) at n·h for α.
fn charlie_d(n_dot_h: f32, a: f32) -> f32 {
    let sin2 = (1.0 - n_dot_h * n_dot_h).max(0.0);
    (2.0 + 1.0 / a) * sin2.powf(0.5 / a) / (2.0 * std::f32::consts::PI)
}

/// The Charlie visibility, 1 / ((1 + Λ(n·v) + Λ(n·l)) 4 n·v n·l), Λ from the extension's fit.
fn charlie_v(n_dot_v: f32, n_dot_l: f32, a: f32) -> f32 {
    let l = |x: f32| {
        let t = (1.0 - a).powi(2);
        let lerp = |p1: f32, p0: f32| p1 * (1.0 - t) + p0 * t;
        lerp(21.5473, 25.3245) / (1.0 + lerp(3.82987, 3.32435) * x.powf(lerp(0.19823, 0.16801)))
            + lerp(-1.97760, -1.27393) * x
            + lerp(-4.32054, -4.85967)
    };
    let lambda = |c: f32| {
        if c < 0.5 {
            l(c).exp()
        } else {
            (2.0 * l(0.5) - l(1.0 - c)).exp()
        }
    };
    1.0 / ((1.0 + lambda(n_dot_v) + lambda(n_dot_l)) * 4.0 * n_dot_v * n_dot_l)
}

/// The white sheen lobe's directional albedo at n·v = `mu`: ∫ D V (n·l) dω over the lights'
/// hemisphere, integrated over the light direction (θ, φ grid) for 256 values of n·v per
/// roughness, interpolated; at most 1, as the renderer's table keeps it (the fitted
/// visibility exceeds 1 at grazing views for low roughness, which these cases avoid).
fn sheen_albedo(mu: f32, roughness: f32) -> f32 {
    use std::collections::HashMap;
    use std::f32::consts::PI;
    thread_local! {
        static TABLES: std::cell::RefCell<HashMap<u32, Vec<f32>>> = Default::default();
    }
    const N: usize = 256;
    let integrate = |mu: f32| {
        let mu = mu.max(1e-3);
        let v = Vec3::new((1.0 - mu * mu).sqrt(), 0.0, mu);
        let a = roughness * roughness;
        let steps = 192;
        let (d_theta, d_phi) = (0.5 * PI / steps as f32, PI / steps as f32);
        let mut sum = 0.0f64;
        for i in 0..steps {
            let theta = (i as f32 + 0.5) * d_theta;
            for j in 0..steps {
                let phi = (j as f32 + 0.5) * d_phi;
                let l = Vec3::new(
                    theta.sin() * phi.cos(),
                    theta.sin() * phi.sin(),
                    theta.cos(),
                );
                let h = (l + v).normalize();
                let f = charlie_d(h.z, a) * charlie_v(mu, l.z, a) * l.z;
                sum += f64::from(f * theta.sin() * d_theta * d_phi * 2.0);
            }
        }
        (sum as f32).min(1.0)
    };
    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        let table = tables.entry(roughness.to_bits()).or_insert_with(|| {
            (0..N)
                .map(|i| integrate(i as f32 / (N - 1) as f32))
                .collect()
        });
        let x = mu.clamp(0.0, 1.0) * (N - 1) as f32;
        let i = (x as usize).min(N - 2);
        table[i] + (table[i + 1] - table[i]) * (x - i as f32)
    })
}

fn srgb_encode(linear: f32) -> f32 {
    let c = linear.clamp(0.0, 1.0);
    let s = if c <= 0.003_130_8 {
        12.92 * c
    } else {
        1.055 * c.powf(1.0 / 2.4) - 0.055
    };
    s * 255.0
}

fn scene_of(case: &Case) -> Scene {
    let mut scene = Scene::new(case.name);
    let mut material = Material {
        name: case.name.into(),
        base_color: [case.base[0], case.base[1], case.base[2], 1.0],
        metallic: case.metallic,
        roughness: case.roughness,
        ior: case.ior,
        ..Default::default()
    };
    material.transmission = case.transmission;
    (material.clearcoat, material.clearcoat_roughness) = case.clearcoat;
    if let Some(volume) = case.volume {
        material.thickness = volume.thickness;
        material.attenuation_distance = volume.distance;
        material.attenuation_color = volume.color;
        material.dispersion = volume.dispersion;
        if let Some(g) = volume.texture_g {
            // Only green counts: red and blue are set to catch a wrong channel.
            let image = Image::new("thickness", 1, 1, vec![255, g, 0, 255]).expect("1x1 image");
            material.thickness_texture =
                Some(TextureRef::new(scene.add_image(image), Sampler::default()));
        }
    }
    if let Some(sheen) = case.sheen {
        material.sheen_color = sheen.color;
        material.sheen_roughness = sheen.roughness;
        if let Some(([r, g, b], alpha)) = sheen.textures {
            let mut texture = |name: &str, rgba: [u8; 4]| {
                let image = Image::new(name, 1, 1, rgba.to_vec()).expect("1x1 image");
                Some(TextureRef::new(scene.add_image(image), Sampler::default()))
            };
            // Only the colour texture's RGB and the roughness texture's alpha count.
            material.sheen_color_texture = texture("sheen colour", [r, g, b, 0]);
            material.sheen_roughness_texture = texture("sheen roughness", [0, 255, 0, alpha]);
        }
    }
    match case.specular {
        Specular::Factors(strength, color) => {
            material.specular = strength;
            material.specular_color = color;
        }
        Specular::Textures(alpha, [r, g, b], strength, color) => {
            material.specular = strength;
            material.specular_color = color;
            let mut texture = |name: &str, rgba: [u8; 4]| {
                let image = Image::new(name, 1, 1, rgba.to_vec()).expect("1x1 image");
                Some(TextureRef::new(scene.add_image(image), Sampler::default()))
            };
            // The strength texture's colour must not count, only its alpha.
            material.specular_texture = texture("strength", [0, 255, 0, alpha]);
            material.specular_color_texture = texture("colour", [r, g, b, 255]);
        }
    }
    if let Some(anisotropy) = case.anisotropy {
        material.anisotropy_strength = anisotropy.strength;
        material.anisotropy_rotation = anisotropy.rotation_deg.to_radians();
        if let Some([r, g, b]) = anisotropy.texture {
            // Alpha must not count.
            let image = Image::new("anisotropy", 1, 1, vec![r, g, b, 0]).expect("1x1 image");
            material.anisotropy_texture =
                Some(TextureRef::new(scene.add_image(image), Sampler::default()));
        }
    }
    if let Some(through) = case.through {
        material.diffuse_transmission = through.factor;
        material.diffuse_transmission_color = through.color;
        if let Some((alpha, [r, g, b])) = through.textures {
            let mut texture = |name: &str, rgba: [u8; 4]| {
                let image = Image::new(name, 1, 1, rgba.to_vec()).expect("1x1 image");
                Some(TextureRef::new(scene.add_image(image), Sampler::default()))
            };
            // Only the factor texture's alpha and the colour texture's RGB count.
            material.diffuse_transmission_texture = texture("through", [255, 0, 255, alpha]);
            material.diffuse_transmission_color_texture = texture("through colour", [r, g, b, 0]);
        }
    }
    if let Some(film) = case.film {
        material.iridescence = film.factor;
        material.iridescence_ior = film.ior;
        material.iridescence_thickness = film.thickness;
        if let Some((r, g)) = film.textures {
            let mut texture = |name: &str, rgba: [u8; 4]| {
                let image = Image::new(name, 1, 1, rgba.to_vec()).expect("1x1 image");
                Some(TextureRef::new(scene.add_image(image), Sampler::default()))
            };
            // Only the factor texture's red and the thickness texture's green count.
            material.iridescence_texture = texture("iridescence", [r, 0, 255, 0]);
            material.iridescence_thickness_texture = texture("film thickness", [255, g, 0, 0]);
        }
    }
    let material = scene.add_material(material);
    let mut sphere = shapes::uv_sphere(1.0, 128, 64);
    if case.anisotropy.is_some() {
        // The anisotropic highlight follows the tangent, which an imported mesh has from
        // its file or from MikkTSpace: here the exact +u direction (east; the bitangent,
        // n × t, north: w = 1), so the reference's frame is the mesh's.
        sphere.tangents = sphere
            .normals
            .iter()
            .map(|n| {
                let t = Vec3::new(n[2], 0.0, -n[0])
                    .try_normalize()
                    .unwrap_or(Vec3::X);
                [t.x, t.y, t.z, 1.0]
            })
            .collect();
    }
    let mesh = scene.add_mesh(sphere);
    scene.add_node(
        None,
        "Sphere",
        Transform::IDENTITY,
        NodeKind::Mesh { mesh, material },
    );
    add_light(&mut scene, case.light);
    dark_stage(&mut scene, ToneMapper::Linear, EV100);
    scene
}

/// Adds `lighting` as a white light that casts no shadow.
fn add_light(scene: &mut Scene, lighting: Lighting) {
    let (transform, light) = match lighting {
        Lighting::Sun(to_sun, lux) => (
            Transform::pointing(-to_sun),
            Light {
                kind: LightKind::Directional,
                color: [1.0; 3],
                intensity: lux,
                range: None,
                cast_shadows: false,
            },
        ),
        Lighting::Point(position, candela, range) => (
            Transform::from_translation(position),
            Light {
                kind: LightKind::Point,
                color: [1.0; 3],
                intensity: candela,
                range,
                cast_shadows: false,
            },
        ),
        Lighting::Spot(position, target, candela, inner, outer) => (
            Transform::looking_at(position, target),
            Light {
                kind: LightKind::Spot {
                    inner_cone_rad: inner.to_radians(),
                    outer_cone_rad: outer.to_radians(),
                },
                color: [1.0; 3],
                intensity: candela,
                range: None,
                cast_shadows: false,
            },
        ),
    };
    scene.add_node(None, "Light", transform, NodeKind::Light(light));
}

/// No ambient light: the sky and the ground below the horizon are black, so only the
/// scene's own lights (and its splats) show; with `tone_mapper` at `ev100`.
fn dark_stage(scene: &mut Scene, tone_mapper: ToneMapper, ev100: f32) {
    scene.environment.sky.intensity = 0.0;
    scene.environment.sky.ground_albedo = [0.0; 3];
    scene.environment.exposure_ev100 = ev100;
    scene.environment.tone_mapper = tone_mapper;
}

/// The reference pixel (sRGB, 0–255) through pixel (x, y), or None where it is not compared.
fn reference_pixel(case: &Case, view: &CameraView, x: u32, y: u32) -> Option<Vec3> {
    let (_, _, exposed) = reference_exposed(case, view, x, y)?;
    // Clipped values say nothing about the shading.
    if exposed.max_element() > 0.98 {
        return None;
    }
    Some(Vec3::new(
        srgb_encode(exposed.x),
        srgb_encode(exposed.y),
        srgb_encode(exposed.z),
    ))
}

/// The unit sphere's normal and view direction through pixel (x, y), and the exposed linear
/// radiance it reflects from the case's light; None off the sphere and near its silhouette.
fn reference_exposed(case: &Case, view: &CameraView, x: u32, y: u32) -> Option<(Vec3, Vec3, Vec3)> {
    let eye = view.world_from_view.transform_point3(Vec3::ZERO);
    let t = (view.fov_y_rad * 0.5).tan();
    let ndc_x = 2.0 * (x as f32 + 0.5) / SIZE as f32 - 1.0;
    let ndc_y = 1.0 - 2.0 * (y as f32 + 0.5) / SIZE as f32;
    let dir = view
        .world_from_view
        .transform_vector3(Vec3::new(ndc_x * t, ndc_y * t, -1.0))
        .normalize();
    // Unit sphere at the origin.
    let b = eye.dot(dir);
    let disc = b * b - (eye.length_squared() - 1.0);
    if disc <= 0.0 {
        return None;
    }
    let p = eye + dir * (-b - disc.sqrt());
    let (n, v) = (p.normalize(), -dir);
    if n.dot(v) < 0.3 {
        return None;
    }
    let (l, illuminance) = match case.light {
        Lighting::Sun(to_sun, lux) => (to_sun.normalize(), lux),
        Lighting::Point(position, candela, range) => {
            let to_light = position - p;
            let d = to_light.length();
            // KHR_lights_punctual's recommended window: clamp(1 − (d / range)⁴, 0, 1).
            let window = range.map_or(1.0, |r| (1.0 - (d / r).powi(4)).clamp(0.0, 1.0));
            (to_light / d, candela / (d * d) * window)
        }
        Lighting::Spot(position, target, candela, inner, outer) => {
            let to_light = position - p;
            let d = to_light.length();
            let l = to_light / d;
            // The extension's recommended cone falloff.
            let (cos_inner, cos_outer) = (inner.to_radians().cos(), outer.to_radians().cos());
            let scale = 1.0 / (cos_inner - cos_outer).max(0.001);
            let cd = (target - position).normalize().dot(-l);
            let cone = (cd * scale - cos_outer * scale).clamp(0.0, 1.0);
            (l, candela / (d * d) * cone * cone)
        }
    };
    let exposed = reference_radiance(case, n, v, l, illuminance) * exposure_scale(EV100);
    Some((n, v, exposed))
}

#[test]
fn spheres_match_the_gltf_brdf_evaluated_on_the_cpu() {
    let Some(ctx) = gpu() else { return };
    let sun = Vec3::new(0.5, 0.6, 0.8);
    let cases = [
        Case::lit(
            "dielectric_grey_r0.5",
            [0.8, 0.8, 0.8],
            0.0,
            0.5,
            Lighting::Sun(sun, 100_000.0),
        ),
        Case::lit(
            "dielectric_blue_r0.25_grazing_sun",
            [0.1, 0.3, 0.8],
            0.0,
            0.25,
            Lighting::Sun(Vec3::new(-0.9, 0.2, 0.3), 100_000.0),
        ),
        Case::lit(
            "copper_metal_r0.4",
            [0.95, 0.64, 0.54],
            1.0,
            0.4,
            Lighting::Sun(sun, 60_000.0),
        ),
        Case::lit(
            "half_metal_r0.6",
            [0.2, 0.7, 0.4],
            0.5,
            0.6,
            Lighting::Sun(sun, 100_000.0),
        ),
        Case::lit(
            "point_light_r0.35",
            [0.9, 0.5, 0.2],
            0.0,
            0.35,
            Lighting::Point(Vec3::new(1.5, 1.2, 2.0), 200_000.0, None),
        ),
        // The range ends behind the sphere's middle: the window dims its far side to 0.
        Case::lit(
            "point_light_range_3.2_r0.5",
            [0.8, 0.8, 0.8],
            0.0,
            0.5,
            Lighting::Point(Vec3::new(-1.2, 1.0, 2.0), 300_000.0, Some(3.2)),
        ),
        // Water's IOR: a weaker specular layer, more diffuse (KHR_materials_ior).
        Case::lit(
            "ior_1.33_r0.3",
            [0.2, 0.5, 0.8],
            0.0,
            0.3,
            Lighting::Sun(Vec3::new(-0.3, 0.5, 0.9), 100_000.0),
        )
        .ior(1.33),
        // Diamond's: 17 % head-on reflection, and a part-metal mix over it.
        Case::lit(
            "ior_2.42_half_metal_r0.35",
            [0.6, 0.6, 0.9],
            0.4,
            0.35,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 100_000.0),
        )
        .ior(2.42),
        // KHR_materials_specular: a weak, orange-tinted reflection over green.
        Case::lit(
            "specular_0.3_tinted_r0.3",
            [0.1, 0.5, 0.2],
            0.0,
            0.3,
            Lighting::Sun(Vec3::new(-0.3, 0.5, 0.9), 100_000.0),
        )
        .specular(Specular::Factors(0.3, [1.0, 0.4, 0.2])),
        // No reflection at all, even at grazing angles (f90 = 0 too): pure Lambert under
        // a sun from the side and behind, where Fresnel would light a bright rim.
        Case::lit(
            "specular_0_backlit_sun",
            [0.7, 0.7, 0.7],
            0.0,
            0.5,
            Lighting::Sun(Vec3::new(-0.9, 0.2, -0.2), 400_000.0),
        )
        .specular(Specular::Factors(0.0, [1.0; 3])),
        // A colour far above 1 with diamond's IOR: f0 clamps to 1 in red (0.17 × 6).
        Case::lit(
            "specular_colour_clamped_ior_2.42",
            [0.05, 0.05, 0.3],
            0.0,
            0.4,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 60_000.0),
        )
        .ior(2.42)
        .specular(Specular::Factors(1.0, [6.0, 2.0, 1.0])),
        // Strength and colour from textures (alpha; sRGB colour) under factors, on a
        // part-metal surface.
        Case::lit(
            "specular_textures_half_metal_r0.35",
            [0.8, 0.3, 0.3],
            0.3,
            0.35,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 100_000.0),
        )
        .specular(Specular::Textures(
            153,
            [255, 128, 64],
            0.9,
            [1.5, 1.5, 1.5],
        )),
        // A converted specular-glossiness material: IOR 0 (f0 = 1) times a gold
        // specular colour, little diffuse left.
        Case::lit(
            "specgloss_ior_0_gold_r0.5",
            [0.3, 0.3, 0.3],
            0.0,
            0.5,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 40_000.0),
        )
        .ior(0.0)
        .specular(Specular::Factors(1.0, [0.6, 0.45, 0.2])),
        // KHR_materials_clearcoat: lacquered red paint, a sharp coat highlight over a soft
        // base, the base dimmed by the coat's Fresnel towards the rim.
        Case::lit(
            "clearcoat_red_paint_r0.5_coat_0.12",
            [0.6, 0.05, 0.05],
            0.0,
            0.5,
            Lighting::Sun(Vec3::new(-0.3, 0.5, 0.9), 100_000.0),
        )
        .clearcoat(1.0, 0.12),
        // Half a lacquer, rougher, over a metal, lit by a point light.
        Case::lit(
            "clearcoat_half_over_copper_coat_0.3",
            [0.95, 0.64, 0.54],
            1.0,
            0.45,
            Lighting::Point(Vec3::new(1.5, 1.2, 2.0), 120_000.0, None),
        )
        .clearcoat(0.5, 0.3),
        // KHR_materials_sheen: pink velvet over dark red cloth, a sun low from the side
        // (where the fibres scatter most), the sheen's share taken from the base.
        Case::lit(
            "sheen_velvet_r0.5_side_sun",
            [0.25, 0.02, 0.04],
            0.0,
            0.8,
            Lighting::Sun(Vec3::new(-0.9, 0.35, 0.25), 200_000.0),
        )
        .sheen(Sheen {
            color: [1.0, 0.55, 0.7],
            roughness: 0.5,
            textures: None,
        }),
        // A rough white sheen over grey under a point light.
        Case::lit(
            "sheen_white_r0.8_point_light",
            [0.4, 0.4, 0.45],
            0.0,
            0.6,
            Lighting::Point(Vec3::new(1.5, 1.2, 2.0), 200_000.0, None),
        )
        .sheen(Sheen {
            color: [0.9, 0.9, 0.9],
            roughness: 0.8,
            textures: None,
        }),
        // Colour (sRGB) and roughness (alpha) from textures under their factors.
        Case::lit(
            "sheen_textures_r0.35",
            [0.05, 0.15, 0.3],
            0.0,
            0.7,
            Lighting::Sun(Vec3::new(0.8, 0.2, 0.45), 150_000.0),
        )
        .sheen(Sheen {
            color: [1.0, 0.9, 0.8],
            roughness: 0.7,
            textures: Some(([255, 200, 96], 128)),
        }),
        // KHR_materials_anisotropy: brushed steel, the highlight stretched along the
        // tangent (east–west around the sphere) under a sun up and to the side.
        Case::lit(
            "anisotropy_0.8_steel_r0.35",
            [0.75, 0.75, 0.78],
            1.0,
            0.35,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 60_000.0),
        )
        .anisotropy(Anisotropy {
            strength: 0.8,
            rotation_deg: 0.0,
            texture: None,
        }),
        // Turned 60° towards the bitangent, on a dielectric under a point light.
        Case::lit(
            "anisotropy_0.6_rot60_point_light",
            [0.1, 0.2, 0.5],
            0.0,
            0.3,
            Lighting::Point(Vec3::new(1.2, 1.5, 2.0), 150_000.0, None),
        )
        .anisotropy(Anisotropy {
            strength: 0.6,
            rotation_deg: 60.0,
            texture: None,
        }),
        // Direction and strength from a texture (pointing mostly along the bitangent,
        // three quarters of the factor), then rotated by −20°.
        Case::lit(
            "anisotropy_texture_rot-20",
            [0.9, 0.6, 0.3],
            1.0,
            0.4,
            Lighting::Sun(Vec3::new(-0.4, 0.7, 0.7), 60_000.0),
        )
        .anisotropy(Anisotropy {
            strength: 1.0,
            rotation_deg: -20.0,
            texture: Some([160, 240, 191]),
        }),
        // KHR_materials_iridescence: a 400 nm film of water over a dark glossy dielectric
        // (the colours of a soap bubble over a black backing), a sun up and to the side.
        Case::lit(
            "iridescence_400nm_over_black_r0.3",
            [0.02, 0.02, 0.03],
            0.0,
            0.3,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 150_000.0),
        )
        .film(Film {
            factor: 1.0,
            ior: 1.33,
            thickness: [100.0, 400.0],
            textures: None,
        }),
        // A 250 nm film on copper, half strength, under a point light.
        Case::lit(
            "iridescence_half_250nm_copper_r0.4",
            [0.95, 0.64, 0.54],
            1.0,
            0.4,
            Lighting::Point(Vec3::new(1.5, 1.2, 2.0), 200_000.0, None),
        )
        .film(Film {
            factor: 0.5,
            ior: 1.8,
            thickness: [100.0, 250.0],
            textures: None,
        }),
        // Factor and thickness from textures: 200/255 of the factor, a film halfway between
        // 200 and 700 nm.
        Case::lit(
            "iridescence_textures_r0.35",
            [0.3, 0.05, 0.05],
            0.0,
            0.35,
            Lighting::Sun(Vec3::new(-0.3, 0.5, 0.9), 150_000.0),
        )
        .film(Film {
            factor: 1.0,
            ior: 1.5,
            thickness: [200.0, 700.0],
            textures: Some((200, 128)),
        }),
        // KHR_materials_diffuse_transmission: a leaf-green sphere lit from behind and to the
        // side by the sun, most of its visible face lit through.
        Case::lit(
            "diffuse_transmission_leaf_backlit",
            [0.2, 0.45, 0.1],
            0.0,
            0.6,
            Lighting::Sun(Vec3::new(-0.6, 0.4, -0.7), 150_000.0),
        )
        .through(Through {
            factor: 0.7,
            color: [0.9, 1.0, 0.4],
            textures: None,
        }),
        // Paper under a point light from the side: both faces' terms in one view.
        Case::lit(
            "diffuse_transmission_paper_point_light",
            [0.9, 0.88, 0.8],
            0.0,
            0.8,
            Lighting::Point(Vec3::new(2.2, 0.3, -0.4), 150_000.0, None),
        )
        .through(Through {
            factor: 0.5,
            color: [1.0, 0.85, 0.6],
            textures: None,
        }),
        // Factor (alpha) and colour (sRGB) from textures.
        Case::lit(
            "diffuse_transmission_textures",
            [0.5, 0.2, 0.2],
            0.0,
            0.5,
            Lighting::Sun(Vec3::new(0.5, 0.3, -0.8), 150_000.0),
        )
        .through(Through {
            factor: 1.0,
            color: [1.0, 1.0, 1.0],
            textures: Some((180, [255, 120, 60])),
        }),
        // The cone's edge crosses the sphere's face.
        Case::lit(
            "spot_10_to_25_deg_r0.45",
            [0.85, 0.85, 0.6],
            0.0,
            0.45,
            Lighting::Spot(
                Vec3::new(0.4, 0.8, 3.0),
                Vec3::new(0.0, 0.0, 0.0),
                400_000.0,
                10.0,
                25.0,
            ),
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| sphere_failure(&ctx, case, case))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Renders `case`'s sphere and compares it with the reference of `reference` (the same case,
/// or what it must look like instead); a description of the failure, with the actual and a
/// ×16 difference image written, if it differs.
fn sphere_failure(ctx: &GpuContext, case: &Case, reference: &Case) -> Option<String> {
    let view = look(Vec3::new(0.0, 0.0, 3.2), Vec3::ZERO, 40.0);
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shading-reference");
    let img = render(ctx, &scene_of(case), view, SIZE, SIZE);
    let mut compared = 0usize;
    let (mut sum, mut worst) = (0.0f64, 0.0f32);
    let mut bad = 0usize;
    let mut diff = image::RgbaImage::new(SIZE, SIZE);
    for (x, y, pixel) in img.enumerate_pixels() {
        let Some(want) = reference_pixel(reference, &view, x, y) else {
            continue;
        };
        let got = Vec3::new(pixel[0] as f32, pixel[1] as f32, pixel[2] as f32);
        let e = (got - want).abs().max_element();
        compared += 1;
        sum += f64::from(e);
        worst = worst.max(e);
        if e > 6.0 {
            bad += 1;
        }
        let shade = (e * 16.0).min(255.0) as u8;
        diff.put_pixel(x, y, image::Rgba([shade, shade, shade, 255]));
    }
    let mean = sum / compared.max(1) as f64;
    eprintln!(
        "{}: {compared} pixels, mean |Δ| {mean:.2}, worst {worst:.0}, over 6: {bad}",
        case.name
    );
    // Most of the sphere's face is compared, and it is lit.
    let lit = img
        .pixels()
        .filter(|p| p[0].max(p[1]).max(p[2]) > 40)
        .count();
    if compared >= 4000 && lit >= 2000 && mean <= 1.0 && bad * 200 <= compared {
        return None;
    }
    std::fs::create_dir_all(&out).expect("output folder");
    img.save(out.join(format!("{}_actual.png", case.name)))
        .expect("save");
    diff.save(out.join(format!("{}_diff.png", case.name)))
        .expect("save");
    Some(format!(
        "{}: {compared} pixels compared, {lit} lit, mean |Δ| {mean:.2}/255, worst {worst:.0}, \
         {bad} over 6/255 (actual and ×16 diff in {})",
        case.name,
        out.display()
    ))
}

/// The anisotropic and iridescent spheres are not plain ones that pass anyway: against the
/// plain reference each one fails, and with textures the factors-only reference fails too
/// (the textures count).
#[test]
fn anisotropic_highlights_and_films_differ_from_plain_ones() {
    let Some(ctx) = gpu() else { return };
    let sun = Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 60_000.0);
    let brushed = Anisotropy {
        strength: 0.8,
        rotation_deg: 0.0,
        texture: None,
    };
    let steel = Case::lit("steel", [0.75, 0.75, 0.78], 1.0, 0.35, sun);
    let round = Case::lit("steel", [0.75, 0.75, 0.78], 1.0, 0.35, sun);
    let along = steel.anisotropy(brushed);
    // The same strength turned 90°: the stretch runs north–south instead.
    let across =
        Case::lit("steel_rot90", [0.75, 0.75, 0.78], 1.0, 0.35, sun).anisotropy(Anisotropy {
            rotation_deg: 90.0,
            ..brushed
        });
    let textured =
        Case::lit("steel_textured", [0.75, 0.75, 0.78], 1.0, 0.35, sun).anisotropy(Anisotropy {
            texture: Some([128, 255, 255]),
            ..brushed
        });
    let along_again = Case::lit("steel", [0.75, 0.75, 0.78], 1.0, 0.35, sun).anisotropy(brushed);
    // KHR_materials_iridescence: a film over a dark dielectric, and a thicker one from a
    // texture, against no film and against the factors alone.
    let film = Film {
        factor: 1.0,
        ior: 1.33,
        thickness: [100.0, 400.0],
        textures: None,
    };
    let plain = Case::lit("bubble", [0.02, 0.02, 0.03], 0.0, 0.3, sun);
    let bubble = Case::lit("bubble", [0.02, 0.02, 0.03], 0.0, 0.3, sun).film(film);
    let bubble_again = Case::lit("bubble", [0.02, 0.02, 0.03], 0.0, 0.3, sun).film(film);
    let thick = Case::lit("bubble_thick", [0.02, 0.02, 0.03], 0.0, 0.3, sun).film(Film {
        thickness: [100.0, 900.0],
        textures: Some((255, 200)),
        ..film
    });
    // KHR_materials_diffuse_transmission: a leaf lit from behind, against none.
    let back_sun = Lighting::Sun(Vec3::new(-0.6, 0.4, -0.7), 150_000.0);
    let opaque_leaf = Case::lit("leaf", [0.2, 0.45, 0.1], 0.0, 0.6, back_sun);
    let leaf = Case::lit("leaf", [0.2, 0.45, 0.1], 0.0, 0.6, back_sun).through(Through {
        factor: 0.7,
        color: [0.9, 1.0, 0.4],
        textures: None,
    });
    for (case, wrong) in [
        (&leaf, &opaque_leaf),
        (&along, &round),
        (&across, &along_again),
        (&textured, &along_again),
        (&bubble, &plain),
        (&thick, &bubble_again),
    ] {
        assert!(
            sphere_failure(&ctx, case, wrong).is_some(),
            "{} matches the reference it must not match",
            case.name
        );
    }
}

/// On adapters with WebGPU's guaranteed 16 sampled textures per shader stage (the GL
/// backend) the material group has no slots for the sheen, the anisotropy or the
/// iridescence: every pipeline still builds (transmissive ones too, which add two textures)
/// and each draws from its factors alone.
#[test]
fn sheen_anisotropy_and_films_draw_from_their_factors_on_adapters_with_16_textures() {
    let Some(full) = gpu() else { return };
    let ctx = GpuContext::headless_with_guaranteed_limits().expect("a context with 16 textures");
    assert_eq!(
        ctx.device.limits().max_sampled_textures_per_shader_stage,
        16
    );
    let sun = Lighting::Sun(Vec3::new(-0.9, 0.35, 0.25), 200_000.0);
    let factors = Sheen {
        color: [1.0, 0.55, 0.7],
        roughness: 0.5,
        textures: None,
    };
    let velvet = Case::lit("limited_velvet", [0.25, 0.02, 0.04], 0.0, 0.8, sun).sheen(factors);
    let textured =
        Case::lit("limited_textured_velvet", [0.25, 0.02, 0.04], 0.0, 0.8, sun).sheen(Sheen {
            textures: Some(([255, 40, 40], 30)),
            ..factors
        });
    // Glass with a sheen: the transmissive pipeline with the sheen, at 16 textures.
    let glass = Case::lit("limited_sheen_glass", [0.9, 0.9, 0.9], 0.0, 0.3, sun)
        .transmission(0.6)
        .sheen(factors);
    let brushed = Anisotropy {
        strength: 0.7,
        rotation_deg: 30.0,
        texture: None,
    };
    let steel =
        Case::lit("limited_brushed", [0.75, 0.75, 0.78], 1.0, 0.35, sun).anisotropy(brushed);
    let textured_steel = Case::lit(
        "limited_textured_brushed",
        [0.75, 0.75, 0.78],
        1.0,
        0.35,
        sun,
    )
    .anisotropy(Anisotropy {
        texture: Some([128, 255, 60]),
        ..brushed
    });
    let film = Film {
        factor: 0.8,
        ior: 1.33,
        thickness: [100.0, 450.0],
        textures: None,
    };
    let bubble = Case::lit("limited_film", [0.02, 0.02, 0.03], 0.0, 0.3, sun).film(film);
    let textured_bubble = Case::lit("limited_textured_film", [0.02, 0.02, 0.03], 0.0, 0.3, sun)
        .film(Film {
            textures: Some((40, 30)),
            ..film
        });
    let leaf = Through {
        factor: 0.7,
        color: [0.9, 1.0, 0.4],
        textures: None,
    };
    let back_sun = Lighting::Sun(Vec3::new(-0.6, 0.4, -0.7), 150_000.0);
    let backlit = Case::lit("limited_leaf", [0.2, 0.45, 0.1], 0.0, 0.6, back_sun).through(leaf);
    let textured_backlit = Case::lit(
        "limited_textured_leaf",
        [0.2, 0.45, 0.1],
        0.0,
        0.6,
        back_sun,
    )
    .through(Through {
        textures: Some((90, [255, 0, 0])),
        ..leaf
    });
    let failures: Vec<String> = [
        (&velvet, &velvet),
        (&textured, &velvet),
        (&glass, &glass),
        (&steel, &steel),
        (&textured_steel, &steel),
        (&bubble, &bubble),
        (&textured_bubble, &bubble),
        (&backlit, &backlit),
        (&textured_backlit, &backlit),
    ]
    .into_iter()
    .filter_map(|(case, reference)| sphere_failure(&ctx, case, reference))
    // The same glass where the adapter has the 18 textures it takes with sheen slots.
    .chain(sphere_failure(&full, &glass, &glass))
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A matte checkerboard 2 m behind the spheres, facing the camera, filling the view.
fn add_board(scene: &mut Scene) {
    let pixels: Vec<u8> = (0..64)
        .flat_map(|i| {
            let v = if (i % 8 + i / 8) % 2 == 0 { 200 } else { 70 };
            [v, v, v, 255]
        })
        .collect();
    let image = scene.add_image(Image::new("checker", 8, 8, pixels).expect("8x8 image"));
    let material = scene.add_material(Material {
        base_color_texture: Some(TextureRef::new(image, Sampler::nearest(Wrap::Repeat))),
        ..Material::named("Board", [1.0; 4], 1.0)
    });
    let mesh = scene.add_mesh(shapes::plane(glam::Vec2::splat(8.0), 1));
    scene.add_node(
        None,
        "Board",
        Transform::from_translation(Vec3::new(0.0, 0.0, -2.0))
            .with_rotation(glam::Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        NodeKind::Mesh { mesh, material },
    );
}

/// KHR_materials_transmission, thin-walled (no KHR_materials_volume): glass spheres in front
/// of a lit checkerboard show it through themselves at the same pixels (no refraction),
/// tinted by the base colour, less what the dielectric layer reflects at that angle, under
/// their own reflections and the diffuse share that is not transmitted. The reference adds
/// T · (1 − metallic) · base · (1 − F(n·v)) · (the board alone at that pixel, decoded) to
/// the spheres' reflected light. A rough sphere shows the board blurred.
#[test]
fn transmissive_spheres_show_what_lies_behind_them() {
    let Some(ctx) = gpu() else { return };
    let (sun, view) = glass_light_and_view();
    let board = render(&ctx, &board_scene(sun), view, SIZE, SIZE);
    let glass = |name, base, metallic, roughness, transmission| {
        Case::lit(name, base, metallic, roughness, sun).transmission(transmission)
    };
    let cases = [
        glass("clear_amber_glass_r0.2", [0.9, 0.6, 0.3], 0.0, 0.2, 1.0),
        glass(
            "half_transmissive_part_metal_r0.15",
            [0.3, 0.8, 0.5],
            0.2,
            0.15,
            0.5,
        ),
    ];
    let mut failures = Vec::new();
    // The sharpest horizontal step over the sphere's middle: the board's edges seen through it.
    let contrast = |img: &image::RgbaImage| {
        let mut steepest = 0u8;
        for y in 40..88 {
            for x in 40..87 {
                let (a, b) = (img.get_pixel(x, y)[1], img.get_pixel(x + 1, y)[1]);
                steepest = steepest.max(a.abs_diff(b));
            }
        }
        f64::from(steepest)
    };
    for case in &cases {
        let mut scene = scene_of(case);
        add_board(&mut scene);
        let img = render(&ctx, &scene, view, SIZE, SIZE);
        let checked = check_against_reference(case.name, &img, 4000, |x, y| {
            let (n, v, reflected) = reference_exposed(case, &view, x, y)?;
            let behind = unsaturated(board.get_pixel(x, y))?;
            let through = Vec3::from(case.base)
                * case.transmission
                * (1.0 - case.metallic)
                * (1.0 - glass_fresnel(n, v));
            Some(reflected + through * behind)
        });
        match checked {
            Ok(summary) => eprintln!(
                "{summary}, contrast {:.1} (board alone {:.1})",
                contrast(&img),
                contrast(&board)
            ),
            Err(failure) => failures.push(failure),
        }
    }
    // Frosted glass: the same clear glass at roughness 0.7 blurs the board's edges.
    let frosted = glass("frosted", [0.9, 0.9, 0.9], 0.0, 0.7, 1.0);
    let clear = glass("clear", [0.9, 0.9, 0.9], 0.0, 0.1, 1.0);
    let [frosted, clear] = [frosted, clear].map(|case| {
        let mut scene = scene_of(&case);
        add_board(&mut scene);
        contrast(&render(&ctx, &scene, view, SIZE, SIZE))
    });
    eprintln!("contrast through clear glass {clear:.1}, frosted {frosted:.1}");
    if !(frosted < 0.5 * clear && clear > 40.0) {
        failures.push(format!(
            "frosted glass shows the board with contrast {frosted:.1}, clear glass {clear:.1}: \
             not blurred"
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The sun and camera of the glass tests: spheres at the origin, the board 2 m behind.
fn glass_light_and_view() -> (Lighting, CameraView) {
    let sun = Lighting::Sun(Vec3::new(0.3, 0.4, 1.0), 60_000.0);
    (sun, look(Vec3::new(0.0, 0.0, 3.2), Vec3::ZERO, 40.0))
}

/// The lit checkerboard alone, as the glass tests see it behind their spheres.
fn board_scene(sun: Lighting) -> Scene {
    let mut scene = Scene::new("board");
    add_board(&mut scene);
    add_light(&mut scene, sun);
    dark_stage(&mut scene, ToneMapper::Linear, EV100);
    scene
}

/// Checks the clear glass sphere of `case` in `img` where what lies behind it (`behind`, the
/// frame without the sphere) differs from the bare `board`: its reflections plus
/// base × (1 − F(n·v)) × what is behind, the thin-walled sum (at least 1,500 pixels).
fn check_glass_over(
    case: &Case,
    view: &CameraView,
    img: &image::RgbaImage,
    board: &image::RgbaImage,
    behind: &image::RgbaImage,
) {
    let checked = check_against_reference(case.name, img, 1500, |x, y| {
        let (n, v, reflected) = reference_exposed(case, view, x, y)?;
        let pixel = behind.get_pixel(x, y);
        let bare = board.get_pixel(x, y);
        (0..3)
            .any(|c| pixel[c].abs_diff(bare[c]) > 12)
            .then_some(())?;
        let seen = unsaturated(pixel)?;
        Some(reflected + Vec3::from(case.base) * (1.0 - glass_fresnel(n, v)) * seen)
    });
    match checked {
        Ok(summary) => eprintln!("{summary}"),
        Err(failure) => panic!("{failure}"),
    }
}

/// Glass's (IOR 1.5) Fresnel reflectance at this view: what it does not let through.
fn glass_fresnel(n: Vec3, v: Vec3) -> f32 {
    0.04 + 0.96 * (1.0 - n.dot(v)).powi(5)
}

/// A rendered pixel's linear colour, unless a channel is saturated (its value unknown).
fn unsaturated(pixel: &image::Rgba<u8>) -> Option<Vec3> {
    if pixel.0[..3].iter().any(|&c| c >= 254) {
        return None;
    }
    Some(Vec3::new(
        srgb_decode(pixel[0]),
        srgb_decode(pixel[1]),
        srgb_decode(pixel[2]),
    ))
}

/// Compares `img` with a per-pixel reference: `want(x, y)` is the expected linear display
/// colour (before sRGB encoding), `None` for a pixel left out; references near clipping
/// (above 0.98) are left out too. Fails — writing the actual image and a ×16 difference
/// image to the shading-reference folder — when fewer than `min_pixels` were compared, the
/// mean difference exceeds 1/255 or more than 0.5 % of the pixels are off by more than 6/255.
/// Returns a one-line summary either way.
fn check_against_reference(
    name: &str,
    img: &image::RgbaImage,
    min_pixels: usize,
    want: impl Fn(u32, u32) -> Option<Vec3>,
) -> Result<String, String> {
    let (mut compared, mut sum, mut worst, mut bad) = (0usize, 0.0f64, 0.0f32, 0usize);
    let mut diff = image::RgbaImage::new(img.width(), img.height());
    for (x, y, pixel) in img.enumerate_pixels() {
        let Some(want) = want(x, y).filter(|w| w.max_element() <= 0.98) else {
            continue;
        };
        let want = Vec3::new(
            srgb_encode(want.x),
            srgb_encode(want.y),
            srgb_encode(want.z),
        );
        let got = Vec3::new(pixel[0] as f32, pixel[1] as f32, pixel[2] as f32);
        let e = (got - want).abs().max_element();
        compared += 1;
        sum += f64::from(e);
        worst = worst.max(e);
        bad += usize::from(e > 6.0);
        let shade = (e * 16.0).min(255.0) as u8;
        diff.put_pixel(x, y, image::Rgba([shade, shade, shade, 255]));
    }
    let mean = sum / compared.max(1) as f64;
    let summary = format!(
        "{name}: {compared} pixels compared, mean |Δ| {mean:.2}/255, worst {worst:.0}, \
         {bad} over 6/255"
    );
    if compared >= min_pixels && mean <= 1.0 && bad * 200 <= compared {
        return Ok(summary);
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shading-reference");
    std::fs::create_dir_all(&out).expect("output folder");
    img.save(out.join(format!("{name}_actual.png")))
        .expect("save");
    diff.save(out.join(format!("{name}_diff.png")))
        .expect("save");
    Err(format!(
        "{summary} (at least {min_pixels} wanted; actual and ×16 diff in {})",
        out.display()
    ))
}

/// Splats behind glass show through it: the display pass draws them before the first
/// transmissive surface, which then reads the display layer as it is at that point. A clear
/// glass sphere in front of a splat cloud over the checkerboard must show, at each pixel, its
/// reflected light plus base · (1 − F(n·v)) × (board and splats without the glass, decoded),
/// the thin-walled sum of `transmissive_spheres_show_what_lies_behind_them`, where the splats
/// cover the board.
#[test]
fn splats_behind_glass_show_through_it() {
    let Some(ctx) = gpu() else { return };
    let (sun, view) = glass_light_and_view();
    let mut rng = Rng(11);
    let (_, cloud, _) = random_splats(&mut rng, 600, 1.0);
    let add_splats = |scene: &mut Scene| {
        let cloud = scene.add_splat_cloud(cloud.clone());
        scene.add_node(
            None,
            "Splats",
            Transform::from_translation(Vec3::new(0.0, 0.0, -1.4)).with_scale(Vec3::splat(0.6)),
            NodeKind::Splats { cloud },
        );
    };
    let board_only = board_scene(sun);
    let board = render(&ctx, &board_only, view, SIZE, SIZE);
    let mut without_glass = board_only.clone();
    add_splats(&mut without_glass);
    let behind_glass = render(&ctx, &without_glass, view, SIZE, SIZE);
    let case = Case::lit("clear_glass_over_splats", [0.9; 3], 0.0, 0.1, sun).transmission(1.0);
    let mut scene = scene_of(&case);
    add_board(&mut scene);
    add_splats(&mut scene);
    let img = render(&ctx, &scene, view, SIZE, SIZE);
    // Only where the splats cover the board.
    check_glass_over(&case, &view, &img, &board, &behind_glass);
}

/// Splats in front of glass, or of a blended pane, are drawn over it: the display pass draws
/// splats in view-depth slices between the blended meshes (`FrameStats::splat_slices`).
/// Drawn all before them, a splat in front of a red glass sphere showed through the glass,
/// tinted red (its green nearly gone), and a blended pane covered it.
#[test]
fn splats_in_front_of_glass_and_blended_meshes_cover_them() {
    let Some(ctx) = gpu() else { return };
    let (sun, view) = glass_light_and_view();
    // One opaque green splat on the view axis between the camera (z = 3.2) and the sphere
    // (z ≤ 1), its standard deviation about 18 px, and a yellow one off the axis behind the
    // sphere (z = −1.5, before the board), so the splats span the mesh's depth and are drawn
    // in two slices.
    let add_splats = |scene: &mut Scene| {
        let cloud = worldsmith::scene::SplatCloud::new(
            vec![[0.0, 0.0, 2.0], [0.5, 0.5, -1.5]],
            vec![[0.0, 0.0, 0.0, 1.0]; 2],
            vec![[0.12, 0.12, 0.02]; 2],
            vec![1.0; 2],
            vec![[0.1, 0.9, 0.2], [0.9, 0.9, 0.1]],
            0,
            Vec::new(),
        )
        .expect("a valid cloud");
        let cloud = scene.add_splat_cloud(cloud);
        scene.add_node(
            None,
            "Splats",
            Transform::IDENTITY,
            NodeKind::Splats { cloud },
        );
    };
    let add_pane = |scene: &mut Scene| {
        let material = scene.add_material(Material {
            alpha_mode: worldsmith::scene::AlphaMode::Blend,
            ..Material::named("Blue pane", [0.1, 0.2, 0.95, 0.85], 0.5)
        });
        let mesh = scene.add_mesh(shapes::cuboid(Vec3::new(1.5, 1.5, 0.02)));
        scene.add_node(
            None,
            "Pane",
            Transform::from_translation(Vec3::new(0.0, 0.0, 0.5)),
            NodeKind::Mesh { mesh, material },
        );
    };
    let mut splat_only = board_scene(sun);
    add_splats(&mut splat_only);
    let want = render(&ctx, &splat_only, view, SIZE, SIZE);
    let glass =
        Case::lit("red_glass_under_a_splat", [0.9, 0.1, 0.1], 0.0, 0.1, sun).transmission(1.0);
    let mut glass_scene = scene_of(&glass);
    add_board(&mut glass_scene);
    let glass_only = render(&ctx, &glass_scene, view, SIZE, SIZE);
    let mut pane_scene = board_scene(sun);
    add_pane(&mut pane_scene);
    let pane_only = render(&ctx, &pane_scene, view, SIZE, SIZE);
    // Within 3 px of the splat's centre (the image centre) its alpha is above 0.98.
    let centre = |img: &image::RgbaImage| -> Vec<[u8; 3]> {
        let c = SIZE as i32 / 2;
        let mut px = Vec::new();
        for y in c - 3..c + 3 {
            for x in c - 3..c + 3 {
                let p = img.get_pixel(x as u32, y as u32);
                px.push([p[0], p[1], p[2]]);
            }
        }
        px
    };
    let worst = |a: &[[u8; 3]], b: &[[u8; 3]]| {
        a.iter()
            .zip(b)
            .flat_map(|(p, q)| (0..3).map(move |c| p[c].abs_diff(q[c])))
            .max()
            .unwrap_or(0)
    };
    let want_centre = centre(&want);
    assert!(
        want_centre
            .iter()
            .all(|p| p[1] > p[0] + 60 && p[1] > p[2] + 60),
        "the splat is green: {:?}",
        want_centre[0]
    );
    for (name, scene, without_splats) in [
        ("red glass", glass_scene, glass_only),
        ("blended pane", pane_scene, pane_only),
    ] {
        let mut scene = scene;
        add_splats(&mut scene);
        let frame = FrameInput {
            scene: &scene,
            camera: view,
            settings: RenderSettings::final_frame(),
            selection: &[],
            cloud_highlight: None,
        };
        let (img, stats) = Renderer::new(&ctx)
            .render_to_image(&ctx, &frame, SIZE, SIZE)
            .expect("render");
        // The test has teeth: without the splat the centre is something else entirely.
        assert!(
            worst(&centre(&without_splats), &want_centre) > 60,
            "{name}: the mesh alone looks like the splat"
        );
        let error = worst(&centre(&img), &want_centre);
        assert!(
            error <= 6,
            "{name}: the splat in front differs by {error}/255 from the splat alone"
        );
        // One slice behind the mesh's centre, one in front.
        assert_eq!(stats.splat_slices, 2, "{name}: slices behind and in front");
    }
    // Splats behind glass still show through it: `splats_behind_glass_show_through_it`.
}

/// A thin translucent sheet (KHR_materials_diffuse_transmission) lit from behind by a sun
/// that casts shadows is not shadowed by itself: its lit face is where the shadow map is
/// read for the light that passes through (looked up from the side facing the sun, where
/// the front's normal offset put it behind the sheet, in its own shadow).
#[test]
fn a_sheet_lit_from_behind_does_not_shadow_itself() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 0.0, 3.0), Vec3::ZERO, 40.0);
    let sheet = |casts: bool| {
        let mut scene = Scene::new("sheet");
        let material = scene.add_material(Material {
            diffuse_transmission: 1.0,
            diffuse_transmission_color: [1.0, 0.9, 0.6],
            ..Material::named("Paper", [0.8, 0.8, 0.8, 1.0], 0.9)
        });
        // A single-sided plane turned to face the camera (+z).
        let mesh = scene.add_mesh(shapes::plane(glam::Vec2::splat(2.0), 4));
        scene.add_node(
            None,
            "Sheet",
            Transform::IDENTITY
                .with_rotation(glam::Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
            NodeKind::Mesh { mesh, material },
        );
        // The sun behind the sheet and above it.
        scene.add_node(
            None,
            "Sun",
            Transform::pointing(-Vec3::new(0.0, 0.5, -1.0)),
            NodeKind::Light(Light {
                kind: LightKind::Directional,
                color: [1.0; 3],
                intensity: 100_000.0,
                range: None,
                cast_shadows: casts,
            }),
        );
        dark_stage(&mut scene, ToneMapper::Linear, EV100);
        scene
    };
    let shadowed = render(&ctx, &sheet(true), view, SIZE, SIZE);
    let unshadowed = render(&ctx, &sheet(false), view, SIZE, SIZE);
    let mean = |img: &image::RgbaImage| {
        let c = SIZE / 2;
        let mut sum = 0.0;
        for y in c - 16..c + 16 {
            for x in c - 16..c + 16 {
                let p = img.get_pixel(x, y);
                sum += f64::from(p[0]) + f64::from(p[1]) + f64::from(p[2]);
            }
        }
        sum / (32.0 * 32.0 * 3.0)
    };
    let (lit, reference) = (mean(&shadowed), mean(&unshadowed));
    assert!(
        reference > 60.0,
        "the light passes through: {reference:.1}/255"
    );
    assert!(
        (lit - reference).abs() < 3.0,
        "with shadows {lit:.1}/255, without {reference:.1}/255"
    );
}

/// Glass seen through glass: a red-tinted pane between the board and a clear glass sphere
/// must show through the sphere as it shows alone (the near glass reads the display layer
/// copied again after the far pane was drawn, as `copies_before` plans it), where a single
/// copy before the first glass showed the bare board there.
#[test]
fn glass_behind_glass_shows_through_it() {
    let Some(ctx) = gpu() else { return };
    let (sun, view) = glass_light_and_view();
    let add_pane = |scene: &mut Scene| {
        let material = scene.add_material(Material {
            transmission: 1.0,
            ..Material::named("Red pane", [0.95, 0.25, 0.2, 1.0], 0.0)
        });
        let mesh = scene.add_mesh(shapes::cuboid(Vec3::new(1.3, 1.3, 0.02)));
        scene.add_node(
            None,
            "Pane",
            Transform::from_translation(Vec3::new(0.5, 0.3, -1.4)),
            NodeKind::Mesh { mesh, material },
        );
    };
    let board = render(&ctx, &board_scene(sun), view, SIZE, SIZE);
    let mut pane_only = board_scene(sun);
    add_pane(&mut pane_only);
    let behind_glass = render(&ctx, &pane_only, view, SIZE, SIZE);
    let case = Case::lit("clear_glass_over_red_glass", [0.9; 3], 0.0, 0.1, sun).transmission(1.0);
    let mut scene = scene_of(&case);
    add_board(&mut scene);
    add_pane(&mut scene);
    let frame = common::final_frame(&scene, view);
    let (img, stats) = Renderer::new(&ctx)
        .render_to_image(&ctx, &frame, SIZE, SIZE)
        .expect("render");
    // Only where the pane tints the board.
    check_glass_over(&case, &view, &img, &board, &behind_glass);
    assert_eq!(
        stats.behind_copies, 2,
        "one copy per overlapping layer of glass"
    );
    // Off the sphere the frame is the pane over the board: the display pass's later parts
    // keep what the earlier ones drew (with MSAA, each part must store its colour for the
    // next).
    let (mut off_sphere, mut differing) = (0, 0);
    for (x, y, pixel) in img.enumerate_pixels() {
        // Off the unit sphere by more than its MSAA edge (its view ray passes it by 1.05).
        let eye = view.world_from_view.transform_point3(Vec3::ZERO);
        let t = (view.fov_y_rad * 0.5).tan();
        let ndc = |c: u32| 2.0 * (c as f32 + 0.5) / SIZE as f32 - 1.0;
        let dir = view
            .world_from_view
            .transform_vector3(Vec3::new(ndc(x) * t, -ndc(y) * t, -1.0))
            .normalize();
        if (eye - dir * eye.dot(dir)).length() < 1.05 {
            continue;
        }
        off_sphere += 1;
        let want = behind_glass.get_pixel(x, y);
        if (0..3).any(|c| pixel[c].abs_diff(want[c]) > 3) {
            differing += 1;
        }
    }
    assert!(
        off_sphere > 4000 && differing * 100 < off_sphere,
        "{differing} of {off_sphere} pixels off the sphere differ from the pane over the board"
    );
}

/// KHR_materials_volume: glass spheres with a thickness refract the lit checkerboard behind
/// them and absorb it on the way. The reference follows the extension's screen-space model
/// (as the Khronos sample viewer draws it): each pixel's view ray bends into the sphere by
/// Snell's law at IOR 1.5, runs `thickness` along the bent direction, and the board alone
/// is read where that exit point lies on screen, times exp(−σ · thickness) with
/// σ = −ln(attenuation colour) / attenuation distance, times the thin-walled weight
/// T · base · (1 − F(n·v)), over the sphere's own reflections. Pixels whose exit point lies
/// within a pixel of a checker edge are left out (a rounding there picks the other square).
#[test]
fn volume_spheres_refract_and_absorb_what_lies_behind_them() {
    let Some(ctx) = gpu() else { return };
    let (sun, view) = glass_light_and_view();
    let board = render(&ctx, &board_scene(sun), view, SIZE, SIZE);
    let glass = |name, volume| {
        Case::lit(name, [1.0; 3], 0.0, 0.05, sun)
            .transmission(1.0)
            .volume(volume)
    };
    let cases = [
        glass(
            "thick_clear_glass",
            Volume {
                thickness: 2.0,
                texture_g: None,
                distance: None,
                color: [1.0; 3],
                dispersion: 0.0,
            },
        ),
        glass(
            "blue_absorbing_glass",
            Volume {
                thickness: 1.0,
                texture_g: None,
                distance: Some(0.5),
                color: [0.3, 0.6, 0.95],
                dispersion: 0.0,
            },
        ),
        glass(
            "thickness_from_texture",
            Volume {
                thickness: 3.0,
                texture_g: Some(128),
                distance: Some(2.0),
                color: [0.9, 0.5, 0.4],
                dispersion: 0.0,
            },
        ),
        // KHR_materials_dispersion, exaggerated (flint glass is 0.7; this spreads the IOR
        // over 1.25–1.75) so that red and blue leave several pixels apart, on either side of
        // a checker edge in about 1,100 of the pixels compared: each channel refracts by its
        // own IOR. Thin enough to show edges that do not run through the centre, across which
        // the (radial) spread shows.
        glass(
            "dispersive_glass",
            Volume {
                thickness: 0.5,
                texture_g: None,
                distance: Some(3.0),
                color: [0.8, 0.9, 0.7],
                dispersion: 20.0,
            },
        ),
    ];
    let view_from_world = view.world_from_view.inverse();
    let t = (view.fov_y_rad * 0.5).tan();
    let refract = |i: Vec3, n: Vec3, eta: f32| {
        let cos = n.dot(i);
        let k = 1.0 - eta * eta * (1.0 - cos * cos);
        eta * i - (eta * cos + k.max(0.0).sqrt()) * n
    };
    let mut failures = Vec::new();
    for case in &cases {
        let volume = case.volume.expect("a volume case");
        let thickness = volume.effective_thickness();
        let sigma =
            Vec3::from(volume.color).map(|c| -c.ln()) / volume.distance.unwrap_or(f32::INFINITY);
        let mut scene = scene_of(case);
        add_board(&mut scene);
        let img = render(&ctx, &scene, view, SIZE, SIZE);
        // KHR_materials_dispersion's spread of the IOR over red, green and blue.
        let spread = 0.5 * 0.025 * volume.dispersion;
        let checked = check_against_reference(case.name, &img, 3000, |x, y| {
            let (n, v, reflected) = reference_exposed(case, &view, x, y)?;
            let mut through = Vec3::ZERO;
            for c in 0..3 {
                let ior = 1.5 + spread * (c as f32 - 1.0);
                // The unit sphere's surface point is its normal.
                let ray = refract(-v, n, 1.0 / ior).normalize() * thickness;
                let q = view_from_world.transform_point3(n + ray);
                let ex = (((q.x / (-q.z * t)) * 0.5 + 0.5) * SIZE as f32).floor() as i64;
                let ey = ((0.5 - (q.y / (-q.z * t)) * 0.5) * SIZE as f32).floor() as i64;
                let inside = 1..i64::from(SIZE) - 1;
                (inside.contains(&ex) && inside.contains(&ey)).then_some(())?;
                let at = |dx: i64, dy: i64| board.get_pixel((ex + dx) as u32, (ey + dy) as u32);
                let centre = at(0, 0);
                let uniform =
                    (-1..=1).all(|dy| (-1..=1).all(|dx| at(dx, dy)[c].abs_diff(centre[c]) <= 2));
                uniform.then_some(())?;
                let behind = unsaturated(centre)?;
                through[c] = behind[c] * (-sigma[c] * ray.length()).exp();
            }
            Some(reflected + (1.0 - glass_fresnel(n, v)) * through)
        });
        match checked {
            Ok(summary) => eprintln!("{summary}"),
            Err(failure) => failures.push(failure),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One splat of the reference rasteriser: centre, 3D covariance, colour, opacity.
struct RefSplat {
    centre: Vec3,
    sigma: glam::Mat3,
    color: Vec3,
    opacity: f32,
    /// Degree-3 SH coefficients 1..15 (RGB each), or none.
    sh: Vec<Vec3>,
}

/// The 3DGS reference's `computeColorFromSH` above band 0, at unit direction `d` from the
/// camera to the splat (constants from the paper's code).
fn sh_rest_color(sh: &[Vec3], d: Vec3) -> Vec3 {
    if sh.len() < 15 {
        return Vec3::ZERO;
    }
    const C1: f32 = 0.488_602_5;
    const C2: [f32; 5] = [
        1.092_548_4,
        -1.092_548_4,
        0.315_391_57,
        -1.092_548_4,
        0.546_274_2,
    ];
    const C3: [f32; 7] = [
        -0.590_043_6,
        2.890_611_4,
        -0.457_045_8,
        0.373_176_33,
        -0.457_045_8,
        1.445_305_7,
        -0.590_043_6,
    ];
    let (x, y, z) = (d.x, d.y, d.z);
    let (xx, yy, zz) = (x * x, y * y, z * z);
    -C1 * y * sh[0] + C1 * z * sh[1] - C1 * x * sh[2]
        + C2[0] * x * y * sh[3]
        + C2[1] * y * z * sh[4]
        + C2[2] * (2.0 * zz - xx - yy) * sh[5]
        + C2[3] * x * z * sh[6]
        + C2[4] * (xx - yy) * sh[7]
        + C3[0] * y * (3.0 * xx - yy) * sh[8]
        + C3[1] * x * y * z * sh[9]
        + C3[2] * y * (4.0 * zz - xx - yy) * sh[10]
        + C3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh[11]
        + C3[4] * x * (4.0 * zz - xx - yy) * sh[12]
        + C3[5] * z * (xx - yy) * sh[13]
        + C3[6] * x * (xx - 3.0 * yy) * sh[14]
}

/// Gaussian splats against a CPU rasteriser written from the 3DGS paper and its reference
/// CUDA rasteriser (Kerbl et al. 2023, `diff-gaussian-rasterization`): EWA projection with
/// the Jacobian at the 1.3×-frustum-clamped centre, + 0.3 px² low-pass, α = min(0.99,
/// o·exp(−½ dᵀΣ'⁻¹d)) skipped under 1/255, splats composited back to front by view depth
/// over the background — in display space, on the colours as stored (what a splat viewer
/// shows and what the splats were trained against), at any tone mapper and exposure.
#[test]
fn splats_match_the_3dgs_rasteriser_evaluated_on_the_cpu() {
    let Some(ctx) = gpu() else { return };
    let mut rng = Rng(5);
    // Anisotropic, 2 cm to 25 cm standard deviations (about 1 to 11 px); a few large soft ones.
    let (splats, flat, view_dependent) = random_splats(&mut rng, 400, 1.0);
    // Small ones (0.2 to 1.4 px), where the antialiased mode's opacity compensation tells.
    let (tiny, tiny_flat, _) = random_splats(&mut rng, 4000, 0.12);
    let antialiased = tiny_flat.clone().with_antialiased(true);
    let view = look(Vec3::new(0.4, 0.6, 3.4), Vec3::ZERO, 45.0);
    let reference = reference_splat_image(&splats, &view, SIZE, SIZE, false, false);
    let reference_sh = reference_splat_image(&splats, &view, SIZE, SIZE, true, false);
    let reference_aa = reference_splat_image(&tiny, &view, SIZE, SIZE, false, true);
    let reference_tiny = reference_splat_image(&tiny, &view, SIZE, SIZE, false, false);
    // The antialiased case tells the modes apart: small splats lose opacity.
    let mode_difference = reference_tiny
        .iter()
        .zip(&reference_aa)
        .map(|(a, b)| (*a - *b).abs().max_element())
        .sum::<f32>()
        / reference.len() as f32;
    assert!(
        mode_difference > 4.0,
        "antialiased mode changes the reference by only {mode_difference}/255"
    );
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("shading-reference");
    let mut failures = Vec::new();
    for (name, tone_mapper, ev100, cloud, reference) in [
        (
            "splats_linear_ev15",
            ToneMapper::Linear,
            15.0,
            &flat,
            &reference,
        ),
        ("splats_aces_ev9", ToneMapper::Aces, 9.0, &flat, &reference),
        (
            "splats_sh3_aces_ev12",
            ToneMapper::Aces,
            12.0,
            &view_dependent,
            &reference_sh,
        ),
        (
            "splats_antialiased_linear_ev15",
            ToneMapper::Linear,
            15.0,
            &antialiased,
            &reference_aa,
        ),
    ] {
        let mut scene = Scene::new(name);
        let cloud = scene.add_splat_cloud(cloud.clone());
        scene.add_node(
            None,
            "Splats",
            Transform::IDENTITY,
            NodeKind::Splats { cloud },
        );
        dark_stage(&mut scene, tone_mapper, ev100);
        let img = render(&ctx, &scene, view, SIZE, SIZE);
        let (mut sum, mut worst, mut bad, mut covered) = (0.0f64, 0.0f32, 0usize, 0usize);
        let mut diff = image::RgbaImage::new(SIZE, SIZE);
        for (x, y, pixel) in img.enumerate_pixels() {
            let want = reference[(y * SIZE + x) as usize];
            let got = Vec3::new(pixel[0] as f32, pixel[1] as f32, pixel[2] as f32);
            let e = (got - want).abs().max_element();
            sum += f64::from(e);
            worst = worst.max(e);
            bad += usize::from(e > 8.0);
            covered += usize::from(want.max_element() > 20.0);
            let shade = (e * 16.0).min(255.0) as u8;
            diff.put_pixel(x, y, image::Rgba([shade, shade, shade, 255]));
        }
        let pixels = (SIZE * SIZE) as usize;
        let mean = sum / pixels as f64;
        eprintln!("{name}: mean |Δ| {mean:.2}, worst {worst:.0}, over 8: {bad}, covered {covered}");
        if covered < pixels / 4 || mean > 1.0 || bad * 100 > pixels {
            std::fs::create_dir_all(&out).expect("output folder");
            img.save(out.join(format!("{name}_actual.png")))
                .expect("save");
            diff.save(out.join(format!("{name}_diff.png")))
                .expect("save");
            let mut want = image::RgbaImage::new(SIZE, SIZE);
            for (x, y, p) in want.enumerate_pixels_mut() {
                let c = reference[(y * SIZE + x) as usize];
                *p = image::Rgba([c.x as u8, c.y as u8, c.z as u8, 255]);
            }
            want.save(out.join(format!("{name}_reference.png")))
                .expect("save");
            failures.push(format!(
                "{name}: mean |Δ| {mean:.2}/255, worst {worst:.0}, {bad} pixels over 8/255, \
                 {covered} covered (actual, reference and ×16 diff in {})",
                out.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `n` random splats in the unit ball (standard deviations scaled by `size`), for the
/// reference and as clouds: degree 0, and degree 3 with random coefficients (stored as f16,
/// which the reference reads back).
fn random_splats(
    rng: &mut Rng,
    n: usize,
    size: f32,
) -> (
    Vec<RefSplat>,
    worldsmith::scene::SplatCloud,
    worldsmith::scene::SplatCloud,
) {
    let mut splats = Vec::new();
    let (mut positions, mut rotations, mut scales, mut opacities, mut colors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut sh_rest = Vec::new();
    for i in 0..n {
        let centre = rng.in_ball();
        let rotation = rng.rotation();
        let big = if i % 40 == 0 { 2.5 } else { 1.0 };
        let scale = Vec3::new(
            rng.range(0.02, 0.25),
            rng.range(0.02, 0.25),
            rng.range(0.01, 0.1),
        ) * big
            * size;
        let opacity = rng.range(0.15, 1.0);
        let color = Vec3::new(
            rng.range(0.0, 1.0),
            rng.range(0.0, 1.0),
            rng.range(0.0, 1.0),
        );
        let m = glam::Mat3::from_quat(rotation) * glam::Mat3::from_diagonal(scale);
        // Degree-3 coefficients as the cloud stores them (f16, coefficient-major, RGB).
        let sh: Vec<Vec3> = (0..15)
            .map(|_| {
                let c = [0; 3].map(|_| half::f16::from_f32(rng.range(-0.25, 0.25)));
                sh_rest.extend(c);
                Vec3::new(c[0].to_f32(), c[1].to_f32(), c[2].to_f32())
            })
            .collect();
        splats.push(RefSplat {
            centre,
            sigma: m * m.transpose(),
            color,
            opacity,
            sh,
        });
        positions.push(centre.to_array());
        rotations.push(rotation.to_array());
        scales.push(scale.to_array());
        opacities.push(opacity);
        colors.push(color.to_array());
    }
    let cloud = |sh_degree: u8, sh_rest: Vec<half::f16>| {
        worldsmith::scene::SplatCloud::new(
            positions.clone(),
            rotations.clone(),
            scales.clone(),
            opacities.clone(),
            colors.clone(),
            sh_degree,
            sh_rest,
        )
        .expect("consistent splat arrays")
    };
    (splats, cloud(0, Vec::new()), cloud(3, sh_rest))
}

/// The 3DGS reference rasteriser's image (display values 0–255) over a black background,
/// with or without the splats' SH bands above 0, and in gsplat's antialiased mode or not
/// (opacity × √(det Σ' / det(Σ' + 0.3 I)), Mip-Splatting's 2D filter).
fn reference_splat_image(
    splats: &[RefSplat],
    view: &CameraView,
    w: u32,
    h: u32,
    view_dependent: bool,
    antialiased: bool,
) -> Vec<Vec3> {
    let eye = view.world_from_view.transform_point3(Vec3::ZERO);
    let view_from_world = view.world_from_view.inverse();
    let tan_y = (view.fov_y_rad * 0.5).tan();
    let tan_x = tan_y * w as f32 / h as f32;
    let (fx, fy) = (w as f32 / (2.0 * tan_x), h as f32 / (2.0 * tan_y));
    let w3 = glam::Mat3::from_mat4(view_from_world);
    // Projected splats: depth, pixel centre, inverse 2D covariance, colour, opacity.
    let mut projected: Vec<(f32, glam::Vec2, glam::Mat2, Vec3, f32)> = splats
        .iter()
        .filter_map(|s| {
            let t = view_from_world.transform_point3(s.centre);
            let z = -t.z;
            if z <= 0.2 {
                return None;
            }
            // Pixel coordinates: u = w/2 + fx·x/z, v = h/2 − fy·y/z (rows go down).
            let centre =
                glam::Vec2::new(w as f32 * 0.5 + fx * t.x / z, h as f32 * 0.5 - fy * t.y / z);
            let tx = (t.x / z).clamp(-1.3 * tan_x, 1.3 * tan_x) * z;
            let ty = (t.y / z).clamp(-1.3 * tan_y, 1.3 * tan_y) * z;
            // ∂(u, v)/∂t as rows (z = −t_z).
            let j = glam::Mat3::from_cols(
                Vec3::new(fx / z, 0.0, 0.0),
                Vec3::new(0.0, -fy / z, 0.0),
                Vec3::new(fx * tx / (z * z), -fy * ty / (z * z), 0.0),
            );
            let jw = j * w3;
            let cov = jw * s.sigma * jw.transpose();
            let compensation = if antialiased {
                let det = cov.x_axis.x * cov.y_axis.y - cov.y_axis.x * cov.x_axis.y;
                let blurred =
                    (cov.x_axis.x + 0.3) * (cov.y_axis.y + 0.3) - cov.y_axis.x * cov.x_axis.y;
                (det / blurred).max(0.0).sqrt()
            } else {
                1.0
            };
            let cov2 = glam::Mat2::from_cols(
                glam::Vec2::new(cov.x_axis.x + 0.3, cov.x_axis.y),
                glam::Vec2::new(cov.y_axis.x, cov.y_axis.y + 0.3),
            );
            let mut color = s.color;
            if view_dependent {
                color += sh_rest_color(&s.sh, (s.centre - eye).normalize());
            }
            Some((
                z,
                centre,
                cov2.inverse(),
                color.max(Vec3::ZERO),
                s.opacity * compensation,
            ))
        })
        .collect();
    // Back to front.
    projected.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut image = vec![Vec3::ZERO; (w * h) as usize];
    for (i, c) in image.iter_mut().enumerate() {
        let p = glam::Vec2::new((i as u32 % w) as f32 + 0.5, (i as u32 / w) as f32 + 0.5);
        for (_, centre, conic, color, opacity) in &projected {
            let d = p - *centre;
            let power = -0.5 * d.dot(*conic * d);
            // Beyond 4σ α < 0.0004, under the 1/255 cut whatever the opacity.
            if power < -8.0 {
                continue;
            }
            let alpha = (opacity * power.exp()).min(0.99);
            if alpha < 1.0 / 255.0 {
                continue;
            }
            *c = *color * alpha + *c * (1.0 - alpha);
        }
    }
    image
        .iter()
        .map(|c| c.clamp(Vec3::ZERO, Vec3::ONE) * 255.0)
        .collect()
}

/// A 2 m quad facing +Z in a GLB, its texture upright (glTF v grows downwards: v = 0 along
/// its top edge), with a constant normal map `texel` and optionally the TANGENT attribute
/// `(1, 0, 0, w)`.
fn normal_mapped_quad_glb(texel: [u8; 3], tangent_w: Option<f32>) -> Vec<u8> {
    use serde_json::json;
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(4, 4, image::Rgba([texel[0], texel[1], texel[2], 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let mut bin: Vec<u8> = Vec::new();
    let mut views = Vec::new();
    let mut view = |bin: &mut Vec<u8>, bytes: &[u8]| {
        views.push(json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": bytes.len() }));
        bin.extend_from_slice(bytes);
        bin.resize(bin.len().next_multiple_of(4), 0);
        views.len() - 1
    };
    let floats = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|f| f.to_le_bytes()).collect() };
    let positions = view(
        &mut bin,
        &floats(&[
            -1.0, -1.0, 0.0, 1.0, -1.0, 0.0, 1.0, 1.0, 0.0, -1.0, 1.0, 0.0,
        ]),
    );
    let normals = view(&mut bin, &floats(&[0.0, 0.0, 1.0].repeat(4)));
    let uvs = view(&mut bin, &floats(&[0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]));
    let indices: Vec<u8> = [0u16, 1, 2, 0, 2, 3]
        .iter()
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let indices = view(&mut bin, &indices);
    let image = view(&mut bin, &png);
    let mut accessors = vec![
        json!({ "bufferView": positions, "componentType": 5126, "count": 4, "type": "VEC3",
                "min": [-1, -1, 0], "max": [1, 1, 0] }),
        json!({ "bufferView": normals, "componentType": 5126, "count": 4, "type": "VEC3" }),
        json!({ "bufferView": uvs, "componentType": 5126, "count": 4, "type": "VEC2" }),
        json!({ "bufferView": indices, "componentType": 5123, "count": 6, "type": "SCALAR" }),
    ];
    let mut attributes = json!({ "POSITION": 0, "NORMAL": 1, "TEXCOORD_0": 2 });
    if let Some(w) = tangent_w {
        let tangents = view(&mut bin, &floats(&[1.0, 0.0, 0.0, w].repeat(4)));
        accessors.push(
            json!({ "bufferView": tangents, "componentType": 5126, "count": 4, "type": "VEC4" }),
        );
        attributes["TANGENT"] = json!(4);
    }
    let json = json!({
        "asset": { "version": "2.0" },
        "scene": 0, "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "Quad" }],
        "meshes": [{ "primitives": [{ "attributes": attributes, "indices": 3, "material": 0 }] }],
        "materials": [{ "name": "Bumped",
            "pbrMetallicRoughness": { "metallicFactor": 0.0, "roughnessFactor": 0.6 },
            "normalTexture": { "index": 0 } }],
        "textures": [{ "source": 0 }],
        "images": [{ "bufferView": image, "mimeType": "image/png" }],
        "buffers": [{ "byteLength": bin.len() }],
        "bufferViews": views,
        "accessors": accessors,
    });
    glb(&serde_json::to_vec(&json).expect("JSON"), &bin)
}

/// glTF normal maps are "OpenGL" maps: red along +u, green towards the top of the texture
/// image (decreasing v, since glTF's v grows downwards), and a supplied tangent's w gives the
/// bitangent as cross(normal, tangent) · w. A quad showing its texture upright, whose map
/// tilts every normal 30° towards the image's top (or right), must shade as a plain quad
/// with that tilted normal (the glTF BRDF above, lit from that side) — with tangents from the
/// file, with the tangents the importer generates (MikkTSpace) and with none at all (the
/// shader's derivative frame). A flipped green channel or a bitangent along +v darkens the
/// quad instead (the mistake the glTF sample NormalTangentTest exists to catch).
#[test]
fn normal_maps_tilt_towards_the_texture_top_and_right_whatever_the_tangents() {
    let Some(ctx) = gpu() else { return };
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("normal-map-convention");
    std::fs::create_dir_all(&dir).expect("temp folder");
    // 30° towards the top (green) or right (red), 8-bit as stored.
    let (s, c) = (0.5f32, 0.866_025_4f32);
    let encode = |v: f32| ((v * 0.5 + 0.5) * 255.0).round() as u8;
    let decode = |b: u8| f32::from(b) / 255.0 * 2.0 - 1.0;
    // glTF's default base colour.
    let case = Case::lit(
        "normal_mapped_quad",
        [1.0, 1.0, 1.0],
        0.0,
        0.6,
        Lighting::Sun(Vec3::ZERO, 100_000.0),
    );
    let mut failures = Vec::new();
    for (towards, texel, to_sun) in [
        ("top", [128, encode(s), encode(c)], Vec3::new(0.0, 0.7, 0.7)),
        (
            "right",
            [encode(s), 128, encode(c)],
            Vec3::new(0.7, 0.0, 0.7),
        ),
    ] {
        // The normal the map stores, in the quad's frame (+x right, +y top, +z out).
        let n = Vec3::new(decode(texel[0]), decode(texel[1]), decode(texel[2])).normalize();
        let want = {
            let radiance = reference_radiance(&case, n, Vec3::Z, to_sun.normalize(), 100_000.0);
            let e = radiance * exposure_scale(EV100);
            Vec3::new(srgb_encode(e.x), srgb_encode(e.y), srgb_encode(e.z))
        };
        let flat = {
            let radiance =
                reference_radiance(&case, Vec3::Z, Vec3::Z, to_sun.normalize(), 100_000.0);
            srgb_encode(radiance.x * exposure_scale(EV100))
        };
        for (tangents, w) in [("file", Some(1.0)), ("generated", None), ("none", None)] {
            let mut scene = load(
                &dir,
                &format!("{towards}_{tangents}.glb"),
                normal_mapped_quad_glb(texel, w),
            );
            let (node, mesh) = first_mesh(&scene);
            let NodeKind::Mesh { material, .. } = node.kind else {
                panic!("a mesh node");
            };
            if tangents == "generated" {
                assert!(!mesh.tangents.is_empty(), "the importer generates tangents");
            }
            if tangents == "none" {
                // The same quad without tangents, 10 m to the right, seen on its own.
                let mut bare = mesh.clone();
                bare.tangents.clear();
                let bare = scene.add_mesh(bare);
                scene.add_node(
                    None,
                    "Bare quad",
                    Transform::from_translation(Vec3::X * 10.0),
                    NodeKind::Mesh {
                        mesh: bare,
                        material,
                    },
                );
            }
            add_light(&mut scene, Lighting::Sun(to_sun, 100_000.0));
            dark_stage(&mut scene, ToneMapper::Linear, EV100);
            let offset = if tangents == "none" {
                Vec3::X * 10.0
            } else {
                Vec3::ZERO
            };
            let view = look(Vec3::new(0.0, 0.0, 3.0) + offset, offset, 40.0);
            let img = render(&ctx, &scene, view, 64, 64);
            // The middle 16 × 16 pixels (the quad fills the middle ~40).
            let mut mean = Vec3::ZERO;
            for y in 24..40 {
                for x in 24..40 {
                    let p = img.get_pixel(x, y);
                    mean += Vec3::new(f32::from(p[0]), f32::from(p[1]), f32::from(p[2]));
                }
            }
            mean /= 256.0;
            let error = (mean - want).abs().max_element();
            eprintln!(
                "towards {towards}, tangents {tangents}: {mean:.1} (want {want:.1}, flat {flat:.1})"
            );
            if error > 3.0 {
                failures.push(format!(
                    "normal tilted towards the texture's {towards}, tangents {tangents}: \
                     {mean:.1}, want {want:.1} (an untilted normal gives {flat:.1})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A frame with nothing translucent skips the display pass (post tone-maps the opaque image);
/// one with something translucent tone-maps it in the display pass. Opaque pixels come out
/// the same either way, under both tone mappers.
#[test]
fn opaque_pixels_are_the_same_with_and_without_the_display_pass() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 0.0, 3.2), Vec3::ZERO, 40.0);
    for tone_mapper in [ToneMapper::Aces, ToneMapper::Linear] {
        let case = Case::lit(
            "display_pass",
            [0.9, 0.4, 0.2],
            0.3,
            0.45,
            Lighting::Sun(Vec3::new(0.5, 0.6, 0.8), 100_000.0),
        );
        let mut opaque = scene_of(&case);
        opaque.environment.sky.intensity = 1.0;
        opaque.environment.sky.ground_albedo = [0.3; 3];
        opaque.environment.exposure_ev100 = 14.0;
        opaque.environment.tone_mapper = tone_mapper;
        // The same scene plus a faint blended pane behind the camera: it draws nothing
        // visible, but the frame now has a display pass.
        let mut with_pane = opaque.clone();
        let mut glass = Material::named("Glass", [1.0, 1.0, 1.0, 0.1], 0.5);
        glass.alpha_mode = worldsmith::scene::AlphaMode::Blend;
        add_mesh(
            &mut with_pane,
            "Pane",
            shapes::cube(0.1),
            glass,
            Transform::from_translation(Vec3::new(0.0, 0.0, 6.0)),
        );
        let mut renderer = worldsmith::render::Renderer::new(&ctx);
        let mut draw = |scene: &Scene| {
            let frame = worldsmith::render::FrameInput {
                scene,
                camera: view,
                settings: worldsmith::render::RenderSettings::final_frame(),
                selection: &[],
                cloud_highlight: None,
            };
            renderer
                .render_to_image(&ctx, &frame, SIZE, SIZE)
                .expect("render")
        };
        let (a, stats_a) = draw(&opaque);
        let (b, stats_b) = draw(&with_pane);
        // The display pass's full-screen draw and the pane's.
        assert_eq!(
            stats_b.draw_calls,
            stats_a.draw_calls + 2,
            "{tone_mapper:?}"
        );
        let worst = diff(&a, &b).max_abs;
        assert!(
            worst <= 1,
            "{tone_mapper:?}: opaque pixels differ by {worst}/255"
        );
        assert_not_degenerate("display pass", &a);
    }
}
