//! glTF import as a user meets it: every sample asset loads with the counts its JSON declares,
//! three render like their references, hostile files fail with a message naming the file (and
//! never panic), and the CLI renders an imported file.

use crate::common;

use std::path::{Path, PathBuf};
use worldsmith::import::{ImportError, Imported, import_path};
use worldsmith::scene::NodeKind;

use common::testdata;

/// The JSON part of a `.gltf` or `.glb` file, parsed independently of the importer.
fn json_of(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).expect("read sample");
    let json = if bytes.starts_with(b"glTF") {
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        &bytes[20..20 + len]
    } else {
        &bytes[..]
    };
    serde_json::from_slice(json).expect("sample JSON parses")
}

/// Counts a correct import must produce: (nodes, meshes, materials, images), derived from the
/// JSON. Assumes each node holds at most one of mesh/camera/light (true of the samples);
/// every extra primitive of a multi-primitive mesh adds a child node.
fn expected_counts(json: &serde_json::Value) -> (usize, usize, usize, usize) {
    let arr = |v: &serde_json::Value, key: &str| v[key].as_array().cloned().unwrap_or_default();
    let nodes = arr(json, "nodes");
    let meshes = arr(json, "meshes");
    let scene = json["scene"].as_u64().unwrap_or(0) as usize;
    let mut stack: Vec<usize> = arr(&json["scenes"][scene], "nodes")
        .iter()
        .map(|n| n.as_u64().unwrap() as usize)
        .collect();
    let (mut node_count, mut mesh_count) = (0, 0);
    let mut materials = std::collections::BTreeSet::new();
    let mut meshes_seen = std::collections::BTreeSet::new();
    while let Some(n) = stack.pop() {
        node_count += 1;
        let node = &nodes[n];
        if let Some(m) = node["mesh"].as_u64() {
            let prims = arr(&meshes[m as usize], "primitives");
            if prims.len() > 1 {
                node_count += prims.len();
            }
            if meshes_seen.insert(m) {
                mesh_count += prims.len();
                for p in &prims {
                    materials.insert(p["material"].as_u64());
                }
            }
        }
        stack.extend(
            arr(node, "children")
                .iter()
                .map(|c| c.as_u64().unwrap() as usize),
        );
    }
    (
        node_count,
        mesh_count,
        materials.len(),
        arr(json, "images").len(),
    )
}

fn sample_files() -> Vec<PathBuf> {
    let dir = testdata();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            for inner in std::fs::read_dir(&path).unwrap() {
                files.push(inner.unwrap().path());
            }
        } else {
            files.push(path);
        }
    }
    files.retain(|p| p.extension().is_some_and(|e| e == "gltf" || e == "glb"));
    files.sort();
    files
}

#[test]
fn every_sample_loads_with_the_declared_counts() {
    let files = sample_files();
    assert!(files.len() >= 6, "samples missing: {files:?}");
    for path in files {
        let json = json_of(&path);
        let Imported { scene, warnings } =
            import_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
        let (nodes, meshes, materials, images) = expected_counts(&json);
        let name = path.display();
        assert_eq!(scene.node_count(), nodes, "{name}: nodes");
        assert_eq!(scene.meshes().count(), meshes, "{name}: meshes");
        assert_eq!(scene.materials().count(), materials, "{name}: materials");
        assert_eq!(scene.images().count(), images, "{name}: images");
        assert!(scene.triangle_count() > 0, "{name}: no triangles");
    }
}

#[test]
fn helmet_materials_and_tangents() {
    let imported = import_path(&testdata().join("DamagedHelmet.glb")).expect("helmet");
    let (_, material) = imported.scene.materials().next().expect("one material");
    assert!(material.base_color_texture.is_some());
    assert!(material.metallic_roughness_texture.is_some());
    assert!(material.normal_texture.is_some());
    assert!(material.occlusion_texture.is_some());
    assert!(material.emissive_texture.is_some());
    let (_, mesh) = imported.scene.meshes().next().expect("one mesh");
    // The helmet has no TANGENT attribute but a normal map: tangents are generated.
    assert_eq!(mesh.tangents.len(), mesh.positions.len());
    assert!(mesh.tangents.iter().all(|t| t[3].abs() == 1.0));
    assert!(!mesh.uvs.is_empty());
}

#[test]
fn vertex_colours_are_read() {
    let imported = import_path(&testdata().join("BoxVertexColors.glb")).expect("box");
    let (_, mesh) = imported.scene.meshes().next().expect("one mesh");
    assert_eq!(mesh.colors.len(), mesh.positions.len());
    let first = mesh.colors[0];
    assert!(
        mesh.colors.iter().any(|c| *c != first),
        "all vertex colours equal"
    );
}

#[test]
fn non_ascii_file_names_load() {
    let dir = crate::common::temp_dir("import", "non-ascii");
    let path = dir.join("Bóx_模型.glb");
    std::fs::copy(testdata().join("Box.glb"), &path).unwrap();
    let imported = import_path(&path).expect("non-ASCII name loads");
    assert_eq!(imported.scene.meshes().count(), 1);
    std::fs::remove_dir_all(dir).ok();
}

fn golden(file: &str, name: &str) {
    let Some(ctx) = common::gpu() else { return };
    let mut scene = import_path(&testdata().join(file))
        .unwrap_or_else(|e| panic!("{e}"))
        .scene;
    assert!(worldsmith::import::add_default_light_if_unlit(&mut scene));
    let view = worldsmith::render::framing_view(&scene);
    let img = common::render(&ctx, &scene, view, 320, 180);
    common::check_golden(name, &img);
}

/// A grey 1 m cube on an 8 m grey floor, unlit.
fn grey_cube_on_a_floor() -> worldsmith::scene::Scene {
    use worldsmith::scene::{Material, Scene, Transform};
    let mut scene = Scene::new("grey");
    let grey = || Material::named("Grey", [0.5, 0.5, 0.5, 1.0], 0.8);
    let floor = worldsmith::generate::shapes::plane(glam::Vec2::splat(8.0), 1);
    common::add_mesh(&mut scene, "Floor", floor, grey(), Transform::IDENTITY);
    let cube = worldsmith::generate::shapes::cube(1.0);
    let above = Transform::from_translation(glam::Vec3::new(0.0, 0.5, 0.0));
    common::add_mesh(&mut scene, "Cube", cube, grey(), above);
    scene
}

/// The mean lumas of `a` and `b` rendered from `view` at 160×90 (`a` checked not blank), or
/// `None` without an adapter.
fn mean_lumas(
    a: &worldsmith::scene::Scene,
    b: &worldsmith::scene::Scene,
    view: worldsmith::scene::CameraView,
) -> Option<(f64, f64)> {
    let ctx = common::gpu()?;
    let image_a = common::render(&ctx, a, view, 160, 90);
    common::assert_not_degenerate("lit", &image_a);
    let image_b = common::render(&ctx, b, view, 160, 90);
    Some((
        common::luma_stats(&image_a).0,
        common::luma_stats(&image_b).0,
    ))
}

#[test]
fn a_file_lit_by_its_own_sun_is_exposed_for_it() {
    // glTF has no exposure: a Blender sun of 3 W/m² arrives as 2,049 lux and showed nearly
    // black at the default exposure. Opened, such a file is metered for its brightest
    // visible sun, so a grey cube on a floor reads the same under 2,049 and 30,000 lux.
    use worldsmith::import::{DEFAULT_SUN_EV100, DEFAULT_SUN_LUX, prepare_opened_scene};
    use worldsmith::scene::{Light, LightKind, Transform};
    let lit = |lux: f32| {
        let mut scene = grey_cube_on_a_floor();
        common::add_sun(&mut scene, glam::Vec3::new(-0.4, 0.8, 0.45), lux, true);
        // A brighter sun that is hidden does not count.
        let hidden = scene.add_node(
            None,
            "Hidden sun",
            Transform::IDENTITY,
            NodeKind::Light(Light {
                kind: LightKind::Directional,
                color: [1.0; 3],
                intensity: 1.0e6,
                range: None,
                cast_shadows: false,
            }),
        );
        scene.set_visible(hidden, false);
        prepare_opened_scene(&mut scene);
        scene
    };
    let blender = lit(2049.0);
    let metered = DEFAULT_SUN_EV100 + (2049.0f32 / DEFAULT_SUN_LUX).log2();
    assert!((blender.environment.exposure_ev100 - metered).abs() < 1e-4);
    assert!((metered - 9.13).abs() < 0.01);
    let daylight = lit(DEFAULT_SUN_LUX);
    assert_eq!(daylight.environment.exposure_ev100, DEFAULT_SUN_EV100);

    let view = worldsmith::render::framing_view(&daylight);
    let Some((mean_a, mean_b)) = mean_lumas(&blender, &daylight, view) else {
        return;
    };
    assert!(
        (mean_a - mean_b).abs() < 0.02 * mean_b,
        "mean luma {mean_a:.1} under 2,049 lux against {mean_b:.1} under 30,000 lux"
    );
}

#[test]
fn a_file_lit_only_by_lamps_is_exposed_for_them() {
    // Blender's 1,000 W point lamp arrives as 80 cd: at the daylight exposure such a file
    // (an interior, a night scene) showed black. Opened, it is metered for what its point and
    // spot lights give the middle of its content, so a grey cube on a floor under a lamp reads
    // the same under 80 and 320 cd.
    use worldsmith::import::{metered_ev100, prepare_opened_scene, punctual_lux};
    use worldsmith::scene::{Light, LightKind, Transform};
    let lamp = |candela: f32, range: Option<f32>| Light {
        kind: LightKind::Point,
        color: [1.0; 3],
        intensity: candela,
        range,
        cast_shadows: true,
    };
    let lit = |candela: f32| {
        let mut scene = grey_cube_on_a_floor();
        let at = Transform::from_translation(glam::Vec3::new(1.0, 3.0, 1.0));
        scene.add_node(None, "Lamp", at, NodeKind::Light(lamp(candela, None)));
        // A hidden lamp and one whose range stops short of the content do not count.
        let hidden = scene.add_node(None, "Hidden", at, NodeKind::Light(lamp(1.0e6, None)));
        scene.set_visible(hidden, false);
        let far = Transform::from_translation(glam::Vec3::new(0.0, 50.0, 0.0));
        scene.add_node(None, "Far", far, NodeKind::Light(lamp(1.0e6, Some(10.0))));
        let before = scene.environment.exposure_ev100;
        prepare_opened_scene(&mut scene);
        (scene, before)
    };
    let (dim, before) = lit(80.0);
    let (bright, _) = lit(320.0);
    // The floor is 8 m wide: the bounds' centre is at (0, 0.5, 0), 3.2 m from the lamp.
    let expected = 80.0 / (1.0f32 + 2.5 * 2.5 + 1.0);
    assert!(
        (punctual_lux(&dim) - expected).abs() < 1e-3 * expected,
        "{} lux",
        punctual_lux(&dim)
    );
    let ev = dim.environment.exposure_ev100;
    assert_eq!(Some(ev), metered_ev100(expected));
    assert!(ev < before - 8.0, "{ev} against the daylight {before}");
    assert!((bright.environment.exposure_ev100 - ev - 2.0).abs() < 1e-4);

    let view = common::look(
        glam::Vec3::new(4.0, 4.0, 6.0),
        glam::Vec3::new(0.0, 0.5, 0.0),
        50.0,
    );
    let Some((mean_a, mean_b)) = mean_lumas(&dim, &bright, view) else {
        return;
    };
    assert!(
        mean_a > 20.0,
        "mean luma {mean_a:.1}: the lamp-lit floor shows"
    );
    // Within 5 %: the night sky's faint light, which does not scale with the lamp, is two
    // stops brighter in the dimmer file's exposure.
    assert!(
        (mean_a - mean_b).abs() < 0.05 * mean_b,
        "mean luma {mean_a:.1} under 80 cd against {mean_b:.1} under 320 cd"
    );
}

#[test]
fn golden_damaged_helmet() {
    golden("DamagedHelmet.glb", "import_damaged_helmet");
}

#[test]
fn golden_box_textured() {
    golden("BoxTextured/BoxTextured.gltf", "import_box_textured");
}

#[test]
fn golden_box_vertex_colors() {
    golden("BoxVertexColors.glb", "import_box_vertex_colors");
}

/// A one-triangle glTF whose buffer lives at `buffer_uri` with `byteLength` `len`, whose
/// POSITION accessor declares `count` elements, and with one image at `image_uri`.
fn triangle_gltf(buffer_uri: &str, len: u64, count: u64, image_uri: &str) -> String {
    format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],
        "nodes":[{{"mesh":0}}],
        "meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"material":0}}]}}],
        "materials":[{{"pbrMetallicRoughness":{{"baseColorTexture":{{"index":0}}}}}}],
        "textures":[{{"source":0}}],"images":[{{"uri":"{image_uri}"}}],
        "buffers":[{{"uri":"{buffer_uri}","byteLength":{len}}}],
        "bufferViews":[{{"buffer":0,"byteLength":36}}],
        "accessors":[{{"bufferView":0,"componentType":5126,"count":{count},"type":"VEC3",
            "min":[0,0,0],"max":[1,1,0]}}]}}"#
    )
}

/// 36 bytes: three f32 positions of a triangle, base64.
const TRIANGLE_DATA: &str =
    "data:application/octet-stream;base64,AAAAAAAAAAAAAAAAAACAPwAAAAAAAAAAAAAAAAAAgD8AAAAA";

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_error(path: &Path, words: &[&str]) -> String {
    let result = std::panic::catch_unwind(|| import_path(path));
    let result = result.unwrap_or_else(|_| panic!("{}: importer panicked", path.display()));
    let err: ImportError = match result {
        Ok(_) => panic!("{}: hostile file loaded", path.display()),
        Err(e) => e,
    };
    let message = err.to_string();
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(
        message.contains(&*name),
        "message does not name the file: {message}"
    );
    for w in words {
        assert!(message.contains(w), "message lacks '{w}': {message}");
    }
    assert!(!message.contains('\n'), "not one line: {message}");
    message
}

#[test]
fn the_triangle_fixture_loads() {
    let dir = crate::common::temp_dir("import", "fixture");
    let path = write(
        &dir,
        "tri.gltf",
        triangle_gltf(TRIANGLE_DATA, 36, 3, "missing.png").as_bytes(),
    );
    let imported = import_path(&path).expect("fixture loads");
    assert_eq!(imported.scene.triangle_count(), 1);
    // A missing image is a warning naming the file, and the slot stays empty.
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(imported.warnings[0].contains("tri.gltf"));
    assert!(imported.warnings[0].contains("missing.png"));
    let (_, material) = imported.scene.materials().next().unwrap();
    assert!(material.base_color_texture.is_none());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn hostile_files_fail_with_named_errors() {
    let dir = crate::common::temp_dir("import", "hostile");
    let box_glb = std::fs::read(testdata().join("Box.glb")).unwrap();

    let truncated = write(&dir, "truncated.glb", &box_glb[..800]);
    assert_error(&truncated, &[]);

    let mut huge = box_glb.clone();
    huge[12..16].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    assert_error(&write(&dir, "huge_chunk.glb", &huge), &[]);

    let mut total = box_glb.clone();
    total[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    import_path(&write(&dir, "huge_total.glb", &total)).ok();

    let mut next = common::xorshift(0x2545_F491_4F6C_DD1D);
    let random: Vec<u8> = (0..4096).map(|_| next() as u8).collect();
    assert_error(&write(&dir, "random.glb", &random), &[]);
    assert_error(&write(&dir, "random.gltf", &random), &[]);
    let mut fake_glb = b"glTF\x02\x00\x00\x00".to_vec();
    fake_glb.extend_from_slice(&random);
    assert_error(&write(&dir, "random_header.glb", &fake_glb), &[]);

    for (i, uri) in [
        "../../etc/passwd",
        "/etc/passwd",
        "file:///etc/passwd",
        "http://example.com/x.bin",
        "sub/../../x.bin",
        "%2e%2e/x.bin",
    ]
    .iter()
    .enumerate()
    {
        let path = write(
            &dir,
            &format!("uri_{i}.gltf"),
            triangle_gltf(uri, 36, 3, "x.png").as_bytes(),
        );
        assert_error(&path, &[uri, "buffer 0"]);
    }

    let short = write(
        &dir,
        "short.gltf",
        triangle_gltf(TRIANGLE_DATA, 1200, 3, "x.png").as_bytes(),
    );
    assert_error(&short, &["buffer 0 needs 1200 bytes but the file has 36"]);

    let count = write(
        &dir,
        "count.gltf",
        triangle_gltf(TRIANGLE_DATA, 36, 4_294_967_295, "x.png").as_bytes(),
    );
    assert_error(&count, &["accessor 0", "4294967295"]);

    let zero = write(
        &dir,
        "zero.gltf",
        triangle_gltf(TRIANGLE_DATA, 36, 0, "x.png").as_bytes(),
    );
    assert_error(&zero, &["accessor 0"]);

    // Hostile image URIs only cost the image: a warning naming the file, the rest loads.
    for (i, uri) in [
        "../../etc/passwd",
        "/etc/passwd",
        "http://example.com/x.png",
    ]
    .iter()
    .enumerate()
    {
        let path = write(
            &dir,
            &format!("image_{i}.gltf"),
            triangle_gltf(TRIANGLE_DATA, 36, 3, uri).as_bytes(),
        );
        let imported = import_path(&path).expect("a bad image is only a warning");
        assert!(
            imported
                .warnings
                .iter()
                .any(|w| w.contains(&format!("image_{i}.gltf"))),
            "{:?}",
            imported.warnings
        );
    }

    let other = write(&dir, "model.obj", b"v 0 0 0");
    assert_error(&other, &["obj"]);
    std::fs::remove_dir_all(dir).ok();
}

use common::worldsmith;

#[test]
fn cli_still_renders_an_imported_file_and_names_bad_ones() {
    let dir = crate::common::temp_dir("import", "cli");
    let bad = write(&dir, "broken.glb", b"glTF nonsense");
    let out = dir.join("out.png");
    let o = worldsmith(&[
        "still".as_ref(),
        bad.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.glb"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    if common::gpu().is_none() {
        return;
    }
    let o = worldsmith(&[
        "still".as_ref(),
        testdata().join("Box.glb").as_os_str(),
        "--size".as_ref(),
        "96x54".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let img = image::open(&out).expect("PNG written").to_rgba8();
    assert_eq!(img.dimensions(), (96, 54));
    common::assert_not_degenerate("cli box", &img);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn imported_lights_are_kept() {
    let dir = crate::common::temp_dir("import", "lights");
    let json = triangle_gltf(TRIANGLE_DATA, 36, 3, "x.png").replace(
        r#""nodes":[{"mesh":0}],"#,
        r#""nodes":[{"mesh":0,"children":[1,2]},{"name":"Lamp","extensions":{"KHR_lights_punctual":{"light":0}}},
            {"name":"Cam","camera":0,"matrix":[1,0,0,0,0,1,0,0,0,0,1,0,1,2,3,1]}],
        "cameras":[{"type":"perspective","perspective":{"yfov":0.8,"znear":0.1}}],
        "extensionsUsed":["KHR_lights_punctual"],
        "extensions":{"KHR_lights_punctual":{"lights":[{"type":"spot","intensity":50,
            "spot":{"innerConeAngle":0.2,"outerConeAngle":0.5}}]}},"#,
    );
    let path = write(&dir, "lit.gltf", json.as_bytes());
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut scene = imported.scene;
    let lamp = scene.nodes().find(|n| n.name == "Lamp").expect("lamp node");
    let NodeKind::Light(light) = lamp.kind else {
        panic!("not a light: {:?}", lamp.kind)
    };
    assert_eq!(light.intensity, 50.0);
    assert!(matches!(
        light.kind,
        worldsmith::scene::LightKind::Spot { outer_cone_rad, .. } if outer_cone_rad == 0.5
    ));
    let cam = scene
        .nodes()
        .find(|n| n.name == "Cam")
        .expect("camera node");
    assert_eq!(cam.transform.translation, glam::Vec3::new(1.0, 2.0, 3.0));
    assert!(scene.camera_view_named("Cam").is_some());
    assert!(!worldsmith::import::add_default_light_if_unlit(&mut scene));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_glb_bin_chunk_shorter_than_its_buffer_is_an_error() {
    let dir = crate::common::temp_dir("import", "short-bin");
    let json = triangle_gltf("", 1200, 3, "x.png").replace(r#""uri":"","#, "");
    let ok = write(
        &dir,
        "model.glb",
        &common::glb(json.replace("1200", "36").as_bytes(), &[0; 36]),
    );
    import_path(&ok).unwrap_or_else(|e| panic!("{e}"));
    let short = write(&dir, "model.glb", &common::glb(json.as_bytes(), &[0; 36]));
    assert_error(
        &short,
        &["model.glb: buffer 0 needs 1200 bytes but the file has 36"],
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn mutated_samples_never_panic() {
    let original = std::fs::read(testdata().join("BoxVertexColors.glb")).unwrap();
    mutate_and_import("mutated", &original, 0, 300);
}

#[test]
fn mutated_meshopt_data_never_panics() {
    // meshoptimizer's decoders are C++: corrupt streams must come back as errors, never as a
    // crash (the process would abort, failing the test binary) or a panic.
    let original = common::meshopt_quad_glb(|_| {});
    let bin_start = common::glb_bin_start(&original);
    mutate_and_import("mutated-meshopt", &original, bin_start, 3000);
}

#[test]
fn mutated_draco_streams_never_panic() {
    // Corrupt Draco streams (and truncated ones) come back as errors naming the file; the
    // decoder runs behind `catch_unwind`, and a stream cannot make it allocate past its size.
    let original = common::draco_quad_glb(|_| {});
    let bin_start = common::glb_bin_start(&original);
    mutate_and_import("mutated-draco", &original, bin_start, 3000);
}

/// Imports `rounds` copies of `original` with one to four random bytes at or after `from`
/// changed (and every 7th truncated): each must load or fail with an error naming the file.
fn mutate_and_import(test: &str, original: &[u8], from: usize, rounds: usize) {
    let dir = crate::common::temp_dir("import", test);
    let mut next = common::xorshift(0x9E37_79B9_7F4A_7C15);
    let path = dir.join("mutated.glb");
    let span = (original.len() - from) as u64;
    for round in 0..rounds {
        let mut bytes = original.to_vec();
        for _ in 0..1 + next() % 4 {
            let at = from + (next() % span) as usize;
            bytes[at] = next() as u8;
        }
        if round % 7 == 0 {
            bytes.truncate(from + (next() % span) as usize);
        }
        std::fs::write(&path, &bytes).unwrap();
        let result = std::panic::catch_unwind(|| import_path(&path));
        let Ok(result) = result else {
            std::fs::copy(&path, dir.join(format!("panic_{round}.glb"))).ok();
            panic!(
                "round {round}: importer panicked (input kept in {})",
                dir.display()
            );
        };
        if let Err(e) = result {
            assert!(e.to_string().contains("mutated.glb"), "{e}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn extreme_numbers_in_the_json_never_panic() {
    let dir = crate::common::temp_dir("import", "extreme");
    let original = std::fs::read(testdata().join("BoxVertexColors.glb")).unwrap();
    let json_len = u32::from_le_bytes(original[12..16].try_into().unwrap()) as usize;
    let json = std::str::from_utf8(&original[20..20 + json_len]).unwrap();
    let bin = &original[20 + json_len + 8..];
    // Every run of digits in the JSON, replaced in turn by extreme values.
    let mut runs = Vec::new();
    let mut start = None;
    for (i, c) in json.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    assert!(runs.len() > 50, "only {} numbers found", runs.len());
    let path = dir.join("extreme.glb");
    for run in runs {
        for value in [
            "0",
            "3",
            "4294967295",
            "18446744073709551615",
            "1e30",
            "99999999999",
        ] {
            let mutated = format!("{}{value}{}", &json[..run.start], &json[run.end..]);
            std::fs::write(&path, common::glb(mutated.as_bytes(), bin)).unwrap();
            let result = std::panic::catch_unwind(|| import_path(&path));
            let Ok(result) = result else {
                panic!("importer panicked on {value} at {run:?}: {mutated}");
            };
            if let Err(e) = result {
                assert!(e.to_string().contains("extreme.glb"), "{e}");
            }
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A valid 1×1 PNG whose header then claims `width` × `height` pixels (with a correct CRC, so
/// only the size can stop the decoder).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(1, 1, image::Rgba([255, 0, 0, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    // Signature (8) + IHDR length (4) + "IHDR" (4), then width, height, ...; CRC after 13 bytes.
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    png
}

#[test]
fn a_texture_claiming_a_huge_size_is_refused_without_allocating_it() {
    let dir = crate::common::temp_dir("import", "huge_image");
    write(&dir, "huge.png", &png_claiming(100_000, 100_000));
    let path = write(
        &dir,
        "huge_texture.gltf",
        triangle_gltf(TRIANGLE_DATA, 36, 3, "huge.png").as_bytes(),
    );
    let imported = import_path(&path).expect("the mesh still loads");
    assert_eq!(imported.scene.triangle_count(), 1);
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    let warning = &imported.warnings[0];
    assert!(warning.contains("huge_texture.gltf"), "{warning}");
    assert_eq!(imported.scene.images().count(), 0);
    // The same bytes with an honest size decode (the CRC patching is right).
    write(&dir, "huge.png", &png_claiming(1, 1));
    let imported = import_path(&path).expect("loads");
    assert_eq!(
        imported.scene.images().count(),
        1,
        "{:?}",
        imported.warnings
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn material_variants_are_kept_per_node() {
    let dir = crate::common::temp_dir("import", "variants");
    let gltf = format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0,1]}}],
        "extensionsUsed":["KHR_materials_variants"],
        "extensions":{{"KHR_materials_variants":{{"variants":[{{"name":"Red"}},{{"name":"Blue"}},{{"name":"Plain"}}]}}}},
        "nodes":[{{"mesh":0,"name":"Seat"}},{{"mesh":0,"name":"Back","translation":[2,0,0]}}],
        "meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"material":0,
            "extensions":{{"KHR_materials_variants":{{"mappings":[
                {{"material":1,"variants":[0]}},{{"material":2,"variants":[1,7]}}]}}}}}}]}}],
        "materials":[{{"name":"Grey"}},{{"name":"RedLeather"}},{{"name":"BlueFabric"}}],
        "buffers":[{{"uri":"{TRIANGLE_DATA}","byteLength":36}}],
        "bufferViews":[{{"buffer":0,"byteLength":36}}],
        "accessors":[{{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3",
            "min":[0,0,0],"max":[1,1,0]}}]}}"#
    );
    let path = write(&dir, "chair.gltf", gltf.as_bytes());
    let imported = import_path(&path).expect("variants file loads");
    let scene = &imported.scene;
    let variants = scene.material_variants();
    let names: Vec<&str> = variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["Red", "Blue", "Plain"]);
    let material_name = |id| {
        scene
            .material(id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    };
    for (variant, expected) in [(0, Some("RedLeather")), (1, Some("BlueFabric")), (2, None)] {
        let assignments = &variants[variant].assignments;
        match expected {
            Some(name) => {
                // Both nodes share the mesh, so both get the variant's material.
                assert_eq!(assignments.len(), 2, "{}", variants[variant].name);
                for (node, material) in assignments {
                    assert!(["Seat", "Back"].contains(&scene.node(*node).unwrap().name.as_str()));
                    assert_eq!(material_name(*material), name);
                }
            }
            None => assert!(assignments.is_empty()),
        }
    }
    // The base scene keeps the default material.
    let seat = scene.node(scene.find("Seat").unwrap()).unwrap();
    let NodeKind::Mesh { material, .. } = seat.kind else {
        panic!("seat is not a mesh")
    };
    assert_eq!(material_name(material), "Grey");
    // Merging (File > Import) keeps the variants pointing at the merged nodes.
    let mut base = worldsmith::scene::Scene::new("base");
    base.merge(imported.scene, None);
    let base_variants = base.material_variants();
    let red = &base_variants[0];
    assert_eq!(red.assignments.len(), 2);
    for (node, material) in &red.assignments {
        assert!(base.node(*node).is_some());
        assert_eq!(base.material(*material).unwrap().name, "RedLeather");
    }
    std::fs::remove_dir_all(dir).ok();
}

/// A 4-vertex quad (two triangles) as a glTF `.bin`: POSITION, NORMAL, TEXCOORD_0 `(s, 1-t)`,
/// TEXCOORD_1 `(1-s, t)` (half a turn from set 0), TEXCOORD_2, u16 indices; one buffer view
/// per accessor, in that order (204 bytes).
fn quad_bin() -> Vec<u8> {
    let corners = [[0.0f32, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
    let mut out = Vec::new();
    let mut put = |v: &[f32]| {
        v.iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()))
    };
    for [s, t] in corners {
        put(&[s - 0.5, t - 0.5, 0.0]);
    }
    for _ in corners {
        put(&[0.0, 0.0, 1.0]);
    }
    for [s, t] in corners {
        put(&[s, 1.0 - t]);
    }
    for [s, t] in corners {
        put(&[1.0 - s, t]);
    }
    for [s, t] in corners {
        put(&[s * 0.5, t * 0.5]);
    }
    for i in [0u16, 1, 2, 0, 2, 3] {
        out.extend_from_slice(&i.to_le_bytes());
    }
    out
}

/// A one-quad glTF on `quad.bin` and `t.png` whose primitive has the given `attributes`
/// (JSON members, accessor indices as in [`quad_bin`]) and whose one material is `material`.
fn quad_gltf(attributes: &str, material: &str) -> String {
    let view = |offset: u32, len: u32| {
        format!(r#"{{"buffer":0,"byteOffset":{offset},"byteLength":{len}}}"#)
    };
    let views = [
        view(0, 48),
        view(48, 48),
        view(96, 32),
        view(128, 32),
        view(160, 32),
        view(192, 12),
    ]
    .join(",");
    format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],
        "extensionsUsed":["KHR_texture_transform"],
        "nodes":[{{"mesh":0,"name":"Quad"}}],
        "meshes":[{{"name":"Quad","primitives":[{{"attributes":{{{attributes}}},"indices":5,"material":0}}]}}],
        "materials":[{material}],
        "textures":[{{"source":0}}],"images":[{{"uri":"t.png"}}],
        "buffers":[{{"uri":"quad.bin","byteLength":204}}],
        "bufferViews":[{views}],
        "accessors":[
            {{"bufferView":0,"componentType":5126,"count":4,"type":"VEC3","min":[-0.5,-0.5,0],"max":[0.5,0.5,0]}},
            {{"bufferView":1,"componentType":5126,"count":4,"type":"VEC3"}},
            {{"bufferView":2,"componentType":5126,"count":4,"type":"VEC2"}},
            {{"bufferView":3,"componentType":5126,"count":4,"type":"VEC2"}},
            {{"bufferView":4,"componentType":5126,"count":4,"type":"VEC2"}},
            {{"bufferView":5,"componentType":5123,"count":6,"type":"SCALAR"}}]}}"#
    )
}

/// Writes `quad.bin`, `t.png` and `name` (from [`quad_gltf`]) into `dir`.
fn write_quad(dir: &Path, name: &str, attributes: &str, material: &str) -> PathBuf {
    write(dir, "quad.bin", &quad_bin());
    image::RgbaImage::from_pixel(2, 2, image::Rgba([200, 150, 100, 255]))
        .save(dir.join("t.png"))
        .expect("write png");
    write(dir, name, quad_gltf(attributes, material).as_bytes())
}

/// [`write_quad`] with `material`, its file listing `extension` as used as well.
fn write_quad_using(dir: &Path, name: &str, material: &str, extension: &str) -> PathBuf {
    let path = write_quad(dir, name, r#""POSITION":0,"TEXCOORD_0":2"#, material);
    let json = std::fs::read_to_string(&path).expect("read");
    let used = r#""extensionsUsed":["KHR_texture_transform"]"#;
    assert!(json.contains(used));
    let both = format!(r#""extensionsUsed":["{extension}","KHR_texture_transform"]"#);
    std::fs::write(&path, json.replace(used, &both)).expect("write");
    path
}

/// What a base-colour texture read from `t.ktx2` alone (KHR_texture_basisu) puts in place of
/// [`textured_quad_json`]'s PNG texture.
const KTX2_ALONE: &str = r#""textures":[{"extensions":{"KHR_texture_basisu":{"source":0}}}],
                           "images":[{"uri":"t.ktx2"}]"#;

/// The JSON of [`write_quad`]'s quad (written with `quad.bin` and `t.png` into `dir`) whose
/// base colour comes from texture 0, with its textures and images replaced by
/// `textures_and_images`.
fn textured_quad_json(dir: &Path, textures_and_images: &str) -> String {
    let material = r#"{"pbrMetallicRoughness":{"baseColorTexture":{"index":0}}}"#;
    let plain = write_quad(
        dir,
        "plain.gltf",
        r#""POSITION":0,"TEXCOORD_0":2"#,
        material,
    );
    let plain = std::fs::read_to_string(plain).expect("read");
    let textures = r#""textures":[{"source":0}],"images":[{"uri":"t.png"}]"#;
    assert!(plain.contains(textures));
    plain.replace(textures, textures_and_images)
}

#[test]
fn every_texture_slot_keeps_its_own_uv_set_and_transform() {
    use worldsmith::scene::UvTransform;
    let dir = crate::common::temp_dir("import", "uv-sets");
    // Occlusion and emissive on TEXCOORD_1; the normal map on TEXCOORD_0 but moved to set 1
    // by its KHR_texture_transform `texCoord`; the emissive slot has its own transform; the
    // base colour and metallic-roughness slots have none. TEXCOORD_2 is present but unused.
    let material = r#"{"name":"Layered",
        "pbrMetallicRoughness":{"baseColorTexture":{"index":0},
            "metallicRoughnessTexture":{"index":0,"texCoord":0}},
        "normalTexture":{"index":0,"scale":0.75,"extensions":{"KHR_texture_transform":
            {"offset":[0.5,0.25],"scale":[2,2],"texCoord":1}}},
        "occlusionTexture":{"index":0,"texCoord":1,"strength":0.5},
        "emissiveTexture":{"index":0,"texCoord":1,"extensions":{"KHR_texture_transform":
            {"offset":[0.1,0.2],"rotation":0.5,"scale":[3,4]}}},
        "emissiveFactor":[1,1,1]}"#;
    let path = write_quad(
        &dir,
        "layered.gltf",
        r#""POSITION":0,"NORMAL":1,"TEXCOORD_0":2,"TEXCOORD_1":3,"TEXCOORD_2":4"#,
        material,
    );
    let imported = import_path(&path).expect("layered quad loads");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let scene = &imported.scene;
    let (_, m) = scene.materials().next().expect("one material");
    let slot = |t: Option<worldsmith::scene::TextureRef>, what: &str| {
        t.unwrap_or_else(|| panic!("{what} slot missing"))
    };
    let base = slot(m.base_color_texture, "base colour");
    let mr = slot(m.metallic_roughness_texture, "metallic-roughness");
    let normal = slot(m.normal_texture, "normal");
    let occlusion = slot(m.occlusion_texture, "occlusion");
    let emissive = slot(m.emissive_texture, "emissive");
    for (t, set) in [
        (base, 0),
        (mr, 0),
        (normal, 1),
        (occlusion, 1),
        (emissive, 1),
    ] {
        assert_eq!(t.uv_set, set, "{t:?}");
    }
    assert!(base.transform.is_identity() && mr.transform.is_identity());
    assert!(occlusion.transform.is_identity());
    assert_eq!(
        normal.transform,
        UvTransform {
            offset: [0.5, 0.25],
            rotation: 0.0,
            scale: [2.0, 2.0],
        }
    );
    assert_eq!(
        emissive.transform,
        UvTransform {
            offset: [0.1, 0.2],
            rotation: 0.5,
            scale: [3.0, 4.0],
        }
    );
    // Nothing is shared through the material-wide transform any more.
    assert_eq!(
        (m.uv_offset, m.uv_rotation, m.uv_scale),
        ([0.0; 2], 0.0, [1.0; 2])
    );
    assert_eq!((m.normal_scale, m.occlusion_strength), (0.75, 0.5));

    let (_, mesh) = scene.meshes().next().expect("one mesh");
    assert_eq!(mesh.uvs[1], [1.0, 1.0]);
    assert_eq!(mesh.uvs1, [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0]]);
    // MikkTSpace follows the normal map's set: on set 1, u grows towards -X (on set 0 it
    // would be +X).
    assert_eq!(mesh.tangents.len(), 4);
    for t in &mesh.tangents {
        assert!(t[0] < -0.99 && t[3].abs() == 1.0, "tangent {t:?}");
    }

    // A mesh without TEXCOORD_1 keeps one set and pays nothing for the second.
    let path = write_quad(
        &dir,
        "plain.gltf",
        r#""POSITION":0,"NORMAL":1,"TEXCOORD_0":2"#,
        r#"{"name":"Plain","normalTexture":{"index":0}}"#,
    );
    let imported = import_path(&path).expect("plain quad loads");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let (_, mesh) = imported.scene.meshes().next().expect("one mesh");
    assert!(mesh.uvs1.is_empty());
    for t in &mesh.tangents {
        assert!(t[0] > 0.99, "tangent on set 0 {t:?}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unsupported_or_missing_uv_sets_are_warnings_that_name_file_and_material() {
    let dir = crate::common::temp_dir("import", "uv-set-warnings");
    // Base colour on TEXCOORD_2 (unsupported), emissive on TEXCOORD_1 which the primitive
    // lacks, and an occlusion transform that is not numbers.
    let material = r#"{"name":"Odd",
        "pbrMetallicRoughness":{"baseColorTexture":{"index":0,"texCoord":2}},
        "occlusionTexture":{"index":0,"extensions":{"KHR_texture_transform":{"scale":"big"}}},
        "emissiveTexture":{"index":0,"texCoord":1}}"#;
    let path = write_quad(
        &dir,
        "odd.gltf",
        r#""POSITION":0,"NORMAL":1,"TEXCOORD_0":2,"TEXCOORD_2":4"#,
        material,
    );
    let imported = import_path(&path).expect("odd quad loads with warnings");
    let w = &imported.warnings;
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w.iter().all(|w| w.contains("odd.gltf")), "{w:?}");
    let has = |words: &[&str]| w.iter().any(|w| words.iter().all(|x| w.contains(x)));
    assert!(
        has(&["'Odd'", "base colour", "TEXCOORD_2", "reads TEXCOORD_0"]),
        "{w:?}"
    );
    assert!(has(&["'Odd'", "emissive", "TEXCOORD_1", "'Quad'"]), "{w:?}");
    assert!(
        has(&[
            "KHR_texture_transform",
            "materials[0].occlusionTexture",
            "scale"
        ]),
        "{w:?}"
    );
    let (_, m) = imported.scene.materials().next().expect("one material");
    let base = m.base_color_texture.expect("base colour kept");
    assert_eq!(base.uv_set, 0, "falls back to set 0");
    assert!(
        m.occlusion_texture
            .expect("occlusion kept")
            .transform
            .is_identity()
    );
    // The slot still says set 1: on a mesh with two sets it would read the second.
    assert_eq!(m.emissive_texture.expect("emissive kept").uv_set, 1);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn every_texture_slot_keeps_its_own_sampler() {
    use worldsmith::scene::{Filter, MinFilter, Sampler, Wrap};
    let dir = crate::common::temp_dir("import", "samplers");
    // Five textures on one image: four with their own glTF sampler (wrapS ≠ wrapT in two),
    // one without a sampler, which takes glTF's default.
    let samplers = r#""samplers":[
        {"wrapS":33071,"wrapT":33071,"magFilter":9728,"minFilter":9728},
        {"wrapS":33648,"wrapT":10497,"magFilter":9729,"minFilter":9729},
        {"wrapS":10497,"wrapT":33071,"magFilter":9729,"minFilter":9985},
        {"wrapS":33071,"wrapT":33648,"magFilter":9728,"minFilter":9986}],
        "textures":[{"source":0,"sampler":0},{"source":0,"sampler":1},{"source":0,"sampler":2},
            {"source":0,"sampler":3},{"source":0}]"#;
    let material = r#"{"name":"Sampled",
        "pbrMetallicRoughness":{"baseColorTexture":{"index":0},
            "metallicRoughnessTexture":{"index":2}},
        "normalTexture":{"index":3},
        "occlusionTexture":{"index":4},
        "emissiveTexture":{"index":1},
        "emissiveFactor":[1,1,1]}"#;
    let gltf = quad_gltf(r#""POSITION":0,"NORMAL":1,"TEXCOORD_0":2"#, material)
        .replace(r#""textures":[{"source":0}]"#, samplers);
    assert!(gltf.contains("wrapS"), "the samplers went in");
    write(&dir, "quad.bin", &quad_bin());
    image::RgbaImage::from_pixel(2, 2, image::Rgba([200, 150, 100, 255]))
        .save(dir.join("t.png"))
        .expect("write png");
    let path = write(&dir, "sampled.gltf", gltf.as_bytes());
    let imported = import_path(&path).expect("sampled quad loads");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let (_, m) = imported.scene.materials().next().expect("one material");
    let sampler = |t: Option<worldsmith::scene::TextureRef>, what: &str| {
        t.unwrap_or_else(|| panic!("{what} slot missing")).sampler
    };
    let expected = [
        (
            "base colour",
            sampler(m.base_color_texture, "base colour"),
            Sampler {
                wrap_s: Wrap::ClampToEdge,
                wrap_t: Wrap::ClampToEdge,
                mag_filter: Filter::Nearest,
                min_filter: MinFilter::Nearest,
            },
        ),
        (
            "emissive",
            sampler(m.emissive_texture, "emissive"),
            Sampler {
                wrap_s: Wrap::MirroredRepeat,
                wrap_t: Wrap::Repeat,
                mag_filter: Filter::Linear,
                min_filter: MinFilter::Linear,
            },
        ),
        (
            "metallic-roughness",
            sampler(m.metallic_roughness_texture, "metallic-roughness"),
            Sampler {
                wrap_s: Wrap::Repeat,
                wrap_t: Wrap::ClampToEdge,
                mag_filter: Filter::Linear,
                min_filter: MinFilter::LinearMipmapNearest,
            },
        ),
        (
            "normal",
            sampler(m.normal_texture, "normal"),
            Sampler {
                wrap_s: Wrap::ClampToEdge,
                wrap_t: Wrap::MirroredRepeat,
                mag_filter: Filter::Nearest,
                min_filter: MinFilter::NearestMipmapLinear,
            },
        ),
        (
            "occlusion (no sampler: glTF default)",
            sampler(m.occlusion_texture, "occlusion"),
            Sampler {
                wrap_s: Wrap::Repeat,
                wrap_t: Wrap::Repeat,
                mag_filter: Filter::Linear,
                min_filter: MinFilter::LinearMipmapLinear,
            },
        ),
    ];
    for (what, got, want) in expected {
        assert_eq!(got, want, "{what}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn webp_textures_are_read_in_place_of_their_fallback() {
    // EXT_texture_webp: a lossless WebP with known pixels, required and alone, then beside a
    // PNG fallback of another colour that the WebP must win over. Unknown extensions the file
    // uses are a warning naming them.
    let dir = crate::common::temp_dir("import", "webp");
    let webp_pixels = image::RgbaImage::from_fn(4, 2, |x, y| {
        image::Rgba([x as u8 * 60, y as u8 * 200, 30, 255 - x as u8 * 10])
    });
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(webp_pixels.as_raw(), 4, 2, image::ExtendedColorType::Rgba8)
        .expect("encode webp");
    write(&dir, "t.webp", &webp);
    let material = r#"{"pbrMetallicRoughness":{"baseColorTexture":{"index":0}}}"#;
    let attributes = r#""POSITION":0,"TEXCOORD_0":2"#;
    let plain = write_quad(&dir, "plain.gltf", attributes, material);
    let plain = std::fs::read_to_string(plain).expect("read");
    let textures = r#""textures":[{"source":0}],"images":[{"uri":"t.png"}]"#;
    assert!(plain.contains(textures));
    let alone = plain
        .replace(
            textures,
            r#""textures":[{"extensions":{"EXT_texture_webp":{"source":0}}}],
               "images":[{"uri":"t.webp"}]"#,
        )
        .replace(
            r#""extensionsUsed":["KHR_texture_transform"]"#,
            r#""extensionsUsed":["EXT_texture_webp","KHR_xmp_json_ld"],
               "extensionsRequired":["EXT_texture_webp"]"#,
        );
    let with_fallback = plain.replace(
        textures,
        r#""textures":[{"source":1,"extensions":{"EXT_texture_webp":{"source":0}}}],
           "images":[{"uri":"t.webp"},{"uri":"t.png"}]"#,
    );
    for (name, json) in [("alone.gltf", alone), ("fallback.gltf", with_fallback)] {
        let path = write(&dir, name, json.as_bytes());
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        let base = m.base_color_texture.expect("base colour texture");
        let image = imported.scene.image(base.image).expect("image");
        assert_eq!((image.width, image.height), (4, 2), "{name}");
        assert_eq!(
            &image.rgba8,
            webp_pixels.as_raw(),
            "{name}: the WebP's pixels"
        );
        assert!(
            image.source().is_none(),
            "{name}: WebP bytes are not kept for a core-glTF export"
        );
        let ignored = imported
            .warnings
            .iter()
            .any(|w| w.contains(name) && w.contains("KHR_xmp_json_ld"));
        assert_eq!(
            ignored,
            name == "alone.gltf",
            "{name}: {:?}",
            imported.warnings
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn basis_universal_ktx2_textures_are_transcoded() {
    // KHR_texture_basisu: an 8×8 KTX2 of four solid UASTC blocks, plain and Zstandard-
    // supercompressed, required and alone; then beside a PNG fallback, which is read instead
    // (it holds the texture before its lossy GPU compression).
    let dir = crate::common::temp_dir("import", "ktx2");
    let colours = [
        [255, 0, 0, 255],
        [0, 255, 0, 255],
        [0, 0, 255, 128],
        [250, 200, 10, 0],
    ];
    let used = r#""extensionsUsed":["KHR_texture_transform"]"#;
    for zstd in [false, true] {
        write(
            &dir,
            "t.ktx2",
            &common::uastc_solid_ktx2(2, 2, &colours, zstd),
        );
        let alone = textured_quad_json(&dir, KTX2_ALONE).replace(
            used,
            r#""extensionsUsed":["KHR_texture_basisu"],
               "extensionsRequired":["KHR_texture_basisu"]"#,
        );
        let path = write(&dir, "alone.gltf", alone.as_bytes());
        let imported = import_path(&path).unwrap_or_else(|e| panic!("zstd {zstd}: {e}"));
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        let (_, m) = imported.scene.materials().next().expect("one material");
        let base = m.base_color_texture.expect("base colour texture");
        let image = imported.scene.image(base.image).expect("image");
        assert_eq!((image.width, image.height), (8, 8));
        for y in 0..8 {
            for x in 0..8 {
                let at = (y * 8 + x) * 4;
                let want = colours[(y / 4) * 2 + x / 4];
                assert_eq!(
                    image.rgba8[at..at + 4],
                    want,
                    "zstd {zstd}: pixel ({x}, {y}) is its block's colour"
                );
            }
        }
        assert!(image.source().is_none(), "KTX2 is not kept for export");
    }
    let with_fallback = textured_quad_json(
        &dir,
        r#""textures":[{"source":1,"extensions":{"KHR_texture_basisu":{"source":0}}}],
           "images":[{"uri":"t.ktx2"},{"uri":"t.png"}]"#,
    );
    let path = write(&dir, "fallback.gltf", with_fallback.as_bytes());
    let imported = import_path(&path).expect("imports");
    let (_, m) = imported.scene.materials().next().expect("one material");
    let image = imported
        .scene
        .image(m.base_color_texture.expect("texture").image)
        .expect("image");
    assert_eq!((image.width, image.height), (2, 2), "the PNG fallback");
    assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);

    // A corrupt KTX2 (its header's size wrong for its blocks) leaves the texture empty with a
    // warning naming the file and image; the model still loads.
    let mut bad = common::uastc_solid_ktx2(2, 2, &colours, false);
    bad[20..24].copy_from_slice(&64u32.to_le_bytes());
    write(&dir, "t.ktx2", &bad);
    let imported = import_path(&dir.join("alone.gltf")).expect("loads without the texture");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("alone.gltf") && w.contains("image 0")),
        "{:?}",
        imported.warnings
    );
    std::fs::remove_dir_all(dir).ok();
}

/// The base colour image of the only material of a file imported without warnings.
fn only_base_color_image(imported: &Imported) -> &worldsmith::scene::Image {
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let (_, m) = imported.scene.materials().next().expect("one material");
    imported
        .scene
        .image(m.base_color_texture.expect("texture").image)
        .expect("image")
}

#[test]
fn plain_rgba8_ktx2_textures_are_read() {
    // VK_FORMAT_R8G8B8A8_SRGB levels, stored and Zstandard-supercompressed: the pixels as
    // written; a level of the wrong size is a warning naming the image.
    let dir = crate::common::temp_dir("import", "ktx2-rgba8");
    let pixels = image::RgbaImage::from_fn(5, 3, |x, y| {
        image::Rgba([x as u8 * 50, y as u8 * 80, 200, 255 - x as u8])
    });
    let json = textured_quad_json(&dir, KTX2_ALONE);
    let path = write(&dir, "ktx2.gltf", json.as_bytes());
    for zstd in [false, true] {
        write(&dir, "t.ktx2", &common::rgba8_ktx2(&pixels, zstd));
        let imported = import_path(&path).unwrap_or_else(|e| panic!("zstd {zstd}: {e}"));
        let image = only_base_color_image(&imported);
        assert_eq!((image.width, image.height), (5, 3));
        assert_eq!(&image.rgba8, pixels.as_raw(), "zstd {zstd}");
    }
    let short = image::RgbaImage::from_pixel(5, 2, image::Rgba([1, 2, 3, 4]));
    let mut bad = common::rgba8_ktx2(&short, true);
    bad[24..28].copy_from_slice(&3u32.to_le_bytes()); // claims 5×3 for a 5×2 level
    write(&dir, "t.ktx2", &bad);
    let imported = import_path(&path).expect("loads without the texture");
    assert!(
        imported.warnings.iter().any(|w| w.contains("ktx2.gltf")
            && w.contains("image 0")
            && w.contains("40 bytes where a 5×3 image of 4 bytes a pixel has 60")),
        "{:?}",
        imported.warnings
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn plain_ktx2_textures_of_one_to_four_channels_are_read() {
    // toktx without --encode keeps the source's channels (bevy's barn lamp: RGB8, Zstandard):
    // each 8-bit layout reads as the GPU would sample it, a missing colour channel 0 and a
    // missing alpha opaque, blue-first formats swapped.
    let dir = crate::common::temp_dir("import", "ktx2-plain");
    let json = textured_quad_json(&dir, KTX2_ALONE);
    let path = write(&dir, "ktx2.gltf", json.as_bytes());
    let (w, h) = (3u32, 2u32);
    let texel = |i: usize, c: usize| (40 * i + 7 * c + 1) as u8;
    // (VkFormat, DFD channels, source channel → RGBA slot)
    type Layout<'a> = (u32, &'a [u32], [Option<usize>; 4]);
    let layouts: [Layout; 5] = [
        (9, &[0], [Some(0), None, None, None]),        // R8_UNORM
        (22, &[0, 1], [Some(0), Some(1), None, None]), // R8G8_SRGB
        (23, &[0, 1, 2], [Some(0), Some(1), Some(2), None]), // R8G8B8_UNORM
        (30, &[2, 1, 0], [Some(2), Some(1), Some(0), None]), // B8G8R8_UNORM
        (50, &[2, 1, 0, 15], [Some(2), Some(1), Some(0), Some(3)]), // B8G8R8A8_SRGB
    ];
    for (format, channels, slots) in layouts {
        let n = channels.len();
        let texels: Vec<u8> = (0..(w * h) as usize)
            .flat_map(|i| (0..n).map(move |c| texel(i, c)))
            .collect();
        let expected: Vec<u8> = (0..(w * h) as usize)
            .flat_map(|i| {
                slots
                    .iter()
                    .enumerate()
                    .map(move |(slot, source)| match source {
                        Some(c) => texel(i, *c),
                        None if slot == 3 => 255,
                        None => 0,
                    })
            })
            .collect();
        for zstd in [false, true] {
            write(
                &dir,
                "t.ktx2",
                &common::plain_ktx2(format, channels, w, h, &texels, zstd),
            );
            let imported =
                import_path(&path).unwrap_or_else(|e| panic!("format {format}, zstd {zstd}: {e}"));
            let image = only_base_color_image(&imported);
            assert_eq!((image.width, image.height), (w, h));
            assert_eq!(image.rgba8, expected, "format {format}, zstd {zstd}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn mutated_ktx2_textures_never_panic() {
    // The Basis transcoder trusts its input: every mutation of the KTX2 header, level index
    // and blocks must come back as a loaded model (texture left empty) or an error.
    let (glb, ktx2_start) = common::ktx2_triangle_glb();
    mutate_and_import("mutated-ktx2", &glb, ktx2_start, 3000);
}

#[test]
fn specular_materials_keep_their_factors_and_textures() {
    let dir = crate::common::temp_dir("import", "specular");
    // Textures: the strength on texture 0 through a transform; the colour on texture 0 too.
    let textured = r#"{"name":"Lacquer","extensions":{"KHR_materials_specular":{
        "specularFactor":0.25,"specularColorFactor":[2.0,0.5,0.0],
        "specularTexture":{"index":0,"extensions":{"KHR_texture_transform":{"scale":[3,3]}}},
        "specularColorTexture":{"index":0}}}}"#;
    // Out of range: clamped, and said.
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_specular":{
        "specularFactor":1.5,"specularColorFactor":[-1.0,0.5,1.0]}}}"#;
    for (name, material) in [("textured.gltf", textured), ("wild.gltf", wild)] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_specular");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        let unsupported = imported
            .warnings
            .iter()
            .any(|w| w.contains("KHR_materials_specular") && w.contains("not supported"));
        assert!(!unsupported, "{name}: {:?}", imported.warnings);
        if name == "wild.gltf" {
            assert_eq!((m.specular, m.specular_color), (1.0, [0.0, 0.5, 1.0]));
            assert!(
                imported.warnings.iter().any(|w| w.contains("Wild")
                    && w.contains("KHR_materials_specular")
                    && w.contains("clamped")),
                "{:?}",
                imported.warnings
            );
            continue;
        }
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        assert_eq!((m.specular, m.specular_color), (0.25, [2.0, 0.5, 0.0]));
        assert!(m.has_specular());
        let strength = m.specular_texture.expect("specular texture");
        assert_eq!(strength.transform.scale, [3.0, 3.0]);
        let color = m.specular_color_texture.expect("specular colour texture");
        assert_eq!(strength.image, color.image, "one image, decoded once");
        let image = imported.scene.image(color.image).expect("image");
        assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
        // f0 = min(0.04 × colour, 1) × 0.25.
        let f0 = m
            .specular_color
            .map(|c| (m.dielectric_f0() * c).min(1.0) * m.specular);
        assert!((f0[0] - 0.02).abs() < 1e-6 && (f0[1] - 0.005).abs() < 1e-6 && f0[2] == 0.0);
    }
    std::fs::remove_dir_all(dir).ok();
}

/// Imports `path` (written as `name`): `None` when it is `dangling.gltf`, whose texture index
/// past the file's textures must be refused with an error naming the file; every other file
/// must load.
fn imported_unless_dangling(path: &Path, name: &str) -> Option<Imported> {
    match import_path(path) {
        Ok(imported) => {
            assert_ne!(name, "dangling.gltf", "a dangling texture index loaded");
            Some(imported)
        }
        Err(e) => {
            assert_eq!(name, "dangling.gltf", "{e}");
            assert!(e.to_string().contains(name), "{e}");
            None
        }
    }
}

#[test]
fn transmissive_materials_keep_their_factor_and_texture() {
    let dir = crate::common::temp_dir("import", "transmission");
    let glass = r#"{"name":"Glass","extensions":{"KHR_materials_transmission":{
        "transmissionFactor":0.9,"transmissionTexture":{"index":0,"texCoord":0}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_transmission":{
        "transmissionFactor":7.5}}}"#;
    let dangling = r#"{"name":"Dangling","extensions":{"KHR_materials_transmission":{
        "transmissionTexture":{"index":99}}}}"#;
    for (name, material) in [
        ("glass.gltf", glass),
        ("wild.gltf", wild),
        ("dangling.gltf", dangling),
    ] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_transmission");
        let Some(imported) = imported_unless_dangling(&path, name) else {
            continue;
        };
        let (_, m) = imported.scene.materials().next().expect("one material");
        assert!(m.is_transmissive(), "{name}");
        if name == "wild.gltf" {
            assert_eq!(m.transmission, 1.0);
            assert!(
                imported.warnings.iter().any(|w| w.contains("Wild")
                    && w.contains("KHR_materials_transmission")
                    && w.contains("clamped")),
                "{:?}",
                imported.warnings
            );
            continue;
        }
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        assert_eq!(m.transmission, 0.9);
        let t = m.transmission_texture.expect("transmission texture");
        let image = imported.scene.image(t.image).expect("image");
        assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn volume_materials_keep_their_thickness_and_absorption() {
    let dir = crate::common::temp_dir("import", "volume");
    let glass = r#"{"name":"Bottle","extensions":{
        "KHR_materials_transmission":{"transmissionFactor":1.0},
        "KHR_materials_volume":{"thicknessFactor":0.5,
            "thicknessTexture":{"index":0,"texCoord":0},
            "attenuationDistance":2.0,"attenuationColor":[0.5,0.8,1.0]},
        "KHR_materials_dispersion":{"dispersion":0.36}}}"#;
    let wild = r#"{"name":"Wild","extensions":{
        "KHR_materials_transmission":{"transmissionFactor":1.0},
        "KHR_materials_volume":{"thicknessFactor":-1.0,"attenuationDistance":0.0,
            "attenuationColor":[2.0,0.5,-1.0]},
        "KHR_materials_dispersion":{"dispersion":-3}}}"#;
    let dangling = r#"{"name":"Dangling","extensions":{
        "KHR_materials_transmission":{"transmissionFactor":1.0},
        "KHR_materials_volume":{"thicknessFactor":1.0,"thicknessTexture":{"index":99}}}}"#;
    let used = r#"KHR_materials_transmission","KHR_materials_volume","KHR_materials_dispersion"#;
    for (name, material) in [
        ("bottle.gltf", glass),
        ("wild.gltf", wild),
        ("dangling.gltf", dangling),
    ] {
        let path = write_quad_using(&dir, name, material, used);
        let Some(imported) = imported_unless_dangling(&path, name) else {
            continue;
        };
        let (_, m) = imported.scene.materials().next().expect("one material");
        assert!(m.is_transmissive() && m.has_volume(), "{name}");
        if name == "wild.gltf" {
            assert_eq!(m.thickness, 0.0);
            assert_eq!(m.attenuation_distance, None);
            assert_eq!(m.attenuation_color, [1.0, 0.5, 0.0]);
            assert_eq!(m.absorption(), [0.0; 3], "no distance, no absorption");
            assert_eq!(m.dispersion, 0.0);
            assert!(
                imported
                    .warnings
                    .iter()
                    .any(|w| w.contains("Wild") && w.contains("KHR_materials_dispersion")),
                "{:?}",
                imported.warnings
            );
            let warning = imported
                .warnings
                .iter()
                .find(|w| w.contains("Wild") && w.contains("KHR_materials_volume"))
                .unwrap_or_else(|| panic!("{:?}", imported.warnings));
            for problem in ["thicknessFactor", "attenuationDistance", "attenuationColor"] {
                assert!(warning.contains(problem), "{warning}");
            }
            continue;
        }
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        assert_eq!(m.thickness, 0.5);
        assert_eq!(m.dispersion, 0.36);
        assert_eq!(m.attenuation_distance, Some(2.0));
        assert_eq!(m.attenuation_color, [0.5, 0.8, 1.0]);
        let sigma = m.absorption();
        let want = [0.5f32, 0.8, 1.0].map(|c| -c.ln() / 2.0);
        assert!(
            sigma.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6),
            "{sigma:?}"
        );
        let t = m.thickness_texture.expect("thickness texture");
        let image = imported.scene.image(t.image).expect("image");
        assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn clearcoat_materials_keep_their_lacquer() {
    let dir = crate::common::temp_dir("import", "clearcoat");
    let paint = r#"{"name":"Paint","extensions":{"KHR_materials_clearcoat":{
        "clearcoatFactor":0.8,"clearcoatRoughnessFactor":0.1,
        "clearcoatTexture":{"index":0},
        "clearcoatRoughnessTexture":{"index":0,
            "extensions":{"KHR_texture_transform":{"scale":[2,2]}}},
        "clearcoatNormalTexture":{"index":0,"scale":0.4}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_clearcoat":{
        "clearcoatFactor":3.0,"clearcoatRoughnessFactor":"rough",
        "clearcoatTexture":{"index":99}}}}"#;
    for (name, material) in [("paint.gltf", paint), ("wild.gltf", wild)] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_clearcoat");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        assert!(m.has_clearcoat(), "{name}");
        if name == "wild.gltf" {
            assert_eq!((m.clearcoat, m.clearcoat_roughness), (1.0, 0.0));
            assert!(m.clearcoat_texture.is_none());
            let warning = imported
                .warnings
                .iter()
                .find(|w| w.contains("Wild") && w.contains("KHR_materials_clearcoat"))
                .unwrap_or_else(|| panic!("{:?}", imported.warnings));
            for problem in ["clamped", "not a number", "names no texture"] {
                assert!(warning.contains(problem), "{warning}");
            }
            continue;
        }
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        assert_eq!((m.clearcoat, m.clearcoat_roughness), (0.8, 0.1));
        assert_eq!(m.clearcoat_normal_scale, 0.4);
        let rough = m.clearcoat_roughness_texture.expect("roughness texture");
        assert_eq!(rough.transform.scale, [2.0, 2.0]);
        for slot in [m.clearcoat_texture, m.clearcoat_normal_texture] {
            let image = imported
                .scene
                .image(slot.expect("texture").image)
                .expect("image");
            assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sheen_materials_keep_their_fibres() {
    let dir = crate::common::temp_dir("import", "sheen");
    let velvet = r#"{"name":"Velvet","extensions":{"KHR_materials_sheen":{
        "sheenColorFactor":[0.9,0.4,0.6],"sheenRoughnessFactor":0.35,
        "sheenColorTexture":{"index":0,
            "extensions":{"KHR_texture_transform":{"scale":[3,3]}}},
        "sheenRoughnessTexture":{"index":0,"texCoord":0}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_sheen":{
        "sheenColorFactor":[2.0,"red",-1],"sheenRoughnessFactor":9,
        "sheenRoughnessTexture":{"index":99}}}}"#;
    let malformed = r#"{"name":"Malformed","extensions":{"KHR_materials_sheen":{
        "sheenColorFactor":0.5,"sheenRoughnessFactor":0.2}}}"#;
    for (name, material) in [
        ("velvet.gltf", velvet),
        ("wild.gltf", wild),
        ("malformed.gltf", malformed),
    ] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_sheen");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        if name == "velvet.gltf" {
            assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
            assert!(m.has_sheen());
            assert_eq!((m.sheen_color, m.sheen_roughness), ([0.9, 0.4, 0.6], 0.35));
            let color = m.sheen_color_texture.expect("colour texture");
            assert_eq!(color.transform.scale, [3.0, 3.0]);
            let image = imported.scene.image(color.image).expect("image");
            assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
            assert!(m.sheen_roughness_texture.is_some());
            continue;
        }
        let owner = if name == "wild.gltf" {
            "Wild"
        } else {
            "Malformed"
        };
        let warning = imported
            .warnings
            .iter()
            .find(|w| w.contains(owner) && w.contains("KHR_materials_sheen"))
            .unwrap_or_else(|| panic!("{name}: {:?}", imported.warnings));
        if name == "wild.gltf" {
            // Clamped to 0–1 channel by channel; what is not a number counts as 0.
            assert_eq!((m.sheen_color, m.sheen_roughness), ([1.0, 0.0, 0.0], 1.0));
            assert!(m.sheen_roughness_texture.is_none());
            for problem in ["clamped", "not a number", "names no texture"] {
                assert!(warning.contains(problem), "{warning}");
            }
        } else {
            // A colour that is not three numbers is left out: no sheen.
            assert!(!m.has_sheen(), "{:?}", m.sheen_color);
            assert_eq!(m.sheen_roughness, 0.2);
            assert!(warning.contains("three numbers"), "{warning}");
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn anisotropic_materials_keep_their_direction_and_strength() {
    let dir = crate::common::temp_dir("import", "anisotropy");
    let brushed = r#"{"name":"Brushed","extensions":{"KHR_materials_anisotropy":{
        "anisotropyStrength":0.7,"anisotropyRotation":1.25,
        "anisotropyTexture":{"index":0,
            "extensions":{"KHR_texture_transform":{"rotation":0.5}}}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_anisotropy":{
        "anisotropyStrength":4,"anisotropyRotation":"east",
        "anisotropyTexture":{"index":7}}}}"#;
    let defaults = r#"{"name":"Defaults","extensions":{"KHR_materials_anisotropy":{}}}"#;
    for (name, material) in [
        ("brushed.gltf", brushed),
        ("wild.gltf", wild),
        ("defaults.gltf", defaults),
    ] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_anisotropy");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        // The highlight follows the tangent: generated (MikkTSpace) for anisotropic
        // materials on meshes without tangents, even without a normal map.
        let (_, mesh) = imported.scene.meshes().next().expect("one mesh");
        assert_eq!(
            mesh.tangents.len(),
            if m.has_anisotropy() { 4 } else { 0 },
            "{name}: tangents"
        );
        match name {
            "brushed.gltf" => {
                assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
                assert!(m.has_anisotropy());
                assert_eq!(m.anisotropy_factors(), (0.7, 1.25));
                let texture = m.anisotropy_texture.expect("direction texture");
                assert_eq!(texture.transform.rotation, 0.5);
                let image = imported.scene.image(texture.image).expect("image");
                // Read as data: the bytes as stored, no colour decoding.
                assert_eq!(image.rgba8[..4], [200, 150, 100, 255]);
            }
            "wild.gltf" => {
                let warning = imported
                    .warnings
                    .iter()
                    .find(|w| w.contains("Wild") && w.contains("KHR_materials_anisotropy"))
                    .unwrap_or_else(|| panic!("{name}: {:?}", imported.warnings));
                for problem in ["clamped", "not a number", "names no texture"] {
                    assert!(warning.contains(problem), "{warning}");
                }
                assert_eq!(m.anisotropy_factors(), (1.0, 0.0));
                assert!(m.anisotropy_texture.is_none());
            }
            _ => {
                // The extension's defaults: strength 0, so a round highlight, and no warning.
                assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
                assert!(!m.has_anisotropy());
            }
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn iridescent_materials_keep_their_film() {
    let dir = crate::common::temp_dir("import", "iridescence");
    let bubble = r#"{"name":"Bubble","extensions":{"KHR_materials_iridescence":{
        "iridescenceFactor":0.9,"iridescenceIor":1.33,
        "iridescenceThicknessMinimum":150,"iridescenceThicknessMaximum":650,
        "iridescenceTexture":{"index":0},
        "iridescenceThicknessTexture":{"index":0,
            "extensions":{"KHR_texture_transform":{"offset":[0.5,0]}}}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_iridescence":{
        "iridescenceFactor":-2,"iridescenceIor":0.5,
        "iridescenceThicknessMinimum":"thin","iridescenceThicknessMaximum":-40,
        "iridescenceThicknessTexture":{"index":5}}}}"#;
    let defaults = r#"{"name":"Defaults","extensions":{"KHR_materials_iridescence":{
        "iridescenceFactor":1}}}"#;
    for (name, material) in [
        ("bubble.gltf", bubble),
        ("wild.gltf", wild),
        ("defaults.gltf", defaults),
    ] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_iridescence");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        match name {
            "bubble.gltf" => {
                assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
                assert!(m.has_iridescence());
                assert_eq!(m.iridescence_factors(), (0.9, 1.33, [150.0, 650.0]));
                assert!(m.iridescence_texture.is_some());
                let thickness = m.iridescence_thickness_texture.expect("thickness texture");
                assert_eq!(thickness.transform.offset, [0.5, 0.0]);
            }
            "wild.gltf" => {
                let warning = imported
                    .warnings
                    .iter()
                    .find(|w| w.contains("Wild") && w.contains("KHR_materials_iridescence"))
                    .unwrap_or_else(|| panic!("{name}: {:?}", imported.warnings));
                for problem in ["clamped", "raised", "not a number", "names no texture"] {
                    assert!(warning.contains(problem), "{warning}");
                }
                // A factor clamped to 0: no film; the IOR raised to 1, the thickness range
                // to the default minimum and 0.
                assert!(!m.has_iridescence());
                assert_eq!(m.iridescence_factors(), (0.0, 1.0, [100.0, 0.0]));
                assert!(m.iridescence_thickness_texture.is_none());
            }
            _ => {
                // The extension's defaults: IOR 1.3, 100–400 nm.
                assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
                assert_eq!(m.iridescence_factors(), (1.0, 1.3, [100.0, 400.0]));
            }
        }
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn translucent_materials_keep_their_diffuse_transmission() {
    let dir = crate::common::temp_dir("import", "diffuse-transmission");
    let leaf = r#"{"name":"Leaf","extensions":{"KHR_materials_diffuse_transmission":{
        "diffuseTransmissionFactor":0.6,"diffuseTransmissionColorFactor":[0.8,1.0,0.3],
        "diffuseTransmissionTexture":{"index":0},
        "diffuseTransmissionColorTexture":{"index":0,"texCoord":0}}}}"#;
    let wild = r#"{"name":"Wild","extensions":{"KHR_materials_diffuse_transmission":{
        "diffuseTransmissionFactor":3,"diffuseTransmissionColorFactor":[1,"green"],
        "diffuseTransmissionTexture":{"index":9}}}}"#;
    for (name, material) in [("leaf.gltf", leaf), ("wild.gltf", wild)] {
        let path = write_quad_using(&dir, name, material, "KHR_materials_diffuse_transmission");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        if name == "leaf.gltf" {
            assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
            assert!(m.has_diffuse_transmission());
            assert_eq!(m.diffuse_transmission_factors(), (0.6, [0.8, 1.0, 0.3]));
            assert!(m.diffuse_transmission_texture.is_some());
            assert!(m.diffuse_transmission_color_texture.is_some());
            continue;
        }
        let warning = imported
            .warnings
            .iter()
            .find(|w| w.contains("Wild") && w.contains("KHR_materials_diffuse_transmission"))
            .unwrap_or_else(|| panic!("{name}: {:?}", imported.warnings));
        for problem in ["clamped", "three numbers", "names no texture"] {
            assert!(warning.contains(problem), "{warning}");
        }
        // The factor clamped to 1, the colour left white, the texture left out.
        assert_eq!(m.diffuse_transmission_factors(), (1.0, [1.0; 3]));
        assert!(m.diffuse_transmission_texture.is_none());
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn specular_glossiness_materials_become_metallic_roughness() {
    let dir = crate::common::temp_dir("import", "specgloss");
    // A specular-glossiness texture whose alpha (glossiness) runs 0, 100, 200, 255.
    let sg = image::RgbaImage::from_fn(2, 2, |x, y| {
        image::Rgba([90, 80, 70, [0, 100, 200, 255][(y * 2 + x) as usize]])
    });
    sg.save(dir.join("sg.png")).expect("write png");
    let attributes = r#""POSITION":0,"TEXCOORD_0":2"#;
    let textured = r#"{"name":"Glossy","extensions":{"KHR_materials_pbrSpecularGlossiness":{
        "diffuseFactor":[0.2,0.4,0.6,1],"diffuseTexture":{"index":0},"specularFactor":[1,1,1],
        "glossinessFactor":0.5,"specularGlossinessTexture":{"index":1}}}}"#;
    let plain = r#"{"name":"Satin","extensions":{"KHR_materials_pbrSpecularGlossiness":{
        "diffuseFactor":[0.9,0.1,0.1,1],"glossinessFactor":0.3}}}"#;
    let used = r#""extensionsUsed":["KHR_texture_transform"]"#;
    let sg_used = r#""extensionsUsed":["KHR_materials_pbrSpecularGlossiness"]"#;
    for (name, material) in [("textured.gltf", textured), ("plain.gltf", plain)] {
        let path = write_quad(&dir, name, attributes, material);
        let json = std::fs::read_to_string(&path).expect("read");
        assert!(json.contains(used));
        let json = json.replace(used, sg_used).replace(
            r#""textures":[{"source":0}],"images":[{"uri":"t.png"}]"#,
            r#""textures":[{"source":0},{"source":1}],"images":[{"uri":"t.png"},{"uri":"sg.png"}]"#,
        );
        std::fs::write(&path, json).expect("write");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (_, m) = imported.scene.materials().next().expect("one material");
        assert_eq!(m.metallic, 0.0, "{name}");
        // The specular colour is kept through KHR_materials_specular: IOR 0 makes the
        // dielectric's f0 1, so f0 = the specular colour (specularFactor's default is white).
        assert_eq!((m.ior, m.dielectric_f0()), (0.0, 1.0), "{name}");
        assert_eq!((m.specular, m.specular_color), (1.0, [1.0; 3]), "{name}");
        assert!(
            imported.warnings.iter().any(|w| w.contains(name)
                && w.contains(&m.name)
                && w.contains("KHR_materials_pbrSpecularGlossiness")
                && w.contains("specular colour")),
            "{name}: {:?}",
            imported.warnings
        );
        if name == "plain.gltf" {
            assert!(m.specular_color_texture.is_none());
            assert_eq!(m.base_color, [0.9, 0.1, 0.1, 1.0]);
            assert!((m.roughness - 0.7).abs() < 1e-6, "roughness 1 - 0.3");
            assert!(m.base_color_texture.is_none() && m.metallic_roughness_texture.is_none());
            continue;
        }
        assert_eq!(m.base_color, [0.2, 0.4, 0.6, 1.0]);
        assert_eq!(m.roughness, 1.0, "the texture carries it");
        let base = m.base_color_texture.expect("diffuse texture kept");
        let base = imported.scene.image(base.image).expect("image");
        assert_eq!(
            base.rgba8[..4],
            [200, 150, 100, 255],
            "t.png as the base colour"
        );
        let specular = m.specular_color_texture.expect("specular colour texture");
        let specular = imported.scene.image(specular.image).expect("image");
        assert_eq!(
            specular.rgba8[..4],
            [90, 80, 70, 0],
            "sg.png as the specular colour"
        );
        let mr = m
            .metallic_roughness_texture
            .expect("roughness texture derived");
        let mr = imported.scene.image(mr.image).expect("image");
        // G = 255 − round(0.5 · A), metallic (B) 0.
        let greens: Vec<u8> = mr.rgba8.chunks_exact(4).map(|p| p[1]).collect();
        assert_eq!(greens, [255, 205, 155, 127]);
        assert!(mr.rgba8.chunks_exact(4).all(|p| p[2] == 0));
    }
    std::fs::remove_dir_all(dir).ok();
}
