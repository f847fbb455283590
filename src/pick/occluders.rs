//! What hides a cloud's splats or points from a selection that takes only what is seen
//! ([`super::front`]) besides the cloud's own elements: the opaque meshes in front of them,
//! as Blender's edit-mode selection without X-ray is hidden by the other objects drawn.
//!
//! [`mesh_depth`] rasterises, on the CPU, the view depth of the nearest opaque mesh at each
//! pixel centre of a view (the pixels [`super::Surface`] has). A mesh occludes when its node
//! is shown and its material is opaque: blended and transmissive materials show what is
//! behind them, and masked ones have holes this does not trace (so they never hide what
//! shows through them). A single-sided material's back faces are culled as the renderer
//! culls them, mirrored nodes' winding turned round (glTF 2.0 §3.7.4).

use super::front::{depth_at, image_size};
use super::{PickView, PxScale};
use crate::scene::{AlphaMode, Mesh, NodeKind, Scene};
use glam::{Mat3, Mat4, Vec2, Vec3};
use rayon::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering};

/// Triangles each rayon task rasterises.
const TRIANGLES_PER_TASK: usize = 512;

/// The view depth of the nearest opaque mesh at each pixel of one view.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Occluders {
    width: usize,
    height: usize,
    /// Row by row; infinite where no opaque mesh covers the pixel's centre.
    depth: Vec<f32>,
}

impl Occluders {
    /// The depth at pixel (`x`, `y`); infinite off the image.
    pub fn at(&self, x: usize, y: usize) -> f32 {
        depth_at(&self.depth, self.width, x, y)
    }

    /// Every pixel's depth, row by row.
    pub fn depths(&self) -> &[f32] {
        &self.depth
    }

    /// How many pixels an opaque mesh covers.
    pub fn covered(&self) -> usize {
        self.depth.iter().filter(|d| d.is_finite()).count()
    }

    /// Image width and height, in pixels.
    pub fn size(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    /// Whether no mesh covers any pixel.
    pub fn is_empty(&self) -> bool {
        self.covered() == 0
    }
}

/// How a mesh node's triangles face.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Facing {
    /// Double-sided: both sides occlude.
    Both,
    /// Single-sided, counter-clockwise (glTF's front face) seen from the front.
    CounterClockwise,
    /// Single-sided on a mirrored node: the winding turned round.
    Clockwise,
}

/// The view depth of the nearest opaque mesh at each pixel of `view`'s image (see the
/// module's documentation for which meshes count).
pub fn mesh_depth(scene: &Scene, view: &PickView) -> Occluders {
    let (width, height) = image_size(view);
    let depth: Vec<AtomicU32> = (0..width * height)
        .map(|_| AtomicU32::new(f32::INFINITY.to_bits()))
        .collect();
    let raster = Raster {
        width,
        height,
        half: view.size_px() * 0.5,
        scale: view.px_scale(),
        near: view.view.near,
        depth: &depth,
    };
    let view_from_world = view.view.view_from_world();
    let meshes: Vec<(&Mesh, Mat4, Facing)> = scene
        .walk()
        .into_iter()
        .filter(|wn| wn.visible)
        .filter_map(|wn| {
            let NodeKind::Mesh { mesh, material } = wn.node.kind else {
                return None;
            };
            let material = scene.material(material)?;
            if material.alpha_mode != AlphaMode::Opaque || material.is_transmissive() {
                return None;
            }
            let view_from_local = view_from_world * wn.world_from_local;
            let facing = if material.double_sided {
                Facing::Both
            } else if Mat3::from_mat4(wn.world_from_local).determinant() < 0.0 {
                Facing::Clockwise
            } else {
                Facing::CounterClockwise
            };
            view_from_local
                .is_finite()
                .then(|| Some((scene.mesh(mesh)?.as_ref(), view_from_local, facing)))
                .flatten()
        })
        .collect();
    // Every mesh's triangles in tasks of a few hundred, so one big mesh spreads over the
    // cores as well as many small ones.
    let tasks: Vec<(usize, usize)> = meshes
        .iter()
        .enumerate()
        .flat_map(|(m, (mesh, _, _))| {
            (0..mesh.triangle_count())
                .step_by(TRIANGLES_PER_TASK)
                .map(move |first| (m, first))
        })
        .collect();
    tasks.into_par_iter().for_each(|(m, first)| {
        let (mesh, view_from_local, facing) = &meshes[m];
        let last = (first + TRIANGLES_PER_TASK).min(mesh.triangle_count());
        for tri in mesh
            .indices
            .get(first * 3..last * 3)
            .unwrap_or(&[])
            .chunks_exact(3)
        {
            let corner = |k: u32| {
                mesh.positions
                    .get(k as usize)
                    .map(|p| view_from_local.transform_point3(Vec3::from(*p)))
            };
            if let (Some(a), Some(b), Some(c)) = (corner(tri[0]), corner(tri[1]), corner(tri[2])) {
                raster.triangle([a, b, c], *facing);
            }
        }
    });
    Occluders {
        width,
        height,
        depth: depth
            .into_iter()
            .map(|d| f32::from_bits(d.into_inner()))
            .collect(),
    }
}

/// Writes the nearest depth of triangles into a shared image.
struct Raster<'a> {
    width: usize,
    height: usize,
    /// The pixel of the view axis.
    half: Vec2,
    /// Orthographic views: depth is linear across the screen, not its inverse.
    scale: PxScale,
    near: f32,
    /// Bits of positive depths (which order like the depths), so `fetch_min` keeps the
    /// nearest.
    depth: &'a [AtomicU32],
}

impl Raster<'_> {
    /// A triangle given in view space (the camera at the origin looking down −Z).
    fn triangle(&self, v: [Vec3; 3], facing: Facing) {
        if !v.iter().all(|p| p.is_finite()) {
            return;
        }
        // Seen from its front when its normal (counter-clockwise, right-handed) points back
        // towards the camera.
        let sight = if self.scale.is_orthographic() {
            Vec3::NEG_Z
        } else {
            v[0]
        };
        let toward_camera = (v[1] - v[0]).cross(v[2] - v[0]).dot(sight) < 0.0;
        let culled = match facing {
            Facing::Both => false,
            Facing::CounterClockwise => !toward_camera,
            Facing::Clockwise => toward_camera,
        };
        if culled {
            return;
        }
        // Clipped to the near plane (depth = −z ≥ near): at most four corners.
        let mut corners = [Vec3::ZERO; 4];
        let mut count = 0;
        for k in 0..3 {
            let (p, q) = (v[k], v[(k + 1) % 3]);
            let (dp, dq) = (-p.z - self.near, -q.z - self.near);
            if dp >= 0.0 {
                corners[count] = p;
                count += 1;
            }
            if (dp >= 0.0) != (dq >= 0.0) {
                corners[count] = p + (q - p) * (dp / (dp - dq));
                count += 1;
            }
        }
        if count < 3 {
            return;
        }
        // On the image: the pixel and the inverse depth, which is linear across the screen
        // (the depth itself in an orthographic view).
        let on_image = |p: Vec3| {
            let depth = (-p.z).max(self.near);
            let pixel = self.half + Vec2::new(p.x, -p.y) * self.scale.at(depth);
            match self.scale {
                PxScale::Orthographic { .. } => (pixel, depth),
                PxScale::Perspective { .. } => (pixel, 1.0 / depth),
            }
        };
        let mut projected = [(Vec2::ZERO, 0.0); 4];
        for (out, &corner) in projected.iter_mut().zip(&corners[..count]) {
            *out = on_image(corner);
        }
        for k in 1..count - 1 {
            self.fill([projected[0], projected[k], projected[k + 1]]);
        }
    }

    /// Fills the pixels whose centres a projected triangle covers (edges included), given
    /// its corners' pixels and what is linear across the screen (see `triangle`).
    fn fill(&self, [(a, ia), (b, ib), (c, ic)]: [(Vec2, f32); 3]) {
        let area = (b - a).perp_dot(c - a);
        if !area.is_finite() || area == 0.0 {
            return;
        }
        let lo = a.min(b).min(c);
        let hi = a.max(b).max(c);
        // Pixel x's centre is at x + 0.5.
        let x0 = (lo.x - 0.5).ceil().max(0.0);
        let y0 = (lo.y - 0.5).ceil().max(0.0);
        let x1 = (hi.x - 0.5).floor().min(self.width as f32 - 1.0);
        let y1 = (hi.y - 0.5).floor().min(self.height as f32 - 1.0);
        if !(x0 <= x1 && y0 <= y1) {
            return;
        }
        let (x0, y0, x1, y1) = (x0 as usize, y0 as usize, x1 as usize, y1 as usize);
        let inv_area = 1.0 / area;
        for y in y0..=y1 {
            for x in x0..=x1 {
                let p = Vec2::new(x as f32 + 0.5, y as f32 + 0.5);
                // Barycentric weights, each ≥ 0 inside (whichever way the triangle winds).
                let wa = (c - b).perp_dot(p - b) * inv_area;
                let wb = (a - c).perp_dot(p - c) * inv_area;
                let wc = 1.0 - wa - wb;
                if wa < 0.0 || wb < 0.0 || wc < 0.0 {
                    continue;
                }
                let linear = wa * ia + wb * ib + wc * ic;
                if linear > 0.0 {
                    let depth = if self.scale.is_orthographic() {
                        linear
                    } else {
                        1.0 / linear
                    };
                    self.depth[y * self.width + x].fetch_min(depth.to_bits(), Ordering::Relaxed);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::shapes;
    use crate::pick::front::tests::view;
    use crate::scene::{Material, Transform};
    use glam::Quat;

    /// A 4 × 4 m plane facing +Z (the camera) at `z`, turned by `turn` about Y first.
    fn wall(scene: &mut Scene, z: f32, turn: f32, material: Material) {
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(4.0), 1));
        let material = scene.add_material(material);
        scene.add_node(
            None,
            "Wall",
            Transform::from_translation(Vec3::new(0.0, 0.0, z)).with_rotation(
                Quat::from_rotation_y(turn) * Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
            ),
            NodeKind::Mesh { mesh, material },
        );
    }

    fn grey() -> Material {
        Material::named("Grey", [0.5, 0.5, 0.5, 1.0], 0.5)
    }

    #[test]
    fn an_opaque_wall_covers_its_pixels_at_its_depth() {
        let mut scene = Scene::new("Wall");
        // 2 m in front of the origin: 8 m from the camera, ±2 m → ±25 px about the middle.
        wall(&mut scene, 2.0, 0.0, grey());
        let depth = mesh_depth(&scene, &view());
        assert_eq!(depth.size(), (200, 200));
        assert!(
            (depth.at(100, 100) - 8.0).abs() < 1e-3,
            "{}",
            depth.at(100, 100)
        );
        assert!((depth.at(76, 124) - 8.0).abs() < 1e-3);
        assert!(depth.at(74, 100).is_infinite() && depth.at(126, 100).is_infinite());
        // Two walls: the nearer wins.
        wall(&mut scene, 4.0, 0.0, grey());
        assert!((mesh_depth(&scene, &view()).at(100, 100) - 6.0).abs() < 1e-3);
    }

    #[test]
    fn depth_is_perspective_correct_across_a_slanted_wall() {
        let mut scene = Scene::new("Slanted");
        // Turned 60° about Y: x = 0.5 s, z = −0.866 s along the wall.
        wall(&mut scene, 0.0, std::f32::consts::FRAC_PI_3, grey());
        let depth = mesh_depth(&scene, &view());
        for x in [90usize, 100, 105] {
            // The ray (slope t, 0, 10 − t) through pixel x's centre meets the wall's line
            // z = −√3 x at depth t = 10 / (1 − √3 slope).
            let slope = (x as f32 + 0.5 - 100.0) / 100.0;
            let expected = 10.0 / (1.0 - 3f32.sqrt() * slope);
            let got = depth.at(x, 100);
            assert!(
                (got - expected).abs() < 1e-3 * expected,
                "{x}: {got} vs {expected}"
            );
        }
    }

    /// [`view`] made orthographic: 10 m tall over its 200 px (20 px per metre).
    fn ortho_view() -> PickView {
        let v = view();
        PickView::new(
            crate::scene::CameraView {
                ortho: Some(crate::scene::Ortho {
                    half_height: 5.0,
                    far: 100.0,
                }),
                ..v.view
            },
            v.size_px().x,
            v.size_px().y,
        )
    }

    #[test]
    fn orthographic_depth_is_linear_and_walls_keep_their_size_at_any_depth() {
        for z in [2.0, -30.0] {
            let mut scene = Scene::new("Wall");
            wall(&mut scene, z, 0.0, grey());
            let depth = mesh_depth(&scene, &ortho_view());
            // ±2 m → ±40 px about the middle, wherever the wall stands.
            assert!((depth.at(100, 100) - (10.0 - z)).abs() < 1e-3, "{z}");
            assert!(depth.at(61, 139).is_finite() && depth.at(138, 61).is_finite());
            assert!(depth.at(59, 100).is_infinite() && depth.at(141, 100).is_infinite());
            assert_eq!(depth.covered(), 80 * 80, "{z}");
        }
        // Across a wall turned 60° the depth runs linearly with x: z = −√3 x.
        let mut scene = Scene::new("Slanted");
        wall(&mut scene, 0.0, std::f32::consts::FRAC_PI_3, grey());
        let depth = mesh_depth(&scene, &ortho_view());
        for x in [90usize, 100, 105] {
            let metres = (x as f32 + 0.5 - 100.0) / 20.0;
            let expected = 10.0 + 3f32.sqrt() * metres;
            let got = depth.at(x, 100);
            assert!((got - expected).abs() < 1e-3, "{x}: {got} vs {expected}");
        }
        // Its back face, single-sided, hides nothing from an orthographic view either.
        let mut scene = Scene::new("Behind");
        wall(&mut scene, 2.0, std::f32::consts::PI, grey());
        assert!(mesh_depth(&scene, &ortho_view()).is_empty());
    }

    #[test]
    fn back_faces_of_single_sided_walls_and_see_through_materials_hide_nothing() {
        let seen_from_behind = |material: Material| {
            let mut scene = Scene::new("Behind");
            wall(&mut scene, 2.0, std::f32::consts::PI, material);
            mesh_depth(&scene, &view()).is_empty()
        };
        assert!(seen_from_behind(grey()));
        assert!(!seen_from_behind(Material {
            double_sided: true,
            ..grey()
        }));
        for material in [
            Material {
                alpha_mode: AlphaMode::Blend,
                ..grey()
            },
            Material {
                alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
                ..grey()
            },
            Material {
                transmission: 1.0,
                ..grey()
            },
        ] {
            let mut scene = Scene::new("See-through");
            wall(&mut scene, 2.0, 0.0, material.clone());
            assert!(mesh_depth(&scene, &view()).is_empty(), "{material:?}");
        }
        // A hidden wall hides nothing.
        let mut scene = Scene::new("Hidden");
        wall(&mut scene, 2.0, 0.0, grey());
        let node = scene.roots()[0];
        scene.set_visible(node, false);
        assert!(mesh_depth(&scene, &view()).is_empty());
    }

    #[test]
    fn a_wall_hides_the_elements_behind_it_from_a_selection_of_what_is_seen() {
        use crate::pick::{FrontElements, ScreenShape, in_front_at, select_visible, surface};
        use crate::scene::SplatCloud;
        // Side by side, 1 m apart: in front of the wall at z = 2, on it (within their size)
        // and 2 m behind it; splats 1 m across, and points drawn 4 px wide.
        let positions = vec![[-1.0, 0.0, 3.0], [0.0, 0.0, 2.05], [1.0, 0.0, 0.0]];
        let cloud = SplatCloud::new(
            positions.clone(),
            vec![[0.0, 0.0, 0.0, 1.0]; 3],
            vec![[0.5; 3]; 3],
            vec![1.0; 3],
            vec![[0.5; 3]; 3],
            0,
            Vec::new(),
        )
        .unwrap();
        // Their centres land at pixels 85.7, 100 and 110 of the middle row.
        let centres = [85.7, 100.0, 110.0].map(|x| Vec2::new(x, 100.0));
        let all = ScreenShape::Rect {
            min: Vec2::new(70.0, 90.0),
            max: Vec2::new(130.0, 110.0),
        };
        let mut scene = Scene::new("Wall");
        wall(&mut scene, 2.0, 0.0, grey());
        let occluders = mesh_depth(&scene, &view());
        for elements in [
            FrontElements::Splats(&cloud),
            FrontElements::Points {
                positions: &positions,
                size_px: 4.0,
            },
        ] {
            let seen = |occluded: bool| {
                let mut surface = surface(&view(), Mat4::IDENTITY, elements, |_| false);
                if occluded {
                    surface.hide_behind(&occluders);
                }
                let mask =
                    select_visible(&surface, &view(), Mat4::IDENTITY, elements, |_| false, &all);
                let taken: Vec<bool> = (0..3).map(|i| mask.get(i)).collect();
                let clicked: Vec<bool> = (0..3)
                    .map(|i| {
                        let at = centres[i];
                        in_front_at(&surface, &view(), Mat4::IDENTITY, elements, i, at)
                    })
                    .collect();
                (taken, clicked)
            };
            let everything = vec![true; 3];
            assert_eq!(
                seen(false),
                (everything.clone(), everything),
                "{elements:?}"
            );
            let in_front = vec![true, true, false];
            assert_eq!(seen(true), (in_front.clone(), in_front), "{elements:?}");
        }
    }

    #[test]
    fn a_mirrored_wall_keeps_its_front_and_a_wall_through_the_camera_is_clipped() {
        // Mirrored in X and seen from the front: still there.
        let mut scene = Scene::new("Mirror");
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(4.0), 1));
        let material = scene.add_material(grey());
        scene.add_node(
            None,
            "Mirrored",
            Transform::IDENTITY
                .with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2))
                .with_scale(Vec3::new(-1.0, 1.0, 1.0)),
            NodeKind::Mesh { mesh, material },
        );
        assert!((mesh_depth(&scene, &view()).at(100, 100) - 10.0).abs() < 1e-3);
        // A floor reaching from behind the camera to far ahead: clipped at the near plane,
        // its far part covers the lower half of the image.
        let mut scene = Scene::new("Floor");
        let mesh = scene.add_mesh(shapes::plane(Vec2::splat(100.0), 1));
        let material = scene.add_material(grey());
        scene.add_node(
            None,
            "Floor",
            Transform::from_translation(Vec3::new(0.0, -1.0, 0.0)),
            NodeKind::Mesh { mesh, material },
        );
        let depth = mesh_depth(&scene, &view());
        // Pixel row y sees the floor (1 m down) at depth 100 / (y + 0.5 − 100).
        let got = depth.at(100, 150);
        assert!((got - 100.0 / 50.5).abs() < 1e-3, "{got}");
        assert!(depth.at(100, 90).is_infinite());
    }
}
