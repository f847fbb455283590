//! Cascaded shadow map fitting for the sun: practical split scheme, bounding-sphere cascades
//! (rotation-stable) snapped to whole texels (no shimmer when the camera moves).

use crate::scene::{Aabb, CameraView};
use glam::{Mat4, Vec3, Vec4};

/// Number of cascades drawn.
pub const CASCADES: usize = 3;
/// Farthest distance that receives sun shadows, in metres.
pub const MAX_SHADOW_DISTANCE: f32 = 400.0;

/// Light-space matrices of each cascade and the view distance where each ends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cascades {
    pub clip_from_world: [Mat4; CASCADES],
    pub far: [f32; CASCADES],
    /// The view depth where the first cascade starts.
    pub start: f32,
    /// The width of one shadow-map texel in world units, per cascade.
    pub texel: [f32; CASCADES],
}

/// Split distances between `near` and `far` (practical scheme, λ blends log and uniform).
pub fn split_distances(near: f32, far: f32, lambda: f32) -> [f32; CASCADES] {
    let mut out = [0.0; CASCADES];
    for (i, o) in out.iter_mut().enumerate() {
        let f = (i + 1) as f32 / CASCADES as f32;
        let log = near * (far / near).powf(f);
        let uni = near + (far - near) * f;
        *o = lambda * log + (1.0 - lambda) * uni;
    }
    out
}

/// Fits cascades to the camera frustum. `to_sun` points towards the sun; `scene` bounds the
/// shadow casters.
pub fn fit(view: &CameraView, aspect: f32, to_sun: Vec3, scene: &Aabb, map_size: u32) -> Cascades {
    let eye = view.position();
    // Shadows only reach as far as there is scene to cast and receive them.
    let mut reach: f32 = 1.0;
    if !scene.is_empty() {
        for c in scene.corners() {
            reach = reach.max((c - eye).length());
        }
    }
    let mut near = view.near.max(0.05);
    let mut far = reach.min(MAX_SHADOW_DISTANCE).max(near * 2.0);
    let mut lambda = 0.8;
    if let Some(ortho) = view.ortho {
        // Every depth shows at the same scale: split evenly the depths the scene spans in
        // front of the view (its eye may stand far back).
        let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
        if !scene.is_empty() {
            let view_from_world = view.view_from_world();
            for c in scene.corners() {
                let depth = -view_from_world.transform_point3(c).z;
                (lo, hi) = (lo.min(depth), hi.max(depth));
            }
        }
        near = lo.max(view.near).min(ortho.far);
        far = hi.min(ortho.far).min(near + MAX_SHADOW_DISTANCE);
        if far <= near || (far - near).is_nan() {
            (near, far) = (view.near, view.near + 1.0);
        }
        lambda = 0.0;
    }
    let splits = split_distances(near, far, lambda);
    let tan_y = (view.fov_y_rad * 0.5).tan();
    let tan_x = tan_y * aspect;
    let to_sun = to_sun.normalize_or(Vec3::Y);
    let up = if to_sun.y.abs() > 0.99 {
        Vec3::Z
    } else {
        Vec3::Y
    };
    let mut out = Cascades {
        clip_from_world: [Mat4::IDENTITY; CASCADES],
        far: splits,
        start: near,
        texel: [0.0; CASCADES],
    };
    let mut start = near;
    for (i, end) in splits.iter().enumerate() {
        // Bounding sphere of the frustum slice, computed in view space along the axis so its
        // radius does not change when the camera rotates.
        let (z0, z1) = (start, *end);
        let (zc, r) = match view.ortho {
            // A box: half the view across, half the slice deep.
            Some(o) => (
                (z0 + z1) * 0.5,
                Vec3::new(o.half_height * aspect, o.half_height, (z1 - z0) * 0.5).length(),
            ),
            None => {
                let k = tan_x * tan_x + tan_y * tan_y;
                let zc = ((z0 + z1) * 0.5 * (1.0 + k)).min(z1);
                let r = ((z1 - zc).powi(2) + z1 * z1 * k)
                    .sqrt()
                    .max(((zc - z0).powi(2) + z0 * z0 * k).sqrt());
                (zc, r)
            }
        };
        let r = (r * 16.0).ceil() / 16.0;
        let center_world = view
            .world_from_view
            .transform_point3(Vec3::new(0.0, 0.0, -zc));
        // Depth range: from the far side of the scene towards the sun to past the sphere.
        let mut back = r;
        if !scene.is_empty() {
            for p in scene.corners() {
                back = back.max((p - center_world).dot(to_sun));
            }
        }
        let light_from_world = Mat4::look_at_rh(center_world + to_sun * back, center_world, up);
        // Snap the sphere centre to the texel grid in light space.
        let texel = 2.0 * r / map_size.max(1) as f32;
        let c_light =
            light_from_world * Vec4::new(center_world.x, center_world.y, center_world.z, 1.0);
        let snapped = Vec3::new(
            (c_light.x / texel).floor() * texel,
            (c_light.y / texel).floor() * texel,
            c_light.z,
        );
        let offset = snapped - c_light.truncate();
        let proj = Mat4::orthographic_rh(
            offset.x - r,
            offset.x + r,
            offset.y - r,
            offset.y + r,
            0.0,
            back + r,
        );
        out.clip_from_world[i] = proj * light_from_world;
        out.texel[i] = texel;
        start = *end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::OrbitCamera;

    #[test]
    fn splits_are_increasing_and_end_at_far() {
        let s = split_distances(0.1, 300.0, 0.8);
        assert!(s[0] < s[1] && s[1] < s[2]);
        assert!((s[2] - 300.0).abs() < 1e-3);
    }

    #[test]
    fn frustum_points_land_inside_their_cascade() {
        let cam = OrbitCamera::default();
        let view = cam.view();
        let scene = Aabb {
            min: Vec3::splat(-100.0),
            max: Vec3::splat(100.0),
        };
        let cs = fit(&view, 16.0 / 9.0, Vec3::new(0.3, 0.8, 0.2), &scene, 2048);
        // A point on the view axis at each cascade's middle depth projects inside its map.
        let mut start = view.near;
        for i in 0..CASCADES {
            let d = (start + cs.far[i]) * 0.5;
            let p = view
                .world_from_view
                .transform_point3(Vec3::new(0.0, 0.0, -d));
            let clip = cs.clip_from_world[i] * p.extend(1.0);
            let ndc = clip.truncate() / clip.w;
            assert!(
                ndc.x.abs() <= 1.0 && ndc.y.abs() <= 1.0,
                "cascade {i}: {ndc}"
            );
            assert!((0.0..=1.0).contains(&ndc.z), "cascade {i} depth {}", ndc.z);
            start = cs.far[i];
        }
    }

    #[test]
    fn cascades_are_stable_under_camera_rotation() {
        let mut cam = OrbitCamera::default();
        let scene = Aabb {
            min: Vec3::splat(-50.0),
            max: Vec3::splat(50.0),
        };
        let a = fit(&cam.view(), 1.5, Vec3::Y, &scene, 1024);
        cam.look(0.3, 0.0);
        let b = fit(&cam.view(), 1.5, Vec3::Y, &scene, 1024);
        // Same sphere radius → same projection scale.
        for i in 0..CASCADES {
            assert!(
                (a.clip_from_world[i].x_axis.length() - b.clip_from_world[i].x_axis.length()).abs()
                    < 1e-5
            );
        }
    }
}
