//! Shots and keyframed animation: the timeline that turns an edited world into clips.
//!
//! A [`Shot`] is a named range of frames (`0..frames`) with its own frame rate, output size,
//! camera, variant and animation [`Track`]s. Tracks key one value each (a node's transform or
//! visibility, a camera's field of view, a light's colour/intensity/cone, a material value,
//! the exposure). [`Scene::sampled`] is the scene as a shot shows it at a frame: the shot's
//! variant resolved, then every track's value set; geometry stays shared, so sampling a frame
//! costs a node/material copy, never a mesh.
//!
//! Interpolation is per key and governs the segment to the next key (as in Blender):
//! constant (hold), linear, or Bézier with auto-clamped, eased or free handles. Values are
//! interpolated per component; rotations as quaternions (slerp when linear, normalised
//! component curves when Bézier, always along the shorter arc).

use std::hash::{Hash, Hasher};

use glam::{Quat, Vec3};
use serde::{Deserialize, Serialize};

use super::{
    LightKind, Material, MaterialId, NodeId, NodeKind, Revision, Scene, Transform, VariantId,
};

/// Identifies a shot for the lifetime of a project.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub struct ShotId(pub u64);

/// The smallest half height an animated orthographic camera takes (a Bézier curve may
/// overshoot below zero).
pub const MIN_ORTHO_HALF_HEIGHT: f32 = 1e-4;

/// Frame rates a shot can have.
pub const FRAME_RATES: [u32; 4] = [24, 25, 30, 60];

/// Which value a track animates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Channel {
    /// A node's transform relative to its parent (cameras and the sun's direction too).
    Transform(NodeId),
    /// Whether a node is shown (always held: a visibility never blends).
    Visible(NodeId),
    /// A camera's vertical field of view, radians.
    FieldOfView(NodeId),
    /// A light's linear RGB colour.
    LightColor(NodeId),
    /// A light's intensity (lux for the sun, candela for lamps).
    LightIntensity(NodeId),
    /// A spot light's inner and outer cone angles, radians.
    SpotCone(NodeId),
    /// A material's base colour factor (linear RGBA).
    BaseColor(MaterialId),
    Metallic(MaterialId),
    Roughness(MaterialId),
    /// A material's emissive colour (linear RGB).
    Emissive(MaterialId),
    EmissiveStrength(MaterialId),
    /// A material's specular strength (KHR_materials_specular).
    Specular(MaterialId),
    /// A material's transmission (KHR_materials_transmission).
    Transmission(MaterialId),
    /// A material's clearcoat strength (KHR_materials_clearcoat).
    Clearcoat(MaterialId),
    /// A material's sheen colour (KHR_materials_sheen, linear RGB 0–1).
    SheenColor(MaterialId),
    /// A material's sheen roughness (KHR_materials_sheen, 0–1).
    SheenRoughness(MaterialId),
    /// A material's anisotropy strength (KHR_materials_anisotropy, 0–1).
    Anisotropy(MaterialId),
    /// A material's iridescence factor (KHR_materials_iridescence, 0–1).
    Iridescence(MaterialId),
    /// The thickness of a material's iridescent film where its thickness texture is white
    /// or absent (nanometres, ≥ 0): animated, the colours flow as on a soap bubble.
    IridescenceThickness(MaterialId),
    /// A material's diffuse transmission (KHR_materials_diffuse_transmission, 0–1).
    DiffuseTransmission(MaterialId),
    /// The scene's exposure (EV100).
    Exposure,
    /// The weight of one morph target (shape key) of a mesh node: the node and the
    /// target's index.
    MorphWeight(NodeId, u16),
    /// An orthographic camera's size: half its frame's height in metres (glTF's `ymag`).
    OrthoSize(NodeId),
}

impl Channel {
    /// The node this channel belongs to, if any.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Channel::Transform(n)
            | Channel::Visible(n)
            | Channel::FieldOfView(n)
            | Channel::LightColor(n)
            | Channel::LightIntensity(n)
            | Channel::SpotCone(n)
            | Channel::MorphWeight(n, _)
            | Channel::OrthoSize(n) => Some(n),
            _ => None,
        }
    }

    /// The material this channel belongs to, if any.
    pub fn material(self) -> Option<MaterialId> {
        match self {
            Channel::BaseColor(m)
            | Channel::Metallic(m)
            | Channel::Roughness(m)
            | Channel::Emissive(m)
            | Channel::EmissiveStrength(m)
            | Channel::Specular(m)
            | Channel::Transmission(m)
            | Channel::Clearcoat(m)
            | Channel::SheenColor(m)
            | Channel::SheenRoughness(m)
            | Channel::Anisotropy(m)
            | Channel::Iridescence(m)
            | Channel::IridescenceThickness(m)
            | Channel::DiffuseTransmission(m) => Some(m),
            _ => None,
        }
    }

    /// What the channel is called in the timeline ("Transform", "Intensity").
    pub fn label(self) -> &'static str {
        match self {
            Channel::Transform(_) => "Transform",
            Channel::Visible(_) => "Visible",
            Channel::FieldOfView(_) => "Field of view",
            Channel::LightColor(_) => "Light colour",
            Channel::LightIntensity(_) => "Intensity",
            Channel::SpotCone(_) => "Cone angles",
            Channel::BaseColor(_) => "Base colour",
            Channel::Metallic(_) => "Metallic",
            Channel::Roughness(_) => "Roughness",
            Channel::Emissive(_) => "Emissive",
            Channel::EmissiveStrength(_) => "Emissive strength",
            Channel::Specular(_) => "Specular",
            Channel::Transmission(_) => "Transmission",
            Channel::Clearcoat(_) => "Clearcoat",
            Channel::SheenColor(_) => "Sheen colour",
            Channel::SheenRoughness(_) => "Sheen roughness",
            Channel::Anisotropy(_) => "Anisotropy",
            Channel::Iridescence(_) => "Iridescence",
            Channel::IridescenceThickness(_) => "Film thickness",
            Channel::DiffuseTransmission(_) => "Diffuse transmission",
            Channel::Exposure => "Exposure",
            Channel::MorphWeight(..) => "Shape weight",
            Channel::OrthoSize(_) => "Ortho size",
        }
    }

    /// What the channel is called in `scene` for its row in the timeline: its
    /// [`Channel::label`], or the morph target's own name ("Smile").
    pub fn title(self, scene: &Scene) -> String {
        match self {
            Channel::MorphWeight(node, k) => {
                let k = usize::from(k);
                scene
                    .morph(node)
                    .and_then(|m| m.names.get(k).cloned())
                    .unwrap_or_else(|| super::morph::default_target_name(k))
            }
            _ => self.label().to_owned(),
        }
    }

    /// Names of the value's components, for the curve editor.
    pub fn component_names(self) -> &'static [&'static str] {
        match self {
            Channel::Transform(_) => &[
                "X", "Y", "Z", "Rot X", "Rot Y", "Rot Z", "Rot W", "Scale X", "Scale Y", "Scale Z",
            ],
            Channel::LightColor(_) | Channel::Emissive(_) | Channel::SheenColor(_) => {
                &["R", "G", "B"]
            }
            Channel::BaseColor(_) => &["R", "G", "B", "A"],
            Channel::SpotCone(_) => &["Inner", "Outer"],
            Channel::Visible(_) => &["Visible"],
            Channel::FieldOfView(_) => &["Field of view"],
            Channel::LightIntensity(_) => &["Intensity"],
            Channel::Metallic(_) => &["Metallic"],
            Channel::Roughness(_) => &["Roughness"],
            Channel::EmissiveStrength(_) => &["Strength"],
            Channel::Specular(_) => &["Specular"],
            Channel::Transmission(_) => &["Transmission"],
            Channel::Clearcoat(_) => &["Clearcoat"],
            Channel::SheenRoughness(_) => &["Sheen roughness"],
            Channel::Anisotropy(_) => &["Strength"],
            Channel::Iridescence(_) => &["Iridescence"],
            Channel::IridescenceThickness(_) => &["Thickness (nm)"],
            Channel::DiffuseTransmission(_) => &["Diffuse transmission"],
            Channel::Exposure => &["EV100"],
            Channel::MorphWeight(..) => &["Weight"],
            Channel::OrthoSize(_) => &["Half height (m)"],
        }
    }

    /// The channel's current value in `scene`; `None` when its node, light, camera or
    /// material is not there (or is of another kind).
    pub fn read(self, scene: &Scene) -> Option<Value> {
        let light = |n: NodeId| match &scene.node(n)?.kind {
            NodeKind::Light(l) => Some(*l),
            _ => None,
        };
        Some(match self {
            Channel::Transform(n) => Value::Transform(scene.node(n)?.transform),
            Channel::Visible(n) => Value::Bool(scene.node(n)?.visible),
            Channel::FieldOfView(n) => match &scene.node(n)?.kind {
                NodeKind::Camera(c) => Value::Float(c.fov_y_rad),
                _ => return None,
            },
            Channel::OrthoSize(n) => match &scene.node(n)?.kind {
                NodeKind::Camera(c) => Value::Float(c.ortho_half_height?),
                _ => return None,
            },
            Channel::LightColor(n) => Value::Vec3(light(n)?.color),
            Channel::LightIntensity(n) => Value::Float(light(n)?.intensity),
            Channel::SpotCone(n) => match light(n)?.kind {
                LightKind::Spot {
                    inner_cone_rad,
                    outer_cone_rad,
                } => Value::Vec2([inner_cone_rad, outer_cone_rad]),
                _ => return None,
            },
            Channel::Exposure => Value::Float(scene.environment.exposure_ev100),
            Channel::MorphWeight(n, k) => {
                Value::Float(*scene.morph(n)?.weights.get(usize::from(k))?)
            }
            _ => self.material_value(scene.material(self.material()?)?)?,
        })
    }

    /// Sets the channel's value on `scene` directly (no revision stamps: the caller owns
    /// them). A value of the wrong shape or a missing target is ignored.
    fn write(self, scene: &mut Scene, value: &Value) {
        match (self, value) {
            (Channel::Transform(n), Value::Transform(t)) => {
                if let Some(node) = scene.nodes.get_mut(&n) {
                    node.transform = *t;
                }
            }
            (Channel::Visible(n), Value::Bool(v)) => {
                if let Some(node) = scene.nodes.get_mut(&n) {
                    node.visible = *v;
                }
            }
            (Channel::FieldOfView(n), Value::Float(v)) => {
                if let Some(NodeKind::Camera(c)) = scene.nodes.get_mut(&n).map(|n| &mut n.kind) {
                    c.fov_y_rad = v.clamp(1e-3, std::f32::consts::PI - 1e-3);
                }
            }
            (Channel::OrthoSize(n), Value::Float(v)) => {
                // Only an orthographic camera has a size; an overshooting curve stays positive.
                if let Some(NodeKind::Camera(c)) = scene.nodes.get_mut(&n).map(|n| &mut n.kind)
                    && c.ortho_half_height.is_some()
                    && v.is_finite()
                {
                    c.ortho_half_height = Some(v.max(MIN_ORTHO_HALF_HEIGHT));
                }
            }
            (Channel::LightColor(n), Value::Vec3(v)) => {
                if let Some(l) = light_mut(scene, n) {
                    l.color = v.map(|c| c.max(0.0));
                }
            }
            (Channel::LightIntensity(n), Value::Float(v)) => {
                if let Some(l) = light_mut(scene, n) {
                    l.intensity = v.max(0.0);
                }
            }
            (Channel::SpotCone(n), Value::Vec2([inner, outer])) => {
                if let Some(l) = light_mut(scene, n)
                    && let LightKind::Spot {
                        inner_cone_rad,
                        outer_cone_rad,
                    } = &mut l.kind
                {
                    let outer = outer.clamp(1e-3, std::f32::consts::FRAC_PI_2);
                    *outer_cone_rad = outer;
                    *inner_cone_rad = inner.clamp(0.0, outer);
                }
            }
            (Channel::Exposure, Value::Float(v)) => scene.environment.exposure_ev100 = *v,
            (Channel::MorphWeight(n, k), Value::Float(v)) => {
                if let Some(w) = scene
                    .morphs
                    .get_mut(&n)
                    .and_then(|m| m.weights.get_mut(usize::from(k)))
                {
                    *w = *v;
                }
            }
            _ => {
                if let Some(mat) = self.material().and_then(|m| scene.materials.get_mut(&m)) {
                    self.set_material_value(mat, value, true);
                }
            }
        }
    }

    /// The channels of material `m`: every material value a timeline can animate.
    pub fn of_material(m: MaterialId) -> [Channel; 14] {
        [
            Channel::BaseColor(m),
            Channel::Metallic(m),
            Channel::Roughness(m),
            Channel::Emissive(m),
            Channel::EmissiveStrength(m),
            Channel::Specular(m),
            Channel::Transmission(m),
            Channel::Clearcoat(m),
            Channel::SheenColor(m),
            Channel::SheenRoughness(m),
            Channel::Anisotropy(m),
            Channel::Iridescence(m),
            Channel::IridescenceThickness(m),
            Channel::DiffuseTransmission(m),
        ]
    }

    /// The value this material channel animates, as `material` has it (`None` for channels
    /// of nodes or the environment).
    pub fn material_value(self, material: &Material) -> Option<Value> {
        Some(match self {
            Channel::BaseColor(_) => Value::Vec4(material.base_color),
            Channel::Metallic(_) => Value::Float(material.metallic),
            Channel::Roughness(_) => Value::Float(material.roughness),
            Channel::Emissive(_) => Value::Vec3(material.emissive),
            Channel::EmissiveStrength(_) => Value::Float(material.emissive_strength),
            Channel::Specular(_) => Value::Float(material.specular),
            Channel::Transmission(_) => Value::Float(material.transmission),
            Channel::Clearcoat(_) => Value::Float(material.clearcoat),
            Channel::SheenColor(_) => Value::Vec3(material.sheen_color),
            Channel::SheenRoughness(_) => Value::Float(material.sheen_roughness),
            Channel::Anisotropy(_) => Value::Float(material.anisotropy_strength),
            Channel::Iridescence(_) => Value::Float(material.iridescence),
            Channel::IridescenceThickness(_) => Value::Float(material.iridescence_thickness[1]),
            Channel::DiffuseTransmission(_) => Value::Float(material.diffuse_transmission),
            _ => return None,
        })
    }

    /// Sets this material channel's value on `material`; with `limit`, kept to the value's
    /// range (factors 0–1, colours and strengths ≥ 0) as keyed values are. A value of the
    /// wrong shape, or a channel that is not a material's, changes nothing.
    pub fn set_material_value(self, material: &mut Material, value: &Value, limit: bool) {
        let unit = |v: f32| if limit { v.clamp(0.0, 1.0) } else { v };
        let positive = |v: f32| if limit { v.max(0.0) } else { v };
        match (self, value) {
            (Channel::BaseColor(_), Value::Vec4(v)) => material.base_color = v.map(unit),
            (Channel::Metallic(_), Value::Float(v)) => material.metallic = unit(*v),
            (Channel::Roughness(_), Value::Float(v)) => material.roughness = unit(*v),
            (Channel::Emissive(_), Value::Vec3(v)) => material.emissive = v.map(positive),
            (Channel::EmissiveStrength(_), Value::Float(v)) => {
                material.emissive_strength = positive(*v);
            }
            (Channel::Specular(_), Value::Float(v)) => material.specular = unit(*v),
            (Channel::Transmission(_), Value::Float(v)) => material.transmission = unit(*v),
            (Channel::Clearcoat(_), Value::Float(v)) => material.clearcoat = unit(*v),
            (Channel::SheenColor(_), Value::Vec3(v)) => material.sheen_color = v.map(unit),
            (Channel::SheenRoughness(_), Value::Float(v)) => material.sheen_roughness = unit(*v),
            (Channel::Anisotropy(_), Value::Float(v)) => material.anisotropy_strength = unit(*v),
            (Channel::Iridescence(_), Value::Float(v)) => material.iridescence = unit(*v),
            (Channel::IridescenceThickness(_), Value::Float(v)) => {
                material.iridescence_thickness[1] = positive(*v);
            }
            (Channel::DiffuseTransmission(_), Value::Float(v)) => {
                material.diffuse_transmission = unit(*v);
            }
            _ => {}
        }
    }

    /// Which revision stamp a change of this channel moves.
    fn part(self) -> Part {
        match self {
            Channel::Transform(_) | Channel::Visible(_) => Part::Transforms,
            // A new weight makes a new mesh.
            Channel::FieldOfView(_) | Channel::OrthoSize(_) | Channel::MorphWeight(..) => {
                Part::Structure
            }
            Channel::LightColor(_) | Channel::LightIntensity(_) | Channel::SpotCone(_) => {
                Part::Lights
            }
            Channel::BaseColor(_)
            | Channel::Metallic(_)
            | Channel::Roughness(_)
            | Channel::Emissive(_)
            | Channel::EmissiveStrength(_)
            | Channel::Specular(_)
            | Channel::Transmission(_)
            | Channel::Clearcoat(_)
            | Channel::SheenColor(_)
            | Channel::SheenRoughness(_)
            | Channel::Anisotropy(_)
            | Channel::Iridescence(_)
            | Channel::IridescenceThickness(_)
            | Channel::DiffuseTransmission(_) => Part::Materials,
            Channel::Exposure => Part::Environment,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Structure,
    Transforms,
    Lights,
    Materials,
    Environment,
}

fn light_mut(scene: &mut Scene, n: NodeId) -> Option<&mut super::Light> {
    match &mut scene.nodes.get_mut(&n)?.kind {
        NodeKind::Light(l) => Some(l),
        _ => None,
    }
}

/// A keyed value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Float(f32),
    Vec2([f32; 2]),
    Vec3([f32; 3]),
    Vec4([f32; 4]),
    Bool(bool),
    Transform(Transform),
}

/// Most components a value has (a transform: translation, rotation quaternion, scale).
pub const MAX_COMPONENTS: usize = 10;

/// A value's components as plain numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Components {
    pub len: usize,
    pub values: [f32; MAX_COMPONENTS],
}

impl Components {
    pub fn as_slice(&self) -> &[f32] {
        &self.values[..self.len]
    }
}

impl Value {
    pub fn components(&self) -> Components {
        let mut values = [0.0; MAX_COMPONENTS];
        let src: &[f32] = match self {
            Value::Float(v) => std::slice::from_ref(v),
            Value::Vec2(v) => v,
            Value::Vec3(v) => v,
            Value::Vec4(v) => v,
            Value::Bool(b) => {
                values[0] = if *b { 1.0 } else { 0.0 };
                return Components { len: 1, values };
            }
            Value::Transform(t) => {
                values[..3].copy_from_slice(&t.translation.to_array());
                values[3..7].copy_from_slice(&t.rotation.to_array());
                values[7..10].copy_from_slice(&t.scale.to_array());
                return Components { len: 10, values };
            }
        };
        values[..src.len()].copy_from_slice(src);
        Components {
            len: src.len(),
            values,
        }
    }

    /// A value of this one's shape made of `c` (rotations normalised).
    pub fn with_components(&self, c: &[f32; MAX_COMPONENTS]) -> Value {
        match self {
            Value::Float(_) => Value::Float(c[0]),
            Value::Vec2(_) => Value::Vec2([c[0], c[1]]),
            Value::Vec3(_) => Value::Vec3([c[0], c[1], c[2]]),
            Value::Vec4(_) => Value::Vec4([c[0], c[1], c[2], c[3]]),
            Value::Bool(_) => Value::Bool(c[0] >= 0.5),
            Value::Transform(_) => {
                let q = Quat::from_xyzw(c[3], c[4], c[5], c[6]);
                let rotation = if q.length_squared() > 1e-12 {
                    q.normalize()
                } else {
                    Quat::IDENTITY
                };
                Value::Transform(Transform {
                    translation: Vec3::new(c[0], c[1], c[2]),
                    rotation,
                    scale: Vec3::new(c[7], c[8], c[9]),
                })
            }
        }
    }

    /// Whether two values have the same shape (a key of a track must match its channel).
    pub fn same_shape(&self, other: &Value) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }

    pub fn is_finite(&self) -> bool {
        self.components().as_slice().iter().all(|v| v.is_finite())
    }
}

/// How a segment from a key to the next is filled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Interpolation {
    /// Hold the key's value until the next key.
    Constant,
    Linear,
    /// A cubic curve shaped by the keys' handles.
    #[default]
    Bezier,
}

impl Interpolation {
    pub const ALL: [Interpolation; 3] = [
        Interpolation::Constant,
        Interpolation::Linear,
        Interpolation::Bezier,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Interpolation::Constant => "Constant",
            Interpolation::Linear => "Linear",
            Interpolation::Bezier => "Bézier",
        }
    }
}

/// The handles of a key on a Bézier segment: the curve's slope through the key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Handles {
    /// Smooth through the key (Catmull-Rom slopes), flattened at a local peak or dip and
    /// limited so the curve never overshoots its neighbours (Blender's "auto clamped").
    #[default]
    Auto,
    /// Flat: the motion eases out of and into the key.
    Eased,
    /// Slopes set by hand in the curve editor, per component, in value units per frame.
    Free { slopes: [f32; MAX_COMPONENTS] },
}

impl Handles {
    pub fn label(&self) -> &'static str {
        match self {
            Handles::Auto => "Auto",
            Handles::Eased => "Eased",
            Handles::Free { .. } => "Free",
        }
    }
}

/// One keyframe.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Key {
    /// The frame the key sits on (whole frames when set from the UI).
    pub frame: f32,
    pub value: Value,
    /// How the segment to the next key is filled.
    #[serde(default)]
    pub interpolation: Interpolation,
    #[serde(default)]
    pub handles: Handles,
}

impl Key {
    pub fn new(frame: f32, value: Value) -> Self {
        Self {
            frame,
            value,
            interpolation: Interpolation::default(),
            handles: Handles::default(),
        }
    }
}

/// The keys of one channel, sorted by frame, at most one per frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub channel: Channel,
    keys: Vec<Key>,
}

/// Two keys closer than this sit on the same frame.
const SAME_FRAME: f32 = 1e-3;

impl Track {
    pub fn new(channel: Channel) -> Self {
        Self {
            channel,
            keys: Vec::new(),
        }
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Index of the key on `frame`, if there is one.
    pub fn key_at(&self, frame: f32) -> Option<usize> {
        self.keys
            .iter()
            .position(|k| (k.frame - frame).abs() < SAME_FRAME)
    }

    /// Puts `key` on its frame, replacing a key already there but keeping that key's
    /// interpolation and handles when `keep_shape` is set (re-keying a value). Keys of
    /// another shape than the track's, or with non-finite numbers, are refused (false).
    pub fn set_key(&mut self, key: Key, keep_shape: bool) -> bool {
        if !key.value.is_finite() || !key.frame.is_finite() {
            return false;
        }
        if let Some(first) = self.keys.first()
            && !first.value.same_shape(&key.value)
        {
            return false;
        }
        match self.key_at(key.frame) {
            Some(i) => {
                let old = self.keys[i];
                self.keys[i] = if keep_shape {
                    Key {
                        interpolation: old.interpolation,
                        handles: old.handles,
                        ..key
                    }
                } else {
                    key
                };
            }
            None => {
                let i = self.keys.partition_point(|k| k.frame < key.frame);
                self.keys.insert(i, key);
            }
        }
        true
    }

    /// Removes the key on `frame`; returns it.
    pub fn remove_key(&mut self, frame: f32) -> Option<Key> {
        let i = self.key_at(frame)?;
        Some(self.keys.remove(i))
    }

    /// Replaces all keys (sorted, one per frame: a later key on the same frame wins).
    pub fn set_keys(&mut self, keys: impl IntoIterator<Item = Key>) {
        let mut all: Vec<Key> = keys
            .into_iter()
            .filter(|k| k.value.is_finite() && k.frame.is_finite())
            .collect();
        if let Some(first) = all.first().copied() {
            all.retain(|k| k.value.same_shape(&first.value));
        }
        all.sort_by(|a, b| a.frame.total_cmp(&b.frame));
        let mut out: Vec<Key> = Vec::with_capacity(all.len());
        for k in all {
            match out.last_mut() {
                Some(last) if (last.frame - k.frame).abs() < SAME_FRAME => *last = k,
                _ => out.push(k),
            }
        }
        self.keys = out;
    }

    /// The track's value at `frame` (held before the first key and after the last);
    /// `None` without keys.
    pub fn sample(&self, frame: f32) -> Option<Value> {
        let keys = &self.keys;
        let first = keys.first()?;
        if keys.len() == 1 || frame <= first.frame {
            return Some(first.value);
        }
        let last = keys.last()?;
        if frame >= last.frame {
            return Some(last.value);
        }
        // The segment [i, i + 1] holding `frame`.
        let i = keys.partition_point(|k| k.frame <= frame) - 1;
        let (a, b) = (&keys[i], &keys[i + 1]);
        if matches!(a.value, Value::Bool(_)) {
            return Some(a.value);
        }
        let span = b.frame - a.frame;
        let s = ((frame - a.frame) / span).clamp(0.0, 1.0);
        let ca = a.value.components();
        let cb = aligned(&a.value, &b.value);
        let out = match a.interpolation {
            Interpolation::Constant => return Some(a.value),
            Interpolation::Linear => {
                if let (Value::Transform(ta), Value::Transform(tb)) = (a.value, b.value) {
                    return Some(Value::Transform(Transform {
                        translation: ta.translation.lerp(tb.translation, s),
                        rotation: ta.rotation.slerp(tb.rotation, s),
                        scale: ta.scale.lerp(tb.scale, s),
                    }));
                }
                let mut out = [0.0; MAX_COMPONENTS];
                for c in 0..ca.len {
                    out[c] = ca.values[c] + (cb[c] - ca.values[c]) * s;
                }
                out
            }
            Interpolation::Bezier => {
                let m0 = self.slopes(i);
                let m1 = self.slopes(i + 1);
                let (h00, h10, h01, h11) = hermite(s);
                let mut out = [0.0; MAX_COMPONENTS];
                for c in 0..ca.len {
                    out[c] = h00 * ca.values[c]
                        + h10 * span * m0[c]
                        + h01 * cb[c]
                        + h11 * span * sign_fix(&a.value, &b.value, c) * m1[c];
                }
                out
            }
        };
        Some(a.value.with_components(&out))
    }

    /// The slope (value per frame) of each component through key `i`.
    pub fn slopes(&self, i: usize) -> [f32; MAX_COMPONENTS] {
        let keys = &self.keys;
        let key = &keys[i];
        match key.handles {
            Handles::Eased => [0.0; MAX_COMPONENTS],
            Handles::Free { slopes } => slopes,
            Handles::Auto => {
                let (Some(prev), Some(next)) =
                    (i.checked_sub(1).and_then(|p| keys.get(p)), keys.get(i + 1))
                else {
                    // An end key: flat, so a move starts and ends gently.
                    return [0.0; MAX_COMPONENTS];
                };
                let p = aligned(&key.value, &prev.value);
                let n = aligned(&key.value, &next.value);
                let k = key.value.components();
                let mut out = [0.0; MAX_COMPONENTS];
                for c in 0..k.len {
                    let d0 = (k.values[c] - p[c]) / (key.frame - prev.frame);
                    let d1 = (n[c] - k.values[c]) / (next.frame - key.frame);
                    // A peak or dip, or a hold on either side: flat (no overshoot).
                    if d0 * d1 <= 0.0 {
                        continue;
                    }
                    let catmull = (n[c] - p[c]) / (next.frame - prev.frame);
                    // Fritsch–Carlson: |slope| ≤ 3 × each side's secant keeps the segment
                    // monotone between its keys.
                    let limit = 3.0 * d0.abs().min(d1.abs());
                    out[c] = catmull.signum() * catmull.abs().min(limit);
                }
                out
            }
        }
    }
}

/// Cubic Hermite basis functions at `s`.
fn hermite(s: f32) -> (f32, f32, f32, f32) {
    let s2 = s * s;
    let s3 = s2 * s;
    (
        2.0 * s3 - 3.0 * s2 + 1.0,
        s3 - 2.0 * s2 + s,
        -2.0 * s3 + 3.0 * s2,
        s3 - s2,
    )
}

/// `other`'s components, with a quaternion flipped onto `reference`'s hemisphere so that
/// interpolating between them takes the shorter arc.
fn aligned(reference: &Value, other: &Value) -> [f32; MAX_COMPONENTS] {
    let mut c = other.components().values;
    if let (Value::Transform(a), Value::Transform(b)) = (reference, other)
        && a.rotation.dot(b.rotation) < 0.0
    {
        for v in &mut c[3..7] {
            *v = -*v;
        }
    }
    c
}

/// −1 for a rotation component whose end key was flipped onto the start's hemisphere (its
/// slope flips with it), else 1.
fn sign_fix(a: &Value, b: &Value, component: usize) -> f32 {
    match (a, b) {
        (Value::Transform(ta), Value::Transform(tb))
            if (3..7).contains(&component) && ta.rotation.dot(tb.rotation) < 0.0 =>
        {
            -1.0
        }
        _ => 1.0,
    }
}

/// A named range of frames with its own rate, size, camera, variant and animation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shot {
    pub id: ShotId,
    pub name: String,
    /// Frames per second: one of [`FRAME_RATES`].
    pub fps: u32,
    /// Number of frames; the shot's frames are `0..frames`.
    pub frames: u32,
    /// Output width and height in pixels (even numbers: H.264 4:2:0 needs them).
    pub size: [u32; 2],
    /// The camera node the shot is seen through (`None`: the scene's default view).
    pub camera: Option<NodeId>,
    /// The variant the shot shows (`None`: the base scene).
    pub variant: Option<VariantId>,
    #[serde(default)]
    pub tracks: Vec<Track>,
}

/// Largest shot the editor accepts: an hour at 60 fps.
pub const MAX_SHOT_FRAMES: u32 = 60 * 60 * 60;
/// Largest output side (8K).
pub const MAX_SHOT_SIDE: u32 = 8192;

impl Shot {
    pub fn new(id: ShotId, name: &str) -> Self {
        Self {
            id,
            name: name.into(),
            fps: 24,
            frames: 120,
            size: [1920, 1080],
            camera: None,
            variant: None,
            tracks: Vec::new(),
        }
    }

    /// Seconds the shot lasts.
    pub fn duration_secs(&self) -> f64 {
        f64::from(self.frames) / f64::from(self.fps.max(1))
    }

    /// The last frame (frames run `0..=last_frame`).
    pub fn last_frame(&self) -> u32 {
        self.frames.saturating_sub(1)
    }

    pub fn track(&self, channel: Channel) -> Option<&Track> {
        self.tracks.iter().find(|t| t.channel == channel)
    }

    /// The track of `channel`, added (empty) if the shot has none.
    pub fn track_mut(&mut self, channel: Channel) -> &mut Track {
        let i = match self.tracks.iter().position(|t| t.channel == channel) {
            Some(i) => i,
            None => {
                self.tracks.push(Track::new(channel));
                self.tracks.len() - 1
            }
        };
        &mut self.tracks[i]
    }

    /// Whether the shot animates `channel` (has a track with keys for it).
    pub fn animates(&self, channel: Channel) -> bool {
        self.track(channel).is_some_and(|t| !t.is_empty())
    }

    /// Keys `value` on `channel` at `frame`: a new key, or the key already on that frame
    /// takes the value (keeping its interpolation and handles). False when the value does
    /// not fit the channel's existing keys.
    pub fn key(&mut self, channel: Channel, frame: f32, value: Value) -> bool {
        self.track_mut(channel)
            .set_key(Key::new(frame, value), true)
    }

    /// Drops empty tracks.
    pub fn tidy(&mut self) {
        self.tracks.retain(|t| !t.is_empty());
    }

    /// Every frame that holds a key on any track, sorted, without repeats.
    pub fn key_frames(&self) -> Vec<f32> {
        let mut frames: Vec<f32> = self
            .tracks
            .iter()
            .flat_map(|t| t.keys.iter().map(|k| k.frame))
            .collect();
        frames.sort_by(f32::total_cmp);
        frames.dedup_by(|a, b| (*a - *b).abs() < SAME_FRAME);
        frames
    }

    /// Timecode `HH:MM:SS:FF` of `frame`.
    pub fn timecode(&self, frame: u32) -> String {
        timecode(frame, self.fps)
    }

    /// This shot with its camera, tracks and variant pointing at another scene's ids (a
    /// merge); tracks whose target has no new id are dropped.
    pub fn remapped(
        &self,
        nodes: &std::collections::BTreeMap<NodeId, NodeId>,
        materials: &std::collections::BTreeMap<MaterialId, MaterialId>,
        variants: &std::collections::BTreeMap<VariantId, VariantId>,
    ) -> Shot {
        let channel = |c: Channel| -> Option<Channel> {
            let n = |id: NodeId| nodes.get(&id).copied();
            let m = |id: MaterialId| materials.get(&id).copied();
            Some(match c {
                Channel::Transform(id) => Channel::Transform(n(id)?),
                Channel::Visible(id) => Channel::Visible(n(id)?),
                Channel::FieldOfView(id) => Channel::FieldOfView(n(id)?),
                Channel::OrthoSize(id) => Channel::OrthoSize(n(id)?),
                Channel::LightColor(id) => Channel::LightColor(n(id)?),
                Channel::LightIntensity(id) => Channel::LightIntensity(n(id)?),
                Channel::SpotCone(id) => Channel::SpotCone(n(id)?),
                Channel::BaseColor(id) => Channel::BaseColor(m(id)?),
                Channel::Metallic(id) => Channel::Metallic(m(id)?),
                Channel::Roughness(id) => Channel::Roughness(m(id)?),
                Channel::Emissive(id) => Channel::Emissive(m(id)?),
                Channel::EmissiveStrength(id) => Channel::EmissiveStrength(m(id)?),
                Channel::Specular(id) => Channel::Specular(m(id)?),
                Channel::Transmission(id) => Channel::Transmission(m(id)?),
                Channel::Clearcoat(id) => Channel::Clearcoat(m(id)?),
                Channel::SheenColor(id) => Channel::SheenColor(m(id)?),
                Channel::SheenRoughness(id) => Channel::SheenRoughness(m(id)?),
                Channel::Anisotropy(id) => Channel::Anisotropy(m(id)?),
                Channel::Iridescence(id) => Channel::Iridescence(m(id)?),
                Channel::IridescenceThickness(id) => Channel::IridescenceThickness(m(id)?),
                Channel::DiffuseTransmission(id) => Channel::DiffuseTransmission(m(id)?),
                Channel::Exposure => Channel::Exposure,
                Channel::MorphWeight(id, k) => Channel::MorphWeight(n(id)?, k),
            })
        };
        Shot {
            camera: self.camera.and_then(|c| nodes.get(&c).copied()),
            variant: self.variant.and_then(|v| variants.get(&v).copied()),
            tracks: self
                .tracks
                .iter()
                .filter_map(|t| {
                    Some(Track {
                        channel: channel(t.channel)?,
                        keys: t.keys.clone(),
                    })
                })
                .collect(),
            ..self.clone()
        }
    }

    /// Sets every track's value at `frame` on `scene` (values only; no stamps).
    fn apply(&self, scene: &mut Scene, frame: f32) {
        for track in &self.tracks {
            if let Some(value) = track.sample(frame) {
                track.channel.write(scene, &value);
            }
        }
    }
}

/// Most points a motion path holds (a longer shot is sampled at evenly spaced frames).
pub const MAX_PATH_POINTS: usize = 2048;

/// Where a node goes during a shot, in world space (see [`motion_path`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MotionPath {
    /// Its position at the shot's frames, in order.
    pub points: Vec<Vec3>,
    /// Its position at the frames of its own transform keys.
    pub keys: Vec<Vec3>,
}

/// The path node `node` follows during `shot`: its world position at every frame (at most
/// [`MAX_PATH_POINTS`]) with its parents' tracks applied, and where its own transform keys
/// put it; `None` when neither it nor a parent has a transform track in the shot (it stands
/// still), or it is not in the scene.
pub fn motion_path(scene: &Scene, shot: &Shot, node: NodeId) -> Option<MotionPath> {
    motion_path_within(scene, shot, node, 0, shot.last_frame())
}

/// [`motion_path`] over the shot's frames `first..=last` only (clamped to the shot), with
/// the keys on those frames (Blender's "around frame" range).
pub fn motion_path_within(
    scene: &Scene,
    shot: &Shot,
    node: NodeId,
    first: u32,
    last: u32,
) -> Option<MotionPath> {
    // The node and its parents, nearest first (a scene's hierarchy has no cycles; the bound
    // only guards a damaged one).
    let mut chain = Vec::new();
    let mut next = Some(node);
    while let Some(id) = next.filter(|_| chain.len() < 4096) {
        let n = scene.node(id)?;
        chain.push((n.transform, shot.track(Channel::Transform(id))));
        next = n.parent;
    }
    if chain.iter().all(|(_, track)| track.is_none()) {
        return None;
    }
    let at = |frame: f32| {
        let world_from_local = chain.iter().fold(glam::Mat4::IDENTITY, |m, (t, track)| {
            let t = match track.and_then(|k| k.sample(frame)) {
                Some(Value::Transform(t)) => t,
                _ => *t,
            };
            t.matrix() * m
        });
        world_from_local.transform_point3(Vec3::ZERO)
    };
    let last = last.min(shot.last_frame());
    let first = first.min(last);
    let span = last - first;
    let count = (span as usize + 1).min(MAX_PATH_POINTS);
    let points = (0..count)
        .map(|i| {
            let frame = if count > 1 {
                first as f32 + i as f32 * span as f32 / (count - 1) as f32
            } else {
                first as f32
            };
            at(frame)
        })
        .filter(|p| p.is_finite())
        .collect();
    let (lo, hi) = (first as f32, last as f32);
    let keys = chain[0]
        .1
        .map(|track| {
            track
                .keys()
                .iter()
                .filter(|k| (lo..=hi).contains(&k.frame))
                .map(|k| at(k.frame))
                .collect()
        })
        .unwrap_or_default();
    Some(MotionPath { points, keys })
}

/// `HH:MM:SS:FF` for `frame` at `fps`.
pub fn timecode(frame: u32, fps: u32) -> String {
    let fps = fps.max(1);
    let ff = frame % fps;
    let secs = frame / fps;
    format!(
        "{:02}:{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60,
        ff
    )
}

/// All shots of a project, in order, and the one the timeline shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    pub shots: Vec<Shot>,
    /// The shot the timeline panel shows (`None` with no shots).
    #[serde(default)]
    pub active: Option<ShotId>,
}

impl Timeline {
    pub fn shots(&self) -> &[Shot] {
        &self.shots
    }

    pub fn shot(&self, id: ShotId) -> Option<&Shot> {
        self.shots.iter().find(|s| s.id == id)
    }

    pub fn shot_mut(&mut self, id: ShotId) -> Option<&mut Shot> {
        self.shots.iter_mut().find(|s| s.id == id)
    }

    pub fn shot_named(&self, name: &str) -> Option<&Shot> {
        self.shots.iter().find(|s| s.name == name)
    }

    /// The active shot, or the first one.
    pub fn active_shot(&self) -> Option<&Shot> {
        self.active
            .and_then(|id| self.shot(id))
            .or(self.shots.first())
    }

    /// A name like `base` not used by another shot (`base 2`, `base 3`, …).
    pub fn unique_name(&self, base: &str) -> String {
        if self.shot_named(base).is_none() {
            return base.to_owned();
        }
        (2..)
            .map(|i| format!("{base} {i}"))
            .find(|n| self.shot_named(n).is_none())
            .unwrap_or_else(|| base.to_owned())
    }

    /// Problems that make a timeline invalid (from a file or a command): duplicate ids,
    /// frame rates, sizes or frame counts out of range, keys of the wrong shape.
    pub fn validate(&self) -> Result<(), String> {
        let mut ids = std::collections::BTreeSet::new();
        for shot in &self.shots {
            if !ids.insert(shot.id) {
                return Err(format!("shot id {} is used twice", shot.id.0));
            }
            if !FRAME_RATES.contains(&shot.fps) {
                return Err(format!(
                    "shot {:?}: {} fps is not one of 24, 25, 30, 60",
                    shot.name, shot.fps
                ));
            }
            if shot.frames == 0 || shot.frames > MAX_SHOT_FRAMES {
                return Err(format!(
                    "shot {:?}: {} frames is out of range (1..={MAX_SHOT_FRAMES})",
                    shot.name, shot.frames
                ));
            }
            let [w, h] = shot.size;
            if !(2..=MAX_SHOT_SIDE).contains(&w) || !(2..=MAX_SHOT_SIDE).contains(&h) {
                return Err(format!(
                    "shot {:?}: size {w}x{h} is out of range (2..={MAX_SHOT_SIDE})",
                    shot.name
                ));
            }
            for track in &shot.tracks {
                let Some(first) = track.keys.first() else {
                    continue;
                };
                for pair in track.keys.windows(2) {
                    if pair[1].frame - pair[0].frame < SAME_FRAME {
                        return Err(format!(
                            "shot {:?}: keys of {} are not in frame order",
                            shot.name,
                            track.channel.label()
                        ));
                    }
                }
                if track
                    .keys
                    .iter()
                    .any(|k| !k.value.same_shape(&first.value) || !k.value.is_finite())
                {
                    return Err(format!(
                        "shot {:?}: a key of {} has the wrong kind of value",
                        shot.name,
                        track.channel.label()
                    ));
                }
            }
        }
        Ok(())
    }

    /// Drops tracks of nodes and materials `scene` no longer has, cameras that are gone and
    /// variants that are gone (after a delete; undo brings the timeline back with it).
    pub fn prune(&mut self, scene: &Scene) {
        for shot in &mut self.shots {
            shot.tracks.retain(|t| {
                t.channel.node().is_none_or(|n| scene.node(n).is_some())
                    && t.channel
                        .material()
                        .is_none_or(|m| scene.material(m).is_some())
            });
            if shot.camera.is_some_and(|c| scene.node(c).is_none()) {
                shot.camera = None;
            }
            if shot
                .variant
                .is_some_and(|v| scene.variants().get(v).is_none())
            {
                shot.variant = None;
            }
        }
        if self.active.is_some_and(|id| self.shot(id).is_none()) {
            self.active = self.shots.first().map(|s| s.id);
        }
    }
}

impl Scene {
    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }

    /// Replaces the timeline (shots, tracks, keys, the active shot).
    pub fn set_timeline(&mut self, timeline: Timeline) {
        self.timeline = timeline;
        self.revision.timeline = super::stamp();
    }

    pub fn reserve_shot_id(&mut self) -> ShotId {
        ShotId(self.fresh_id())
    }

    /// The scene as `shot` shows it at `frame`: `variant` (or the shot's own variant when
    /// `None`) resolved, then every track sampled at `frame`. `None` when there is no such
    /// shot. Geometry, images and clouds are shared with `self`. Revision stamps are derived
    /// from the base's, the timeline's and the frame, and only for the parts the shot
    /// animates, so a renderer playing a shot re-sends transforms (or lights, materials)
    /// each frame but never a mesh, and a still frame re-sends nothing.
    pub fn sampled(&self, shot: ShotId, frame: f32, variant: Option<VariantId>) -> Option<Scene> {
        let shot = self.timeline.shot(shot)?;
        let variant = variant.or(shot.variant);
        let mut scene = match variant.and_then(|v| self.resolved_as(v)) {
            Some(resolved) => resolved,
            None => {
                let mut base = self.clone();
                base.variants.active = None;
                base
            }
        };
        shot.apply(&mut scene, frame);
        // Skinned meshes follow their joints as the shot moves them (a new mesh, so a
        // structure change for the renderer, only where a pose changed).
        scene.pose_deformed();
        let salt = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (shot.id, self.revision.timeline, frame.to_bits()).hash(&mut h);
            h.finish()
        };
        let mix = |stamp: u64| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (stamp, salt).hash(&mut h);
            h.finish()
        };
        let animated = |part: Part| {
            shot.tracks
                .iter()
                .any(|t| !t.is_empty() && t.channel.part() == part)
        };
        let r = scene.revision;
        scene.revision = Revision {
            structure: if animated(Part::Structure) {
                mix(r.structure)
            } else {
                r.structure
            },
            transforms: if animated(Part::Transforms) {
                mix(r.transforms)
            } else {
                r.transforms
            },
            lights: if animated(Part::Lights) {
                mix(r.lights)
            } else {
                r.lights
            },
            materials: if animated(Part::Materials) {
                mix(r.materials)
            } else {
                r.materials
            },
            environment: if animated(Part::Environment) {
                mix(r.environment)
            } else {
                r.environment
            },
            ..r
        };
        Some(scene)
    }

    /// The view `shot` is seen through at `frame` in a scene [`Scene::sampled`] for it:
    /// its camera, or (without one, or if it is gone) the scene's default view.
    pub fn shot_camera_view(&self, shot: &Shot) -> Option<super::CameraView> {
        shot.camera.and_then(|id| self.camera_view(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Camera, Light, Material};

    fn float_track(keys: &[(f32, f32, Interpolation)]) -> Track {
        let mut t = Track::new(Channel::Exposure);
        for &(frame, v, interpolation) in keys {
            assert!(t.set_key(
                Key {
                    interpolation,
                    ..Key::new(frame, Value::Float(v))
                },
                false
            ));
        }
        t
    }

    fn f(t: &Track, frame: f32) -> f32 {
        match t.sample(frame) {
            Some(Value::Float(v)) => v,
            other => panic!("expected a float, got {other:?}"),
        }
    }

    #[test]
    fn constant_holds_until_the_next_key() {
        let t = float_track(&[
            (0.0, 1.0, Interpolation::Constant),
            (10.0, 5.0, Interpolation::Constant),
        ]);
        assert_eq!(f(&t, 0.0), 1.0);
        assert_eq!(f(&t, 9.99), 1.0);
        assert_eq!(f(&t, 10.0), 5.0);
    }

    #[test]
    fn linear_is_a_straight_line_and_holds_outside_the_keys() {
        let t = float_track(&[
            (10.0, 2.0, Interpolation::Linear),
            (20.0, 4.0, Interpolation::Linear),
        ]);
        assert_eq!(f(&t, -5.0), 2.0, "before the first key: its value");
        assert_eq!(f(&t, 10.0), 2.0);
        assert!((f(&t, 15.0) - 3.0).abs() < 1e-6);
        assert!((f(&t, 12.5) - 2.5).abs() < 1e-6);
        assert_eq!(f(&t, 20.0), 4.0);
        assert_eq!(f(&t, 100.0), 4.0, "after the last key: its value");
    }

    #[test]
    fn empty_and_single_key_tracks() {
        assert_eq!(Track::new(Channel::Exposure).sample(3.0), None);
        let t = float_track(&[(5.0, 7.0, Interpolation::Bezier)]);
        assert_eq!(f(&t, 0.0), 7.0);
        assert_eq!(f(&t, 50.0), 7.0);
    }

    #[test]
    fn eased_bezier_starts_and_ends_flat_and_is_symmetric() {
        let mut t = float_track(&[
            (0.0, 0.0, Interpolation::Bezier),
            (10.0, 1.0, Interpolation::Bezier),
        ]);
        for k in &mut t.keys {
            k.handles = Handles::Eased;
        }
        assert!((f(&t, 5.0) - 0.5).abs() < 1e-6, "smoothstep midpoint");
        // Flat ends: the first tenth moves far less than a linear ramp would (0.1).
        assert!(f(&t, 1.0) < 0.05, "ease out: {}", f(&t, 1.0));
        assert!(f(&t, 9.0) > 0.95, "ease in: {}", f(&t, 9.0));
        assert!((f(&t, 2.0) + f(&t, 8.0) - 1.0).abs() < 1e-6, "symmetric");
        // Monotone between the keys.
        let mut last = -1.0;
        for i in 0..=100 {
            let v = f(&t, i as f32 * 0.1);
            assert!(v >= last - 1e-6);
            last = v;
        }
    }

    #[test]
    fn auto_bezier_passes_through_keys_is_smooth_and_never_overshoots() {
        let t = float_track(&[
            (0.0, 0.0, Interpolation::Bezier),
            (10.0, 10.0, Interpolation::Bezier),
            (12.0, 10.5, Interpolation::Bezier),
            (30.0, 0.0, Interpolation::Bezier),
        ]);
        for k in t.keys() {
            let Value::Float(v) = k.value else {
                unreachable!()
            };
            assert!((f(&t, k.frame) - v).abs() < 1e-5, "passes through keys");
        }
        // The middle keys rise then fall: the curve stays within each segment's key values.
        for i in 0..=300 {
            let x = i as f32 * 0.1;
            let v = f(&t, x);
            assert!((-1e-4..=10.5 + 1e-4).contains(&v), "overshoot {v} at {x}");
            if (10.0..=12.0).contains(&x) {
                assert!((10.0 - 1e-4..=10.5 + 1e-4).contains(&v), "{v} at {x}");
            }
        }
        // C1 at an inner key on a monotone stretch: slopes just left and right agree.
        let t2 = float_track(&[
            (0.0, 0.0, Interpolation::Bezier),
            (10.0, 5.0, Interpolation::Bezier),
            (20.0, 20.0, Interpolation::Bezier),
        ]);
        let left = (f(&t2, 10.0) - f(&t2, 9.99)) / 0.01;
        let right = (f(&t2, 10.01) - f(&t2, 10.0)) / 0.01;
        assert!((left - right).abs() < 0.02, "{left} vs {right}");
        assert!(left > 0.5, "not flat on a monotone stretch: {left}");
        // A peak key is flat.
        let peak = float_track(&[
            (0.0, 0.0, Interpolation::Bezier),
            (10.0, 5.0, Interpolation::Bezier),
            (20.0, 0.0, Interpolation::Bezier),
        ]);
        assert!(f(&peak, 9.9) <= 5.0 && f(&peak, 10.1) <= 5.0);
    }

    #[test]
    fn free_handles_set_the_slope() {
        let mut t = float_track(&[
            (0.0, 0.0, Interpolation::Bezier),
            (10.0, 0.0, Interpolation::Bezier),
        ]);
        let mut slopes = [0.0; MAX_COMPONENTS];
        slopes[0] = 1.0;
        t.keys[0].handles = Handles::Free { slopes };
        t.keys[1].handles = Handles::Eased;
        // Leaves the first key rising at 1 per frame.
        let v = f(&t, 0.1);
        assert!((v - 0.1).abs() < 0.02, "{v}");
        assert!(f(&t, 5.0) > 0.5);
        assert_eq!(f(&t, 10.0), 0.0);
    }

    #[test]
    fn keys_stay_sorted_unique_and_of_one_shape() {
        let mut t = Track::new(Channel::Exposure);
        assert!(t.set_key(Key::new(10.0, Value::Float(1.0)), true));
        assert!(t.set_key(Key::new(2.0, Value::Float(2.0)), true));
        assert!(t.set_key(
            Key {
                interpolation: Interpolation::Constant,
                ..Key::new(6.0, Value::Float(3.0))
            },
            true
        ));
        // Re-key frame 6: value changes, interpolation kept.
        assert!(t.set_key(Key::new(6.0, Value::Float(4.0)), true));
        let frames: Vec<f32> = t.keys().iter().map(|k| k.frame).collect();
        assert_eq!(frames, vec![2.0, 6.0, 10.0]);
        assert_eq!(t.keys()[1].value, Value::Float(4.0));
        assert_eq!(t.keys()[1].interpolation, Interpolation::Constant);
        assert!(
            !t.set_key(Key::new(3.0, Value::Bool(true)), true),
            "wrong shape"
        );
        assert!(!t.set_key(Key::new(3.0, Value::Float(f32::NAN)), true));
        assert_eq!(t.remove_key(6.0).map(|k| k.frame), Some(6.0));
        assert_eq!(t.keys().len(), 2);
    }

    #[test]
    fn visibility_never_blends() {
        let mut t = Track::new(Channel::Visible(NodeId(1)));
        t.set_key(Key::new(0.0, Value::Bool(true)), false);
        t.set_key(Key::new(10.0, Value::Bool(false)), false);
        assert_eq!(t.sample(9.9), Some(Value::Bool(true)));
        assert_eq!(t.sample(10.0), Some(Value::Bool(false)));
    }

    #[test]
    fn rotations_take_the_short_way_and_stay_unit() {
        let mut t = Track::new(Channel::Transform(NodeId(1)));
        let a = Transform::default().with_rotation(Quat::from_rotation_y(170f32.to_radians()));
        // The same kind of rotation written with a negated quaternion (−q ≡ q).
        let b_rot = -Quat::from_rotation_y(-170f32.to_radians());
        let b = Transform::default().with_rotation(b_rot);
        for interpolation in [Interpolation::Linear, Interpolation::Bezier] {
            t.set_keys([
                Key {
                    interpolation,
                    ..Key::new(0.0, Value::Transform(a))
                },
                Key {
                    interpolation,
                    ..Key::new(10.0, Value::Transform(b))
                },
            ]);
            let Some(Value::Transform(mid)) = t.sample(5.0) else {
                panic!()
            };
            assert!((mid.rotation.length() - 1.0).abs() < 1e-4);
            // Halfway along the short arc through 180°, not back through 0°.
            let angle = mid.rotation.angle_between(Quat::from_rotation_y(PI_F));
            assert!(angle < 0.02, "{interpolation:?}: {angle}");
        }
    }

    const PI_F: f32 = std::f32::consts::PI;

    #[test]
    fn timecode_and_duration() {
        assert_eq!(timecode(0, 24), "00:00:00:00");
        assert_eq!(timecode(25, 24), "00:00:01:01");
        assert_eq!(timecode(24 * 3661 + 5, 24), "01:01:01:05");
        let shot = Shot {
            fps: 25,
            frames: 50,
            ..Shot::new(ShotId(1), "A")
        };
        assert_eq!(shot.duration_secs(), 2.0);
        assert_eq!(shot.last_frame(), 49);
    }

    fn little_scene() -> (Scene, NodeId, NodeId, NodeId, MaterialId) {
        let mut scene = Scene::new("t");
        let material = scene.add_material(Material::named("m", [0.5, 0.5, 0.5, 1.0], 0.5));
        let cam = scene.add_node(
            None,
            "Cam",
            Transform::default(),
            NodeKind::Camera(Camera {
                fov_y_rad: 0.8,
                near: 0.1,
                far: None,
                ortho_half_height: None,
            }),
        );
        let lamp = scene.add_node(
            None,
            "Lamp",
            Transform::default(),
            NodeKind::Light(Light {
                kind: LightKind::Spot {
                    inner_cone_rad: 0.2,
                    outer_cone_rad: 0.5,
                },
                color: [1.0, 1.0, 1.0],
                intensity: 100.0,
                range: None,
                cast_shadows: false,
            }),
        );
        let empty = scene.add_node(None, "Empty", Transform::default(), NodeKind::Empty);
        (scene, cam, lamp, empty, material)
    }

    #[test]
    fn the_sampled_scene_equals_the_scene_with_those_values_set_by_hand() {
        let (mut scene, cam, lamp, empty, material) = little_scene();
        let id = scene.reserve_shot_id();
        let mut shot = Shot::new(id, "Shot");
        let t0 = Transform::from_translation(Vec3::ZERO);
        let t1 = Transform::from_translation(Vec3::new(10.0, 0.0, -4.0));
        for (frame, t) in [(0.0, t0), (20.0, t1)] {
            shot.track_mut(Channel::Transform(cam)).set_key(
                Key {
                    interpolation: Interpolation::Linear,
                    ..Key::new(frame, Value::Transform(t))
                },
                false,
            );
        }
        shot.key(Channel::FieldOfView(cam), 0.0, Value::Float(0.5));
        shot.key(Channel::FieldOfView(cam), 20.0, Value::Float(1.0));
        shot.key(Channel::LightIntensity(lamp), 0.0, Value::Float(10.0));
        shot.key(Channel::LightIntensity(lamp), 20.0, Value::Float(30.0));
        shot.key(Channel::Visible(empty), 0.0, Value::Bool(true));
        shot.key(Channel::Visible(empty), 10.0, Value::Bool(false));
        shot.key(Channel::Roughness(material), 0.0, Value::Float(0.2));
        // The material extensions' values: glass fading in, a lacquer going matte.
        shot.key(Channel::Transmission(material), 0.0, Value::Float(0.0));
        shot.key(Channel::Transmission(material), 20.0, Value::Float(1.0));
        shot.key(Channel::Specular(material), 0.0, Value::Float(1.0));
        shot.key(Channel::Specular(material), 20.0, Value::Float(0.5));
        shot.key(Channel::Clearcoat(material), 0.0, Value::Float(0.8));
        shot.key(Channel::Clearcoat(material), 20.0, Value::Float(0.0));
        shot.key(Channel::Exposure, 0.0, Value::Float(12.0));
        for track in &mut shot.tracks {
            for k in &mut track.keys {
                k.interpolation = Interpolation::Linear;
            }
        }
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: Some(id),
        });

        let sampled = scene.sampled(id, 10.0, None).unwrap();
        let mut by_hand = scene.clone();
        by_hand.set_transform(cam, Transform::from_translation(Vec3::new(5.0, 0.0, -2.0)));
        if let Some(NodeKind::Camera(c)) = by_hand.nodes.get_mut(&cam).map(|n| &mut n.kind) {
            c.fov_y_rad = 0.75;
        }
        by_hand.light_mut(lamp).unwrap().intensity = 20.0;
        by_hand.set_visible(empty, false);
        {
            let m = by_hand.material_mut(material).unwrap();
            m.roughness = 0.2;
            m.transmission = 0.5;
            m.specular = 0.75;
            m.clearcoat = 0.4;
        }
        by_hand.environment_mut().exposure_ev100 = 12.0;

        for (a, b) in sampled.nodes().zip(by_hand.nodes()) {
            assert_eq!(a.id, b.id);
            assert!(
                a.transform
                    .translation
                    .abs_diff_eq(b.transform.translation, 1e-5),
                "{}",
                a.name
            );
            assert_eq!(a.visible, b.visible, "{}", a.name);
            assert_eq!(a.kind, b.kind, "{}", a.name);
        }
        assert_eq!(
            sampled.material(material).unwrap(),
            by_hand.material(material).unwrap()
        );
        assert_eq!(sampled.environment, by_hand.environment);
        // The base is untouched.
        assert!(scene.node(empty).unwrap().visible);
        assert_eq!(scene.environment.exposure_ev100, 14.0);
    }

    #[test]
    fn sampled_stamps_move_only_for_animated_parts_and_frames() {
        let (mut scene, cam, _, _, _) = little_scene();
        let id = scene.reserve_shot_id();
        let mut shot = Shot::new(id, "Shot");
        shot.key(
            Channel::Transform(cam),
            0.0,
            Value::Transform(Transform::default()),
        );
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: None,
        });
        let a = scene.sampled(id, 1.0, None).unwrap().revision();
        let a2 = scene.sampled(id, 1.0, None).unwrap().revision();
        let b = scene.sampled(id, 2.0, None).unwrap().revision();
        assert_eq!(a, a2, "same frame, same stamps");
        assert_ne!(a.transforms, b.transforms);
        assert_eq!(a.materials, b.materials);
        assert_eq!(a.structure, scene.revision().structure);
        assert_eq!(scene.sampled(ShotId(999), 0.0, None).map(|_| ()), None);
    }

    #[test]
    fn the_shot_variant_is_resolved_under_the_animation() {
        use crate::scene::{Overrides, Variant, Variants};
        let (mut scene, _, lamp, _, _) = little_scene();
        let v = scene.reserve_variant_id();
        let mut overrides = Overrides::default();
        overrides.environment.exposure_ev100 = Some(9.0);
        overrides.node_mut(lamp).visible = Some(false);
        scene.set_variants(Variants {
            list: vec![Variant {
                id: v,
                name: "Night".into(),
                overrides,
            }],
            active: None,
        });
        let id = scene.reserve_shot_id();
        let mut shot = Shot::new(id, "S");
        shot.variant = Some(v);
        shot.key(Channel::Exposure, 0.0, Value::Float(11.0));
        scene.set_timeline(Timeline {
            shots: vec![shot],
            active: None,
        });
        let s = scene.sampled(id, 0.0, None).unwrap();
        assert_eq!(s.environment.exposure_ev100, 11.0, "animation wins");
        assert!(!s.node(lamp).unwrap().visible, "variant applied");
        // Another variant asked for by the caller (a render --variant): the base here.
        let base = scene.sampled(id, 0.0, Some(VariantId(12345))).unwrap();
        assert!(base.node(lamp).unwrap().visible);
    }

    #[test]
    fn merging_brings_shots_with_remapped_ids() {
        let (mut other, cam, lamp, _, material) = little_scene();
        let id = other.reserve_shot_id();
        let mut shot = Shot::new(id, "Shot");
        shot.camera = Some(cam);
        shot.key(Channel::LightIntensity(lamp), 0.0, Value::Float(3.0));
        shot.key(Channel::Roughness(material), 0.0, Value::Float(0.9));
        other.set_timeline(Timeline {
            shots: vec![shot],
            active: Some(id),
        });
        let (mut scene, ..) = little_scene();
        let first = scene.reserve_shot_id();
        scene.set_timeline(Timeline {
            shots: vec![Shot::new(first, "Shot")],
            active: None,
        });
        scene.merge(other, None);
        let shots = scene.timeline().shots();
        assert_eq!(shots.len(), 2);
        let merged = &shots[1];
        assert_eq!(merged.name, "Shot 2");
        assert_ne!(merged.id, shots[0].id);
        let camera = merged.camera.expect("camera remapped");
        assert_ne!(camera, cam);
        assert_eq!(scene.node(camera).map(|n| n.name.as_str()), Some("Cam"));
        assert!(scene.timeline().validate().is_ok());
        let sampled = scene.sampled(merged.id, 0.0, None).unwrap();
        let lamps: Vec<f32> = sampled
            .nodes()
            .filter_map(|n| match &n.kind {
                NodeKind::Light(l) => Some(l.intensity),
                _ => None,
            })
            .collect();
        assert_eq!(lamps, vec![100.0, 3.0], "only the merged lamp is animated");
    }

    #[test]
    fn validation_and_pruning() {
        let (mut scene, cam, lamp, _, _) = little_scene();
        let mut shot = Shot::new(ShotId(1), "S");
        shot.camera = Some(cam);
        shot.key(Channel::LightIntensity(lamp), 0.0, Value::Float(1.0));
        let mut tl = Timeline {
            shots: vec![shot.clone()],
            active: Some(ShotId(1)),
        };
        assert!(tl.validate().is_ok());
        let mut bad = tl.clone();
        bad.shots[0].fps = 23;
        assert!(bad.validate().unwrap_err().contains("23 fps"));
        let mut bad = tl.clone();
        bad.shots.push(shot.clone());
        assert!(bad.validate().unwrap_err().contains("twice"));
        let mut bad = tl.clone();
        bad.shots[0].frames = 0;
        assert!(bad.validate().is_err());
        let mut bad = tl.clone();
        bad.shots[0].tracks[0]
            .keys
            .push(Key::new(5.0, Value::Bool(true)));
        assert!(bad.validate().is_err());

        scene.remove_subtree(cam).unwrap();
        scene.remove_subtree(lamp).unwrap();
        tl.prune(&scene);
        assert_eq!(tl.shots[0].camera, None);
        assert!(tl.shots[0].tracks.is_empty());
    }
}
