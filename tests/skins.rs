//! Skinned meshes follow their joints: a file's joint animation plays as a shot (the mesh is
//! posed from the joints on every sampled frame), moving a joint by an edit moves the mesh
//! (and undo moves it back), a geometry edit of the mesh suspends the binding and keeps the
//! edit (undoing it brings the binding back),
//! and the binding survives a project save and load and File ▸ Import.

use crate::import_gltf_deform::{arm_gltf, world_vertices};
use glam::{Quat, Vec3};
use serde_json::json;
use worldsmith::edit::{Command, History};
use worldsmith::import::import_path;
use worldsmith::project::{self, EditorState};
use worldsmith::scene::{NodeId, Scene, Transform};

/// The arm of `import_gltf_deform` with an animation that turns the elbow from 0° (frame 0)
/// to 90° (1 s) about +Z, linear.
fn waving_arm() -> serde_json::Value {
    let mut gltf = arm_gltf();
    let mut extra = Vec::new();
    for v in [0.0f32, 1.0] {
        extra.extend(v.to_le_bytes());
    }
    for q in [
        Quat::IDENTITY,
        Quat::from_rotation_z(std::f32::consts::FRAC_PI_2),
    ] {
        for c in q.to_array() {
            extra.extend(c.to_le_bytes());
        }
    }
    let uri = gltf["buffers"][0]["uri"].as_str().expect("uri").to_owned();
    let (head, data) = uri.split_once(',').expect("data URI");
    let mut bin =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("b64");
    let start = bin.len();
    bin.extend(&extra);
    gltf["buffers"][0] = json!({
        "byteLength": bin.len(),
        "uri": format!("{head},{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bin)),
    });
    let views = gltf["bufferViews"].as_array_mut().expect("views");
    views.push(json!({ "buffer": 0, "byteOffset": start, "byteLength": 8 }));
    views.push(json!({ "buffer": 0, "byteOffset": start + 8, "byteLength": 32 }));
    let (times, turns) = (views.len() - 2, views.len() - 1);
    let accessors = gltf["accessors"].as_array_mut().expect("accessors");
    accessors.push(
        json!({ "bufferView": times, "componentType": 5126, "count": 2,
                           "type": "SCALAR", "min": [0.0], "max": [1.0] }),
    );
    accessors.push(
        json!({ "bufferView": turns, "componentType": 5126, "count": 2,
                           "type": "VEC4" }),
    );
    let (input, output) = (accessors.len() - 2, accessors.len() - 1);
    // The elbow's rest is straight here: the animation bends it.
    gltf["nodes"][2]["rotation"] = json!([0.0, 0.0, 0.0, 1.0]);
    gltf["animations"] = json!([{ "name": "Wave",
        "samplers": [{ "input": input, "output": output, "interpolation": "LINEAR" }],
        "channels": [{ "sampler": 0, "target": { "node": 2, "path": "rotation" } }] }]);
    gltf
}

fn import(dir: &std::path::Path, gltf: &serde_json::Value) -> Scene {
    let path = dir.join("arm.gltf");
    std::fs::write(&path, serde_json::to_vec(gltf).expect("json")).expect("write");
    import_path(&path).unwrap_or_else(|e| panic!("{e}")).scene
}

/// Turns joint `elbow` to `angle` about +Z (keeping where it is) through `history`, as the
/// rotate gizmo does; whether it changed anything.
fn turn_elbow(history: &mut History, scene: &mut Scene, elbow: NodeId, angle: f32) -> bool {
    let transform = Transform {
        rotation: Quat::from_rotation_z(angle),
        ..scene.node(elbow).expect("elbow").transform
    };
    history.execute(
        scene,
        Command::SetTransform {
            node: elbow,
            transform,
        },
    )
}

/// Where the tip vertex (x = 0.1, y = 2) of the arm is when the elbow (at y = 1) is turned
/// `angle` about +Z.
fn tip(angle: f32) -> Vec3 {
    Vec3::Y + Quat::from_rotation_z(angle) * Vec3::new(0.1, 1.0, 0.0)
}

fn assert_tip(scene: &Scene, angle: f32, what: &str) {
    let (positions, _) = world_vertices(scene, "Arm");
    let at = positions[5];
    assert!(
        at.distance(tip(angle)) < 1e-3,
        "{what}: tip at {at}, expected {}",
        tip(angle)
    );
}

#[test]
fn a_joint_animation_plays_on_the_skinned_mesh() {
    let dir = crate::common::temp_dir("skins", "plays");
    let scene = import(&dir, &waving_arm());
    assert!(scene.skin(scene.find("Arm").unwrap()).is_some());
    assert_tip(&scene, 0.0, "at rest");
    let shot = &scene.timeline().shots[0];
    assert_eq!(shot.name, "Wave");
    for (frame, angle) in [(0.0, 0.0), (12.0, 45.0f32), (24.0, 90.0)] {
        let sampled = scene.sampled(shot.id, frame, None).expect("sampled");
        assert_tip(&sampled, angle.to_radians(), &format!("frame {frame}"));
    }
    // Sampling leaves the base as it was.
    assert_tip(&scene, 0.0, "the base after sampling");
}

#[test]
fn moving_a_joint_moves_the_mesh_and_undo_moves_it_back() {
    let dir = crate::common::temp_dir("skins", "edit");
    let mut scene = import(&dir, &waving_arm());
    let elbow = scene.find("Elbow").expect("Elbow");
    let mut history = History::default();
    assert!(turn_elbow(&mut history, &mut scene, elbow, -0.5));
    assert_tip(&scene, -0.5, "after the edit");
    assert!(history.undo(&mut scene));
    assert_tip(&scene, 0.0, "after undo");
    assert!(history.redo(&mut scene));
    assert_tip(&scene, -0.5, "after redo");

    // A geometry edit of the mesh itself suspends the binding: the edit stays, joints no longer
    // move it.
    let arm = scene.find("Arm").unwrap();
    let worldsmith::scene::NodeKind::Mesh { mesh, .. } = scene.node(arm).unwrap().kind else {
        panic!("a mesh")
    };
    let mut edited = scene.mesh(mesh).unwrap().clone_data();
    for p in &mut edited.positions {
        p[2] += 5.0;
    }
    scene.replace_mesh(mesh, std::sync::Arc::new(edited));
    assert_eq!(scene.pose_deformed(), 0);
    assert!(scene.skin(arm).is_none(), "the binding ended");
    let before = world_vertices(&scene, "Arm").0;
    assert!(history.undo(&mut scene));
    assert_eq!(
        world_vertices(&scene, "Arm").0,
        before,
        "the edited mesh stays"
    );

    // The same edit as an undoable command: undoing it brings the binding back.
    let mut scene = import(&dir, &waving_arm());
    let arm = scene.find("Arm").unwrap();
    let worldsmith::scene::NodeKind::Mesh { mesh, .. } = scene.node(arm).unwrap().kind else {
        panic!("a mesh")
    };
    let mut edited = scene.mesh(mesh).unwrap().clone_data();
    edited.positions.iter_mut().for_each(|p| p[2] += 5.0);
    let mut history = History::default();
    assert!(history.execute(
        &mut scene,
        Command::ReplaceMesh {
            mesh,
            value: worldsmith::edit::MeshData(std::sync::Arc::new(edited)),
        }
    ));
    assert!(scene.skin(arm).is_none(), "suspended by the edit");
    assert!(history.undo(&mut scene));
    assert!(scene.skin(arm).is_some(), "the binding is back");
    let elbow = scene.find("Elbow").expect("Elbow");
    assert!(turn_elbow(&mut history, &mut scene, elbow, -0.5));
    assert_tip(&scene, -0.5, "a joint moves the mesh again");
}

#[test]
fn skins_survive_a_project_and_file_import() {
    let dir = crate::common::temp_dir("skins", "project");
    let scene = import(&dir, &waving_arm());
    let path = dir.join("arm.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let loaded = project::load(&path).expect("load").scene;
    let arm = loaded.find("Arm").unwrap();
    let skin = loaded.skin(arm).expect("the skin was saved");
    assert_eq!(skin.joints.len(), 2);
    assert_eq!(skin.influences.joints.len(), 1);
    let shot = &loaded.timeline().shots[0];
    let sampled = loaded.sampled(shot.id, 24.0, None).expect("sampled");
    assert_tip(&sampled, 90f32.to_radians(), "the loaded project at 1 s");

    // File ▸ Import into another scene: the skin follows the new node ids.
    let mut host = worldsmith::generate::generate_world(3);
    let (command, _) = worldsmith::edit::ops::import(&mut host, scene.clone(), None);
    let mut history = History::default();
    assert!(history.execute(&mut host, command));
    let arm = host.find("Arm").expect("imported");
    let skin = host.skin(arm).expect("the skin came along");
    let elbow = host.find("Elbow").expect("imported elbow");
    assert!(skin.joints.contains(&elbow));
    let shot = host
        .timeline()
        .shots
        .iter()
        .find(|s| s.name == "Wave")
        .expect("the shot came along");
    let sampled = host.sampled(shot.id, 24.0, None).expect("sampled");
    assert_tip(&sampled, 90f32.to_radians(), "imported, at 1 s");
}

#[test]
fn a_skinned_mesh_exports_as_a_gltf_skin() {
    use worldsmith::export::{ExportOptions, export_gltf};
    let dir = crate::common::temp_dir("skins", "export");
    let scene = import(&dir, &waving_arm());
    let path = dir.join("arm.glb");
    export_gltf(&scene, &path, &ExportOptions::default()).expect("exports");
    crate::export::validate(&[&path]);
    // The file holds the skin: read back, the arm is bound again and waves as before.
    let again = import_path(&path).expect("re-imports").scene;
    let arm = again.find("Arm").expect("Arm");
    assert_eq!(again.skin(arm).map(|s| s.joints.len()), Some(2));
    let shot = &again.timeline().shots[0];
    for (frame, angle) in [(0.0, 0.0f32), (24.0, 90.0)] {
        let sampled = again.sampled(shot.id, frame, None).expect("sampled");
        assert_tip(
            &sampled,
            angle.to_radians(),
            &format!("re-imported, frame {frame}"),
        );
    }
    // With transforms applied there are no joints to hold a skin: the posed mesh is written.
    let options = ExportOptions {
        apply_transforms: true,
        ..Default::default()
    };
    let path = dir.join("baked.glb");
    export_gltf(&scene, &path, &options).expect("exports");
    let baked = import_path(&path).expect("re-imports").scene;
    assert_eq!(baked.skins().count(), 0);
    assert_tip(&baked, 0.0, "baked");
}

/// The pixel (320 × 180) where `p` shows through `view`.
fn pixel_of(view: &worldsmith::scene::CameraView, p: Vec3) -> glam::Vec2 {
    let clip = view.clip_from_world(320.0 / 180.0) * p.extend(1.0);
    let ndc = clip.truncate() / clip.w;
    glam::Vec2::new((ndc.x + 1.0) * 160.0, (1.0 - ndc.y) * 90.0)
}

#[test]
fn bones_show_through_the_mesh_and_pick_their_joints() {
    use worldsmith::pick::{PickOptions, PickView, Picker};
    use worldsmith::render::RenderSettings;
    use worldsmith::scene::{Material, NodeKind};
    let dir = crate::common::temp_dir("skins", "bones");
    let mut scene = import(&dir, &arm_gltf());
    let (shoulder, elbow) = (
        scene.find("Shoulder").unwrap(),
        scene.find("Elbow").unwrap(),
    );
    // Shoulder (the origin) points at its child joint, Elbow (1 m up); Elbow, a leaf turned
    // 90° about +Z, along its own +Y (world −X) for half its parent bone.
    let bones = scene.bones();
    assert_eq!(bones.len(), 2);
    let bone = |joint| bones.iter().find(|b| b.joint == joint).expect("bone");
    assert!(bone(shoulder).head.distance(Vec3::ZERO) < 1e-5);
    assert!(bone(shoulder).tail.distance(Vec3::Y) < 1e-5);
    assert!(bone(elbow).tail.distance(Vec3::new(-0.5, 1.0, 0.0)) < 1e-5);

    // A wall between the camera and the arm: bones show (and pick) through it.
    let mesh = scene.add_mesh(worldsmith::generate::shapes::cube(1.0));
    let material = scene.add_material(Material::default());
    scene.add_node(
        None,
        "Wall",
        Transform {
            translation: Vec3::new(0.0, 0.5, 2.0),
            scale: Vec3::new(6.0, 6.0, 0.2),
            ..Transform::IDENTITY
        },
        NodeKind::Mesh { mesh, material },
    );
    let view = crate::common::look(Vec3::new(0.0, 0.5, 6.0), Vec3::new(0.0, 0.5, 0.0), 50.0);
    let at = pixel_of(&view, Vec3::new(0.0, 0.5, 0.0));
    let pick_view = PickView::new(view, 320.0, 180.0);
    let mut picker = Picker::default();
    let picked = |options| {
        picker
            .clone()
            .pick(&scene, &pick_view, at, options)
            .map(|h| h.node)
    };
    assert_eq!(picked(PickOptions::default()), Some(shoulder));
    let no_bones = PickOptions {
        icons: true,
        bones: false,
        xray: false,
    };
    assert_eq!(picked(no_bones), scene.find("Wall"));
    let head = pixel_of(&view, Vec3::Y);
    let found = picker.box_select(
        &scene,
        &pick_view,
        head - glam::Vec2::splat(4.0),
        head + glam::Vec2::splat(4.0),
        PickOptions::default(),
    );
    assert!(
        found.contains(&elbow) && !found.contains(&shoulder),
        "{found:?}"
    );

    let Some(ctx) = crate::common::gpu() else {
        return;
    };
    let mut settings = RenderSettings::viewport();
    settings.overlays.grid = false;
    settings.overlays.icons = false;
    settings.overlays.outline = false;
    let with = crate::common::render_with(&ctx, &scene, view, 320, 180, settings, &[]);
    settings.overlays.bones = false;
    let without = crate::common::render_with(&ctx, &scene, view, 320, 180, settings, &[]);
    let changed = |img_a: &image::RgbaImage, img_b: &image::RgbaImage, x: u32, y: u32| {
        let (a, b) = (img_a.get_pixel(x, y), img_b.get_pixel(x, y));
        (0..3).any(|c| a[c].abs_diff(b[c]) > 60)
    };
    // Along the shoulder bone (a column of pixels from its head to its tail) the bone's
    // lines show over the wall; far from it nothing changed.
    let (top, bottom) = (head.y as u32 + 3, pixel_of(&view, Vec3::ZERO).y as u32 - 3);
    let x = at.x as u32;
    let rows_with_lines = (top..bottom)
        .filter(|&y| (x.saturating_sub(4)..x + 5).any(|x| changed(&with, &without, x, y)))
        .count();
    assert!(
        rows_with_lines * 2 > (bottom - top) as usize,
        "bone lines on {rows_with_lines} of {} rows",
        bottom - top
    );
    assert!(
        !changed(&with, &without, 20, 20),
        "a corner far from the bones changed"
    );
}

#[test]
fn a_duplicated_character_follows_its_own_joints() {
    let dir = crate::common::temp_dir("skins", "duplicate");
    let mut scene = import(&dir, &waving_arm());
    let (arm, shoulder) = (scene.find("Arm").unwrap(), scene.find("Shoulder").unwrap());
    let mut history = History::default();
    let (command, copies) =
        worldsmith::edit::ops::duplicate(&mut scene, &[arm, shoulder]).expect("duplicates");
    assert!(history.execute(&mut scene, command));
    let (arm_copy, shoulder_copy) = (copies[0], copies[1]);
    let skin = scene.skin(arm_copy).expect("the copy is skinned");
    let elbow_copy = scene.node(shoulder_copy).unwrap().children[0];
    assert_eq!(
        skin.joints,
        [shoulder_copy, elbow_copy],
        "to the copied joints"
    );
    let mesh_of = |scene: &Scene, node| match scene.node(node).unwrap().kind {
        worldsmith::scene::NodeKind::Mesh { mesh, .. } => mesh,
        _ => panic!("a mesh"),
    };
    assert_ne!(
        mesh_of(&scene, arm),
        mesh_of(&scene, arm_copy),
        "a mesh of its own"
    );
    let copy_vertices = |scene: &Scene| {
        let mesh = scene.mesh(mesh_of(scene, arm_copy)).unwrap();
        let m = scene.world_from_local(arm_copy);
        mesh.positions
            .iter()
            .map(|p| m.transform_point3(Vec3::from(*p)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        copy_vertices(&scene),
        world_vertices(&scene, "Arm").0,
        "posed alike"
    );
    // Turning the copy's elbow moves the copy only.
    assert!(turn_elbow(&mut history, &mut scene, elbow_copy, -0.5));
    assert_tip(&scene, 0.0, "the original");
    assert!(
        copy_vertices(&scene)[5].distance(tip(-0.5)) < 1e-3,
        "the copy turned"
    );
    // Undo both, redo both: the copy is bound again.
    assert!(history.undo(&mut scene) && history.undo(&mut scene));
    assert!(scene.node(arm_copy).is_none());
    assert!(history.redo(&mut scene) && history.redo(&mut scene));
    assert!(scene.skin(arm_copy).is_some(), "bound after redo");
    assert!(
        copy_vertices(&scene)[5].distance(tip(-0.5)) < 1e-3,
        "turned after redo"
    );
}

#[test]
fn reset_pose_puts_the_joints_back_at_rest_and_projects_keep_the_rest() {
    let dir = crate::common::temp_dir("skins", "reset");
    let mut scene = import(&dir, &waving_arm());
    let (arm, elbow) = (scene.find("Arm").unwrap(), scene.find("Elbow").unwrap());
    assert!(
        worldsmith::edit::ops::reset_pose(&scene, arm).is_none(),
        "at rest already"
    );
    let mut history = History::default();
    assert!(turn_elbow(&mut history, &mut scene, elbow, -0.5));
    // Saved and loaded, the skin still knows its rest.
    let path = dir.join("posed.wsproj");
    project::save(&path, &scene, &EditorState::default()).expect("save");
    let mut loaded = project::load(&path).expect("load").scene;
    for scene in [&mut scene, &mut loaded] {
        assert_tip(scene, -0.5, "posed");
        let reset = worldsmith::edit::ops::reset_pose(scene, arm).expect("a joint moved");
        let mut history = History::default();
        assert!(history.execute(scene, reset));
        assert_tip(scene, 0.0, "reset");
        assert!(history.undo(scene));
        assert_tip(scene, -0.5, "reset undone");
        // One joint alone, as the joint's inspector does.
        let reset = worldsmith::edit::ops::reset_joint(scene, elbow).expect("it moved");
        assert!(history.execute(scene, reset));
        assert_tip(scene, 0.0, "the elbow reset");
        assert!(
            worldsmith::edit::ops::reset_joint(scene, elbow).is_none(),
            "at rest"
        );
    }
}
