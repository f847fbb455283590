//! Picking: pixels → the node a user sees there. The generated world (seed 7, `Main` camera,
//! 320×180) with fixed pixels and their expected nodes; a scene of flat unlit colours where
//! every pick is checked against the rendered image (so rays and the renderer's projection
//! agree); clouds picked as a whole; hidden and locked nodes never picked.

use crate::common;

use glam::{Quat, Vec2, Vec3};
use worldsmith::pick::{PickOptions, PickView, Picker};
use worldsmith::scene::{Material, NodeId, NodeKind, PointCloud, Scene, SplatCloud, Transform};

const W: u32 = 320;
const H: u32 = 180;
const NO_ICONS: PickOptions = PickOptions {
    icons: false,
    bones: false,
    xray: false,
};

/// The centre of pixel (x, y).
fn px(x: u32, y: u32) -> Vec2 {
    Vec2::new(x as f32 + 0.5, y as f32 + 0.5)
}

fn picked(scene: &Scene, view: &PickView, picker: &mut Picker, at: Vec2, o: PickOptions) -> String {
    picker
        .pick(scene, view, at, o)
        .map_or_else(|| "(nothing)".to_owned(), |h| scene.path_of(h.node))
}

#[test]
fn generated_world_pixels_pick_the_nodes_drawn_there() {
    let scene = worldsmith::generate::generate_world(7);
    let camera = scene.camera_view_named("Main").expect("Main camera");
    let view = PickView::new(camera, W as f32, H as f32);
    let mut picker = Picker::default();
    let expected = [
        ((5, 5), "(nothing)"),
        ((125, 135), "Buildings/House_03/Roof"),
        ((65, 105), "Buildings/House_04/Roof"),
        ((65, 125), "Buildings/House_04/Walls"),
        ((185, 115), "Buildings/House_02/Roof"),
        ((185, 65), "Water/Lake_Surface"),
        ((45, 85), "Buildings/Ruin_01/Base"),
        ((165, 55), "Vegetation/Tree_35/Canopy"),
        ((85, 175), "Terrain"),
    ];
    for ((x, y), name) in expected {
        assert_eq!(
            picked(&scene, &view, &mut picker, px(x, y), NO_ICONS),
            name,
            "pixel ({x}, {y})"
        );
    }
    // With the icons shown, the lamp post's light icon wins over the ground behind it.
    assert_eq!(
        picked(
            &scene,
            &view,
            &mut picker,
            px(125, 105),
            PickOptions::default()
        ),
        "Lights/Lamp_1"
    );
    assert_eq!(
        picked(&scene, &view, &mut picker, px(125, 105), NO_ICONS),
        "Terrain"
    );
    // Instances share one BVH per mesh.
    let (meshes, _, _) = picker.cached();
    assert!(meshes <= scene.meshes().count(), "{meshes}");

    // What the renderer draws at those pixels agrees: a red roof, blue water.
    let Some(ctx) = common::gpu() else {
        return;
    };
    let image = common::render(&ctx, &scene, camera, W, H);
    let roof = image.get_pixel(125, 135).0;
    assert!(
        roof[0] > roof[1] + 30 && roof[0] > roof[2] + 30,
        "roof {roof:?}"
    );
    let lake = image.get_pixel(185, 65).0;
    assert!(lake[2] > lake[0] + 30, "lake {lake:?}");
}

/// Flat unlit colours the renderer shows exactly: red, green and blue boxes at different
/// depths (overlapping on screen), a yellow alpha-masked fence with square holes in front of
/// the red one, a magenta point cloud and a camera looking at them.
fn flat_scene() -> (Scene, Vec<(NodeId, [u8; 3])>) {
    let mut scene = Scene::new("flat");
    let mut colours = Vec::new();
    let unlit = |rgb: [f32; 3]| Material {
        unlit: true,
        ..Material::named("flat", [rgb[0], rgb[1], rgb[2], 1.0], 1.0)
    };
    let boxes = [
        ("Red", [1.0, 0.0, 0.0], Vec3::new(-1.2, 0.0, 0.0), 2.0),
        ("Green", [0.0, 1.0, 0.0], Vec3::new(0.6, 0.4, 1.5), 1.2),
        ("Blue", [0.0, 0.0, 1.0], Vec3::new(1.8, -0.5, -2.0), 2.5),
    ];
    for (name, rgb, at, size) in boxes {
        let t = Transform::from_translation(at).with_rotation(Quat::from_rotation_y(0.5));
        let id = common::add_mesh(
            &mut scene,
            name,
            worldsmith::generate::shapes::cube(size),
            unlit(rgb),
            t,
        );
        colours.push((
            id,
            [rgb[0] as u8 * 255, rgb[1] as u8 * 255, rgb[2] as u8 * 255],
        ));
    }
    // A yellow fence with square holes (an alpha-masked checker inside a solid frame,
    // nearest filtering) in front of the red box: through its holes both the render and the
    // picks reach the box. (The frame keeps every hole inside: at the plane's own edge, MSAA
    // shades a partly covered pixel with coordinates extrapolated past it, which wrap round.)
    let checker: Vec<u8> = (0..64)
        .flat_map(|i| {
            let (column, row) = (i % 8, i / 8);
            let frame = column == 0 || row == 0 || column == 7 || row == 7;
            let solid = frame || (column + row) % 2 == 0;
            [255, 255, 255, if solid { 255 } else { 0 }]
        })
        .collect();
    let image = scene
        .add_image(worldsmith::scene::Image::new("Checker", 8, 8, checker).expect("8 x 8 pixels"));
    let sampler = worldsmith::scene::Sampler {
        mag_filter: worldsmith::scene::Filter::Nearest,
        ..Default::default()
    };
    let fence = Material {
        alpha_mode: worldsmith::scene::AlphaMode::Mask { cutoff: 0.5 },
        double_sided: true,
        base_color_texture: Some(worldsmith::scene::TextureRef::new(image, sampler)),
        ..unlit([1.0, 1.0, 0.0])
    };
    let id = common::add_mesh(
        &mut scene,
        "Fence",
        worldsmith::generate::shapes::plane(glam::Vec2::splat(2.4), 1),
        fence,
        Transform::from_translation(Vec3::new(-1.6, 0.6, 2.5))
            .with_rotation(Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
    );
    colours.push((id, [255, 255, 0]));
    let positions: Vec<[f32; 3]> = (0..40)
        .map(|i| [-3.0 + 0.15 * i as f32, 1.8 + 0.05 * (i % 3) as f32, 0.5])
        .collect();
    let n = positions.len();
    let points = crate::common::add_point_node(
        &mut scene,
        "Points",
        Transform::IDENTITY,
        PointCloud::new(positions, vec![[255, 0, 255, 255]; n], Vec::new()),
        8.0,
    );
    colours.push((points, [255, 0, 255]));
    (scene, colours)
}

#[test]
fn every_pick_matches_the_colour_the_renderer_drew_there() {
    let camera = common::look(Vec3::new(2.0, 2.5, 9.0), Vec3::new(0.0, 0.3, 0.0), 45.0);
    picks_match_the_render(camera);
}

#[test]
fn every_orthographic_pick_matches_the_colour_the_renderer_drew_there() {
    let camera = common::look(Vec3::new(2.0, 2.5, 9.0), Vec3::new(0.0, 0.3, 0.0), 45.0);
    picks_match_the_render(worldsmith::scene::CameraView {
        ortho: Some(worldsmith::scene::Ortho {
            half_height: 3.2,
            far: 40.0,
        }),
        ..camera
    });
}

/// Picks every pixel of [`flat_scene`] seen from `camera` and checks them against what the
/// renderer drew there.
fn picks_match_the_render(camera: worldsmith::scene::CameraView) {
    let (scene, colours) = flat_scene();
    let view = PickView::new(camera, W as f32, H as f32);
    let mut picker = Picker::default();
    let grid: Vec<Vec<Option<NodeId>>> = (0..H)
        .map(|y| {
            (0..W)
                .map(|x| {
                    picker
                        .pick(&scene, &view, px(x, y), NO_ICONS)
                        .map(|h| h.node)
                })
                .collect()
        })
        .collect();
    // Every object is picked somewhere, and so is the background.
    for (id, _) in &colours {
        let count = grid.iter().flatten().filter(|p| **p == Some(*id)).count();
        assert!(
            count > 20,
            "{} picked at {count} pixels",
            scene.path_of(*id)
        );
    }
    assert!(grid.iter().flatten().any(Option::is_none));

    let Some(ctx) = common::gpu() else {
        return;
    };
    let image = common::render(&ctx, &scene, camera, W, H);
    let (mut checked, mut bad) = (0, Vec::new());
    for y in 1..H - 1 {
        for x in 1..W - 1 {
            // Away from silhouettes (where MSAA mixes colours): all 8 neighbours agree.
            let here = grid[y as usize][x as usize];
            let interior = (y - 1..=y + 1)
                .all(|yy| (x - 1..=x + 1).all(|xx| grid[yy as usize][xx as usize] == here));
            if !interior {
                continue;
            }
            let p = image.get_pixel(x, y).0;
            let close = |c: [u8; 3]| (0..3).all(|i| p[i].abs_diff(c[i]) <= 4);
            let ok = match here {
                Some(id) => colours.iter().any(|(n, c)| *n == id && close(*c)),
                None => !colours.iter().any(|(_, c)| close(*c)),
            };
            checked += 1;
            if !ok {
                bad.push((x, y, here.map(|id| scene.path_of(id)), p));
            }
        }
    }
    assert!(checked > 40_000, "{checked} interior pixels");
    assert!(
        bad.is_empty(),
        "{} of {checked} pixels disagree, e.g. {:?}",
        bad.len(),
        &bad[..bad.len().min(8)]
    );
}

/// A seeded blob of 20 000 splats around `center`, radius 1.
fn splat_blob(center: Vec3) -> SplatCloud {
    let mut rng = common::Rng(11);
    let n = 20_000;
    let positions = (0..n)
        .map(|_| (center + rng.in_ball()).to_array())
        .collect();
    SplatCloud::new(
        positions,
        vec![Quat::IDENTITY.to_array(); n],
        vec![[0.02, 0.02, 0.01]; n],
        vec![0.8; n],
        vec![[0.5, 0.6, 0.7]; n],
        0,
        Vec::new(),
    )
    .expect("consistent arrays")
}

#[test]
fn clouds_are_picked_as_a_whole_and_hidden_or_locked_nodes_are_not() {
    let mut scene = Scene::new("clouds");
    let splats = scene.add_splat_cloud(splat_blob(Vec3::ZERO));
    let splat_node = scene.add_node(
        None,
        "Splats",
        Transform::from_translation(Vec3::new(-2.0, 0.0, 0.0)),
        NodeKind::Splats { cloud: splats },
    );
    let points = scene.add_point_cloud(PointCloud::new(
        vec![[0.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, -0.5, 0.0]],
        Vec::new(),
        Vec::new(),
    ));
    let group = scene.add_node(None, "Scan", Transform::IDENTITY, NodeKind::Empty);
    let point_node = scene.add_node(
        Some(group),
        "Points",
        Transform::from_translation(Vec3::new(2.0, 0.0, 0.0)),
        NodeKind::Points {
            cloud: points,
            point_size_px: 4.0,
        },
    );
    let camera = common::look(Vec3::new(0.0, 0.0, 10.0), Vec3::ZERO, 45.0);
    let view = PickView::new(camera, W as f32, H as f32);
    let screen = |p: Vec3| {
        let clip = view.clip_from_world() * p.extend(1.0);
        let ndc = clip.truncate() / clip.w;
        Vec2::new(
            (ndc.x + 1.0) * 0.5 * W as f32,
            (1.0 - ndc.y) * 0.5 * H as f32,
        )
    };
    let mut picker = Picker::default();
    let mut pick =
        |scene: &Scene, at: Vec2| picker.pick(scene, &view, at, NO_ICONS).map(|h| h.node);

    // Anywhere on the blob picks the cloud node, at the splat's depth.
    for offset in [
        Vec3::ZERO,
        Vec3::new(0.6, 0.3, 0.0),
        Vec3::new(-0.4, -0.6, 0.0),
    ] {
        let at = screen(Vec3::new(-2.0, 0.0, 0.0) + offset);
        assert_eq!(pick(&scene, at), Some(splat_node), "{offset}");
    }
    let hit = picker_hit_distance(&scene, &view, screen(Vec3::new(-2.0, 0.0, 0.0)));
    assert!((8.9..10.0).contains(&hit), "front of the blob at {hit} m");
    // Beside it (1.5 m from the centre, outside the unit ball): nothing.
    assert_eq!(pick(&scene, screen(Vec3::new(-2.0, 1.5, 0.0))), None);

    // A point: on it or within its disc (2 px radius, 3 px pick slack), not 8 px away.
    let p = screen(Vec3::new(2.0, 0.5, 0.0));
    assert_eq!(pick(&scene, p), Some(point_node));
    assert_eq!(pick(&scene, p + Vec2::new(2.5, 0.0)), Some(point_node));
    assert_eq!(pick(&scene, p + Vec2::new(8.0, 0.0)), None);

    // Hidden or locked (here: the group above the points) cannot be picked.
    scene.set_visible(splat_node, false);
    assert_eq!(pick(&scene, screen(Vec3::new(-2.0, 0.0, 0.0))), None);
    scene.set_locked(group, true);
    assert_eq!(pick(&scene, p), None);
    scene.set_locked(group, false);
    assert_eq!(pick(&scene, p), Some(point_node));

    // A box around the blob selects the cloud; locked and hidden nodes are left out.
    scene.set_visible(splat_node, true);
    let all = picker_box(&scene, &view, Vec2::ZERO, Vec2::new(W as f32, H as f32));
    assert_eq!(all, vec![splat_node, point_node]);
    scene.set_locked(point_node, true);
    let all = picker_box(&scene, &view, Vec2::ZERO, Vec2::new(W as f32, H as f32));
    assert_eq!(all, vec![splat_node]);
}

fn picker_hit_distance(scene: &Scene, view: &PickView, at: Vec2) -> f32 {
    Picker::default()
        .pick(scene, view, at, NO_ICONS)
        .map_or(f32::NAN, |h| h.distance)
}

fn picker_box(scene: &Scene, view: &PickView, min: Vec2, max: Vec2) -> Vec<NodeId> {
    Picker::default().box_select(scene, view, min, max, NO_ICONS)
}

/// A cloud too big to build its BVH during a click is picked at once through its bounds
/// while the BVH builds on a worker thread, then through the BVH.
#[test]
fn a_huge_splat_cloud_never_blocks_a_click() {
    let n = worldsmith::pick::BACKGROUND_BUILD_SPLATS + 1000;
    let mut rng = common::Rng(5);
    let cloud = SplatCloud::new(
        (0..n).map(|_| rng.in_ball().to_array()).collect(),
        vec![Quat::IDENTITY.to_array(); n],
        vec![[0.02, 0.02, 0.02]; n],
        vec![0.8; n],
        vec![[0.5; 3]; n],
        0,
        Vec::new(),
    )
    .expect("consistent arrays");
    let mut scene = Scene::new("huge");
    let id = scene.add_splat_cloud(cloud);
    let node = scene.add_node(
        None,
        "Huge",
        Transform::IDENTITY,
        NodeKind::Splats { cloud: id },
    );
    let camera = common::look(Vec3::new(0.0, 0.0, 6.0), Vec3::ZERO, 45.0);
    let view = PickView::new(camera, W as f32, H as f32);
    let centre = Vec2::new(W as f32 * 0.5, H as f32 * 0.5);
    let mut picker = Picker::default();
    // The first click answers from the bounds (the build has only started).
    let first = picker.pick(&scene, &view, centre, NO_ICONS).map(|h| h.node);
    assert_eq!(first, Some(node));
    assert!(picker.building(), "the BVH builds in the background");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while picker.building() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(!picker.building(), "the background build finished");
    let hit = picker
        .pick(&scene, &view, centre, NO_ICONS)
        .expect("picked through the BVH");
    assert_eq!(hit.node, node);
    // Through the BVH the hit is a splat near the front of the unit ball, not the box face.
    assert!((hit.distance - 5.0).abs() < 0.2, "{}", hit.distance);
    // A corner of the bounds that no splat reaches is not a hit any more.
    let corner = view.clip_from_world() * Vec3::new(0.95, 0.95, 0.95).extend(1.0);
    let ndc = corner.truncate() / corner.w;
    let at = Vec2::new(
        (ndc.x + 1.0) * 0.5 * W as f32,
        (1.0 - ndc.y) * 0.5 * H as f32,
    );
    assert_eq!(picker.pick(&scene, &view, at, NO_ICONS), None);
}
