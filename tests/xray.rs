//! X-ray (`Overlays::xray`, the viewport's Alt+Z): every mesh drawn see-through, so what lies
//! behind an object shows through it, in solid and lit shading, as Blender's X-ray does.

use crate::common::*;
use glam::Vec3;
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{RenderSettings, SolidColor, SplatSort};
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

/// The pixel `p` projects to in `view()`.
fn pixel_at(p: Vec3) -> (u32, u32) {
    let ndc = view()
        .clip_from_world(W as f32 / H as f32)
        .project_point3(p);
    let x = ((ndc.x + 1.0) * 0.5 * W as f32) as u32;
    let y = ((1.0 - ndc.y) * 0.5 * H as f32) as u32;
    (x, y)
}

fn px(img: &RgbaImage, p: Vec3) -> [i32; 3] {
    let (x, y) = pixel_at(p);
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

/// Splats and a wall of X-ray, [front blob, back blob] centres: a blue wall 4 m wide, a
/// green blob in front of its left half and a red one behind its right half.
fn wall_between_blobs(wall: bool, splats: bool) -> (Scene, [Vec3; 2]) {
    let mut scene = daylit("Wall between blobs");
    let at = [Vec3::new(-1.0, 0.0, 4.0), Vec3::new(1.0, 0.0, -4.5)];
    if splats {
        for (name, center, color, seed) in [
            ("Front", at[0], [0.2, 0.8, 0.3], 3),
            ("Back", at[1], [0.9, 0.1, 0.1], 4),
        ] {
            let cloud = crate::clouds::blob(center, 0.8, color, 3000, seed);
            crate::clouds::add_splats(&mut scene, name, cloud, Transform::IDENTITY);
        }
    }
    if wall {
        add_mesh(
            &mut scene,
            "Wall",
            shapes::cube(4.0),
            unlit("Wall", [0.05, 0.05, 0.8]),
            Transform::IDENTITY,
        );
    }
    (scene, at)
}

#[test]
fn xray_meshes_lie_over_splats_behind_them_and_not_over_splats_in_front() {
    let Some(ctx) = gpu() else { return };
    let (with_wall, [front, back]) = wall_between_blobs(true, true);
    let (no_wall, _) = wall_between_blobs(false, true);
    let (wall_alone, _) = wall_between_blobs(true, false);
    let mut reddening = Vec::new();
    // MSAA 4: the splats blend in their layer (`Targets::one_sample`); 1: in the display
    // pass. CPU- and GPU-sorted splats take different pipelines.
    for (msaa, sort) in [
        (4, SplatSort::Cpu),
        (1, SplatSort::Cpu),
        (4, SplatSort::Gpu),
    ] {
        let mut settings = xray_on();
        settings.msaa = msaa;
        settings.splat_sort = sort;
        let render = |scene: &Scene| render_with(&ctx, scene, view(), W, H, settings, &[]);
        let [xray, splats, wall] = [&with_wall, &no_wall, &wall_alone].map(render);
        let what = format!("MSAA {msaa}, {sort:?}");
        if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
            xray.save(std::path::Path::new(&dir).join(format!("blobs-{msaa}-{sort:?}.png")))
                .ok();
        }
        assert_not_degenerate(&what, &xray);
        // The blob in front of the wall looks as without the wall, not tinted blue, over
        // its whole middle, across the wall's edge too (pixels it half covers).
        let [(x0, y0), (x1, y1)] =
            [Vec3::new(-0.7, 0.3, 0.0), Vec3::new(0.6, -0.3, 0.0)].map(|d| pixel_at(front + d));
        for y in y0..=y1 {
            for x in x0..=x1 {
                let [a, b] = [&xray, &splats].map(|img| img.get_pixel(x, y).0);
                assert!(
                    (0..3).all(|i| a[i].abs_diff(b[i]) <= 6),
                    "{what}: the blob in front is {a:?} at ({x}, {y}), alone {b:?}"
                );
            }
        }
        // The blob behind it shows through the see-through wall, under the wall's blue.
        let (x, s, w) = (px(&xray, back), px(&splats, back), px(&wall, back));
        assert!(
            x[2] > s[2] + 30 && x[0] < s[0] - 30,
            "{what}: the blob behind is {x:?}, alone {s:?}: not under the wall"
        );
        assert!(
            x[0] > w[0] + 30,
            "{what}: the blob behind is {x:?}, the wall alone {w:?}: it does not show"
        );
        reddening.push(x[0] - w[0]);
    }
    // The two ways of blending splats agree.
    assert!((reddening[0] - reddening[1]).abs() <= 12, "{reddening:?}");
}

#[test]
fn xray_meshes_lie_over_the_grid_behind_them_and_not_over_the_grid_in_front() {
    let Some(ctx) = gpu() else { return };
    // A blue box seen from above with the grid's red X axis across it: sunk under the ground
    // (the grid in front of it), then raised over it (the grid behind it).
    let eye = Vec3::new(0.0, 7.0, 5.0);
    let view = look(eye, Vec3::ZERO, 50.0);
    let box_at = |y: f32| {
        let mut scene = daylit("Box and grid");
        add_mesh(
            &mut scene,
            "Box",
            shapes::cube(3.0),
            unlit("Box", [0.05, 0.05, 0.8]),
            Transform::from_translation(Vec3::new(0.0, y, 0.0)),
        );
        scene
    };
    let mut settings = RenderSettings::viewport();
    settings.overlays.xray = true;
    let render = |scene: &Scene, grid: bool| {
        let mut s = settings;
        s.overlays.grid = grid;
        render_with(&ctx, scene, view, W, H, s, &[])
    };
    // The reddest pixel (red over green: the box's blue and the grid's grey have as much
    // of each) in a column across the box, and its redness: the X axis.
    let column = W / 2 + 15;
    let axis = |img: &RgbaImage| {
        (0..H)
            .map(|y| {
                let c = img.get_pixel(column, y).0;
                (i32::from(c[0]) - i32::from(c[1]), y)
            })
            .max()
            .unwrap_or_default()
    };
    let empty = daylit("Grid alone");
    let alone_img = render(&empty, true);
    if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
        alone_img
            .save(std::path::Path::new(&dir).join("grid-alone.png"))
            .ok();
    }
    let (alone, _) = axis(&alone_img);
    assert!(alone > 40, "no X axis: redness {alone}");
    for (y, in_front) in [(-2.0, true), (2.0, false)] {
        let scene = box_at(y);
        let with_grid = render(&scene, true);
        if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
            with_grid
                .save(std::path::Path::new(&dir).join(format!("grid-{y}.png")))
                .ok();
        }
        let (redness, row) = axis(&with_grid);
        let under = render(&scene, false).get_pixel(column, row).0;
        let what = format!("box at y {y}: axis redness {redness} (alone {alone}), box {under:?}");
        assert!(
            under[2] > under[0] + 40,
            "{what}: the box is not under the axis"
        );
        if in_front {
            // As red over the box as over nothing: the box's blue does not tint it.
            assert!(redness * 8 > alone * 7, "{what}");
        } else {
            // Seen through the box (about half opaque): its blue lies over the axis.
            assert!(redness * 4 < alone * 3, "{what}");
        }
    }
}

#[test]
fn xray_keeps_the_grid_over_splats_in_front_of_x_ray_but_beyond_the_grid() {
    let Some(ctx) = gpu() else { return };
    // Seen from above: the grid's red X axis, under it a green blob, under that a big blue
    // X-ray box. The blob lies in front of the box, so X-ray draws it after its composite,
    // but beyond the grid's plane, so the axis still lies over it, as without X-ray.
    let eye = Vec3::new(0.0, 7.0, 5.0);
    let view = look(eye, Vec3::ZERO, 50.0);
    let on_axis = Vec3::new(0.3, 0.0, 0.0);
    // Where the view ray through `on_axis` is 1 m under the ground.
    let under = eye + (on_axis - eye) * (8.0 / 7.0);
    let mut scene = daylit("Grid over a blob over a box");
    let cloud = crate::clouds::blob(under, 0.5, [0.2, 0.8, 0.3], 3000, 5);
    crate::clouds::add_splats(&mut scene, "Blob", cloud, Transform::IDENTITY);
    add_mesh(
        &mut scene,
        "Box",
        shapes::cube(6.0),
        unlit("Box", [0.05, 0.05, 0.8]),
        Transform::from_translation(Vec3::new(0.0, -5.5, 0.0)),
    );
    let ndc = view
        .clip_from_world(W as f32 / H as f32)
        .project_point3(on_axis);
    let column = ((ndc.x + 1.0) * 0.5 * W as f32) as u32;
    let row = ((1.0 - ndc.y) * 0.5 * H as f32) as u32;
    // How much the axis reddens the column around `row`: the most red it adds to a pixel
    // over the same frame without the grid.
    let reddening = |with: &RgbaImage, without: &RgbaImage| {
        (row.saturating_sub(4)..(row + 5).min(H))
            .map(|y| {
                let [a, b] = [with, without].map(|img| i32::from(img.get_pixel(column, y).0[0]));
                a - b
            })
            .max()
            .unwrap_or_default()
    };
    for msaa in [4, 1] {
        let render = |xray: bool, grid: bool| {
            let mut s = RenderSettings::viewport();
            s.msaa = msaa;
            s.overlays.xray = xray;
            s.overlays.grid = grid;
            render_with(&ctx, &scene, view, W, H, s, &[])
        };
        let [plain, xray] = [false, true].map(|x| {
            let [with, without] = [true, false].map(|grid| render(x, grid));
            let blob = without.get_pixel(column, row).0;
            assert!(
                blob[1] > blob[0] + 40 && blob[1] > blob[2],
                "MSAA {msaa}, X-ray {x}: the blob is not under the axis: {blob:?}"
            );
            if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
                let name = format!("grid-over-blob-{msaa}-{x}.png");
                with.save(std::path::Path::new(&dir).join(name)).ok();
            }
            reddening(&with, &without)
        });
        assert!(
            plain > 30,
            "MSAA {msaa}: no axis over the blob: it adds red {plain}"
        );
        assert!(
            xray * 8 > plain * 7,
            "MSAA {msaa}: the axis adds red {xray} over the blob with X-ray, {plain} without"
        );
    }
}

/// Green elements through (0, 0, `z`) in front of (or behind) a red wall whose face is at
/// z = 0: one point drawn 40 px wide, or one segment 40 px wide along x from -0.5 to 0.5;
/// either may be left out. (One element: overlapping discs or segments would each add a
/// layer, as a mesh's overlapping surfaces do, and a dense patch would look opaque.)
fn elements_and_wall(z: f32, elements: Option<Elements>, wall: bool) -> Scene {
    use worldsmith::scene::{NodeKind, PointCloud};
    let mut scene = daylit("Elements and wall");
    if let Some(elements) = elements {
        let (positions, segments) = match elements {
            Elements::Point => (vec![[0.0, 0.0, z]], Vec::new()),
            Elements::Segment => (vec![[-0.5, 0.0, z], [0.5, 0.0, z]], vec![[0, 1]]),
        };
        let colors = vec![[40, 200, 60, 255]; positions.len()];
        let (cloud, _) = PointCloud::new(positions, colors, Vec::new()).with_segments(segments);
        let cloud = scene.add_point_cloud(cloud);
        let kind = match elements {
            Elements::Point => NodeKind::Points {
                cloud,
                point_size_px: 40.0,
            },
            Elements::Segment => NodeKind::Lines {
                cloud,
                width_px: 40.0,
            },
        };
        scene.add_node(None, "Patch", Transform::IDENTITY, kind);
    }
    if wall {
        add_mesh(
            &mut scene,
            "Wall",
            shapes::cube(4.0),
            unlit("Wall", [0.8, 0.05, 0.05]),
            Transform::from_translation(Vec3::new(0.0, 0.0, -2.0)),
        );
    }
    scene
}

#[derive(Clone, Copy, Debug)]
enum Elements {
    Point,
    Segment,
}

#[test]
fn xray_draws_points_see_through_as_meshes() {
    elements_see_through(Elements::Point);
}

#[test]
fn xray_draws_lines_see_through_as_meshes() {
    elements_see_through(Elements::Segment);
}

fn elements_see_through(elements: Elements) {
    let Some(ctx) = gpu() else { return };
    // The middle of the patch, in front of the wall's face (z = 0) and then behind it.
    for (z, in_front) in [(2.0, true), (-5.0, false)] {
        let render = |points: bool, wall: bool, xray: bool| {
            let mut settings = if xray {
                xray_on()
            } else {
                RenderSettings::final_frame()
            };
            settings.msaa = 4;
            let scene = elements_and_wall(z, points.then_some(elements), wall);
            let img = render_with(&ctx, &scene, view(), W, H, settings, &[]);
            if let Ok(dir) = std::env::var("WORLDSMITH_XRAY_OUT") {
                let name = format!("{elements:?}-{z}-{points}-{wall}-{xray}.png");
                img.save(std::path::Path::new(&dir).join(name)).ok();
            }
            px(&img, Vec3::new(0.0, 0.0, z))
        };
        let what = format!(
            "{elements:?} {}",
            if in_front { "in front" } else { "behind" }
        );
        let [patch_alone, wall_alone] = [render(true, false, false), render(false, true, false)];
        assert!(
            patch_alone[1] > patch_alone[0] + 60,
            "{what}: the patch is {patch_alone:?}"
        );
        assert!(
            wall_alone[0] > wall_alone[1] + 60,
            "{what}: the wall is {wall_alone:?}"
        );
        // With X-ray and nothing else the point is half see-through (a frame with no mesh
        // takes X-ray's passes too).
        let point_xray = render(true, false, true);
        assert!(
            point_xray[1] + 40 < patch_alone[1] && point_xray[1] > point_xray[0] + 30,
            "{what}: the point alone with X-ray is {point_xray:?}, without {patch_alone:?}"
        );
        // Without X-ray the nearer one hides the other.
        let plain = render(true, true, false);
        let near = if in_front { patch_alone } else { wall_alone };
        assert!(
            (0..3).all(|i| plain[i].abs_diff(near[i]) <= 8),
            "{what}: without X-ray {plain:?}, the nearer alone {near:?}"
        );
        // With X-ray both show: the farther one's colour comes through the nearer.
        let xray = render(true, true, true);
        let (far_channel, near_channel) = if in_front { (0, 1) } else { (1, 0) };
        assert!(
            xray[far_channel] > plain[far_channel] + 25,
            "{what}: with X-ray {xray:?}, without {plain:?}: the farther one does not show"
        );
        assert!(
            xray[near_channel] > xray[far_channel] - 40 && xray[near_channel] > 40,
            "{what}: with X-ray {xray:?}: the nearer one does not show"
        );
    }
}
