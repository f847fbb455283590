//! Relighting of captured content through `Renderer::render`: a synthetic sphere of oriented
//! splats whose colour was baked from a known light, de-lit by the estimate operation and
//! relit by suns from two directions (pixel checks and before/after goldens); "as captured"
//! is exact at amount 0; a mesh shadows relit splats; vertex-coloured unlit meshes relight.

use crate::common;

use common::*;
use glam::{Quat, Vec3};
use image::RgbaImage;
use worldsmith::edit::{History, ops};
use worldsmith::generate::shapes;
use worldsmith::render::tonemap::{aces_fitted, linear_to_srgb};
use worldsmith::scene::{
    CameraView, CapturedLight, Material, NodeId, NodeKind, Relight, Scene, SplatCloud, Transform,
};

const W: u32 = 320;
const H: u32 = 180;

/// The light the synthetic capture was lit by: mostly from above and a little from the front.
fn truth() -> CapturedLight {
    CapturedLight {
        ambient: 0.6,
        directional: (Vec3::new(0.0, 0.9, 0.45).normalize() * 0.4).to_array(),
    }
}

/// The sRGB display colour an albedo shows as under the captured light (ACES, as the
/// default environment): exposed value = albedo · ratio(n).
fn baked(albedo: Vec3, n: Vec3, light: &CapturedLight) -> [f32; 3] {
    let shown = aces_fitted(albedo * light.ratio(n));
    [
        linear_to_srgb(shown.x),
        linear_to_srgb(shown.y),
        linear_to_srgb(shown.z),
    ]
}

/// Flat splats on a unit sphere (a Fibonacci lattice), each a disc whose shortest axis is
/// the outward normal, coloured by `baked` with an albedo that varies around the sphere.
fn baked_sphere(n: usize, light: &CapturedLight) -> SplatCloud {
    let golden = std::f32::consts::PI * (3.0 - 5.0f32.sqrt());
    let (mut p, mut r, mut s, mut o, mut c) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let y = 1.0 - 2.0 * (i as f32 + 0.5) / n as f32;
        let rad = (1.0 - y * y).sqrt();
        let phi = golden * i as f32;
        let normal = Vec3::new(rad * phi.cos(), y, rad * phi.sin());
        // Eight stripes of two albedos, so the picture is not one flat colour.
        let longitude = normal.z.atan2(normal.x);
        let albedo = if (longitude * 4.0).sin() > 0.0 {
            Vec3::new(0.8, 0.5, 0.3)
        } else {
            Vec3::new(0.25, 0.45, 0.7)
        };
        p.push(normal.to_array());
        r.push(Quat::from_rotation_arc(Vec3::Z, normal).to_array());
        s.push([0.07, 0.07, 0.004]);
        o.push(0.95);
        c.push(baked(albedo, normal, light));
    }
    SplatCloud::new(p, r, s, o, c, 0, Vec::new()).expect("consistent splats")
}

fn splat_node(scene: &mut Scene, name: &str, cloud: SplatCloud, t: Transform) -> NodeId {
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(None, name, t, NodeKind::Splats { cloud })
}

/// The sphere with a sun shining from `to_sun`, relit by `amount` after the estimate.
fn sphere_scene(to_sun: Vec3, amount: f32) -> (Scene, NodeId) {
    let mut scene = Scene::new("Relight sphere");
    let node = splat_node(
        &mut scene,
        "Sphere",
        baked_sphere(6000, &truth()),
        Transform::IDENTITY,
    );
    add_sun(&mut scene, to_sun, 60_000.0, true);
    scene.environment.exposure_ev100 = 13.5;
    let mut history = History::default();
    let estimate = ops::estimate_captured_light(&scene, node).expect("estimate");
    assert!(history.execute(&mut scene, estimate));
    let captured = scene.node(node).expect("node").relight.captured;
    scene.set_relight(node, Relight { amount, captured });
    (scene, node)
}

fn sphere_view() -> CameraView {
    look(Vec3::new(0.0, 0.4, 4.0), Vec3::ZERO, 40.0)
}

fn luma_at(img: &RgbaImage, cx: u32, cy: u32, half: u32) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for y in cy - half..=cy + half {
        for x in cx - half..=cx + half {
            let p = img.get_pixel(x, y);
            sum += 0.2126 * f64::from(p[0]) + 0.7152 * f64::from(p[1]) + 0.0722 * f64::from(p[2]);
            n += 1.0;
        }
    }
    sum / n
}

/// Pixel of a world point in a `W`×`H` frame of `view`.
fn pixel_of(view: &CameraView, p: Vec3) -> (u32, u32) {
    let clip = view.clip_from_view(W as f32 / H as f32) * view.view_from_world() * p.extend(1.0);
    let ndc = clip.truncate() / clip.w;
    (
        ((ndc.x * 0.5 + 0.5) * W as f32) as u32,
        ((0.5 - ndc.y * 0.5) * H as f32) as u32,
    )
}

#[test]
fn estimate_recovers_the_light_the_splats_were_baked_with() {
    let (scene, node) = sphere_scene(Vec3::X, 1.0);
    let fitted = scene.node(node).expect("node").relight.captured;
    let want = truth();
    assert!((fitted.reference() - 1.0).abs() < 1e-3, "{fitted:?}");
    assert!(
        (fitted.ambient - want.ambient).abs() < 0.06,
        "{fitted:?} vs {want:?}"
    );
    let angle = fitted.key_direction().angle_between(want.key_direction());
    assert!(
        angle < 5f32.to_radians(),
        "key off by {}°",
        angle.to_degrees()
    );
    // One undo step, labelled, which forgets the estimate.
    let mut scene = scene;
    let mut history = History::default();
    let again = ops::estimate_captured_light(&scene, node).expect("estimate");
    assert_eq!(again.label(&scene), "Estimate captured lighting of Sphere");
    scene.set_relight(node, Relight::default());
    assert!(history.execute(&mut scene, again));
    assert_ne!(
        scene.node(node).expect("node").relight.captured,
        CapturedLight::UNKNOWN
    );
    assert!(history.undo(&mut scene));
    assert_eq!(scene.node(node).expect("node").relight, Relight::default());
    // A baked sphere above a uniformly lit floor of level splats in one layer: the floor's
    // normals face up (not away from the layer's centre, which is above most of it), so the
    // key stays up and in front.
    let sphere = baked_sphere(3000, &truth());
    let mut p = sphere.positions.clone();
    let mut r = sphere.rotations.clone();
    let mut sc = sphere.scales.clone();
    let mut o = sphere.opacities.clone();
    let mut c = sphere.colors.clone();
    for q in p.iter_mut() {
        q[1] += 1.0;
    }
    for i in 0..61 {
        for k in 0..61 {
            p.push([-3.0 + 0.1 * i as f32, 0.0, -3.0 + 0.1 * k as f32]);
            r.push([0.0, 0.0, 0.0, 1.0]);
            sc.push([0.07, 0.003, 0.07]);
            o.push(0.95);
            c.push(baked(Vec3::splat(0.5), Vec3::Y, &CapturedLight::UNKNOWN));
        }
    }
    let mut layer = Scene::new("Object on a floor");
    let both = splat_node(
        &mut layer,
        "Layer",
        SplatCloud::new(p, r, sc, o, c, 0, Vec::new()).expect("layer"),
        Transform::IDENTITY,
    );
    let command = ops::estimate_captured_light(&layer, both).expect("estimate");
    assert!(History::default().execute(&mut layer, command));
    let key = layer
        .node(both)
        .expect("node")
        .relight
        .captured
        .key_direction();
    assert!(key.y > 0.5 && key.z > 0.0, "{key}");
    // Nothing to estimate on a light or a lit mesh.
    let sun = scene.find("Sun").expect("sun");
    assert!(ops::estimate_captured_light(&scene, sun).is_err());
}

#[test]
fn relit_splats_follow_the_sun_and_amount_zero_is_exactly_as_captured() {
    let Some(ctx) = gpu() else { return };
    let view = sphere_view();
    let east = render(
        &ctx,
        &sphere_scene(Vec3::new(1.0, 0.6, 0.4), 1.0).0,
        view,
        W,
        H,
    );
    let west = render(
        &ctx,
        &sphere_scene(Vec3::new(-1.0, 0.6, 0.4), 1.0).0,
        view,
        W,
        H,
    );
    let (cx, cy) = pixel_of(&view, Vec3::ZERO);
    let (rx, _) = pixel_of(&view, Vec3::new(0.6, 0.0, 0.8));
    let offset = rx - cx;
    let right = |img: &RgbaImage| luma_at(img, cx + offset, cy, 4);
    let left = |img: &RgbaImage| luma_at(img, cx - offset, cy, 4);
    assert!(
        right(&east) > left(&east) * 1.8,
        "sun from +x: right {:.1} left {:.1}",
        right(&east),
        left(&east)
    );
    assert!(
        left(&west) > right(&west) * 1.8,
        "sun from −x: right {:.1} left {:.1}",
        right(&west),
        left(&west)
    );
    // Swapping the sun mirrors the picture: the lit side of one is the lit side of the other.
    assert!((right(&east) - left(&west)).abs() < 0.25 * right(&east));

    // Amount 0 is the as-captured frame, bit for bit, whatever the captured model says.
    let (captured_scene, node) = sphere_scene(Vec3::new(1.0, 0.6, 0.4), 0.0);
    let captured = render(&ctx, &captured_scene, view, W, H);
    let mut plain = captured_scene.clone();
    plain.set_relight(node, Relight::default());
    let plain = render(&ctx, &plain, view, W, H);
    assert!(
        captured.as_raw() == plain.as_raw(),
        "amount 0 must render exactly as captured"
    );
    // And relit differs from it where the sun does not reach.
    assert!(left(&east) < left(&captured) * 0.7);

    check_golden("relight_splats_captured", &captured);
    check_golden("relight_splats_sun_east", &east);
    check_golden("relight_splats_sun_west", &west);
}

#[test]
fn a_mesh_shadows_relit_splats() {
    let Some(ctx) = gpu() else { return };
    // A floor of flat splats (shortest axis up), captured under uniform light.
    let mut floor = Vec::new();
    for i in 0..41 {
        for k in 0..41 {
            floor.push(Vec3::new(-2.0 + 0.1 * i as f32, 0.0, -2.0 + 0.1 * k as f32));
        }
    }
    let n = floor.len();
    let cloud = SplatCloud::new(
        floor.iter().map(|p| p.to_array()).collect(),
        vec![[0.0, 0.0, 0.0, 1.0]; n],
        vec![[0.07, 0.005, 0.07]; n],
        vec![0.95; n],
        vec![[0.7, 0.65, 0.6]; n],
        0,
        Vec::new(),
    )
    .expect("floor");
    let build = |with_box: bool| {
        let mut scene = Scene::new("Shadow on splats");
        let node = splat_node(&mut scene, "Floor", cloud.clone(), Transform::IDENTITY);
        scene.set_relight(
            node,
            Relight {
                amount: 1.0,
                captured: CapturedLight::UNKNOWN,
            },
        );
        if with_box {
            add_mesh(
                &mut scene,
                "Box",
                shapes::cube(0.6),
                Material::named("Box", [0.6, 0.6, 0.6, 1.0], 0.8),
                Transform::from_translation(Vec3::new(0.0, 0.8, 0.0)),
            );
        }
        add_sun(&mut scene, Vec3::new(0.5, 1.0, 0.0), 60_000.0, true);
        scene.environment.exposure_ev100 = 13.5;
        scene
    };
    let view = look(Vec3::new(0.0, 5.0, 2.5), Vec3::ZERO, 45.0);
    let with_box = render(&ctx, &build(true), view, W, H);
    let without = render(&ctx, &build(false), view, W, H);
    // The box's shadow falls 0.5 m towards −x per metre of height: around x = −0.4.
    let (sx, sy) = pixel_of(&view, Vec3::new(-0.45, 0.0, 0.15));
    let (lx, ly) = pixel_of(&view, Vec3::new(1.0, 0.0, 0.15));
    let shadowed = luma_at(&with_box, sx, sy, 2);
    let lit = luma_at(&with_box, lx, ly, 2);
    let unshadowed = luma_at(&without, sx, sy, 2);
    // Display values (sRGB): the sky still lights the shadow, so 0.7 here is ≈ 0.45 linear.
    assert!(
        shadowed < 0.7 * lit,
        "shadowed {shadowed:.1} vs lit {lit:.1}"
    );
    assert!(
        shadowed < 0.7 * unshadowed,
        "with box {shadowed:.1} vs without {unshadowed:.1}"
    );
    // Away from the shadow the box changes nothing much.
    assert!((lit - luma_at(&without, lx, ly, 2)).abs() < 6.0);
}

#[test]
fn vertex_coloured_unlit_meshes_relight_too() {
    let Some(ctx) = gpu() else { return };
    let light = truth();
    let build = |to_sun: Vec3, amount: f32| {
        let mut mesh = shapes::uv_sphere(1.0, 48, 24);
        mesh.colors = mesh
            .normals
            .iter()
            .map(|n| {
                let c = baked(Vec3::new(0.6, 0.5, 0.4), Vec3::from(*n), &light);
                let lin = c.map(worldsmith::render::tonemap::srgb_to_linear);
                [lin[0], lin[1], lin[2], 1.0]
            })
            .collect();
        let mut material = Material::named("Captured", [1.0; 4], 1.0);
        material.unlit = true;
        let mut scene = Scene::new("Relight mesh");
        let node = add_mesh(&mut scene, "Scan", mesh, material, Transform::IDENTITY);
        add_sun(&mut scene, to_sun, 60_000.0, true);
        scene.environment.exposure_ev100 = 13.5;
        let estimate = ops::estimate_captured_light(&scene, node).expect("estimate");
        let mut history = History::default();
        assert!(history.execute(&mut scene, estimate));
        let captured = scene.node(node).expect("node").relight.captured;
        let angle = captured
            .key_direction()
            .angle_between(light.key_direction());
        assert!(angle < 5f32.to_radians(), "{captured:?}");
        scene.set_relight(node, Relight { amount, captured });
        (scene, node)
    };
    let view = sphere_view();
    let (cx, cy) = pixel_of(&view, Vec3::ZERO);
    let (rx, _) = pixel_of(&view, Vec3::new(0.6, 0.0, 0.8));
    let offset = rx - cx;
    let east = render(&ctx, &build(Vec3::new(1.0, 0.6, 0.4), 1.0).0, view, W, H);
    let west = render(&ctx, &build(Vec3::new(-1.0, 0.6, 0.4), 1.0).0, view, W, H);
    assert!(luma_at(&east, cx + offset, cy, 4) > 1.8 * luma_at(&east, cx - offset, cy, 4));
    assert!(luma_at(&west, cx - offset, cy, 4) > 1.8 * luma_at(&west, cx + offset, cy, 4));
    let (scene, node) = build(Vec3::X, 0.0);
    let zero = render(&ctx, &scene, view, W, H);
    let mut plain = scene;
    plain.set_relight(node, Relight::default());
    assert!(zero.as_raw() == render(&ctx, &plain, view, W, H).as_raw());
}

/// Splat pipelines are specialised by relighting (render/clouds.rs `SplatShading`): turning a
/// node's relighting on and off on a running renderer switches its pipeline each frame.
#[test]
fn relighting_a_splat_node_on_a_running_renderer_switches_its_pipeline() {
    let Some(ctx) = gpu() else { return };
    let view = sphere_view();
    let (mut scene, node) = sphere_scene(Vec3::new(1.0, 0.6, 0.4), 0.0);
    let captured = scene.node(node).expect("node").relight.captured;
    let mut r = worldsmith::render::Renderer::new(&ctx);
    let mut draw = |scene: &Scene| {
        let frame = common::final_frame(scene, view);
        r.render_to_image(&ctx, &frame, W, H).expect("readback").0
    };
    let (cx, cy) = pixel_of(&view, Vec3::ZERO);
    let (rx, _) = pixel_of(&view, Vec3::new(0.6, 0.0, 0.8));
    let offset = rx - cx;
    let as_captured = draw(&scene);
    scene.set_relight(
        node,
        Relight {
            amount: 1.0,
            captured,
        },
    );
    let relit = draw(&scene);
    let (right, left) = (
        luma_at(&relit, cx + offset, cy, 4),
        luma_at(&relit, cx - offset, cy, 4),
    );
    assert!(
        right > left * 1.8,
        "relit by a sun from +x: right {right:.1} left {left:.1}"
    );
    assert!(left < luma_at(&as_captured, cx - offset, cy, 4) * 0.7);
    scene.set_relight(
        node,
        Relight {
            amount: 0.0,
            captured,
        },
    );
    assert!(
        draw(&scene).as_raw() == as_captured.as_raw(),
        "back to amount 0 must render exactly as captured"
    );
}
