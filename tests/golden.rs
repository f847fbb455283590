//! Golden images rendered headless through `Renderer::render` on whatever adapter wgpu finds
//! (lavapipe in CI), compared with a tolerance. Failures write actual + diff PNGs to
//! `target/golden-failures/`; `WORLDSMITH_BLESS=1` rewrites the goldens.

use crate::common;

use common::*;
use glam::{Quat, Vec2, Vec3};
use worldsmith::generate::{generate_world, shapes};
use worldsmith::render::{RenderSettings, framing_view};
use worldsmith::scene::{
    AlphaMode, Image, Light, LightKind, Material, Mesh, NodeKind, Sampler, Scene, TextureRef,
    Transform, UvTransform, Wrap,
};

const W: u32 = 320;
const H: u32 = 180;

fn ground(scene: &mut Scene, size: f32) {
    add_mesh(
        scene,
        "Ground",
        shapes::plane(Vec2::splat(size), 1),
        Material::named("Ground", [0.5, 0.5, 0.5, 1.0], 0.8),
        Transform::IDENTITY,
    );
}

#[test]
fn world_from_main_camera() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").expect("Main camera");
    check_golden("world_main", &render(&ctx, &scene, view, W, H));
}

/// wgpu's GL backend (what a machine without Vulkan falls back to) draws the same frames:
/// its render targets cannot be viewed as sRGB there, so the post pass encodes itself
/// (`RenderTarget::encode`), and sheen texture slots are left out at its 16 textures. The
/// world's golden and a glass-and-sheen scene against the Vulkan adapter's frame.
#[test]
fn the_gl_backend_draws_the_same_frames() {
    let Some(vulkan) = gpu() else { return };
    let gl = match worldsmith::render::GpuContext::headless_on(wgpu::Backends::GL) {
        Ok(gl) => gl,
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("no GL adapter on CI (libegl1, libegl-mesa0): {e}")
        }
        Err(e) => {
            eprintln!("SKIPPED: no GL adapter ({e})");
            return;
        }
    };
    assert_eq!(gl.adapter.get_info().backend, wgpu::Backend::Gl);
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").expect("Main camera");
    check_golden("world_main", &render(&gl, &scene, view, W, H));

    let mut glass = Scene::new("glass and sheen");
    ground(&mut glass, 20.0);
    let sphere = |scene: &mut Scene, name: &str, material: Material, x: f32, z: f32| {
        add_mesh(
            scene,
            name,
            shapes::uv_sphere(1.0, 48, 24),
            material,
            Transform::from_translation(Vec3::new(x, 1.0, z)),
        );
    };
    let velvet = Material {
        sheen_color: [1.0, 0.6, 0.6],
        sheen_roughness: 0.4,
        ..Material::named("Velvet", [0.3, 0.02, 0.03, 1.0], 0.9)
    };
    let red_glass = Material {
        transmission: 1.0,
        ..Material::named("Red glass", [1.0, 0.2, 0.2, 1.0], 0.05)
    };
    let clear_glass = Material {
        transmission: 1.0,
        ..Material::named("Clear glass", [1.0, 1.0, 1.0, 1.0], 0.05)
    };
    sphere(&mut glass, "Velvet", velvet, 0.0, -5.0);
    sphere(&mut glass, "Red glass", red_glass, -0.6, -2.0);
    sphere(&mut glass, "Clear glass", clear_glass, 0.6, 0.0);
    add_sun(&mut glass, Vec3::new(0.5, 0.6, 0.8), 100_000.0, true);
    glass.environment.exposure_ev100 = 15.0;
    let view = look(Vec3::new(0.0, 1.5, 7.0), Vec3::new(0.0, 1.0, -2.0), 45.0);
    let on_vulkan = render(&vulkan, &glass, view, W, H);
    let on_gl = render(&gl, &glass, view, W, H);
    let d = diff(&on_vulkan, &on_gl);
    let (mean, worst) = (d.mean_abs, d.max_abs);
    let (luma, spread) = luma_stats(&on_gl);
    assert!(
        luma > 20.0 && spread > 5.0,
        "GL frame blank: {luma} ± {spread}"
    );
    eprintln!("GL against Vulkan: mean {mean:.3}, worst {worst}");
    assert!(
        mean < 0.5 && worst < 24,
        "GL against Vulkan: mean {mean:.2}, worst {worst}"
    );

    // X-ray, lit and in clay (its front pre-pass is read back as a float texture: GL cannot
    // load a depth texture in a shader).
    let view = scene.camera_view_named("Main").expect("Main camera");
    for solid in [false, true] {
        let mut settings = worldsmith::render::RenderSettings::final_frame();
        settings.overlays.xray = true;
        settings.overlays.solid = solid;
        let on_vulkan = render_with(&vulkan, &scene, view, W, H, settings, &[]);
        let on_gl = render_with(&gl, &scene, view, W, H, settings, &[]);
        let d = diff(&on_vulkan, &on_gl);
        let (mean, worst) = (d.mean_abs, d.max_abs);
        assert!(
            mean < 0.5 && worst < 24,
            "X-ray (solid: {solid}) on GL against Vulkan: mean {mean:.2}, worst {worst}"
        );
        settings.overlays.xray = false;
        let plain = render_with(&gl, &scene, view, W, H, settings, &[]);
        assert!(
            !within_tolerance(&diff(&plain, &on_gl)),
            "X-ray (solid: {solid}) changed nothing on GL"
        );
    }
}

#[test]
fn world_from_street_camera() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Street").expect("Street camera");
    check_golden("world_street", &render(&ctx, &scene, view, W, H));
}

#[test]
fn world_overview_other_seed() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(3);
    check_golden(
        "world_seed3_overview",
        &render(&ctx, &scene, framing_view(&scene), W, H),
    );
}

fn pbr_spheres_scene() -> Scene {
    let mut scene = Scene::new("PBR spheres");
    let sphere = scene.add_mesh(shapes::uv_sphere(0.4, 32, 16));
    for row in 0..5 {
        for col in 0..5 {
            let metallic = row as f32 / 4.0;
            let roughness = (col as f32 / 4.0).max(0.05);
            let mat = scene.add_material(Material {
                name: format!("m{metallic}_r{roughness}"),
                base_color: [0.9, 0.2, 0.1, 1.0],
                metallic,
                roughness,
                ..Default::default()
            });
            scene.add_node(
                None,
                &format!("Sphere_{row}_{col}"),
                Transform::from_translation(Vec3::new(col as f32 - 2.0, 2.0 - row as f32, 0.0)),
                NodeKind::Mesh {
                    mesh: sphere,
                    material: mat,
                },
            );
        }
    }
    add_sun(&mut scene, Vec3::new(0.5, 0.6, 0.8), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    scene
}

#[test]
fn pbr_spheres_metallic_by_roughness() {
    let Some(ctx) = gpu() else { return };
    let scene = pbr_spheres_scene();
    let view = look(Vec3::new(0.0, 0.0, 9.0), Vec3::ZERO, 45.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("pbr_spheres", &img);
}

fn shadow_scene() -> Scene {
    let mut scene = Scene::new("Shadows");
    ground(&mut scene, 40.0);
    add_mesh(
        &mut scene,
        "Box",
        shapes::cube(2.0),
        Material::named("Box", [0.8, 0.8, 0.8, 1.0], 0.5),
        Transform::from_translation(Vec3::new(0.0, 1.0, 0.0)),
    );
    add_mesh(
        &mut scene,
        "Pole",
        shapes::cylinder(0.15, 4.0, 16),
        Material::named("Pole", [0.2, 0.3, 0.8, 1.0], 0.4),
        Transform::from_translation(Vec3::new(3.0, 0.0, 2.0)),
    );
    // Low sun from +X: shadows fall towards -X.
    add_sun(&mut scene, Vec3::new(1.0, 0.6, 0.2), 100_000.0, true);
    scene.environment.exposure_ev100 = 15.0;
    scene
}

#[test]
fn shadows_fall_away_from_the_sun() {
    let Some(ctx) = gpu() else { return };
    let scene = shadow_scene();
    let view = look(Vec3::new(0.0, 9.0, 12.0), Vec3::new(-1.0, 0.0, 0.0), 50.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("shadows", &img);
    // Ground just behind the box (towards -X) is shadowed; ground in front (+X) is lit.
    let project = |p: Vec3| {
        let clip = view.clip_from_world(W as f32 / H as f32) * p.extend(1.0);
        let ndc = clip.truncate() / clip.w;
        (
            ((ndc.x * 0.5 + 0.5) * W as f32) as u32,
            ((0.5 - ndc.y * 0.5) * H as f32) as u32,
        )
    };
    let l = |p: Vec3| {
        let (x, y) = project(p);
        let px = img.get_pixel(x, y);
        u32::from(px[0]) + u32::from(px[1]) + u32::from(px[2])
    };
    let shadowed = l(Vec3::new(-2.2, 0.0, 0.0));
    let lit = l(Vec3::new(2.2, 0.0, -1.0));
    assert!(
        shadowed * 2 < lit,
        "shadowed ground ({shadowed}) should be much darker than lit ground ({lit})"
    );
}

#[test]
fn spot_light_cone() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Spot");
    ground(&mut scene, 20.0);
    // Night: no sun, only the spot.
    scene.environment.exposure_ev100 = 2.0;
    let down = Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2);
    scene.add_node(
        None,
        "Spot",
        Transform::from_translation(Vec3::new(0.0, 4.0, 0.0)).with_rotation(down),
        NodeKind::Light(Light {
            kind: LightKind::Spot {
                inner_cone_rad: 25f32.to_radians(),
                outer_cone_rad: 35f32.to_radians(),
            },
            color: [1.0, 0.8, 0.5],
            intensity: 200.0,
            range: Some(20.0),
            cast_shadows: false,
        }),
    );
    let view = look(Vec3::new(0.0, 6.0, 5.0), Vec3::ZERO, 50.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("spot_cone", &img);
    let clip = view.clip_from_world(W as f32 / H as f32) * Vec3::ZERO.extend(1.0);
    let ndc = clip.truncate() / clip.w;
    let (cx, cy) = (
        ((ndc.x * 0.5 + 0.5) * W as f32) as u32,
        ((0.5 - ndc.y * 0.5) * H as f32) as u32,
    );
    let center = img.get_pixel(cx, cy);
    let outside = img.get_pixel(5, H - 5);
    assert!(center[0] > 120, "cone centre should be lit: {center:?}");
    assert!(
        outside[0] < 20,
        "outside the cone should be dark: {outside:?}"
    );
    assert!(center[0] >= center[2], "warm light: {center:?}");
}

#[test]
fn alpha_blend_shows_what_is_behind() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Blend");
    add_sun(&mut scene, Vec3::new(0.2, 1.0, 0.6), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    add_mesh(
        &mut scene,
        "Red box",
        shapes::cube(2.0),
        Material::named("Red", [0.8, 0.05, 0.05, 1.0], 0.6),
        Transform::from_translation(Vec3::new(0.0, 0.0, -2.0)),
    );
    for (i, (x, color)) in [(-1.0, [0.1, 0.2, 0.9, 0.5]), (1.0, [0.1, 0.9, 0.2, 0.5])]
        .into_iter()
        .enumerate()
    {
        add_mesh(
            &mut scene,
            &format!("Glass {i}"),
            shapes::plane(Vec2::splat(2.5), 1),
            Material {
                name: format!("Glass {i}"),
                base_color: color,
                roughness: 0.2,
                alpha_mode: AlphaMode::Blend,
                double_sided: true,
                ..Default::default()
            },
            Transform::from_translation(Vec3::new(x, 0.0, i as f32 * 0.5))
                .with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        );
    }
    let view = look(Vec3::new(0.0, 0.5, 6.0), Vec3::new(0.0, 0.0, -1.0), 45.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("alpha_blend", &img);
    // Centre-left: red box seen through blue glass → both red and blue present.
    let p = img.get_pixel(W / 2 - 12, H / 2);
    assert!(
        p[0] > 40 && p[2] > 40,
        "blend of red and blue expected: {p:?}"
    );
}

#[test]
fn textured_checker_with_mipmaps() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Texture");
    add_sun(&mut scene, Vec3::new(0.3, 1.0, 0.5), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    let mut px = Vec::new();
    for y in 0..64u32 {
        for x in 0..64u32 {
            let on = ((x / 8) + (y / 8)) % 2 == 0;
            px.extend_from_slice(if on {
                &[230, 230, 230, 255]
            } else {
                &[30, 60, 160, 255]
            });
        }
    }
    let image = scene.add_image(Image::new("checker", 64, 64, px).expect("size"));
    let mesh = scene.add_mesh(shapes::plane(Vec2::splat(30.0), 1));
    let material = scene.add_material(Material {
        name: "Checker".into(),
        base_color: [1.0; 4],
        roughness: 0.7,
        base_color_texture: Some(TextureRef::new(image, Sampler::default())),
        uv_scale: [8.0, 8.0],
        ..Default::default()
    });
    scene.add_node(
        None,
        "Floor",
        Transform::IDENTITY,
        NodeKind::Mesh { mesh, material },
    );
    let view = look(Vec3::new(0.0, 2.0, 8.0), Vec3::new(0.0, 0.0, -10.0), 60.0);
    // Trilinear filtering on every adapter: the golden checks the mip chain, which a GPU's
    // anisotropic filtering (its own per vendor) would sharpen towards the horizon.
    let frame = final_frame(&scene, view);
    let mut r = worldsmith::render::Renderer::new(&ctx);
    let mut with_anisotropy = |n: u16| {
        r.set_max_anisotropy(n);
        r.render_to_image(&ctx, &frame, W, H).expect("readback").0
    };
    let img = with_anisotropy(1);
    check_golden("textured_checker", &img);
    // Pinned at 16× and back at 1×, the frame is the trilinear one again: the samplers follow
    // the setting.
    with_anisotropy(16);
    assert!(with_anisotropy(1) == img, "back at 1× after 16×");
    // The default on a GPU (8×) keeps more of the checker far away; on a software adapter
    // the default is trilinear, the same frame.
    let default = render(&ctx, &scene, view, W, H);
    let far_contrast = |img: &image::RgbaImage| {
        (80..100)
            .map(|y| {
                let v: Vec<i32> = (0..W).map(|x| i32::from(img.get_pixel(x, y)[0])).collect();
                v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
            })
            .sum::<i32>()
    };
    if ctx.adapter.get_info().device_type == wgpu::DeviceType::Cpu {
        assert!(
            default == img,
            "trilinear is the software adapter's default"
        );
    } else {
        assert!(
            far_contrast(&default) > far_contrast(&img),
            "anisotropic filtering keeps more contrast far away: {} against {}",
            far_contrast(&default),
            far_contrast(&img)
        );
    }
    // Near the camera the checker has contrast; near the horizon mipmaps average it out.
    let row_contrast = |y: u32| {
        let v: Vec<i32> = (0..W).map(|x| i32::from(img.get_pixel(x, y)[0])).collect();
        v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
    };
    assert!(row_contrast(H - 10) > 80, "near rows show the checker");
    // Far away (just below the horizon) the mipmapped checker averages to an even tone
    // instead of aliasing: little contrast down the centre column there.
    let column_contrast = |y0: u32, y1: u32| {
        let v: Vec<i32> = (y0..y1)
            .map(|y| i32::from(img.get_pixel(W / 2 + 7, y)[0]))
            .collect();
        v.iter().max().unwrap_or(&0) - v.iter().min().unwrap_or(&0)
    };
    assert!(
        column_contrast(87, 92) < 30,
        "far rows should be filtered by mipmaps"
    );
    assert!(column_contrast(150, 178) > 80, "near rows show the checker");
}

#[test]
fn viewport_overlays_draw_grid_outline_and_icons() {
    let Some(ctx) = gpu() else { return };
    let scene = shadow_scene();
    let selection = [scene.find("Box").expect("box")];
    let view = look(Vec3::new(0.0, 9.0, 12.0), Vec3::new(-1.0, 0.0, 0.0), 50.0);
    let plain = render(&ctx, &scene, view, W, H);
    let with = render_with(
        &ctx,
        &scene,
        view,
        W,
        H,
        RenderSettings::viewport(),
        &selection,
    );
    check_golden("viewport_overlays", &with);
    // The outline is orange: count strongly orange pixels that the plain frame lacks.
    let orange = |img: &image::RgbaImage| {
        img.pixels()
            .filter(|p| outline_orange(p) && p[0] - p[2] > 100)
            .count()
    };
    assert!(
        orange(&with) > orange(&plain) + 50,
        "selection outline missing"
    );
}

#[test]
fn comparison_rejects_shifted_black_and_flat_frames() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").expect("Main camera");
    let img = render(&ctx, &scene, view, W, H);
    let golden = image::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/world_main.png"),
    )
    .expect("world_main golden")
    .to_rgba8();
    assert!(
        within_tolerance(&diff(&golden, &img)),
        "same render must match"
    );
    // Shifted by 3 pixels: must fail.
    let mut shifted = image::RgbaImage::new(W, H);
    for (x, y, p) in shifted.enumerate_pixels_mut() {
        *p = *img.get_pixel((x + 3).min(W - 1), y);
    }
    assert!(
        !within_tolerance(&diff(&golden, &shifted)),
        "a 3 px shift must fail"
    );
    // Black and flat frames fail the sanity check before any comparison.
    for (name, flat) in [
        (
            "black",
            image::RgbaImage::from_pixel(W, H, image::Rgba([0, 0, 0, 255])),
        ),
        (
            "grey",
            image::RgbaImage::from_pixel(W, H, image::Rgba([128, 128, 128, 255])),
        ),
    ] {
        let r = std::panic::catch_unwind(|| assert_not_degenerate(name, &flat));
        assert!(r.is_err(), "{name} frame must be rejected");
    }
}

#[test]
fn alpha_mask_cuts_holes_and_normal_and_emissive_maps_apply() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Mask");
    add_sun(&mut scene, Vec3::new(0.4, 0.8, 0.6), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    // Behind: a bright yellow wall.
    add_mesh(
        &mut scene,
        "Wall",
        shapes::cuboid(Vec3::new(8.0, 4.0, 0.2)),
        Material::named("Yellow", [0.9, 0.8, 0.1, 1.0], 0.6),
        Transform::from_translation(Vec3::new(0.0, 0.0, -3.0)),
    );
    // In front, left: a grey plane whose texture alpha is a 4x4 checker, masked at 0.5.
    let mut px = Vec::new();
    for y in 0..32u32 {
        for x in 0..32u32 {
            let hole = ((x / 8) + (y / 8)) % 2 == 0;
            px.extend_from_slice(&[200, 200, 200, if hole { 0 } else { 255 }]);
        }
    }
    let holes = scene.add_image(Image::new("holes", 32, 32, px).expect("size"));
    let sampler = Sampler::nearest(Wrap::Repeat);
    let mesh = scene.add_mesh(shapes::plane(Vec2::splat(3.0), 1));
    let masked = scene.add_material(Material {
        name: "Masked".into(),
        base_color: [0.5, 0.5, 0.5, 1.0],
        alpha_mode: AlphaMode::Mask { cutoff: 0.5 },
        double_sided: true,
        base_color_texture: Some(TextureRef::new(holes, sampler)),
        ..Default::default()
    });
    scene.add_node(
        None,
        "Masked plane",
        Transform::from_translation(Vec3::new(-1.7, 0.0, 0.0))
            .with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
        NodeKind::Mesh {
            mesh,
            material: masked,
        },
    );
    // In front, right: a sphere with a striped normal map and a red emissive texture.
    let mut normals = Vec::new();
    let mut emissive = Vec::new();
    for _y in 0..64u32 {
        for x in 0..64u32 {
            let tilt = if (x / 4) % 2 == 0 { 60 } else { 196 };
            normals.extend_from_slice(&[tilt, 128, 230, 255]);
            emissive.extend_from_slice(if x < 32 {
                &[255, 0, 0, 255]
            } else {
                &[0, 0, 0, 255]
            });
        }
    }
    let normal_img = scene.add_image(Image::new("stripes", 64, 64, normals).expect("size"));
    let emissive_img = scene.add_image(Image::new("half red", 64, 64, emissive).expect("size"));
    let sphere = scene.add_mesh(shapes::uv_sphere(1.0, 48, 24));
    let bumpy = scene.add_material(Material {
        name: "Bumpy".into(),
        base_color: [0.6, 0.6, 0.7, 1.0],
        roughness: 0.4,
        normal_texture: Some(TextureRef::new(normal_img, Sampler::default())),
        emissive: [1.0, 1.0, 1.0],
        emissive_strength: 40.0,
        emissive_texture: Some(TextureRef::new(emissive_img, Sampler::default())),
        ..Default::default()
    });
    scene.add_node(
        None,
        "Bumpy sphere",
        Transform::from_translation(Vec3::new(1.8, 0.0, 0.0)),
        NodeKind::Mesh {
            mesh: sphere,
            material: bumpy,
        },
    );
    let view = look(Vec3::new(0.0, 0.0, 7.0), Vec3::ZERO, 45.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("mask_normal_emissive", &img);
    // Across the masked plane's middle row: both yellow (holes) and grey (solid) pixels.
    let y = H / 2;
    let (mut yellow, mut grey) = (0, 0);
    for x in 40..130 {
        let p = img.get_pixel(x, y);
        if p[0] > 150 && p[1] > 120 && p[2] < 80 {
            yellow += 1;
        } else if p[0].abs_diff(p[2]) < 30 && p[0] > 60 {
            grey += 1;
        }
    }
    assert!(
        yellow > 10 && grey > 10,
        "mask holes: {yellow} yellow, {grey} grey pixels"
    );
    // The normal map makes stripes: neighbouring columns on the sphere alternate in brightness.
    let row: Vec<i32> = (200..280)
        .map(|x| i32::from(img.get_pixel(x, y - 20)[1]))
        .collect();
    let swings = row.windows(2).filter(|w| (w[0] - w[1]).abs() > 12).count();
    assert!(
        swings >= 4,
        "normal-mapped stripes expected, got {swings} brightness steps"
    );
    // Half of the sphere glows red.
    let reddish = (200..280)
        .map(|x| img.get_pixel(x, y))
        .filter(|p| i32::from(p[0]) > i32::from(p[1]) + 60)
        .count();
    assert!(reddish > 5, "emissive texture should make red pixels");
}

#[test]
fn world_without_msaa_uses_the_depth_prepass() {
    let Some(ctx) = gpu() else { return };
    let scene = generate_world(7);
    let view = scene.camera_view_named("Main").expect("Main camera");
    let settings = RenderSettings {
        msaa: 1,
        ..RenderSettings::final_frame()
    };
    let img = render_with(&ctx, &scene, view, W, H, settings, &[]);
    check_golden("world_main_msaa1", &img);
    // Same picture as the 4x MSAA golden apart from edge antialiasing.
    let msaa = image::open(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/world_main.png"),
    )
    .expect("world_main golden")
    .to_rgba8();
    let d = diff(&msaa, &img);
    assert!(
        d.mean_abs < 6.0,
        "MSAA 1 and 4 should differ only at edges: {:.2}",
        d.mean_abs
    );
}

/// A 4 m × 3 m quad facing +Z. Set 0 is the usual `(s, 1 - t)` over the quad; with `uv1`
/// set 1 is the same turned half a turn, `(1 - s, t)`, so every slot that reads the wrong set
/// shows its pattern mirrored.
fn stripes_quad(uv1: bool) -> Mesh {
    let corners = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
    let positions = corners
        .iter()
        .map(|[s, t]| [(s - 0.5) * 4.0, (t - 0.5) * 3.0, 0.0])
        .collect();
    let uvs = corners.iter().map(|[s, t]| [*s, 1.0 - t]).collect();
    let mut mesh = Mesh::new(
        positions,
        vec![[0.0, 0.0, 1.0]; 4],
        uvs,
        Vec::new(),
        vec![0, 1, 2, 0, 2, 3],
    );
    if uv1 {
        mesh.uvs1 = corners.iter().map(|[s, t]| [1.0 - s, *t]).collect();
    }
    mesh
}

#[test]
fn texture_slots_read_their_own_uv_set_through_their_own_transform() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("UV sets");
    add_sun(&mut scene, Vec3::new(0.2, 0.4, 1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    // Two texels, white then black, sampled nearest: stripes across u.
    let stripes = scene.add_image(
        Image::new("stripes", 2, 1, vec![255, 255, 255, 255, 0, 0, 0, 255]).expect("size"),
    );
    let nearest = Sampler::nearest(Wrap::Repeat);
    // Base colour (red) on set 0, turned a quarter and scaled 3×: six horizontal bands.
    // Emissive (green) on set 1, scaled 2× in u: four vertical bands.
    let material = scene.add_material(Material {
        name: "Two sets".into(),
        base_color: [1.0, 0.0, 0.0, 1.0],
        roughness: 0.9,
        base_color_texture: Some(TextureRef {
            transform: UvTransform {
                rotation: std::f32::consts::FRAC_PI_2,
                scale: [1.0, 3.0],
                ..UvTransform::IDENTITY
            },
            ..TextureRef::new(stripes, nearest)
        }),
        emissive: [0.0, 1.0, 0.0],
        emissive_strength: 30.0,
        emissive_texture: Some(TextureRef {
            uv_set: 1,
            transform: UvTransform {
                scale: [2.0, 1.0],
                ..UvTransform::IDENTITY
            },
            ..TextureRef::new(stripes, nearest)
        }),
        ..Default::default()
    });
    // Left: a mesh with both sets. Right: the same material on a mesh with set 0 only, where
    // the emissive slot falls back to set 0.
    let with_uv1 = scene.add_mesh(stripes_quad(true));
    let without = scene.add_mesh(stripes_quad(false));
    for (name, mesh, x) in [("Two sets", with_uv1, -2.2), ("One set", without, 2.2)] {
        scene.add_node(
            None,
            name,
            Transform::from_translation(Vec3::new(x, 0.0, 0.0)),
            NodeKind::Mesh { mesh, material },
        );
    }
    let view = look(Vec3::new(0.0, 0.0, 6.5), Vec3::ZERO, 45.0);
    let img = render(&ctx, &scene, view, W, H);
    check_golden("uv_sets_per_slot_transforms", &img);

    let pixel = |p: Vec3| {
        let clip = view.clip_from_world(W as f32 / H as f32) * p.extend(1.0);
        let ndc = clip.truncate() / clip.w;
        let (x, y) = (
            ((ndc.x * 0.5 + 0.5) * W as f32) as u32,
            ((0.5 - ndc.y * 0.5) * H as f32) as u32,
        );
        *img.get_pixel(x, y)
    };
    // Centre of column k (of 4, left to right) and band j (of 6, top to bottom).
    let cell = |x: f32, k: u32, j: u32| {
        let s = (k as f32 + 0.5) / 4.0;
        let t = 1.0 - (j as f32 + 0.5) / 6.0;
        Vec3::new(x + (s - 0.5) * 4.0, (t - 0.5) * 3.0, 0.0)
    };
    let mut failures = Vec::new();
    for (x, uv1) in [(-2.2, true), (2.2, false)] {
        for k in 0..4 {
            for j in 0..6 {
                // Base colour: set 0 turned to v, 3 repeats → band j is white when even.
                // Reading set 1 (v mirrored) would swap the bands.
                let red = j % 2 == 0;
                // Emissive: 2 · (1 - s) on set 1 lights the odd columns; set 0 (the fallback
                // on the right) lights the even ones. Without the scale only half the quad
                // would change, and the base colour's turn would make bands, not columns.
                let green = if uv1 { k % 2 == 1 } else { k % 2 == 0 };
                let p = pixel(cell(x, k, j));
                let ok = (p[0] > 100) == red
                    && (p[0] < 50) != red
                    && (p[1] > 100) == green
                    && (p[1] < 50) != green;
                if !ok {
                    failures.push(format!(
                        "{} quad column {k} band {j}: {p:?}, expected red {red} green {green}",
                        if uv1 { "left" } else { "right" }
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Texel index (of a 2-texel-wide texture) that `wrap` reads at texel-space coordinate
/// `x` (cell centres only, so nearest and linear filtering agree).
fn wrapped_texel(wrap: Wrap, x: i32) -> i32 {
    match wrap {
        Wrap::Repeat => x.rem_euclid(2),
        Wrap::MirroredRepeat => {
            let t = x.rem_euclid(4);
            if t < 2 { t } else { 3 - t }
        }
        Wrap::ClampToEdge => x.clamp(0, 1),
    }
}

#[test]
fn texture_slots_sample_with_their_own_samplers() {
    use worldsmith::scene::{Filter, MinFilter};
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Samplers");
    add_sun(&mut scene, Vec3::new(0.2, 0.4, 1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    // A 2×2 checker: white where the texel's x equals its y.
    let checker = scene.add_image(
        Image::new(
            "checker",
            2,
            2,
            [[255u8; 4], [0, 0, 0, 255], [0, 0, 0, 255], [255u8; 4]].concat(),
        )
        .expect("size"),
    );
    // Both slots read the quad's UVs stretched to −1..2 (three repeats each way), so each
    // wrap mode shows across the quad: 6×6 cells of one texel each.
    let spread = UvTransform {
        offset: [-1.0, -1.0],
        scale: [3.0, 3.0],
        ..UvTransform::IDENTITY
    };
    // Base colour (red): clamp across u, mirror across v, linear.
    let base_sampler = Sampler {
        wrap_s: Wrap::ClampToEdge,
        wrap_t: Wrap::MirroredRepeat,
        mag_filter: Filter::Linear,
        min_filter: MinFilter::LinearMipmapLinear,
    };
    // Emissive (green): mirror across u, repeat across v, nearest.
    let emissive_sampler = Sampler {
        wrap_s: Wrap::MirroredRepeat,
        wrap_t: Wrap::Repeat,
        mag_filter: Filter::Nearest,
        min_filter: MinFilter::NearestMipmapNearest,
    };
    let material = scene.add_material(Material {
        name: "Two samplers".into(),
        base_color: [1.0, 0.0, 0.0, 1.0],
        roughness: 0.9,
        base_color_texture: Some(TextureRef {
            transform: spread,
            ..TextureRef::new(checker, base_sampler)
        }),
        emissive: [0.0, 1.0, 0.0],
        emissive_strength: 30.0,
        emissive_texture: Some(TextureRef {
            transform: spread,
            ..TextureRef::new(checker, emissive_sampler)
        }),
        ..Default::default()
    });
    let mesh = scene.add_mesh(stripes_quad(false));
    scene.add_node(
        None,
        "Quad",
        Transform::IDENTITY,
        NodeKind::Mesh { mesh, material },
    );
    let view = look(Vec3::new(0.0, 0.0, 5.0), Vec3::ZERO, 45.0);
    let img = render(&ctx, &scene, view, W, H);

    let pixel = |p: Vec3| {
        let clip = view.clip_from_world(W as f32 / H as f32) * p.extend(1.0);
        let ndc = clip.truncate() / clip.w;
        let (x, y) = (
            ((ndc.x * 0.5 + 0.5) * W as f32) as u32,
            ((0.5 - ndc.y * 0.5) * H as f32) as u32,
        );
        *img.get_pixel(x, y)
    };
    // The point at quad coordinates (s, v): s left to right, v top to bottom (as UV v).
    let at = |s: f32, v: f32| Vec3::new((s - 0.5) * 4.0, (0.5 - v) * 3.0, 0.0);
    let white = |wrap_s: Wrap, wrap_t: Wrap, x: i32, y: i32| {
        wrapped_texel(wrap_s, x) == wrapped_texel(wrap_t, y)
    };
    let mut failures = Vec::new();
    // Cell (k, j), column k left to right and row j top to bottom, covers texel-space
    // coordinates x = k − 2 and y = j − 2.
    for k in 0..6 {
        for j in 0..6 {
            let (x, y) = (k - 2, j - 2);
            let red = white(base_sampler.wrap_s, base_sampler.wrap_t, x, y);
            let green = white(emissive_sampler.wrap_s, emissive_sampler.wrap_t, x, y);
            let p = pixel(at((k as f32 + 0.5) / 6.0, (j as f32 + 0.5) / 6.0));
            let ok = (p[0] > 100) == red
                && (p[0] < 50) != red
                && (p[1] > 100) == green
                && (p[1] < 50) != green;
            if !ok {
                failures.push(format!(
                    "cell {k},{j}: {p:?}, expected red {red} green {green}"
                ));
            }
        }
    }
    // Filters per slot too: on the edge between the white and black texels of row 2 the
    // linear base colour is a blend, the nearest emissive one of the two.
    let edge = pixel(at(0.5, 2.5 / 6.0));
    let (lit, dark) = (
        pixel(at(2.5 / 6.0, 2.5 / 6.0)),
        pixel(at(3.5 / 6.0, 2.5 / 6.0)),
    );
    let between = |v: u8, a: u8, b: u8| v > a.min(b) + 20 && v + 20 < a.max(b);
    if !between(edge[0], lit[0], dark[0]) {
        failures.push(format!(
            "linear base colour edge {edge:?} is not between {lit:?} and {dark:?}"
        ));
    }
    if !(edge[1] > 100 || edge[1] < 50) {
        failures.push(format!("nearest emissive edge {edge:?} is a blend"));
    }
    assert!(failures.is_empty(), "{failures:#?}");
    check_golden("per_slot_samplers", &img);
}

/// glTF 2.0 §3.7.4: a node whose matrix has a negative determinant mirrors its mesh, and its
/// triangles' winding is reversed with it. A single-sided plane mirrored in X still faces up
/// (seen from above); one mirrored in Y faces down (culled from above).
#[test]
fn mirrored_nodes_keep_their_front_faces() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Mirrors");
    add_sun(&mut scene, Vec3::new(0.0, 1.0, 0.3), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    for (name, x, scale, color) in [
        (
            "Mirrored in X",
            -1.5,
            Vec3::new(-1.0, 1.0, 1.0),
            [0.9, 0.05, 0.05, 1.0],
        ),
        (
            "Mirrored in Y",
            1.5,
            Vec3::new(1.0, -1.0, 1.0),
            [0.05, 0.9, 0.05, 1.0],
        ),
    ] {
        add_mesh(
            &mut scene,
            name,
            shapes::plane(Vec2::splat(2.0), 1),
            Material::named(name, color, 0.6),
            Transform::from_translation(Vec3::new(x, 0.0, 0.0)).with_scale(scale),
        );
    }
    let view = look(Vec3::new(0.0, 6.0, 0.01), Vec3::ZERO, 60.0);
    let img = render(&ctx, &scene, view, W, H);
    let left = img.get_pixel(W / 2 - 40, H / 2).0;
    let right = img.get_pixel(W / 2 + 40, H / 2).0;
    let background = img.get_pixel(W / 2 + 150, H / 2).0;
    assert!(
        left[0] > 60 && u32::from(left[0]) > 2 * u32::from(left[1]),
        "the plane mirrored in X faces up and is drawn red: {left:?}"
    );
    assert!(
        right
            .iter()
            .zip(background)
            .all(|(a, b)| a.abs_diff(b) <= 8),
        "the plane mirrored in Y faces down and is culled: {right:?}, background {background:?}"
    );
}

/// A mirrored node's normal map bends its normals the same way in the mirror: the bitangent
/// turns round with the winding (glTF 2.0 §3.7.4), so a plane and its mirror image in X,
/// lit from straight ahead along the mirror, shade alike.
#[test]
fn mirrored_normal_maps_bend_the_same_way() {
    let Some(ctx) = gpu() else { return };
    // With the mesh's tangents, and with the frame the shader derives where it has none.
    for tangents in [true, false] {
        mirrored_normal_map_case(&ctx, tangents);
    }
}

fn mirrored_normal_map_case(ctx: &worldsmith::render::GpuContext, tangents: bool) {
    let mut scene = Scene::new("Mirrored normal map");
    // The sun low from -Z: normals bent towards the texture's top (-Z) catch more of it.
    add_sun(&mut scene, Vec3::new(0.0, 0.5, -1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    // One texel: every normal bent well towards the bitangent (green).
    let bent = scene.add_image(Image::new("bent", 1, 1, vec![128, 230, 200, 255]).expect("size"));
    let mut mesh = shapes::plane(Vec2::splat(2.0), 1);
    mesh.tangents = if tangents {
        vec![[1.0, 0.0, 0.0, 1.0]; mesh.positions.len()]
    } else {
        Vec::new()
    };
    let mesh = scene.add_mesh(mesh);
    let material = scene.add_material(Material {
        normal_texture: Some(TextureRef::new(bent, Sampler::default())),
        ..Material::named("Bent", [0.6, 0.6, 0.6, 1.0], 0.7)
    });
    for (name, x, scale) in [
        ("Plane", -1.5, Vec3::ONE),
        ("Mirror image", 1.5, Vec3::new(-1.0, 1.0, 1.0)),
    ] {
        scene.add_node(
            None,
            name,
            Transform::from_translation(Vec3::new(x, 0.0, 0.0)).with_scale(scale),
            NodeKind::Mesh { mesh, material },
        );
    }
    let view = look(Vec3::new(0.0, 6.0, 0.01), Vec3::ZERO, 60.0);
    let img = render(ctx, &scene, view, W, H);
    let plane = img.get_pixel(W / 2 - 40, H / 2).0;
    let mirror = img.get_pixel(W / 2 + 40, H / 2).0;
    // Bent towards the low sun, the plane is bright (bent away from it, about 50).
    assert!(
        plane[1] > 120,
        "tangents {tangents}: the plane is lit: {plane:?}"
    );
    assert!(
        plane.iter().zip(mirror).all(|(a, b)| a.abs_diff(b) <= 6),
        "tangents {tangents}: the mirror image shades as the plane: {plane:?} vs {mirror:?}"
    );
}
