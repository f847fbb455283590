//! Taking a [`Scene`] apart into plain collections and putting it back together with every
//! invariant checked, for the project file (`crate::project`). A scene built from parts
//! that came from a file is exactly as trustworthy as one built by the scene's own methods:
//! the hierarchy is a forest, every reference resolves, and new ids never collide.

use super::{
    Environment, Image, ImageId, Material, MaterialId, Mesh, MeshId, Node, NodeId, NodeKind,
    PointCloud, PointCloudId, Revision, Scene, SplatCloud, SplatCloudId, Timeline, Variants,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Everything a [`Scene`] holds, as plain collections (geometry stays shared through `Arc`).
#[derive(Clone, Debug, Default)]
pub struct SceneParts {
    pub name: String,
    /// Every node, each with its parent and ordered children.
    pub nodes: Vec<Node>,
    /// Top-level nodes in outliner order.
    pub roots: Vec<NodeId>,
    pub meshes: BTreeMap<MeshId, Arc<Mesh>>,
    pub materials: BTreeMap<MaterialId, Material>,
    pub images: BTreeMap<ImageId, Arc<Image>>,
    pub point_clouds: BTreeMap<PointCloudId, Arc<PointCloud>>,
    pub splat_clouds: BTreeMap<SplatCloudId, Arc<SplatCloud>>,
    /// Variants (overrides naming nodes or materials that do not exist are dropped).
    pub variants: Variants,
    /// Shots and their animation (tracks of nodes or materials that do not exist are
    /// dropped; a camera or variant that does not exist is unset).
    pub timeline: Timeline,
    pub environment: Environment,
    /// The next id the scene hands out; greater than every id in use.
    pub next_id: u64,
    /// Skinned mesh nodes and their skins (a skin of a node that does not exist or holds no
    /// mesh, or whose arrays disagree, is refused).
    pub skins: BTreeMap<NodeId, Arc<super::skin::Skin>>,
    /// Mesh nodes with morph targets (refused like skins; on a skinned node the base mesh
    /// must have the skin's vertex count).
    pub morphs: BTreeMap<NodeId, super::morph::Morph>,
}

/// Why parts do not make a scene. Each message names the offending id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SceneError {
    #[error("node {0} appears twice")]
    DuplicateNode(u64),
    #[error("{what} {id} is not below the next free id {next_id} (new ids would collide)")]
    IdNotBelowNext {
        what: &'static str,
        id: u64,
        next_id: u64,
    },
    #[error("node {node} names {what} {id}, which does not exist")]
    MissingReference {
        node: u64,
        what: &'static str,
        id: u64,
    },
    #[error("material {material} uses image {image}, which does not exist")]
    MissingImage { material: u64, image: u64 },
    #[error("the panorama uses image {0}, which does not exist")]
    MissingPanorama(u64),
    #[error("material variant '{variant}' assigns {what} {id}, which does not exist")]
    MissingVariantTarget {
        variant: String,
        what: &'static str,
        id: u64,
    },
    #[error("variant {0} appears twice")]
    DuplicateVariant(u64),
    #[error("timeline: {0}")]
    Timeline(String),
    #[error("node {node}: {problem}")]
    Hierarchy { node: u64, problem: String },
    #[error("node {node}'s camera: {problem}")]
    Camera { node: u64, problem: String },
    #[error("root list: {0}")]
    Roots(String),
    #[error("{0} node(s) are not reachable from the roots (a cycle)")]
    Unreachable(usize),
    #[error("the skin of node {node}: {problem}")]
    Skin { node: u64, problem: String },
    #[error("the morph targets of node {node}: {problem}")]
    Morph { node: u64, problem: String },
}

impl Scene {
    /// The scene's content as plain collections (nodes cloned, geometry shared).
    pub fn to_parts(&self) -> SceneParts {
        SceneParts {
            name: self.name.clone(),
            nodes: self.nodes.values().cloned().collect(),
            roots: self.roots.clone(),
            meshes: self.meshes.clone(),
            materials: self.materials.clone(),
            images: self.images.clone(),
            point_clouds: self.point_clouds.clone(),
            splat_clouds: self.splat_clouds.clone(),
            variants: self.variants.clone(),
            timeline: self.timeline.clone(),
            environment: self.environment,
            next_id: self.next_id,
            // Suspended bindings (a geometry edit since) are not part of the saved scene.
            skins: self
                .skins
                .iter()
                .filter(|(id, _)| self.binding_holds(**id))
                .map(|(id, s)| (*id, Arc::clone(s)))
                .collect(),
            morphs: self
                .morphs
                .iter()
                .filter(|(id, _)| self.binding_holds(**id))
                .map(|(id, m)| (*id, m.clone()))
                .collect(),
        }
    }

    /// Builds a scene from parts, checking that the hierarchy is a forest whose parent and
    /// child links agree (no cycles, every node reachable from exactly one root position),
    /// that every mesh, material, image and cloud a node, material, panorama or variant names
    /// exists, and that every id is below `next_id`. The scene gets fresh revision stamps.
    pub fn from_parts(parts: SceneParts) -> Result<Scene, SceneError> {
        let SceneParts {
            name,
            nodes: node_list,
            roots,
            meshes,
            materials,
            images,
            point_clouds,
            splat_clouds,
            mut variants,
            mut timeline,
            environment,
            next_id,
            skins,
            morphs,
        } = parts;
        let next_id = next_id.max(1);
        let below = |what: &'static str, id: u64| {
            if id < next_id {
                Ok(())
            } else {
                Err(SceneError::IdNotBelowNext { what, id, next_id })
            }
        };
        let mut nodes = BTreeMap::new();
        for node in node_list {
            below("node", node.id.0)?;
            let id = node.id;
            if nodes.insert(id, node).is_some() {
                return Err(SceneError::DuplicateNode(id.0));
            }
        }
        for id in meshes.keys() {
            below("mesh", id.0)?;
        }
        for id in materials.keys() {
            below("material", id.0)?;
        }
        for id in images.keys() {
            below("image", id.0)?;
        }
        for id in point_clouds.keys() {
            below("point cloud", id.0)?;
        }
        for id in splat_clouds.keys() {
            below("splat cloud", id.0)?;
        }

        // References from nodes, materials, the panorama and variants.
        for node in nodes.values() {
            let missing = |what, id| SceneError::MissingReference {
                node: node.id.0,
                what,
                id,
            };
            match &node.kind {
                NodeKind::Mesh { mesh, material } => {
                    if !meshes.contains_key(mesh) {
                        return Err(missing("mesh", mesh.0));
                    }
                    if !materials.contains_key(material) {
                        return Err(missing("material", material.0));
                    }
                }
                NodeKind::Points { cloud, .. } | NodeKind::Lines { cloud, .. }
                    if !point_clouds.contains_key(cloud) =>
                {
                    return Err(missing("point cloud", cloud.0));
                }
                NodeKind::Splats { cloud } if !splat_clouds.contains_key(cloud) => {
                    return Err(missing("splat cloud", cloud.0));
                }
                NodeKind::Camera(camera) => {
                    camera.check().map_err(|problem| SceneError::Camera {
                        node: node.id.0,
                        problem,
                    })?;
                }
                _ => {}
            }
        }
        for (id, material) in &materials {
            for slot in material.texture_slots().into_iter().flatten() {
                if !images.contains_key(&slot.image) {
                    return Err(SceneError::MissingImage {
                        material: id.0,
                        image: slot.image.0,
                    });
                }
            }
        }
        if let Some(panorama) = &environment.panorama
            && !images.contains_key(&panorama.image)
        {
            return Err(SceneError::MissingPanorama(panorama.image.0));
        }
        let mut variant_ids = std::collections::BTreeSet::new();
        for variant in &mut variants.list {
            below("variant", variant.id.0)?;
            if !variant_ids.insert(variant.id) {
                return Err(SceneError::DuplicateVariant(variant.id.0));
            }
            let o = &mut variant.overrides;
            o.nodes.retain(|id, _| nodes.contains_key(id));
            o.materials.retain(|id, _| materials.contains_key(id));
            for node in o.nodes.values_mut() {
                node.material = node.material.filter(|m| materials.contains_key(m));
            }
            if let Some(Some(p)) = o.environment.panorama
                && !images.contains_key(&p.image)
            {
                return Err(SceneError::MissingVariantTarget {
                    variant: variant.name.clone(),
                    what: "panorama image",
                    id: p.image.0,
                });
            }
            o.tidy();
        }
        if variants.active.is_some_and(|id| !variant_ids.contains(&id)) {
            variants.active = None;
        }

        check_hierarchy(&nodes, &roots)?;
        // Skins and morph targets belong to mesh nodes.
        let on_mesh_node = |node: &NodeId| {
            if matches!(
                nodes.get(node).map(|n| &n.kind),
                Some(NodeKind::Mesh { .. })
            ) {
                Ok(())
            } else {
                Err("the node does not exist or holds no mesh".to_owned())
            }
        };
        for (node, skin) in &skins {
            let problem = |problem: String| SceneError::Skin {
                node: node.0,
                problem,
            };
            on_mesh_node(node)
                .and_then(|()| skin.check())
                .map_err(problem)?;
        }
        for (node, morph) in &morphs {
            let problem = |problem: String| SceneError::Morph {
                node: node.0,
                problem,
            };
            on_mesh_node(node)
                .and_then(|()| morph.check())
                .map_err(problem)?;
            if let Some(skin) = skins.get(node) {
                let (base, bind) = (morph.base.positions.len(), skin.bind.positions.len());
                if base != bind {
                    return Err(problem(format!(
                        "{base} vertices but the node's skin binds {bind}"
                    )));
                }
            }
        }
        timeline.validate().map_err(SceneError::Timeline)?;
        for shot in &timeline.shots {
            below("shot", shot.id.0)?;
        }

        let mut scene = Scene {
            name,
            nodes,
            roots,
            meshes,
            materials,
            images,
            point_clouds,
            splat_clouds,
            variants,
            timeline: Timeline::default(),
            environment,
            next_id,
            skins: BTreeMap::new(),
            morphs: BTreeMap::new(),
            poses: BTreeMap::new(),
            revision: Revision::fresh(),
        };
        // The meshes as saved are the skins' poses and the morphs' shapes as saved.
        for (node, skin) in skins {
            scene.set_skin(node, Arc::unwrap_or_clone(skin));
        }
        for (node, morph) in morphs {
            scene.set_morph(node, morph);
        }
        timeline.prune(&scene);
        scene.timeline = timeline;
        Ok(scene)
    }
}

/// Parent and child links agree, roots are exactly the parentless nodes (once each), and
/// every node is reachable from the roots (which, with agreeing links, rules out cycles).
fn check_hierarchy(nodes: &BTreeMap<NodeId, Node>, roots: &[NodeId]) -> Result<(), SceneError> {
    for node in nodes.values() {
        let problem = |problem: String| SceneError::Hierarchy {
            node: node.id.0,
            problem,
        };
        let mut seen = BTreeSet::new();
        for child in &node.children {
            if !seen.insert(*child) {
                return Err(problem(format!("lists child {} twice", child.0)));
            }
            match nodes.get(child) {
                None => return Err(problem(format!("child {} does not exist", child.0))),
                Some(c) if c.parent != Some(node.id) => {
                    return Err(problem(format!(
                        "child {} names another parent ({:?})",
                        child.0,
                        c.parent.map(|p| p.0)
                    )));
                }
                Some(_) => {}
            }
        }
        if let Some(parent) = node.parent {
            match nodes.get(&parent) {
                None => return Err(problem(format!("parent {} does not exist", parent.0))),
                Some(p) if !p.children.contains(&node.id) => {
                    return Err(problem(format!(
                        "parent {} does not list it as a child",
                        parent.0
                    )));
                }
                Some(_) => {}
            }
        }
    }
    let mut seen = BTreeSet::new();
    for root in roots {
        if !seen.insert(*root) {
            return Err(SceneError::Roots(format!("node {} listed twice", root.0)));
        }
        match nodes.get(root) {
            None => {
                return Err(SceneError::Roots(format!("node {} does not exist", root.0)));
            }
            Some(n) if n.parent.is_some() => {
                return Err(SceneError::Roots(format!("node {} has a parent", root.0)));
            }
            Some(_) => {}
        }
    }
    if let Some(orphan) = nodes
        .values()
        .find(|n| n.parent.is_none() && !seen.contains(&n.id))
    {
        return Err(SceneError::Roots(format!(
            "node {} has no parent but is not a root",
            orphan.id.0
        )));
    }
    // Walk from the roots; each node can be reached at most once because every child link
    // is matched by that child's single parent link.
    let mut reached = 0usize;
    let mut stack: Vec<NodeId> = roots.to_vec();
    while let Some(id) = stack.pop() {
        reached += 1;
        if reached > nodes.len() {
            break;
        }
        if let Some(node) = nodes.get(&id) {
            stack.extend(node.children.iter().copied());
        }
    }
    if reached != nodes.len() {
        return Err(SceneError::Unreachable(nodes.len().abs_diff(reached)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Transform, scene_hash};

    fn tree() -> Scene {
        let mut scene = Scene::new("t");
        let a = scene.add_node(None, "A", Transform::IDENTITY, NodeKind::Empty);
        let b = scene.add_node(Some(a), "B", Transform::IDENTITY, NodeKind::Empty);
        scene.add_node(Some(b), "C", Transform::IDENTITY, NodeKind::Empty);
        scene.add_node(None, "D", Transform::IDENTITY, NodeKind::Empty);
        scene
    }

    /// Breaks one invariant of otherwise valid parts.
    type Breaker<'a> = Box<dyn Fn(&mut SceneParts) + 'a>;

    fn node_mut<'a>(parts: &'a mut SceneParts, name: &str) -> &'a mut Node {
        parts
            .nodes
            .iter_mut()
            .find(|n| n.name == name)
            .expect("node")
    }

    #[test]
    fn parts_round_trip() {
        let scene = tree();
        let back = Scene::from_parts(scene.to_parts()).expect("valid");
        assert_eq!(scene_hash(&back), scene_hash(&scene));
        assert_ne!(back.revision(), scene.revision(), "fresh stamps");
    }

    #[test]
    fn broken_hierarchies_are_refused() {
        let scene = tree();
        let id = |name: &str| scene.find(name).expect("node");
        let cases: Vec<(&str, Breaker<'_>)> = vec![
            (
                "a cycle",
                Box::new(|p| {
                    // A's parent is C, C's child is A: links agree but nothing reaches them.
                    p.roots.retain(|r| *r != id("A"));
                    node_mut(p, "A").parent = Some(id("C"));
                    node_mut(p, "C").children.push(id("A"));
                }),
            ),
            (
                "a child naming another parent",
                Box::new(|p| node_mut(p, "C").parent = Some(id("A"))),
            ),
            (
                "a missing child",
                Box::new(|p| node_mut(p, "D").children.push(NodeId(999))),
            ),
            ("a duplicate root", Box::new(|p| p.roots.push(id("D")))),
            ("a root with a parent", Box::new(|p| p.roots.push(id("B")))),
            (
                "a parentless node that is not a root",
                Box::new(|p| p.roots.retain(|r| *r != id("D"))),
            ),
            (
                "a duplicate node",
                Box::new(|p| {
                    let d = node_mut(p, "D").clone();
                    p.nodes.push(d);
                }),
            ),
            ("an id at next_id", Box::new(|p| p.next_id = id("D").0)),
            (
                "a mesh node without its mesh",
                Box::new(|p| {
                    node_mut(p, "D").kind = NodeKind::Mesh {
                        mesh: MeshId(1),
                        material: MaterialId(2),
                    }
                }),
            ),
        ];
        for (what, break_it) in cases {
            let mut parts = scene.to_parts();
            break_it(&mut parts);
            assert!(Scene::from_parts(parts).is_err(), "{what} was accepted");
        }
    }
}
