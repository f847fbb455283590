//! Where an alpha-masked material (glTF `MASK`) cuts holes: the renderer discards fragments
//! whose alpha — base colour factor × vertex colour × base colour texture — is below the
//! cutoff (mesh.wgsl `shade_surface`), so leaves on cards, fences and grilles show what is
//! behind them. Picking and the selections that take only what is seen follow the same
//! holes: a click there goes through to what is behind, and such a mesh hides nothing there.
//!
//! The texture is read at its full-size level, bilinear or nearest as its sampler's
//! magnification filter, wrapped as its sampler says, through the slot's UV set and
//! transforms; the renderer's mipmaps can blur a cutout's edge by a texel or so at a
//! distance.

use crate::scene::{AlphaMode, Filter, Image, Material, Mesh, Scene, Wrap};
use glam::{Mat3, Vec2, Vec3};

/// The alpha test of one mesh drawn with one masked material.
pub(crate) struct AlphaCoverage<'a> {
    cutoff: f32,
    /// The base colour factor's alpha.
    factor: f32,
    indices: &'a [u32],
    /// Linear RGBA vertex colours (their alpha multiplies); empty if none.
    colors: &'a [[f32; 4]],
    texture: Option<CoverageTexture<'a>>,
}

/// The base colour texture's part in the alpha.
struct CoverageTexture<'a> {
    image: &'a Image,
    /// The mesh's coordinates the slot reads (set 0 or 1).
    uvs: &'a [[f32; 2]],
    /// Texture coordinates from the mesh's (the material's transform, then the slot's).
    uv_matrix: Mat3,
    wrap: [Wrap; 2],
    nearest: bool,
}

impl<'a> AlphaCoverage<'a> {
    /// The test for `mesh` drawn with `material`; `None` unless the material is masked
    /// (then every point of the mesh is covered).
    pub fn of(scene: &'a Scene, material: &Material, mesh: &'a Mesh) -> Option<Self> {
        let AlphaMode::Mask { cutoff } = material.alpha_mode else {
            return None;
        };
        let texture = material.base_color_texture.as_ref().and_then(|slot| {
            let image = scene.image(slot.image)?;
            let uvs = if slot.uv_set == 1 && !mesh.uvs1.is_empty() {
                &mesh.uvs1
            } else {
                &mesh.uvs
            };
            let pixels = image.width as usize * image.height as usize;
            (pixels > 0 && image.rgba8.len() >= pixels * 4).then(|| CoverageTexture {
                image: image.as_ref(),
                uvs,
                uv_matrix: material.slot_uv_matrix(slot),
                wrap: [slot.sampler.wrap_s, slot.sampler.wrap_t],
                nearest: slot.sampler.mag_filter == Filter::Nearest,
            })
        });
        Some(Self {
            cutoff,
            factor: material.base_color[3],
            indices: &mesh.indices,
            colors: &mesh.colors,
            texture,
        })
    }

    /// Whether the point of triangle `tri` with barycentric weights `bary` (of its first,
    /// second and third corner) is drawn: its alpha reaches the cutoff.
    pub fn covers(&self, tri: usize, bary: Vec3) -> bool {
        self.alpha(tri, bary) >= self.cutoff
    }

    /// The alpha at the point of triangle `tri` with barycentric weights `bary`.
    pub fn alpha(&self, tri: usize, bary: Vec3) -> f32 {
        let Some(corners) = self.indices.get(tri * 3..tri * 3 + 3) else {
            return self.factor;
        };
        let weights = bary.to_array();
        let mut alpha = self.factor;
        if !self.colors.is_empty() {
            alpha *= corners
                .iter()
                .zip(weights)
                .map(|(&k, w)| self.colors.get(k as usize).map_or(1.0, |c| c[3]) * w)
                .sum::<f32>();
        }
        if let Some(t) = &self.texture {
            let uv = corners
                .iter()
                .zip(weights)
                .map(|(&k, w)| Vec2::from(t.uvs.get(k as usize).copied().unwrap_or_default()) * w)
                .sum::<Vec2>();
            alpha *= t.alpha_at(t.uv_matrix.transform_point2(uv));
        }
        alpha
    }
}

impl CoverageTexture<'_> {
    /// The texture's alpha at texture coordinates `uv` (0..1 across the image, v down).
    fn alpha_at(&self, uv: Vec2) -> f32 {
        let (w, h) = (self.image.width as usize, self.image.height as usize);
        let texel = |x: i64, y: i64| {
            let x = wrapped(x, w, self.wrap[0]);
            let y = wrapped(y, h, self.wrap[1]);
            self.image
                .rgba8
                .get((y * w + x) * 4 + 3)
                .map_or(1.0, |&a| f32::from(a) / 255.0)
        };
        if !uv.is_finite() {
            return texel(0, 0);
        }
        // Texel centres at (i + 0.5) / size. Kept within ±2⁴⁰ texels, where whole texels are
        // still apart in an f32's reach and the neighbours' indices cannot overflow.
        let p = (uv * Vec2::new(w as f32, h as f32)).clamp(Vec2::splat(-1e12), Vec2::splat(1e12));
        if self.nearest {
            return texel(p.x.floor() as i64, p.y.floor() as i64);
        }
        let p = p - 0.5;
        let (x0, y0) = (p.x.floor(), p.y.floor());
        let (fx, fy) = (p.x - x0, p.y - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let top = texel(x0, y0) * (1.0 - fx) + texel(x0 + 1, y0) * fx;
        let bottom = texel(x0, y0 + 1) * (1.0 - fx) + texel(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Texel column (or row) `i` of `size` wrapped as `wrap` says, in `0..size`.
fn wrapped(i: i64, size: usize, wrap: Wrap) -> usize {
    let n = size.max(1) as i64;
    let i = match wrap {
        Wrap::Repeat => i.rem_euclid(n),
        Wrap::ClampToEdge => i.clamp(0, n - 1),
        Wrap::MirroredRepeat => {
            let period = i.rem_euclid(2 * n);
            if period < n {
                period
            } else {
                2 * n - 1 - period
            }
        }
    };
    i as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{ImageId, Sampler, TextureRef, UvTransform};

    /// A 4 × 1 image whose alphas are 0, 255, 255, 0.
    fn stripes(scene: &mut Scene) -> ImageId {
        let rgba8 = [0u8, 255, 255, 0]
            .iter()
            .flat_map(|&a| [255, 255, 255, a])
            .collect();
        scene.add_image(Image::new("Stripes", 4, 1, rgba8).expect("4 x 1 pixels"))
    }

    /// One triangle whose corners read u = 0, 1 and 0 (v = 0.5).
    fn quad_strip() -> Mesh {
        let mut mesh = Mesh::new(
            vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            Vec::new(),
            vec![[0.0, 0.5], [1.0, 0.5], [0.0, 0.5]],
            Vec::new(),
            vec![0, 1, 2],
        );
        mesh.colors = vec![[1.0; 4]; 3];
        mesh
    }

    fn masked(image: ImageId, sampler: Sampler) -> Material {
        Material {
            alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
            base_color_texture: Some(TextureRef::new(image, sampler)),
            ..Material::default()
        }
    }

    /// The weights of the point at u along the first edge.
    fn at(u: f32) -> Vec3 {
        Vec3::new(1.0 - u, u, 0.0)
    }

    #[test]
    fn the_textures_alpha_cuts_holes_where_the_renderer_discards() {
        let mut scene = Scene::default();
        let image = stripes(&mut scene);
        let mesh = quad_strip();
        let nearest = Sampler {
            mag_filter: Filter::Nearest,
            ..Sampler::default()
        };
        let material = masked(image, nearest);
        let c = AlphaCoverage::of(&scene, &material, &mesh).expect("masked");
        // Texels 0..4 across u: holes in the first and last quarter.
        for (u, covered) in [(0.1, false), (0.3, true), (0.6, true), (0.9, false)] {
            assert_eq!(c.covers(0, at(u)), covered, "u {u}");
        }
        // Bilinear: halfway between texel centres 0 (0.125) and 1 (0.375) alpha is 0.5.
        let linear = masked(image, Sampler::default());
        let c = AlphaCoverage::of(&scene, &linear, &mesh).expect("masked");
        assert!((c.alpha(0, at(0.25)) - 0.5).abs() < 1e-3);
        assert!(c.alpha(0, at(0.2)) < 0.5 && c.alpha(0, at(0.3)) > 0.5);
        // Not masked: no test at all.
        let opaque = Material {
            alpha_mode: AlphaMode::Opaque,
            ..linear.clone()
        };
        assert!(AlphaCoverage::of(&scene, &opaque, &mesh).is_none());
    }

    #[test]
    fn factor_vertex_alpha_wrap_and_transform_all_count() {
        let mut scene = Scene::default();
        let image = stripes(&mut scene);
        let mut mesh = quad_strip();
        let nearest = Sampler {
            mag_filter: Filter::Nearest,
            ..Sampler::default()
        };
        // The factor's alpha halves every texel's: 0.5 × 1 still reaches a 0.5 cutoff,
        // 0.4 × 1 does not.
        let mut material = masked(image, nearest);
        material.base_color[3] = 0.4;
        let c = AlphaCoverage::of(&scene, &material, &mesh).expect("masked");
        assert!(!c.covers(0, at(0.3)));
        material.base_color[3] = 1.0;
        // Vertex alpha: the second corner transparent makes the point near it a hole.
        mesh.colors[1][3] = 0.0;
        let c = AlphaCoverage::of(&scene, &material, &mesh).expect("masked");
        assert!(c.covers(0, at(0.3)) && !c.covers(0, at(0.6)));
        mesh.colors[1][3] = 1.0;
        // Repeat wraps u = 1.3 onto 0.3 (covered); clamp keeps the last texel (a hole);
        // mirrored repeat reads 1.3 as 0.7 (covered) and 1.9 as 0.1 (a hole).
        let u_past = |wrap: Wrap, u: f32| {
            let sampler = Sampler {
                wrap_s: wrap,
                ..nearest
            };
            let m = masked(image, sampler);
            let mut mesh = mesh.clone();
            mesh.uvs[1] = [2.0, 0.5];
            AlphaCoverage::of(&scene, &m, &mesh)
                .expect("masked")
                .covers(0, at(u / 2.0))
        };
        assert!(u_past(Wrap::Repeat, 1.3));
        assert!(!u_past(Wrap::ClampToEdge, 1.3));
        assert!(u_past(Wrap::MirroredRepeat, 1.3));
        assert!(!u_past(Wrap::MirroredRepeat, 1.9));
        // The slot's transform: an offset of a quarter moves the holes with it.
        let mut shifted = masked(image, nearest);
        if let Some(slot) = &mut shifted.base_color_texture {
            slot.transform = UvTransform {
                offset: [0.25, 0.0],
                ..UvTransform::IDENTITY
            };
        }
        let c = AlphaCoverage::of(&scene, &shifted, &mesh).expect("masked");
        assert!(!c.covers(0, at(0.6)) && c.covers(0, at(0.1)));
        // The second UV set, where the slot asks for it and the mesh has one.
        let mut second = masked(image, nearest);
        if let Some(slot) = &mut second.base_color_texture {
            slot.uv_set = 1;
        }
        mesh.uvs1 = vec![[0.3, 0.5]; 3];
        let c = AlphaCoverage::of(&scene, &second, &mesh).expect("masked");
        assert!(c.covers(0, at(0.0)) && c.covers(0, at(0.9)));
    }

    #[test]
    fn missing_or_broken_parts_read_as_covered_never_panic() {
        let mut scene = Scene::default();
        let mesh = quad_strip();
        // A texture whose image is missing: the factor decides.
        let material = masked(ImageId(999), Sampler::default());
        let c = AlphaCoverage::of(&scene, &material, &mesh).expect("masked");
        assert!(c.covers(0, at(0.1)));
        // An image shorter than its size says, a triangle past the mesh, coordinates that
        // are not numbers.
        let mut short = Image::new("Short", 4, 4, vec![0; 64]).expect("4 x 4 pixels");
        short.rgba8.truncate(8);
        let short = scene.add_image(short);
        let c_short = masked(short, Sampler::default());
        let c = AlphaCoverage::of(&scene, &c_short, &mesh).expect("masked");
        assert!(c.covers(0, at(0.1)));
        let image = stripes(&mut scene);
        let material = masked(image, Sampler::default());
        let mut nan = mesh.clone();
        nan.uvs[0] = [f32::NAN, 0.0];
        let c = AlphaCoverage::of(&scene, &material, &nan).expect("masked");
        let _ = c.covers(0, at(0.5));
        assert!(c.covers(7, at(0.5)), "past the mesh: the factor alone");
        // Coordinates far past the image (a hostile file's), every wrap mode: an answer, no
        // overflow.
        for wrap in [Wrap::Repeat, Wrap::ClampToEdge, Wrap::MirroredRepeat] {
            let sampler = Sampler {
                wrap_s: wrap,
                wrap_t: wrap,
                ..Sampler::default()
            };
            let material = masked(image, sampler);
            for u in [3.0e38, -3.0e38, 1e20, -1e9] {
                let mut far = mesh.clone();
                far.uvs = vec![[u, u]; 3];
                let c = AlphaCoverage::of(&scene, &material, &far).expect("masked");
                let a = c.alpha(0, at(0.5));
                assert!((0.0..=1.0).contains(&a), "{wrap:?} at {u}: {a}");
            }
        }
    }
}
