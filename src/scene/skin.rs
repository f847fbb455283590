//! Skinned meshes: a mesh node whose vertices follow joint nodes (glTF 2.0 §3.7.3).
//!
//! A [`Skin`] keeps the mesh as bound (what the file stores; on a node with morph targets the
//! morph's base, which the targets shape before the joints move it), its
//! joints (scene nodes) with their inverse bind matrices, and each vertex's joints and
//! weights. [`Scene::pose_deformed`] poses the mesh the node shows from the joints' current world
//! transforms: `local_from_bind = (world_from_node)⁻¹ · world_from_joint · joint_from_bind`
//! (the node's own transform stays the artist's handle, so vertices are stored in its frame).
//! The shown mesh is derived data, re-made only when a joint or the node moved; a mesh edited
//! by hand since the last pose suspends the binding (the edit wins, so no pose overwrites
//! work, and the scene reports no skin there), and undoing that edit brings it back.

use super::{Mesh, MeshId, NodeId, NodeKind, Scene};
use glam::{Mat3, Mat4, Vec3, Vec4};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How a mesh node follows its joints.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Skin {
    /// The mesh as bound (bind space), never drawn itself.
    pub bind: Arc<Mesh>,
    pub joints: Vec<NodeId>,
    /// Per joint: its frame from bind space (glTF's inverse bind matrix), column-major.
    pub joint_from_bind: Vec<[f32; 16]>,
    pub influences: Influences,
    /// Each joint's transform (relative to its parent) when the skin was bound: the rest
    /// pose *Reset pose* goes back to. Empty where unknown (projects saved before it was kept).
    #[serde(default)]
    pub rest: Vec<super::Transform>,
}

/// The last pose [`Scene::pose_deformed`] made for a node: from which matrices, into which mesh
/// content.
#[derive(Clone, Debug, Default)]
pub(super) struct Pose {
    local_from_bind: Vec<Option<Mat4>>,
    /// The morph weights it was shaped with (empty without a morph).
    weights: Vec<f32>,
    mesh_content: u64,
}

impl Skin {
    /// Whether the skin's arrays agree with each other and with its bind mesh (one influence
    /// entry per vertex per set, one matrix per joint, finite matrices).
    pub fn check(&self) -> Result<(), String> {
        let n = self.bind.positions.len();
        if self.joint_from_bind.len() != self.joints.len() {
            return Err(format!(
                "{} joints but {} inverse bind matrices",
                self.joints.len(),
                self.joint_from_bind.len()
            ));
        }
        if self.influences.joints.len() != self.influences.weights.len() {
            return Err("joint and weight sets differ in number".into());
        }
        for (joints, weights) in self.influences.joints.iter().zip(&self.influences.weights) {
            if joints.len() != n || weights.len() != n {
                return Err(format!(
                    "{} joint and {} weight entries for {n} vertices",
                    joints.len(),
                    weights.len()
                ));
            }
        }
        if self
            .joint_from_bind
            .iter()
            .flatten()
            .any(|v| !v.is_finite())
        {
            return Err("an inverse bind matrix is not finite".into());
        }
        if !self.rest.is_empty() && self.rest.len() != self.joints.len() {
            return Err(format!(
                "{} joints but {} rest transforms",
                self.joints.len(),
                self.rest.len()
            ));
        }
        if self
            .rest
            .iter()
            .any(|t| !(t.translation.is_finite() && t.rotation.is_finite() && t.scale.is_finite()))
        {
            return Err("a rest transform is not finite".into());
        }
        Ok(())
    }
}

impl Scene {
    /// The skin of mesh node `node`, if it has one (and no geometry edit suspended it).
    pub fn skin(&self, node: NodeId) -> Option<&Skin> {
        self.skins
            .get(&node)
            .filter(|_| self.binding_holds(node))
            .map(Arc::as_ref)
    }

    /// Every skin, by its mesh node (those a geometry edit suspended left out).
    pub fn skins(&self) -> impl Iterator<Item = (NodeId, &Skin)> {
        self.skins
            .iter()
            .filter(|(id, _)| self.binding_holds(**id))
            .map(|(id, s)| (*id, s.as_ref()))
    }

    /// Whether `node`'s skin and morph targets hold: the mesh it shows is the one last made
    /// from them (or none was made yet, or the node is gone or holds no mesh: they wait). A
    /// mesh changed since by anything else (a geometry edit) suspends them until an undo
    /// brings that mesh back.
    pub(super) fn binding_holds(&self, node: NodeId) -> bool {
        match (self.poses.get(&node), self.shown_mesh(node)) {
            (Some(pose), Some((_, content))) => pose.mesh_content == content,
            _ => true,
        }
    }

    /// Binds mesh node `node` to `skin`. Its mesh as it is now counts as the pose of its
    /// joints as they are now (an importer has posed it already). On a node with morph
    /// targets the skin moves the morphed mesh; its own `bind` mesh is not read.
    pub fn set_skin(&mut self, node: NodeId, skin: Skin) {
        self.skins.insert(node, Arc::new(skin));
        self.record_pose(node);
    }

    /// Gives `to` (a copy of mesh node `from`, perhaps not in the scene yet) `from`'s skin and
    /// morph targets, joints mapped through `joints` (those not in it kept), its last pose
    /// counted as made into the mesh of content `mesh_content` (a copy of `from`'s mesh, at
    /// the same place): the copy follows its own joints from then on. Like File ▸ Import, it
    /// waits for the node; a redo brings the same mesh back, so the binding holds again.
    pub fn copy_deform(
        &mut self,
        from: NodeId,
        to: NodeId,
        joints: &std::collections::HashMap<NodeId, NodeId>,
        mesh_content: u64,
    ) {
        if !self.binding_holds(from) {
            return;
        }
        if let Some(skin) = self.skins.get(&from) {
            let mut skin = Skin::clone(skin);
            for joint in &mut skin.joints {
                *joint = joints.get(joint).copied().unwrap_or(*joint);
            }
            self.skins.insert(to, Arc::new(skin));
        }
        if let Some(morph) = self.morphs.get(&from).cloned() {
            self.morphs.insert(to, morph);
        }
        if let Some(pose) = self.poses.get(&from).cloned() {
            self.poses.insert(
                to,
                Pose {
                    mesh_content,
                    ..pose
                },
            );
        }
    }

    /// Forgets what `node`'s mesh was last made from, so that [`Scene::pose_deformed`] makes
    /// it again from its skin and morph targets (an importer's own rest pose replaced by the
    /// one every animated frame is made like).
    pub fn forget_pose(&mut self, node: NodeId) {
        self.poses.remove(&node);
    }

    /// Counts `node`'s mesh as it is now as made from its joints and morph weights as they
    /// are now.
    pub(super) fn record_pose(&mut self, node: NodeId) {
        let pose = Pose {
            local_from_bind: self.frames_of(node).unwrap_or_default(),
            weights: self.morph_weights(node),
            mesh_content: self.shown_mesh(node).map(|(_, c)| c).unwrap_or_default(),
        };
        self.poses.insert(node, pose);
    }

    fn morph_weights(&self, node: NodeId) -> Vec<f32> {
        self.morphs
            .get(&node)
            .map(|m| m.weights_in_effect())
            .unwrap_or_default()
    }

    /// Re-makes every skinned or morphed mesh whose joints, node or morph weights changed
    /// since it was last made; returns how many were re-made. One whose mesh was changed by
    /// something else since (a geometry edit) is left as edited, its skin and morph targets
    /// suspended ([`Scene::binding_holds`]) until an undo brings the mesh back. Those of nodes
    /// that are gone or hold no mesh wait too.
    pub fn pose_deformed(&mut self) -> usize {
        if self.skins.is_empty() && self.morphs.is_empty() {
            return 0;
        }
        let mut posed = 0;
        let nodes: std::collections::BTreeSet<NodeId> = self
            .skins
            .keys()
            .chain(self.morphs.keys())
            .copied()
            .collect();
        for node in nodes {
            let Some((id, content)) = self.shown_mesh(node) else {
                continue;
            };
            let skin = self.skins.get(&node).cloned();
            let local_from_bind = self.frames_of(node).unwrap_or_default();
            let weights = self.morph_weights(node);
            if let Some(pose) = self.poses.get(&node) {
                if pose.mesh_content != content {
                    continue;
                }
                if pose.local_from_bind == local_from_bind && pose.weights == weights {
                    continue;
                }
            }
            let mut mesh = match (self.morphs.get(&node), &skin) {
                (Some(morph), _) => morph.shaped(),
                (None, Some(skin)) => skin.bind.clone_data(),
                (None, None) => continue,
            };
            if let Some(skin) = &skin {
                let mut vertices = Vertices {
                    positions: &mut mesh.positions,
                    normals: &mut mesh.normals,
                    tangents: &mut mesh.tangents,
                };
                skin_vertices(
                    &mut vertices,
                    &mut mesh.indices,
                    &skin.influences,
                    &local_from_bind,
                );
            }
            let mesh_content = mesh.content_id();
            self.replace_mesh(id, Arc::new(mesh));
            self.poses.insert(
                node,
                Pose {
                    local_from_bind,
                    weights,
                    mesh_content,
                },
            );
            posed += 1;
        }
        posed
    }

    /// The mesh node `node` shows: its id and content id.
    pub(super) fn shown_mesh(&self, node: NodeId) -> Option<(MeshId, u64)> {
        match self.node(node)?.kind {
            NodeKind::Mesh { mesh, .. } => Some((mesh, self.meshes.get(&mesh)?.content_id())),
            _ => None,
        }
    }

    /// [`local_from_bind`] of `node`'s skin with the joints where they are now (a joint no
    /// longer in the scene has none); `None` without a skin.
    fn frames_of(&self, node: NodeId) -> Option<Vec<Option<Mat4>>> {
        let skin = self.skins.get(&node)?;
        let joints = skin
            .joints
            .iter()
            .zip(&skin.joint_from_bind)
            .map(|(joint, bind)| {
                let world_from_joint = self.node(*joint).map(|_| self.world_from_local(*joint));
                (world_from_joint, Mat4::from_cols_array(bind))
            });
        Some(local_from_bind(self.world_from_local(node), joints))
    }
}

/// A joint drawn as a bone (viewport only): from the joint (`head`, world) towards its child
/// joints (`tail`: the centre of their heads), or for a joint without child joints along its
/// own +Y axis (Blender's bone axis, which glTF exporters keep) for half its parent bone's
/// length.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bone {
    pub joint: NodeId,
    pub head: Vec3,
    pub tail: Vec3,
}

impl Scene {
    /// The skinned mesh nodes `node` is a joint of (none: it is not a joint), in id order.
    pub fn skinned_by(&self, node: NodeId) -> Vec<NodeId> {
        self.skins()
            .filter(|(_, skin)| skin.joints.contains(&node))
            .map(|(id, _)| id)
            .collect()
    }
}

/// Bone length of a joint with neither child joints nor a parent joint, in metres.
const LONE_BONE_M: f32 = 0.1;

impl Scene {
    /// The bones of every skin's joints that are shown (visible, with their parents), in
    /// outliner order; a joint shared by several skins once.
    pub fn bones(&self) -> Vec<Bone> {
        if self.skins.is_empty() {
            return Vec::new();
        }
        let joints: std::collections::BTreeSet<NodeId> = self
            .skins()
            .flat_map(|(_, s)| s.joints.iter().copied())
            .collect();
        let walk = self.walk();
        let world: std::collections::HashMap<NodeId, (Mat4, bool)> = walk
            .iter()
            .filter(|w| joints.contains(&w.node.id))
            .map(|w| (w.node.id, (w.world_from_local, w.visible)))
            .collect();
        let head_of = |id: NodeId| world.get(&id).map(|(m, _)| m.w_axis.truncate());
        let mut out = Vec::new();
        for w in &walk {
            let id = w.node.id;
            let Some(&(world_from_joint, true)) = world.get(&id) else {
                continue;
            };
            let head = world_from_joint.w_axis.truncate();
            let children: Vec<Vec3> = w.node.children.iter().filter_map(|&c| head_of(c)).collect();
            let towards_children = (!children.is_empty())
                .then(|| children.iter().sum::<Vec3>() / children.len() as f32)
                .filter(|t| t.distance(head) > 1e-4);
            let tail = towards_children.unwrap_or_else(|| {
                let parent = w.node.parent.and_then(head_of);
                let length = parent.map_or(LONE_BONE_M, |p| 0.5 * p.distance(head));
                let axis = world_from_joint
                    .y_axis
                    .truncate()
                    .try_normalize()
                    .unwrap_or(Vec3::Y);
                head + axis * length.max(0.01)
            });
            if head.is_finite() && tail.is_finite() && head.distance(tail) > 1e-6 {
                out.push(Bone {
                    joint: id,
                    head,
                    tail,
                });
            }
        }
        out
    }
}

/// Per joint, the skinned node's frame from bind space: `(world_from_node)⁻¹ ·
/// world_from_joint · joint_from_bind` (a singular node frame counts as the identity);
/// `None` for a joint without a world pose or whose product is not finite. `joints` gives
/// each joint's world pose (if any) and inverse bind matrix. The importer's rest pose and
/// [`Scene::pose_deformed`] both pose through this.
pub fn local_from_bind(
    world_from_node: Mat4,
    joints: impl IntoIterator<Item = (Option<Mat4>, Mat4)>,
) -> Vec<Option<Mat4>> {
    let node_from_world = if world_from_node.determinant().abs() > 1e-30 {
        world_from_node.inverse()
    } else {
        Mat4::IDENTITY
    };
    joints
        .into_iter()
        .map(|(world_from_joint, joint_from_bind)| {
            let m = node_from_world * world_from_joint? * joint_from_bind;
            m.is_finite().then_some(m)
        })
        .collect()
}

/// A primitive's vertex attributes that deforming moves (normals and tangents may be empty).
pub struct Vertices<'a> {
    pub positions: &'a mut [[f32; 3]],
    pub normals: &'a mut [[f32; 3]],
    pub tangents: &'a mut [[f32; 4]],
}

/// The joints and weights of each vertex: one `[joint; 4]` and `[weight; 4]` per vertex for
/// each JOINTS_n/WEIGHTS_n pair the primitive has.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Influences {
    pub joints: Vec<Vec<[u16; 4]>>,
    pub weights: Vec<Vec<[f32; 4]>>,
}

/// What [`skin`] could not use.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SkinReport {
    /// Influences naming a joint the skin does not have (left out).
    pub missing_joints: usize,
    /// Vertices whose weights add up to nothing (left where the mesh has them).
    pub unweighted: usize,
}

/// Moves each vertex by the weighted sum of `local_from_bind` of its joints (`None`: a joint
/// that is gone, left out like one the skin lacks) (weights
/// normalized to sum 1); normals by the inverse transpose and tangents by the matrix itself.
/// Triangles whose corners were mostly mirrored (a negative determinant) are turned round so
/// that their front stays outside.
pub fn skin_vertices(
    vertices: &mut Vertices,
    indices: &mut [u32],
    influences: &Influences,
    local_from_bind: &[Option<Mat4>],
) -> SkinReport {
    let mut report = SkinReport::default();
    let count = vertices.positions.len();
    let mut mirrored = vec![false; count];
    for (v, mirrored) in mirrored.iter_mut().enumerate() {
        let mut sum = Mat4::ZERO;
        let mut total = 0.0f32;
        for (joints, weights) in influences.joints.iter().zip(&influences.weights) {
            let (Some(joints), Some(weights)) = (joints.get(v), weights.get(v)) else {
                continue;
            };
            for (&joint, &weight) in joints.iter().zip(weights) {
                if weight <= 0.0 || !weight.is_finite() {
                    continue;
                }
                match local_from_bind.get(usize::from(joint)).copied().flatten() {
                    Some(m) => {
                        sum += m * weight;
                        total += weight;
                    }
                    None => report.missing_joints += 1,
                }
            }
        }
        if total <= 1e-6 {
            report.unweighted += 1;
            continue;
        }
        let m = sum * (1.0 / total);
        let p = m.transform_point3(Vec3::from(vertices.positions[v]));
        if !p.is_finite() {
            report.unweighted += 1;
            continue;
        }
        vertices.positions[v] = p.to_array();
        let linear = Mat3::from_mat4(m);
        let det = linear.determinant();
        *mirrored = det < 0.0;
        let normal_from = if det.abs() > 1e-12 {
            linear.inverse().transpose()
        } else {
            linear
        };
        if let Some(n) = vertices.normals.get_mut(v) {
            *n = (normal_from * Vec3::from(*n))
                .normalize_or_zero()
                .to_array();
        }
        if let Some(t) = vertices.tangents.get_mut(v) {
            let xyz = (linear * Vec3::from_slice(&t[..3])).normalize_or_zero();
            let w = if det < 0.0 { -t[3] } else { t[3] };
            *t = Vec4::from((xyz, w)).to_array();
        }
    }
    for triangle in indices.chunks_exact_mut(3) {
        let flipped = triangle
            .iter()
            .filter(|&&i| mirrored.get(i as usize).copied().unwrap_or(false))
            .count();
        if flipped >= 2 {
            triangle.swap(1, 2);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Quat;

    fn close(a: [f32; 3], b: [f32; 3]) -> bool {
        a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
    }

    #[test]
    fn skin_blends_joints_and_turns_mirrored_triangles() {
        // Joint 0 stays, joint 1 turns 90° about z and moves up by 1.
        let turn = Mat4::from_rotation_translation(
            Quat::from_rotation_z(std::f32::consts::FRAC_PI_2),
            Vec3::Y,
        );
        let joints = [Some(Mat4::IDENTITY), Some(turn)];
        let mut positions = vec![[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0; 3]];
        let mut normals = vec![[1.0, 0.0, 0.0]; 4];
        let mut tangents = vec![[0.0, 1.0, 0.0, 1.0]; 4];
        let mut indices = vec![0, 1, 2];
        let influences = Influences {
            joints: vec![vec![[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 9, 0], [0; 4]]],
            // Vertex 2's weights sum to 2 (normalized) and one names joint 9 (missing);
            // vertex 3 has none.
            weights: vec![vec![
                [1.0, 0.0, 0.0, 0.0],
                [1.0, 0.0, 0.0, 0.0],
                [1.0, 1.0, 0.5, 0.0],
                [0.0; 4],
            ]],
        };
        let mut vertices = Vertices {
            positions: &mut positions,
            normals: &mut normals,
            tangents: &mut tangents,
        };
        let report = skin_vertices(&mut vertices, &mut indices, &influences, &joints);
        assert_eq!(
            report,
            SkinReport {
                missing_joints: 1,
                unweighted: 1
            }
        );
        assert!(close(positions[0], [1.0, 0.0, 0.0]));
        assert!(close(positions[1], [0.0, 2.0, 0.0]));
        assert!(close(normals[1], [0.0, 1.0, 0.0]));
        assert!(close(
            tangents[1][..3].try_into().unwrap(),
            [-1.0, 0.0, 0.0]
        ));
        // Half of each: (0.5, 1.0, 0).
        assert!(close(positions[2], [0.5, 1.0, 0.0]));
        assert_eq!(positions[3], [2.0; 3]);
        assert_eq!(indices, [0, 1, 2]);

        // A joint mirrored in x turns the triangle round and flips tangent handedness.
        let mirror = [Some(Mat4::from_scale(Vec3::new(-1.0, 1.0, 1.0)))];
        let mut positions = vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let mut tangents = vec![[0.0, 1.0, 0.0, 1.0]; 3];
        let mut indices = vec![0, 1, 2];
        let influences = Influences {
            joints: vec![vec![[0; 4]; 3]],
            weights: vec![vec![[1.0, 0.0, 0.0, 0.0]; 3]],
        };
        let mut vertices = Vertices {
            positions: &mut positions,
            normals: &mut [],
            tangents: &mut tangents,
        };
        skin_vertices(&mut vertices, &mut indices, &influences, &mirror);
        assert!(close(positions[0], [-1.0, 0.0, 0.0]));
        assert_eq!(indices, [0, 2, 1]);
        assert_eq!(tangents[0][3], -1.0);
    }
}
