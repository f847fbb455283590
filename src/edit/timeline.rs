//! Editing the timeline: which edits become keys (routing), and the key operations of the
//! timeline panel (move, delete, copy/paste, interpolation, handles, curve edits).
//!
//! The inspector and the gizmo emit plain commands (`SetTransform`, `SetLight`,
//! `SetMaterial`...) for the scene they show, which is the active shot sampled at the
//! playhead. [`route`] splits such a command before variant routing: every value of a channel
//! the shot animates (or, with auto-key, any changed keyable value) becomes a key at the
//! playhead — After Effects' rule, since a plain edit of an animated value would be invisible
//! under the animation — and the rest of the command carries the unanimated values, so the
//! base (or the variant) is not polluted by sampled ones. All functions here are pure: they
//! take a shot or a timeline and return the changed copy.

use super::Command;
use crate::scene::{
    Channel, Handles, Interpolation, Key, LightKind, MAX_COMPONENTS, NodeId, NodeKind, Scene, Shot,
    ShotId, Timeline, Value,
};

/// A key, named by its track and frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyRef {
    pub channel: Channel,
    pub frame: f32,
}

/// Where edits key: the shot, the playhead's frame and whether auto-key is on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Playhead {
    pub shot: ShotId,
    pub frame: f32,
    pub auto_key: bool,
}

/// A command split by [`route`]: the new timeline (keys written) and what is left for the
/// scene (or the variant).
#[derive(Clone, Debug, PartialEq)]
pub struct Routed {
    pub timeline: Option<Timeline>,
    pub rest: Option<Command>,
}

/// Splits `command` into keys at the playhead and a plain edit.
///
/// `scene` is the document; `rest` is the scene without animation as edits see it (the base,
/// or the variant being edited); `shown` is what the user sees and edited (the shot sampled
/// at the playhead). A value equal to the shown one was not touched by the user. Without the
/// shot, or when no channel of the command is animated (and auto-key is off), the command
/// comes back unchanged.
pub fn route(scene: &Scene, rest: &Scene, shown: &Scene, at: Playhead, command: Command) -> Routed {
    let Some(shot) = scene.timeline().shot(at.shot) else {
        return Routed {
            timeline: None,
            rest: Some(command),
        };
    };
    let mut keyed = shot.clone();
    let mut router = Router {
        shot: &mut keyed,
        rest,
        shown,
        at,
    };
    let rest_command = router.command(command);
    let timeline = (keyed != *shot).then(|| with_shot(scene.timeline(), keyed));
    Routed {
        timeline,
        rest: rest_command,
    }
}

/// `timeline` with `shot` in place of the shot of the same id.
pub fn with_shot(timeline: &Timeline, shot: Shot) -> Timeline {
    let mut t = timeline.clone();
    if let Some(s) = t.shot_mut(shot.id) {
        *s = shot;
    }
    t
}

struct Router<'a> {
    shot: &'a mut Shot,
    rest: &'a Scene,
    shown: &'a Scene,
    at: Playhead,
}

impl Router<'_> {
    /// Whether the timeline takes `value` for `channel` (then the plain edit must keep the
    /// rest value); keys it at the playhead when it changed.
    fn take(&mut self, channel: Channel, value: Value) -> bool {
        let animated = self.shot.animates(channel);
        if !animated && !self.at.auto_key {
            return false;
        }
        if channel.read(self.shown) != Some(value) {
            self.shot.key(channel, self.at.frame, value);
        }
        true
    }

    fn command(&mut self, command: Command) -> Option<Command> {
        match command {
            Command::SetTransform { node, transform } => {
                if self.rest.node(node).is_some()
                    && self.take(Channel::Transform(node), Value::Transform(transform))
                {
                    return None;
                }
                Some(Command::SetTransform { node, transform })
            }
            Command::SetMorphWeights { node, weights } => {
                let Some(rest) = self.rest.morph(node).map(|m| m.weights.clone()) else {
                    return Some(Command::SetMorphWeights { node, weights });
                };
                // Each animated weight goes to its track; the others are a plain edit.
                let mut out = weights.clone();
                let mut taken = false;
                for (k, (&wanted, &at_rest)) in weights.iter().zip(&rest).enumerate() {
                    let Ok(index) = u16::try_from(k) else {
                        break;
                    };
                    if self.take(Channel::MorphWeight(node, index), Value::Float(wanted)) {
                        out[k] = at_rest;
                        taken = true;
                    }
                }
                if taken && out == rest {
                    return None;
                }
                Some(Command::SetMorphWeights { node, weights: out })
            }
            Command::SetVisible { node, visible } => {
                if self.rest.node(node).is_some()
                    && self.take(Channel::Visible(node), Value::Bool(visible))
                {
                    return None;
                }
                Some(Command::SetVisible { node, visible })
            }
            Command::SetLight { node, light } => {
                let Some(&NodeKind::Light(rest)) = self.rest.node(node).map(|n| &n.kind) else {
                    return Some(Command::SetLight { node, light });
                };
                let mut out = light;
                let mut taken = false;
                if self.take(Channel::LightColor(node), Value::Vec3(light.color)) {
                    out.color = rest.color;
                    taken = true;
                }
                if self.take(Channel::LightIntensity(node), Value::Float(light.intensity)) {
                    out.intensity = rest.intensity;
                    taken = true;
                }
                if let (
                    LightKind::Spot {
                        inner_cone_rad,
                        outer_cone_rad,
                    },
                    LightKind::Spot { .. },
                ) = (light.kind, rest.kind)
                    && self.take(
                        Channel::SpotCone(node),
                        Value::Vec2([inner_cone_rad, outer_cone_rad]),
                    )
                {
                    out.kind = rest.kind;
                    taken = true;
                }
                if taken && out == rest {
                    return None;
                }
                Some(Command::SetLight { node, light: out })
            }
            Command::SetKind { node, kind } => {
                let (&NodeKind::Camera(camera), Some(&NodeKind::Camera(rest))) =
                    (kind.as_ref(), self.rest.node(node).map(|n| &n.kind))
                else {
                    return Some(Command::SetKind { node, kind });
                };
                let mut out = camera;
                let mut taken = false;
                if self.take(Channel::FieldOfView(node), Value::Float(camera.fov_y_rad)) {
                    out.fov_y_rad = rest.fov_y_rad;
                    taken = true;
                }
                if let (Some(size), Some(rest_size)) =
                    (camera.ortho_half_height, rest.ortho_half_height)
                    && self.take(Channel::OrthoSize(node), Value::Float(size))
                {
                    out.ortho_half_height = Some(rest_size);
                    taken = true;
                }
                if !taken {
                    return Some(Command::SetKind { node, kind });
                }
                if out == rest {
                    return None;
                }
                Some(Command::SetKind {
                    node,
                    kind: Box::new(NodeKind::Camera(out)),
                })
            }
            Command::SetMaterial { material, value } => {
                let Some(rest) = self.rest.material(material).cloned() else {
                    return Some(Command::SetMaterial { material, value });
                };
                // Each animated value goes to its track; the rest keep their value at rest
                // (copied as they are, not clamped).
                let mut out = (*value).clone();
                let mut taken = false;
                for channel in Channel::of_material(material) {
                    let (Some(wanted), Some(at_rest)) = (
                        channel.material_value(&value),
                        channel.material_value(&rest),
                    ) else {
                        continue;
                    };
                    if self.take(channel, wanted) {
                        channel.set_material_value(&mut out, &at_rest, false);
                        taken = true;
                    }
                }
                if taken && out == rest {
                    return None;
                }
                Some(Command::SetMaterial {
                    material,
                    value: Box::new(out),
                })
            }
            Command::SetEnvironment { value } => {
                if self.take(Channel::Exposure, Value::Float(value.exposure_ev100)) {
                    let out = crate::scene::Environment {
                        exposure_ev100: self.rest.environment.exposure_ev100,
                        ..*value
                    };
                    if out == self.rest.environment {
                        return None;
                    }
                    return Some(Command::SetEnvironment {
                        value: Box::new(out),
                    });
                }
                Some(Command::SetEnvironment { value })
            }
            Command::Batch { label, commands } => {
                let mut inner: Vec<Command> = commands
                    .into_iter()
                    .filter_map(|c| self.command(c))
                    .collect();
                match inner.len() {
                    0 => None,
                    1 => inner.pop(),
                    _ => Some(Command::Batch {
                        label,
                        commands: inner,
                    }),
                }
            }
            other => Some(other),
        }
    }
}

/// The channels a node can be keyed on: its transform and visibility, a light's colour,
/// intensity (and a spot's cone), a camera's field of view, a morphed mesh's shape weights.
pub fn node_channels(scene: &Scene, node: NodeId) -> Vec<Channel> {
    let Some(n) = scene.node(node) else {
        return Vec::new();
    };
    let mut out = vec![Channel::Transform(node), Channel::Visible(node)];
    match n.kind {
        NodeKind::Light(l) => {
            out.push(Channel::LightColor(node));
            out.push(Channel::LightIntensity(node));
            if matches!(l.kind, LightKind::Spot { .. }) {
                out.push(Channel::SpotCone(node));
            }
        }
        NodeKind::Camera(c) => {
            out.push(Channel::FieldOfView(node));
            if c.ortho_half_height.is_some() {
                out.push(Channel::OrthoSize(node));
            }
        }
        _ => {}
    }
    out.extend(morph_channels(scene, node));
    out
}

/// The weight channels of `node`'s morph targets, one per target (none without a morph).
pub fn morph_channels(scene: &Scene, node: NodeId) -> Vec<Channel> {
    let count = scene.morph(node).map_or(0, |m| m.weights.len());
    (0..count)
        .map_while(|k| u16::try_from(k).ok())
        .map(|k| Channel::MorphWeight(node, k))
        .collect()
}

/// What `I` keys on a node: its transform, plus a light's values or a camera's field of view
/// (and orthographic size); visibility and shape weights only through their own Key buttons.
pub fn insert_key_channels(scene: &Scene, node: NodeId) -> Vec<Channel> {
    node_channels(scene, node)
        .into_iter()
        .filter(|c| !matches!(c, Channel::Visible(_) | Channel::MorphWeight(..)))
        .collect()
}

/// `shot` with `channels` keyed at `frame` with their values in `shown` (channels whose
/// target is missing are skipped).
pub fn key_values(shot: &Shot, shown: &Scene, channels: &[Channel], frame: f32) -> Shot {
    let mut out = shot.clone();
    for channel in channels {
        if let Some(value) = channel.read(shown) {
            out.key(*channel, frame, value);
        }
    }
    out
}

/// `shot` without the key of `channel` on `frame` (empty tracks dropped).
pub fn unkey(shot: &Shot, channel: Channel, frame: f32) -> Shot {
    delete_keys(shot, &[KeyRef { channel, frame }])
}

fn selected(keys: &[KeyRef], channel: Channel, frame: f32) -> bool {
    keys.iter()
        .any(|k| k.channel == channel && (k.frame - frame).abs() < 1e-3)
}

/// Moves `keys` by `delta` frames, rounded to whole frames (key frames land on whole
/// frames), never before frame 0 (the whole selection stops there, keeping its timing).
/// A moved key replaces an unmoved key it lands on. Returns the shot and the moved keys.
pub fn move_keys(shot: &Shot, keys: &[KeyRef], delta: f32) -> (Shot, Vec<KeyRef>) {
    let earliest = keys.iter().map(|k| k.frame).fold(f32::INFINITY, f32::min);
    let mut delta = delta.round();
    if earliest.is_finite() {
        delta = delta.max(-earliest.round());
    }
    let mut out = shot.clone();
    let mut moved_refs = Vec::new();
    for track in &mut out.tracks {
        let (moved, kept): (Vec<Key>, Vec<Key>) = track
            .keys()
            .iter()
            .partition(|k| selected(keys, track.channel, k.frame));
        if moved.is_empty() {
            continue;
        }
        let moved: Vec<Key> = moved
            .into_iter()
            .map(|k| Key {
                frame: (k.frame + delta).round(),
                ..k
            })
            .collect();
        moved_refs.extend(moved.iter().map(|k| KeyRef {
            channel: track.channel,
            frame: k.frame,
        }));
        track.set_keys(kept.into_iter().chain(moved));
    }
    (out, moved_refs)
}

/// `shot` without `keys` (tracks left empty are dropped).
pub fn delete_keys(shot: &Shot, keys: &[KeyRef]) -> Shot {
    let mut out = shot.clone();
    for track in &mut out.tracks {
        let left: Vec<Key> = track
            .keys()
            .iter()
            .filter(|k| !selected(keys, track.channel, k.frame))
            .copied()
            .collect();
        if left.len() != track.keys().len() {
            track.set_keys(left);
        }
    }
    out.tidy();
    out
}

/// Copied keys, frames relative to the earliest.
pub type Clip = Vec<(Channel, Key)>;

/// `keys` as a clip for [`paste_keys`].
pub fn copy_keys(shot: &Shot, keys: &[KeyRef]) -> Clip {
    let mut clip: Clip = shot
        .tracks
        .iter()
        .flat_map(|t| {
            t.keys()
                .iter()
                .filter(|k| selected(keys, t.channel, k.frame))
                .map(|k| (t.channel, *k))
        })
        .collect();
    let earliest = clip
        .iter()
        .map(|(_, k)| k.frame)
        .fold(f32::INFINITY, f32::min);
    for (_, k) in &mut clip {
        k.frame -= earliest;
    }
    clip
}

/// `clip` pasted with its earliest key at `frame` (relative timing kept; a pasted key
/// replaces one on its frame). Returns the shot and the pasted keys.
pub fn paste_keys(shot: &Shot, clip: &Clip, frame: f32) -> (Shot, Vec<KeyRef>) {
    let mut out = shot.clone();
    let mut pasted = Vec::new();
    for (channel, key) in clip {
        let key = Key {
            frame: (key.frame + frame).round(),
            ..*key
        };
        if out.track_mut(*channel).set_key(key, false) {
            pasted.push(KeyRef {
                channel: *channel,
                frame: key.frame,
            });
        }
    }
    out.tidy();
    (out, pasted)
}

/// `shot` with `keys` set to `interpolation`.
pub fn set_interpolation(shot: &Shot, keys: &[KeyRef], interpolation: Interpolation) -> Shot {
    edit_keys(shot, keys, |k| k.interpolation = interpolation)
}

/// `shot` with `keys` set to `handles`.
pub fn set_handles(shot: &Shot, keys: &[KeyRef], handles: Handles) -> Shot {
    edit_keys(shot, keys, |k| k.handles = handles)
}

fn edit_keys(shot: &Shot, keys: &[KeyRef], mut f: impl FnMut(&mut Key)) -> Shot {
    let mut out = shot.clone();
    for track in &mut out.tracks {
        let channel = track.channel;
        let mut all: Vec<Key> = track.keys().to_vec();
        let mut changed = false;
        for k in &mut all {
            if selected(keys, channel, k.frame) {
                f(k);
                changed = true;
            }
        }
        if changed {
            track.set_keys(all);
        }
    }
    out
}

/// Curve editor: the key moved to `frame` (rounded) with `component` set to `value`. The
/// key does not pass its neighbours (it stops a frame short of them). Returns the shot and
/// where the key is now.
pub fn move_key_to(
    shot: &Shot,
    key: KeyRef,
    frame: f32,
    component: usize,
    value: f32,
) -> (Shot, KeyRef) {
    let mut out = shot.clone();
    let Some(track) = out.tracks.iter_mut().find(|t| t.channel == key.channel) else {
        return (out, key);
    };
    let Some(i) = track.key_at(key.frame) else {
        return (out, key);
    };
    let mut keys = track.keys().to_vec();
    let lo = i
        .checked_sub(1)
        .and_then(|p| keys.get(p))
        .map_or(0.0, |k| k.frame + 1.0);
    let hi = keys.get(i + 1).map_or(f32::MAX, |k| k.frame - 1.0);
    let frame = frame.round().clamp(lo, hi.max(lo));
    let k = &mut keys[i];
    let mut c = k.value.components().values;
    if component < MAX_COMPONENTS && value.is_finite() {
        c[component] = value;
    }
    k.value = k.value.with_components(&c);
    k.frame = frame;
    track.set_keys(keys);
    (
        out,
        KeyRef {
            channel: key.channel,
            frame,
        },
    )
}

/// Curve editor: the key's handle for `component` set to `slope` (value per frame); the key
/// gets free handles, its other components keeping the slopes they had.
pub fn set_slope(shot: &Shot, key: KeyRef, component: usize, slope: f32) -> Shot {
    let mut out = shot.clone();
    let Some(track) = out.tracks.iter_mut().find(|t| t.channel == key.channel) else {
        return out;
    };
    let Some(i) = track.key_at(key.frame) else {
        return out;
    };
    let mut slopes = track.slopes(i);
    if component < MAX_COMPONENTS && slope.is_finite() {
        slopes[component] = slope;
    }
    let mut keys = track.keys().to_vec();
    keys[i].handles = Handles::Free { slopes };
    if keys[i].interpolation != Interpolation::Bezier {
        keys[i].interpolation = Interpolation::Bezier;
    }
    track.set_keys(keys);
    out
}

/// The command that sets the timeline, or `None` when it is unchanged.
pub fn set(scene: &Scene, timeline: Timeline, label: &str) -> Option<Command> {
    (scene.timeline() != &timeline).then(|| Command::SetTimeline {
        timeline: Box::new(timeline),
        label: label.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::History;
    use crate::scene::{Camera, Light, Material, Transform};
    use glam::Vec3;

    struct World {
        scene: Scene,
        cube: NodeId,
        lamp: NodeId,
        cam: NodeId,
        shot: ShotId,
    }

    fn world() -> World {
        let mut scene = Scene::new("t");
        scene.add_material(Material::named("m", [0.5; 4], 0.5));
        let cube = scene.add_node(None, "Cube", Transform::IDENTITY, NodeKind::Empty);
        let lamp = scene.add_node(
            None,
            "Lamp",
            Transform::IDENTITY,
            NodeKind::Light(Light {
                kind: LightKind::Point,
                color: [1.0; 3],
                intensity: 100.0,
                range: None,
                cast_shadows: false,
            }),
        );
        let cam = scene.add_node(
            None,
            "Cam",
            Transform::IDENTITY,
            NodeKind::Camera(Camera::default()),
        );
        let shot = scene.reserve_shot_id();
        let mut s = Shot::new(shot, "S");
        s.key(
            Channel::Transform(cube),
            0.0,
            Value::Transform(Transform::IDENTITY),
        );
        s.key(
            Channel::Transform(cube),
            20.0,
            Value::Transform(Transform::from_translation(Vec3::new(20.0, 0.0, 0.0))),
        );
        scene.set_timeline(Timeline {
            shots: vec![s],
            active: Some(shot),
        });
        World {
            scene,
            cube,
            lamp,
            cam,
            shot,
        }
    }

    fn at(w: &World, frame: f32, auto_key: bool) -> Playhead {
        Playhead {
            shot: w.shot,
            frame,
            auto_key,
        }
    }

    /// Routes and runs `command` like the editor: one undo step.
    fn run(w: &mut World, history: &mut History, at: Playhead, command: Command) {
        let shown = w.scene.sampled(at.shot, at.frame, None).expect("shot");
        let label = command.label(&w.scene);
        let routed = route(&w.scene, &w.scene, &shown, at, command);
        let mut commands = Vec::new();
        if let Some(t) = routed.timeline {
            commands.push(Command::SetTimeline {
                timeline: Box::new(t),
                label: format!("Key {label}"),
            });
        }
        commands.extend(routed.rest);
        history.execute(&mut w.scene, Command::Batch { label, commands });
    }

    fn track_len(w: &World, channel: Channel) -> usize {
        w.scene
            .timeline()
            .shot(w.shot)
            .and_then(|s| s.track(channel))
            .map_or(0, |t| t.keys().len())
    }

    #[test]
    fn an_edit_of_an_animated_channel_keys_it_at_the_playhead_and_leaves_the_base() {
        let mut w = world();
        let mut h = History::default();
        let before = w.scene.timeline().clone();
        let moved = Transform::from_translation(Vec3::new(3.0, 7.0, 0.0));
        let (p, cube) = (at(&w, 10.0, false), w.cube);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetTransform {
                node: cube,
                transform: moved,
            },
        );
        assert_eq!(track_len(&w, Channel::Transform(w.cube)), 3);
        let sampled = w.scene.sampled(w.shot, 10.0, None).unwrap();
        assert_eq!(sampled.node(w.cube).unwrap().transform, moved);
        assert_eq!(
            w.scene.node(w.cube).unwrap().transform,
            Transform::IDENTITY,
            "the base keeps its transform"
        );
        assert_eq!(h.undo_len(), 1);
        assert!(h.undo(&mut w.scene));
        assert_eq!(w.scene.timeline(), &before);
    }

    #[test]
    fn unanimated_channels_edit_the_base_without_auto_key_and_key_with_it() {
        let mut w = world();
        let mut h = History::default();
        let lamp = w.lamp;
        let light = |s: &Scene| match s.node(lamp).unwrap().kind {
            NodeKind::Light(l) => l,
            _ => unreachable!(),
        };
        let brighter = Light {
            intensity: 500.0,
            ..light(&w.scene)
        };
        let command = Command::SetLight {
            node: lamp,
            light: brighter,
        };
        // Auto-key off: a plain edit, exactly the command.
        let shown = w.scene.sampled(w.shot, 5.0, None).unwrap();
        let routed = route(
            &w.scene,
            &w.scene,
            &shown,
            at(&w, 5.0, false),
            command.clone(),
        );
        assert_eq!(routed.timeline, None);
        assert_eq!(routed.rest, Some(command.clone()));
        let p = at(&w, 5.0, false);
        run(&mut w, &mut h, p, command);
        assert_eq!(light(&w.scene).intensity, 500.0);
        assert!(h.undo(&mut w.scene));

        // Auto-key on: a new track with one key; the base keeps 100.
        let before = w.scene.timeline().clone();
        let p = at(&w, 5.0, true);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetLight {
                node: lamp,
                light: brighter,
            },
        );
        assert_eq!(light(&w.scene).intensity, 100.0);
        assert_eq!(track_len(&w, Channel::LightIntensity(lamp)), 1);
        assert_eq!(
            track_len(&w, Channel::LightColor(lamp)),
            0,
            "untouched values are not keyed"
        );
        let s = w.scene.sampled(w.shot, 5.0, None).unwrap();
        assert_eq!(light(&s).intensity, 500.0);
        assert!(h.undo(&mut w.scene));
        assert_eq!(w.scene.timeline(), &before);
    }

    /// Auto-keyed material edits: each changed value goes to its own track, the others and
    /// the base keep exactly what they had, out-of-range values included (glTF files may hold
    /// a metallic above 1; keyed values are limited, the base is not touched).
    #[test]
    fn material_edits_key_each_changed_value_and_keep_the_rest_exact() {
        let mut w = world();
        let mut h = History::default();
        let (material, _) = w.scene.materials().next().expect("a material");
        let odd = Material {
            metallic: 1.5,
            transmission: 0.25,
            ..w.scene.material(material).unwrap().clone()
        };
        *w.scene.material_mut(material).unwrap() = odd.clone();
        let edited = Material {
            roughness: 0.9,
            clearcoat: 0.7,
            ..odd.clone()
        };
        let p = at(&w, 4.0, true);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetMaterial {
                material,
                value: Box::new(edited.clone()),
            },
        );
        assert_eq!(
            w.scene.material(material),
            Some(&odd),
            "the base is untouched"
        );
        for channel in Channel::of_material(material) {
            let keyed = matches!(channel, Channel::Roughness(_) | Channel::Clearcoat(_));
            assert_eq!(track_len(&w, channel), usize::from(keyed), "{channel:?}");
        }
        let shown = w.scene.sampled(w.shot, 4.0, None).unwrap();
        assert_eq!(shown.material(material), Some(&edited));
        // With a plain (not animatable) value changed too, that one reaches the base and
        // the animated ones stay as they were there, exactly.
        let both = Material {
            double_sided: !odd.double_sided,
            roughness: 0.2,
            ..odd.clone()
        };
        let p = at(&w, 4.0, true);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetMaterial {
                material,
                value: Box::new(both),
            },
        );
        let base = w.scene.material(material).unwrap();
        assert_eq!(base.double_sided, !odd.double_sided);
        assert_eq!((base.metallic, base.roughness), (1.5, odd.roughness));
        assert_eq!(h.undo_len(), 2);
    }

    #[test]
    fn a_mixed_edit_keys_the_animated_value_and_sets_the_rest_on_the_base() {
        let mut w = world();
        let mut h = History::default();
        // Animate the camera's field of view; edit its near plane and the fov together.
        let shot = w.scene.timeline().shot(w.shot).unwrap().clone();
        let mut s = shot.clone();
        s.key(Channel::FieldOfView(w.cam), 0.0, Value::Float(0.5));
        w.scene.set_timeline(with_shot(w.scene.timeline(), s));
        let command = Command::SetKind {
            node: w.cam,
            kind: Box::new(NodeKind::Camera(Camera {
                fov_y_rad: 0.9,
                near: 0.5,
                far: None,
                ortho_half_height: None,
            })),
        };
        let p = at(&w, 12.0, false);
        run(&mut w, &mut h, p, command);
        let NodeKind::Camera(base) = w.scene.node(w.cam).unwrap().kind else {
            unreachable!()
        };
        assert_eq!(base.near, 0.5, "the near plane is a plain edit");
        assert_eq!(base.fov_y_rad, Camera::default().fov_y_rad, "base fov kept");
        assert_eq!(track_len(&w, Channel::FieldOfView(w.cam)), 2);
        assert_eq!(h.undo_len(), 1, "one undo step");
    }

    #[test]
    fn an_animated_orthographic_size_is_keyed_and_the_rest_goes_to_the_base() {
        let mut w = world();
        let mut h = History::default();
        let cam = w.cam;
        let ortho = Camera {
            ortho_half_height: Some(2.0),
            ..Camera::default()
        };
        let p = at(&w, 0.0, false);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetKind {
                node: cam,
                kind: Box::new(NodeKind::Camera(ortho)),
            },
        );
        assert!(node_channels(&w.scene, w.cam).contains(&Channel::OrthoSize(w.cam)));
        let mut s = w.scene.timeline().shot(w.shot).unwrap().clone();
        s.key(Channel::OrthoSize(w.cam), 0.0, Value::Float(2.0));
        w.scene.set_timeline(with_shot(w.scene.timeline(), s));
        // At frame 12: a new size and a new near plane.
        let p = at(&w, 12.0, false);
        run(
            &mut w,
            &mut h,
            p,
            Command::SetKind {
                node: cam,
                kind: Box::new(NodeKind::Camera(Camera {
                    near: 0.5,
                    ortho_half_height: Some(5.0),
                    ..ortho
                })),
            },
        );
        let NodeKind::Camera(base) = w.scene.node(w.cam).unwrap().kind else {
            unreachable!()
        };
        assert_eq!(base.near, 0.5, "the near plane is a plain edit");
        assert_eq!(base.ortho_half_height, Some(2.0), "base size kept");
        assert_eq!(track_len(&w, Channel::OrthoSize(w.cam)), 2);
        let sampled = w.scene.sampled(w.shot, 12.0, None).unwrap();
        let Some(NodeKind::Camera(at_12)) = sampled.node(w.cam).map(|n| n.kind.clone()) else {
            unreachable!()
        };
        assert_eq!(at_12.ortho_half_height, Some(5.0));
    }

    #[test]
    fn a_gizmo_drag_on_an_animated_node_is_one_key_and_one_undo_step() {
        let mut w = world();
        let mut h = History::default();
        let before = w.scene.timeline().clone();
        for x in 1..=5 {
            let shown = w.scene.sampled(w.shot, 10.0, None).unwrap();
            let command = Command::Batch {
                label: "Move".into(),
                commands: vec![Command::SetTransform {
                    node: w.cube,
                    transform: Transform::from_translation(Vec3::new(x as f32, 1.0, 0.0)),
                }],
            };
            let routed = route(&w.scene, &w.scene, &shown, at(&w, 10.0, false), command);
            assert_eq!(routed.rest, None);
            let timeline = routed.timeline.expect("keyed");
            h.execute_merging(
                &mut w.scene,
                Command::SetTimeline {
                    timeline: Box::new(timeline),
                    label: "Key Move".into(),
                },
            );
        }
        assert_eq!(h.undo_len(), 1);
        assert_eq!(track_len(&w, Channel::Transform(w.cube)), 3);
        h.undo(&mut w.scene);
        assert_eq!(w.scene.timeline(), &before);
    }

    fn frames(shot: &Shot, channel: Channel) -> Vec<f32> {
        shot.track(channel)
            .map(|t| t.keys().iter().map(|k| k.frame).collect())
            .unwrap_or_default()
    }

    #[test]
    fn key_operations() {
        let w = world();
        let cube = Channel::Transform(w.cube);
        let mut shot = w.scene.timeline().shot(w.shot).unwrap().clone();
        shot.key(Channel::Exposure, 4.0, Value::Float(10.0));
        shot.key(Channel::Exposure, 8.0, Value::Float(12.0));
        let sel = [
            KeyRef {
                channel: cube,
                frame: 20.0,
            },
            KeyRef {
                channel: Channel::Exposure,
                frame: 8.0,
            },
        ];
        // Move: snapped to whole frames.
        let (moved, refs) = move_keys(&shot, &sel, 2.6);
        assert_eq!(frames(&moved, cube), vec![0.0, 23.0]);
        assert_eq!(frames(&moved, Channel::Exposure), vec![4.0, 11.0]);
        assert_eq!(refs.len(), 2);
        // Never before frame 0: the selection stops together.
        let (moved, _) = move_keys(&shot, &sel, -100.0);
        assert_eq!(frames(&moved, cube), vec![0.0, 12.0], "landed on 12 (20-8)");
        assert_eq!(frames(&moved, Channel::Exposure), vec![0.0, 4.0]);
        // Landing on an unmoved key replaces it.
        let (moved, _) = move_keys(&shot, &sel[1..], -4.0);
        let t = moved.track(Channel::Exposure).unwrap();
        assert_eq!(t.keys().len(), 1);
        assert_eq!(t.keys()[0].value, Value::Float(12.0));

        // Delete: an emptied track goes.
        let deleted = delete_keys(
            &shot,
            &[
                KeyRef {
                    channel: Channel::Exposure,
                    frame: 4.0,
                },
                KeyRef {
                    channel: Channel::Exposure,
                    frame: 8.0,
                },
            ],
        );
        assert!(deleted.track(Channel::Exposure).is_none());
        assert_eq!(frames(&deleted, cube), vec![0.0, 20.0]);

        // Copy/paste keeps relative timing.
        let clip = copy_keys(&shot, &sel);
        let (pasted, refs) = paste_keys(&shot, &clip, 50.0);
        assert_eq!(frames(&pasted, Channel::Exposure), vec![4.0, 8.0, 50.0]);
        assert_eq!(frames(&pasted, cube), vec![0.0, 20.0, 62.0]);
        assert_eq!(refs.len(), 2);
        let v = pasted.track(cube).unwrap().sample(62.0);
        assert_eq!(v, shot.track(cube).unwrap().sample(20.0));

        // Interpolation and handles of the selected keys only.
        let constant = set_interpolation(&shot, &sel, Interpolation::Constant);
        let t = constant.track(cube).unwrap();
        assert_eq!(t.keys()[1].interpolation, Interpolation::Constant);
        assert_eq!(t.keys()[0].interpolation, Interpolation::Bezier);
        let first = [KeyRef {
            channel: cube,
            frame: 0.0,
        }];
        let constant = set_interpolation(&shot, &first, Interpolation::Constant);
        // A constant first segment holds until frame 20.
        let v = constant.track(cube).unwrap().sample(19.0);
        assert_eq!(v, Some(Value::Transform(Transform::IDENTITY)));
        let eased = set_handles(&shot, &sel, Handles::Eased);
        assert_eq!(eased.track(cube).unwrap().keys()[1].handles, Handles::Eased);
    }

    #[test]
    fn curve_edits_move_keys_within_their_neighbours_and_free_the_handles() {
        let w = world();
        let cube = Channel::Transform(w.cube);
        let shot = w.scene.timeline().shot(w.shot).unwrap().clone();
        let k = KeyRef {
            channel: cube,
            frame: 20.0,
        };
        let (moved, k2) = move_key_to(&shot, k, 30.4, 1, 4.0);
        assert_eq!(k2.frame, 30.0);
        let Some(Value::Transform(t)) = moved.track(cube).unwrap().sample(30.0) else {
            panic!()
        };
        assert_eq!(t.translation, Vec3::new(20.0, 4.0, 0.0));
        // Cannot pass the key at 0.
        let (_, k3) = move_key_to(&shot, k, -5.0, 0, 1.0);
        assert_eq!(k3.frame, 1.0);
        let freed = set_slope(&shot, k, 0, 2.0);
        let key = freed.track(cube).unwrap().keys()[1];
        let Handles::Free { slopes } = key.handles else {
            panic!("not free: {:?}", key.handles)
        };
        assert_eq!(slopes[0], 2.0);
        // Just before the key the curve rises with about that slope.
        let track = freed.track(cube).unwrap();
        let x = |f: f32| match track.sample(f) {
            Some(Value::Transform(t)) => t.translation.x,
            _ => f32::NAN,
        };
        let slope = (x(20.0) - x(19.9)) / 0.1;
        assert!((slope - 2.0).abs() < 0.1, "{slope}");
    }

    #[test]
    fn insert_key_channels_follow_the_node_kind() {
        let w = world();
        assert_eq!(
            insert_key_channels(&w.scene, w.cam),
            vec![Channel::Transform(w.cam), Channel::FieldOfView(w.cam)]
        );
        assert_eq!(insert_key_channels(&w.scene, w.lamp).len(), 3);
        let shot = w.scene.timeline().shot(w.shot).unwrap();
        let keyed = key_values(shot, &w.scene, &insert_key_channels(&w.scene, w.cam), 7.0);
        assert_eq!(frames(&keyed, Channel::FieldOfView(w.cam)), vec![7.0]);
        let unkeyed = unkey(&keyed, Channel::FieldOfView(w.cam), 7.0);
        assert!(unkeyed.track(Channel::FieldOfView(w.cam)).is_none());
    }
}
