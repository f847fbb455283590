//! GaussianSplats3D's `.ksplat` as a user meets it: files written by the library itself (its
//! PLY loader and `SplatBuffer` writer, as `create-ksplat` runs them) at each compression
//! level open as the splats of the PLY they were made from, within the level's precision,
//! under the same OpenCV-to-Y-up node as a splat PLY; damaged or hostile files fail with an
//! error naming the file.

use crate::common;
use std::path::{Path, PathBuf};
use worldsmith::import::{import_bytes, import_path};
use worldsmith::scene::{SH_C0, SplatCloud};

/// `tests/data/ksplat/NAME` (see `tests/data/README.md`).
fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ksplat")
        .join(name)
}

/// How closely a compression level keeps each value.
struct Precision {
    /// Centre, in units (level 0: f32; above: a 16-bit step of the bucket's half block).
    position: f32,
    /// Relative scale error (f16 above level 0).
    scale: f32,
    /// 1 − |dot| of the rotations.
    rotation: f32,
    /// Absolute SH error (f16, or 8 bits over the file's ±0.3 at level 2).
    sh: f32,
}

/// The byte GaussianSplats3D's PLY loader stores for a 0..1 value: `floor(v · 255)`, clamped.
fn stored_byte(v: f64) -> f32 {
    (v * 255.0).floor().clamp(0.0, 255.0) as f32 / 255.0
}

/// Checks the 64 splats of a reference file against the PLY they were made from. The writer
/// sorts splats into buckets by position, so each is matched to the PLY's splat at its
/// position (and every PLY splat must be matched once).
fn check_reference(cloud: &SplatCloud, precision: &Precision) {
    assert_eq!(cloud.len(), 64);
    assert_eq!(cloud.sh_degree, 2, "the files hold SH degree 2");
    let matches = common::match_reference_splats(&cloud.positions);
    for (i, want) in matches.iter().enumerate() {
        for c in 0..3 {
            let err = (cloud.positions[i][c] - want.pos[c]).abs();
            assert!(
                err <= precision.position,
                "splat {i} position {c}: {} vs {}",
                cloud.positions[i][c],
                want.pos[c]
            );
            let scale = want.log_scale[c].exp();
            let err = (cloud.scales[i][c] - scale).abs() / scale;
            assert!(err <= precision.scale, "splat {i} scale {c}: {err}");
            // Colour and opacity are bytes at every level.
            let dc = stored_byte(0.5 + f64::from(SH_C0) * f64::from(want.f_dc[c]));
            assert!(
                (cloud.colors[i][c] - dc).abs() < 1e-6,
                "splat {i} colour {c}: {} vs {dc}",
                cloud.colors[i][c]
            );
            // Degree 1 and 2: the PLY's f_rest of channel c are its 15 values from c · 15.
            for k in 0..8 {
                let got = cloud.sh_rest[(i * 8 + k) * 3 + c].to_f32();
                let err = (got - want.rest[c * 15 + k]).abs();
                assert!(err <= precision.sh, "splat {i} SH {k} channel {c}: {err}");
            }
        }
        let opacity = stored_byte(1.0 / (1.0 + (-f64::from(want.logit)).exp()));
        assert!(
            (cloud.opacities[i] - opacity).abs() < 1e-6,
            "splat {i} opacity"
        );
        let [w, x, y, z] = want.rot_wxyz;
        let len = (w * w + x * x + y * y + z * z).sqrt();
        let q = cloud.rotations[i];
        let dot = (q[0] * x + q[1] * y + q[2] * z + q[3] * w) / len;
        assert!(
            1.0 - dot.abs() <= precision.rotation,
            "splat {i} rotation: 1 - |dot| = {}",
            1.0 - dot.abs()
        );
    }
}

#[test]
fn ksplat_files_written_by_gaussian_splats_3d_open_as_their_splats() {
    // three.js's `toHalfFloat`, which the writer uses, truncates: one f16 step, not half.
    let half = 2f32.powi(-10);
    let cases = [
        // Level 0: f32 throughout, one section, no buckets.
        (
            "reference_l0_sh2.ksplat",
            Precision {
                position: 1e-6,
                scale: 1e-6,
                rotation: 1e-6,
                // A splat cloud keeps SH coefficients as half floats (rounded: half a step).
                sh: 0.3 * half / 2.0,
            },
        ),
        // Level 1: half floats, centres 16-bit within 5-unit blocks (8 partly filled buckets).
        (
            "reference_l1_sh2.ksplat",
            Precision {
                position: 2.5 / 32767.0 * 0.5 + 1e-5,
                scale: half,
                rotation: 1e-5,
                sh: 0.3 * half,
            },
        ),
        // Level 2: 8-bit SH; four sections of 16 splats, full and partly filled buckets of
        // 3 splats in 4-unit blocks.
        (
            "reference_l2_sh2_sections.ksplat",
            Precision {
                position: 2.0 / 32767.0 * 0.5 + 1e-5,
                scale: half,
                rotation: 1e-5,
                sh: 0.6 / 255.0 + 1e-4,
            },
        ),
    ];
    for (name, precision) in &cases {
        let imported = import_path(&reference(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
        let (node, cloud) = common::only_splats(&imported.scene);
        assert_eq!(node.name, name.trim_end_matches(".ksplat"));
        assert_eq!(
            node.transform.rotation,
            worldsmith::import::ply::GL_FROM_CV,
            "turned from OpenCV axes"
        );
        println!("{name}");
        check_reference(cloud, precision);

        // The same bytes in memory.
        let bytes = std::fs::read(reference(name)).unwrap();
        let in_memory = import_bytes(&reference(name), &bytes).unwrap();
        let (_, again) = common::only_splats(&in_memory.scene);
        assert_eq!(again.positions, cloud.positions);
        assert_eq!(again.sh_rest, cloud.sh_rest);
    }

    // A world-model folder takes a .ksplat layer like a splat PLY.
    let world = crate::common::temp_dir("ksplat", "world");
    std::fs::copy(
        reference("reference_l1_sh2.ksplat"),
        world.join("scene.ksplat"),
    )
    .unwrap();
    let imported = import_path(&world).unwrap();
    assert!(imported.scene.nodes().any(|n| n.name == "scene (splats)"));
}

#[test]
fn damaged_ksplat_files_fail_naming_the_file() {
    let dir = crate::common::temp_dir("ksplat", "bad");
    let good = std::fs::read(reference("reference_l2_sh2_sections.ksplat")).unwrap();
    let edited = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = good.clone();
        edit(&mut bytes);
        bytes
    };
    let put_u32 = |bytes: &mut Vec<u8>, at: usize, v: u32| {
        bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    let section = |i: usize| 4096 + 1024 * i;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "empty.ksplat",
            Vec::new(),
            "shorter than the 4096-byte header",
        ),
        ("short.ksplat", good[..4000].to_vec(), "shorter than"),
        ("version.ksplat", edited(&|b| b[0] = 1), "version 1.1"),
        ("old.ksplat", edited(&|b| b[1] = 0), "version 0.0"),
        (
            "level.ksplat",
            edited(&|b| b[20] = 3),
            "compression level 3",
        ),
        (
            "sections.ksplat",
            edited(&|b| put_u32(b, 4, u32::MAX)),
            "4294967295 sections",
        ),
        (
            "degree.ksplat",
            edited(&|b| b[section(2) + 40] = 3),
            "section 2 has SH degree 3",
        ),
        (
            "count.ksplat",
            edited(&|b| put_u32(b, section(3) + 4, 4_000_000)),
            "section 3 (4000000 splats",
        ),
        (
            "huge.ksplat",
            edited(&|b| put_u32(b, section(0) + 4, u32::MAX)),
            "runs past the end",
        ),
        // No partly filled buckets: the section's buckets no longer hold its splats (and the
        // section data shifts, so say nothing about what follows).
        (
            "buckets.ksplat",
            edited(&|b| put_u32(b, section(1) + 36, 0)),
            "section 1: its buckets hold",
        ),
        (
            "table.ksplat",
            edited(&|b| put_u32(b, section(0) + 32, 9)),
            "do not fit its table",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = import_path(&path).map(|_| ()).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
    }

    // Cut anywhere: every section must fit, so every cut is an error naming the file.
    for cut in (0..good.len()).step_by(97) {
        let err = import_bytes(Path::new("cut.ksplat"), &good[..cut])
            .map(|_| ())
            .expect_err("cut");
        assert!(err.to_string().contains("cut.ksplat"), "{err}");
    }
    // Bytes flipped anywhere: an error naming the file or a clean load, never a panic.
    for at in (0..good.len()).step_by(7) {
        let mut flipped = good.clone();
        flipped[at] ^= 0xa5;
        if let Err(e) = import_bytes(Path::new("flip.ksplat"), &flipped) {
            assert!(e.to_string().contains("flip.ksplat"), "{e}");
        }
    }
}
