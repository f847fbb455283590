//! Viewport camera controls: turns egui input on the viewport image into [`OrbitCamera`]
//! moves (orbit, pan, zoom, fly) and holds the camera jumps the menus ask for (frame, reset,
//! look through a scene camera).
//!
//! The mappings from buttons, modifiers, keys and wheel units to camera operations are small
//! pure functions so they can be tested without a window.

use crate::scene::{Aabb, NodeId, NodeKind, OrbitCamera, Scene};
use egui::{Key, Modifiers, MouseWheelUnit, PointerButton, Response};
use glam::{Mat4, Vec3};

/// Orbit sensitivity: radians per physical pixel of drag.
pub(crate) const ORBIT_RAD_PER_PX: f32 = 0.006;
/// Fly mouse-look sensitivity: radians per pixel of raw mouse motion.
pub(crate) const LOOK_RAD_PER_PX: f32 = 0.003;
/// Speed multiplier while Shift is held in fly mode.
pub(crate) const FAST_MULTIPLIER: f32 = 4.0;
/// Each wheel step in fly mode multiplies the speed by this.
const SPEED_STEP: f32 = 1.2;
const MIN_FLY_SPEED: f32 = 0.05;
const MAX_FLY_SPEED: f32 = 10_000.0;
/// How long the fly speed stays on screen after it changed.
const SPEED_HINT_SECONDS: f64 = 1.5;
/// Longest time step a single fly frame may integrate, so a stall never teleports the camera.
const MAX_FLY_DT: f32 = 0.25;

/// What a mouse drag does to the camera.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DragOp {
    Orbit,
    Pan,
}

/// Middle drag or Shift + left drag pans; left drag (with or without Alt) orbits.
pub(crate) fn drag_op(primary: bool, middle: bool, modifiers: Modifiers) -> Option<DragOp> {
    if middle || (primary && modifiers.shift) {
        Some(DragOp::Pan)
    } else if primary {
        Some(DragOp::Orbit)
    } else {
        None
    }
}

/// Fly-mode movement keys held this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlyKeys {
    pub forward: bool,
    pub back: bool,
    pub left: bool,
    pub right: bool,
    pub down: bool,
    pub up: bool,
}

impl FlyKeys {
    fn from_input(i: &egui::InputState) -> Self {
        Self {
            forward: i.key_down(Key::W),
            back: i.key_down(Key::S),
            left: i.key_down(Key::A),
            right: i.key_down(Key::D),
            down: i.key_down(Key::Q),
            up: i.key_down(Key::E),
        }
    }
}

/// A fly move direction of at most unit length, split into a part along the view axes
/// (`x` right, `z` back; W/A/S/D) and a part along world up (Q/E), so that rising and sinking
/// stay vertical whatever the camera looks at.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct FlyDirection {
    pub in_view: Vec3,
    pub world_up: f32,
}

pub(crate) fn fly_direction(keys: FlyKeys) -> FlyDirection {
    let axis = |neg: bool, pos: bool| f32::from(u8::from(pos)) - f32::from(u8::from(neg));
    let x = axis(keys.left, keys.right);
    let z = axis(keys.forward, keys.back);
    let y = axis(keys.down, keys.up);
    // Diagonals are not faster than straight moves.
    let len = Vec3::new(x, y, z).length();
    if len == 0.0 {
        return FlyDirection::default();
    }
    FlyDirection {
        in_view: Vec3::new(x, 0.0, z) / len,
        world_up: y / len,
    }
}

/// Wheel movement in zoom steps (one notch of a wheel = one step).
pub(crate) fn wheel_steps(unit: MouseWheelUnit, delta_y: f32) -> f32 {
    match unit {
        MouseWheelUnit::Line => delta_y,
        // Touchpads report points; ~50 points feel like one notch.
        MouseWheelUnit::Point => delta_y / 50.0,
        MouseWheelUnit::Page => delta_y * 10.0,
    }
}

/// The fly speed after `steps` wheel steps (up = faster), kept in a usable range.
pub(crate) fn fly_speed_after(speed: f32, steps: f32) -> f32 {
    let speed = if speed.is_finite() { speed } else { 1.0 };
    (speed * SPEED_STEP.powf(steps)).clamp(MIN_FLY_SPEED, MAX_FLY_SPEED)
}

/// Camera-control state that lives across frames.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ViewportControls {
    flying: bool,
    /// egui time until which the fly speed is shown.
    speed_hint_until: f64,
}

/// Input read once per frame.
struct FrameInput {
    modifiers: Modifiers,
    secondary_down: bool,
    secondary_pressed: bool,
    pointer_delta_px: egui::Vec2,
    motion: Option<egui::Vec2>,
    wheel_steps: f32,
    keys: FlyKeys,
    dt: f32,
    time: f64,
}

impl ViewportControls {
    /// True while the right mouse button holds the camera in fly mode.
    pub fn flying(&self) -> bool {
        self.flying
    }

    /// "Orbit" or "Fly", for the viewport overlay.
    pub fn mode_label(&self) -> &'static str {
        if self.flying { "Fly" } else { "Orbit" }
    }

    /// Whether the fly speed should be on screen at egui time `now`.
    pub fn speed_hint_visible(&self, now: f64) -> bool {
        now < self.speed_hint_until
    }

    /// Applies this frame's input on the viewport image `response` to `camera`.
    /// `keyboard_free` is false while a text field or a modal dialog has the keyboard;
    /// `drags_free` is false while a box selection or a selection stroke owns the pointer's
    /// drag (the left button, or the middle one for a box after `B`).
    /// Returns true if the camera moved.
    pub fn update(
        &mut self,
        camera: &mut OrbitCamera,
        response: &Response,
        keyboard_free: bool,
        drags_free: bool,
    ) -> bool {
        let ctx = response.ctx.clone();
        let pixels_per_point = ctx.pixels_per_point();
        let hovered = response.hovered();
        let input = ctx.input(|i| FrameInput {
            modifiers: i.modifiers,
            secondary_down: i.pointer.button_down(PointerButton::Secondary),
            secondary_pressed: i.pointer.button_pressed(PointerButton::Secondary),
            pointer_delta_px: i.pointer.delta() * pixels_per_point,
            motion: i.pointer.motion(),
            wheel_steps: i
                .events
                .iter()
                .map(|e| match e {
                    egui::Event::MouseWheel { unit, delta, .. } => wheel_steps(*unit, delta.y),
                    _ => 0.0,
                })
                .sum(),
            keys: if keyboard_free {
                FlyKeys::from_input(i)
            } else {
                FlyKeys::default()
            },
            dt: i.stable_dt.clamp(0.0, MAX_FLY_DT),
            time: i.time,
        });

        if !self.flying && hovered && input.secondary_pressed {
            self.flying = true;
        }
        if self.flying && !input.secondary_down {
            self.flying = false;
        }

        let before = *camera;
        if self.flying {
            self.fly(camera, &input);
            ctx.set_cursor_icon(egui::CursorIcon::None);
            // Keys held down send no events: keep frames coming while flying.
            ctx.request_repaint();
        } else {
            // On a slow frame, press, moves and release can all arrive at once: the frame
            // where the drag stops still carries movement, so apply it too.
            let by = |button| response.dragged_by(button) || response.drag_stopped_by(button);
            let primary = drags_free && by(PointerButton::Primary);
            let middle = drags_free && by(PointerButton::Middle);
            if primary || middle {
                let delta_px = input.pointer_delta_px;
                match drag_op(primary, middle, input.modifiers) {
                    Some(DragOp::Orbit) => {
                        camera.orbit(delta_px.x * ORBIT_RAD_PER_PX, delta_px.y * ORBIT_RAD_PER_PX);
                    }
                    Some(DragOp::Pan) => {
                        let height_px = response.rect.height() * pixels_per_point;
                        camera.pan(delta_px.x, delta_px.y, height_px);
                    }
                    None => {}
                }
            }
            if hovered && input.wheel_steps != 0.0 {
                camera.zoom(input.wheel_steps);
            }
        }
        if self.speed_hint_visible(input.time) {
            let left = (self.speed_hint_until - input.time).max(0.0);
            ctx.request_repaint_after(std::time::Duration::from_secs_f64(left));
        }
        *camera != before
    }

    fn fly(&mut self, camera: &mut OrbitCamera, input: &FrameInput) {
        // Raw motion keeps working when the cursor is confined at a window edge.
        let look = input.motion.unwrap_or(input.pointer_delta_px);
        if look != egui::Vec2::ZERO {
            camera.look(look.x * LOOK_RAD_PER_PX, look.y * LOOK_RAD_PER_PX);
        }
        let direction = fly_direction(input.keys);
        let boost = if input.modifiers.shift {
            FAST_MULTIPLIER
        } else {
            1.0
        };
        if direction.in_view != Vec3::ZERO {
            camera.fly(direction.in_view * boost, input.dt);
        }
        if direction.world_up != 0.0 {
            camera.pivot += Vec3::Y * direction.world_up * camera.fly_speed * boost * input.dt;
        }
        if input.wheel_steps != 0.0 {
            camera.fly_speed = fly_speed_after(camera.fly_speed, input.wheel_steps);
            self.speed_hint_until = input.time + SPEED_HINT_SECONDS;
        }
    }
}

/// Puts `camera` at a scene camera's pose: the eye at its position, looking along its -Z,
/// with its vertical field of view. The orbit pivot goes where the view ray passes the
/// middle of `scene_bounds`, so orbiting afterwards turns around what the camera looks at.
/// An orthographic camera's pivot goes where the perspective would show its frame's size.
pub(crate) fn look_through(
    camera: &mut OrbitCamera,
    world_from_view: Mat4,
    through: &crate::scene::Camera,
    scene_bounds: &Aabb,
) {
    let (_, rotation, eye) = world_from_view.to_scale_rotation_translation();
    let forward = (rotation * Vec3::NEG_Z).normalize_or(Vec3::NEG_Z);
    if through.fov_y_rad.is_finite() && through.fov_y_rad > 0.0 {
        camera.fov_y_rad = through.fov_y_rad;
    }
    let ortho = through
        .ortho_half_height
        .filter(|h| h.is_finite() && *h > 0.0);
    let distance = match ortho {
        Some(h) => (h / (camera.fov_y_rad * 0.5).tan()).max(0.05),
        None => pivot_distance(eye, forward, scene_bounds),
    };
    camera.look_from(eye, eye + forward * distance);
    camera.ortho = ortho.is_some();
    camera.ortho_auto = false;
}

/// How far in front of `eye` to put the orbit pivot.
fn pivot_distance(eye: Vec3, forward: Vec3, bounds: &Aabb) -> f32 {
    if bounds.is_empty() {
        return 10.0;
    }
    let along = (bounds.center() - eye).dot(forward);
    if along > 1.0 {
        along
    } else {
        (bounds.size().length() * 0.25).max(1.0)
    }
}

/// Frames `ids` (and their children); nodes without extent (cameras, groups of nothing)
/// are framed by their positions. Returns false if there is nothing to frame.
pub(crate) fn frame_nodes(camera: &mut OrbitCamera, scene: &Scene, ids: &[NodeId]) -> bool {
    let mut bounds = scene.framing_bounds_of(ids);
    if bounds.is_empty() {
        for id in ids {
            if scene.node(*id).is_some() {
                let p = scene.world_from_local(*id).w_axis.truncate();
                bounds = bounds.union(&Aabb {
                    min: p - Vec3::ONE,
                    max: p + Vec3::ONE,
                });
            }
        }
    }
    if bounds.is_empty() {
        return false;
    }
    camera.frame(&bounds);
    true
}

/// Frames everything visible. Returns false for an empty scene.
pub(crate) fn frame_all(camera: &mut OrbitCamera, scene: &Scene) -> bool {
    let bounds = scene.framing_bounds();
    if bounds.is_empty() {
        return false;
    }
    camera.frame(&bounds);
    true
}

/// The scene's main camera: `Cameras/Main` if it exists.
pub(crate) fn main_camera(scene: &Scene) -> Option<NodeId> {
    scene.nodes().find_map(|node| {
        let parent = node.parent.and_then(|p| scene.node(p))?;
        (node.name == "Main"
            && parent.name == "Cameras"
            && matches!(node.kind, NodeKind::Camera(_)))
        .then_some(node.id)
    })
}

/// Looks through the scene camera `id`. Returns false if `id` is not a camera.
pub(crate) fn view_through_camera(camera: &mut OrbitCamera, scene: &Scene, id: NodeId) -> bool {
    let Some(NodeKind::Camera(cam)) = scene.node(id).map(|n| &n.kind) else {
        return false;
    };
    look_through(
        camera,
        scene.world_from_local(id),
        cam,
        &scene.framing_bounds(),
    );
    true
}

/// The view the editor opens with and returns to on Home: through `Cameras/Main` if the
/// scene has one, else framing the whole world.
pub(crate) fn initial_view(scene: &Scene) -> OrbitCamera {
    let mut camera = OrbitCamera::default();
    frame_all(&mut camera, scene);
    if let Some(main) = main_camera(scene) {
        let fly_speed = camera.fly_speed;
        view_through_camera(&mut camera, scene, main);
        camera.fly_speed = fly_speed;
    }
    camera
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{Camera, Transform};
    use glam::Quat;

    #[test]
    fn drag_buttons_and_modifiers_map_to_orbit_and_pan() {
        let none = Modifiers::NONE;
        assert_eq!(drag_op(true, false, none), Some(DragOp::Orbit));
        assert_eq!(drag_op(true, false, Modifiers::ALT), Some(DragOp::Orbit));
        assert_eq!(drag_op(true, false, Modifiers::SHIFT), Some(DragOp::Pan));
        assert_eq!(drag_op(false, true, none), Some(DragOp::Pan));
        assert_eq!(drag_op(false, false, none), None);
    }

    #[test]
    fn fly_keys_map_to_view_axes_and_world_up() {
        let w = FlyKeys {
            forward: true,
            ..Default::default()
        };
        assert_eq!(fly_direction(w).in_view, Vec3::NEG_Z);
        let d = FlyKeys {
            right: true,
            ..Default::default()
        };
        assert_eq!(fly_direction(d).in_view, Vec3::X);
        let e = FlyKeys {
            up: true,
            ..Default::default()
        };
        assert_eq!(fly_direction(e).world_up, 1.0);
        let opposite = FlyKeys {
            forward: true,
            back: true,
            ..Default::default()
        };
        assert_eq!(fly_direction(opposite), FlyDirection::default());
    }

    #[test]
    fn diagonal_fly_is_not_faster() {
        let keys = FlyKeys {
            forward: true,
            right: true,
            up: true,
            ..Default::default()
        };
        let d = fly_direction(keys);
        let len = (d.in_view + Vec3::Y * d.world_up).length();
        assert!((len - 1.0).abs() < 1e-6);
    }

    fn fly_input(dt: f32, shift: bool) -> FrameInput {
        FrameInput {
            modifiers: if shift {
                Modifiers::SHIFT
            } else {
                Modifiers::NONE
            },
            secondary_down: true,
            secondary_pressed: false,
            pointer_delta_px: egui::Vec2::ZERO,
            motion: None,
            wheel_steps: 0.0,
            keys: FlyKeys {
                forward: true,
                ..Default::default()
            },
            dt,
            time: 0.0,
        }
    }

    #[test]
    fn fly_distance_follows_real_time_not_frame_count() {
        // Two frames of 1/60 s move as far as one frame of 1/30 s.
        let mut controls = ViewportControls::default();
        let mut a = OrbitCamera::default();
        let mut b = OrbitCamera::default();
        controls.fly(&mut a, &fly_input(1.0 / 60.0, false));
        controls.fly(&mut a, &fly_input(1.0 / 60.0, false));
        controls.fly(&mut b, &fly_input(1.0 / 30.0, false));
        assert!((a.eye() - b.eye()).length() < 1e-4);
        let moved = (b.eye() - OrbitCamera::default().eye()).length();
        assert!((moved - b.fly_speed / 30.0).abs() < 1e-4);
        // Shift is faster.
        let mut c = OrbitCamera::default();
        controls.fly(&mut c, &fly_input(1.0 / 30.0, true));
        let fast = (c.eye() - OrbitCamera::default().eye()).length();
        assert!((fast - moved * FAST_MULTIPLIER).abs() < 1e-3);
    }

    #[test]
    fn wheel_units_convert_to_steps() {
        assert_eq!(wheel_steps(MouseWheelUnit::Line, 2.0), 2.0);
        assert_eq!(wheel_steps(MouseWheelUnit::Point, 50.0), 1.0);
        assert!(wheel_steps(MouseWheelUnit::Page, -1.0) < -1.0);
    }

    #[test]
    fn fly_speed_changes_by_steps_and_stays_in_range() {
        let faster = fly_speed_after(10.0, 1.0);
        assert!(faster > 10.0);
        assert!((fly_speed_after(faster, -1.0) - 10.0).abs() < 1e-4);
        assert_eq!(fly_speed_after(10.0, -1000.0), MIN_FLY_SPEED);
        assert_eq!(fly_speed_after(10.0, 1000.0), MAX_FLY_SPEED);
        assert_eq!(fly_speed_after(f32::NAN, 0.0), 1.0);
    }

    #[test]
    fn look_through_puts_the_eye_at_the_camera_and_looks_along_its_minus_z() {
        let eye = Vec3::new(20.0, 5.0, 30.0);
        let rotation = Quat::from_rotation_y(0.7) * Quat::from_rotation_x(-0.2);
        let world_from_view = Mat4::from_rotation_translation(rotation, eye);
        let bounds = Aabb {
            min: Vec3::splat(-10.0),
            max: Vec3::splat(10.0),
        };
        let mut camera = OrbitCamera::default();
        let lens = Camera {
            fov_y_rad: 0.6,
            ..Camera::default()
        };
        look_through(&mut camera, world_from_view, &lens, &bounds);
        assert!((camera.eye() - eye).length() < 1e-3);
        let forward = camera.view().forward();
        assert!((forward - rotation * Vec3::NEG_Z).length() < 1e-3);
        assert_eq!(camera.fov_y_rad, 0.6);
        assert!(!camera.ortho);

        // An orthographic camera: the view is orthographic with the camera's frame, and
        // looks the same way; its eye steps back behind the camera's.
        let ortho = Camera {
            ortho_half_height: Some(4.0),
            ..lens
        };
        look_through(&mut camera, world_from_view, &ortho, &bounds);
        let view = camera.view();
        assert!(camera.ortho);
        assert!((view.ortho.expect("orthographic").half_height - 4.0).abs() < 1e-4);
        assert!((view.forward() - rotation * Vec3::NEG_Z).length() < 1e-3);
        assert!(
            (camera.eye() - eye).length() < 1e-3,
            "the pose's eye is the camera's"
        );
        assert!(
            (view.position() - eye).cross(forward).length() < 1e-2,
            "on its axis"
        );
        // Back through a perspective camera: perspective again.
        look_through(&mut camera, world_from_view, &lens, &bounds);
        assert!(!camera.ortho && camera.view().ortho.is_none());
    }

    #[test]
    fn initial_view_prefers_the_main_camera() {
        let mut scene = Scene::new("t");
        let cams = scene.add_node(None, "Cameras", Transform::IDENTITY, NodeKind::Empty);
        let eye = Vec3::new(3.0, 4.0, 5.0);
        let main = scene.add_node(
            Some(cams),
            "Main",
            Transform::looking_at(eye, Vec3::ZERO),
            NodeKind::Camera(Camera::default()),
        );
        assert_eq!(main_camera(&scene), Some(main));
        let view = initial_view(&scene);
        assert!((view.eye() - eye).length() < 1e-3);
    }

    #[test]
    fn framing_an_extentless_node_uses_its_position() {
        let mut scene = Scene::new("t");
        let cam = scene.add_node(
            None,
            "Street",
            Transform::from_translation(Vec3::new(50.0, 0.0, 0.0)),
            NodeKind::Camera(Camera::default()),
        );
        let mut camera = OrbitCamera::default();
        assert!(frame_nodes(&mut camera, &scene, &[cam]));
        assert!((camera.pivot - Vec3::new(50.0, 0.0, 0.0)).length() < 1e-4);
        assert!(!frame_nodes(&mut camera, &scene, &[]));
    }
}
