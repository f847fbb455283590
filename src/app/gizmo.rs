//! The viewport's transform gizmo: turns drags on its handles into `SetTransform` commands
//! for the selected nodes.
//!
//! `transform_gizmo` (the renderer-agnostic core of transform-gizmo) does the picking and the
//! drag geometry and hands back triangles to paint. It is given ONE target, the gizmo's frame:
//! the pivot (the centre of the selected objects or the active one's origin) with the active
//! node's world rotation (Local) or none (World). What the drag did to that frame, as a
//! world-space matrix `world_delta = frame_now * frame_at_start⁻¹`, is applied to every
//! selected topmost node's world matrix at the start of the drag and brought back into its
//! parent's space, so several objects move, turn and scale together about the pivot. Every
//! frame of a drag is computed from the values at its start (no drift) and sent as one
//! `UiAction::EditDrag`, which the history folds into one undo step.
//!
//! A drag that starts on a handle must not orbit the camera: while the pointer is over a
//! handle, an invisible drag-sensing widget is laid over the viewport image at the pointer,
//! so egui hands the press to the gizmo and the image (and with it the camera controls) never
//! sees the drag.

use crate::edit::Command;
use crate::edit::ops::Operation;
use crate::scene::{CameraView, ElementMask, NodeId, Scene, Transform};
use crate::ui::{self, CloudRef, GizmoMode, GizmoSettings, GizmoSpace, PivotMode, UiAction};
use egui::{Key, Modifiers, PointerButton, Rect, Sense};
use glam::{DMat4, DQuat, DVec3, Mat4, Vec3};
use std::sync::Arc;
use transform_gizmo::math::Transform as GizmoTransform;
use transform_gizmo::{Gizmo, GizmoConfig, GizmoInteraction, GizmoOrientation, GizmoVisuals};

/// Side of the invisible square laid under the pointer while it is over a handle, in points.
/// egui hit-tests a press against the previous frame's widgets, so the square must still be
/// under the pointer after a frame's worth of motion.
const GRAB_SIZE: f32 = 32.0;

/// A node as it was when the drag started.
#[derive(Clone, Copy, Debug)]
struct NodeStart {
    id: NodeId,
    local: Transform,
    world_from_parent: DMat4,
    world_from_local: DMat4,
}

/// One drag of a gizmo handle.
#[derive(Clone, Debug)]
struct Drag {
    mode: GizmoMode,
    nodes: Vec<NodeStart>,
    frame_at_start: DMat4,
    /// The gizmo frame as the drag has moved it so far (fed back to `transform_gizmo`, which
    /// adds each frame's change to it).
    frame: GizmoTransform,
}

/// One drag of the gizmo over the splats or points selected on screen.
#[derive(Clone, Debug)]
struct ElementDrag {
    node: NodeId,
    selected: Arc<ElementMask>,
    world_from_local: DMat4,
    frame_at_start: DMat4,
    frame: GizmoTransform,
    /// What the drag does so far, in the node's frame.
    moved: Mat4,
}

/// The gizmo's settings and its state across frames.
#[derive(Clone, Debug, Default)]
pub(crate) struct GizmoTool {
    pub settings: GizmoSettings,
    gizmo: Gizmo,
    drag: Option<Drag>,
    element_drag: Option<ElementDrag>,
    /// The centre of the selected elements in their node's frame, for the cloud content id
    /// and selection key it was computed for.
    element_centre: Option<((u64, u64), Vec3)>,
}

impl GizmoTool {
    /// Q/W/E/R pick the mode, T toggles world/local axes. Call only when the keyboard is free
    /// (no text field, no dialog, not flying: fly mode uses W/E/Q).
    pub fn shortcuts(&mut self, ctx: &egui::Context, keyboard_free: bool) {
        if !keyboard_free {
            return;
        }
        ctx.input_mut(|i| {
            for (mode, _, key) in GizmoMode::ALL {
                if i.consume_key(Modifiers::NONE, key) {
                    self.settings.mode = mode;
                }
            }
            if i.consume_key(Modifiers::NONE, Key::T) {
                self.settings.space = match self.settings.space {
                    GizmoSpace::World => GizmoSpace::Local,
                    GizmoSpace::Local => GizmoSpace::World,
                };
            }
        });
    }

    /// Shows the gizmo for the selection over the viewport `image` (whose rect the camera
    /// renders into) and the toolbar, and returns this frame of a drag as an edit. Call it after
    /// the camera controls took this frame's input, so the gizmo is drawn with the camera the
    /// image is rendered with.
    pub fn viewport_ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &egui::Response,
        scene: &Scene,
        selection: &[NodeId],
        camera: &CameraView,
        flying: bool,
    ) -> Option<UiAction> {
        let action = self.gizmo_ui(ui, image, scene, selection, camera, flying);
        self.toolbar_ui(ui, image.rect);
        action
    }

    fn gizmo_ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &egui::Response,
        scene: &Scene,
        selection: &[NodeId],
        camera: &CameraView,
        flying: bool,
    ) -> Option<UiAction> {
        self.element_drag = None;
        let targets = scene.topmost(selection);
        let active = selection.last().copied();
        let frame = match &self.drag {
            Some(drag) => Some(drag.frame),
            None => gizmo_frame(scene, &targets, active, self.settings),
        };
        // Esc (select none) or a delete during a drag ends it.
        let Some(frame) = frame.filter(|_| !targets.is_empty()) else {
            self.drag = None;
            return None;
        };
        match self.handles_ui(ui, image, camera, flying, frame) {
            Some(moved) => {
                let drag = self.drag.get_or_insert_with(|| Drag {
                    mode: self.settings.mode,
                    nodes: node_starts(scene, &targets),
                    frame_at_start: frame_matrix(&frame),
                    frame,
                });
                drag.frame = moved;
                let world_delta = frame_matrix(&drag.frame) * drag.frame_at_start.inverse();
                let moves = moved_transforms(&drag.nodes, world_delta, drag.mode);
                drag_command(&moves, drag.mode).map(UiAction::EditDrag)
            }
            None => {
                self.drag = None;
                None
            }
        }
    }

    /// The gizmo over the splats or points selected on screen in `node`'s `cloud` (while the
    /// cloud selection tool is on), with the toolbar: at the centre of the selected centres,
    /// turned like the node in Local space. A drag only shows them moved (see
    /// [`Self::element_moved`]); its release returns the one edit that moves them.
    #[allow(clippy::too_many_arguments)] // The viewport's parts, each read once per frame.
    pub fn elements_viewport_ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &egui::Response,
        scene: &Scene,
        (node, cloud): (NodeId, CloudRef<'_>),
        selected: Option<(&Arc<ElementMask>, u64)>,
        camera: &CameraView,
        flying: bool,
    ) -> Option<UiAction> {
        let action = self.elements_ui(ui, image, scene, (node, cloud), selected, camera, flying);
        self.toolbar_ui(ui, image.rect);
        action
    }

    /// The gizmo toolbar over the `viewport`.
    fn toolbar_ui(&mut self, ui: &mut egui::Ui, viewport: Rect) {
        let before = self.settings;
        ui::gizmo_toolbar_ui(ui, viewport, &mut self.settings);
        if self.settings != before {
            // The gizmo was drawn with the old settings.
            ui.ctx().request_repaint();
        }
    }

    #[allow(clippy::too_many_arguments)] // As elements_viewport_ui.
    fn elements_ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &egui::Response,
        scene: &Scene,
        (node, cloud): (NodeId, CloudRef<'_>),
        selected: Option<(&Arc<ElementMask>, u64)>,
        camera: &CameraView,
        flying: bool,
    ) -> Option<UiAction> {
        self.drag = None;
        let world_from_local = scene.world_from_local(node).as_dmat4();
        // A drag goes on with the selection it started with; a new selection or node ends it.
        if self.element_drag.as_ref().is_some_and(|d| {
            d.node != node || selected.is_none_or(|(m, _)| !Arc::ptr_eq(m, &d.selected))
        }) {
            self.element_drag = None;
        }
        let frame = match (&self.element_drag, selected) {
            (Some(drag), _) => Some(drag.frame),
            (None, Some((mask, key))) => {
                let cache = (cloud.content_id(), key);
                let centre = match self.element_centre {
                    Some((k, c)) if k == cache => Some(c),
                    _ => selected_centre(cloud.positions(), mask),
                };
                if let Some(c) = centre {
                    self.element_centre = Some((cache, c));
                }
                centre.map(|c| {
                    let position = world_from_local.transform_point3(c.as_dvec3());
                    let rotation = frame_rotation(scene, Some(node), self.settings.space);
                    GizmoTransform::from_scale_rotation_translation(DVec3::ONE, rotation, position)
                })
            }
            (None, None) => None,
        };
        let Some(frame) = frame else {
            self.element_drag = None;
            return None;
        };
        match self.handles_ui(ui, image, camera, flying, frame) {
            Some(moved) => {
                let (mask, _) = selected?;
                let drag = self.element_drag.get_or_insert_with(|| ElementDrag {
                    node,
                    selected: Arc::clone(mask),
                    world_from_local,
                    frame_at_start: frame_matrix(&frame),
                    frame,
                    moved: Mat4::IDENTITY,
                });
                drag.frame = moved;
                let world_delta = frame_matrix(&drag.frame) * drag.frame_at_start.inverse();
                let local = drag.world_from_local.inverse() * world_delta * drag.world_from_local;
                let local = local.as_mat4();
                if local.is_finite() {
                    drag.moved = local;
                }
                None
            }
            None => {
                let drag = self.element_drag.take()?;
                (!drag.moved.abs_diff_eq(Mat4::IDENTITY, 1e-7)).then_some({
                    UiAction::Operation(Operation::MoveCloudSelected {
                        node: drag.node,
                        selected: drag.selected,
                        moved: drag.moved,
                    })
                })
            }
        }
    }

    /// Where a drag of the gizmo shows `node`'s selected splats or points, in the node's
    /// frame, while one is under way.
    pub fn element_moved(&self, node: NodeId) -> Option<Mat4> {
        self.element_drag
            .as_ref()
            .filter(|d| d.node == node)
            .map(|d| d.moved)
    }

    /// One frame of the gizmo with `frame` as its target: the handles drawn and, while one
    /// is dragged, the frame as the drag has moved it (None otherwise: no drag, the
    /// Select mode, or an empty viewport).
    fn handles_ui(
        &mut self,
        ui: &mut egui::Ui,
        image: &egui::Response,
        camera: &CameraView,
        flying: bool,
        frame: GizmoTransform,
    ) -> Option<GizmoTransform> {
        let viewport = image.rect;
        if self.settings.mode == GizmoMode::Select
            || viewport.width() < 1.0
            || viewport.height() < 1.0
        {
            return None;
        }
        let (pointer, ctrl) = ui.input(|i| (i.pointer.latest_pos(), i.modifiers.command));
        let snapping = self.settings.snap != ctrl;
        let config = gizmo_config(
            self.settings,
            viewport,
            camera,
            ui.ctx().pixels_per_point(),
            snapping,
        );
        self.gizmo.update_config(config);

        // The handle widget: over the whole viewport while dragging, under the pointer while
        // it is over a handle, absent otherwise.
        let id = egui::Id::unique("transform_gizmo_handle");
        let pointer_in_viewport = pointer.filter(|p| viewport.contains(*p) && !flying);
        let grab = if ui.ctx().is_being_dragged(id) {
            Some(viewport)
        } else {
            pointer_in_viewport
                .filter(|p| self.gizmo.pick_preview((p.x, p.y)))
                .map(|p| {
                    Rect::from_center_size(p, egui::Vec2::splat(GRAB_SIZE)).intersect(viewport)
                })
        };
        let handle = grab.map(|rect| ui.interact(rect, id, Sense::drag()));
        let (handle_hovered, drag_started, dragging) =
            handle.as_ref().map_or((false, false, false), |r| {
                (
                    r.hovered() || r.dragged(),
                    r.drag_started_by(PointerButton::Primary),
                    // The release frame may still carry motion: apply it too.
                    r.dragged_by(PointerButton::Primary) || r.drag_stopped(),
                )
            });
        let cursor = pointer.unwrap_or_default();
        let interaction = GizmoInteraction {
            cursor_pos: (cursor.x, cursor.y),
            hovered: pointer_in_viewport.is_some() && (image.hovered() || handle_hovered),
            drag_started,
            dragging,
        };

        let result = self
            .gizmo
            .update(interaction, &[frame])
            .map(|(_, frames)| frames.first().copied().unwrap_or(frame));
        ui::paint_gizmo(ui, viewport, self.gizmo.draw());
        result
    }
}

/// The mean of the centres `selected` holds (finite ones), if any.
fn selected_centre(positions: &[[f32; 3]], selected: &ElementMask) -> Option<Vec3> {
    if selected.len() != positions.len() {
        return None;
    }
    let (sum, count) = positions
        .iter()
        .enumerate()
        .filter(|(i, p)| selected.get(*i) && p.iter().all(|v| v.is_finite()))
        .fold((DVec3::ZERO, 0u64), |(sum, n), (_, p)| {
            (sum + Vec3::from(*p).as_dvec3(), n + 1)
        });
    (count > 0).then(|| (sum / count as f64).as_vec3())
}

/// `transform_gizmo`'s settings for this frame: our camera's matrices (it reads the
/// projection's handedness and works with reverse-Z infinite projections, as Bevy's), the
/// handles of `settings.mode`, snapping steps and the viewport's axis colours.
fn gizmo_config(
    settings: GizmoSettings,
    viewport: Rect,
    camera: &CameraView,
    pixels_per_point: f32,
    snapping: bool,
) -> GizmoConfig {
    use transform_gizmo::GizmoMode as Handles;
    let view = *camera;
    let aspect = viewport.width() / viewport.height().max(1.0);
    let modes = match settings.mode {
        GizmoMode::Select => transform_gizmo::EnumSet::empty(),
        GizmoMode::Translate => Handles::all_translate(),
        GizmoMode::Rotate => Handles::all_rotate(),
        GizmoMode::Scale => Handles::all_scale(),
    };
    let color = |[r, g, b]: [u8; 3]| transform_gizmo::Color32::from_rgb(r, g, b);
    GizmoConfig {
        view_matrix: view.view_from_world().as_dmat4().into(),
        projection_matrix: gizmo_projection(&view, aspect).as_dmat4().into(),
        viewport: transform_gizmo::math::Rect::from_min_max(
            transform_gizmo::math::Pos2::new(viewport.min.x, viewport.min.y),
            transform_gizmo::math::Pos2::new(viewport.max.x, viewport.max.y),
        ),
        modes,
        mode_override: None,
        orientation: match settings.space {
            GizmoSpace::World => GizmoOrientation::Global,
            GizmoSpace::Local => GizmoOrientation::Local,
        },
        // We hand over one target (the frame) and move the nodes ourselves.
        pivot_point: transform_gizmo::config::TransformPivotPoint::MedianPoint,
        snapping,
        snap_angle: ui::SNAP_DEGREES.to_radians(),
        snap_distance: ui::SNAP_METRES,
        snap_scale: ui::SNAP_SCALE,
        visuals: GizmoVisuals {
            // The colours of the viewport's axes hint.
            x_color: color([0xe8, 0x5c, 0x5c]),
            y_color: color([0x7c, 0xc8, 0x5a]),
            z_color: color([0x5c, 0x8c, 0xe8]),
            ..GizmoVisuals::default()
        },
        pixels_per_point,
    }
}

/// The projection `transform_gizmo` is given: ours, except that an orthographic view hands it
/// the same box with depth the usual way round (0 near, 1 far), the same pixels. The gizmo
/// reads handedness from the projection (for a box: depth growing away from the viewer means
/// right-handed), which our reverse-Z box would make left-handed: the rotation rings' arcs
/// facing the viewer would be drawn and picked on their far side.
fn gizmo_projection(view: &CameraView, aspect: f32) -> glam::Mat4 {
    match view.ortho {
        Some(o) => {
            let (h, w) = (o.half_height, o.half_height * aspect.max(1e-4));
            glam::Mat4::orthographic_rh(-w, w, -h, h, view.near, o.far)
        }
        None => view.clip_from_view(aspect),
    }
}

/// Where the gizmo sits: the centre of the targets' origins or the active node's origin.
pub(crate) fn pivot(
    scene: &Scene,
    targets: &[NodeId],
    active: Option<NodeId>,
    mode: PivotMode,
) -> Option<DVec3> {
    let origin = |id: NodeId| {
        scene
            .node(id)
            .map(|_| scene.world_from_local(id).w_axis.truncate().as_dvec3())
    };
    match mode {
        PivotMode::Active => active.and_then(origin),
        PivotMode::Median => {
            let origins: Vec<DVec3> = targets.iter().filter_map(|id| origin(*id)).collect();
            (!origins.is_empty()).then(|| origins.iter().sum::<DVec3>() / origins.len() as f64)
        }
    }
    .or_else(|| targets.first().copied().and_then(origin))
}

/// The gizmo's frame: at the pivot, turned like the active node in Local space, unscaled.
fn gizmo_frame(
    scene: &Scene,
    targets: &[NodeId],
    active: Option<NodeId>,
    settings: GizmoSettings,
) -> Option<GizmoTransform> {
    let position = pivot(scene, targets, active, settings.pivot)?;
    let rotation = frame_rotation(scene, active.or(targets.last().copied()), settings.space);
    Some(GizmoTransform::from_scale_rotation_translation(
        DVec3::ONE,
        rotation,
        position,
    ))
}

/// How the gizmo's frame is turned: like node `id` in the world in Local space, not at all
/// in World space.
fn frame_rotation(scene: &Scene, id: Option<NodeId>, space: GizmoSpace) -> DQuat {
    match (space, id) {
        (GizmoSpace::Local, Some(id)) => {
            let (_, rotation, _) = scene
                .world_from_local(id)
                .as_dmat4()
                .to_scale_rotation_translation();
            if rotation.is_finite() {
                rotation.normalize()
            } else {
                DQuat::IDENTITY
            }
        }
        _ => DQuat::IDENTITY,
    }
}

fn frame_matrix(frame: &GizmoTransform) -> DMat4 {
    DMat4::from_scale_rotation_translation(
        DVec3::from(frame.scale),
        DQuat::from(frame.rotation),
        DVec3::from(frame.translation),
    )
}

fn node_starts(scene: &Scene, targets: &[NodeId]) -> Vec<NodeStart> {
    targets
        .iter()
        .filter_map(|&id| {
            let node = scene.node(id)?;
            let world_from_parent = node
                .parent
                .map_or(DMat4::IDENTITY, |p| scene.world_from_local(p).as_dmat4());
            Some(NodeStart {
                id,
                local: node.transform,
                world_from_parent,
                world_from_local: scene.world_from_local(id).as_dmat4(),
            })
        })
        .collect()
}

/// Each node's new local transform once `world_delta` is applied to its world matrix at the
/// start of the drag. A move keeps rotation and scale exactly, a rotation keeps the scale;
/// values a step did not change come back bit for bit, so the inspector shows no drift.
/// Nodes whose result is not finite (a parent scaled to zero) are left out.
fn moved_transforms(
    nodes: &[NodeStart],
    world_delta: DMat4,
    mode: GizmoMode,
) -> Vec<(NodeId, Transform)> {
    nodes
        .iter()
        .filter_map(|node| {
            let world_from_local = world_delta * node.world_from_local;
            let parent_from_local = node.world_from_parent.inverse() * world_from_local;
            let (scale, rotation, translation) = parent_from_local.to_scale_rotation_translation();
            let start = node.local;
            let rotation = rotation.normalize().as_quat();
            let rotation = if rotation.dot(start.rotation).abs() > 1.0 - 1e-7 {
                start.rotation
            } else {
                rotation
            };
            let scale = scale.as_vec3();
            let scale = if (scale - start.scale).abs().max_element()
                <= 1e-6 * start.scale.abs().max_element().max(1.0)
            {
                start.scale
            } else {
                scale
            };
            let transform = match mode {
                GizmoMode::Translate | GizmoMode::Select => Transform {
                    translation: translation.as_vec3(),
                    ..start
                },
                GizmoMode::Rotate => Transform {
                    translation: translation.as_vec3(),
                    rotation,
                    scale: start.scale,
                },
                GizmoMode::Scale => Transform {
                    translation: translation.as_vec3(),
                    rotation,
                    scale,
                },
            };
            let finite = transform.translation.is_finite()
                && transform.rotation.is_finite()
                && transform.scale.is_finite();
            finite.then_some((node.id, transform))
        })
        .collect()
}

/// The edit for one frame of a drag: a `SetTransform` for one node, a `Batch` of them for
/// several (its frames merge into one undo step too, keyed by the node set).
fn drag_command(moves: &[(NodeId, Transform)], mode: GizmoMode) -> Option<Command> {
    let mut commands: Vec<Command> = moves
        .iter()
        .map(|&(node, transform)| Command::SetTransform { node, transform })
        .collect();
    match commands.len() {
        0 => None,
        1 => commands.pop(),
        n => {
            let verb = match mode {
                GizmoMode::Rotate => "Rotate",
                GizmoMode::Scale => "Scale",
                GizmoMode::Translate | GizmoMode::Select => "Move",
            };
            Some(Command::Batch {
                label: format!("{verb} {n} objects"),
                commands,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::History;
    use crate::scene::{NodeKind, OrbitCamera};
    use glam::{Quat, Vec3};

    fn empty(scene: &mut Scene, parent: Option<NodeId>, name: &str, t: Transform) -> NodeId {
        scene.add_node(parent, name, t, NodeKind::Empty)
    }

    fn world_position(scene: &Scene, id: NodeId) -> Vec3 {
        scene.world_from_local(id).w_axis.truncate()
    }

    fn close(a: Vec3, b: Vec3) -> bool {
        (a - b).abs().max_element() < 1e-4
    }

    /// Applies `world_delta` to `targets` as one drag frame would and runs the command.
    fn drag_once(scene: &mut Scene, targets: &[NodeId], world_delta: DMat4, mode: GizmoMode) {
        let nodes = node_starts(scene, targets);
        let moves = moved_transforms(&nodes, world_delta, mode);
        assert_eq!(moves.len(), targets.len());
        let command = drag_command(&moves, mode).expect("a command");
        command.apply(scene).expect("it changed the scene");
    }

    #[test]
    fn pivot_is_the_centre_of_the_origins_or_the_active_origin() {
        let mut scene = Scene::new("t");
        let parent = empty(
            &mut scene,
            None,
            "P",
            Transform::from_translation(Vec3::new(0.0, 3.0, 0.0)),
        );
        let a = empty(&mut scene, Some(parent), "A", Transform::IDENTITY);
        let b = empty(
            &mut scene,
            None,
            "B",
            Transform::from_translation(Vec3::new(4.0, 0.0, 0.0)),
        );
        let c = empty(
            &mut scene,
            None,
            "C",
            Transform::from_translation(Vec3::new(2.0, 0.0, 6.0)),
        );
        let targets = [a, b, c];
        let median = pivot(&scene, &targets, Some(b), PivotMode::Median).expect("pivot");
        assert!(
            (median - DVec3::new(2.0, 1.0, 2.0)).length() < 1e-9,
            "{median}"
        );
        let active = pivot(&scene, &targets, Some(b), PivotMode::Active).expect("pivot");
        assert_eq!(active, DVec3::new(4.0, 0.0, 0.0));
        // The gizmo is not drawn for nothing.
        assert_eq!(pivot(&scene, &[], None, PivotMode::Median), None);
        // Topmost targets only: a child of a selected node moves with its parent.
        let child = empty(&mut scene, Some(b), "B1", Transform::IDENTITY);
        assert_eq!(scene.topmost(&[b, child]), vec![b]);
    }

    #[test]
    fn a_move_under_a_rotated_scaled_parent_follows_the_world_delta() {
        let mut scene = Scene::new("t");
        let parent_t = Transform::from_translation(Vec3::new(1.0, 2.0, 3.0))
            .with_rotation(Quat::from_rotation_y(std::f32::consts::FRAC_PI_2))
            .with_scale(Vec3::splat(2.0));
        let parent = empty(&mut scene, None, "P", parent_t);
        let child_t = Transform::from_translation(Vec3::new(1.0, 0.0, 0.0))
            .with_rotation(Quat::from_rotation_x(0.3))
            .with_scale(Vec3::new(1.0, 2.0, 3.0));
        let child = empty(&mut scene, Some(parent), "C", child_t);
        let before = world_position(&scene, child);
        // Parent turned 90° about Y and scaled 2: local +X is world -Z, twice as long.
        assert!(close(before, Vec3::new(1.0, 2.0, 1.0)), "{before}");

        let delta = DVec3::new(0.5, -1.0, 2.0);
        drag_once(
            &mut scene,
            &[child],
            DMat4::from_translation(delta),
            GizmoMode::Translate,
        );
        let after = world_position(&scene, child);
        assert!(close(after, before + delta.as_vec3()), "{after}");
        let t = scene.node(child).expect("child").transform;
        // Only the translation changed, and it is in the parent's space.
        assert_eq!(t.rotation, child_t.rotation);
        assert_eq!(t.scale, child_t.scale);
        assert!(
            close(t.translation, Vec3::new(0.0, -0.5, 0.25)),
            "{}",
            t.translation
        );
    }

    #[test]
    fn several_objects_rotate_about_the_pivot_as_one_batch() {
        let mut scene = Scene::new("t");
        let a = empty(
            &mut scene,
            None,
            "A",
            Transform::from_translation(Vec3::new(1.0, 0.0, 0.0)),
        );
        let b = empty(
            &mut scene,
            None,
            "B",
            Transform::from_translation(Vec3::new(3.0, 0.0, 0.0)).with_scale(Vec3::splat(2.0)),
        );
        let p = pivot(&scene, &[a, b], Some(b), PivotMode::Median).expect("pivot");
        assert_eq!(p, DVec3::new(2.0, 0.0, 0.0));
        let turn = DMat4::from_translation(p)
            * DMat4::from_rotation_y(std::f64::consts::FRAC_PI_2)
            * DMat4::from_translation(-p);
        let nodes = node_starts(&scene, &[a, b]);
        let moves = moved_transforms(&nodes, turn, GizmoMode::Rotate);
        let command = drag_command(&moves, GizmoMode::Rotate).expect("command");
        let Command::Batch { label, commands } = &command else {
            panic!("several nodes make a batch: {command:?}");
        };
        assert_eq!(label, "Rotate 2 objects");
        assert_eq!(commands.len(), 2);
        command.apply(&mut scene).expect("changed");
        // +X turned 90° about +Y points to -Z.
        assert!(close(world_position(&scene, a), Vec3::new(2.0, 0.0, 1.0)));
        assert!(close(world_position(&scene, b), Vec3::new(2.0, 0.0, -1.0)));
        let rb = scene.node(b).expect("b").transform;
        let quarter = Quat::from_rotation_y(std::f32::consts::FRAC_PI_2);
        assert!(
            rb.rotation.dot(quarter).abs() > 1.0 - 1e-6,
            "{}",
            rb.rotation
        );
        assert_eq!(
            rb.scale,
            Vec3::splat(2.0),
            "rotation keeps the scale exactly"
        );
    }

    #[test]
    fn scaling_about_the_active_origin_moves_the_others_and_scales_all() {
        let mut scene = Scene::new("t");
        let a = empty(
            &mut scene,
            None,
            "A",
            Transform::from_translation(Vec3::new(1.0, 1.0, 0.0)),
        );
        let b = empty(
            &mut scene,
            None,
            "B",
            Transform::from_translation(Vec3::new(2.0, 1.0, 0.0)),
        );
        let p = pivot(&scene, &[a, b], Some(a), PivotMode::Active).expect("pivot");
        let grow = DMat4::from_translation(p)
            * DMat4::from_scale(DVec3::new(3.0, 1.0, 1.0))
            * DMat4::from_translation(-p);
        drag_once(&mut scene, &[a, b], grow, GizmoMode::Scale);
        assert!(close(world_position(&scene, a), Vec3::new(1.0, 1.0, 0.0)));
        assert!(close(world_position(&scene, b), Vec3::new(4.0, 1.0, 0.0)));
        for id in [a, b] {
            let t = scene.node(id).expect("node").transform;
            assert!(close(t.scale, Vec3::new(3.0, 1.0, 1.0)), "{}", t.scale);
            assert_eq!(t.rotation, Quat::IDENTITY);
        }
    }

    #[test]
    fn a_multi_object_drag_of_many_frames_is_one_undo_step() {
        let mut scene = Scene::new("t");
        let ids: Vec<NodeId> = (0..3)
            .map(|i| {
                empty(
                    &mut scene,
                    None,
                    &format!("N{i}"),
                    Transform::from_translation(Vec3::new(i as f32, 0.0, 0.0)),
                )
            })
            .collect();
        let before: Vec<Transform> = ids
            .iter()
            .map(|id| scene.node(*id).expect("node").transform)
            .collect();
        let mut history = History::default();
        let nodes = node_starts(&scene, &ids);
        for frame in 1..=20 {
            let delta = DMat4::from_translation(DVec3::new(0.0, 0.1 * f64::from(frame), 0.0));
            let command = drag_command(
                &moved_transforms(&nodes, delta, GizmoMode::Translate),
                GizmoMode::Translate,
            )
            .expect("command");
            assert!(history.execute_merging(&mut scene, command));
        }
        history.end_gesture();
        assert_eq!(history.undo_len(), 1);
        assert_eq!(history.undo_label(), Some("Move 3 objects"));
        for id in &ids {
            assert!((world_position(&scene, *id).y - 2.0).abs() < 1e-5);
        }
        assert!(history.undo(&mut scene));
        for (id, t) in ids.iter().zip(&before) {
            assert_eq!(scene.node(*id).expect("node").transform, *t);
        }
        assert!(history.redo(&mut scene));
        assert!((world_position(&scene, ids[2]).y - 2.0).abs() < 1e-5);
        // A second drag of the same nodes is a second step.
        let nodes = node_starts(&scene, &ids);
        let command = drag_command(
            &moved_transforms(
                &nodes,
                DMat4::from_translation(DVec3::X),
                GizmoMode::Translate,
            ),
            GizmoMode::Translate,
        )
        .expect("command");
        assert!(history.execute_merging(&mut scene, command));
        assert_eq!(history.undo_len(), 2);
    }

    /// A camera on +Z looking at the origin: world X runs right on screen, Y up.
    fn front_camera() -> OrbitCamera {
        OrbitCamera {
            pivot: Vec3::ZERO,
            distance: 10.0,
            yaw: 0.0,
            pitch: 0.0,
            ..OrbitCamera::default()
        }
    }

    const VIEWPORT: Rect = Rect {
        min: egui::pos2(0.0, 0.0),
        max: egui::pos2(800.0, 600.0),
    };

    /// Drives `transform_gizmo` with our camera and settings, without egui: press at `from`,
    /// drag to `to`, and return the frame's translation and scale at the end.
    fn drive(
        settings: GizmoSettings,
        snapping: bool,
        from: egui::Pos2,
        to: egui::Pos2,
    ) -> Option<GizmoTransform> {
        drive_frame(settings, snapping, GizmoTransform::default(), from, to)
    }

    fn drive_frame(
        settings: GizmoSettings,
        snapping: bool,
        start: GizmoTransform,
        from: egui::Pos2,
        to: egui::Pos2,
    ) -> Option<GizmoTransform> {
        drive_from(front_camera(), settings, snapping, start, from, to)
    }

    /// [`drive_frame`] seen through `camera`.
    fn drive_from(
        camera: OrbitCamera,
        settings: GizmoSettings,
        snapping: bool,
        start: GizmoTransform,
        from: egui::Pos2,
        to: egui::Pos2,
    ) -> Option<GizmoTransform> {
        let mut gizmo = Gizmo::default();
        gizmo.update_config(gizmo_config(
            settings,
            VIEWPORT,
            &camera.view(),
            1.0,
            snapping,
        ));
        let mut frame = start;
        let mut last = None;
        let steps = 10;
        for step in 0..=steps {
            let t = step as f32 / steps as f32;
            let p = from + (to - from) * t;
            let interaction = GizmoInteraction {
                cursor_pos: (p.x, p.y),
                hovered: true,
                drag_started: step == 0,
                dragging: true,
            };
            if let Some((_, frames)) = gizmo.update(interaction, &[frame]) {
                frame = frames[0];
                last = Some(frame);
            }
        }
        last
    }

    #[test]
    fn our_reverse_z_projection_picks_and_drags_the_right_handle() {
        let settings = GizmoSettings::default();
        let mut gizmo = Gizmo::default();
        gizmo.update_config(gizmo_config(
            settings,
            VIEWPORT,
            &front_camera().view(),
            1.0,
            false,
        ));
        gizmo.update(GizmoInteraction::default(), &[GizmoTransform::default()]);
        // The X arrow runs right from the centre (400, 300); nothing far from the gizmo.
        assert!(gizmo.pick_preview((455.0, 300.0)));
        assert!(!gizmo.pick_preview((400.0, 500.0)));
        assert!(!gizmo.pick_preview((700.0, 300.0)));

        // 100 px right along the X arrow at 10 m: 100 * 2 * 10 * tan(25°) / 600 m.
        let frame = drive(
            settings,
            false,
            egui::pos2(455.0, 300.0),
            egui::pos2(555.0, 300.0),
        )
        .expect("dragged");
        let moved = DVec3::from(frame.translation);
        let expected = 100.0 * 2.0 * 10.0 * 25f64.to_radians().tan() / 600.0;
        assert!((moved.x - expected).abs() < 0.01 * expected, "{moved}");
        assert!(moved.y.abs() < 1e-6 && moved.z.abs() < 1e-6, "{moved}");
        // The Y arrow runs up the screen.
        let frame = drive(
            settings,
            false,
            egui::pos2(400.0, 245.0),
            egui::pos2(400.0, 195.0),
        )
        .expect("dragged");
        assert!(DVec3::from(frame.translation).y > 0.5 * expected);
    }

    #[test]
    fn the_gizmo_sees_an_orthographic_view_right_handed_with_our_pixels() {
        let mut camera = front_camera();
        camera.orbit(0.4, 0.3);
        camera.ortho = true;
        let view = camera.view();
        let given = gizmo_projection(&view, 1.5);
        // transform-gizmo: `z_axis.w == 0` (a box) is left-handed when `z_axis.z > 0`.
        assert_eq!(given.z_axis.w, 0.0);
        assert!(given.z_axis.z < 0.0, "right-handed: {}", given.z_axis);
        assert!(
            view.clip_from_view(1.5).z_axis.z > 0.0,
            "ours would read left-handed"
        );
        for p in [Vec3::new(1.0, 2.0, -30.0), Vec3::new(-4.0, 0.5, -900.0)] {
            let a = given * p.extend(1.0);
            let b = view.clip_from_view(1.5) * p.extend(1.0);
            assert!((a.truncate().truncate() - b.truncate().truncate()).length() < 1e-6);
        }
        // Perspective views are handed over as they are.
        let perspective = front_camera().view();
        assert_eq!(
            gizmo_projection(&perspective, 1.5),
            perspective.clip_from_view(1.5)
        );
    }

    #[test]
    fn an_orthographic_view_picks_and_drags_the_right_handle_the_same_distance() {
        // The orthographic frame is what the perspective shows at the pivot: 100 px along the
        // X arrow move the same 100 · 2 · 10 · tan(25°) / 600 m, and the Y arrow goes up.
        let camera = OrbitCamera {
            ortho: true,
            ..front_camera()
        };
        let settings = GizmoSettings::default();
        let mut gizmo = Gizmo::default();
        gizmo.update_config(gizmo_config(settings, VIEWPORT, &camera.view(), 1.0, false));
        gizmo.update(GizmoInteraction::default(), &[GizmoTransform::default()]);
        assert!(gizmo.pick_preview((455.0, 300.0)));
        assert!(!gizmo.pick_preview((700.0, 300.0)));
        let drag = |from: egui::Pos2, to: egui::Pos2| {
            let frame = drive_from(camera, settings, false, GizmoTransform::default(), from, to)
                .expect("dragged");
            DVec3::from(frame.translation)
        };
        let moved = drag(egui::pos2(455.0, 300.0), egui::pos2(555.0, 300.0));
        let expected = 100.0 * 2.0 * 10.0 * 25f64.to_radians().tan() / 600.0;
        assert!((moved.x - expected).abs() < 0.01 * expected, "{moved}");
        assert!(moved.y.abs() < 1e-6 && moved.z.abs() < 1e-6, "{moved}");
        let moved = drag(egui::pos2(400.0, 245.0), egui::pos2(400.0, 195.0));
        assert!(
            (moved.y - 0.5 * expected).abs() < 0.01 * expected,
            "{moved}"
        );

        // Rotation turns the same way as in perspective (the gizmo reads handedness from
        // the projection): the same drag around the ring facing the viewer.
        let rotate = GizmoSettings {
            mode: GizmoMode::Rotate,
            ..settings
        };
        let turned = |camera: OrbitCamera| {
            let start = (380..=480)
                .map(|x| egui::pos2(x as f32, 300.0))
                .find(|p| {
                    let mut gizmo = Gizmo::default();
                    gizmo.update_config(gizmo_config(rotate, VIEWPORT, &camera.view(), 1.0, false));
                    gizmo.update(GizmoInteraction::default(), &[GizmoTransform::default()]);
                    gizmo.pick_preview((p.x, p.y))
                })
                .expect("a ring right of the centre");
            let frame = drive_from(
                camera,
                rotate,
                false,
                GizmoTransform::default(),
                start,
                start + egui::vec2(0.0, -60.0),
            )
            .expect("turned");
            let q = glam::DQuat::from(frame.rotation);
            let (axis, angle) = q.to_axis_angle();
            (axis * angle).z
        };
        let (perspective, ortho) = (turned(front_camera()), turned(camera));
        assert!(perspective.abs() > 0.1, "{perspective}");
        assert!(
            (perspective - ortho).abs() < 0.1 * perspective.abs(),
            "{perspective} vs {ortho}"
        );
    }

    #[test]
    fn local_space_drags_along_the_active_nodes_own_axes() {
        let mut scene = Scene::new("t");
        let turned = Quat::from_rotation_z(std::f32::consts::FRAC_PI_4);
        let a = empty(
            &mut scene,
            None,
            "A",
            Transform::IDENTITY.with_rotation(turned),
        );
        let local = GizmoSettings {
            space: GizmoSpace::Local,
            ..GizmoSettings::default()
        };
        let frame = gizmo_frame(&scene, &[a], Some(a), local).expect("frame");
        assert!(DQuat::from(frame.rotation).dot(turned.as_dquat()).abs() > 1.0 - 1e-6);
        // The node's X arrow now points up and right at 45°; drag it straight right.
        let on_arrow = egui::pos2(400.0 + 40.0, 300.0 - 40.0);
        let moved = drive_frame(
            local,
            false,
            frame,
            on_arrow,
            on_arrow + egui::vec2(100.0, 0.0),
        )
        .expect("dragged");
        let t = DVec3::from(moved.translation);
        assert!(t.x > 0.3, "{t}");
        assert!(
            (t.x - t.y).abs() < 1e-6 && t.z.abs() < 1e-9,
            "along local X: {t}"
        );
        // In World space the gizmo is not turned.
        let world = gizmo_frame(&scene, &[a], Some(a), GizmoSettings::default()).expect("frame");
        assert_eq!(DQuat::from(world.rotation), DQuat::IDENTITY);
    }

    #[test]
    fn snapping_moves_in_half_metres_turns_in_15_degrees_and_scales_in_tenths() {
        let settings = GizmoSettings::default();
        let frame = drive(
            settings,
            true,
            egui::pos2(455.0, 300.0),
            egui::pos2(555.0, 300.0),
        )
        .expect("dragged");
        // 1.55 m unsnapped.
        assert!((DVec3::from(frame.translation).x - 1.5).abs() < 1e-9);

        let rotate = GizmoSettings {
            mode: GizmoMode::Rotate,
            ..settings
        };
        // Find a point on the Z ring (it faces the camera): straight up from the centre.
        let mut gizmo = Gizmo::default();
        gizmo.update_config(gizmo_config(
            rotate,
            VIEWPORT,
            &front_camera().view(),
            1.0,
            true,
        ));
        gizmo.update(GizmoInteraction::default(), &[GizmoTransform::default()]);
        let top = (200..300)
            .rev()
            .map(|y| egui::pos2(400.0, y as f32))
            .find(|p| gizmo.pick_preview((p.x, p.y)))
            .expect("a ring above the centre");
        let frame = drive(rotate, true, top, egui::pos2(330.0, 260.0)).expect("dragged");
        let angle = DQuat::from(frame.rotation).angle_between(DQuat::IDENTITY);
        let step = 15f64.to_radians();
        assert!(angle > 0.5 * step, "turned {angle}");
        assert!(
            ((angle / step).round() * step - angle).abs() < 1e-6,
            "{angle}"
        );

        let scale = GizmoSettings {
            mode: GizmoMode::Scale,
            ..settings
        };
        let frame = drive(
            scale,
            true,
            egui::pos2(455.0, 300.0),
            egui::pos2(510.0, 300.0),
        )
        .expect("dragged");
        let s = DVec3::from(frame.scale);
        assert!(s.x > 1.05, "{s}");
        assert!(((s.x * 10.0).round() - s.x * 10.0).abs() < 1e-6, "{s}");
        assert_eq!((s.y, s.z), (1.0, 1.0));
    }

    /// The viewport image's rect in the editor's last frame: the mesh drawn with its texture.
    fn image_rect(shapes: &[egui::epaint::ClippedShape]) -> Rect {
        crate::ui::flat_shapes(shapes.to_vec())
            .into_iter()
            .find_map(|(_, shape)| match shape {
                egui::Shape::Rect(r) if r.fill_texture_id() == egui::TextureId::User(0) => {
                    Some(r.rect)
                }
                _ => None,
            })
            .expect("no viewport image drawn")
    }

    struct Driver {
        ctx: egui::Context,
        time: f64,
    }

    impl Driver {
        fn frame(
            &mut self,
            editor: &mut super::super::editor::Editor,
            events: Vec<egui::Event>,
        ) -> Rect {
            self.time += 1.0 / 60.0;
            let input = egui::RawInput {
                screen_rect: Some(Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(1600.0, 900.0),
                )),
                time: Some(self.time),
                events,
                ..Default::default()
            };
            let mut output = self
                .ctx
                .run_ui(input, |ui| editor.ui(ui, egui::TextureId::User(0)));
            output.textures_delta.clear();
            image_rect(&output.shapes)
        }

        /// Presses at `from`, moves to `to` in steps, releases.
        fn drag(
            &mut self,
            editor: &mut super::super::editor::Editor,
            from: egui::Pos2,
            to: egui::Pos2,
        ) {
            let button = |pos, pressed| egui::Event::PointerButton {
                pos,
                button: PointerButton::Primary,
                pressed,
                modifiers: Modifiers::NONE,
            };
            self.frame(editor, vec![egui::Event::PointerMoved(from)]);
            self.frame(editor, vec![button(from, true)]);
            for step in 1..=10 {
                let p = from + (to - from) * (step as f32 / 10.0);
                self.frame(editor, vec![egui::Event::PointerMoved(p)]);
            }
            self.frame(editor, vec![button(to, false)]);
            self.frame(editor, vec![]);
        }
    }

    /// Screen position of a world point in the viewport `rect`.
    fn screen(editor: &super::super::editor::Editor, rect: Rect, p: Vec3) -> egui::Pos2 {
        let aspect = rect.width() / rect.height();
        let ndc = editor
            .camera
            .view()
            .clip_from_world(aspect)
            .project_point3(p);
        rect.center() + egui::vec2(ndc.x, -ndc.y) * rect.size() * 0.5
    }

    #[test]
    fn dragging_a_handle_in_the_editor_moves_the_selection_and_not_the_camera() {
        let mut scene = Scene::new("t");
        let a = empty(&mut scene, None, "A", Transform::IDENTITY);
        let b = empty(
            &mut scene,
            None,
            "B",
            Transform::from_translation(Vec3::new(0.0, 0.0, -2.0)),
        );
        let mut editor =
            super::super::editor::Editor::new(scene, 1, "test".into(), std::sync::Arc::new(|| {}));
        editor.camera = front_camera();
        editor.selection = vec![b, a];
        let mut driver = Driver {
            ctx: egui::Context::default(),
            time: 0.0,
        };
        let rect = driver.frame(&mut editor, vec![]);
        // The pivot is the centre (0, 0, -1); grab the X arrow 55 points right of it.
        let centre = screen(&editor, rect, Vec3::new(0.0, 0.0, -1.0));
        let handle = centre + egui::vec2(55.0, 0.0);
        let camera = editor.camera;
        driver.drag(&mut editor, handle, handle + egui::vec2(100.0, 0.0));

        assert_eq!(editor.camera, camera, "the camera must not orbit");
        let pa = world_position(&editor.scene, a);
        let pb = world_position(&editor.scene, b);
        assert!(pa.x > 1.0, "A did not move right: {pa}");
        assert!(close(pb - pa, Vec3::new(0.0, 0.0, -2.0)), "{pa} {pb}");
        assert!(pa.y.abs() < 1e-5 && pa.z.abs() < 1e-5, "{pa}");
        assert_eq!(editor.history.undo_len(), 1, "one drag, one step");
        assert_eq!(editor.history.undo_label(), Some("Move 2 objects"));
        editor.apply(UiAction::Undo);
        assert_eq!(world_position(&editor.scene, a), Vec3::ZERO);
        assert_eq!(world_position(&editor.scene, b), Vec3::new(0.0, 0.0, -2.0));

        // With the gizmo hidden (Q), the same drag orbits and edits nothing.
        editor.gizmo.settings.mode = GizmoMode::Select;
        driver.drag(&mut editor, handle, handle + egui::vec2(100.0, 0.0));
        assert_ne!(editor.camera, camera, "a drag without a gizmo orbits");
        assert_eq!(world_position(&editor.scene, a), Vec3::ZERO);
        assert_eq!(editor.history.undo_len(), 0);
    }

    #[test]
    fn keys_pick_the_mode_and_space_and_q_hides_the_gizmo() {
        let mut tool = GizmoTool::default();
        let ctx = egui::Context::default();
        let key = |key| egui::Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: Modifiers::NONE,
        };
        let press = |tool: &mut GizmoTool, k, free| {
            let input = egui::RawInput {
                events: vec![key(k)],
                ..Default::default()
            };
            ctx.run_ui(input, |ui| tool.shortcuts(ui.ctx(), free))
                .textures_delta
                .clear();
        };
        press(&mut tool, Key::E, true);
        assert_eq!(tool.settings.mode, GizmoMode::Rotate);
        press(&mut tool, Key::R, true);
        assert_eq!(tool.settings.mode, GizmoMode::Scale);
        press(&mut tool, Key::W, false);
        assert_eq!(tool.settings.mode, GizmoMode::Scale, "keyboard busy");
        press(&mut tool, Key::W, true);
        assert_eq!(tool.settings.mode, GizmoMode::Translate);
        press(&mut tool, Key::T, true);
        assert_eq!(tool.settings.space, GizmoSpace::Local);
        press(&mut tool, Key::Q, true);
        assert_eq!(tool.settings.mode, GizmoMode::Select);
    }
}
