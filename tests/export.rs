//! Export: glTF files that the Khronos glTF-Validator accepts with zero errors, that re-import
//! as the same scene (hierarchy, world transforms, meshes, materials, textures, lights,
//! cameras, material variants), splat layers as PLY/SPZ that re-import within their
//! quantisation, the export options, atomic writes, the command line, and random scenes that
//! export without panicking.

use crate::common;

use glam::{Mat3, Mat4, Quat, Vec3};
use half::f16;
use proptest::prelude::*;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use worldsmith::export::{
    ExportOptions, GltfFormat, SplatFormat, export_cloud, export_gltf, transform_splats,
};
use worldsmith::import::import_path;
use worldsmith::scene::{
    AlphaMode, Camera, Image, Light, LightKind, Material, MaterialVariant, Mesh, NodeKind,
    PointCloud, Sampler, Scene, SplatCloud, TextureRef, Transform, UvTransform, Wrap,
};

fn gltf_sample(name: &str) -> PathBuf {
    common::testdata().join(name)
}

/// Runs the Khronos glTF-Validator (tools/gltf-validator) on `files`; panics on any error.
/// Without node or the validator's packages the check is skipped with a printed reason,
/// except on CI (`CI=true`), where that is a failure.
pub fn validate(files: &[&Path]) {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/gltf-validator");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    let missing = |why: String| {
        if ci {
            panic!("glTF-Validator unavailable on CI: {why}");
        }
        eprintln!("SKIPPED glTF validation: {why}");
    };
    if !tool.join("node_modules/gltf-validator").is_dir() {
        return missing(format!(
            "run `npm ci` in {} (needs node and npm)",
            tool.display()
        ));
    }
    let output = match std::process::Command::new("node")
        .arg(tool.join("validate.mjs"))
        .args(files)
        .output()
    {
        Ok(o) => o,
        Err(e) => return missing(format!("node could not be run: {e}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "glTF-Validator found errors in {files:?}:\n{stdout}\n{stderr}"
    );
    // Warnings and infos are printed for people to read (`--nocapture`).
    for line in stdout.lines() {
        if line.contains("\"code\"") || line.contains("\"numWarnings\"") {
            eprintln!("validator: {}", line.trim());
        }
    }
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

fn mat_close(a: &Mat4, b: &Mat4, tol: f32) -> bool {
    a.to_cols_array()
        .iter()
        .zip(b.to_cols_array())
        .all(|(x, y)| close(*x, y, tol))
}

/// What the glTF holds for a scene node: splat and point layers come back as empty nodes
/// (their data is in the files beside the glTF).
fn expected_kind(kind: &NodeKind) -> &'static str {
    match kind {
        NodeKind::Empty | NodeKind::Splats { .. } | NodeKind::Points { .. } => "empty",
        NodeKind::Mesh { .. } => "mesh",
        NodeKind::Lines { .. } => "lines",
        NodeKind::Light(_) => "light",
        NodeKind::Camera(_) => "camera",
    }
}

fn assert_materials_equal(
    what: &str,
    a_scene: &Scene,
    a: &Material,
    b_scene: &Scene,
    b: &Material,
) {
    assert_eq!(a.name, b.name, "{what}: material name");
    for i in 0..4 {
        assert!(
            close(a.base_color[i], b.base_color[i], 1e-4),
            "{what}: base colour"
        );
    }
    assert!(close(a.metallic, b.metallic, 1e-4), "{what}: metallic");
    assert!(close(a.roughness, b.roughness, 1e-4), "{what}: roughness");
    for i in 0..3 {
        let ea = a.emissive[i] * a.emissive_strength;
        let eb = b.emissive[i] * b.emissive_strength;
        assert!(close(ea, eb, 1e-4), "{what}: emissive {ea} vs {eb}");
    }
    match (a.alpha_mode, b.alpha_mode) {
        (AlphaMode::Mask { cutoff: x }, AlphaMode::Mask { cutoff: y }) => {
            assert!(close(x, y, 1e-4), "{what}: cutoff")
        }
        (x, y) => assert_eq!(x, y, "{what}: alpha mode"),
    }
    assert_eq!(a.double_sided, b.double_sided, "{what}: double sided");
    assert_eq!(a.unlit, b.unlit, "{what}: unlit");
    assert!(
        close(a.dielectric_f0(), b.dielectric_f0(), 1e-6),
        "{what}: IOR {} vs {}",
        a.ior,
        b.ior
    );
    assert!(close(a.specular, b.specular, 1e-6), "{what}: specular");
    assert!(
        close(a.transmission, b.transmission, 1e-6),
        "{what}: transmission"
    );
    for (x, y, name) in [
        (a.clearcoat, b.clearcoat, "clearcoat"),
        (
            a.clearcoat_roughness,
            b.clearcoat_roughness,
            "clearcoat roughness",
        ),
    ] {
        assert!(close(x, y, 1e-6), "{what}: {name} {x} vs {y}");
    }
    // KHR_materials_sheen: written when the colour is not black (a black one turns the
    // layer off, so it comes back as none).
    assert_eq!(a.has_sheen(), b.has_sheen(), "{what}: sheen");
    if a.has_sheen() {
        assert_eq!(a.sheen_color, b.sheen_color, "{what}: sheen colour");
        assert!(
            close(a.sheen_roughness, b.sheen_roughness, 1e-6),
            "{what}: sheen roughness"
        );
    }
    // KHR_materials_anisotropy: written when the strength is above 0.
    assert_eq!(a.has_anisotropy(), b.has_anisotropy(), "{what}: anisotropy");
    if a.has_anisotropy() {
        let ((sa, ra), (sb, rb)) = (a.anisotropy_factors(), b.anisotropy_factors());
        assert!(
            close(sa, sb, 1e-6) && close(ra, rb, 1e-6),
            "{what}: anisotropy {sa} {ra} vs {sb} {rb}"
        );
    }
    // KHR_materials_diffuse_transmission: written when the factor is above 0.
    assert_eq!(
        a.has_diffuse_transmission(),
        b.has_diffuse_transmission(),
        "{what}: diffuse transmission"
    );
    if a.has_diffuse_transmission() {
        assert_eq!(
            a.diffuse_transmission_factors(),
            b.diffuse_transmission_factors(),
            "{what}: diffuse transmission"
        );
    }
    // KHR_materials_iridescence: written when the factor is above 0.
    assert_eq!(
        a.has_iridescence(),
        b.has_iridescence(),
        "{what}: iridescence"
    );
    if a.has_iridescence() {
        assert_eq!(
            a.iridescence_factors(),
            b.iridescence_factors(),
            "{what}: iridescence"
        );
    }
    // KHR_materials_volume goes with transmission (the export writes it only there).
    if a.is_transmissive() {
        assert!(close(a.thickness, b.thickness, 1e-6), "{what}: thickness");
        assert!(
            close(a.dispersion, b.dispersion, 1e-6),
            "{what}: dispersion"
        );
        assert_eq!(
            a.attenuation_distance, b.attenuation_distance,
            "{what}: attenuation distance"
        );
        for i in 0..3 {
            assert!(
                close(a.attenuation_color[i], b.attenuation_color[i], 1e-6),
                "{what}: attenuation colour"
            );
        }
    }
    if a.clearcoat_normal_texture.is_some() {
        assert!(
            close(a.clearcoat_normal_scale, b.clearcoat_normal_scale, 1e-6),
            "{what}: clearcoat normal scale"
        );
    }
    for i in 0..3 {
        assert!(
            close(a.specular_color[i], b.specular_color[i], 1e-6),
            "{what}: specular colour {:?} vs {:?}",
            a.specular_color,
            b.specular_color
        );
    }
    let slots_a = a.texture_slots();
    let slots_b = b.texture_slots();
    if a.normal_texture.is_some() {
        assert!(
            close(a.normal_scale, b.normal_scale, 1e-4),
            "{what}: normal scale"
        );
    }
    if a.occlusion_texture.is_some() {
        assert!(
            close(a.occlusion_strength, b.occlusion_strength, 1e-4),
            "{what}: occlusion strength"
        );
    }
    for (slot, (sa, sb)) in slots_a.iter().zip(&slots_b).enumerate() {
        match (sa, sb) {
            (None, None) => {}
            (Some(sa), Some(sb)) => {
                assert_eq!(sa.sampler, sb.sampler, "{what}: slot {slot} sampler");
                assert_eq!(sa.uv_set.min(1), sb.uv_set, "{what}: slot {slot} uv set");
                let ma = a.slot_uv_matrix(sa);
                let mb = b.slot_uv_matrix(sb);
                assert!(
                    ma.to_cols_array()
                        .iter()
                        .zip(mb.to_cols_array())
                        .all(|(x, y)| close(*x, y, 1e-4)),
                    "{what}: slot {slot} UV transform {ma:?} vs {mb:?}"
                );
                let ia = a_scene.image(sa.image).expect("image");
                let ib = b_scene.image(sb.image).expect("re-imported image");
                assert_eq!(
                    (ia.width, ia.height),
                    (ib.width, ib.height),
                    "{what}: image size"
                );
                assert!(ia.rgba8 == ib.rgba8, "{what}: slot {slot} pixels differ");
            }
            _ => panic!("{what}: slot {slot} present on one side only"),
        }
    }
}

/// Exports `scene` as GLB with `options`, validates it, re-imports it and checks that it is
/// the same scene. Returns the re-imported scene.
fn round_trip(name: &str, scene: &Scene, options: &ExportOptions) -> Scene {
    let dir = crate::common::temp_dir("export", name);
    let ext = if options.format == GltfFormat::Glb {
        "glb"
    } else {
        "gltf"
    };
    let path = dir.join(format!("{name}.{ext}"));
    let report = export_gltf(scene, &path, options).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(report.files[0], path);
    for f in &report.files {
        assert!(f.is_file(), "{name}: {} missing", f.display());
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "{name}: temporary files left: {leftovers:?}"
    );
    validate(&[&path]);
    let back = import_path(&path)
        .unwrap_or_else(|e| panic!("{name}: re-import: {e}"))
        .scene;
    assert_same_scene(name, scene, &back, options);
    std::fs::remove_dir_all(&dir).ok();
    back
}

/// The re-imported scene equals what the export was asked to write.
fn assert_same_scene(name: &str, scene: &Scene, back: &Scene, options: &ExportOptions) {
    let hidden_ok = options.include_hidden;
    let original: Vec<_> = scene
        .walk()
        .into_iter()
        .filter(|wn| hidden_ok || wn.visible)
        .collect();
    let returned = back.walk();
    assert_eq!(
        original.len(),
        returned.len(),
        "{name}: node count {} vs {}",
        original.len(),
        returned.len()
    );
    for (a, b) in original.iter().zip(&returned) {
        let what = format!("{name}: node '{}'", a.node.name);
        assert_eq!(a.node.name, b.node.name, "{name}: node order/names");
        assert_eq!(a.depth, b.depth, "{what}: hierarchy depth");
        assert_eq!(
            a.node.parent.map(|p| scene.node(p).unwrap().name.clone()),
            b.node.parent.map(|p| back.node(p).unwrap().name.clone()),
            "{what}: parent"
        );
        assert_eq!(
            expected_kind(&a.node.kind),
            expected_kind(&b.node.kind),
            "{what}: kind"
        );
        match (&a.node.kind, &b.node.kind) {
            (NodeKind::Light(_) | NodeKind::Camera(_), _) => {
                // Scale does not matter to lights and cameras.
                let (_, ra, ta) = a.world_from_local.to_scale_rotation_translation();
                let (_, rb, tb) = b.world_from_local.to_scale_rotation_translation();
                assert!(
                    ta.abs_diff_eq(tb, 1e-4 * (1.0 + ta.length())),
                    "{what}: position"
                );
                assert!(ra.dot(rb).abs() > 1.0 - 1e-5, "{what}: rotation");
            }
            _ => assert!(
                mat_close(&a.world_from_local, &b.world_from_local, 1e-4),
                "{what}: world transform {:?} vs {:?}",
                a.world_from_local,
                b.world_from_local
            ),
        }
        match (&a.node.kind, &b.node.kind) {
            (
                NodeKind::Mesh { mesh, material },
                NodeKind::Mesh {
                    mesh: mesh_b,
                    material: material_b,
                },
            ) => {
                let (ma, mb) = (scene.mesh(*mesh).unwrap(), back.mesh(*mesh_b).unwrap());
                assert_eq!(ma.vertex_count(), mb.vertex_count(), "{what}: vertices");
                assert_eq!(ma.indices.len(), mb.indices.len(), "{what}: indices");
                assert_eq!(ma.colors.len(), mb.colors.len(), "{what}: vertex colours");
                for (ca, cb) in ma.colors.iter().zip(&mb.colors) {
                    for i in 0..4 {
                        assert!(close(ca[i].clamp(0.0, 1.0), cb[i], 1e-5), "{what}: colour");
                    }
                }
                for (pa, pb) in ma.positions.iter().zip(&mb.positions) {
                    assert!(
                        Vec3::from(*pa).abs_diff_eq(Vec3::from(*pb), 1e-5),
                        "{what}: position"
                    );
                }
                assert_materials_equal(
                    &what,
                    scene,
                    scene.material(*material).unwrap(),
                    back,
                    back.material(*material_b).unwrap(),
                );
            }
            (NodeKind::Light(la), NodeKind::Light(lb)) => {
                assert_eq!(
                    std::mem::discriminant(&la.kind),
                    std::mem::discriminant(&lb.kind),
                    "{what}: light kind"
                );
                if let (
                    LightKind::Spot {
                        inner_cone_rad: ia,
                        outer_cone_rad: oa,
                    },
                    LightKind::Spot {
                        inner_cone_rad: ib,
                        outer_cone_rad: ob,
                    },
                ) = (la.kind, lb.kind)
                {
                    assert!(close(ia, ib, 1e-5) && close(oa, ob, 1e-5), "{what}: cones");
                }
                for i in 0..3 {
                    assert!(
                        close(la.color[i], lb.color[i], 1e-5),
                        "{what}: light colour"
                    );
                }
                assert!(close(la.intensity, lb.intensity, 1e-5), "{what}: intensity");
                match (la.range, lb.range) {
                    (Some(x), Some(y)) => assert!(close(x, y, 1e-5), "{what}: range"),
                    (x, y) => assert_eq!(
                        x.filter(|_| la.kind != LightKind::Directional),
                        y,
                        "{what}: range"
                    ),
                }
            }
            (NodeKind::Camera(ca), NodeKind::Camera(cb)) => {
                assert!(close(ca.fov_y_rad, cb.fov_y_rad, 1e-5), "{what}: fov");
                assert!(close(ca.near, cb.near, 1e-5), "{what}: near");
                assert_eq!(ca.far.is_some(), cb.far.is_some(), "{what}: far");
            }
            _ => {}
        }
    }
    // Material variants (as the export turns the scene's variants into glTF ones): same
    // names, and per variant the same (node, material) pairs by name.
    let (sent, sent_list) = worldsmith::export::with_variant_materials(scene);
    let scene = &sent;
    let back_list = back.material_variants();
    let exported_variants = options.selection_only.is_none() && !sent_list.is_empty();
    if exported_variants {
        let names =
            |l: &[MaterialVariant]| -> Vec<String> { l.iter().map(|v| v.name.clone()).collect() };
        assert_eq!(
            names(&sent_list),
            names(&back_list),
            "{name}: variant names"
        );
        for (va, vb) in sent_list.iter().zip(&back_list) {
            let pairs = |s: &Scene, v: &MaterialVariant| {
                let mut p: Vec<(String, String)> = v
                    .assignments
                    .iter()
                    .map(|(n, m)| {
                        (
                            s.node(*n).unwrap().name.clone(),
                            s.material(*m).unwrap().name.clone(),
                        )
                    })
                    .collect();
                p.sort();
                p
            };
            assert_eq!(
                pairs(scene, va),
                pairs(back, vb),
                "{name}: variant '{}'",
                va.name
            );
            for (n, m) in &va.assignments {
                let node_name = &scene.node(*n).unwrap().name;
                let (_, mb) = vb
                    .assignments
                    .iter()
                    .find(|(nb, _)| &back.node(*nb).unwrap().name == node_name)
                    .unwrap();
                assert_materials_equal(
                    name,
                    scene,
                    scene.material(*m).unwrap(),
                    back,
                    back.material(*mb).unwrap(),
                );
            }
        }
    }
}

fn import(name: &str) -> Scene {
    let imported = import_path(&gltf_sample(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    imported.scene
}

#[test]
fn default_world_exports_valid_and_round_trips() {
    let scene = worldsmith::generate::generate_world(7);
    let back = round_trip("world7", &scene, &ExportOptions::default());
    // Its two shots come back as two shots (not merged as unrelated animations are), each
    // through its own camera, with the same camera pose on a frame.
    let shots = |s: &Scene| -> Vec<(String, u32, u32, Option<String>)> {
        s.timeline()
            .shots
            .iter()
            .map(|shot| {
                let camera = shot.camera.and_then(|c| s.node(c)).map(|n| n.name.clone());
                (shot.name.clone(), shot.fps, shot.frames, camera)
            })
            .collect()
    };
    assert_eq!(shots(&back), shots(&scene));
    for (a, b) in scene.timeline().shots.iter().zip(&back.timeline().shots) {
        let pose = |s: &Scene, shot: &worldsmith::scene::Shot| {
            let sampled = s.sampled(shot.id, 50.0, None).expect("sampled");
            sampled.world_from_local(shot.camera.expect("a camera"))
        };
        assert!(
            mat_close(&pose(&scene, a), &pose(&back, b), 1e-3),
            "{}",
            a.name
        );
    }
}

#[test]
fn damaged_helmet_keeps_its_jpeg_bytes_and_round_trips() {
    let scene = import("DamagedHelmet.glb");
    assert!(
        scene.images().all(|(_, i)| i.source().is_some()),
        "imported images keep their encoded bytes"
    );
    let back = round_trip("helmet", &scene, &ExportOptions::default());
    // Unchanged images are written as they came: the very same bytes.
    let mut a: Vec<_> = scene
        .images()
        .map(|(_, i)| i.source().unwrap().bytes.clone())
        .collect();
    let mut b: Vec<_> = back
        .images()
        .map(|(_, i)| i.source().unwrap().bytes.clone())
        .collect();
    a.sort();
    b.sort();
    assert_eq!(a, b, "image bytes re-encoded");
    // The export is about the size of the original (no re-encoding, no duplication).
    let original = std::fs::metadata(gltf_sample("DamagedHelmet.glb"))
        .unwrap()
        .len();
    let dir = crate::common::temp_dir("export", "helmet-size");
    let path = dir.join("h.glb");
    let report = export_gltf(&scene, &path, &ExportOptions::default()).unwrap();
    assert!(
        report.bytes < original * 3 / 2,
        "{} bytes exported from a {original}-byte file",
        report.bytes
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn box_textured_round_trips_as_glb_and_as_separate_files() {
    let scene = import("BoxTextured/BoxTextured.gltf");
    round_trip("box-textured", &scene, &ExportOptions::default());
    round_trip(
        "box-textured-separate",
        &scene,
        &ExportOptions {
            format: GltfFormat::Separate,
            ..Default::default()
        },
    );
}

#[test]
fn box_vertex_colors_and_two_cubes_round_trip() {
    let scene = import("BoxVertexColors.glb");
    assert!(scene.meshes().any(|(_, m)| !m.colors.is_empty()));
    round_trip("box-vertex-colors", &scene, &ExportOptions::default());
    round_trip(
        "two-cubes",
        &import("TwoCubes.glb"),
        &ExportOptions::default(),
    );
}

fn cube() -> Mesh {
    worldsmith::generate::shapes::cube(1.0)
}

/// Lights of every kind, a camera, a textured material with per-slot and material-wide
/// transforms, emissive strength, IOR, specular, transmission, volume, clearcoat and sheen
/// factors and textures, an unlit material, two material variants, a hierarchy with
/// rotated and scaled parents, a hidden node, and splat and point layers.
fn showcase() -> Scene {
    let mut scene = Scene::new("showcase");
    let pixels: Vec<u8> = (0..4 * 4 * 4).map(|i| (i * 37 % 256) as u8).collect();
    let image = scene.add_image(Image::new("checker", 4, 4, pixels).unwrap());
    let red = scene.add_material(Material {
        base_color_texture: Some(TextureRef {
            image,
            sampler: Sampler::nearest(Wrap::MirroredRepeat),
            uv_set: 0,
            transform: UvTransform {
                offset: [0.25, 0.5],
                rotation: 0.3,
                scale: [2.0, 3.0],
            },
        }),
        uv_scale: [4.0, 4.0],
        uv_offset: [0.1, 0.0],
        emissive: [2.0, 0.5, 0.0],
        emissive_strength: 3.0,
        alpha_mode: AlphaMode::Mask { cutoff: 0.3 },
        double_sided: true,
        // KHR_materials_ior round trip.
        ior: 1.33,
        // KHR_materials_clearcoat, with a lacquer normal map at its own scale.
        clearcoat: 0.8,
        clearcoat_roughness: 0.15,
        clearcoat_normal_scale: 0.5,
        clearcoat_texture: Some(TextureRef::new(image, Sampler::default())),
        clearcoat_normal_texture: Some(TextureRef::new(image, Sampler::nearest(Wrap::Repeat))),
        // KHR_materials_diffuse_transmission with both textures.
        diffuse_transmission: 0.45,
        diffuse_transmission_color: [0.9, 0.7, 0.2],
        diffuse_transmission_texture: Some(TextureRef::new(image, Sampler::default())),
        diffuse_transmission_color_texture: Some(TextureRef::new(
            image,
            Sampler::nearest(Wrap::Repeat),
        )),
        // KHR_materials_iridescence with both textures.
        iridescence: 0.7,
        iridescence_ior: 1.45,
        iridescence_thickness: [120.0, 520.0],
        iridescence_texture: Some(TextureRef::new(image, Sampler::default())),
        iridescence_thickness_texture: Some(TextureRef::new(
            image,
            Sampler::nearest(Wrap::MirroredRepeat),
        )),
        // KHR_materials_sheen under the lacquer, both textures (the colour one transformed).
        sheen_color: [0.5, 0.25, 1.0],
        sheen_roughness: 0.3,
        sheen_color_texture: Some(TextureRef {
            transform: UvTransform {
                offset: [0.0, 0.25],
                rotation: 0.1,
                scale: [1.0, 2.0],
            },
            ..TextureRef::new(image, Sampler::default())
        }),
        sheen_roughness_texture: Some(TextureRef::new(image, Sampler::nearest(Wrap::Repeat))),
        ..Material::named("Red", [0.9, 0.1, 0.1, 1.0], 0.4)
    });
    // KHR_materials_specular round trip: factors (a colour above 1) and both textures, the
    // colour texture on its own transform.
    let blue = scene.add_material(Material {
        specular: 0.4,
        specular_color: [1.2, 0.8, 0.5],
        specular_texture: Some(TextureRef::new(image, Sampler::default())),
        specular_color_texture: Some(TextureRef {
            transform: UvTransform {
                offset: [0.5, 0.0],
                rotation: 0.0,
                scale: [2.0, 2.0],
            },
            ..TextureRef::new(image, Sampler::default())
        }),
        // KHR_materials_transmission too.
        transmission: 0.8,
        transmission_texture: Some(TextureRef::new(image, Sampler::nearest(Wrap::Repeat))),
        // KHR_materials_volume with its thickness map.
        thickness: 0.3,
        thickness_texture: Some(TextureRef::new(image, Sampler::default())),
        attenuation_distance: Some(1.5),
        attenuation_color: [0.7, 0.9, 0.4],
        // KHR_materials_dispersion, which needs the volume.
        dispersion: 0.4,
        // KHR_materials_anisotropy with its direction map on its own transform.
        anisotropy_strength: 0.6,
        anisotropy_rotation: -1.2,
        anisotropy_texture: Some(TextureRef {
            transform: UvTransform {
                offset: [0.0, 0.5],
                rotation: 0.3,
                scale: [2.0, 1.0],
            },
            ..TextureRef::new(image, Sampler::nearest(Wrap::ClampToEdge))
        }),
        ..Material::named("Blue", [0.1, 0.2, 0.9, 1.0], 0.7)
    });
    let glow = scene.add_material(Material {
        unlit: true,
        alpha_mode: AlphaMode::Blend,
        ..Material::named("Glow", [1.0, 1.0, 0.2, 0.5], 1.0)
    });
    let mesh = scene.add_mesh(cube());
    let group = scene.add_node(
        None,
        "Group",
        Transform::from_translation(Vec3::new(1.0, 2.0, 3.0))
            .with_rotation(Quat::from_rotation_y(0.6))
            .with_scale(Vec3::splat(2.0)),
        NodeKind::Empty,
    );
    let a = scene.add_node(
        Some(group),
        "CubeA",
        Transform::from_translation(Vec3::X).with_scale(Vec3::new(1.0, 0.5, 2.0)),
        NodeKind::Mesh {
            mesh,
            material: red,
        },
    );
    let b = scene.add_node(
        Some(group),
        "CubeB",
        Transform::from_translation(-Vec3::X),
        NodeKind::Mesh {
            mesh,
            material: blue,
        },
    );
    let hidden = scene.add_node(
        None,
        "Hidden",
        Transform::from_translation(Vec3::Y * 5.0),
        NodeKind::Mesh {
            mesh,
            material: glow,
        },
    );
    scene.set_visible(hidden, false);
    scene.add_node(
        None,
        "Sun",
        Transform::pointing(Vec3::new(-0.3, -1.0, -0.2)),
        NodeKind::Light(Light {
            kind: LightKind::Directional,
            color: [1.0, 0.95, 0.9],
            intensity: 80_000.0,
            range: None,
            cast_shadows: true,
        }),
    );
    scene.add_node(
        Some(group),
        "Lamp",
        Transform::from_translation(Vec3::new(0.0, 3.0, 0.0)),
        NodeKind::Light(Light {
            kind: LightKind::Point,
            color: [1.0, 0.5, 0.2],
            intensity: 800.0,
            range: Some(12.0),
            cast_shadows: false,
        }),
    );
    scene.add_node(
        None,
        "Spot",
        Transform::looking_at(Vec3::new(4.0, 4.0, 4.0), Vec3::ZERO),
        NodeKind::Light(Light {
            kind: LightKind::Spot {
                inner_cone_rad: 0.2,
                outer_cone_rad: 0.5,
            },
            color: [0.2, 0.4, 1.0],
            intensity: 2500.0,
            range: Some(30.0),
            cast_shadows: false,
        }),
    );
    scene.add_node(
        None,
        "Shot",
        Transform::looking_at(Vec3::new(0.0, 2.0, 10.0), Vec3::ZERO),
        NodeKind::Camera(Camera {
            fov_y_rad: 0.8,
            near: 0.05,
            far: Some(500.0),
            ortho_half_height: None,
        }),
    );
    let splats = scene.add_splat_cloud(splat_cloud(200, 3));
    scene.add_node(
        Some(group),
        "Gaussians",
        Transform::from_translation(Vec3::Z).with_rotation(Quat::from_rotation_x(0.4)),
        NodeKind::Splats { cloud: splats },
    );
    crate::common::add_point_node(
        &mut scene,
        "Scan",
        Transform::from_translation(Vec3::new(0.0, 0.0, -3.0)),
        PointCloud::new(
            (0..50).map(|i| [i as f32 * 0.1, 0.5, -1.0]).collect(),
            (0..50).map(|i| [i as u8 * 5, 100, 200, 255]).collect(),
            Vec::new(),
        ),
        2.0,
    );
    scene.set_material_variants(vec![
        MaterialVariant {
            name: "Swapped".into(),
            assignments: vec![(a, blue), (b, red)],
        },
        MaterialVariant {
            name: "Glowing".into(),
            assignments: vec![(a, glow), (b, glow)],
        },
    ]);
    scene
}

/// A deterministic splat cloud with varied shapes and SH.
fn splat_cloud(n: usize, degree: u8) -> SplatCloud {
    let mut rand = worldsmith::import::ply::unit_floats(11);
    let per = SplatCloud::sh_rest_coefficients(degree) * 3;
    let mut r = move || rand();
    let positions = (0..n)
        .map(|_| [r() * 4.0 - 2.0, r() * 2.0, r() * 4.0 - 2.0])
        .collect();
    let rotations = (0..n)
        .map(|_| Quat::from_euler(glam::EulerRot::XYZ, r() * 6.0, r() * 6.0, r() * 6.0).to_array())
        .collect();
    let scales = (0..n)
        .map(|_| [0.01 + r() * 0.2, 0.01 + r() * 0.1, 0.02 + r() * 0.05])
        .collect();
    let opacities = (0..n).map(|_| 0.05 + r() * 0.9).collect();
    let colors = (0..n).map(|_| [r(), r() * 0.8 + 0.1, r()]).collect();
    let sh = (0..n * per)
        .map(|_| f16::from_f32(r() * 0.6 - 0.3))
        .collect();
    SplatCloud::new(positions, rotations, scales, opacities, colors, degree, sh).unwrap()
}

#[test]
fn lights_cameras_variants_and_options_round_trip() {
    let scene = showcase();
    round_trip("showcase", &scene, &ExportOptions::default());
    round_trip(
        "showcase-hidden",
        &scene,
        &ExportOptions {
            include_hidden: true,
            ..Default::default()
        },
    );
    round_trip(
        "showcase-separate",
        &scene,
        &ExportOptions {
            format: GltfFormat::Separate,
            splats: SplatFormat::Spz,
            ..Default::default()
        },
    );
}

#[test]
fn variants_from_a_separate_list_are_written() {
    let scene = showcase();
    let a = scene.find("CubeA").unwrap();
    let glow = scene.materials().find(|(_, m)| m.name == "Glow").unwrap().0;
    let list = vec![MaterialVariant {
        name: "Panel".into(),
        assignments: vec![(a, glow)],
    }];
    let dir = crate::common::temp_dir("export", "variants-list");
    let path = dir.join("v.glb");
    worldsmith::export::gltf::export(&scene, &list, &path, &ExportOptions::default()).unwrap();
    validate(&[&path]);
    let back = import_path(&path).unwrap().scene;
    let variants = back.material_variants();
    assert_eq!(variants.len(), 1);
    assert_eq!(variants[0].name, "Panel");
    let (node, material) = variants[0].assignments[0];
    assert_eq!(back.node(node).unwrap().name, "CubeA");
    assert_eq!(back.material(material).unwrap().name, "Glow");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn selection_only_keeps_the_subtree_at_its_world_pose() {
    let scene = showcase();
    let group = scene.find("Group").unwrap();
    let dir = crate::common::temp_dir("export", "selection");
    let path = dir.join("sel.glb");
    let options = ExportOptions {
        selection_only: Some(vec![
            scene.find("CubeA").unwrap(),
            scene.find("Spot").unwrap(),
        ]),
        ..Default::default()
    };
    export_gltf(&scene, &path, &options).unwrap();
    validate(&[&path]);
    let back = import_path(&path).unwrap().scene;
    let names: Vec<String> = back.walk().iter().map(|w| w.node.name.clone()).collect();
    assert_eq!(names, ["CubeA", "Spot"]);
    let a = back.find("CubeA").unwrap();
    assert!(mat_close(
        &back.world_from_local(a),
        &scene.world_from_local(scene.find("CubeA").unwrap()),
        1e-4
    ));
    // Nothing selected that is exported: a clear error, no file.
    let err = export_gltf(
        &scene,
        &dir.join("none.glb"),
        &ExportOptions {
            selection_only: Some(vec![scene.find("Hidden").unwrap()]),
            ..Default::default()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("none.glb") && err.contains("nothing to export"),
        "{err}"
    );
    assert!(!dir.join("none.glb").exists());
    let _ = group;
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn apply_transforms_bakes_world_positions_into_a_flat_list() {
    let scene = showcase();
    let dir = crate::common::temp_dir("export", "baked");
    let path = dir.join("baked.glb");
    let options = ExportOptions {
        apply_transforms: true,
        ..Default::default()
    };
    export_gltf(&scene, &path, &options).unwrap();
    validate(&[&path]);
    let back = import_path(&path).unwrap().scene;
    assert!(back.find("Group").is_none(), "groups are dropped");
    for wn in back.walk() {
        assert_eq!(wn.depth, 0, "flat: {}", wn.node.name);
    }
    for name in ["CubeA", "CubeB"] {
        let id = back.find(name).unwrap();
        assert_eq!(back.node(id).unwrap().transform, Transform::IDENTITY);
        let NodeKind::Mesh { mesh, .. } = back.node(id).unwrap().kind else {
            panic!("{name} is a mesh");
        };
        let original = scene.find(name).unwrap();
        let world = scene.world_from_local(original);
        let NodeKind::Mesh { mesh: mesh_a, .. } = scene.node(original).unwrap().kind else {
            unreachable!()
        };
        let (ma, mb) = (scene.mesh(mesh_a).unwrap(), back.mesh(mesh).unwrap());
        for (pa, pb) in ma.positions.iter().zip(&mb.positions) {
            let want = world.transform_point3(Vec3::from(*pa));
            assert!(
                want.abs_diff_eq(Vec3::from(*pb), 1e-4),
                "{name}: {want} vs {pb:?}"
            );
        }
        for n in &mb.normals {
            assert!((Vec3::from(*n).length() - 1.0).abs() < 1e-4);
        }
    }
    // Lights keep their world pose.
    let lamp = back.find("Lamp").unwrap();
    let want = scene
        .world_from_local(scene.find("Lamp").unwrap())
        .transform_point3(Vec3::ZERO);
    let got = back.world_from_local(lamp).transform_point3(Vec3::ZERO);
    assert!(want.abs_diff_eq(got, 1e-4));
    std::fs::remove_dir_all(&dir).ok();
}

/// Splat values in world space, for comparing exports in different frames.
fn world_splats(scene: &Scene, name: &str) -> SplatCloud {
    let id = scene.find(name).unwrap_or_else(|| panic!("{name}"));
    let NodeKind::Splats { cloud } = scene.node(id).unwrap().kind else {
        panic!("{name} is not splats");
    };
    transform_splats(
        scene.splat_cloud(cloud).unwrap(),
        scene.world_from_local(id),
    )
}

fn covariance(q: [f32; 4], s: [f32; 3]) -> Mat3 {
    let m = Mat3::from_quat(Quat::from_array(q)) * Mat3::from_diagonal(Vec3::from(s));
    m * m.transpose()
}

fn assert_splats_close(what: &str, a: &SplatCloud, b: &SplatCloud, tol: [f32; 5]) {
    let [pos, color, opacity, scale, sh] = tol;
    assert_eq!(a.len(), b.len(), "{what}: count");
    assert_eq!(a.sh_degree, b.sh_degree, "{what}: SH degree");
    for i in 0..a.len() {
        assert!(
            Vec3::from(a.positions[i]).abs_diff_eq(Vec3::from(b.positions[i]), pos),
            "{what}: splat {i} position {:?} vs {:?}",
            a.positions[i],
            b.positions[i]
        );
        for c in 0..3 {
            assert!(
                (a.colors[i][c] - b.colors[i][c]).abs() <= color,
                "{what}: colour"
            );
            let (sa, sb) = (a.scales[i][c], b.scales[i][c]);
            assert!(
                (sa / sb - 1.0).abs() <= scale,
                "{what}: splat {i} scale {sa} vs {sb}"
            );
        }
        assert!(
            (a.opacities[i] - b.opacities[i]).abs() <= opacity,
            "{what}: opacity"
        );
        let (ca, cb) = (
            covariance(a.rotations[i], a.scales[i]),
            covariance(b.rotations[i], b.scales[i]),
        );
        let size = ca
            .to_cols_array()
            .iter()
            .fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(
            ca.abs_diff_eq(cb, (scale * 4.0 + 0.01) * size),
            "{what}: splat {i} covariance {ca:?} vs {cb:?}"
        );
    }
    for (k, (x, y)) in a.sh_rest.iter().zip(&b.sh_rest).enumerate() {
        assert!(
            (x.to_f32() - y.to_f32()).abs() <= sh,
            "{what}: SH value {k}: {x} vs {y}"
        );
    }
}

#[test]
fn splat_layers_export_to_ply_and_spz_and_re_import() {
    let scene = showcase();
    let node = scene.find("Gaussians").unwrap();
    let want = world_splats(&scene, "Gaussians");
    let dir = crate::common::temp_dir("export", "splats");
    // PLY: float properties, so only f32 round-off (and f16 SH) separates the two.
    let ply = dir.join("g.ply");
    let report = export_cloud(&scene, node, &ply, SplatFormat::Ply).unwrap();
    assert_eq!(report.count, 200);
    let back = import_path(&ply).unwrap().scene;
    let got = world_splats(&back, "g");
    assert_splats_close("PLY", &want, &got, [1e-4, 1e-5, 1e-5, 1e-4, 2e-3]);
    // SPZ: quantised as the format is (positions to 1/4096 m, colour and SH to 8 bits).
    let spz = dir.join("g.spz");
    export_cloud(&scene, node, &spz, SplatFormat::Spz).unwrap();
    let back = import_path(&spz).unwrap().scene;
    let got = world_splats(&back, "g");
    assert_splats_close("SPZ", &want, &got, [3e-4, 0.01, 0.003, 0.04, 0.006]);
    // Exporting the re-imported PLY again gives the same values: the writer inverts the
    // reader exactly.
    let again = dir.join("again.ply");
    let back = import_path(&ply).unwrap().scene;
    export_cloud(&back, back.find("g").unwrap(), &again, SplatFormat::Ply).unwrap();
    let twice = import_path(&again).unwrap().scene;
    assert_splats_close(
        "PLY twice",
        &world_splats(&back, "g"),
        &world_splats(&twice, "again"),
        [1e-5, 1e-6, 1e-6, 1e-5, 1e-3],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn rotated_splats_keep_their_view_dependent_colour() {
    // A degree-1 splat whose SH brightens it seen from +x (in its own frame); turned a
    // quarter about y, it must brighten seen from the direction +x went to (-z).
    let sh_x = [0.0f32, 0.0, -1.0]; // coefficient order (-y, z, -x): value along +x.
    let mut sh = Vec::new();
    for coefficient in sh_x {
        sh.extend([f16::from_f32(coefficient * 0.3); 3]);
    }
    let cloud = SplatCloud::new(
        vec![[0.0; 3]],
        vec![[0.0, 0.0, 0.0, 1.0]],
        vec![[0.1; 3]],
        vec![0.9],
        vec![[0.5; 3]],
        1,
        sh,
    )
    .unwrap();
    let turned = transform_splats(&cloud, Mat4::from_rotation_y(std::f32::consts::FRAC_PI_2));
    let rest: Vec<f32> = turned.sh_rest.iter().map(|v| v.to_f32()).collect();
    // f(d) ∝ -c0·y + c1·z - c2·x per channel: now largest along -z, i.e. c1 = -0.3.
    let c = [rest[0], rest[3], rest[6]];
    assert!(
        c[0].abs() < 1e-3 && (c[1] + 0.3).abs() < 1e-3 && c[2].abs() < 1e-3,
        "{c:?}"
    );
}

#[test]
fn point_clouds_export_as_ply_and_beside_gltf() {
    let scene = showcase();
    let dir = crate::common::temp_dir("export", "points");
    let ply = dir.join("scan.ply");
    export_cloud(&scene, scene.find("Scan").unwrap(), &ply, SplatFormat::Ply).unwrap();
    let back = import_path(&ply).unwrap().scene;
    let NodeKind::Points { cloud, .. } = back.node(back.find("scan").unwrap()).unwrap().kind else {
        panic!("a point cloud");
    };
    let cloud = back.point_cloud(cloud).unwrap();
    assert_eq!(cloud.len(), 50);
    assert_eq!(cloud.colors[7], [35, 100, 200, 255]);
    assert!(Vec3::from(cloud.positions[10]).abs_diff_eq(Vec3::new(1.0, 0.5, -4.0), 1e-5));
    // SPZ holds only splats.
    let err = export_cloud(
        &scene,
        scene.find("Scan").unwrap(),
        &dir.join("s.spz"),
        SplatFormat::Spz,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("s.spz") && err.contains("point cloud"),
        "{err}"
    );
    // Beside a glTF export: one file per layer, named after the node, listed in the report.
    let report = export_gltf(&scene, &dir.join("w.glb"), &ExportOptions::default()).unwrap();
    let names: Vec<String> = report
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"w_Gaussians.ply".to_owned()), "{names:?}");
    assert!(names.contains(&"w_Scan.ply".to_owned()), "{names:?}");
    // In the glTF itself the cloud is a POINTS primitive, which opens as the same cloud.
    let again = import_path(&dir.join("w.glb")).unwrap().scene;
    let NodeKind::Points { cloud, .. } = again.node(again.find("Scan").unwrap()).unwrap().kind
    else {
        panic!("Scan comes back as a point cloud");
    };
    let cloud = again.point_cloud(cloud).unwrap();
    assert_eq!(cloud.len(), 50);
    assert_eq!(cloud.colors[7], [35, 100, 200, 255]);
    let world = again.world_from_local(again.find("Scan").unwrap());
    assert!(
        world
            .transform_point3(Vec3::from(cloud.positions[10]))
            .abs_diff_eq(Vec3::new(1.0, 0.5, -4.0), 1e-5)
    );
    let layer = import_path(&dir.join("w_Gaussians.ply")).unwrap().scene;
    assert_splats_close(
        "beside",
        &world_splats(&scene, "Gaussians"),
        &world_splats(&layer, "w_Gaussians"),
        [1e-4, 1e-5, 1e-5, 1e-4, 2e-3],
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failed_export_leaves_no_file() {
    let scene = showcase();
    let err = export_gltf(
        &scene,
        Path::new("/nonexistent-folder/x.glb"),
        &ExportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("x.glb"), "{err}");
    // An existing file is replaced only by a complete export.
    let dir = crate::common::temp_dir("export", "atomic");
    let path = dir.join("keep.glb");
    std::fs::write(&path, b"old").unwrap();
    let empty = Scene::new("empty");
    assert!(export_gltf(&empty, &path, &ExportOptions::default()).is_err());
    assert_eq!(std::fs::read(&path).unwrap(), b"old");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn command_line_exports_and_reports_problems() {
    let dir = crate::common::temp_dir("export", "cli");
    let out = dir.join("world.glb");
    let o = common::worldsmith(&[
        OsStr::new("export"),
        OsStr::new("--seed"),
        OsStr::new("7"),
        OsStr::new("--out"),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("wrote"), "{stderr}");
    assert!(import_path(&out).unwrap().scene.node_count() > 10);
    let box_path = gltf_sample("BoxTextured/BoxTextured.gltf");
    let sep = dir.join("box.gltf");
    let o = common::worldsmith(&[
        OsStr::new("export"),
        box_path.as_os_str(),
        OsStr::new("--out"),
        sep.as_os_str(),
        OsStr::new("--apply-transforms"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("box.bin").is_file());
    validate(&[&sep]);
    for (args, needle) in [
        (
            vec!["export", "--out", "/nonexistent-dir/w.glb"],
            "does not exist",
        ),
        (vec!["export", "--out", "w.obj"], ".glb"),
        (
            vec!["export", "--selection", "NoSuchNode", "--out", "w.glb"],
            "NoSuchNode",
        ),
        (vec!["export", "--out", "w.spz"], "splat"),
    ] {
        let o = common::worldsmith(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains(needle), "{args:?}: {e}");
        assert_eq!(e.trim().lines().count(), 1, "{args:?}: one line: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

prop_compose! {
    fn arb_value()(v in prop_oneof![
        4 => -2.0f32..2.0,
        1 => Just(0.0f32),
        1 => Just(f32::NAN),
        1 => Just(1e30f32),
    ]) -> f32 { v }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random edited scenes (odd transforms, out-of-range material and light values,
    /// variants, hidden nodes) export in both packagings, with and without baking, without
    /// panicking, and re-import with one node per exported node.
    #[test]
    fn random_scenes_export_without_panicking(
        values in proptest::collection::vec(arb_value(), 40),
        shape in proptest::collection::vec(0usize..6, 1..12),
        apply in any::<bool>(),
        separate in any::<bool>(),
    ) {
        let mut v = values.iter().copied().cycle();
        let mut next = move || v.next().unwrap_or(0.0);
        let mut scene = Scene::new("random");
        let mesh = scene.add_mesh(cube());
        let mut material = Material::named("M", [next(), next(), next(), next()], next());
        material.metallic = next();
        material.emissive = [next(), next(), next()];
        material.emissive_strength = next();
        material.uv_rotation = next();
        let image = scene.add_image(Image::new("i", 1, 1, vec![1, 2, 3, 4]).unwrap());
        material.emissive_texture = Some(TextureRef::new(image, Sampler::default()));
        let material = scene.add_material(material);
        let mut parent = None;
        let mut ids = Vec::new();
        for (i, kind) in shape.iter().enumerate() {
            let transform = Transform {
                translation: Vec3::new(next(), next(), next()),
                rotation: Quat::from_xyzw(next(), next(), next(), next()),
                scale: Vec3::new(next(), next(), next()),
            };
            let kind = match kind {
                0 => NodeKind::Empty,
                1 | 2 => NodeKind::Mesh { mesh, material },
                3 => NodeKind::Light(Light {
                    kind: LightKind::Spot { inner_cone_rad: next(), outer_cone_rad: next() },
                    color: [next(), next(), next()],
                    intensity: next(),
                    range: Some(next()),
                    cast_shadows: false,
                }),
                4 => NodeKind::Camera(Camera {
                    fov_y_rad: next(),
                    near: next(),
                    far: Some(next()),
                    ortho_half_height: None,
                }),
                _ => NodeKind::Light(Light {
                    kind: LightKind::Point,
                    color: [1.0; 3],
                    intensity: next(),
                    range: None,
                    cast_shadows: false,
                }),
            };
            let id = scene.add_node(parent, &format!("n{i}"), transform, kind);
            if i % 3 == 1 { scene.set_visible(id, false); }
            if i % 2 == 0 { parent = Some(id); }
            ids.push(id);
        }
        scene.set_material_variants(vec![MaterialVariant {
            name: "v".into(),
            assignments: ids.iter().map(|id| (*id, material)).collect(),
        }]);
        let dir = crate::common::temp_dir("export", "random");
        let path = dir.join(if separate { "r.gltf" } else { "r.glb" });
        let options = ExportOptions {
            apply_transforms: apply,
            include_hidden: true,
            format: if separate { GltfFormat::Separate } else { GltfFormat::Glb },
            ..Default::default()
        };
        let report = export_gltf(&scene, &path, &options);
        let only_groups = scene.nodes().all(|n| n.kind == NodeKind::Empty);
        if apply && only_groups {
            // Baking drops groups: nothing is left to write, which is said, not written.
            let refused = matches!(report, Err(worldsmith::export::ExportError::Nothing { .. }));
            prop_assert!(refused, "{:?}", report);
            prop_assert!(!path.exists());
            return Ok(());
        }
        prop_assert!(report.is_ok(), "{:?}", report.err());
        let back = import_path(&path);
        prop_assert!(back.is_ok(), "{:?}", back.err());
        let back = back.unwrap().scene;
        if !apply {
            prop_assert_eq!(back.node_count(), scene.node_count());
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn variant_material_values_and_swaps_export_as_khr_variants() {
    let mut scene = showcase();
    let a = scene.find("CubeA").unwrap();
    let NodeKind::Mesh {
        material: a_material,
        ..
    } = scene.node(a).unwrap().kind
    else {
        panic!("CubeA is a mesh")
    };
    let glow = scene.materials().find(|(_, m)| m.name == "Glow").unwrap().0;
    // "Red": CubeA's own material in red; "Glowing": CubeA swapped to Glow; "Dim": lighting
    // only (no glTF equivalent, left out).
    let mut red = worldsmith::scene::Overrides::default();
    red.material_mut(a_material).base_color = Some([0.9, 0.05, 0.05, 1.0]);
    let mut glowing = worldsmith::scene::Overrides::default();
    glowing.node_mut(a).material = Some(glow);
    let mut dim = worldsmith::scene::Overrides::default();
    dim.environment.exposure_ev100 = Some(16.0);
    for (name, overrides) in [("Red", red), ("Glowing", glowing), ("Dim", dim)] {
        let id = scene.reserve_variant_id();
        worldsmith::edit::variants::create(&scene, id, name, overrides).apply(&mut scene);
    }
    let (_, list) = worldsmith::export::with_variant_materials(&scene);
    let names: Vec<&str> = list.iter().map(|v| v.name.as_str()).collect();
    assert!(names.contains(&"Red") && names.contains(&"Glowing") && !names.contains(&"Dim"));

    let dir = crate::common::temp_dir("export", "variant-values");
    let path = dir.join("v.glb");
    export_gltf(&scene, &path, &ExportOptions::default()).unwrap();
    validate(&[&path]);
    let back = import_path(&path).unwrap().scene;
    let variants = back.material_variants();
    let find = |name: &str| {
        variants
            .iter()
            .find(|v| v.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let red = find("Red");
    assert_eq!(red.assignments.len(), 1);
    let (node, material) = red.assignments[0];
    assert_eq!(back.node(node).unwrap().name, "CubeA");
    let m = back.material(material).unwrap();
    assert_eq!(m.base_color, [0.9, 0.05, 0.05, 1.0]);
    assert!(m.name.ends_with("(Red)"), "{}", m.name);
    let glowing = find("Glowing");
    assert_eq!(
        back.material(glowing.assignments[0].1).unwrap().name,
        "Glow"
    );
    // The base keeps CubeA's original colour.
    let NodeKind::Mesh {
        material: base_back,
        ..
    } = back.node(back.find("CubeA").unwrap()).unwrap().kind
    else {
        panic!()
    };
    assert_eq!(
        back.material(base_back).unwrap().base_color,
        scene.material(a_material).unwrap().base_color
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A group (moved, turned 30°, scaled ×2) of four cubes, each keyed by a shot "Move" at 30 fps
/// with one kind of segment: constant, linear, Bézier (auto and free slopes), and a mix; plus
/// a visibility track glTF cannot hold.
fn animated_scene() -> Scene {
    use worldsmith::scene::{Channel, Handles, Interpolation, Key, Shot, Value};
    let mut scene = Scene::new("animated");
    let group = scene.add_node(
        None,
        "Group",
        Transform {
            translation: Vec3::new(1.0, 0.5, 0.0),
            rotation: Quat::from_rotation_y(30f32.to_radians()),
            scale: Vec3::splat(2.0),
        },
        NodeKind::Empty,
    );
    let mesh = scene.add_mesh(cube());
    let material = scene.add_material(Material::default());
    let pose = |x: f32, y: f32, yaw: f32, pitch: f32, s: f32| Transform {
        translation: Vec3::new(x, y, -x),
        rotation: Quat::from_rotation_y(yaw.to_radians())
            * Quat::from_rotation_x(pitch.to_radians()),
        scale: Vec3::new(s, 1.0, 1.0 / s),
    };
    let keyed = |frames: &[(f32, Interpolation)], poses: &[Transform]| -> Vec<Key> {
        frames
            .iter()
            .zip(poses)
            .map(|(&(frame, interpolation), pose)| Key {
                interpolation,
                ..Key::new(frame, Value::Transform(*pose))
            })
            .collect()
    };
    use Interpolation::{Bezier, Constant, Linear};
    let poses = [
        pose(0.0, 0.0, 0.0, 0.0, 1.0),
        pose(1.0, 2.0, 170.0, 20.0, 1.5),
        pose(-1.0, 0.5, 350.0, -40.0, 0.7),
        pose(0.5, -1.0, 200.0, 10.0, 1.2),
    ];
    let mut free = keyed(
        &[
            (0.0, Bezier),
            (20.0, Bezier),
            (45.0, Bezier),
            (60.0, Bezier),
        ],
        &poses,
    );
    free[1].handles = Handles::Free {
        slopes: [0.05, -0.02, 0.0, 0.01, 0.02, -0.01, 0.0, 0.0, 0.01, 0.0],
    };
    free[2].handles = Handles::Eased;
    let tracks = [
        (
            "Held",
            keyed(
                &[(0.0, Constant), (10.0, Constant), (30.0, Constant)],
                &poses,
            ),
        ),
        (
            "Slid",
            keyed(
                &[
                    (0.0, Linear),
                    (15.0, Linear),
                    (40.0, Linear),
                    (60.0, Linear),
                ],
                &poses,
            ),
        ),
        ("Curved", free),
        (
            "Mixed",
            keyed(
                &[
                    (0.0, Linear),
                    (12.5, Bezier),
                    (30.0, Constant),
                    (50.0, Linear),
                ],
                &poses,
            ),
        ),
    ];
    let camera = scene.add_node(
        None,
        "Cam",
        Transform::from_translation(Vec3::new(0.0, 2.0, 8.0)),
        NodeKind::Camera(Camera::default()),
    );
    let id = scene.reserve_shot_id();
    let mut shot = Shot {
        fps: 30,
        frames: 61,
        size: [640, 360],
        camera: Some(camera),
        ..Shot::new(id, "Move")
    };
    for (name, keys) in tracks {
        let node = scene.add_node(
            Some(group),
            name,
            Transform::IDENTITY,
            NodeKind::Mesh { mesh, material },
        );
        shot.track_mut(Channel::Transform(node)).set_keys(keys);
        if name == "Held" {
            shot.track_mut(Channel::Visible(node)).set_keys([
                Key::new(0.0, Value::Bool(true)),
                Key::new(20.0, Value::Bool(false)),
            ]);
        }
    }
    // Values by KHR_animation_pointer: a field of view (Bézier), a lamp's intensity (linear)
    // and colour (constant), its cone angles (Bézier, two properties), the material's
    // roughness (Bézier) and base colour (linear); a clearcoat the material is written
    // without has no pointer.
    let spot = scene.add_node(
        None,
        "Spot",
        Transform::from_translation(Vec3::new(0.0, 3.0, 0.0)),
        NodeKind::Light(Light {
            kind: LightKind::Spot {
                inner_cone_rad: 0.2,
                outer_cone_rad: 0.5,
            },
            color: [1.0; 3],
            intensity: 100.0,
            range: None,
            cast_shadows: false,
        }),
    );
    let float = |pairs: &[(f32, f32)], interpolation: Interpolation| -> Vec<Key> {
        pairs
            .iter()
            .map(|&(frame, v)| Key {
                interpolation,
                ..Key::new(frame, Value::Float(v))
            })
            .collect()
    };
    shot.track_mut(Channel::FieldOfView(camera))
        .set_keys(float(&[(0.0, 0.9), (25.0, 0.4), (60.0, 1.1)], Bezier));
    shot.track_mut(Channel::LightIntensity(spot))
        .set_keys(float(&[(0.0, 100.0), (40.0, 500.0)], Linear));
    shot.track_mut(Channel::LightColor(spot)).set_keys([
        Key {
            interpolation: Constant,
            ..Key::new(0.0, Value::Vec3([1.0, 0.5, 0.2]))
        },
        Key::new(30.0, Value::Vec3([0.2, 0.5, 1.0])),
    ]);
    shot.track_mut(Channel::Roughness(material))
        .set_keys(float(&[(0.0, 0.1), (30.0, 0.9), (60.0, 0.3)], Bezier));
    shot.track_mut(Channel::BaseColor(material)).set_keys([
        Key {
            interpolation: Linear,
            ..Key::new(0.0, Value::Vec4([1.0, 0.0, 0.0, 1.0]))
        },
        Key::new(60.0, Value::Vec4([0.0, 0.0, 1.0, 1.0])),
    ]);
    shot.track_mut(Channel::Clearcoat(material))
        .set_keys(float(&[(0.0, 0.0), (60.0, 1.0)], Linear));
    shot.track_mut(Channel::Exposure)
        .set_keys(float(&[(0.0, 12.0), (20.0, 13.5), (60.0, 11.0)], Bezier));
    shot.track_mut(Channel::SpotCone(spot)).set_keys([
        Key::new(0.0, Value::Vec2([0.2, 0.5])),
        Key::new(60.0, Value::Vec2([0.1, 0.3])),
    ]);
    let mut timeline = scene.timeline().clone();
    timeline.active = Some(id);
    timeline.shots.push(shot);
    scene.set_timeline(timeline);
    scene
}

/// The largest difference between the world matrices of `name` in `scene`'s shot "Move" and
/// in `back`'s shot `back_shot`, at the given frames of the original (30 fps).
fn worst_motion(scene: &Scene, back: &Scene, back_shot: &str, name: &str, frames: &[f32]) -> f32 {
    let find_shot = |s: &Scene, n: &str| {
        s.timeline()
            .shots
            .iter()
            .find(|shot| shot.name == n)
            .map(|shot| (shot.id, shot.fps))
            .unwrap_or_else(|| panic!("no shot {n}"))
    };
    let (a, a_fps) = find_shot(scene, "Move");
    let (b, b_fps) = find_shot(back, back_shot);
    let mut worst = 0.0f32;
    for &frame in frames {
        let t = frame / a_fps as f32;
        let sa = scene.sampled(a, frame, None).expect("sampled");
        let sb = back.sampled(b, t * b_fps as f32, None).expect("sampled");
        let ma = sa.world_from_local(scene.find(name).expect("node"));
        let mb = sb.world_from_local(back.find(name).expect("node"));
        worst = worst.max(
            (ma - mb)
                .to_cols_array()
                .iter()
                .fold(0.0f32, |m, v| m.max(v.abs())),
        );
    }
    worst
}

#[test]
fn shot_transform_tracks_export_as_gltf_animations_and_round_trip() {
    use worldsmith::scene::Channel;
    let scene = animated_scene();
    let dir = crate::common::temp_dir("export", "animation");
    let path = dir.join("animated.glb");
    let report = export_gltf(&scene, &path, &ExportOptions::default()).expect("exports");
    // Every track has a place: the clearcoat the material does not have is written (with
    // the extension's defaults, which leave the coat off) for its pointer to animate, and the
    // exposure, which glTF has no property for, goes into the shot's extras.
    assert!(
        !report.warnings.iter().any(|w| w.contains("cannot hold")),
        "{:?}",
        report.warnings
    );
    validate(&[&path]);
    let back = import_path(&path).expect("re-imports").scene;
    // The shot's rate, length, size and camera come back from the animation's extras.
    let shots = &back.timeline().shots;
    assert_eq!(shots.len(), 1);
    assert_eq!(
        (
            shots[0].name.as_str(),
            shots[0].fps,
            shots[0].frames,
            shots[0].size
        ),
        ("Move", 30, 61, [640, 360])
    );
    assert_eq!(shots[0].camera, back.find("Cam"));
    let whole: Vec<f32> = (0..=64).map(|f| f as f32).collect();
    let halves: Vec<f32> = (0..=128).map(|f| f as f32 / 2.0).collect();
    for name in ["Held", "Slid", "Curved"] {
        let off = worst_motion(&scene, &back, "Move", name, &halves);
        assert!(off < 2e-4, "{name}: off by {off} between frames too");
    }
    // A mix of segment kinds is written frame by frame: exact on frames.
    let off = worst_motion(&scene, &back, "Move", "Mixed", &whole);
    assert!(off < 2e-4, "Mixed: off by {off} on frames");
    // The pointer values, between frames too.
    let material = |s: &Scene| s.materials().next().expect("a material").0;
    let value_channels = |s: &Scene| {
        let (cam, spot) = (s.find("Cam").unwrap(), s.find("Spot").unwrap());
        [
            Channel::FieldOfView(cam),
            Channel::LightIntensity(spot),
            Channel::LightColor(spot),
            Channel::Roughness(material(s)),
            Channel::BaseColor(material(s)),
            Channel::Clearcoat(material(s)),
            Channel::Exposure,
            Channel::SpotCone(spot),
            Channel::Visible(s.find("Held").unwrap()),
        ]
    };
    let (a, b) = (&scene.timeline().shots[0], &back.timeline().shots[0]);
    for &frame in &halves {
        let (sa, sb) = (
            scene.sampled(a.id, frame, None).unwrap(),
            back.sampled(b.id, frame, None).unwrap(),
        );
        for (ca, cb) in value_channels(&scene)
            .into_iter()
            .zip(value_channels(&back))
        {
            let (va, vb) = (ca.read(&sa).unwrap(), cb.read(&sb).unwrap());
            let (pa, pb) = (va.components(), vb.components());
            let off = pa
                .as_slice()
                .iter()
                .zip(pb.as_slice())
                .fold(0.0f32, |m, (x, y)| m.max((x - y).abs() / x.abs().max(1.0)));
            assert!(off < 1e-4, "{ca:?} at {frame}: {va:?} vs {vb:?}");
        }
    }

    // The coat is animated, not added: the material itself still has none.
    let coat = |s: &Scene| s.material(material(s)).expect("material").clearcoat;
    assert_eq!((coat(&scene), coat(&back)), (0.0, 0.0));

    // Only the curved cube: an export root keyed in its (unwritten) parent's world frame.
    let options = ExportOptions {
        selection_only: Some(vec![
            scene.find("Curved").unwrap(),
            scene.find("Slid").unwrap(),
        ]),
        ..Default::default()
    };
    let path = dir.join("roots.gltf");
    export_gltf(
        &scene,
        &path,
        &ExportOptions {
            format: GltfFormat::Separate,
            ..options
        },
    )
    .expect("exports");
    validate(&[&path]);
    let back = import_path(&path).expect("re-imports").scene;
    assert!(back.find("Group").is_none());
    for name in ["Curved", "Slid"] {
        let off = worst_motion(&scene, &back, "Move", name, &halves);
        assert!(off < 2e-4, "{name} as a root: off by {off}");
    }

    // A hidden node written with `include_hidden` comes back hidden (KHR_node_visibility).
    let mut hidden = scene.clone();
    hidden.set_visible(hidden.find("Slid").unwrap(), false);
    let path = dir.join("hidden.glb");
    let options = ExportOptions {
        include_hidden: true,
        ..Default::default()
    };
    export_gltf(&hidden, &path, &options).expect("exports");
    validate(&[&path]);
    let back = import_path(&path).expect("re-imports").scene;
    assert!(!back.node(back.find("Slid").unwrap()).unwrap().visible);
    assert!(back.node(back.find("Held").unwrap()).unwrap().visible);

    // Baked transforms have no nodes left to animate: said, not written.
    let report = export_gltf(
        &scene,
        &dir.join("baked.glb"),
        &ExportOptions {
            apply_transforms: true,
            ..Default::default()
        },
    )
    .expect("exports");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("transforms applied")),
        "{:?}",
        report.warnings
    );
    std::fs::remove_dir_all(&dir).ok();
}
