//! Timeline `Transform` tracks as glTF animation samplers (the inverse of the importer's
//! `gltf_animation`): a track's keys become key times (frame ÷ fps) with translation,
//! rotation and scale values, exactly where glTF's interpolation is the timeline's:
//! * every segment constant → STEP; every segment linear → LINEAR (glTF slerps rotations
//!   along the shorter arc, as the timeline does);
//! * every segment Bézier → CUBICSPLINE whose in- and out-tangents are the key's slopes × fps
//!   (the timeline's Hermite segments are glTF's; rotations sign-aligned key to key, each
//!   tangent flipped with its key, so the normalised curve is the same);
//! * anything else (mixed segments, keys before frame 0, a parent pose with non-uniform
//!   scale) is sampled at every frame into LINEAR keys: exact on each frame.
//!
//! A node whose parent is not written (an export root) is keyed in its parent's world frame;
//! a pose of uniform scale maps values and tangents linearly, so the three exact cases stay
//! exact.

use crate::scene::{Channel, Interpolation, Key, MaterialId, NodeId, Track, Transform, Value};
use glam::{Mat4, Quat, Vec3, Vec4};
use serde::{Deserialize, Serialize};

/// The key under an animation's `extras` where worldsmith records its shot.
pub(crate) const SHOT_EXTRAS: &str = "worldsmith_shot";

/// What glTF has no place for in an animation but a shot needs, recorded in the animation's
/// `extras` ([`SHOT_EXTRAS`]) so that re-importing the file gives the same shot: each of
/// worldsmith's animations is its own shot, with its rate, length, size, camera and variant.
/// The importer checks every value (a hand-edited file may hold anything).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShotExtras {
    pub fps: u32,
    pub frames: u32,
    pub size: [u32; 2],
    /// Index of the glTF node the shot looks through.
    #[serde(default)]
    pub camera: Option<u32>,
    /// Name of the variant the shot shows.
    #[serde(default)]
    pub variant: Option<String>,
    /// The shot's exposure keys (glTF has no exposure for a pointer to animate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposure: Vec<Key>,
}

/// How a glTF sampler fills the time between its keys (the importer's too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Interp {
    Step,
    Linear,
    Cubic,
}

/// One node's motion as three glTF samplers on shared key times: one value per key, or for
/// [`Interp::Cubic`] three (in-tangent, value, out-tangent; tangents per second).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Motion {
    pub times: Vec<f32>,
    pub interp: Interp,
    pub translation: Vec<[f32; 3]>,
    pub rotation: Vec<[f32; 4]>,
    pub scale: Vec<[f32; 3]>,
}

/// The pose a motion is written in: the parent's world pose for an export root whose parent
/// is not written.
#[derive(Clone, Copy, Debug)]
struct Parent {
    matrix: Mat4,
    /// `Some((uniform scale, rotation, translation))` when the pose is a similarity.
    similarity: Option<(f32, Quat, Vec3)>,
}

impl Parent {
    fn new(matrix: Mat4) -> Self {
        let (s, r, t) = matrix.to_scale_rotation_translation();
        let uniform = (s.max_element() - s.min_element()).abs() <= 1e-5 * s.abs().max_element();
        Self {
            matrix,
            similarity: (uniform && s.is_finite()).then_some((s.x, r, t)),
        }
    }

    fn place(&self, t: Transform) -> Transform {
        if let Some((s, r, tr)) = self.similarity {
            return Transform {
                translation: tr + r * (s * t.translation),
                rotation: (r * t.rotation).normalize(),
                scale: s * t.scale,
            };
        }
        let (scale, rotation, translation) = (self.matrix
            * Mat4::from_scale_rotation_translation(t.scale, t.rotation, t.translation))
        .to_scale_rotation_translation();
        Transform {
            translation,
            rotation,
            scale,
        }
    }
}

/// The Hamilton product `a · b` of a unit quaternion and any 4-vector (a rotation tangent).
fn quat_mul(a: Quat, b: Vec4) -> Vec4 {
    let (ax, ay, az, aw) = (a.x, a.y, a.z, a.w);
    let (bx, by, bz, bw) = (b.x, b.y, b.z, b.w);
    Vec4::new(
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    )
}

/// Rotations sign-aligned key to key (neighbouring quaternions in one hemisphere, so that
/// glTF's component-wise interpolation takes the short way).
#[derive(Default)]
struct Aligned {
    previous: Option<Quat>,
}

impl Aligned {
    /// `q`, flipped if it faces away from the previous rotation, and the sign it got.
    fn next(&mut self, q: Quat) -> (Quat, f32) {
        let sign = match self.previous {
            Some(p) if p.dot(q) < 0.0 => -1.0,
            _ => 1.0,
        };
        let q = q * sign;
        self.previous = Some(q);
        (q, sign)
    }
}

/// How a track's keys become one glTF sampler (shared by [`motion`] and [`values`]).
enum Plan {
    /// The keys themselves, STEP or LINEAR: every segment constant, or every one linear
    /// (a lerp/slerp segment is glTF's), or a value that holds from key to key.
    Keys(Interp),
    /// The keys with their Bézier slopes as CUBICSPLINE tangents.
    Cubic,
    /// Samples at these frames, linear in between: every frame from 0 to the last key, or
    /// past the bake budget the key frames only (then `approximate`).
    Frames { frames: Vec<f32>, approximate: bool },
}

impl Plan {
    /// The plan for `keys` (at least one). `exact`: the keys can be written as they are
    /// (none before frame 0, nothing in the way such as a non-similar parent); `hold`: the
    /// value steps from key to key whatever the segments say (a visibility). Per-frame
    /// sampling takes its frames from `bake_budget`.
    fn new(keys: &[Key], exact: bool, hold: bool, bake_budget: &mut usize) -> Self {
        let segments = &keys[..keys.len().saturating_sub(1)];
        let all = |i: Interpolation| segments.iter().all(|k| k.interpolation == i);
        let exact = exact && keys.first().is_some_and(|k| k.frame >= 0.0);
        if exact && (hold || all(Interpolation::Constant) || all(Interpolation::Linear)) {
            let step = hold || (!segments.is_empty() && all(Interpolation::Constant));
            return Plan::Keys(if step { Interp::Step } else { Interp::Linear });
        }
        if exact && all(Interpolation::Bezier) {
            return Plan::Cubic;
        }
        let last = keys.last().map_or(0.0, |k| k.frame).max(0.0).ceil() as usize;
        let approximate = last >= *bake_budget;
        let frames = if approximate {
            let mut frames: Vec<f32> = keys.iter().map(|k| k.frame.max(0.0)).collect();
            frames.dedup();
            frames
        } else {
            *bake_budget -= last + 1;
            (0..=last).map(|f| f as f32).collect()
        };
        Plan::Frames {
            frames,
            approximate,
        }
    }
}

/// The motion of a `Transform` track in a shot of `fps`, written in `parent`'s frame (the
/// parent's world pose where the parent is not exported), and whether it only approximates
/// the track between its keys (sampling every frame would pass `bake_budget`, the keys
/// per-frame sampling may still make in this export; it takes from it); `None` for a track
/// without transform keys.
pub(super) fn motion(
    track: &Track,
    fps: u32,
    parent: Option<Mat4>,
    bake_budget: &mut usize,
) -> Option<(Motion, bool)> {
    let keys = track.keys();
    let transforms: Vec<Transform> = keys
        .iter()
        .map(|k| match k.value {
            Value::Transform(t) => Some(t),
            _ => None,
        })
        .collect::<Option<_>>()?;
    if keys.is_empty() {
        return None;
    }
    let fps_f = fps.max(1) as f32;
    let parent = parent.map(Parent::new);
    let place = |t: Transform| parent.map_or(t, |p| p.place(t));
    let linear_parent = parent.is_none_or(|p| p.similarity.is_some());
    let mut out = Motion {
        times: Vec::with_capacity(keys.len()),
        interp: Interp::Linear,
        translation: Vec::new(),
        rotation: Vec::new(),
        scale: Vec::new(),
    };
    let mut align = Aligned::default();
    let push = |out: &mut Motion, frame: f32, t: Transform, align: &mut Aligned| {
        let t = place(t);
        out.times.push(frame / fps_f);
        out.translation.push(t.translation.to_array());
        out.rotation.push(align.next(t.rotation).0.to_array());
        out.scale.push(t.scale.to_array());
    };
    match Plan::new(keys, linear_parent, false, bake_budget) {
        Plan::Keys(interp) => {
            out.interp = interp;
            for (key, t) in keys.iter().zip(&transforms) {
                push(&mut out, key.frame, *t, &mut align);
            }
            Some((out, false))
        }
        Plan::Cubic => {
            out.interp = Interp::Cubic;
            let (s_p, r_p) = parent
                .and_then(|p| p.similarity)
                .map_or((1.0, Quat::IDENTITY), |(s, r, _)| (s, r));
            for (i, (key, t)) in keys.iter().zip(&transforms).enumerate() {
                let placed = place(*t);
                let m = track.slopes(i).map(|v| v * fps_f);
                let (rotation, sign) = align.next(placed.rotation);
                let dt = r_p * (s_p * Vec3::new(m[0], m[1], m[2]));
                let dr = quat_mul(r_p, Vec4::new(m[3], m[4], m[5], m[6])) * sign;
                let ds = s_p * Vec3::new(m[7], m[8], m[9]);
                out.times.push(key.frame / fps_f);
                let v = placed.translation.to_array();
                out.translation.extend([dt.to_array(), v, dt.to_array()]);
                out.rotation
                    .extend([dr.to_array(), rotation.to_array(), dr.to_array()]);
                out.scale
                    .extend([ds.to_array(), placed.scale.to_array(), ds.to_array()]);
            }
            Some((out, false))
        }
        Plan::Frames {
            frames,
            approximate,
        } => {
            for frame in frames {
                if let Some(Value::Transform(t)) = track.sample(frame) {
                    push(&mut out, frame, t, &mut align);
                }
            }
            Some((out, approximate))
        }
    }
}

/// A value track (a field of view, a light's colour, a material factor) as one glTF sampler:
/// `width` lanes per entry, one entry per key (three for [`Interp::Cubic`]: in-tangent,
/// value, out-tangent per second).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Values {
    pub times: Vec<f32>,
    pub interp: Interp,
    pub width: usize,
    pub values: Vec<f32>,
    /// A boolean (a visibility): written as unsigned bytes, 0 = false, with STEP.
    pub boolean: bool,
}

/// A value track in a shot of `fps`, mapped as [`motion`] maps a transform (constant, linear
/// and Bézier segments exactly, anything else per frame from `bake_budget`, past it at the
/// key frames: then the flag is set), whole or one `lane` of it (a spot cone's inner or outer
/// angle, two glTF properties); `None` for tracks of other shapes (visibility).
pub(super) fn values(
    track: &Track,
    fps: u32,
    lane: Option<usize>,
    bake_budget: &mut usize,
) -> Option<(Values, bool)> {
    let keys = track.keys();
    let first = keys.first()?;
    // The components written: one lane (a spot's inner or outer angle), or the whole value.
    let boolean = matches!(first.value, Value::Bool(_));
    let (from, width) = match (lane, first.value) {
        (Some(lane), v) if lane < v.components().len && !boolean => (lane, 1),
        (None, Value::Float(_) | Value::Bool(_)) => (0, 1),
        (None, Value::Vec3(_)) => (0, 3),
        (None, Value::Vec4(_)) => (0, 4),
        _ => return None,
    };
    let fps_f = fps.max(1) as f32;
    let lanes = |v: &Value| v.components().values[from..from + width].to_vec();
    let mut out = Values {
        times: Vec::with_capacity(keys.len()),
        interp: Interp::Linear,
        width,
        values: Vec::new(),
        boolean,
    };
    match Plan::new(keys, true, boolean, bake_budget) {
        Plan::Keys(interp) => {
            out.interp = interp;
            for key in keys {
                out.times.push(key.frame / fps_f);
                out.values.extend(lanes(&key.value));
            }
            Some((out, false))
        }
        Plan::Cubic => {
            out.interp = Interp::Cubic;
            for (i, key) in keys.iter().enumerate() {
                let tangent: Vec<f32> = track.slopes(i)[from..from + width]
                    .iter()
                    .map(|m| m * fps_f)
                    .collect();
                out.times.push(key.frame / fps_f);
                out.values.extend(&tangent);
                out.values.extend(lanes(&key.value));
                out.values.extend(&tangent);
            }
            Some((out, false))
        }
        Plan::Frames {
            frames,
            approximate,
        } => {
            // A boolean holds from sample to sample.
            if boolean {
                out.interp = Interp::Step;
            }
            for frame in frames {
                if let Some(v) = track.sample(frame) {
                    out.times.push(frame / fps_f);
                    out.values.extend(lanes(&v));
                }
            }
            Some((out, approximate))
        }
    }
}

/// A node's morph weight tracks (`lanes[k]`: target k's, `None` where it is not animated
/// and holds at `rest[k]`) as one glTF `weights` sampler, `lanes.len()` weights per entry:
/// the tracks' own keys where they all have the same key frames and map exactly (STEP,
/// LINEAR or CUBICSPLINE alike, a held target with zero tangents); otherwise every frame,
/// linear in between, from `bake_budget` (past it the union of key frames, flagged).
pub(super) fn weights(
    lanes: &[Option<&Track>],
    rest: &[f32],
    fps: u32,
    bake_budget: &mut usize,
) -> Option<(Values, bool)> {
    let present: Vec<&Track> = lanes.iter().flatten().copied().collect();
    let first = present.first()?;
    let key_frames = |t: &Track| t.keys().iter().map(|k| k.frame).collect::<Vec<f32>>();
    let width = lanes.len();
    let fps_f = fps.max(1) as f32;
    let rest_of = |k: usize| rest.get(k).copied().unwrap_or(0.0);
    if present.iter().all(|t| key_frames(t) == key_frames(first)) {
        // Each track alone, with a budget no exact plan touches.
        let mut untouched = usize::MAX;
        let each: Option<Vec<Values>> = present
            .iter()
            .map(|t| values(t, fps, None, &mut untouched).map(|(v, _)| v))
            .collect();
        if let Some(each) = each
            && untouched == usize::MAX
            && each
                .iter()
                .all(|v| v.interp == each[0].interp && v.width == 1)
        {
            let interp = each[0].interp;
            let per_key = if interp == Interp::Cubic { 3 } else { 1 };
            let times = each[0].times.clone();
            let mut values = Vec::with_capacity(times.len() * per_key * width);
            for key in 0..times.len() {
                for part in 0..per_key {
                    let mut next = each.iter();
                    for (k, lane) in lanes.iter().enumerate() {
                        let held = if per_key == 3 && part != 1 {
                            0.0
                        } else {
                            rest_of(k)
                        };
                        values.push(match lane {
                            Some(_) => next
                                .next()
                                .and_then(|v| v.values.get(key * per_key + part))
                                .copied()
                                .unwrap_or(held),
                            None => held,
                        });
                    }
                }
            }
            return Some((
                Values {
                    times,
                    interp,
                    width,
                    values,
                    boolean: false,
                },
                false,
            ));
        }
    }
    let last = present
        .iter()
        .filter_map(|t| t.keys().last())
        .map(|k| k.frame)
        .fold(0.0f32, f32::max)
        .ceil() as usize;
    let approximate = last >= *bake_budget;
    let frames: Vec<f32> = if approximate {
        let mut frames: Vec<f32> = present.iter().flat_map(|t| key_frames(t)).collect();
        frames.iter_mut().for_each(|f| *f = f.max(0.0));
        frames.sort_by(f32::total_cmp);
        frames.dedup();
        frames
    } else {
        *bake_budget -= last + 1;
        (0..=last).map(|f| f as f32).collect()
    };
    let mut values = Vec::with_capacity(frames.len() * width);
    for &frame in &frames {
        for (k, lane) in lanes.iter().enumerate() {
            values.push(match lane.and_then(|t| t.sample(frame)) {
                Some(Value::Float(w)) => w,
                _ => rest_of(k),
            });
        }
    }
    Some((
        Values {
            times: frames.iter().map(|f| f / fps_f).collect(),
            interp: Interp::Linear,
            width,
            values,
            boolean: false,
        },
        approximate,
    ))
}

/// What a KHR_animation_pointer channel points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PointerObject {
    /// The glTF node written for this node (its KHR_node_visibility).
    Node(NodeId),
    /// The glTF camera of this node.
    Camera(NodeId),
    /// The KHR_lights_punctual light of this node.
    Light(NodeId),
    Material(MaterialId),
}

/// Where a timeline channel's value lives in glTF, as the object and the JSON pointer below
/// it (the importer's `pointer_target`, inverted); `None` for channels no pointer holds
/// (transforms go by node, exposure has no glTF property, a spot cone's two angles are two
/// properties).
pub(super) fn pointer_of(channel: Channel) -> Option<(PointerObject, &'static str)> {
    use PointerObject::{Camera, Light, Material, Node};
    Some(match channel {
        Channel::Visible(n) => (Node(n), "extensions/KHR_node_visibility/visible"),
        Channel::FieldOfView(n) => (Camera(n), "perspective/yfov"),
        Channel::LightColor(n) => (Light(n), "color"),
        Channel::LightIntensity(n) => (Light(n), "intensity"),
        Channel::BaseColor(m) => (Material(m), "pbrMetallicRoughness/baseColorFactor"),
        Channel::Metallic(m) => (Material(m), "pbrMetallicRoughness/metallicFactor"),
        Channel::Roughness(m) => (Material(m), "pbrMetallicRoughness/roughnessFactor"),
        Channel::Emissive(m) => (Material(m), "emissiveFactor"),
        Channel::EmissiveStrength(m) => (
            Material(m),
            "extensions/KHR_materials_emissive_strength/emissiveStrength",
        ),
        Channel::Specular(m) => (
            Material(m),
            "extensions/KHR_materials_specular/specularFactor",
        ),
        Channel::Transmission(m) => (
            Material(m),
            "extensions/KHR_materials_transmission/transmissionFactor",
        ),
        Channel::Clearcoat(m) => (
            Material(m),
            "extensions/KHR_materials_clearcoat/clearcoatFactor",
        ),
        Channel::SheenColor(m) => (
            Material(m),
            "extensions/KHR_materials_sheen/sheenColorFactor",
        ),
        Channel::SheenRoughness(m) => (
            Material(m),
            "extensions/KHR_materials_sheen/sheenRoughnessFactor",
        ),
        Channel::Anisotropy(m) => (
            Material(m),
            "extensions/KHR_materials_anisotropy/anisotropyStrength",
        ),
        Channel::Iridescence(m) => (
            Material(m),
            "extensions/KHR_materials_iridescence/iridescenceFactor",
        ),
        Channel::IridescenceThickness(m) => (
            Material(m),
            "extensions/KHR_materials_iridescence/iridescenceThicknessMaximum",
        ),
        Channel::DiffuseTransmission(m) => (
            Material(m),
            "extensions/KHR_materials_diffuse_transmission/diffuseTransmissionFactor",
        ),
        _ => return None,
    })
}
