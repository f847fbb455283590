//! `edit`: every change a user makes to a [`Scene`] is a [`Command`]. Applying a command
//! returns its inverse, so undo and redo need no snapshots: [`History`] keeps the inverses.
//!
//! UI code never mutates the scene; it emits commands (`UiAction::Edit`) and the app runs them
//! through [`History::execute`]. A drag (a slider, a gizmo) sends a command per frame
//! through [`History::execute_merging`]: every frame of one gesture on one value folds into a
//! single undo step, which [`History::end_gesture`] closes when the pointer is released.

pub mod mesh_ops;
pub mod ops;
pub mod timeline;
pub mod variants;

use crate::scene::{
    Environment, Light, Material, MaterialId, MeshId, NodeId, NodeKind, Overrides, ResourceIds,
    Resources, Scene, Subtree, Transform, VariantId, Variants,
};

/// One reversible change to a scene.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Show or hide a node (and with it, everything below it).
    SetVisible { node: NodeId, visible: bool },
    /// Set the on-screen disc size of a point-cloud node, in pixels.
    SetPointSize { node: NodeId, size_px: f32 },
    /// Set a node's transform relative to its parent.
    SetTransform { node: NodeId, transform: Transform },
    /// Set the weights of a mesh node's morph targets (shape keys), one per target.
    SetMorphWeights { node: NodeId, weights: Vec<f32> },
    /// Replace a mesh node's morph targets (`None`: remove them all); see
    /// [`Scene::replace_morph`].
    SetMorph {
        node: NodeId,
        morph: Option<MorphData>,
    },
    /// Mute or unmute morph target `index` (a shape key) of a mesh node: muted, it keeps its
    /// weight and tracks and shapes nothing.
    MuteShape {
        node: NodeId,
        index: u16,
        muted: bool,
    },
    /// Set the slider range (min, max) of morph target `index` (a shape key) of a mesh node.
    SetShapeRange {
        node: NodeId,
        index: u16,
        range: [f32; 2],
    },
    /// Rename morph target `index` (a shape key) of a mesh node.
    RenameShape {
        node: NodeId,
        index: u16,
        name: String,
    },
    /// Set every value of a (shared) material.
    SetMaterial {
        material: MaterialId,
        value: Box<Material>,
    },
    /// Set the values of a light node.
    SetLight { node: NodeId, light: Light },
    /// Rename a node.
    Rename { node: NodeId, name: String },
    /// Set the colour adjustment (tint, brightness, saturation) of a node.
    SetGrade {
        node: NodeId,
        grade: crate::scene::ColorGrade,
    },
    /// Set how a node's captured colour responds to the scene's lights (as captured ↔
    /// relit, and the captured lighting model).
    SetRelight {
        node: NodeId,
        relight: crate::scene::Relight,
    },
    /// Set the scene-wide look: exposure, tone mapper, sky and panorama values.
    SetEnvironment { value: Box<Environment> },
    /// Lock a node against viewport picking, or unlock it.
    SetLocked { node: NodeId, locked: bool },
    /// Move a node under `parent` (`None`: to the roots) at `index` among its new siblings
    /// (after it left its old place; past the end = last). With `transform: None` the node
    /// keeps where it is in the world (its new local transform is computed); the inverse
    /// carries the exact old transform. Moving a node under itself or a descendant is refused.
    Reparent {
        node: NodeId,
        parent: Option<NodeId>,
        index: usize,
        transform: Option<Transform>,
    },
    /// Remove nodes, each with everything below it (nodes below another listed node go
    /// with it).
    RemoveNodes { nodes: Vec<NodeId> },
    /// Put subtrees into the scene with their own ids, in order (new nodes, or removed ones
    /// coming back).
    InsertNodes { trees: Vec<Subtree> },
    /// Change what a node is: its mesh and material, light, camera or cloud.
    SetKind { node: NodeId, kind: Box<NodeKind> },
    /// Add shared resources (meshes, materials, images, clouds) under reserved ids.
    AddResources { resources: Box<Resources> },
    /// Remove resources nothing uses any more.
    RemoveResources { ids: Box<ResourceIds> },
    /// Replace the list of variants and which one is shown (add, duplicate, rename, delete,
    /// reorder, switch).
    SetVariants { variants: Box<Variants> },
    /// Replace what one variant overrides.
    SetOverrides {
        variant: VariantId,
        overrides: Box<Overrides>,
    },
    /// Replace the timeline: shots, their tracks and keys, the active shot. Key drags in
    /// the timeline send one per frame and fold into one undo step.
    SetTimeline {
        timeline: Box<crate::scene::Timeline>,
        /// What changed, for Edit ▸ Undo ("Move keys", "Add shot").
        label: String,
    },
    /// Replace a mesh's data (every node using it changes): new normals, new shape
    /// parameters.
    ReplaceMesh { mesh: MeshId, value: MeshData },
    /// Several commands as one undo step, applied in order (undone in reverse).
    Batch {
        label: String,
        commands: Vec<Command>,
    },
}

/// Shared, immutable mesh data carried by a command; equal when it is the very same data.
#[derive(Clone, Debug)]
pub struct MeshData(pub std::sync::Arc<crate::scene::Mesh>);

impl PartialEq for MeshData {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Shared, immutable morph targets carried by a command; equal when the very same data.
#[derive(Clone, Debug)]
pub struct MorphData(pub std::sync::Arc<crate::scene::morph::Morph>);

impl PartialEq for MorphData {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Smallest and largest point size the editor offers, in pixels.
pub const POINT_SIZE_RANGE_PX: std::ops::RangeInclusive<f32> = 0.5..=64.0;

/// Commands refuse values that are not finite numbers (a NaN would poison every matrix and
/// colour downstream) but do not clamp: widgets offer the valid ranges, and an inverse must
/// restore exactly what the scene held, even values outside glTF's ranges from a file.
fn finite(values: &[f32]) -> bool {
    values.iter().all(|v| v.is_finite())
}

fn transform_is_finite(t: &Transform) -> bool {
    t.translation.is_finite() && t.rotation.is_finite() && t.scale.is_finite()
}

fn material_is_finite(m: &Material) -> bool {
    let cutoff = match m.alpha_mode {
        crate::scene::AlphaMode::Mask { cutoff } => cutoff,
        _ => 0.0,
    };
    finite(&m.base_color)
        && finite(&m.emissive)
        && finite(&[
            m.metallic,
            m.roughness,
            m.emissive_strength,
            m.normal_scale,
            m.occlusion_strength,
            cutoff,
        ])
}

fn light_is_finite(l: &Light) -> bool {
    let cones = match l.kind {
        crate::scene::LightKind::Spot {
            inner_cone_rad,
            outer_cone_rad,
        } => [inner_cone_rad, outer_cone_rad],
        _ => [0.0; 2],
    };
    finite(&l.color) && finite(&[l.intensity, l.range.unwrap_or(0.0)]) && finite(&cones)
}

fn grade_is_finite(g: &crate::scene::ColorGrade) -> bool {
    finite(&g.tint) && finite(&[g.brightness, g.saturation])
}

fn environment_is_finite(e: &Environment) -> bool {
    finite(&e.sky.ground_albedo)
        && finite(&[e.sky.turbidity, e.sky.intensity, e.exposure_ev100])
        && e.panorama
            .is_none_or(|p| finite(&[p.rotation_rad, p.intensity]))
}

/// Every value a variant overrides is a finite number.
fn overrides_are_finite(o: &Overrides) -> bool {
    // The overrides over a finite environment are finite when the overridden values are.
    environment_is_finite(&o.environment.apply(&Environment::default()))
        && o.nodes.values().all(|n| {
            n.transform.as_ref().is_none_or(transform_is_finite)
                && n.light.as_ref().is_none_or(light_is_finite)
                && n.grade.as_ref().is_none_or(grade_is_finite)
                && n.relight_amount.is_none_or(f32::is_finite)
        })
        && o.materials.values().all(|m| {
            m.base_color.is_none_or(|c| finite(&c))
                && m.emissive.is_none_or(|c| finite(&c))
                && finite(&[
                    m.metallic.unwrap_or(0.0),
                    m.roughness.unwrap_or(0.0),
                    m.emissive_strength.unwrap_or(0.0),
                ])
        })
}

/// The local transform that keeps `node` where it is in the world once it hangs under
/// `parent`; `None` if the new parent's world matrix cannot be inverted (a zero scale).
fn keep_in_world(scene: &Scene, node: NodeId, parent: Option<NodeId>) -> Option<Transform> {
    let world_from_node = scene.world_from_local(node);
    let world_from_parent = parent.map_or(glam::Mat4::IDENTITY, |p| scene.world_from_local(p));
    if world_from_parent.determinant().abs() < 1e-12 {
        return None;
    }
    let parent_from_node = world_from_parent.inverse() * world_from_node;
    let (scale, rotation, translation) = parent_from_node.to_scale_rotation_translation();
    Some(Transform {
        translation,
        rotation: rotation.normalize(),
        scale,
    })
}

impl Command {
    /// Applies the command and returns the command that undoes it, or `None` if it changed
    /// nothing (e.g. the node no longer exists, or already had that value). Skinned meshes
    /// then follow their joints ([`Scene::pose_deformed`]): moving a joint, or undoing that,
    /// moves the mesh.
    pub fn apply(self, scene: &mut Scene) -> Option<Command> {
        let inverse = self.apply_one(scene);
        if inverse.is_some() {
            scene.pose_deformed();
        }
        inverse
    }

    fn apply_one(self, scene: &mut Scene) -> Option<Command> {
        match self {
            Command::SetVisible { node, visible } => {
                let before = scene.node(node)?.visible;
                if before == visible {
                    return None;
                }
                scene.set_visible(node, visible);
                Some(Command::SetVisible {
                    node,
                    visible: before,
                })
            }
            Command::SetPointSize { node, size_px } => {
                let point_size_px = scene.node(node)?.kind.draw_size_px()?;
                if !(size_px.is_finite() && size_px > 0.0) {
                    return None;
                }
                if point_size_px == size_px {
                    return None;
                }
                scene.set_point_size(node, size_px);
                Some(Command::SetPointSize {
                    node,
                    size_px: point_size_px,
                })
            }
            Command::SetMorphWeights { node, weights } => {
                let morph = scene.morph(node)?;
                if weights.len() != morph.weights.len() || !finite(&weights) {
                    return None;
                }
                if morph.weights == weights {
                    return None;
                }
                let before = scene.set_morph_weights(node, &weights)?;
                Some(Command::SetMorphWeights {
                    node,
                    weights: before,
                })
            }
            Command::SetTransform { node, transform } => {
                let before = scene.node(node)?.transform;
                if !transform_is_finite(&transform) {
                    return None;
                }
                if before == transform {
                    return None;
                }
                scene.set_transform(node, transform);
                Some(Command::SetTransform {
                    node,
                    transform: before,
                })
            }
            Command::SetMaterial { material, value } => {
                if !material_is_finite(&value) {
                    return None;
                }
                let slot = scene.material(material)?;
                if *slot == *value {
                    return None;
                }
                let before = slot.clone();
                *scene.material_mut(material)? = *value;
                Some(Command::SetMaterial {
                    material,
                    value: Box::new(before),
                })
            }
            Command::SetLight { node, light } => {
                let NodeKind::Light(before) = scene.node(node)?.kind else {
                    return None;
                };
                if !light_is_finite(&light) {
                    return None;
                }
                if before == light {
                    return None;
                }
                *scene.light_mut(node)? = light;
                Some(Command::SetLight {
                    node,
                    light: before,
                })
            }
            Command::SetEnvironment { value } => {
                if !environment_is_finite(&value) {
                    return None;
                }
                let before = scene.environment;
                if before == *value {
                    return None;
                }
                *scene.environment_mut() = *value;
                Some(Command::SetEnvironment {
                    value: Box::new(before),
                })
            }
            Command::RemoveNodes { nodes } => {
                let mut trees: Vec<Subtree> = scene
                    .topmost(&nodes)
                    .into_iter()
                    .filter_map(|id| scene.remove_subtree(id).ok())
                    .collect();
                if trees.is_empty() {
                    return None;
                }
                // Put back last-removed first, so every recorded index is right again.
                trees.reverse();
                Some(Command::InsertNodes { trees })
            }
            Command::InsertNodes { trees } => {
                let mut inserted: Vec<NodeId> = trees
                    .into_iter()
                    .filter_map(|tree| scene.insert_subtree(tree).ok())
                    .collect();
                if inserted.is_empty() {
                    return None;
                }
                inserted.reverse();
                Some(Command::RemoveNodes { nodes: inserted })
            }
            Command::SetKind { node, kind } => {
                if scene.node(node)?.kind == *kind {
                    return None;
                }
                let before = scene.set_kind(node, *kind).ok()?;
                Some(Command::SetKind {
                    node,
                    kind: Box::new(before),
                })
            }
            Command::AddResources { resources } => {
                if resources.is_empty() {
                    return None;
                }
                let ids = resources.ids();
                scene.insert_resources(*resources).ok()?;
                Some(Command::RemoveResources { ids: Box::new(ids) })
            }
            Command::RemoveResources { ids } => {
                if ids.is_empty() {
                    return None;
                }
                let removed = scene.remove_resources(&ids).ok()?;
                Some(Command::AddResources {
                    resources: Box::new(removed),
                })
            }
            Command::SetVariants { variants } => {
                if scene.variants() == variants.as_ref() {
                    return None;
                }
                if !variants
                    .list
                    .iter()
                    .all(|v| overrides_are_finite(&v.overrides))
                {
                    return None;
                }
                let before = scene.variants().clone();
                scene.set_variants(*variants);
                Some(Command::SetVariants {
                    variants: Box::new(before),
                })
            }
            Command::SetTimeline { timeline, label } => {
                if scene.timeline() == timeline.as_ref() || timeline.validate().is_err() {
                    return None;
                }
                let before = scene.timeline().clone();
                scene.set_timeline(*timeline);
                Some(Command::SetTimeline {
                    timeline: Box::new(before),
                    label,
                })
            }
            Command::SetOverrides {
                variant,
                mut overrides,
            } => {
                overrides.tidy();
                let current = &scene.variants().get(variant)?.overrides;
                if *current == *overrides || !overrides_are_finite(&overrides) {
                    return None;
                }
                let before = scene.set_overrides(variant, *overrides)?;
                Some(Command::SetOverrides {
                    variant,
                    overrides: Box::new(before),
                })
            }
            Command::SetGrade { node, grade } => {
                let before = scene.node(node)?.grade;
                if !grade_is_finite(&grade) || before == grade {
                    return None;
                }
                scene.set_grade(node, grade);
                Some(Command::SetGrade {
                    node,
                    grade: before,
                })
            }
            Command::SetRelight { node, relight } => {
                let before = scene.node(node)?.relight;
                if !relight.is_finite() || before == relight {
                    return None;
                }
                scene.set_relight(node, relight);
                Some(Command::SetRelight {
                    node,
                    relight: before,
                })
            }
            Command::ReplaceMesh { mesh, value } => {
                if value.0.positions.iter().flatten().any(|c| !c.is_finite()) {
                    return None;
                }
                let before = scene.replace_mesh(mesh, value.0)?;
                Some(Command::ReplaceMesh {
                    mesh,
                    value: MeshData(before),
                })
            }
            Command::Batch { label, commands } => {
                // Skins pose once, after the whole batch (`apply`), not after each part.
                let mut inverses: Vec<Command> = commands
                    .into_iter()
                    .filter_map(|c| c.apply_one(scene))
                    .collect();
                if inverses.is_empty() {
                    return None;
                }
                inverses.reverse();
                Some(Command::Batch {
                    label,
                    commands: inverses,
                })
            }
            Command::SetLocked { node, locked } => {
                let before = scene.node(node)?.locked;
                if before == locked {
                    return None;
                }
                scene.set_locked(node, locked);
                Some(Command::SetLocked {
                    node,
                    locked: before,
                })
            }
            Command::Reparent {
                node,
                parent,
                index,
                transform,
            } => {
                let before = scene.node(node)?.transform;
                let (old_parent, old_index) = scene.position_of(node)?;
                let transform = match transform {
                    Some(t) => t,
                    None => keep_in_world(scene, node, parent)?,
                };
                if !transform_is_finite(&transform) {
                    return None;
                }
                let siblings = match parent {
                    Some(p) => scene.node(p)?.children.len(),
                    None => scene.roots().len(),
                };
                // Where the node lands once it has left its old place.
                let left = usize::from(old_parent == parent);
                let landing = index.min(siblings - left);
                if old_parent == parent && old_index == landing && before == transform {
                    return None;
                }
                if !scene.reparent(node, parent, landing, transform) {
                    return None;
                }
                Some(Command::Reparent {
                    node,
                    parent: old_parent,
                    index: old_index,
                    transform: Some(before),
                })
            }
            Command::SetMorph { node, morph } => {
                let morph = morph.map(|m| std::sync::Arc::unwrap_or_clone(m.0));
                let before = scene.replace_morph(node, morph)?;
                Some(Command::SetMorph {
                    node,
                    morph: before.map(|m| MorphData(std::sync::Arc::new(m))),
                })
            }
            Command::MuteShape { node, index, muted } => {
                let before = scene.set_morph_muted(node, usize::from(index), muted)?;
                (before != muted).then_some(Command::MuteShape {
                    node,
                    index,
                    muted: before,
                })
            }
            Command::SetShapeRange { node, index, range } => {
                let before = scene.morph(node)?.range(usize::from(index));
                if before == range {
                    return None;
                }
                let before = scene.set_morph_range(node, usize::from(index), range)?;
                Some(Command::SetShapeRange {
                    node,
                    index,
                    range: before,
                })
            }
            Command::RenameShape { node, index, name } => {
                let name = name.trim();
                let before = scene.morph(node)?.names.get(usize::from(index))?;
                if name.is_empty() || name == before {
                    return None;
                }
                let before = scene.rename_morph_target(node, usize::from(index), name)?;
                Some(Command::RenameShape {
                    node,
                    index,
                    name: before,
                })
            }
            Command::Rename { node, name } => {
                let name = name.trim();
                let before = scene.node(node)?.name.clone();
                if name.is_empty() || name == before {
                    return None;
                }
                scene.set_name(node, name);
                Some(Command::Rename { node, name: before })
            }
        }
    }

    /// Bytes of geometry, image and cloud data the command carries (an approximation that
    /// counts the big arrays, for memory benchmarks).
    pub fn held_bytes(&self) -> usize {
        match self {
            Command::ReplaceMesh { value, .. } => value.0.byte_size(),
            Command::SetMorph {
                morph: Some(morph), ..
            } => {
                let m = &morph.0;
                m.base.byte_size()
                    + m.targets
                        .iter()
                        .map(|t| (t.positions.len() + t.normals.len() + t.tangents.len()) * 12)
                        .sum::<usize>()
            }
            Command::AddResources { resources } => {
                resources
                    .meshes
                    .iter()
                    .map(|(_, m)| m.byte_size())
                    .sum::<usize>()
                    + resources
                        .images
                        .iter()
                        .map(|(_, i)| i.rgba8.len())
                        .sum::<usize>()
                    + resources
                        .point_clouds
                        .iter()
                        .map(|(_, c)| c.len() * 28)
                        .sum::<usize>()
                    + resources
                        .splat_clouds
                        .iter()
                        .map(|(_, c)| c.byte_size())
                        .sum::<usize>()
            }
            Command::Batch { commands, .. } => commands.iter().map(Command::held_bytes).sum(),
            _ => 0,
        }
    }

    /// Which value the command changes: two commands with the same key, sent during one drag,
    /// fold into one undo step.
    fn target(&self) -> (u8, u64) {
        match self {
            Command::SetVisible { node, .. } => (0, node.0),
            Command::SetPointSize { node, .. } => (1, node.0),
            Command::SetTransform { node, .. } => (2, node.0),
            Command::SetMaterial { material, .. } => (3, material.0),
            Command::SetLight { node, .. } => (4, node.0),
            Command::Rename { node, .. } => (5, node.0),
            Command::RenameShape { node, index, .. } => {
                (15, node.0.wrapping_mul(65_536) + u64::from(*index))
            }
            // A range's end dragged in the inspector: one step per drag.
            Command::SetShapeRange { node, index, .. } => {
                (16, node.0.wrapping_mul(65_536) + u64::from(*index))
            }
            Command::SetEnvironment { .. } => (6, 0),
            Command::SetLocked { node, .. } => (7, node.0),
            Command::Reparent { node, .. } => (8, node.0),
            // Dragging a shape parameter rebuilds the mesh every frame: one step.
            Command::ReplaceMesh { mesh, .. } => (9, mesh.0),
            Command::SetGrade { node, .. } => (10, node.0),
            Command::SetRelight { node, .. } => (11, node.0),
            // A shape weight dragged in the inspector: one step per drag.
            Command::SetMorphWeights { node, .. } => (14, node.0),
            // A camera's field of view dragged in the inspector: one step per drag.
            Command::SetKind { node, kind } if matches!(**kind, NodeKind::Camera(_)) => {
                (13, node.0)
            }
            // Structural changes never merge with the next frame of a drag.
            Command::RemoveNodes { .. }
            | Command::SetMorph { .. }
            | Command::MuteShape { .. }
            | Command::InsertNodes { .. }
            | Command::SetKind { .. }
            | Command::AddResources { .. }
            | Command::RemoveResources { .. }
            | Command::SetVariants { .. } => (u8::MAX, crate::scene::stamp()),
            // A key drag or a scrubbed value sends the same label every frame.
            Command::SetTimeline { label, .. } => (12, label_key(label)),
            // A drag on an overridden value edits the variant's overrides every frame.
            Command::SetOverrides { variant, .. } => (11, variant.0),
            // A gizmo dragging several objects sets all their transforms each frame: one
            // step per node set. Other batches never merge.
            Command::Batch { commands, .. } => match transform_batch_key(commands) {
                Some(key) => (8, key),
                None => (u8::MAX, crate::scene::stamp()),
            },
        }
    }

    /// What the command does, for Edit ▸ Undo / Redo ("Hide Lake_Surface").
    pub fn label(&self, scene: &Scene) -> String {
        let name = |id: NodeId| {
            scene
                .node(id)
                .map_or("node", |n| n.name.as_str())
                .to_owned()
        };
        match self {
            Command::SetVisible {
                node,
                visible: true,
            } => format!("Show {}", name(*node)),
            Command::SetVisible {
                node,
                visible: false,
            } => format!("Hide {}", name(*node)),
            Command::SetPointSize { node, .. } => match scene.node(*node).map(|n| &n.kind) {
                Some(NodeKind::Lines { .. }) => format!("Line width of {}", name(*node)),
                _ => format!("Point size of {}", name(*node)),
            },
            Command::SetTransform { node, .. } => format!("Transform {}", name(*node)),
            Command::SetMorphWeights { node, .. } => format!("Shape weights of {}", name(*node)),
            Command::SetMaterial { material, .. } => format!(
                "Edit material {}",
                scene.material(*material).map_or("?", |m| m.name.as_str())
            ),
            Command::SetLight { node, .. } => format!("Edit light {}", name(*node)),
            Command::Rename { node, name: to } => format!("Rename {} to {to}", name(*node)),
            Command::SetMorph { node, morph: None } => {
                format!("Remove the shape keys of {}", name(*node))
            }
            Command::SetMorph { node, .. } => format!("Edit the shape keys of {}", name(*node)),
            Command::SetShapeRange { node, index, range } => {
                let shape = scene
                    .morph(*node)
                    .and_then(|m| m.names.get(usize::from(*index)))
                    .map_or("?", String::as_str);
                format!(
                    "Range of shape {shape} of {} to {}–{}",
                    name(*node),
                    range[0],
                    range[1]
                )
            }
            Command::MuteShape { node, index, muted } => {
                let shape = scene
                    .morph(*node)
                    .and_then(|m| m.names.get(usize::from(*index)))
                    .map_or("?", String::as_str);
                let verb = if *muted { "Mute" } else { "Unmute" };
                format!("{verb} shape {shape} of {}", name(*node))
            }
            Command::RenameShape {
                node,
                index,
                name: to,
            } => {
                let from = scene
                    .morph(*node)
                    .and_then(|m| m.names.get(usize::from(*index)))
                    .map_or("?", String::as_str);
                format!("Rename shape {from} of {} to {to}", name(*node))
            }
            Command::SetEnvironment { .. } => "Edit environment".to_owned(),
            Command::RemoveNodes { nodes } => match nodes.as_slice() {
                [one] => format!("Delete {}", name(*one)),
                many => format!("Delete {} objects", many.len()),
            },
            Command::InsertNodes { trees } => match trees.as_slice() {
                [one] => format!(
                    "Add {}",
                    one.nodes.first().map_or("node", |n| n.name.as_str())
                ),
                many => format!("Add {} objects", many.len()),
            },
            Command::SetKind { node, .. } => format!("Change {}", name(*node)),
            Command::AddResources { .. } => "Add resources".to_owned(),
            Command::RemoveResources { .. } => "Remove resources".to_owned(),
            Command::SetVariants { .. } => "Edit variants".to_owned(),
            Command::SetTimeline { label, .. } => label.clone(),
            Command::SetOverrides { variant, .. } => format!(
                "Edit variant {}",
                scene
                    .variants()
                    .get(*variant)
                    .map_or("?", |v| v.name.as_str())
            ),
            Command::ReplaceMesh { .. } => "Edit mesh".to_owned(),
            Command::SetGrade { node, .. } => format!("Colour of {}", name(*node)),
            Command::SetRelight { node, .. } => format!("Relighting of {}", name(*node)),
            Command::Batch { label, .. } => label.clone(),
            Command::SetLocked { node, locked: true } => format!("Lock {}", name(*node)),
            Command::SetLocked {
                node,
                locked: false,
            } => format!("Unlock {}", name(*node)),
            Command::Reparent {
                node, parent: None, ..
            } => format!("Move {} to the top level", name(*node)),
            Command::Reparent {
                node,
                parent: Some(parent),
                ..
            } => format!("Move {} into {}", name(*node), name(*parent)),
        }
    }
}

/// For a batch of only `SetTransform`s, a key for the set of nodes it moves (in any order).
fn transform_batch_key(commands: &[Command]) -> Option<u64> {
    let mut nodes = Vec::with_capacity(commands.len());
    for command in commands {
        let Command::SetTransform { node, .. } = command else {
            return None;
        };
        nodes.push(node.0);
    }
    if nodes.is_empty() {
        return None;
    }
    nodes.sort_unstable();
    nodes.dedup();
    Some(fnv1a(nodes.iter().flat_map(|id| id.to_le_bytes())))
}

/// A key for a timeline edit's label: drag frames with the same label merge.
fn label_key(label: &str) -> u64 {
    fnv1a(label.bytes())
}

/// FNV-1a: stable, and a collision only merges two drags' steps.
fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in bytes {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// A step of the history: what to run to go back (or forward), and its label.
#[derive(Clone, Debug)]
struct Step {
    label: String,
    command: Command,
}

/// Unlimited undo/redo of executed commands.
#[derive(Clone, Debug, Default)]
pub struct History {
    undo: Vec<Step>,
    redo: Vec<Step>,
    /// The value an unfinished drag is changing: its frames merge into the last undo step.
    gesture: Option<(u8, u64)>,
    /// The scene is as last saved when the undo list holds this many steps...
    saved_len: usize,
    /// ...unless the saved state can no longer come back (its step was dropped from the redo
    /// list by a new edit, or a merged drag frame changed the step it ended on).
    saved_lost: bool,
}

impl History {
    /// Applies `command` to `scene` and records its inverse; a new edit clears the redo list.
    /// Returns false if the command changed nothing (nothing is recorded).
    pub fn execute(&mut self, scene: &mut Scene, command: Command) -> bool {
        self.gesture = None;
        self.record(scene, command)
    }

    /// Like [`History::execute`], for one frame of a drag: while the same value is dragged
    /// (until [`History::end_gesture`]), the steps merge into one whose undo restores the value
    /// from before the drag.
    pub fn execute_merging(&mut self, scene: &mut Scene, command: Command) -> bool {
        let target = command.target();
        if self.gesture == Some(target) && !self.undo.is_empty() {
            // The last step already holds the value from before the drag; the new inverse
            // (the previous frame's value) is not needed...
            let inverse = command.apply(scene);
            // ...except for a batch's values the gesture had not changed yet (a node the
            // first frame of a multi-object drag left where it was): keep those from before
            // the drag too.
            if let (Some(Command::Batch { commands: new, .. }), Some(step)) =
                (&inverse, self.undo.last_mut())
                && let Command::Batch { commands: held, .. } = &mut step.command
            {
                for command in new {
                    if !held.iter().any(|h| h.target() == command.target()) {
                        held.push(command.clone());
                    }
                }
            }
            let changed = inverse.is_some();
            if changed {
                // The saved state, if it was this step's result or on the redo list, is gone.
                if self.saved_len >= self.undo.len() {
                    self.saved_lost = true;
                }
                self.redo.clear();
            }
            return changed;
        }
        let recorded = self.record(scene, command);
        if recorded {
            self.gesture = Some(target);
        }
        recorded
    }

    /// The pointer was released: the next drag starts a new undo step.
    pub fn end_gesture(&mut self) {
        self.gesture = None;
    }

    fn record(&mut self, scene: &mut Scene, command: Command) -> bool {
        let label = command.label(scene);
        match command.apply(scene) {
            Some(inverse) => {
                if self.saved_len > self.undo.len() {
                    // The saved state was on the redo list, which this edit clears.
                    self.saved_lost = true;
                }
                self.undo.push(Step {
                    label,
                    command: inverse,
                });
                self.redo.clear();
                true
            }
            None => false,
        }
    }

    /// Undoes the last step; false when there is none.
    pub fn undo(&mut self, scene: &mut Scene) -> bool {
        self.gesture = None;
        Self::step(scene, &mut self.undo, &mut self.redo, &mut self.saved_lost)
    }

    /// Redoes the last undone step; false when there is none.
    pub fn redo(&mut self, scene: &mut Scene) -> bool {
        self.gesture = None;
        Self::step(scene, &mut self.redo, &mut self.undo, &mut self.saved_lost)
    }

    fn step(
        scene: &mut Scene,
        from: &mut Vec<Step>,
        to: &mut Vec<Step>,
        saved_lost: &mut bool,
    ) -> bool {
        while let Some(step) = from.pop() {
            // A step whose target vanished (it cannot, while every change goes through
            // here) is dropped rather than blocking the rest of the history; the step
            // counts no longer say where the saved state is.
            let Some(inverse) = step.command.apply(scene) else {
                *saved_lost = true;
                continue;
            };
            to.push(Step {
                label: step.label,
                command: inverse,
            });
            return true;
        }
        false
    }

    /// Label of the step Undo would revert.
    pub fn undo_label(&self) -> Option<&str> {
        self.undo.last().map(|s| s.label.as_str())
    }

    /// Label of the step Redo would repeat.
    pub fn redo_label(&self) -> Option<&str> {
        self.redo.last().map(|s| s.label.as_str())
    }

    /// Forgets everything (a new world was opened, which counts as saved).
    pub fn clear(&mut self) {
        self.undo.clear();
        self.redo.clear();
        self.gesture = None;
        self.mark_saved();
    }

    /// The scene as it is now was saved (or is otherwise the state to compare with).
    pub fn mark_saved(&mut self) {
        self.saved_len = self.undo.len();
        self.saved_lost = false;
    }

    /// True when the scene differs from the state at the last [`History::mark_saved`]:
    /// undoing or redoing back to that state makes it clean again, but once a new edit
    /// replaced the redo steps leading there it stays dirty until the next save.
    pub fn is_dirty(&self) -> bool {
        self.saved_lost || self.undo.len() != self.saved_len
    }

    /// Labels of every step, oldest first, and how many of them are done (the rest can be
    /// redone): what Edit ▸ History lists.
    pub fn steps(&self) -> (Vec<&str>, usize) {
        let labels = self
            .undo
            .iter()
            .chain(self.redo.iter().rev())
            .map(|s| s.label.as_str())
            .collect();
        (labels, self.undo.len())
    }

    /// Bytes of shared data (meshes, images, clouds) the last undo step alone keeps alive:
    /// what the step costs in memory beyond the scene itself.
    pub fn last_step_bytes(&self) -> usize {
        self.undo.last().map_or(0, |s| s.command.held_bytes())
    }

    /// Number of steps Undo can revert.
    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{NodeKind, Transform, scene_hash};
    use proptest::prelude::*;

    fn scene_with(n: usize) -> (Scene, Vec<NodeId>) {
        let mut scene = Scene::new("t");
        let ids = (0..n)
            .map(|i| scene.add_node(None, &format!("N{i}"), Transform::IDENTITY, NodeKind::Empty))
            .collect();
        (scene, ids)
    }

    fn moves(ids: &[NodeId], x: f32) -> Command {
        Command::Batch {
            label: "Move".into(),
            commands: ids
                .iter()
                .map(|&node| Command::SetTransform {
                    node,
                    transform: Transform::from_translation(glam::Vec3::new(x, 0.0, 0.0)),
                })
                .collect(),
        }
    }

    #[test]
    fn batches_of_transforms_merge_per_node_set_and_others_never() {
        let (mut scene, ids) = scene_with(3);
        let mut history = History::default();
        // Three frames over nodes 0 and 1 (listed in either order): one step.
        assert!(history.execute_merging(&mut scene, moves(&ids[..2], 1.0)));
        assert!(history.execute_merging(&mut scene, moves(&[ids[1], ids[0]], 2.0)));
        assert!(history.execute_merging(&mut scene, moves(&ids[..2], 3.0)));
        assert_eq!(history.undo_len(), 1);
        // Another node set is another step, even within the same gesture.
        assert!(history.execute_merging(&mut scene, moves(&ids[1..], 4.0)));
        assert_eq!(history.undo_len(), 2);
        // A batch with anything but transforms never merges.
        let mixed = |visible| Command::Batch {
            label: "Mixed".into(),
            commands: vec![
                Command::SetVisible {
                    node: ids[0],
                    visible,
                },
                Command::SetTransform {
                    node: ids[0],
                    transform: Transform::from_translation(
                        glam::Vec3::Y * f32::from(u8::from(visible)),
                    ),
                },
            ],
        };
        assert!(history.execute_merging(&mut scene, mixed(false)));
        assert!(history.execute_merging(&mut scene, mixed(true)));
        assert_eq!(history.undo_len(), 4);
        while history.undo(&mut scene) {}
        for id in &ids {
            assert_eq!(scene.node(*id).unwrap().transform, Transform::IDENTITY);
            assert!(scene.node(*id).unwrap().visible);
        }
    }

    #[test]
    fn a_field_of_view_drag_is_one_step_and_other_kind_changes_never_merge() {
        let (mut scene, ids) = scene_with(2);
        let camera = |fov_y_rad| {
            Box::new(NodeKind::Camera(crate::scene::Camera {
                fov_y_rad,
                ..Default::default()
            }))
        };
        let mut history = History::default();
        for fov in [0.5, 0.6, 0.7] {
            assert!(history.execute_merging(
                &mut scene,
                Command::SetKind {
                    node: ids[0],
                    kind: camera(fov),
                }
            ));
        }
        assert_eq!(history.undo_len(), 1, "one drag, one step");
        assert_eq!(scene.node(ids[0]).unwrap().kind, *camera(0.7));
        // Other kinds stay structural: each change is its own step.
        let light = NodeKind::Light(Light {
            kind: crate::scene::LightKind::Point,
            color: [1.0; 3],
            intensity: 100.0,
            range: None,
            cast_shadows: false,
        });
        for kind in [light, NodeKind::Empty] {
            assert!(history.execute_merging(
                &mut scene,
                Command::SetKind {
                    node: ids[1],
                    kind: Box::new(kind),
                }
            ));
        }
        assert_eq!(history.undo_len(), 3);
        while history.undo(&mut scene) {}
        assert_eq!(scene.node(ids[0]).unwrap().kind, NodeKind::Empty);
    }

    #[test]
    fn a_merged_batch_keeps_values_its_first_frame_left_alone() {
        let (mut scene, ids) = scene_with(2);
        let mut history = History::default();
        let at = |x0: f32, x1: f32| Command::Batch {
            label: "Move 2 objects".into(),
            commands: vec![
                Command::SetTransform {
                    node: ids[0],
                    transform: Transform::from_translation(glam::Vec3::X * x0),
                },
                Command::SetTransform {
                    node: ids[1],
                    transform: Transform::from_translation(glam::Vec3::X * x1),
                },
            ],
        };
        // The first frame moves only node 0 (node 1 is already where it is asked to be).
        assert!(history.execute_merging(&mut scene, at(1.0, 0.0)));
        assert!(history.execute_merging(&mut scene, at(2.0, 5.0)));
        history.end_gesture();
        assert_eq!(history.undo_len(), 1);
        assert!(history.undo(&mut scene));
        for id in &ids {
            assert_eq!(scene.node(*id).unwrap().transform, Transform::IDENTITY);
        }
        assert!(history.redo(&mut scene));
        assert_eq!(
            scene.node(ids[1]).unwrap().transform.translation,
            glam::Vec3::X * 5.0
        );
    }

    #[test]
    fn hide_undo_redo() {
        let (mut scene, ids) = scene_with(2);
        let mut history = History::default();
        assert!(history.execute(
            &mut scene,
            Command::SetVisible {
                node: ids[0],
                visible: false
            }
        ));
        assert_eq!(history.undo_label(), Some("Hide N0"));
        assert!(!scene.node(ids[0]).unwrap().visible);
        // Hiding it again changes nothing and records nothing.
        assert!(!history.execute(
            &mut scene,
            Command::SetVisible {
                node: ids[0],
                visible: false
            }
        ));
        assert_eq!(history.undo_len(), 1);
        assert!(history.undo(&mut scene));
        assert!(scene.node(ids[0]).unwrap().visible);
        assert_eq!(history.redo_label(), Some("Hide N0"));
        assert!(history.redo(&mut scene));
        assert!(!scene.node(ids[0]).unwrap().visible);
        assert!(!history.redo(&mut scene));
    }

    /// A scene with one point-cloud node, for point-size edits.
    fn scene_with_points() -> (Scene, NodeId) {
        let mut scene = Scene::new("t");
        let cloud = scene.add_point_cloud(crate::scene::PointCloud::new(
            vec![[0.0; 3]; 4],
            Vec::new(),
            Vec::new(),
        ));
        let id = scene.add_node(
            None,
            "Points",
            Transform::IDENTITY,
            NodeKind::Points {
                cloud,
                point_size_px: crate::scene::DEFAULT_POINT_SIZE_PX,
            },
        );
        (scene, id)
    }

    fn point_size(scene: &Scene, id: NodeId) -> f32 {
        match scene.node(id).map(|n| &n.kind) {
            Some(NodeKind::Points { point_size_px, .. }) => *point_size_px,
            _ => f32::NAN,
        }
    }

    #[test]
    fn a_slider_drag_is_one_undo_step() {
        let (mut scene, id) = scene_with_points();
        let mut history = History::default();
        for px in [2.5, 3.0, 4.0, 6.0] {
            assert!(history.execute_merging(
                &mut scene,
                Command::SetPointSize {
                    node: id,
                    size_px: px
                }
            ));
        }
        history.end_gesture();
        assert_eq!(point_size(&scene, id), 6.0);
        assert_eq!(history.undo_len(), 1);
        assert_eq!(history.undo_label(), Some("Point size of Points"));
        // A second drag is a second step.
        history.execute_merging(
            &mut scene,
            Command::SetPointSize {
                node: id,
                size_px: 8.0,
            },
        );
        history.end_gesture();
        assert_eq!(history.undo_len(), 2);
        assert!(history.undo(&mut scene));
        assert_eq!(point_size(&scene, id), 6.0);
        assert!(history.undo(&mut scene));
        assert_eq!(
            point_size(&scene, id),
            2.0,
            "undo restores the value from before the drag"
        );
        assert!(history.redo(&mut scene));
        assert_eq!(point_size(&scene, id), 6.0);
    }

    #[test]
    fn bad_point_sizes_change_nothing() {
        let (mut scene, id) = scene_with_points();
        let mut history = History::default();
        assert!(history.execute(
            &mut scene,
            Command::SetPointSize {
                node: id,
                size_px: 64.0
            }
        ));
        assert_eq!(point_size(&scene, id), 64.0);
        assert!(!history.execute(
            &mut scene,
            Command::SetPointSize {
                node: id,
                size_px: -1.0
            }
        ));
        assert!(!history.execute(
            &mut scene,
            Command::SetPointSize {
                node: id,
                size_px: f32::NAN
            }
        ));
        let (mut other, ids) = scene_with(1);
        assert!(
            !history.execute(
                &mut other,
                Command::SetPointSize {
                    node: ids[0],
                    size_px: 3.0
                }
            ),
            "not a point cloud"
        );
        assert_eq!(history.undo_len(), 1);
    }

    #[test]
    fn the_renderer_sees_a_point_size_edit() {
        let (mut scene, id) = scene_with_points();
        let before = scene.revision();
        Command::SetPointSize {
            node: id,
            size_px: 5.0,
        }
        .apply(&mut scene);
        assert_ne!(scene.revision().transforms, before.transforms);
    }

    /// A small scene with every kind of node the commands touch: 6 empties, a point cloud,
    /// a mesh with its material and a spot light.
    fn mixed_scene() -> (Scene, Vec<NodeId>, MaterialId) {
        let (mut scene, mut ids) = scene_with(6);
        let (points, _) = scene_with_points();
        ids.extend(scene.merge(points, None));
        let mesh = scene.add_mesh(crate::scene::Mesh::new(
            vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            Vec::new(),
            Vec::new(),
            Vec::new(),
            vec![0, 1, 2],
        ));
        let material = scene.add_material(Material::named("Paint", [0.5, 0.5, 0.5, 1.0], 0.5));
        ids.push(scene.add_node(
            None,
            "Tri",
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        ));
        ids.push(scene.add_node(
            None,
            "Spot",
            Transform::IDENTITY,
            NodeKind::Light(Light {
                kind: crate::scene::LightKind::Spot {
                    inner_cone_rad: 0.2,
                    outer_cone_rad: 0.5,
                },
                color: [1.0; 3],
                intensity: 100.0,
                range: None,
                cast_shadows: true,
            }),
        ));
        (scene, ids, material)
    }

    #[test]
    fn reparent_keeps_the_world_pose_refuses_cycles_and_undoes_exactly() {
        let (mut scene, ids) = scene_with(3);
        let (a, b, c) = (ids[0], ids[1], ids[2]);
        let turned = Transform::from_translation(glam::Vec3::new(5.0, 0.0, 0.0))
            .with_rotation(glam::Quat::from_rotation_y(0.7))
            .with_scale(glam::Vec3::splat(2.0));
        scene.set_transform(a, turned);
        let b_pose = Transform::from_translation(glam::Vec3::new(1.0, 2.0, 3.0))
            .with_rotation(glam::Quat::from_rotation_x(0.3));
        scene.set_transform(b, b_pose);
        let world_before = scene.world_from_local(b);
        let original = scene_hash(&scene);
        let mut history = History::default();
        assert!(history.execute(
            &mut scene,
            Command::Reparent {
                node: b,
                parent: Some(a),
                index: 0,
                transform: None,
            }
        ));
        assert_eq!(history.undo_label(), Some("Move N1 into N0"));
        assert_eq!(scene.node(a).unwrap().children, vec![b]);
        assert_eq!(scene.node(b).unwrap().parent, Some(a));
        assert_eq!(scene.roots(), &[a, c]);
        let world_after = scene.world_from_local(b);
        assert!(
            world_after.abs_diff_eq(world_before, 1e-4),
            "{world_after} vs {world_before}"
        );
        // Under itself or its own child: refused, nothing recorded.
        for parent in [b, a] {
            assert!(!history.execute(
                &mut scene,
                Command::Reparent {
                    node: a,
                    parent: Some(parent),
                    index: 0,
                    transform: None,
                }
            ));
        }
        assert_eq!(history.undo_len(), 1);
        // Back to the top level, last.
        assert!(history.execute(
            &mut scene,
            Command::Reparent {
                node: b,
                parent: None,
                index: 99,
                transform: None,
            }
        ));
        assert_eq!(scene.roots(), &[a, c, b]);
        assert!(scene.world_from_local(b).abs_diff_eq(world_before, 1e-4));
        while history.undo(&mut scene) {}
        assert_eq!(scene_hash(&scene), original);
        assert_eq!(scene.roots(), &[a, b, c]);
        assert_eq!(scene.node(b).unwrap().transform, b_pose);
    }

    #[test]
    fn lock_and_unlock_are_undoable() {
        let (mut scene, ids) = scene_with(1);
        let mut history = History::default();
        assert!(history.execute(
            &mut scene,
            Command::SetLocked {
                node: ids[0],
                locked: true
            }
        ));
        assert!(scene.node(ids[0]).unwrap().locked);
        assert_eq!(history.undo_label(), Some("Lock N0"));
        assert!(history.undo(&mut scene));
        assert!(!scene.node(ids[0]).unwrap().locked);
    }

    /// One random command against [`mixed_scene`]; `i` picks the kind and target.
    fn command_for(i: usize, x: f32, flag: bool, ids: &[NodeId], material: MaterialId) -> Command {
        let node = ids[i % ids.len()];
        match i % 8 {
            6 => Command::SetLocked { node, locked: flag },
            7 => Command::Reparent {
                node,
                // Every ninth pick goes to the top level; the rest under another node, which
                // may be a descendant (refused) or the node itself (refused).
                parent: (!(i / 8).is_multiple_of(10)).then(|| ids[(i / 8 + 3) % ids.len()]),
                index: (x as usize) % 4,
                transform: None,
            },
            0 => Command::SetVisible {
                node,
                visible: flag,
            },
            1 => Command::SetPointSize {
                node: ids[6],
                size_px: x,
            },
            2 => Command::SetTransform {
                node,
                transform: Transform::from_translation(glam::Vec3::new(x, -x, 1.0))
                    .with_rotation(glam::Quat::from_rotation_y(x))
                    .with_scale(glam::Vec3::splat(1.0 + x)),
            },
            3 => {
                let mut value = Material::named("Paint", [x / 80.0, 0.2, 0.3, 1.0], 0.5);
                value.double_sided = flag;
                Command::SetMaterial {
                    material,
                    value: Box::new(value),
                }
            }
            4 => Command::SetLight {
                node: ids[8],
                light: Light {
                    kind: crate::scene::LightKind::Spot {
                        inner_cone_rad: 0.1,
                        outer_cone_rad: 0.2 + x / 100.0,
                    },
                    color: [1.0, x / 80.0, 0.5],
                    intensity: x * 10.0,
                    range: flag.then_some(x + 1.0),
                    cast_shadows: flag,
                },
            },
            5 if flag => {
                let mut value = crate::scene::Environment {
                    exposure_ev100: 10.0 + x / 10.0,
                    ..Default::default()
                };
                value.sky.turbidity = 2.0 + x / 20.0;
                Command::SetEnvironment {
                    value: Box::new(value),
                }
            }
            5 if x < 40.0 => Command::SetRelight {
                node,
                relight: crate::scene::Relight {
                    amount: x / 40.0,
                    captured: crate::scene::CapturedLight {
                        ambient: 0.2 + x / 100.0,
                        directional: [0.1, 0.8 - x / 100.0, 0.0],
                    },
                },
            },
            _ if flag => Command::SetGrade {
                node,
                grade: crate::scene::ColorGrade {
                    tint: [1.0, x / 80.0, 0.5],
                    brightness: 1.0 + x / 40.0,
                    saturation: x / 40.0,
                },
            },
            _ => Command::Rename {
                node,
                name: format!("Node {}", x.round()),
            },
        }
    }

    /// A scene hash that ignores the id counter: ids reserved by an operation are never
    /// handed out again, even after undo, and that is not a difference in content.
    fn content_hash(scene: &Scene) -> u64 {
        let mut value = serde_json::to_value(scene).expect("scene serializes");
        if let Some(map) = value.as_object_mut() {
            map.remove("next_id");
        }
        let text = value.to_string();
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// Adds a splat cloud and a two-part mesh to [`mixed_scene`], for structural operations.
    fn structural_scene() -> (Scene, Vec<NodeId>, MaterialId) {
        let (mut scene, mut ids, material) = mixed_scene();
        let n = 64;
        let cloud = crate::scene::SplatCloud::new(
            (0..n).map(|i| [i as f32 * 0.1, 0.0, 0.0]).collect(),
            vec![[0.0, 0.0, 0.0, 1.0]; n],
            vec![[0.05; 3]; n],
            vec![0.8; n],
            vec![[0.5; 3]; n],
            0,
            Vec::new(),
        )
        .expect("valid cloud");
        let cloud = scene.add_splat_cloud(cloud);
        ids.push(scene.add_node(
            Some(ids[0]),
            "Splats",
            Transform::from_translation(glam::Vec3::Y),
            NodeKind::Splats { cloud },
        ));
        let a = crate::generate::shapes::cube(1.0);
        let b = mesh_ops::transformed(&a, glam::Mat4::from_translation(glam::Vec3::X * 3.0));
        let two = mesh_ops::merge(&[(&a, glam::Mat4::IDENTITY), (&b, glam::Mat4::IDENTITY)]);
        let mesh = scene.add_mesh(two);
        ids.push(scene.add_node(
            Some(ids[1]),
            "TwoCubes",
            Transform::from_translation(glam::Vec3::Z).with_scale(glam::Vec3::splat(2.0)),
            NodeKind::Mesh { mesh, material },
        ));
        (scene, ids, material)
    }

    /// One random structural operation on the current scene (ids picked by `i` and `j`).
    fn structural_op(scene: &mut Scene, i: usize, j: usize, x: f32) -> Option<Command> {
        let nodes: Vec<NodeId> = scene.walk().iter().map(|w| w.node.id).collect();
        if nodes.is_empty() {
            return None;
        }
        let a = nodes[i % nodes.len()];
        let b = nodes[j % nodes.len()];
        match i % 10 {
            0 => ops::duplicate(scene, &[a, b]).ok().map(|r| r.0),
            1 => ops::delete(scene, &[a]).ok(),
            2 => ops::group(scene, &[a, b]).ok().map(|r| r.0),
            3 => Some(
                ops::add_primitive(
                    scene,
                    crate::scene::Primitive::ALL[j % 6],
                    Some(b),
                    Transform::from_translation(glam::Vec3::splat(x)),
                )
                .0,
            ),
            4 => ops::split_parts(scene, a).ok().map(|r| r.0),
            5 => ops::merge_meshes(scene, &[a, b]).ok().map(|r| r.0),
            6 => ops::reshade(
                scene,
                &[a],
                [
                    ops::Reshade::FlipNormals,
                    ops::Reshade::SmoothNormals,
                    ops::Reshade::FlatNormals,
                ][j % 3],
            )
            .ok(),
            7 => ops::apply_transform(scene, &[a, b]).ok(),
            8 => {
                let (other, _, _) = mixed_scene();
                Some(ops::import(scene, other, Some(a).filter(|_| x > 40.0)).0)
            }
            _ => {
                let region = ops::Region::Sphere {
                    center: glam::Vec3::X * (x / 20.0),
                    radius: 1.0,
                };
                let action = [
                    ops::RegionAction::Delete,
                    ops::RegionAction::Crop,
                    ops::RegionAction::Separate,
                ][j % 3];
                ops::splat_region(scene, a, region, action)
                    .ok()
                    .map(|r| r.0)
            }
        }
    }

    proptest! {
        /// Random structural operations mixed with value edits: undoing everything gives back
        /// the original scene (nodes, hierarchy order, resources), redoing gives back the
        /// edited one, and the scene stays consistent on the way.
        #[test]
        fn structural_operations_undo_and_redo_exactly(
            ops in prop::collection::vec((0usize..200, 0usize..200, 0.0f32..80.0, any::<bool>()), 0..24)
        ) {
            let (mut scene, _, material) = structural_scene();
            let original = content_hash(&scene);
            let mut history = History::default();
            for (i, j, x, value_edit) in ops {
                let command = if value_edit {
                    let ids: Vec<NodeId> = scene.walk().iter().map(|w| w.node.id).collect();
                    if ids.len() < 9 {
                        continue;
                    }
                    command_for(i, x, j % 2 == 0, &ids, material)
                } else {
                    match structural_op(&mut scene, i, j, x) {
                        Some(c) => c,
                        None => continue,
                    }
                };
                history.execute(&mut scene, command);
                // Every node is reachable exactly once from the roots.
                prop_assert_eq!(scene.walk().len(), scene.node_count());
            }
            let edited = content_hash(&scene);
            while history.undo(&mut scene) {}
            prop_assert_eq!(content_hash(&scene), original);
            while history.redo(&mut scene) {}
            prop_assert_eq!(content_hash(&scene), edited);
        }
    }

    proptest! {
        /// Any sequence of commands (discrete or drag frames), fully undone, gives back the
        /// original scene; redoing all gives back the edited one.
        #[test]
        fn undo_all_restores_and_redo_all_replays(
            ops in prop::collection::vec((0usize..720, any::<bool>(), 0.0f32..80.0, any::<bool>(), any::<bool>()), 0..40)
        ) {
            let (mut scene, ids, material) = mixed_scene();
            prop_assert_eq!(ids.len(), 9);
            let original = scene_hash(&scene);
            let mut history = History::default();
            for (i, flag, x, drag, release) in ops {
                let command = command_for(i, x, flag, &ids, material);
                if drag {
                    history.execute_merging(&mut scene, command);
                } else {
                    history.execute(&mut scene, command);
                }
                if release {
                    history.end_gesture();
                }
            }
            let edited = scene_hash(&scene);
            while history.undo(&mut scene) {}
            prop_assert_eq!(scene_hash(&scene), original);
            while history.redo(&mut scene) {}
            prop_assert_eq!(scene_hash(&scene), edited);
        }

        /// The saved-point marker never calls a scene clean that differs from the saved one,
        /// whatever mix of edits, drag frames, undo, redo and saves came before.
        #[test]
        fn clean_means_as_saved(
            ops in prop::collection::vec((0usize..54, any::<bool>(), 0.0f32..80.0, 0u8..6), 0..60)
        ) {
            let (mut scene, ids, material) = mixed_scene();
            let mut history = History::default();
            let mut saved = scene_hash(&scene);
            prop_assert!(!history.is_dirty());
            for (i, flag, x, op) in ops {
                match op {
                    0 => { history.execute(&mut scene, command_for(i, x, flag, &ids, material)); }
                    1 => { history.execute_merging(&mut scene, command_for(i, x, flag, &ids, material)); }
                    2 => { history.undo(&mut scene); }
                    3 => { history.redo(&mut scene); }
                    4 => history.end_gesture(),
                    _ => {
                        history.mark_saved();
                        saved = scene_hash(&scene);
                    }
                }
                if !history.is_dirty() {
                    prop_assert_eq!(scene_hash(&scene), saved);
                }
            }
        }
    }

    #[test]
    fn the_saved_point_survives_undo_and_redo_but_not_a_new_branch() {
        let (mut scene, ids) = scene_with(3);
        let hide = |i: usize| Command::SetVisible {
            node: ids[i],
            visible: false,
        };
        let mut history = History::default();
        assert!(!history.is_dirty(), "a new history is clean");
        history.execute(&mut scene, hide(0));
        assert!(history.is_dirty());
        history.mark_saved();
        assert!(!history.is_dirty());
        // Undo past the save point and back: clean again.
        history.undo(&mut scene);
        assert!(history.is_dirty());
        history.redo(&mut scene);
        assert!(!history.is_dirty());
        // A further edit, undone: clean.
        history.execute(&mut scene, hide(1));
        assert!(history.is_dirty());
        history.undo(&mut scene);
        assert!(!history.is_dirty());
        // Undo past the save point, then a different edit: the saved state is gone for
        // good, even at the same number of steps.
        history.undo(&mut scene);
        history.execute(&mut scene, hide(2));
        assert_eq!(history.undo_len(), 1);
        assert!(history.is_dirty());
        history.undo(&mut scene);
        assert!(history.is_dirty());
        history.mark_saved();
        assert!(!history.is_dirty());
        // Clearing (a new world) is clean.
        history.execute(&mut scene, hide(0));
        history.clear();
        assert!(!history.is_dirty());
    }

    #[test]
    fn a_drag_continued_after_saving_makes_the_scene_dirty() {
        let (mut scene, id) = scene_with_points();
        let size = |size_px| Command::SetPointSize { node: id, size_px };
        let mut history = History::default();
        history.execute_merging(&mut scene, size(4.0));
        history.mark_saved();
        assert!(!history.is_dirty());
        history.execute_merging(&mut scene, size(5.0));
        assert_eq!(history.undo_len(), 1, "merged into the drag's step");
        assert!(history.is_dirty());
    }
}
