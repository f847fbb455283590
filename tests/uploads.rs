//! Incremental upload: an unchanged scene uploads nothing; a material tweak is one small
//! buffer write with no geometry re-upload; idle objects cost no uploads per frame.

use crate::common;

use glam::Vec3;
use worldsmith::generate::generate_world;
use worldsmith::render::{FrameInput, OffscreenTarget, RenderSettings, Renderer, UploadStats};
use worldsmith::scene::{Filter, NodeKind, Sampler, Transform, Wrap};

/// Size of one material's uniform (mesh.wgsl `Material`): seven vec4 of factors, then two
/// vec4 rows of UV transform (with the UV set) for each of the twelve texture slots.
const MATERIAL_UNIFORM_BYTES: u64 = (11 + 19 * 2) * 16;

#[test]
fn unchanged_scene_uploads_nothing_and_edits_upload_only_what_changed() {
    let Some(ctx) = common::gpu() else { return };
    let mut scene = generate_world(7);
    let view = worldsmith::render::default_view(&scene);
    let target = OffscreenTarget::new(&ctx.device, 64, 36);
    let mut r = Renderer::new(&ctx);
    let settings = RenderSettings {
        shadow_map_size: 512,
        ..RenderSettings::viewport()
    };
    fn frame<'a>(
        scene: &'a worldsmith::scene::Scene,
        camera: worldsmith::scene::CameraView,
        settings: RenderSettings,
    ) -> FrameInput<'a> {
        FrameInput {
            scene,
            camera,
            settings,
            selection: &[],
            cloud_highlight: None,
        }
    }
    let first = r.render(&frame(&scene, view, settings), &target.target());
    assert!(
        first.uploads.meshes > 10,
        "first frame uploads the meshes: {first:?}"
    );
    assert!(
        first.draw_calls > 5 && first.triangles > 10_000,
        "{first:?}"
    );
    // Every slot of the generated world samples with the default sampler (empty slots too):
    // one wgpu sampler serves them all, and each material builds one bind group.
    assert_eq!(first.uploads.samplers, 1, "{first:?}");
    assert_eq!(
        first.uploads.material_bind_groups as usize,
        scene.materials().count(),
        "{first:?}"
    );
    for _ in 0..3 {
        let again = r.render(&frame(&scene, view, settings), &target.target());
        assert_eq!(again.uploads, UploadStats::default(), "nothing changed");
    }

    // A material value edit: one uniform write, no geometry, no instances.
    let (mat_id, _) = scene.materials().next().expect("a material");
    if let Some(m) = scene.material_mut(mat_id) {
        m.roughness = 0.123;
    }
    let s = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(s.uploads.material_writes, 1, "{s:?}");
    assert_eq!(s.uploads.bytes, MATERIAL_UNIFORM_BYTES, "{s:?}");
    assert_eq!(s.uploads.material_bind_groups, 0, "{s:?}");
    assert_eq!(s.uploads.meshes, 0);
    assert_eq!(s.uploads.textures, 0);
    assert_eq!(s.uploads.instance_writes, 0);

    // A texture slot's UV set and transform live in the same uniform: editing them is the same
    // one write, with no new bind group and no texture re-upload.
    let (terrain, _) = scene
        .materials()
        .find(|(_, m)| m.base_color_texture.is_some())
        .expect("a textured material");
    if let Some(t) = scene
        .material_mut(terrain)
        .and_then(|m| m.base_color_texture.as_mut())
    {
        t.uv_set = 1;
        t.transform.rotation = 0.5;
        t.transform.scale = [2.0, 2.0];
    }
    let s = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(s.uploads.material_writes, 1, "{s:?}");
    assert_eq!(s.uploads.bytes, MATERIAL_UNIFORM_BYTES, "{s:?}");
    assert_eq!(s.uploads.material_bind_groups, 0, "{s:?}");
    assert_eq!(s.uploads.textures, 0);
    assert_eq!(s.uploads.meshes, 0);

    // A slot's sampler is part of the bind group: changing it rebuilds that material's bind
    // group only (with its uniform), creates the one new sampler and re-uploads no texture.
    let set_sampler = |scene: &mut worldsmith::scene::Scene, sampler| {
        if let Some(t) = scene
            .material_mut(terrain)
            .and_then(|m| m.base_color_texture.as_mut())
        {
            t.sampler = sampler;
        }
    };
    let clamped = Sampler {
        wrap_t: Wrap::ClampToEdge,
        mag_filter: Filter::Nearest,
        ..Sampler::default()
    };
    set_sampler(&mut scene, clamped);
    let s = r.render(&frame(&scene, view, settings), &target.target());
    let rebuilt = UploadStats {
        material_writes: 1,
        material_bind_groups: 1,
        bytes: MATERIAL_UNIFORM_BYTES,
        ..UploadStats::default()
    };
    assert_eq!(
        s.uploads,
        UploadStats {
            samplers: 1,
            ..rebuilt
        }
    );
    // Back to the default: the cached sampler is reused.
    set_sampler(&mut scene, Sampler::default());
    let s = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(s.uploads, rebuilt);

    // Moving a node rewrites instance data only.
    let node = scene.find("Water").expect("water");
    scene.set_transform(node, Transform::from_translation(Vec3::new(0.0, 0.5, 0.0)));
    let s = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(s.uploads.instance_writes, 1, "{s:?}");
    assert_eq!(s.uploads.meshes, 0);
    assert_eq!(s.uploads.material_writes, 0);

    // Adding many idle nodes that share meshes: uploads once, then nothing per frame.
    // A small shared mesh (a tree part or a rock), as idle props would be.
    let (mesh, material) = scene
        .nodes()
        .filter_map(|n| match n.kind {
            NodeKind::Mesh { mesh, material } => Some((mesh, material)),
            _ => None,
        })
        .filter(|(mesh, _)| scene.mesh(*mesh).is_some_and(|m| m.triangle_count() < 2000))
        .last()
        .expect("a small mesh node");
    for i in 0..2000 {
        scene.add_node(
            None,
            &format!("Idle_{i}"),
            Transform::from_translation(Vec3::new(i as f32, -100.0, 0.0)),
            NodeKind::Mesh { mesh, material },
        );
    }
    let s = r.render(&frame(&scene, view, settings), &target.target());
    assert_eq!(s.uploads.meshes, 0, "shared meshes are not re-uploaded");
    for _ in 0..2 {
        let s = r.render(&frame(&scene, view, settings), &target.target());
        assert_eq!(s.uploads, UploadStats::default());
    }
}

#[test]
fn only_meshes_with_a_second_uv_set_upload_one() {
    use worldsmith::scene::{Material, Mesh, Scene};
    let Some(ctx) = common::gpu() else { return };
    let target = OffscreenTarget::new(&ctx.device, 32, 18);
    let quad = || {
        Mesh::new(
            vec![[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]],
            Vec::new(),
            vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]],
            Vec::new(),
            vec![0, 1, 2, 0, 2, 3],
        )
    };
    // 4 vertices of 64 bytes and 6 u32 indices; a second set adds 8 bytes per vertex.
    let base_bytes = 4 * 64 + 6 * 4;
    for (uv1, expected) in [(false, base_bytes), (true, base_bytes + 4 * 8)] {
        let mut scene = Scene::new("quad");
        let mut mesh = quad();
        if uv1 {
            mesh.uvs1 = vec![[0.5; 2]; 4];
        }
        let mesh = scene.add_mesh(mesh);
        let material = scene.add_material(Material::default());
        scene.add_node(
            None,
            "Quad",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        let mut r = Renderer::new(&ctx);
        let frame = FrameInput {
            scene: &scene,
            camera: worldsmith::render::default_view(&scene),
            settings: RenderSettings::final_frame(),
            selection: &[],
            cloud_highlight: None,
        };
        let s = r.render(&frame, &target.target());
        assert_eq!(s.uploads.meshes, 1, "{s:?}");
        assert!(s.draw_calls > 0, "{s:?}");
        // Besides the mesh, a first frame uploads one material uniform and one 160-byte
        // instance (world matrix 64, normal matrix 48, colour grade 16, relighting 32).
        assert_eq!(
            s.uploads.bytes,
            expected + MATERIAL_UNIFORM_BYTES + 160,
            "uv1 {uv1}: {s:?}"
        );
    }
}

/// Camera-motion frames of a software adapter's viewport hold the shadow cascades: while the
/// camera turns, nothing is redrawn and the frame still shows the same shadows; a moved node,
/// or letting go, fits and draws them again.
#[test]
fn held_shadows_are_not_redrawn_while_the_camera_moves() {
    let Some(ctx) = common::gpu() else { return };
    let mut scene = generate_world(7);
    let view = worldsmith::render::default_view(&scene);
    let mut r = Renderer::new(&ctx);
    let settings = RenderSettings {
        shadow_map_size: 512,
        msaa: 1,
        ..RenderSettings::viewport()
    };
    let turned = |deg: f32| worldsmith::scene::CameraView {
        world_from_view: glam::Mat4::from_rotation_y(deg.to_radians()) * view.world_from_view,
        ..view
    };
    let draw = |r: &mut Renderer, scene: &worldsmith::scene::Scene, camera| {
        let frame = FrameInput {
            scene,
            camera,
            settings,
            selection: &[],
            cloud_highlight: None,
        };
        r.render_to_image(&ctx, &frame, 96, 54).expect("readback")
    };
    let (_, first) = draw(&mut r, &scene, view);
    assert_eq!(first.shadow_passes, 3);
    draw(&mut r, &scene, turned(1.0));
    r.hold_shadows(true);
    let mut held_image = None;
    for deg in [1.5f32, 2.0, 2.5] {
        let (image, held) = draw(&mut r, &scene, turned(deg));
        assert_eq!(held.shadow_passes, 0, "held at {deg}°: {held:?}");
        held_image = Some(image);
    }
    // The held frame at 2.5° looks like one with cascades fitted to it (a fresh renderer):
    // the two differ only where shadow texels fall differently, far less than the frame
    // without sun shadows differs (what a hold drawing no or misplaced shadows would give).
    let held_image = held_image.expect("held frame");
    let (fitted, _) = draw(&mut Renderer::new(&ctx), &scene, turned(2.5));
    let mut unshadowed_scene = scene.clone();
    let sun = unshadowed_scene.find("Sun").expect("sun");
    unshadowed_scene.light_mut(sun).expect("light").cast_shadows = false;
    let (unshadowed, _) = draw(&mut Renderer::new(&ctx), &unshadowed_scene, turned(2.5));
    let held_vs_fitted = common::diff(&held_image, &fitted);
    let shadows = common::diff(&unshadowed, &fitted);
    assert!(
        shadows.bad_fraction > 0.03,
        "the sun's shadows show in this view: {} %",
        shadows.bad_fraction * 100.0
    );
    assert!(
        held_vs_fitted.bad_fraction < shadows.bad_fraction / 5.0,
        "held shadows differ from fitted ones in {} % of pixels (mean {}); the shadows \
         themselves cover {} %",
        held_vs_fitted.bad_fraction * 100.0,
        held_vs_fitted.mean_abs,
        shadows.bad_fraction * 100.0
    );
    // A moved node invalidates them even while held.
    let house = scene.find("House_01").expect("house");
    scene.set_transform(
        house,
        worldsmith::scene::Transform::from_translation(glam::Vec3::new(3.0, 0.0, 0.0)),
    );
    let (_, moved) = draw(&mut r, &scene, turned(3.0));
    assert_eq!(moved.shadow_passes, 3, "{moved:?}");
    let (_, held) = draw(&mut r, &scene, turned(3.5));
    assert_eq!(held.shadow_passes, 0, "{held:?}");
    // Let go: the next frame fits its own cascades.
    r.hold_shadows(false);
    let (_, rested) = draw(&mut r, &scene, turned(3.5));
    assert_eq!(rested.shadow_passes, 3, "{rested:?}");
}

/// Mesh pipelines are specialised per material (texture slots sampled, lit or unlit;
/// renderer.rs `MeshPipe`): edits that change what a material samples or how it is shaded
/// switch its pipeline on the next frame of the same renderer.
#[test]
fn material_edits_that_change_its_shading_switch_its_pipeline() {
    use worldsmith::render::tonemap::linear_to_srgb;
    use worldsmith::scene::{Image, Material, MinFilter, Scene, TextureRef};
    let Some(ctx) = common::gpu() else { return };
    let mut scene = Scene::new("checker");
    let plane = worldsmith::generate::shapes::plane(glam::Vec2::splat(2.0), 1);
    let facing_camera = Transform {
        rotation: glam::Quat::from_rotation_x(std::f32::consts::FRAC_PI_2),
        ..Transform::IDENTITY
    };
    let base = [0.8, 0.2, 0.2, 1.0];
    // A blue plane behind, hidden while the front one is opaque.
    common::add_mesh(
        &mut scene,
        "Back",
        plane.clone(),
        Material::named("Blue", [0.1, 0.2, 0.9, 1.0], 0.6),
        Transform {
            translation: Vec3::new(0.0, 0.0, -1.0),
            ..facing_camera
        },
    );
    let node = common::add_mesh(
        &mut scene,
        "Plane",
        plane,
        Material::named("Paint", base, 0.6),
        facing_camera,
    );
    let NodeKind::Mesh { material, .. } = &scene.node(node).expect("plane").kind else {
        panic!("a mesh node");
    };
    let material = *material;
    common::add_sun(&mut scene, Vec3::new(0.2, 0.3, 1.0), 20_000.0, false);
    let (w, h) = (64, 64);
    let view = common::look(Vec3::new(0.0, 0.0, 2.5), Vec3::ZERO, 60.0);
    // A 2×2 checker, white and black, sampled without filtering: a quadrant each.
    let (white, black) = ([255u8; 4], [0, 0, 0, 255]);
    let checker = [white, black, black, white].concat();
    let image = scene.add_image(Image::new("checker", 2, 2, checker).expect("2x2 RGBA8"));
    let texture = TextureRef {
        image,
        sampler: Sampler {
            mag_filter: Filter::Nearest,
            min_filter: MinFilter::Nearest,
            ..Sampler::default()
        },
        uv_set: 0,
        transform: Default::default(),
    };

    let mut r = Renderer::new(&ctx);
    let mut draw = |scene: &worldsmith::scene::Scene| {
        let frame = FrameInput {
            scene,
            camera: view,
            settings: RenderSettings::final_frame(),
            selection: &[],
            cloud_highlight: None,
        };
        r.render_to_image(&ctx, &frame, w, h).expect("readback").0
    };
    // The centres of the plane's four quadrants.
    let quadrants = |img: &image::RgbaImage| -> Vec<[u8; 3]> {
        [(0.3, 0.3), (0.7, 0.3), (0.3, 0.7), (0.7, 0.7)]
            .iter()
            .map(|(x, y)| {
                let p = img.get_pixel((x * w as f32) as u32, (y * h as f32) as u32);
                [p[0], p[1], p[2]]
            })
            .collect()
    };
    let luma =
        |c: [u8; 3]| 0.2126 * f64::from(c[0]) + 0.7152 * f64::from(c[1]) + 0.0722 * f64::from(c[2]);

    // Lit, untextured: the four quadrants alike.
    let plain = draw(&scene);
    let lit = quadrants(&plain);
    assert!(lit.iter().all(|c| luma(*c) > 20.0), "{lit:?}");
    assert!(
        lit.iter()
            .all(|c| (luma(*c) - luma(lit[0])).abs() < 0.1 * luma(lit[0])),
        "{lit:?}"
    );

    // Given the checker: two quadrants lit, two (black texels) dark.
    scene
        .material_mut(material)
        .expect("material")
        .base_color_texture = Some(texture);
    let textured = quadrants(&draw(&scene));
    let mut lumas: Vec<f64> = textured.iter().map(|c| luma(*c)).collect();
    lumas.sort_by(f64::total_cmp);
    assert!(lumas[1] * 3.0 < lumas[2], "lit checker {textured:?}");

    // Unlit: exactly the captured colour, texel × base colour, black where the texel is.
    scene.material_mut(material).expect("material").unlit = true;
    let shown = |lin: f32| (linear_to_srgb(lin) * 255.0).round() as i32;
    let red = [shown(base[0]), shown(base[1]), shown(base[2])];
    let close = |c: [u8; 3], want: [i32; 3]| {
        c.iter()
            .zip(want)
            .all(|(&a, b)| (i32::from(a) - b).abs() <= 2)
    };
    let unlit = quadrants(&draw(&scene));
    assert_eq!(
        unlit.iter().filter(|c| close(**c, red)).count(),
        2,
        "unlit checker {unlit:?}, want {red:?}"
    );
    assert_eq!(
        unlit.iter().filter(|c| close(**c, [0, 0, 0])).count(),
        2,
        "unlit checker {unlit:?}"
    );

    // Unlit without the texture: the base colour everywhere.
    scene
        .material_mut(material)
        .expect("material")
        .base_color_texture = None;
    let flat = quadrants(&draw(&scene));
    assert!(
        flat.iter().all(|c| close(*c, red)),
        "unlit {flat:?}, want {red:?}"
    );

    // Lit again: the first frame, exactly.
    scene.material_mut(material).expect("material").unlit = false;
    assert!(
        draw(&scene).as_raw() == plain.as_raw(),
        "lit again differs from the first frame"
    );

    // Transmissive (an edit of the material alone, nothing structural): it moves to the
    // display pass at once and shows the blue plane through its white tint.
    {
        let m = scene.material_mut(material).expect("material");
        m.transmission = 1.0;
        m.base_color = [0.9, 0.9, 0.9, 1.0];
    }
    let through = quadrants(&draw(&scene));
    assert!(
        through.iter().all(|c| c[2] > c[0] + 40),
        "transmissive {through:?}"
    );
    // Blended (the same kind of move), half transparent: red over blue.
    {
        let m = scene.material_mut(material).expect("material");
        m.transmission = 0.0;
        m.base_color = [0.8, 0.2, 0.2, 0.5];
        m.alpha_mode = worldsmith::scene::AlphaMode::Blend;
    }
    let blended = quadrants(&draw(&scene));
    assert!(
        blended.iter().zip(&lit).all(|(b, l)| b[2] > l[2] + 20),
        "blended {blended:?} over opaque {lit:?}"
    );
    // Opaque again: the first frame, exactly.
    {
        let m = scene.material_mut(material).expect("material");
        m.base_color = base;
        m.alpha_mode = worldsmith::scene::AlphaMode::Opaque;
    }
    assert!(
        draw(&scene).as_raw() == plain.as_raw(),
        "opaque again differs from the first frame"
    );
}
