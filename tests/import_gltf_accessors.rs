//! glTF accessor layouts the sample assets do not cover: sparse accessors (with and without a
//! base buffer view), interleaved vertex attributes and non-indexed primitives. Each file is
//! written by the test, so the expected values are known exactly.

use base64::Engine as _;
use serde_json::json;
use std::path::PathBuf;
use worldsmith::import::import_path;
use worldsmith::scene::{NodeKind, Scene};

/// A fresh, empty temporary folder for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "worldsmith-accessors-{}-{test}",
        std::process::id()
    ));
    std::fs::remove_dir_all(&dir).ok();
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Writes `gltf` (with one data-URI buffer holding `buffer`) and imports it.
fn import(test: &str, mut gltf: serde_json::Value, buffer: &[u8]) -> Scene {
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(buffer)
    );
    gltf["buffers"] = json!([{ "byteLength": buffer.len(), "uri": uri }]);
    gltf["asset"] = json!({ "version": "2.0" });
    gltf["scenes"] = json!([{ "nodes": [0] }]);
    gltf["nodes"] = json!([{ "mesh": 0, "name": "Tri" }]);
    let path = temp_dir(test).join("model.gltf");
    std::fs::write(&path, serde_json::to_vec(&gltf).expect("json")).expect("write");
    import_path(&path)
        .unwrap_or_else(|e| panic!("{test}: {e}"))
        .scene
}

/// Positions of the only mesh in `scene`, in vertex order of its triangles.
fn triangle_positions(scene: &Scene) -> Vec<[f32; 3]> {
    let node = scene
        .nodes()
        .find(|n| matches!(n.kind, NodeKind::Mesh { .. }))
        .expect("a mesh node");
    let NodeKind::Mesh { mesh, .. } = node.kind else {
        unreachable!()
    };
    let mesh = scene.mesh(mesh).expect("mesh");
    mesh.indices
        .iter()
        .map(|&i| mesh.positions[i as usize])
        .collect()
}

#[test]
fn sparse_positions_replace_values_of_the_base_view() {
    // Base: a flat triangle; the sparse part lifts vertices 0 and 2 to y = 5 and y = 7.
    let base = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
    let indices: Vec<u8> = [0u16, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let values = f32_bytes(&[0.0, 5.0, 0.0, 0.0, 7.0, 1.0]);
    let mut buffer = base.clone();
    buffer.extend(&indices);
    buffer.extend(&values);
    let gltf = json!({
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": 36 },
            { "buffer": 0, "byteOffset": 36, "byteLength": 4 },
            { "buffer": 0, "byteOffset": 40, "byteLength": 24 }
        ],
        "accessors": [{
            "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
            "min": [0.0, 0.0, 0.0], "max": [1.0, 7.0, 1.0],
            "sparse": {
                "count": 2,
                "indices": { "bufferView": 1, "componentType": 5123 },
                "values": { "bufferView": 2 }
            }
        }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }]
    });
    let scene = import("sparse-base", gltf, &buffer);
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 5.0, 0.0], [1.0, 0.0, 0.0], [0.0, 7.0, 1.0]]
    );
}

#[test]
fn sparse_accessor_without_a_view_starts_from_zeros() {
    let indices: Vec<u8> = [1u32].iter().flat_map(|v| v.to_le_bytes()).collect();
    let values = f32_bytes(&[2.0, 3.0, 4.0]);
    let mut buffer = indices.clone();
    buffer.extend(&values);
    let gltf = json!({
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": 4 },
            { "buffer": 0, "byteOffset": 4, "byteLength": 12 }
        ],
        "accessors": [{
            "componentType": 5126, "count": 3, "type": "VEC3",
            "min": [0.0, 0.0, 0.0], "max": [2.0, 3.0, 4.0],
            "sparse": {
                "count": 1,
                "indices": { "bufferView": 0, "componentType": 5125 },
                "values": { "bufferView": 1 }
            }
        }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }]
    });
    let scene = import("sparse-zeros", gltf, &buffer);
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 0.0, 0.0], [2.0, 3.0, 4.0], [0.0, 0.0, 0.0]]
    );
}

#[test]
fn interleaved_attributes_are_read_with_their_stride() {
    // Position (12 B) and normal (12 B) interleaved at a 24-byte stride, plus indices.
    let vertices: [[f32; 6]; 3] = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        [2.0, 0.0, 0.0, 0.0, 0.0, 1.0],
        [0.0, 3.0, 0.0, 0.0, 0.0, 1.0],
    ];
    let mut buffer = f32_bytes(&vertices.concat());
    buffer.extend([2u16, 1, 0].iter().flat_map(|v| v.to_le_bytes()));
    buffer.extend([0u8; 2]); // pad to 4
    let gltf = json!({
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": 72, "byteStride": 24 },
            { "buffer": 0, "byteOffset": 72, "byteLength": 6 }
        ],
        "accessors": [
            { "bufferView": 0, "byteOffset": 0, "componentType": 5126, "count": 3, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [2.0, 3.0, 0.0] },
            { "bufferView": 0, "byteOffset": 12, "componentType": 5126, "count": 3, "type": "VEC3" },
            { "bufferView": 1, "componentType": 5123, "count": 3, "type": "SCALAR" }
        ],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0, "NORMAL": 1 }, "indices": 2 }] }]
    });
    let scene = import("interleaved", gltf, &buffer);
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 3.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    );
    let mesh = scene.meshes().next().expect("mesh").1;
    assert!(
        mesh.normals.iter().all(|n| *n == [0.0, 0.0, 1.0]),
        "normals read from offset 12 of each 24-byte vertex: {:?}",
        mesh.normals
    );
}
