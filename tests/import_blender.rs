//! Files written by Blender 4.2's glTF exporter (`tests/data/blender`, made by the scripts in
//! `tests/data/README.md`) import as Blender shows them: a skinned, shape-keyed limb in
//! Blender's evaluated pose, Principled BSDF materials with their KHR_materials values, an
//! animation whose shot puts the object where Blender does on every frame, and shape-key
//! animation that shapes the mesh as Blender does, and loose edges as line nodes.

use crate::import_gltf_deform::world_vertices;
use glam::Vec3;
use worldsmith::import::import_path;
use worldsmith::scene::NodeKind;

#[test]
fn a_blender_export_shows_the_pose_blender_shows() {
    // tests/data/blender/limb.glb: Blender's exporter wrote a skinned, shape-keyed cylinder
    // bent 70° at its upper bone; limb_eval.json is Blender's own evaluated mesh (world
    // space, Z up). Every vertex the importer places must be one of Blender's, and every one
    // of Blender's must be placed (the exporter splits vertices along seams, so as sets).
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blender");
    let imported = import_path(&data.join("limb.glb")).expect("imports");
    let scene = &imported.scene;
    let mesh_node = scene
        .nodes()
        .find(|n| matches!(n.kind, NodeKind::Mesh { .. }))
        .expect("a mesh node")
        .name
        .clone();
    let (ours, _) = world_vertices(scene, &mesh_node);
    let text = std::fs::read_to_string(data.join("limb_eval.json")).expect("read");
    let blender: Vec<[f32; 3]> = serde_json::from_str(&text).expect("JSON");
    // Blender's Z up to glTF's Y up.
    let blender: Vec<Vec3> = blender
        .iter()
        .map(|[x, y, z]| Vec3::new(*x, *z, -*y))
        .collect();
    assert!(blender.len() > 400, "{} vertices", blender.len());
    let nearest = |p: Vec3, set: &[Vec3]| {
        set.iter()
            .map(|q| p.distance(*q))
            .fold(f32::INFINITY, f32::min)
    };
    let worst_ours = ours
        .iter()
        .map(|p| nearest(*p, &blender))
        .fold(0.0, f32::max);
    let worst_blender = blender
        .iter()
        .map(|p| nearest(*p, &ours))
        .fold(0.0, f32::max);
    assert!(
        worst_ours < 1e-3 && worst_blender < 1e-3,
        "{worst_ours} m from Blender's nearest vertex, {worst_blender} m the other way"
    );
    // The bend is there: the top ring sits well off the straight cylinder's axis.
    let reach = ours.iter().map(|p| p.z.abs()).fold(0.0, f32::max);
    assert!(
        reach > 1.5,
        "the upper bone bends the limb ({reach} m off the axis)"
    );
}

#[test]
fn a_blender_export_keeps_its_material_extensions() {
    // tests/data/blender/materials.glb: Blender 4.2 wrote six spheres whose Principled BSDF
    // uses coat, sheen, transmission and IOR, anisotropy, emission strength and a specular
    // tint, as the KHR_materials extensions its exporter maps them to.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blender");
    let imported = import_path(&data.join("materials.glb")).expect("imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let material = |name: &str| {
        scene
            .materials()
            .find(|(_, m)| m.name == name)
            .unwrap_or_else(|| panic!("no material '{name}'"))
            .1
            .clone()
    };
    let close = |a: f32, b: f32| (a - b).abs() < 1e-5;
    let coat = material("Coat");
    assert!(close(coat.clearcoat, 1.0) && close(coat.clearcoat_roughness, 0.05));
    let sheen = material("Sheen");
    assert_eq!(sheen.sheen_color, [1.0, 0.8, 0.8]);
    assert!(close(sheen.sheen_roughness, 0.5) && close(sheen.roughness, 0.9));
    let glass = material("Glass");
    assert!(close(glass.transmission, 1.0) && close(glass.ior, 1.45));
    let brushed = material("Aniso");
    assert!(close(brushed.anisotropy_strength, 0.8) && close(brushed.metallic, 1.0));
    let glow = material("Glow");
    assert!(close(glow.emissive_strength, 8.0));
    assert_eq!(glow.emissive, [1.0, 0.5, 0.1]);
    // glTF lets the specular colour factor pass 1 (Blender's tint × 2).
    assert_eq!(material("Spec").specular_color, [2.0, 0.6, 0.6]);
    // The camera and sun came along.
    assert!(scene.find("Cam").is_some());
    assert!(scene.nodes().any(|n| matches!(n.kind, NodeKind::Light(_))));
}

#[test]
fn a_blender_animation_plays_as_blender_plays_it() {
    // tests/data/blender/moving_cube.glb: a cube keyed at frames 0, 20 and 48 (Blender's
    // default Bézier keys, which its exporter samples per frame as LINEAR); the JSON holds
    // Blender's own evaluated position at every frame 0–48 (Z up). The shot the import makes
    // runs at Blender's 24 fps and puts the cube where Blender does on each frame.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blender");
    let imported = import_path(&data.join("moving_cube.glb")).expect("imports");
    let scene = &imported.scene;
    let shots = &scene.timeline().shots;
    assert_eq!(shots.len(), 1, "{:?}", imported.warnings);
    let shot = &shots[0];
    assert_eq!((shot.fps, shot.frames), (24, 49));
    let text = std::fs::read_to_string(data.join("moving_cube_eval.json")).expect("read");
    let blender: std::collections::BTreeMap<u32, [f32; 3]> =
        serde_json::from_str(&text).expect("JSON");
    assert_eq!(blender.len(), 49);
    let mover = scene.find("Mover").expect("Mover");
    let mut worst = 0.0f32;
    for (frame, [x, y, z]) in &blender {
        let sampled = scene
            .sampled(shot.id, *frame as f32, None)
            .expect("sampled");
        let at = sampled.world_from_local(mover).transform_point3(Vec3::ZERO);
        worst = worst.max(at.distance(Vec3::new(*x, *z, -*y)));
    }
    assert!(
        worst < 1e-4,
        "{worst} m from Blender's position on some frame"
    );
}

#[test]
fn blender_shape_keys_play_as_blender_plays_them() {
    // tests/data/blender/shape_keys.glb: a UV sphere with shape keys "Inflate" (×1.5) and
    // "Dent" (the top pushed down), keyed at frames 0, 12 and 30 (Blender's default Bézier
    // keys, which its exporter samples per frame); the JSON holds Blender's own evaluated
    // vertices (Z up) at frames 0, 6, 12, 20 and 30. The glTF splits vertices along seams,
    // so each imported vertex is matched with the nearest of Blender's, both ways.
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blender");
    let imported = import_path(&data.join("shape_keys.glb")).expect("imports");
    let scene = &imported.scene;
    let ball = scene.find("Ball").expect("Ball");
    let morph = scene.morph(ball).expect("shape keys kept");
    assert_eq!(&*morph.names, ["Inflate".to_owned(), "Dent".to_owned()]);
    let shot = &scene.timeline().shots[0];
    assert_eq!(shot.fps, 24, "{:?}", imported.warnings);
    let text = std::fs::read_to_string(data.join("shape_keys_eval.json")).expect("read");
    let blender: std::collections::BTreeMap<u32, Vec<[f32; 3]>> =
        serde_json::from_str(&text).expect("JSON");
    assert_eq!(blender.len(), 5);
    let nearest = |p: Vec3, among: &[Vec3]| {
        among
            .iter()
            .map(|q| q.distance(p))
            .fold(f32::INFINITY, f32::min)
    };
    for (frame, vertices) in &blender {
        let theirs: Vec<Vec3> = vertices
            .iter()
            .map(|[x, y, z]| Vec3::new(*x, *z, -*y))
            .collect();
        let sampled = scene
            .sampled(shot.id, *frame as f32, None)
            .expect("sampled");
        let (ours, _) = crate::import_gltf_deform::world_vertices(&sampled, "Ball");
        let worst = ours
            .iter()
            .map(|p| nearest(*p, &theirs))
            .chain(theirs.iter().map(|p| nearest(*p, &ours)))
            .fold(0.0f32, f32::max);
        assert!(
            worst < 1e-3,
            "frame {frame}: a vertex {worst} m from Blender's"
        );
    }
}

#[test]
fn blender_loose_edges_open_as_lines() {
    // tests/data/blender/loose_edges.glb: Blender 4.2 with "Loose Edges" (use_mesh_edges)
    // wrote a wire square with a diagonal (five loose edges, one LINES primitive) and a
    // cube with a loose "antenna" edge on top (a TRIANGLES and a LINES primitive).
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/blender");
    let imported = import_path(&data.join("loose_edges.glb")).expect("imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let lines: Vec<(String, usize)> = scene
        .nodes()
        .filter_map(|n| match n.kind {
            NodeKind::Lines { cloud, .. } => Some((
                n.name.clone(),
                scene.point_cloud(cloud).expect("cloud").segments.len(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines.iter().any(|(name, n)| name == "Wire" && *n == 5),
        "{lines:?}"
    );
    let (antenna, _) = lines
        .iter()
        .find(|(_, n)| *n == 1)
        .expect("the cube's antenna");
    // Blender's (4, 0, 0.5)–(4, 0, 2), Z up, is (4, 0.5, 0)–(4, 2, 0) in glTF's Y up.
    let id = scene.find(antenna).expect("antenna node");
    let world = scene.world_from_local(id);
    let NodeKind::Lines { cloud, .. } = scene.node(id).unwrap().kind else {
        unreachable!()
    };
    let cloud = scene.point_cloud(cloud).unwrap();
    let [a, b] = cloud.segments[0];
    let at = |i: u32| world.transform_point3(Vec3::from(cloud.positions[i as usize]));
    let mut ends = [at(a), at(b)];
    ends.sort_by(|p, q| p.y.total_cmp(&q.y));
    assert!(
        ends[0].abs_diff_eq(Vec3::new(4.0, 0.5, 0.0), 1e-5),
        "{ends:?}"
    );
    assert!(
        ends[1].abs_diff_eq(Vec3::new(4.0, 2.0, 0.0), 1e-5),
        "{ends:?}"
    );
    // The cube itself is still a mesh of 12 triangles.
    let triangles: Vec<usize> = scene.meshes().map(|(_, m)| m.triangle_count()).collect();
    assert_eq!(triangles, [12]);
}
