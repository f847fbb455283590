//! Variants: named sets of overrides on the base scene ("Noon", "Golden hour", "Night with
//! lamps"). A variant overrides lighting (the environment's sky, panorama, exposure and tone
//! mapper; light values, light placement and visibility), colour adjustments, material values
//! and which material a mesh node shows. Geometry is never overridden, so switching variants
//! never uploads a mesh.
//!
//! The base scene stays the document; [`Scene::resolved`] makes the scene a variant shows (a
//! cheap copy: meshes, images and clouds are shared `Arc`s). A value the variant does not
//! override is read from the base, so base edits flow into every variant that leaves it alone.

use super::{
    ColorGrade, Environment, ImageId, Light, Material, MaterialId, Node, NodeId, NodeKind,
    Panorama, Revision, Scene, Sky, ToneMapper, Transform,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// Stable id of a variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VariantId(pub u64);

/// The scene-wide values a variant can override; `None` = the base value.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EnvironmentOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sky: Option<Sky>,
    /// `Some(None)`: the procedural sky even where the base has a panorama.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub panorama: Option<Option<Panorama>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_ev100: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tone_mapper: Option<ToneMapper>,
}

impl EnvironmentOverride {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn count(&self) -> usize {
        usize::from(self.sky.is_some())
            + usize::from(self.panorama.is_some())
            + usize::from(self.exposure_ev100.is_some())
            + usize::from(self.tone_mapper.is_some())
    }

    /// The environment with these overrides on `base`.
    pub fn apply(&self, base: &Environment) -> Environment {
        Environment {
            sky: self.sky.unwrap_or(base.sky),
            panorama: self.panorama.unwrap_or(base.panorama),
            exposure_ev100: self.exposure_ev100.unwrap_or(base.exposure_ev100),
            tone_mapper: self.tone_mapper.unwrap_or(base.tone_mapper),
        }
    }

    /// Takes every field where `wanted` differs from what these overrides show over `base`.
    pub fn absorb(&mut self, base: &Environment, wanted: &Environment) {
        let shown = self.apply(base);
        if wanted.sky != shown.sky {
            self.sky = Some(wanted.sky);
        }
        if wanted.panorama != shown.panorama {
            self.panorama = Some(wanted.panorama);
        }
        if wanted.exposure_ev100 != shown.exposure_ev100 {
            self.exposure_ev100 = Some(wanted.exposure_ev100);
        }
        if wanted.tone_mapper != shown.tone_mapper {
            self.tone_mapper = Some(wanted.tone_mapper);
        }
    }
}

/// A field that is present in the file is `Some`, even when its value is `null` (serde's
/// default would read `null` as an absent `Option<Option<_>>`).
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// What a variant overrides on one node; `None` = the base value. `transform` and `light`
/// apply to light nodes only, `material` to mesh nodes only.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NodeOverride {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
    /// Where a light is and where it points (the sun's direction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<Transform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub light: Option<Light>,
    /// The material a mesh node shows (a material swap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub material: Option<MaterialId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<ColorGrade>,
    /// How far captured colour is relit (0 = as captured, 1 = relit); the captured-light
    /// estimate itself belongs to the capture and stays in the base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relight_amount: Option<f32>,
}

impl NodeOverride {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    pub fn count(&self) -> usize {
        usize::from(self.visible.is_some())
            + usize::from(self.transform.is_some())
            + usize::from(self.light.is_some())
            + usize::from(self.material.is_some())
            + usize::from(self.grade.is_some())
            + usize::from(self.relight_amount.is_some())
    }

    /// Applies these overrides to a copy of a base node (fields that do not fit the node's
    /// kind are ignored: a node may have changed kind since the override was made).
    pub fn apply(&self, node: &mut Node) {
        if let Some(visible) = self.visible {
            node.visible = visible;
        }
        if let Some(grade) = self.grade {
            node.grade = grade;
        }
        if let Some(amount) = self.relight_amount {
            node.relight.amount = amount;
        }
        match &mut node.kind {
            NodeKind::Light(light) => {
                if let Some(l) = self.light {
                    *light = l;
                }
                if let Some(t) = self.transform {
                    node.transform = t;
                }
            }
            NodeKind::Mesh { material, .. } => {
                if let Some(m) = self.material {
                    *material = m;
                }
            }
            _ => {}
        }
    }
}

/// Declares [`MaterialOverride`] from one list of the material values a variant can hold, so
/// a value added to the list is stored, applied, counted and split off by `absorb` alike.
macro_rules! material_override {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)*) => {
        /// The material values a variant can override; `None` = the base value. Every factor,
        /// colour and strength is overridable (a "wet" variant raises clearcoat, a "dusk" one
        /// turns emission up); textures, the alpha mode and cutoff, sidedness, unlit and the
        /// texture transform are shared by all variants (swap the whole material for those).
        #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
        pub struct MaterialOverride {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "present")]
                pub $field: Option<$ty>,
            )*
        }

        impl MaterialOverride {
            pub fn is_empty(&self) -> bool {
                *self == Self::default()
            }

            pub fn count(&self) -> usize {
                0 $(+ usize::from(self.$field.is_some()))*
            }

            pub fn apply(&self, base: &Material) -> Material {
                let mut m = base.clone();
                $(
                    if let Some(v) = &self.$field {
                        m.$field = v.clone();
                    }
                )*
                m
            }

            /// Takes every overridable value where `wanted` differs from what these overrides
            /// show over `base`, and returns the base with `wanted`'s other (shared) values: the
            /// part of the edit that belongs to the base scene.
            pub fn absorb(&mut self, base: &Material, wanted: &Material) -> Material {
                let shown = self.apply(base);
                let mut shared = wanted.clone();
                $(
                    if wanted.$field != shown.$field {
                        self.$field = Some(wanted.$field.clone());
                    }
                    shared.$field = base.$field.clone();
                )*
                shared
            }
        }
    };
}

material_override! {
    base_color: [f32; 4],
    metallic: f32,
    roughness: f32,
    emissive: [f32; 3],
    emissive_strength: f32,
    normal_scale: f32,
    occlusion_strength: f32,
    ior: f32,
    specular: f32,
    specular_color: [f32; 3],
    transmission: f32,
    clearcoat: f32,
    clearcoat_roughness: f32,
    clearcoat_normal_scale: f32,
    thickness: f32,
    /// `Some(None)`: no absorption in this variant where the base has some.
    attenuation_distance: Option<f32>,
    attenuation_color: [f32; 3],
    dispersion: f32,
    sheen_color: [f32; 3],
    sheen_roughness: f32,
    anisotropy_strength: f32,
    anisotropy_rotation: f32,
    iridescence: f32,
    iridescence_ior: f32,
    iridescence_thickness: [f32; 2],
    diffuse_transmission: f32,
    diffuse_transmission_color: [f32; 3],
}

/// Everything one variant overrides.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "EnvironmentOverride::is_empty")]
    pub environment: EnvironmentOverride,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nodes: BTreeMap<NodeId, NodeOverride>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub materials: BTreeMap<MaterialId, MaterialOverride>,
}

impl Overrides {
    pub fn is_empty(&self) -> bool {
        self.environment.is_empty()
            && self.nodes.values().all(NodeOverride::is_empty)
            && self.materials.values().all(MaterialOverride::is_empty)
    }

    /// How many values are overridden.
    pub fn count(&self) -> usize {
        self.environment.count()
            + self.nodes.values().map(NodeOverride::count).sum::<usize>()
            + self
                .materials
                .values()
                .map(MaterialOverride::count)
                .sum::<usize>()
    }

    pub fn node(&self, id: NodeId) -> Option<&NodeOverride> {
        self.nodes.get(&id)
    }

    pub fn node_mut(&mut self, id: NodeId) -> &mut NodeOverride {
        self.nodes.entry(id).or_default()
    }

    pub fn material(&self, id: MaterialId) -> Option<&MaterialOverride> {
        self.materials.get(&id)
    }

    pub fn material_mut(&mut self, id: MaterialId) -> &mut MaterialOverride {
        self.materials.entry(id).or_default()
    }

    /// Drops empty entries, so equal override sets compare equal.
    pub fn tidy(&mut self) {
        self.nodes.retain(|_, o| !o.is_empty());
        self.materials.retain(|_, o| !o.is_empty());
    }

    /// The same overrides for a copy of the scene whose ids changed (an import): entries for
    /// ids the copy lacks are dropped.
    pub fn remapped(
        &self,
        nodes: &BTreeMap<NodeId, NodeId>,
        materials: &BTreeMap<MaterialId, MaterialId>,
        images: &BTreeMap<ImageId, ImageId>,
    ) -> Overrides {
        let mut environment = self.environment.clone();
        if let Some(Some(p)) = &mut environment.panorama {
            match images.get(&p.image) {
                Some(new) => p.image = *new,
                None => environment.panorama = None,
            }
        }
        Overrides {
            environment,
            nodes: self
                .nodes
                .iter()
                .filter_map(|(id, o)| {
                    let mut o = o.clone();
                    o.material = o.material.and_then(|m| materials.get(&m).copied());
                    Some((*nodes.get(id)?, o))
                })
                .collect(),
            materials: self
                .materials
                .iter()
                .filter_map(|(id, o)| Some((*materials.get(id)?, o.clone())))
                .collect(),
        }
    }

    /// The material ids these overrides assign to nodes (those materials must stay alive).
    pub fn assigned_materials(&self) -> impl Iterator<Item = MaterialId> + '_ {
        self.nodes.values().filter_map(|o| o.material)
    }
}

/// A named set of overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub id: VariantId,
    pub name: String,
    #[serde(default)]
    pub overrides: Overrides,
}

/// The variants of a scene, in panel order, and which one the editor shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Variants {
    pub list: Vec<Variant>,
    /// `None`: the base scene.
    #[serde(default)]
    pub active: Option<VariantId>,
}

impl Variants {
    pub fn get(&self, id: VariantId) -> Option<&Variant> {
        self.list.iter().find(|v| v.id == id)
    }

    pub fn get_mut(&mut self, id: VariantId) -> Option<&mut Variant> {
        self.list.iter_mut().find(|v| v.id == id)
    }

    pub fn find(&self, name: &str) -> Option<&Variant> {
        self.list.iter().find(|v| v.name == name)
    }

    pub fn active(&self) -> Option<&Variant> {
        self.active.and_then(|id| self.get(id))
    }

    /// A name not used by another variant: `wanted`, else `wanted 2`, `wanted 3`...
    pub fn unique_name(&self, wanted: &str) -> String {
        let taken = |name: &str| self.list.iter().any(|v| v.name == name);
        if !taken(wanted) {
            return wanted.to_owned();
        }
        (2..)
            .map(|k| format!("{wanted} {k}"))
            .find(|name| !taken(name))
            .unwrap_or_else(|| wanted.to_owned())
    }
}

impl Scene {
    pub fn variants(&self) -> &Variants {
        &self.variants
    }

    /// Replaces the variants (and which one is active); an active id that names no variant
    /// shows the base.
    pub fn set_variants(&mut self, mut variants: Variants) {
        if variants.active.is_some_and(|id| variants.get(id).is_none()) {
            variants.active = None;
        }
        self.variants = variants;
        self.revision.variants = super::stamp();
    }

    /// Replaces one variant's overrides; returns the old ones (`None`: no such variant).
    pub fn set_overrides(&mut self, id: VariantId, mut overrides: Overrides) -> Option<Overrides> {
        overrides.tidy();
        let variant = self.variants.get_mut(id)?;
        let old = std::mem::replace(&mut variant.overrides, overrides);
        self.revision.variants = super::stamp();
        Some(old)
    }

    /// A new variant id (ids come from the scene's one counter, so they never repeat).
    pub fn reserve_variant_id(&mut self) -> VariantId {
        VariantId(self.fresh_id())
    }

    /// The scene as `variant` shows it, or `None` when `variant` names no variant.
    pub fn resolved_as(&self, variant: VariantId) -> Option<Scene> {
        let v = self.variants.get(variant)?;
        Some(self.with_overrides(&v.overrides, variant))
    }

    /// The scene as the active variant shows it; `None` when the base is shown.
    pub fn resolved(&self) -> Option<Scene> {
        self.resolved_as(self.variants.active?)
    }

    /// A copy with `overrides` on it. Its revision stamps are derived from the base's and
    /// the variant's, so a renderer that switches between the base and variants re-sends
    /// materials, instances and lights (small) but never a mesh (keyed by content id).
    fn with_overrides(&self, overrides: &Overrides, variant: VariantId) -> Scene {
        let mut scene = self.clone();
        scene.environment = overrides.environment.apply(&self.environment);
        for (id, o) in &overrides.nodes {
            if let Some(node) = scene.nodes.get_mut(id) {
                o.apply(node);
                if let NodeKind::Mesh { material, .. } = node.kind
                    && !scene.materials.contains_key(&material)
                {
                    // A swap to a material that has since gone: keep the base one.
                    if let Some(base) = self.nodes.get(id) {
                        node.kind = base.kind.clone();
                    }
                }
            }
        }
        for (id, o) in &overrides.materials {
            if let Some(m) = scene.materials.get_mut(id) {
                *m = o.apply(m);
            }
        }
        let salt = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (variant, self.revision.variants).hash(&mut h);
            h.finish()
        };
        let mix = |stamp: u64| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (stamp, salt).hash(&mut h);
            h.finish()
        };
        let base = self.revision;
        scene.revision = Revision {
            structure: mix(base.structure),
            transforms: mix(base.transforms),
            materials: mix(base.materials),
            lights: mix(base.lights),
            environment: mix(base.environment),
            variants: base.variants,
            timeline: base.timeline,
        };
        scene.variants.active = Some(variant);
        scene
    }

    /// Materials a variant swaps in, which must stay while the variant lists them.
    pub fn materials_used_by_variants(&self) -> std::collections::BTreeSet<MaterialId> {
        self.variants
            .list
            .iter()
            .flat_map(|v| v.overrides.assigned_materials())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{LightKind, Transform};

    fn scene_with_light() -> (Scene, NodeId, MaterialId, NodeId) {
        let mut scene = Scene::new("t");
        let sun = scene.add_node(
            None,
            "Sun",
            Transform::IDENTITY,
            NodeKind::Light(Light {
                kind: LightKind::Directional,
                color: [1.0; 3],
                intensity: 10.0,
                range: None,
                cast_shadows: true,
            }),
        );
        let mesh = scene.add_mesh(crate::scene::Mesh::new(
            vec![[0.0; 3]; 3],
            vec![],
            vec![],
            vec![],
            vec![0, 1, 2],
        ));
        let material = scene.add_material(Material::default());
        let box_node = scene.add_node(
            None,
            "Box",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        (scene, sun, material, box_node)
    }

    #[test]
    fn unset_values_come_from_the_base_and_set_ones_win() {
        let (mut scene, sun, material, _) = scene_with_light();
        let id = scene.reserve_variant_id();
        let mut overrides = Overrides::default();
        overrides.environment.exposure_ev100 = Some(9.0);
        overrides.material_mut(material).roughness = Some(0.1);
        overrides.node_mut(sun).visible = Some(false);
        scene.set_variants(Variants {
            list: vec![Variant {
                id,
                name: "Night".into(),
                overrides,
            }],
            active: Some(id),
        });
        // A base edit to a value the variant leaves alone flows into the variant...
        scene.environment_mut().sky.turbidity = 7.0;
        scene.material_mut(material).unwrap().metallic = 0.7;
        // ...one it overrides does not.
        scene.environment_mut().exposure_ev100 = 15.0;
        let shown = scene.resolved().unwrap();
        assert_eq!(shown.environment.sky.turbidity, 7.0);
        assert_eq!(shown.environment.exposure_ev100, 9.0);
        assert_eq!(shown.material(material).unwrap().metallic, 0.7);
        assert_eq!(shown.material(material).unwrap().roughness, 0.1);
        assert!(!shown.node(sun).unwrap().visible);
        assert!(scene.node(sun).unwrap().visible);
        assert_eq!(scene.environment.exposure_ev100, 15.0);
    }

    #[test]
    fn resolved_shares_geometry_and_gets_its_own_stamps() {
        let (mut scene, _, _, box_node) = scene_with_light();
        let id = scene.reserve_variant_id();
        scene.set_variants(Variants {
            list: vec![Variant {
                id,
                name: "A".into(),
                overrides: Overrides::default(),
            }],
            active: None,
        });
        assert!(scene.resolved().is_none());
        let shown = scene.resolved_as(id).unwrap();
        let NodeKind::Mesh { mesh, .. } = scene.node(box_node).unwrap().kind else {
            panic!()
        };
        assert!(std::sync::Arc::ptr_eq(
            scene.mesh(mesh).unwrap(),
            shown.mesh(mesh).unwrap()
        ));
        assert_ne!(shown.revision().materials, scene.revision().materials);
        // Same inputs, same stamps: a re-resolve after nothing changed costs no upload.
        assert_eq!(scene.resolved_as(id).unwrap().revision(), shown.revision());
    }

    #[test]
    fn material_absorb_splits_variant_and_base_values() {
        let base = Material {
            roughness: 0.5,
            uv_scale: [1.0, 1.0],
            ..Default::default()
        };
        let mut o = MaterialOverride::default();
        let wanted = Material {
            roughness: 0.2,
            uv_scale: [2.0, 2.0],
            ..base.clone()
        };
        let new_base = o.absorb(&base, &wanted);
        assert_eq!(o.roughness, Some(0.2));
        assert_eq!(o.count(), 1);
        assert_eq!(new_base.roughness, 0.5, "the base keeps its roughness");
        assert_eq!(
            new_base.uv_scale,
            [2.0, 2.0],
            "shared values go to the base"
        );
    }

    #[test]
    fn every_factor_and_colour_of_a_material_is_overridable() {
        let base = Material {
            attenuation_distance: Some(0.3),
            ..Default::default()
        };
        let wanted = Material {
            clearcoat: 1.0,
            clearcoat_roughness: 0.1,
            sheen_color: [0.5, 0.2, 0.1],
            sheen_roughness: 0.4,
            transmission: 0.9,
            ior: 1.33,
            thickness: 0.02,
            attenuation_distance: None,
            attenuation_color: [0.2, 0.4, 0.9],
            anisotropy_strength: 0.6,
            iridescence: 1.0,
            iridescence_thickness: [200.0, 500.0],
            diffuse_transmission: 0.5,
            normal_scale: 0.25,
            ..base.clone()
        };
        let mut o = MaterialOverride::default();
        let new_base = o.absorb(&base, &wanted);
        assert_eq!(o.count(), 14);
        assert_eq!(new_base, base, "nothing of the edit reaches the base");
        assert_eq!(o.attenuation_distance, Some(None));
        assert_eq!(o.apply(&base), wanted);
        // `Some(None)` ("no absorption here") survives a project file, and an entry written
        // before these values were overridable still reads.
        let text = serde_json::to_string(&o).unwrap();
        assert!(text.contains("\"attenuation_distance\":null"), "{text}");
        let back: MaterialOverride = serde_json::from_str(&text).unwrap();
        assert_eq!(back, o);
        let old: MaterialOverride =
            serde_json::from_str(r#"{"base_color":[1.0,0.0,0.0,1.0],"roughness":0.3}"#).unwrap();
        assert_eq!(old.count(), 2);
        assert_eq!(old.attenuation_distance, None);
    }

    #[test]
    fn swapped_material_that_vanished_falls_back_to_base() {
        let (mut scene, _, material, box_node) = scene_with_light();
        let id = scene.reserve_variant_id();
        let mut overrides = Overrides::default();
        overrides.node_mut(box_node).material = Some(MaterialId(9999));
        scene.set_variants(Variants {
            list: vec![Variant {
                id,
                name: "A".into(),
                overrides,
            }],
            active: Some(id),
        });
        let shown = scene.resolved().unwrap();
        assert!(matches!(
            shown.node(box_node).unwrap().kind,
            NodeKind::Mesh { material: m, .. } if m == material
        ));
    }

    #[test]
    fn overrides_survive_json() {
        let mut o = Overrides::default();
        o.node_mut(NodeId(5)).visible = Some(false);
        o.material_mut(MaterialId(7)).base_color = Some([1.0, 0.0, 0.0, 1.0]);
        o.environment.panorama = Some(None);
        let text = serde_json::to_string(&o).unwrap();
        let back: Overrides = serde_json::from_str(&text).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn unique_names() {
        let v = Variants {
            list: vec![Variant {
                id: VariantId(1),
                name: "Noon".into(),
                overrides: Overrides::default(),
            }],
            active: None,
        };
        assert_eq!(v.unique_name("Dawn"), "Dawn");
        assert_eq!(v.unique_name("Noon"), "Noon 2");
    }
}
