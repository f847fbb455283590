//! glTF POINTS primitives that are not Gaussian splats open as point clouds (what trimesh
//! writes for the coloured reconstructions of DUSt3R, MASt3R or VGGT, and what worldsmith
//! exports a point cloud as): COLOR_0 (linear) times the material's base colour factor,
//! stored sRGB-encoded as a point cloud's colours are; normals; morph targets. Line
//! primitives open as line nodes (tests/lines.rs).

use glam::Vec3;
use serde_json::json;
use worldsmith::import::import_path;
use worldsmith::scene::{DEFAULT_POINT_SIZE_PX, NodeKind, PointCloud, Scene};

fn bytes_of(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Three points at x = 0, 1, 2 with float RGB colours (linear 0.2159 = sRGB 128, 1, 0),
/// normalized signed-byte normals (+Y, not quite unit), a morph target lifting them by 2
/// at default weight 0.5, and a material whose base colour factor halves green. A second
/// mesh holds a line strip and a colourless point.
pub fn points_gltf() -> serde_json::Value {
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut push = |data: Vec<u8>| {
        views.push(json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": data.len() }));
        bin.extend(data);
        bin.resize(bin.len().next_multiple_of(4), 0);
        views.len() - 1
    };
    let positions = push(bytes_of(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 2.0, 0.0, 0.0]));
    let colors = push(bytes_of(&[
        0.215_861, 0.215_861, 0.215_861, //
        1.0, 1.0, 1.0, //
        0.0, 1.0, 0.0,
    ]));
    let normals = push(
        [0i8, 120, 0, 0, 120, 0, 0, 120, 0]
            .map(|v| v as u8)
            .to_vec(),
    );
    let lift = push(bytes_of(&[0.0, 2.0, 0.0].repeat(3)));
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bin)
    );
    json!({
        "asset": { "version": "2.0" },
        "buffers": [{ "byteLength": bin.len(), "uri": uri }],
        "bufferViews": views,
        "accessors": [
            { "bufferView": positions, "componentType": 5126, "count": 3, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [2.0, 0.0, 0.0] },
            { "bufferView": colors, "componentType": 5126, "count": 3, "type": "VEC3" },
            { "bufferView": normals, "componentType": 5120, "normalized": true, "count": 3,
              "type": "VEC3" },
            { "bufferView": lift, "componentType": 5126, "count": 3, "type": "VEC3",
              "min": [0.0, 2.0, 0.0], "max": [0.0, 2.0, 0.0] },
            { "bufferView": positions, "componentType": 5126, "count": 1, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [0.0, 0.0, 0.0] }
        ],
        "materials": [{ "pbrMetallicRoughness": { "baseColorFactor": [1.0, 0.5, 1.0, 1.0] } }],
        "meshes": [
            { "name": "Scan", "weights": [0.5], "primitives": [{
                "attributes": { "POSITION": 0, "COLOR_0": 1, "NORMAL": 2 }, "mode": 0,
                "material": 0, "targets": [{ "POSITION": 3 }] }] },
            { "name": "Extras", "primitives": [
                { "attributes": { "POSITION": 0 }, "mode": 3 },
                { "attributes": { "POSITION": 4 }, "mode": 0 }
            ] }
        ],
        "nodes": [
            { "name": "Cloud", "mesh": 0, "translation": [0.0, 0.0, -1.0] },
            { "name": "Other", "mesh": 1 }
        ],
        "scenes": [{ "nodes": [0, 1] }]
    })
}

fn cloud_of<'s>(scene: &'s Scene, name: &str) -> (&'s PointCloud, f32) {
    let node = scene.node(scene.find(name).expect("node")).expect("node");
    let NodeKind::Points {
        cloud,
        point_size_px,
    } = node.kind
    else {
        panic!("'{name}' is not a point cloud: {:?}", node.kind)
    };
    (scene.point_cloud(cloud).expect("cloud"), point_size_px)
}

#[test]
fn point_primitives_open_as_point_clouds() {
    let dir = std::env::temp_dir().join(format!("ws-gltf-points-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("points.gltf");
    std::fs::write(&path, serde_json::to_vec(&points_gltf()).expect("json")).expect("write");
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let scene = &imported.scene;
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);

    let (cloud, size) = cloud_of(scene, "Cloud");
    assert_eq!(size, DEFAULT_POINT_SIZE_PX);
    assert_eq!(cloud.len(), 3);
    // Lifted by half the target.
    let expected = [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [2.0, 1.0, 0.0]];
    for (p, e) in cloud.positions.iter().zip(expected) {
        assert!(Vec3::from(*p).abs_diff_eq(Vec3::from(e), 1e-6), "{p:?}");
    }
    // Linear colour × factor, sRGB-encoded: 0.2159 → 128 (green halved: 0.108 → 92), 1 →
    // 255 (green 0.5 → 188), 0 → 0.
    assert_eq!(
        cloud.colors,
        [[128, 92, 128, 255], [255, 188, 255, 255], [0, 188, 0, 255]]
    );
    for n in &cloud.normals {
        assert!(Vec3::from(*n).abs_diff_eq(Vec3::Y, 1e-6), "{n:?}");
    }
    // The node keeps its transform.
    let node = scene.node(scene.find("Cloud").unwrap()).unwrap();
    assert_eq!(node.transform.translation, Vec3::new(0.0, 0.0, -1.0));

    // A point without colour or material is white (no colours stored).
    let other = scene.find("Other").expect("Other");
    let child = scene
        .nodes()
        .find(|n| n.parent == Some(other) && matches!(n.kind, NodeKind::Points { .. }))
        .expect("the second primitive's cloud");
    let (cloud, _) = cloud_of(scene, &child.name);
    assert_eq!(cloud.len(), 1);
    assert!(cloud.colors.is_empty() && cloud.normals.is_empty());
    // The line strip beside it is a line node over the three points (see tests/lines.rs).
    let strip = scene
        .nodes()
        .find(|n| n.parent == Some(other) && matches!(n.kind, NodeKind::Lines { .. }))
        .expect("the first primitive's line strip");
    let cloud = strip.kind.point_cloud().and_then(|c| scene.point_cloud(c));
    assert_eq!(cloud.expect("cloud").segments, [[0, 1], [1, 2]]);
}
