//! Camera math: the editor's orbit/fly camera and the view a frame is rendered from.

use super::{Aabb, Camera};
use glam::{Mat4, Quat, Vec3};

/// `pixels_per_point` (a display's pixels per UI point, or a reduced-resolution frame's) as
/// the viewport's overlay widths and pick radii both take it, so what is drawn is what is
/// picked: within 0.25–4 (a 4× display at most), and 1 when it is not a number.
pub fn ui_scale(pixels_per_point: f32) -> f32 {
    if pixels_per_point.is_finite() {
        pixels_per_point.clamp(0.25, 4.0)
    } else {
        1.0
    }
}

/// Where a frame is seen from: a rigid `world_from_view` (view looks along -Z, Y up) and a
/// perspective projection (infinite far plane), or an orthographic one when `ortho` is set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CameraView {
    pub world_from_view: Mat4,
    /// The perspective's vertical field of view; unused while `ortho` is set.
    pub fov_y_rad: f32,
    /// View depth of the near plane (metres in front of the eye).
    pub near: f32,
    pub ortho: Option<Ortho>,
}

/// An orthographic projection: every pixel looks along the view's -Z.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ortho {
    /// Half the view's height in metres (glTF's `ymag`); the width follows the aspect.
    pub half_height: f32,
    /// View depth of the far plane (an orthographic view needs one).
    pub far: f32,
}

/// How deep an orthographic camera without a far plane sees, in metres past its near plane.
pub const DEFAULT_ORTHO_DEPTH: f32 = 10_000.0;

impl CameraView {
    /// A perspective view (the common case; tests and tools build views this way).
    pub fn perspective(world_from_view: Mat4, fov_y_rad: f32, near: f32) -> Self {
        Self {
            world_from_view,
            fov_y_rad,
            near,
            ortho: None,
        }
    }

    pub fn from_camera(world_from_view: Mat4, camera: &Camera) -> Self {
        // Remove scale so the view matrix stays rigid.
        let (_, rotation, translation) = world_from_view.to_scale_rotation_translation();
        Self {
            world_from_view: Mat4::from_rotation_translation(rotation, translation),
            fov_y_rad: camera.fov_y_rad,
            near: camera.near,
            ortho: camera.ortho_half_height.map(|half_height| Ortho {
                half_height,
                far: camera
                    .far
                    .filter(|f| *f > camera.near)
                    .unwrap_or(camera.near + DEFAULT_ORTHO_DEPTH),
            }),
        }
    }

    /// Metres per pixel across an image `height_px` tall, at view depth `depth` (the same
    /// at every depth in an orthographic view).
    pub fn metres_per_px(&self, depth: f32, height_px: f32) -> f32 {
        let half = match self.ortho {
            Some(o) => o.half_height,
            None => depth * (self.fov_y_rad * 0.5).tan(),
        };
        2.0 * half / height_px.max(1.0)
    }

    pub fn view_from_world(&self) -> Mat4 {
        self.world_from_view.inverse()
    }

    pub fn position(&self) -> Vec3 {
        self.world_from_view.w_axis.truncate()
    }

    pub fn forward(&self) -> Vec3 {
        -self
            .world_from_view
            .z_axis
            .truncate()
            .normalize_or(Vec3::NEG_Z)
    }

    /// Reverse-Z `clip_from_view`: depth 1 at the near plane, 0 at infinity (perspective) or
    /// at the far plane (orthographic).
    pub fn clip_from_view(&self, aspect: f32) -> Mat4 {
        let aspect = aspect.max(1e-4);
        match self.ortho {
            Some(o) => {
                let (h, w) = (o.half_height, o.half_height * aspect);
                // glam maps its `near` argument to depth 0: give it the far plane.
                Mat4::orthographic_rh(-w, w, -h, h, o.far, self.near)
            }
            None => Mat4::perspective_infinite_reverse_rh(self.fov_y_rad, aspect, self.near),
        }
    }

    pub fn clip_from_world(&self, aspect: f32) -> Mat4 {
        self.clip_from_view(aspect) * self.view_from_world()
    }
}

/// A side of the world a view can look from, straight along an axis (glTF: +Y up, +Z
/// front, +X right).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewAxis {
    Front,
    Back,
    Right,
    Left,
    Top,
    Bottom,
}

impl ViewAxis {
    pub const ALL: [ViewAxis; 6] = [
        ViewAxis::Front,
        ViewAxis::Back,
        ViewAxis::Right,
        ViewAxis::Left,
        ViewAxis::Top,
        ViewAxis::Bottom,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViewAxis::Front => "Front",
            ViewAxis::Back => "Back",
            ViewAxis::Right => "Right",
            ViewAxis::Left => "Left",
            ViewAxis::Top => "Top",
            ViewAxis::Bottom => "Bottom",
        }
    }
}

/// The editor camera: orbits a pivot, pans, zooms, and flies (first-person) on demand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OrbitCamera {
    pub pivot: Vec3,
    pub distance: f32,
    /// Rotation about world Y, radians.
    pub yaw: f32,
    /// Elevation, radians; positive looks down on the pivot.
    pub pitch: f32,
    pub fov_y_rad: f32,
    /// Fly speed in metres per second.
    pub fly_speed: f32,
    /// Orthographic (Blender's Numpad 5): the view keeps the size the perspective shows at
    /// the pivot, half its height being `distance · tan(fov_y / 2)`.
    pub ortho: bool,
    /// Orthographic only because [`Self::align_view`] made it so (Blender's and Godot's
    /// auto perspective): orbiting off the axis returns to perspective.
    pub ortho_auto: bool,
}

impl Default for OrbitCamera {
    fn default() -> Self {
        Self {
            pivot: Vec3::ZERO,
            distance: 10.0,
            yaw: 0.6,
            pitch: 0.35,
            fov_y_rad: 50f32.to_radians(),
            fly_speed: 10.0,
            ortho: false,
            ortho_auto: false,
        }
    }
}

const PITCH_LIMIT: f32 = 1.55;

impl OrbitCamera {
    /// Rotation of the view (`world_from_view` without translation).
    pub fn rotation(&self) -> Quat {
        Quat::from_rotation_y(self.yaw) * Quat::from_rotation_x(-self.pitch)
    }

    pub fn eye(&self) -> Vec3 {
        self.pivot + self.rotation() * Vec3::new(0.0, 0.0, self.distance)
    }

    pub fn view(&self) -> CameraView {
        let near = (self.distance * 0.002).clamp(0.01, 1.0);
        if self.ortho {
            let (back, reach) = self.ortho_step_back();
            return CameraView {
                world_from_view: Mat4::from_rotation_translation(
                    self.rotation(),
                    self.pivot + self.rotation() * Vec3::new(0.0, 0.0, back),
                ),
                fov_y_rad: self.fov_y_rad,
                near,
                ortho: Some(Ortho {
                    half_height: self.ortho_half_height(),
                    far: back + reach,
                }),
            };
        }
        CameraView::perspective(
            Mat4::from_rotation_translation(self.rotation(), self.eye()),
            self.fov_y_rad,
            near,
        )
    }

    /// How far from the pivot an orthographic view's own eye stands, and how far past the
    /// pivot it sees. The eye steps back so that the scene on both sides of the pivot, out to
    /// the reach, is in front of it. The reach grows with the distance (the view's size):
    /// small models keep fine depth (linear here) and positions far from the eye keep their
    /// f32 precision across the view (errors near 10⁻⁵ of its height at this ratio).
    fn ortho_step_back(&self) -> (f32, f32) {
        let reach = (self.distance * 100.0).clamp(10.0, DEFAULT_ORTHO_DEPTH * 0.5);
        (self.distance + reach, reach)
    }

    /// Where a scene camera set to this view stands, given the scene's `content` and the
    /// camera's `near` plane: at the eye (`distance` from the pivot, looking the same way).
    /// An orthographic view also shows what lies between its eye and the pivot's far side
    /// (its own eye steps far back, see `view`), so there the camera steps back along the
    /// view from the eye until all of `content` lies beyond its near plane, no further than
    /// the view's own eye: the shot shows what the view shows, e.g. a top view's camera set
    /// below a mountain's summit stands above it. The frame is the same from anywhere on
    /// that line.
    pub fn eye_pose(&self, content: &super::Aabb, near: f32) -> Mat4 {
        let mut back = self.distance;
        if self.ortho && !content.is_empty() {
            let towards_eye = self.rotation() * Vec3::Z;
            let behind = content
                .corners()
                .iter()
                .map(|c| (*c - self.pivot).dot(towards_eye))
                .fold(f32::NEG_INFINITY, f32::max);
            let clear = behind + 2.0 * near.max(0.01);
            if clear.is_finite() {
                back = back.max(clear.min(self.ortho_step_back().0));
            }
        }
        Mat4::from_rotation_translation(
            self.rotation(),
            self.pivot + self.rotation() * Vec3::new(0.0, 0.0, back),
        )
    }

    /// A scene camera showing what this view shows from [`Self::eye_pose`]: its field of
    /// view, and orthographic size when orthographic; `base`'s clipping planes.
    pub fn scene_camera(&self, base: Camera) -> Camera {
        Camera {
            fov_y_rad: self.fov_y_rad,
            ortho_half_height: self.ortho.then(|| self.ortho_half_height()),
            ..base
        }
    }

    /// The side of the world the view looks straight from, if it does (as set by
    /// [`Self::look_along_axis`] and kept until it orbits).
    pub fn aligned_axis(&self) -> Option<ViewAxis> {
        ViewAxis::ALL.into_iter().find(|&axis| {
            let mut aligned = *self;
            aligned.look_along_axis(axis);
            let turn = (aligned.yaw - self.yaw).rem_euclid(std::f32::consts::TAU);
            turn.min(std::f32::consts::TAU - turn) < 1e-5
                && (aligned.pitch - self.pitch).abs() < 1e-5
        })
    }

    /// What the viewport overlay says of the projection: "Perspective 50°", or "Top ·
    /// Orthographic 12.4 m" (the view's height) looking straight from a side.
    pub fn projection_label(&self) -> String {
        let lens = if self.ortho {
            let height = 2.0 * self.ortho_half_height();
            if height >= 10.0 {
                format!("Orthographic {height:.0} m")
            } else {
                format!("Orthographic {height:.2} m")
            }
        } else {
            format!("Perspective {:.0}°", self.fov_y_rad.to_degrees())
        };
        match self.aligned_axis() {
            Some(axis) => format!("{} · {lens}", axis.name()),
            None => lens,
        }
    }

    /// Half the height of the orthographic view: what the perspective shows at the pivot.
    pub fn ortho_half_height(&self) -> f32 {
        self.distance * (self.fov_y_rad * 0.5).tan()
    }

    /// Looks at the pivot straight along an axis, as Blender's Numpad 1/3/7 (and Ctrl for
    /// the opposite side) do: `from` is the side the view looks from.
    pub fn look_along_axis(&mut self, from: ViewAxis) {
        use std::f32::consts::{FRAC_PI_2, PI};
        (self.yaw, self.pitch) = match from {
            ViewAxis::Front => (0.0, 0.0),
            ViewAxis::Back => (PI, 0.0),
            ViewAxis::Right => (FRAC_PI_2, 0.0),
            ViewAxis::Left => (3.0 * FRAC_PI_2, 0.0),
            ViewAxis::Top => (0.0, FRAC_PI_2),
            ViewAxis::Bottom => (0.0, -FRAC_PI_2),
        };
    }

    /// Orbit by a mouse delta in radians. Leaving an axis view that made the view
    /// orthographic by itself returns it to perspective.
    pub fn orbit(&mut self, d_yaw: f32, d_pitch: f32) {
        self.yaw = (self.yaw - d_yaw).rem_euclid(std::f32::consts::TAU);
        self.pitch = (self.pitch + d_pitch).clamp(-PITCH_LIMIT, PITCH_LIMIT);
        self.auto_perspective();
    }

    /// Back to perspective when an axis view made the view orthographic and it turned away.
    fn auto_perspective(&mut self) {
        if self.ortho_auto && self.aligned_axis().is_none() {
            self.ortho = false;
            self.ortho_auto = false;
        }
    }

    /// Looks straight from `from` (Blender's Numpad 1/3/7, Ctrl for the opposite side),
    /// orthographic: a perspective view turns orthographic until it orbits away.
    pub fn align_view(&mut self, from: ViewAxis) {
        self.look_along_axis(from);
        if !self.ortho {
            self.ortho = true;
            self.ortho_auto = true;
        }
    }

    /// Switches between perspective and orthographic (Blender's Numpad 5); the choice then
    /// stays when orbiting.
    pub fn toggle_ortho(&mut self) {
        self.ortho = !self.ortho;
        self.ortho_auto = false;
    }

    /// Pan by a delta in pixels, given the viewport height in pixels: the point under the
    /// cursor at pivot depth follows the cursor.
    pub fn pan(&mut self, dx_px: f32, dy_px: f32, viewport_height_px: f32) {
        let metres_per_px =
            2.0 * self.distance * (self.fov_y_rad * 0.5).tan() / viewport_height_px.max(1.0);
        let r = self.rotation();
        self.pivot += r * Vec3::new(-dx_px * metres_per_px, dy_px * metres_per_px, 0.0);
    }

    /// Zoom towards the pivot; `steps` > 0 moves closer. Each step is 10%.
    pub fn zoom(&mut self, steps: f32) {
        self.distance = (self.distance * 0.9f32.powf(steps)).clamp(0.05, 100_000.0);
    }

    /// Fly: rotate the view in place (the eye stays, the pivot moves).
    pub fn look(&mut self, d_yaw: f32, d_pitch: f32) {
        let eye = self.eye();
        self.yaw = (self.yaw - d_yaw).rem_euclid(std::f32::consts::TAU);
        self.pitch = (self.pitch + d_pitch).clamp(-PITCH_LIMIT, PITCH_LIMIT);
        self.pivot = eye - self.rotation() * Vec3::new(0.0, 0.0, self.distance);
        self.auto_perspective();
    }

    /// Fly: move eye and pivot together along view axes (`local` is right, up, back).
    /// Moving forward or back, which an orthographic view would not show, returns it to
    /// perspective (as Blender's walk and fly do).
    pub fn fly(&mut self, local: Vec3, seconds: f32) {
        if self.ortho && local.z != 0.0 {
            self.ortho = false;
            self.ortho_auto = false;
        }
        let r = self.rotation();
        self.pivot += r * local * self.fly_speed * seconds;
    }

    /// Frames a box: pivot at its centre, distance so its bounding sphere fills the view.
    pub fn frame(&mut self, bounds: &Aabb) {
        if bounds.is_empty() {
            return;
        }
        // Down to 1 cm: the near plane (at least 1 cm, see `view`) stays in front of it.
        let radius = (bounds.size().length() * 0.5).max(0.01);
        self.pivot = bounds.center();
        self.distance = radius / (self.fov_y_rad * 0.5).sin() * 1.05;
        self.fly_speed = (radius * 0.5).clamp(0.05, 500.0);
    }

    /// Sets the camera to look from `eye` at `target`.
    pub fn look_from(&mut self, eye: Vec3, target: Vec3) {
        let d = eye - target;
        self.distance = d.length().max(0.05);
        self.pivot = target;
        self.yaw = d.x.atan2(d.z);
        self.pitch = (d.y / self.distance).clamp(-1.0, 1.0).asin();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Vec3, b: Vec3) -> bool {
        (a - b).length() < 1e-4
    }

    #[test]
    fn framing_a_small_object_fills_the_view_in_front_of_the_near_plane() {
        // A 4 cm part (glTF-Transform's DracoSparseMesh) used to be framed as if it were 20 cm.
        let bounds = Aabb {
            min: Vec3::new(-0.04, 0.05, 0.028),
            max: Vec3::new(-0.013, 0.089, 0.032),
        };
        let mut c = OrbitCamera::default();
        c.frame(&bounds);
        let radius = bounds.size().length() * 0.5;
        let sphere_angle = (radius / c.distance).asin();
        assert!(
            (sphere_angle - c.fov_y_rad * 0.5).abs() < 0.05 * c.fov_y_rad,
            "the bounding sphere spans the view's height: {sphere_angle} vs {}",
            c.fov_y_rad * 0.5
        );
        assert!(c.view().near < c.distance - radius, "nothing is clipped");
        assert!(
            c.fly_speed <= 0.05,
            "flying does not leave it behind in a frame"
        );
    }

    #[test]
    fn eye_is_distance_from_pivot_and_looks_at_it() {
        let mut c = OrbitCamera {
            pivot: Vec3::new(1.0, 2.0, 3.0),
            distance: 7.0,
            ..Default::default()
        };
        c.orbit(0.3, 0.2);
        assert!(((c.eye() - c.pivot).length() - 7.0).abs() < 1e-4);
        let v = c.view();
        assert!(close(v.forward(), (c.pivot - c.eye()).normalize()));
    }

    #[test]
    fn pointing_aims_the_minus_z_axis() {
        for dir in [Vec3::new(0.4, -0.8, -0.45), Vec3::NEG_Y, Vec3::X] {
            let t = crate::scene::Transform::pointing(dir);
            let forward = t.matrix().transform_vector3(Vec3::NEG_Z);
            assert!(close(forward, dir.normalize()), "{dir} → {forward}");
        }
    }

    #[test]
    fn look_from_round_trips() {
        let mut c = OrbitCamera::default();
        let eye = Vec3::new(10.0, 5.0, -3.0);
        let target = Vec3::new(1.0, 0.0, 2.0);
        c.look_from(eye, target);
        assert!(close(c.eye(), eye));
        assert!(close(c.pivot, target));
    }

    #[test]
    fn pitch_is_clamped_and_never_flips() {
        let mut c = OrbitCamera::default();
        c.orbit(0.0, 100.0);
        assert!(c.pitch <= PITCH_LIMIT);
        assert!(c.view().world_from_view.y_axis.y > 0.0);
    }

    #[test]
    fn zoom_in_reduces_distance_and_is_invertible() {
        let mut c = OrbitCamera::default();
        let d0 = c.distance;
        c.zoom(3.0);
        assert!(c.distance < d0);
        c.zoom(-3.0);
        assert!((c.distance - d0).abs() < 1e-3);
    }

    #[test]
    fn pan_moves_pivot_in_view_plane() {
        let mut c = OrbitCamera::default();
        let before = c.pivot;
        let fwd = c.view().forward();
        c.pan(100.0, -40.0, 720.0);
        let moved = c.pivot - before;
        assert!(moved.length() > 0.0);
        assert!(moved.dot(fwd).abs() < 1e-4);
    }

    #[test]
    fn look_keeps_eye_in_place() {
        let mut c = OrbitCamera::default();
        let eye = c.eye();
        c.look(0.4, -0.2);
        assert!(close(c.eye(), eye));
    }

    #[test]
    fn frame_fits_bounding_sphere() {
        let mut c = OrbitCamera::default();
        let b = Aabb {
            min: Vec3::splat(-1.0),
            max: Vec3::splat(1.0),
        };
        c.frame(&b);
        assert!(close(c.pivot, Vec3::ZERO));
        let radius = 3f32.sqrt();
        // The sphere's angular radius must fit in half the vertical field of view.
        assert!((radius / c.distance).asin() <= c.fov_y_rad * 0.5 + 1e-4);
    }

    #[test]
    fn reverse_z_maps_near_to_one_and_far_to_zero() {
        let c = OrbitCamera::default();
        let v = c.view();
        let p = v.clip_from_view(16.0 / 9.0);
        let near = p * glam::Vec4::new(0.0, 0.0, -v.near, 1.0);
        assert!((near.z / near.w - 1.0).abs() < 1e-5);
        let far = p * glam::Vec4::new(0.0, 0.0, -1e6, 1.0);
        assert!((far.z / far.w).abs() < 1e-5);
    }

    /// NDC of a view-space point.
    fn ndc(view: &CameraView, aspect: f32, p: Vec3) -> Vec3 {
        let c = view.clip_from_view(aspect) * p.extend(1.0);
        c.truncate() / c.w
    }

    #[test]
    fn an_orthographic_view_maps_its_box_to_the_clip_volume_at_any_depth() {
        let view = CameraView {
            ortho: Some(Ortho {
                half_height: 2.0,
                far: 50.0,
            }),
            ..CameraView::perspective(Mat4::IDENTITY, 1.0, 0.5)
        };
        // Reverse Z: depth 1 at the near plane, 0 at the far plane, linear between.
        assert!((ndc(&view, 2.0, Vec3::new(0.0, 0.0, -0.5)).z - 1.0).abs() < 1e-6);
        assert!(ndc(&view, 2.0, Vec3::new(0.0, 0.0, -50.0)).z.abs() < 1e-6);
        let mid = ndc(&view, 2.0, Vec3::new(0.0, 0.0, -25.25)).z;
        assert!((mid - 0.5).abs() < 1e-5, "{mid}");
        // The frame's corner lands on the clip volume's corner at every depth (aspect 2:
        // 4 m wide per 2 m of half-height).
        for depth in [1.0, 10.0, 49.0] {
            let corner = ndc(&view, 2.0, Vec3::new(4.0, 2.0, -depth));
            assert!(
                (corner.truncate() - glam::Vec2::ONE).length() < 1e-5,
                "{corner}"
            );
        }
        assert!((view.metres_per_px(1.0, 400.0) - 0.01).abs() < 1e-7);
        assert_eq!(
            view.metres_per_px(1.0, 400.0),
            view.metres_per_px(40.0, 400.0)
        );
    }

    #[test]
    fn switching_the_orbit_camera_to_orthographic_keeps_the_pivot_plane_in_place() {
        let mut c = OrbitCamera {
            pivot: Vec3::new(1.0, 2.0, 3.0),
            distance: 12.0,
            ..Default::default()
        };
        c.orbit(0.4, 0.1);
        let aspect = 1.5;
        let perspective = c.view();
        c.ortho = true;
        let ortho = c.view();
        assert_eq!(ortho.forward(), perspective.forward());
        // Points in the plane through the pivot facing the view land on the same pixels.
        let rotation = c.rotation();
        for offset in [
            Vec3::ZERO,
            Vec3::new(3.0, 2.0, 0.0),
            Vec3::new(-5.0, -4.0, 0.0),
        ] {
            let p = c.pivot + rotation * offset;
            let a = perspective.clip_from_world(aspect) * p.extend(1.0);
            let b = ortho.clip_from_world(aspect) * p.extend(1.0);
            let (a, b) = (a.truncate() / a.w, b.truncate() / b.w);
            assert!((a.truncate() - b.truncate()).length() < 1e-4, "{a} vs {b}");
            assert!(b.z > 0.0 && b.z < 1.0, "in the depth range: {}", b.z);
        }
        // Zooming shrinks the frame like the perspective's.
        let h = c.ortho_half_height();
        c.zoom(1.0);
        assert!((c.ortho_half_height() - h * 0.9).abs() < 1e-4);
        // Something far behind the pivot (and even behind the perspective's eye) is seen.
        let behind_eye = c.eye() + rotation * Vec3::new(0.0, 0.0, 50.0);
        let clip = c.view().clip_from_world(aspect) * behind_eye.extend(1.0);
        assert!(clip.z / clip.w > 0.0 && clip.z / clip.w < 1.0);
        let far_behind = c.pivot - rotation * Vec3::new(0.0, 0.0, 1000.0);
        let clip = c.view().clip_from_world(aspect) * far_behind.extend(1.0);
        assert!(clip.z / clip.w > 0.0 && clip.z / clip.w < 1.0);
    }

    #[test]
    fn axis_views_look_straight_along_the_axes_until_they_orbit() {
        let mut c = OrbitCamera {
            distance: 5.0,
            ..Default::default()
        };
        for (axis, forward, up) in [
            (ViewAxis::Front, Vec3::NEG_Z, Vec3::Y),
            (ViewAxis::Back, Vec3::Z, Vec3::Y),
            (ViewAxis::Right, Vec3::NEG_X, Vec3::Y),
            (ViewAxis::Left, Vec3::X, Vec3::Y),
            // Blender's top view: -Z (Blender's +Y, away from the front) up on screen.
            (ViewAxis::Top, Vec3::NEG_Y, Vec3::NEG_Z),
            (ViewAxis::Bottom, Vec3::Y, Vec3::Z),
        ] {
            c.look_along_axis(axis);
            let view = c.view();
            assert!(
                close(view.forward(), forward),
                "{axis:?}: {}",
                view.forward()
            );
            let view_up = view.world_from_view.transform_vector3(Vec3::Y);
            assert!(close(view_up, up), "{axis:?} up: {view_up}");
            assert_eq!(c.aligned_axis(), Some(axis));
            assert!(close(c.pivot, Vec3::ZERO), "the pivot stays");
        }
        c.look_along_axis(ViewAxis::Top);
        c.ortho = true;
        assert!(c.projection_label().starts_with("Top · Orthographic"));
        c.orbit(0.01, 0.0);
        assert_eq!(c.aligned_axis(), None, "orbiting leaves the axis");
        assert!(c.projection_label().starts_with("Orthographic"));
        c.ortho = false;
        assert_eq!(c.projection_label(), "Perspective 50°");

        // Auto perspective: an axis view made orthographic by `align_view` returns to
        // perspective once it orbits away; one made orthographic by hand stays.
        c.align_view(ViewAxis::Right);
        assert!(c.ortho && c.ortho_auto);
        c.align_view(ViewAxis::Top);
        assert!(c.ortho, "from axis to axis");
        c.orbit(0.0, -0.2);
        assert!(!c.ortho && !c.ortho_auto);
        c.align_view(ViewAxis::Left);
        c.look(0.1, 0.0);
        assert!(!c.ortho, "flying off the axis too");
        c.toggle_ortho();
        c.align_view(ViewAxis::Front);
        c.orbit(0.2, 0.0);
        assert!(c.ortho, "chosen by hand: kept");
        c.toggle_ortho();
        assert!(!c.ortho);

        // Flying sideways or up pans an orthographic view; flying forward turns it
        // perspective, where moving along the view shows.
        c.toggle_ortho();
        let pivot = c.pivot;
        c.fly(Vec3::X, 0.1);
        assert!(c.ortho && !close(c.pivot, pivot));
        c.fly(Vec3::NEG_Z, 0.1);
        assert!(!c.ortho && !c.ortho_auto);
    }

    #[test]
    fn a_camera_set_to_an_orthographic_view_steps_back_clear_of_the_content() {
        // A top view 20 m above the pivot; a summit 50 m up, above the view's eye.
        let mut c = OrbitCamera {
            distance: 20.0,
            ortho: true,
            ..Default::default()
        };
        c.look_along_axis(ViewAxis::Top);
        let summit = super::super::Aabb {
            min: Vec3::new(-5.0, 0.0, -5.0),
            max: Vec3::new(5.0, 50.0, 5.0),
        };
        let near = 0.1;
        let at = c.eye_pose(&summit, near).w_axis.truncate();
        let depth_of_top = (at - c.pivot).dot(c.rotation() * Vec3::Z) - 50.0;
        assert!(
            depth_of_top >= near,
            "the summit is {depth_of_top} m from the camera"
        );
        assert!(
            depth_of_top < 1.0,
            "no further than it takes: {depth_of_top}"
        );
        // Looking the same way along the same line: the frame is unchanged.
        let pose = c.eye_pose(&summit, near);
        assert!(
            (Mat4::from_quat(c.rotation())
                - Mat4::from_quat(pose.to_scale_rotation_translation().1))
            .abs_diff_eq(Mat4::ZERO, 1e-5)
        );
        assert!((at - c.pivot).cross(c.rotation() * Vec3::Z).length() < 1e-3);
        // Nothing behind the eye, an empty scene, or a perspective view: at the eye.
        let low = super::super::Aabb {
            min: Vec3::splat(-1.0),
            max: Vec3::splat(1.0),
        };
        for (content, ortho) in [
            (low, true),
            (super::super::Aabb::EMPTY, true),
            (summit, false),
        ] {
            let view = OrbitCamera { ortho, ..c };
            let at = view.eye_pose(&content, near).w_axis.truncate();
            assert!((at - view.eye()).length() < 1e-4, "{at} vs {}", view.eye());
        }
        // Never past the view's own eye, whatever the content (a hostile or huge scene).
        let huge = super::super::Aabb {
            min: Vec3::splat(-1e30),
            max: Vec3::splat(1e30),
        };
        let at = c.eye_pose(&huge, near).w_axis.truncate();
        assert!(at.is_finite() && (at - c.pivot).length() <= c.ortho_step_back().0 + 1e-2);
    }

    #[test]
    fn a_scene_camera_set_to_an_orthographic_view_shows_the_same_frame() {
        let mut c = OrbitCamera {
            distance: 8.0,
            ortho: true,
            ..Default::default()
        };
        c.orbit(0.3, 0.2);
        let camera = c.scene_camera(Camera::default());
        assert_eq!(camera.ortho_half_height, Some(c.ortho_half_height()));
        camera.check().expect("valid");
        let from_node = CameraView::from_camera(c.eye_pose(&super::Aabb::EMPTY, 0.1), &camera);
        let p = c.pivot + c.rotation() * Vec3::new(1.0, -2.0, 0.5);
        let a = c.view().clip_from_world(1.0) * p.extend(1.0);
        let b = from_node.clip_from_world(1.0) * p.extend(1.0);
        let (a, b) = (a.truncate() / a.w, b.truncate() / b.w);
        assert!((a.truncate() - b.truncate()).length() < 1e-4, "{a} vs {b}");
        assert_eq!(
            from_node.ortho.map(|o| o.far),
            Some(Camera::default().near + DEFAULT_ORTHO_DEPTH)
        );
        // Bad values are refused by `check`.
        for bad in [
            Camera {
                ortho_half_height: Some(0.0),
                ..camera
            },
            Camera {
                ortho_half_height: Some(f32::NAN),
                ..camera
            },
            Camera {
                far: Some(0.05),
                ..camera
            },
            Camera {
                near: -1.0,
                ..camera
            },
            Camera {
                fov_y_rad: 4.0,
                ..camera
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }
}
