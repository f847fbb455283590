//! Wireframe icons for lights and cameras, drawn in the viewport only.

use super::gpu_types::LineVertex;
use crate::scene::{LightKind, NodeId, NodeKind, Scene};
use glam::{Mat4, Vec3};

const SEGMENTS: usize = 24;

fn circle(
    out: &mut Vec<LineVertex>,
    m: &Mat4,
    center: Vec3,
    a: Vec3,
    b: Vec3,
    r: f32,
    c: [f32; 4],
) {
    for i in 0..SEGMENTS {
        let t0 = i as f32 / SEGMENTS as f32 * std::f32::consts::TAU;
        let t1 = (i + 1) as f32 / SEGMENTS as f32 * std::f32::consts::TAU;
        let p0 = center + (a * t0.cos() + b * t0.sin()) * r;
        let p1 = center + (a * t1.cos() + b * t1.sin()) * r;
        line(out, m, p0, p1, c);
    }
}

fn line(out: &mut Vec<LineVertex>, m: &Mat4, a: Vec3, b: Vec3, c: [f32; 4]) {
    for p in [a, b] {
        out.push(LineVertex {
            position: m.transform_point3(p).to_array(),
            color: c,
        });
    }
}

/// Line-list vertices (pairs) for the motion paths of the `selection`'s nodes in the scene's
/// active shot (Blender's motion paths): the path the node follows over the shot's frames
/// in `range`, and a small cross where each of its transform keys in it puts it.
pub fn path_lines(scene: &Scene, selection: &[NodeId], range: super::PathRange) -> Vec<LineVertex> {
    let (first, last) = range.frames();
    let Some(shot) = scene
        .timeline()
        .active
        .and_then(|id| scene.timeline().shot(id))
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &node in selection {
        let Some(path) = crate::scene::motion_path_within(scene, shot, node, first, last) else {
            continue;
        };
        for pair in path.points.windows(2) {
            line(&mut out, &Mat4::IDENTITY, pair[0], pair[1], PATH_COLOR);
        }
        // Crosses a hundredth of the path's extent wide (at least 2 cm).
        let (lo, hi) = path.points.iter().fold(
            (Vec3::splat(f32::INFINITY), Vec3::splat(f32::NEG_INFINITY)),
            |(lo, hi), p| (lo.min(*p), hi.max(*p)),
        );
        let r = ((hi - lo).length() * 0.01).max(0.02);
        for k in path.keys.iter().filter(|k| k.is_finite()) {
            for axis in [Vec3::X, Vec3::Y, Vec3::Z] {
                line(
                    &mut out,
                    &Mat4::IDENTITY,
                    *k - axis * r,
                    *k + axis * r,
                    [1.0, 1.0, 1.0, 1.0],
                );
            }
        }
        // Where the node is at the current frame (the scene is sampled there): a green
        // diamond half again as wide as the key crosses, as Blender marks the current frame.
        let now = scene.world_from_local(node).transform_point3(Vec3::ZERO);
        if now.is_finite() {
            octahedron(&mut out, now, r * 1.5, FRAME_MARKER_COLOR);
        }
    }
    out
}

/// The colour of a motion path's line.
pub const PATH_COLOR: [f32; 4] = [1.0, 0.42, 0.06, 1.0];

/// The colour of the motion path's current-frame marker.
pub const FRAME_MARKER_COLOR: [f32; 4] = [0.45, 1.0, 0.3, 1.0];

/// The twelve edges of an octahedron around `center` with corners `r` away along the axes.
fn octahedron(out: &mut Vec<LineVertex>, center: Vec3, r: f32, c: [f32; 4]) {
    let tips = [Vec3::Y * r, -Vec3::Y * r];
    let ring = [Vec3::X * r, Vec3::Z * r, -Vec3::X * r, -Vec3::Z * r];
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % 4];
        line(out, &Mat4::IDENTITY, center + *a, center + b, c);
        for tip in tips {
            line(out, &Mat4::IDENTITY, center + *a, center + tip, c);
        }
    }
}

/// Line-list vertices (pairs) for every light and camera icon. Colours are already in display
/// range (the lines are drawn after exposure is applied in the shaders).
pub fn icon_lines(scene: &Scene, selection: &[NodeId]) -> Vec<LineVertex> {
    let mut out = Vec::new();
    for wn in scene.walk() {
        if !wn.visible {
            continue;
        }
        let selected = selection.contains(&wn.node.id);
        // Strip scale so icons keep their size.
        let (_, rot, pos) = wn.world_from_local.to_scale_rotation_translation();
        let m = Mat4::from_rotation_translation(rot, pos);
        let color = |base: [f32; 4]| {
            if selected {
                [1.0, 0.55, 0.1, 1.0]
            } else {
                base
            }
        };
        match &wn.node.kind {
            NodeKind::Light(l) => {
                let c = color([1.0, 0.9, 0.4, 1.0]);
                match l.kind {
                    LightKind::Point => {
                        circle(&mut out, &m, Vec3::ZERO, Vec3::X, Vec3::Y, 0.3, c);
                        circle(&mut out, &m, Vec3::ZERO, Vec3::X, Vec3::Z, 0.3, c);
                        circle(&mut out, &m, Vec3::ZERO, Vec3::Y, Vec3::Z, 0.3, c);
                    }
                    LightKind::Spot { outer_cone_rad, .. } => {
                        let len = 1.5;
                        let r = len * outer_cone_rad.tan().min(10.0);
                        let end = Vec3::new(0.0, 0.0, -len);
                        circle(&mut out, &m, end, Vec3::X, Vec3::Y, r, c);
                        for k in 0..4 {
                            let t = k as f32 * std::f32::consts::FRAC_PI_2;
                            line(
                                &mut out,
                                &m,
                                Vec3::ZERO,
                                end + Vec3::new(t.cos(), t.sin(), 0.0) * r,
                                c,
                            );
                        }
                    }
                    LightKind::Directional => {
                        // The sun icon floats above the world centre, pointing where it shines.
                        let bounds = scene.framing_bounds();
                        let center = if bounds.is_empty() {
                            Vec3::ZERO
                        } else {
                            bounds.center()
                        };
                        let top = if bounds.is_empty() {
                            5.0
                        } else {
                            bounds.max.y + 5.0
                        };
                        let mm = Mat4::from_rotation_translation(
                            rot,
                            Vec3::new(center.x, top, center.z),
                        );
                        circle(&mut out, &mm, Vec3::ZERO, Vec3::X, Vec3::Y, 1.0, c);
                        line(&mut out, &mm, Vec3::ZERO, Vec3::new(0.0, 0.0, -4.0), c);
                        for k in 0..8 {
                            let t = k as f32 * std::f32::consts::FRAC_PI_4;
                            let d = Vec3::new(t.cos(), t.sin(), 0.0);
                            line(&mut out, &mm, d * 1.3, d * 1.8, c);
                        }
                    }
                }
            }
            NodeKind::Camera(cam) => {
                let c = color([0.85, 0.85, 0.95, 1.0]);
                let d = 1.0;
                let h = d * (cam.fov_y_rad * 0.5).tan();
                let w = h * 16.0 / 9.0;
                let corners = [
                    Vec3::new(-w, -h, -d),
                    Vec3::new(w, -h, -d),
                    Vec3::new(w, h, -d),
                    Vec3::new(-w, h, -d),
                ];
                // An orthographic camera's rays are parallel: a box, not a pyramid.
                let back = |p: Vec3| match cam.ortho_half_height {
                    Some(_) => p * Vec3::new(1.0, 1.0, 0.0),
                    None => Vec3::ZERO,
                };
                for i in 0..4 {
                    let next = corners[(i + 1) % 4];
                    line(&mut out, &m, back(corners[i]), corners[i], c);
                    line(&mut out, &m, corners[i], next, c);
                    if cam.ortho_half_height.is_some() {
                        line(&mut out, &m, back(corners[i]), back(next), c);
                    }
                }
                // "Up" triangle above the frame, as in Blender.
                line(
                    &mut out,
                    &m,
                    Vec3::new(-w * 0.5, h * 1.1, -d),
                    Vec3::new(0.0, h * 1.6, -d),
                    c,
                );
                line(
                    &mut out,
                    &m,
                    Vec3::new(0.0, h * 1.6, -d),
                    Vec3::new(w * 0.5, h * 1.1, -d),
                    c,
                );
                line(
                    &mut out,
                    &m,
                    Vec3::new(w * 0.5, h * 1.1, -d),
                    Vec3::new(-w * 0.5, h * 1.1, -d),
                    c,
                );
            }
            _ => {}
        }
    }
    out
}

/// Line-list vertices of Blender's octahedral bone for each of `bones`: from the head to a
/// square waist a tenth of the way along (a tenth of the length wide), and on to the tail.
/// Selected joints' bones are orange.
pub fn bone_lines(bones: &[crate::scene::skin::Bone], selection: &[NodeId]) -> Vec<LineVertex> {
    let mut out = Vec::with_capacity(bones.len() * 24);
    for bone in bones {
        let axis = bone.tail - bone.head;
        let length = axis.length();
        let Some(d) = axis.try_normalize() else {
            continue;
        };
        let (u, v) = d.any_orthonormal_pair();
        let waist = bone.head + axis * 0.1;
        let r = 0.1 * length;
        let corners = [u, v, -u, -v].map(|w| waist + w * r);
        let c = if selection.contains(&bone.joint) {
            [1.0, 0.55, 0.1, 1.0]
        } else {
            [0.62, 0.66, 0.75, 1.0]
        };
        for (i, &corner) in corners.iter().enumerate() {
            let next = corners[(i + 1) % 4];
            line(&mut out, &Mat4::IDENTITY, bone.head, corner, c);
            line(&mut out, &Mat4::IDENTITY, corner, next, c);
            line(&mut out, &Mat4::IDENTITY, corner, bone.tail, c);
        }
    }
    out
}

#[cfg(test)]
mod path_tests {
    use super::*;
    use crate::render::PathRange;
    use crate::scene::{Channel, Key, NodeKind, Shot, Timeline, Transform, Value};

    #[test]
    fn a_motion_path_marks_where_the_node_is_now() {
        // A drone under a rig lifted 1 m, flown from x = -2 (frame 0) to 2 (frame 23); the
        // scene as it stands puts it at the rig's origin, (0, 1, 0).
        let mut scene = Scene::new("Drone");
        let rig = scene.add_node(
            None,
            "Rig",
            Transform::from_translation(Vec3::new(0.0, 1.0, 0.0)),
            NodeKind::Empty,
        );
        let drone = scene.add_node(Some(rig), "Drone", Transform::IDENTITY, NodeKind::Empty);
        let id = scene.reserve_shot_id();
        let mut shot = Shot {
            frames: 24,
            ..Shot::new(id, "Fly")
        };
        let at = |x: f32| Value::Transform(Transform::from_translation(Vec3::new(x, 0.0, 0.0)));
        shot.track_mut(Channel::Transform(drone))
            .set_keys([Key::new(0.0, at(-2.0)), Key::new(23.0, at(2.0))]);
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        // 23 path segments, 3 per key cross and the 12 edges of the marker.
        let lines = path_lines(&scene, &[drone], PathRange::default());
        assert_eq!(lines.len(), 2 * (23 + 2 * 3 + 12));
        let marker: Vec<Vec3> = lines
            .iter()
            .filter(|v| v.color == FRAME_MARKER_COLOR)
            .map(|v| Vec3::from(v.position))
            .collect();
        assert_eq!(marker.len(), 24);
        let centre = marker.iter().sum::<Vec3>() / 24.0;
        assert!(
            centre.abs_diff_eq(Vec3::new(0.0, 1.0, 0.0), 1e-4),
            "{centre}"
        );
        let r = marker[0].distance(centre);
        assert!(r > 0.0 && marker.iter().all(|p| (p.distance(centre) - r).abs() < 1e-5));
        // Nothing for a node the shot does not move.
        assert!(path_lines(&scene, &[rig], PathRange::default()).is_empty());
    }

    #[test]
    fn a_motion_path_around_the_playhead_spans_those_frames_only() {
        // A drone flown along x = frame / 10 over 100 frames, keyed at 0, 50 and 99.
        let mut scene = Scene::new("Drone");
        let drone = scene.add_node(None, "Drone", Transform::IDENTITY, NodeKind::Empty);
        let id = scene.reserve_shot_id();
        let mut shot = Shot {
            frames: 100,
            ..Shot::new(id, "Fly")
        };
        let at = |x: f32| Value::Transform(Transform::from_translation(Vec3::new(x, 0.0, 0.0)));
        shot.track_mut(Channel::Transform(drone)).set_keys([
            Key::new(0.0, at(0.0)),
            Key::new(50.0, at(5.0)),
            Key::new(99.0, at(9.9)),
        ]);
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        let path_xs = |range: PathRange| {
            let lines = path_lines(&scene, &[drone], range);
            let path: Vec<f32> = lines
                .iter()
                .filter(|v| v.color == PATH_COLOR)
                .map(|v| v.position[0])
                .collect();
            let crosses = lines.iter().filter(|v| v.color == [1.0; 4]).count() / 6;
            let lo = path.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = path.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            (path.len() / 2, crosses, lo, hi)
        };
        // Where the drone is at each frame.
        let shot = scene.timeline().shot(id).unwrap();
        let xs = crate::scene::motion_path(&scene, shot, drone)
            .unwrap()
            .points;
        let x_at = |frame: usize| xs[frame].x;
        // The whole shot: 99 segments from x = 0 to 9.9, three keys.
        let (segments, keys, lo, hi) = path_xs(PathRange::default());
        assert_eq!((segments, keys), (99, 3));
        assert!(
            (lo - 0.0).abs() < 1e-4 && (hi - 9.9).abs() < 1e-4,
            "{lo} {hi}"
        );
        // 10 frames either side of frame 45: frames 35..=55, 20 segments, the key at 50.
        let (segments, keys, lo, hi) = path_xs(PathRange {
            around: Some(10),
            frame: 45,
        });
        assert_eq!((segments, keys), (20, 1));
        assert!(
            (lo - x_at(35)).abs() < 1e-4 && (hi - x_at(55)).abs() < 1e-4,
            "{lo} {hi}"
        );
        assert!(lo > 1.0 && hi < 9.0, "{lo} {hi}");
        // Near the start the range is cut at frame 0; past the end at the last frame.
        let (segments, keys, lo, _) = path_xs(PathRange {
            around: Some(10),
            frame: 3,
        });
        assert_eq!((segments, keys), (13, 1));
        assert!(lo.abs() < 1e-4);
        let (segments, keys, ..) = path_xs(PathRange {
            around: Some(5),
            frame: 200,
        });
        assert_eq!((segments, keys), (0, 1));
    }
}
