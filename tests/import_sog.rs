//! SOG (PlayCanvas's compressed splats, meta version 2) as a user meets it: a `.sog` bundle
//! written by `splat-transform` itself opens as the splats it was made from, within the
//! format's quantisation, as does the same SOG as a folder of `meta.json` and WebP images;
//! damaged or hostile bundles fail with an error naming the file.

use crate::common;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use worldsmith::import::{import_bytes, import_path};
use worldsmith::scene::{SH_C0, SplatCloud};

/// `tests/data/sog/reference_sh3.sog` (see `tests/data/README.md`).
fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sog/reference_sh3.sog")
}

/// The entries of a zip archive, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (entry.name().unwrap().into_owned(), data)
        })
        .collect()
}

/// A zip archive of `entries`, stored.
fn zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, data) in entries {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(data).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// Checks the 64 splats of the reference SOG against the PLY they were made from, within
/// SOG's quantisation: 16 bits of log-scaled position, 256-entry codebooks (k-means over the
/// file's values) for scales, colours and SH, 8-bit opacity and "smallest three" rotations.
/// The writer stores splats in Morton order, so each is matched to the PLY's splat at its
/// position (and every PLY splat must be matched once).
fn check_reference(cloud: &SplatCloud) {
    assert_eq!(cloud.len(), 64);
    assert_eq!(cloud.sh_degree, 3);
    let matches = common::match_reference_splats(&cloud.positions);
    let mut worst = [0f32; 5];
    for (i, want) in matches.iter().enumerate() {
        for c in 0..3 {
            let p = want.pos[c];
            let err = (cloud.positions[i][c] - p).abs();
            // 16 bits over the log range (about ±1.8 here) at a slope of |p| + 1.
            let tol = 3.6 / 65535.0 * (p.abs() + 1.0) + 1e-5;
            assert!(
                err <= tol,
                "splat {i} position {c}: {} vs {p}",
                cloud.positions[i][c]
            );
            let log_err = (cloud.scales[i][c].ln() - want.log_scale[c]).abs();
            worst[0] = worst[0].max(log_err);
            let f_dc = (cloud.colors[i][c] - 0.5) / SH_C0;
            worst[1] = worst[1].max((f_dc - want.f_dc[c]).abs());
            for k in 0..15 {
                let got = cloud.sh_rest[(i * 15 + k) * 3 + c].to_f32();
                worst[2] = worst[2].max((got - want.rest[c * 15 + k]).abs());
            }
        }
        let opacity = 1.0 / (1.0 + (-want.logit).exp());
        worst[3] = worst[3].max((cloud.opacities[i] - opacity).abs());
        let [w, x, y, z] = want.rot_wxyz;
        let len = (w * w + x * x + y * y + z * z).sqrt();
        let q = cloud.rotations[i];
        let dot = (q[0] * x + q[1] * y + q[2] * z + q[3] * w) / len;
        worst[4] = worst[4].max(1.0 - dot.abs());
    }
    let [scale, dc, sh, opacity, rotation] = worst;
    assert!(scale < 0.015, "log scale off by {scale}");
    assert!(dc < 0.01, "DC colour off by {dc}");
    assert!(sh < 0.005, "SH off by {sh}");
    assert!(opacity <= 1.0 / 255.0 + 1e-6, "opacity off by {opacity}");
    assert!(rotation < 3e-4, "rotation off by 1 - |dot| = {rotation}");
}

#[test]
fn a_sog_written_by_splat_transform_opens_as_its_splats() {
    let imported = import_path(&reference()).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let (node, cloud) = common::only_splats(&imported.scene);
    assert_eq!(node.name, "reference_sh3");
    // The PLY's OpenCV frame, turned like a splat PLY.
    assert_eq!(
        node.transform.rotation,
        worldsmith::import::ply::GL_FROM_CV,
        "turned from OpenCV axes"
    );
    check_reference(cloud);

    // A version written 2.0 is version 2.
    let mut entries_v2 = entries(&std::fs::read(reference()).unwrap());
    for (name, data) in &mut entries_v2 {
        if name == "meta.json" {
            let mut meta: serde_json::Value = serde_json::from_slice(data).unwrap();
            meta["version"] = serde_json::json!(2.0);
            *data = serde_json::to_vec(&meta).unwrap();
        }
    }
    let float_version = import_bytes(Path::new("f.sog"), &zip(&entries_v2)).unwrap();
    assert_eq!(
        common::only_splats(&float_version.scene).1.positions,
        cloud.positions
    );

    // The same bytes in memory.
    let bytes = std::fs::read(reference()).unwrap();
    let in_memory = import_bytes(&reference(), &bytes).unwrap();
    assert_eq!(
        common::only_splats(&in_memory.scene).1.positions,
        cloud.positions
    );

    // The same SOG as a folder: opened as the folder, or as its meta.json.
    let dir = crate::common::temp_dir("sog", "folder");
    let folder = dir.join("garden");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, data) in entries(&bytes) {
        std::fs::write(folder.join(name), data).unwrap();
    }
    for path in [folder.clone(), folder.join("meta.json")] {
        let imported = import_path(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (node, from_folder) = common::only_splats(&imported.scene);
        assert_eq!(node.name, "garden");
        assert_eq!(from_folder.positions, cloud.positions);
        assert_eq!(from_folder.sh_rest, cloud.sh_rest);
    }

    // A world-model folder takes a .sog layer like a splat PLY.
    let world = dir.join("world");
    std::fs::create_dir_all(&world).unwrap();
    std::fs::write(world.join("scene.sog"), &bytes).unwrap();
    let imported = import_path(&world).unwrap();
    assert!(imported.scene.nodes().any(|n| n.name == "scene (splats)"));
}

#[test]
fn damaged_sog_bundles_fail_naming_the_file() {
    let dir = crate::common::temp_dir("sog", "bad");
    let good = entries(&std::fs::read(reference()).unwrap());
    let meta: serde_json::Value =
        serde_json::from_slice(&good.iter().find(|(n, _)| n == "meta.json").unwrap().1).unwrap();
    // The bundle with `meta.json` changed by `edit`, or with entry `name` replaced.
    let with_meta = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut meta = meta.clone();
        edit(&mut meta);
        let mut entries = good.clone();
        for (name, data) in &mut entries {
            if name == "meta.json" {
                *data = serde_json::to_vec(&meta).unwrap();
            }
        }
        zip(&entries)
    };
    let with_entry = |entry: &str, data: Option<Vec<u8>>| {
        let entries: Vec<_> = good
            .iter()
            .filter_map(|(n, d)| match (n == entry, &data) {
                (false, _) => Some((n.clone(), d.clone())),
                (true, Some(new)) => Some((n.clone(), new.clone())),
                (true, None) => None,
            })
            .collect();
        zip(&entries)
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("text.sog", b"hello".to_vec(), "not a readable zip archive"),
        ("nometa.sog", with_entry("meta.json", None), "meta.json"),
        (
            "json.sog",
            with_entry("meta.json", Some(b"{ nope".to_vec())),
            "not valid JSON",
        ),
        (
            "v1.sog",
            with_meta(&|m| {
                m.as_object_mut().unwrap().remove("version");
            }),
            "not a SOG description",
        ),
        (
            "v3.sog",
            with_meta(&|m| m["version"] = 3.into()),
            "SOG version 3",
        ),
        (
            "v2.5.sog",
            with_meta(&|m| m["version"] = 2.5.into()),
            "not a SOG description",
        ),
        (
            "zero.sog",
            with_meta(&|m| m["count"] = 0.into()),
            "no splats",
        ),
        (
            "huge.sog",
            with_meta(&|m| m["count"] = 4_000_000_000u64.into()),
            "more than",
        ),
        // More splats than the images hold: refused from the image header.
        (
            "count.sog",
            with_meta(&|m| m["count"] = 100_000.into()),
            "texels",
        ),
        (
            "codebook.sog",
            with_meta(&|m| m["scales"]["codebook"] = serde_json::json!([1.0, 2.0])),
            "2 entries instead of 256",
        ),
        (
            "bands.sog",
            with_meta(&|m| m["shN"]["bands"] = 7.into()),
            "7 SH bands",
        ),
        ("noquats.sog", with_entry("quats.webp", None), "quats.webp"),
        (
            "badwebp.sog",
            with_entry("scales.webp", Some(b"RIFF0000WEBPVP8L".to_vec())),
            "scales.webp",
        ),
        (
            "wide.sog",
            with_entry(
                "shN_centroids.webp",
                good.iter()
                    .find(|(n, _)| n == "sh0.webp")
                    .map(|e| e.1.clone()),
            ),
            "texels wide",
        ),
        (
            "missing.sog",
            with_meta(&|m| m["means"]["files"] = serde_json::json!(["means_l.webp"])),
            "means (high bytes)",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = import_path(&path).map(|_| ()).expect_err(name).to_string();
        assert!(err.contains(name) && err.contains(needle), "{name}: {err}");
    }

    // A folder's meta.json naming a file outside the folder is refused, not followed.
    let folder = dir.join("escape");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, data) in &good {
        std::fs::write(folder.join(name), data).unwrap();
    }
    std::fs::write(dir.join("outside.webp"), b"x").unwrap();
    let mut escaping = meta.clone();
    escaping["quats"]["files"] = serde_json::json!(["../outside.webp"]);
    std::fs::write(
        folder.join("meta.json"),
        serde_json::to_vec(&escaping).unwrap(),
    )
    .unwrap();
    let err = import_path(&folder)
        .map(|_| ())
        .expect_err("escape")
        .to_string();
    assert!(err.contains("not a plain file name"), "{err}");

    // The bundle cut anywhere, or with bytes flipped: an error naming it or a clean load.
    let bytes = std::fs::read(reference()).unwrap();
    for cut in (0..bytes.len()).step_by(997) {
        let err = import_bytes(Path::new("cut.sog"), &bytes[..cut])
            .map(|_| ())
            .expect_err("cut");
        assert!(err.to_string().contains("cut.sog"), "{err}");
    }
    for at in (0..bytes.len()).step_by(101) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 0x5a;
        if let Err(e) = import_bytes(Path::new("flip.sog"), &flipped) {
            assert!(e.to_string().contains("flip.sog"), "{e}");
        }
    }
}

/// The version 1 layout (no `version`; each byte a lerp between per-channel bounds, the
/// opacity a logit, the SH palette's band count given by its width), made here from the
/// reference bundle by re-quantising its values as `read-sog-v1.ts` reads them: it decodes to
/// the version 2 bundle's splats within version 1's 8-bit steps.
#[test]
fn a_version_1_sog_decodes_like_its_version_2_source() {
    let bytes = std::fs::read(reference()).unwrap();
    let v2_entries = entries(&bytes);
    let file = |name: &str| {
        v2_entries
            .iter()
            .find(|(n, _)| n == name)
            .unwrap()
            .1
            .clone()
    };
    let meta: serde_json::Value = serde_json::from_slice(&file("meta.json")).unwrap();
    let image = |name: &str| image::load_from_memory(&file(name)).unwrap().into_rgba8();
    let webp = |img: &image::RgbaImage| {
        let mut out = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut out)
            .encode(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    };
    let codebook = |key: &str| -> Vec<f32> {
        let path: Vec<&str> = key.split('.').collect();
        let mut v = &meta;
        for k in path {
            v = &v[k];
        }
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect()
    };
    // Bytes of `values` lerped between their min and max.
    let requantise = |values: &[f32]| {
        let (lo, hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        let byte = move |v: f32| ((v - lo) / (hi - lo) * 255.0).round() as u8;
        (lo, hi, byte)
    };
    // Scales: each axis its own bounds.
    let scales_code = codebook("scales.codebook");
    let mut scales = image("scales.webp");
    let mut bounds = (vec![], vec![]);
    for axis in 0..3 {
        let used: Vec<f32> = scales
            .pixels()
            .take(64)
            .map(|p| scales_code[usize::from(p[axis])])
            .collect();
        let (lo, hi, byte) = requantise(&used);
        bounds.0.push(lo);
        bounds.1.push(hi);
        for p in scales.pixels_mut().take(64) {
            p[axis] = byte(scales_code[usize::from(p[axis])]);
        }
    }
    let scale_bounds = bounds.clone();
    // sh0: colours per channel, opacity as a logit.
    let dc_code = codebook("sh0.codebook");
    let mut sh0 = image("sh0.webp");
    let mut bounds = (vec![], vec![]);
    for channel in 0..4 {
        let value = |b: u8| {
            if channel < 3 {
                dc_code[usize::from(b)]
            } else {
                let o = (f32::from(b) / 255.0).clamp(1e-4, 1.0 - 1e-4);
                (o / (1.0 - o)).ln()
            }
        };
        let used: Vec<f32> = sh0.pixels().take(64).map(|p| value(p[channel])).collect();
        let (lo, hi, byte) = requantise(&used);
        bounds.0.push(lo);
        bounds.1.push(hi);
        for p in sh0.pixels_mut().take(64) {
            p[channel] = byte(value(p[channel]));
        }
    }
    let sh0_bounds = bounds;
    // shN: one scalar range for every palette byte.
    let sh_code = codebook("shN.codebook");
    let mut centroids = image("shN_centroids.webp");
    let used: Vec<f32> = centroids
        .pixels()
        .flat_map(|p| [p[0], p[1], p[2]])
        .map(|b| sh_code[usize::from(b)])
        .collect();
    let (sh_lo, sh_hi, byte) = requantise(&used);
    for p in centroids.pixels_mut() {
        for c in 0..3 {
            p[c] = byte(sh_code[usize::from(p[c])]);
        }
    }
    let v1_meta = serde_json::json!({
        "means": {
            "shape": [64, 3],
            "mins": meta["means"]["mins"],
            "maxs": meta["means"]["maxs"],
            "files": ["means_l.webp", "means_u.webp"],
        },
        "scales": { "mins": scale_bounds.0, "maxs": scale_bounds.1, "files": ["scales.webp"] },
        "quats": { "files": ["quats.webp"] },
        "sh0": { "mins": sh0_bounds.0, "maxs": sh0_bounds.1, "files": ["sh0.webp"] },
        "shN": {
            "shape": [64, 45],
            "mins": sh_lo,
            "maxs": sh_hi,
            "quantization": 8,
            "files": ["shN_centroids.webp", "shN_labels.webp"],
        },
    });
    let v1 = zip(&[
        ("meta.json".into(), serde_json::to_vec(&v1_meta).unwrap()),
        ("means_l.webp".into(), file("means_l.webp")),
        ("means_u.webp".into(), file("means_u.webp")),
        ("quats.webp".into(), file("quats.webp")),
        ("scales.webp".into(), webp(&scales)),
        ("sh0.webp".into(), webp(&sh0)),
        ("shN_centroids.webp".into(), webp(&centroids)),
        ("shN_labels.webp".into(), file("shN_labels.webp")),
    ]);
    let from_v1 = import_bytes(Path::new("v1.sog"), &v1).unwrap();
    assert!(from_v1.warnings.is_empty(), "{:?}", from_v1.warnings);
    let from_v2 = import_bytes(Path::new("v2.sog"), &bytes).unwrap();
    let (_, a) = common::only_splats(&from_v1.scene);
    let (_, b) = common::only_splats(&from_v2.scene);
    assert_eq!(
        a.sh_degree, 3,
        "three bands, from the palette's 960-texel width"
    );
    assert_eq!(a.positions, b.positions);
    assert_eq!(a.rotations, b.rotations);
    let step = |lo: f32, hi: f32| (hi - lo) / 255.0 * 0.5 + 1e-5;
    for i in 0..64 {
        for c in 0..3 {
            let tol = step(scale_bounds.0[c], scale_bounds.1[c]);
            assert!(
                (a.scales[i][c].ln() - b.scales[i][c].ln()).abs() <= tol,
                "scale {i} {c}"
            );
            let tol = step(sh0_bounds.0[c], sh0_bounds.1[c]) * SH_C0;
            assert!(
                (a.colors[i][c] - b.colors[i][c]).abs() <= tol,
                "colour {i} {c}"
            );
            for k in 0..15 {
                let at = (i * 15 + k) * 3 + c;
                let (x, y) = (a.sh_rest[at].to_f32(), b.sh_rest[at].to_f32());
                assert!(
                    (x - y).abs() <= step(sh_lo, sh_hi) + 1e-3,
                    "SH {i} {k} {c}: {x} vs {y}"
                );
            }
        }
        // Opacity through the logit: within a step of the logit, at the sigmoid's slope.
        assert!(
            (a.opacities[i] - b.opacities[i]).abs() <= 0.02,
            "opacity {i}"
        );
    }
}
