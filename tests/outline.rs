//! The selection outline: each selected object is outlined on its own (mask.wgsl writes each
//! its own value, post.wgsl outlines where the value changes), so a selected object in front
//! of another selected one — a house on the selected terrain after a box selection — keeps
//! its outline, as in Blender.

use crate::common::*;
use glam::Vec3;
use worldsmith::generate::shapes;
use worldsmith::render::RenderSettings;
use worldsmith::scene::{Material, NodeKind, Scene, Transform};

const W: u32 = 240;
const H: u32 = 160;

fn dark(name: &str) -> Material {
    unlit(name, [0.15; 3])
}

#[test]
fn a_selected_object_in_front_of_another_selected_one_keeps_its_outline() {
    let Some(ctx) = gpu() else { return };
    // A wall 4 m wide and, in front of its middle, a 1 m cube: the cube lies wholly inside
    // the wall's silhouette.
    let (mut scene, wall) = with_wall("Wall and box");
    let cube = add_mesh(
        &mut scene,
        "Cube",
        shapes::cube(1.0),
        dark("Cube"),
        cube_place(),
    );
    wall_and_cube_outlines(&ctx, scene, wall, cube);
}

/// A scene with the 4 m wall at the origin.
fn with_wall(name: &str) -> (Scene, worldsmith::scene::NodeId) {
    let mut scene = Scene::new(name);
    let wall = add_mesh(
        &mut scene,
        "Wall",
        shapes::cube(4.0),
        dark("Wall"),
        Transform::IDENTITY,
    );
    (scene, wall)
}

/// Where the 1 m cube stands: in front of the middle of the wall, wholly inside its
/// silhouette.
fn cube_place() -> Transform {
    Transform::from_translation(Vec3::new(0.3, 0.2, 2.8))
}

/// The mask value an 8-bit selection mask gave a node (254 values from its hue): ids 144 or
/// 377 apart mostly shared one, so such a pair, one in front of the other, lost the outline
/// between them.
fn eight_bit_mask_value(node: worldsmith::scene::NodeId) -> u32 {
    let hue = worldsmith::render::node_hue(node).clamp(0.0, 0.999);
    1 + (hue * 254.0) as u32
}

#[test]
fn objects_whose_ids_shared_an_eight_bit_mask_value_are_outlined_apart() {
    let Some(ctx) = gpu() else { return };
    let (mut scene, wall) = with_wall("Wall, many empties and box");
    let mesh = scene.add_mesh(shapes::cube(1.0));
    let material = scene.add_material(dark("Cube"));
    // Empties until the next node's id would have had the wall's value (node ids count up
    // one by one).
    let mut empties = 0;
    loop {
        let id = scene.add_node(None, "Empty", Transform::IDENTITY, NodeKind::Empty);
        empties += 1;
        if eight_bit_mask_value(worldsmith::scene::NodeId(id.0 + 1)) == eight_bit_mask_value(wall) {
            break;
        }
        assert!(empties < 1000, "no id shares the wall's value");
    }
    let cube = scene.add_node(
        None,
        "Cube",
        cube_place(),
        NodeKind::Mesh { mesh, material },
    );
    assert_eq!(eight_bit_mask_value(cube), eight_bit_mask_value(wall));
    wall_and_cube_outlines(&ctx, scene, wall, cube);
}

#[test]
fn a_selected_point_cloud_in_front_of_another_keeps_its_outline() {
    let Some(ctx) = gpu() else { return };
    // Two point clouds, as a world folder's layers: a dense 4 m sheet of points (no gaps at
    // this distance) and a ball of points in front of its middle. Clouds once shared one
    // mask value, so the ball lost its outline against the sheet.
    let mut scene = Scene::new("Two point clouds");
    let sheet: Vec<[f32; 3]> = (0..80 * 80)
        .map(|i| {
            let (x, y) = ((i % 80) as f32, (i / 80) as f32);
            [x * 0.05 - 2.0, y * 0.05 - 2.0, 2.0]
        })
        .collect();
    let mut rng = Rng(5);
    let ball: Vec<[f32; 3]> = (0..3000)
        .map(|_| (cube_place().translation + rng.in_ball() * 0.5).to_array())
        .collect();
    let dark_points = |positions: Vec<[f32; 3]>| {
        let n = positions.len();
        worldsmith::scene::PointCloud::new(positions, vec![[40, 40, 40, 255]; n], Vec::new())
    };
    let wall = add_points(&mut scene, dark_points(sheet), 5.0);
    let ball = add_points(&mut scene, dark_points(ball), 5.0);
    wall_and_cube_outlines(&ctx, scene, wall, ball);
}

/// Checks that selecting both `wall` (4 m across at the origin) and `cube` (about 1 m, in front
/// of its middle) outlines the wall and the whole cube.
fn wall_and_cube_outlines(
    ctx: &worldsmith::render::GpuContext,
    scene: Scene,
    wall: worldsmith::scene::NodeId,
    cube: worldsmith::scene::NodeId,
) {
    let view = look(Vec3::new(0.0, 0.0, 11.0), Vec3::ZERO, 50.0);
    let mut settings = RenderSettings::viewport();
    settings.overlays.grid = false;
    let orange = |selection: &[worldsmith::scene::NodeId]| {
        let img = render_with(ctx, &scene, view, W, H, settings, selection);
        img.pixels().filter(|p| outline_orange(p)).count()
    };
    let (wall_alone, cube_alone, both) = (orange(&[wall]), orange(&[cube]), orange(&[wall, cube]));
    assert!(
        wall_alone > 200 && cube_alone > 60,
        "{wall_alone}, {cube_alone}"
    );
    // Both selected: the wall's outline and the whole of the cube's (one mask of both would
    // only have the wall's).
    assert!(
        both as f32 >= wall_alone as f32 + 0.8 * cube_alone as f32,
        "both {both} vs wall {wall_alone} + cube {cube_alone}"
    );
    // And not drawn twice as thick where nothing is selected behind.
    assert!(
        (both as f32) <= wall_alone as f32 + 2.5 * cube_alone as f32,
        "both {both} vs wall {wall_alone} + cube {cube_alone}"
    );
}
