//! Point and spot lights through the screen-tiled light lists (render/light_tiles.rs): many
//! lights with ranges over a floor render exactly as when every pixel loops over every light.

use crate::common;

use common::*;
use glam::Vec3;
use worldsmith::generate::shapes;
use worldsmith::render::{FrameInput, RenderSettings, Renderer};
use worldsmith::scene::{Light, LightKind, Material, NodeKind, Scene, Transform};

const W: u32 = 320;
const H: u32 = 180;

/// A 40 m floor under a 9 × 9 grid of coloured point lights 0.6 m up with 2.5 m ranges, and
/// one spot light without a range.
fn many_lights_scene() -> Scene {
    let mut scene = Scene::new("Many lights");
    add_mesh(
        &mut scene,
        "Floor",
        shapes::plane(glam::Vec2::splat(40.0), 8),
        Material::named("Floor", [0.6, 0.6, 0.6, 1.0], 0.7),
        Transform::IDENTITY,
    );
    for i in 0..9 {
        for j in 0..9 {
            let hue = (i * 9 + j) as f32 / 81.0;
            let color = [
                0.5 + 0.5 * (hue * std::f32::consts::TAU).cos(),
                0.5 + 0.5 * (hue * std::f32::consts::TAU + 2.1).cos(),
                0.5 + 0.5 * (hue * std::f32::consts::TAU + 4.2).cos(),
            ];
            scene.add_node(
                None,
                &format!("Lamp_{i}_{j}"),
                Transform::from_translation(Vec3::new(
                    (i as f32 - 4.0) * 4.0,
                    0.6,
                    (j as f32 - 4.0) * 4.0,
                )),
                NodeKind::Light(Light {
                    kind: LightKind::Point,
                    color,
                    intensity: 40.0,
                    range: Some(2.5),
                    cast_shadows: false,
                }),
            );
        }
    }
    scene.add_node(
        None,
        "Spot",
        Transform::looking_at(Vec3::new(6.0, 5.0, 6.0), Vec3::new(6.0, 0.0, 2.0)),
        NodeKind::Light(Light {
            kind: LightKind::Spot {
                inner_cone_rad: 0.2,
                outer_cone_rad: 0.4,
            },
            color: [1.0, 0.9, 0.7],
            intensity: 800.0,
            range: None,
            cast_shadows: false,
        }),
    );
    scene.environment.exposure_ev100 = 4.0;
    scene
}

#[test]
fn tiled_light_lists_change_no_pixel_and_the_lights_show() {
    let Some(ctx) = gpu() else { return };
    let scene = many_lights_scene();
    let draw = |cull: bool, view| {
        let mut r = Renderer::new(&ctx);
        r.cull_lights(cull);
        let frame = FrameInput {
            scene: &scene,
            camera: view,
            settings: RenderSettings::final_frame(),
            selection: &[],
            cloud_highlight: None,
        };
        r.render_to_image(&ctx, &frame, W, H).expect("readback").0
    };
    // Looking across the grid (lights near and far, some behind the camera) and from inside
    // one light's reach.
    for (name, view) in [
        (
            "across",
            look(Vec3::new(0.0, 6.0, 22.0), Vec3::new(0.0, 0.0, 0.0), 60.0),
        ),
        (
            "inside",
            look(Vec3::new(0.5, 1.0, 0.5), Vec3::new(8.0, 0.0, -8.0), 70.0),
        ),
    ] {
        let culled = draw(true, view);
        let every = draw(false, view);
        assert_not_degenerate(name, &culled);
        assert!(
            culled.as_raw() == every.as_raw(),
            "{name}: the tiled lists changed pixels"
        );
        // Pools of light on the floor: bright pixels among dark ones.
        let lumas: Vec<u8> = culled.pixels().map(|p| p[0].max(p[1]).max(p[2])).collect();
        let bright = lumas.iter().filter(|&&l| l > 120).count();
        let dark = lumas.iter().filter(|&&l| l < 30).count();
        assert!(
            bright > 200 && dark > 2000,
            "{name}: bright {bright}, dark {dark}"
        );
    }
}
