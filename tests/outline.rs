//! The selection outline: each selected object is outlined on its own (mask.wgsl writes each
//! its own value, post.wgsl outlines where the value changes), so a selected object in front
//! of another selected one — a house on the selected terrain after a box selection — keeps
//! its outline, as in Blender.

use crate::common::*;
use glam::Vec3;
use worldsmith::generate::shapes;
use worldsmith::render::RenderSettings;
use worldsmith::scene::{Material, Scene, Transform};

const W: u32 = 240;
const H: u32 = 160;

fn dark(name: &str) -> Material {
    Material {
        name: name.into(),
        base_color: [0.15, 0.15, 0.15, 1.0],
        unlit: true,
        ..Default::default()
    }
}

#[test]
fn a_selected_object_in_front_of_another_selected_one_keeps_its_outline() {
    let Some(ctx) = gpu() else { return };
    let mut scene = Scene::new("Wall and box");
    // A wall 4 m wide and, in front of its middle, a 1 m cube: the cube lies wholly inside
    // the wall's silhouette.
    let wall = add_mesh(
        &mut scene,
        "Wall",
        shapes::cube(4.0),
        dark("Wall"),
        Transform::IDENTITY,
    );
    let cube = add_mesh(
        &mut scene,
        "Cube",
        shapes::cube(1.0),
        dark("Cube"),
        Transform::from_translation(Vec3::new(0.3, 0.2, 2.8)),
    );
    let view = look(Vec3::new(0.0, 0.0, 11.0), Vec3::ZERO, 50.0);
    let mut settings = RenderSettings::viewport();
    settings.overlays.grid = false;
    let orange = |selection: &[worldsmith::scene::NodeId]| {
        let img = render_with(&ctx, &scene, view, W, H, settings, selection);
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
