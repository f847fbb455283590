//! Project files (`.wsproj`): save → load gives back every piece of scene data; a save
//! killed half-way leaves the previous project intact; damaged, truncated, newer and hostile
//! files are refused with an error naming the file, without panicking, without allocating
//! what they claim and without touching anything on disk.

use crate::common;

use common::{Rng, worldsmith};
use half::f16;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use worldsmith::project::{self, EditorState, ProjectError, ViewCamera};
use worldsmith::scene::{
    AlphaMode, Camera, Environment, Filter, Image, Light, LightKind, Material, MaterialVariant,
    Mesh, MinFilter, NodeKind, OrbitCamera, Panorama, PointCloud, Sampler, Scene, SplatCloud,
    TextureRef, ToneMapper, Transform, UvTransform, Wrap, scene_hash,
};

/// Every file in `dir` with its bytes: what "nothing changed on disk" compares.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// A scene with one of everything the project must keep.
fn full_scene() -> Scene {
    let mut rng = Rng(7);
    let mut scene = Scene::new("Everything");
    let checker = scene.add_image(
        Image::new("checker", 3, 2, (0..24).map(|i| (i * 10) as u8).collect()).expect("image"),
    );
    let sky = scene.add_image(Image::new("sky", 4, 2, vec![200; 32]).expect("image"));
    let mut mesh = Mesh::new(
        vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [1.0, 1.0, 0.5],
        ],
        vec![[0.0, 0.0, 1.0]; 4],
        vec![[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        vec![[1.0, 0.5, 0.25, 1.0]; 4],
        vec![0, 1, 2, 2, 1, 3],
    );
    mesh.uvs1 = vec![
        [0.5, 0.5],
        [0.25, 0.75],
        [f32::MIN_POSITIVE, -3.0],
        [9.0, 1e-30],
    ];
    mesh.tangents = vec![[1.0, 0.0, 0.0, -1.0]; 4];
    let quad = scene.add_mesh(mesh);
    let bare = scene.add_mesh(Mesh::new(
        vec![[0.0; 3], [0.0, 0.0, 1.0], [0.0, 2.0, 0.0]],
        Vec::new(),
        Vec::new(),
        Vec::new(),
        vec![0, 1, 2],
    ));
    let textured = scene.add_material(Material {
        name: "Textured".into(),
        base_color: [0.9, 0.8, 0.7, 0.5],
        metallic: 0.25,
        roughness: 0.75,
        emissive: [0.1, 0.2, 0.3],
        emissive_strength: 4.0,
        alpha_mode: AlphaMode::Mask { cutoff: 0.3 },
        double_sided: true,
        normal_scale: 0.5,
        occlusion_strength: 0.6,
        base_color_texture: Some(TextureRef {
            uv_set: 1,
            transform: UvTransform {
                offset: [0.25, -0.5],
                rotation: 0.3,
                scale: [2.0, 3.0],
            },
            ..TextureRef::new(
                checker,
                Sampler {
                    wrap_s: Wrap::ClampToEdge,
                    wrap_t: Wrap::MirroredRepeat,
                    mag_filter: Filter::Nearest,
                    min_filter: MinFilter::LinearMipmapNearest,
                },
            )
        }),
        normal_texture: Some(TextureRef::new(checker, Sampler::nearest(Wrap::Repeat))),
        emissive_texture: Some(TextureRef::new(sky, Sampler::default())),
        uv_offset: [0.1, 0.2],
        uv_rotation: 0.05,
        uv_scale: [4.0, 4.0],
        unlit: true,
        ior: 1.33,
        specular: 0.6,
        specular_color: [1.5, 0.5, 0.25],
        transmission: 0.35,
        clearcoat: 0.9,
        clearcoat_roughness: 0.2,
        clearcoat_normal_scale: 0.7,
        clearcoat_roughness_texture: Some(TextureRef::new(sky, Sampler::default())),
        transmission_texture: Some(TextureRef::new(checker, Sampler::default())),
        thickness: 0.25,
        thickness_texture: Some(TextureRef::new(sky, Sampler::default())),
        attenuation_distance: Some(0.8),
        attenuation_color: [0.9, 0.7, 0.3],
        dispersion: 0.3,
        sheen_color: [0.8, 0.3, 0.6],
        sheen_roughness: 0.45,
        anisotropy_strength: 0.55,
        anisotropy_rotation: -0.7,
        anisotropy_texture: Some(TextureRef::new(checker, Sampler::nearest(Wrap::Repeat))),
        diffuse_transmission: 0.35,
        diffuse_transmission_color: [0.6, 0.9, 0.3],
        diffuse_transmission_texture: Some(TextureRef::new(sky, Sampler::default())),
        diffuse_transmission_color_texture: Some(TextureRef::new(checker, Sampler::default())),
        iridescence: 0.8,
        iridescence_ior: 1.4,
        iridescence_thickness: [80.0, 640.0],
        iridescence_texture: Some(TextureRef::new(sky, Sampler::default())),
        iridescence_thickness_texture: Some(TextureRef {
            uv_set: 1,
            ..TextureRef::new(checker, Sampler::default())
        }),
        sheen_color_texture: Some(TextureRef::new(checker, Sampler::default())),
        sheen_roughness_texture: Some(TextureRef {
            uv_set: 1,
            ..TextureRef::new(sky, Sampler::default())
        }),
        specular_texture: Some(TextureRef::new(checker, Sampler::default())),
        specular_color_texture: Some(TextureRef {
            uv_set: 1,
            ..TextureRef::new(sky, Sampler::nearest(Wrap::ClampToEdge))
        }),
        ..Material::default()
    });
    let plain = scene.add_material(Material {
        alpha_mode: AlphaMode::Blend,
        ..Material::named("Plain", [0.2, 0.3, 0.4, 1.0], 0.9)
    });

    let group = scene.add_node(
        None,
        "Group",
        Transform::from_translation(glam::Vec3::new(1.0, 2.0, 3.0))
            .with_rotation(glam::Quat::from_rotation_y(0.7))
            .with_scale(glam::Vec3::new(1.0, 2.0, 0.5)),
        NodeKind::Empty,
    );
    let quad_node = scene.add_node(
        Some(group),
        "Quad",
        Transform::IDENTITY,
        NodeKind::Mesh {
            mesh: quad,
            material: textured,
        },
    );
    let inner = scene.add_node(Some(group), "Inner", Transform::IDENTITY, NodeKind::Empty);
    scene.add_node(
        Some(inner),
        "Bare (hidden)",
        Transform::from_translation(glam::Vec3::X),
        NodeKind::Mesh {
            mesh: bare,
            material: plain,
        },
    );
    let hidden = scene.find("Bare (hidden)").expect("node");
    scene.set_visible(hidden, false);
    for (name, kind) in [
        ("Sun", LightKind::Directional),
        ("Lamp", LightKind::Point),
        (
            "Spot",
            LightKind::Spot {
                inner_cone_rad: 0.2,
                outer_cone_rad: 0.6,
            },
        ),
    ] {
        scene.add_node(
            None,
            name,
            Transform::pointing(glam::Vec3::new(-0.3, -1.0, 0.2)),
            NodeKind::Light(Light {
                kind,
                color: [1.0, 0.9, 0.8],
                intensity: 1234.5,
                range: (kind != LightKind::Directional).then_some(12.0),
                cast_shadows: kind == LightKind::Directional,
            }),
        );
    }
    scene.add_node(
        Some(inner),
        "Cam",
        Transform::looking_at(glam::Vec3::new(5.0, 3.0, 5.0), glam::Vec3::ZERO),
        NodeKind::Camera(Camera {
            fov_y_rad: 0.8,
            near: 0.05,
            far: Some(500.0),
            ortho_half_height: None,
        }),
    );
    scene.add_node(
        None,
        "Cam 2",
        Transform::IDENTITY,
        NodeKind::Camera(Camera {
            ortho_half_height: Some(3.25),
            ..Camera::default()
        }),
    );

    let n = 50;
    common::add_points(
        &mut scene,
        PointCloud::new(
            (0..n)
                .map(|_| [rng.next(), rng.next(), rng.next()])
                .collect(),
            (0..n)
                .map(|i| [i as u8, (i * 3) as u8, 255 - i as u8, 200])
                .collect(),
            (0..n).map(|_| [0.0, 1.0, 0.0]).collect(),
        ),
        3.5,
    );
    let bare_cloud = scene.add_point_cloud(PointCloud::new(
        vec![[1.0, 2.0, 3.0]],
        Vec::new(),
        Vec::new(),
    ));
    scene.add_node(
        Some(group),
        "Bare points",
        Transform::IDENTITY,
        NodeKind::Points {
            cloud: bare_cloud,
            point_size_px: 1.0,
        },
    );
    for degree in [0u8, 3] {
        let n = 33;
        let rest = SplatCloud::sh_rest_coefficients(degree) * 3 * n;
        let splats = SplatCloud::new(
            (0..n)
                .map(|_| [rng.next(), rng.next(), rng.next()])
                .collect(),
            (0..n)
                .map(|_| {
                    glam::Quat::from_xyzw(rng.next(), rng.next(), rng.next(), 0.5)
                        .normalize()
                        .to_array()
                })
                .collect(),
            (0..n).map(|_| [0.01, 0.02, 0.03]).collect(),
            (0..n).map(|_| rng.next()).collect(),
            (0..n).map(|_| [rng.next(), 0.5, 1.2]).collect(),
            degree,
            (0..rest)
                .map(|_| f16::from_f32(rng.range(-1.0, 1.0)))
                .collect(),
        )
        .expect("splats")
        // The degree-3 cloud was trained with antialiasing (a draw mode the project keeps).
        .with_antialiased(degree == 3);
        let id = scene.add_splat_cloud(splats);
        scene.add_node(
            None,
            &format!("Splats SH{degree}"),
            Transform::from_translation(glam::Vec3::Y),
            NodeKind::Splats { cloud: id },
        );
    }
    // A splat layer half relit, with an estimated captured light.
    let relit = scene.find("Splats SH3").expect("SH 3 splats");
    scene.set_relight(
        relit,
        worldsmith::scene::Relight {
            amount: 0.625,
            captured: worldsmith::scene::CapturedLight {
                ambient: 0.35,
                directional: [0.1, 0.6, -0.3],
            },
        },
    );
    // A shape from Add ▸ keeps its editable parameters.
    let torus = scene.add_mesh(worldsmith::generate::shapes::primitive_mesh(
        &worldsmith::scene::Primitive::Torus {
            major_radius: 1.5,
            minor_radius: 0.25,
            major_segments: 12,
            minor_segments: 5,
        },
    ));
    let torus_material = scene.add_material(Material::default());
    scene.add_node(
        None,
        "Torus",
        Transform::IDENTITY,
        NodeKind::Mesh {
            mesh: torus,
            material: torus_material,
        },
    );
    *scene.environment_mut() = Environment {
        panorama: Some(Panorama {
            image: sky,
            rotation_rad: 1.25,
            intensity: 0.75,
            hdr: true,
        }),
        exposure_ev100: 11.5,
        tone_mapper: ToneMapper::Linear,
        ..Environment::default()
    };
    scene.environment.sky.turbidity = 4.5;
    scene.set_material_variants(vec![
        MaterialVariant {
            name: "Plain quad".into(),
            assignments: vec![(quad_node, plain)],
        },
        MaterialVariant {
            name: "Empty".into(),
            assignments: Vec::new(),
        },
    ]);
    scene
}

fn editor_state() -> EditorState {
    EditorState {
        seed: Some(42),
        camera: ViewCamera::from_orbit(&OrbitCamera {
            pivot: glam::Vec3::new(1.0, 2.0, 3.0),
            distance: 17.5,
            yaw: -0.4,
            pitch: 0.3,
            fov_y_rad: 0.9,
            fly_speed: 12.0,
            ortho: true,
            ortho_auto: false,
        }),
        view: Some(worldsmith::project::ViewSettings {
            grid: false,
            icons: true,
            outline: true,
            bones: false,
            wireframe: true,
            wire_opacity: Some(0.3),
            solid: false,
            solid_color: worldsmith::project::SolidColorSetting::Material,
            solid_flat: true,
            solid_matcap: None,
            solid_random: false,
            paths_around: Some(30),
            xray: true,
            xray_alpha: Some(0.7),
        }),
        project_path: None,
    }
}

/// The whole scene as JSON values (every field the scene serializes, geometry included).
fn as_value(scene: &Scene) -> serde_json::Value {
    serde_json::to_value(scene).expect("scene serializes")
}

#[test]
fn save_then_load_gives_back_every_piece_of_the_scene() {
    let dir = crate::common::temp_dir("proj", "round-trip");
    let path = dir.join("everything.wsproj");
    let mut scene = full_scene();
    let state = editor_state();
    project::save(&path, &scene, &state).expect("save");
    let mut loaded = project::load(&path).expect("load");
    assert_eq!(loaded.editor, state);
    assert_eq!(loaded.saved_by, env!("CARGO_PKG_VERSION"));
    assert_eq!(as_value(&loaded.scene), as_value(&scene));
    assert_eq!(scene_hash(&loaded.scene), scene_hash(&scene));

    // Spot checks of what a field-by-field JSON comparison could hide behind defaults.
    let l = &loaded.scene;
    assert_eq!(l.node_count(), scene.node_count());
    assert_eq!(l.roots(), scene.roots());
    let (_, quad) = l
        .meshes()
        .find(|(_, m)| !m.uvs1.is_empty())
        .expect("the quad");
    assert_eq!(quad.uvs1[2], [f32::MIN_POSITIVE, -3.0]);
    assert_eq!(quad.tangents, vec![[1.0, 0.0, 0.0, -1.0]; 4]);
    assert_eq!(quad.colors.len(), 4);
    let (_, sh3) = l
        .splat_clouds()
        .find(|(_, c)| c.sh_degree == 3)
        .expect("SH 3 cloud");
    let (_, original_sh3) = scene
        .splat_clouds()
        .find(|(_, c)| c.sh_degree == 3)
        .expect("SH 3 cloud");
    assert_eq!(sh3.sh_rest.len(), 33 * 15 * 3);
    assert!(sh3.antialiased && original_sh3.antialiased);
    assert!(
        l.splat_clouds()
            .any(|(_, c)| c.sh_degree == 0 && !c.antialiased)
    );
    assert_eq!(
        sh3.sh_rest.iter().map(|h| h.to_bits()).collect::<Vec<_>>(),
        original_sh3
            .sh_rest
            .iter()
            .map(|h| h.to_bits())
            .collect::<Vec<_>>()
    );
    assert!(l.environment.panorama.is_some_and(|p| p.hdr));
    assert!(
        l.meshes().any(|(_, m)| matches!(
            m.primitive,
            Some(worldsmith::scene::Primitive::Torus { .. })
        )),
        "shape parameters survive"
    );
    assert_eq!(l.material_variants().len(), 2);
    let relight = |s: &Scene| {
        s.node(s.find("Splats SH3").expect("node"))
            .expect("node")
            .relight
    };
    assert_eq!(relight(l), relight(&scene));
    assert_eq!(relight(l).amount, 0.625);
    assert_eq!(relight(l).captured.directional, [0.1, 0.6, -0.3]);
    assert!(
        !l.node(l.find("Bare (hidden)").expect("node"))
            .expect("node")
            .visible
    );

    // next_id came along: the next ids handed out agree, and collide with nothing.
    let a = scene.add_node(None, "New", Transform::IDENTITY, NodeKind::Empty);
    let b = loaded
        .scene
        .add_node(None, "New", Transform::IDENTITY, NodeKind::Empty);
    assert_eq!(a, b);
    assert_eq!(loaded.scene.nodes().filter(|n| n.id == b).count(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_generated_world_round_trips_and_an_empty_scene_too() {
    let dir = crate::common::temp_dir("proj", "world");
    let path = dir.join("world.wsproj");
    let mut world = worldsmith::generate::generate_world(3);
    // Its starter variants, one shown and given more overrides (a material value, the
    // procedural sky forced over a panorama, a light's colour adjust).
    assert_eq!(world.variants().list.len(), 5);
    let night = world.variants().list[4].id;
    let mut overrides = world.variants().list[4].overrides.clone();
    let (material, _) = world.materials().next().expect("a material");
    overrides.material_mut(material).roughness = Some(0.05);
    overrides.environment.panorama = Some(None);
    let sun = world.find("Sun").expect("sun");
    overrides.node_mut(sun).grade = Some(worldsmith::scene::ColorGrade {
        saturation: 0.5,
        ..Default::default()
    });
    worldsmith::edit::Command::SetOverrides {
        variant: night,
        overrides: Box::new(overrides),
    }
    .apply(&mut world);
    worldsmith::edit::variants::switch(&world, Some(night))
        .expect("switch")
        .apply(&mut world);
    // Its two shots, one with keys of every interpolation and free handles, the second active.
    let mut timeline = world.timeline().clone();
    assert_eq!(timeline.shots().len(), 2);
    let track = &mut timeline.shots[0].tracks[0];
    let mut keys = track.keys().to_vec();
    keys[0].interpolation = worldsmith::scene::Interpolation::Constant;
    keys[1].interpolation = worldsmith::scene::Interpolation::Linear;
    let mut slopes = [0.0; worldsmith::scene::MAX_COMPONENTS];
    slopes[1] = -0.25;
    keys[2].handles = worldsmith::scene::Handles::Free { slopes };
    track.set_keys(keys);
    timeline.shots[1].fps = 60;
    timeline.shots[1].size = [1080, 1920];
    timeline.active = Some(timeline.shots[1].id);
    world.set_timeline(timeline);
    let bytes = project::save(&path, &world, &EditorState::default()).expect("save");
    assert_eq!(std::fs::metadata(&path).expect("file").len(), bytes);
    let loaded = project::load(&path).expect("load");
    assert_eq!(scene_hash(&loaded.scene), scene_hash(&world));
    assert_eq!(loaded.scene.variants(), world.variants());
    assert_eq!(loaded.scene.variants().active, Some(night));
    // Its two starter shots with their keyed cameras and variants.
    assert_eq!(world.timeline().shots().len(), 2);
    assert!(world.timeline().shots()[0].variant.is_some());
    assert!(!world.timeline().shots()[0].tracks.is_empty());
    assert_eq!(
        loaded.scene.timeline(),
        world.timeline(),
        "shots, keys, the active shot"
    );
    assert_eq!(loaded.editor, EditorState::default());
    // Through the common import entry point too (what `still` and the editor use).
    let imported = worldsmith::import::import_path(&path).expect("import");
    assert_eq!(scene_hash(&imported.scene), scene_hash(&world));

    let empty = Scene::new("");
    project::save(&path, &empty, &EditorState::default()).expect("save empty");
    assert_eq!(
        as_value(&project::load(&path).expect("load empty").scene),
        as_value(&empty)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_save_killed_half_way_leaves_the_previous_project() {
    let dir = crate::common::temp_dir("proj", "kill");
    let path = dir.join("demo.wsproj");
    let original = worldsmith::generate::generate_world(5);
    project::save(&path, &original, &EditorState::default()).expect("first save");
    let before = std::fs::read(&path).expect("read");

    // The binary writes another world over it and stalls after 200 kB (flushed to disk).
    let stall_at = 200_000u64;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_worldsmith"))
        .args(["new", "--seed", "9", "--out"])
        .arg(&path)
        .env(project::format::STALL_ENV, stall_at.to_string())
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn worldsmith new");
    let temp = dir.join(format!("demo.wsproj.tmp-{}", child.id()));
    let until = Instant::now() + Duration::from_secs(120);
    while std::fs::metadata(&temp).map_or(0, |m| m.len()) < stall_at {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "worldsmith new finished instead of stalling"
        );
        assert!(
            Instant::now() < until,
            "the save never reached {stall_at} bytes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("reap");

    assert_eq!(std::fs::read(&path).expect("read"), before, "untouched");
    let loaded = project::load(&path).expect("the previous project still loads");
    assert_eq!(scene_hash(&loaded.scene), scene_hash(&original));
    // The half-written temporary file is refused, not loaded.
    let e = project::load(&temp).expect_err("partial file");
    assert!(matches!(e, ProjectError::Size { .. }), "{e}");

    // And the next save works, keeping the previous file as the backup and clearing the
    // killed save's debris.
    let next = worldsmith::generate::generate_world(9);
    project::save(&path, &next, &EditorState::default()).expect("save after the crash");
    assert!(!temp.exists(), "the killed save's temporary file was left");
    assert_eq!(
        scene_hash(&project::load(&path).expect("load").scene),
        scene_hash(&next)
    );
    assert_eq!(
        std::fs::read(project::backup_path(&path)).expect("backup"),
        before
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Damages the description of an otherwise valid project.
type JsonEdit = Box<dyn Fn(&mut serde_json::Value)>;

/// The pieces of a valid small project file, to rebuild damaged variants from.
pub struct Container {
    pub json: serde_json::Value,
    pub bin: Vec<u8>,
}

pub fn split(bytes: &[u8]) -> Container {
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
    let json_len = u64_at(16) as usize;
    let bin_len = u64_at(24) as usize;
    let bin_start = (32 + json_len).div_ceil(8) * 8;
    Container {
        json: serde_json::from_slice(&bytes[32..32 + json_len]).expect("json"),
        bin: bytes[bin_start..bin_start + bin_len].to_vec(),
    }
}

/// A well-formed container (right lengths and checksum) around `json` and `bin`.
pub fn join(c: &Container, version: u32) -> Vec<u8> {
    let json = serde_json::to_vec(&c.json).expect("json");
    let mut out = Vec::new();
    out.extend_from_slice(b"WSPROJ\r\n");
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&(c.bin.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&c.bin);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(b"WEND");
    out
}

/// Loads `bytes` written to `dir/name`; checks that the error names the file, that loading
/// changed nothing on disk, and returns the error.
pub fn refused(dir: &Path, name: &str, bytes: &[u8]) -> ProjectError {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    let before = snapshot(dir);
    let e = match project::load(&path) {
        Ok(_) => panic!("{name} loaded"),
        Err(e) => e,
    };
    assert!(e.to_string().contains(name), "{name}: {e}");
    assert_eq!(snapshot(dir), before, "{name}: loading changed the disk");
    // The import entry point refuses it the same way.
    let imported = worldsmith::import::import_path(&path).expect_err("import");
    assert!(imported.to_string().contains(name), "{imported}");
    std::fs::remove_file(&path).ok();
    e
}

/// Sets `field` of the camera of node `name` in a project's description.
fn camera_field(j: &mut serde_json::Value, name: &str, field: &str, value: serde_json::Value) {
    let nodes = j["scene"]["nodes"].as_array_mut().expect("nodes");
    let node = nodes
        .iter_mut()
        .find(|n| n["name"] == name)
        .expect("camera node");
    node["kind"]["Camera"][field] = value;
}

#[test]
fn damaged_newer_and_hostile_files_are_refused_cleanly() {
    let dir = crate::common::temp_dir("proj", "damaged");
    let good_path = dir.join("good.wsproj");
    project::save(&good_path, &full_scene(), &editor_state()).expect("save");
    let good = std::fs::read(&good_path).expect("read");
    let c = split(&good);
    // The rebuild itself is faithful: it loads as the original does.
    let rebuilt = dir.join("rebuilt.wsproj");
    std::fs::write(&rebuilt, join(&c, project::FORMAT_VERSION)).expect("write");
    assert_eq!(
        scene_hash(&project::load(&rebuilt).expect("rebuilt loads").scene),
        scene_hash(&full_scene())
    );
    std::fs::remove_file(&rebuilt).ok();

    // Every truncation, from empty to one byte short.
    for len in (0..good.len()).step_by(7).chain([good.len() - 1]) {
        let e = refused(&dir, "cut.wsproj", &good[..len]);
        assert!(
            matches!(
                e,
                ProjectError::Size { .. } | ProjectError::NotAProject { .. }
            ),
            "cut at {len}: {e}"
        );
    }
    // Trailing bytes.
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        refused(&dir, "longer.wsproj", &longer),
        ProjectError::Size { .. }
    ));
    // A flipped bit anywhere after the header: JSON error, bad reference, or checksum.
    for at in (32..good.len()).step_by(good.len() / 50) {
        let mut flipped = good.clone();
        flipped[at] ^= 0x10;
        refused(&dir, "flipped.wsproj", &flipped);
    }
    // Not a project at all, and a glTF renamed.
    let e = refused(&dir, "text.wsproj", b"hello, this is not a project at all");
    assert!(matches!(e, ProjectError::NotAProject { .. }), "{e}");
    // A newer format version says so.
    let newer = project::FORMAT_VERSION + 1;
    let e = refused(&dir, "newer.wsproj", &join(&c, newer));
    assert!(
        matches!(e, ProjectError::NewerVersion { found, .. } if found == newer),
        "{e}"
    );
    assert!(e.to_string().contains("newer"), "{e}");
    let e = refused(&dir, "zero.wsproj", &join(&c, 0));
    assert!(matches!(e, ProjectError::Corrupt { .. }), "{e}");

    // Hostile headers: lengths of 2^60 bytes are refused before anything is allocated.
    for (at, what) in [(16, "json"), (24, "bin")] {
        let mut hostile = good.clone();
        hostile[at..at + 8].copy_from_slice(&(1u64 << 60).to_le_bytes());
        let e = refused(&dir, &format!("huge-{what}.wsproj"), &hostile);
        assert!(matches!(e, ProjectError::Size { .. }), "{e}");
        assert!(e.to_string().contains("1152921504606846976"), "{e}");
    }
    // Hostile descriptions (with correct lengths and checksum): an array of 2^60 elements,
    // arrays out of order, the wrong element type, a misaligned offset.
    let edits: Vec<(&str, JsonEdit)> = vec![
        (
            "count",
            Box::new(|j| j["scene"]["meshes"][0]["positions"]["count"] = (1u64 << 60).into()),
        ),
        (
            "offset",
            Box::new(|j| j["scene"]["meshes"][0]["indices"]["offset"] = 0.into()),
        ),
        (
            "type",
            Box::new(|j| j["scene"]["meshes"][0]["normals"]["type"] = "f32x4".into()),
        ),
        (
            "align",
            Box::new(|j| {
                let o = j["scene"]["splat_clouds"][0]["positions"]["offset"]
                    .as_u64()
                    .expect("offset");
                j["scene"]["splat_clouds"][0]["positions"]["offset"] = (o + 2).into();
            }),
        ),
        (
            "vertex-count",
            Box::new(|j| {
                let count = j["scene"]["meshes"][0]["normals"]["count"]
                    .as_u64()
                    .expect("count");
                j["scene"]["meshes"][0]["normals"]["count"] = (count - 1).into();
            }),
        ),
        (
            "version-mismatch",
            Box::new(|j| j["format_version"] = 7.into()),
        ),
        (
            "no-scene",
            Box::new(|j| j["scene"] = serde_json::Value::Null),
        ),
    ];
    for (what, edit) in edits {
        let mut damaged = Container {
            json: c.json.clone(),
            bin: c.bin.clone(),
        };
        edit(&mut damaged.json);
        let e = refused(
            &dir,
            &format!("{what}.wsproj"),
            &join(&damaged, project::FORMAT_VERSION),
        );
        assert!(matches!(e, ProjectError::Corrupt { .. }), "{what}: {e}");
    }
    // An index past the last vertex (bytes in the binary chunk).
    let mut bad_index = Container {
        json: c.json.clone(),
        bin: c.bin.clone(),
    };
    let at = c.json["scene"]["meshes"][0]["indices"]["offset"]
        .as_u64()
        .expect("offset") as usize;
    bad_index.bin[at..at + 4].copy_from_slice(&1000u32.to_le_bytes());
    let e = refused(
        &dir,
        "index.wsproj",
        &join(&bad_index, project::FORMAT_VERSION),
    );
    assert!(e.to_string().contains("index 1000"), "{e}");

    // Inconsistent scenes: a cycle in the hierarchy, a node naming a missing mesh, an id
    // at next_id.
    let scene_edits: Vec<(&str, JsonEdit)> = vec![
        (
            "cycle",
            Box::new(|j| {
                // Group (a root) becomes a child of its own child Inner.
                let nodes = j["scene"]["nodes"].as_array_mut().expect("nodes");
                let id_of = |nodes: &[serde_json::Value], name: &str| {
                    nodes
                        .iter()
                        .find(|n| n["name"] == name)
                        .map(|n| n["id"].clone())
                        .expect("node")
                };
                let group = id_of(nodes, "Group");
                let inner = id_of(nodes, "Inner");
                for n in nodes.iter_mut() {
                    if n["id"] == group {
                        n["parent"] = inner.clone();
                    }
                    if n["id"] == inner {
                        n["children"]
                            .as_array_mut()
                            .expect("children")
                            .push(group.clone());
                    }
                }
                j["scene"]["roots"]
                    .as_array_mut()
                    .expect("roots")
                    .retain(|r| *r != group);
            }),
        ),
        (
            "missing-mesh",
            Box::new(|j| {
                j["scene"]["meshes"].as_array_mut().expect("meshes").pop();
            }),
        ),
        ("next-id", Box::new(|j| j["scene"]["next_id"] = 2.into())),
        (
            "camera-size",
            Box::new(|j| camera_field(j, "Cam 2", "ortho_half_height", (-1.0).into())),
        ),
        (
            "camera-fov",
            Box::new(|j| camera_field(j, "Cam", "fov_y_rad", 0.0.into())),
        ),
        (
            "camera-far",
            Box::new(|j| camera_field(j, "Cam", "far", 0.01.into())),
        ),
    ];
    for (what, edit) in scene_edits {
        let mut damaged = Container {
            json: c.json.clone(),
            bin: c.bin.clone(),
        };
        edit(&mut damaged.json);
        let e = refused(
            &dir,
            &format!("{what}.wsproj"),
            &join(&damaged, project::FORMAT_VERSION),
        );
        assert!(
            matches!(e, ProjectError::Scene { .. } | ProjectError::Corrupt { .. }),
            "{what}: {e}"
        );
        if what.starts_with("camera") {
            assert!(e.to_string().contains("camera:"), "{what}: {e}");
        }
    }
    // The original is still there and still loads.
    assert_eq!(std::fs::read(&good_path).expect("read"), good);
    project::load(&good_path).expect("good still loads");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn new_writes_a_project_that_still_renders_like_the_generated_world() {
    let dir = crate::common::temp_dir("proj", "cli");
    let path = dir.join("demo.wsproj");
    let o = worldsmith(&["new", "--seed", "7", "--out", path.to_str().expect("utf8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("demo.wsproj") && stdout.contains("seed 7"),
        "{stdout}"
    );
    let loaded = project::load(&path).expect("load");
    assert_eq!(loaded.editor.seed, Some(7));
    assert_eq!(
        scene_hash(&loaded.scene),
        scene_hash(&worldsmith::generate::generate_world(7))
    );
    let o = worldsmith(&["new", "--out", dir.join("demo.glb").to_str().expect("utf8")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(".wsproj"));

    if common::gpu().is_none() {
        return;
    }
    let (from_project, generated) = (dir.join("project.png"), dir.join("generated.png"));
    let o = worldsmith(&[
        "still",
        path.to_str().expect("utf8"),
        "--size",
        "160x90",
        "--camera",
        "Street",
        "--out",
        from_project.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = worldsmith(&[
        "still",
        "--seed",
        "7",
        "--size",
        "160x90",
        "--camera",
        "Street",
        "--out",
        generated.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let a = image::open(&from_project).expect("png").to_rgba8();
    let b = image::open(&generated).expect("png").to_rgba8();
    common::assert_not_degenerate("project still", &a);
    let d = common::diff(&a, &b);
    assert!(
        d.bad_fraction == 0.0 && d.mean_abs < 0.05,
        "the project renders differently from the world it holds: {:.4} % of pixels over \
         the threshold, mean difference {:.3}",
        d.bad_fraction * 100.0,
        d.mean_abs
    );
    std::fs::remove_dir_all(&dir).ok();
}

proptest::proptest! {
    /// Random damage anywhere in a valid project (a few bytes changed, then maybe cut short)
    /// is refused without a panic: the CRC, the size checks or the reference checks catch it.
    #[test]
    fn random_damage_is_refused_without_panicking(
        edits in proptest::collection::vec((0usize..1 << 20, 1u8..=255), 1..4),
        cut in proptest::option::of(0usize..1 << 20),
    ) {
        static GOOD: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let good = GOOD.get_or_init(|| {
            let dir = crate::common::temp_dir("proj", "proptest");
            let path = dir.join("good.wsproj");
            project::save(&path, &full_scene(), &editor_state()).expect("save");
            let bytes = std::fs::read(&path).expect("read");
            std::fs::remove_dir_all(&dir).ok();
            bytes
        });
        let mut bytes = good.clone();
        let mut touched = std::collections::BTreeSet::new();
        for (at, xor) in edits {
            // Each byte changed at most once, so no two edits cancel out.
            let at = at % bytes.len();
            if touched.insert(at) {
                bytes[at] ^= xor;
            }
        }
        if let Some(cut) = cut {
            bytes.truncate(cut % bytes.len());
        }
        let result = project::load_bytes(Path::new("damaged.wsproj"), &bytes);
        let e = result.expect_err("damaged bytes loaded");
        proptest::prop_assert!(e.to_string().contains("damaged.wsproj"), "{}", e);
    }
}

/// `c` as the format-1 file an older build wrote: same data, version 1 in the header and the
/// description.
fn as_format_1(c: &Container) -> Vec<u8> {
    let mut old = Container {
        json: c.json.clone(),
        bin: c.bin.clone(),
    };
    old.json["format_version"] = serde_json::json!(1);
    join(&old, 1)
}

/// Format 1 → 2: tangents generated by MikkTSpace (DamagedHelmet has none in its file) were
/// stored with MikkTSpace's handedness by format-1 builds, which tilts glTF normal maps the
/// wrong way; loading such a file turns exactly those round, and leaves tangents that are
/// not MikkTSpace's (the test quad's, written by hand) as they are.
#[test]
fn format_1_projects_get_generated_tangents_in_gltf_handedness() {
    let dir = crate::common::temp_dir("proj", "format-1");
    let helmet = worldsmith::import::import_path(&common::testdata().join("DamagedHelmet.glb"))
        .expect("import")
        .scene;
    let (mesh_id, mesh) = helmet.meshes().next().expect("a mesh");
    assert_eq!(
        mesh.tangents.len(),
        mesh.positions.len(),
        "tangents generated"
    );
    let path = dir.join("helmet.wsproj");
    project::save(&path, &helmet, &EditorState::default()).expect("save");
    let c = split(&std::fs::read(&path).expect("read"));
    assert_eq!(
        c.json["format_version"],
        serde_json::json!(project::FORMAT_VERSION)
    );
    // What a format-1 build wrote: every generated tangent's w the other way round.
    let mut old = Container {
        json: c.json.clone(),
        bin: c.bin.clone(),
    };
    let meshes = old.json["scene"]["meshes"].as_array().expect("meshes");
    assert_eq!(meshes.len(), 1);
    let tangents = &meshes[0]["tangents"];
    let offset = tangents["offset"].as_u64().expect("offset") as usize;
    let count = tangents["count"].as_u64().expect("count") as usize;
    assert_eq!(count, mesh.tangents.len());
    for i in 0..count {
        let at = offset + i * 16 + 12;
        let w = f32::from_le_bytes(old.bin[at..at + 4].try_into().expect("4 bytes"));
        old.bin[at..at + 4].copy_from_slice(&(-w).to_le_bytes());
    }
    let old_path = dir.join("helmet-format-1.wsproj");
    std::fs::write(&old_path, as_format_1(&old)).expect("write");
    let loaded = project::load(&old_path).expect("format 1 loads");
    let back = loaded.scene.mesh(mesh_id).expect("the mesh");
    assert!(
        back.tangents == mesh.tangents,
        "the tangents are turned round to what this build generates"
    );
    assert_eq!(scene_hash(&loaded.scene), scene_hash(&helmet));
    // The current format is read as written: a format-2 file whose tangents happen to be
    // MikkTSpace's old handedness keeps them.
    let mut current = old;
    current.json["format_version"] = serde_json::json!(project::FORMAT_VERSION);
    std::fs::write(&old_path, join(&current, project::FORMAT_VERSION)).expect("write");
    let loaded = project::load(&old_path).expect("loads");
    let kept = loaded.scene.mesh(mesh_id).expect("the mesh");
    assert!(
        kept.tangents
            .iter()
            .zip(&mesh.tangents)
            .all(|(a, b)| a[3] == -b[3])
    );

    // Hand-written tangents (full_scene's quad, with a normal map) are not MikkTSpace's:
    // a format-1 file of that scene loads exactly as it was saved.
    let full = full_scene();
    project::save(&path, &full, &editor_state()).expect("save");
    let c = split(&std::fs::read(&path).expect("read"));
    std::fs::write(&old_path, as_format_1(&c)).expect("write");
    let loaded = project::load(&old_path).expect("format 1 loads");
    assert_eq!(as_value(&loaded.scene), as_value(&full));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn view_settings_missing_from_a_file_take_the_editors_defaults() {
    let dir = crate::common::temp_dir("proj", "view-settings");
    let path = dir.join("view.wsproj");
    project::save(&path, &full_scene(), &editor_state()).expect("save");
    let c = split(&std::fs::read(&path).expect("read"));
    assert_eq!(c.json["editor"]["view"]["paths_around"], 30);
    let load_with = |view: Option<serde_json::Value>| {
        let mut edited = Container {
            json: c.json.clone(),
            bin: c.bin.clone(),
        };
        let editor = edited.json["editor"].as_object_mut().expect("editor state");
        match view {
            Some(v) => editor.insert("view".into(), v),
            None => editor.remove("view"),
        };
        let file = dir.join("edited.wsproj");
        std::fs::write(&file, join(&edited, project::FORMAT_VERSION)).expect("write");
        project::load(&file).expect("loads").editor.view
    };
    // A project from before view settings were kept: none, the editor keeps its own.
    assert_eq!(load_with(None), None);
    // Fields left out: the viewport's defaults.
    assert_eq!(
        load_with(Some(serde_json::json!({ "solid": true }))),
        Some(project::ViewSettings {
            grid: true,
            icons: true,
            outline: true,
            bones: true,
            wireframe: false,
            wire_opacity: None,
            solid: true,
            solid_color: project::SolidColorSetting::Clay,
            solid_flat: false,
            solid_matcap: None,
            solid_random: false,
            paths_around: None,
            xray: false,
            xray_alpha: None,
        })
    );
    // Solid colours are stored by name; the older flag is read (the editor maps it to
    // random colours) and not written again.
    assert_eq!(c.json["editor"]["view"]["solid_color"], "material");
    assert!(c.json["editor"]["view"].get("solid_random").is_none());
    let legacy = load_with(Some(serde_json::json!({ "solid_random": true }))).expect("view");
    assert_eq!(
        (legacy.solid_color, legacy.solid_random),
        (project::SolidColorSetting::Clay, true)
    );
    let texture = load_with(Some(serde_json::json!({ "solid_color": "texture" })));
    assert_eq!(
        texture.map(|v| v.solid_color),
        Some(project::SolidColorSetting::Texture)
    );
    // An unknown name is a clear error, not a silent default.
    let mut edited = Container {
        json: c.json.clone(),
        bin: c.bin.clone(),
    };
    edited.json["editor"]["view"]["solid_color"] = "plaid".into();
    let file = dir.join("plaid.wsproj");
    std::fs::write(&file, join(&edited, project::FORMAT_VERSION)).expect("write");
    let err = format!("{:#}", project::load(&file).expect_err("unknown colour"));
    assert!(
        err.contains("plaid") && err.contains("plaid.wsproj"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
