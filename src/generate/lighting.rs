//! Lights: the sun, lamp posts around the village square and spot lights over doors.

use super::buildings::House;
use super::noise::Rng;
use super::terrain::{Heightfield, Layout};
use super::{Circle, Kit, Parts};
use crate::scene::{Light, LightKind, Material, NodeId, NodeKind, Scene, Transform};
use glam::{Vec2, Vec3};
use std::f32::consts::TAU;

/// Height of a lamp's light above the ground, metres.
const LAMP_HEIGHT: f32 = 3.0;
const SUN_LUX: f32 = 90_000.0;
const LAMP_CANDELA: f32 = 120.0;
const SPOT_CANDELA: f32 = 500.0;
const WARM_LAMP: [f32; 3] = [1.0, 0.78, 0.5];

/// Lamp post positions (x, z): 3–5 around the square, clear of the houses.
pub(crate) fn plan_lamps(layout: &Layout, houses: &[House], rng: &mut Rng) -> Vec<Vec2> {
    let count = rng.range_usize(3, 5);
    let first_bearing = rng.angle();
    let mut lamps: Vec<Vec2> = Vec::with_capacity(count);
    for k in 0..count {
        for attempt in 0..20 {
            let bearing = first_bearing + k as f32 / count as f32 * TAU + rng.range(-0.3, 0.3);
            // Houses keep 6 m of the square clear, so the first ring always fits.
            let distance = rng.range(5.0, 6.0) + attempt as f32 * 0.3;
            let p = layout.village + Vec2::from_angle(bearing) * distance;
            let clear = houses.iter().all(|h| !h.keep_out().contains(p, 0.5))
                && lamps.iter().all(|q| q.distance(p) > 4.0);
            if clear {
                lamps.push(p);
                break;
            }
        }
    }
    lamps
}

/// Ground around each lamp post that trees keep out of.
pub(crate) fn lamp_keep_out(lamps: &[Vec2]) -> impl Iterator<Item = Circle> + '_ {
    lamps.iter().map(|&centre| Circle {
        centre,
        radius: 1.5,
    })
}

/// Adds `Sun`, `Lamp_1..n` (each with its `Post` and glowing `Head` as children) and
/// `Spot_1..n` over the first two or three front doors.
pub(crate) fn build(
    scene: &mut Scene,
    root: NodeId,
    kit: Kit,
    terrain: &Heightfield,
    lamps: &[Vec2],
    houses: &[House],
    rng: &mut Rng,
) {
    let elevation = rng.range(38.0f32, 48.0).to_radians();
    let azimuth = rng.angle();
    let towards_sun = Vec3::new(
        elevation.cos() * azimuth.sin(),
        elevation.sin(),
        elevation.cos() * azimuth.cos(),
    );
    // A directional light shines along its -Z axis: look from the sun towards the origin.
    scene.add_node(
        Some(root),
        "Sun",
        Transform::looking_at(towards_sun * 100.0, Vec3::ZERO),
        NodeKind::Light(Light {
            kind: LightKind::Directional,
            color: [1.0, 0.96, 0.9],
            intensity: SUN_LUX,
            range: None,
            cast_shadows: true,
        }),
    );

    let iron = scene.add_material(Material {
        name: "Lamp iron".into(),
        base_color: [0.12, 0.12, 0.12, 1.0],
        metallic: 0.8,
        roughness: 0.5,
        ..Default::default()
    });
    let glow = scene.add_material(Material {
        name: "Lamp glass (lit)".into(),
        base_color: [0.9, 0.85, 0.7, 1.0],
        roughness: 0.3,
        emissive: [1.0, 0.75, 0.42],
        emissive_strength: 5.0,
        ..Default::default()
    });
    let mut parts = Parts::new(scene, root, kit);
    for (k, p) in lamps.iter().enumerate() {
        let ground = terrain.height_at(p.x, p.y);
        // The light node carries the post, so moving the lamp moves both.
        let lamp = parts.scene.add_node(
            Some(root),
            &format!("Lamp_{}", k + 1),
            Transform::from_translation(Vec3::new(p.x, ground + LAMP_HEIGHT, p.y)),
            NodeKind::Light(Light {
                kind: LightKind::Point,
                color: WARM_LAMP,
                intensity: LAMP_CANDELA,
                range: Some(12.0),
                cast_shadows: false,
            }),
        );
        let mut lamp_parts = parts.under(lamp);
        // From 0.1 m below the ground up to the light.
        lamp_parts.column(
            "Post",
            iron,
            Vec3::Y * -(LAMP_HEIGHT + 0.1),
            0.06,
            LAMP_HEIGHT + 0.1,
        );
        lamp_parts.block("Head", glow, Vec3::Y * 0.12, Vec3::new(0.3, 0.24, 0.3));
    }

    let spots = if houses.len() >= 5 { 3 } else { 2 };
    for (k, house) in houses.iter().take(spots).enumerate() {
        let mount = house.over_door();
        // 45° down, away from the wall.
        let aim = mount + house.front() + Vec3::NEG_Y;
        parts.scene.add_node(
            Some(root),
            &format!("Spot_{}", k + 1),
            Transform::looking_at(mount, aim),
            NodeKind::Light(Light {
                kind: LightKind::Spot {
                    inner_cone_rad: 20f32.to_radians(),
                    outer_cone_rad: 35f32.to_radians(),
                },
                color: [1.0, 0.85, 0.65],
                intensity: SPOT_CANDELA,
                range: Some(15.0),
                cast_shadows: false,
            }),
        );
    }
}
