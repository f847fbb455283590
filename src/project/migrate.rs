//! What a project written in an older format needs to load as the current build draws it.

use crate::scene::{Material, MaterialId, Mesh, MeshId, Node, NodeKind};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Format 1 → 2: generated tangents follow glTF's handedness.
///
/// For glTF meshes without tangents, the importer generates them with MikkTSpace. Builds that
/// wrote format 1 kept MikkTSpace's handedness `w`, whose bitangent follows +v; glTF's normal
/// maps put green towards −v, so their normal maps tilted the wrong way up and down. Format 2
/// stores `w` negated (`import::generated_tangents`). A format-1 mesh's tangents count as
/// generated when they are exactly what MikkTSpace gives, with the old handedness, for the
/// normal map of a material that a node draws the mesh with; only those are turned round.
/// Tangents that came from a file, or were changed since, are left as they are.
pub(super) fn generated_tangents_to_gltf_handedness(
    meshes: &mut BTreeMap<MeshId, Arc<Mesh>>,
    nodes: &[Node],
    materials: &BTreeMap<MaterialId, Material>,
) {
    let mut drawn_with: BTreeMap<MeshId, BTreeSet<MaterialId>> = BTreeMap::new();
    for node in nodes {
        if let NodeKind::Mesh { mesh, material } = node.kind {
            drawn_with.entry(mesh).or_default().insert(material);
        }
    }
    for (id, mesh) in meshes.iter_mut() {
        if mesh.tangents.is_empty() {
            continue;
        }
        let generated_then = drawn_with
            .get(id)
            .into_iter()
            .flatten()
            .filter_map(|m| materials.get(m))
            .filter_map(|m| crate::import::generated_tangents(mesh, m))
            .find(|now| same_but_handedness(&mesh.tangents, now));
        if let Some(now) = generated_then {
            Arc::make_mut(mesh).tangents = now;
        }
    }
}

/// Whether `old` equals `now` with every handedness turned round.
fn same_but_handedness(old: &[[f32; 4]], now: &[[f32; 4]]) -> bool {
    old.len() == now.len()
        && old
            .iter()
            .zip(now)
            .all(|(o, n)| o[3] == -n[3] && (0..3).all(|k| (o[k] - n[k]).abs() <= 1e-5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tangents_with_every_handedness_turned_round_match() {
        let now = [[1.0, 0.0, 0.0, -1.0], [0.0, 0.6, 0.8, 1.0]];
        assert!(same_but_handedness(
            &[[1.0, 0.0, 0.0, 1.0], [0.0, 0.6, 0.8, -1.0]],
            &now
        ));
        assert!(!same_but_handedness(&now, &now), "already format 2");
        assert!(!same_but_handedness(
            &[[1.0, 0.0, 0.0, 1.0], [0.0, 0.6, 0.8, 1.0]],
            &now
        ));
        assert!(!same_but_handedness(
            &[[1.0, 0.0, 0.0, 1.0], [0.0, 0.8, 0.6, -1.0]],
            &now
        ));
        assert!(!same_but_handedness(&[[1.0, 0.0, 0.0, 1.0]], &now));
    }
}
