//! Morph targets (glTF 2.0 §3.7.2.2; Blender's shape keys): a mesh node whose vertices are
//! its base mesh plus weighted displacements, `base + Σ weights[k] · target k`.
//!
//! A [`Morph`] keeps the mesh before any target moved it, the targets and their names, and
//! the current weights, which a user sets in the inspector and a shot animates
//! ([`super::Channel::MorphWeight`]). The shown mesh is derived data like a skin's pose
//! ([`Scene::pose_deformed`]): re-made only when a weight changed, and a mesh edited by hand
//! since suspends the binding (undoing the edit brings it back). On a skinned node the morph applies first, in bind space, then the
//! skin moves the result (glTF's order).

use super::{Mesh, NodeId, Scene};
use glam::Vec3;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The displacements of one morph target, each empty or one per vertex (tangent
/// displacements are xyz; handedness never morphs).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MorphTarget {
    pub positions: Vec<[f32; 3]>,
    pub normals: Vec<[f32; 3]>,
    pub tangents: Vec<[f32; 3]>,
}

/// How a mesh node is shaped by its morph targets.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Morph {
    /// The mesh before any target moved it (on a skinned node, in bind space), never drawn
    /// itself.
    pub base: Arc<Mesh>,
    pub targets: Arc<[MorphTarget]>,
    /// One name per target (glTF's `extras.targetNames`; "Shape 3" where the file has none).
    pub names: Arc<[String]>,
    /// One weight per target.
    pub weights: Vec<f32>,
    /// Whether the base's normals were derived from its positions (the file had none): they
    /// are derived again from the morphed positions instead of displaced.
    #[serde(default)]
    pub derive_normals: bool,
    /// Muted targets (Blender's shape-key checkbox): kept with their weights and tracks but
    /// shaping nothing. Empty (none muted) or one per target.
    #[serde(default)]
    pub muted: Vec<bool>,
    /// Each target's slider range (Blender's Range Min / Max), within ±[`MAX_RANGE`]:
    /// empty (all 0–1) or one per target. It bounds the slider; a typed weight may go past.
    #[serde(default)]
    pub ranges: Vec<[f32; 2]>,
}

/// The default slider range of a target.
pub const DEFAULT_RANGE: [f32; 2] = [0.0, 1.0];
/// How far a slider range may reach either way (Blender's limit).
pub const MAX_RANGE: f32 = 10.0;

/// Whether `range` is a slider range a target may have: finite, min below max, within
/// ±[`MAX_RANGE`].
pub fn valid_range([min, max]: [f32; 2]) -> bool {
    min.is_finite() && max.is_finite() && min < max && min >= -MAX_RANGE && max <= MAX_RANGE
}

/// What a morph target is called where its file names none.
pub fn default_target_name(k: usize) -> String {
    format!("Shape {k}")
}

impl Morph {
    /// Whether the arrays agree with each other and with the base mesh (one name and one
    /// finite weight per target, one displacement per vertex, finite displacements).
    pub fn check(&self) -> Result<(), String> {
        let n = self.base.positions.len();
        let k = self.targets.len();
        if self.names.len() != k || self.weights.len() != k {
            return Err(format!(
                "{k} morph targets but {} names and {} weights",
                self.names.len(),
                self.weights.len()
            ));
        }
        if !self.muted.is_empty() && self.muted.len() != k {
            return Err(format!(
                "{k} morph targets but {} mute flags",
                self.muted.len()
            ));
        }
        if !self.ranges.is_empty() && self.ranges.len() != k {
            return Err(format!(
                "{k} morph targets but {} slider ranges",
                self.ranges.len()
            ));
        }
        if let Some(bad) = self.ranges.iter().find(|r| !valid_range(**r)) {
            return Err(format!(
                "a morph target's slider range {bad:?} is not min < max within ±{MAX_RANGE}"
            ));
        }
        if self.weights.iter().any(|w| !w.is_finite()) {
            return Err("a morph weight is not a finite number".into());
        }
        for (i, target) in self.targets.iter().enumerate() {
            for (len, what) in [
                (target.positions.len(), "position"),
                (target.normals.len(), "normal"),
                (target.tangents.len(), "tangent"),
            ] {
                if len != 0 && len != n {
                    return Err(format!(
                        "morph target {i} has {len} {what} displacements for {n} vertices"
                    ));
                }
            }
            let finite = |v: &[[f32; 3]]| v.iter().flatten().all(|c| c.is_finite());
            if !(finite(&target.positions) && finite(&target.normals) && finite(&target.tangents)) {
                return Err(format!(
                    "morph target {i} has a displacement that is not finite"
                ));
            }
        }
        Ok(())
    }

    /// Whether target `k` is muted.
    pub fn is_muted(&self, k: usize) -> bool {
        self.muted.get(k).copied().unwrap_or(false)
    }

    /// Target `k`'s slider range.
    pub fn range(&self, k: usize) -> [f32; 2] {
        self.ranges.get(k).copied().unwrap_or(DEFAULT_RANGE)
    }

    /// The weights that shape the mesh: the current ones, 0 for muted targets.
    pub fn weights_in_effect(&self) -> Vec<f32> {
        (self.weights.iter().enumerate())
            .map(|(k, &w)| if self.is_muted(k) { 0.0 } else { w })
            .collect()
    }

    /// One target that moves the base as the weights in effect move it (Blender's *New Shape
    /// from Mix*): each displacement the weighted sum of the targets'.
    pub fn mix_target(&self) -> MorphTarget {
        let n = self.base.positions.len();
        let sum = |part: fn(&MorphTarget) -> &Vec<[f32; 3]>| {
            let weights = self.weights_in_effect();
            let used = self
                .targets
                .iter()
                .zip(weights)
                .filter(|(t, w)| *w != 0.0 && part(t).len() == n);
            let mut out: Option<Vec<[f32; 3]>> = None;
            for (target, w) in used {
                let out = out.get_or_insert_with(|| vec![[0.0; 3]; n]);
                for (o, d) in out.iter_mut().zip(part(target)) {
                    for k in 0..3 {
                        o[k] += w * d[k];
                    }
                }
            }
            out.unwrap_or_default()
        };
        MorphTarget {
            positions: sum(|t| &t.positions),
            normals: sum(|t| &t.normals),
            tangents: sum(|t| &t.tangents),
        }
    }

    /// The base mesh shaped by the weights in effect (a new mesh, new content id).
    pub fn shaped(&self) -> Mesh {
        let mut mesh = self.base.clone_data();
        let mut moved = Moved::default();
        for (target, weight) in self.targets.iter().zip(self.weights_in_effect()) {
            moved.add(
                &mut mesh.positions,
                &mut mesh.normals,
                &mut mesh.tangents,
                target,
                weight,
            );
        }
        if self.derive_normals && moved.positions {
            mesh.normals = mesh.smooth_normals();
        } else {
            moved.renormalize(&mut mesh.normals, &mut mesh.tangents);
        }
        mesh
    }
}

/// Adds weighted targets to vertex arrays one at a time (so that a reader need hold only one
/// target), then [`Moved::renormalize`]s the normals and tangents that moved. Arrays of
/// another length than a target's displacements are left alone.
#[derive(Default)]
pub struct Moved {
    pub positions: bool,
    normals: bool,
    tangents: bool,
}

impl Moved {
    /// Adds `target` times `weight` (a zero or non-finite weight adds nothing).
    pub fn add(
        &mut self,
        positions: &mut [[f32; 3]],
        normals: &mut [[f32; 3]],
        tangents: &mut [[f32; 4]],
        target: &MorphTarget,
        weight: f32,
    ) {
        if weight == 0.0 || !weight.is_finite() {
            return;
        }
        let add = |out: &mut [f32], delta: &[f32; 3]| {
            for (o, d) in out.iter_mut().zip(delta) {
                *o += weight * d;
            }
        };
        if !target.positions.is_empty() && target.positions.len() == positions.len() {
            self.positions = true;
            for (p, d) in positions.iter_mut().zip(&target.positions) {
                add(p, d);
            }
        }
        if !target.normals.is_empty() && target.normals.len() == normals.len() {
            self.normals = true;
            for (n, d) in normals.iter_mut().zip(&target.normals) {
                add(n, d);
            }
        }
        if !target.tangents.is_empty() && target.tangents.len() == tangents.len() {
            self.tangents = true;
            for (t, d) in tangents.iter_mut().zip(&target.tangents) {
                add(&mut t[..3], d);
            }
        }
    }

    /// Makes the normals and tangents that moved unit length again.
    pub fn renormalize(&self, normals: &mut [[f32; 3]], tangents: &mut [[f32; 4]]) {
        if self.normals {
            for n in normals.iter_mut() {
                *n = Vec3::from(*n).normalize_or_zero().to_array();
            }
        }
        if self.tangents {
            for t in tangents.iter_mut() {
                let xyz = Vec3::from_slice(&t[..3]).normalize_or_zero();
                t[..3].copy_from_slice(&xyz.to_array());
            }
        }
    }
}

impl Scene {
    /// The morph targets of mesh node `node`, if it has any (and no geometry edit suspended
    /// them: [`Scene::binding_holds`]).
    pub fn morph(&self, node: NodeId) -> Option<&Morph> {
        self.morphs.get(&node).filter(|_| self.binding_holds(node))
    }

    /// Every morph, by its mesh node (those a geometry edit suspended left out).
    pub fn morphs(&self) -> impl Iterator<Item = (NodeId, &Morph)> {
        self.morphs
            .iter()
            .filter(|(id, _)| self.binding_holds(**id))
            .map(|(id, m)| (*id, m))
    }

    /// Gives mesh node `node` morph targets. Its mesh as it is now counts as shaped by
    /// `morph`'s weights (an importer has shaped it already).
    pub fn set_morph(&mut self, node: NodeId, morph: Morph) {
        self.morphs.insert(node, morph);
        self.record_pose(node);
    }

    /// Replaces mesh node `node`'s morph targets by `morph` (`None`: takes them all away,
    /// leaving the mesh as modelled) and re-makes its mesh from them. Returns the morph
    /// before (`None` if it had none), or `None` when nothing changed: not a mesh node, no
    /// morph to take away, a geometry edit suspends the binding, or `morph` does not fit
    /// (inconsistent arrays, or a base of another vertex count than a skin's bind mesh).
    pub fn replace_morph(&mut self, node: NodeId, morph: Option<Morph>) -> Option<Option<Morph>> {
        let (mesh, _) = self.shown_mesh(node)?;
        if !self.binding_holds(node) || (morph.is_none() && !self.morphs.contains_key(&node)) {
            return None;
        }
        if let Some(m) = &morph {
            m.check().ok()?;
            let skin_vertices = self.skins.get(&node).map(|s| s.bind.positions.len());
            if skin_vertices.is_some_and(|n| n != m.base.positions.len()) {
                return None;
            }
        }
        let before = match morph {
            Some(m) => self.morphs.insert(node, m),
            None => self.morphs.remove(&node),
        };
        if !self.morphs.contains_key(&node) && !self.skins.contains_key(&node) {
            // Nothing shapes the mesh any more: it is the base as modelled.
            if let Some(base) = before.as_ref().map(|m| Arc::clone(&m.base)) {
                self.replace_mesh(mesh, base);
            }
        }
        self.forget_pose(node);
        self.pose_deformed();
        self.revision.structure = super::stamp();
        Some(before)
    }

    /// Renames morph target `index` of `node` (its shape key; glTF's `targetNames`). Returns
    /// the name before; `None` without such a target.
    pub fn rename_morph_target(
        &mut self,
        node: NodeId,
        index: usize,
        name: &str,
    ) -> Option<String> {
        let morph = self.morphs.get_mut(&node)?;
        let mut names = morph.names.to_vec();
        let before = std::mem::replace(names.get_mut(index)?, name.to_owned());
        morph.names = names.into();
        self.revision.structure = super::stamp();
        Some(before)
    }

    /// Mutes or unmutes morph target `index` of `node`; returns whether it was muted before,
    /// `None` without such a target.
    pub fn set_morph_muted(&mut self, node: NodeId, index: usize, muted: bool) -> Option<bool> {
        let morph = self.morphs.get_mut(&node)?;
        let count = morph.targets.len();
        if index >= count {
            return None;
        }
        let before = morph.is_muted(index);
        morph.muted.resize(count, false);
        morph.muted[index] = muted;
        if morph.muted.iter().all(|m| !m) {
            morph.muted.clear();
        }
        self.revision.structure = super::stamp();
        Some(before)
    }

    /// Sets the slider range of morph target `index` of `node`; returns the range before,
    /// `None` without such a target or for a range that is not [`valid_range`].
    pub fn set_morph_range(
        &mut self,
        node: NodeId,
        index: usize,
        range: [f32; 2],
    ) -> Option<[f32; 2]> {
        let morph = self.morphs.get_mut(&node)?;
        let count = morph.targets.len();
        if index >= count || !valid_range(range) {
            return None;
        }
        let before = morph.range(index);
        morph.ranges.resize(count, DEFAULT_RANGE);
        morph.ranges[index] = range;
        if morph.ranges.iter().all(|r| *r == DEFAULT_RANGE) {
            morph.ranges.clear();
        }
        self.revision.structure = super::stamp();
        Some(before)
    }

    /// Sets the weights of `node`'s morph targets (missing ones stay, extra ones are
    /// ignored, values that are not finite numbers are refused) without re-shaping the mesh:
    /// [`Scene::pose_deformed`] does that. Returns the weights before; `None` without a morph.
    pub fn set_morph_weights(&mut self, node: NodeId, weights: &[f32]) -> Option<Vec<f32>> {
        if !self.binding_holds(node) {
            return None;
        }
        let morph = self.morphs.get_mut(&node)?;
        let before = morph.weights.clone();
        for (w, &v) in morph.weights.iter_mut().zip(weights) {
            if v.is_finite() {
                *w = v;
            }
        }
        Some(before)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    #[test]
    fn moved_adds_weighted_targets_and_renormalizes() {
        let mut positions = vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]];
        let mut normals = vec![[0.0, 1.0, 0.0]; 2];
        let mut tangents = vec![[1.0, 0.0, 0.0, -1.0]; 2];
        let targets = [
            MorphTarget {
                positions: vec![[0.0, 2.0, 0.0], [0.0, 4.0, 0.0]],
                normals: vec![[1.0, -1.0, 0.0]; 2],
                tangents: Vec::new(),
            },
            MorphTarget {
                positions: vec![[10.0, 0.0, 0.0]; 2],
                normals: Vec::new(),
                tangents: vec![[-1.0, 1.0, 0.0]; 2],
            },
            MorphTarget {
                positions: vec![[100.0, 0.0, 0.0]; 2],
                ..Default::default()
            },
        ];
        // The third target has no weight: it counts as 0.
        let mut moved = Moved::default();
        for (target, weight) in targets.iter().zip([0.5, 1.0]) {
            moved.add(&mut positions, &mut normals, &mut tangents, target, weight);
        }
        moved.renormalize(&mut normals, &mut tangents);
        assert!(close(positions[0], [10.0, 1.0, 0.0]));
        assert!(close(positions[1], [11.0, 2.0, 0.0]));
        // (0, 1, 0) + 0.5 (1, -1, 0) = (0.5, 0.5, 0), normalized.
        let h = std::f32::consts::FRAC_1_SQRT_2;
        assert!(close(normals[0], [h, h, 0.0]));
        // (1, 0, 0) + (-1, 1, 0) = (0, 1, 0); handedness kept.
        assert_eq!(tangents[1], [0.0, 1.0, 0.0, -1.0]);
    }

    fn quad() -> Mesh {
        Mesh::new(
            vec![
                [0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0],
                [1.0, 0.0, 1.0],
                [0.0, 0.0, 1.0],
            ],
            vec![[0.0, 1.0, 0.0]; 4],
            Vec::new(),
            Vec::new(),
            vec![0, 2, 1, 0, 3, 2],
        )
    }

    fn lift(v: usize) -> MorphTarget {
        let mut positions = vec![[0.0; 3]; 4];
        positions[v] = [0.0, 1.0, 0.0];
        MorphTarget {
            positions,
            ..Default::default()
        }
    }

    #[test]
    fn shaped_applies_weights_and_derives_normals_when_asked() {
        let mut morph = Morph {
            base: Arc::new(quad()),
            targets: vec![lift(0), lift(2)].into(),
            names: vec!["A".to_owned(), "B".to_owned()].into(),
            weights: vec![0.25, 0.0],
            derive_normals: false,
            muted: Vec::new(),
            ranges: Vec::new(),
        };
        morph.check().unwrap();
        let mesh = morph.shaped();
        assert!(close(mesh.positions[0], [0.0, 0.25, 0.0]));
        assert_eq!(mesh.positions[2], [1.0, 0.0, 1.0]);
        // Displaced normals only: none here, so they stay.
        assert_eq!(mesh.normals[0], [0.0, 1.0, 0.0]);
        assert_ne!(mesh.content_id(), morph.base.content_id());

        morph.derive_normals = true;
        morph.weights = vec![1.0, 0.0];
        let mesh = morph.shaped();
        assert!(
            mesh.normals[0][0] > 0.1,
            "the lifted corner tilts its normal: {:?}",
            mesh.normals[0]
        );

        // Broken arrays are reported.
        morph.weights = vec![1.0];
        assert!(morph.check().is_err());
        morph.weights = vec![f32::NAN, 0.0];
        assert!(morph.check().is_err());
        morph.weights = vec![0.0, 0.0];
        morph.targets = vec![
            lift(0),
            MorphTarget {
                positions: vec![[0.0; 3]; 3],
                ..Default::default()
            },
        ]
        .into();
        assert!(morph.check().unwrap_err().contains("3 position"));
    }

    #[test]
    fn a_muted_target_keeps_its_weight_and_shapes_nothing() {
        let mut morph = Morph {
            base: Arc::new(quad()),
            targets: vec![lift(0), lift(2)].into(),
            names: vec!["A".to_owned(), "B".to_owned()].into(),
            weights: vec![0.25, 0.5],
            derive_normals: false,
            muted: vec![true, false],
            ranges: Vec::new(),
        };
        morph.check().unwrap();
        assert_eq!(morph.weights_in_effect(), vec![0.0, 0.5]);
        let mesh = morph.shaped();
        assert_eq!(mesh.positions[0], morph.base.positions[0]);
        assert!(close(mesh.positions[2], [1.0, 0.5, 1.0]));
        // The mix is of the targets in effect.
        let mix = morph.mix_target();
        assert_eq!(mix.positions[0], [0.0; 3]);
        assert!(close(mix.positions[2], [0.0, 0.5, 0.0]));
        // One flag per target, or none.
        morph.muted = vec![true];
        assert!(morph.check().unwrap_err().contains("mute"));
        morph.muted.clear();
        assert_eq!(morph.weights_in_effect(), vec![0.25, 0.5]);
    }

    #[test]
    fn slider_ranges_are_one_per_target_min_below_max_within_ten() {
        let mut morph = Morph {
            base: Arc::new(quad()),
            targets: vec![lift(0), lift(2)].into(),
            names: vec!["A".to_owned(), "B".to_owned()].into(),
            weights: vec![0.0, 0.0],
            derive_normals: false,
            muted: Vec::new(),
            ranges: Vec::new(),
        };
        assert_eq!(morph.range(1), DEFAULT_RANGE);
        morph.ranges = vec![[-1.0, 2.0], DEFAULT_RANGE];
        morph.check().unwrap();
        assert_eq!(morph.range(0), [-1.0, 2.0]);
        for bad in [[1.0, 1.0], [2.0, 1.0], [-11.0, 0.0], [0.0, f32::NAN]] {
            morph.ranges = vec![bad, DEFAULT_RANGE];
            assert!(
                morph.check().unwrap_err().contains("slider range"),
                "{bad:?}"
            );
        }
        morph.ranges = vec![DEFAULT_RANGE];
        assert!(morph.check().unwrap_err().contains("slider ranges"));
    }
}
