//! antimatter15's `.splat` records as a user meets them: a file converted from an INRIA PLY
//! (by the rules of the format's own `convert.py`) opens as the same splats as that PLY,
//! within the format's 8-bit colour and orientation, under the same OpenCV-to-Y-up node; bad
//! files fail with an error naming the file, or load with a warning naming it.

use crate::common;
use std::path::Path;
use worldsmith::import::{import_bytes, import_path};
use worldsmith::scene::{NodeKind, SH_C0};

/// One splat as a 3DGS trainer writes it to PLY: pre-activation opacity and log scales,
/// `w x y z` rotation of any length.
struct Trained {
    pos: [f32; 3],
    log_scale: [f32; 3],
    f_dc: [f32; 3],
    logit: f32,
    rot: [f32; 4],
}

fn trained(n: usize) -> Vec<Trained> {
    (0..n)
        .map(|i| {
            let t = i as f32;
            Trained {
                pos: [
                    t * 0.31 - 4.0,
                    (t * 0.7).sin() * 2.0,
                    3.0 + (t * 0.13).cos(),
                ],
                log_scale: [
                    -4.0 + (t * 0.5).sin(),
                    -3.0 - (t * 0.3).cos(),
                    -5.0 + t * 0.02,
                ],
                // Colours inside 0..1, where the format's clip changes nothing.
                f_dc: [0.0, 1.0, 2.0].map(|c| (t * 0.9 + c * 1.7).sin() * 1.6),
                logit: (t * 0.21).sin() * 4.0,
                rot: [
                    0.3 + (t * 0.11).sin(),
                    (t * 0.23).cos(),
                    (t * 0.29).sin() * 0.5,
                    -(t * 0.17).cos(),
                ],
            }
        })
        .collect()
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// The INRIA PLY of `splats` (binary little-endian, float properties).
fn ply(splats: &[Trained]) -> Vec<u8> {
    let props = [
        "x", "y", "z", "f_dc_0", "f_dc_1", "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
        "rot_0", "rot_1", "rot_2", "rot_3",
    ];
    let mut out = format!(
        "ply\nformat binary_little_endian 1.0\nelement vertex {}\n",
        splats.len()
    );
    for p in props {
        out += &format!("property float {p}\n");
    }
    out += "end_header\n";
    let mut out = out.into_bytes();
    for s in splats {
        for v in s
            .pos
            .iter()
            .chain(&s.f_dc)
            .chain([&s.logit])
            .chain(&s.log_scale)
            .chain(&s.rot)
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// `.splat` records of `splats` as antimatter15's `convert.py` writes them: centre, `exp`
/// scales, `(0.5 + C0 · f_dc) · 255` and `sigmoid(opacity) · 255` clipped and truncated to u8,
/// the normalised `w x y z` rotation as `q · 128 + 128` clipped and truncated.
fn splat_records(splats: &[Trained]) -> Vec<u8> {
    let to_u8 = |v: f32| v.clamp(0.0, 255.0) as u8;
    let mut out = Vec::new();
    for s in splats {
        for v in s.pos.iter().chain(&s.log_scale.map(f32::exp)) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for c in s.f_dc {
            out.push(to_u8((0.5 + SH_C0 * c) * 255.0));
        }
        out.push(to_u8(sigmoid(s.logit) * 255.0));
        let len = s.rot.iter().map(|c| c * c).sum::<f32>().sqrt();
        for c in s.rot {
            out.push(to_u8(c / len * 128.0 + 128.0));
        }
    }
    out
}

#[test]
fn a_splat_file_opens_as_the_splats_of_the_ply_it_was_converted_from() {
    let dir = crate::common::temp_dir("splat", "convert");
    let splats = trained(300);
    let ply_path = dir.join("garden.ply");
    std::fs::write(&ply_path, ply(&splats)).unwrap();
    let splat_path = dir.join("garden.splat");
    let records = splat_records(&splats);
    assert_eq!(records.len(), 300 * 32);
    std::fs::write(&splat_path, &records).unwrap();

    let from_ply = import_path(&ply_path).unwrap();
    let from_splat = import_path(&splat_path).unwrap();
    assert!(from_splat.warnings.is_empty(), "{:?}", from_splat.warnings);
    let (ply_node, want) = common::only_splats(&from_ply.scene);
    let (node, got) = common::only_splats(&from_splat.scene);
    assert_eq!(node.name, "garden");
    assert_eq!(
        node.transform, ply_node.transform,
        "the same OpenCV-to-Y-up turn"
    );
    assert_eq!(got.len(), 300);
    assert_eq!(got.sh_degree, 0);
    assert_eq!(got.positions, want.positions);
    for i in 0..300 {
        for c in 0..3 {
            let (g, w) = (got.scales[i][c], want.scales[i][c]);
            assert!((g - w).abs() <= w * 1e-6, "splat {i} scale {c}: {g} vs {w}");
            let (g, w) = (got.colors[i][c], want.colors[i][c]);
            assert!((0.0..=1.0).contains(&w), "test colours stay inside 0..1");
            assert!(
                g <= w && w - g < 1.0 / 255.0 + 1e-6,
                "splat {i} colour {c}: {g} vs {w}"
            );
        }
        let (g, w) = (got.opacities[i], want.opacities[i]);
        assert!(
            g <= w + 1e-6 && w - g < 1.0 / 255.0 + 1e-6,
            "splat {i} opacity: {g} vs {w}"
        );
        let dot: f32 = got.rotations[i]
            .iter()
            .zip(want.rotations[i])
            .map(|(a, b)| a * b)
            .sum();
        assert!(
            dot.abs() > 0.999,
            "splat {i}: {:?} vs {:?}",
            got.rotations[i],
            want.rotations[i]
        );
    }

    // The same bytes in memory (what the fuzz harness and drops of bytes use).
    let in_memory = import_bytes(&splat_path, &records).unwrap();
    assert_eq!(
        common::only_splats(&in_memory.scene).1.positions,
        got.positions
    );

    // A world-model folder takes a .splat layer like a splat PLY.
    let world = dir.join("world");
    std::fs::create_dir_all(&world).unwrap();
    std::fs::write(world.join("gaussians.splat"), &records).unwrap();
    let imported = import_path(&world).unwrap();
    let layer = imported
        .scene
        .nodes()
        .find(|n| n.name == "gaussians (splats)")
        .expect("a splat layer");
    let child = imported.scene.node(layer.children[0]).expect("child");
    assert!(matches!(child.kind, NodeKind::Splats { .. }));
}

#[test]
fn bad_splat_files_fail_or_warn_naming_the_file() {
    let dir = crate::common::temp_dir("splat", "bad");
    let good = splat_records(&trained(4));
    let refused = |name: &str, bytes: &[u8], needle: &str| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = import_path(&path).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
        let err = import_bytes(&path, bytes).expect_err(name).to_string();
        assert!(
            err.contains(name) && err.contains(needle),
            "{name} in memory: {err}"
        );
    };
    refused("empty.splat", &[], "empty");
    refused("cut.splat", &good[..good.len() - 1], "31 bytes left over");
    refused(
        "long.splat",
        &[&good[..], b"x"].concat(),
        "1 bytes left over",
    );
    refused(
        "text.splat",
        b"ply\nformat ascii 1.0\n",
        "not a whole number",
    );

    // More records than worldsmith reads: refused from the length alone (a sparse file, so
    // nothing of its gigabyte is written or read).
    let huge = dir.join("huge.splat");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len((u64::from(worldsmith::import::MAX_SPLATS) + 1) * 32)
        .unwrap();
    let err = import_path(&huge).expect_err("huge").to_string();
    assert!(
        err.contains("huge.splat") && err.contains("more than"),
        "{err}"
    );

    // Non-finite or negative values are replaced, with one warning naming the file.
    let mut bad = good.clone();
    bad[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
    bad[32 + 12..32 + 16].copy_from_slice(&(-0.25f32).to_le_bytes());
    let path = dir.join("nan.splat");
    std::fs::write(&path, &bad).unwrap();
    let imported = import_path(&path).unwrap();
    assert_eq!(imported.warnings.len(), 1, "{:?}", imported.warnings);
    assert!(
        imported.warnings[0].contains("nan.splat") && imported.warnings[0].contains("2 splats")
    );
    let (_, cloud) = common::only_splats(&imported.scene);
    assert_eq!(cloud.positions[0][0], 0.0);
    assert_eq!(cloud.scales[1][0], 0.25);
    assert!(cloud.positions.iter().flatten().all(|v| v.is_finite()));
}

/// Every record's bytes flipped somewhere still loads or fails cleanly: random bytes are valid
/// records, and what they decode to is finite.
#[test]
fn random_records_decode_to_finite_splats() {
    let mut next = common::xorshift(0x5eed);
    let bytes: Vec<u8> = (0..32 * 1000).map(|_| (next() >> 56) as u8).collect();
    let imported = import_bytes(Path::new("noise.splat"), &bytes).unwrap();
    let (_, cloud) = common::only_splats(&imported.scene);
    assert_eq!(cloud.len(), 1000);
    for i in 0..1000 {
        assert!(
            cloud.positions[i]
                .iter()
                .chain(&cloud.scales[i])
                .all(|v| v.is_finite())
        );
        assert!(cloud.scales[i].iter().all(|&s| s >= 0.0));
        let len: f32 = cloud.rotations[i].iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!((len - 1.0).abs() < 1e-5);
    }
}
