//! Variants through `Renderer::render`: switching uploads no geometry and its first frame is
//! the correct one; goldens of the generated world under three starter variants (which differ
//! from each other); a variant changes pixels only where what it overrides is seen; the
//! thumbnail targets redraw only what a change affects.

use crate::common;

use common::*;
use glam::Vec3;
use image::RgbaImage;
use worldsmith::edit::{Command, variants as vops};
use worldsmith::generate::{generate_world, shapes};
use worldsmith::render::{FrameInput, OffscreenTarget, RenderSettings, Renderer, VariantTargets};
use worldsmith::scene::{Material, NodeKind, Overrides, Scene, Transform, VariantId};

fn variant(scene: &Scene, name: &str) -> VariantId {
    scene
        .variants()
        .find(name)
        .unwrap_or_else(|| panic!("the generated world has a '{name}' variant"))
        .id
}

fn settings() -> RenderSettings {
    RenderSettings {
        shadow_map_size: 1024,
        ..RenderSettings::final_frame()
    }
}

fn draw(
    r: &mut Renderer,
    ctx: &worldsmith::render::GpuContext,
    scene: &Scene,
) -> (RgbaImage, worldsmith::render::FrameStats) {
    let view = scene.camera_view_named("Main").expect("Main camera");
    let target = OffscreenTarget::new(&ctx.device, 160, 90);
    let stats = r.render(
        &FrameInput {
            scene,
            camera: view,
            settings: settings(),
            selection: &[],
            cloud_highlight: None,
        },
        &target.target(),
    );
    (target.read_rgba(ctx).expect("readback"), stats)
}

#[test]
fn switching_variants_uploads_no_geometry_and_the_first_frame_is_right() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let mut r = Renderer::new(&ctx);
    let (base, first) = draw(&mut r, &ctx, &scene);
    assert!(
        first.uploads.meshes > 10,
        "the first frame uploads the world"
    );
    for name in ["Noon", "Golden hour", "Night with lamps"] {
        let shown = scene.resolved_as(variant(&scene, name)).unwrap();
        let (image, stats) = draw(&mut r, &ctx, &shown);
        let u = stats.uploads;
        assert_eq!(
            (u.meshes, u.textures, u.point_clouds, u.splat_clouds),
            (0, 0, 0, 0),
            "{name}: switching re-uploaded geometry or textures: {u:?}"
        );
        // The frame right after the switch equals what a fresh renderer draws.
        let (fresh, _) = draw(&mut Renderer::new(&ctx), &ctx, &shown);
        let d = diff(&image, &fresh);
        assert!(
            within_tolerance(&d),
            "{name}: first frame after the switch is stale: {d:?}"
        );
        let from_base = diff(&image, &base);
        assert!(
            from_base.mean_abs > 4.0,
            "{name}: looks like the base ({:.1})",
            from_base.mean_abs
        );
    }
}

#[test]
fn generated_world_variant_goldens() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").unwrap();
    let mut images = Vec::new();
    for (name, golden) in [
        ("Noon", "variant_noon"),
        ("Golden hour", "variant_golden_hour"),
        ("Night with lamps", "variant_night"),
    ] {
        let shown = scene.resolved_as(variant(&scene, name)).unwrap();
        let image = render_with(&ctx, &shown, view, 320, 180, settings(), &[]);
        if golden != "variant_night" {
            assert_not_degenerate(golden, &image);
        }
        check_golden(golden, &image);
        images.push(image);
    }
    // Lighting differs between all three, so the pictures do.
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let d = diff(&images[a], &images[b]);
        assert!(d.mean_abs > 8.0, "variants {a} and {b} look alike: {d:?}");
    }
    // The night is dark but for the lamps: mostly dark pixels and some bright ones.
    let night = &images[2];
    let dark = night
        .pixels()
        .filter(|p| p[0].max(p[1]).max(p[2]) < 40)
        .count();
    let bright = night.pixels().filter(|p| p[0].min(p[1]) > 150).count();
    let n = night.pixels().count();
    assert!(dark * 2 > n, "night: only {dark} of {n} pixels are dark");
    assert!(
        bright > 20,
        "night: the lamps and windows do not glow ({bright} bright pixels)"
    );
}

/// Two cubes side by side on the left and right half of the frame, each with its own material.
fn two_cubes() -> (Scene, worldsmith::scene::MaterialId) {
    let mut scene = Scene::new("Two cubes");
    add_sun(&mut scene, Vec3::new(0.3, 1.0, 0.6), 50_000.0, false);
    let left = add_mesh(
        &mut scene,
        "Left",
        shapes::cube(1.0),
        Material {
            base_color: [0.7, 0.7, 0.7, 1.0],
            ..Default::default()
        },
        Transform::from_translation(Vec3::new(-1.2, 0.0, 0.0)),
    );
    add_mesh(
        &mut scene,
        "Right",
        shapes::cube(1.0),
        Material {
            base_color: [0.7, 0.7, 0.7, 1.0],
            ..Default::default()
        },
        Transform::from_translation(Vec3::new(1.2, 0.0, 0.0)),
    );
    let NodeKind::Mesh { material, .. } = scene.node(left).unwrap().kind else {
        unreachable!()
    };
    (scene, material)
}

/// Pixels of `b` more than 3/255 off `a` in the left and in the right half (where the two
/// cubes are).
fn changed_halves(a: &RgbaImage, b: &RgbaImage) -> (usize, usize) {
    let mut halves = (0, 0);
    for (x, y, p) in b.enumerate_pixels() {
        let q = a.get_pixel(x, y);
        if (0..3).any(|k| p[k].abs_diff(q[k]) > 3) {
            if x < a.width() / 2 {
                halves.0 += 1;
            } else {
                halves.1 += 1;
            }
        }
    }
    halves
}

#[test]
fn a_variant_changes_pixels_only_where_its_overrides_are_seen() {
    let Some(ctx) = gpu() else { return };
    let (mut scene, left_material) = two_cubes();
    let view = look(Vec3::new(0.0, 1.5, 5.0), Vec3::ZERO, 40.0);
    let base = render(&ctx, &scene, view, 200, 100);
    assert_not_degenerate("two cubes", &base);

    // "Red": only the left cube's colour. "Dark": only the exposure.
    let red = scene.reserve_variant_id();
    let mut overrides = Overrides::default();
    overrides.material_mut(left_material).base_color = Some([0.8, 0.05, 0.05, 1.0]);
    vops::create(&scene, red, "Red", overrides).apply(&mut scene);
    let dark = scene.reserve_variant_id();
    let mut overrides = Overrides::default();
    overrides.environment.exposure_ev100 = Some(scene.environment.exposure_ev100 + 2.0);
    vops::create(&scene, dark, "Dark", overrides).apply(&mut scene);

    let red_image = render(&ctx, &scene.resolved_as(red).unwrap(), view, 200, 100);
    let (left_changed, right_changed) = changed_halves(&base, &red_image);
    assert!(
        left_changed > 300,
        "the red cube did not change ({left_changed} px)"
    );
    assert_eq!(
        right_changed, 0,
        "pixels changed where the variant overrides nothing"
    );

    // Exposure is everywhere: nearly every lit pixel darkens.
    let dark_image = render(&ctx, &scene.resolved_as(dark).unwrap(), view, 200, 100);
    let darker = dark_image
        .pixels()
        .zip(base.pixels())
        .filter(|(d, b)| d[1] + 2 < b[1])
        .count();
    assert!(
        darker * 10 > 8 * 200 * 100,
        "exposure darkened only {darker} px"
    );
    // And the base edits flow: a base colour change of the right cube shows in "Red" too.
    Command::SetMaterial {
        material: {
            let right = scene.find("Right").unwrap();
            let NodeKind::Mesh { material, .. } = scene.node(right).unwrap().kind else {
                unreachable!()
            };
            material
        },
        value: Box::new(Material {
            base_color: [0.05, 0.05, 0.8, 1.0],
            ..Default::default()
        }),
    }
    .apply(&mut scene);
    let red_after = render(&ctx, &scene.resolved_as(red).unwrap(), view, 200, 100);
    let right_blue = red_after
        .enumerate_pixels()
        .filter(|(x, _, p)| *x >= 100 && p[2] > p[0] + 30)
        .count();
    assert!(
        right_blue > 300,
        "the base edit did not reach the variant ({right_blue} px)"
    );
}

/// A variant can hold any factor of a material, including those that pick another shader
/// (clearcoat, sheen): one renderer switching base → variant → base draws each correctly.
#[test]
fn a_variant_turns_on_clearcoat_and_sheen_and_switching_back_restores_the_base() {
    let Some(ctx) = gpu() else { return };
    let (mut scene, left_material) = two_cubes();
    let view = look(Vec3::new(0.0, 1.5, 5.0), Vec3::ZERO, 40.0);
    let wet = scene.reserve_variant_id();
    let mut overrides = Overrides::default();
    let o = overrides.material_mut(left_material);
    o.clearcoat = Some(1.0);
    o.clearcoat_roughness = Some(0.05);
    o.sheen_color = Some([0.9, 0.3, 0.1]);
    o.sheen_roughness = Some(0.5);
    vops::create(&scene, wet, "Wet", overrides).apply(&mut scene);
    let mut r = Renderer::new(&ctx);
    let mut frame = |scene: &Scene| {
        let input = FrameInput {
            scene,
            camera: view,
            settings: settings(),
            selection: &[],
            cloud_highlight: None,
        };
        r.render_to_image(&ctx, &input, 200, 100)
            .expect("readback")
            .0
    };
    let base = frame(&scene);
    assert_not_degenerate("two cubes", &base);
    let shown = scene.resolved_as(wet).unwrap();
    assert_eq!(shown.material(left_material).unwrap().clearcoat, 1.0);
    assert_eq!(scene.material(left_material).unwrap().clearcoat, 0.0);
    let wet_image = frame(&shown);
    let (left_changed, right_changed) = changed_halves(&base, &wet_image);
    assert!(
        left_changed > 300,
        "the coated cube did not change ({left_changed} px)"
    );
    assert_eq!(right_changed, 0, "the other cube changed");
    let again = frame(&scene);
    let off = again
        .pixels()
        .zip(base.pixels())
        .map(|(a, b)| (0..3).map(|k| a[k].abs_diff(b[k])).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    assert!(off <= 1, "back on the base the frame is off by {off}/255");
}

#[test]
fn thumbnails_redraw_only_what_a_change_affects() {
    let Some(ctx) = gpu() else { return };
    let mut scene = generate_world(7);
    let mut r = Renderer::new(&ctx);
    let camera = scene.camera_view_named("Main").unwrap();
    let settings = RenderSettings::thumbnail();
    let ids: Vec<Option<VariantId>> = std::iter::once(None)
        .chain(scene.variants().list.iter().map(|v| Some(v.id)))
        .collect();
    let mut thumbs = VariantTargets::default();
    let changes = thumbs.keep(&ctx.device, &ids, (64, 36));
    assert_eq!(changes.created.len(), ids.len());
    assert_eq!(thumbs.stale(&scene, camera, settings, &ids), ids);
    for id in &ids {
        thumbs.draw(&mut r, &scene, *id, camera, settings).unwrap();
    }
    assert!(thumbs.stale(&scene, camera, settings, &ids).is_empty());
    let noon = thumbs.target(ids[1]).unwrap().read_rgba(&ctx).unwrap();
    assert_not_degenerate("noon thumbnail", &noon);

    // Showing another variant changes no thumbnail.
    vops::switch(&scene, ids[2]).unwrap().apply(&mut scene);
    assert!(thumbs.stale(&scene, camera, settings, &ids).is_empty());
    // Editing one variant's overrides makes only its thumbnail stale.
    let night = ids[5].unwrap();
    let mut env = scene.resolved_as(night).unwrap().environment;
    env.exposure_ev100 += 1.0;
    vops::route(
        &scene,
        night,
        Command::SetEnvironment {
            value: Box::new(env),
        },
    )
    .apply(&mut scene);
    assert_eq!(thumbs.stale(&scene, camera, settings, &ids), vec![ids[5]]);
    // A base edit touches every picture.
    let mut env = scene.environment;
    env.sky.turbidity += 1.0;
    Command::SetEnvironment {
        value: Box::new(env),
    }
    .apply(&mut scene);
    assert_eq!(
        thumbs.stale(&scene, camera, settings, &ids).len(),
        ids.len()
    );
    // A dropped variant drops its target.
    let changes = thumbs.keep(&ctx.device, &ids[..3], (64, 36));
    assert_eq!(changes.removed.len(), ids.len() - 3);
}

#[test]
fn small_frames_draw_simplified_big_meshes_that_look_the_same() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").expect("Main camera");
    let mut r = Renderer::new(&ctx);
    let mut frame = |settings: RenderSettings, w: u32, h: u32| {
        let target = OffscreenTarget::new(&ctx.device, w, h);
        let stats = r.render(
            &FrameInput {
                scene: &scene,
                camera: view,
                settings,
                selection: &[],
                cloud_highlight: None,
            },
            &target.target(),
        );
        (target.read_rgba(&ctx).expect("readback"), stats)
    };
    let thumbnail = RenderSettings::thumbnail();
    let full = RenderSettings {
        detail: worldsmith::render::Detail::Full,
        ..thumbnail
    };
    let (whole, whole_stats) = frame(full, 256, 144);
    let (simplified, simplified_stats) = frame(thumbnail, 256, 144);
    assert_not_degenerate("thumbnail by size", &simplified);
    // The 131k-triangle terrain is drawn from a coarser level: far fewer triangles.
    assert!(
        simplified_stats.triangles * 2 < whole_stats.triangles,
        "{} vs {} triangles",
        simplified_stats.triangles,
        whole_stats.triangles
    );
    let d = diff(&whole, &simplified);
    eprintln!(
        "256x144: {} -> {} triangles, mean diff {:.2}, {:.2} % of pixels off",
        whole_stats.triangles,
        simplified_stats.triangles,
        d.mean_abs,
        d.bad_fraction * 100.0
    );
    assert!(
        d.mean_abs < 3.0 && d.bad_fraction < 0.03,
        "the simplified thumbnail looks different: mean {:.2}, {:.2} % of pixels off",
        d.mean_abs,
        d.bad_fraction * 100.0
    );
    // At viewport sizes every level is too coarse: the same triangles as a full frame.
    let (_, big) = frame(thumbnail, 1280, 720);
    let (_, big_full) = frame(full, 1280, 720);
    assert_eq!(big.triangles, big_full.triangles);
    assert_eq!(big.triangles, whole_stats.triangles);
}
