//! HiDPI: the viewport's widths are in UI points (`RenderSettings::pixels_per_point`). At 2
//! pixels per point, point discs, line widths, the selection outline, the grid's lines and the
//! light, camera, bone and motion-path lines are twice as many pixels wide; a frame drawn at half resolution while the camera moves
//! (0.5 pixels per point) keeps them at their size on screen.

use crate::common::*;
use glam::Vec3;
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{MAX_OUTLINE_REACH_PX, RenderSettings};
use worldsmith::scene::{Light, LightKind, NodeKind, PointCloud, Scene, Transform};

const W: u32 = 240;
const H: u32 = 160;

/// The viewport's settings at `pixels_per_point`, with or without the grid.
fn viewport(pixels_per_point: f32, grid: bool) -> RenderSettings {
    let mut settings = RenderSettings {
        pixels_per_point,
        ..RenderSettings::viewport()
    };
    settings.overlays.grid = grid;
    settings
}

fn count(img: &RgbaImage, keep: impl Fn(&image::Rgba<u8>) -> bool) -> usize {
    img.pixels().filter(|p| keep(p)).count()
}

fn green(p: &image::Rgba<u8>) -> bool {
    p[1] > 150 && p[0] < 100 && p[2] < 110
}

fn red(p: &image::Rgba<u8>) -> bool {
    p[0] > 200 && p[1] < 60 && p[2] < 60
}

/// 15 green points 0.5 m apart on the left, 4 px each; a red square of lines 2 px wide on
/// the right.
fn points_and_lines() -> Scene {
    let mut scene = Scene::new("Points and lines");
    let positions: Vec<[f32; 3]> = (0..15)
        .map(|i| {
            [
                -2.5 + (i % 5) as f32 * 0.5,
                -0.5 + (i / 5) as f32 * 0.5,
                0.0,
            ]
        })
        .collect();
    add_points(
        &mut scene,
        PointCloud::new(positions, vec![[40, 200, 60, 255]; 15], Vec::new()),
        4.0,
    );
    let corners = vec![
        [0.5, -1.0, 0.0],
        [2.5, -1.0, 0.0],
        [2.5, 1.0, 0.0],
        [0.5, 1.0, 0.0],
    ];
    let (square, _) = PointCloud::new(corners, vec![[255, 0, 0, 255]; 4], Vec::new())
        .with_segments(vec![[0, 1], [1, 2], [2, 3], [3, 0]]);
    let square = scene.add_point_cloud(square);
    scene.add_node(
        None,
        "Square",
        Transform::IDENTITY,
        NodeKind::Lines {
            cloud: square,
            width_px: 2.0,
        },
    );
    scene
}

fn front() -> worldsmith::scene::CameraView {
    look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 50.0)
}

/// The ink `img` adds over `plain`: the summed change of every channel (in whole pixels'
/// worth), which grows with a line's width however its antialiased edges fall on pixels.
fn ink_over(img: &RgbaImage, plain: &RgbaImage) -> usize {
    let ink: u64 = img
        .pixels()
        .zip(plain.pixels())
        .map(|(a, b)| (0..3).map(|c| u64::from(a[c].abs_diff(b[c]))).sum::<u64>())
        .sum();
    (ink / 255) as usize
}

fn assert_ratio(what: &str, at_1: usize, at_2: usize, range: std::ops::Range<f64>) {
    let ratio = at_2 as f64 / at_1.max(1) as f64;
    assert!(
        at_1 > 20 && range.contains(&ratio),
        "{what}: {at_1} pixels at 1 pixel per point, {at_2} at 2 ({ratio:.2}, expected {range:?})"
    );
}

#[test]
fn points_and_lines_are_sized_in_ui_points() {
    let Some(ctx) = gpu() else { return };
    let scene = points_and_lines();
    let at = |ppp: f32, w: u32, h: u32| {
        render_with(&ctx, &scene, front(), w, h, viewport(ppp, false), &[])
    };
    let (one, two) = (at(1.0, W, H), at(2.0, W, H));
    // Discs twice as wide cover four times the pixels; lines twice as wide, twice.
    assert_ratio(
        "point discs",
        count(&one, green),
        count(&two, green),
        3.0..5.0,
    );
    assert_ratio("lines", count(&one, red), count(&two, red), 1.6..2.4);
    // A half-resolution frame at half a pixel per point covers the same share of the view.
    let half = at(0.5, W / 2, H / 2);
    for (what, keep) in [
        ("point discs", green as fn(&image::Rgba<u8>) -> bool),
        ("lines", red),
    ] {
        let (full, half) = (count(&one, keep), count(&half, keep) * 4);
        let ratio = half as f64 / full.max(1) as f64;
        assert!(
            (0.6..1.5).contains(&ratio),
            "{what}: {full} pixels at full size, {half} (×4) at half size and 0.5 pixels per point"
        );
    }
}

#[test]
fn the_selection_outline_is_sized_in_ui_points() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Cube");
    let cube = add_mesh(
        &mut scene,
        "Cube",
        shapes::cube(1.5),
        unlit("Grey", [0.2; 3]),
        Transform::IDENTITY,
    );
    let view = look(Vec3::new(2.0, 1.5, 5.0), Vec3::ZERO, 50.0);
    let at = |ppp: f32| render_with(&ctx, &scene, view, W, H, viewport(ppp, false), &[cube]);
    let (one, two) = (at(1.0), at(2.0));
    assert_ratio(
        "outline",
        count(&one, outline_orange),
        count(&two, outline_orange),
        1.6..2.4,
    );
    // A huge or broken scale is bounded, not a loop over the whole frame per pixel.
    let settings = viewport(f32::INFINITY, false);
    assert_eq!(settings.outline_reach_px(), 2);
    assert_eq!(
        viewport(1e9, false).outline_reach_px(),
        MAX_OUTLINE_REACH_PX
    );
    assert_eq!(viewport(f32::NAN, false).ui_scale(), 1.0);
    assert_eq!(viewport(0.0, false).outline_reach_px(), 1);
}

#[test]
fn grid_lines_are_sized_in_ui_points() {
    let Some(ctx) = gpu() else { return };
    let scene = Scene::new("Empty");
    // Straight down onto the ground from 6 m: 1 m lines ~28 pixels apart, none merging.
    let view = look(Vec3::new(0.0, 6.0, 0.001), Vec3::ZERO, 50.0);
    let plain = render_with(&ctx, &scene, view, W, H, viewport(1.0, false), &[]);
    let grid_pixels = |ppp: f32| {
        let img = render_with(&ctx, &scene, view, W, H, viewport(ppp, true), &[]);
        img.pixels()
            .zip(plain.pixels())
            .filter(|(a, b)| (0..3).any(|c| a[c].abs_diff(b[c]) > 8))
            .count()
    };
    assert_ratio("grid lines", grid_pixels(1.0), grid_pixels(2.0), 1.5..2.6);
}

#[test]
fn light_and_camera_icons_are_drawn_one_ui_point_wide() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Icons");
    scene.add_node(
        None,
        "Lamp",
        Transform::from_translation(Vec3::new(-0.6, 0.0, 0.0)),
        NodeKind::Light(Light {
            kind: LightKind::Point,
            color: [1.0, 1.0, 1.0],
            intensity: 100.0,
            range: None,
            cast_shadows: false,
        }),
    );
    scene.add_node(
        None,
        "Camera",
        Transform::from_translation(Vec3::new(0.8, 0.0, 0.0)),
        NodeKind::Camera(worldsmith::scene::Camera::default()),
    );
    let view = look(Vec3::new(0.0, 0.5, 3.0), Vec3::ZERO, 50.0);
    let mut no_icons = viewport(1.0, false);
    no_icons.overlays.icons = false;
    let plain = render_with(&ctx, &scene, view, W, H, no_icons, &[]);
    let ink = |ppp: f32| {
        ink_over(
            &render_with(&ctx, &scene, view, W, H, viewport(ppp, false), &[]),
            &plain,
        )
    };
    assert_ratio("icon lines' ink", ink(1.0), ink(2.0), 1.7..2.3);
}

#[test]
fn the_wireframe_is_drawn_one_ui_point_wide() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Wire");
    // A light sphere of 16 × 8 quads, unlit, so that the near-black edges show as ink.
    add_mesh(
        &mut scene,
        "Ball",
        shapes::uv_sphere(1.0, 16, 8),
        unlit("Light", [0.8; 3]),
        Transform::IDENTITY,
    );
    let view = look(Vec3::new(0.0, 0.3, 3.2), Vec3::ZERO, 50.0);
    let plain = render_with(&ctx, &scene, view, W, H, viewport(1.0, false), &[]);
    let ink = |ppp: f32| {
        let mut settings = viewport(ppp, false);
        settings.overlays.wireframe = true;
        settings.overlays.wire_opacity = 1.0;
        ink_over(
            &render_with(&ctx, &scene, view, W, H, settings, &[]),
            &plain,
        )
    };
    // Hardware lines stay one pixel wide (a ratio of 1).
    assert_ratio("wireframe ink", ink(1.0), ink(2.0), 1.6..2.4);
}

/// The grid must stand out from what lies under it in the editor: a glTF opened as the app
/// opens it (the importer's default sun and sky) and the ground beside it, where the sky's
/// ground colour (≈ 112/255 at the default sun) used to take the grid's exposed mid grey
/// (≈ 115/255): the lines were there but could not be seen.
#[test]
fn grid_lines_stand_out_from_the_sky_below_the_horizon() {
    let Some(ctx) = gpu() else { return };
    let path = testdata().join("Box.glb");
    let mut scene = worldsmith::import::import_path(&path)
        .unwrap_or_else(|e| panic!("{e}"))
        .scene;
    assert!(worldsmith::import::add_default_light_if_unlit(&mut scene));
    // Onto the ground beside the box from 4 m up, at 45°, as the editor opens: 1 m lines
    // 20 to 60 pixels apart.
    let view = look(Vec3::new(5.0, 4.0, 9.0), Vec3::new(5.0, 0.0, 5.0), 50.0);
    let plain = render_with(&ctx, &scene, view, W, H, viewport(1.0, false), &[]);
    let grid = render_with(&ctx, &scene, view, W, H, viewport(1.0, true), &[]);
    let luma =
        |p: &image::Rgba<u8>| 0.2126 * p[0] as f32 + 0.7152 * p[1] as f32 + 0.0722 * p[2] as f32;
    // The bare ground: the pixels within 2 levels of the most common grey without the grid
    // (not the box, nor its shadow).
    let ground: Vec<f32> = plain.pixels().map(luma).collect();
    let mut sorted = ground.clone();
    sorted.sort_by(f32::total_cmp);
    let typical = sorted[sorted.len() / 2];
    let bare: Vec<usize> = (0..ground.len())
        .filter(|&i| (ground[i] - typical).abs() < 2.0)
        .collect();
    assert!(bare.len() > ground.len() / 2, "{} bare pixels", bare.len());
    // With the grid, the lines over it are much lighter.
    let lighter: Vec<f32> = bare
        .iter()
        .map(|&i| luma(grid.get_pixel(i as u32 % W, i as u32 / W)) - ground[i])
        .collect();
    let strong = lighter.iter().filter(|&&d| d > 15.0).count();
    let brightest = lighter.iter().cloned().fold(f32::MIN, f32::max);
    assert!(
        strong > bare.len() / 40 && brightest > 30.0,
        "{strong} of {} bare ground pixels lighter by more than 15 with the grid, the \
         brightest by {brightest} (ground {typical})",
        bare.len()
    );
}
