//! Solid shading: every mesh in one clay grey under a studio light fixed to the view, before a
//! neutral backdrop, whatever the materials, lights, exposure and sky; blended meshes opaque.

use crate::common;

use common::*;
use glam::{Quat, Vec2, Vec3};
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::{Matcap, RenderSettings, SolidColor, SolidLighting};
use worldsmith::scene::{
    AlphaMode, Image, Light, LightKind, Material, NodeKind, Sampler, Scene, TextureRef, Transform,
    Wrap,
};

const W: u32 = 192;
const H: u32 = 128;

/// Where the test scenes stand their 0.8 m pane: upright, facing +Z, 0.9 m down and 1 m in
/// front of the cubes.
fn front_pane() -> Transform {
    Transform {
        translation: Vec3::new(0.0, -0.9, 1.0),
        rotation: Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
        scale: Vec3::ONE,
    }
}

fn solid() -> RenderSettings {
    let mut s = RenderSettings::final_frame();
    s.overlays.solid = true;
    s
}

/// Two cubes and a pane of glass before them; `variant` changes every colour, the lights,
/// the exposure and the sky, and keeps the shapes.
fn scene(variant: bool) -> Scene {
    let mut scene = Scene::new("Solid");
    if variant {
        scene.add_node(
            None,
            "Lamp",
            Transform::from_translation(Vec3::new(0.0, 3.0, 2.0)),
            NodeKind::Light(Light {
                kind: LightKind::Point,
                color: [1.0, 0.5, 0.2],
                intensity: 800.0,
                range: None,
                cast_shadows: false,
            }),
        );
        scene.environment.exposure_ev100 = 4.0;
        scene.environment.sky.turbidity = 8.0;
    } else {
        add_sun(&mut scene, Vec3::new(0.3, 0.8, 1.0), 100_000.0, true);
        scene.environment.exposure_ev100 = 15.0;
    }
    let colour = |a: [f32; 4], b: [f32; 4]| if variant { b } else { a };
    let mut left = Material::named(
        "Left",
        colour([0.9, 0.05, 0.05, 1.0], [0.1, 0.2, 0.9, 1.0]),
        0.6,
    );
    left.metallic = if variant { 1.0 } else { 0.0 };
    add_mesh(
        &mut scene,
        "Left",
        shapes::cube(1.0),
        left,
        Transform::from_translation(Vec3::new(-1.2, 0.0, 0.0)),
    );
    add_mesh(
        &mut scene,
        "Right",
        shapes::cube(1.0),
        Material::named(
            "Right",
            colour([0.1, 0.8, 0.1, 1.0], [0.9, 0.9, 0.1, 1.0]),
            0.3,
        ),
        Transform::from_translation(Vec3::new(1.2, 0.0, 0.0)),
    );
    let mut glass = Material::named(
        "Glass",
        colour([0.6, 0.8, 1.0, 0.25], [1.0, 0.2, 0.6, 0.4]),
        0.1,
    );
    glass.alpha_mode = AlphaMode::Blend;
    add_mesh(
        &mut scene,
        "Glass",
        shapes::plane(Vec2::splat(0.8), 1),
        glass,
        front_pane(),
    );
    scene
}

fn px(img: &RgbaImage, view: &worldsmith::scene::CameraView, p: Vec3) -> [u8; 4] {
    let ndc = view.clip_from_world(W as f32 / H as f32).project_point3(p);
    let x = ((ndc.x + 1.0) * 0.5 * W as f32) as u32;
    let y = ((1.0 - ndc.y) * 0.5 * H as f32) as u32;
    img.get_pixel(x, y).0
}

fn grey(p: [u8; 4]) -> bool {
    let (lo, hi) = (p[..3].iter().min().copied(), p[..3].iter().max().copied());
    hi.zip(lo).is_some_and(|(hi, lo)| hi - lo <= 3)
}

fn luma(p: [u8; 4]) -> i32 {
    p[..3].iter().map(|&c| i32::from(c)).sum::<i32>() / 3
}

#[test]
fn solid_shading_shows_shapes_in_clay_whatever_the_materials_and_lights() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 2.5, 5.0), Vec3::new(0.0, -0.2, 0.0), 50.0);
    let a = render_with(&ctx, &scene(false), view, W, H, solid(), &[]);
    let b = render_with(&ctx, &scene(true), view, W, H, solid(), &[]);
    let lit = render_with(
        &ctx,
        &scene(false),
        view,
        W,
        H,
        RenderSettings::final_frame(),
        &[],
    );
    assert_not_degenerate("solid", &a);
    // Materials, lights, exposure and sky change nothing.
    let most = diff(&a, &b).max_abs;
    assert!(most <= 2, "solid differs with the lighting by {most}");
    for (what, p) in [
        ("left cube's front", Vec3::new(-1.2, 0.0, 0.5)),
        ("left cube's top", Vec3::new(-1.2, 0.5, 0.0)),
        ("right cube's front", Vec3::new(1.2, 0.0, 0.5)),
        ("left cube's side", Vec3::new(-0.7, 0.0, 0.0)),
        ("glass", Vec3::new(0.0, -0.9, 1.0)),
    ] {
        let p = px(&a, &view, p);
        assert!(grey(p) && luma(p) > 60, "{what}: not clay: {p:?}");
    }
    // Red and green when lit.
    let lit_left = px(&lit, &view, Vec3::new(-1.2, 0.0, 0.5));
    assert!(lit_left[0] > lit_left[1] + 40, "{lit_left:?}");
    // The shape shows: a cube's faces are lit differently, the one facing the viewer most.
    let (front, top, side) = (
        luma(px(&a, &view, Vec3::new(-1.2, 0.0, 0.5))),
        luma(px(&a, &view, Vec3::new(-1.2, 0.5, 0.0))),
        luma(px(&a, &view, Vec3::new(-0.7, 0.0, 0.0))),
    );
    assert!(front > side + 30, "front {front}, side {side}");
    assert!(top > side + 30, "top {top}, side {side}");
    // The backdrop: neutral grey, darker than the clay, lighter at the top.
    let (top_row, bottom_row) = (a.get_pixel(4, 2).0, a.get_pixel(4, H - 3).0);
    assert!(
        grey(top_row) && grey(bottom_row),
        "{top_row:?} {bottom_row:?}"
    );
    assert!(
        luma(top_row) > luma(bottom_row) + 10,
        "{top_row:?} {bottom_row:?}"
    );
    assert!(luma(top_row) + 30 < front.min(top));
    // The glass is drawn opaque: the same clay whatever was behind it or its alpha.
    let glass = px(&a, &view, Vec3::new(0.0, -0.9, 1.0));
    assert!(luma(glass) > luma(bottom_row) + 40, "{glass:?}");
}

#[test]
fn still_solid_renders_the_world_in_clay() {
    if gpu().is_none() {
        return;
    }
    let dir = temp_dir("solid", "world");
    let still = |name: &str, extra: &[&str]| still_png(&dir.join(name), "160x90", extra);
    let coloured = |img: &RgbaImage| img.pixels().filter(|p| !grey(p.0)).count();
    let solid = still("solid.png", &["--solid"]);
    let lit = still("lit.png", &[]);
    let n = (160 * 90) as usize;
    assert_not_degenerate("solid world", &solid);
    assert!(
        coloured(&solid) < n / 100,
        "{} coloured pixels in clay",
        coloured(&solid)
    );
    assert!(
        coloured(&lit) > n / 2,
        "{} coloured pixels lit",
        coloured(&lit)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn random_solid_colours_tell_objects_apart_and_stay_with_them() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 2.5, 5.0), Vec3::new(0.0, -0.2, 0.0), 50.0);
    let mut settings = solid();
    settings.overlays.solid_color = SolidColor::Random;
    let mut scene = scene(false);
    let a = render_with(&ctx, &scene, view, W, H, settings, &[]);
    let clay = render_with(&ctx, &scene, view, W, H, solid(), &[]);
    let left_at = Vec3::new(-1.2, 0.0, 0.5);
    let right_at = Vec3::new(1.2, 0.0, 0.5);
    let (left, right) = (px(&a, &view, left_at), px(&a, &view, right_at));
    assert!(!grey(left) && !grey(right), "coloured: {left:?} {right:?}");
    assert!(
        (0..3).any(|c| left[c].abs_diff(right[c]) > 25),
        "two objects, two colours: {left:?} {right:?}"
    );
    // Still lit by the studio light: the faces differ.
    let side = px(&a, &view, Vec3::new(-0.7, 0.0, 0.0));
    assert!(luma(left) > luma(side) + 20, "{left:?} {side:?}");
    // Clay is grey.
    assert!(grey(px(&clay, &view, left_at)));
    // Moving an object keeps its colour.
    let right = scene.find("Right").expect("right cube");
    scene.set_transform(right, Transform::from_translation(Vec3::new(1.2, 0.6, 0.0)));
    let moved = render_with(&ctx, &scene, view, W, H, settings, &[]);
    let now = px(&moved, &view, Vec3::new(1.2, 0.6, 0.5));
    let before = px(&a, &view, right_at);
    assert!(
        (0..3).all(|c| now[c].abs_diff(before[c]) <= 6),
        "moved: {now:?}, was {before:?}"
    );
}

/// Three cubes and a masked card in front of them: a red material (no texture), a white
/// material with a texture blue on its left half and yellow on its right, and a white
/// material on green vertex colours; the card is white with a texture whose alpha cuts out
/// its right half. `variant` changes the lights, exposure and sky.
fn coloured_scene(variant: bool) -> Scene {
    let mut scene = Scene::new("Solid colours");
    if variant {
        scene.environment.exposure_ev100 = 3.0;
        scene.environment.sky.turbidity = 9.0;
    } else {
        add_sun(&mut scene, Vec3::new(-0.5, 0.6, 1.0), 100_000.0, true);
        scene.environment.exposure_ev100 = 15.0;
    }
    // A white material whose 8 × 8 texture is `left` on its left half and `right` on its
    // right, sampled nearest.
    let mut halves = |name: &str, left: [u8; 4], right: [u8; 4]| {
        let mut px = Vec::new();
        for _y in 0..8u32 {
            for x in 0..8u32 {
                px.extend_from_slice(if x < 4 { &left } else { &right });
            }
        }
        let image = scene.add_image(Image::new(name, 8, 8, px).expect("size"));
        Material {
            name: name.into(),
            base_color: [1.0; 4],
            base_color_texture: Some(TextureRef::new(image, Sampler::nearest(Wrap::ClampToEdge))),
            ..Default::default()
        }
    };
    let split = halves("Textured", [20, 40, 220, 255], [230, 210, 20, 255]);
    let card = Material {
        alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
        double_sided: true,
        ..halves("Card", [255, 255, 255, 255], [255, 255, 255, 0])
    };
    add_mesh(
        &mut scene,
        "Red",
        shapes::cube(1.0),
        Material::named("Red", [0.8, 0.03, 0.03, 1.0], 0.5),
        Transform::from_translation(Vec3::new(-1.6, 0.0, 0.0)),
    );
    add_mesh(
        &mut scene,
        "Textured",
        shapes::cube(1.0),
        split,
        Transform::from_translation(Vec3::new(0.0, 0.0, 0.0)),
    );
    let mut painted = shapes::cube(1.0);
    painted.colors = vec![[0.05, 0.7, 0.05, 1.0]; painted.positions.len()];
    add_mesh(
        &mut scene,
        "Painted",
        painted,
        Material::named("White", [1.0; 4], 0.5),
        Transform::from_translation(Vec3::new(1.6, 0.0, 0.0)),
    );
    add_mesh(
        &mut scene,
        "Card",
        shapes::plane(Vec2::splat(0.8), 1),
        card,
        front_pane(),
    );
    scene
}

fn hue_is(p: [u8; 4], main: usize) -> bool {
    (0..3)
        .filter(|&c| c != main)
        .all(|c| i32::from(p[main]) > i32::from(p[c]) + 60)
}

#[test]
fn solid_material_and_texture_colours_show_the_surfaces_own_colours_under_the_studio_light() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 2.5, 5.0), Vec3::new(0.0, -0.2, 0.0), 50.0);
    let with = |color: SolidColor, variant: bool| {
        let mut settings = solid();
        settings.overlays.solid_color = color;
        render_with(&ctx, &coloured_scene(variant), view, W, H, settings, &[])
    };
    let material = with(SolidColor::Material, false);
    let texture = with(SolidColor::Texture, false);
    let clay = with(SolidColor::Clay, false);
    assert_not_degenerate("solid material colours", &material);
    assert_not_degenerate("solid texture colours", &texture);
    // The scene's lights, exposure and sky change nothing.
    for (what, color, img) in [
        ("material", SolidColor::Material, &material),
        ("texture", SolidColor::Texture, &texture),
    ] {
        let other = with(color, true);
        let most = diff(img, &other).max_abs;
        assert!(
            most <= 2,
            "{what} colours differ with the lighting by {most}"
        );
    }
    let at = |img: &RgbaImage, x: f32, y: f32, z: f32| px(img, &view, Vec3::new(x, y, z));
    // The red material and the green vertex colours, in both; grey in clay.
    for (what, img) in [("material", &material), ("texture", &texture)] {
        let red = at(img, -1.6, 0.0, 0.5);
        let green = at(img, 1.6, 0.0, 0.5);
        assert!(hue_is(red, 0), "{what}: red cube {red:?}");
        assert!(hue_is(green, 1), "{what}: painted cube {green:?}");
        // Studio-lit: the front brighter than the side.
        let side = at(img, -1.1, 0.0, 0.0);
        assert!(
            luma(red) > luma(side) + 15,
            "{what}: front {red:?}, side {side:?}"
        );
    }
    assert!(grey(at(&clay, -1.6, 0.0, 0.5)) && grey(at(&clay, 1.6, 0.0, 0.5)));
    // The texture's colours only in Texture: its halves blue and yellow there, the white
    // factor (light grey) in Material.
    let (left, right) = (at(&texture, -0.25, 0.0, 0.5), at(&texture, 0.25, 0.0, 0.5));
    let blue_and_yellow =
        |a: [u8; 4], b: [u8; 4]| hue_is(a, 2) && b[0].min(b[1]) > b[2].saturating_add(60);
    assert!(
        blue_and_yellow(left, right) || blue_and_yellow(right, left),
        "texture halves: {left:?} {right:?}"
    );
    for p in [
        at(&material, -0.25, 0.0, 0.5),
        at(&material, 0.25, 0.0, 0.5),
    ] {
        assert!(
            grey(p) && luma(p) > 150,
            "white factor, texture left out: {p:?}"
        );
    }
    // The card's texture alpha cuts out the same half in both; the backdrop shows there.
    let backdrop = |img: &RgbaImage| luma(img.get_pixel(4, H - 3).0);
    for (what, img) in [("material", &material), ("texture", &texture)] {
        let (l, r) = (at(img, -0.2, -0.9, 1.0), at(img, 0.2, -0.9, 1.0));
        let cut = |p: [u8; 4]| (luma(p) - backdrop(img)).abs() <= 12;
        assert!(
            cut(l) != cut(r),
            "{what}: one half of the card cut out: {l:?} {r:?}"
        );
        assert!(
            luma(l).max(luma(r)) > backdrop(img) + 60,
            "{what}: {l:?} {r:?}"
        );
    }
    let cut_side = |img: &RgbaImage| luma(at(img, -0.2, -0.9, 1.0)) < luma(at(img, 0.2, -0.9, 1.0));
    assert_eq!(cut_side(&material), cut_side(&texture));
}

#[test]
fn still_solid_color_texture_shows_the_worlds_textures() {
    if gpu().is_none() {
        return;
    }
    let dir = temp_dir("solid", "colours");
    let coloured = |img: &RgbaImage| img.pixels().filter(|p| !grey(p.0)).count();
    let n = (160 * 90) as usize;
    for color in ["material", "texture"] {
        let img = still_png(
            &dir.join(format!("{color}.png")),
            "160x90",
            &["--solid", "--solid-color", color],
        );
        assert_not_degenerate(color, &img);
        assert!(
            coloured(&img) > n / 3,
            "{color}: {} coloured pixels",
            coloured(&img)
        );
    }
    let flat = still_png(
        &dir.join("flat.png"),
        "160x90",
        &["--solid", "--solid-color", "texture", "--flat"],
    );
    let studio = still_png(
        &dir.join("studio.png"),
        "160x90",
        &["--solid", "--solid-color", "texture"],
    );
    assert_not_degenerate("flat", &flat);
    assert_ne!(flat, studio, "--flat changes the lighting");
    for args in [
        &["still", "--solid-color", "texture", "--out", "x.png"][..],
        &["still", "--flat", "--out", "x.png"],
    ] {
        let out = worldsmith(args);
        assert!(!out.status.success(), "{args:?} without --solid");
    }
    let out = worldsmith(&[
        "still",
        "--solid",
        "--solid-color",
        "plaid",
        "--out",
        "x.png",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("plaid"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn flat_solid_lighting_shows_the_colours_exactly_on_every_face() {
    let Some(ctx) = gpu() else { return };
    let view = look(Vec3::new(0.0, 2.5, 5.0), Vec3::new(0.0, -0.2, 0.0), 50.0);
    let with = |color: SolidColor, variant: bool| {
        let mut settings = solid();
        settings.overlays.solid_color = color;
        settings.overlays.solid_lighting = SolidLighting::Flat;
        render_with(&ctx, &coloured_scene(variant), view, W, H, settings, &[])
    };
    let at = |img: &RgbaImage, x: f32, y: f32, z: f32| px(img, &view, Vec3::new(x, y, z));
    let near = |p: [u8; 4], want: [u8; 3], what: &str| {
        assert!(
            (0..3).all(|c| p[c].abs_diff(want[c]) <= 3),
            "{what}: {p:?}, expected {want:?}"
        );
    };
    // sRGB of the linear factors: 0.8 → 231, 0.03 → 48, 0.05 → 63, 0.7 → 218.
    let texture = with(SolidColor::Texture, false);
    assert_not_degenerate("flat texture colours", &texture);
    for (face, (x, y, z)) in [
        ("front", (-1.6, 0.0, 0.5)),
        ("top", (-1.6, 0.5, 0.0)),
        ("side", (-1.1, 0.0, 0.0)),
    ] {
        near(
            at(&texture, x, y, z),
            [231, 48, 48],
            &format!("red cube's {face}"),
        );
        near(
            at(&texture, x + 3.2, y, z),
            [63, 218, 63],
            &format!("painted cube's {face}"),
        );
    }
    // The texture's own texels, as stored (sRGB), on the front and the top alike.
    let (left, right) = (at(&texture, -0.25, 0.0, 0.5), at(&texture, 0.25, 0.0, 0.5));
    let (blue, yellow) = ([20, 40, 220], [230, 210, 20]);
    let is = |p: [u8; 4], want: [u8; 3]| (0..3).all(|c| p[c].abs_diff(want[c]) <= 3);
    assert!(
        (is(left, blue) && is(right, yellow)) || (is(left, yellow) && is(right, blue)),
        "texels: {left:?} {right:?}"
    );
    // Clay is one grey everywhere (0.8 display); the lights change nothing.
    let clay = with(SolidColor::Clay, false);
    for (x, y, z) in [(-1.6, 0.0, 0.5), (-1.6, 0.5, 0.0), (1.6, 0.0, 0.5)] {
        near(at(&clay, x, y, z), [204, 204, 204], "clay");
    }
    let other = with(SolidColor::Texture, true);
    let most = diff(&texture, &other).max_abs;
    assert!(most <= 2, "flat colours differ with the lighting by {most}");
    // Random, flat: each object one colour on all its faces.
    let random = with(SolidColor::Random, false);
    let (front, top) = (at(&random, -1.6, 0.0, 0.5), at(&random, -1.6, 0.5, 0.0));
    assert!(
        !grey(front) && (0..3).all(|c| front[c].abs_diff(top[c]) <= 2),
        "{front:?} {top:?}"
    );
}

/// A clay sphere of radius 1 at the origin, with a sun and an exposure of `ev100` that solid
/// shading must ignore.
fn sphere_scene(ev100: f32) -> Scene {
    let mut scene = Scene::new("Sphere");
    add_sun(&mut scene, Vec3::new(0.4, 0.7, 0.3), 80_000.0, true);
    scene.environment.exposure_ev100 = ev100;
    add_mesh(
        &mut scene,
        "Ball",
        shapes::uv_sphere(1.0, 64, 32),
        Material::named("Red", [0.8, 0.1, 0.1, 1.0], 0.5),
        Transform::IDENTITY,
    );
    scene
}

fn with_lighting(lighting: SolidLighting) -> RenderSettings {
    let mut settings = solid();
    settings.overlays.solid_lighting = lighting;
    settings
}

/// Share of the pixels within `radius` of the frame's centre held by their three most
/// common greys: near 1 for flat bands of shade, low for smooth shading.
fn top_three_share(img: &RgbaImage, radius: f32) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let (cx, cy) = (W as f32 / 2.0, H as f32 / 2.0);
    let mut n = 0usize;
    for (x, y, p) in img.enumerate_pixels() {
        if (x as f32 + 0.5 - cx).hypot(y as f32 + 0.5 - cy) <= radius {
            *counts.entry(luma(p.0)).or_insert(0usize) += 1;
            n += 1;
        }
    }
    let mut sorted: Vec<usize> = counts.into_values().collect();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted.iter().take(3).sum::<usize>() as f64 / n.max(1) as f64
}

/// Mean absolute channel difference of the pixels within `radius` of the frame's centre.
fn mean_abs_within(a: &RgbaImage, b: &RgbaImage, radius: f32) -> f64 {
    let (cx, cy) = (W as f32 / 2.0, H as f32 / 2.0);
    let (mut sum, mut n) = (0u64, 0u64);
    for ((x, y, pa), pb) in a.enumerate_pixels().zip(b.pixels()) {
        if (x as f32 + 0.5 - cx).hypot(y as f32 + 0.5 - cy) <= radius {
            sum += (0..3)
                .map(|c| u64::from(pa[c].abs_diff(pb[c])))
                .sum::<u64>();
            n += 3;
        }
    }
    sum as f64 / n.max(1) as f64
}

#[test]
fn matcaps_shade_by_the_view_normal_alone() {
    let Some(ctx) = gpu() else { return };
    let front = look(Vec3::new(0.0, 0.0, 4.0), Vec3::ZERO, 50.0);
    let side = look(Vec3::new(4.0, 0.0, 0.0), Vec3::ZERO, 50.0);
    let draw = |lighting: SolidLighting, view, ev100: f32| {
        render_with(
            &ctx,
            &sphere_scene(ev100),
            view,
            W,
            H,
            with_lighting(lighting),
            &[],
        )
    };
    let studio = draw(SolidLighting::Studio, front, 15.0);
    let mut shown = vec![("studio", studio.clone())];
    for m in Matcap::ALL {
        let lighting = SolidLighting::MatCap(m);
        let img = draw(lighting, front, 15.0);
        assert_not_degenerate(m.label(), &img);
        // Neither the exposure and the sun nor which way round the sphere is seen changes
        // it: the shade depends on the view-space normal alone.
        let dark = diff(&img, &draw(lighting, front, 2.0)).max_abs;
        assert!(
            dark <= 2,
            "{}: differs with the exposure by {dark}",
            m.label()
        );
        let turned = diff(&img, &draw(lighting, side, 15.0)).mean_abs;
        assert!(
            turned < 1.5,
            "{}: differs seen from the side by {turned:.2}",
            m.label()
        );
        shown.push((m.label(), img));
    }
    // Every MatCap looks unlike the studio light and unlike each other on the sphere.
    let radius = 0.8 * 0.5 * H as f32 / (4.0 * 25f32.to_radians().tan());
    for (i, (a, img_a)) in shown.iter().enumerate() {
        for (b, img_b) in &shown[i + 1..] {
            let d = mean_abs_within(img_a, img_b, radius);
            assert!(d > 10.0, "{a} and {b} differ by only {d:.2} on average");
        }
    }
    let image = |label: &str| &shown.iter().find(|(l, _)| *l == label).expect(label).1;
    let at = |img: &RgbaImage, p: Vec3| px(img, &front, p);
    // Normals: x red, y green, z blue, each 0.5 + 0.5 n (the facing centre 0.95 at most).
    let normals = image("Normals");
    let near = |p: [u8; 4], want: [i32; 3], what: &str| {
        assert!(
            (0..3).all(|c| (i32::from(p[c]) - want[c]).abs() <= 12),
            "normals at {what}: {p:?}, expected about {want:?}"
        );
    };
    near(
        at(normals, Vec3::new(0.0, 0.0, 1.0)),
        [128, 128, 242],
        "the centre",
    );
    let up = at(normals, Vec3::new(0.0, 0.7, 0.714));
    let right = at(normals, Vec3::new(0.7, 0.0, 0.714));
    let left = at(normals, Vec3::new(-0.7, 0.0, 0.714));
    assert!(up[1] > 190 && up[0].abs_diff(128) < 15, "up: {up:?}");
    assert!(
        right[0] > 190 && right[1].abs_diff(128) < 15,
        "right: {right:?}"
    );
    assert!(left[0] < 70, "left: {left:?}");
    // Metal mirrors a bright sky above and a dark floor below.
    let metal = image("Metal");
    let (sky, floor) = (
        luma(at(metal, Vec3::new(0.0, 0.6, 0.8))),
        luma(at(metal, Vec3::new(0.0, -0.6, 0.8))),
    );
    assert!(sky > floor + 60, "metal: sky {sky}, floor {floor}");
    // Toon: a few flat bands; the studio light and ceramic: smooth shading.
    let toon = top_three_share(image("Toon"), radius);
    let smooth = top_three_share(image("Ceramic"), radius);
    assert!(
        toon > 0.85,
        "toon: the three commonest shades cover {toon:.2}"
    );
    assert!(
        smooth < 0.5,
        "ceramic: the three commonest shades cover {smooth:.2}"
    );
    // The colour still comes from the solid colour (clay grey here): a red material does not
    // tint it.
    let ceramic = at(image("Ceramic"), Vec3::new(0.0, 0.0, 1.0));
    assert!(grey(ceramic), "ceramic clay: {ceramic:?}");
}

#[test]
fn still_renders_a_matcap_and_refuses_unknown_ones() {
    if gpu().is_none() {
        return;
    }
    let dir = temp_dir("solid", "matcap");
    let img = still_png(
        &dir.join("normals.png"),
        "160x90",
        &["--solid", "--matcap", "normals"],
    );
    assert_not_degenerate("normals matcap", &img);
    // The world's ground faces up: green, more than red, over most of the frame.
    let greenish = img
        .pixels()
        .filter(|p| i32::from(p[1]) > i32::from(p[0]) + 25)
        .count();
    assert!(greenish > 160 * 90 / 3, "{greenish} pixels facing up");
    for (args, needle) in [
        (
            vec!["still", "--solid", "--matcap", "chalk", "--out", "x.png"],
            "'chalk' is not a MatCap (ceramic, metal, wax, toon, normals)",
        ),
        (
            vec!["still", "--matcap", "metal", "--out", "x.png"],
            "--solid",
        ),
        (
            vec![
                "still", "--solid", "--flat", "--matcap", "metal", "--out", "x.png",
            ],
            "--flat",
        ),
    ] {
        let o = worldsmith(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
