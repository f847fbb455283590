//! Morph targets (shape keys) stay editable: a file's `weights` animations play as shots
//! (LINEAR, STEP and CUBICSPLINE alike), a weight set by an edit re-shapes the mesh (undo
//! restores it; a geometry edit suspends the binding and keeps the edit, undoing it brings
//! the binding back), an animated weight
//! edited at the playhead becomes a key, and the targets survive a project, File ▸ Import
//! and a glTF export (read back, the same shapes play). On a skinned mesh the targets shape
//! it in bind space and the joints move the result.

use crate::import_gltf_deform::{Bin, arm_gltf, assert_near, bytes_of, world_vertices};
use glam::Vec3;
use serde_json::json;
use worldsmith::edit::timeline::{Playhead, route};
use worldsmith::edit::{Command, History, MeshData};
use worldsmith::import::import_path;
use worldsmith::project::{self, EditorState};
use worldsmith::scene::{Channel, NodeId, NodeKind, Scene, Value};

const QUAD: [Vec3; 4] = [
    Vec3::new(0.0, 0.0, 0.0),
    Vec3::new(1.0, 0.0, 0.0),
    Vec3::new(1.0, 1.0, 0.0),
    Vec3::new(0.0, 1.0, 0.0),
];

/// Where the quad's corners are at weights `w` ("Up" moves every corner up by 4, "Right"
/// moves corner 0 right by 2).
fn shaped(w: [f32; 2]) -> Vec<Vec3> {
    QUAD.iter()
        .enumerate()
        .map(|(k, p)| {
            let right = if k == 0 {
                Vec3::X * 2.0 * w[1]
            } else {
                Vec3::ZERO
            };
            *p + Vec3::Y * 4.0 * w[0] + right
        })
        .collect()
}

/// A quad "Face" with targets "Up" and "Right" (names in the mesh's extras) at weights 0,
/// and three animations of its weights:
/// * "Blink", LINEAR: [0, 0] at 0 s → [1, 0.5] at 1 s;
/// * "Snap", STEP: [1, 0] at 0 s, [0, 1] from 0.5 s;
/// * "Smooth", CUBICSPLINE: Up from 0 (out-tangent 2/s) at 0 s to 1 (in-tangent 0) at 1 s,
///   Right held at 0: Up is 0.75 at 0.5 s.
pub fn face_gltf() -> serde_json::Value {
    let mut bin = Bin::default();
    let quad: Vec<f32> = QUAD.iter().flat_map(|p| p.to_array()).collect();
    let positions = bin.push(&bytes_of(&quad));
    let normals = bin.push(&bytes_of(&[0.0, 0.0, 1.0].repeat(4)));
    let up = bin.push(&bytes_of(&[0.0, 4.0, 0.0].repeat(4)));
    let mut right = vec![0.0f32; 12];
    right[0] = 2.0;
    let right = bin.push(&bytes_of(&right));
    let indices: Vec<u8> = [0u16, 1, 2, 0, 2, 3]
        .iter()
        .flat_map(|i| i.to_le_bytes())
        .collect();
    let indices = bin.push(&indices);
    let times = bin.push(&bytes_of(&[0.0, 1.0]));
    let blink = bin.push(&bytes_of(&[0.0, 0.0, 1.0, 0.5]));
    let snap_times = bin.push(&bytes_of(&[0.0, 0.5]));
    let snap = bin.push(&bytes_of(&[1.0, 0.0, 0.0, 1.0]));
    // Per key: in-tangents, values, out-tangents (two weights each).
    let smooth = bin.push(&bytes_of(&[
        0.0, 0.0, 0.0, 0.0, 2.0, 0.0, // key 0
        0.0, 0.0, 1.0, 0.0, 0.0, 0.0, // key 1
    ]));
    json!({
        "asset": { "version": "2.0" },
        "buffers": bin.buffer(),
        "bufferViews": bin.views,
        "accessors": [
            { "bufferView": positions, "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 0.0] },
            { "bufferView": normals, "componentType": 5126, "count": 4, "type": "VEC3" },
            { "bufferView": up, "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 4.0, 0.0], "max": [0.0, 4.0, 0.0] },
            { "bufferView": right, "componentType": 5126, "count": 4, "type": "VEC3",
              "min": [0.0, 0.0, 0.0], "max": [2.0, 0.0, 0.0] },
            { "bufferView": indices, "componentType": 5123, "count": 6, "type": "SCALAR" },
            { "bufferView": times, "componentType": 5126, "count": 2, "type": "SCALAR",
              "min": [0.0], "max": [1.0] },
            { "bufferView": blink, "componentType": 5126, "count": 4, "type": "SCALAR" },
            { "bufferView": snap_times, "componentType": 5126, "count": 2, "type": "SCALAR",
              "min": [0.0], "max": [0.5] },
            { "bufferView": snap, "componentType": 5126, "count": 4, "type": "SCALAR" },
            { "bufferView": smooth, "componentType": 5126, "count": 12, "type": "SCALAR" }
        ],
        "meshes": [{ "name": "FaceMesh", "weights": [0.0, 0.0],
            "extras": { "targetNames": ["Up", "Right"] },
            "primitives": [{
                "attributes": { "POSITION": 0, "NORMAL": 1 }, "indices": 4,
                "targets": [{ "POSITION": 2 }, { "POSITION": 3 }] }] }],
        "nodes": [{ "name": "Face", "mesh": 0 }],
        "scenes": [{ "nodes": [0] }],
        "animations": [
            { "name": "Blink",
              "samplers": [{ "input": 5, "output": 6, "interpolation": "LINEAR" }],
              "channels": [{ "sampler": 0, "target": { "node": 0, "path": "weights" } }] },
            { "name": "Snap",
              "samplers": [{ "input": 7, "output": 8, "interpolation": "STEP" }],
              "channels": [{ "sampler": 0, "target": { "node": 0, "path": "weights" } }] },
            { "name": "Smooth",
              "samplers": [{ "input": 5, "output": 9, "interpolation": "CUBICSPLINE" }],
              "channels": [{ "sampler": 0, "target": { "node": 0, "path": "weights" } }] }
        ]
    })
}

fn import(dir: &std::path::Path, name: &str, gltf: &serde_json::Value) -> Scene {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(gltf).expect("json")).expect("write");
    let imported = import_path(&path).unwrap_or_else(|e| panic!("{e}"));
    // Only the note a skinned file always gets.
    assert!(
        imported.warnings.iter().all(|w| w.contains("skin(s)")),
        "{:?}",
        imported.warnings
    );
    imported.scene
}

/// Sets `node`'s morph weights through `history`, as the inspector does; whether it changed
/// anything.
fn set_weights(history: &mut History, scene: &mut Scene, node: NodeId, weights: Vec<f32>) -> bool {
    history.execute(scene, Command::SetMorphWeights { node, weights })
}

/// `scene`'s shot `name` sampled at `seconds`.
fn at(scene: &Scene, name: &str, seconds: f32) -> Scene {
    let shot = scene
        .timeline()
        .shots
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no shot '{name}'"));
    scene
        .sampled(shot.id, seconds * shot.fps as f32, None)
        .expect("sampled")
}

/// The face's corners match weights `w` in `scene`.
fn assert_face(scene: &Scene, w: [f32; 2], what: &str) {
    let (positions, _) = world_vertices(scene, "Face");
    assert_near(&positions, &shaped(w), what);
}

/// The three animations play as they do in a glTF viewer.
fn assert_plays(scene: &Scene, what: &str) {
    for (shot, seconds, w) in [
        ("Blink", 0.0, [0.0, 0.0]),
        ("Blink", 0.5, [0.5, 0.25]),
        ("Blink", 1.0, [1.0, 0.5]),
        ("Snap", 0.25, [1.0, 0.0]),
        ("Snap", 0.5, [0.0, 1.0]),
        ("Smooth", 0.5, [0.75, 0.0]),
        ("Smooth", 1.0, [1.0, 0.0]),
    ] {
        assert_face(
            &at(scene, shot, seconds),
            w,
            &format!("{what}: {shot} at {seconds} s"),
        );
    }
}

#[test]
fn a_weights_animation_plays_as_a_shot() {
    let dir = crate::common::temp_dir("morphs", "plays");
    let scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let morph = scene.morph(face).expect("the targets were kept");
    assert_eq!(&*morph.names, ["Up".to_owned(), "Right".to_owned()]);
    assert_eq!(morph.weights, [0.0, 0.0]);
    assert_eq!(morph.targets.len(), 2);
    let shot = &scene.timeline().shots[0];
    assert!(shot.animates(Channel::MorphWeight(face, 0)));
    assert!(shot.animates(Channel::MorphWeight(face, 1)));
    assert_eq!(Channel::MorphWeight(face, 1).title(&scene), "Right");
    assert_face(&scene, [0.0, 0.0], "at rest");
    assert_plays(&scene, "imported");
    // Sampling leaves the base as it was.
    assert_face(&scene, [0.0, 0.0], "the base after sampling");
}

#[test]
fn editing_weights_reshapes_the_mesh_with_undo_and_a_geometry_edit_suspends_it() {
    let dir = crate::common::temp_dir("morphs", "edit");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 1.0]));
    assert_face(&scene, [0.5, 1.0], "after the edit");
    // Refused: the wrong count, a value that is not a number.
    for weights in [vec![1.0], vec![f32::NAN, 0.0]] {
        assert!(!set_weights(&mut history, &mut scene, face, weights));
    }
    assert!(history.undo(&mut scene));
    assert_face(&scene, [0.0, 0.0], "after undo");
    assert!(history.redo(&mut scene));
    assert_face(&scene, [0.5, 1.0], "after redo");

    // A geometry edit (here: the mesh replaced by a flattened copy) wins over the targets.
    let NodeKind::Mesh { mesh, .. } = scene.node(face).expect("node").kind else {
        panic!("mesh node");
    };
    let mut flat = scene.mesh(mesh).expect("mesh").clone_data();
    flat.positions.iter_mut().for_each(|p| p[1] = 0.0);
    assert!(history.execute(
        &mut scene,
        Command::ReplaceMesh {
            mesh,
            value: MeshData(std::sync::Arc::new(flat)),
        },
    ));
    assert!(
        scene.morph(face).is_none(),
        "the edit suspended the binding"
    );
    let (positions, _) = world_vertices(&scene, "Face");
    assert!(positions.iter().all(|p| p.y == 0.0), "the edit was kept");
    // Undoing the edit brings the targets back: weights shape the mesh again.
    assert!(history.undo(&mut scene));
    assert_face(&scene, [0.5, 1.0], "the edit undone");
    assert!(scene.morph(face).is_some(), "the binding is back");
    assert!(set_weights(&mut history, &mut scene, face, vec![0.0, 0.0]));
    assert_face(&scene, [0.0, 0.0], "re-shaped after the undo");
}

#[test]
fn an_animated_weight_edited_at_the_playhead_becomes_a_key() {
    let dir = crate::common::temp_dir("morphs", "route");
    let scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let shot = scene.timeline().shots[0].clone();
    assert_eq!(shot.name, "Blink");
    let shown = scene.sampled(shot.id, 6.0, None).expect("sampled");
    let playhead = Playhead {
        shot: shot.id,
        frame: 6.0,
        auto_key: false,
    };
    let routed = route(
        &scene,
        &scene,
        &shown,
        playhead,
        Command::SetMorphWeights {
            node: face,
            weights: vec![0.9, shown.morph(face).expect("morph").weights[1]],
        },
    );
    // Both weights are animated: the edit is a key, nothing is left for the base.
    assert_eq!(routed.rest, None);
    let timeline = routed.timeline.expect("keyed");
    let track = timeline.shots[0]
        .track(Channel::MorphWeight(face, 0))
        .expect("track");
    let key = track.key_at(6.0).expect("a key at the playhead");
    assert_eq!(track.keys()[key].value, Value::Float(0.9));
}

#[test]
fn targets_survive_a_project_and_file_import() {
    let dir = crate::common::temp_dir("morphs", "project");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.25, 0.0]));
    let path = dir.join("face.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let morph = loaded
        .morph(loaded.find("Face").expect("Face"))
        .expect("the targets were saved");
    assert_eq!(morph.weights, [0.25, 0.0]);
    assert_eq!(&*morph.names, ["Up".to_owned(), "Right".to_owned()]);
    assert_face(&loaded, [0.25, 0.0], "loaded");
    assert_plays(&loaded, "the loaded project");

    // File ▸ Import into another scene: the targets follow the new node id.
    let mut host = worldsmith::generate::generate_world(3);
    let (command, _) = worldsmith::edit::ops::import(&mut host, scene.clone(), None);
    assert!(history.execute(&mut host, command));
    let face = host.find("Face").expect("imported");
    assert!(host.morph(face).is_some(), "the targets came along");
    assert_face(
        &at(&host, "Blink", 1.0),
        [1.0, 0.5],
        "imported, Blink at 1 s",
    );
}

#[test]
fn targets_and_weight_animations_export_to_gltf() {
    use worldsmith::export::{ExportOptions, export_gltf};
    let dir = crate::common::temp_dir("morphs", "export");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.0, 0.5]));
    let path = dir.join("face.glb");
    export_gltf(&scene, &path, &ExportOptions::default()).expect("exports");
    crate::export::validate(&[&path]);
    let again = import_path(&path).expect("re-imports").scene;
    let face = again.find("Face").expect("Face");
    let morph = again.morph(face).expect("targets written");
    assert_eq!(&*morph.names, ["Up".to_owned(), "Right".to_owned()]);
    assert_eq!(
        morph.weights,
        [0.0, 0.5],
        "the weights as the mesh's defaults"
    );
    assert_face(&again, [0.0, 0.5], "re-imported at rest");
    assert_plays(&again, "re-imported");

    // With transforms applied (a node moved and scaled) the targets are baked with it.
    let mut moved = scene.clone();
    let mut t = moved.node(face).expect("node").transform;
    t.translation = Vec3::new(10.0, 0.0, 0.0);
    t.scale = Vec3::splat(2.0);
    assert!(history.execute(
        &mut moved,
        Command::SetTransform {
            node: face,
            transform: t,
        },
    ));
    let options = ExportOptions {
        apply_transforms: true,
        ..Default::default()
    };
    let path = dir.join("baked.glb");
    export_gltf(&moved, &path, &options).expect("exports");
    let baked = import_path(&path).expect("re-imports").scene;
    let face = baked.find("Face").expect("Face");
    let mut history = History::default();
    let mut baked = baked;
    assert!(set_weights(&mut history, &mut baked, face, vec![1.0, 0.0]));
    let expected: Vec<Vec3> = shaped([1.0, 0.0])
        .into_iter()
        .map(|p| Vec3::new(10.0, 0.0, 0.0) + 2.0 * p)
        .collect();
    let (positions, _) = world_vertices(&baked, "Face");
    assert_near(&positions, &expected, "baked, Up at 1");
}

/// The arm of `import_gltf_deform` (elbow bent 90° at rest) with one morph target that moves
/// every vertex 0.5 along +Z in bind space, and an animation "Puff" of its weight 0 → 1 over
/// one second.
fn puffing_arm() -> serde_json::Value {
    let mut gltf = arm_gltf();
    let uri = gltf["buffers"][0]["uri"].as_str().expect("uri").to_owned();
    let (head, data) = uri.split_once(',').expect("data URI");
    let b64 = &base64::engine::general_purpose::STANDARD;
    let mut bin = base64::Engine::decode(b64, data).expect("b64");
    let mut view = |bytes: &[u8], gltf: &mut serde_json::Value| {
        bin.resize(bin.len().next_multiple_of(4), 0);
        let start = bin.len();
        bin.extend(bytes);
        let views = gltf["bufferViews"].as_array_mut().expect("views");
        views.push(json!({ "buffer": 0, "byteOffset": start, "byteLength": bytes.len() }));
        views.len() - 1
    };
    let delta = view(&bytes_of(&[0.0, 0.0, 0.5].repeat(6)), &mut gltf);
    let times = view(&bytes_of(&[0.0, 1.0]), &mut gltf);
    let weights = view(&bytes_of(&[0.0, 1.0]), &mut gltf);
    gltf["buffers"][0] = json!({
        "byteLength": bin.len(),
        "uri": format!("{head},{}", base64::Engine::encode(b64, &bin)),
    });
    let accessors = gltf["accessors"].as_array_mut().expect("accessors");
    let first = accessors.len();
    accessors.push(
        json!({ "bufferView": delta, "componentType": 5126, "count": 6,
        "type": "VEC3", "min": [0.0, 0.0, 0.5], "max": [0.0, 0.0, 0.5] }),
    );
    accessors.push(
        json!({ "bufferView": times, "componentType": 5126, "count": 2,
        "type": "SCALAR", "min": [0.0], "max": [1.0] }),
    );
    accessors.push(
        json!({ "bufferView": weights, "componentType": 5126, "count": 2,
        "type": "SCALAR" }),
    );
    gltf["meshes"][0]["primitives"][0]["targets"] = json!([{ "POSITION": first }]);
    gltf["meshes"][0]["weights"] = json!([0.0]);
    gltf["animations"] = json!([{ "name": "Puff",
        "samplers": [{ "input": first + 1, "output": first + 2, "interpolation": "LINEAR" }],
        "channels": [{ "sampler": 0, "target": { "node": 0, "path": "weights" } }] }]);
    gltf
}

#[test]
fn a_skinned_mesh_is_shaped_in_bind_space_then_posed() {
    let dir = crate::common::temp_dir("morphs", "skinned");
    let arm_only = import(&dir, "arm.gltf", &arm_gltf());
    let (rest, _) = world_vertices(&arm_only, "Arm");
    let scene = import(&dir, "puff.gltf", &puffing_arm());
    let arm = scene.find("Arm").expect("Arm");
    assert!(scene.skin(arm).is_some() && scene.morph(arm).is_some());
    // The elbow turns about +Z, so a +Z displacement in bind space stays +Z once posed.
    for (seconds, w) in [(0.0, 0.0f32), (0.5, 0.5), (1.0, 1.0)] {
        let expected: Vec<Vec3> = rest.iter().map(|p| *p + Vec3::Z * 0.5 * w).collect();
        let (positions, _) = world_vertices(&at(&scene, "Puff", seconds), "Arm");
        assert_near(&positions, &expected, &format!("Puff at {seconds} s"));
    }
    // A project keeps both (the morph's base is the skin's bind mesh, written once).
    let path = dir.join("puff.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let arm = loaded.find("Arm").expect("Arm");
    let (skin, morph) = (
        loaded.skin(arm).expect("skin"),
        loaded.morph(arm).expect("morph"),
    );
    assert!(
        std::sync::Arc::ptr_eq(&skin.bind, &morph.base),
        "one mesh as bound"
    );
    let expected: Vec<Vec3> = rest.iter().map(|p| *p + Vec3::Z * 0.5).collect();
    let (positions, _) = world_vertices(&at(&loaded, "Puff", 1.0), "Arm");
    assert_near(&positions, &expected, "loaded, Puff at 1 s");
    // And a glTF export holds the skin and the target: read back, it plays the same.
    let path = dir.join("puff.glb");
    worldsmith::export::export_gltf(&scene, &path, &Default::default()).expect("exports");
    crate::export::validate(&[&path]);
    let again = import_path(&path).expect("re-imports").scene;
    let (positions, _) = world_vertices(&at(&again, "Puff", 1.0), "Arm");
    assert_near(&positions, &expected, "re-imported, Puff at 1 s");
}

#[test]
fn broken_weight_animations_are_left_out_with_a_warning() {
    let dir = crate::common::temp_dir("morphs", "broken");
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit, &str); 4] = [
        (
            "more keys than a file may have (per target)",
            |g| {
                // Accessors without a buffer view read as zeros.
                g["accessors"][5] = json!({ "componentType": 5126, "count": 600_000,
                    "type": "SCALAR", "min": [0.0], "max": [0.0] });
                g["accessors"][6] = json!({ "componentType": 5126, "count": 1_200_000,
                    "type": "SCALAR" });
                g["animations"][2]["samplers"][0]["input"] = json!(7);
                g["animations"][2]["samplers"][0]["output"] = json!(8);
                g["animations"][2]["samplers"][0]["interpolation"] = json!("STEP");
            },
            "its 600000 keys for 2 morph targets of 1 mesh(es) are past the 1000000",
        ),
        (
            "too few weights",
            |g| g["accessors"][6]["count"] = json!(3),
            "2 morph targets but 3 output values",
        ),
        (
            "a node without targets",
            |g| {
                g["nodes"]
                    .as_array_mut()
                    .expect("nodes")
                    .push(json!({ "name": "Empty" }));
                g["scenes"][0]["nodes"] = json!([0, 1]);
                g["animations"][0]["channels"][0]["target"]["node"] = json!(1);
            },
            "morph-target weight channel(s) left out",
        ),
        (
            "weights that are not numbers",
            |g| g["accessors"][6]["componentType"] = json!(5125),
            "not a readable float or normalized integer",
        ),
    ];
    for (what, edit, expected) in cases {
        let mut gltf = face_gltf();
        edit(&mut gltf);
        let path = dir.join("broken.gltf");
        std::fs::write(&path, serde_json::to_vec(&gltf).expect("json")).expect("write");
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(
            imported.warnings.iter().any(|w| w.contains(expected)),
            "{what}: {:?}",
            imported.warnings
        );
        // The other animations still play.
        assert_face(
            &at(&imported.scene, "Snap", 0.5),
            [0.0, 1.0],
            &format!("{what}: Snap"),
        );
    }
}

#[test]
fn a_duplicated_mesh_keeps_its_own_shape_keys() {
    let dir = crate::common::temp_dir("morphs", "duplicate");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    let (command, copies) =
        worldsmith::edit::ops::duplicate(&mut scene, &[face]).expect("duplicates");
    assert!(history.execute(&mut scene, command));
    let copy = copies[0];
    assert!(scene.morph(copy).is_some(), "the copy has the targets");
    assert!(set_weights(&mut history, &mut scene, copy, vec![1.0, 0.0]));
    assert_face(&scene, [0.0, 0.0], "the original keeps its shape");
    let NodeKind::Mesh { mesh, .. } = scene.node(copy).expect("copy").kind else {
        panic!("mesh node");
    };
    let positions: Vec<Vec3> = scene
        .mesh(mesh)
        .expect("mesh")
        .positions
        .iter()
        .map(|p| Vec3::from(*p))
        .collect();
    assert_near(&positions, &shaped([1.0, 0.0]), "the copy");
}

#[test]
fn broken_morphs_in_a_project_are_refused_naming_the_node() {
    use crate::project::{join, refused, split};
    let dir = crate::common::temp_dir("morphs", "hostile");
    let scene = import(&dir, "face.gltf", &face_gltf());
    let path = dir.join("face.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let good = split(&std::fs::read(&path).expect("read"));
    let node = scene.find("Face").expect("Face").0;
    type Edit = fn(&mut serde_json::Value);
    let cases: [(Edit, &str); 7] = [
        (
            |j| j["scene"]["morphs"][0]["weights"] = json!([0.0]),
            "2 morph targets but 2 names and 1 weights",
        ),
        (
            |j| j["scene"]["morphs"][0]["muted"] = json!([true, false, true]),
            "2 morph targets but 3 mute flags",
        ),
        (
            |j| j["scene"]["morphs"][0]["ranges"] = json!([[0.0, 1.0]]),
            "2 morph targets but 1 slider ranges",
        ),
        (
            |j| j["scene"]["morphs"][0]["ranges"] = json!([[0.0, 1.0], [5.0, -50.0]]),
            "slider range [5.0, -50.0]",
        ),
        (
            |j| j["scene"]["morphs"][0]["targets"][0]["positions"]["count"] = json!(1u64 << 60),
            "target 0 positions",
        ),
        (
            |j| j["scene"]["morphs"][0]["base"] = serde_json::Value::Null,
            "no base mesh and no skin",
        ),
        (
            |j| j["scene"]["morphs"][0]["node"] = json!(999_999),
            "does not exist or holds no mesh",
        ),
    ];
    for (edit, expected) in cases {
        let mut c = split(&join(&good, project::FORMAT_VERSION));
        edit(&mut c.json);
        let e = refused(&dir, "broken.wsproj", &join(&c, project::FORMAT_VERSION));
        let message = e.to_string();
        assert!(message.contains(expected), "{message}");
        if !expected.contains("exist") {
            assert!(message.contains(&format!("node {node}")), "{message}");
        }
    }
}

#[test]
fn a_mesh_weights_pointer_animates_the_nodes_showing_it() {
    // KHR_animation_pointer's `/meshes/{m}/weights`: every node showing the mesh without
    // weights of its own follows it (here two, each then with a mesh of its own).
    let dir = crate::common::temp_dir("morphs", "pointer");
    let mut gltf = face_gltf();
    gltf["extensionsUsed"] = json!(["KHR_animation_pointer"]);
    gltf["nodes"]
        .as_array_mut()
        .expect("nodes")
        .push(json!({ "name": "Twin", "mesh": 0, "translation": [5.0, 0.0, 0.0] }));
    gltf["scenes"][0]["nodes"] = json!([0, 1]);
    gltf["animations"][0]["channels"][0]["target"] = json!({ "path": "pointer",
        "extensions": { "KHR_animation_pointer": { "pointer": "/meshes/0/weights" } } });
    gltf["animations"] = json!([gltf["animations"][0].clone()]);
    let scene = import(&dir, "pointer.gltf", &gltf);
    let sampled = at(&scene, "Blink", 0.5);
    assert_face(&sampled, [0.5, 0.25], "Face, Blink at 0.5 s");
    let (twin, _) = world_vertices(&sampled, "Twin");
    let expected: Vec<Vec3> = shaped([0.5, 0.25])
        .into_iter()
        .map(|p| p + Vec3::X * 5.0)
        .collect();
    assert_near(&twin, &expected, "Twin, Blink at 0.5 s");
}

/// The morph-weight channels of every track of `scene`'s shots, per shot.
fn weight_channels(scene: &Scene, face: NodeId) -> Vec<(String, Vec<u16>)> {
    scene
        .timeline()
        .shots
        .iter()
        .map(|shot| {
            let ks = shot
                .tracks
                .iter()
                .filter_map(|t| match t.channel {
                    Channel::MorphWeight(n, k) if n == face => Some(k),
                    _ => None,
                })
                .collect();
            (shot.name.clone(), ks)
        })
        .collect()
}

#[test]
fn deleting_shape_keys_reshapes_the_mesh_moves_tracks_and_undoes() {
    let dir = crate::common::temp_dir("morphs", "delete");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 1.0]));
    let tracks_before = weight_channels(&scene, face);
    assert!(
        tracks_before.iter().any(|(_, ks)| ks.contains(&1)),
        "{tracks_before:?}"
    );

    // Delete "Up": "Right" is the only target, at its weight; Up's tracks are gone and
    // Right's now drive target 0.
    let command = worldsmith::edit::ops::delete_shape(&scene, face, 0).expect("delete");
    assert!(history.execute(&mut scene, command));
    assert_eq!(history.undo_label(), Some("Delete shape key Up of Face"));
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.names.to_vec(), ["Right"]);
    assert_eq!(morph.weights, [1.0]);
    assert_eq!(morph.targets.len(), 1);
    assert_face(&scene, [0.0, 1.0], "Up deleted");
    for ((shot, before), (_, after)) in tracks_before.iter().zip(weight_channels(&scene, face)) {
        let expected: Vec<u16> = before.iter().filter(|k| **k == 1).map(|_| 0).collect();
        assert_eq!(after, expected, "shot {shot}");
    }
    // The shot that animated Right now moves corner 0 by target 0 ("Snap": Right is 1
    // from 0.5 s).
    let snap = at(&scene, "Snap", 0.75);
    let (positions, _) = world_vertices(&snap, "Face");
    assert_near(
        &positions,
        &shaped([0.0, 1.0]),
        "Snap at 0.75 s after the delete",
    );

    // Delete the last one: the mesh as modelled, no morph left.
    let command = worldsmith::edit::ops::delete_shape(&scene, face, 0).expect("delete");
    assert!(history.execute(&mut scene, command));
    assert!(scene.morph(face).is_none());
    assert_face(&scene, [0.0, 0.0], "every shape key deleted");
    assert!(
        weight_channels(&scene, face)
            .iter()
            .all(|(_, ks)| ks.is_empty())
    );
    // A project keeps that.
    let path = dir.join("no_keys.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    assert!(loaded.morph(face).is_none());
    assert_face(&loaded, [0.0, 0.0], "loaded");

    // Undo both: everything is back, shape, names, weights and tracks.
    assert!(history.undo(&mut scene));
    assert_face(&scene, [0.0, 1.0], "last delete undone");
    assert!(history.undo(&mut scene));
    assert_face(&scene, [0.5, 1.0], "both deletes undone");
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.names.to_vec(), ["Up", "Right"]);
    assert_eq!(weight_channels(&scene, face), tracks_before);
    assert!(worldsmith::edit::ops::delete_shape(&scene, face, 2).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn moving_a_shape_key_keeps_the_shapes_and_tracks_and_changes_the_exported_order() {
    use worldsmith::edit::ops::move_shape;
    let dir = crate::common::temp_dir("morphs", "move");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 1.0]));
    assert!(history.execute(
        &mut scene,
        Command::MuteShape {
            node: face,
            index: 1,
            muted: true
        }
    ));
    let tracks_before = weight_channels(&scene, face);
    let blink_before = world_vertices(&at(&scene, "Blink", 1.0), "Face").0;
    let snap_before = world_vertices(&at(&scene, "Snap", 0.75), "Face").0;
    // Nothing above the first, nothing below the last, no third.
    assert!(move_shape(&scene, face, 0, true).is_err());
    assert!(move_shape(&scene, face, 1, false).is_err());
    assert!(move_shape(&scene, face, 2, true).is_err());

    // "Right" up: first now, with its weight, mute and tracks; the mesh and every shot look
    // the same.
    let command = move_shape(&scene, face, 1, true).expect("moves");
    assert!(history.execute(&mut scene, command));
    assert_eq!(
        history.undo_label(),
        Some("Move shape key Right of Face up")
    );
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.names.to_vec(), ["Right", "Up"]);
    assert_eq!(morph.weights, [1.0, 0.5]);
    assert_eq!(morph.muted, [true, false]);
    assert_face(&scene, [0.5, 0.0], "Right muted, moved first");
    for ((shot, before), (_, after)) in tracks_before.iter().zip(weight_channels(&scene, face)) {
        let expected: Vec<u16> = before.iter().map(|k| 1 - k).collect();
        assert_eq!(after, expected, "shot {shot}");
    }
    assert_near(
        &world_vertices(&at(&scene, "Blink", 1.0), "Face").0,
        &blink_before,
        "Blink after the move",
    );
    assert_near(
        &world_vertices(&at(&scene, "Snap", 0.75), "Face").0,
        &snap_before,
        "Snap after the move",
    );
    // Exported in the new order (engines address targets by index); read back, the same.
    let path = dir.join("moved.glb");
    worldsmith::export::export_gltf(&scene, &path, &Default::default()).expect("exports");
    crate::export::validate(&[&path]);
    let again = import_path(&path).expect("re-imports").scene;
    let morph = again
        .morph(again.find("Face").expect("Face"))
        .expect("morph");
    assert_eq!(morph.names.to_vec(), ["Right", "Up"]);

    // Undo: the old order, tracks and mute.
    assert!(history.undo(&mut scene));
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.names.to_vec(), ["Up", "Right"]);
    assert_eq!(morph.muted, [false, true]);
    assert_eq!(weight_channels(&scene, face), tracks_before);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_new_shape_from_the_mix_shapes_the_mesh_as_the_weights_did() {
    let dir = crate::common::temp_dir("morphs", "mix");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(
        worldsmith::edit::ops::shape_from_mix(&scene, face).is_err(),
        "every weight is 0"
    );
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 1.0]));
    let command = worldsmith::edit::ops::shape_from_mix(&scene, face).expect("mix");
    assert!(history.execute(&mut scene, command));
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.names.to_vec(), ["Up", "Right", "Mix"]);
    assert_eq!(morph.weights, [0.5, 1.0, 0.0]);
    assert_face(&scene, [0.5, 1.0], "adding the key changes nothing");
    // The new key alone gives the mix.
    assert!(set_weights(
        &mut history,
        &mut scene,
        face,
        vec![0.0, 0.0, 1.0]
    ));
    assert_face(&scene, [0.5, 1.0], "the mix key alone");
    // Another one is "Mix.001"; undo takes the keys away.
    let command = worldsmith::edit::ops::shape_from_mix(&scene, face).expect("mix");
    assert!(history.execute(&mut scene, command));
    assert_eq!(scene.morph(face).expect("morph").names[3], "Mix.001");
    assert!(history.undo(&mut scene));
    assert!(history.undo(&mut scene));
    assert!(history.undo(&mut scene));
    assert_eq!(scene.morph(face).expect("morph").targets.len(), 2);
    assert_face(&scene, [0.5, 1.0], "undone");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_muted_shape_key_keeps_its_weight_and_keys_shapes_nothing_and_exports_at_zero() {
    use worldsmith::export::{ExportOptions, export_gltf};
    let dir = crate::common::temp_dir("morphs", "mute");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 1.0]));
    let mute = |muted| Command::MuteShape {
        node: face,
        index: 0,
        muted,
    };
    assert_eq!(mute(true).label(&scene), "Mute shape Up of Face");
    assert!(history.execute(&mut scene, mute(true)));
    assert!(!history.execute(&mut scene, mute(true)), "already muted");
    assert!(
        !history.execute(
            &mut scene,
            Command::MuteShape {
                node: face,
                index: 2,
                muted: true
            }
        ),
        "no third shape key"
    );
    let morph = scene.morph(face).expect("morph");
    assert!(morph.is_muted(0) && !morph.is_muted(1));
    assert_eq!(morph.weights, [0.5, 1.0], "its weight is kept");
    assert_face(&scene, [0.0, 1.0], "Up muted");
    // Blink animates both: only Right plays.
    assert_face(&at(&scene, "Blink", 1.0), [0.0, 0.5], "Blink, Up muted");
    assert!(
        worldsmith::edit::ops::shape_from_mix(&scene, face)
            .expect("Right is in effect")
            .label(&scene)
            .contains("shape keys")
    );

    // Saved and loaded: still muted.
    let path = dir.join("muted.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let morph = loaded
        .morph(loaded.find("Face").expect("Face"))
        .expect("morph");
    assert_eq!(morph.muted, [true, false]);
    assert_face(&loaded, [0.0, 1.0], "loaded, Up muted");

    // Exported: Up at weight 0 and not animated; Right as it was.
    let path = dir.join("muted.glb");
    export_gltf(&scene, &path, &ExportOptions::default()).expect("exports");
    crate::export::validate(&[&path]);
    let again = import_path(&path).expect("re-imports").scene;
    let morph = again
        .morph(again.find("Face").expect("Face"))
        .expect("morph");
    assert_eq!(morph.weights, [0.0, 1.0]);
    assert_face(&at(&again, "Blink", 1.0), [0.0, 0.5], "exported Blink");
    assert_face(&at(&again, "Snap", 0.25), [0.0, 0.0], "exported Snap");

    // Undo unmutes, redo mutes again; deleting the muted key drops its flag.
    assert!(history.undo(&mut scene));
    assert_face(&scene, [0.5, 1.0], "unmuted by undo");
    assert!(history.redo(&mut scene));
    assert_face(&scene, [0.0, 1.0], "muted by redo");
    let command = worldsmith::edit::ops::delete_shape(&scene, face, 0).expect("delete");
    assert!(history.execute(&mut scene, command));
    let morph = scene.morph(face).expect("morph");
    assert_eq!(morph.muted, [false]);
    assert!(!morph.is_muted(0));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_shape_key_slider_range_is_set_with_undo_kept_in_projects_and_checked() {
    let dir = crate::common::temp_dir("morphs", "range");
    let mut scene = import(&dir, "face.gltf", &face_gltf());
    let face = scene.find("Face").expect("Face");
    let mut history = History::default();
    let range = |range| Command::SetShapeRange {
        node: face,
        index: 1,
        range,
    };
    assert_eq!(scene.morph(face).expect("morph").range(1), [0.0, 1.0]);
    // Refused: min not below max, past ±10, not a number, no such key, no change.
    for bad in [[1.0, 1.0], [0.5, -0.5], [-12.0, 1.0], [0.0, f32::INFINITY]] {
        assert!(!history.execute(&mut scene, range(bad)), "{bad:?}");
    }
    assert!(!history.execute(
        &mut scene,
        Command::SetShapeRange {
            node: face,
            index: 5,
            range: [-1.0, 1.0]
        }
    ));
    assert!(!history.execute(&mut scene, range([0.0, 1.0])), "unchanged");
    assert!(history.execute(&mut scene, range([-1.0, 2.0])));
    assert_eq!(
        history.undo_label(),
        Some("Range of shape Right of Face to -1–2")
    );
    let morph = scene.morph(face).expect("morph");
    assert_eq!((morph.range(0), morph.range(1)), ([0.0, 1.0], [-1.0, 2.0]));
    // The range bounds the slider, not the weight: a weight past it is kept.
    assert!(set_weights(&mut history, &mut scene, face, vec![0.0, 3.0]));
    assert_face(&scene, [0.0, 3.0], "weight past the range");

    let path = dir.join("range.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let morph = loaded
        .morph(loaded.find("Face").expect("Face"))
        .expect("morph");
    assert_eq!(morph.ranges, [[0.0, 1.0], [-1.0, 2.0]]);

    // Undo puts the default back (and forgets the per-target list).
    assert!(history.undo(&mut scene));
    assert!(history.undo(&mut scene));
    assert!(scene.morph(face).expect("morph").ranges.is_empty());
    assert!(history.redo(&mut scene));
    // A new key from the mix gets the default range; deleting one drops its range.
    let command = worldsmith::edit::ops::shape_from_mix(&scene, face);
    assert!(command.is_err(), "every weight is 0");
    assert!(set_weights(&mut history, &mut scene, face, vec![0.5, 0.0]));
    let command = worldsmith::edit::ops::shape_from_mix(&scene, face).expect("mix");
    assert!(history.execute(&mut scene, command));
    assert_eq!(
        scene.morph(face).expect("morph").ranges,
        [[0.0, 1.0], [-1.0, 2.0], [0.0, 1.0]]
    );
    let command = worldsmith::edit::ops::delete_shape(&scene, face, 0).expect("delete");
    assert!(history.execute(&mut scene, command));
    assert_eq!(
        scene.morph(face).expect("morph").ranges,
        [[-1.0, 2.0], [0.0, 1.0]]
    );
    std::fs::remove_dir_all(&dir).ok();
}
