//! Persistent content keys of rendered frames: a BLAKE3 hash of everything that decides a
//! frame's pixels, equal across processes and machines for equal inputs (unlike the scene's
//! [`crate::scene::Revision`] stamps, which are unique per process).
//!
//! The scene handed in is already the one to draw (variant resolved, animation sampled), so
//! everything in it that reaches the renderer is hashed: nodes (hierarchy, transform, kind
//! with its mesh/material/cloud assignment, visibility, grade, relight), materials, the
//! environment, and each mesh, image, point and splat cloud by a digest of its data. Those
//! digests are computed once per object and remembered by `Arc` address and content id (an
//! object never changes under its content id), so a 50 MB mesh is hashed once per process,
//! not once per frame. Names, lock flags, variant definitions and any timeline data do not
//! change pixels and are left out, so renaming a node keeps its frames cached.

use crate::render::RenderSettings;
use crate::scene::{CameraView, Scene};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Bumped whenever the renderer's output for the same inputs changes (shaders, tone
/// mapping, …) or the key's recipe changes, so old cache entries stop matching.
pub const CACHE_VERSION: u32 = 1;

/// The content key of one frame (or of a whole encoded clip).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameKey(pub [u8; 32]);

impl FrameKey {
    /// 64 lowercase hex digits.
    pub fn hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// This key for a frame drawn with `factor`×`factor` supersampling (itself for 1), the
    /// factor clamped as clip jobs clamp it.
    pub fn supersampled(self, factor: u32) -> Self {
        let factor = factor.min(super::supersample::MAX_SUPERSAMPLE);
        if factor <= 1 {
            return self;
        }
        let mut h = blake3::Hasher::new();
        h.update(b"worldsmith supersampled");
        h.update(&self.0);
        h.update(&factor.to_le_bytes());
        Self(*h.finalize().as_bytes())
    }
}

/// The key of the frame `scene` seen through `camera` with `settings` at `width`×`height`.
pub fn frame_key(
    scene: &Scene,
    camera: &CameraView,
    settings: &RenderSettings,
    width: u32,
    height: u32,
) -> FrameKey {
    let mut h = blake3::Hasher::new();
    h.update(b"worldsmith frame");
    h.update(&CACHE_VERSION.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&width.to_le_bytes());
    h.update(&height.to_le_bytes());
    h.update(format!("{settings:?}").as_bytes());
    for v in camera.world_from_view.to_cols_array() {
        h.update(&v.to_bits().to_le_bytes());
    }
    h.update(&camera.fov_y_rad.to_bits().to_le_bytes());
    h.update(&camera.near.to_bits().to_le_bytes());
    if let Some(o) = camera.ortho {
        h.update(b"orthographic");
        h.update(&o.half_height.to_bits().to_le_bytes());
        h.update(&o.far.to_bits().to_le_bytes());
    }
    hash_scene(&mut h, scene);
    FrameKey(*h.finalize().as_bytes())
}

/// The pixel-relevant parts of a node (not its name or lock flag).
#[derive(Serialize)]
struct NodeContent<'a> {
    id: crate::scene::NodeId,
    parent: Option<crate::scene::NodeId>,
    children: &'a [crate::scene::NodeId],
    transform: &'a crate::scene::Transform,
    kind: &'a crate::scene::NodeKind,
    visible: bool,
    grade: &'a crate::scene::ColorGrade,
    relight: &'a crate::scene::Relight,
}

fn json(h: &mut blake3::Hasher, value: &impl Serialize) {
    // serde_json writes floats in a fixed, shortest round-trip form; a value that cannot be
    // written leaves a marker rather than nothing.
    if serde_json::to_writer(&mut *h, value).is_err() {
        h.update(b"<unserializable>");
    }
    h.update(b"\n");
}

fn hash_scene(h: &mut blake3::Hasher, scene: &Scene) {
    h.update(b"roots");
    json(h, &scene.roots());
    h.update(b"nodes");
    for n in scene.nodes() {
        json(
            h,
            &NodeContent {
                id: n.id,
                parent: n.parent,
                children: &n.children,
                transform: &n.transform,
                kind: &n.kind,
                visible: n.visible,
                grade: &n.grade,
                relight: &n.relight,
            },
        );
    }
    h.update(b"materials");
    for (id, m) in scene.materials() {
        json(h, &(id, m));
    }
    h.update(b"environment");
    json(h, &scene.environment);
    h.update(b"meshes");
    for (id, mesh) in scene.meshes() {
        h.update(&id.0.to_le_bytes());
        h.update(&digest(Kind::Mesh, mesh, mesh.content_id(), |h| {
            h.update(bytemuck::cast_slice(&mesh.positions));
            h.update(bytemuck::cast_slice(&mesh.normals));
            h.update(bytemuck::cast_slice(&mesh.uvs));
            h.update(bytemuck::cast_slice(&mesh.uvs1));
            h.update(bytemuck::cast_slice(&mesh.colors));
            h.update(bytemuck::cast_slice(&mesh.tangents));
            h.update(bytemuck::cast_slice(&mesh.indices));
            // Lengths separate the arrays, so moving data between them changes the hash.
            for len in [
                mesh.positions.len(),
                mesh.normals.len(),
                mesh.uvs.len(),
                mesh.uvs1.len(),
                mesh.colors.len(),
                mesh.tangents.len(),
                mesh.indices.len(),
            ] {
                h.update(&(len as u64).to_le_bytes());
            }
        }));
    }
    h.update(b"images");
    for (id, image) in scene.images() {
        h.update(&id.0.to_le_bytes());
        h.update(&digest(Kind::Image, image, image.content_id(), |h| {
            h.update(&image.width.to_le_bytes());
            h.update(&image.height.to_le_bytes());
            h.update(&image.rgba8);
        }));
    }
    h.update(b"points");
    for (id, cloud) in scene.point_clouds() {
        h.update(&id.0.to_le_bytes());
        h.update(&digest(Kind::Points, cloud, cloud.content_id(), |h| {
            h.update(bytemuck::cast_slice(&cloud.positions));
            h.update(bytemuck::cast_slice(&cloud.colors));
            h.update(bytemuck::cast_slice(&cloud.normals));
            h.update(bytemuck::cast_slice(&cloud.segments));
            for len in [
                cloud.positions.len(),
                cloud.colors.len(),
                cloud.normals.len(),
                cloud.segments.len(),
            ] {
                h.update(&(len as u64).to_le_bytes());
            }
        }));
    }
    h.update(b"splats");
    for (id, cloud) in scene.splat_clouds() {
        h.update(&id.0.to_le_bytes());
        h.update(&digest(Kind::Splats, cloud, cloud.content_id(), |h| {
            h.update(bytemuck::cast_slice(&cloud.positions));
            h.update(bytemuck::cast_slice(&cloud.rotations));
            h.update(bytemuck::cast_slice(&cloud.scales));
            h.update(bytemuck::cast_slice(&cloud.opacities));
            h.update(bytemuck::cast_slice(&cloud.colors));
            h.update(&[cloud.sh_degree]);
            h.update(bytemuck::cast_slice(&cloud.sh_rest));
            h.update(&(cloud.positions.len() as u64).to_le_bytes());
        }));
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Mesh,
    Image,
    Points,
    Splats,
}

type Memo = HashMap<(Kind, usize, u64), [u8; 32]>;

/// Entries kept before the memo is cleared (each is ~56 bytes; a scene has far fewer).
const MEMO_LIMIT: usize = 100_000;

thread_local! {
    /// Digests computed on this thread so far ([`digests_computed`]).
    static COMPUTED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many geometry/image/cloud digests this thread has computed (not looked up); tests use
/// it to check that the memo works. Per thread, so that tests running beside each other do not
/// count each other's digests.
pub fn digests_computed() -> u64 {
    COMPUTED.with(std::cell::Cell::get)
}

fn digest<T>(
    kind: Kind,
    arc: &Arc<T>,
    content_id: u64,
    fill: impl FnOnce(&mut blake3::Hasher),
) -> [u8; 32] {
    static MEMO: OnceLock<Mutex<Memo>> = OnceLock::new();
    let memo = MEMO.get_or_init(Mutex::default);
    let key = (kind, Arc::as_ptr(arc) as usize, content_id);
    if let Some(d) = memo.lock().ok().and_then(|m| m.get(&key).copied()) {
        return d;
    }
    let mut h = blake3::Hasher::new();
    fill(&mut h);
    let d = *h.finalize().as_bytes();
    COMPUTED.with(|c| c.set(c.get() + 1));
    if let Ok(mut m) = memo.lock() {
        if m.len() >= MEMO_LIMIT {
            m.clear();
        }
        m.insert(key, d);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::RenderSettings;

    fn key(scene: &Scene) -> FrameKey {
        let view = crate::render::default_view(scene);
        frame_key(scene, &view, &RenderSettings::final_frame(), 64, 32)
    }

    #[test]
    fn equal_content_gives_equal_keys_and_any_change_a_new_one() {
        let a = crate::generate::generate_world(3);
        let b = crate::generate::generate_world(3);
        assert_eq!(key(&a), key(&b), "two generations of one seed");
        let base = key(&a);
        let view = crate::render::default_view(&a);
        let s = RenderSettings::final_frame();
        assert_ne!(frame_key(&a, &view, &s, 64, 34), base, "size");
        let mut s2 = s;
        s2.shadow_map_size = 4096;
        assert_ne!(frame_key(&a, &view, &s2, 64, 32), base, "settings");
        let mut v2 = view;
        v2.fov_y_rad *= 1.01;
        assert_ne!(frame_key(&a, &v2, &s, 64, 32), base, "camera");
        let mut ortho = view;
        ortho.ortho = Some(crate::scene::Ortho {
            half_height: 5.0,
            far: 1000.0,
        });
        let ortho_key = frame_key(&a, &ortho, &s, 64, 32);
        assert_ne!(ortho_key, base, "orthographic");
        ortho.ortho = Some(crate::scene::Ortho {
            half_height: 5.5,
            far: 1000.0,
        });
        assert_ne!(
            frame_key(&a, &ortho, &s, 64, 32),
            ortho_key,
            "orthographic size"
        );

        let mut c = a.clone();
        c.environment.exposure_ev100 += 0.5;
        assert_ne!(key(&c), base, "environment");

        let id = a
            .nodes()
            .find(|n| n.parent.is_some())
            .map(|n| n.id)
            .expect("a child");
        let mut c = a.clone();
        let mut t = c.node(id).map(|n| n.transform).unwrap_or_default();
        t.translation.x += 0.01;
        c.set_transform(id, t);
        assert_ne!(key(&c), base, "transform");

        let mut c = a.clone();
        c.set_name(id, "Something else");
        assert_eq!(key(&c), base, "a name does not change pixels");
    }

    #[test]
    fn geometry_is_hashed_once_per_object() {
        let a = crate::generate::generate_world(5);
        key(&a);
        let before = digests_computed();
        let b = a.clone();
        for _ in 0..3 {
            key(&b);
        }
        assert_eq!(
            digests_computed(),
            before,
            "clones share the memoised digests"
        );
    }
}
