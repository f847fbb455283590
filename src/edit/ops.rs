//! Editor operations (Add, Duplicate, Delete, Group, Split, Merge, normals, Apply
//! transform, Import, splat regions): each reads the scene and the selection and returns one
//! [`Command`] (usually a [`Command::Batch`]) for the history to run, so every operation is
//! one undo step. New nodes and resources get ids reserved here, which stay theirs through
//! undo and redo.

use super::{Command, MeshData, mesh_ops};
use crate::generate::shapes::primitive_mesh;
use crate::scene::{
    ElementMask, Light, LightKind, Material, MaterialId, Mesh, MeshId, Node, NodeId, NodeKind,
    PointCloudId, Primitive, ResourceIds, Resources, Scene, SplatCloud, SplatCloudId, Subtree,
    Transform,
};
use glam::{Mat4, Vec3};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Why an operation did nothing; shown to the user as is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    #[error("Select something first.")]
    NothingSelected,
    #[error("Select a mesh first.")]
    NoMesh,
    #[error("{0} is already a single connected part.")]
    OnePart(String),
    #[error("Select at least two meshes to merge.")]
    TooFewMeshes,
    #[error("Select a splat cloud first.")]
    NoSplats,
    #[error("Select a splat or point cloud first.")]
    NoCloud,
    #[error("{0}")]
    Nothing(String),
}

/// At most this many objects come out of a split; smaller leftover parts stay together in
/// one last object (a scanned or generated mesh can hold thousands of specks).
pub const MAX_SPLIT_PARTS: usize = 256;

/// `base`, or `base.001`, `base.002`… whichever no node is called yet.
pub fn unique_name(scene: &Scene, base: &str) -> String {
    let taken: HashSet<&str> = scene.nodes().map(|n| n.name.as_str()).collect();
    if !taken.contains(base) {
        return base.to_owned();
    }
    // "Cube.003" duplicates as "Cube.004", not "Cube.003.001".
    let stem = match base.rsplit_once('.') {
        Some((stem, digits)) if digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()) => {
            stem
        }
        _ => base,
    };
    (1..)
        .map(|i| format!("{stem}.{i:03}"))
        .find(|name| !taken.contains(name.as_str()))
        .unwrap_or_else(|| base.to_owned())
}

fn batch(label: impl Into<String>, commands: Vec<Command>) -> Command {
    Command::Batch {
        label: label.into(),
        commands,
    }
}

/// Commands that give nodes new geometry (Apply Transform, Origin to Geometry): a mesh used
/// by one node is replaced in place, a shared one copied for the node; a point or splat cloud
/// becomes a new cloud, the old one freed when nothing else shows it.
#[derive(Default)]
struct Regeometry {
    commands: Vec<Command>,
    new_resources: Resources,
    freed: ResourceIds,
}

impl Regeometry {
    /// `node` (showing `mesh` with `material`) shows `moved` instead; its new kind, if any.
    fn mesh(
        &mut self,
        scene: &mut Scene,
        (mesh, material): (MeshId, MaterialId),
        moved: Arc<Mesh>,
    ) -> Option<NodeKind> {
        if scene.users_of_mesh(mesh) == 1 {
            self.commands.push(Command::ReplaceMesh {
                mesh,
                value: MeshData(moved),
            });
            return None;
        }
        let new = MeshId(scene.reserve_id());
        self.new_resources.meshes.push((new, moved));
        Some(NodeKind::Mesh {
            mesh: new,
            material,
        })
    }

    /// A point or line node's new kind (`kind`), showing `moved` instead of its cloud.
    fn points(
        &mut self,
        scene: &mut Scene,
        kind: &NodeKind,
        moved: Arc<crate::scene::PointCloud>,
    ) -> NodeKind {
        let new = crate::scene::PointCloudId(scene.reserve_id());
        self.new_resources.point_clouds.push((new, moved));
        let mut kind = kind.clone();
        if let NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } = &mut kind {
            if scene.users_of_point_cloud(*cloud) == 1 {
                self.freed.point_clouds.push(*cloud);
            }
            *cloud = new;
        }
        kind
    }

    /// A splat node's new kind, showing `moved` instead of `cloud`.
    fn splats(
        &mut self,
        scene: &mut Scene,
        cloud: SplatCloudId,
        moved: Arc<SplatCloud>,
    ) -> NodeKind {
        let new = SplatCloudId(scene.reserve_id());
        self.new_resources.splat_clouds.push((new, moved));
        if scene.users_of_splat_cloud(cloud) == 1 {
            self.freed.splat_clouds.push(cloud);
        }
        NodeKind::Splats { cloud: new }
    }

    /// `node` takes its new `kind` (if any) and `transform`.
    fn set_node(&mut self, node: NodeId, kind: Option<NodeKind>, transform: Transform) {
        if let Some(kind) = kind {
            self.commands.push(Command::SetKind {
                node,
                kind: Box::new(kind),
            });
        }
        self.commands
            .push(Command::SetTransform { node, transform });
    }

    /// One undo step `label`: new resources first, freed ones last; `nothing` when no
    /// command was made.
    fn finish(self, label: &str, nothing: &str) -> Result<Command, OpError> {
        let Self {
            mut commands,
            new_resources,
            freed,
        } = self;
        if commands.is_empty() {
            return Err(OpError::Nothing(nothing.into()));
        }
        if !new_resources.is_empty() {
            commands.insert(
                0,
                Command::AddResources {
                    resources: Box::new(new_resources),
                },
            );
        }
        if !freed.is_empty() {
            commands.push(Command::RemoveResources {
                ids: Box::new(freed),
            });
        }
        Ok(batch(label, commands))
    }
}

/// Add ▸ shape: a new mesh node with its own mesh and material, placed at `transform`.
pub fn add_primitive(
    scene: &mut Scene,
    shape: Primitive,
    parent: Option<NodeId>,
    transform: Transform,
) -> (Command, NodeId) {
    let mesh = MeshId(scene.reserve_id());
    let material = MaterialId(scene.reserve_id());
    let node = NodeId(scene.reserve_id());
    let name = unique_name(scene, shape.name());
    let resources = Resources {
        meshes: vec![(mesh, Arc::new(primitive_mesh(&shape)))],
        materials: vec![(material, Material::named(&name, [0.8, 0.8, 0.8, 1.0], 0.5))],
        ..Default::default()
    };
    let tree = Subtree::single(
        parent,
        usize::MAX,
        Node::new(node, &name, transform, NodeKind::Mesh { mesh, material }),
    );
    let command = batch(
        format!("Add {name}"),
        vec![
            Command::AddResources {
                resources: Box::new(resources),
            },
            Command::InsertNodes { trees: vec![tree] },
        ],
    );
    (command, node)
}

/// Add ▸ light: a new light node of `kind` with sensible physical values.
pub fn add_light(
    scene: &mut Scene,
    kind: LightKind,
    parent: Option<NodeId>,
    transform: Transform,
) -> (Command, NodeId) {
    let node = NodeId(scene.reserve_id());
    let (base, intensity, range) = match kind {
        // A clear-sky sun, lux.
        LightKind::Directional => ("Sun", 100_000.0, None),
        // A 100 W incandescent bulb ≈ 1600 lm ≈ 130 cd.
        LightKind::Point => ("Point light", 130.0, Some(20.0)),
        LightKind::Spot { .. } => ("Spot light", 400.0, Some(25.0)),
    };
    let name = unique_name(scene, base);
    let light = Light {
        kind,
        color: [1.0; 3],
        intensity,
        range,
        cast_shadows: kind == LightKind::Directional,
    };
    let tree = Subtree::single(
        parent,
        usize::MAX,
        Node::new(node, &name, transform, NodeKind::Light(light)),
    );
    (Command::InsertNodes { trees: vec![tree] }, node)
}

/// Replaces the mesh of a parametric shape with one built from new parameters (every node
/// using that mesh changes). Slider drags of one parameter merge into one undo step.
pub fn set_primitive(scene: &Scene, mesh: MeshId, shape: Primitive) -> Option<Command> {
    let current = scene.mesh(mesh)?;
    if current.primitive == Some(shape) {
        return None;
    }
    Some(Command::ReplaceMesh {
        mesh,
        value: MeshData(Arc::new(primitive_mesh(&shape))),
    })
}

/// Duplicate (Ctrl+D): copies of the selected nodes with everything below them, each placed
/// right after its original. Copies share the originals' meshes, materials and clouds (which
/// costs no memory; geometry edits change the shared data, like linked duplicates). Returns
/// the command and the copies' ids, for the new selection.
pub fn duplicate(
    scene: &mut Scene,
    selection: &[NodeId],
) -> Result<(Command, Vec<NodeId>), OpError> {
    let roots = scene.topmost(selection);
    if roots.is_empty() {
        return Err(OpError::NothingSelected);
    }
    let mut planned: Vec<Subtree> = Vec::new();
    let mut copies = Vec::new();
    // Skinned and morphed meshes get a mesh of their own, to follow their own joints and
    // weights (an instance would move with the original).
    let mut own_meshes = Resources::default();
    // New ids for every copied node first: a copy's skin may name joints copied under
    // another of the roots.
    let subtrees: Vec<(NodeId, Vec<NodeId>)> = roots
        .iter()
        .map(|root| (*root, scene.subtree_ids(*root)))
        .collect();
    let all: HashMap<NodeId, NodeId> = subtrees
        .iter()
        .flat_map(|(_, ids)| ids.iter().copied())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|id| (id, NodeId(scene.reserve_id())))
        .collect();
    for (root, ids) in &subtrees {
        let map: HashMap<NodeId, NodeId> = ids.iter().map(|id| (*id, all[id])).collect();
        let nodes: Vec<Node> = ids
            .iter()
            .filter_map(|id| scene.node(*id))
            .map(|n| Node {
                id: map[&n.id],
                parent: n.parent.and_then(|p| map.get(&p).copied()),
                children: n
                    .children
                    .iter()
                    .filter_map(|c| map.get(c).copied())
                    .collect(),
                ..n.clone()
            })
            .collect();
        let mut nodes = nodes;
        if let Some(first) = nodes.first_mut() {
            first.name = unique_name(scene, &first.name);
        }
        let original_of: HashMap<NodeId, NodeId> = map.iter().map(|(o, c)| (*c, *o)).collect();
        for node in &mut nodes {
            let Some(from) = original_of.get(&node.id) else {
                continue;
            };
            let NodeKind::Mesh { mesh, .. } = &mut node.kind else {
                continue;
            };
            if scene.skin(*from).is_none() && scene.morph(*from).is_none() {
                continue;
            }
            let Some(copy) = scene.mesh(*mesh).map(|m| m.clone_data()) else {
                continue;
            };
            let id = MeshId(scene.reserve_id());
            scene.copy_deform(*from, node.id, &all, copy.content_id());
            own_meshes.meshes.push((id, Arc::new(copy)));
            *mesh = id;
        }
        let original = scene.node(*root).and_then(|n| n.parent);
        let index = scene.index_in_parent(*root).unwrap_or(usize::MAX);
        copies.push(map[root]);
        planned.push(Subtree {
            parent: original,
            index: index.saturating_add(1),
            nodes,
        });
    }
    // Insert the later siblings first so each recorded index still points right after its
    // original when the earlier ones go in.
    planned.sort_by_key(|t| std::cmp::Reverse(t.index));
    let trees = planned;
    let label = match copies.len() {
        1 => format!(
            "Duplicate {}",
            scene.node(roots[0]).map_or("node", |n| n.name.as_str())
        ),
        n => format!("Duplicate {n} objects"),
    };
    let mut commands = Vec::new();
    if !own_meshes.meshes.is_empty() {
        commands.push(Command::AddResources {
            resources: Box::new(own_meshes),
        });
    }
    commands.push(Command::InsertNodes { trees });
    Ok((batch(label, commands), copies))
}

/// *Reset pose* of skinned mesh node `node`: every joint of its skin that moved back to its
/// rest transform, as one undo step; `None` when none moved (or the skin keeps no rest).
pub fn reset_pose(scene: &Scene, node: NodeId) -> Option<Command> {
    let skin = scene.skin(node)?;
    let commands: Vec<Command> = skin
        .joints
        .iter()
        .zip(&skin.rest)
        .filter(|(joint, rest)| scene.node(**joint).is_some_and(|n| n.transform != **rest))
        .map(|(joint, rest)| Command::SetTransform {
            node: *joint,
            transform: *rest,
        })
        .collect();
    if commands.is_empty() {
        return None;
    }
    let name = scene.node(node).map_or("mesh", |n| n.name.as_str());
    Some(batch(format!("Reset pose of {name}"), commands))
}

/// *New shape from mix* on mesh node `node`: a shape key that moves the mesh as all its
/// weights do now ([`Morph::mix_target`](crate::scene::morph::Morph::mix_target)), named
/// "Mix" (or "Mix.001"…), at weight 0, as one undo step.
pub fn shape_from_mix(scene: &Scene, node: NodeId) -> Result<Command, OpError> {
    let morph = morph_of(scene, node)?;
    if morph.weights_in_effect().iter().all(|w| *w == 0.0) {
        return Err(OpError::Nothing(
            "Every weight in effect is 0 (muted shapes count as 0): the mix is the mesh as \
             modelled."
                .into(),
        ));
    }
    let taken = |name: &str| morph.names.iter().any(|n| n == name);
    let name = std::iter::once("Mix".to_owned())
        .chain((1..).map(|k| format!("Mix.{k:03}")))
        .find(|n| !taken(n))
        .unwrap_or_default();
    let mut targets = morph.targets.to_vec();
    targets.push(morph.mix_target());
    let mut names = morph.names.to_vec();
    names.push(name);
    let mut weights = morph.weights.clone();
    weights.push(0.0);
    let mut muted = morph.muted.clone();
    if !muted.is_empty() {
        muted.push(false);
    }
    let mut ranges = morph.ranges.clone();
    if !ranges.is_empty() {
        ranges.push(crate::scene::morph::DEFAULT_RANGE);
    }
    let morph = crate::scene::morph::Morph {
        targets: targets.into(),
        names: names.into(),
        weights,
        muted,
        ranges,
        ..morph.clone()
    };
    Ok(Command::SetMorph {
        node,
        morph: Some(super::MorphData(Arc::new(morph))),
    })
}

/// The shape keys of mesh node `node`.
fn morph_of(scene: &Scene, node: NodeId) -> Result<&crate::scene::morph::Morph, OpError> {
    scene
        .morph(node)
        .ok_or_else(|| OpError::Nothing("That mesh has no shape keys.".into()))
}

/// The shape keys of mesh node `node` and the name of its key `index`.
fn shape_key(
    scene: &Scene,
    node: NodeId,
    index: usize,
) -> Result<(&crate::scene::morph::Morph, String), OpError> {
    let morph = morph_of(scene, node)?;
    let name = morph
        .names
        .get(index)
        .ok_or_else(|| OpError::Nothing(format!("There is no shape key {index}.")))?
        .clone();
    Ok((morph, name))
}

/// *Delete shape key* `index` of mesh node `node`: the target, its name and weight go, the
/// mesh is re-shaped by the others (the base as modelled when it was the last), and the
/// shots' tracks of its weight go with it (those of later targets move up one), as one undo
/// step.
pub fn delete_shape(scene: &Scene, node: NodeId, index: usize) -> Result<Command, OpError> {
    let (morph, name) = shape_key(scene, node, index)?;
    fn without<T: Clone>(values: &[T], index: usize) -> Vec<T> {
        let mut v = values.to_vec();
        v.remove(index);
        v
    }
    let remaining = (morph.targets.len() > 1).then(|| crate::scene::morph::Morph {
        targets: without(&morph.targets, index).into(),
        names: without(&morph.names, index).into(),
        weights: without(&morph.weights, index),
        muted: if morph.muted.is_empty() {
            Vec::new()
        } else {
            without(&morph.muted, index)
        },
        ranges: if morph.ranges.is_empty() {
            Vec::new()
        } else {
            without(&morph.ranges, index)
        },
        ..morph.clone()
    });
    let commands = vec![Command::SetMorph {
        node,
        morph: remaining.map(|m| super::MorphData(Arc::new(m))),
    }];
    let mut timeline = scene.timeline().clone();
    let mut moved = false;
    for shot in &mut timeline.shots {
        shot.tracks.retain(|t| {
            let gone = matches!(t.channel, crate::scene::Channel::MorphWeight(n, k) if n == node && usize::from(k) == index);
            moved |= gone;
            !gone
        });
        for track in &mut shot.tracks {
            if let crate::scene::Channel::MorphWeight(n, k) = track.channel
                && n == node
                && usize::from(k) > index
            {
                track.channel = crate::scene::Channel::MorphWeight(n, k - 1);
                moved = true;
            }
        }
    }
    let node_name = scene.node(node).map_or("mesh", |n| n.name.as_str());
    Ok(shape_batch(
        format!("Delete shape key {name} of {node_name}"),
        commands,
        moved.then_some(timeline),
    ))
}

/// A shape-key edit's undo step: its morph commands, then the shots' retracked timeline when
/// the edit moved any weight track.
fn shape_batch(
    label: String,
    mut commands: Vec<Command>,
    timeline: Option<crate::scene::Timeline>,
) -> Command {
    if let Some(timeline) = timeline {
        commands.push(Command::SetTimeline {
            timeline: Box::new(timeline),
            label: label.clone(),
        });
    }
    batch(label, commands)
}

/// *Move shape key* `index` of mesh node `node` one place up (towards index 0) or down, as
/// Blender's shape-key list arrows do: the target trades places with its neighbour, with its
/// name, weight, mute and range, and the shots' tracks of the two weights trade channels, so
/// the mesh and its animation look the same; the order is what glTF export writes (engines
/// address morph targets by index). One undo step.
pub fn move_shape(scene: &Scene, node: NodeId, index: usize, up: bool) -> Result<Command, OpError> {
    let (morph, name) = shape_key(scene, node, index)?;
    let other = if up {
        index.checked_sub(1)
    } else {
        Some(index + 1).filter(|k| *k < morph.targets.len())
    }
    .ok_or_else(|| {
        OpError::Nothing(format!(
            "{name} is already the {} shape key.",
            if up { "first" } else { "last" }
        ))
    })?;
    // The per-target channels are u16 (`Channel::MorphWeight`): so are the indices here.
    let (Ok(a), Ok(b)) = (u16::try_from(index), u16::try_from(other)) else {
        return Err(OpError::Nothing(format!("There is no shape key {index}.")));
    };
    fn swapped<T: Clone>(values: &[T], a: usize, b: usize) -> Vec<T> {
        let mut v = values.to_vec();
        if a < v.len() && b < v.len() {
            v.swap(a, b);
        }
        v
    }
    let moved = crate::scene::morph::Morph {
        targets: swapped(&morph.targets, index, other).into(),
        names: swapped(&morph.names, index, other).into(),
        weights: swapped(&morph.weights, index, other),
        muted: swapped(&morph.muted, index, other),
        ranges: swapped(&morph.ranges, index, other),
        ..morph.clone()
    };
    let commands = vec![Command::SetMorph {
        node,
        morph: Some(super::MorphData(Arc::new(moved))),
    }];
    let mut timeline = scene.timeline().clone();
    let mut retracked = false;
    for track in timeline.shots.iter_mut().flat_map(|s| s.tracks.iter_mut()) {
        if let crate::scene::Channel::MorphWeight(n, k) = track.channel
            && n == node
            && (k == a || k == b)
        {
            let k = if k == a { b } else { a };
            track.channel = crate::scene::Channel::MorphWeight(n, k);
            retracked = true;
        }
    }
    let node_name = scene.node(node).map_or("mesh", |n| n.name.as_str());
    Ok(shape_batch(
        format!(
            "Move shape key {name} of {node_name} {}",
            if up { "up" } else { "down" }
        ),
        commands,
        retracked.then_some(timeline),
    ))
}

/// Joint `joint` back to its rest transform (that of the first skin that knows it); `None`
/// when it is at rest, or no skin keeps its rest.
pub fn reset_joint(scene: &Scene, joint: NodeId) -> Option<Command> {
    let rest = scene.skins().find_map(|(_, skin)| {
        let k = skin.joints.iter().position(|j| *j == joint)?;
        skin.rest.get(k).copied()
    })?;
    (scene.node(joint)?.transform != rest).then_some(Command::SetTransform {
        node: joint,
        transform: rest,
    })
}

/// The resources only the given nodes (and nothing else) use: what deleting them frees.
fn resources_only_used_by(scene: &Scene, removed: &HashSet<NodeId>) -> ResourceIds {
    let mut used_elsewhere = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    let mut used_here = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for node in scene.nodes() {
        let here = removed.contains(&node.id);
        match &node.kind {
            NodeKind::Mesh { mesh, material } => {
                if here {
                    used_here.0.push(*mesh);
                    used_here.1.push(*material);
                } else {
                    used_elsewhere.0.insert(*mesh);
                    used_elsewhere.1.insert(*material);
                }
            }
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
                if here {
                    used_here.2.push(*cloud);
                } else {
                    used_elsewhere.2.insert(*cloud);
                }
            }
            NodeKind::Splats { cloud } => {
                if here {
                    used_here.3.push(*cloud);
                } else {
                    used_elsewhere.3.insert(*cloud);
                }
            }
            _ => {}
        }
    }
    let in_variants: HashSet<MaterialId> = scene.materials_used_by_variants().into_iter().collect();
    fn unique<T: Copy + Eq + std::hash::Hash + Ord>(v: Vec<T>, skip: &HashSet<T>) -> Vec<T> {
        let mut v: Vec<T> = v.into_iter().filter(|x| !skip.contains(x)).collect();
        v.sort();
        v.dedup();
        v
    }
    let mut material_skip = used_elsewhere.1;
    material_skip.extend(in_variants);
    let materials = unique(used_here.1, &material_skip);
    // Images used only by the freed materials (and not by the panorama).
    let freed: HashSet<MaterialId> = materials.iter().copied().collect();
    let mut images_kept = HashSet::new();
    let mut images_freed = Vec::new();
    for (id, m) in scene.materials() {
        for slot in m.texture_slots().into_iter().flatten() {
            if freed.contains(&id) {
                images_freed.push(slot.image);
            } else {
                images_kept.insert(slot.image);
            }
        }
    }
    if let Some(p) = &scene.environment.panorama {
        images_kept.insert(p.image);
    }
    ResourceIds {
        meshes: unique(used_here.0, &used_elsewhere.0),
        materials,
        images: unique(images_freed, &images_kept),
        point_clouds: unique(used_here.2, &used_elsewhere.2),
        splat_clouds: unique(used_here.3, &used_elsewhere.3),
    }
}

/// Delete (Del): removes the selected nodes with everything below them, and the meshes,
/// materials, images and clouds nothing else uses (the undo history keeps them).
pub fn delete(scene: &Scene, selection: &[NodeId]) -> Result<Command, OpError> {
    let roots = scene.topmost(selection);
    if roots.is_empty() {
        return Err(OpError::NothingSelected);
    }
    let removed: HashSet<NodeId> = roots.iter().flat_map(|r| scene.subtree_ids(*r)).collect();
    let unused = resources_only_used_by(scene, &removed);
    let label = match roots.as_slice() {
        [one] => format!(
            "Delete {}",
            scene.node(*one).map_or("node", |n| n.name.as_str())
        ),
        many => format!("Delete {} objects", many.len()),
    };
    let mut commands = vec![Command::RemoveNodes { nodes: roots }];
    if !unused.is_empty() {
        commands.push(Command::RemoveResources {
            ids: Box::new(unused),
        });
    }
    Ok(batch(label, commands))
}

/// Group (Ctrl+G): a new empty node, where the first selected node was, holding the selected
/// nodes; nothing moves in the world.
pub fn group(scene: &mut Scene, selection: &[NodeId]) -> Result<(Command, NodeId), OpError> {
    let roots = scene.topmost(selection);
    let first = *roots.first().ok_or(OpError::NothingSelected)?;
    let parent = scene.node(first).and_then(|n| n.parent);
    let index = scene.index_in_parent(first).unwrap_or(usize::MAX);
    let world_from_group = parent.map_or(Mat4::IDENTITY, |p| scene.world_from_local(p));
    let group_from_world = world_from_group.inverse();
    let group_id = NodeId(scene.reserve_id());
    let mut group = Node::new(
        group_id,
        &unique_name(scene, "Group"),
        Transform::IDENTITY,
        NodeKind::Empty,
    );
    group.parent = parent;
    let mut nodes = Vec::new();
    for root in &roots {
        let world = scene.world_from_local(*root);
        for (k, id) in scene.subtree_ids(*root).into_iter().enumerate() {
            let Some(node) = scene.node(id) else { continue };
            let mut node = node.clone();
            if k == 0 {
                if node.parent != parent {
                    node.transform = Transform::from_matrix(group_from_world * world);
                }
                node.parent = Some(group_id);
                group.children.push(id);
            }
            nodes.push(node);
        }
    }
    // Where the first node was, counted without the grouped nodes before it.
    let removed_before = roots
        .iter()
        .filter(|r| {
            scene.node(**r).and_then(|n| n.parent) == parent
                && scene.index_in_parent(**r).is_some_and(|i| i < index)
        })
        .count();
    let name = group.name.clone();
    nodes.insert(0, group);
    let tree = Subtree {
        parent,
        index: index.saturating_sub(removed_before),
        nodes,
    };
    let command = batch(
        format!("Group into {name}"),
        vec![
            Command::RemoveNodes { nodes: roots },
            Command::InsertNodes { trees: vec![tree] },
        ],
    );
    Ok((command, group_id))
}

/// The mesh nodes of the selection with their mesh and material, in selection order.
fn selected_meshes(scene: &Scene, selection: &[NodeId]) -> Vec<(NodeId, MeshId, MaterialId)> {
    let mut seen = HashSet::new();
    selection
        .iter()
        .filter(|id| seen.insert(**id))
        .filter_map(|id| match scene.node(*id)?.kind {
            NodeKind::Mesh { mesh, material } => Some((*id, mesh, material)),
            _ => None,
        })
        .collect()
}

/// Split into parts: a mesh node becomes a group of one mesh node per connected part (parts
/// sharing a vertex position are one), each with its origin at its centre so it can be
/// moved on its own. Returns the command and the number of parts.
pub fn split_parts(scene: &mut Scene, node: NodeId) -> Result<(Command, usize), OpError> {
    let Some((_, mesh_id, material)) = selected_meshes(scene, &[node]).first().copied() else {
        return Err(OpError::NoMesh);
    };
    let name = scene
        .node(node)
        .map_or_else(String::new, |n| n.name.clone());
    let mesh = Arc::clone(scene.mesh(mesh_id).ok_or(OpError::NoMesh)?);
    let mut parts = mesh_ops::connected_parts(&mesh);
    if parts.len() < 2 {
        return Err(OpError::OnePart(name));
    }
    // Largest first; the tail beyond the cap stays together.
    parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
    if parts.len() > MAX_SPLIT_PARTS {
        let rest: Vec<u32> = parts.drain(MAX_SPLIT_PARTS - 1..).flatten().collect();
        parts.push(rest);
    }
    let mut resources = Resources::default();
    let mut nodes = Vec::new();
    let mut children = Vec::new();
    let built: Vec<(Mesh, Vec3)> = {
        use rayon::prelude::*;
        parts
            .par_iter()
            .map(|tris| mesh_ops::recentred(&mesh_ops::extract(&mesh, tris)))
            .collect()
    };
    let count = built.len();
    for (k, (part, centre)) in built.into_iter().enumerate() {
        let id = MeshId(scene.reserve_id());
        resources.meshes.push((id, Arc::new(part)));
        let child = NodeId(scene.reserve_id());
        let mut n = Node::new(
            child,
            &format!("{name}.part_{:03}", k + 1),
            Transform::from_translation(centre),
            NodeKind::Mesh { mesh: id, material },
        );
        n.parent = Some(node);
        children.push(child);
        nodes.push(n);
    }
    let trees = nodes
        .into_iter()
        .map(|n| Subtree {
            parent: Some(node),
            index: usize::MAX,
            nodes: vec![Node { parent: None, ..n }],
        })
        .collect();
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(resources),
        },
        Command::SetKind {
            node,
            kind: Box::new(NodeKind::Empty),
        },
        Command::InsertNodes { trees },
    ];
    if scene.users_of_mesh(mesh_id) == 1 {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                meshes: vec![mesh_id],
                ..Default::default()
            }),
        });
    }
    Ok((
        batch(format!("Split {name} into {count} parts"), commands),
        count,
    ))
}

/// Merge (Ctrl+J): the selected meshes become one mesh on the active (last selected) mesh
/// node, in its space and with its material; the others are removed (or, when other nodes
/// hang below them, left as empty groups). Returns the command and a note when meshes with
/// other materials took the active one's.
pub fn merge_meshes(
    scene: &mut Scene,
    selection: &[NodeId],
) -> Result<(Command, Option<String>), OpError> {
    let meshes = selected_meshes(scene, selection);
    let Some(&(active, _, material)) = meshes.last() else {
        return Err(OpError::TooFewMeshes);
    };
    if meshes.len() < 2 {
        return Err(OpError::TooFewMeshes);
    }
    let active_from_world = scene.world_from_local(active).inverse();
    let parts: Vec<(Arc<Mesh>, Mat4)> = meshes
        .iter()
        .filter_map(|(node, mesh, _)| {
            Some((
                Arc::clone(scene.mesh(*mesh)?),
                active_from_world * scene.world_from_local(*node),
            ))
        })
        .collect();
    let refs: Vec<(&Mesh, Mat4)> = parts.iter().map(|(m, t)| (m.as_ref(), *t)).collect();
    let merged = mesh_ops::merge(&refs);
    let other_materials = meshes.iter().filter(|(_, _, m)| *m != material).count();
    let new_mesh = MeshId(scene.reserve_id());
    let others: Vec<NodeId> = meshes[..meshes.len() - 1].iter().map(|m| m.0).collect();
    let (leaves, parents): (Vec<NodeId>, Vec<NodeId>) = others
        .iter()
        .partition(|id| scene.node(**id).is_some_and(|n| n.children.is_empty()));
    // Every merged node stops using its mesh: the leaves are removed, the parents emptied
    // and the active node gets the merged mesh (it keeps its material).
    let mut unused = resources_only_used_by(scene, &meshes.iter().map(|m| m.0).collect());
    unused.materials.retain(|m| *m != material);
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(Resources {
                meshes: vec![(new_mesh, Arc::new(merged))],
                ..Default::default()
            }),
        },
        Command::SetKind {
            node: active,
            kind: Box::new(NodeKind::Mesh {
                mesh: new_mesh,
                material,
            }),
        },
    ];
    commands.extend(parents.iter().map(|p| Command::SetKind {
        node: *p,
        kind: Box::new(NodeKind::Empty),
    }));
    if !leaves.is_empty() {
        commands.push(Command::RemoveNodes { nodes: leaves });
    }
    if !unused.is_empty() {
        commands.push(Command::RemoveResources {
            ids: Box::new(unused),
        });
    }
    let name = scene.node(active).map_or("mesh", |n| n.name.as_str());
    let note = (other_materials > 0).then(|| {
        format!(
            "{other_materials} merged mesh(es) had another material; all now use {}'s.",
            name
        )
    });
    Ok((
        batch(
            format!("Merge {} meshes into {name}", meshes.len()),
            commands,
        ),
        note,
    ))
}

/// How [`reshade`] changes the meshes of the selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reshade {
    FlipNormals,
    SmoothNormals,
    FlatNormals,
}

/// Flip or recompute the normals of the selected meshes (each distinct mesh once; nodes
/// sharing a mesh all change).
pub fn reshade(scene: &Scene, selection: &[NodeId], how: Reshade) -> Result<Command, OpError> {
    let meshes = selected_meshes(scene, selection);
    if meshes.is_empty() {
        return Err(OpError::NoMesh);
    }
    let mut seen = HashSet::new();
    let commands: Vec<Command> = meshes
        .iter()
        .filter(|(_, mesh, _)| seen.insert(*mesh))
        .filter_map(|(_, mesh, _)| {
            let data = scene.mesh(*mesh)?;
            let new = match how {
                Reshade::FlipNormals => mesh_ops::flipped(data),
                Reshade::SmoothNormals => mesh_ops::smooth_shaded(data),
                Reshade::FlatNormals => mesh_ops::flat_shaded(data),
            };
            Some(Command::ReplaceMesh {
                mesh: *mesh,
                value: MeshData(Arc::new(new)),
            })
        })
        .collect();
    let what = match how {
        Reshade::FlipNormals => "Flip normals",
        Reshade::SmoothNormals => "Smooth normals",
        Reshade::FlatNormals => "Flat normals",
    };
    Ok(batch(what, commands))
}

/// Apply transform (Ctrl+A): bakes each selected mesh's or point cloud's transform into its
/// geometry and resets the transform, so the node sits at its parent's origin with scale 1;
/// children get the old transform folded into theirs, so nothing moves in the world.
/// Lights, cameras and splat clouds keep their transforms (their look depends on it).
pub fn apply_transform(scene: &mut Scene, selection: &[NodeId]) -> Result<Command, OpError> {
    refuse_keyed_placements(scene, selection, |k| {
        matches!(
            k,
            NodeKind::Mesh { .. }
                | NodeKind::Points { .. }
                | NodeKind::Lines { .. }
                | NodeKind::Empty
        )
    })?;
    let mut out = Regeometry::default();
    let mut seen = HashSet::new();
    for id in selection.iter().filter(|id| seen.insert(**id)) {
        let Some(node) = scene.node(*id).cloned() else {
            continue;
        };
        let m = node.transform.matrix();
        if node.transform == Transform::IDENTITY {
            continue;
        }
        let kind = match &node.kind {
            NodeKind::Mesh { mesh, material } => {
                let Some(data) = scene.mesh(*mesh) else {
                    continue;
                };
                let baked = Arc::new(mesh_ops::transformed(data, m));
                out.mesh(scene, (*mesh, *material), baked)
            }
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
                let Some(data) = scene.point_cloud(*cloud) else {
                    continue;
                };
                let moved = Arc::new(data.transformed(m));
                Some(out.points(scene, &node.kind, moved))
            }
            NodeKind::Empty => None,
            _ => continue,
        };
        out.set_node(*id, kind, Transform::IDENTITY);
        for child in &node.children {
            if let Some(c) = scene.node(*child) {
                out.commands.push(Command::SetTransform {
                    node: *child,
                    transform: Transform::from_matrix(m * c.transform.matrix()),
                });
            }
        }
    }
    out.finish(
        "Apply transform",
        "Nothing to apply: select meshes, point clouds or groups that are moved, turned or scaled.",
    )
}

/// Refuses an operation that gives the selected nodes of the kinds it `touches` new geometry
/// and compensates with plain transform edits of them and their children (Apply Transform,
/// Origin to Geometry): on a node whose transform a shot animates (or a child light a variant
/// places) those edits would land in one key or one variant while the geometry changes for
/// all, so the node is named and nothing is done.
fn refuse_keyed_placements(
    scene: &Scene,
    selection: &[NodeId],
    touches: impl Fn(&NodeKind) -> bool,
) -> Result<(), OpError> {
    let placed_elsewhere = |node: NodeId| {
        scene
            .timeline()
            .shots()
            .iter()
            .any(|shot| shot.animates(crate::scene::Channel::Transform(node)))
            || scene.variants().list.iter().any(|v| {
                v.overrides
                    .nodes
                    .get(&node)
                    .is_some_and(|o| o.transform.is_some())
            })
    };
    for id in selection {
        let Some(node) = scene.node(*id).filter(|n| touches(&n.kind)) else {
            continue;
        };
        if let Some(moved) = std::iter::once(id)
            .chain(&node.children)
            .find(|n| placed_elsewhere(**n))
        {
            let name = scene.node(*moved).map_or("?", |n| n.name.as_str());
            return Err(OpError::Nothing(format!(
                "{name}'s placement is keyed in a shot or set by a variant: remove those keys or overrides first."
            )));
        }
    }
    Ok(())
}

/// Per-axis median of finite `positions` (None when there is none): the centre of a captured
/// cloud, which stray points far off ("floaters") barely move.
fn median_centre(positions: &[[f32; 3]]) -> Option<Vec3> {
    crate::scene::axis_quantiles(positions, [0.5], usize::MAX).map(|[median]| median)
}

/// Edit ▸ Origin to Geometry: moves each selected mesh, point or splat node's origin (where
/// its gizmo sits and what it turns and scales about) to the centre of what it shows, without
/// moving anything on screen: the centre of a mesh's bounds, or a cloud's per-axis median
/// point (floaters do not drag it). The content is shifted the other way in the node's frame
/// and the node's translation (and its children's) compensate. A mesh shared with other
/// nodes gets its own recentred copy; the others keep theirs. One undo step.
pub fn origin_to_geometry(scene: &mut Scene, selection: &[NodeId]) -> Result<Command, OpError> {
    if selection.is_empty() {
        return Err(OpError::NothingSelected);
    }
    refuse_keyed_placements(scene, selection, |k| {
        matches!(
            k,
            NodeKind::Mesh { .. }
                | NodeKind::Points { .. }
                | NodeKind::Lines { .. }
                | NodeKind::Splats { .. }
        )
    })?;
    let mut out = Regeometry::default();
    let mut seen = HashSet::new();
    for id in selection.iter().filter(|id| seen.insert(**id)) {
        let Some(node) = scene.node(*id).cloned() else {
            continue;
        };
        // The content's centre in the node's frame, and the node's new kind (None: same ids).
        let (centre, kind) = match &node.kind {
            NodeKind::Mesh { mesh, material } => {
                let Some(data) = scene.mesh(*mesh) else {
                    continue;
                };
                let b = data.bounds();
                let c = b.center();
                if b.is_empty() || is_at_origin(c, b.max - b.min) {
                    continue;
                }
                let moved = Arc::new(mesh_ops::transformed(data, Mat4::from_translation(-c)));
                (c, out.mesh(scene, (*mesh, *material), moved))
            }
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => {
                let Some(data) = scene.point_cloud(*cloud) else {
                    continue;
                };
                let Some(c) = cloud_centre(&data.positions, data.bounds()) else {
                    continue;
                };
                let moved = Arc::new(data.transformed(Mat4::from_translation(-c)));
                (c, Some(out.points(scene, &node.kind, moved)))
            }
            NodeKind::Splats { cloud } => {
                let Some(data) = scene.splat_cloud(*cloud) else {
                    continue;
                };
                let Some(c) = cloud_centre(&data.positions, data.bounds()) else {
                    continue;
                };
                let moved = Arc::new(data.translated(-c));
                (c, Some(out.splats(scene, *cloud, moved)))
            }
            _ => continue,
        };
        // node · translate(c) keeps every point where it was; so does translate(−c) · child.
        let transform = Transform {
            translation: node.transform.matrix().transform_point3(centre),
            ..node.transform
        };
        out.set_node(*id, kind, transform);
        for child in &node.children {
            if let Some(c) = scene.node(*child) {
                out.commands.push(Command::SetTransform {
                    node: *child,
                    transform: Transform {
                        translation: c.transform.translation - centre,
                        ..c.transform
                    },
                });
            }
        }
    }
    out.finish(
        "Origin to geometry",
        "Nothing to move: select meshes, point clouds or splats whose origin is away from their centre.",
    )
}

/// A cloud's centre ([`median_centre`]) where it is away from the origin; `None` where it
/// is there already (or the cloud has no finite point).
fn cloud_centre(positions: &[[f32; 3]], bounds: crate::scene::Aabb) -> Option<Vec3> {
    median_centre(positions).filter(|&c| !is_at_origin(c, bounds.max - bounds.min))
}

/// Whether `centre` is the origin already, as far as a content of `extent` can tell.
fn is_at_origin(centre: Vec3, extent: Vec3) -> bool {
    centre.length() <= 1e-6 * (1.0 + extent.length())
}

/// Share of a point or splat cloud's points allowed below its floor in [`place_on_grid`]:
/// captured clouds have stray points ("floaters") far under the real ground.
pub const CLOUD_FLOOR_QUANTILE: f64 = 0.01;

/// Edit ▸ Place on Grid: moves each selected node (one whose ancestor is selected moves with
/// it) straight up or down so that the lowest part of what it and its descendants show rests on
/// the ground grid's plane, y = 0: a mesh's lowest vertex, a point or splat cloud's lowest
/// percentile ([`CLOUD_FLOOR_QUANTILE`]; a captured world's floor, not its floaters). Hidden
/// nodes do not count.
pub fn place_on_grid(scene: &Scene, selection: &[NodeId]) -> Result<Command, OpError> {
    if selection.is_empty() {
        return Err(OpError::NothingSelected);
    }
    let walk = scene.walk();
    let mut commands = Vec::new();
    let mut seen = HashSet::new();
    for &id in selection.iter().filter(|id| seen.insert(**id)) {
        let inside_selected = selection
            .iter()
            .any(|&other| other != id && scene.is_ancestor_or_self(other, id));
        let Some(node) = scene.node(id).filter(|_| !inside_selected) else {
            continue;
        };
        let floor = walk
            .iter()
            .filter(|wn| wn.visible && scene.is_ancestor_or_self(id, wn.node.id))
            .filter_map(|wn| content_floor(scene, wn))
            .reduce(f32::min);
        // Within a hundredth of a millimetre counts as resting on it (float round-off).
        let Some(floor) = floor.filter(|f| f.is_finite() && f.abs() > 1e-5) else {
            continue;
        };
        // The world offset (0, −floor, 0) in the parent's frame.
        let parent_from_world = node
            .parent
            .map_or(Mat4::IDENTITY, |p| scene.world_from_local(p))
            .inverse();
        let offset = parent_from_world.transform_vector3(Vec3::new(0.0, -floor, 0.0));
        if !offset.is_finite() {
            continue;
        }
        commands.push(Command::SetTransform {
            node: id,
            transform: Transform {
                translation: node.transform.translation + offset,
                ..node.transform
            },
        });
    }
    if commands.is_empty() {
        return Err(OpError::Nothing(
            "Nothing to place: the selection shows no geometry, points or splats, or already rests on the grid.".into(),
        ));
    }
    Ok(batch("Place on grid", commands))
}

/// The world height of the lowest part of one node's own content (see [`place_on_grid`]).
fn content_floor(scene: &Scene, wn: &crate::scene::WorldNode<'_>) -> Option<f32> {
    let row = wn.world_from_local.row(1);
    let height = |p: &[f32; 3]| row.x * p[0] + row.y * p[1] + row.z * p[2] + row.w;
    let lowest = |positions: &[[f32; 3]]| {
        positions
            .iter()
            .map(height)
            .filter(|h| h.is_finite())
            .reduce(f32::min)
    };
    let quantile = |positions: &[[f32; 3]]| {
        let mut heights: Vec<f32> = positions
            .iter()
            .map(height)
            .filter(|h| h.is_finite())
            .collect();
        let k = (heights.len() as f64 * CLOUD_FLOOR_QUANTILE) as usize;
        (!heights.is_empty()).then(|| *heights.select_nth_unstable_by(k, f32::total_cmp).1)
    };
    match &wn.node.kind {
        NodeKind::Mesh { mesh, .. } => lowest(&scene.mesh(*mesh)?.positions),
        NodeKind::Points { cloud, .. } => quantile(&scene.point_cloud(*cloud)?.positions),
        // Drawn lines are modelled, not captured: their lowest point is the floor.
        NodeKind::Lines { cloud, .. } => lowest(&scene.point_cloud(*cloud)?.positions),
        NodeKind::Splats { cloud } => quantile(&scene.splat_cloud(*cloud)?.positions),
        _ => None,
    }
}

/// File ▸ Import as one undoable step: `other`'s resources, nodes (appended as roots, or
/// under `parent`), variants and shots. Returns the command and the new roots.
pub fn import(scene: &mut Scene, other: Scene, parent: Option<NodeId>) -> (Command, Vec<NodeId>) {
    let label = format!("Import {}", other.name);
    let prepared = scene.prepare_merge(other, parent);
    let roots = prepared.roots();
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(prepared.resources),
        },
        Command::InsertNodes {
            trees: prepared.trees,
        },
    ];
    if !prepared.variants.is_empty() {
        let mut variants = scene.variants().clone();
        variants.list.extend(prepared.variants);
        commands.push(Command::SetVariants {
            variants: Box::new(variants),
        });
    }
    if !prepared.shots.is_empty() {
        let mut timeline = scene.timeline().clone();
        timeline.shots.extend(prepared.shots);
        if timeline.active.is_none() {
            timeline.active = timeline.shots.first().map(|s| s.id);
        }
        commands.push(Command::SetTimeline {
            timeline: Box::new(timeline),
            label: "Add imported shots".into(),
        });
    }
    (batch(label, commands), roots)
}

/// Whether any material slot other than `except` shows `image`.
fn image_in_materials(
    scene: &Scene,
    image: crate::scene::ImageId,
    except: Option<(MaterialId, crate::scene::TextureSlot)>,
) -> bool {
    scene.materials().any(|(id, m)| {
        crate::scene::TextureSlot::ALL
            .iter()
            .zip(m.texture_slots())
            .any(|(slot, t)| t.is_some_and(|t| t.image == image) && Some((id, *slot)) != except)
    })
}

/// Images no material (other than `except`'s slot) and no panorama uses.
fn image_unused_after(
    scene: &Scene,
    image: crate::scene::ImageId,
    except: (MaterialId, crate::scene::TextureSlot),
) -> bool {
    !image_in_materials(scene, image, Some(except))
        && scene.environment.panorama.is_none_or(|p| p.image != image)
}

/// Puts `image` into a material's texture slot (default sampler: repeat, trilinear; UV set
/// 0); the image it replaces is freed when nothing else uses it.
pub fn assign_texture(
    scene: &mut Scene,
    material: MaterialId,
    slot: crate::scene::TextureSlot,
    image: crate::scene::Image,
) -> Result<Command, OpError> {
    let mut value = scene
        .material(material)
        .cloned()
        .ok_or_else(|| OpError::Nothing("That material no longer exists.".into()))?;
    let old = *value.slot_mut(slot);
    let id = crate::scene::ImageId(scene.reserve_id());
    let name = image.name.clone();
    *value.slot_mut(slot) = Some(crate::scene::TextureRef::new(
        id,
        crate::scene::Sampler::default(),
    ));
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(Resources {
                images: vec![(id, Arc::new(image))],
                ..Default::default()
            }),
        },
        Command::SetMaterial {
            material,
            value: Box::new(value),
        },
    ];
    if let Some(old) = old
        && image_unused_after(scene, old.image, (material, slot))
    {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                images: vec![old.image],
                ..Default::default()
            }),
        });
    }
    Ok(batch(format!("{} texture {name}", slot.label()), commands))
}

/// Empties a material's texture slot, freeing the image when nothing else uses it.
pub fn clear_texture(
    scene: &Scene,
    material: MaterialId,
    slot: crate::scene::TextureSlot,
) -> Option<Command> {
    let mut value = scene.material(material)?.clone();
    let old = value.slot_mut(slot).take()?;
    let mut commands = vec![Command::SetMaterial {
        material,
        value: Box::new(value),
    }];
    if image_unused_after(scene, old.image, (material, slot)) {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                images: vec![old.image],
                ..Default::default()
            }),
        });
    }
    Some(batch(format!("Clear {} texture", slot.label()), commands))
}

/// Make unique: `node` gets its own copy of its (shared) material.
pub fn make_material_unique(scene: &mut Scene, node: NodeId) -> Result<Command, OpError> {
    let Some(NodeKind::Mesh { mesh, material }) = scene.node(node).map(|n| n.kind.clone()) else {
        return Err(OpError::NoMesh);
    };
    let mut copy = scene
        .material(material)
        .cloned()
        .ok_or_else(|| OpError::Nothing("The material is missing.".into()))?;
    if scene.users_of_material(material).len() < 2 {
        return Err(OpError::Nothing(format!(
            "{} is used only here.",
            copy.name
        )));
    }
    copy.name = unique_material_name(scene, &copy.name);
    let id = MaterialId(scene.reserve_id());
    let name = copy.name.clone();
    Ok(batch(
        format!("Make material {name}"),
        vec![
            Command::AddResources {
                resources: Box::new(Resources {
                    materials: vec![(id, copy)],
                    ..Default::default()
                }),
            },
            Command::SetKind {
                node,
                kind: Box::new(NodeKind::Mesh { mesh, material: id }),
            },
        ],
    ))
}

fn unique_material_name(scene: &Scene, base: &str) -> String {
    let taken: HashSet<&str> = scene.materials().map(|(_, m)| m.name.as_str()).collect();
    (1..)
        .map(|i| format!("{base}.{i:03}"))
        .find(|n| !taken.contains(n.as_str()))
        .unwrap_or_else(|| base.to_owned())
}

/// Assign material: every selected mesh node uses `material`; materials nothing uses any
/// more are freed.
pub fn assign_material(
    scene: &Scene,
    selection: &[NodeId],
    material: MaterialId,
) -> Result<Command, OpError> {
    let meshes = selected_meshes(scene, selection);
    if meshes.is_empty() {
        return Err(OpError::NoMesh);
    }
    if scene.material(material).is_none() {
        return Err(OpError::Nothing("That material no longer exists.".into()));
    }
    let changing: Vec<_> = meshes.iter().filter(|m| m.2 != material).collect();
    let mut commands: Vec<Command> = changing
        .iter()
        .map(|(node, mesh, _)| Command::SetKind {
            node: *node,
            kind: Box::new(NodeKind::Mesh {
                mesh: *mesh,
                material,
            }),
        })
        .collect();
    let nodes: HashSet<NodeId> = changing.iter().map(|m| m.0).collect();
    // The nodes keep their meshes; the materials (and their images) they leave may go.
    let mut freed = resources_only_used_by(scene, &nodes);
    freed.meshes.clear();
    if !(freed.materials.is_empty() && freed.images.is_empty()) {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                materials: freed.materials,
                images: freed.images,
                ..Default::default()
            }),
        });
    }
    let name = scene.material(material).map_or("", |m| m.name.as_str());
    Ok(batch(format!("Assign material {name}"), commands))
}

/// The old panorama image when nothing else (no material) uses it.
fn panorama_image_freed(scene: &Scene) -> Option<crate::scene::ImageId> {
    let image = scene.environment.panorama?.image;
    (!image_in_materials(scene, image, None)).then_some(image)
}

/// Environment ▸ image: the sky becomes this equirectangular image (turn and intensity kept
/// from the current panorama, if any); the previous panorama image is freed.
pub fn set_environment_image(scene: &mut Scene, image: crate::scene::Image, hdr: bool) -> Command {
    let id = crate::scene::ImageId(scene.reserve_id());
    let name = image.name.clone();
    let old = scene.environment.panorama;
    let mut environment = scene.environment;
    environment.panorama = Some(crate::scene::Panorama {
        image: id,
        rotation_rad: old.map_or(0.0, |p| p.rotation_rad),
        intensity: old.map_or(1.0, |p| p.intensity),
        hdr,
    });
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(Resources {
                images: vec![(id, Arc::new(image))],
                ..Default::default()
            }),
        },
        Command::SetEnvironment {
            value: Box::new(environment),
        },
    ];
    if let Some(old) = panorama_image_freed(scene) {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                images: vec![old],
                ..Default::default()
            }),
        });
    }
    batch(format!("Environment image {name}"), commands)
}

/// Back to the procedural sky; the panorama image is freed. `None` when there is none.
pub fn clear_environment_image(scene: &Scene) -> Option<Command> {
    scene.environment.panorama?;
    let mut environment = scene.environment;
    environment.panorama = None;
    let mut commands = vec![Command::SetEnvironment {
        value: Box::new(environment),
    }];
    if let Some(old) = panorama_image_freed(scene) {
        commands.push(Command::RemoveResources {
            ids: Box::new(ResourceIds {
                images: vec![old],
                ..Default::default()
            }),
        });
    }
    Some(batch("Procedural sky", commands))
}

/// A region of a splat cloud, in the cloud node's local space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Region {
    Box { center: Vec3, half_size: Vec3 },
    Sphere { center: Vec3, radius: f32 },
}

impl Region {
    pub fn contains(&self, p: Vec3) -> bool {
        match *self {
            Region::Box { center, half_size } => {
                let d = (p - center).abs();
                d.x <= half_size.x && d.y <= half_size.y && d.z <= half_size.z
            }
            Region::Sphere { center, radius } => p.distance_squared(center) <= radius * radius,
        }
    }

    /// How many of `cloud`'s splat centres lie inside.
    pub fn count_inside(&self, cloud: &SplatCloud) -> usize {
        use rayon::prelude::*;
        cloud
            .positions
            .par_iter()
            .filter(|p| self.contains(Vec3::from(**p)))
            .count()
    }
}

/// What to do with the splats inside a [`Region`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionAction {
    /// Remove the splats inside.
    Delete,
    /// Keep only the splats inside (crop).
    Crop,
    /// Move the splats inside into a new splat node next to this one.
    Separate,
}

/// Deletes, crops to, or separates the splats of a splat node inside `region`. Returns the
/// command and, for [`RegionAction::Separate`], the new node.
pub fn splat_region(
    scene: &mut Scene,
    node: NodeId,
    region: Region,
    action: RegionAction,
) -> Result<(Command, Option<NodeId>), OpError> {
    let (_, _, data) = splat_node(scene, node)?;
    let inside = ElementMask::from_fn(data.len(), |i| {
        region.contains(Vec3::from(data.positions[i]))
    });
    if inside.none() {
        return Err(OpError::Nothing("No splats inside the region.".into()));
    }
    split_cloud(scene, node, &inside, action)
}

/// Deletes, crops to, or separates the selected elements of a splat or point cloud node:
/// `selected` holds one bit per splat or point of the cloud the node shows (a selection made
/// on another cloud, such as one before an edit, is refused).
pub fn cloud_selected(
    scene: &mut Scene,
    node: NodeId,
    selected: &ElementMask,
    action: RegionAction,
) -> Result<(Command, Option<NodeId>), OpError> {
    check_selection(scene, node, selected)?;
    split_cloud(scene, node, selected, action)
}

/// What the elements of `node`'s cloud are called, if `selected` (one bit per element, at
/// least one set) was made on that cloud.
fn check_selection(
    scene: &Scene,
    node: NodeId,
    selected: &ElementMask,
) -> Result<&'static str, OpError> {
    let (len, noun) = cloud_len(scene, node).ok_or(OpError::NoCloud)?;
    if selected.len() != len {
        return Err(OpError::Nothing(format!(
            "The selection was made on {} {noun}; the cloud now has {len}. Select again.",
            selected.len(),
        )));
    }
    if selected.none() {
        return Err(OpError::Nothing(format!("No {noun} are selected.")));
    }
    Ok(noun)
}

/// Moves, turns or scales the selected splats or points of a node within its frame (the
/// gizmo on a screen selection): `moved` (the node's frame to itself, finite and invertible)
/// takes each selected centre, with a splat's shape and view-dependent colour
/// ([`crate::export::transform_splats_where`]) or a point's normal; the others stay. The node
/// shows a new cloud, the old one freed when nothing else shows it; one undo step.
pub fn move_cloud_selected(
    scene: &mut Scene,
    node: NodeId,
    selected: &ElementMask,
    moved: Mat4,
) -> Result<Command, OpError> {
    let noun = check_selection(scene, node, selected)?;
    let linear = glam::Mat3::from_mat4(moved);
    if !moved.is_finite() || linear.determinant().abs() < 1e-12 {
        return Err(OpError::Nothing(format!(
            "The selected {noun} cannot be scaled to nothing."
        )));
    }
    if moved.abs_diff_eq(Mat4::IDENTITY, 1e-7) {
        return Err(OpError::Nothing(format!(
            "The selected {noun} did not move."
        )));
    }
    let n = scene.node(node).cloned().ok_or(OpError::NoCloud)?;
    let mut out = Regeometry::default();
    let kind = match &n.kind {
        NodeKind::Splats { cloud } => {
            let data = Arc::clone(scene.splat_cloud(*cloud).ok_or(OpError::NoCloud)?);
            let moved = crate::export::transform_splats_where(&data, moved, Some(selected));
            out.splats(scene, *cloud, Arc::new(moved))
        }
        NodeKind::Points { cloud, .. } => {
            let data = Arc::clone(scene.point_cloud(*cloud).ok_or(OpError::NoCloud)?);
            let moved = data.transformed_where(moved, Some(selected));
            out.points(scene, &n.kind, Arc::new(moved))
        }
        _ => return Err(OpError::NoCloud),
    };
    out.commands.push(Command::SetKind {
        node,
        kind: Box::new(kind),
    });
    let turned = !linear.abs_diff_eq(glam::Mat3::IDENTITY, 1e-6);
    let unscaled = [linear.x_axis, linear.y_axis, linear.z_axis]
        .iter()
        .all(|c| (c.length() - 1.0).abs() < 1e-4);
    let verb = match (turned, unscaled) {
        (false, _) => "Move",
        (true, true) => "Rotate",
        (true, false) => "Scale",
    };
    let label = format!("{verb} {} {noun} of {}", selected.count(), n.name);
    out.finish(&label, "Nothing moved.")
}

/// How many elements the splat or point cloud that `node` shows has, and what they are.
fn cloud_len(scene: &Scene, node: NodeId) -> Option<(usize, &'static str)> {
    match &scene.node(node)?.kind {
        NodeKind::Splats { cloud } => Some((scene.splat_cloud(*cloud)?.len(), "splats")),
        NodeKind::Points { cloud, .. } => Some((scene.point_cloud(*cloud)?.len(), "points")),
        _ => None,
    }
}

/// The node, its cloud id and its cloud, if `node` is a splat node.
fn splat_node(
    scene: &Scene,
    node: NodeId,
) -> Result<(Node, SplatCloudId, Arc<SplatCloud>), OpError> {
    let n = scene.node(node).cloned().ok_or(OpError::NoSplats)?;
    let NodeKind::Splats { cloud } = n.kind else {
        return Err(OpError::NoSplats);
    };
    let data = Arc::clone(scene.splat_cloud(cloud).ok_or(OpError::NoSplats)?);
    Ok((n, cloud, data))
}

/// Splits a splat or point node's cloud by `inside` (one bit per element, at least one set)
/// as `action` says: the node keeps a new cloud of the elements outside (Delete, Separate) or
/// inside (Crop); Separate puts the inside ones on a new node next to it. The old cloud is
/// freed when no other node shows it.
fn split_cloud(
    scene: &mut Scene,
    node: NodeId,
    inside: &ElementMask,
    action: RegionAction,
) -> Result<(Command, Option<NodeId>), OpError> {
    let n = scene.node(node).cloned().ok_or(OpError::NoCloud)?;
    let count = inside.count();
    let keep_inside = action == RegionAction::Crop;
    let separate = action == RegionAction::Separate;
    let mut resources = Resources::default();
    let mut freed = ResourceIds::default();
    // The node's kind for the kept elements, the new node's for the separated ones.
    let (kept_kind, separated_kind, noun) = match n.kind {
        NodeKind::Splats { cloud } => {
            let data = Arc::clone(scene.splat_cloud(cloud).ok_or(OpError::NoCloud)?);
            let mut part = |scene: &mut Scene, want: bool| {
                let id = SplatCloudId(scene.reserve_id());
                let subset = data.subset(|i| inside.get(i) == want);
                resources.splat_clouds.push((id, Arc::new(subset)));
                NodeKind::Splats { cloud: id }
            };
            let kept = part(scene, keep_inside);
            let separated = separate.then(|| part(scene, true));
            if scene.users_of_splat_cloud(cloud) == 1 {
                freed.splat_clouds.push(cloud);
            }
            (kept, separated, "splats")
        }
        NodeKind::Points {
            cloud,
            point_size_px,
        } => {
            let data = Arc::clone(scene.point_cloud(cloud).ok_or(OpError::NoCloud)?);
            let mut part = |scene: &mut Scene, want: bool| {
                let id = PointCloudId(scene.reserve_id());
                let subset = data.subset(|i| inside.get(i) == want);
                resources.point_clouds.push((id, Arc::new(subset)));
                NodeKind::Points {
                    cloud: id,
                    point_size_px,
                }
            };
            let kept = part(scene, keep_inside);
            let separated = separate.then(|| part(scene, true));
            if scene.users_of_point_cloud(cloud) == 1 {
                freed.point_clouds.push(cloud);
            }
            (kept, separated, "points")
        }
        _ => return Err(OpError::NoCloud),
    };
    let mut commands = vec![
        Command::AddResources {
            resources: Box::new(resources),
        },
        Command::SetKind {
            node,
            kind: Box::new(kept_kind),
        },
    ];
    let mut separated = None;
    if let Some(kind) = separated_kind {
        let new_node = NodeId(scene.reserve_id());
        let name = unique_name(scene, &format!("{}.separated", n.name));
        let index = scene.index_in_parent(node).map_or(usize::MAX, |i| i + 1);
        commands.push(Command::InsertNodes {
            trees: vec![Subtree::single(
                n.parent,
                index,
                Node::new(new_node, &name, n.transform, kind),
            )],
        });
        separated = Some(new_node);
    }
    if freed != ResourceIds::default() {
        commands.push(Command::RemoveResources {
            ids: Box::new(freed),
        });
    }
    let label = match action {
        RegionAction::Delete => format!("Delete {count} {noun} of {}", n.name),
        RegionAction::Crop => format!("Crop {} to {count} {noun}", n.name),
        RegionAction::Separate => format!("Separate {count} {noun} of {}", n.name),
    };
    Ok((batch(label, commands), separated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::History;
    use crate::generate::shapes;

    fn world_bounds_centre(scene: &Scene, id: NodeId) -> Vec3 {
        scene.bounds_of(&[id]).center()
    }

    fn scene_with_cube() -> (Scene, NodeId) {
        let mut scene = Scene::new("t");
        let (command, id) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::from_translation(Vec3::new(1.0, 2.0, 3.0)),
        );
        History::default().execute(&mut scene, command);
        (scene, id)
    }

    #[test]
    fn add_then_edit_shape_parameters_in_one_drag() {
        let (mut scene, id) = scene_with_cube();
        let mut history = History::default();
        let NodeKind::Mesh { mesh, .. } = scene.node(id).unwrap().kind else {
            panic!("a mesh node")
        };
        assert_eq!(scene.node(id).unwrap().name, "Cube");
        assert_eq!(scene.mesh(mesh).unwrap().triangle_count(), 12);
        for size in [1.5, 2.0, 3.0] {
            let c = set_primitive(&scene, mesh, Primitive::Cube { size }).unwrap();
            assert!(history.execute_merging(&mut scene, c));
        }
        history.end_gesture();
        assert_eq!(history.undo_len(), 1);
        assert!((scene.mesh(mesh).unwrap().bounds().size().x - 3.0).abs() < 1e-5);
        history.undo(&mut scene);
        assert!((scene.mesh(mesh).unwrap().bounds().size().x - 1.0).abs() < 1e-5);
        // A second cube gets the next free name.
        let (_, second) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::IDENTITY,
        );
        let (c, _) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::IDENTITY,
        );
        let _ = second;
        history.execute(&mut scene, c);
        assert!(scene.find("Cube.001").is_some());
    }

    #[test]
    fn duplicate_goes_right_after_the_original_and_shares_the_mesh() {
        let (mut scene, cube) = scene_with_cube();
        let other = scene.add_node(None, "Other", Transform::IDENTITY, NodeKind::Empty);
        let child = scene.add_node(Some(cube), "Child", Transform::IDENTITY, NodeKind::Empty);
        let mut history = History::default();
        let (c, copies) = duplicate(&mut scene, &[cube, child, other]).unwrap();
        assert_eq!(copies.len(), 2, "the child goes with its parent");
        history.execute(&mut scene, c);
        let names: Vec<&str> = scene
            .roots()
            .iter()
            .map(|r| scene.node(*r).unwrap().name.as_str())
            .collect();
        assert_eq!(names, ["Cube", "Cube.001", "Other", "Other.001"]);
        let copy = scene.node(copies[0]).unwrap();
        assert_eq!(copy.children.len(), 1);
        assert_ne!(copy.children[0], child);
        assert_eq!(
            copy.kind,
            scene.node(cube).unwrap().kind,
            "same mesh and material"
        );
        assert_eq!(scene.meshes().count(), 1);
        history.undo(&mut scene);
        assert_eq!(scene.node_count(), 3);
    }

    #[test]
    fn delete_frees_unused_resources_and_undo_brings_them_back() {
        let (mut scene, cube) = scene_with_cube();
        let mut history = History::default();
        let c = delete(&scene, &[cube]).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.node_count(), 0);
        assert_eq!(scene.meshes().count(), 0);
        assert_eq!(scene.materials().count(), 0);
        assert_eq!(history.undo_label(), Some("Delete Cube"));
        history.undo(&mut scene);
        assert_eq!(scene.meshes().count(), 1);
        assert!(matches!(
            scene.node(cube).unwrap().kind,
            NodeKind::Mesh { .. }
        ));
        // A mesh still used by a duplicate stays.
        let (c, _) = duplicate(&mut scene, &[cube]).unwrap();
        history.execute(&mut scene, c);
        let c = delete(&scene, &[cube]).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.meshes().count(), 1);
        assert_eq!(delete(&scene, &[]), Err(OpError::NothingSelected));
    }

    #[test]
    fn group_keeps_everything_in_place() {
        let mut scene = Scene::new("t");
        let parent = scene.add_node(
            None,
            "P",
            Transform::from_translation(Vec3::X * 5.0).with_scale(Vec3::splat(2.0)),
            NodeKind::Empty,
        );
        let a = scene.add_node(
            Some(parent),
            "A",
            Transform::from_translation(Vec3::Y),
            NodeKind::Empty,
        );
        let b = scene.add_node(
            None,
            "B",
            Transform::from_translation(Vec3::Z),
            NodeKind::Empty,
        );
        let before = [scene.world_from_local(a), scene.world_from_local(b)];
        let mut history = History::default();
        let (c, g) = group(&mut scene, &[a, b]).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.node(g).unwrap().parent, Some(parent));
        assert_eq!(scene.node(g).unwrap().children, vec![a, b]);
        let after = [scene.world_from_local(a), scene.world_from_local(b)];
        for (x, y) in before.iter().zip(after) {
            assert!(x.abs_diff_eq(y, 1e-5), "{x} vs {y}");
        }
        history.undo(&mut scene);
        assert_eq!(scene.node(a).unwrap().parent, Some(parent));
        assert_eq!(scene.roots(), &[parent, b]);
    }

    #[test]
    fn split_two_cubes_into_two_movable_parts() {
        let mut scene = Scene::new("t");
        let a = shapes::cube(1.0);
        let b = mesh_ops::transformed(&a, Mat4::from_translation(Vec3::X * 4.0));
        let mesh = scene.add_mesh(mesh_ops::merge(&[
            (&a, Mat4::IDENTITY),
            (&b, Mat4::IDENTITY),
        ]));
        let material = scene.add_material(Material::default());
        let node = scene.add_node(
            None,
            "Blob",
            Transform::from_translation(Vec3::Y * 10.0),
            NodeKind::Mesh { mesh, material },
        );
        let mut history = History::default();
        let (c, count) = split_parts(&mut scene, node).unwrap();
        assert_eq!(count, 2);
        history.execute(&mut scene, c);
        let parts = scene.node(node).unwrap().children.clone();
        assert_eq!(parts.len(), 2);
        assert_eq!(scene.node(node).unwrap().kind, NodeKind::Empty);
        let centres: Vec<Vec3> = parts
            .iter()
            .map(|p| world_bounds_centre(&scene, *p))
            .collect();
        assert!(
            centres[0].abs_diff_eq(Vec3::new(0.0, 10.0, 0.0), 1e-4),
            "{centres:?}"
        );
        assert!(
            centres[1].abs_diff_eq(Vec3::new(4.0, 10.0, 0.0), 1e-4),
            "{centres:?}"
        );
        // Each part's origin is its own centre, so it moves and turns on its own.
        let t = scene.node(parts[1]).unwrap().transform.translation;
        assert!(t.abs_diff_eq(Vec3::X * 4.0, 1e-4));
        assert!(scene.mesh(mesh).is_none(), "the merged mesh is freed");
        history.undo(&mut scene);
        assert_eq!(
            scene.node(node).unwrap().kind,
            NodeKind::Mesh { mesh, material }
        );
        assert!(matches!(split_parts(&mut scene, node), Ok((_, 2))));
        let (cube, _) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::IDENTITY,
        );
        history.execute(&mut scene, cube);
        let cube = scene.find("Cube").unwrap();
        assert_eq!(
            split_parts(&mut scene, cube).map(|r| r.1),
            Err(OpError::OnePart("Cube".into()))
        );
    }

    #[test]
    fn split_caps_the_number_of_parts() {
        let mut scene = Scene::new("t");
        let tri = |k: usize| {
            let x = k as f32 * 2.0;
            Mesh::new(
                vec![[x, 0.0, 0.0], [x + 1.0, 0.0, 0.0], [x, 1.0, 0.0]],
                Vec::new(),
                Vec::new(),
                Vec::new(),
                vec![0, 1, 2],
            )
        };
        let parts: Vec<Mesh> = (0..MAX_SPLIT_PARTS + 50).map(tri).collect();
        let refs: Vec<(&Mesh, Mat4)> = parts.iter().map(|m| (m, Mat4::IDENTITY)).collect();
        let mesh = scene.add_mesh(mesh_ops::merge(&refs));
        let material = scene.add_material(Material::default());
        let node = scene.add_node(
            None,
            "Specks",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        let (c, count) = split_parts(&mut scene, node).unwrap();
        assert_eq!(count, MAX_SPLIT_PARTS);
        History::default().execute(&mut scene, c);
        let total: usize = scene
            .node(node)
            .unwrap()
            .children
            .iter()
            .map(|p| match scene.node(*p).unwrap().kind {
                NodeKind::Mesh { mesh, .. } => scene.mesh(mesh).unwrap().triangle_count(),
                _ => 0,
            })
            .sum();
        assert_eq!(total, MAX_SPLIT_PARTS + 50, "no triangle lost");
    }

    #[test]
    fn merge_keeps_world_positions() {
        let (mut scene, a) = scene_with_cube();
        let mut history = History::default();
        let (c, _) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::from_translation(Vec3::new(-4.0, 0.0, 0.0)),
        );
        history.execute(&mut scene, c);
        let b = scene.find("Cube.001").unwrap();
        let bounds = scene.bounds();
        let (c, note) = merge_meshes(&mut scene, &[b, a]).unwrap();
        assert!(note.is_some(), "each cube had its own material");
        history.execute(&mut scene, c);
        assert!(scene.node(b).is_none());
        assert_eq!(scene.triangle_count(), 24);
        assert_eq!(scene.meshes().count(), 1, "both old meshes freed");
        assert_eq!(scene.materials().count(), 1);
        let after = scene.bounds();
        assert!(after.min.abs_diff_eq(bounds.min, 1e-4) && after.max.abs_diff_eq(bounds.max, 1e-4));
        assert_eq!(
            merge_meshes(&mut scene, &[a]).map(|r| r.1),
            Err(OpError::TooFewMeshes)
        );
    }

    #[test]
    fn apply_transform_bakes_and_keeps_children_in_place() {
        let mut scene = Scene::new("t");
        let (c, cube) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            None,
            Transform::from_translation(Vec3::new(1.0, 2.0, 3.0))
                .with_rotation(glam::Quat::from_rotation_y(0.7))
                .with_scale(Vec3::new(2.0, 1.0, 1.0)),
        );
        let mut history = History::default();
        history.execute(&mut scene, c);
        let child = scene.add_node(
            Some(cube),
            "Lamp",
            Transform::from_translation(Vec3::Y),
            NodeKind::Empty,
        );
        let bounds = scene.bounds_of(&[cube]);
        let child_world = scene.world_from_local(child);
        let c = apply_transform(&mut scene, &[cube]).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.node(cube).unwrap().transform, Transform::IDENTITY);
        let after = scene.bounds_of(&[cube]);
        assert!(after.min.abs_diff_eq(bounds.min, 1e-4) && after.max.abs_diff_eq(bounds.max, 1e-4));
        assert!(scene.world_from_local(child).abs_diff_eq(child_world, 1e-4));
        assert!(
            apply_transform(&mut scene, &[cube]).is_err(),
            "nothing left to apply"
        );
        // A shot keying the cube's placement: baking would move the geometry for every key
        // while only the rest transform became identity; refused, naming the cube.
        history.undo(&mut scene);
        key_placement_in_a_shot(&mut scene, cube);
        let refused = apply_transform(&mut scene, &[cube]).unwrap_err();
        let name = &scene.node(cube).unwrap().name;
        assert!(refused.to_string().contains(name.as_str()), "{refused}");
    }

    /// Replaces the timeline with one shot keying `node`'s transform.
    fn key_placement_in_a_shot(scene: &mut Scene, node: NodeId) {
        let mut timeline = crate::scene::Timeline::default();
        let mut shot = crate::scene::Shot::new(scene.reserve_shot_id(), "Shot");
        shot.key(
            crate::scene::Channel::Transform(node),
            0.0,
            crate::scene::Value::Transform(Transform::IDENTITY),
        );
        timeline.shots.push(shot);
        scene.set_timeline(timeline);
    }

    #[test]
    fn origin_to_geometry_moves_the_origin_to_the_centre_and_nothing_on_screen() {
        let mut scene = Scene::new("t");
        // A cube whose vertices sit 3 m off its node's origin, under a turned, scaled node.
        let off = Vec3::new(3.0, 1.0, -2.0);
        let cube = mesh_ops::transformed(&shapes::cube(1.0), Mat4::from_translation(off));
        let mesh = scene.add_mesh(cube);
        let material = scene.add_material(Material::default());
        let t = Transform::from_translation(Vec3::new(1.0, 2.0, 3.0))
            .with_rotation(glam::Quat::from_rotation_y(0.7))
            .with_scale(Vec3::new(2.0, 1.0, 1.5));
        let node = scene.add_node(None, "Cube", t, NodeKind::Mesh { mesh, material });
        let child = scene.add_node(
            Some(node),
            "Lamp",
            Transform::from_translation(Vec3::Y),
            NodeKind::Empty,
        );
        // A second node sharing the mesh keeps it as it is.
        let twin = scene.add_node(
            None,
            "Twin",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        let bounds = scene.bounds_of(&[node]);
        let child_world = scene.world_from_local(child);
        let mut history = History::default();
        let c = origin_to_geometry(&mut scene, &[node]).unwrap();
        assert!(history.execute(&mut scene, c));
        let after = scene.bounds_of(&[node]);
        assert!(after.min.abs_diff_eq(bounds.min, 1e-4) && after.max.abs_diff_eq(bounds.max, 1e-4));
        let origin = scene.world_from_local(node).transform_point3(Vec3::ZERO);
        assert!(
            origin.abs_diff_eq(bounds.center(), 1e-4),
            "{origin} vs {}",
            bounds.center()
        );
        assert!(scene.world_from_local(child).abs_diff_eq(child_world, 1e-4));
        let moved = scene.node(node).unwrap();
        assert_eq!(
            (moved.transform.rotation, moved.transform.scale),
            (t.rotation, t.scale)
        );
        let NodeKind::Mesh { mesh: own, .. } = moved.kind else {
            unreachable!()
        };
        assert_ne!(own, mesh, "the shared mesh is copied");
        assert!(
            matches!(scene.node(twin).unwrap().kind, NodeKind::Mesh { mesh: m, .. } if m == mesh)
        );
        assert!(
            scene
                .mesh(mesh)
                .unwrap()
                .bounds()
                .center()
                .abs_diff_eq(off, 1e-5)
        );
        assert!(
            origin_to_geometry(&mut scene, &[node]).is_err(),
            "already at the centre"
        );
        history.undo(&mut scene);
        assert_eq!(scene.node(node).unwrap().transform, t);
        assert!(scene.bounds_of(&[node]).min.abs_diff_eq(bounds.min, 1e-5));
        assert_eq!(history.undo_label(), None);

        // A shot animating the node (or its child) would keep its keys where they were while
        // the geometry moved: refused, naming the node.
        for keyed in [node, child] {
            key_placement_in_a_shot(&mut scene, keyed);
            let refused = origin_to_geometry(&mut scene, &[node]).unwrap_err();
            let name = &scene.node(keyed).unwrap().name;
            assert!(refused.to_string().contains(name.as_str()), "{refused}");
        }
    }

    #[test]
    fn origin_to_geometry_centres_a_cloud_on_its_median_not_its_floaters() {
        let mut scene = Scene::new("t");
        // 1,000 splats around (10, 2, 0) and five floaters 1 km away.
        let mut positions: Vec<[f32; 3]> = (0..1000)
            .map(|i| {
                let f = i as f32 / 1000.0;
                [
                    10.0 + (f * std::f32::consts::TAU).cos(),
                    2.0 + (f * 2.0 * std::f32::consts::TAU).sin(),
                    f - 0.5,
                ]
            })
            .collect();
        positions.extend((0..5).map(|i| [1000.0 + i as f32, 0.0, 0.0]));
        let n = positions.len();
        let cloud = SplatCloud::new(
            positions.clone(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.1; 3]; n],
            vec![1.0; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .unwrap();
        let cloud = scene.add_splat_cloud(cloud);
        let node = scene.add_node(
            None,
            "Splats",
            Transform::IDENTITY,
            NodeKind::Splats { cloud },
        );
        let mut history = History::default();
        let c = origin_to_geometry(&mut scene, &[node]).unwrap();
        assert!(history.execute(&mut scene, c));
        let t = scene.node(node).unwrap().transform.translation;
        assert!(
            (t.x - 10.0).abs() < 0.5 && (t.y - 2.0).abs() < 0.5 && t.z.abs() < 0.05,
            "{t}"
        );
        let NodeKind::Splats { cloud: new } = scene.node(node).unwrap().kind else {
            unreachable!()
        };
        assert!(scene.splat_cloud(cloud).is_none(), "the old cloud is freed");
        let world = scene.world_from_local(node);
        for (a, b) in scene
            .splat_cloud(new)
            .unwrap()
            .positions
            .iter()
            .zip(&positions)
        {
            assert!(
                world
                    .transform_point3(Vec3::from(*a))
                    .abs_diff_eq(Vec3::from(*b), 1e-3)
            );
        }
        history.undo(&mut scene);
        assert!(scene.splat_cloud(cloud).is_some());
        assert_eq!(scene.node(node).unwrap().transform, Transform::IDENTITY);
    }

    #[test]
    fn place_on_grid_rests_the_lowest_vertex_on_y_zero_in_any_parent_frame() {
        let mut scene = Scene::new("t");
        // A parent turned a quarter about X (its Y is the world's Z) and scaled 2×.
        let parent = scene.add_node(
            None,
            "Group",
            Transform::from_translation(Vec3::new(0.0, 3.0, 0.0))
                .with_rotation(glam::Quat::from_rotation_x(std::f32::consts::FRAC_PI_2))
                .with_scale(Vec3::splat(2.0)),
            NodeKind::Empty,
        );
        let (command, cube) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            Some(parent),
            Transform::from_translation(Vec3::new(1.0, 2.0, 3.0)),
        );
        let mut history = History::default();
        history.execute(&mut scene, command);
        let before = scene.bounds_of(&[cube]);
        assert!(before.min.y < -2.0, "{before:?}");
        let command = place_on_grid(&scene, &[cube]).expect("placed");
        history.execute(&mut scene, command);
        let after = scene.bounds_of(&[cube]);
        assert!(after.min.y.abs() < 1e-5, "{after:?}");
        assert!((after.max.y - before.max.y + before.min.y).abs() < 1e-4);
        assert!(
            (after.min.x - before.min.x).abs() < 1e-5 && (after.min.z - before.min.z).abs() < 1e-5
        );
        assert!(
            place_on_grid(&scene, &[cube]).is_err(),
            "already on the grid"
        );
        history.undo(&mut scene);
        assert_eq!(scene.bounds_of(&[cube]), before);
        assert!(matches!(
            place_on_grid(&scene, &[]),
            Err(OpError::NothingSelected)
        ));
    }

    #[test]
    fn place_on_grid_puts_a_cloud_floor_on_the_grid_not_its_floaters() {
        let mut scene = Scene::new("t");
        let world = scene.add_node(None, "World", Transform::IDENTITY, NodeKind::Empty);
        // A captured floor at y = −1.5 with a few floaters far beneath it, and furniture.
        let mut positions: Vec<[f32; 3]> = (0..2000)
            .map(|i| {
                let (x, z) = ((i % 50) as f32 * 0.1, (i / 50) as f32 * 0.1);
                let y = if i < 1500 {
                    -1.5
                } else {
                    -1.5 + (i % 7) as f32 * 0.3
                };
                [x, y, z]
            })
            .collect();
        positions.extend([[0.0, -20.0, 0.0]; 5]);
        positions.push([0.0, f32::NAN, 0.0]);
        let n = positions.len();
        let cloud = crate::scene::SplatCloud::new(
            positions,
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.01; 3]; n],
            vec![1.0; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .expect("cloud");
        let cloud = scene.add_splat_cloud(cloud);
        let splats = scene.add_node(
            Some(world),
            "Splats",
            Transform::IDENTITY,
            NodeKind::Splats { cloud },
        );
        // A hidden layer far below does not count.
        let (command, hidden) = add_primitive(
            &mut scene,
            Primitive::Cube { size: 1.0 },
            Some(world),
            Transform::from_translation(Vec3::new(0.0, -50.0, 0.0)),
        );
        let mut history = History::default();
        history.execute(&mut scene, command);
        history.execute(
            &mut scene,
            Command::SetVisible {
                node: hidden,
                visible: false,
            },
        );
        // Both the world and its layer selected: the world moves, the layer with it.
        let command = place_on_grid(&scene, &[splats, world]).expect("placed");
        history.execute(&mut scene, command);
        let world_node = scene.node(world).expect("world");
        assert!((world_node.transform.translation.y - 1.5).abs() < 1e-6);
        assert_eq!(
            scene.node(splats).expect("layer").transform,
            Transform::IDENTITY
        );
        assert_eq!(history.undo_label(), Some("Place on grid"));
    }

    #[test]
    fn import_is_one_undoable_step() {
        let (mut scene, _) = scene_with_cube();
        let (other, _) = scene_with_cube();
        let mut history = History::default();
        let (c, roots) = import(&mut scene, other, None);
        history.execute(&mut scene, c);
        assert_eq!(roots.len(), 1);
        assert_eq!(scene.node_count(), 2);
        assert_eq!(scene.meshes().count(), 2);
        history.undo(&mut scene);
        assert_eq!(scene.node_count(), 1);
        assert_eq!(scene.meshes().count(), 1);
    }

    fn splat_scene() -> (Scene, NodeId) {
        let mut scene = Scene::new("t");
        let n = 100;
        let cloud = SplatCloud::new(
            (0..n).map(|i| [i as f32, 0.0, 0.0]).collect(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.1; 3]; n],
            vec![1.0; n],
            vec![[0.5; 3]; n],
            1,
            (0..n * 9).map(|i| half::f16::from_f32(i as f32)).collect(),
        )
        .unwrap();
        let cloud = scene.add_splat_cloud(cloud);
        let node = scene.add_node(
            None,
            "Splats",
            Transform::IDENTITY,
            NodeKind::Splats { cloud },
        );
        (scene, node)
    }

    fn splat_count(scene: &Scene, node: NodeId) -> usize {
        match scene.node(node).unwrap().kind {
            NodeKind::Splats { cloud } => scene.splat_cloud(cloud).unwrap().len(),
            _ => 0,
        }
    }

    #[test]
    fn splat_regions_delete_crop_and_separate() {
        let region = Region::Box {
            center: Vec3::new(10.0, 0.0, 0.0),
            half_size: Vec3::new(5.0, 1.0, 1.0),
        };
        let (mut scene, node) = splat_scene();
        let cloud = match scene.node(node).unwrap().kind {
            NodeKind::Splats { cloud } => cloud,
            _ => unreachable!(),
        };
        assert_eq!(region.count_inside(scene.splat_cloud(cloud).unwrap()), 11);
        let mut history = History::default();
        let (c, _) = splat_region(&mut scene, node, region, RegionAction::Delete).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 89);
        history.undo(&mut scene);
        assert_eq!(splat_count(&scene, node), 100);
        let (c, _) = splat_region(&mut scene, node, region, RegionAction::Crop).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 11);
        // SH coefficients travel with their splats: the 11 kept are splats 5..=15.
        let NodeKind::Splats { cloud } = scene.node(node).unwrap().kind else {
            unreachable!()
        };
        let kept = scene.splat_cloud(cloud).unwrap();
        assert_eq!(kept.positions[0], [5.0, 0.0, 0.0]);
        assert_eq!(kept.sh_rest[0].to_f32(), 45.0);
        history.undo(&mut scene);
        let (c, new) = splat_region(&mut scene, node, region, RegionAction::Separate).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 89);
        assert_eq!(splat_count(&scene, new.unwrap()), 11);
        assert_eq!(
            scene.splat_clouds().count(),
            2,
            "the original cloud is freed"
        );
        let empty = Region::Sphere {
            center: Vec3::splat(-50.0),
            radius: 1.0,
        };
        assert!(splat_region(&mut scene, node, empty, RegionAction::Delete).is_err());
    }

    #[test]
    fn selected_splats_delete_crop_and_separate() {
        let (mut scene, node) = splat_scene();
        let mut history = History::default();
        // Every third splat: 34 of 100.
        let mask = ElementMask::from_fn(100, |i| i % 3 == 0);
        let (c, new) = cloud_selected(&mut scene, node, &mask, RegionAction::Delete).unwrap();
        assert!(new.is_none());
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 66);
        // A selection made before the edit no longer fits the cloud.
        let stale = cloud_selected(&mut scene, node, &mask, RegionAction::Delete);
        assert!(
            matches!(&stale, Err(OpError::Nothing(m)) if m.contains("100 splats") && m.contains("66")),
            "{:?}",
            stale.err()
        );
        history.undo(&mut scene);
        assert_eq!(splat_count(&scene, node), 100);
        let (c, _) = cloud_selected(&mut scene, node, &mask, RegionAction::Crop).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 34);
        // The kept splats are the selected ones, in order, with their SH.
        let NodeKind::Splats { cloud } = scene.node(node).unwrap().kind else {
            unreachable!()
        };
        let kept = scene.splat_cloud(cloud).unwrap();
        assert_eq!(kept.positions[1], [3.0, 0.0, 0.0]);
        assert_eq!(kept.sh_rest[9].to_f32(), 27.0);
        history.undo(&mut scene);
        let (c, new) = cloud_selected(&mut scene, node, &mask, RegionAction::Separate).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(splat_count(&scene, node), 66);
        assert_eq!(splat_count(&scene, new.unwrap()), 34);
        history.undo(&mut scene);
        assert_eq!(splat_count(&scene, node), 100);
        assert_eq!(scene.node_count(), 1);
        // Nothing selected, or not a splat node.
        assert!(
            cloud_selected(&mut scene, node, &ElementMask::new(100), RegionAction::Crop).is_err()
        );
        assert!(matches!(
            cloud_selected(&mut scene, NodeId(999), &mask, RegionAction::Crop),
            Err(OpError::NoCloud)
        ));
    }

    #[test]
    fn selected_splats_and_points_move_turn_and_scale_alone() {
        let (mut scene, node) = splat_scene();
        let mut history = History::default();
        let cloud_of = |scene: &Scene| match scene.node(node).unwrap().kind {
            NodeKind::Splats { cloud } => Arc::clone(scene.splat_cloud(cloud).unwrap()),
            _ => panic!("not splats"),
        };
        let before = cloud_of(&scene);
        let mask = ElementMask::from_fn(100, |i| i < 10);
        // A quarter turn about Y with a move up: only the first ten splats change.
        let turn = glam::Quat::from_rotation_y(std::f32::consts::FRAC_PI_2);
        let moved = Mat4::from_rotation_translation(turn, Vec3::Y);
        let c = move_cloud_selected(&mut scene, node, &mask, moved).unwrap();
        assert_eq!(c.label(&scene), "Rotate 10 splats of Splats");
        history.execute(&mut scene, c);
        let after = cloud_of(&scene);
        assert_eq!(after.len(), 100);
        assert_eq!(scene.splat_clouds().count(), 1, "the old cloud is freed");
        // Splat 3 at (3, 0, 0) turns to (0, 1, -3); its rotation turns with it; its SH band 1
        // (stored y, z, x) is rotated, so it differs from what it was.
        let p = Vec3::from(after.positions[3]);
        assert!(p.abs_diff_eq(Vec3::new(0.0, 1.0, -3.0), 1e-5), "{p}");
        let q = glam::Quat::from_array(after.rotations[3]);
        assert!(q.angle_between(turn) < 1e-3, "{q}");
        assert_ne!(
            after.sh_rest[3 * 9..3 * 9 + 9],
            before.sh_rest[3 * 9..3 * 9 + 9]
        );
        // Splat 50 is not selected: bit for bit the same.
        assert_eq!(after.positions[50], before.positions[50]);
        assert_eq!(after.rotations[50], before.rotations[50]);
        assert_eq!(
            after.sh_rest[50 * 9..51 * 9],
            before.sh_rest[50 * 9..51 * 9]
        );
        assert_eq!(after.opacities, before.opacities);
        history.undo(&mut scene);
        assert_eq!(cloud_of(&scene).positions, before.positions);
        // A plain move and a scale say so; the scale grows the selected splats' shapes.
        let c =
            move_cloud_selected(&mut scene, node, &mask, Mat4::from_translation(Vec3::X)).unwrap();
        assert_eq!(c.label(&scene), "Move 10 splats of Splats");
        let grow = Mat4::from_scale(Vec3::splat(2.0));
        let c = move_cloud_selected(&mut scene, node, &mask, grow).unwrap();
        assert_eq!(c.label(&scene), "Scale 10 splats of Splats");
        history.execute(&mut scene, c);
        let grown = cloud_of(&scene);
        assert_eq!(grown.positions[4], [8.0, 0.0, 0.0]);
        assert!((grown.scales[4][0] - 0.2).abs() < 1e-6 && grown.scales[40][0] == 0.1);
        // Refused: a stale or empty selection, scaling to nothing, no move, not a cloud.
        let refused = |scene: &mut Scene, mask: &ElementMask, m: Mat4| match move_cloud_selected(
            scene, node, mask, m,
        ) {
            Err(OpError::Nothing(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(refused(&mut scene, &ElementMask::full(99), grow).contains("99 splats"));
        assert!(refused(&mut scene, &ElementMask::new(100), grow).contains("No splats"));
        assert!(refused(&mut scene, &mask, Mat4::from_scale(Vec3::ZERO)).contains("nothing"));
        assert!(refused(&mut scene, &mask, Mat4::IDENTITY).contains("did not move"));
        let nan = Mat4::from_translation(Vec3::NAN);
        assert!(refused(&mut scene, &mask, nan).contains("nothing"));
        assert!(matches!(
            move_cloud_selected(&mut scene, NodeId(999), &mask, grow),
            Err(OpError::NoCloud)
        ));

        // Points: positions and normals of the selected ones.
        let mut scene = Scene::new("t");
        let positions: Vec<[f32; 3]> = (0..20).map(|i| [i as f32, 0.0, 0.0]).collect();
        let cloud = scene.add_point_cloud(crate::scene::PointCloud::new(
            positions,
            Vec::new(),
            vec![[1.0, 0.0, 0.0]; 20],
        ));
        let node = scene.add_node(
            None,
            "Points",
            Transform::IDENTITY,
            NodeKind::Points {
                cloud,
                point_size_px: 3.0,
            },
        );
        let mask = ElementMask::from_fn(20, |i| i % 2 == 1);
        let c = move_cloud_selected(&mut scene, node, &mask, moved).unwrap();
        assert_eq!(c.label(&scene), "Rotate 10 points of Points");
        history.execute(&mut scene, c);
        let NodeKind::Points { cloud, .. } = scene.node(node).unwrap().kind else {
            unreachable!()
        };
        let points = scene.point_cloud(cloud).unwrap();
        assert!(Vec3::from(points.positions[1]).abs_diff_eq(Vec3::new(0.0, 1.0, -1.0), 1e-5));
        assert!(Vec3::from(points.normals[1]).abs_diff_eq(Vec3::NEG_Z, 1e-5));
        assert_eq!(
            (points.positions[2], points.normals[2]),
            ([2.0, 0.0, 0.0], [1.0, 0.0, 0.0])
        );
    }

    #[test]
    fn selected_points_delete_crop_and_separate() {
        let mut scene = Scene::new("t");
        let positions: Vec<[f32; 3]> = (0..50).map(|i| [i as f32, 0.0, 0.0]).collect();
        let colors: Vec<[u8; 4]> = (0..50).map(|i| [i as u8, 0, 0, 255]).collect();
        let cloud =
            scene.add_point_cloud(crate::scene::PointCloud::new(positions, colors, Vec::new()));
        let node = scene.add_node(
            None,
            "Points",
            Transform::IDENTITY,
            NodeKind::Points {
                cloud,
                point_size_px: 3.0,
            },
        );
        let points = |scene: &Scene, node: NodeId| match scene.node(node).unwrap().kind {
            NodeKind::Points {
                cloud,
                point_size_px,
            } => {
                assert_eq!(point_size_px, 3.0, "the point size stays");
                Arc::clone(scene.point_cloud(cloud).unwrap())
            }
            _ => panic!("not points"),
        };
        let mut history = History::default();
        let mask = ElementMask::from_fn(50, |i| i >= 40);
        let (c, _) = cloud_selected(&mut scene, node, &mask, RegionAction::Delete).unwrap();
        assert_eq!(c.label(&scene), "Delete 10 points of Points");
        history.execute(&mut scene, c);
        assert_eq!(points(&scene, node).len(), 40);
        assert_eq!(scene.point_clouds().count(), 1, "the old cloud is freed");
        history.undo(&mut scene);
        let (c, _) = cloud_selected(&mut scene, node, &mask, RegionAction::Crop).unwrap();
        history.execute(&mut scene, c);
        let kept = points(&scene, node);
        assert_eq!((kept.len(), kept.colors[0]), (10, [40, 0, 0, 255]));
        history.undo(&mut scene);
        let (c, new) = cloud_selected(&mut scene, node, &mask, RegionAction::Separate).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(points(&scene, node).len(), 40);
        assert_eq!(points(&scene, new.unwrap()).len(), 10);
        history.undo(&mut scene);
        assert_eq!((points(&scene, node).len(), scene.node_count()), (50, 1));
        let stale = cloud_selected(&mut scene, node, &ElementMask::full(49), RegionAction::Crop);
        assert!(
            matches!(&stale, Err(OpError::Nothing(m)) if m.contains("49 points")),
            "{:?}",
            stale.err()
        );
    }

    #[test]
    fn environment_images_swap_and_free_the_old_one() {
        let mut scene = Scene::new("t");
        let mut history = History::default();
        let image = |name: &str| crate::scene::Image::new(name, 2, 1, vec![9; 8]).unwrap();
        let c = set_environment_image(&mut scene, image("a.png"), false);
        history.execute(&mut scene, c);
        let first = scene.environment.panorama.unwrap();
        assert!(!first.hdr);
        let c = set_environment_image(&mut scene, image("b.hdr"), true);
        history.execute(&mut scene, c);
        let second = scene.environment.panorama.unwrap();
        assert!(second.hdr);
        assert_eq!(scene.images().count(), 1, "a.png is freed");
        let c = clear_environment_image(&scene).unwrap();
        history.execute(&mut scene, c);
        assert!(scene.environment.panorama.is_none());
        assert_eq!(scene.images().count(), 0);
        assert!(clear_environment_image(&scene).is_none());
        history.undo(&mut scene);
        history.undo(&mut scene);
        assert_eq!(scene.environment.panorama, Some(first));
        assert_eq!(scene.image(first.image).unwrap().name, "a.png");
    }

    #[test]
    fn textures_and_materials_assign_clear_and_make_unique() {
        use crate::scene::TextureSlot;
        let (mut scene, a) = scene_with_cube();
        let mut history = History::default();
        let (c, _) = duplicate(&mut scene, &[a]).unwrap();
        history.execute(&mut scene, c);
        let b = scene.find("Cube.001").unwrap();
        let NodeKind::Mesh { material, .. } = scene.node(a).unwrap().kind else {
            panic!()
        };
        let image = |n: &str| crate::scene::Image::new(n, 1, 1, vec![255; 4]).unwrap();
        let c =
            assign_texture(&mut scene, material, TextureSlot::BaseColor, image("a.png")).unwrap();
        history.execute(&mut scene, c);
        assert!(
            scene
                .material(material)
                .unwrap()
                .base_color_texture
                .is_some()
        );
        let c =
            assign_texture(&mut scene, material, TextureSlot::BaseColor, image("b.png")).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.images().count(), 1, "a.png freed");
        let c = clear_texture(&scene, material, TextureSlot::BaseColor).unwrap();
        history.execute(&mut scene, c);
        assert_eq!(scene.images().count(), 0);
        assert!(clear_texture(&scene, material, TextureSlot::BaseColor).is_none());
        // Make unique: b gets a copy; a keeps the original.
        let c = make_material_unique(&mut scene, b).unwrap();
        history.execute(&mut scene, c);
        let NodeKind::Mesh { material: own, .. } = scene.node(b).unwrap().kind else {
            panic!()
        };
        assert_ne!(own, material);
        assert_eq!(scene.material(own).unwrap().name, "Cube.001");
        assert!(
            make_material_unique(&mut scene, b).is_err(),
            "already unique"
        );
        // Assign a's material back to b: b's copy is freed.
        let c = assign_material(&scene, &[b], material).unwrap();
        history.execute(&mut scene, c);
        assert!(scene.material(own).is_none());
        assert_eq!(scene.users_of_material(material).len(), 2);
        while history.undo(&mut scene) {}
        assert_eq!(scene.node_count(), 1);
    }

    #[test]
    fn add_light_has_physical_defaults() {
        let mut scene = Scene::new("t");
        let (c, id) = add_light(&mut scene, LightKind::Point, None, Transform::IDENTITY);
        History::default().execute(&mut scene, c);
        let NodeKind::Light(l) = scene.node(id).unwrap().kind else {
            panic!()
        };
        assert_eq!(l.intensity, 130.0);
        assert_eq!(scene.node(id).unwrap().name, "Point light");
    }
}

/// An operation the user asked for (menu, shortcut, inspector button), run on the current
/// selection by [`run`].
#[derive(Clone, Debug, PartialEq)]
pub enum Operation {
    AddPrimitive(Primitive),
    AddLight(LightKind),
    Duplicate,
    Delete,
    Group,
    SplitParts,
    MergeMeshes,
    Reshade(Reshade),
    ApplyTransform,
    /// Move the selection up or down so that it rests on the ground grid (y = 0).
    PlaceOnGrid,
    /// Move each selected node's origin to the centre of its content, which stays put.
    OriginToGeometry,
    SplatRegion {
        node: NodeId,
        region: Region,
        action: RegionAction,
    },
    /// Delete, keep only or separate the splats or points selected on screen (one bit per
    /// element of the node's cloud).
    CloudSelected {
        node: NodeId,
        selected: Arc<ElementMask>,
        action: RegionAction,
    },
    /// Move, turn or scale the splats or points selected on screen within the node's frame
    /// (`moved`: the node's frame to itself).
    MoveCloudSelected {
        node: NodeId,
        selected: Arc<ElementMask>,
        moved: Mat4,
    },
    /// Estimate the lighting baked into a captured node's colour (de-lighting).
    EstimateCapturedLight {
        node: NodeId,
    },
}

/// What running an [`Operation`] produced: the command to execute, the selection afterwards
/// (when it changes) and a note for the status bar.
#[derive(Debug)]
pub struct Outcome {
    pub command: Command,
    pub select: Option<Vec<NodeId>>,
    pub note: Option<String>,
}

/// Builds the command for `operation` on `selection`; new objects are placed at `place`
/// (the viewport's pivot), as roots of the scene.
pub fn run(
    scene: &mut Scene,
    selection: &[NodeId],
    place: Vec3,
    operation: Operation,
) -> Result<Outcome, OpError> {
    let plain = |command| Outcome {
        command,
        select: None,
        note: None,
    };
    Ok(match operation {
        Operation::AddPrimitive(shape) => {
            let (command, node) =
                add_primitive(scene, shape, None, Transform::from_translation(place));
            Outcome {
                command,
                select: Some(vec![node]),
                note: None,
            }
        }
        Operation::AddLight(kind) => {
            // Lamps a little above the pivot, pointing down; a sun from 50° elevation.
            let transform = match kind {
                LightKind::Directional => {
                    Transform::pointing(-Vec3::new(0.4, 0.77, 0.5).normalize())
                }
                _ => Transform::from_translation(place + Vec3::Y * 2.0)
                    .with_rotation(glam::Quat::from_rotation_x(-std::f32::consts::FRAC_PI_2)),
            };
            let (command, node) = add_light(scene, kind, None, transform);
            Outcome {
                command,
                select: Some(vec![node]),
                note: None,
            }
        }
        Operation::Duplicate => {
            let (command, copies) = duplicate(scene, selection)?;
            Outcome {
                command,
                select: Some(copies),
                note: None,
            }
        }
        Operation::Delete => Outcome {
            command: delete(scene, selection)?,
            select: Some(Vec::new()),
            note: None,
        },
        Operation::Group => {
            let (command, node) = group(scene, selection)?;
            Outcome {
                command,
                select: Some(vec![node]),
                note: None,
            }
        }
        Operation::SplitParts => {
            let node = *selected_meshes(scene, selection)
                .last()
                .map(|(n, _, _)| n)
                .ok_or(OpError::NoMesh)?;
            let (command, count) = split_parts(scene, node)?;
            Outcome {
                command,
                select: None,
                note: Some(format!("Split into {count} parts.")),
            }
        }
        Operation::MergeMeshes => {
            let (command, note) = merge_meshes(scene, selection)?;
            let active = selected_meshes(scene, selection).last().map(|m| vec![m.0]);
            Outcome {
                command,
                select: active,
                note,
            }
        }
        Operation::Reshade(how) => plain(reshade(scene, selection, how)?),
        Operation::ApplyTransform => plain(apply_transform(scene, selection)?),
        Operation::PlaceOnGrid => plain(place_on_grid(scene, selection)?),
        Operation::OriginToGeometry => plain(origin_to_geometry(scene, selection)?),
        Operation::SplatRegion {
            node,
            region,
            action,
        } => {
            let (command, new) = splat_region(scene, node, region, action)?;
            Outcome {
                command,
                select: new.map(|n| vec![n]),
                note: None,
            }
        }
        Operation::CloudSelected {
            node,
            selected,
            action,
        } => {
            let (command, new) = cloud_selected(scene, node, &selected, action)?;
            Outcome {
                command,
                select: new.map(|n| vec![n]),
                note: None,
            }
        }
        Operation::MoveCloudSelected {
            node,
            selected,
            moved,
        } => plain(move_cloud_selected(scene, node, &selected, moved)?),
        Operation::EstimateCapturedLight { node } => plain(estimate_captured_light(scene, node)?),
    })
}

/// Whether a node shows captured colour that can be relit: a splat cloud, or a mesh with an
/// unlit (as captured) material.
pub fn relightable(scene: &Scene, node: NodeId) -> bool {
    match scene.node(node).map(|n| &n.kind) {
        Some(NodeKind::Splats { .. }) => true,
        Some(NodeKind::Mesh { material, .. }) => scene.material(*material).is_some_and(|m| m.unlit),
        _ => false,
    }
}

/// The exposed value (exposure-free) a linear display colour shows as under `mapper`: the
/// space in which captured colour is light × albedo (see `scene::relight`).
fn exposed_of_display(linear: Vec3, mapper: crate::scene::ToneMapper) -> Vec3 {
    match mapper {
        crate::scene::ToneMapper::Aces => crate::render::tonemap::inverse_aces_fitted(linear),
        crate::scene::ToneMapper::Linear => linear.clamp(Vec3::ZERO, Vec3::ONE),
    }
}

fn luminance(c: Vec3) -> f32 {
    c.dot(Vec3::new(0.2126, 0.7152, 0.0722))
}

/// "Estimate captured lighting" (de-lighting): fits the lighting a capture baked into a
/// node's colour ([`CapturedLight::fit`](crate::scene::CapturedLight::fit) of the exposed
/// luminance over the normals) and returns the `SetRelight` that stores it (the amount is
/// kept).
///
/// * Splats: the normal is each Gaussian's shortest axis, weighted by opacity × the area of
///   its two longer axes, turned towards the capture's viewpoint: the centre of the scene's
///   cameras when it has any (a world folder's `camera_params.json`); else away from the
///   cloud's centre where the normal points nearly along that offset (an object seen from
///   outside), up for other level splats (floors and tops were seen from above), away from
///   the centre for the rest, and up where the offset lies in the splat's plane.
/// * Meshes with an unlit material: vertex normals, weighted by a third of the adjacent
///   triangles' areas; the colour is the material's base colour × the vertex colour.
pub fn estimate_captured_light(scene: &Scene, node: NodeId) -> Result<Command, OpError> {
    let n = scene.node(node).ok_or(OpError::NothingSelected)?;
    let mapper = scene.environment.tone_mapper;
    let samples: Vec<(Vec3, f32, f32)> = match &n.kind {
        NodeKind::Splats { cloud } => {
            let cloud = scene.splat_cloud(*cloud).ok_or(OpError::NoSplats)?;
            let cameras: Vec<Vec3> = scene
                .walk()
                .iter()
                .filter(|wn| matches!(wn.node.kind, NodeKind::Camera(_)))
                .map(|wn| wn.world_from_local.transform_point3(Vec3::ZERO))
                .collect();
            let local_from_world = scene.world_from_local(node).inverse();
            let viewpoint = (!cameras.is_empty() && local_from_world.is_finite()).then(|| {
                let mean = cameras.iter().sum::<Vec3>() / cameras.len() as f32;
                local_from_world.transform_point3(mean)
            });
            let center = cloud.bounds().center();
            let up = local_from_world
                .transform_vector3(Vec3::Y)
                .normalize_or(Vec3::Y);
            splat_samples(cloud, viewpoint, center, up, mapper)
        }
        NodeKind::Mesh { mesh, material } => {
            let material = scene
                .material(*material)
                .filter(|m| m.unlit)
                .ok_or_else(|| {
                    OpError::Nothing(format!("{} is lit by the scene already.", n.name))
                })?;
            let mesh = scene.mesh(*mesh).ok_or(OpError::NoMesh)?;
            mesh_samples(mesh, Vec3::from_slice(&material.base_color[..3]), mapper)
        }
        _ => {
            return Err(OpError::Nothing(
                "Select a splat cloud or a vertex-coloured mesh.".into(),
            ));
        }
    };
    let captured = crate::scene::CapturedLight::fit(&samples).ok_or_else(|| {
        OpError::Nothing(format!(
            "{} has no colour to estimate lighting from.",
            n.name
        ))
    })?;
    Ok(batch(
        format!("Estimate captured lighting of {}", n.name),
        vec![Command::SetRelight {
            node,
            relight: crate::scene::Relight {
                captured,
                ..n.relight
            },
        }],
    ))
}

fn splat_samples(
    cloud: &SplatCloud,
    viewpoint: Option<Vec3>,
    center: Vec3,
    up: Vec3,
    mapper: crate::scene::ToneMapper,
) -> Vec<(Vec3, f32, f32)> {
    use crate::render::tonemap::srgb_to_linear;
    (0..cloud.len())
        .filter_map(|i| {
            let p = Vec3::from(*cloud.positions.get(i)?);
            let q = glam::Quat::from_array(*cloud.rotations.get(i)?).normalize();
            let s = Vec3::from(*cloud.scales.get(i)?);
            let opacity = *cloud.opacities.get(i)?;
            let c = Vec3::from(*cloud.colors.get(i)?).clamp(Vec3::ZERO, Vec3::ONE);
            let (axis, area) = if s.x <= s.y && s.x <= s.z {
                (Vec3::X, s.y * s.z)
            } else if s.y <= s.z {
                (Vec3::Y, s.x * s.z)
            } else {
                (Vec3::Z, s.x * s.y)
            };
            let mut normal = q * axis;
            let towards = match viewpoint {
                Some(v) => v - p,
                None => {
                    let out = p - center;
                    let cos = normal.dot(out).abs() / out.length().max(1e-12);
                    let level = normal.dot(up).abs() > 0.7;
                    // Clearly on the outside of the layer: outward. Else level surfaces
                    // (floors, tops) were seen from above; offsets nearly in the splat's
                    // plane say nothing about its side.
                    if cos > 0.9 || (!level && cos > 0.2) {
                        out
                    } else {
                        up
                    }
                }
            };
            if normal.dot(towards) < 0.0 {
                normal = -normal;
            }
            let linear = Vec3::new(
                srgb_to_linear(c.x),
                srgb_to_linear(c.y),
                srgb_to_linear(c.z),
            );
            let value = luminance(exposed_of_display(linear, mapper));
            Some((normal, value, opacity * area))
        })
        .collect()
}

fn mesh_samples(
    mesh: &Mesh,
    base: Vec3,
    mapper: crate::scene::ToneMapper,
) -> Vec<(Vec3, f32, f32)> {
    let mut area = vec![0.0f32; mesh.positions.len()];
    for t in mesh.indices.chunks_exact(3) {
        let corner = |k: usize| mesh.positions.get(t[k] as usize).map(|p| Vec3::from(*p));
        if let (Some(a), Some(b), Some(c)) = (corner(0), corner(1), corner(2)) {
            let third = (b - a).cross(c - a).length() / 6.0;
            for &v in t {
                if let Some(w) = area.get_mut(v as usize) {
                    *w += third;
                }
            }
        }
    }
    (0..mesh.positions.len())
        .filter_map(|i| {
            let normal = Vec3::from(*mesh.normals.get(i)?).normalize_or_zero();
            let color = mesh
                .colors
                .get(i)
                .map_or(Vec3::ONE, |c| Vec3::new(c[0], c[1], c[2]));
            let value = luminance(exposed_of_display(base * color, mapper));
            (normal != Vec3::ZERO).then_some((normal, value, area[i]))
        })
        .collect()
}
