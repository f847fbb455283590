//! The two shots the generated world ships with, so a new user can press Play and Render at
//! once: a slow golden-hour fly-over circling the village, and a walk through the square at
//! eye level. Each has its own camera under `Cameras`.

use glam::{Vec2, Vec3};

use super::terrain::{HALF_SIZE, Heightfield, Layout};
use crate::scene::{
    Camera, Channel, Key, NodeId, NodeKind, Scene, Shot, Timeline, Transform, Value,
};

/// Adds the `Flyover` and `Walkthrough` cameras under `cameras` and a shot for each.
pub(crate) fn add_starter_shots(
    scene: &mut Scene,
    cameras: NodeId,
    layout: &Layout,
    ground: &Heightfield,
    street_target: Vec3,
) {
    let on_ground = |p: Vec2| Vec3::new(p.x, ground.height_at(p.x, p.y), p.y);
    let inside = |p: Vec2| p.clamp(Vec2::splat(-HALF_SIZE + 4.0), Vec2::splat(HALF_SIZE - 4.0));
    let village = on_ground(layout.village);
    let axis = (layout.lake - layout.village).normalize_or(Vec2::X);
    let side = axis.perp();

    // Fly-over: a 120° arc around the village, 48 m out, sinking from 30 m to 16 m above the
    // square while it keeps the village centred; 10 s.
    let fly_keys: Vec<(f32, Vec3, Vec3)> = (0..=4)
        .map(|i| {
            let t = i as f32 / 4.0;
            let angle = std::f32::consts::PI * (1.1 + t * 2.0 / 3.0);
            let dir = axis * angle.cos() + side * angle.sin();
            let xz = inside(layout.village + dir * 48.0);
            let y = (ground.height_at(xz.x, xz.y) + 8.0).max(village.y + 30.0 - 14.0 * t);
            let eye = Vec3::new(xz.x, y, xz.y);
            let target = village + Vec3::Y * (4.0 - 2.0 * t);
            (t * 239.0, eye, target)
        })
        .collect();
    let flyover = add_camera(scene, cameras, "Flyover", &fly_keys);

    // Walk-through: across the square at eye level, towards the first house, turning a
    // little on the way; 6 s at a walking pace.
    let walk_keys: Vec<(f32, Vec3, Vec3)> = [
        (0.0, -7.0, -2.0, -0.4),
        (72.0, -2.0, 0.0, 0.0),
        (143.0, 3.0, 1.5, 0.3),
    ]
    .into_iter()
    .map(|(frame, along, across, look)| {
        let p = layout.village + axis * along + side * across;
        let eye = on_ground(p) + Vec3::Y * 1.7;
        let ahead = (street_target - eye).with_y(0.0).normalize_or(Vec3::X);
        let turn = Vec3::new(-ahead.z, 0.0, ahead.x) * look * 6.0;
        (frame, eye, street_target + turn)
    })
    .collect();
    let walk = add_camera(scene, cameras, "Walkthrough", &walk_keys);

    let golden = scene
        .variants()
        .list
        .iter()
        .find(|v| v.name == "Golden hour")
        .map(|v| v.id);
    let mut shots = Vec::new();
    for (name, camera, keys, frames, variant) in [
        ("Fly-over", flyover, &fly_keys, 240, golden),
        ("Walk-through", walk, &walk_keys, 144, None),
    ] {
        let id = scene.reserve_shot_id();
        let mut shot = Shot {
            frames,
            camera: Some(camera),
            variant,
            ..Shot::new(id, name)
        };
        shot.track_mut(Channel::Transform(camera))
            .set_keys(keys.iter().map(|&(frame, eye, target)| {
                Key::new(frame, Value::Transform(Transform::looking_at(eye, target)))
            }));
        shots.push(shot);
    }
    let active = shots.first().map(|s| s.id);
    scene.set_timeline(Timeline { shots, active });
}

fn add_camera(
    scene: &mut Scene,
    cameras: NodeId,
    name: &str,
    keys: &[(f32, Vec3, Vec3)],
) -> NodeId {
    let (_, eye, target) = keys[0];
    scene.add_node(
        Some(cameras),
        name,
        Transform::looking_at(eye, target),
        NodeKind::Camera(Camera::default()),
    )
}
