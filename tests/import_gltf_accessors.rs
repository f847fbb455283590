//! glTF accessor layouts the sample assets do not cover: sparse accessors (with and without a
//! base buffer view), interleaved vertex attributes, non-indexed primitives and the integer
//! attributes of KHR_mesh_quantization. Each file is written by the test, so the expected
//! values are known exactly.

use crate::common;

use base64::Engine as _;
use serde_json::{Value, json};
use worldsmith::import::import_path;
use worldsmith::scene::{Channel, NodeKind, Scene, Value as Keyed};

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Writes `gltf` (with one data-URI buffer holding `buffer`) and imports it.
fn import(test: &str, gltf: serde_json::Value, buffer: &[u8]) -> Scene {
    import_result(test, gltf, buffer).unwrap_or_else(|e| panic!("{test}: {e}"))
}

/// [`import`], keeping the error.
fn import_result(
    test: &str,
    gltf: serde_json::Value,
    buffer: &[u8],
) -> Result<Scene, worldsmith::import::ImportError> {
    import_with_warnings(test, gltf, buffer).map(|imported| imported.scene)
}

/// [`import_result`] with the import's warnings.
fn import_with_warnings(
    test: &str,
    mut gltf: serde_json::Value,
    buffer: &[u8],
) -> Result<worldsmith::import::Imported, worldsmith::import::ImportError> {
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(buffer)
    );
    gltf["buffers"] = json!([{ "byteLength": buffer.len(), "uri": uri }]);
    gltf["asset"] = json!({ "version": "2.0" });
    if gltf.get("scenes").is_none() {
        gltf["scenes"] = json!([{ "nodes": [0] }]);
    }
    if gltf.get("nodes").is_none() {
        gltf["nodes"] = json!([{ "mesh": 0, "name": "Tri" }]);
    }
    let path = crate::common::temp_dir("accessors", test).join("model.gltf");
    std::fs::write(&path, serde_json::to_vec(&gltf).expect("json")).expect("write");
    import_path(&path)
}

/// Positions of the only mesh in `scene`, in vertex order of its triangles.
fn triangle_positions(scene: &Scene) -> Vec<[f32; 3]> {
    let (_, mesh) = common::first_mesh(scene);
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
    let scene = import("sparse-zeros", gltf.clone(), &buffer);
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 0.0, 0.0], [2.0, 3.0, 4.0], [0.0, 0.0, 0.0]]
    );

    // Such an accessor's count costs memory the file does not hold: 4 billion zeros (48 GB)
    // are refused before anything is allocated, as is any count past 64 MiB + 256× the file.
    for (count, bytes) in [(4_000_000_000u64, "48000000000"), (6_000_000, "72000000")] {
        let mut huge = gltf.clone();
        huge["accessors"][0]["count"] = json!(count);
        let error = import_result("sparse-huge", huge, &buffer)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("model.gltf")
                && error.contains("accessor 0")
                && error.contains(&format!("{count} values without a buffer view"))
                && error.contains(bytes),
            "{error}"
        );
    }
}

#[test]
fn accessors_without_any_data_read_as_zeros() {
    // glTF: an accessor with neither a buffer view nor sparse values is all zeros (exporters
    // write such texture coordinates and morph targets). The gltf crate refuses them.
    let positions = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let gltf = json!({
        "bufferViews": [{ "buffer": 0, "byteOffset": 0, "byteLength": 36 }],
        "accessors": [
            { "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] },
            { "componentType": 5126, "count": 3, "type": "VEC2" },
            { "componentType": 5121, "normalized": true, "count": 3, "type": "VEC4" }
        ],
        "meshes": [{ "primitives": [{
            "attributes": { "POSITION": 0, "TEXCOORD_0": 1, "COLOR_0": 2 }
        }] }]
    });
    let scene = import("zeros", gltf.clone(), &positions);
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    );
    let (_, mesh) = common::first_mesh(&scene);
    assert_eq!(mesh.uvs, vec![[0.0, 0.0]; 3]);
    assert_eq!(mesh.colors, vec![[0.0, 0.0, 0.0, 0.0]; 3]);

    // The zeros are memory the file does not hold: a count past what the file may expand to
    // (64 MiB + 256× its bytes) is a named error before anything is allocated.
    for (count, bytes) in [(4_000_000_000u64, "32000000000"), (9_000_000, "72000000")] {
        let mut huge = gltf.clone();
        huge["accessors"][1]["count"] = json!(count);
        let error = import_result("zeros-huge", huge, &positions)
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("model.gltf")
                && error.contains("accessor 1")
                && error.contains(&format!("{count} values without a buffer view"))
                && error.contains(bytes),
            "{error}"
        );
    }
}

#[test]
fn textures_without_an_image_and_unreadable_animations_cost_only_themselves() {
    // A texture may leave out `source` (an extension may hold its image); animations and
    // skins are not played, and KHR_animation_pointer channels (a `pointer` path, no node)
    // are more than the gltf crate can read. None of them may refuse the model.
    let positions = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
    let gltf = json!({
        "extensionsUsed": ["KHR_animation_pointer"],
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": 36 },
            { "buffer": 0, "byteOffset": 36, "byteLength": 8 }
        ],
        "accessors": [
            { "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] },
            { "bufferView": 1, "componentType": 5126, "count": 2, "type": "SCALAR",
              "min": [0.0], "max": [1.0] }
        ],
        "materials": [{
            "name": "Painted",
            "pbrMetallicRoughness": {
                "baseColorFactor": [0.8, 0.2, 0.1, 1.0],
                "baseColorTexture": { "index": 0 }
            }
        }],
        "textures": [{}],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 }, "material": 0 }] }],
        "nodes": [{ "mesh": 0, "name": "Tri", "skin": 0 }, { "name": "Joint" }],
        "skins": [{ "joints": [1] }],
        "animations": [{
            "channels": [{ "sampler": 0, "target": {
                "path": "pointer",
                "extensions": { "KHR_animation_pointer": {
                    "pointer": "/materials/0/pbrMetallicRoughness/roughnessFactor"
                } }
            } }],
            "samplers": [{ "input": 1, "output": 1 }]
        }]
    });
    let imported = import_with_warnings("sourceless", gltf.clone(), &positions)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        triangle_positions(&imported.scene),
        vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    );
    let (_, material) = imported.scene.materials().next().expect("a material");
    assert_eq!(material.name, "Painted");
    assert_eq!(material.base_color, [0.8, 0.2, 0.1, 1.0]);
    assert!(material.base_color_texture.is_none());
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains("model.gltf: texture 0 has no image")
            && warnings.contains("1 skin(s)")
            && warnings.contains("its node has a skin but it has no JOINTS_0/WEIGHTS_0")
            && !warnings.contains("image 0"),
        "{warnings}"
    );
    assert_eq!(imported.warnings.len(), 3, "{warnings}");
    // The KHR_animation_pointer channel keys the material's roughness (0 → 1 over 1 s).
    let shot = &imported.scene.timeline().shots[0];
    let (material, _) = imported.scene.materials().next().expect("a material");
    let roughness = shot
        .tracks
        .iter()
        .find(|t| t.channel == Channel::Roughness(material))
        .expect("a roughness track");
    assert_eq!(roughness.keys().len(), 2);
    assert_eq!(roughness.sample(12.0), Some(Keyed::Float(0.5)));

    // A readable animation whose channel reads a scalar as rotations loses that channel,
    // with a warning naming it; a broken part outside the animations is still the file's
    // error, at its place in the file.
    let mut plain = gltf.clone();
    plain["animations"][0]["channels"][0]["target"] = json!({ "node": 0, "path": "rotation" });
    let imported = import_with_warnings("plain-animation", plain, &positions).expect("loads");
    let has = |text: &str| imported.warnings.iter().any(|w| w.ends_with(text));
    assert!(
        has(
            "1 skin(s): skinned meshes show in their rest pose; their joints' animation plays \
             on the timeline"
        ) && has(
            "animation 'Animation 1': channel 0: its values are not a readable VEC4 \
                 accessor; left out"
        ),
        "{:?}",
        imported.warnings
    );
    assert!(imported.scene.timeline().shots.is_empty());
    // A pointer to what the timeline does not key is named.
    let mut other = gltf.clone();
    other["animations"][0]["channels"][0]["target"]["extensions"]["KHR_animation_pointer"]["pointer"] =
        json!("/materials/0/alphaCutoff");
    let imported = import_with_warnings("other-pointer", other, &positions).expect("loads");
    assert!(
        imported.warnings.iter().any(|w| w.ends_with(
            "animation 'Animation 1': 1 channel(s) animate what the timeline does not key \
             (first: pointer '/materials/0/alphaCutoff'); left out"
        )),
        "{:?}",
        imported.warnings
    );
    let mut broken = gltf;
    broken["meshes"][0]["primitives"] = json!("not a list");
    let error = import_result("broken-mesh", broken, &positions)
        .expect_err("refused")
        .to_string();
    assert!(
        error.contains("model.gltf") && error.contains("expected a sequence"),
        "{error}"
    );
}

#[test]
fn what_gltf_allows_and_the_gltf_crate_refuses_still_loads() {
    // Integers written with a zero fraction (the glTF validator accepts them), a scene
    // without `nodes`, and a primitive without POSITION (allowed for extensions; it is left
    // out with a warning, its sibling kept).
    let positions = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let gltf = json!({
        "scene": 0.0,
        "scenes": [{ "nodes": [0.0] }, { "name": "Empty" }],
        "bufferViews": [{ "buffer": 0, "byteOffset": 0.0, "byteLength": 36.0 }],
        "accessors": [
            { "bufferView": 0, "componentType": 5126.0, "count": 3.0, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] }
        ],
        "meshes": [{ "primitives": [
            { "attributes": { "NORMAL": 0 } },
            { "attributes": { "POSITION": 0 } }
        ] }]
    });
    let imported =
        import_with_warnings("lenient", gltf, &positions).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        triangle_positions(&imported.scene),
        vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    );
    assert_eq!(
        imported.warnings,
        vec![format!(
            "{}: meshes[0].primitives[0] has no POSITION attribute; it is left out",
            crate::common::temp_dir_path("accessors", "lenient")
                .join("model.gltf")
                .display()
        )]
    );
}

#[test]
fn bytes_after_the_end_of_a_glb_are_not_read() {
    // A GLB of one JSON chunk (its buffer a data: URI) and a newline after the stream, as a
    // tool appending to files writes it: the gltf crate would read on for a BIN chunk.
    let positions = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&positions)
    );
    let json = json!({
        "asset": { "version": "2.0" },
        "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0 }],
        "buffers": [{ "byteLength": 36, "uri": uri }],
        "bufferViews": [{ "buffer": 0, "byteLength": 36 }],
        "accessors": [{ "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                        "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }]
    });
    let mut chunk = serde_json::to_vec(&json).expect("json");
    chunk.resize(chunk.len().next_multiple_of(4), b' ');
    let mut glb = b"glTF".to_vec();
    glb.extend_from_slice(&2u32.to_le_bytes());
    glb.extend_from_slice(&(20 + chunk.len() as u32).to_le_bytes());
    glb.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
    glb.extend_from_slice(b"JSON");
    glb.extend_from_slice(&chunk);
    glb.push(b'\n');
    let scene = common::load(
        &crate::common::temp_dir("accessors", "glb-trailing"),
        "trailing.glb",
        glb,
    );
    assert_eq!(
        triangle_positions(&scene),
        vec![[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
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

/// Little-endian bytes of `values`, each vertex padded with zeros to `stride` bytes.
fn padded<T: Copy, const N: usize>(
    vertices: &[[T; N]],
    stride: usize,
    bytes: impl Fn(T) -> Vec<u8>,
) -> Vec<u8> {
    let mut out = Vec::new();
    for vertex in vertices {
        let start = out.len();
        for &c in vertex {
            out.extend(bytes(c));
        }
        out.resize(start + stride, 0);
    }
    out
}

#[test]
fn quantized_attributes_are_converted_as_gltf_says() {
    // KHR_mesh_quantization: normalized i16 positions, i8 normals and tangents, raw u16 UVs
    // on set 0 and normalized i8 UVs on set 1, each vertex padded to 4-byte alignment.
    let positions: [[i16; 3]; 3] = [[-32768, 0, 32767], [16384, -16384, 0], [0, 32767, 0]];
    let normals: [[i8; 3]; 3] = [[0, 127, 0], [127, 127, 0], [0, 0, -128]];
    let tangents: [[i8; 4]; 3] = [[127, 0, 0, 127], [0, 0, 127, -127], [127, 0, 0, 127]];
    let uvs0: [[u16; 2]; 3] = [[3, 7], [65535, 0], [0, 1]];
    let uvs1: [[i8; 2]; 3] = [[-127, 64], [127, 0], [-128, 1]];
    let mut buffer = padded(&positions, 8, |c| c.to_le_bytes().to_vec());
    buffer.extend(padded(&normals, 4, |c| c.to_le_bytes().to_vec()));
    buffer.extend(padded(&tangents, 4, |c| c.to_le_bytes().to_vec()));
    buffer.extend(padded(&uvs0, 4, |c| c.to_le_bytes().to_vec()));
    buffer.extend(padded(&uvs1, 4, |c| c.to_le_bytes().to_vec()));
    assert_eq!(buffer.len(), 24 + 12 + 12 + 12 + 12);
    let gltf = json!({
        "extensionsUsed": ["KHR_mesh_quantization"],
        "extensionsRequired": ["KHR_mesh_quantization"],
        "bufferViews": [
            { "buffer": 0, "byteOffset": 0, "byteLength": 24, "byteStride": 8 },
            { "buffer": 0, "byteOffset": 24, "byteLength": 12, "byteStride": 4 },
            { "buffer": 0, "byteOffset": 36, "byteLength": 12, "byteStride": 4 },
            { "buffer": 0, "byteOffset": 48, "byteLength": 12, "byteStride": 4 },
            { "buffer": 0, "byteOffset": 60, "byteLength": 12, "byteStride": 4 }
        ],
        "accessors": [
            { "bufferView": 0, "componentType": 5122, "normalized": true, "count": 3,
              "type": "VEC3", "min": [-32768, -16384, 0], "max": [16384, 32767, 32767] },
            { "bufferView": 1, "componentType": 5120, "normalized": true, "count": 3, "type": "VEC3" },
            { "bufferView": 2, "componentType": 5120, "normalized": true, "count": 3, "type": "VEC4" },
            { "bufferView": 3, "componentType": 5123, "count": 3, "type": "VEC2" },
            { "bufferView": 4, "componentType": 5120, "normalized": true, "count": 3, "type": "VEC2" }
        ],
        "meshes": [{ "primitives": [{ "attributes": {
            "POSITION": 0, "NORMAL": 1, "TANGENT": 2, "TEXCOORD_0": 3, "TEXCOORD_1": 4
        } }] }]
    });
    let scene = import("quantized", gltf, &buffer);
    let mesh = common::only_mesh(&scene);
    let i16n = |c: i16| (f32::from(c) / 32767.0).max(-1.0);
    let i8n = |c: i8| (f32::from(c) / 127.0).max(-1.0);
    let expected: Vec<[f32; 3]> = positions.iter().map(|p| p.map(i16n)).collect();
    assert_eq!(mesh.positions, expected);
    assert_eq!(mesh.positions[0], [-1.0, 0.0, 1.0]);
    let expected_normals = [
        [0.0, 1.0, 0.0],
        [
            std::f32::consts::FRAC_1_SQRT_2,
            std::f32::consts::FRAC_1_SQRT_2,
            0.0,
        ],
        [0.0, 0.0, -1.0],
    ];
    for (got, want) in mesh.normals.iter().zip(expected_normals) {
        let error = glam::Vec3::from(*got).distance(glam::Vec3::from(want));
        assert!(error < 1e-6, "normal {got:?}, expected {want:?}");
    }
    assert_eq!(mesh.normals.len(), 3);
    let expected_tangents: Vec<[f32; 4]> = tangents.iter().map(|t| t.map(i8n)).collect();
    assert_eq!(mesh.tangents, expected_tangents, "file tangents are kept");
    assert_eq!(mesh.uvs, vec![[3.0, 7.0], [65535.0, 0.0], [0.0, 1.0]]);
    let expected_uvs1: Vec<[f32; 2]> = uvs1.iter().map(|t| t.map(i8n)).collect();
    assert_eq!(mesh.uvs1, expected_uvs1);
    assert_eq!(mesh.uvs1[2][0], -1.0, "-128 clamps to -1");
}

#[test]
fn unnormalized_byte_positions_and_core_byte_uvs() {
    // u8 positions as raw integers; u8 UVs without the `normalized` flag: raw under
    // KHR_mesh_quantization, normalized (as core glTF allows only) in a file without it.
    let positions: [[u8; 3]; 3] = [[0, 0, 0], [200, 0, 0], [0, 255, 9]];
    let uvs: [[u8; 2]; 3] = [[0, 255], [51, 0], [255, 102]];
    let mut buffer = padded(&positions, 4, |c| vec![c]);
    buffer.extend(padded(&uvs, 4, |c| vec![c]));
    let gltf = |quantized: bool| {
        let mut gltf = json!({
            "bufferViews": [
                { "buffer": 0, "byteOffset": 0, "byteLength": 12, "byteStride": 4 },
                { "buffer": 0, "byteOffset": 12, "byteLength": 12, "byteStride": 4 }
            ],
            "accessors": [
                { "bufferView": 0, "componentType": 5121, "count": 3, "type": "VEC3",
                  "min": [0, 0, 0], "max": [200, 255, 9] },
                { "bufferView": 1, "componentType": 5121, "count": 3, "type": "VEC2" }
            ],
            "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0, "TEXCOORD_0": 1 } }] }]
        });
        if quantized {
            gltf["extensionsUsed"] = json!(["KHR_mesh_quantization"]);
        }
        gltf
    };
    let raw = import("bytes-quantized", gltf(true), &buffer);
    let mesh = common::only_mesh(&raw);
    assert_eq!(
        mesh.positions,
        vec![[0.0, 0.0, 0.0], [200.0, 0.0, 0.0], [0.0, 255.0, 9.0]]
    );
    assert_eq!(mesh.uvs, vec![[0.0, 255.0], [51.0, 0.0], [255.0, 102.0]]);
    let core = import("bytes-core", gltf(false), &buffer);
    let mesh = common::only_mesh(&core);
    assert_eq!(mesh.positions[2], [0.0, 255.0, 9.0]);
    assert_eq!(mesh.uvs, vec![[0.0, 1.0], [0.2, 0.0], [1.0, 0.4]]);
}

#[test]
fn an_integer_layout_outside_the_extension_is_a_named_error() {
    // u32 positions are in neither core glTF nor KHR_mesh_quantization.
    let buffer: Vec<u8> = [0u32, 0, 0, 1, 0, 0, 0, 1, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let gltf = json!({
        "bufferViews": [{ "buffer": 0, "byteOffset": 0, "byteLength": 36 }],
        "accessors": [{ "bufferView": 0, "componentType": 5125, "count": 3, "type": "VEC3",
                        "min": [0, 0, 0], "max": [1, 1, 0] }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }]
    });
    let error = import_result("u32-positions", gltf, &buffer)
        .expect_err("u32 positions refused")
        .to_string();
    assert!(
        error.contains("model.gltf") && error.contains("POSITION") && error.contains("U32"),
        "{error}"
    );
}

/// How [`helmet_as`] writes the helmet's vertices.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// gltfpack's default: positions as u16 (dequantized by a child node's uniform scale and
    /// translation), normals as normalized i16, UVs as normalized u16 over their bounding box
    /// (mapped back by a KHR_texture_transform on every texture).
    Quantized,
    /// The quantized integers already converted to `f32` as glTF says (normals made unit
    /// length), in core float accessors: what the importer should make of `Quantized`.
    Float,
    /// `Quantized`, with every vertex stream and the indices compressed by meshoptimizer
    /// (EXT_meshopt_compression, no filters) and an empty fallback buffer, as `gltfpack -c`.
    Meshopt,
    /// `Meshopt` with filters: positions as floats through EXPONENTIAL, normals as 16-bit
    /// OCTAHEDRAL.
    MeshoptFiltered,
}

/// DamagedHelmet.glb with its mesh rewritten in `form`; images, materials and the rest as
/// they were.
fn helmet_as(form: Form) -> Vec<u8> {
    let bytes = std::fs::read(common::testdata().join("DamagedHelmet.glb")).expect("helmet");
    let glb = gltf::Glb::from_slice(&bytes).expect("GLB");
    let mut json: serde_json::Value = serde_json::from_slice(&glb.json).expect("JSON chunk");
    let original = glb.bin.expect("BIN chunk").into_owned();
    let document = gltf::Gltf::from_slice(&bytes).expect("helmet parses");
    let mesh = document.meshes().next().expect("mesh");
    assert_eq!(mesh.primitives().count(), 1);
    let primitive = mesh.primitives().next().expect("primitive");
    let reader = primitive.reader(|_| Some(original.as_slice()));
    let positions: Vec<glam::Vec3> = reader
        .read_positions()
        .expect("positions")
        .map(glam::Vec3::from)
        .collect();
    let normals: Vec<[f32; 3]> = reader.read_normals().expect("normals").collect();
    let uvs: Vec<[f32; 2]> = reader.read_tex_coords(0).expect("uvs").into_f32().collect();
    let indices: Vec<u32> = reader.read_indices().expect("indices").into_u32().collect();
    let uv_min = uvs
        .iter()
        .fold(glam::Vec2::MAX, |a, uv| a.min((*uv).into()));
    let uv_max = uvs
        .iter()
        .fold(glam::Vec2::MIN, |a, uv| a.max((*uv).into()));
    let uv_range = uv_max - uv_min;
    assert!(uv_max.y > 1.5, "the helmet's V runs past 1: {uv_max}");
    let min = positions.iter().fold(glam::Vec3::MAX, |a, p| a.min(*p));
    let max = positions.iter().fold(glam::Vec3::MIN, |a, p| a.max(*p));
    // One step on every axis, as gltfpack does: a non-uniform scale would bend the normals.
    let step = glam::Vec3::splat((max - min).max_element() / 65535.0);
    let q_positions: Vec<[u16; 3]> = positions
        .iter()
        .map(|p| ((*p - min) / step).round().to_array().map(|c| c as u16))
        .collect();
    let q_normals: Vec<[i16; 3]> = normals
        .iter()
        .map(|n| n.map(|c| (c * 32767.0).round() as i16))
        .collect();
    let q_uvs: Vec<[u16; 2]> = uvs
        .iter()
        .map(|uv| {
            let unit = (glam::Vec2::from(*uv) - uv_min) / uv_range;
            (unit * 65535.0).round().to_array().map(|c| c as u16)
        })
        .collect();
    let le16 = |c: u16| c.to_le_bytes().to_vec();
    let le = |c: f32| c.to_le_bytes().to_vec();
    // Each vertex stream: its bytes, byteStride, (componentType, normalized) and meshopt filter.
    let f_positions: Vec<[f32; 3]> = q_positions.iter().map(|p| p.map(f32::from)).collect();
    let q_uv_stream = (padded(&q_uvs, 4, le16), 4, (5123, true), "NONE");
    let streams = match form {
        Form::Float => {
            let f_normals: Vec<[f32; 3]> = q_normals
                .iter()
                .map(|n| {
                    let n = n.map(|c| (f32::from(c) / 32767.0).max(-1.0));
                    glam::Vec3::from(n).normalize_or_zero().to_array()
                })
                .collect();
            let f_uvs: Vec<[f32; 2]> = q_uvs
                .iter()
                .map(|uv| uv.map(|c| f32::from(c) / 65535.0))
                .collect();
            [
                (padded(&f_positions, 12, le), 12, (5126, false), "NONE"),
                (padded(&f_normals, 12, le), 12, (5126, false), "NONE"),
                (padded(&f_uvs, 8, le), 8, (5126, false), "NONE"),
            ]
        }
        Form::Quantized | Form::Meshopt => [
            (padded(&q_positions, 8, le16), 8, (5123, false), "NONE"),
            (
                padded(&q_normals, 8, |c| c.to_le_bytes().to_vec()),
                8,
                (5122, true),
                "NONE",
            ),
            q_uv_stream,
        ],
        Form::MeshoptFiltered => {
            let exp =
                meshopt::encode_filter_exp(&f_positions, 24, meshopt::EncodeExpMode::Separate);
            let oct_input: Vec<[f32; 4]> =
                normals.iter().map(|n| [n[0], n[1], n[2], 0.0]).collect();
            let oct = meshopt::encode_filter_oct::<i16>(&oct_input, 16);
            [
                (
                    padded(&exp, 12, |c| c.to_le_bytes().to_vec()),
                    12,
                    (5126, false),
                    "EXPONENTIAL",
                ),
                (
                    padded(&oct, 8, |c| c.to_le_bytes().to_vec()),
                    8,
                    (5122, true),
                    "OCTAHEDRAL",
                ),
                q_uv_stream,
            ]
        }
    };
    let compressed = matches!(form, Form::Meshopt | Form::MeshoptFiltered);

    let mut bin = original.clone();
    let mut fallback_len = 0;
    let view0 = json["bufferViews"].as_array().expect("views").len();
    let accessor0 = json["accessors"].as_array().expect("accessors").len();
    let count = positions.len();
    // (bytes, byteStride or 0 for indices, meshopt mode, filter, element count) per new view.
    let mut views: Vec<(Vec<u8>, usize, &str, &str, usize)> = streams
        .iter()
        .map(|(data, stride, _, filter)| (data.clone(), *stride, "ATTRIBUTES", *filter, count))
        .collect();
    if compressed {
        let index_bytes: Vec<u8> = indices
            .iter()
            .flat_map(|&i| (i as u16).to_le_bytes())
            .collect();
        views.push((index_bytes, 0, "TRIANGLES", "NONE", indices.len()));
    }
    for (data, stride, mode, filter, elements) in views {
        bin.resize(bin.len().next_multiple_of(4), 0);
        let mut view = json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": data.len() });
        if stride > 0 {
            view["byteStride"] = json!(stride);
        }
        if compressed {
            let (encoded, codec_stride) = match stride {
                0 => (
                    meshopt::encode_index_buffer(&indices, count).expect("encode"),
                    2,
                ),
                _ => (compress_vertices(&data, stride), stride),
            };
            assert!(
                encoded.len() < data.len(),
                "meshopt made the {mode} stream smaller"
            );
            view["extensions"] = json!({ "EXT_meshopt_compression": {
                "buffer": 0, "byteOffset": bin.len(), "byteLength": encoded.len(),
                "byteStride": codec_stride, "count": elements, "mode": mode, "filter": filter } });
            view["buffer"] = json!(1);
            view["byteOffset"] = json!(fallback_len);
            fallback_len = (fallback_len + data.len()).next_multiple_of(4);
            bin.extend(encoded);
        } else {
            bin.extend(data);
        }
        json["bufferViews"]
            .as_array_mut()
            .expect("views")
            .push(view);
    }
    let q_max = q_positions.iter().fold([0u16; 3], |a, p| {
        [a[0].max(p[0]), a[1].max(p[1]), a[2].max(p[2])]
    });
    let accessors = json["accessors"].as_array_mut().expect("accessors");
    for (k, (kind, (_, _, (component, normalized), _))) in
        ["VEC3", "VEC3", "VEC2"].iter().zip(&streams).enumerate()
    {
        let mut accessor = json!({ "bufferView": view0 + k, "componentType": component,
                                   "count": count, "type": kind });
        if *normalized {
            accessor["normalized"] = json!(true);
        }
        if k == 0 {
            accessor["min"] = json!([0, 0, 0]);
            accessor["max"] = json!(q_max);
        }
        accessors.push(accessor);
    }
    if compressed {
        accessors.push(json!({ "bufferView": view0 + 3, "componentType": 5123,
                               "count": indices.len(), "type": "SCALAR" }));
        json["meshes"][0]["primitives"][0]["indices"] = json!(accessor0 + 3);
    }
    let attributes = &mut json["meshes"][0]["primitives"][0]["attributes"];
    assert!(
        attributes.get("TANGENT").is_none(),
        "the helmet has no tangents"
    );
    attributes["POSITION"] = json!(accessor0);
    attributes["NORMAL"] = json!(accessor0 + 1);
    attributes["TEXCOORD_0"] = json!(accessor0 + 2);
    json["buffers"][0]["byteLength"] = json!(bin.len());
    if compressed {
        json["buffers"]
            .as_array_mut()
            .expect("buffers")
            .push(json!({
            "byteLength": fallback_len,
            "extensions": { "EXT_meshopt_compression": { "fallback": true } } }));
    }
    // The mesh moves to a child whose transform undoes the quantization.
    let nodes = json["nodes"].as_array_mut().expect("nodes");
    let holder = nodes
        .iter()
        .position(|n| n.get("mesh").is_some())
        .expect("mesh node");
    let child = nodes.len();
    nodes.push(json!({ "name": "dequantize", "mesh": 0,
                       "translation": min.to_array(), "scale": step.to_array() }));
    let holder = &mut nodes[holder];
    holder.as_object_mut().expect("node").remove("mesh");
    holder["children"] = json!([child]);
    // The UVs span 0..1 of their own box: every texture maps it back (KHR_texture_transform).
    let back = json!({ "KHR_texture_transform": {
        "offset": uv_min.to_array(), "scale": uv_range.to_array() } });
    let material = &mut json["materials"][0];
    for slot in ["normalTexture", "occlusionTexture", "emissiveTexture"] {
        material[slot]["extensions"] = back.clone();
    }
    for slot in ["baseColorTexture", "metallicRoughnessTexture"] {
        material["pbrMetallicRoughness"][slot]["extensions"] = back.clone();
    }
    let mut used = vec!["KHR_texture_transform"];
    let mut required = vec![];
    if form != Form::Float {
        used.push("KHR_mesh_quantization");
        required.push("KHR_mesh_quantization");
    }
    if compressed {
        used.push("EXT_meshopt_compression");
        required.push("EXT_meshopt_compression");
    }
    json["extensionsUsed"] = json!(used);
    json["extensionsRequired"] = json!(required);
    common::glb(&serde_json::to_vec(&json).expect("JSON"), &bin)
}

/// meshoptimizer's vertex codec over `data`, vertices of `stride` bytes.
fn compress_vertices(data: &[u8], stride: usize) -> Vec<u8> {
    fn encode<const N: usize>(data: &[u8]) -> Vec<u8> {
        let vertices: Vec<[u8; N]> = data
            .chunks_exact(N)
            .map(|v| v.try_into().expect("N bytes"))
            .collect();
        meshopt::encode_vertex_buffer(&vertices).expect("encode")
    }
    match stride {
        4 => encode::<4>(data),
        8 => encode::<8>(data),
        12 => encode::<12>(data),
        _ => unreachable!("stride {stride}"),
    }
}

/// The largest angle between corresponding normals, in degrees (asin of the cross product:
/// precise at small angles, where acos is not). `b`'s normals must be unit length.
fn worst_normal_degrees(a: &[[f32; 3]], b: &[[f32; 3]]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(n, m)| {
            let (n, m) = (glam::Vec3::from(*n).normalize(), glam::Vec3::from(*m));
            assert!((m.length() - 1.0).abs() < 1e-6, "unit normals: {m}");
            n.cross(m).length().min(1.0).asin().to_degrees()
        })
        .fold(0.0, f32::max)
}

#[test]
fn a_quantized_helmet_decodes_to_its_float_equivalent_and_looks_like_the_original() {
    let dir = crate::common::temp_dir("accessors", "quantized-helmet");
    let quantized = common::load(&dir, "QuantizedHelmet.glb", helmet_as(Form::Quantized));
    let equivalent = common::load(&dir, "DequantizedHelmet.glb", helmet_as(Form::Float));
    let original = import_path(&common::testdata().join("DamagedHelmet.glb"))
        .expect("helmet")
        .scene;

    // Decoding: the same vertex data, bit for bit, as the file written with floats, so the
    // same MikkTSpace tangents too.
    let (q_mesh, e_mesh) = (
        common::only_mesh(&quantized),
        common::only_mesh(&equivalent),
    );
    assert_eq!(q_mesh.positions, e_mesh.positions);
    assert_eq!(q_mesh.normals, e_mesh.normals);
    assert_eq!(q_mesh.uvs, e_mesh.uvs);
    assert_eq!(
        q_mesh.tangents.len(),
        q_mesh.positions.len(),
        "MikkTSpace ran"
    );
    assert_eq!(q_mesh.tangents, e_mesh.tangents);
    assert_eq!(quantized.images().count(), 5);

    // Against the original: the same vertices in the world within half a quantization step
    // (the helmet is ~2 m across: 2 / 65535 ≈ 31 µm) plus float rounding, normals within
    // 0.01°.
    let (a, b) = (
        common::world_positions(&original),
        common::world_positions(&quantized),
    );
    assert_eq!(a.len(), b.len());
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| p.distance(*q))
        .fold(0.0, f32::max);
    assert!(worst < 4e-5, "largest position error {worst} m");
    let worst_normal = worst_normal_degrees(&common::only_mesh(&original).normals, &q_mesh.normals);
    assert!(worst_normal < 0.01, "normals within 0.01°: {worst_normal}°");

    let Some(got) = common::render_framed(quantized, &original) else {
        return;
    };
    let want = common::render_framed(equivalent, &original).expect("adapter");
    let source = common::render_framed(original.clone(), &original).expect("adapter");
    common::assert_not_degenerate("quantized helmet", &got);
    let same = common::diff(&want, &got);
    assert!(
        same.bad_fraction == 0.0 && same.mean_abs < 0.05,
        "quantized and float-equivalent helmets differ: {:.4} % of pixels off by > {}, mean {:.3}",
        same.bad_fraction * 100.0,
        common::PIXEL_THRESHOLD,
        same.mean_abs
    );
    // The visor's sharp highlight moves a little with the 16-bit UVs' tangents: within the
    // golden tolerance of the original.
    let close = common::diff(&source, &got);
    assert!(
        common::within_tolerance(&close),
        "quantized helmet differs from the original: {:.4} % of pixels off by > {}, mean {:.3}",
        close.bad_fraction * 100.0,
        common::PIXEL_THRESHOLD,
        close.mean_abs
    );
    std::fs::remove_dir_all(dir).ok();
}

/// Each triangle with its corners rotated to start at the smallest index (winding kept).
fn rotated_triangles(indices: &[u32]) -> Vec<[u32; 3]> {
    indices
        .chunks_exact(3)
        .map(|t| {
            let first = (0..3).min_by_key(|&k| t[k]).unwrap_or(0);
            [t[first], t[(first + 1) % 3], t[(first + 2) % 3]]
        })
        .collect()
}

#[test]
fn a_meshopt_compressed_helmet_decodes_like_the_uncompressed_one() {
    let dir = crate::common::temp_dir("accessors", "meshopt-helmet");
    let meshopt = common::load(&dir, "MeshoptHelmet.glb", helmet_as(Form::Meshopt));
    let quantized = common::load(&dir, "QuantizedHelmet.glb", helmet_as(Form::Quantized));
    let (m, q) = (common::only_mesh(&meshopt), common::only_mesh(&quantized));
    // meshopt's index codec may rotate a triangle's corners (keeping its winding).
    assert!(
        rotated_triangles(&m.indices) == rotated_triangles(&q.indices),
        "the TRIANGLES stream decodes to the same triangles"
    );
    assert_eq!(m.positions, q.positions);
    assert_eq!(m.normals, q.normals);
    assert_eq!(m.uvs, q.uvs);
    // MikkTSpace sums in corner order: rotated triangles round a little differently.
    let worst_tangent = m
        .tangents
        .iter()
        .zip(&q.tangents)
        .map(|(a, b)| glam::Vec4::from(*a).distance(glam::Vec4::from(*b)))
        .fold(0.0, f32::max);
    assert_eq!(m.tangents.len(), q.tangents.len());
    assert!(
        worst_tangent < 1e-4,
        "tangents within 1e-4: {worst_tangent}"
    );
    assert_eq!(meshopt.images().count(), 5);

    // Filters: EXPONENTIAL gives back the float positions exactly (integers under 2^24),
    // 16-bit OCTAHEDRAL the original normals within 0.01°.
    let filtered = common::load(&dir, "FilteredHelmet.glb", helmet_as(Form::MeshoptFiltered));
    let float = common::load(&dir, "DequantizedHelmet.glb", helmet_as(Form::Float));
    let original = import_path(&common::testdata().join("DamagedHelmet.glb"))
        .expect("helmet")
        .scene;
    let (f, e) = (common::only_mesh(&filtered), common::only_mesh(&float));
    assert!(rotated_triangles(&f.indices) == rotated_triangles(&q.indices));
    assert_eq!(f.positions, e.positions);
    assert_eq!(f.uvs, e.uvs);
    let worst_normal = worst_normal_degrees(&common::only_mesh(&original).normals, &f.normals);
    assert!(
        worst_normal < 0.01,
        "octahedral normals within 0.01°: {worst_normal}°"
    );
    let Some(got) = common::render_framed(filtered, &original) else {
        return;
    };
    let want = common::render_framed(original.clone(), &original).expect("adapter");
    common::assert_not_degenerate("meshopt helmet", &got);
    let close = common::diff(&want, &got);
    assert!(
        common::within_tolerance(&close),
        "filtered meshopt helmet differs from the original: {:.4} % of pixels off by > {}, mean {:.3}",
        close.bad_fraction * 100.0,
        common::PIXEL_THRESHOLD,
        close.mean_abs
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_meshopt_quad_decodes_to_known_values() {
    let dir = crate::common::temp_dir("accessors", "meshopt-quad");
    let path = dir.join("quad.glb");
    std::fs::write(&path, common::meshopt_quad_glb(|_| {})).expect("write");
    let scene = import_path(&path).expect("meshopt quad").scene;
    let mesh = common::only_mesh(&scene);
    assert_eq!(
        mesh.positions,
        vec![
            [0.0, 0.0, 0.0],
            [2.0, 0.0, 0.0],
            [2.0, 2.0, 0.0],
            [0.0, 2.0, 0.0]
        ]
    );
    assert_eq!(
        mesh.normals,
        vec![[0.0, 0.0, 1.0]; 4],
        "octahedral filter applied"
    );
    assert_eq!(
        mesh.uvs,
        vec![[0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]
    );
    assert_eq!(rotated_triangles(&mesh.indices), vec![[0, 1, 2], [0, 2, 3]]);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn hostile_meshopt_views_are_named_errors() {
    use serde_json::{Value, json};
    let dir = crate::common::temp_dir("accessors", "meshopt-hostile");
    /// The meshopt object of buffer view `view`.
    fn extension(json: &mut Value, view: usize) -> &mut Value {
        &mut json["bufferViews"][view]["extensions"]["EXT_meshopt_compression"]
    }
    let import = |name: &str, edit: &dyn Fn(&mut Value)| -> String {
        let path = dir.join("hostile.glb");
        std::fs::write(&path, common::meshopt_quad_glb(edit)).expect("write");
        let error = import_path(&path)
            .err()
            .unwrap_or_else(|| panic!("{name}: imported"))
            .to_string();
        assert!(error.contains("hostile.glb"), "{name}: {error}");
        error
    };
    // (case, view, member of its meshopt object, new value, words the error must hold)
    let cases: [(&str, usize, &str, Value, &[&str]); 9] = [
        (
            "stride 6",
            0,
            "byteStride",
            json!(6),
            &["buffer view 0", "stride 6"],
        ),
        (
            "stride 260",
            0,
            "byteStride",
            json!(260),
            &["buffer view 0", "stride 260"],
        ),
        (
            "huge count",
            2,
            "count",
            json!(4_000_000_000u64),
            &["buffer view 2", "more than"],
        ),
        (
            "outside its buffer",
            1,
            "byteOffset",
            json!(1_000_000),
            &["buffer view 1", "outside buffer 0"],
        ),
        (
            "missing source buffer",
            1,
            "buffer",
            json!(7),
            &["buffer view 1", "buffer 7"],
        ),
        (
            "unknown mode",
            0,
            "mode",
            json!("SPLINES"),
            &["buffer view 0", "unreadable meshopt", "SPLINES"],
        ),
        (
            "quaternions on a 4-byte stride",
            2,
            "filter",
            json!("QUATERNION"),
            &["buffer view 2", "Quaternion", "4-byte"],
        ),
        (
            "triangles not in threes",
            3,
            "count",
            json!(5),
            &["buffer view 3", "multiple of 3"],
        ),
        (
            "index stride 3",
            3,
            "byteStride",
            json!(3),
            &["buffer view 3", "neither 2 nor 4"],
        ),
    ];
    for (name, view, member, value, words) in cases {
        let error = import(name, &|j| extension(j, view)[member] = value.clone());
        for word in words {
            assert!(error.contains(word), "{name}: '{word}' not in: {error}");
        }
    }
    // Corrupt data: the positions pointed at the index stream's bytes.
    let error = import("corrupt data", &|j| {
        let indices = extension(j, 3).clone();
        let positions = extension(j, 0);
        positions["byteOffset"] = indices["byteOffset"].clone();
        positions["byteLength"] = indices["byteLength"].clone();
    });
    assert!(
        error.contains("buffer view 0") && error.contains("meshopt decoding failed"),
        "{error}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn required_extensions_worldsmith_cannot_read_are_named() {
    let buffer = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let gltf = json!({
        "extensionsUsed": ["EXT_texture_avif", "KHR_materials_volume_scatter",
                           "KHR_mesh_quantization"],
        "extensionsRequired": ["EXT_texture_avif", "KHR_mesh_quantization",
                               "KHR_materials_volume_scatter"],
        "bufferViews": [{ "buffer": 0, "byteOffset": 0, "byteLength": 36 }],
        "accessors": [{ "bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                        "min": [0, 0, 0], "max": [1, 1, 0] }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }]
    });
    let error = import_result("unsupported-required", gltf, &buffer)
        .expect_err("AVIF and volume scattering are not read")
        .to_string();
    assert!(
        error.contains("model.gltf")
            && error.contains("EXT_texture_avif, KHR_materials_volume_scatter")
            && !error.contains("KHR_mesh_quantization"),
        "{error}"
    );
}

/// A triangle drawn by `instances` instances (EXT_mesh_gpu_instancing): `attributes` maps
/// TRANSLATION/ROTATION/SCALE to accessors 1, 2, 3 laid out by `layouts` (componentType,
/// normalized, bytes) after the triangle's positions.
fn instanced_triangle(attributes: Value, layouts: &[(u32, bool, Vec<u8>)], count: usize) -> Value {
    let mut views = vec![json!({ "buffer": 0, "byteOffset": 0, "byteLength": 36 })];
    let mut accessors = vec![json!({ "bufferView": 0, "componentType": 5126, "count": 3,
        "type": "VEC3", "min": [0, 0, 0], "max": [1, 1, 0] })];
    let mut offset = 36;
    for ((component, normalized, bytes), kind) in layouts.iter().zip(["VEC3", "VEC4", "VEC3"]) {
        views.push(json!({ "buffer": 0, "byteOffset": offset, "byteLength": bytes.len() }));
        accessors.push(
            json!({ "bufferView": views.len() - 1, "componentType": component,
            "normalized": normalized, "count": count, "type": kind }),
        );
        offset += bytes.len().next_multiple_of(4);
    }
    json!({
        "extensionsUsed": ["EXT_mesh_gpu_instancing"],
        "extensionsRequired": ["EXT_mesh_gpu_instancing"],
        "bufferViews": views,
        "accessors": accessors,
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }],
        "nodes": [{ "mesh": 0, "name": "Tree", "translation": [0, 0, -10],
                    "extensions": { "EXT_mesh_gpu_instancing": { "attributes": attributes } } }]
    })
}

/// The buffer behind [`instanced_triangle`].
fn instanced_buffer(layouts: &[(u32, bool, Vec<u8>)]) -> Vec<u8> {
    let mut buffer = f32_bytes(&[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    for (_, _, bytes) in layouts {
        buffer.extend(bytes);
        buffer.resize(buffer.len().next_multiple_of(4), 0);
    }
    buffer
}

#[test]
fn gpu_instancing_draws_the_mesh_once_per_instance() {
    use glam::{Quat, Vec3};
    // Three instances: float translations, normalized i16 rotations (90° about z, none,
    // 180° about y) and float scales.
    let translations = [[1.0, 0.0, 0.0], [0.0, 5.0, 0.0], [-3.0, 0.0, 2.0]];
    let s = std::f32::consts::FRAC_1_SQRT_2;
    let rotations = [[0.0, 0.0, s, s], [0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]];
    let scales = [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 3.0, 1.0]];
    let i16s = |q: &[[f32; 4]]| -> Vec<u8> {
        q.iter()
            .flatten()
            .flat_map(|c| ((c * 32767.0).round() as i16).to_le_bytes())
            .collect()
    };
    let layouts = [
        (5126, false, f32_bytes(translations.as_flattened())),
        (5122, true, i16s(&rotations)),
        (5126, false, f32_bytes(scales.as_flattened())),
    ];
    let attributes = json!({ "TRANSLATION": 1, "ROTATION": 2, "SCALE": 3 });
    let scene = import(
        "instancing",
        instanced_triangle(attributes, &layouts, 3),
        &instanced_buffer(&layouts),
    );
    let instances: Vec<_> = scene
        .nodes()
        .filter(|n| matches!(n.kind, NodeKind::Mesh { .. }))
        .collect();
    assert_eq!(
        instances.len(),
        3,
        "one mesh node per instance, none at the node"
    );
    assert_eq!(scene.meshes().count(), 1, "the instances share one mesh");
    for (k, node) in instances.iter().enumerate() {
        assert_eq!(node.name, format!("Tree_{k}"));
        let parent = scene
            .node(node.parent.expect("under the node"))
            .expect("parent");
        assert_eq!(parent.name, "Tree");
        // The triangle's corner (1, 0, 0) lands where node × instance puts it.
        let want = Vec3::new(0.0, 0.0, -10.0)
            + Vec3::from(translations[k])
            + Quat::from_array(rotations[k]) * (Vec3::from(scales[k]) * Vec3::X);
        let got = scene.world_from_local(node.id).transform_point3(Vec3::X);
        assert!(got.abs_diff_eq(want, 1e-3), "instance {k}: {got} vs {want}");
    }
    assert_eq!(scene.triangle_count(), 3);
}

#[test]
fn bad_instancing_accessors_are_named_errors() {
    let floats = |n: usize, c: usize| f32_bytes(&vec![0.5; n * c]);
    let cases = [
        (
            "counts",
            json!({ "TRANSLATION": 1, "SCALE": 3 }),
            vec![
                (5126, false, floats(2, 3)),
                (5126, false, floats(2, 4)),
                (5126, false, floats(3, 3)),
            ],
            2,
            "counts differ",
        ),
        (
            "layout",
            json!({ "ROTATION": 2 }),
            vec![
                (5126, false, floats(2, 3)),
                (5122, false, vec![0; 16]),
                (5126, false, floats(2, 3)),
            ],
            2,
            "not float or normalized",
        ),
        (
            "missing",
            json!({ "TRANSLATION": 9 }),
            vec![(5126, false, floats(2, 3))],
            2,
            "TRANSLATION names no accessor",
        ),
    ];
    for (name, attributes, layouts, count, words) in cases {
        let mut gltf = instanced_triangle(attributes, &layouts, count);
        if name == "counts" {
            gltf["accessors"][3]["count"] = json!(3);
        }
        let error = import_result(name, gltf, &instanced_buffer(&layouts))
            .expect_err("refused")
            .to_string();
        assert!(
            error.contains("model.gltf")
                && error.contains("node Tree EXT_mesh_gpu_instancing")
                && error.contains(words),
            "{name}: {error}"
        );
    }
}
