//! Structural changes to a scene that keep ids: taking a subtree of nodes out and putting it
//! back exactly where it was, and adding or removing shared resources (meshes, materials,
//! images, clouds) under ids chosen beforehand.
//!
//! These are the building blocks of the undoable structural commands in `edit` (delete,
//! duplicate, add, group, split, merge, import): a removed subtree or resource set is kept by
//! the undo history and re-inserted with the same ids, so every other command that names
//! those ids stays valid.

use super::{
    Image, ImageId, Material, MaterialId, Mesh, MeshId, Node, NodeId, NodeKind, PointCloud,
    PointCloudId, Scene, SplatCloud, SplatCloudId, stamp,
};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// A node and all of its descendants, detached from a scene, with where it hung.
#[derive(Clone, Debug, PartialEq)]
pub struct Subtree {
    /// The parent of the subtree's root (`None`: a root of the scene).
    pub parent: Option<NodeId>,
    /// Position among the parent's children (or among the roots); clamped on insertion.
    pub index: usize,
    /// Root first, then descendants, parents before children. The root's `parent` field is
    /// ignored (it is `parent` above); every other node's parent is in the subtree and lists
    /// it among its children.
    pub nodes: Vec<Node>,
}

impl Node {
    /// A visible node with no parent or children yet (for building a [`Subtree`]).
    pub fn new(id: NodeId, name: &str, transform: super::Transform, kind: NodeKind) -> Self {
        Self {
            id,
            name: name.to_owned(),
            parent: None,
            children: Vec::new(),
            transform,
            kind,
            visible: true,
            locked: false,
            grade: super::ColorGrade::default(),
            relight: super::Relight::default(),
        }
    }
}

impl super::Transform {
    /// The translation, rotation and scale of a `parent_from_local` matrix (a shear, which a
    /// TRS transform cannot hold, is dropped).
    pub fn from_matrix(m: glam::Mat4) -> Self {
        let (scale, rotation, translation) = m.to_scale_rotation_translation();
        let t = Self {
            translation,
            rotation: rotation.normalize(),
            scale,
        };
        if t.translation.is_finite() && t.rotation.is_finite() && t.scale.is_finite() {
            t
        } else {
            Self::IDENTITY
        }
    }
}

impl Subtree {
    /// A subtree of one node.
    pub fn single(parent: Option<NodeId>, index: usize, node: Node) -> Self {
        Self {
            parent,
            index,
            nodes: vec![node],
        }
    }

    /// Id of the subtree's root node.
    pub fn root(&self) -> Option<NodeId> {
        self.nodes.first().map(|n| n.id)
    }
}

/// Shared resources to add to a scene under ids reserved with [`Scene::reserve_id`].
#[derive(Clone, Debug, Default)]
pub struct Resources {
    pub meshes: Vec<(MeshId, Arc<Mesh>)>,
    pub materials: Vec<(MaterialId, Material)>,
    pub images: Vec<(ImageId, Arc<Image>)>,
    pub point_clouds: Vec<(PointCloudId, Arc<PointCloud>)>,
    pub splat_clouds: Vec<(SplatCloudId, Arc<SplatCloud>)>,
}

impl PartialEq for Resources {
    /// Same ids and the very same shared data (geometry is compared by identity, not by
    /// value: two commands are equal when they would add the same arrays).
    fn eq(&self, other: &Self) -> bool {
        fn same<I: PartialEq, T>(a: &[(I, Arc<T>)], b: &[(I, Arc<T>)]) -> bool {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(x, y)| x.0 == y.0 && Arc::ptr_eq(&x.1, &y.1))
        }
        same(&self.meshes, &other.meshes)
            && self.materials == other.materials
            && same(&self.images, &other.images)
            && same(&self.point_clouds, &other.point_clouds)
            && same(&self.splat_clouds, &other.splat_clouds)
    }
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.ids().is_empty()
    }

    /// The ids these resources would occupy.
    pub fn ids(&self) -> ResourceIds {
        ResourceIds {
            meshes: self.meshes.iter().map(|(id, _)| *id).collect(),
            materials: self.materials.iter().map(|(id, _)| *id).collect(),
            images: self.images.iter().map(|(id, _)| *id).collect(),
            point_clouds: self.point_clouds.iter().map(|(id, _)| *id).collect(),
            splat_clouds: self.splat_clouds.iter().map(|(id, _)| *id).collect(),
        }
    }
}

/// Ids of resources to remove together.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceIds {
    pub meshes: Vec<MeshId>,
    pub materials: Vec<MaterialId>,
    pub images: Vec<ImageId>,
    pub point_clouds: Vec<PointCloudId>,
    pub splat_clouds: Vec<SplatCloudId>,
}

impl ResourceIds {
    pub fn is_empty(&self) -> bool {
        self.meshes.is_empty()
            && self.materials.is_empty()
            && self.images.is_empty()
            && self.point_clouds.is_empty()
            && self.splat_clouds.is_empty()
    }
}

/// Why a structural change was refused (the scene is left unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StructureError {
    #[error("node {0:?} does not exist")]
    NoSuchNode(NodeId),
    #[error("id {0} is already in use")]
    IdInUse(u64),
    #[error("the subtree is empty")]
    EmptySubtree,
    #[error("the subtree's nodes do not form one tree ({0})")]
    Malformed(String),
    #[error("node {node:?} refers to a missing {what} {id}")]
    MissingResource {
        node: NodeId,
        what: &'static str,
        id: u64,
    },
    #[error("{what} {id} is still used")]
    InUse { what: &'static str, id: u64 },
    #[error("{what} {id} does not exist")]
    NoSuchResource { what: &'static str, id: u64 },
    #[error("a node cannot become a child of itself or of its own descendant")]
    Cycle,
}

impl Scene {
    /// A new id, never used before in this scene, for a node or resource the caller is about
    /// to add through [`Scene::insert_subtree`] or [`Scene::insert_resources`].
    pub fn reserve_id(&mut self) -> u64 {
        self.fresh_id()
    }

    /// Whether `id` is in use by any node or resource.
    fn id_in_use(&self, id: u64) -> bool {
        self.nodes.contains_key(&NodeId(id))
            || self.meshes.contains_key(&MeshId(id))
            || self.materials.contains_key(&MaterialId(id))
            || self.images.contains_key(&ImageId(id))
            || self.point_clouds.contains_key(&PointCloudId(id))
            || self.splat_clouds.contains_key(&SplatCloudId(id))
    }

    /// `id` and every node below it, parents before children.
    pub fn subtree_ids(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        let mut seen = HashSet::new();
        while let Some(id) = stack.pop() {
            let Some(node) = self.nodes.get(&id) else {
                continue;
            };
            if !seen.insert(id) {
                continue;
            }
            out.push(id);
            stack.extend(node.children.iter().rev());
        }
        out
    }

    /// Position of a node among its parent's children (or among the roots).
    pub fn index_in_parent(&self, id: NodeId) -> Option<usize> {
        let node = self.nodes.get(&id)?;
        let siblings = match node.parent.and_then(|p| self.nodes.get(&p)) {
            Some(p) => &p.children,
            None => &self.roots,
        };
        siblings.iter().position(|c| *c == id)
    }

    /// Replaces a mesh's data in place (every node using it changes), returning the old data.
    pub fn replace_mesh(&mut self, id: MeshId, mesh: Arc<Mesh>) -> Option<Arc<Mesh>> {
        let slot = self.meshes.get_mut(&id)?;
        let before = std::mem::replace(slot, mesh);
        self.bump_structure();
        Some(before)
    }

    /// Whether `node` is `ancestor` or lies below it.
    pub fn is_in_subtree(&self, node: NodeId, ancestor: NodeId) -> bool {
        let mut cur = Some(node);
        let mut guard = 0;
        while let Some(id) = cur {
            if id == ancestor {
                return true;
            }
            cur = self.nodes.get(&id).and_then(|n| n.parent);
            guard += 1;
            if guard > self.nodes.len() {
                return false;
            }
        }
        false
    }

    /// Of `ids`, those that exist and are not below another one of `ids` (deleting or moving
    /// a node takes its descendants along), in the given order without repeats.
    pub fn topmost(&self, ids: &[NodeId]) -> Vec<NodeId> {
        let wanted: HashSet<NodeId> = ids.iter().copied().collect();
        let mut seen = HashSet::new();
        ids.iter()
            .copied()
            .filter(|id| self.nodes.contains_key(id) && seen.insert(*id))
            .filter(|id| {
                let mut cur = self.nodes.get(id).and_then(|n| n.parent);
                let mut guard = 0;
                while let Some(p) = cur {
                    if wanted.contains(&p) {
                        return false;
                    }
                    cur = self.nodes.get(&p).and_then(|n| n.parent);
                    guard += 1;
                    if guard > self.nodes.len() {
                        break;
                    }
                }
                true
            })
            .collect()
    }

    /// Takes `id` and its descendants out of the scene; [`Scene::insert_subtree`] with the
    /// result puts them back exactly.
    pub fn remove_subtree(&mut self, id: NodeId) -> Result<Subtree, StructureError> {
        let root = self.nodes.get(&id).ok_or(StructureError::NoSuchNode(id))?;
        let parent = root.parent.filter(|p| self.nodes.contains_key(p));
        let siblings = match parent {
            Some(p) => &mut self.nodes.get_mut(&p).expect("parent checked").children,
            None => &mut self.roots,
        };
        let index = siblings
            .iter()
            .position(|c| *c == id)
            .unwrap_or(siblings.len());
        siblings.retain(|c| *c != id);
        let nodes = self
            .subtree_ids(id)
            .into_iter()
            .filter_map(|n| self.nodes.remove(&n))
            .collect();
        self.bump_structure();
        Ok(Subtree {
            parent,
            index,
            nodes,
        })
    }

    /// Puts a subtree into the scene with its own ids, under `subtree.parent` at
    /// `subtree.index`. Refuses (changing nothing) a subtree whose ids are taken, whose
    /// parent is missing, that is not one tree, or that refers to missing resources.
    pub fn insert_subtree(&mut self, subtree: Subtree) -> Result<NodeId, StructureError> {
        let root = subtree.root().ok_or(StructureError::EmptySubtree)?;
        if let Some(p) = subtree.parent
            && !self.nodes.contains_key(&p)
        {
            return Err(StructureError::NoSuchNode(p));
        }
        let ids: BTreeSet<NodeId> = subtree.nodes.iter().map(|n| n.id).collect();
        if ids.len() != subtree.nodes.len() {
            return Err(StructureError::Malformed("repeated node ids".into()));
        }
        for node in &subtree.nodes {
            if self.id_in_use(node.id.0) {
                return Err(StructureError::IdInUse(node.id.0));
            }
            self.check_references(node)?;
        }
        // One tree: every node but the root is listed by exactly one parent inside, and is
        // reached from the root.
        let mut listed = HashSet::new();
        for node in &subtree.nodes {
            for child in &node.children {
                if !ids.contains(child) || !listed.insert(*child) {
                    return Err(StructureError::Malformed(format!(
                        "{child:?} is listed by a node outside the subtree or twice"
                    )));
                }
            }
        }
        for node in subtree.nodes.iter().skip(1) {
            let parent_lists = node
                .parent
                .and_then(|p| subtree.nodes.iter().find(|n| n.id == p))
                .is_some_and(|p| p.children.contains(&node.id));
            if !parent_lists || node.id == root {
                return Err(StructureError::Malformed(format!(
                    "{:?} is not a child of its parent",
                    node.id
                )));
            }
        }
        if listed.contains(&root) || listed.len() + 1 != ids.len() {
            return Err(StructureError::Malformed("not a single tree".into()));
        }
        let parent = subtree.parent;
        for mut node in subtree.nodes {
            if node.id == root {
                node.parent = parent;
            }
            self.next_id = self.next_id.max(node.id.0 + 1);
            self.nodes.insert(node.id, node);
        }
        let siblings = match parent {
            Some(p) => &mut self.nodes.get_mut(&p).expect("parent checked").children,
            None => &mut self.roots,
        };
        siblings.insert(subtree.index.min(siblings.len()), root);
        self.bump_structure();
        Ok(root)
    }

    /// Moves `id` (with its descendants) under `parent` at `index`, keeping its local
    /// transform. Returns where it was (parent, index).
    pub fn move_node(
        &mut self,
        id: NodeId,
        parent: Option<NodeId>,
        index: usize,
    ) -> Result<(Option<NodeId>, usize), StructureError> {
        if !self.nodes.contains_key(&id) {
            return Err(StructureError::NoSuchNode(id));
        }
        if let Some(p) = parent {
            if !self.nodes.contains_key(&p) {
                return Err(StructureError::NoSuchNode(p));
            }
            if self.is_in_subtree(p, id) {
                return Err(StructureError::Cycle);
            }
        }
        let tree = self.remove_subtree(id)?;
        let before = (tree.parent, tree.index);
        self.insert_subtree(Subtree {
            parent,
            index,
            ..tree
        })?;
        Ok(before)
    }

    fn check_references(&self, node: &Node) -> Result<(), StructureError> {
        let missing = |what, id| StructureError::MissingResource {
            node: node.id,
            what,
            id,
        };
        match &node.kind {
            NodeKind::Mesh { mesh, material } => {
                if !self.meshes.contains_key(mesh) {
                    return Err(missing("mesh", mesh.0));
                }
                if !self.materials.contains_key(material) {
                    return Err(missing("material", material.0));
                }
            }
            NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. }
                if !self.point_clouds.contains_key(cloud) =>
            {
                return Err(missing("point cloud", cloud.0));
            }
            NodeKind::Splats { cloud } if !self.splat_clouds.contains_key(cloud) => {
                return Err(missing("splat cloud", cloud.0));
            }
            _ => {}
        }
        Ok(())
    }

    /// Replaces what a node is (its mesh and material, light, camera, cloud…), returning
    /// what it was. Refuses kinds that refer to missing resources.
    pub fn set_kind(&mut self, id: NodeId, kind: NodeKind) -> Result<NodeKind, StructureError> {
        let node = self.nodes.get(&id).ok_or(StructureError::NoSuchNode(id))?;
        let probe = Node {
            kind,
            ..node.clone()
        };
        self.check_references(&probe)?;
        let node = self
            .nodes
            .get_mut(&id)
            .ok_or(StructureError::NoSuchNode(id))?;
        let before = std::mem::replace(&mut node.kind, probe.kind);
        self.bump_structure();
        Ok(before)
    }

    /// Adds resources under their (reserved) ids; refuses, adding nothing, if any id is
    /// taken or a material names a missing image.
    pub fn insert_resources(&mut self, resources: Resources) -> Result<(), StructureError> {
        let ids = resources.ids();
        let all = ids
            .meshes
            .iter()
            .map(|i| i.0)
            .chain(ids.materials.iter().map(|i| i.0))
            .chain(ids.images.iter().map(|i| i.0))
            .chain(ids.point_clouds.iter().map(|i| i.0))
            .chain(ids.splat_clouds.iter().map(|i| i.0));
        let mut seen = HashSet::new();
        for id in all {
            if self.id_in_use(id) || !seen.insert(id) {
                return Err(StructureError::IdInUse(id));
            }
        }
        let new_images: HashSet<ImageId> = ids.images.iter().copied().collect();
        for (_, material) in &resources.materials {
            for slot in material.texture_slots().into_iter().flatten() {
                if !self.images.contains_key(&slot.image) && !new_images.contains(&slot.image) {
                    return Err(StructureError::NoSuchResource {
                        what: "image",
                        id: slot.image.0,
                    });
                }
            }
        }
        for id in seen {
            self.next_id = self.next_id.max(id + 1);
        }
        self.meshes.extend(resources.meshes);
        self.materials.extend(resources.materials);
        self.images.extend(resources.images);
        self.point_clouds.extend(resources.point_clouds);
        self.splat_clouds.extend(resources.splat_clouds);
        self.bump_structure();
        self.revision.materials = stamp();
        Ok(())
    }

    /// Removes resources no node, material, panorama or variant uses any more and returns
    /// them; refuses, removing nothing, if any is missing or still used.
    pub fn remove_resources(&mut self, ids: &ResourceIds) -> Result<Resources, StructureError> {
        let exists = ids.meshes.iter().all(|i| self.meshes.contains_key(i))
            && ids.materials.iter().all(|i| self.materials.contains_key(i))
            && ids.images.iter().all(|i| self.images.contains_key(i))
            && ids
                .point_clouds
                .iter()
                .all(|i| self.point_clouds.contains_key(i))
            && ids
                .splat_clouds
                .iter()
                .all(|i| self.splat_clouds.contains_key(i));
        if !exists {
            return Err(StructureError::NoSuchResource {
                what: "resource",
                id: 0,
            });
        }
        let removed_materials: HashSet<MaterialId> = ids.materials.iter().copied().collect();
        for node in self.nodes.values() {
            let used = match &node.kind {
                NodeKind::Mesh { mesh, material } => ids
                    .meshes
                    .contains(mesh)
                    .then_some(("mesh", mesh.0))
                    .or(removed_materials
                        .contains(material)
                        .then_some(("material", material.0))),
                NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. } => ids
                    .point_clouds
                    .contains(cloud)
                    .then_some(("point cloud", cloud.0)),
                NodeKind::Splats { cloud } => ids
                    .splat_clouds
                    .contains(cloud)
                    .then_some(("splat cloud", cloud.0)),
                _ => None,
            };
            if let Some((what, id)) = used {
                return Err(StructureError::InUse { what, id });
            }
        }
        for (id, material) in &self.materials {
            if removed_materials.contains(id) {
                continue;
            }
            if let Some(slot) = material
                .texture_slots()
                .into_iter()
                .flatten()
                .find(|s| ids.images.contains(&s.image))
            {
                return Err(StructureError::InUse {
                    what: "image",
                    id: slot.image.0,
                });
            }
        }
        if let Some(p) = &self.environment.panorama
            && ids.images.contains(&p.image)
        {
            return Err(StructureError::InUse {
                what: "image",
                id: p.image.0,
            });
        }
        if let Some(m) = self
            .materials_used_by_variants()
            .into_iter()
            .find(|m| removed_materials.contains(m))
        {
            return Err(StructureError::InUse {
                what: "material",
                id: m.0,
            });
        }
        let out = Resources {
            meshes: ids
                .meshes
                .iter()
                .filter_map(|id| Some((*id, self.meshes.remove(id)?)))
                .collect(),
            materials: ids
                .materials
                .iter()
                .filter_map(|id| Some((*id, self.materials.remove(id)?)))
                .collect(),
            images: ids
                .images
                .iter()
                .filter_map(|id| Some((*id, self.images.remove(id)?)))
                .collect(),
            point_clouds: ids
                .point_clouds
                .iter()
                .filter_map(|id| Some((*id, self.point_clouds.remove(id)?)))
                .collect(),
            splat_clouds: ids
                .splat_clouds
                .iter()
                .filter_map(|id| Some((*id, self.splat_clouds.remove(id)?)))
                .collect(),
        };
        self.bump_structure();
        self.revision.materials = stamp();
        Ok(out)
    }

    /// Nodes whose kind uses `material`, in outliner order.
    pub fn users_of_material(&self, material: MaterialId) -> Vec<NodeId> {
        self.walk()
            .into_iter()
            .filter(
                |wn| matches!(wn.node.kind, NodeKind::Mesh { material: m, .. } if m == material),
            )
            .map(|wn| wn.node.id)
            .collect()
    }

    /// Nodes whose kind uses `mesh`.
    pub fn users_of_mesh(&self, mesh: MeshId) -> usize {
        self.nodes
            .values()
            .filter(|n| matches!(n.kind, NodeKind::Mesh { mesh: m, .. } if m == mesh))
            .count()
    }

    /// Nodes whose kind shows the point cloud `cloud`.
    pub fn users_of_point_cloud(&self, cloud: PointCloudId) -> usize {
        self.nodes
            .values()
            .filter(|n| n.kind.point_cloud() == Some(cloud))
            .count()
    }

    /// Nodes whose kind shows the splat cloud `cloud`.
    pub fn users_of_splat_cloud(&self, cloud: SplatCloudId) -> usize {
        self.nodes
            .values()
            .filter(|n| matches!(n.kind, NodeKind::Splats { cloud: c } if c == cloud))
            .count()
    }

    fn bump_structure(&mut self) {
        self.revision.structure = stamp();
        self.revision.transforms = stamp();
        self.revision.lights = stamp();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Transform, scene_hash};

    fn tree() -> (Scene, [NodeId; 4]) {
        let mut s = Scene::new("t");
        let a = s.add_node(None, "A", Transform::IDENTITY, NodeKind::Empty);
        let b = s.add_node(Some(a), "B", Transform::IDENTITY, NodeKind::Empty);
        let c = s.add_node(Some(b), "C", Transform::IDENTITY, NodeKind::Empty);
        let d = s.add_node(None, "D", Transform::IDENTITY, NodeKind::Empty);
        (s, [a, b, c, d])
    }

    #[test]
    fn remove_then_insert_restores_exactly() {
        let (mut s, [a, b, c, d]) = tree();
        let before = scene_hash(&s);
        let t = s.remove_subtree(a).unwrap();
        assert_eq!(t.nodes.len(), 3);
        assert!(s.node(b).is_none() && s.node(c).is_none());
        assert_eq!(s.roots(), &[d]);
        assert_eq!(s.insert_subtree(t.clone()).unwrap(), a);
        assert_eq!(scene_hash(&s), before);
        assert_eq!(s.roots(), &[a, d]);
        // Inserting the same ids twice is refused and changes nothing.
        assert_eq!(s.insert_subtree(t), Err(StructureError::IdInUse(a.0)));
        assert_eq!(scene_hash(&s), before);
    }

    #[test]
    fn malformed_subtrees_are_refused() {
        let (mut s, [a, ..]) = tree();
        let mut t = s.remove_subtree(a).unwrap();
        let before = scene_hash(&s);
        t.nodes[0].children.clear();
        assert!(matches!(
            s.insert_subtree(t.clone()),
            Err(StructureError::Malformed(_))
        ));
        t.parent = Some(NodeId(999));
        assert_eq!(
            s.insert_subtree(t),
            Err(StructureError::NoSuchNode(NodeId(999)))
        );
        assert_eq!(scene_hash(&s), before);
    }

    #[test]
    fn move_refuses_cycles() {
        let (mut s, [a, b, c, d]) = tree();
        assert_eq!(s.move_node(a, Some(c), 0), Err(StructureError::Cycle));
        assert_eq!(s.move_node(c, Some(d), 0), Ok((Some(b), 0)));
        assert_eq!(s.node(c).unwrap().parent, Some(d));
        assert_eq!(s.topmost(&[c, a, b, c]), vec![c, a]);
    }

    #[test]
    fn used_resources_cannot_be_removed() {
        let mut s = Scene::new("t");
        let mesh = MeshId(s.reserve_id());
        let material = MaterialId(s.reserve_id());
        let res = Resources {
            meshes: vec![(
                mesh,
                Arc::new(Mesh::new(
                    vec![[0.0; 3]; 3],
                    Vec::new(),
                    Vec::new(),
                    Vec::new(),
                    vec![0, 1, 2],
                )),
            )],
            materials: vec![(material, Material::default())],
            ..Default::default()
        };
        s.insert_resources(res.clone()).unwrap();
        assert!(s.insert_resources(res.clone()).is_err());
        let node = s.add_node(
            None,
            "M",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        assert!(matches!(
            s.remove_resources(&res.ids()),
            Err(StructureError::InUse { .. })
        ));
        s.remove_subtree(node).unwrap();
        let back = s.remove_resources(&res.ids()).unwrap();
        assert_eq!(back, res);
        assert_eq!(s.meshes().count(), 0);
    }
}
