//! X-ray (`Overlays::xray`, the viewport's Alt+Z): every mesh drawn see-through, so what lies
//! behind an object shows through it, in solid and lit shading, as Blender's X-ray does.

use crate::common::*;
use glam::Vec3;
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{RenderSettings, SolidColor};
use worldsmith::scene::{CameraView, Scene, Transform};

const W: u32 = 200;
const H: u32 = 140;

/// An empty scene under a daylight sky (no shadows), exposed for it.
fn daylit(name: &str) -> Scene {
    let mut scene = Scene::new(name);
    add_sun(&mut scene, Vec3::new(0.3, 0.8, 1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    scene
}

/// A red wall 4 m wide and, wholly hidden behind its middle, a blue 1.5 m cube; unlit, so
/// lit shading shows their colours exactly; a daylight sky.
fn wall_and_hidden_cube() -> Scene {
    let mut scene = daylit("Wall and hidden cube");
    add_mesh(
        &mut scene,
        "Wall",
        shapes::cube(4.0),
        unlit("Wall", [0.8, 0.05, 0.05]),
        Transform::IDENTITY,
    );
    add_mesh(
        &mut scene,
        "Hidden",
        shapes::cube(1.5),
        unlit("Hidden", [0.05, 0.05, 0.8]),
        Transform::from_translation(Vec3::new(0.0, 0.0, -5.0)),
    );
    scene
}

fn view() -> CameraView {
    look(Vec3::new(0.0, 0.0, 11.0), Vec3::ZERO, 50.0)
}

fn px(img: &RgbaImage, p: Vec3) -> [i32; 3] {
    let ndc = view()
        .clip_from_world(W as f32 / H as f32)
        .project_point3(p);
    let x = ((ndc.x + 1.0) * 0.5 * W as f32) as u32;
    let y = ((1.0 - ndc.y) * 0.5 * H as f32) as u32;
    let c = img.get_pixel(x, y).0;
    [c[0], c[1], c[2]].map(i32::from)
}

/// Renders the scene with and without X-ray; returns (without, with).
fn both(ctx: &worldsmith::render::GpuContext, settings: RenderSettings) -> [RgbaImage; 2] {
    let scene = wall_and_hidden_cube();
    [false, true].map(|xray| {
        let mut s = settings;
        s.overlays.xray = xray;
        let img = render_with(ctx, &scene, view(), W, H, s, &[]);
        if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
            let name = format!(
                "{}-{}-{xray}.png",
                s.overlays.solid,
                s.overlays.solid_color.label()
            );
            img.save(std::path::Path::new(&dir).join(name)).ok();
        }
        img
    })
}

/// Where the cube hides (the middle of the wall), where the wall stands alone, and where
/// nothing is (the sky or the backdrop).
const BEHIND: Vec3 = Vec3::new(0.0, 0.0, 2.0);
const WALL_ONLY: Vec3 = Vec3::new(1.6, 1.6, 2.0);
const NOTHING: Vec3 = Vec3::new(4.5, 3.0, 0.0);

#[test]
fn xray_shows_a_cube_hidden_behind_a_wall_in_lit_shading() {
    let Some(ctx) = gpu() else { return };
    let [plain, xray] = both(&ctx, RenderSettings::final_frame());
    assert_not_degenerate("x-ray lit", &xray);
    let (p, x) = (px(&plain, BEHIND), px(&xray, BEHIND));
    // Without X-ray the wall hides the cube: red, no blue.
    assert!(p[0] > 180 && p[2] < 80, "plain {p:?}");
    // With it the blue cube shows through the red wall, which still shows.
    assert!(x[2] > p[2] + 40, "x-ray {x:?} vs plain {p:?}");
    assert!(x[0] > 90 && x[0] < p[0] - 30, "x-ray {x:?} vs plain {p:?}");
    // Weighed by depth: the wall, in front, outweighs the cube, so red outweighs blue.
    assert!(
        x[0] > x[2] + 20,
        "x-ray {x:?}: the cube was drawn over the wall"
    );
    // Where the wall stands alone the sky shows through it; no blue there.
    let (pw, xw) = (px(&plain, WALL_ONLY), px(&xray, WALL_ONLY));
    assert!(xw[0] < pw[0] - 30, "x-ray {xw:?} vs plain {pw:?}");
    assert!(
        xw[2] < x[2],
        "the cube's blue is where the cube is: {xw:?}, {x:?}"
    );
    unchanged_where_nothing_is(&plain, &xray);
}

/// Where there is no mesh, X-ray changes nothing.
fn unchanged_where_nothing_is(plain: &RgbaImage, xray: &RgbaImage) {
    let (pn, xn) = (px(plain, NOTHING), px(xray, NOTHING));
    assert!(
        (0..3).all(|i| (pn[i] - xn[i]).abs() <= 2),
        "{pn:?} vs {xn:?}"
    );
}

#[test]
fn xray_shows_a_cube_hidden_behind_a_wall_in_solid_shading() {
    let Some(ctx) = gpu() else { return };
    // In the materials' colours (mesh.wgsl's solid pipelines).
    let mut settings = RenderSettings::final_frame();
    settings.overlays.solid = true;
    settings.overlays.solid_color = SolidColor::Material;
    let [plain, xray] = both(&ctx, settings);
    assert_not_degenerate("x-ray solid", &xray);
    let (p, x) = (px(&plain, BEHIND), px(&xray, BEHIND));
    assert!(p[0] > p[2] + 80 && p[2] < 60, "plain {p:?}");
    assert!(x[2] > p[2] + 25, "x-ray {x:?} vs plain {p:?}");
    // Clay (solid.wgsl): one colour for both, so the cube shows as a second layer: the wall
    // over the cube differs from the wall alone, which it does not without X-ray.
    settings.overlays.solid_color = SolidColor::Clay;
    let [plain, xray] = both(&ctx, settings);
    let step = |img: &RgbaImage| {
        let (a, b) = (px(img, BEHIND), px(img, WALL_ONLY));
        (0..3).map(|i| (a[i] - b[i]).abs()).max().unwrap_or(0)
    };
    assert!(step(&plain) <= 8, "plain clay: {}", step(&plain));
    assert!(step(&xray) >= 15, "x-ray clay: {}", step(&xray));
    // The wall itself is see-through: the backdrop shows, so the wall alone changes.
    let (pw, xw) = (px(&plain, WALL_ONLY), px(&xray, WALL_ONLY));
    assert!(
        (0..3).any(|i| (pw[i] - xw[i]).abs() >= 15),
        "{pw:?} vs {xw:?}"
    );
    unchanged_where_nothing_is(&plain, &xray);
}

#[test]
fn the_xray_alpha_sets_how_opaque_the_meshes_stay() {
    let Some(ctx) = gpu() else { return };
    let scene = wall_and_hidden_cube();
    let render = |xray: bool, alpha: f32| {
        let mut s = RenderSettings::final_frame();
        s.overlays.xray = xray;
        s.overlays.xray_alpha = alpha;
        px(&render_with(&ctx, &scene, view(), W, H, s, &[]), BEHIND)
    };
    let plain = render(false, 0.5);
    let [faint, half, opaque] = [0.25, 0.5, 1.0].map(|a| render(true, a));
    // The wall's red grows with the alpha; fully opaque, X-ray looks as without.
    assert!(
        faint[0] < half[0] - 15 && half[0] < opaque[0] - 15,
        "{faint:?} {half:?} {opaque:?}"
    );
    assert!(
        (0..3).all(|i| (opaque[i] - plain[i]).abs() <= 3),
        "{opaque:?} vs {plain:?}"
    );
    // Out of range: clamped (NaN: opaque).
    assert_eq!(render(true, 7.0), opaque);
    assert_eq!(render(true, f32::NAN), opaque);
}

#[test]
fn xray_weighs_the_nearer_of_two_instances_of_one_batch_more() {
    let Some(ctx) = gpu() else { return };
    // Two nodes of one mesh and material (one instanced batch, as a forest's trees): a red
    // cube in front, added first, and a blue one right behind it. Blended in the order they
    // were added, the blue one would cover the red.
    let mut scene = daylit("Two instances");
    let mesh = scene.add_mesh(shapes::cube(1.5));
    let material = scene.add_material(unlit("White", [0.8; 3]));
    for (name, z, tint) in [
        ("Front", 0.0, [1.0, 0.05, 0.05]),
        ("Back", -5.0, [0.05, 0.05, 1.0]),
    ] {
        let id = scene.add_node(
            None,
            name,
            Transform::from_translation(Vec3::new(0.0, 0.0, z)),
            worldsmith::scene::NodeKind::Mesh { mesh, material },
        );
        scene.set_grade(
            id,
            worldsmith::scene::ColorGrade {
                tint,
                ..Default::default()
            },
        );
    }
    let mut settings = RenderSettings::final_frame();
    settings.overlays.xray = true;
    let img = render_with(&ctx, &scene, view(), W, H, settings, &[]);
    let x = px(&img, Vec3::ZERO);
    assert!(
        x[0] > x[2] + 20,
        "{x:?}: the cube behind was drawn over the one in front"
    );
    assert!(x[2] > 40, "{x:?}: the cube behind shows through");
}

/// X-ray settings for the tests below: lit (their meshes are unlit: their colours exactly).
fn xray_on() -> RenderSettings {
    let mut settings = RenderSettings::final_frame();
    settings.overlays.xray = true;
    settings
}

#[test]
fn xray_weighs_each_pixel_by_its_depth_not_by_objects_centres() {
    let Some(ctx) = gpu() else { return };
    // A wide green floor and, floating high over its far side, a small red box, seen from
    // above: the floor's centre lies nearer the eye than the box's, though at the box's
    // pixels the box is in front of the floor. Objects sorted by their centres blended the
    // floor over the box.
    let mut scene = daylit("Box over a floor");
    add_mesh(
        &mut scene,
        "Floor",
        shapes::cube(1.0),
        unlit("Floor", [0.05, 0.6, 0.05]),
        Transform {
            scale: Vec3::new(40.0, 0.2, 40.0),
            ..Transform::IDENTITY
        },
    );
    let box_at = Vec3::new(0.0, 4.0, -10.0);
    add_mesh(
        &mut scene,
        "Box",
        shapes::cube(1.5),
        unlit("Box", [0.8, 0.05, 0.05]),
        Transform::from_translation(box_at),
    );
    let eye = Vec3::new(0.0, 12.0, 6.0);
    assert!(eye.distance(Vec3::ZERO) < eye.distance(box_at));
    let view = look(eye, box_at, 50.0);
    let img = render_with(&ctx, &scene, view, W, H, xray_on(), &[]);
    let ndc = view
        .clip_from_world(W as f32 / H as f32)
        .project_point3(box_at);
    let c = img
        .get_pixel(
            ((ndc.x + 1.0) * 0.5 * W as f32) as u32,
            ((1.0 - ndc.y) * 0.5 * H as f32) as u32,
        )
        .0;
    let [r, g, _] = [c[0], c[1], c[2]].map(i32::from);
    assert!(
        r > g + 30,
        "{c:?}: the floor behind outweighs the box in front"
    );
    assert!(g > 60, "{c:?}: the floor shows through the box");
}

#[test]
fn xray_weighs_a_meshs_own_triangles_by_depth_not_by_their_order() {
    let Some(ctx) = gpu() else { return };
    // One mesh of two squares facing the camera: a red one in front, stored first, and a
    // blue one 3 m behind it. Blended in their stored order, the blue square covered the red.
    let mut scene = daylit("Two squares");
    let mut positions = Vec::new();
    let mut colors = Vec::new();
    for (z, color) in [(0.0, [1.0, 0.0, 0.0, 1.0]), (-3.0, [0.0, 0.0, 1.0, 1.0])] {
        for (x, y) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            positions.push([x, y, z]);
            colors.push(color);
        }
    }
    let mesh = worldsmith::scene::Mesh::new(
        positions,
        vec![[0.0, 0.0, 1.0]; 8],
        Vec::new(),
        colors,
        vec![0, 1, 2, 0, 2, 3, 4, 5, 6, 4, 6, 7],
    );
    add_mesh(
        &mut scene,
        "Squares",
        mesh,
        unlit("White", [1.0; 3]),
        Transform::IDENTITY,
    );
    let img = render_with(&ctx, &scene, view(), W, H, xray_on(), &[]);
    let x = px(&img, Vec3::ZERO);
    assert!(
        x[0] > x[2] + 20,
        "{x:?}: the square behind outweighs the one in front"
    );
    assert!(x[2] > 40, "{x:?}: the square behind shows through");
}

#[test]
fn still_xray_draws_the_world_see_through() {
    if gpu().is_none() {
        return;
    }
    let dir = temp_dir("xray", "still");
    let plain = still_png(&dir.join("plain.png"), "160x90", &["--solid"]);
    let xray = still_png(&dir.join("xray.png"), "160x90", &["--solid", "--xray"]);
    assert_not_degenerate("x-ray world", &xray);
    let faint = still_png(
        &dir.join("faint.png"),
        "160x90",
        &["--solid", "--xray", "--xray-alpha", "0.2"],
    );
    assert!(
        !within_tolerance(&diff(&xray, &faint)),
        "--xray-alpha changed nothing"
    );
    // --xray-alpha needs --xray and a value from 0 to 1.
    for args in [
        &["--xray-alpha", "0.3"][..],
        &["--xray", "--xray-alpha", "1.5"][..],
    ] {
        let out = worldsmith(&[&["still", "--out", "/nonexistent/x.png"][..], args].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("xray-alpha"),
            "{args:?}: {err}"
        );
    }
    let d = diff(&plain, &xray);
    assert!(
        !within_tolerance(&d),
        "X-ray changed nothing: {} of the pixels, mean {}",
        d.bad_fraction,
        d.mean_abs
    );
    std::fs::remove_dir_all(&dir).ok();
}
