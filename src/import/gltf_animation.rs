//! glTF animations as timeline keys: a node's translation, rotation and scale samplers
//! (glTF 2.0 §3.11 and Appendix C) become one `Transform` track of a shot.
//!
//! The keys reproduce the file's motion exactly where the timeline's interpolation can:
//! * all of a node's samplers STEP → constant keys at every key time of any of them;
//! * all LINEAR → linear keys at those times (a linear or slerped segment sampled at an inner
//!   time and interpolated again from there is the same motion);
//! * all CUBICSPLINE on one set of times with each key's in- and out-tangent equal → Bézier
//!   keys whose free slopes are the tangents (per frame instead of per second): the timeline's
//!   Hermite segments are glTF's.
//!
//! Anything else (mixed interpolations, cubic samplers on different times, a tangent that
//! breaks at a key) is sampled at every frame into linear keys, exact on each frame the shot
//! renders, within a budget of keys per import; past it the union of key times is used.
//!
//! This module does arithmetic only: reading the accessors and checking them against the
//! file is the importer's (see `gltf.rs`).

use crate::scene::{FRAME_RATES, Handles, Interpolation, Key, MAX_COMPONENTS, Transform, Value};
use glam::{Quat, Vec3, Vec4};

pub(super) use crate::export::gltf_animation::Interp;

/// One sampler's curve, checked: times finite, ≥ 0 and non-decreasing; `values` finite,
/// one per key (three per key for cubic: in-tangent, value, out-tangent), each of the
/// property's width (3, or 4 for a rotation quaternion x, y, z, w; unused lanes 0).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Curve {
    pub times: Vec<f32>,
    pub interp: Interp,
    pub values: Vec<[f32; 4]>,
}

impl Curve {
    /// Checks a sampler's data; the reason it is unusable otherwise.
    pub fn new(times: Vec<f32>, interp: Interp, values: Vec<[f32; 4]>) -> Result<Self, String> {
        if times.is_empty() {
            return Err("it has no keys".into());
        }
        if let Some(t) = times.iter().find(|t| !t.is_finite() || **t < 0.0) {
            return Err(format!("it has a key time of {t} s"));
        }
        if times.windows(2).any(|w| w[1] < w[0]) {
            return Err("its key times decrease".into());
        }
        let per_key = if interp == Interp::Cubic { 3 } else { 1 };
        if values.len() != times.len() * per_key {
            return Err(format!(
                "it has {} key times but {} output values (expected {})",
                times.len(),
                values.len(),
                times.len() * per_key
            ));
        }
        if values.iter().flatten().any(|v| !v.is_finite()) {
            return Err("it has an output value that is not a finite number".into());
        }
        Ok(Self {
            times,
            interp,
            values,
        })
    }

    fn value(&self, k: usize) -> Vec4 {
        let i = if self.interp == Interp::Cubic {
            3 * k + 1
        } else {
            k
        };
        Vec4::from_array(self.values[i])
    }

    fn in_tangent(&self, k: usize) -> Vec4 {
        Vec4::from_array(self.values[3 * k])
    }

    fn out_tangent(&self, k: usize) -> Vec4 {
        Vec4::from_array(self.values[3 * k + 2])
    }

    /// The value at `t` seconds as glTF defines it (held before the first key and after the
    /// last); rotations slerped (linear) or normalised (cubic).
    pub fn sample(&self, t: f32, rotation: bool) -> Vec4 {
        let n = self.times.len();
        if t <= self.times[0] {
            return self.value(0);
        }
        if t >= self.times[n - 1] {
            return self.value(n - 1);
        }
        let k = self.times.partition_point(|&x| x <= t) - 1;
        let (t0, t1) = (self.times[k], self.times[k + 1]);
        let dt = t1 - t0;
        if dt <= 0.0 {
            return self.value(k + 1);
        }
        let s = (t - t0) / dt;
        match self.interp {
            Interp::Step => self.value(k),
            Interp::Linear if rotation => {
                let a = Quat::from_vec4(self.value(k)).normalize();
                let b = Quat::from_vec4(self.value(k + 1)).normalize();
                Vec4::from(a.slerp(b, s))
            }
            Interp::Linear => self.value(k).lerp(self.value(k + 1), s),
            Interp::Cubic => {
                let (s2, s3) = (s * s, s * s * s);
                let v = (2.0 * s3 - 3.0 * s2 + 1.0) * self.value(k)
                    + (s3 - 2.0 * s2 + s) * dt * self.out_tangent(k)
                    + (-2.0 * s3 + 3.0 * s2) * self.value(k + 1)
                    + (s3 - s2) * dt * self.in_tangent(k + 1);
                if rotation { v.normalize_or_zero() } else { v }
            }
        }
    }

    /// Whether every key's in- and out-tangent agree (a smooth curve the timeline's one slope
    /// per key can hold).
    fn smooth(&self) -> bool {
        (0..self.times.len()).all(|k| {
            let (a, b) = (self.in_tangent(k), self.out_tangent(k));
            (a - b).abs().max_element() <= 1e-5 * (1.0 + a.abs().max(b.abs()).max_element())
        })
    }
}

/// A node's animated transform: its rest transform and the samplers that move it.
#[derive(Clone, Debug, Default)]
pub(super) struct NodeCurves {
    pub rest: Transform,
    pub translation: Option<Curve>,
    pub rotation: Option<Curve>,
    pub scale: Option<Curve>,
}

impl NodeCurves {
    /// The samplers that move the node.
    pub fn curves(&self) -> impl Iterator<Item = &Curve> + Clone {
        [&self.translation, &self.rotation, &self.scale]
            .into_iter()
            .flatten()
    }

    /// The node's transform at `t` seconds.
    pub fn at(&self, t: f32) -> Transform {
        let v3 = |c: &Option<Curve>, rest: Vec3| {
            c.as_ref().map_or(rest, |c| c.sample(t, false).truncate())
        };
        Transform {
            translation: v3(&self.translation, self.rest.translation),
            rotation: self.rotation.as_ref().map_or(self.rest.rotation, |c| {
                let q = Quat::from_vec4(c.sample(t, true));
                if q.length_squared() > 0.0 {
                    q.normalize()
                } else {
                    self.rest.rotation
                }
            }),
            scale: v3(&self.scale, self.rest.scale),
        }
    }

    /// The node's keys in a shot of `fps`, and whether they only approximate the file's
    /// motion between frames (sampled at its key times because `bake_budget`, the keys
    /// per-frame sampling may still make, ran out). Sampling every frame takes from the budget.
    pub fn keys(&self, fps: u32, bake_budget: &mut usize) -> (Vec<Key>, bool) {
        let lanes = [
            (&self.translation, 0, 3),
            (&self.rotation, 3, 4),
            (&self.scale, 7, 3),
        ];
        let parts: Vec<Part> = lanes
            .into_iter()
            .filter_map(|(curve, offset, width)| {
                let curve = curve.as_ref()?;
                Some(Part {
                    curve,
                    offset,
                    width,
                })
            })
            .collect();
        part_keys(&parts, fps, |t| Value::Transform(self.at(t)), bake_budget)
    }
}

/// One curve's share of a keyed value: its lanes `offset..offset + width` of the value's
/// components (a transform's rotation is lanes 3..7; a spot's outer angle lane 1).
pub(super) struct Part<'a> {
    pub curve: &'a Curve,
    pub offset: usize,
    pub width: usize,
}

/// The keys of a value made of `parts` in a shot of `fps` (`value_at` gives the value at a
/// time in seconds, lanes without a part at their rest), and whether they only approximate
/// it between its keys:
/// * all STEP or all LINEAR → constant or linear keys at the union of the key times (a
///   linear or slerped segment re-interpolated from an inner sample is the same motion);
/// * all CUBICSPLINE on one set of times with each key's in- and out-tangent equal → Bézier
///   keys whose free slopes are the tangents per frame (the timeline's Hermite segments are
///   glTF's);
/// * anything else → every frame, linear in between, from `bake_budget` (the keys per-frame
///   sampling may still make); past it, the union of key times, flagged.
pub(super) fn part_keys(
    parts: &[Part],
    fps: u32,
    value_at: impl Fn(f32) -> Value,
    bake_budget: &mut usize,
) -> (Vec<Key>, bool) {
    let Some(first) = parts.first().map(|p| p.curve) else {
        return (Vec::new(), false);
    };
    let fps_f = fps as f32;
    let key_at = |t: f32, interpolation: Interpolation| Key {
        interpolation,
        ..Key::new(frame_of(t, fps), value_at(t))
    };
    let all = |i: Interp| parts.iter().all(|p| p.curve.interp == i);
    let mut times: Vec<f32> = parts
        .iter()
        .flat_map(|p| p.curve.times.iter().copied())
        .collect();
    times.sort_by(f32::total_cmp);
    times.dedup();
    if all(Interp::Step) || all(Interp::Linear) {
        let interpolation = if all(Interp::Step) {
            Interpolation::Constant
        } else {
            Interpolation::Linear
        };
        return (
            times
                .into_iter()
                .map(|t| key_at(t, interpolation))
                .collect(),
            false,
        );
    }
    if all(Interp::Cubic)
        && parts
            .iter()
            .all(|p| p.curve.times == first.times && p.curve.smooth())
    {
        let keys = (0..first.times.len())
            .map(|k| {
                let mut slopes = [0.0; MAX_COMPONENTS];
                for p in parts {
                    let tangent = p.curve.out_tangent(k).to_array();
                    for (slope, t) in slopes[p.offset..p.offset + p.width].iter_mut().zip(tangent) {
                        *slope = t / fps_f;
                    }
                }
                Key {
                    handles: Handles::Free { slopes },
                    ..key_at(first.times[k], Interpolation::Bezier)
                }
            })
            .collect();
        return (keys, false);
    }
    let end = times.last().copied().unwrap_or(0.0);
    let last = (end * fps_f).ceil().max(0.0) as usize;
    if last >= *bake_budget {
        return (
            times
                .into_iter()
                .map(|t| key_at(t, Interpolation::Linear))
                .collect(),
            true,
        );
    }
    *bake_budget -= last + 1;
    let keys = (0..=last)
        .map(|f| key_at(f as f32 / fps_f, Interpolation::Linear))
        .collect();
    (keys, false)
}

/// The keys of one value (a field of view, a light's colour, a material factor: `value` makes
/// it from a sample's lanes) in a shot of `fps`: [`part_keys`] of one part.
pub(super) fn value_keys(
    curve: &Curve,
    fps: u32,
    value: impl Fn(Vec4) -> Value,
    bake_budget: &mut usize,
) -> (Vec<Key>, bool) {
    let part = Part {
        curve,
        offset: 0,
        width: 4,
    };
    part_keys(&[part], fps, |t| value(curve.sample(t, false)), bake_budget)
}

/// The keys of a value whose lanes come from separate scalar curves (a spot's inner and
/// outer cone angle are two glTF properties), a lane without a curve held at its `rest`:
/// [`part_keys`] of one part per present lane.
pub(super) fn lane_keys(
    lanes: &[Option<&Curve>],
    rest: &[f32],
    fps: u32,
    value: impl Fn(&[f32]) -> Value,
    bake_budget: &mut usize,
) -> (Vec<Key>, bool) {
    let parts: Vec<Part> = lanes
        .iter()
        .enumerate()
        .filter_map(|(offset, curve)| {
            Some(Part {
                curve: (*curve)?,
                offset,
                width: 1,
            })
        })
        .collect();
    let at = |t: f32| -> Vec<f32> {
        lanes
            .iter()
            .zip(rest)
            .map(|(c, r)| c.map_or(*r, |c| c.sample(t, false).x))
            .collect()
    };
    part_keys(&parts, fps, |t| value(&at(t)), bake_budget)
}

/// The frame a time falls on at `fps`, snapped to the whole frame when within a thousandth
/// of one (exporters write 1/24 s as the nearest f32).
pub(super) fn frame_of(t: f32, fps: u32) -> f32 {
    let f = t * fps as f32;
    let whole = f.round();
    if (f - whole).abs() < 1e-3 { whole } else { f }
}

/// The shot frame rate on whose frames the key times fall best (the first of
/// [`FRAME_RATES`] among equals: 24 for times on whole seconds).
pub(super) fn frame_rate_for(times: impl Iterator<Item = f32> + Clone) -> u32 {
    let mut best = (FRAME_RATES[0], f64::INFINITY);
    for fps in FRAME_RATES {
        let error: f64 = times
            .clone()
            .map(|t| {
                let f = f64::from(t) * f64::from(fps);
                (f - f.round()).abs()
            })
            .sum();
        if error < best.1 - 1e-6 {
            best = (fps, error);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Channel, NodeId, Track};

    fn track(keys: Vec<Key>) -> Track {
        let mut track = Track::new(Channel::Transform(NodeId(1)));
        track.set_keys(keys);
        track
    }

    /// The largest difference between the file's motion and the track's, over every frame
    /// and the midpoints between frames.
    fn worst(curves: &NodeCurves, fps: u32, track: &Track) -> (f32, f32) {
        let (mut on_frames, mut between) = (0.0f32, 0.0f32);
        let end = curves
            .curves()
            .filter_map(|c| c.times.last().copied())
            .fold(0.0, f32::max);
        let last = (end * fps as f32).ceil() as i32 + 2;
        for half in 0..=2 * last {
            let frame = half as f32 / 2.0;
            let want = curves.at(frame / fps as f32);
            let Some(Value::Transform(got)) = track.sample(frame) else {
                panic!("no value at {frame}")
            };
            let d = (want.translation - got.translation)
                .abs()
                .max_element()
                .max((want.scale - got.scale).abs().max_element())
                .max(1.0 - want.rotation.dot(got.rotation).abs());
            if half % 2 == 0 {
                on_frames = on_frames.max(d);
            } else {
                between = between.max(d);
            }
        }
        (on_frames, between)
    }

    fn v3(v: [f32; 3]) -> [f32; 4] {
        [v[0], v[1], v[2], 0.0]
    }

    fn quat_y(deg: f32) -> [f32; 4] {
        Quat::from_rotation_y(deg.to_radians()).to_array()
    }

    #[test]
    fn linear_channels_on_different_times_are_exact() {
        let curves = NodeCurves {
            rest: Transform::IDENTITY,
            translation: Some(
                Curve::new(
                    vec![0.0, 0.5, 2.0],
                    Interp::Linear,
                    vec![v3([0.0; 3]), v3([1.0, 2.0, 0.0]), v3([-3.0, 0.0, 4.0])],
                )
                .unwrap(),
            ),
            rotation: Some(
                Curve::new(
                    vec![0.25, 1.75],
                    Interp::Linear,
                    vec![quat_y(0.0), quat_y(170.0)],
                )
                .unwrap(),
            ),
            scale: None,
        };
        let mut budget = 0;
        let (keys, approximate) = curves.keys(24, &mut budget);
        assert!(!approximate);
        assert_eq!(keys.len(), 5, "key times of both samplers");
        let (on, between) = worst(&curves, 24, &track(keys));
        assert!(on < 1e-5 && between < 1e-5, "off by {on} / {between}");
    }

    #[test]
    fn step_channels_hold_exactly() {
        let curves = NodeCurves {
            rest: Transform::IDENTITY,
            translation: None,
            rotation: None,
            scale: Some(
                Curve::new(
                    vec![0.0, 1.0, 1.5],
                    Interp::Step,
                    vec![v3([1.0; 3]), v3([2.0; 3]), v3([0.5; 3])],
                )
                .unwrap(),
            ),
        };
        let (keys, _) = curves.keys(30, &mut 0);
        assert!(
            keys.iter()
                .all(|k| k.interpolation == Interpolation::Constant)
        );
        let (on, between) = worst(&curves, 30, &track(keys));
        assert!(on == 0.0 && between == 0.0, "off by {on} / {between}");
    }

    #[test]
    fn cubic_splines_become_bezier_keys_with_the_files_tangents() {
        // Translation and rotation on the same times, smooth tangents (in = out).
        let t = vec![0.0, 1.0, 2.5];
        let tr = |p: [f32; 3], m: [f32; 3]| [v3(m), v3(p), v3(m)];
        let rot = |deg: f32, m: [f32; 4]| [m, quat_y(deg), m];
        let translation: Vec<[f32; 4]> = [
            tr([0.0; 3], [2.0, 0.0, 0.0]),
            tr([1.0, 1.0, 0.0], [0.0, 3.0, -1.0]),
            tr([2.0, 0.0, 0.5], [1.0, 0.0, 0.0]),
        ]
        .concat();
        let rotation: Vec<[f32; 4]> = [
            rot(0.0, [0.0, 0.3, 0.0, 0.0]),
            rot(60.0, [0.0, 0.2, 0.0, -0.1]),
            rot(90.0, [0.0; 4]),
        ]
        .concat();
        let curves = NodeCurves {
            rest: Transform::IDENTITY,
            translation: Some(Curve::new(t.clone(), Interp::Cubic, translation).unwrap()),
            rotation: Some(Curve::new(t, Interp::Cubic, rotation).unwrap()),
            scale: None,
        };
        let (keys, approximate) = curves.keys(24, &mut 0);
        assert!(!approximate);
        assert_eq!(keys.len(), 3);
        assert!(
            keys.iter()
                .all(|k| matches!(k.handles, Handles::Free { .. }))
        );
        let (on, between) = worst(&curves, 24, &track(keys));
        assert!(on < 1e-5 && between < 1e-5, "off by {on} / {between}");
    }

    #[test]
    fn mixed_interpolations_are_sampled_on_every_frame() {
        let curves = NodeCurves {
            rest: Transform::IDENTITY,
            translation: Some(
                Curve::new(
                    vec![0.0, 1.0],
                    Interp::Step,
                    vec![v3([0.0; 3]), v3([5.0, 0.0, 0.0])],
                )
                .unwrap(),
            ),
            rotation: Some(
                Curve::new(
                    vec![0.0, 1.0],
                    Interp::Linear,
                    vec![quat_y(0.0), quat_y(90.0)],
                )
                .unwrap(),
            ),
            scale: None,
        };
        let mut budget = 1000;
        let (keys, approximate) = curves.keys(24, &mut budget);
        assert!(!approximate);
        assert_eq!(keys.len(), 25);
        assert_eq!(budget, 975);
        let (on, _) = worst(&curves, 24, &track(keys));
        assert!(on < 1e-5, "off by {on} on frames");
        // Out of budget: the key times only, flagged.
        let (keys, approximate) = curves.keys(24, &mut 3);
        assert!(approximate);
        assert_eq!(keys.len(), 2);
    }

    #[test]
    fn value_curves_map_onto_keys_exactly() {
        let float = |v: Vec4| Value::Float(v.x);
        let check = |curve: Curve, exact_between: bool| {
            let (keys, approximate) = value_keys(&curve, 24, float, &mut 10_000);
            assert!(!approximate);
            let mut track = Track::new(Channel::Exposure);
            track.set_keys(keys);
            for half in 0..=100 {
                let frame = half as f32 / 2.0;
                let want = curve.sample(frame / 24.0, false).x;
                let Some(Value::Float(got)) = track.sample(frame) else {
                    panic!()
                };
                if half % 2 == 0 || exact_between {
                    assert!(
                        (want - got).abs() < 1e-5,
                        "{:?} at {frame}: {want} vs {got}",
                        curve.interp
                    );
                }
            }
        };
        let s = |v: f32| [v, 0.0, 0.0, 0.0];
        check(
            Curve::new(
                vec![0.0, 0.5, 2.0],
                Interp::Step,
                vec![s(1.0), s(3.0), s(-2.0)],
            )
            .unwrap(),
            true,
        );
        check(
            Curve::new(
                vec![0.0, 0.5, 2.0],
                Interp::Linear,
                vec![s(1.0), s(3.0), s(-2.0)],
            )
            .unwrap(),
            true,
        );
        let smooth = vec![s(2.0), s(0.0), s(2.0), s(-1.0), s(1.0), s(-1.0)];
        check(
            Curve::new(vec![0.0, 1.5], Interp::Cubic, smooth).unwrap(),
            true,
        );
        let broken = vec![s(2.0), s(0.0), s(-3.0), s(1.0), s(1.0), s(0.0)];
        check(
            Curve::new(vec![0.0, 1.5], Interp::Cubic, broken).unwrap(),
            false,
        );
    }

    #[test]
    fn lanes_from_separate_curves_make_one_value() {
        let s = |v: f32| [v, 0.0, 0.0, 0.0];
        let inner = Curve::new(vec![0.0, 1.0], Interp::Linear, vec![s(0.1), s(0.3)]).unwrap();
        let outer = Curve::new(vec![0.5, 2.0], Interp::Linear, vec![s(0.6), s(0.9)]).unwrap();
        let pair = |v: &[f32]| Value::Vec2([v[0], v[1]]);
        for lanes in [[Some(&inner), None], [Some(&inner), Some(&outer)]] {
            let (keys, approximate) = lane_keys(&lanes, &[0.2, 0.7], 24, pair, &mut 0);
            assert!(!approximate);
            let mut track = Track::new(Channel::Exposure);
            track.set_keys(keys);
            for half in 0..=110 {
                let frame = half as f32 / 2.0;
                let t = frame / 24.0;
                let want = [
                    inner.sample(t, false).x,
                    lanes[1].map_or(0.7, |c| c.sample(t, false).x),
                ];
                let Some(Value::Vec2(got)) = track.sample(frame) else {
                    panic!()
                };
                assert!(
                    (want[0] - got[0]).abs() < 1e-6 && (want[1] - got[1]).abs() < 1e-6,
                    "{frame}: {want:?} vs {got:?}"
                );
            }
        }
    }

    #[test]
    fn bad_samplers_are_refused_with_a_reason() {
        let one = vec![v3([0.0; 3])];
        assert!(Curve::new(vec![], Interp::Linear, vec![]).is_err());
        assert!(Curve::new(vec![f32::NAN], Interp::Linear, one.clone()).is_err());
        assert!(Curve::new(vec![-1.0], Interp::Linear, one.clone()).is_err());
        assert!(
            Curve::new(
                vec![1.0, 0.5],
                Interp::Linear,
                [one.clone(), one.clone()].concat()
            )
            .is_err()
        );
        assert!(
            Curve::new(vec![0.0], Interp::Cubic, one.clone()).is_err(),
            "cubic needs 3 per key"
        );
        assert!(
            Curve::new(
                vec![0.0],
                Interp::Linear,
                vec![[f32::INFINITY, 0.0, 0.0, 0.0]]
            )
            .is_err()
        );
        assert!(Curve::new(vec![0.0], Interp::Linear, one).is_ok());
    }

    #[test]
    fn frame_rates_follow_the_key_times() {
        let at = |fps: f32, n: usize| (0..n).map(move |i| i as f32 / fps);
        assert_eq!(frame_rate_for(at(24.0, 50)), 24);
        assert_eq!(frame_rate_for(at(30.0, 50)), 30);
        assert_eq!(frame_rate_for(at(25.0, 50)), 25);
        assert_eq!(frame_rate_for(at(60.0, 50)), 60);
        assert_eq!(frame_rate_for([0.0, 1.0, 2.0].into_iter()), 24);
        assert_eq!(frame_of(1.0 / 24.0, 24), 1.0);
        assert_eq!(frame_of(0.5 / 24.0, 24), 0.5);
    }
}
