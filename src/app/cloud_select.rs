//! Selecting splats or points in the viewport with the tool picked in the inspector's
//! "Select splats" / "Select points" section ([`crate::ui::CloudSelection`]), while a splat or
//! point node is the active one:
//!
//! * left drag: a rectangle or lasso around the elements' centres (released: selected), or
//!   the brush painted along the drag (selected as it goes);
//! * a click with the rectangle or lasso: the element in front under the cursor (a plain
//!   click on nothing clears);
//! * plain: replaces the selection (the brush adds); Shift adds; Ctrl takes away;
//! * Alt+left drag orbits, middle drag pans, the wheel zooms, right drag flies, as without
//!   the tool; clicks do not pick nodes while it is on;
//! * `Del` / `X` deletes the selection (one undo step), `A` selects all, `Alt+A` none,
//!   `R` / `L` / `B` switch to the rectangle, lasso or brush, `Esc` ends the tool;
//! * `H` hides the selected elements, `Shift+H` the others, `Alt+H` reveals them (hidden
//!   ones are not drawn while the tool is on, cannot be selected, and stay through edits);
//! * every change of the selection is an undo step (a brush stroke is one; see
//!   `CloudSelection::undo`), taken back by Ctrl+Z in turn with the edits;
//! * a drag that starts on the gizmo's handles (shown at the selection's centre, see
//!   `GizmoTool::elements_viewport_ui`) moves, turns or scales the selected elements instead.
//!
//! With X-ray on (the default; `Alt+Z` or the inspector's X-ray toggle), an element is
//! selected when its centre projects inside the shape, whether or not others in front of it
//! hide it (as SuperSplat's centres mode and Blender's X-ray do). With X-ray off, only the
//! elements seen somewhere inside the shape are (SuperSplat's rings mode, Blender's edit mode
//! without X-ray): [`crate::pick::surface`] finds the depth of the first opaque element at
//! each pixel once per view and cloud, opaque meshes ([`mesh_depth`]) and the other shown
//! clouds ([`other_clouds`]) in front hiding them too, and [`select_visible`] takes the
//! elements seen at the shape's pixels (the surface and what is in front of it); a click
//! takes the element under the cursor only if it is in front there ([`in_front_at`]).

use crate::edit::ops::{Operation, RegionAction};
use crate::pick::{
    FrontElements, Occluders, PickView, Picker, ScreenShape, Surface, in_front_at, mesh_depth,
    project_centres, select_projected, select_visible, surface,
};
use crate::scene::{CameraView, Combine, ElementMask, NodeId, NodeKind, Scene};
use crate::ui::{CloudRef, CloudSelection, SelectTool, UiAction};
use egui::{Color32, Key, Modifiers, PointerButton, Pos2, Response, Stroke, Ui};
use glam::{Mat4, Vec2};

/// The drag under way.
#[derive(Clone, Debug, Default)]
pub(crate) struct SelectStroke {
    /// Points of the drag (egui points), the first where it started.
    points: Vec<Pos2>,
    how: Option<Combine>,
    /// The centres projected for the last selection, while the tool is on: a brush stroke
    /// selects every frame from one view, so it projects them once.
    projected: Option<Projected>,
    /// The surface the cloud shows, for the last selection with X-ray off.
    surface: Option<CachedSurface>,
    /// The opaque meshes' depth for that surface's view: kept when only the cloud's side
    /// changes (elements hidden or shown, the cloud moved), which a raster of every mesh
    /// would otherwise follow (~33 ms per million triangles at 720p on 2 cores).
    occluders: Option<CachedOccluders>,
    /// How many times the meshes were rasterised (for tests).
    occluder_rasters: usize,
}

/// The [`Occluders`] of one view, image size and scene revision (structure, transforms,
/// materials), with the other shown clouds of one content (a hash of [`other_clouds`]'s
/// contents and point sizes) in front of the meshes.
#[derive(Clone, Debug)]
struct CachedOccluders {
    key: ([u32; 16], [u32; 2], [u64; 3], u64),
    occluders: Occluders,
}

/// A shown splat or point node other than the tool's, as it hides the tool's elements.
struct OtherCloud<'a> {
    cloud: CloudRef<'a>,
    world_from_local: Mat4,
    point_size_px: f32,
}

/// The shown splat and point nodes of `scene` besides `node` (the tool's): what they draw
/// hides the tool's elements behind them, as opaque meshes do. Every element of theirs is
/// drawn (only the tool's cloud hides elements), so every one counts.
fn other_clouds(scene: &Scene, node: NodeId, pixels_per_point: f32) -> Vec<OtherCloud<'_>> {
    scene
        .walk()
        .into_iter()
        .filter(|wn| wn.visible && wn.node.id != node)
        .filter_map(|wn| {
            let point_size_px = match wn.node.kind {
                NodeKind::Points { point_size_px, .. } => point_size_px * pixels_per_point,
                _ => 0.0,
            };
            Some(OtherCloud {
                cloud: node_cloud(scene, wn.node.id)?,
                world_from_local: wn.world_from_local,
                point_size_px,
            })
        })
        .collect()
}

/// The [`Surface`] of one cloud content, view, image size, point size and set of hidden
/// elements, with the meshes of one scene revision (structure, transforms, materials) in
/// front.
#[derive(Clone, Debug)]
struct CachedSurface {
    key: (u64, [u32; 16], [u32; 2], u32, u64, [u64; 3]),
    surface: Surface,
}

/// The node the tool works on: the active node, when it shows splats or points.
pub(crate) fn active_cloud<'a>(
    scene: &'a Scene,
    selection: &[NodeId],
) -> Option<(NodeId, CloudRef<'a>)> {
    let node = *selection.last()?;
    Some((node, node_cloud(scene, node)?))
}

/// The splats or points `node` shows, if it is a splat or point node.
pub(crate) fn node_cloud(scene: &Scene, node: NodeId) -> Option<CloudRef<'_>> {
    match scene.node(node)?.kind {
        NodeKind::Splats { cloud } => Some(CloudRef::Splats(scene.splat_cloud(cloud)?)),
        NodeKind::Points { cloud, .. } => Some(CloudRef::Points(scene.point_cloud(cloud)?)),
        _ => None,
    }
}

/// What [`crate::pick::front`] rasterises of a cloud: its splats, or its points as discs
/// `point_size_px` wide.
fn front_elements(cloud: CloudRef<'_>, point_size_px: f32) -> FrontElements<'_> {
    match cloud {
        CloudRef::Splats(cloud) => FrontElements::Splats(cloud),
        CloudRef::Points(cloud) => FrontElements::Points {
            positions: &cloud.positions,
            size_px: point_size_px,
        },
    }
}

/// Centres of one cloud content projected for one view and image size.
#[derive(Clone, Debug)]
struct Projected {
    key: (u64, [u32; 16], [u32; 2]),
    pixels: Vec<Vec2>,
}

impl SelectStroke {
    /// The centres of `cloud` on the image, projected again only when the cloud, the view or
    /// the size changed.
    fn projected(&mut self, cloud: CloudRef<'_>, clip_from_local: Mat4, size: Vec2) -> &[Vec2] {
        let key = (
            cloud.content_id(),
            clip_from_local.to_cols_array().map(f32::to_bits),
            size.to_array().map(f32::to_bits),
        );
        if self.projected.as_ref().is_none_or(|p| p.key != key) {
            self.projected = Some(Projected {
                key,
                pixels: project_centres(cloud.positions(), clip_from_local, size),
            });
        }
        self.projected.as_ref().map_or(&[], |p| &p.pixels)
    }

    /// The elements of `cloud` selected by `shape`: those whose centres fall inside it
    /// (X-ray), or those seen at some pixel inside it ([`select_visible`]).
    #[allow(clippy::too_many_arguments)] // One view of one node, as `update` has it.
    fn select(
        &mut self,
        scene: &Scene,
        node: NodeId,
        cloud: CloudRef<'_>,
        hidden: Option<&ElementMask>,
        xray: bool,
        view: &PickView,
        world_from_local: Mat4,
        point_size_px: f32,
        shape: &ScreenShape,
    ) -> ElementMask {
        let size = view.size_px();
        if xray {
            let clip_from_local = view.clip_from_world() * world_from_local;
            return select_projected(self.projected(cloud, clip_from_local, size), size, shape);
        }
        let surface = self.surface(
            scene,
            node,
            cloud,
            hidden,
            view,
            world_from_local,
            point_size_px,
        );
        select_visible(
            surface,
            view,
            world_from_local,
            front_elements(cloud, point_size_px),
            |i| hidden.is_some_and(|h| h.get(i)),
            shape,
        )
    }

    /// What `cloud` (`node`'s, placed by `world_from_local`, its `hidden` elements left out),
    /// the opaque meshes and the other shown clouds of `scene` show at each pixel of `view`,
    /// worked out again only when one of them changed.
    #[allow(clippy::too_many_arguments)] // One view of one node, as `update` has it.
    fn surface(
        &mut self,
        scene: &Scene,
        node: NodeId,
        cloud: CloudRef<'_>,
        hidden: Option<&ElementMask>,
        view: &PickView,
        world_from_local: Mat4,
        point_size_px: f32,
    ) -> &Surface {
        let revision = scene.revision();
        let key = (
            cloud.content_id(),
            (view.clip_from_world() * world_from_local)
                .to_cols_array()
                .map(f32::to_bits),
            view.size_px().to_array().map(f32::to_bits),
            point_size_px.to_bits(),
            hidden.map_or(0, mask_hash),
            [revision.structure, revision.transforms, revision.materials],
        );
        if self.surface.as_ref().is_some_and(|f| f.key != key) {
            self.surface = None;
        }
        if self.surface.is_none() {
            let others = other_clouds(scene, node, view.pixels_per_point);
            let contents = others.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, o| {
                [o.cloud.content_id(), u64::from(o.point_size_px.to_bits())]
                    .into_iter()
                    .fold(h, |h, v| (h ^ v).wrapping_mul(0x0100_0000_01b3))
            });
            let occluders_key = (
                view.clip_from_world().to_cols_array().map(f32::to_bits),
                view.size_px().to_array().map(f32::to_bits),
                [revision.structure, revision.transforms, revision.materials],
                contents,
            );
            if self
                .occluders
                .as_ref()
                .is_none_or(|o| o.key != occluders_key)
            {
                let mut occluders = mesh_depth(scene, view);
                for o in &others {
                    let elements = front_elements(o.cloud, o.point_size_px);
                    occluders.hide_behind_surface(&surface(
                        view,
                        o.world_from_local,
                        elements,
                        |_| false,
                    ));
                }
                self.occluders = Some(CachedOccluders {
                    key: occluders_key,
                    occluders,
                });
                self.occluder_rasters += 1;
            }
        }
        let occluders = &self.occluders;
        &self
            .surface
            .get_or_insert_with(|| {
                let elements = front_elements(cloud, point_size_px);
                let skip = |i: usize| hidden.is_some_and(|h| h.get(i));
                let mut surface = surface(view, world_from_local, elements, skip);
                if let Some(o) = occluders {
                    surface.hide_behind(&o.occluders);
                }
                CachedSurface { key, surface }
            })
            .surface
    }

    /// How many times the opaque meshes were rasterised for selections with X-ray off.
    #[cfg(test)]
    pub(crate) fn occluder_rasters(&self) -> usize {
        self.occluder_rasters
    }

    /// Forgets the drag and the projected centres (the tool is off).
    fn reset(&mut self) {
        *self = Self::default();
    }

    /// Reads this frame's viewport input while the tool is on and a splat or point node is
    /// active; selects, draws the shape and pushes the deletion `Del` asks for. Returns true
    /// if the tool took the viewport's primary button this frame (clicks and drags are not
    /// the camera's or the node selection's).
    #[allow(clippy::too_many_arguments)] // The viewport's parts, each read once per frame.
    pub fn update(
        &mut self,
        ui: &Ui,
        response: &Response,
        keyboard_free: bool,
        scene: &Scene,
        camera: &CameraView,
        selection: &[NodeId],
        picker: &mut Picker,
        state: &mut CloudSelection,
        actions: &mut Vec<UiAction>,
    ) -> bool {
        let (Some(tool), Some((node, cloud))) = (state.tool, active_cloud(scene, selection)) else {
            self.reset();
            state.end_stroke();
            return false;
        };
        if self.points.is_empty() {
            // No stroke under way (one may have been cut short).
            state.end_stroke();
        }
        if keyboard_free {
            let [reveal, hide_others, hide, unlock, lock] = ui.input_mut(|i| {
                // The Alt and Shift chords before the plain keys, which would take them too
                // (H hides, L picks the lasso below).
                [
                    (Modifiers::ALT, Key::H),
                    (Modifiers::SHIFT, Key::H),
                    (Modifiers::NONE, Key::H),
                    (Modifiers::ALT, Key::L),
                    (Modifiers::SHIFT, Key::L),
                ]
                .map(|(modifiers, key)| i.consume_key(modifiers, key))
            });
            if reveal {
                state.reveal(cloud);
            }
            if hide_others || hide {
                state.hide(cloud, hide_others);
            }
            if unlock {
                state.unlock(cloud);
            }
            if lock {
                state.lock(cloud);
            }
            if ui.input_mut(|i| i.consume_key(Modifiers::ALT, Key::Z)) {
                state.xray = !state.xray;
            }
            let (escape, delete, none, all) = ui.input_mut(|i| {
                for (key, tool) in [
                    (Key::R, SelectTool::Rect),
                    (Key::L, SelectTool::Lasso),
                    (Key::B, SelectTool::Brush),
                ] {
                    if i.consume_key(Modifiers::NONE, key) {
                        state.tool = Some(tool);
                    }
                }
                (
                    i.consume_key(Modifiers::NONE, Key::Escape),
                    i.consume_key(Modifiers::NONE, Key::Delete)
                        | i.consume_key(Modifiers::NONE, Key::X),
                    // Alt+A first: a plain A would take it too (egui ignores an extra Alt).
                    i.consume_key(Modifiers::ALT, Key::A),
                    i.consume_key(Modifiers::NONE, Key::A),
                )
            });
            if all {
                state.all(cloud);
            }
            if none {
                state.none(cloud);
            }
            if escape {
                state.tool = None;
                self.reset();
                return false;
            }
            // While the tool is on, Del never deletes the whole node.
            if delete && let Some(selected) = state.edit_mask(cloud, RegionAction::Delete) {
                actions.push(UiAction::Operation(Operation::CloudSelected {
                    node,
                    selected,
                    action: RegionAction::Delete,
                }));
            }
        }
        let (modifiers, press_origin, hover) =
            ui.input(|i| (i.modifiers, i.pointer.press_origin(), i.pointer.hover_pos()));
        let rect = response.rect;
        let pixels_per_point = ui.ctx().pixels_per_point();
        let to_pixel = |p: Pos2| {
            let v = (p - rect.min) * pixels_per_point;
            Vec2::new(v.x, v.y)
        };
        let view = PickView::new(
            *camera,
            rect.width() * pixels_per_point,
            rect.height() * pixels_per_point,
        )
        .with_pixels_per_point(pixels_per_point);
        let world_from_local = scene.world_from_local(node);
        let point_size_px = match scene.node(node).map(|n| &n.kind) {
            // Drawn this many pixels wide on this display (`RenderSettings::pixels_per_point`).
            Some(NodeKind::Points { point_size_px, .. }) => *point_size_px * view.pixels_per_point,
            _ => 0.0,
        };
        let select =
            |this: &mut Self, state: &mut CloudSelection, shape: &ScreenShape, how: Combine| {
                let hidden = state.hidden(cloud).cloned();
                let mask = this.select(
                    scene,
                    node,
                    cloud,
                    hidden.as_deref(),
                    state.xray,
                    &view,
                    world_from_local,
                    point_size_px,
                    shape,
                );
                state.apply(cloud, &mask, how);
            };
        let brush_px = state.brush_radius.max(0.5) * pixels_per_point;
        let brush = |a: Pos2, b: Pos2| ScreenShape::Brush {
            path: vec![to_pixel(a), to_pixel(b)],
            radius: brush_px,
        };
        let painter = ui.painter_at(rect);
        let stroke = Stroke::new(1.0, Color32::from_gray(240));

        if self.points.is_empty() {
            if modifiers.alt {
                // The camera orbits.
                return false;
            }
            // What a stroke starting now does to the selection.
            let how = if modifiers.command || modifiers.ctrl {
                Combine::Subtract
            } else if modifiers.shift || tool == SelectTool::Brush {
                Combine::Add
            } else {
                Combine::Replace
            };
            if response.drag_started_by(PointerButton::Primary)
                && let Some(start) = press_origin.or(response.interact_pointer_pos())
            {
                self.points.push(start);
                self.how = Some(how);
                state.begin_stroke();
                if tool == SelectTool::Brush {
                    select(self, state, &brush(start, start), how);
                }
            } else if response.clicked_by(PointerButton::Primary)
                && tool == SelectTool::Brush
                && let Some(pos) = response.interact_pointer_pos()
            {
                select(self, state, &brush(pos, pos), how);
            } else if response.clicked_by(PointerButton::Primary)
                && let Some(pos) = response.interact_pointer_pos()
            {
                // A click with the rectangle or lasso takes the element in front under the
                // cursor (as SuperSplat's picker); a plain click on nothing clears.
                // Hidden ones are skipped; a locked one in front is hit but not taken.
                let hidden = state.hidden(cloud).cloned();
                let pixel = to_pixel(pos);
                let hit = picker
                    .pick_element(scene, &view, node, pixel, |i| {
                        hidden.as_ref().is_some_and(|h| h.get(i))
                    })
                    // With X-ray off, not one an opaque mesh hides.
                    .filter(|&i| {
                        state.xray || {
                            let surface = self.surface(
                                scene,
                                node,
                                cloud,
                                hidden.as_deref(),
                                &view,
                                world_from_local,
                                point_size_px,
                            );
                            let elements = front_elements(cloud, point_size_px);
                            in_front_at(surface, &view, world_from_local, elements, i, pixel)
                        }
                    });
                let mut mask = crate::scene::ElementMask::new(cloud.len());
                if let Some(i) = hit {
                    mask.insert(i);
                }
                state.apply(cloud, &mask, how);
            }
        }
        let how = self.how.unwrap_or(Combine::Replace);
        if let Some(&start) = self.points.first() {
            let end = response
                .interact_pointer_pos()
                .or(hover)
                .unwrap_or(start)
                .clamp(rect.min, rect.max);
            let last = self.points.last().copied().unwrap_or(start);
            if end.distance(last) >= 1.0 {
                if tool == SelectTool::Brush {
                    select(self, state, &brush(last, end), how);
                }
                self.points.push(end);
            }
            let fill = Color32::from_white_alpha(18);
            match tool {
                SelectTool::Rect => {
                    let r = egui::Rect::from_two_pos(start, end);
                    painter.rect_filled(r, 0.0, fill);
                    painter.rect_stroke(r, 0.0, stroke, egui::StrokeKind::Inside);
                }
                SelectTool::Lasso => {
                    let mut closed = self.points.clone();
                    closed.push(start);
                    painter.add(egui::Shape::line(closed, stroke));
                }
                SelectTool::Brush => {}
            }
            if response.drag_stopped_by(PointerButton::Primary) || !response.dragged() {
                let shape = match tool {
                    SelectTool::Rect => Some(ScreenShape::Rect {
                        min: to_pixel(start).min(to_pixel(end)),
                        max: to_pixel(start).max(to_pixel(end)),
                    }),
                    SelectTool::Lasso => Some(ScreenShape::Lasso(
                        self.points.iter().map(|p| to_pixel(*p)).collect(),
                    )),
                    // Selected along the way.
                    SelectTool::Brush => None,
                };
                if let Some(shape) = shape {
                    select(self, state, &shape, how);
                }
                self.points.clear();
                self.how = None;
                state.end_stroke();
            }
        }
        if tool == SelectTool::Brush
            && let Some(pos) = hover.filter(|p| rect.contains(*p))
        {
            painter.circle_stroke(pos, state.brush_radius, stroke);
        }
        if response.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Crosshair);
        }
        true
    }
}

/// A hash of a mask's bits (FNV-1a over its words): which elements are hidden.
fn mask_hash(mask: &ElementMask) -> u64 {
    mask.words()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325 ^ mask.len() as u64, |h, w| {
            (h ^ u64::from(*w)).wrapping_mul(0x0100_0000_01b3)
        })
}
