//! Skinned and morphed glTF meshes open in their rest pose, as a glTF viewer shows them
//! before any animation plays: a skin moves each vertex by its joints at the nodes' own
//! transforms (not the bind pose the vertices are stored in), morph targets add their
//! default weights (the node's, else the mesh's). Broken skins cost only their deformation,
//! with a warning.

use glam::{Quat, Vec3};
use serde_json::json;
use worldsmith::export::{ExportOptions, export_gltf};
use worldsmith::import::import_path;
use worldsmith::scene::{NodeKind, Scene};

pub fn bytes_of(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Buffer views in one data-URI buffer.
#[derive(Default)]
pub struct Bin {
    bytes: Vec<u8>,
    pub views: Vec<serde_json::Value>,
}

impl Bin {
    pub fn push(&mut self, data: &[u8]) -> usize {
        self.views
            .push(json!({ "buffer": 0, "byteOffset": self.bytes.len(), "byteLength": data.len() }));
        self.bytes.extend(data);
        self.bytes.resize(self.bytes.len().next_multiple_of(4), 0);
        self.views.len() - 1
    }

    pub fn buffer(&self) -> serde_json::Value {
        let uri = format!(
            "data:application/octet-stream;base64,{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &self.bytes)
        );
        json!([{ "byteLength": self.bytes.len(), "uri": uri }])
    }
}

/// An arm of two segments along +Y, stored (bound) straight: vertices at x = ±0.1 and
/// y = 0, 1, 2, normals +X. "Shoulder" (at the origin) carries y ≤ 1 (y = 1 shared half and
/// half), "Elbow" (1 m up) carries y = 2 and at rest is bent 90° about +Z. The skinned node
/// "Arm" has a translation glTF ignores. Joints are unsigned bytes and weights normalized
/// unsigned bytes (both allowed by glTF).
pub fn arm_gltf() -> serde_json::Value {
    let mut bin = Bin::default();
    let positions: Vec<f32> = [0.0f32, 1.0, 2.0]
        .iter()
        .flat_map(|&y| [-0.1, y, 0.0, 0.1, y, 0.0])
        .collect();
    let positions = bin.push(&bytes_of(&positions));
    let normals = bin.push(&bytes_of(&[1.0, 0.0, 0.0].repeat(6)));
    let joints = bin.push(
        &[
            [0u8, 0, 0, 0],
            [0; 4],
            [0, 1, 0, 0],
            [0, 1, 0, 0],
            [1, 0, 0, 0],
            [1, 0, 0, 0],
        ]
        .concat(),
    );
    let weights = bin.push(
        &[
            [255u8, 0, 0, 0],
            [255, 0, 0, 0],
            [128, 127, 0, 0],
            [128, 127, 0, 0],
            [255, 0, 0, 0],
            [255, 0, 0, 0],
        ]
        .concat(),
    );
    let indices: Vec<u8> = [0u16, 1, 3, 0, 3, 2, 2, 3, 5, 2, 5, 4]
        .iter()
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let indices = bin.push(&indices);
    // Inverse bind matrices (column-major): the shoulder bound at the origin, the elbow at
    // y = 1.
    let mut ibm = glam::Mat4::IDENTITY.to_cols_array().to_vec();
    ibm.extend(glam::Mat4::from_translation(-Vec3::Y).to_cols_array());
    let ibm = bin.push(&bytes_of(&ibm));
    let bent = Quat::from_rotation_z(std::f32::consts::FRAC_PI_2).to_array();
    json!({
        "asset": { "version": "2.0" },
        "buffers": bin.buffer(),
        "bufferViews": bin.views,
        "accessors": [
            { "bufferView": positions, "componentType": 5126, "count": 6, "type": "VEC3",
              "min": [-0.1, 0.0, 0.0], "max": [0.1, 2.0, 0.0] },
            { "bufferView": normals, "componentType": 5126, "count": 6, "type": "VEC3" },
            { "bufferView": joints, "componentType": 5121, "count": 6, "type": "VEC4" },
            { "bufferView": weights, "componentType": 5121, "normalized": true, "count": 6,
              "type": "VEC4" },
            { "bufferView": indices, "componentType": 5123, "count": 12, "type": "SCALAR" },
            { "bufferView": ibm, "componentType": 5126, "count": 2, "type": "MAT4" }
        ],
        "meshes": [{ "name": "ArmMesh", "primitives": [{
            "attributes": { "POSITION": 0, "NORMAL": 1, "JOINTS_0": 2, "WEIGHTS_0": 3 },
            "indices": 4 }] }],
        "skins": [{ "joints": [1, 2], "inverseBindMatrices": 5, "skeleton": 1 }],
        "nodes": [
            { "name": "Arm", "mesh": 0, "skin": 0, "translation": [5.0, 0.0, 0.0] },
            { "name": "Shoulder", "children": [2] },
            { "name": "Elbow", "translation": [0.0, 1.0, 0.0], "rotation": bent }
        ],
        "scenes": [{ "nodes": [0, 1] }]
    })
}

fn import(dir: &std::path::Path, gltf: &serde_json::Value) -> worldsmith::import::Imported {
    let path = dir.join("deformed.gltf");
    std::fs::write(&path, serde_json::to_vec(gltf).expect("json")).expect("write");
    import_path(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// World-space positions and normals of mesh node `name`.
pub fn world_vertices(scene: &Scene, name: &str) -> (Vec<Vec3>, Vec<Vec3>) {
    let id = scene
        .find(name)
        .unwrap_or_else(|| panic!("no node '{name}'"));
    let node = scene.node(id).expect("node");
    let NodeKind::Mesh { mesh, .. } = node.kind else {
        panic!("'{name}' holds no mesh")
    };
    let mesh = scene.mesh(mesh).expect("mesh");
    let world_from_local = scene.world_from_local(id);
    let positions = mesh
        .positions
        .iter()
        .map(|p| world_from_local.transform_point3(Vec3::from(*p)))
        .collect();
    let normals = mesh
        .normals
        .iter()
        .map(|n| {
            world_from_local
                .transform_vector3(Vec3::from(*n))
                .normalize()
        })
        .collect();
    (positions, normals)
}

pub fn assert_near(actual: &[Vec3], expected: &[Vec3], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (k, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!(a.distance(*e) < 2e-3, "{what} {k}: {a} but expected {e}");
    }
}

#[test]
fn a_skinned_mesh_shows_its_joints_rest_pose() {
    let dir = crate::common::temp_dir("deform", "arm");
    let imported = import(&dir, &arm_gltf());
    let scene = &imported.scene;
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains("1 skin(s): skinned meshes show in their rest pose"),
        "{warnings}"
    );
    assert_eq!(imported.warnings.len(), 1, "{warnings}");
    // The node keeps its transform (the outliner shows the file's value) ...
    let arm = scene.node(scene.find("Arm").expect("Arm")).expect("node");
    assert_eq!(arm.transform.translation, Vec3::new(5.0, 0.0, 0.0));
    // ... but, as glTF says, it does not move the skinned vertices: the shoulder segment
    // stays at the origin and the elbow's turns 90° to −X about (0, 1, 0). The shared row
    // at y = 1 sits on the pivot, so both joints agree on it.
    let (positions, normals) = world_vertices(scene, "Arm");
    let w = 128.0 / 255.0;
    let shared = |x: f32| {
        // Half the shoulder (no move), half the elbow (turned about the pivot).
        let elbow = Vec3::new(0.0, 1.0 + x, 0.0);
        let weights = w + 127.0 / 255.0;
        (Vec3::new(x, 1.0, 0.0) * w + elbow * (127.0 / 255.0)) / weights
    };
    let expected = [
        Vec3::new(-0.1, 0.0, 0.0),
        Vec3::new(0.1, 0.0, 0.0),
        shared(-0.1),
        shared(0.1),
        Vec3::new(-1.0, 0.9, 0.0),
        Vec3::new(-1.0, 1.1, 0.0),
    ];
    assert_near(&positions, &expected, "position");
    // Normals turn with the elbow (+X → +Y); the shoulder's stay.
    assert!(normals[0].distance(Vec3::X) < 1e-4, "{}", normals[0]);
    assert!(normals[5].distance(Vec3::Y) < 1e-4, "{}", normals[5]);

    // Exported, the mesh is written in that pose (as a plain mesh) and reads back the same.
    let path = dir.join("exported.glb");
    export_gltf(scene, &path, &ExportOptions::default()).expect("exports");
    let again = import_path(&path).expect("re-imports").scene;
    let (round_trip, _) = world_vertices(&again, "Arm");
    assert_near(&round_trip, &expected, "exported position");
}

/// A quad with two morph targets: 0 moves every vertex up by 4 (dense), 1 moves vertex 0
/// right by 2 (sparse, zeros elsewhere, with no buffer view). The mesh's default weights are
/// [0.25, 0]; node "B" has weights [0, 1] of its own, "C" repeats the mesh's.
fn morph_gltf() -> serde_json::Value {
    let mut bin = Bin::default();
    let quad = [
        0.0f32, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0,
    ];
    let positions = bin.push(&bytes_of(&quad));
    let up = bin.push(&bytes_of(&[0.0, 4.0, 0.0].repeat(4)));
    let sparse_index = bin.push(&0u16.to_le_bytes());
    let sparse_value = bin.push(&bytes_of(&[2.0, 0.0, 0.0]));
    let indices: Vec<u8> = [0u16, 1, 2, 0, 2, 3]
        .iter()
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let indices = bin.push(&indices);
    json!({
        "asset": { "version": "2.0" },
        "buffers": bin.buffer(),
        "bufferViews": bin.views,
        "accessors": [
            { "bufferView": positions, "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] },
            { "bufferView": up, "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 4.0, 0.0], "max": [0.0, 4.0, 0.0] },
            { "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [2.0, 0.0, 0.0],
              "sparse": { "count": 1,
                          "indices": { "bufferView": sparse_index, "componentType": 5123 },
                          "values": { "bufferView": sparse_value } } },
            { "bufferView": indices, "componentType": 5123, "count": 6, "type": "SCALAR" }
        ],
        "meshes": [{ "name": "Quad", "weights": [0.25, 0.0], "primitives": [{
            "attributes": { "POSITION": 0 }, "indices": 3,
            "targets": [{ "POSITION": 1 }, { "POSITION": 2 }] }] }],
        "nodes": [
            { "name": "A", "mesh": 0 },
            { "name": "B", "mesh": 0, "weights": [0.0, 1.0], "translation": [3.0, 0.0, 0.0] },
            { "name": "C", "mesh": 0, "weights": [0.25, 0.0], "translation": [6.0, 0.0, 0.0] }
        ],
        "scenes": [{ "nodes": [0, 1, 2] }]
    })
}

#[test]
fn morph_targets_show_at_their_default_weights() {
    let dir = crate::common::temp_dir("deform", "morph");
    let imported = import(&dir, &morph_gltf());
    let scene = &imported.scene;
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let quad = [
        Vec3::new(0.0, 0.0, 0.0),
        Vec3::new(1.0, 0.0, 0.0),
        Vec3::new(1.0, 1.0, 0.0),
        Vec3::new(0.0, 1.0, 0.0),
    ];
    let moved = |offset: Vec3, f: &dyn Fn(usize) -> Vec3| -> Vec<Vec3> {
        quad.iter()
            .enumerate()
            .map(|(k, p)| *p + offset + f(k))
            .collect()
    };
    // A: the mesh's weights, a quarter of "up".
    let (a, _) = world_vertices(scene, "A");
    assert_near(&a, &moved(Vec3::ZERO, &|_| Vec3::Y), "A");
    // B: its own weights, all of the sparse target and none of "up".
    let (b, _) = world_vertices(scene, "B");
    let right = |k: usize| {
        if k == 0 {
            Vec3::new(2.0, 0.0, 0.0)
        } else {
            Vec3::ZERO
        }
    };
    assert_near(&b, &moved(Vec3::new(3.0, 0.0, 0.0), &right), "B");
    // C repeats the mesh's weights, so it shares A's mesh rather than a copy.
    let (c, _) = world_vertices(scene, "C");
    assert_near(&c, &moved(Vec3::new(6.0, 0.0, 0.0), &|_| Vec3::Y), "C");
    let mesh_of = |name: &str| match scene.node(scene.find(name).unwrap()).unwrap().kind {
        NodeKind::Mesh { mesh, .. } => mesh,
        _ => panic!("no mesh"),
    };
    assert_eq!(mesh_of("A"), mesh_of("C"));
    assert_ne!(mesh_of("A"), mesh_of("B"));
    assert_eq!(scene.meshes().count(), 2);
}

/// A change made to a test file.
type Edit = fn(&mut serde_json::Value);

#[test]
fn broken_skins_cost_only_their_deformation() {
    let dir = crate::common::temp_dir("deform", "broken");
    let cases: [(&str, Edit, &str); 4] = [
        (
            "a skin the file lacks",
            |g| g["nodes"][0]["skin"] = json!(7),
            "names skin 7, which the file lacks",
        ),
        (
            "joints that are not nodes",
            |g| g["skins"][0]["joints"] = json!([1, 99]),
            "1 joint(s) are not nodes of the file",
        ),
        (
            "inverse bind matrices of the wrong type",
            |g| g["skins"][0]["inverseBindMatrices"] = json!(0),
            "are not readable MAT4 floats",
        ),
        (
            "influences naming joints the skin lacks",
            |g| g["skins"][0]["joints"] = json!([1]),
            "vertex influence(s) name joints the skin lacks",
        ),
    ];
    for (what, edit, warning) in cases {
        let mut gltf = arm_gltf();
        edit(&mut gltf);
        let imported = import(&dir, &gltf);
        let warnings = imported.warnings.join("\n");
        assert!(warnings.contains(warning), "{what}: {warnings}");
        let (positions, _) = world_vertices(&imported.scene, "Arm");
        assert_eq!(positions.len(), 6, "{what}");
        assert!(
            positions.iter().all(|p| p.is_finite()),
            "{what}: {positions:?}"
        );
    }
}

#[test]
fn many_skinned_nodes_stay_within_a_joint_budget() {
    // A short file can name a skin of many joints from many nodes: 1,100 nodes × 1,000
    // joints would be 1.1 M joint matrices, past the 1,048,576 the importer builds; the
    // rest show their mesh unskinned, with one warning.
    let dir = crate::common::temp_dir("deform", "joints");
    let mut gltf = arm_gltf();
    gltf["skins"][0]["joints"] = json!((0..1000).map(|k| 1 + k % 2).collect::<Vec<_>>());
    let nodes = gltf["nodes"].as_array_mut().expect("nodes");
    for k in 0..1100 {
        nodes.push(json!({ "name": format!("Copy_{k}"), "mesh": 0, "skin": 0 }));
    }
    gltf["scenes"][0]["nodes"] = json!((0..1103).filter(|&n| n != 2).collect::<Vec<_>>());
    let imported = import(&dir, &gltf);
    let budget: Vec<&String> = imported
        .warnings
        .iter()
        .filter(|w| w.contains("joint matrices"))
        .collect();
    assert_eq!(budget.len(), 1, "{:?}", imported.warnings);
    assert!(budget[0].contains("node 'Copy_1047'"), "{}", budget[0]);
    // Skinned copies are bent at the elbow; the ones past the budget are straight.
    let (bent, _) = world_vertices(&imported.scene, "Copy_1046");
    assert!(bent[5].x < -0.5, "{:?}", bent[5]);
    let (straight, _) = world_vertices(&imported.scene, "Copy_1047");
    assert!((straight[5] - Vec3::new(0.1, 2.0, 0.0)).length() < 1e-5);
}

#[test]
fn many_morph_targets_on_one_large_accessor_stay_within_a_budget() {
    // 300 targets at full weight all reading one accessor of a million (zero) vertices: the
    // file is tiny but would have the importer move 300 M vertices; it stops at 2^28 with one
    // warning.
    let dir = crate::common::temp_dir("deform", "targets");
    let n = 999_999;
    let gltf = json!({
        "asset": { "version": "2.0" },
        "accessors": [{ "componentType": 5126, "count": n, "type": "VEC3",
                        "min": [0.0, 0.0, 0.0], "max": [0.0, 0.0, 0.0] }],
        "meshes": [{ "weights": vec![1.0; 300], "primitives": [{
            "attributes": { "POSITION": 0 },
            "targets": vec![json!({ "POSITION": 0 }); 300] }] }],
        "nodes": [{ "name": "Zeros", "mesh": 0 }],
        "scenes": [{ "nodes": [0] }]
    });
    let imported = import(&dir, &gltf);
    let budget: Vec<&String> = imported
        .warnings
        .iter()
        .filter(|w| w.contains("morph targets would move more than 268435456 vertices"))
        .collect();
    assert_eq!(budget.len(), 1, "{:?}", imported.warnings);
    let (positions, _) = world_vertices(&imported.scene, "Zeros");
    assert_eq!(positions.len(), n);
}
