//! The wireframe overlay: every mesh's edges over the shaded image where the surface is in
//! front, at the edges' places, nothing between them, hidden edges hidden, near and far.

use crate::common;

use common::*;
use glam::{Quat, Vec2, Vec3};
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{FrameInput, RenderSettings, Renderer};
use worldsmith::scene::{CameraView, Material, Scene, Transform};

const W: u32 = 192;
const H: u32 = 128;

/// The viewport's settings with only the wireframe (`on`) among the overlays.
fn settings(on: bool) -> RenderSettings {
    settings_at(on, 1.0)
}

/// [`settings`] on a display of `pixels_per_point` (2: the edges drawn as quads two pixels
/// wide rather than as hardware lines).
fn settings_at(on: bool, pixels_per_point: f32) -> RenderSettings {
    let mut s = RenderSettings {
        pixels_per_point,
        ..RenderSettings::viewport()
    };
    s.overlays.grid = false;
    s.overlays.icons = false;
    s.overlays.outline = false;
    s.overlays.wireframe = on;
    s
}

fn grey(name: &str) -> Material {
    unlit(name, [0.6; 3])
}

/// A 4 × 4 grid of square cells (each two triangles), `scale` × 4 m wide, facing +Z with
/// its centre at `at`, its top leant back by `tilt` radians. Returns where a point `x` cells
/// right and `y` up of its centre lies.
fn wall(scene: &mut Scene, at: Vec3, scale: f32, tilt: f32) -> impl Fn(f32, f32) -> Vec3 + use<> {
    let t = Transform {
        translation: at,
        rotation: Quat::from_rotation_x(std::f32::consts::FRAC_PI_2 - tilt),
        scale: Vec3::splat(scale),
    };
    add_mesh(
        scene,
        "Wall",
        shapes::plane(Vec2::splat(4.0), 4),
        grey("Wall"),
        t,
    );
    move |x, y| t.rotation * Vec3::new(x, 0.0, -y) * t.scale + t.translation
}

fn px_of(view: &CameraView, p: Vec3) -> (u32, u32) {
    px_in(view, p, W, H)
}

/// The pixel of `p` in an image `w` × `h` pixels of `view`.
fn px_in(view: &CameraView, p: Vec3, w: u32, h: u32) -> (u32, u32) {
    let ndc = view.clip_from_world(w as f32 / h as f32).project_point3(p);
    (
        ((ndc.x + 1.0) * 0.5 * w as f32) as u32,
        ((1.0 - ndc.y) * 0.5 * h as f32) as u32,
    )
}

fn luma(p: [u8; 4]) -> i32 {
    p[..3].iter().map(|&c| i32::from(c)).sum()
}

#[test]
fn the_wireframe_draws_each_edge_where_it_is_and_nothing_between_near_and_far() {
    let Some(ctx) = gpu() else { return };
    let eye = Vec3::new(0.0, 0.0, 6.0);
    let view = look(eye, Vec3::ZERO, 50.0);
    // The same wall 6 m away, 16 times as big 96 m away (the same picture), and leant far
    // back (seen at a grazing 20°): the edges' depth offset holds at any distance and slope,
    // drawn as lines (1 pixel per point) and as quads (2, on an image twice the size, as a
    // HiDPI display has).
    for (distance, scale, tilt, ppp) in [
        (6.0f32, 1.0f32, 0.0f32, 1.0f32),
        (96.0, 16.0, 0.0, 1.0),
        (6.0, 1.0, 1.22, 1.0),
        (6.0, 1.0, 0.0, 2.0),
        (96.0, 16.0, 0.0, 2.0),
        (6.0, 1.0, 1.22, 2.0),
    ] {
        let mut scene = Scene::new("Wall");
        let centre = eye - Vec3::Z * distance;
        let on_wall = wall(&mut scene, centre, scale, tilt);
        let (w, h) = ((W as f32 * ppp) as u32, (H as f32 * ppp) as u32);
        let wire = render_with(&ctx, &scene, view, w, h, settings_at(true, ppp), &[]);
        let plain = render_with(&ctx, &scene, view, w, h, settings_at(false, ppp), &[]);
        // A point on the wall, in cells from its centre.
        let at = |x: f32, y: f32| px_in(&view, on_wall(x, y), w, h);
        let darker = |(x, y): (u32, u32)| {
            (x.saturating_sub(1)..=x + 1).any(|x| {
                (y.saturating_sub(1)..=y + 1)
                    .any(|y| luma(plain.get_pixel(x, y).0) - luma(wire.get_pixel(x, y).0) > 60)
            })
        };
        for k in [-2.0f32, -1.0, 0.0, 1.0, 2.0] {
            for j in [-1.5f32, -0.5, 0.5, 1.5] {
                // The middles of the cells' vertical and horizontal sides.
                assert!(
                    darker(at(k, j)),
                    "{distance} m, {ppp} px/pt: no edge at x = {k}, y = {j}"
                );
                assert!(
                    darker(at(j, k)),
                    "{distance} m, {ppp} px/pt: no edge at x = {j}, y = {k}"
                );
            }
        }
        // Inside the cells, clear of their sides and diagonals, the wall as it was.
        for k in [-2.0f32, -1.0, 0.0, 1.0] {
            for j in [-2.0f32, -1.0, 0.0, 1.0] {
                let (x, y) = at(k + 0.2, j + 0.5);
                assert_eq!(
                    wire.get_pixel(x, y),
                    plain.get_pixel(x, y),
                    "{distance} m, {ppp} px/pt: a line inside cell ({k}, {j}) at ({x}, {y})"
                );
            }
        }
        // Off the wall, nothing.
        assert_eq!(wire.get_pixel(2, 2), plain.get_pixel(2, 2));
    }
}

#[test]
fn edges_behind_a_surface_are_hidden_and_nothing_is_uploaded_again() {
    let Some(ctx) = gpu() else { return };
    // As lines (1 pixel per point) and as quads (2).
    for ppp in [1.0, 2.0] {
        edges_behind_a_surface_are_hidden_at(&ctx, ppp);
    }
}

fn edges_behind_a_surface_are_hidden_at(ctx: &worldsmith::render::GpuContext, ppp: f32) {
    let view = look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 50.0);
    let mut alone = Scene::new("Wall");
    let _ = wall(&mut alone, Vec3::ZERO, 1.0, 0.0);
    let mut behind = alone.clone();
    // A box 2 m behind the wall, whole within its outline as seen from the eye.
    add_mesh(
        &mut behind,
        "Box",
        shapes::cube(1.5),
        grey("Box"),
        Transform::from_translation(Vec3::new(0.3, -0.2, -2.0)),
    );
    let mut r = Renderer::new(ctx);
    let mut image = |scene: &Scene| {
        let frame = FrameInput {
            scene,
            camera: view,
            settings: settings_at(true, ppp),
            selection: &[],
            cloud_highlight: None,
        };
        r.render_to_image(ctx, &frame, W, H).expect("readback")
    };
    let (alone_img, _) = image(&alone);
    let (first, first_stats) = image(&behind);
    let (again, again_stats) = image(&behind);
    let differing =
        |a: &RgbaImage, b: &RgbaImage| a.pixels().zip(b.pixels()).filter(|(p, q)| p != q).count();
    assert_eq!(
        differing(&alone_img, &first),
        0,
        "{ppp} px/pt: the box's edges show through the wall"
    );
    assert_eq!(differing(&first, &again), 0);
    assert!(
        first_stats.uploads.bytes > 0,
        "the box and its edges went up"
    );
    assert_eq!(
        again_stats.uploads.bytes, 0,
        "an unchanged frame uploads nothing, the edge lists included"
    );
    // Seen from the side, the box's edges do show.
    let side = look(Vec3::new(5.0, 0.5, 1.0), Vec3::new(0.3, -0.2, -2.0), 50.0);
    let frame = |on| FrameInput {
        scene: &behind,
        camera: side,
        settings: settings_at(on, ppp),
        selection: &[],
        cloud_highlight: None,
    };
    let (with, _) = r
        .render_to_image(ctx, &frame(true), W, H)
        .expect("readback");
    let (without, _) = r
        .render_to_image(ctx, &frame(false), W, H)
        .expect("readback");
    assert!(
        differing(&with, &without) > 200,
        "{}",
        differing(&with, &without)
    );
}

#[test]
fn still_wireframe_draws_the_edges_headless() {
    if gpu().is_none() {
        return;
    }
    let dir = temp_dir("wire", "still");
    let still = |name: &str, extra: &[&str]| still_png(&dir.join(name), "160x90", extra);
    let wire = still("wire.png", &["--wireframe"]);
    let plain = still("plain.png", &[]);
    let mean = |img: &RgbaImage| {
        img.pixels().map(|p| f64::from(luma(p.0))).sum::<f64>()
            / f64::from(img.width() * img.height())
    };
    // The terrain's dense edges darken the whole frame, more when opaque.
    assert!(
        mean(&wire) < mean(&plain) - 10.0,
        "{} vs {}",
        mean(&wire),
        mean(&plain)
    );
    let opaque = still("opaque.png", &["--wireframe", "--wire-opacity", "1"]);
    assert!(
        mean(&opaque) < mean(&wire) - 5.0,
        "{} vs {}",
        mean(&opaque),
        mean(&wire)
    );
    for bad in [
        &["--wireframe", "--wire-opacity", "1.5"][..],
        &["--wireframe", "--wire-opacity", "NaN"],
        &["--wire-opacity", "0.5"],
    ] {
        let out = dir.join("bad.png");
        let args: Vec<&str> = ["still", "--out", out.to_str().expect("utf-8 path")]
            .into_iter()
            .chain(bad.iter().copied())
            .collect();
        let run = worldsmith(&args);
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            !run.status.success() && err.contains("wire-opacity") && !out.exists(),
            "{bad:?}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_selected_objects_edges_are_drawn_in_the_outlines_orange() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 50.0);
    let mut scene = Scene::new("Wall and box");
    let on_wall = wall(&mut scene, Vec3::ZERO, 1.0, 0.0);
    let wall_id = scene.find("Wall").expect("wall");
    let box_id = add_mesh(
        &mut scene,
        "Box",
        shapes::cube(0.5),
        grey("Box"),
        Transform::from_translation(Vec3::new(3.0, 1.5, 0.0)),
    );
    let orange = |p: [u8; 4]| p[0] > 150 && i32::from(p[0]) > i32::from(p[2]) + 80;
    // Middles of the wall's cell sides, clear of the box.
    let edge_points: Vec<(u32, u32)> = [(-1.0, -1.5), (0.0, 0.5), (1.5, -1.0), (-0.5, 1.0)]
        .into_iter()
        .map(|(x, y)| px_of(&view, on_wall(x, y)))
        .collect();
    let any_orange_near = |img: &RgbaImage, (x, y): (u32, u32)| {
        (x - 1..=x + 1).any(|x| (y - 1..=y + 1).any(|y| orange(img.get_pixel(x, y).0)))
    };
    for (selection, wall_orange) in [
        (vec![wall_id], true),
        (vec![box_id], false),
        (vec![], false),
    ] {
        let img = render_with(&ctx, &scene, view, W, H, settings(true), &selection);
        for &p in &edge_points {
            assert_eq!(
                any_orange_near(&img, p),
                wall_orange,
                "selection {selection:?}: the wall's edge at {p:?}"
            );
        }
    }
}

#[test]
fn the_wireframes_opacity_sets_how_much_its_edges_cover() {
    let Some(ctx) = gpu() else { return };
    let eye = Vec3::new(0.0, 0.0, 6.0);
    let view = look(eye, Vec3::ZERO, 50.0);
    let mut scene = Scene::new("Wall");
    let on_wall = wall(&mut scene, eye - Vec3::Z * 6.0, 1.0, 0.0);
    let with = |opacity: f32| {
        let mut s = settings(true);
        s.overlays.wire_opacity = opacity;
        render_with(&ctx, &scene, view, W, H, s, &[])
    };
    let plain = render_with(&ctx, &scene, view, W, H, settings(false), &[]);
    // The darkest pixel around the middle of a cell's side, for each opacity.
    let (x, y) = px_of(&view, on_wall(0.0, 0.5));
    let darkest = |img: &RgbaImage| {
        (x - 1..=x + 1)
            .flat_map(|x| (y - 1..=y + 1).map(move |y| (x, y)))
            .map(|(x, y)| luma(img.get_pixel(x, y).0))
            .min()
            .unwrap_or(0)
    };
    let wall_luma = darkest(&plain);
    let (faint, default, solid) = (
        darkest(&with(0.2)),
        darkest(&with(worldsmith::render::DEFAULT_WIRE_OPACITY)),
        darkest(&with(1.0)),
    );
    assert!(
        wall_luma > faint + 20 && faint > default + 40 && default > solid + 40,
        "edge darkness at opacity 0.2 / 0.55 / 1: {faint} {default} {solid} on {wall_luma}"
    );
    // Opaque lines take at least 40 % off the wall where they are (a 1 px line covers part
    // of a pixel's MSAA samples, so not the line colour itself).
    assert!(solid * 10 < wall_luma * 6, "{solid} on {wall_luma}");
    // Opacity 0: exactly the picture without the overlay; out of range or NaN: clamped or
    // the default, never a broken frame.
    assert_same("opacity 0 against no overlay", &with(0.0), &plain);
    assert_same("opacity 7 against 1", &with(7.0), &with(1.0));
    assert_same(
        "opacity NaN against the default",
        &with(f32::NAN),
        &with(worldsmith::render::DEFAULT_WIRE_OPACITY),
    );
}

/// Asserts two frames are the same pixel for pixel, naming how many differ and by how much
/// (not the frames' bytes).
fn assert_same(what: &str, a: &RgbaImage, b: &RgbaImage) {
    assert_eq!(a.dimensions(), b.dimensions(), "{what}");
    let differing: Vec<u8> = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| p != q)
        .map(|(p, q)| (0..4).map(|c| p[c].abs_diff(q[c])).max().unwrap_or(0))
        .collect();
    assert!(
        differing.is_empty(),
        "{what}: {} pixels differ, by up to {}",
        differing.len(),
        differing.iter().max().unwrap_or(&0)
    );
}
