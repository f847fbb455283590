//! Orthographic views: meshes and splats keep their size at any depth, the sun's shadows and
//! the sky still work, and glTF's orthographic cameras import, render and export as such.

use crate::common;

use common::*;
use glam::{Mat4, Vec2, Vec3};
use image::RgbaImage;
use worldsmith::generate::shapes;
use worldsmith::render::RenderSettings;
use worldsmith::scene::{
    Camera, CameraView, Material, NodeKind, Ortho, Scene, SplatCloud, Transform,
};

const W: u32 = 192;
const H: u32 = 128;

/// An orthographic version of `look`: the same pose, `half_height` metres above and below
/// the view's axis, seeing 200 m deep.
fn ortho_look(eye: Vec3, target: Vec3, half_height: f32) -> CameraView {
    CameraView {
        ortho: Some(Ortho {
            half_height,
            far: 200.0,
        }),
        ..look(eye, target, 50.0)
    }
}

/// The columns (first, last) of the pixels `is` picks, if any.
fn column_span(img: &RgbaImage, is: impl Fn([u8; 4]) -> bool) -> Option<(u32, u32)> {
    let cols: Vec<u32> = (0..img.width())
        .filter(|&x| (0..img.height()).any(|y| is(img.get_pixel(x, y).0)))
        .collect();
    Some((*cols.first()?, *cols.last()?))
}

fn reddish(p: [u8; 4]) -> bool {
    p[0] > 40 && u32::from(p[0]) > 2 * u32::from(p[1]) + 10
}

fn greenish(p: [u8; 4]) -> bool {
    p[1] > 40 && u32::from(p[1]) > 2 * u32::from(p[0]) + 10
}

/// A red 1 m cube near the camera and a green one 30 m further away.
fn near_and_far_cubes() -> Scene {
    let mut scene = Scene::new("Near and far");
    add_sun(&mut scene, Vec3::new(0.3, 0.8, 1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    for (name, at, color) in [
        ("Near", Vec3::new(-2.0, 0.0, 0.0), [0.9, 0.05, 0.05, 1.0]),
        ("Far", Vec3::new(2.0, 0.0, -30.0), [0.05, 0.9, 0.05, 1.0]),
    ] {
        add_mesh(
            &mut scene,
            name,
            shapes::cube(1.0),
            Material::named(name, color, 0.6),
            Transform::from_translation(at),
        );
    }
    scene
}

#[test]
fn an_orthographic_view_draws_things_the_same_size_at_any_depth() {
    let Some(ctx) = gpu() else { return };
    let scene = near_and_far_cubes();
    let eye = Vec3::new(0.0, 0.0, 10.0);
    let target = Vec3::new(0.0, 0.0, 0.0);
    // 4 m tall over 128 px: 32 px per metre.
    let img = render(&ctx, &scene, ortho_look(eye, target, 2.0), W, H);
    assert_not_degenerate("ortho_cubes", &img);
    let near = column_span(&img, reddish).expect("the near cube shows");
    let far = column_span(&img, greenish).expect("the far cube shows, 40 m away");
    let width = |(a, b): (u32, u32)| b - a + 1;
    for (name, span, centre_x) in [("near", near, -2.0f32), ("far", far, 2.0)] {
        assert!(
            width(span).abs_diff(32) <= 1,
            "the {name} cube is 1 m = 32 px wide: {span:?}"
        );
        // Its centre lands where x metres off the axis do: 96 + 32 x.
        let middle = (span.0 + span.1) as f32 * 0.5 + 0.5;
        assert!(
            (middle - (96.0 + 32.0 * centre_x)).abs() <= 1.0,
            "the {name} cube is centred at {middle}"
        );
    }
    // The same view in perspective draws the far cube much smaller (the test can tell).
    let img = render(&ctx, &scene, look(eye, target, 22.6), W, H);
    let (near, far) = (
        column_span(&img, reddish).expect("near"),
        column_span(&img, greenish).expect("far"),
    );
    assert!(width(far) * 3 < width(near), "{near:?} vs {far:?}");
}

#[test]
fn orthographic_views_cast_the_suns_shadows_and_show_a_sky() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Shadow");
    // The sun 45° up in +X: a 1 m cube's shadow falls from x = -0.5 to -1.5 on the ground.
    add_sun(&mut scene, Vec3::new(1.0, 1.0, 0.0), 100_000.0, true);
    scene.environment.exposure_ev100 = 15.0;
    add_mesh(
        &mut scene,
        "Ground",
        shapes::plane(Vec2::splat(20.0), 1),
        Material::named("Ground", [0.7, 0.7, 0.7, 1.0], 0.9),
        Transform::IDENTITY,
    );
    add_mesh(
        &mut scene,
        "Cube",
        shapes::cube(1.0),
        Material::named("Cube", [0.2, 0.2, 0.8, 1.0], 0.6),
        Transform::from_translation(Vec3::new(0.0, 0.5, 0.0)),
    );
    // Straight down from 2 km (as far back as the editor's orthographic eye steps for a
    // 20 m view), 4 m tall: 32 px per metre, x to the right.
    let eye = Vec3::new(0.0, 2000.0, 0.0);
    let view = CameraView {
        world_from_view: Mat4::look_to_rh(eye, Vec3::NEG_Y, Vec3::NEG_Z).inverse(),
        ortho: Some(Ortho {
            half_height: 2.0,
            far: 4000.0,
        }),
        ..look(eye, Vec3::ZERO, 50.0)
    };
    let img = render(&ctx, &scene, view, W, H);
    let pixel_at = |x: f32| img.get_pixel((96.0 + 32.0 * x) as u32, 64).0;
    let (shadowed, lit) = (pixel_at(-1.0), pixel_at(1.0));
    assert!(
        u32::from(shadowed[1]) * 2 < u32::from(lit[1]),
        "the ground at x = -1 is in the cube's shadow: {shadowed:?} vs lit {lit:?}"
    );
    let past = pixel_at(-2.0);
    assert!(
        past[1].abs_diff(lit[1]) <= 6,
        "past the shadow's end the ground is lit again: {past:?} vs {lit:?}"
    );

    // Looking straight at the sun: the sky is not one flat colour of the sun's disc.
    let eye = Vec3::new(0.0, 5.0, 0.0);
    let view = ortho_look(eye, eye + Vec3::new(1.0, 1.0, 0.0), 2.0);
    let img = render(&ctx, &scene, view, W, H);
    let centre = img.get_pixel(W / 2, H / 2).0;
    let corner = img.get_pixel(4, 4).0;
    assert!(
        centre[..3]
            .iter()
            .zip(&corner[..3])
            .any(|(a, b)| a.abs_diff(*b) > 20),
        "the disc in the middle, sky around it: {centre:?} vs {corner:?}"
    );
}

#[test]
fn orthographic_splats_keep_their_size_at_any_depth() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Splats");
    let cloud = SplatCloud::new(
        vec![[-2.0, 0.0, 0.0], [2.0, 0.0, -40.0]],
        vec![[0.0, 0.0, 0.0, 1.0]; 2],
        vec![[0.25; 3]; 2],
        vec![1.0; 2],
        vec![[1.0, 0.1, 0.1], [0.1, 1.0, 0.1]],
        0,
        Vec::new(),
    )
    .expect("splats");
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(
        None,
        "Cloud",
        Transform::IDENTITY,
        NodeKind::Splats { cloud },
    );
    let eye = Vec3::new(0.0, 0.0, 10.0);
    let img = render(&ctx, &scene, ortho_look(eye, Vec3::ZERO, 2.0), W, H);
    let near = column_span(&img, reddish).expect("the near splat shows");
    let far = column_span(&img, greenish).expect("the far splat shows");
    let width = |(a, b): (u32, u32)| (b - a + 1) as i32;
    assert!(
        (width(near) - width(far)).abs() <= 1,
        "equal splats, equal footprints: {near:?} vs {far:?}"
    );
    // σ = 0.25 m = 8 px; the footprint shows out to 2–3 σ each side.
    assert!((24..=56).contains(&width(near)), "{near:?}");
    let centre = |(a, b): (u32, u32)| (a + b) as f32 * 0.5 + 0.5;
    assert!((centre(near) - 32.0).abs() <= 1.0, "{near:?}");
    assert!((centre(far) - 160.0).abs() <= 1.0, "{far:?}");
}

/// A glTF with one orthographic camera, 3 m tall (ymag 1.5), looking down -Z from z = 10 at
/// a quad 1 m wide.
fn ortho_gltf(xmag: f32, ymag: f32, znear: f32, zfar: f32) -> String {
    let positions: [f32; 12] = [
        -0.5, -0.5, 0.0, 0.5, -0.5, 0.0, 0.5, 0.5, 0.0, -0.5, 0.5, 0.0,
    ];
    let indices: [u16; 6] = [0, 1, 2, 0, 2, 3];
    let mut bin: Vec<u8> = positions.iter().flat_map(|v| v.to_le_bytes()).collect();
    bin.extend(indices.iter().flat_map(|v| v.to_le_bytes()));
    use base64::Engine as _;
    let data = base64::engine::general_purpose::STANDARD.encode(&bin);
    format!(
        r#"{{
  "asset": {{"version": "2.0"}},
  "scene": 0,
  "scenes": [{{"nodes": [0, 1]}}],
  "nodes": [
    {{"name": "Quad", "mesh": 0}},
    {{"name": "Ortho", "camera": 0, "translation": [0, 0, 10]}}
  ],
  "cameras": [{{"type": "orthographic", "orthographic":
    {{"xmag": {xmag}, "ymag": {ymag}, "znear": {znear}, "zfar": {zfar}}}}}],
  "materials": [{{"pbrMetallicRoughness": {{"baseColorFactor": [0.9, 0.1, 0.1, 1]}},
    "extensions": {{"KHR_materials_unlit": {{}}}}}}],
  "extensionsUsed": ["KHR_materials_unlit"],
  "meshes": [{{"primitives": [{{"attributes": {{"POSITION": 0}}, "indices": 1,
    "material": 0}}]}}],
  "buffers": [{{"byteLength": {len}, "uri": "data:application/octet-stream;base64,{data}"}}],
  "bufferViews": [
    {{"buffer": 0, "byteOffset": 0, "byteLength": 48}},
    {{"buffer": 0, "byteOffset": 48, "byteLength": 12}}
  ],
  "accessors": [
    {{"bufferView": 0, "componentType": 5126, "count": 4, "type": "VEC3",
      "min": [-0.5, -0.5, 0], "max": [0.5, 0.5, 0]}},
    {{"bufferView": 1, "componentType": 5123, "count": 6, "type": "SCALAR"}}
  ]
}}"#,
        len = bin.len()
    )
}

/// Exports `scene` as a `.gltf` (with its `.bin` beside it) at `out`; its JSON.
/// A fresh temporary folder `name` holding `file`, the glTF of [`ortho_gltf`] with a 2 × 1.5 m
/// frame, `znear` and a far plane 100 m off: (folder, file path).
fn ortho_file(name: &str, file: &str, znear: f32) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = crate::common::temp_dir("ortho", name);
    let path = dir.join(file);
    std::fs::write(&path, ortho_gltf(2.0, 1.5, znear, 100.0)).expect("write");
    (dir, path)
}

/// The scene imported from `path`.
fn imported(path: &std::path::Path) -> Scene {
    worldsmith::import::import_path(path).expect("import").scene
}

fn export_json(scene: &Scene, out: &std::path::Path) -> serde_json::Value {
    let options = worldsmith::export::ExportOptions {
        format: worldsmith::export::GltfFormat::Separate,
        ..Default::default()
    };
    worldsmith::export::export_gltf(scene, out, &options).expect("export");
    serde_json::from_slice(&std::fs::read(out).expect("read")).expect("json")
}

fn ortho_camera(scene: &Scene) -> (worldsmith::scene::NodeId, Camera) {
    scene
        .nodes()
        .find_map(|n| match n.kind {
            NodeKind::Camera(c) => Some((n.id, c)),
            _ => None,
        })
        .expect("a camera")
}

#[test]
fn gltf_orthographic_cameras_import_render_and_export_as_orthographic() {
    let (dir, path) = ortho_file("ortho", "ortho.gltf", 0.0);
    let scene = imported(&path);
    let (id, camera) = ortho_camera(&scene);
    assert_eq!(
        camera.ortho_half_height,
        Some(1.5),
        "ymag is half the height"
    );
    assert_eq!(camera.far, Some(100.0));
    assert!(
        camera.near > 0.0 && camera.near < 0.01,
        "znear 0: {}",
        camera.near
    );
    camera.check().expect("usable");

    // Rendered through it: 3 m over 120 px is 40 px per metre, so the 1 m quad is 40 px.
    if let Some(ctx) = gpu() {
        let view = scene.camera_view(id).expect("view");
        let img = render(&ctx, &scene, view, 160, 120);
        let span = column_span(&img, reddish).expect("the quad shows");
        assert!(
            (span.1 - span.0 + 1).abs_diff(40) <= 1,
            "1 m at 40 px per metre: {span:?}"
        );
    }

    // Exported: an orthographic glTF camera again, ymag kept, xmag from 16:9.
    let out = dir.join("out.gltf");
    let json = export_json(&scene, &out);
    let exported = &json["cameras"][0];
    assert_eq!(exported["type"], "orthographic");
    let o = &exported["orthographic"];
    assert_eq!(o["ymag"].as_f64(), Some(1.5));
    assert!((o["xmag"].as_f64().expect("xmag") - 1.5 * 16.0 / 9.0).abs() < 1e-4);
    assert_eq!(o["zfar"].as_f64(), Some(100.0));
    let back = worldsmith::import::import_path(&out)
        .expect("import again")
        .scene;
    assert_eq!(ortho_camera(&back).1.ortho_half_height, Some(1.5));

    // A zero ymag or a far plane not beyond the near one: a warning and a usable camera.
    std::fs::write(&path, ortho_gltf(2.0, 0.0, 1.0, 0.5)).expect("write");
    let imported = worldsmith::import::import_path(&path).expect("import");
    let (_, camera) = ortho_camera(&imported.scene);
    camera.check().expect("usable");
    assert_eq!(camera.far, None);
    let warnings = imported.warnings.join("\n");
    assert!(warnings.contains("ymag 0"), "{warnings}");
    assert!(warnings.contains("zfar 0.5"), "{warnings}");
}

#[test]
fn the_cli_renders_a_still_through_an_orthographic_camera() {
    if gpu().is_none() {
        return;
    }
    let (dir, path) = ortho_file("ortho", "ortho.gltf", 0.1);
    let input = path.to_str().expect("utf-8");
    let img = still_png(
        &dir.join("still.png"),
        "160x120",
        &[input, "--camera", "Ortho"],
    );
    let span = column_span(&img, reddish).expect("the quad shows");
    assert!((span.1 - span.0 + 1).abs_diff(40) <= 1, "{span:?}");
}

#[test]
fn an_orthographic_cameras_size_animates_and_exports_as_ymag_and_xmag() {
    use worldsmith::scene::{Channel, Interpolation, Key, Shot, Timeline, Value};
    let (dir, path) = ortho_file("ortho-anim", "ortho.gltf", 0.1);
    let mut scene = imported(&path);
    let (camera, _) = ortho_camera(&scene);
    // A 2:1 shot through it, zooming out from 1 m to 3 m of half height over 10 frames.
    let id = scene.reserve_shot_id();
    let mut shot = Shot {
        size: [800, 400],
        camera: Some(camera),
        ..Shot::new(id, "Zoom")
    };
    let linear = |frame: f32, size: f32| Key {
        interpolation: Interpolation::Linear,
        ..Key::new(frame, Value::Float(size))
    };
    shot.track_mut(Channel::OrthoSize(camera))
        .set_keys([linear(0.0, 1.0), linear(10.0, 3.0)]);
    scene.set_timeline(Timeline {
        shots: vec![shot],
        active: Some(id),
    });
    let size_at = |scene: &Scene, frame: f32| {
        let sampled = scene.sampled(id, frame, None).expect("sampled");
        sampled
            .camera_view(camera)
            .and_then(|v| v.ortho)
            .map(|o| o.half_height)
    };
    assert_eq!(size_at(&scene, 5.0), Some(2.0));
    assert_eq!(size_at(&scene, 10.0), Some(3.0));

    // Exported: ymag keyed as the track, xmag beside it at the shot's 2:1.
    let out = dir.join("zoom.gltf");
    let json = export_json(&scene, &out);
    let pointers: Vec<String> = json["animations"][0]["channels"]
        .as_array()
        .expect("channels")
        .iter()
        .filter_map(|c| {
            c["target"]["extensions"]["KHR_animation_pointer"]["pointer"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(
        pointers.contains(&"/cameras/0/orthographic/ymag".to_owned())
            && pointers.contains(&"/cameras/0/orthographic/xmag".to_owned()),
        "{pointers:?}"
    );
    assert!(
        (json["cameras"][0]["orthographic"]["xmag"]
            .as_f64()
            .expect("xmag")
            - 3.0)
            .abs()
            < 1e-6
    );
    // Read back: the size is animated again, with no warning about xmag.
    let back = worldsmith::import::import_path(&out).expect("import again");
    assert!(
        !back.warnings.iter().any(|w| w.contains("xmag")),
        "{:?}",
        back.warnings
    );
    let (camera, _) = ortho_camera(&back.scene);
    let shot = back.scene.timeline().shots()[0].id;
    let sampled = back.scene.sampled(shot, 5.0, None).expect("sampled");
    let half = sampled
        .camera_view(camera)
        .and_then(|v| v.ortho)
        .map(|o| o.half_height);
    assert!(half.is_some_and(|h| (h - 2.0).abs() < 1e-4), "{half:?}");
}

#[test]
fn still_view_renders_plans_and_elevations_framing_everything() {
    let (dir, path) = ortho_file("ortho-view", "quad.gltf", 0.1);
    // The view itself: the 1 m quad (facing +Z, off the origin once moved) fills the height
    // of a 4:3 frame from the front with a 5% margin, centred, wherever it stands.
    let mut scene = imported(&path);
    let quad = scene.find("Quad").expect("quad");
    scene.set_transform(quad, Transform::from_translation(Vec3::new(7.0, -3.0, 2.0)));
    let view = worldsmith::render::axis_view(&scene, worldsmith::scene::ViewAxis::Front, 4.0 / 3.0);
    let o = view.ortho.expect("orthographic");
    assert!((o.half_height - 0.525).abs() < 1e-4, "{}", o.half_height);
    let clip = view.clip_from_world(4.0 / 3.0) * Vec3::new(7.0, -3.0, 2.0).extend(1.0);
    assert!(
        clip.truncate().truncate().length() < 1e-4,
        "centred: {clip}"
    );
    assert!(
        clip.z > 0.0 && clip.z < 1.0,
        "in the depth range: {}",
        clip.z
    );

    if gpu().is_none() {
        return;
    }
    let input = path.to_str().expect("utf-8");
    let view_png = |side: &str| {
        still_png(
            &dir.join(format!("{side}.png")),
            "160x120",
            &[input, "--view", side],
        )
    };
    let img = view_png("front");
    let span = column_span(&img, reddish).expect("the quad shows");
    // 120 px / 1.05 = 114.3 px per metre.
    assert!((span.1 - span.0 + 1).abs_diff(114) <= 2, "{span:?}");
    assert!(
        ((span.0 + span.1) as f32 * 0.5 - 79.5).abs() <= 1.0,
        "{span:?}"
    );
    // From the top the quad is edge-on: hardly anything of it shows.
    let img = view_png("top");
    let red = img.pixels().filter(|p| reddish(p.0)).count();
    assert!(red < 160 * 4, "{red} red pixels from the top");
    // A side that is not one, or a camera as well: refused with a usage error.
    let top = dir.join("top.png");
    let top = top.to_str().expect("utf-8");
    let out = worldsmith(&[
        "still", input, "--view", "diagonal", "--size", "160x120", "--out", top,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("diagonal"));
    let out = worldsmith(&[
        "still", input, "--view", "top", "--camera", "Ortho", "--out", top,
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A world point's pixel coordinates (x right, y down) in a `W`×`H` frame of `view`.
fn px_of(view: &CameraView, p: Vec3) -> (f32, f32) {
    let ndc = view.clip_from_world(W as f32 / H as f32).project_point3(p);
    (
        (ndc.x + 1.0) * 0.5 * W as f32,
        (1.0 - ndc.y) * 0.5 * H as f32,
    )
}

/// Whether the grid's pixel `got` is tinted towards channel `k` over the plain frame's `plain`.
fn tinted(got: [u8; 4], plain: [u8; 4], k: usize) -> bool {
    let changed = (0..3).any(|c| got[c].abs_diff(plain[c]) > 20);
    changed && (0..3).all(|c| c == k || got[k] > got[c] + 15)
}

#[test]
fn side_and_front_views_draw_the_grid_in_the_view_plane_behind_everything() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Elevation grid");
    add_sun(&mut scene, Vec3::new(0.3, 0.8, 1.0), 100_000.0, false);
    scene.environment.exposure_ev100 = 15.0;
    // One cube beyond the planes x = 0 and z = 0 seen from +X and +Z, one on the viewer's
    // side of them, and a splat beyond them: the grid lies behind all three.
    let behind = Vec3::new(-2.5, 2.0, -2.5);
    let front = Vec3::new(2.5, -2.0, 2.5);
    let splat = Vec3::new(-2.5, -2.0, -2.5);
    for (name, at, color) in [
        ("Behind", behind, [0.9, 0.6, 0.05, 1.0]),
        ("Front", front, [0.6, 0.1, 0.8, 1.0]),
    ] {
        add_mesh(
            &mut scene,
            name,
            shapes::cube(1.0),
            Material::named(name, color, 0.6),
            Transform::from_translation(at),
        );
    }
    let cloud = SplatCloud::new(
        vec![splat.to_array()],
        vec![[0.0, 0.0, 0.0, 1.0]],
        vec![[0.4; 3]],
        vec![1.0],
        vec![[0.9, 0.9, 0.2]],
        0,
        Vec::new(),
    )
    .expect("splat");
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(
        None,
        "Cloud",
        Transform::IDENTITY,
        NodeKind::Splats { cloud },
    );
    let top = CameraView {
        world_from_view: Mat4::from_rotation_translation(
            glam::Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2),
            Vec3::new(0.0, 20.0, 0.0),
        ),
        ..ortho_look(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO, 4.0)
    };
    let (red, green, blue) = (0, 1, 2);
    // View, the colour of the axis drawn across the frame, of the one drawn up it, and
    // whether the grid is the ground (which splits the scene rather than lying behind it).
    let views = [
        (
            "front",
            ortho_look(Vec3::new(0.0, 0.0, 20.0), Vec3::ZERO, 4.0),
            red,
            green,
            false,
        ),
        (
            "right",
            ortho_look(Vec3::new(20.0, 0.0, 0.0), Vec3::ZERO, 4.0),
            blue,
            green,
            false,
        ),
        ("top", top, red, blue, true),
    ];
    let with_grid = RenderSettings::viewport();
    let mut without_grid = with_grid;
    without_grid.overlays.grid = false;
    for (name, view, across, up, ground) in views {
        let grid = render_with(&ctx, &scene, view, W, H, with_grid, &[]);
        let plain = render_with(&ctx, &scene, view, W, H, without_grid, &[]);
        let at = |img: &RgbaImage, x: f32, y: f32| img.get_pixel(x as u32, y as u32).0;
        let (ox, oy) = px_of(&view, Vec3::ZERO);
        // 16 px per metre: the axes through the origin, 2 px wide, well clear of the objects
        // (which stand 2.5 m off each axis).
        let near_line = |o: f32| [o - 1.5, o - 0.5, o + 0.5, o + 1.5];
        for &(x, y) in &[(ox, 6.0), (ox, H as f32 - 6.0)] {
            assert!(
                near_line(x)
                    .iter()
                    .any(|&x| tinted(at(&grid, x, y), at(&plain, x, y), up)),
                "{name}: no axis up the frame at ({x}, {y}): {:?}",
                near_line(x).map(|x| at(&grid, x, y))
            );
        }
        for &(x, y) in &[(8.0, oy), (W as f32 - 8.0, oy)] {
            assert!(
                near_line(y)
                    .iter()
                    .any(|&y| tinted(at(&grid, x, y), at(&plain, x, y), across)),
                "{name}: no axis across the frame at ({x}, {y}): {:?}",
                near_line(y).map(|y| at(&grid, x, y))
            );
        }
        // 1 m lines each side of the axis up the frame, and nothing half way between them.
        let luma = |p: [u8; 4]| p[..3].iter().map(|&c| i32::from(c)).sum::<i32>();
        let y = 6.0;
        for metre in [-1.0f32, 1.0, 2.0] {
            let x = ox + metre * 16.0;
            assert!(
                near_line(x)
                    .iter()
                    .any(|&x| (luma(at(&grid, x, y)) - luma(at(&plain, x, y))).abs() > 6),
                "{name}: no 1 m line at column {x}: {:?} vs {:?}",
                near_line(x).map(|x| at(&grid, x, y)),
                near_line(x).map(|x| at(&plain, x, y))
            );
            let between = x - 8.0;
            assert_eq!(
                at(&grid, between, y)[..3],
                at(&plain, between, y)[..3],
                "{name}: a line between the 1 m lines at column {between}"
            );
        }
        if ground {
            continue;
        }
        for (what, p) in [
            ("cube beyond", behind),
            ("cube in front", front),
            ("splat", splat),
        ] {
            let (x, y) = px_of(&view, p);
            for (dx, dy) in [(0.0, 0.0), (-3.0, 2.0), (3.0, -2.0)] {
                let (g, q) = (at(&grid, x + dx, y + dy), at(&plain, x + dx, y + dy));
                assert!(
                    (0..3).all(|c| g[c].abs_diff(q[c]) <= 3),
                    "{name}: the grid over the {what} at ({x}, {y}): {g:?} vs {q:?}"
                );
            }
        }
    }
}
