//! Selecting in the viewport: a click picks the node under the cursor ([`crate::pick`]),
//! a box drag (after `B`, or with Ctrl held) selects what lies inside the rectangle. Plain
//! drags stay with the camera controls.
//!
//! * click: select the picked node alone; on empty space, clear the selection;
//! * Shift+click: add the picked node (it becomes the active one);
//! * Ctrl+click: toggle the picked node in the selection;
//! * `B` then left-drag, or Ctrl+left-drag: box select, replacing the selection; hold Shift
//!   when releasing to add to it instead, Alt to take it away; `B` then middle-drag takes
//!   away too (as in Blender). A sign by the cursor shows which (`+`, `-`). `Esc` disarms a
//!   pending `B`. With X-ray off (the default, as Blender's) the box takes only what is seen
//!   inside it; `Alt+Z` (View ▸ X-ray) makes it take what lies behind other objects too
//!   ([`crate::pick::Picker::box_select`]).

use crate::pick::{PickOptions, PickView, Picker};
use crate::scene::{CameraView, Combine, NodeId, Scene};
use crate::ui::{ClickMode, apply_box, apply_click};
use egui::{Key, Modifiers, PointerButton, Pos2, Rect, Response, Ui};
use glam::Vec2;

/// Viewport selection state that lives across frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ViewportSelect {
    /// `B` was pressed: the next left drag draws a box.
    armed: bool,
    /// Where the box drag started (egui points) and with which button, while one is under
    /// way.
    box_start: Option<(Pos2, PointerButton)>,
}

impl ViewportSelect {
    /// True after `B`, until the next drag or `Esc`.
    pub fn armed(&self) -> bool {
        self.armed
    }

    /// Reads this frame's viewport input on the image `response`, updates `selection` and
    /// draws the box. Returns true if the pointer's drag belongs to the box this frame.
    #[allow(clippy::too_many_arguments)] // The viewport's parts, each read once per frame.
    pub fn update(
        &mut self,
        ui: &Ui,
        response: &Response,
        keyboard_free: bool,
        scene: &Scene,
        camera: &CameraView,
        picker: &mut Picker,
        options: PickOptions,
        selection: &mut Vec<NodeId>,
    ) -> bool {
        let (modifiers, press_origin) = ui.input(|i| (i.modifiers, i.pointer.press_origin()));
        if keyboard_free {
            ui.input_mut(|i| {
                if i.consume_key(Modifiers::NONE, Key::B) {
                    self.armed = true;
                }
                if self.armed && i.consume_key(Modifiers::NONE, Key::Escape) {
                    self.armed = false;
                }
            });
        }
        let pixels_per_point = ui.ctx().pixels_per_point();
        let rect = response.rect;
        let view = PickView::new(
            *camera,
            rect.width() * pixels_per_point,
            rect.height() * pixels_per_point,
        )
        .with_pixels_per_point(pixels_per_point);
        let to_pixel = |p: Pos2| {
            let v = (p - rect.min) * pixels_per_point;
            Vec2::new(v.x, v.y)
        };

        let box_button = if response.drag_started_by(PointerButton::Primary)
            && (self.armed || modifiers.command || modifiers.ctrl)
        {
            Some(PointerButton::Primary)
        } else if response.drag_started_by(PointerButton::Middle) && self.armed {
            Some(PointerButton::Middle)
        } else {
            None
        };
        if let Some(button) = box_button
            && let Some(start) = press_origin.or(response.interact_pointer_pos())
        {
            self.box_start = Some((start, button));
            self.armed = false;
        }
        let Some((start, button)) = self.box_start else {
            if response.clicked_by(PointerButton::Primary)
                && let Some(pos) = response.interact_pointer_pos()
            {
                self.armed = false;
                let hit = picker.pick(scene, &view, to_pixel(pos), options);
                apply_click(
                    selection,
                    hit.map(|h| h.node),
                    ClickMode::from_modifiers(modifiers),
                );
            }
            return false;
        };
        let end = response
            .interact_pointer_pos()
            .or(ui.input(|i| i.pointer.latest_pos()))
            .unwrap_or(start);
        let how = box_combine(button, modifiers);
        let screen_box = Rect::from_two_pos(start, end).intersect(rect);
        let stroke = egui::Stroke::new(1.0, egui::Color32::from_gray(240));
        let painter = ui.painter_at(rect);
        painter.rect_filled(screen_box, 0.0, egui::Color32::from_white_alpha(18));
        painter.rect_stroke(screen_box, 0.0, stroke, egui::StrokeKind::Inside);
        let sign = match how {
            Combine::Replace => None,
            Combine::Add => Some("+"),
            Combine::Subtract => Some("-"),
        };
        if let Some(sign) = sign {
            painter.text(
                end + egui::vec2(10.0, 10.0),
                egui::Align2::LEFT_TOP,
                sign,
                egui::FontId::monospace(22.0),
                egui::Color32::from_gray(240),
            );
        }
        if response.drag_stopped_by(button) || !response.dragged() {
            self.box_start = None;
            let found = picker.box_select(
                scene,
                &view,
                to_pixel(screen_box.min),
                to_pixel(screen_box.max),
                options,
            );
            apply_box(selection, &found, how);
        }
        true
    }
}

/// What a box drawn with `button` does to the selection, with `modifiers` held (read as the
/// box is drawn, so the last frame's, at release, decides): the middle button (after `B`)
/// or Alt takes away, Shift adds, otherwise the box replaces.
fn box_combine(button: PointerButton, modifiers: Modifiers) -> Combine {
    if button == PointerButton::Middle || modifiers.alt {
        Combine::Subtract
    } else if modifiers.shift {
        Combine::Add
    } else {
        Combine::Replace
    }
}

#[cfg(test)]
mod tests {
    use super::super::editor::Editor;
    use crate::pick::PickView;
    use crate::scene::{Material, NodeId, NodeKind, Scene, Transform};
    use egui::{Event, Modifiers, PointerButton, Pos2, RawInput, Rect, TextureId};
    use glam::Vec3;
    use std::sync::Arc;

    /// The whole editor, driven through egui input like a user with a mouse.
    struct Driver {
        ctx: egui::Context,
        editor: Editor,
        /// Where the viewport image was drawn last pass.
        viewport: Rect,
        time: f64,
        /// Modifier keys held (sent as `ModifiersChanged` before each pass's events, as
        /// egui-winit does).
        modifiers: Modifiers,
    }

    const VIEWPORT_TEXTURE: TextureId = TextureId::User(0);

    impl Driver {
        fn new(scene: Scene) -> Self {
            let mut d = Self {
                ctx: egui::Context::default(),
                editor: Editor::new(scene, 1, "test".into(), Arc::new(|| {})),
                viewport: Rect::NOTHING,
                time: 0.0,
                modifiers: Modifiers::NONE,
            };
            d.pass(Vec::new());
            d.pass(Vec::new());
            d
        }

        /// Runs one egui pass with `events` and finds the viewport image in the output.
        fn pass(&mut self, events: Vec<Event>) {
            self.time += 1.0 / 60.0;
            let input = RawInput {
                screen_rect: Some(Rect::from_min_size(Pos2::ZERO, egui::vec2(1600.0, 900.0))),
                time: Some(self.time),
                events: [Event::ModifiersChanged(self.modifiers)]
                    .into_iter()
                    .chain(events)
                    .collect(),
                ..Default::default()
            };
            let editor = &mut self.editor;
            let mut output = self.ctx.run_ui(input, |ui| editor.ui(ui, VIEWPORT_TEXTURE));
            output.textures_delta.clear();
            // The image is drawn as a textured rectangle.
            for (_, shape) in crate::ui::flat_shapes(output.shapes) {
                if shape.texture_id() == VIEWPORT_TEXTURE {
                    self.viewport = shape.visual_bounding_rect();
                }
            }
        }

        /// Screen position (points) of a world point in the viewport.
        fn screen_of(&self, p: Vec3) -> Pos2 {
            let size = self.viewport.size();
            let view = PickView::new(self.editor.view(), size.x, size.y);
            let clip = view.clip_from_world() * p.extend(1.0);
            let ndc = clip.truncate() / clip.w;
            self.viewport.min
                + egui::vec2((ndc.x + 1.0) * 0.5 * size.x, (1.0 - ndc.y) * 0.5 * size.y)
        }

        fn button(&mut self, pos: Pos2, pressed: bool, modifiers: Modifiers) {
            self.button_of(PointerButton::Primary, pos, pressed, modifiers);
        }

        fn button_of(
            &mut self,
            button: PointerButton,
            pos: Pos2,
            pressed: bool,
            modifiers: Modifiers,
        ) {
            self.pass(vec![
                Event::PointerMoved(pos),
                Event::PointerButton {
                    pos,
                    button,
                    pressed,
                    modifiers,
                },
            ]);
        }

        fn click(&mut self, pos: Pos2, modifiers: Modifiers) {
            self.modifiers = modifiers;
            self.pass(vec![Event::PointerMoved(pos)]);
            self.button(pos, true, modifiers);
            self.button(pos, false, modifiers);
            self.modifiers = Modifiers::NONE;
            self.pass(Vec::new());
        }

        fn drag(&mut self, from: Pos2, to: Pos2, modifiers: Modifiers) {
            self.drag_with(PointerButton::Primary, from, to, modifiers);
        }

        fn drag_with(&mut self, button: PointerButton, from: Pos2, to: Pos2, modifiers: Modifiers) {
            self.modifiers = modifiers;
            self.pass(vec![Event::PointerMoved(from)]);
            self.button_of(button, from, true, modifiers);
            for i in 1..=6 {
                let p = from + (to - from) * (i as f32 / 6.0);
                self.pass(vec![Event::PointerMoved(p)]);
            }
            self.button_of(button, to, false, modifiers);
            self.modifiers = Modifiers::NONE;
            self.pass(Vec::new());
        }
    }

    /// Two cubes side by side (x = ±3).
    fn two_cubes() -> (Scene, NodeId, NodeId) {
        let mut scene = Scene::new("cubes");
        let mesh = scene.add_mesh(crate::generate::shapes::cube(2.0));
        let material = scene.add_material(Material::default());
        let mut add = |name: &str, x: f32| {
            scene.add_node(
                None,
                name,
                Transform::from_translation(Vec3::new(x, 0.0, 0.0)),
                NodeKind::Mesh { mesh, material },
            )
        };
        let (left, right) = (add("Left", -3.0), add("Right", 3.0));
        (scene, left, right)
    }

    #[test]
    fn a_click_picks_a_drag_orbits_and_empty_space_clears() {
        let (scene, left, right) = two_cubes();
        let mut d = Driver::new(scene);
        assert!(d.viewport.width() > 100.0, "viewport at {:?}", d.viewport);
        let at_left = d.screen_of(Vec3::new(-3.0, 0.0, 0.0));
        let at_right = d.screen_of(Vec3::new(3.0, 0.0, 0.0));
        d.click(at_left, Modifiers::NONE);
        assert_eq!(d.editor.selection, vec![left]);
        d.click(at_right, Modifiers::SHIFT);
        assert_eq!(d.editor.selection, vec![left, right], "Shift adds");
        d.click(at_left, Modifiers::COMMAND);
        assert_eq!(d.editor.selection, vec![right], "Ctrl toggles");
        // A drag that starts on a cube orbits and keeps the selection.
        let camera = d.editor.camera;
        d.drag(at_left, at_left + egui::vec2(120.0, 30.0), Modifiers::NONE);
        assert_ne!(d.editor.camera, camera, "the drag orbits");
        assert_eq!(d.editor.selection, vec![right]);
        // Empty space (a corner of the viewport, far from both cubes) clears.
        let corner = d.viewport.left_top() + egui::vec2(40.0, 60.0);
        d.click(corner, Modifiers::NONE);
        assert!(d.editor.selection.is_empty());
    }

    #[test]
    fn number_keys_align_the_view_orthographic_where_clicks_still_pick_until_it_orbits() {
        use crate::scene::ViewAxis;
        let (scene, left, right) = two_cubes();
        let mut d = Driver::new(scene);
        assert!(d.editor.view().ortho.is_none(), "perspective at first");
        // As Blender's and Godot's auto perspective: an axis view is orthographic.
        key(&mut d, egui::Key::Num7, Modifiers::NONE);
        assert_eq!(d.editor.camera.aligned_axis(), Some(ViewAxis::Top));
        assert!((d.editor.view().forward() - Vec3::NEG_Y).length() < 1e-5);
        assert!(d.editor.view().ortho.is_some());
        key(&mut d, egui::Key::Num1, Modifiers::COMMAND);
        assert_eq!(d.editor.camera.aligned_axis(), Some(ViewAxis::Back));
        key(&mut d, egui::Key::Num1, Modifiers::NONE);
        assert_eq!(d.editor.camera.aligned_axis(), Some(ViewAxis::Front));
        assert!(d.editor.view().ortho.is_some());
        assert!(
            d.editor
                .camera
                .projection_label()
                .starts_with("Front · Orthographic")
        );
        // Both cubes (x = ±3) are seen as squares, front and back faces on the same pixels,
        // and a click picks each.
        let (at_left, at_right) = (
            d.screen_of(Vec3::new(-3.0, 0.0, 0.0)),
            d.screen_of(Vec3::new(3.0, 0.0, 0.0)),
        );
        let edge = d.screen_of(Vec3::new(-2.0, 0.0, 1.0));
        let far_edge = d.screen_of(Vec3::new(-2.0, 0.0, -1.0));
        assert!(
            (edge.x - far_edge.x).abs() < 0.01,
            "{edge:?} vs {far_edge:?}"
        );
        d.click(at_left, Modifiers::NONE);
        assert_eq!(d.editor.selection, vec![left]);
        d.click(at_right, Modifiers::SHIFT);
        assert_eq!(d.editor.selection, vec![left, right]);
        // A box around the right cube selects it.
        d.drag(
            d.screen_of(Vec3::new(1.5, 1.5, 0.0)),
            d.screen_of(Vec3::new(4.5, -1.5, 0.0)),
            Modifiers::COMMAND,
        );
        assert_eq!(d.editor.selection, vec![right]);
        // Orbiting off the axis returns to perspective.
        d.drag(at_left, at_left + egui::vec2(80.0, 20.0), Modifiers::NONE);
        assert_eq!(d.editor.camera.aligned_axis(), None);
        assert!(d.editor.view().ortho.is_none(), "auto perspective");
        // 5 makes it orthographic for good: it stays so while orbiting; 5 again goes back,
        // the pivot where it was.
        key(&mut d, egui::Key::Num5, Modifiers::NONE);
        assert!(d.editor.view().ortho.is_some());
        d.drag(at_left, at_left + egui::vec2(-60.0, 10.0), Modifiers::NONE);
        assert!(d.editor.view().ortho.is_some(), "chosen with 5: kept");
        let pivot = d.editor.camera.pivot;
        key(&mut d, egui::Key::Num5, Modifiers::NONE);
        assert!(d.editor.view().ortho.is_none());
        assert_eq!(d.editor.camera.pivot, pivot);
        // On an axis view, 5 turns it perspective (Blender's "Right Perspective").
        key(&mut d, egui::Key::Num3, Modifiers::NONE);
        key(&mut d, egui::Key::Num5, Modifiers::NONE);
        assert!(
            d.editor.view().ortho.is_none(),
            "5 turned the axis view perspective"
        );
    }

    #[test]
    fn z_switches_solid_shading_and_shift_z_the_wireframe_leaving_ctrl_z_to_undo() {
        let (scene, _, _) = two_cubes();
        let mut d = Driver::new(scene);
        let overlays = d.editor.overlays;
        assert!(!overlays.solid && !overlays.wireframe);
        key(&mut d, egui::Key::Z, Modifiers::NONE);
        assert!(d.editor.overlays.solid && !d.editor.overlays.wireframe);
        key(&mut d, egui::Key::Z, Modifiers::SHIFT);
        assert!(d.editor.overlays.solid && d.editor.overlays.wireframe);
        // Ctrl+Z and Ctrl+Shift+Z are undo and redo, not these.
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        key(&mut d, egui::Key::Z, Modifiers::COMMAND | Modifiers::SHIFT);
        assert!(d.editor.overlays.solid && d.editor.overlays.wireframe);
        key(&mut d, egui::Key::Z, Modifiers::NONE);
        key(&mut d, egui::Key::Z, Modifiers::SHIFT);
        assert_eq!(d.editor.overlays, overlays);
    }

    fn key(d: &mut Driver, key: egui::Key, modifiers: Modifiers) {
        d.modifiers = modifiers;
        d.pass(vec![Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers,
        }]);
        d.modifiers = Modifiers::NONE;
        d.pass(Vec::new());
    }

    /// The positions of a 10 × 10 grid on the plane z = 0, 0.5 m apart, centred on the origin.
    fn grid_positions() -> Vec<[f32; 3]> {
        (0..100)
            .map(|i| {
                let (col, row) = ((i % 10) as f32, (i / 10) as f32);
                [-2.25 + 0.5 * col, -2.25 + 0.5 * row, 0.0]
            })
            .collect()
    }

    /// A driver on one cloud node "Cloud", selected, seen straight on from +Z 9 m away:
    /// points of `point_size_px`, or (`None`) splats of σ `sigma` m.
    fn cloud_driver(positions: Vec<[f32; 3]>, point_size_px: Option<f32>, sigma: f32) -> Driver {
        cloud_driver_in(Scene::new("cloud"), positions, point_size_px, sigma)
    }

    /// [`cloud_driver`] with the cloud added to `scene`.
    fn cloud_driver_in(
        mut scene: Scene,
        positions: Vec<[f32; 3]>,
        point_size_px: Option<f32>,
        sigma: f32,
    ) -> Driver {
        let kind = cloud_kind(&mut scene, positions, point_size_px, sigma);
        let node = scene.add_node(None, "Cloud", Transform::IDENTITY, kind);
        let mut d = Driver::new(scene);
        d.editor.camera = crate::scene::OrbitCamera {
            pivot: Vec3::ZERO,
            distance: 9.0,
            yaw: 0.0,
            pitch: 0.0,
            ..Default::default()
        };
        d.editor.selection = vec![node];
        d.pass(Vec::new());
        d
    }

    /// A cloud node's kind over a new cloud of `scene` at `positions`: points drawn
    /// `point_size_px` wide, or (`None`) grey opaque splats of σ `sigma` m.
    fn cloud_kind(
        scene: &mut Scene,
        positions: Vec<[f32; 3]>,
        point_size_px: Option<f32>,
        sigma: f32,
    ) -> NodeKind {
        let n = positions.len();
        match point_size_px {
            Some(point_size_px) => NodeKind::Points {
                cloud: scene.add_point_cloud(crate::scene::PointCloud::new(
                    positions,
                    Vec::new(),
                    Vec::new(),
                )),
                point_size_px,
            },
            None => NodeKind::Splats {
                cloud: scene.add_splat_cloud(
                    crate::scene::SplatCloud::new(
                        positions,
                        vec![[0.0, 0.0, 0.0, 1.0]; n],
                        vec![[sigma; 3]; n],
                        vec![1.0; n],
                        vec![[0.5; 3]; n],
                        0,
                        Vec::new(),
                    )
                    .unwrap(),
                ),
            },
        }
    }

    /// Where the point (x, y) of [`cloud_grid`]'s plane shows on the screen.
    fn at(d: &Driver, x: f32, y: f32) -> Pos2 {
        d.screen_of(Vec3::new(x, y, 0.0))
    }

    /// 10 × 10 splats (or 4 px points) on the plane z = 0, 0.5 apart, seen straight on from +Z.
    fn cloud_grid(points: bool) -> Driver {
        cloud_driver(grid_positions(), points.then_some(4.0), 0.05)
    }

    /// `f` on the selection tool's state and the active node's cloud.
    fn on_cloud<R>(
        d: &mut Driver,
        f: impl FnOnce(&mut crate::ui::CloudSelection, crate::ui::CloudRef<'_>) -> R,
    ) -> R {
        let scene = d.editor.shown().clone();
        let (_, cloud) =
            super::super::cloud_select::active_cloud(&scene, &d.editor.selection).unwrap();
        f(&mut d.editor.cloud_tools.select, cloud)
    }

    /// Elements of the active node's cloud, and how many of them are selected.
    fn splats_of(d: &Driver) -> (usize, usize) {
        let scene = d.editor.shown();
        let (_, cloud) =
            super::super::cloud_select::active_cloud(scene, &d.editor.selection).unwrap();
        (cloud.len(), d.editor.cloud_tools.select.count(cloud))
    }

    #[test]
    fn the_splat_tool_selects_by_rectangle_lasso_and_brush_and_deletes() {
        use crate::ui::SelectTool;
        let mut d = cloud_grid(false);
        let node = d.editor.selection[0];
        d.editor.cloud_tools.select.tool = Some(SelectTool::Rect);
        let camera = d.editor.camera;
        // The left half (x < 0): 50.
        d.drag(at(&d, -2.6, 2.6), at(&d, -0.1, -2.6), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 50));
        assert_eq!(d.editor.camera, camera, "the tool's drag does not orbit");
        assert_eq!(d.editor.selection, vec![node], "nor pick nodes");
        // Shift adds the top-right quadrant (25), Ctrl takes the top row away (10).
        d.drag(at(&d, 0.1, 0.1), at(&d, 2.6, 2.6), Modifiers::SHIFT);
        assert_eq!(splats_of(&d).1, 75);
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, 2.0), Modifiers::COMMAND);
        assert_eq!(splats_of(&d).1, 65);
        // A plain drag replaces: a lasso triangle with corners at three grid corners takes
        // the lower-left half (55 splats, the diagonal's 10 inside by a margin).
        d.editor.cloud_tools.select.tool = Some(SelectTool::Lasso);
        let lasso = [at(&d, -2.6, 2.7), at(&d, -2.6, -2.6), at(&d, 2.7, -2.6)];
        d.modifiers = Modifiers::NONE;
        d.pass(vec![Event::PointerMoved(lasso[0])]);
        d.button(lasso[0], true, Modifiers::NONE);
        for w in lasso.windows(2) {
            for i in 1..=6 {
                d.pass(vec![Event::PointerMoved(
                    w[0] + (w[1] - w[0]) * (i as f32 / 6.0),
                )]);
            }
        }
        d.button(lasso[2], false, Modifiers::NONE);
        d.pass(Vec::new());
        assert_eq!(splats_of(&d).1, 55);
        // Ctrl+brush along the bottom row takes its 10 away.
        d.editor.cloud_tools.select.tool = Some(SelectTool::Brush);
        d.editor.cloud_tools.select.brush_radius = 5.0;
        d.drag(at(&d, -2.6, -2.25), at(&d, 2.6, -2.25), Modifiers::COMMAND);
        assert_eq!(splats_of(&d).1, 45);
        // Del removes the selected splats (one undo step); the node stays.
        key(&mut d, egui::Key::Delete, Modifiers::NONE);
        assert_eq!(splats_of(&d), (55, 0));
        assert_eq!(d.editor.selection, vec![node]);
        assert!(d.editor.shown().node(node).is_some());
        // Undo brings the splats back, and their selection with them.
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        assert_eq!(splats_of(&d), (100, 45));
        // Alt+drag orbits with the tool on; Esc ends the tool.
        d.drag(at(&d, 0.0, 0.0), at(&d, 1.0, 0.5), Modifiers::ALT);
        assert_ne!(d.editor.camera, camera, "Alt+drag orbits");
        assert_eq!(splats_of(&d).1, 45);
        // A selects all, Alt+A none (the node stays selected), L picks the lasso.
        key(&mut d, egui::Key::A, Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 100));
        key(&mut d, egui::Key::A, Modifiers::ALT);
        assert_eq!(splats_of(&d), (100, 0));
        assert_eq!(d.editor.selection, vec![node]);
        key(&mut d, egui::Key::L, Modifiers::NONE);
        assert_eq!(d.editor.cloud_tools.select.tool, Some(SelectTool::Lasso));
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, -2.6), Modifiers::NONE);
        assert_eq!(splats_of(&d).1, 0, "a straight lasso encloses nothing");
        key(&mut d, egui::Key::R, Modifiers::NONE);
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, -2.6), Modifiers::NONE);
        assert_eq!(splats_of(&d).1, 100);
        // While the tool is on, its node is tinted, not outlined.
        assert!(d.editor.outlined().is_empty());
        assert!(d.editor.cloud_highlight().is_some_and(|h| h.node == node));
        key(&mut d, egui::Key::Escape, Modifiers::NONE);
        assert_eq!(d.editor.cloud_tools.select.tool, None);
        assert_eq!(d.editor.selection, vec![node], "Esc ends the tool only");
        assert_eq!(d.editor.outlined(), vec![node]);
        assert!(d.editor.cloud_highlight().is_none());
    }

    #[test]
    fn ctrl_z_takes_back_selection_changes_in_turn_with_edits() {
        let mut d = cloud_grid(false);
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        let undo = |d: &mut Driver| key(d, egui::Key::Z, Modifiers::COMMAND);
        let redo = |d: &mut Driver| key(d, egui::Key::Z, Modifiers::COMMAND | Modifiers::SHIFT);
        // Left half (50), then Shift adds the top-right quadrant (25).
        d.drag(at(&d, -2.6, 2.6), at(&d, -0.1, -2.6), Modifiers::NONE);
        d.drag(at(&d, 0.1, 0.1), at(&d, 2.6, 2.6), Modifiers::SHIFT);
        assert_eq!(splats_of(&d), (100, 75));
        assert_eq!(
            d.editor.undo_redo_labels(),
            [Some("selection".to_owned()), None]
        );
        undo(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        undo(&mut d);
        assert_eq!(splats_of(&d), (100, 0));
        redo(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        // A brush stroke is one step however many frames it paints.
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Brush);
        d.editor.cloud_tools.select.brush_radius = 5.0;
        d.drag(at(&d, 0.25, -2.25), at(&d, 2.6, -2.25), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 55));
        undo(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        // Del is an edit after the changes: Ctrl+Z takes it back first, then the change.
        key(&mut d, egui::Key::Delete, Modifiers::NONE);
        assert_eq!(splats_of(&d), (50, 0));
        assert!(d.editor.undo_redo_labels()[0].as_deref() != Some("selection"));
        undo(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        undo(&mut d);
        assert_eq!(splats_of(&d), (100, 0));
        // With the tool off, Ctrl+Z is the edits' alone.
        redo(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        key(&mut d, egui::Key::Escape, Modifiers::NONE);
        assert_eq!(d.editor.undo_redo_labels()[0], None);
    }

    #[test]
    fn a_click_takes_the_splat_or_point_under_the_cursor() {
        for points in [false, true] {
            let mut d = cloud_grid(points);
            d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
            // The inspector widens for the tool's hint: let the viewport settle.
            d.pass(Vec::new());
            d.pass(Vec::new());
            let selected = |d: &Driver| {
                let scene = d.editor.shown();
                let (_, cloud) =
                    super::super::cloud_select::active_cloud(scene, &d.editor.selection).unwrap();
                d.editor
                    .cloud_tools
                    .select
                    .selected(cloud)
                    .map(|m| (0..100).filter(|&i| m.get(i)).collect::<Vec<_>>())
                    .unwrap_or_default()
            };
            // (0.25, 0.25) is element 55 (column 5, row 5); (-2.25, 2.25) is 90.
            d.click(at(&d, 0.25, 0.25), Modifiers::NONE);
            assert_eq!(selected(&d), vec![55]);
            d.click(at(&d, -2.25, 2.25), Modifiers::SHIFT);
            assert_eq!(selected(&d), vec![55, 90]);
            d.click(at(&d, 0.25, 0.25), Modifiers::COMMAND);
            assert_eq!(selected(&d), vec![90]);
            // Between elements, a plain click clears.
            d.click(at(&d, 0.0, 0.0), Modifiers::NONE);
            assert_eq!(selected(&d), Vec::<usize>::new());
            // A hidden element is never taken.
            d.click(at(&d, 0.25, 0.25), Modifiers::NONE);
            key(&mut d, egui::Key::H, Modifiers::NONE);
            d.click(at(&d, 0.25, 0.25), Modifiers::NONE);
            assert_eq!(selected(&d), Vec::<usize>::new());
            d.click(at(&d, 0.75, 0.25), Modifiers::NONE);
            assert_eq!(selected(&d), vec![56]);
        }
    }

    /// Hidden elements of the active node's cloud.
    fn hidden_of(d: &mut Driver) -> usize {
        on_cloud(d, |s, cloud| s.hidden_count(cloud))
    }

    #[test]
    fn hidden_splats_cannot_be_selected_and_stay_through_edits() {
        let mut d = cloud_grid(false);
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        let all = |d: &mut Driver| key(d, egui::Key::A, Modifiers::NONE);
        // Hide the left half (H): 50 hidden, none selected; A then takes the other 50 only.
        d.drag(at(&d, -2.6, 2.6), at(&d, -0.1, -2.6), Modifiers::NONE);
        key(&mut d, egui::Key::H, Modifiers::NONE);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((100, 0), 50));
        assert!(
            d.editor
                .cloud_highlight()
                .is_some_and(|h| h.hidden.is_some())
        );
        all(&mut d);
        assert_eq!(splats_of(&d), (100, 50));
        // A rectangle over everything selects the shown ones only.
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, -2.6), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 50));
        // Del removes the selected; the hidden stay hidden on the cloud that is left.
        key(&mut d, egui::Key::Delete, Modifiers::NONE);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((50, 0), 50));
        // Alt+H reveals them, selected; Ctrl+Z hides them again, then brings the 50 back.
        key(&mut d, egui::Key::H, Modifiers::ALT);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((50, 50), 0));
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((50, 0), 50));
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((100, 50), 50));
        // Keep only keeps the hidden ones too: the top row's right half (5) and the 50.
        d.drag(at(&d, 0.1, 2.6), at(&d, 2.6, 2.0), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 5));
        let node = d.editor.selection[0];
        let shown = d.editor.shown();
        let cloud = super::super::cloud_select::node_cloud(shown, node).unwrap();
        let mask = d
            .editor
            .cloud_tools
            .select
            .edit_mask(cloud, crate::edit::ops::RegionAction::Crop)
            .unwrap();
        d.editor.apply(crate::ui::UiAction::Operation(
            crate::edit::ops::Operation::CloudSelected {
                node,
                selected: mask,
                action: crate::edit::ops::RegionAction::Crop,
            },
        ));
        assert_eq!((splats_of(&d).0, hidden_of(&mut d)), (55, 50));
        // Shift+H hides the others: select one, hide the rest (4 shown ones).
        all(&mut d);
        assert_eq!(splats_of(&d), (55, 5));
        key(&mut d, egui::Key::H, Modifiers::SHIFT);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((55, 5), 50));
        d.drag(at(&d, 2.0, 2.6), at(&d, 2.6, 2.0), Modifiers::NONE);
        assert_eq!(splats_of(&d), (55, 1));
        key(&mut d, egui::Key::H, Modifiers::SHIFT);
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((55, 1), 54));
        // Off with the tool, nothing is hidden in the viewport.
        key(&mut d, egui::Key::Escape, Modifiers::NONE);
        assert!(d.editor.cloud_highlight().is_none());
    }

    /// Locked elements of the active node's cloud.
    fn locked_of(d: &mut Driver) -> usize {
        on_cloud(d, |s, cloud| s.locked_count(cloud))
    }

    #[test]
    fn locked_splats_stay_drawn_but_cannot_be_selected_or_edited() {
        let mut d = cloud_grid(false);
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        // Lock the left half (Shift+L): 50 locked, none selected, none hidden (still drawn);
        // the tool stays the rectangle (a plain L would pick the lasso).
        d.drag(at(&d, -2.6, 2.6), at(&d, -0.1, -2.6), Modifiers::NONE);
        key(&mut d, egui::Key::L, Modifiers::SHIFT);
        assert_eq!(locked_of(&mut d), 50);
        assert_eq!(
            d.editor.cloud_tools.select.tool,
            Some(crate::ui::SelectTool::Rect)
        );
        assert_eq!((splats_of(&d), hidden_of(&mut d)), ((100, 0), 0));
        // Nothing tinted or culled; the locked ones are drawn greyed out.
        let h = d.editor.cloud_highlight().expect("the locked ones greyed");
        assert!(h.selected.is_none() && h.hidden.is_none());
        assert_eq!(h.locked.map(|m| m.count()), Some(50));
        // A, a rectangle over all, a click on a locked one: only the 50 unlocked are taken.
        key(&mut d, egui::Key::A, Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 50));
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, -2.6), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 50));
        d.click(at(&d, -2.25, -2.25), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 0));
        d.drag(at(&d, -2.6, 2.6), at(&d, 2.6, -2.6), Modifiers::SHIFT);
        assert_eq!(splats_of(&d), (100, 50), "Shift adds the unlocked only");
        // Del removes the 50 selected; the locked stay locked on the cloud that is left.
        key(&mut d, egui::Key::Delete, Modifiers::NONE);
        assert_eq!((splats_of(&d), locked_of(&mut d)), ((50, 0), 50));
        // Hide others hides the locked too; Reveal shows them, still locked, not selected.
        key(&mut d, egui::Key::H, Modifiers::SHIFT);
        assert_eq!(hidden_of(&mut d), 50);
        key(&mut d, egui::Key::H, Modifiers::ALT);
        assert_eq!(
            (splats_of(&d), hidden_of(&mut d), locked_of(&mut d)),
            ((50, 0), 0, 50)
        );
        // Ctrl+Z takes the reveal back; Unlock makes them selectable again.
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        assert_eq!(hidden_of(&mut d), 50);
        key(&mut d, egui::Key::H, Modifiers::ALT);
        key(&mut d, egui::Key::L, Modifiers::ALT);
        assert_eq!(locked_of(&mut d), 0);
        assert_eq!(
            d.editor.cloud_tools.select.tool,
            Some(crate::ui::SelectTool::Rect)
        );
        key(&mut d, egui::Key::A, Modifiers::NONE);
        assert_eq!(splats_of(&d), (50, 50));
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        assert_eq!(
            (splats_of(&d), locked_of(&mut d)),
            ((50, 0), 50),
            "unlock undone"
        );
    }

    #[test]
    fn region_edits_keep_hidden_splats_hidden() {
        use crate::edit::ops::{Operation, Region, RegionAction};
        let mut d = cloud_grid(false);
        let node = d.editor.selection[0];
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        d.drag(at(&d, -2.6, 2.6), at(&d, -0.1, -2.6), Modifiers::NONE);
        key(&mut d, egui::Key::H, Modifiers::NONE);
        assert_eq!(hidden_of(&mut d), 50);
        let region = |center: Vec3, half_size: Vec3| Region::Box { center, half_size };
        // Delete the right half with the region tool: the hidden left half stays hidden.
        d.editor
            .apply(crate::ui::UiAction::Operation(Operation::SplatRegion {
                node,
                region: region(Vec3::new(1.25, 0.0, 0.0), Vec3::new(1.3, 3.0, 1.0)),
                action: RegionAction::Delete,
            }));
        assert_eq!((splats_of(&d).0, hidden_of(&mut d)), (50, 50));
        key(&mut d, egui::Key::Z, Modifiers::COMMAND);
        // Crop to the top-left quadrant (25, all hidden): they stay hidden.
        d.editor
            .apply(crate::ui::UiAction::Operation(Operation::SplatRegion {
                node,
                region: region(Vec3::new(-1.25, 1.25, 0.0), Vec3::new(1.3, 1.3, 1.0)),
                action: RegionAction::Crop,
            }));
        assert_eq!((splats_of(&d).0, hidden_of(&mut d)), (25, 25));
    }

    /// Positions of the active node's cloud.
    fn positions_of(d: &Driver) -> Vec<[f32; 3]> {
        let scene = d.editor.shown();
        let (_, cloud) =
            super::super::cloud_select::active_cloud(scene, &d.editor.selection).unwrap();
        cloud.positions().to_vec()
    }

    #[test]
    fn the_gizmo_moves_the_selected_splats_as_one_undo_step() {
        for points in [false, true] {
            let mut d = cloud_grid(points);
            let node = d.editor.selection[0];
            let before = positions_of(&d);
            d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
            // The right column (x = 2.25): 10, centred at (2.25, 0, 0).
            d.drag(at(&d, 2.0, 2.6), at(&d, 2.6, -2.6), Modifiers::NONE);
            assert_eq!(splats_of(&d), (100, 10));
            let camera = d.editor.camera;
            // Grab the X arrow 55 points right of the centre and drag it 100 points on.
            let handle = at(&d, 2.25, 0.0) + egui::vec2(55.0, 0.0);
            let to = handle + egui::vec2(100.0, 0.0);
            d.pass(vec![Event::PointerMoved(handle)]);
            d.button(handle, true, Modifiers::NONE);
            for i in 1..=6 {
                d.pass(vec![Event::PointerMoved(
                    handle + (to - handle) * (i as f32 / 6.0),
                )]);
            }
            // While the drag goes on, the splats only show moved: the cloud is as it was.
            let shown = d.editor.cloud_highlight().expect("tinted").moved;
            assert!(shown.w_axis.x > 0.5, "shown moved by {shown}");
            assert_eq!(positions_of(&d), before);
            assert_eq!(d.editor.history.undo_len(), 0);
            d.button(to, false, Modifiers::NONE);
            d.pass(Vec::new());
            d.pass(Vec::new());
            assert_eq!(d.editor.camera, camera, "the drag does not orbit");
            let after = positions_of(&d);
            let dx = after[9][0] - before[9][0];
            assert!(dx > 0.5, "the selected splats moved right by {dx}");
            assert!(
                (dx - shown.w_axis.x).abs() < 0.05,
                "{dx} after, {shown} shown"
            );
            for (i, (a, b)) in after.iter().zip(&before).enumerate() {
                if i % 10 == 9 {
                    assert!((a[0] - b[0] - dx).abs() < 1e-5 && a[1] == b[1] && a[2] == b[2]);
                } else {
                    assert_eq!(a, b, "element {i} is not selected and stays");
                }
            }
            let noun = if points { "points" } else { "splats" };
            assert_eq!(d.editor.history.undo_len(), 1, "one drag, one step");
            assert_eq!(
                d.editor.history.undo_label(),
                Some(format!("Move 10 {noun} of Cloud").as_str())
            );
            // They stay selected (and shown where they are: nothing is dragged now).
            assert_eq!(splats_of(&d), (100, 10));
            let h = d.editor.cloud_highlight().expect("tinted");
            assert_eq!(h.moved, glam::Mat4::IDENTITY);
            assert_eq!(d.editor.selection, vec![node]);
            // Undo puts them back, still selected.
            key(&mut d, egui::Key::Z, Modifiers::COMMAND);
            assert_eq!(positions_of(&d), before);
            assert_eq!(splats_of(&d), (100, 10));
            // With the gizmo hidden (Q) the same drag selects instead.
            key(&mut d, egui::Key::Q, Modifiers::NONE);
            d.drag(handle, to, Modifiers::NONE);
            assert_eq!(positions_of(&d), before);
            assert_eq!(d.editor.history.undo_len(), 0);
        }
    }

    #[test]
    fn the_selection_tool_works_on_point_clouds_too() {
        let mut d = cloud_grid(true);
        let node = d.editor.selection[0];
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        // The bottom three rows: 30.
        d.drag(at(&d, -2.6, -2.6), at(&d, 2.6, -0.9), Modifiers::NONE);
        assert_eq!(splats_of(&d), (100, 30));
        key(&mut d, egui::Key::X, Modifiers::NONE);
        assert_eq!(splats_of(&d), (70, 0));
        assert_eq!(d.editor.selection, vec![node]);
        assert!(matches!(
            d.editor.shown().node(node).unwrap().kind,
            NodeKind::Points { point_size_px, .. } if point_size_px == 4.0
        ));
    }

    /// A 10 × 10 grid of splats (σ 0.3 m) or points (`point_size_px`) on z = 0, 0.5 m apart,
    /// and two more 2 m behind it: 100 behind the middle of the grid, between four of its
    /// elements, and 101 off to its right ([`ELEMENT_101`]). Seen straight on from +Z, the
    /// rectangle tool on.
    fn layered_cloud(point_size_px: Option<f32>) -> Driver {
        layered_cloud_in(Scene::new("cloud"), point_size_px)
    }

    /// Where element 101 of [`layered_cloud`] lies: 3.5 m right, 2 m further away than the
    /// grid's plane.
    const ELEMENT_101: Vec3 = Vec3::new(3.5, 0.0, -2.0);

    /// [`layered_cloud`] with the cloud added to `scene`.
    fn layered_cloud_in(scene: Scene, point_size_px: Option<f32>) -> Driver {
        let mut positions = grid_positions();
        positions.extend([[0.0, 0.0, -2.0], ELEMENT_101.to_array()]);
        let mut d = cloud_driver_in(scene, positions, point_size_px, 0.3);
        d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Rect);
        d.pass(Vec::new());
        d.pass(Vec::new());
        d
    }

    /// The selected elements of [`layered_cloud`]'s 102 (the active node's cloud).
    fn selected_of_layered(d: &Driver) -> Vec<usize> {
        let scene = d.editor.shown();
        let (_, cloud) =
            super::super::cloud_select::active_cloud(scene, &d.editor.selection).unwrap();
        d.editor
            .cloud_tools
            .select
            .selected(cloud)
            .map(|m| (0..102).filter(|&i| m.get(i)).collect::<Vec<_>>())
            .unwrap_or_default()
    }

    #[test]
    fn with_xray_off_a_shape_takes_only_what_is_in_front() {
        // Splats wide enough to close the grid's gaps hide 100; so do points drawn 60 px wide
        // (the grid's elements are ~35 px apart on screen), not points drawn 4 px wide.
        for (point_size_px, hidden_behind) in [(None, true), (Some(60.0), true), (Some(4.0), false)]
        {
            let mut d = layered_cloud(point_size_px);
            let what = format!("{point_size_px:?}");
            let selected = selected_of_layered;
            let (from, to) = (at(&d, -2.8, 2.8), at(&d, 4.2, -2.8));
            // X-ray (the default) selects through: all 102.
            assert!(d.editor.cloud_tools.select.xray);
            d.drag(from, to, Modifiers::NONE);
            assert_eq!(selected(&d).len(), 102, "{what}");
            // Alt+Z: only what is in front.
            key(&mut d, egui::Key::Z, Modifiers::ALT);
            assert!(!d.editor.cloud_tools.select.xray, "{what}");
            // View ▸ X-ray is the tool's while it is on; the boxes' own stays off.
            assert!(!d.editor.overlays.xray && !d.editor.xray(), "{what}");
            d.editor.apply(crate::ui::UiAction::ToggleXray);
            assert!(d.editor.cloud_tools.select.xray, "{what}");
            assert!(!d.editor.overlays.xray, "{what}");
            // The viewport label tells whether the meshes are drawn see-through, the tool on
            // or not (its own X-ray is in its mode label).
            assert!(!d.editor.view_label().contains("X-ray"), "{what}");
            d.editor.overlays.xray = true;
            assert!(d.editor.view_label().ends_with(" · X-ray"), "{what}");
            assert!(
                d.editor.xray(),
                "{what}: the tool's X-ray is the menu's still"
            );
            d.editor.overlays.xray = false;
            d.editor.apply(crate::ui::UiAction::ToggleXray);
            d.drag(from, to, Modifiers::NONE);
            let front = selected(&d);
            assert!((0..100).all(|i| front.contains(&i)), "{what}: {front:?}");
            assert!(front.contains(&101), "{what}: nothing in front of 101");
            assert_eq!(front.contains(&100), !hidden_behind, "{what}: {front:?}");
            // The brush too: a dab in the middle takes the four around the centre (and 100
            // where it shows), with nothing selected before.
            key(&mut d, egui::Key::A, Modifiers::ALT);
            d.editor.cloud_tools.select.tool = Some(crate::ui::SelectTool::Brush);
            d.editor.cloud_tools.select.brush_radius = 4.0;
            d.click(at(&d, 0.0, 0.0), Modifiers::NONE);
            let dab = selected(&d);
            assert_eq!(dab.contains(&100), !hidden_behind, "{what}: {dab:?}");
            assert!(
                dab.iter().all(|&i| [44, 45, 54, 55, 100].contains(&i)),
                "{what}: {dab:?}"
            );
            assert_eq!(dab.len() == 4, hidden_behind, "{what}: {dab:?}");
        }
    }

    #[test]
    fn with_xray_off_an_opaque_mesh_in_front_hides_what_is_behind_it() {
        // 4 px points (the grid hides nothing), and an opaque 1 m wall at z = −1 in front of
        // 101 (3.5 m right, 2 m behind the grid).
        let mut scene = Scene::new("cloud behind a wall");
        let mesh = scene.add_mesh(crate::generate::shapes::plane(glam::Vec2::splat(1.0), 1));
        let material = scene.add_material(Material::named("Wall", [0.5; 4], 0.5));
        let wall = scene.add_node(
            None,
            "Wall",
            Transform::from_translation(Vec3::new(3.5, 0.0, -1.0))
                .with_rotation(glam::Quat::from_rotation_x(std::f32::consts::FRAC_PI_2)),
            NodeKind::Mesh { mesh, material },
        );
        let mut d = layered_cloud_in(scene, Some(4.0));
        let behind_wall = |d: &Driver| d.screen_of(ELEMENT_101);
        let selected = selected_of_layered;
        let (from, to) = (at(&d, -2.8, 2.8), at(&d, 4.2, -2.8));
        // X-ray on: the rectangle and a click take 101 through the wall.
        d.drag(from, to, Modifiers::NONE);
        assert_eq!(selected(&d).len(), 102);
        d.click(behind_wall(&d), Modifiers::NONE);
        assert_eq!(selected(&d), vec![101]);
        // X-ray off: neither does; everything else is taken.
        key(&mut d, egui::Key::Z, Modifiers::ALT);
        d.drag(from, to, Modifiers::NONE);
        assert_eq!(selected(&d), (0..101).collect::<Vec<_>>());
        d.click(behind_wall(&d), Modifiers::NONE);
        assert!(selected(&d).is_empty());
        // Hiding elements remakes the cloud's surface, not the meshes' depth: one raster.
        let rasters = d.editor.select_stroke.occluder_rasters();
        assert!(rasters >= 1);
        d.drag(at(&d, -2.8, 2.8), at(&d, -0.1, -2.8), Modifiers::NONE);
        key(&mut d, egui::Key::H, Modifiers::NONE);
        d.drag(from, to, Modifiers::NONE);
        let other_half: Vec<usize> = (0..100).filter(|i| i % 10 >= 5).chain([100]).collect();
        assert_eq!(selected(&d), other_half, "101 still behind the wall");
        assert_eq!(d.editor.select_stroke.occluder_rasters(), rasters);
        key(&mut d, egui::Key::H, Modifiers::ALT);
        d.drag(from, to, Modifiers::NONE);
        assert_eq!(selected(&d), (0..101).collect::<Vec<_>>());
        // The wall hidden, 101 shows again.
        d.editor.apply(crate::ui::UiAction::Edit(
            crate::edit::Command::SetVisible {
                node: wall,
                visible: false,
            },
        ));
        d.pass(Vec::new());
        d.click(behind_wall(&d), Modifiers::NONE);
        assert_eq!(selected(&d), vec![101]);
        d.drag(from, to, Modifiers::NONE);
        assert_eq!(selected(&d).len(), 102);
    }

    #[test]
    fn with_xray_off_another_cloud_in_front_hides_what_is_behind_it() {
        // 4 px points (the grid hides nothing), and in front of 101 (3.5 m right, 2 m behind
        // the grid) a second node's dense patch at z = −1: points drawn 30 px wide, or
        // splats of σ 0.1 m.
        let patch: Vec<[f32; 3]> = (0..49)
            .map(|i| {
                let (col, row) = ((i % 7) as f32, (i / 7) as f32);
                [3.2 + 0.1 * col, -0.3 + 0.1 * row, -1.0]
            })
            .collect();
        for splats in [false, true] {
            let what = if splats { "splats" } else { "points" };
            let mut scene = Scene::new("cloud behind a cloud");
            let size = (!splats).then_some(30.0);
            let kind = cloud_kind(&mut scene, patch.clone(), size, 0.1);
            let screen = scene.add_node(None, "Screen", Transform::IDENTITY, kind);
            let mut d = layered_cloud_in(scene, Some(4.0));
            let behind_screen = |d: &Driver| d.screen_of(ELEMENT_101);
            let selected = selected_of_layered;
            let (from, to) = (at(&d, -2.8, 2.8), at(&d, 4.2, -2.8));
            // X-ray on: the rectangle and a click take 101 through the other cloud.
            d.drag(from, to, Modifiers::NONE);
            assert_eq!(selected(&d).len(), 102, "{what}");
            d.click(behind_screen(&d), Modifiers::NONE);
            assert_eq!(selected(&d), vec![101], "{what}");
            // X-ray off: neither does; everything else is taken.
            key(&mut d, egui::Key::Z, Modifiers::ALT);
            d.drag(from, to, Modifiers::NONE);
            assert_eq!(selected(&d), (0..101).collect::<Vec<_>>(), "{what}");
            d.click(behind_screen(&d), Modifiers::NONE);
            assert!(selected(&d).is_empty(), "{what}");
            // The other cloud hidden, 101 shows again.
            d.editor.apply(crate::ui::UiAction::Edit(
                crate::edit::Command::SetVisible {
                    node: screen,
                    visible: false,
                },
            ));
            d.pass(Vec::new());
            d.click(behind_screen(&d), Modifiers::NONE);
            assert_eq!(selected(&d), vec![101], "{what}");
            d.drag(from, to, Modifiers::NONE);
            assert_eq!(selected(&d).len(), 102, "{what}");
        }
    }

    #[test]
    fn without_xray_a_box_takes_only_what_is_seen_and_alt_z_sees_through() {
        let mut scene = Scene::new("walled");
        let material = scene.add_material(Material::default());
        let big = scene.add_mesh(crate::generate::shapes::cube(4.0));
        let small = scene.add_mesh(crate::generate::shapes::cube(1.0));
        let mut add = |name: &str, mesh, at: Vec3| {
            scene.add_node(
                None,
                name,
                Transform::from_translation(at),
                NodeKind::Mesh { mesh, material },
            )
        };
        let wall = add("Wall", big, Vec3::new(0.0, 0.0, 3.0));
        let behind = add("Behind", small, Vec3::new(0.0, 0.0, -2.0));
        let mut d = Driver::new(scene);
        // The front view (from +Z): the small cube lies right behind the big one.
        key(&mut d, egui::Key::Num1, Modifiers::NONE);
        let overlays = d.editor.overlays;
        let corners = (
            d.screen_of(Vec3::new(-1.5, 1.5, 5.0)),
            d.screen_of(Vec3::new(1.5, -1.5, 5.0)),
        );
        assert!(
            !d.editor.overlays.xray,
            "X-ray is off at first, as in Blender"
        );
        d.drag(corners.0, corners.1, Modifiers::COMMAND);
        assert_eq!(d.editor.selection, vec![wall]);
        // Alt+Z: X-ray, the box takes what is behind too (and the meshes are drawn
        // see-through); Z's shading and the other overlays are left alone.
        assert!(!d.editor.view_label().contains("X-ray"));
        key(&mut d, egui::Key::Z, Modifiers::ALT);
        assert!(d.editor.overlays.xray);
        assert_eq!(
            d.editor.overlays,
            crate::render::Overlays {
                xray: true,
                ..overlays
            }
        );
        let label = d.editor.view_label();
        assert!(
            label.starts_with("Front · Orthographic") && label.ends_with(" · X-ray"),
            "{label}"
        );
        d.drag(corners.0, corners.1, Modifiers::COMMAND);
        assert_eq!(d.editor.selection, vec![wall, behind]);
        key(&mut d, egui::Key::Z, Modifiers::ALT);
        assert!(!d.editor.overlays.xray);
        d.drag(corners.0, corners.1, Modifiers::COMMAND);
        assert_eq!(d.editor.selection, vec![wall]);
    }

    #[test]
    fn ctrl_drag_and_b_drag_select_what_is_inside_the_box() {
        let (scene, left, right) = two_cubes();
        let mut d = Driver::new(scene);
        let camera = d.editor.camera;
        let a = d.screen_of(Vec3::new(-3.0, 0.0, 0.0));
        let b = d.screen_of(Vec3::new(3.0, 0.0, 0.0));
        let around_left = (a - egui::vec2(60.0, 60.0), a + egui::vec2(60.0, 60.0));
        d.drag(around_left.0, around_left.1, Modifiers::COMMAND);
        assert_eq!(d.editor.selection, vec![left]);
        assert_eq!(d.editor.camera, camera, "a box drag does not orbit");
        // B, then a plain drag around both.
        d.pass(vec![Event::Key {
            key: egui::Key::B,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: Modifiers::NONE,
        }]);
        assert!(d.editor.select.armed());
        let all = (
            a.min(b) - egui::vec2(80.0, 80.0),
            a.max(b) + egui::vec2(80.0, 80.0),
        );
        d.drag(all.0, all.1, Modifiers::NONE);
        assert_eq!(d.editor.selection, vec![left, right]);
        assert_eq!(d.editor.camera, camera);
        assert!(!d.editor.select.armed());
        // Alt at release takes what the box holds away; Shift adds it back.
        let around_right = (b - egui::vec2(60.0, 60.0), b + egui::vec2(60.0, 60.0));
        d.drag(
            around_left.0,
            around_left.1,
            Modifiers::COMMAND | Modifiers::ALT,
        );
        assert_eq!(d.editor.selection, vec![right], "Alt takes away");
        assert_eq!(d.editor.camera, camera, "Alt does not orbit while boxing");
        d.drag(
            around_left.0,
            around_left.1,
            Modifiers::COMMAND | Modifiers::SHIFT,
        );
        assert_eq!(d.editor.selection, vec![right, left], "Shift adds");
        // B, then a middle drag (which pans without B) takes away, as in Blender.
        key(&mut d, egui::Key::B, Modifiers::NONE);
        d.drag_with(
            PointerButton::Middle,
            around_right.0,
            around_right.1,
            Modifiers::NONE,
        );
        assert_eq!(d.editor.selection, vec![left], "B + middle drag takes away");
        assert_eq!(d.editor.camera, camera, "the middle drag did not pan");
        // Without B the middle drag pans and leaves the selection.
        d.drag_with(
            PointerButton::Middle,
            around_right.0,
            around_right.1,
            Modifiers::NONE,
        );
        assert_ne!(d.editor.camera, camera, "a plain middle drag pans");
        assert_eq!(d.editor.selection, vec![left]);
        // Alt+A clears.
        d.modifiers = Modifiers::ALT;
        d.pass(vec![Event::Key {
            key: egui::Key::A,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: Modifiers::ALT,
        }]);
        assert!(d.editor.selection.is_empty());
    }
}
