//! glTF animations become shots: node translation/rotation/scale channels key `Transform`
//! tracks that reproduce the file's motion (linear, step, cubic spline), animations of
//! different nodes share a shot, overlapping ones get their own, the shot looks through the
//! animated camera, and `worldsmith render FILE` renders the motion. Channels that cannot be
//! used cost only themselves, with a warning naming the animation.

use crate::common;

use common::*;
use glam::{Quat, Vec3};
use serde_json::json;
use worldsmith::scene::{NodeKind, Scene, ShotId};

fn bytes_of(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// A red cube ("Box"), a camera ("Cam", 6 m before it looking down −Z) and a sun, with three
/// animations: "CubeAction" moves the box along X (LINEAR, and a morph-weight channel
/// worldsmith leaves out), "CameraAction" raises the camera (CUBICSPLINE), "Spin" turns the
/// box 90° (STEP) and so overlaps "CubeAction".
fn animated_gltf() -> serde_json::Value {
    let mut bin = Vec::new();
    let mut views = Vec::new();
    let mut push = |bin: &mut Vec<u8>, data: Vec<u8>| {
        views.push(json!({ "buffer": 0, "byteOffset": bin.len(), "byteLength": data.len() }));
        bin.extend(data);
        bin.resize(bin.len().next_multiple_of(4), 0);
        views.len() - 1
    };
    let h = 0.5f32;
    let corners: Vec<f32> = (0..8)
        .flat_map(|i| {
            [
                if i & 1 == 0 { -h } else { h },
                if i & 2 == 0 { -h } else { h },
                if i & 4 == 0 { -h } else { h },
            ]
        })
        .collect();
    let faces: [[u16; 4]; 6] = [
        [0, 2, 3, 1],
        [4, 5, 7, 6],
        [0, 1, 5, 4],
        [2, 6, 7, 3],
        [0, 4, 6, 2],
        [1, 3, 7, 5],
    ];
    let indices: Vec<u8> = faces
        .iter()
        .flat_map(|f| [f[0], f[1], f[2], f[0], f[2], f[3]])
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let positions = push(&mut bin, bytes_of(&corners));
    let index_view = push(&mut bin, indices);
    let cube_times = push(&mut bin, bytes_of(&[0.0, 1.0, 2.0]));
    let cube_moves = push(
        &mut bin,
        bytes_of(&[-1.0, 0.0, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0, 0.0]),
    );
    let camera_times = push(&mut bin, bytes_of(&[0.0, 2.0]));
    // Per key: in-tangent, value, out-tangent (units per second).
    let camera_moves = push(
        &mut bin,
        bytes_of(&[
            0.0, 1.5, 0.0, 0.0, 0.0, 6.0, 0.0, 1.5, 0.0, //
            0.0, 0.0, 0.0, 0.0, 1.0, 6.0, 0.0, 0.0, 0.0,
        ]),
    );
    let spin_times = push(&mut bin, bytes_of(&[0.0, 0.5]));
    let quarter = Quat::from_rotation_y(std::f32::consts::FRAC_PI_2).to_array();
    let spin = push(
        &mut bin,
        bytes_of(&[[0.0, 0.0, 0.0, 1.0], quarter].concat()),
    );
    let scalar = |view: usize, n: usize, max: f32| {
        json!({ "bufferView": view, "componentType": 5126, "count": n, "type": "SCALAR",
                "min": [0.0], "max": [max] })
    };
    let uri = format!(
        "data:application/octet-stream;base64,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bin)
    );
    json!({
        "asset": { "version": "2.0" },
        "extensionsUsed": ["KHR_lights_punctual"],
        "extensions": { "KHR_lights_punctual": { "lights": [
            { "type": "directional", "intensity": 20000.0 }
        ] } },
        "buffers": [{ "byteLength": bin.len(), "uri": uri }],
        "bufferViews": views,
        "accessors": [
            { "bufferView": positions, "componentType": 5126, "count": 8, "type": "VEC3",
              "min": [-h, -h, -h], "max": [h, h, h] },
            { "bufferView": index_view, "componentType": 5123, "count": 36, "type": "SCALAR" },
            scalar(cube_times, 3, 2.0),
            { "bufferView": cube_moves, "componentType": 5126, "count": 3, "type": "VEC3" },
            scalar(camera_times, 2, 2.0),
            { "bufferView": camera_moves, "componentType": 5126, "count": 6, "type": "VEC3" },
            scalar(spin_times, 2, 0.5),
            { "bufferView": spin, "componentType": 5126, "count": 2, "type": "VEC4" }
        ],
        "materials": [{ "pbrMetallicRoughness": { "baseColorFactor": [0.9, 0.05, 0.05, 1.0] } }],
        "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 }, "indices": 1,
                                      "material": 0 }] }],
        "cameras": [{ "type": "perspective",
                      "perspective": { "yfov": 0.8, "znear": 0.1, "aspectRatio": 1.5 } }],
        "nodes": [
            { "name": "Box", "mesh": 0, "translation": [-1.0, 0.0, 0.0] },
            { "name": "Cam", "camera": 0, "translation": [0.0, 0.0, 6.0] },
            { "name": "Sun", "rotation": [-0.3826834, 0.0, 0.0, 0.9238795],
              "extensions": { "KHR_lights_punctual": { "light": 0 } } }
        ],
        "scenes": [{ "nodes": [0, 1, 2] }],
        "animations": [
            { "name": "CubeAction",
              "samplers": [{ "input": 2, "output": 3, "interpolation": "LINEAR" }],
              "channels": [
                  { "sampler": 0, "target": { "node": 0, "path": "translation" } },
                  { "sampler": 0, "target": { "node": 0, "path": "weights" } }
              ] },
            { "name": "CameraAction",
              "samplers": [{ "input": 4, "output": 5, "interpolation": "CUBICSPLINE" }],
              "channels": [{ "sampler": 0, "target": { "node": 1, "path": "translation" } }] },
            { "name": "Spin",
              "samplers": [{ "input": 6, "output": 7, "interpolation": "STEP" }],
              "channels": [{ "sampler": 0, "target": { "node": 0, "path": "rotation" } }] }
        ]
    })
}

fn write(dir: &std::path::Path, gltf: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("animated.gltf");
    std::fs::write(&path, serde_json::to_vec(gltf).expect("json")).expect("write");
    path
}

fn shot(scene: &Scene, name: &str) -> ShotId {
    scene
        .timeline()
        .shots
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no shot '{name}'"))
        .id
}

fn at(scene: &Scene, shot: ShotId, frame: f32, node: &str) -> worldsmith::scene::Transform {
    let sampled = scene.sampled(shot, frame, None).expect("sampled");
    sampled
        .node(scene.find(node).expect("node"))
        .expect("node")
        .transform
}

#[test]
fn animations_become_shots_that_move_as_the_file_does() {
    let dir = crate::common::temp_dir("anim", "shots");
    let imported =
        worldsmith::import::import_path(&write(&dir, &animated_gltf())).expect("imports");
    let scene = &imported.scene;
    let names: Vec<&str> = scene
        .timeline()
        .shots
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Animation", "Spin"],
        "CubeAction + CameraAction share one"
    );
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains("animation 'CubeAction': 1 morph-target weight channel(s) left out"),
        "{warnings}"
    );
    assert_eq!(imported.warnings.len(), 1, "{warnings}");

    let both = shot(scene, "Animation");
    let s = scene.timeline().shot(both).expect("shot");
    assert_eq!((s.fps, s.frames), (24, 49), "two seconds at 24 fps");
    assert_eq!(
        s.size,
        [1620, 1080],
        "the camera's aspect ratio at 1080 lines"
    );
    let cam = scene.find("Cam").expect("camera");
    assert!(matches!(scene.node(cam).unwrap().kind, NodeKind::Camera(_)));
    assert_eq!(s.camera, Some(cam), "seen through the animated camera");
    // LINEAR: halfway between the keys at 0 s and 1 s, and between 1 s and 2 s.
    for (frame, x) in [
        (0.0, -1.0),
        (12.0, -0.25),
        (24.0, 0.5),
        (36.0, 0.75),
        (60.0, 1.0),
    ] {
        let t = at(scene, both, frame, "Box");
        assert!(
            (t.translation - Vec3::new(x, 0.0, 0.0)).length() < 1e-5,
            "frame {frame}: {:?}",
            t.translation
        );
    }
    // CUBICSPLINE: y(1 s) = h10·Δt·1.5 + h01·1 = 0.125·2·1.5 + 0.5 (Hermite at s = ½).
    let camera = at(scene, both, 24.0, "Cam");
    assert!(
        (camera.translation - Vec3::new(0.0, 0.875, 6.0)).length() < 1e-5,
        "{:?}",
        camera.translation
    );
    // y(0.5 s): s = ¼: h10 = 9/64, h01 = 10/64 → 9/64·3 + 10/64.
    let quarter = at(scene, both, 12.0, "Cam").translation.y;
    assert!((quarter - 37.0 / 64.0).abs() < 1e-5, "{quarter}");

    // STEP: the box holds its rest rotation until 0.5 s, then turns a quarter.
    let spin = shot(scene, "Spin");
    let s = scene.timeline().shot(spin).expect("shot");
    assert_eq!((s.fps, s.frames), (24, 13));
    assert_eq!(s.camera, Some(cam), "the file's camera");
    assert!(
        at(scene, spin, 11.9, "Box")
            .rotation
            .angle_between(Quat::IDENTITY)
            < 1e-5
    );
    let turned = at(scene, spin, 12.0, "Box").rotation;
    assert!(turned.angle_between(Quat::from_rotation_y(std::f32::consts::FRAC_PI_2)) < 1e-4);
    // The base scene keeps the rest pose.
    assert_eq!(
        scene
            .node(scene.find("Box").unwrap())
            .unwrap()
            .transform
            .translation,
        Vec3::new(-1.0, 0.0, 0.0)
    );
}

#[test]
fn broken_channels_cost_only_themselves() {
    let dir = crate::common::temp_dir("anim", "broken");
    let mut gltf = animated_gltf();
    // Decreasing key times, a sampler and a node that do not exist, a VEC3 read as rotations.
    gltf["animations"][2]["samplers"][0]["input"] = json!(2);
    gltf["animations"][2]["samplers"][0]["output"] = json!(3);
    gltf["animations"][1]["channels"][0]["sampler"] = json!(7);
    gltf["animations"][0]["channels"][1] = json!({ "sampler": 0,
        "target": { "node": 99, "path": "translation" } });
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    let warnings = imported.warnings.join("\n");
    for expected in [
        "animation 'CameraAction': channel 0: it refers to sampler 7 of 1; left out",
        "animation 'Spin': channel 0: its values are not a readable VEC4 accessor; left out",
        "animation 'CubeAction': 1 channel(s) animate nodes, cameras, lights or materials outside the scene shown; left out",
    ] {
        assert!(
            warnings.contains(expected),
            "missing '{expected}' in:\n{warnings}"
        );
    }
    let names: Vec<&str> = imported
        .scene
        .timeline()
        .shots
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["CubeAction"],
        "only the readable animation made a shot"
    );

    // Times that run backwards: [0.5, 0, 0], read from inside the box's positions.
    let mut gltf = animated_gltf();
    gltf["accessors"][2]["bufferView"] = json!(3);
    gltf["accessors"][2]["byteOffset"] = json!(12);
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    assert!(
        imported
            .warnings
            .iter()
            .any(|w| w.contains("animation 'CubeAction': channel 0: its key times decrease")),
        "{:?}",
        imported.warnings
    );
}

/// Mean x of the red pixels: where the box is drawn.
fn box_x(image: &image::RgbaImage) -> f64 {
    let (mut sum, mut n) = (0.0, 0.0);
    for (x, _, p) in image.enumerate_pixels() {
        if i32::from(p[0]) > i32::from(p[1]) + 40 && i32::from(p[0]) > i32::from(p[2]) + 40 {
            sum += f64::from(x);
            n += 1.0;
        }
    }
    assert!(n > 50.0, "the box covers only {n} px");
    sum / n
}

#[test]
fn render_plays_a_files_animation() {
    if gpu().is_none() {
        return;
    }
    let dir = crate::common::temp_dir("anim", "render");
    let file = write(&dir, &animated_gltf());
    let out = &dir.join("frames");
    let (file, out_arg) = (file.to_string_lossy(), out.to_string_lossy());
    let run = worldsmith(&[
        "render",
        &file,
        "--shot",
        "Animation",
        "--frames",
        "0-48",
        "--size",
        "160x90",
        "--no-cache",
        "--shadow-map-size",
        "512",
        "--out",
        &out_arg,
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let frame = |k: u32| {
        image::open(out.join(format!("frame_{k:04}.png")))
            .unwrap_or_else(|e| panic!("frame {k}: {e}"))
            .to_rgba8()
    };
    let (first, last) = (frame(0), frame(48));
    assert_not_degenerate("frame 0", &first);
    // The box moves 2 m to the right; the camera rises 1 m, which moves the box down.
    let (x0, x1) = (box_x(&first), box_x(&last));
    assert!(x1 - x0 > 25.0, "the box moved from x {x0:.1} to {x1:.1}");
}

/// What worldsmith records of a shot in an animation's extras is used where it is sound and
/// ignored where not; such an animation is never merged with others.
#[test]
fn recorded_shot_settings_are_checked() {
    let dir = crate::common::temp_dir("anim", "extras");
    let mut gltf = animated_gltf();
    gltf["animations"][1]["extras"] = json!({ "worldsmith_shot": {
        "fps": 30, "frames": 100, "size": [640, 360], "camera": 1, "variant": "nope" } });
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    let shots = &imported.scene.timeline().shots;
    let names: Vec<&str> = shots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["CubeAction", "CameraAction", "Spin"]);
    let camera = &shots[1];
    assert_eq!(
        (camera.fps, camera.frames, camera.size, camera.variant),
        (30, 100, [640, 360], None)
    );
    assert_eq!(camera.camera, imported.scene.find("Cam"));
    // Keyed on the recorded rate: 1 s is frame 30.
    let y = at(&imported.scene, camera.id, 30.0, "Cam").translation.y;
    assert!((y - 0.875).abs() < 1e-5, "{y}");

    gltf["animations"][1]["extras"] = json!({ "worldsmith_shot": {
        "fps": 7, "frames": 0, "size": [3, 99999], "camera": 999 } });
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    let shot = &imported.scene.timeline().shots[1];
    assert_eq!(
        (shot.fps, shot.frames, shot.size),
        (24, 49, [1620, 1080]),
        "unusable values fall back to what the keys and the camera say"
    );
    assert_eq!(shot.camera, imported.scene.find("Cam"));
    gltf["animations"][1]["extras"] = json!({ "worldsmith_shot": "not an object" });
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    assert_eq!(
        imported.scene.timeline().shots.len(),
        2,
        "plain animations merge again"
    );
}

/// Channels pointing at one huge accessor: the keys a file's animations may have together
/// are bounded (counted before anything is read), the rest left out by name.
#[test]
fn animation_keys_are_bounded_per_file() {
    let dir = crate::common::temp_dir("anim", "budget");
    let mut gltf = animated_gltf();
    let n = 600_000;
    let accessors = gltf["accessors"].as_array_mut().expect("accessors");
    // Accessors without a buffer view read as zeros: times all 0 s, translations all 0.
    accessors.push(json!({ "componentType": 5126, "count": n, "type": "SCALAR",
                           "min": [0.0], "max": [0.0] }));
    accessors.push(json!({ "componentType": 5126, "count": n, "type": "VEC3" }));
    gltf["animations"] = json!([{ "name": "Huge",
        "samplers": [{ "input": 8, "output": 9 }],
        "channels": [
            { "sampler": 0, "target": { "node": 0, "path": "translation" } },
            { "sampler": 0, "target": { "node": 1, "path": "translation" } }
        ] }]);
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains(
            "animation 'Huge': channel 1: its 600000 keys are past the 1000000 one file's \
             animations may have; left out"
        ),
        "{warnings}"
    );
    let shot = &imported.scene.timeline().shots[0];
    assert_eq!(shot.tracks.len(), 1, "the first channel is kept");
}

/// KHR_animation_pointer channels key what the timeline keys: a camera's field of view, a
/// light's intensity, a material's base colour, a node's translation by pointer.
#[test]
fn animation_pointers_key_cameras_lights_and_materials() {
    use worldsmith::scene::{Channel, Value};
    let dir = crate::common::temp_dir("anim", "pointers");
    let mut gltf = animated_gltf();
    gltf["extensionsUsed"] = json!(["KHR_lights_punctual", "KHR_animation_pointer"]);
    let pointer = |sampler: usize, at: &str| {
        json!({ "sampler": sampler, "target": { "path": "pointer",
            "extensions": { "KHR_animation_pointer": { "pointer": at } } } })
    };
    gltf["animations"]
        .as_array_mut()
        .expect("list")
        .push(json!({
            "name": "Pointers",
            "samplers": [
                { "input": 2, "output": 2 },
                { "input": 6, "output": 6, "interpolation": "STEP" },
                { "input": 4, "output": 7 },
                { "input": 2, "output": 3 }
            ],
            "channels": [
                pointer(0, "/cameras/0/perspective/yfov"),
                pointer(1, "/extensions/KHR_lights_punctual/lights/0/intensity"),
                pointer(2, "/materials/0/pbrMetallicRoughness/baseColorFactor"),
                pointer(3, "/nodes/2/translation")
            ]
        }));
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    assert!(imported.warnings.len() == 1, "{:?}", imported.warnings);
    let scene = &imported.scene;
    let both = shot(scene, "Animation");
    let sampled = |frame: f32| scene.sampled(both, frame, None).expect("sampled");
    let (cam, sun) = (scene.find("Cam").unwrap(), scene.find("Sun").unwrap());
    let read = |s: &Scene, c: Channel| c.read(s).expect("a value");
    let material = scene.materials().next().expect("a material").0;
    let at12 = sampled(12.0);
    assert_eq!(read(&at12, Channel::FieldOfView(cam)), Value::Float(0.5));
    assert_eq!(
        read(&at12, Channel::LightIntensity(sun)),
        Value::Float(0.5),
        "held from 0.5 s"
    );
    assert_eq!(
        read(&sampled(11.0), Channel::LightIntensity(sun)),
        Value::Float(0.0)
    );
    let Value::Vec4(colour) = read(&sampled(24.0), Channel::BaseColor(material)) else {
        panic!()
    };
    let quarter = Quat::from_rotation_y(std::f32::consts::FRAC_PI_2).to_array();
    for k in 0..4 {
        let want = (quarter[k] + [0.0, 0.0, 0.0, 1.0][k]) / 2.0;
        assert!((colour[k] - want).abs() < 1e-5, "{colour:?}");
    }
    let t = sampled(12.0).node(sun).expect("sun").transform.translation;
    assert!((t - Vec3::new(-0.25, 0.0, 0.0)).length() < 1e-5, "{t:?}");
}

/// A camera many nodes show gets its curve copied per node: the copies count against the
/// per-file key budget, so a short file cannot make an import hold gigabytes of keys.
#[test]
fn curves_copied_to_many_nodes_count_against_the_key_budget() {
    let dir = crate::common::temp_dir("anim", "copies");
    let mut gltf = animated_gltf();
    gltf["extensionsUsed"] = json!(["KHR_lights_punctual", "KHR_animation_pointer"]);
    let keys = 600;
    let accessors = gltf["accessors"].as_array_mut().expect("accessors");
    let first = accessors.len();
    // Accessors without a buffer view read as zeros.
    accessors.push(
        json!({ "componentType": 5126, "count": keys, "type": "SCALAR",
                           "min": [0.0], "max": [0.0] }),
    );
    accessors.push(json!({ "componentType": 5126, "count": keys, "type": "SCALAR" }));
    let nodes = gltf["nodes"].as_array_mut().expect("nodes");
    let start = nodes.len();
    for k in 0..2000 {
        nodes.push(json!({ "name": format!("Cam{k}"), "camera": 0 }));
    }
    let roots: Vec<usize> = (start..start + 2000).collect();
    gltf["scenes"][0]["nodes"]
        .as_array_mut()
        .expect("roots")
        .extend(roots.iter().map(|r| json!(r)));
    gltf["animations"] = json!([{ "name": "Zoom",
        "samplers": [{ "input": first, "output": first + 1 }],
        "channels": [{ "sampler": 0, "target": { "path": "pointer",
            "extensions": { "KHR_animation_pointer": { "pointer": "/cameras/0/perspective/yfov" } } } }] }]);
    let imported = worldsmith::import::import_path(&write(&dir, &gltf)).expect("imports");
    let warnings = imported.warnings.join("\n");
    assert!(
        warnings.contains("its 600 keys (for 2001 nodes) are past the 1000000"),
        "{warnings}"
    );
}
