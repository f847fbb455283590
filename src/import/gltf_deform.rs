//! The rest pose of morphed and skinned glTF meshes, baked into their vertices.
//!
//! worldsmith draws meshes as they are stored, so a mesh that glTF deforms is deformed once,
//! at import, the way a glTF viewer shows the file before any animation plays:
//! * morph targets (glTF 2.0 §3.7.2.2) add `weights[k] × target k` to positions, normals and
//!   tangents, with the node's `weights` if it has them, else the mesh's (the arithmetic is
//!   [`crate::scene::morph`]'s; the importer keeps the targets so that weights stay editable);
//! * a skin (§3.7.3) moves each vertex by its joints at their rest pose, the nodes' own
//!   transforms: `world = Σ w · world_from_joint · joint_from_bind`. glTF ignores a skinned
//!   node's transform, but the scene keeps it (it is what an artist sees in the outliner), so
//!   vertices are stored in that node's frame: `local_from_bind = (world_from_node)⁻¹ ·
//!   world_from_joint · joint_from_bind`.
//!
//! This module does arithmetic only: reading and checking accessors is the importer's.

use glam::Mat4;

pub(super) use crate::scene::skin::{Influences, Vertices};

/// A skin as the file declares it, set aside before validation (see `gltf.rs`): the nodes
/// that are its joints and the accessor of its inverse bind matrices, unchecked.
#[derive(Clone, Debug, Default)]
pub(super) struct SkinJson {
    pub joints: Vec<usize>,
    pub inverse_bind_matrices: Option<usize>,
}

/// The world-from-local matrix of every node at rest (`local[n]` chained up its parents),
/// in node order. Each node takes the first parent that lists it; a node reachable only
/// through a cycle is its own root. Linear in nodes and child references.
pub(super) fn rest_world_from_nodes(local: &[Mat4], children: &[Vec<usize>]) -> Vec<Mat4> {
    let n = local.len();
    let mut parent: Vec<Option<usize>> = vec![None; n];
    for (p, kids) in children.iter().enumerate() {
        for &c in kids {
            if c < n && c != p && parent[c].is_none() {
                parent[c] = Some(p);
            }
        }
    }
    let mut world: Vec<Option<Mat4>> = vec![None; n];
    // Roots first, then down the tree; what a cycle leaves unreached starts a root of its own.
    let mut order: Vec<usize> = (0..n).filter(|&i| parent[i].is_none()).collect();
    let mut next = 0;
    let mut unreached = 0;
    loop {
        while let Some(&node) = order.get(next) {
            next += 1;
            if world[node].is_some() {
                continue;
            }
            let parent_world = parent[node]
                .and_then(|p| world[p])
                .unwrap_or(Mat4::IDENTITY);
            world[node] = Some(parent_world * local[node]);
            for &c in children.get(node).into_iter().flatten() {
                if c < n && parent[c] == Some(node) && world[c].is_none() {
                    order.push(c);
                }
            }
        }
        while unreached < n && world[unreached].is_some() {
            unreached += 1;
        }
        if unreached == n {
            break;
        }
        parent[unreached] = None;
        order.push(unreached);
    }
    world
        .into_iter()
        .map(|m| m.unwrap_or(Mat4::IDENTITY))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;

    #[test]
    fn rest_world_chains_parents_and_survives_cycles() {
        let t = |x: f32| Mat4::from_translation(Vec3::new(x, 0.0, 0.0));
        // 0 → 1 → 2; 3 ↔ 4 (a cycle nothing roots); 5 listed twice (first parent wins).
        let local = vec![t(1.0), t(2.0), t(4.0), t(8.0), t(16.0), t(32.0)];
        let children = vec![vec![1, 5], vec![2], vec![], vec![4], vec![3], vec![]];
        let mut children = children;
        children[2].push(5);
        let world = rest_world_from_nodes(&local, &children);
        let x = |m: Mat4| m.w_axis.x;
        assert_eq!(x(world[0]), 1.0);
        assert_eq!(x(world[1]), 3.0);
        assert_eq!(x(world[2]), 7.0);
        assert_eq!(x(world[5]), 33.0);
        // The cycle: node 3 becomes a root, 4 hangs below it.
        assert_eq!(x(world[3]), 8.0);
        assert_eq!(x(world[4]), 24.0);
        // Out-of-range and self references are ignored.
        let world = rest_world_from_nodes(&[t(1.0)], &[vec![0, 7]]);
        assert_eq!(x(world[0]), 1.0);
    }
}
