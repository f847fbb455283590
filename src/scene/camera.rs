//! Camera math: the editor's orbit/fly camera and the view a frame is rendered from.

use super::{Aabb, Camera};
use glam::{Mat4, Quat, Vec3};

/// Where a frame is seen from: a rigid `world_from_view` (view looks along -Z, Y up) and a
/// perspective projection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CameraView {
    pub world_from_view: Mat4,
    pub fov_y_rad: f32,
    pub near: f32,
}

impl CameraView {
    pub fn from_camera(world_from_view: Mat4, camera: &Camera) -> Self {
        // Remove scale so the view matrix stays rigid.
        let (_, rotation, translation) = world_from_view.to_scale_rotation_translation();
        Self {
            world_from_view: Mat4::from_rotation_translation(rotation, translation),
            fov_y_rad: camera.fov_y_rad,
            near: camera.near,
        }
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

    /// Reverse-Z infinite perspective (`clip_from_view`): depth 1 at the near plane, 0 at
    /// infinity.
    pub fn clip_from_view(&self, aspect: f32) -> Mat4 {
        Mat4::perspective_infinite_reverse_rh(self.fov_y_rad, aspect.max(1e-4), self.near)
    }

    pub fn clip_from_world(&self, aspect: f32) -> Mat4 {
        self.clip_from_view(aspect) * self.view_from_world()
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
        CameraView {
            world_from_view: Mat4::from_rotation_translation(self.rotation(), self.eye()),
            fov_y_rad: self.fov_y_rad,
            near: (self.distance * 0.002).clamp(0.01, 1.0),
        }
    }

    /// Orbit by a mouse delta in radians.
    pub fn orbit(&mut self, d_yaw: f32, d_pitch: f32) {
        self.yaw = (self.yaw - d_yaw).rem_euclid(std::f32::consts::TAU);
        self.pitch = (self.pitch + d_pitch).clamp(-PITCH_LIMIT, PITCH_LIMIT);
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
    }

    /// Fly: move eye and pivot together along view axes (`local` is right, up, back).
    pub fn fly(&mut self, local: Vec3, seconds: f32) {
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
}
