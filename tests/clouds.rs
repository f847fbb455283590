//! Point clouds, Gaussian splats and unlit ("as captured") colour, rendered headless through
//! `Renderer::render`: goldens, pixel checks of depth compositing and view-dependent colour,
//! robustness (camera inside the cloud, degenerate splats) and upload/sort counts.

use crate::common;

use common::Rng;

use common::*;
use glam::{Mat4, Quat, Vec2, Vec3};
use half::f16;
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{
    CloudHighlight, FrameInput, OffscreenTarget, RenderSettings, Renderer, SplatSort,
};
use worldsmith::scene::{
    CameraView, ElementMask, Material, NodeId, NodeKind, PointCloud, Scene, SplatCloud, ToneMapper,
    Transform,
};

const W: u32 = 320;
const H: u32 = 180;

/// Splats built one by one (degree 0 unless SH rest is given).
#[derive(Default)]
struct Splats {
    positions: Vec<[f32; 3]>,
    rotations: Vec<[f32; 4]>,
    scales: Vec<[f32; 3]>,
    opacities: Vec<f32>,
    colors: Vec<[f32; 3]>,
}

impl Splats {
    fn push(&mut self, p: Vec3, q: Quat, s: Vec3, opacity: f32, color: [f32; 3]) {
        self.positions.push(p.to_array());
        self.rotations.push(q.to_array());
        self.scales.push(s.to_array());
        self.opacities.push(opacity);
        self.colors.push(color);
    }

    /// An ellipsoid filled with `n` small splats of one colour (slightly varied).
    fn ellipsoid(&mut self, rng: &mut Rng, center: Vec3, radii: Vec3, color: [f32; 3], n: usize) {
        for _ in 0..n {
            let p = center + rng.in_ball() * radii;
            let shade = rng.range(0.9, 1.05);
            let s = Vec3::splat(rng.range(0.03, 0.06));
            let q = rng.rotation();
            self.push(p, q, s, 0.85, color.map(|c| c * shade));
        }
    }

    fn build(self, sh_degree: u8, sh_rest: Vec<f16>) -> SplatCloud {
        SplatCloud::new(
            self.positions,
            self.rotations,
            self.scales,
            self.opacities,
            self.colors,
            sh_degree,
            sh_rest,
        )
        .expect("consistent splat arrays")
    }
}

pub(crate) fn add_splats(scene: &mut Scene, name: &str, cloud: SplatCloud, t: Transform) -> NodeId {
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(None, name, t, NodeKind::Splats { cloud })
}

fn ground(scene: &mut Scene) {
    add_mesh(
        scene,
        "Ground",
        shapes::plane(Vec2::splat(30.0), 1),
        Material::named("Ground", [0.45, 0.45, 0.42, 1.0], 0.9),
        Transform::IDENTITY,
    );
}

fn sunny(scene: &mut Scene) {
    add_sun(scene, Vec3::new(0.4, 0.8, 0.5), 100_000.0, true);
    scene.environment.exposure_ev100 = 15.0;
}

/// A few coloured ellipsoids of many small splats plus a few large anisotropic splats.
fn ellipsoid_scene() -> Scene {
    let mut scene = Scene::new("Splat ellipsoids");
    ground(&mut scene);
    sunny(&mut scene);
    let mut rng = Rng(11);
    let mut s = Splats::default();
    s.ellipsoid(
        &mut rng,
        Vec3::new(-1.6, 0.9, 0.0),
        Vec3::new(0.7, 0.9, 0.7),
        [0.85, 0.2, 0.15],
        3000,
    );
    s.ellipsoid(
        &mut rng,
        Vec3::new(0.3, 0.6, 0.4),
        Vec3::new(1.0, 0.5, 0.5),
        [0.2, 0.7, 0.3],
        3000,
    );
    s.ellipsoid(
        &mut rng,
        Vec3::new(1.9, 1.1, -0.6),
        Vec3::new(0.5, 1.1, 0.5),
        [0.2, 0.35, 0.9],
        3000,
    );
    // Large anisotropic splats: thin, long, tilted.
    for (i, color) in [[0.95, 0.85, 0.2], [0.9, 0.5, 0.9], [0.3, 0.9, 0.9]]
        .into_iter()
        .enumerate()
    {
        let x = -1.5 + 1.5 * i as f32;
        s.push(
            Vec3::new(x, 2.4, 0.5),
            Quat::from_rotation_z(0.5 * (i as f32 - 1.0)) * Quat::from_rotation_y(0.6),
            Vec3::new(0.7, 0.06, 0.15),
            0.9,
            color,
        );
    }
    add_splats(
        &mut scene,
        "Blobs",
        s.build(0, Vec::new()),
        Transform::IDENTITY,
    );
    scene
}

/// The splat sorts of a frame, on the CPU or the GPU (`SplatSort::Auto` picks the GPU's
/// compute sort on a real GPU, the CPU's on lavapipe).
fn sorts(stats: &worldsmith::render::FrameStats) -> u32 {
    stats.splat_sorts + stats.gpu_splat_sorts
}

fn ellipsoid_view() -> CameraView {
    look(Vec3::new(0.5, 2.6, 6.5), Vec3::new(0.2, 1.0, 0.0), 50.0)
}

#[test]
fn splat_ellipsoids_golden() {
    let Some(ctx) = gpu() else { return };
    let img = render(&ctx, &ellipsoid_scene(), ellipsoid_view(), W, H);
    check_golden("splats_ellipsoids", &img);
}

#[test]
fn splats_render_alike_with_and_without_msaa() {
    let Some(ctx) = gpu() else { return };
    let scene = ellipsoid_scene();
    let msaa4 = render(&ctx, &scene, ellipsoid_view(), W, H);
    let msaa1 = render_with(
        &ctx,
        &scene,
        ellipsoid_view(),
        W,
        H,
        RenderSettings {
            msaa: 1,
            ..RenderSettings::final_frame()
        },
        &[],
    );
    let d = diff(&msaa4, &msaa1);
    assert!(
        d.bad_fraction < 0.03 && d.mean_abs < 3.0,
        "MSAA 1 and 4 differ beyond edge antialiasing: {d:?}"
    );
}

#[test]
fn paged_splat_cloud_renders_like_a_single_page() {
    let Some(ctx) = gpu() else { return };
    let scene = ellipsoid_scene();
    let whole = render(&ctx, &scene, ellipsoid_view(), W, H);
    let mut r = Renderer::new(&ctx);
    // 9003 splats in pages of 4096 (3 pages).
    r.limit_cloud_page_bytes(4096 * 32);
    let frame = final_frame(&scene, ellipsoid_view());
    let (paged, stats) = r.render_to_image(&ctx, &frame, W, H).expect("readback");
    assert_eq!(sorts(&stats), 3, "{stats:?}");
    let d = diff(&whole, &paged);
    assert!(
        d.bad_fraction < 0.02 && d.mean_abs < 2.0,
        "paging changed the image: {d:?}"
    );
}

fn point_scene() -> Scene {
    let mut scene = Scene::new("Point cloud");
    ground(&mut scene);
    sunny(&mut scene);
    // A sphere of points coloured by direction, and a helix without colours (white).
    let mut rng = Rng(5);
    let mut positions = Vec::new();
    let mut colors = Vec::new();
    for _ in 0..4000 {
        let d = rng.in_ball().normalize_or(Vec3::Y);
        positions.push((d * 1.2).to_array());
        let c = (d * 0.5 + 0.5) * 255.0;
        colors.push([c.x as u8, c.y as u8, c.z as u8, 255]);
    }
    crate::common::add_point_node(
        &mut scene,
        "Sphere points",
        Transform::from_translation(Vec3::new(-1.0, 1.4, 0.0)),
        PointCloud::new(positions, colors, Vec::new()),
        4.0,
    );
    let helix: Vec<[f32; 3]> = (0..400)
        .map(|i| {
            let t = i as f32 * 0.08;
            [0.5 * t.cos(), t * 0.1, 0.5 * t.sin()]
        })
        .collect();
    crate::common::add_point_node(
        &mut scene,
        "Helix",
        Transform::from_translation(Vec3::new(1.6, 0.2, 0.0)).with_scale(Vec3::new(1.0, 1.0, 1.0)),
        PointCloud::new(helix, Vec::new(), Vec::new()),
        6.0,
    );
    scene
}

#[test]
fn point_cloud_golden() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 2.5, 6.0), Vec3::new(0.0, 1.2, 0.0), 50.0);
    let img = render(&ctx, &point_scene(), view, W, H);
    check_golden("points_sphere_helix", &img);
}

/// The pixel of a W×H frame seen through `view` that the world point `p` falls in.
fn pixel_of(view: CameraView, p: Vec3) -> (u32, u32) {
    let c = view.clip_from_world(W as f32 / H as f32) * p.extend(1.0);
    (
        ((c.x / c.w * 0.5 + 0.5) * W as f32) as u32,
        ((0.5 - c.y / c.w * 0.5) * H as f32) as u32,
    )
}

fn pixel(img: &RgbaImage, x: u32, y: u32) -> [u8; 3] {
    let p = img.get_pixel(x, y);
    [p[0], p[1], p[2]]
}

fn assert_close(what: &str, got: [u8; 3], want: [u8; 3], tolerance: u8) {
    let ok = got
        .iter()
        .zip(want)
        .all(|(g, w)| g.abs_diff(w) <= tolerance);
    assert!(ok, "{what}: got {got:?}, want {want:?} ± {tolerance}");
}

fn srgb_to_linear(c: u8) -> f32 {
    let c = f32::from(c) / 255.0;
    if c <= 0.04045 {
        c / 12.92
    } else {
        ((c + 0.055) / 1.055).powf(2.4)
    }
}

fn unlit(name: &str, srgb: [u8; 3]) -> Material {
    Material {
        name: name.into(),
        base_color: [
            srgb_to_linear(srgb[0]),
            srgb_to_linear(srgb[1]),
            srgb_to_linear(srgb[2]),
            1.0,
        ],
        unlit: true,
        ..Default::default()
    }
}

#[test]
fn unlit_colour_is_shown_as_captured_at_any_exposure() {
    let Some(ctx) = gpu() else { return };
    let colours = [
        [200u8, 120, 60],
        [40, 90, 160],
        [128, 128, 128],
        [250, 240, 230],
    ];
    let mut scene = Scene::new("Unlit");
    sunny(&mut scene);
    for (i, c) in colours.iter().enumerate() {
        add_mesh(
            &mut scene,
            &format!("Quad {i}"),
            shapes::plane(Vec2::splat(1.0), 1),
            unlit(&format!("Unlit {i}"), *c),
            Transform::from_translation(Vec3::new(i as f32 * 1.2 - 1.8, 0.0, 0.0)),
        );
    }
    // Straight down onto the quads.
    let view = look(Vec3::new(0.0, 4.0, 0.001), Vec3::ZERO, 50.0);
    for (ev, tone) in [
        (15.0, ToneMapper::Aces),
        (9.0, ToneMapper::Aces),
        (12.0, ToneMapper::Linear),
    ] {
        scene.environment_mut().exposure_ev100 = ev;
        scene.environment_mut().tone_mapper = tone;
        let img = render(&ctx, &scene, view, W, H);
        for (i, c) in colours.iter().enumerate() {
            // The quad centre's pixel.
            let (x, y) = pixel_of(view, Vec3::new(i as f32 * 1.2 - 1.8, 0.0, 0.0));
            assert_close(
                &format!("quad {i} at EV {ev} {tone:?}"),
                pixel(&img, x, y),
                *c,
                2,
            );
        }
    }
}

/// A dense opaque blob of one colour.
pub(crate) fn blob(center: Vec3, radius: f32, color: [f32; 3], n: usize, seed: u64) -> SplatCloud {
    blobs(&[(center, radius)], color, n, seed)
}

/// Dense opaque blobs of one colour in one cloud, `n` splats each.
fn blobs(spheres: &[(Vec3, f32)], color: [f32; 3], n: usize, seed: u64) -> SplatCloud {
    let mut rng = Rng(seed);
    let mut s = Splats::default();
    for &(center, radius) in spheres {
        for _ in 0..n {
            let p = center + rng.in_ball() * radius;
            let q = rng.rotation();
            s.push(p, q, Vec3::splat(radius * 0.12), 0.95, color);
        }
    }
    s.build(0, Vec::new())
}

#[test]
fn meshes_and_splats_occlude_each_other_by_depth() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Depth compositing");
    sunny(&mut scene);
    // Blob at the origin; one cube in front of its right half, one behind its left half.
    let blob_srgb = [0.3f32, 0.55, 0.85];
    add_splats(
        &mut scene,
        "Blob",
        blob(Vec3::ZERO, 1.0, blob_srgb, 6000, 3),
        Transform::IDENTITY,
    );
    let front = [230u8, 140, 40];
    let back = [60u8, 200, 80];
    add_mesh(
        &mut scene,
        "Front cube",
        shapes::cube(1.0),
        unlit("Front", front),
        Transform::from_translation(Vec3::new(0.8, 0.0, 1.6)),
    );
    add_mesh(
        &mut scene,
        "Back cube",
        shapes::cube(2.4),
        unlit("Back", back),
        Transform::from_translation(Vec3::new(-0.8, 0.0, -2.0)),
    );
    let view = look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 50.0);
    let to_px = |p: Vec3| pixel_of(view, p);
    let blob_u8 = blob_srgb.map(|c| (c * 255.0 + 0.5) as u8);
    for msaa in [1, 4] {
        let settings = RenderSettings {
            msaa,
            ..RenderSettings::final_frame()
        };
        let img = render_with(&ctx, &scene, view, W, H, settings, &[]);
        let (x, y) = to_px(Vec3::new(0.8, 0.0, 2.1));
        assert_close("cube in front of splats", pixel(&img, x, y), front, 2);
        let (x, y) = to_px(Vec3::new(-0.4, 0.0, 1.0));
        assert_close("splats in front of cube", pixel(&img, x, y), blob_u8, 4);
        // The back cube shows where the blob does not cover it.
        let (x, y) = to_px(Vec3::new(-1.8, 1.0, -0.8));
        assert_close("back cube beside the blob", pixel(&img, x, y), back, 2);
    }
}

#[test]
fn splats_blend_in_their_own_layer_and_keep_mesh_edges_antialiased() {
    let Some(ctx) = gpu() else { return };
    // A red cube, turned so its edges cross pixels slantwise, before a dense green blob that
    // fills the view around it (no sky shows near the cube); then behind a second blob that
    // hides it whole.
    let blob_srgb = [60u8, 200, 80];
    let front = [230u8, 40, 40];
    let turned = Quat::from_rotation_z(0.5) * Quat::from_rotation_y(0.4);
    let cube_at = Vec3::new(0.0, 0.0, 2.0);
    let scene = |hidden: bool| {
        let mut scene = Scene::new("Edges and splats");
        sunny(&mut scene);
        let green = blob_srgb.map(|c| c as f32 / 255.0);
        let mut spheres = vec![(Vec3::ZERO, 1.6)];
        if hidden {
            spheres.push((Vec3::new(0.0, 0.0, 3.4), 0.9));
        }
        add_splats(
            &mut scene,
            "Blobs",
            blobs(&spheres, green, 9000, 5),
            Transform::IDENTITY,
        );
        add_mesh(
            &mut scene,
            "Cube",
            shapes::cube(1.0),
            unlit("Front", front),
            Transform {
                translation: cube_at,
                rotation: turned,
                scale: Vec3::ONE,
            },
        );
        scene
    };
    let view = look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 50.0);
    // The screen box around the cube, with a margin.
    let corners: Vec<(u32, u32)> = (0..8)
        .map(|i| {
            let c = Vec3::new(
                if i & 1 == 0 { -0.5 } else { 0.5 },
                if i & 2 == 0 { -0.5 } else { 0.5 },
                if i & 4 == 0 { -0.5 } else { 0.5 },
            );
            pixel_of(view, cube_at + turned * c)
        })
        .collect();
    let x0 = corners.iter().map(|c| c.0).min().unwrap() - 4;
    let x1 = corners.iter().map(|c| c.0).max().unwrap() + 4;
    let y0 = corners.iter().map(|c| c.1).min().unwrap() - 4;
    let y1 = corners.iter().map(|c| c.1).max().unwrap() + 4;
    // How far a colour lies from every mix of the cube's red and the blob's green, and how
    // red it is.
    let off_mix = |c: [u8; 3]| {
        let [a, b, c] = [front, blob_srgb, c].map(|v| Vec3::from_array(v.map(f32::from)));
        let t = ((c - a).dot(b - a) / (b - a).length_squared()).clamp(0.0, 1.0);
        (c - (a + (b - a) * t)).length()
    };
    let redness = |c: [u8; 3]| f32::from(c[0]) - f32::from(c[1]);
    let mut reds_at = Vec::new();
    for msaa in [4, 1] {
        for hidden in [false, true] {
            let scene = scene(hidden);
            let mut r = Renderer::new(&ctx);
            let mut frame = final_frame(&scene, view);
            frame.settings.msaa = msaa;
            let (img, stats) = r.render_to_image(&ctx, &frame, W, H).expect("readback");
            let what = format!("MSAA {msaa}, cube hidden: {hidden}");
            // With MSAA the splats blend at one sample per pixel in their layer.
            assert_eq!(stats.splat_layers, u32::from(msaa > 1), "{what}");
            let (mut worst, mut at) = (0.0f32, (0, 0));
            let (mut reds, mut edges, mut reddest) = (0, 0, f32::MIN);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let c = pixel(&img, x, y);
                    let d = off_mix(c);
                    if d > worst {
                        (worst, at) = (d, (x, y));
                    }
                    reds += usize::from(redness(c) > 150.0);
                    edges += usize::from((-100.0..=150.0).contains(&redness(c)));
                    reddest = reddest.max(redness(c));
                }
            }
            // A pixel the cube's edge half covers shows red and green, and no more of the
            // sky the opaque pass left in its uncovered samples than the quarter an MSAA
            // resolve leaves there (the display pass starts from the resolved opaque image:
            // 25.5 off here, as when splats blended in the MSAA display pass itself; a
            // depth resolve that took the nearest sample left 63).
            assert!(
                worst < 35.0,
                "{what}: {:?} at {at:?} is no mix of red and green ({worst:.1} off)",
                pixel(&img, at.0, at.1)
            );
            if hidden {
                // Not a trace of the cube, not even its outline: the blob in front covers
                // its edge pixels' every sample.
                assert!(reddest < -100.0, "{what}: red {reddest} shows through");
            } else {
                assert!(reds > 400, "{what}: {reds} red pixels");
                reds_at.push((msaa, reds, edges));
            }
        }
    }
    // With MSAA the cube's edges are antialiased over the splats (pixels between red and
    // green: fewer than two in a row hard-edged), as without splats; without MSAA they are
    // hard.
    let [(_, reds4, edges4), (_, reds1, edges1)] = reds_at[..] else {
        panic!("{reds_at:?}")
    };
    assert!(
        edges4 > 2 * edges1.max(10) && reds4.abs_diff(reds1) < edges4,
        "edge pixels MSAA 4: {edges4} (of {reds4} red), MSAA 1: {edges1} (of {reds1})"
    );
}

#[test]
fn the_viewport_grid_lies_under_splats_in_front_of_it_and_over_those_beyond() {
    let Some(ctx) = gpu() else { return };
    // Dense opaque blobs of one cloud seen along the grid's blue Z axis (x = 0, the centre
    // column): eye, target, and per blob (centre, radius, whether the grid's plane lies
    // between it and the eye).
    type Case = (Vec3, Vec3, Vec<(Vec3, f32, bool)>);
    let cases: [Case; 4] = [
        // Resting on the grid, seen from above: the grid runs behind the blob.
        (
            Vec3::new(0.0, 4.0, 6.0),
            Vec3::new(0.0, 1.0, 0.0),
            vec![(Vec3::new(0.0, 1.0, 0.0), 1.0, false)],
        ),
        // Under the grid (a world model's floor below y = 0), seen from above.
        (
            Vec3::new(0.0, 4.0, 6.0),
            Vec3::new(0.0, -1.5, 0.0),
            vec![(Vec3::new(0.0, -1.5, 0.0), 1.0, true)],
        ),
        // Above the grid, seen from below it.
        (
            Vec3::new(0.0, -3.0, 6.0),
            Vec3::new(0.0, 1.5, 0.0),
            vec![(Vec3::new(0.0, 1.5, 0.0), 1.0, true)],
        ),
        // One cloud on both sides of the grid: one blob above it, one below.
        (
            Vec3::new(0.0, 4.0, 6.0),
            Vec3::new(0.0, 0.0, 1.6),
            vec![
                (Vec3::new(0.0, 1.0, 0.0), 0.8, false),
                (Vec3::new(0.0, -1.2, 2.5), 0.8, true),
            ],
        ),
    ];
    for (eye, target, spheres) in cases {
        let mut scene = Scene::new("Grid and splats");
        let centers: Vec<_> = spheres.iter().map(|&(c, r, _)| (c, r)).collect();
        add_splats(
            &mut scene,
            "Blobs",
            blobs(&centers, [0.85, 0.45, 0.2], 8000, 5),
            Transform::IDENTITY,
        );
        let view = look(eye, target, 50.0);
        let to_px = |p: Vec3| pixel_of(view, p);
        // The rows over each blob's middle, in the centre column.
        let middles: Vec<_> = spheres
            .iter()
            .map(|&(center, radius, _)| {
                let (_, a) = to_px(center + Vec3::Y * radius * 0.45);
                let (_, b) = to_px(center - Vec3::Y * radius * 0.45);
                a.min(b)..=a.max(b)
            })
            .collect();
        let cx = W / 2;
        // CPU-sorted splats are split in their sorted order, GPU-sorted ones by the pipeline.
        for sort in [SplatSort::Cpu, SplatSort::Gpu] {
            let with_grid = RenderSettings {
                splat_sort: sort,
                ..RenderSettings::viewport()
            };
            let mut without_grid = with_grid;
            without_grid.overlays.grid = false;
            let grid = render_with(&ctx, &scene, view, W, H, with_grid, &[]);
            let plain = render_with(&ctx, &scene, view, W, H, without_grid, &[]);
            let bluer = |y: u32| pixel(&grid, cx, y)[2] > pixel(&plain, cx, y)[2] + 20;
            // The grid is drawn: its Z axis runs down the centre column beside the blobs.
            assert!(
                (0..H)
                    .filter(|y| !middles.iter().any(|m| m.contains(y)))
                    .any(bluer),
                "{sort:?}, eye {eye}: no Z axis"
            );
            // Over a blob's middle the grid shows only where its plane lies in between.
            for (&(center, _, grid_between), rows) in spheres.iter().zip(&middles) {
                for y in rows.clone() {
                    if grid_between {
                        // The grid's blue over the blob's orange (still there beneath it).
                        assert!(
                            bluer(y) && pixel(&grid, cx, y)[0] > 120,
                            "{sort:?}: blob {center} under the grid at row {y}: {:?}",
                            pixel(&grid, cx, y)
                        );
                    } else {
                        assert_close(
                            &format!("{sort:?}: blob {center} over the grid at row {y}"),
                            pixel(&grid, cx, y),
                            pixel(&plain, cx, y),
                            3,
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_viewport_grid_lies_under_blended_meshes_in_front_of_it_and_over_those_beyond() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Grid and glass");
    // Nearly opaque blended boxes on the grid's blue Z axis: one above the grid, one below.
    let mut glass = unlit("Glass", [217, 115, 51]);
    glass.base_color[3] = 0.95;
    glass.alpha_mode = worldsmith::scene::AlphaMode::Blend;
    let boxes = [
        (Vec3::new(0.0, 1.0, 0.0), false),
        (Vec3::new(0.0, -1.2, 2.5), true),
    ];
    for (i, (center, _)) in boxes.iter().enumerate() {
        add_mesh(
            &mut scene,
            &format!("Box {i}"),
            shapes::cube(1.2),
            glass.clone(),
            Transform::from_translation(*center),
        );
    }
    let view = look(Vec3::new(0.0, 4.0, 6.0), Vec3::new(0.0, 0.0, 1.6), 50.0);
    let with_grid = RenderSettings::viewport();
    let mut without_grid = with_grid;
    without_grid.overlays.grid = false;
    let grid = render_with(&ctx, &scene, view, W, H, with_grid, &[]);
    let plain = render_with(&ctx, &scene, view, W, H, without_grid, &[]);
    // The grid alone (over the black background): its line is at most 90 % opaque, so a box
    // under it still shows through, by at least a tenth of its red.
    let grid_only = render_with(&ctx, &Scene::new("Grid"), view, W, H, with_grid, &[]);
    let row = |p: Vec3| pixel_of(view, p).1;
    let cx = W / 2;
    for (center, grid_between) in boxes {
        let (a, b) = (row(center + Vec3::Y * 0.25), row(center - Vec3::Y * 0.25));
        for y in a.min(b)..=a.max(b) {
            let (g, p) = (pixel(&grid, cx, y), pixel(&plain, cx, y));
            if grid_between {
                let line = pixel(&grid_only, cx, y);
                assert!(
                    g[2] > p[2] + 20 && g[0] > line[0] + 15,
                    "box {center} under the grid at row {y}: {g:?} vs {p:?} (grid alone {line:?})"
                );
            } else {
                assert_close(&format!("box {center} over the grid at row {y}"), g, p, 12);
            }
        }
    }
}

/// Pixels of the orange selection outline in `img`, within `radius` pixels of `(x, y)`.
fn outline_pixels_near(img: &RgbaImage, (x, y): (u32, u32), radius: u32) -> usize {
    img.enumerate_pixels()
        .filter(|(px, py, _)| px.abs_diff(x) <= radius && py.abs_diff(y) <= radius)
        .filter(|(_, _, p)| outline_orange(p))
        .count()
}

#[test]
fn selected_splat_and_point_clouds_are_outlined() {
    let Some(ctx) = gpu() else { return };
    // No meshes at all: a blue splat blob on the left, a green point ball on the right.
    let mut scene = Scene::new("Clouds only");
    let blob = add_splats(
        &mut scene,
        "Blob",
        blob(Vec3::new(-1.5, 0.0, 0.0), 0.8, [0.2, 0.4, 0.9], 4000, 7),
        Transform::IDENTITY,
    );
    let mut rng = Rng(3);
    let ball: Vec<[f32; 3]> = (0..3000)
        .map(|_| (Vec3::new(1.5, 0.0, 0.0) + rng.in_ball() * 0.8).to_array())
        .collect();
    let points = crate::common::add_point_node(
        &mut scene,
        "Ball",
        Transform::IDENTITY,
        PointCloud::new(ball, vec![[40, 200, 60, 255]; 3000], Vec::new()),
        5.0,
    );
    let view = look(Vec3::new(0.0, 0.5, 6.0), Vec3::ZERO, 50.0);
    let to_px = |p: Vec3| pixel_of(view, p);
    let (left, right) = (
        to_px(Vec3::new(-1.5, 0.0, 0.0)),
        to_px(Vec3::new(1.5, 0.0, 0.0)),
    );
    let mut renderer = Renderer::new(&ctx);
    let mut draw = |scene: &Scene, selection: &[NodeId]| {
        let frame = FrameInput {
            scene,
            camera: view,
            settings: RenderSettings::viewport(),
            selection,
            cloud_highlight: None,
        };
        renderer
            .render_to_image(&ctx, &frame, W, H)
            .expect("readback")
            .0
    };
    for (selection, outlined) in [
        (vec![], [false, false]),
        (vec![blob], [true, false]),
        (vec![points], [false, true]),
        (vec![blob, points], [true, true]),
    ] {
        let img = draw(&scene, &selection);
        for (at, outlined, what) in [
            (left, outlined[0], "splats"),
            (right, outlined[1], "points"),
        ] {
            let n = outline_pixels_near(&img, at, 45);
            assert!(
                if outlined { n > 40 } else { n == 0 },
                "{what} with {selection:?} selected: {n} outline pixels"
            );
        }
    }
    // A mesh selected, then a frame of a scene without meshes: no outline is left over.
    let mut with_cube = scene.clone();
    let cube = add_mesh(
        &mut with_cube,
        "Cube",
        shapes::cube(0.8),
        unlit("Cube", [120, 120, 120]),
        Transform::IDENTITY,
    );
    let img = draw(&with_cube, &[cube]);
    assert!(
        outline_pixels_near(&img, (W / 2, H / 2), 40) > 40,
        "cube outlined"
    );
    let img = draw(&scene, &[cube]);
    assert_eq!(
        outline_pixels_near(&img, (W / 2, H / 2), 40),
        0,
        "stale outline"
    );
}

#[test]
fn selected_splats_are_tinted_in_the_viewport_only() {
    let Some(ctx) = gpu() else { return };
    // One cloud, two blue blobs: splats 0..3000 on the right, 3000..6000 on the left.
    let n = 3000;
    let mut scene = Scene::new("Splat selection");
    let node = add_splats(
        &mut scene,
        "Blobs",
        blobs(
            &[
                (Vec3::new(1.5, 0.0, 0.0), 0.8),
                (Vec3::new(-1.5, 0.0, 0.0), 0.8),
            ],
            [0.2, 0.4, 0.9],
            n,
            11,
        ),
        Transform::IDENTITY,
    );
    let view = look(Vec3::new(0.0, 0.5, 6.0), Vec3::ZERO, 50.0);
    let (left, right) = (
        pixel_of(view, Vec3::new(-1.5, 0.0, 0.0)),
        pixel_of(view, Vec3::new(1.5, 0.0, 0.0)),
    );
    let right_blob = ElementMask::from_fn(2 * n, |i| i < n);
    let left_blob = ElementMask::from_fn(2 * n, |i| i >= n);
    let stale = ElementMask::full(2 * n - 1);
    // Pages of 4096 splats, ordered along x (left blob first): the tint must follow the
    // splats, not their page slots. On the Vulkan adapter and on GL where there is one.
    let gl = gl_context();
    for ctx in std::iter::once(&ctx).chain(gl.as_ref()) {
        let mut renderer = Renderer::new(ctx);
        renderer.limit_cloud_page_bytes(4096 * 32);
        let mut probe = |mask: Option<(&ElementMask, u64)>, settings: RenderSettings| {
            let frame = highlighted(&scene, view, settings, node, mask);
            tints(&mut renderer, ctx, &frame, [left, right])
        };
        let viewport = RenderSettings::viewport;
        assert_eq!(probe(None, viewport()), [false, false], "no selection");
        assert_eq!(probe(Some((&right_blob, 1)), viewport()), [false, true]);
        assert_eq!(probe(Some((&left_blob, 2)), viewport()), [true, false]);
        // The same key again is not written again, and stays right; a new key with every splat.
        assert_eq!(probe(Some((&left_blob, 2)), viewport()), [true, false]);
        let every = ElementMask::full(2 * n);
        assert_eq!(probe(Some((&every, 3)), viewport()), [true, true]);
        // Stills and clips (no overlays) and a selection made on another cloud are not tinted.
        let final_frame = RenderSettings::final_frame();
        assert_eq!(probe(Some((&every, 3)), final_frame), [false, false]);
        assert_eq!(probe(Some((&stale, 4)), viewport()), [false, false]);
    }
}

#[test]
fn selected_points_are_tinted_in_the_viewport_only() {
    let Some(ctx) = gpu() else { return };
    // Two blue balls of points in one cloud: 0..3000 on the right, 3000..6000 on the left.
    let n = 3000;
    let (scene, node) = two_point_balls("Point selection", n);
    let view = look(Vec3::new(0.0, 0.5, 6.0), Vec3::ZERO, 50.0);
    let (left, right) = (
        pixel_of(view, Vec3::new(-1.5, 0.0, 0.0)),
        pixel_of(view, Vec3::new(1.5, 0.0, 0.0)),
    );
    let right_ball = ElementMask::from_fn(2 * n, |i| i < n);
    let left_ball = ElementMask::from_fn(2 * n, |i| i >= n);
    // Pages of 1000 points (16 bytes each): the bits must follow the pages' offsets. On the
    // Vulkan adapter and on GL where there is one.
    let gl = gl_context();
    for ctx in std::iter::once(&ctx).chain(gl.as_ref()) {
        let mut renderer = Renderer::new(ctx);
        renderer.limit_cloud_page_bytes(1000 * 16);
        let mut probe = |mask: Option<(&ElementMask, u64)>, settings: RenderSettings| {
            let frame = highlighted(&scene, view, settings, node, mask);
            tints(&mut renderer, ctx, &frame, [left, right])
        };
        let viewport = RenderSettings::viewport;
        assert_eq!(probe(None, viewport()), [false, false], "no selection");
        assert_eq!(probe(Some((&right_ball, 1)), viewport()), [false, true]);
        assert_eq!(probe(Some((&left_ball, 2)), viewport()), [true, false]);
        let final_frame = RenderSettings::final_frame();
        assert_eq!(probe(Some((&left_ball, 2)), final_frame), [false, false]);
    }
}

/// A scene of one point node: `n` blue points in a ball of radius 0.8 at x = 1.5, then `n` at
/// x = -1.5.
fn two_point_balls(name: &str, n: usize) -> (Scene, NodeId) {
    let mut rng = Rng(9);
    let balls: Vec<[f32; 3]> = [1.5f32, -1.5]
        .iter()
        .flat_map(|&x| {
            (0..n)
                .map(|_| (Vec3::new(x, 0.0, 0.0) + rng.in_ball() * 0.8).to_array())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut scene = Scene::new(name);
    let node = crate::common::add_point_node(
        &mut scene,
        "Balls",
        Transform::IDENTITY,
        PointCloud::new(balls, vec![[50, 100, 230, 255]; 2 * n], Vec::new()),
        5.0,
    );
    (scene, node)
}

/// A frame of `scene` with the elements of `node` in `mask` (and its key) highlighted.
fn highlighted<'a>(
    scene: &'a Scene,
    camera: CameraView,
    settings: RenderSettings,
    node: NodeId,
    mask: Option<(&'a ElementMask, u64)>,
) -> FrameInput<'a> {
    FrameInput {
        scene,
        camera,
        settings,
        selection: &[],
        cloud_highlight: mask.map(|(selected, key)| CloudHighlight {
            node,
            selected: Some(selected),
            hidden: None,
            locked: None,
            key,
            moved: Mat4::IDENTITY,
        }),
    }
}

#[test]
fn selected_splats_and_points_show_where_the_gizmo_drags_them() {
    let Some(ctx) = gpu() else { return };
    // One cloud each of splats and of points: a blue blob on the right (the first n) and one
    // on the left; the right one is selected and dragged up by 1.8 (and scaled about its
    // centre) before any edit is made.
    let n = 3000;
    let view = look(Vec3::new(0.0, 0.5, 6.0), Vec3::ZERO, 50.0);
    let right = pixel_of(view, Vec3::new(1.5, 0.0, 0.0));
    let up = pixel_of(view, Vec3::new(1.5, 1.8, 0.0));
    // 1.2 from the right blob's centre: outside it (radius 0.8) until it is scaled 2×.
    let beside = pixel_of(view, Vec3::new(1.5, -1.2, 0.0));
    let left = pixel_of(view, Vec3::new(-1.5, 0.0, 0.0));
    let selected = ElementMask::from_fn(2 * n, |i| i < n);
    let splats = {
        let mut scene = Scene::new("Moved splats");
        let node = add_splats(
            &mut scene,
            "Blobs",
            blobs(
                &[
                    (Vec3::new(1.5, 0.0, 0.0), 0.8),
                    (Vec3::new(-1.5, 0.0, 0.0), 0.8),
                ],
                [0.2, 0.4, 0.9],
                n,
                11,
            ),
            Transform::IDENTITY,
        );
        (scene, node)
    };
    let points = two_point_balls("Moved points", n);
    let lift = Mat4::from_translation(Vec3::new(0.0, 1.8, 0.0));
    let centre = Vec3::new(1.5, 0.0, 0.0);
    let grow = Mat4::from_translation(centre)
        * Mat4::from_scale(Vec3::splat(2.0))
        * Mat4::from_translation(-centre);
    let gl = gl_context();
    for ctx in std::iter::once(&ctx).chain(gl.as_ref()) {
        for (scene, node) in [&splats, &points] {
            let mut renderer = Renderer::new(ctx);
            let mut key = 0;
            let mut marked = |selected: Option<&ElementMask>,
                              hidden: Option<&ElementMask>,
                              locked: Option<&ElementMask>,
                              moved: Mat4,
                              settings: RenderSettings| {
                key += 1;
                let frame = FrameInput {
                    cloud_highlight: Some(CloudHighlight {
                        node: *node,
                        selected,
                        hidden,
                        locked,
                        key,
                        moved,
                    }),
                    ..highlighted(scene, view, settings, *node, None)
                };
                renderer
                    .render_to_image(ctx, &frame, W, H)
                    .expect("readback")
                    .0
            };
            let tinted = |img: &RgbaImage, (x, y): (u32, u32)| {
                let [r, _, b] = pixel(img, x, y).map(i32::from);
                r - b > 60
            };
            let blue = |img: &RgbaImage, (x, y): (u32, u32)| {
                let [r, _, b] = pixel(img, x, y).map(i32::from);
                b - r > 100
            };
            let name = scene.name.clone();
            // Hidden by the tool: not drawn in the viewport, whether selected or not (the
            // highlight's key changes each time, so the marks are written again).
            let left_blob = ElementMask::from_fn(2 * n, |i| i >= n);
            let img = marked(
                None,
                Some(&left_blob),
                None,
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            assert!(
                !blue(&img, left) && !tinted(&img, left),
                "{name}: left hidden"
            );
            assert!(blue(&img, right), "{name}: right shown as it is");
            let img = marked(
                Some(&selected),
                Some(&left_blob),
                None,
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            assert!(
                !blue(&img, left) && tinted(&img, right),
                "{name}: both marks"
            );
            let img = marked(
                None,
                Some(&left_blob),
                None,
                Mat4::IDENTITY,
                RenderSettings::final_frame(),
            );
            assert!(
                blue(&img, left),
                "{name}: a final frame draws the hidden ones"
            );
            // Locked by the tool: drawn greyed out (grey and darker than the plain blue,
            // never the selection's yellow), the selected ones still tinted, hidden ones
            // still not drawn; a final frame draws them as they are.
            let grey = |img: &RgbaImage, (x, y): (u32, u32)| {
                let p = pixel(img, x, y).map(i32::from);
                let (lo, hi) = (p.iter().min().copied(), p.iter().max().copied());
                hi.zip(lo).is_some_and(|(hi, lo)| hi - lo <= 20 && hi > 25)
            };
            let right_blob = ElementMask::from_fn(2 * n, |i| i < n);
            let img = marked(
                None,
                None,
                Some(&right_blob),
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            assert!(
                grey(&img, right) && !blue(&img, right) && !tinted(&img, right),
                "{name}: right locked, greyed: {:?}",
                pixel(&img, right.0, right.1)
            );
            assert!(blue(&img, left), "{name}: left plain");
            let img = marked(
                Some(&left_blob),
                None,
                Some(&right_blob),
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            assert!(
                grey(&img, right) && tinted(&img, left),
                "{name}: locked and selected"
            );
            let hidden_right = marked(
                None,
                Some(&right_blob),
                None,
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            let img = marked(
                None,
                Some(&right_blob),
                Some(&right_blob),
                Mat4::IDENTITY,
                RenderSettings::viewport(),
            );
            assert!(
                !blue(&img, right)
                    && pixel(&img, right.0, right.1) == pixel(&hidden_right, right.0, right.1),
                "{name}: hidden wins over locked"
            );
            let img = marked(
                None,
                None,
                Some(&right_blob),
                Mat4::IDENTITY,
                RenderSettings::final_frame(),
            );
            assert!(
                blue(&img, right),
                "{name}: a final frame draws the locked ones"
            );
            let mut shot = |moved: Mat4, settings: RenderSettings| {
                marked(Some(&selected), None, None, moved, settings)
            };
            let still = shot(Mat4::IDENTITY, RenderSettings::viewport());
            assert!(
                tinted(&still, right) && !tinted(&still, up),
                "{name}: in place"
            );
            let lifted = shot(lift, RenderSettings::viewport());
            assert!(tinted(&lifted, up), "{name}: shown lifted");
            assert!(!tinted(&lifted, right), "{name}: gone from where it was");
            assert!(blue(&lifted, left), "{name}: the rest stays");
            if name == "Moved splats" {
                assert!(!tinted(&still, beside), "{name}: not that wide yet");
                let grown = shot(grow, RenderSettings::viewport());
                assert!(
                    tinted(&grown, beside) && tinted(&grown, right),
                    "{name}: 2× wide"
                );
            }
            // Stills and clips draw the cloud as it is.
            let final_frame = shot(lift, RenderSettings::final_frame());
            assert!(
                blue(&final_frame, right),
                "{name}: a final frame shows it in place"
            );
        }
    }
}

#[test]
fn splats_dragged_in_front_blend_in_front() {
    let Some(ctx) = gpu() else { return };
    // A red splat 1 m behind a blue one, both nearly opaque; the red one is selected and
    // dragged 2 m toward the camera: it must now cover the blue one, which it does only if
    // the sort keys it where it is shown (back to front blending draws the nearest last).
    let mut s = Splats::default();
    s.push(
        Vec3::new(0.0, 0.0, -1.0),
        Quat::IDENTITY,
        Vec3::splat(0.5),
        0.99,
        [0.9, 0.1, 0.1],
    );
    s.push(
        Vec3::ZERO,
        Quat::IDENTITY,
        Vec3::splat(0.5),
        0.99,
        [0.1, 0.2, 0.9],
    );
    let mut scene = Scene::new("Dragged in front");
    let node = add_splats(
        &mut scene,
        "Pair",
        s.build(0, Vec::new()),
        Transform::IDENTITY,
    );
    let view = look(Vec3::new(0.0, 0.0, 5.0), Vec3::ZERO, 50.0);
    let centre = pixel_of(view, Vec3::ZERO);
    let red = ElementMask::from_fn(2, |i| i == 0);
    let forward = Mat4::from_translation(Vec3::new(0.0, 0.0, 2.0));
    let gl = gl_context();
    for ctx in std::iter::once(&ctx).chain(gl.as_ref()) {
        // Where the GPU sort runs, a drag falls back to the CPU sort, which knows the drag.
        for sort in [SplatSort::Auto, SplatSort::Gpu] {
            let mut renderer = Renderer::new(ctx);
            for (key, moved) in [(1, Mat4::IDENTITY), (2, forward), (3, Mat4::IDENTITY)] {
                let settings = RenderSettings {
                    splat_sort: sort,
                    ..RenderSettings::viewport()
                };
                let frame = FrameInput {
                    cloud_highlight: Some(CloudHighlight {
                        node,
                        selected: Some(&red),
                        hidden: None,
                        locked: None,
                        key,
                        moved,
                    }),
                    ..highlighted(&scene, view, settings, node, None)
                };
                let img = renderer
                    .render_to_image(ctx, &frame, W, H)
                    .expect("readback")
                    .0;
                let [r, _, b] = pixel(&img, centre.0, centre.1).map(i32::from);
                if moved == forward {
                    assert!(
                        r - b > 60,
                        "{sort:?} step {key}: red dragged in front: {r} {b}"
                    );
                } else {
                    assert!(b - r > 60, "{sort:?} step {key}: blue in front: {r} {b}");
                }
            }
        }
    }
}

/// Renders `frame` and says, for each pixel `at`, whether it shows the blue test colour
/// tinted selection-yellow (red well above blue) or plain (blue well above red); anything
/// else (black, background) fails.
fn tints(
    renderer: &mut Renderer,
    ctx: &worldsmith::render::GpuContext,
    frame: &FrameInput<'_>,
    at: [(u32, u32); 2],
) -> [bool; 2] {
    let img = renderer
        .render_to_image(ctx, frame, W, H)
        .expect("readback")
        .0;
    at.map(|(x, y)| {
        let [r, _, b] = pixel(&img, x, y).map(i32::from);
        assert!(
            r - b > 60 || b - r > 100,
            "pixel ({x}, {y}) is neither tinted nor plain blue: {:?}",
            pixel(&img, x, y)
        );
        r - b > 60
    })
}

/// wgpu's GL backend, where there is one (`golden::the_gl_backend_draws_the_same_frames`
/// insists on it under CI).
fn gl_context() -> Option<worldsmith::render::GpuContext> {
    worldsmith::render::GpuContext::headless_on(wgpu::Backends::GL).ok()
}

#[test]
fn camera_inside_a_splat_cloud_renders_a_full_frame() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Inside");
    sunny(&mut scene);
    let mut rng = Rng(99);
    let mut s = Splats::default();
    for _ in 0..20_000 {
        let p = rng.in_ball() * 6.0;
        let color = [rng.next(), rng.next(), rng.next()];
        let scale = Vec3::new(
            rng.range(0.01, 0.12),
            rng.range(0.01, 0.12),
            rng.range(0.0, 0.12),
        );
        s.push(p, rng.rotation(), scale, rng.range(0.2, 1.0), color);
    }
    // A few splats right at and around the camera.
    for p in [
        Vec3::ZERO,
        Vec3::new(0.0, 0.0, 0.03),
        Vec3::new(0.0, 0.0, -0.03),
    ] {
        s.push(p, Quat::IDENTITY, Vec3::splat(0.5), 0.9, [1.0, 0.5, 0.2]);
    }
    add_splats(
        &mut scene,
        "Cloud",
        s.build(0, Vec::new()),
        Transform::IDENTITY,
    );
    for (eye, target) in [
        (Vec3::ZERO, Vec3::new(0.0, 0.0, -1.0)),
        (Vec3::new(0.0, 0.0, 0.01), Vec3::new(1.0, 0.3, 0.2)),
    ] {
        let img = render(&ctx, &scene, look(eye, target, 70.0), W, H);
        assert_not_degenerate("inside the cloud", &img);
        let black = img
            .pixels()
            .filter(|p| p[0] < 3 && p[1] < 3 && p[2] < 3)
            .count();
        assert!(
            black * 100 < img.pixels().len(),
            "{black} black pixels: NaNs or holes"
        );
    }
}

#[test]
fn empty_and_degenerate_clouds_do_not_break_the_frame() {
    let Some(ctx) = gpu() else { return };
    let mut scene = ellipsoid_scene();
    crate::common::add_point_node(
        &mut scene,
        "No points",
        Transform::IDENTITY,
        PointCloud::new(Vec::new(), Vec::new(), Vec::new()),
        3.0,
    );
    add_splats(
        &mut scene,
        "No splats",
        Splats::default().build(0, Vec::new()),
        Transform::IDENTITY,
    );
    let mut bad = Splats::default();
    bad.push(
        Vec3::new(0.0, 1.0, 1.0),
        Quat::from_xyzw(0.0, 0.0, 0.0, 0.0),
        Vec3::ZERO,
        1.0,
        [1.0; 3],
    );
    bad.push(
        Vec3::splat(f32::NAN),
        Quat::IDENTITY,
        Vec3::ONE,
        1.0,
        [1.0; 3],
    );
    bad.push(
        Vec3::new(0.5, 1.0, 1.0),
        Quat::from_xyzw(f32::NAN, 0.0, 0.0, 1.0),
        Vec3::new(f32::INFINITY, 1e-9, 0.0),
        f32::NAN,
        [f32::NAN, 2.0, -3.0],
    );
    add_splats(
        &mut scene,
        "Degenerate",
        bad.build(0, Vec::new()),
        Transform::IDENTITY,
    );
    let img = render(&ctx, &scene, ellipsoid_view(), W, H);
    let reference = render(&ctx, &ellipsoid_scene(), ellipsoid_view(), W, H);
    let d = diff(&img, &reference);
    assert!(
        d.bad_fraction < 0.01,
        "degenerate splats spoilt the frame: {d:?}"
    );
}

/// One grey splat at the origin, as three coincident copies so that it is fully opaque.
fn grey_splat() -> Splats {
    let mut s = Splats::default();
    for _ in 0..3 {
        s.push(
            Vec3::ZERO,
            Quat::IDENTITY,
            Vec3::splat(0.6),
            1.0,
            [0.5, 0.5, 0.5],
        );
    }
    s
}

/// One splat (three coincident copies, so it is fully opaque) at the origin with SH degree 1:
/// grey, plus red and minus green along +x of the view direction's x basis function.
fn sh_scene(rotation: Quat) -> Scene {
    let mut scene = Scene::new("SH");
    sunny(&mut scene);
    let s = grey_splat();
    // Degree 1 rest coefficients per splat: k = 0 (y), 1 (z), 2 (x), RGB each. The colour
    // term of k = 2 is −C1 · d.x · f, with d the unit vector from the camera to the splat.
    let mut rest = Vec::new();
    for _ in 0..3 {
        for k in 0..3 {
            let f = if k == 2 { [0.6, -0.6, 0.0] } else { [0.0; 3] };
            rest.extend(f.map(f16::from_f32));
        }
    }
    add_splats(
        &mut scene,
        "SH splat",
        s.build(1, rest),
        Transform::IDENTITY.with_rotation(rotation),
    );
    scene
}

#[test]
fn view_dependent_colour_follows_the_view_and_the_node_rotation() {
    let Some(ctx) = gpu() else { return };
    const C1: f32 = 0.488_602_52;
    let srgb = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    // From +x the camera looks along −x: d.x = −1, so the colour is 0.5 + C1 · f.
    let towards = [srgb(0.5 + C1 * 0.6), srgb(0.5 - C1 * 0.6), srgb(0.5)];
    let away = [srgb(0.5 - C1 * 0.6), srgb(0.5 + C1 * 0.6), srgb(0.5)];
    let from_pos_x = look(Vec3::new(5.0, 0.0, 0.0), Vec3::ZERO, 40.0);
    let from_neg_x = look(Vec3::new(-5.0, 0.0, 0.0), Vec3::ZERO, 40.0);
    let centre = |img: &RgbaImage| pixel(img, W / 2, H / 2);
    let plain = sh_scene(Quat::IDENTITY);
    assert_close(
        "seen from +x",
        centre(&render(&ctx, &plain, from_pos_x, W, H)),
        towards,
        3,
    );
    assert_close(
        "seen from -x",
        centre(&render(&ctx, &plain, from_neg_x, W, H)),
        away,
        3,
    );
    // Turning the node half way round turns its view-dependent colour with it.
    let turned = sh_scene(Quat::from_rotation_y(std::f32::consts::PI));
    assert_close(
        "turned, seen from +x",
        centre(&render(&ctx, &turned, from_pos_x, W, H)),
        away,
        3,
    );
    assert_close(
        "turned, seen from -x",
        centre(&render(&ctx, &turned, from_neg_x, W, H)),
        towards,
        3,
    );
}

#[test]
fn clouds_upload_once_and_splats_resort_only_when_the_view_changes() {
    let Some(ctx) = gpu() else { return };
    let mut scene = ellipsoid_scene();
    let points = point_scene();
    // Borrow the point clouds of the point scene into this one.
    for (_, cloud) in points.point_clouds() {
        crate::common::add_point_node(
            &mut scene,
            "Points",
            Transform::from_translation(Vec3::new(0.0, 3.0, 0.0)),
            (**cloud).clone(),
            2.0,
        );
    }
    let target = OffscreenTarget::new(&ctx.device, 96, 54);
    let mut r = Renderer::new(&ctx);
    let settings = RenderSettings {
        shadow_map_size: 512,
        ..RenderSettings::viewport()
    };
    let mut view = ellipsoid_view();
    fn frame(scene: &Scene, camera: CameraView, settings: RenderSettings) -> FrameInput<'_> {
        FrameInput {
            scene,
            camera,
            settings,
            selection: &[],
            cloud_highlight: None,
        }
    }
    let first = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(first.uploads.splat_clouds, 1, "{first:?}");
    assert_eq!(first.uploads.point_clouds, 2, "{first:?}");
    assert_eq!(sorts(&first), 1, "{first:?}");
    assert!(first.splats > 9000 && first.points > 4000, "{first:?}");
    let second = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(
        second.uploads,
        Default::default(),
        "nothing changed: {second:?}"
    );
    assert_eq!(sorts(&second), 0, "same view, no re-sort");
    assert_eq!(second.splats, first.splats);

    view.world_from_view = glam::Mat4::from_rotation_y(0.2) * view.world_from_view;
    let moved = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(moved.uploads.splat_clouds, 0, "{moved:?}");
    assert_eq!(moved.uploads.point_clouds, 0, "{moved:?}");
    assert_eq!(sorts(&moved), 1, "the camera moved: re-sort");

    // Moving the node re-sorts (the view of the cloud changed) but uploads nothing.
    let blobs = scene.find("Blobs").expect("splat node");
    scene.set_transform(blobs, Transform::from_translation(Vec3::new(0.0, 0.5, 0.0)));
    let node_moved = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(node_moved.uploads.splat_clouds, 0, "{node_moved:?}");
    assert_eq!(sorts(&node_moved), 1, "{node_moved:?}");

    // Hiding the node hides its splats.
    scene.set_visible(blobs, false);
    let hidden = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(hidden.splats, 0, "{hidden:?}");
    assert_eq!(hidden.uploads.splat_clouds, 0);
}

/// A world of splats alone (a world-model folder without meshes) holds no 3 × 2048² shadow
/// cascades (48 MB, process memory on a CPU adapter next to millions of splats); the first
/// mesh brings them back at the asked size, drawn.
#[test]
fn shadow_cascades_exist_only_with_meshes_to_cast() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Splats only");
    sunny(&mut scene);
    add_splats(
        &mut scene,
        "Blob",
        blob(Vec3::new(0.0, 1.0, 0.0), 0.8, [0.8, 0.3, 0.2], 2000, 5),
        Transform::IDENTITY,
    );
    let target = OffscreenTarget::new(&ctx.device, 96, 54);
    let mut r = Renderer::new(&ctx);
    let settings = RenderSettings {
        shadow_map_size: 512,
        ..RenderSettings::final_frame()
    };
    fn frame(scene: &Scene, settings: RenderSettings) -> FrameInput<'_> {
        FrameInput {
            scene,
            camera: ellipsoid_view(),
            settings,
            selection: &[],
            cloud_highlight: None,
        }
    }
    let stats = r.render(&frame(&scene, settings), &target.target());
    assert!(stats.splats > 1000, "{stats:?}");
    assert_eq!(r.shadow_map_size(), Some(1), "no caster: the 1×1 stand-in");
    assert_eq!(stats.shadow_passes, 0);
    ground(&mut scene);
    let stats = r.render(&frame(&scene, settings), &target.target());
    assert_eq!(
        r.shadow_map_size(),
        Some(512),
        "a caster: cascades at the asked size"
    );
    assert_eq!(stats.shadow_passes, 3, "{stats:?}");
    // Nothing was read back: let the queue finish before the process exits (llvmpipe compiles
    // shader variants on its queue thread, which must not outlive LLVM's static state).
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("GPU idle");
}

/// The colour grade (tint, brightness, saturation) changes meshes (in linear light, after
/// vertex colours and textures), point clouds and splat clouds (in display colour), and an
/// identity grade changes nothing.
#[test]
fn colour_grade_applies_to_meshes_points_and_splats() {
    use worldsmith::scene::ColorGrade;
    let Some(ctx) = gpu() else { return };
    let colour = [200u8, 120, 60];
    let mut scene = Scene::new("Grade");
    let quad = add_mesh(
        &mut scene,
        "Quad",
        shapes::plane(Vec2::splat(1.0), 1),
        unlit("Unlit", colour),
        Transform::from_translation(Vec3::new(-1.5, 0.0, 0.0)),
    );
    let display = colour.map(|c| f32::from(c) / 255.0);
    let points = add_points(
        &mut scene,
        PointCloud::new(
            vec![[0.0, 0.0, 0.0]],
            vec![[colour[0], colour[1], colour[2], 255]],
            Vec::new(),
        ),
        40.0,
    );
    let splats = add_splats(
        &mut scene,
        "Blob",
        blob(Vec3::ZERO, 0.3, display, 4000, 5),
        Transform::from_translation(Vec3::new(1.5, 0.0, 0.0)),
    );
    let view = look(Vec3::new(0.0, 4.0, 0.001), Vec3::ZERO, 70.0);
    let at = |x: f32| {
        let p = view.clip_from_world(W as f32 / H as f32) * Vec3::new(x, 0.0, 0.0).extend(1.0);
        (
            ((p.x / p.w * 0.5 + 0.5) * W as f32) as u32,
            ((0.5 - p.y / p.w * 0.5) * H as f32) as u32,
        )
    };
    let (qx, qy) = at(-1.5);
    let (px, py) = at(0.0);
    let (sx, sy) = at(1.5);
    let before = render(&ctx, &scene, view, W, H);
    assert_close("quad before", pixel(&before, qx, qy), colour, 2);
    assert_close("points before", pixel(&before, px, py), colour, 2);
    let splat_before = pixel(&before, sx, sy);
    assert!(splat_before[0] > splat_before[2] + 60, "{splat_before:?}");

    // Saturation 0: grey everywhere.
    let grey = ColorGrade {
        saturation: 0.0,
        ..ColorGrade::default()
    };
    for id in [quad, points, splats] {
        scene.set_grade(id, grey);
    }
    let img = render(&ctx, &scene, view, W, H);
    for (what, (x, y)) in [
        ("quad", (qx, qy)),
        ("points", (px, py)),
        ("splats", (sx, sy)),
    ] {
        let [r, g, b] = pixel(&img, x, y);
        assert!(
            r.abs_diff(g) <= 2 && g.abs_diff(b) <= 2,
            "{what} not grey: {r} {g} {b}"
        );
        assert!(r > 60, "{what} too dark: {r}");
    }

    // A tint with brightness: exactly the formula, in each path's colour space.
    let warm = ColorGrade {
        tint: [1.0, 0.5, 0.25],
        brightness: 1.2,
        saturation: 1.0,
    };
    for id in [quad, points] {
        scene.set_grade(id, warm);
    }
    let img = render(&ctx, &scene, view, W, H);
    let to_u8 = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
    let linear = colour.map(srgb_to_linear);
    let quad_want = warm.apply(linear).map(|c| {
        let c = c.clamp(0.0, 1.0);
        to_u8(if c <= 0.003_130_8 {
            c * 12.92
        } else {
            1.055 * c.powf(1.0 / 2.4) - 0.055
        })
    });
    assert_close("tinted quad", pixel(&img, qx, qy), quad_want, 3);
    assert_close(
        "tinted points",
        pixel(&img, px, py),
        warm.apply(display).map(to_u8),
        3,
    );
}

/// Splat pipelines are specialised by the cloud's SH degree (render/clouds.rs
/// `SplatShading`): a degree-1 and a degree-0 cloud shown in turn on one running renderer
/// each get their own colour.
#[test]
fn clouds_of_different_sh_degrees_take_their_own_pipelines() {
    let Some(ctx) = gpu() else { return };
    const C1: f32 = 0.488_602_52;
    let srgb = |v: f32| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
    let mut scene = sh_scene(Quat::IDENTITY);
    let sh_node = scene.find("SH splat").expect("SH splat");
    let s = grey_splat();
    let plain_node = add_splats(
        &mut scene,
        "Plain splat",
        s.build(0, Vec::new()),
        Transform::IDENTITY,
    );
    let view = look(Vec3::new(5.0, 0.0, 0.0), Vec3::ZERO, 40.0);
    let mut r = Renderer::new(&ctx);
    let mut centre = |scene: &Scene| {
        let frame = FrameInput {
            scene,
            camera: view,
            settings: RenderSettings::final_frame(),
            selection: &[],
            cloud_highlight: None,
        };
        let img = r.render_to_image(&ctx, &frame, W, H).expect("readback").0;
        pixel(&img, W / 2, H / 2)
    };
    let towards = [srgb(0.5 + C1 * 0.6), srgb(0.5 - C1 * 0.6), srgb(0.5)];
    let grey = [srgb(0.5); 3];
    scene.set_visible(plain_node, false);
    assert_close("degree 1", centre(&scene), towards, 3);
    scene.set_visible(sh_node, false);
    scene.set_visible(plain_node, true);
    assert_close("degree 0", centre(&scene), grey, 3);
    scene.set_visible(sh_node, true);
    scene.set_visible(plain_node, false);
    assert_close("degree 1 again", centre(&scene), towards, 3);
}

/// A captured cloud with a few stray points hundreds of metres off (SfM outliers, splat
/// floaters) is framed by its central part: the first view shows the content, not a speck.
/// Every point still counts for the scene's exact bounds.
#[test]
fn stray_points_far_off_do_not_shrink_the_framed_cloud() {
    let Some(ctx) = gpu() else { return };
    let centre = Vec3::new(3.0, 1.0, -2.0);
    let mut rng = Rng(11);
    let core: Vec<[f32; 3]> = (0..20_000)
        .map(|_| (centre + rng.in_ball()).to_array())
        .collect();
    // 0.25 % strays, 300 m to 2 km away in every direction.
    let strays: Vec<[f32; 3]> = (0..50)
        .map(|_| {
            (centre + rng.in_ball().normalize_or(Vec3::X) * rng.range(300.0, 2000.0)).to_array()
        })
        .collect();
    let cloud_scene = |positions: Vec<[f32; 3]>| {
        let mut scene = Scene::new("Capture");
        let n = positions.len();
        crate::common::add_point_node(
            &mut scene,
            "points3D",
            Transform::IDENTITY,
            PointCloud::new(positions, vec![[230, 40, 30, 255]; n], Vec::new()),
            3.0,
        );
        scene
    };
    let clean = cloud_scene(core.clone());
    let noisy = cloud_scene(core.iter().chain(&strays).copied().collect());
    assert!(
        noisy.bounds().size().max_element() > 500.0,
        "the exact bounds keep every point"
    );
    let framed = noisy.framing_bounds();
    assert!(
        (framed.center() - centre).length() < 0.2 && framed.size().max_element() < 2.5,
        "framing bounds {framed:?} are not the 2 m ball at {centre}"
    );
    let red_share = |scene: &Scene| {
        let view = worldsmith::render::framing_view(scene);
        let img = render(&ctx, scene, view, W, H);
        let red = img
            .pixels()
            .filter(|p| p[0] > 120 && p[1] < 90 && p[2] < 90)
            .count();
        red as f32 / (W * H) as f32
    };
    let (clean_share, noisy_share) = (red_share(&clean), red_share(&noisy));
    assert!(clean_share > 0.1, "the clean ball covers {clean_share}");
    assert!(
        noisy_share > 0.8 * clean_share,
        "with strays the ball covers {noisy_share} of the frame, without {clean_share}"
    );
}
