//! KHR_gaussian_splatting: 3D Gaussian splats stored as a glTF point primitive (the Khronos
//! release candidate's attribute semantics). The file is written by the test, so every value
//! the importer should produce is known.

use crate::common;

use serde_json::{Value, json};
use worldsmith::import::import_path;
use worldsmith::scene::NodeKind;

/// SH degree 0 normalisation constant, as the extension states it.
const C0: f32 = 0.282_094_8;

/// Three splats: red, green and blue, 0.3 m wide, side by side along x.
const POSITIONS: [[f32; 3]; 3] = [[-1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]];
const SCALES: [[f32; 3]; 3] = [[0.3, 0.3, 0.3], [0.3, 0.1, 0.3], [0.3, 0.3, 0.05]];
const OPACITY: [u8; 3] = [255, 200, 128];
/// Rotations (x, y, z, w): none, 90° about z, 45° about x.
fn rotations() -> [[f32; 4]; 3] {
    let s = std::f32::consts::FRAC_1_SQRT_2;
    let h = (std::f32::consts::PI / 8.0).sin();
    let c = (std::f32::consts::PI / 8.0).cos();
    [[0.0, 0.0, 0.0, 1.0], [0.0, 0.0, s, s], [h, 0.0, 0.0, c]]
}
/// SH degree 0 coefficients giving red, green and blue (colour = 0.5 + C0 · sh).
fn sh0() -> [[f32; 3]; 3] {
    let lo = -0.45 / C0;
    let hi = 0.45 / C0;
    [[hi, lo, lo], [lo, hi, lo], [lo, lo, hi]]
}
/// SH degree 1 coefficient `k` of splat `i`.
fn sh1(i: usize, k: usize) -> [f32; 3] {
    [0.01 * (i * 3 + k) as f32, -0.02, 0.125]
}

/// The splats as a glTF point primitive: rotations as normalized i16, opacity as normalized
/// u8, the rest float; `edit` may change the JSON (hostile variants).
pub(crate) fn splat_gltf(edit: impl FnOnce(&mut Value)) -> (Value, Vec<u8>) {
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut push = |bytes: Vec<u8>| {
        views.push(json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": bytes.len() }));
        bin.extend(bytes);
        bin.resize(bin.len().next_multiple_of(4), 0);
        views.len() - 1
    };
    let f32s = |v: &[[f32; 3]]| -> Vec<u8> {
        v.as_flattened()
            .iter()
            .flat_map(|c| c.to_le_bytes())
            .collect()
    };
    let p = push(f32s(&POSITIONS));
    let r = push(
        rotations()
            .as_flattened()
            .iter()
            .flat_map(|c| ((c * 32767.0).round() as i16).to_le_bytes())
            .collect(),
    );
    let s = push(f32s(&SCALES));
    let o = push(OPACITY.to_vec());
    let c = push(f32s(&sh0()));
    let rest: Vec<usize> = (0..3)
        .map(|k| push(f32s(&[sh1(0, k), sh1(1, k), sh1(2, k)])))
        .collect();
    let accessor = |view: usize, component: u32, normalized: bool, kind: &str| {
        json!({ "bufferView": view, "componentType": component, "normalized": normalized,
                "count": 3, "type": kind })
    };
    let mut accessors = vec![
        accessor(p, 5126, false, "VEC3"),
        accessor(r, 5122, true, "VEC4"),
        accessor(s, 5126, false, "VEC3"),
        accessor(o, 5121, true, "SCALAR"),
        accessor(c, 5126, false, "VEC3"),
    ];
    accessors[0]["min"] = json!([-1, 0, 0]);
    accessors[0]["max"] = json!([1, 0, 0]);
    for view in &rest {
        accessors.push(accessor(*view, 5126, false, "VEC3"));
    }
    let mut json = json!({
        "asset": { "version": "2.0" },
        "extensionsUsed": ["KHR_gaussian_splatting"],
        "scene": 0, "scenes": [{ "nodes": [0] }],
        "nodes": [{ "mesh": 0, "name": "Splats", "translation": [0, 1, 0] }],
        "meshes": [{ "primitives": [{
            "mode": 0,
            "attributes": {
                "POSITION": 0,
                "KHR_gaussian_splatting:ROTATION": 1,
                "KHR_gaussian_splatting:SCALE": 2,
                "KHR_gaussian_splatting:OPACITY": 3,
                "KHR_gaussian_splatting:SH_DEGREE_0_COEF_0": 4,
                "KHR_gaussian_splatting:SH_DEGREE_1_COEF_0": 5,
                "KHR_gaussian_splatting:SH_DEGREE_1_COEF_1": 6,
                "KHR_gaussian_splatting:SH_DEGREE_1_COEF_2": 7
            },
            "extensions": { "KHR_gaussian_splatting": {
                "kernel": "ellipse", "colorSpace": "srgb_rec709_display" } }
        }] }],
        "buffers": [{ "byteLength": bin.len() }],
        "bufferViews": views,
        "accessors": accessors
    });
    edit(&mut json);
    (json, bin)
}

fn write(name: &str, (json, bin): (Value, Vec<u8>)) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("worldsmith-splats-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(
        &path,
        common::glb(&serde_json::to_vec(&json).expect("JSON"), &bin),
    )
    .expect("write");
    path
}

#[test]
fn gaussian_splat_primitives_become_splat_clouds_with_their_values() {
    let path = write("splats.glb", splat_gltf(|_| {}));
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&path).ok();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let node = scene
        .nodes()
        .find(|n| matches!(n.kind, NodeKind::Splats { .. }))
        .expect("a splat node");
    assert_eq!(node.name, "Splats");
    assert_eq!(
        scene.meshes().count(),
        0,
        "drawn as splats, not as a point mesh"
    );
    let (_, cloud) = scene.splat_clouds().next().expect("one cloud");
    assert_eq!(cloud.positions, POSITIONS, "glTF's frame, no axis change");
    assert_eq!(cloud.scales, SCALES, "linear scales as stored");
    for (i, (got, want)) in cloud.rotations.iter().zip(rotations()).enumerate() {
        let (got, want) = (glam::Quat::from_array(*got), glam::Quat::from_array(want));
        assert!(
            got.dot(want).abs() > 1.0 - 1e-7 && (got.length() - 1.0).abs() < 1e-6,
            "rotation {i}: {got} vs {want}"
        );
    }
    let opacities: Vec<f32> = OPACITY.iter().map(|&o| f32::from(o) / 255.0).collect();
    assert_eq!(cloud.opacities, opacities);
    for (got, sh) in cloud.colors.iter().zip(sh0()) {
        for c in 0..3 {
            assert!((got[c] - (0.5 + C0 * sh[c])).abs() < 1e-6, "{got:?}");
        }
    }
    assert_eq!(cloud.sh_degree, 1);
    assert_eq!(cloud.sh_rest.len(), 3 * 3 * 3);
    for i in 0..3 {
        for k in 0..3 {
            for c in 0..3 {
                let got = cloud.sh_rest[(i * 3 + k) * 3 + c].to_f32();
                let want = sh1(i, k)[c];
                assert!(
                    (got - want).abs() <= want.abs() * 1e-3 + 1e-4,
                    "splat {i} coef {k}"
                );
            }
        }
    }

    // Drawn: red, green and blue from left to right where the splats are.
    let Some(ctx) = common::gpu() else {
        return;
    };
    let view = common::look(
        glam::Vec3::new(0.0, 1.0, 4.0),
        glam::Vec3::new(0.0, 1.0, 0.0),
        40.0,
    );
    let image = common::render(&ctx, scene, view, 240, 120);
    // Three soft splats on black: most of the frame stays black (the display-space blend
    // does not brighten their tails), so count what they light instead of the mean.
    let lit = image
        .pixels()
        .filter(|p| p[0].max(p[1]).max(p[2]) > 60)
        .count();
    assert!(
        lit * 100 > image.pixels().len() * 3,
        "glTF splats: only {lit} pixels lit"
    );
    let [width, height] = [240.0f32, 120.0];
    for (i, channel) in [0usize, 1, 2].into_iter().enumerate() {
        // Project each centre: a 40° vertical field of view, 4 m away.
        let focal = height * 0.5 / (20f32.to_radians()).tan();
        let x = (width * 0.5 + POSITIONS[i][0] / 4.0 * focal) as u32;
        let pixel = image.get_pixel(x, (height * 0.5) as u32).0;
        let strongest = (0..3).max_by_key(|&c| pixel[c]).expect("rgb");
        assert_eq!(strongest, channel, "splat {i} at x = {x}: {pixel:?}");
    }
}

/// A change to the test file's JSON.
type JsonEdit = Box<dyn FnOnce(&mut Value)>;

#[test]
fn bad_gaussian_splat_primitives_are_named_errors() {
    // Accessors: 0 POSITION, 1 ROTATION, 2 SCALE, 3 OPACITY, 4 SH0, 5-7 SH1.
    let cases: [(&str, JsonEdit, &str); 3] = [
        (
            "opacity.glb",
            Box::new(|json| {
                json["meshes"][0]["primitives"][0]["attributes"]
                    .as_object_mut()
                    .expect("attributes")
                    .remove("KHR_gaussian_splatting:OPACITY");
            }),
            "no OPACITY attribute",
        ),
        (
            "count.glb",
            Box::new(|json| json["accessors"][2]["count"] = json!(2)),
            "SCALE has 2 values for 3 splats",
        ),
        (
            "layout.glb",
            Box::new(|json| json["accessors"][2]["type"] = json!("VEC2")),
            "SCALE is Vec2",
        ),
    ];
    for (name, edit, words) in cases {
        let path = write(name, splat_gltf(edit));
        let error = import_path(&path).expect_err("refused").to_string();
        std::fs::remove_file(&path).ok();
        assert!(
            error.contains(name)
                && error.contains("primitive 0 (KHR_gaussian_splatting)")
                && error.contains(words),
            "{name}: {error}"
        );
    }
}
