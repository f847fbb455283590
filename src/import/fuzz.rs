//! Fuzzing harness bodies: what each target in `fuzz/` (docs/FUZZING.md) does with one input.
//!
//! They live in the library, not in `fuzz/`, so that the test suite runs the very same bodies
//! over the seed corpus and every saved reproducer (`tests/import_fuzz.rs`) and CI exercises
//! them without a fuzzer. Each body hands the bytes to [`import_bytes`] and panics only where
//! the importer broke one of its promises: a panic inside the importer, an error or warning
//! that does not name the file, or a scene whose arrays disagree or whose splats are not what
//! the renderer expects. So every crash libFuzzer reports is a bug in `import`.
//!
//! Nothing is written to disk. The glTF body names its input inside a folder that does not
//! exist, so relative URIs fail like missing files and never reach a real file.

use super::{ImportError, Imported, import_bytes};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// First byte of an SPZ input that holds the decompressed SPZ stream rather than a whole file.
/// The body gzips the rest itself: random mutations of a gzip file almost never get past its
/// CRC, so without this the decoder behind it would hardly be reached.
pub const SPZ_STREAM: u8 = 0;

/// First byte of a glTF input that holds `JSON length (u16 little-endian), JSON, BIN` for the
/// body to wrap in a well-formed GLB container, so mutations land in the JSON and the binary
/// data rather than in chunk lengths. Inputs starting with `glTF` are GLB files as they are;
/// anything else is `.gltf` JSON.
pub const GLB_PARTS: u8 = 0;

/// What the first byte of a `fuzz_splats` input says the rest is (taken modulo 4): the
/// records of a `.splat` file, a `.ksplat` file, a `.sog` bundle as it is, or the entries of a
/// SOG bundle as `name length (u8), name, data length (u32 little-endian), data`, which the
/// body stores in a fresh zip: a mutated entry in a real bundle fails its CRC, so without
/// this `meta.json` and the WebP images behind it would hardly be reached.
pub const SPLATS_SPLAT: u8 = 0;
/// See [`SPLATS_SPLAT`].
pub const SPLATS_KSPLAT: u8 = 1;
/// See [`SPLATS_SPLAT`].
pub const SPLATS_SOG: u8 = 2;
/// See [`SPLATS_SPLAT`].
pub const SPLATS_SOG_PARTS: u8 = 3;

/// Imports `data` as a `.splat`, `.ksplat` or `.sog` file (see [`SPLATS_SPLAT`]) and checks
/// the result.
pub fn splats(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 4 {
        SPLATS_SPLAT => check(Path::new("fuzz.splat"), rest),
        SPLATS_KSPLAT => check(Path::new("fuzz.ksplat"), rest),
        SPLATS_SOG => check(Path::new("fuzz.sog"), rest),
        _ => check(Path::new("fuzz.sog"), &zip_from_parts(rest)),
    }
}

/// A stored zip of the entries in `parts` (see [`SPLATS_SOG_PARTS`]); a length running past
/// the input takes what is left, a repeated name is skipped, at most 16 entries.
pub fn zip_from_parts(mut parts: &[u8]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for _ in 0..16 {
        let Some((&name_len, rest)) = parts.split_first() else {
            break;
        };
        let (name, rest) = rest.split_at(usize::from(name_len).min(rest.len()));
        let (len, rest) = match rest.split_first_chunk::<4>() {
            Some((len, rest)) => (u32::from_le_bytes(*len) as usize, rest),
            None => (0, &[][..]),
        };
        let (data, rest) = rest.split_at(len.min(rest.len()));
        parts = rest;
        let name = String::from_utf8_lossy(name);
        // Writing into memory fails only on a name the archive already holds: skip it.
        if writer.start_file(name.as_ref(), options).is_ok() {
            writer.write_all(data).ok();
        }
    }
    writer
        .finish()
        .map(std::io::Cursor::into_inner)
        .unwrap_or_default()
}

/// Imports `data` as a `.ply` file and checks the result.
pub fn ply(data: &[u8]) {
    check(Path::new("fuzz.ply"), data);
}

/// Imports `data` as an `.spz` file (or, after [`SPZ_STREAM`], as a gzipped SPZ stream) and
/// checks the result.
pub fn spz(data: &[u8]) {
    match data.split_first() {
        Some((&SPZ_STREAM, stream)) => check(Path::new("fuzz.spz"), &gzip(stream)),
        _ => check(Path::new("fuzz.spz"), data),
    }
}

/// Imports `data` as a `.glb` or `.gltf` file (see [`GLB_PARTS`]) and checks the result.
pub fn gltf(data: &[u8]) {
    let folder = absent_folder();
    match data {
        [GLB_PARTS, rest @ ..] => check(&folder.join("fuzz.glb"), &glb_from_parts(rest)),
        [b'g', b'l', b'T', b'F', ..] => check(&folder.join("fuzz.glb"), data),
        _ => check(&folder.join("fuzz.gltf"), data),
    }
}

/// A folder that does not exist (named after this process), for glTF inputs to live in.
fn absent_folder() -> PathBuf {
    std::env::temp_dir().join(format!("worldsmith-fuzz-{}-absent", std::process::id()))
}

/// `stream` in a gzip container, stored rather than compressed (the fastest way to a valid
/// file; the decoder's inflate path is fuzzed through whole-file inputs).
fn gzip(stream: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::none());
    // Writing to a Vec cannot fail; an empty result would only make a shorter input.
    gz.write_all(stream).ok();
    gz.finish().unwrap_or_default()
}

/// A GLB file from `JSON length (u16 LE), JSON, BIN` (see [`GLB_PARTS`]); a short input gives
/// what it has (an empty JSON chunk, no BIN chunk).
fn glb_from_parts(parts: &[u8]) -> Vec<u8> {
    let (json_len, rest) = match parts {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, parts),
    };
    let (json, bin) = rest.split_at(json_len.min(rest.len()));
    let padded = |len: usize| len.next_multiple_of(4);
    let mut out = Vec::with_capacity(12 + 8 + padded(json.len()) + 8 + padded(bin.len()));
    let total = 12
        + 8
        + padded(json.len())
        + if bin.is_empty() {
            0
        } else {
            8 + padded(bin.len())
        };
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(padded(json.len()) as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(json);
    out.resize(out.len() + padded(json.len()) - json.len(), b' ');
    if !bin.is_empty() {
        out.extend_from_slice(&(padded(bin.len()) as u32).to_le_bytes());
        out.extend_from_slice(b"BIN\0");
        out.extend_from_slice(bin);
        out.resize(out.len() + padded(bin.len()) - bin.len(), 0);
    }
    out
}

/// Imports `bytes` as the file `path` and checks what came back.
fn check(path: &Path, bytes: &[u8]) {
    let name = path.display().to_string();
    match import_bytes(path, bytes) {
        Err(error) => {
            let message = error.to_string();
            assert!(
                message.contains(&name),
                "the error does not name the file: {message}"
            );
            assert!(
                !matches!(
                    error,
                    ImportError::Cancelled { .. } | ImportError::Unsupported { .. }
                ),
                "nothing cancelled and the extension is supported: {message}"
            );
        }
        Ok(imported) => check_imported(&name, &imported),
    }
}

/// The promises an imported scene keeps whatever the file held.
fn check_imported(name: &str, imported: &Imported) {
    for warning in &imported.warnings {
        assert!(
            warning.contains(name),
            "the warning does not name the file: {warning}"
        );
    }
    let scene = &imported.scene;
    for (id, mesh) in scene.meshes() {
        let n = mesh.positions.len();
        assert_eq!(
            mesh.indices.len() % 3,
            0,
            "mesh {id:?}: not whole triangles"
        );
        if let Some(bad) = mesh.indices.iter().find(|&&i| i as usize >= n) {
            panic!("mesh {id:?}: index {bad} but {n} vertices");
        }
        let normals = mesh.normals.len();
        assert_eq!(
            normals, n,
            "mesh {id:?}: {normals} normals for {n} vertices"
        );
        for (what, len) in [
            ("uvs", mesh.uvs.len()),
            ("colors", mesh.colors.len()),
            ("tangents", mesh.tangents.len()),
        ] {
            assert!(
                len == 0 || len == n,
                "mesh {id:?}: {len} {what} for {n} vertices"
            );
        }
    }
    for (node, skin) in scene.skins() {
        if let Err(problem) = skin.check() {
            panic!("skin of {node:?}: {problem}");
        }
        let holds_mesh = scene
            .node(node)
            .is_some_and(|n| matches!(n.kind, crate::scene::NodeKind::Mesh { .. }));
        assert!(holds_mesh, "skin of {node:?}: not a mesh node");
        for joint in &skin.joints {
            assert!(
                scene.node(*joint).is_some(),
                "skin of {node:?}: joint {joint:?} missing"
            );
        }
    }
    for (node, morph) in scene.morphs() {
        if let Err(problem) = morph.check() {
            panic!("morph of {node:?}: {problem}");
        }
        let shown = scene.node(node).and_then(|n| match n.kind {
            crate::scene::NodeKind::Mesh { mesh, .. } => scene.mesh(mesh),
            _ => None,
        });
        let shown = shown.unwrap_or_else(|| panic!("morph of {node:?}: not a mesh node"));
        assert_eq!(
            morph.base.positions.len(),
            shown.positions.len(),
            "morph of {node:?}: base and shown mesh differ in vertices"
        );
        if let Some(skin) = scene.skin(node) {
            assert_eq!(
                skin.bind.positions.len(),
                morph.base.positions.len(),
                "morph of {node:?}: base and bind mesh differ in vertices"
            );
        }
    }
    for (id, cloud) in scene.point_clouds() {
        let n = cloud.len();
        for (what, len) in [
            ("colors", cloud.colors.len()),
            ("normals", cloud.normals.len()),
        ] {
            assert!(
                len == 0 || len == n,
                "points {id:?}: {len} {what} for {n} points"
            );
        }
        let finite = cloud.positions.iter().flatten().all(|c| c.is_finite());
        assert!(finite, "points {id:?}: a non-finite position");
        assert!(
            cloud.segments_in_range(),
            "points {id:?}: a segment joins a point beyond the {n} points"
        );
    }
    for (id, cloud) in scene.splat_clouds() {
        let finite = |v: &[f32]| v.iter().all(|c| c.is_finite());
        for (i, p) in cloud.positions.iter().enumerate() {
            assert!(finite(p), "splats {id:?}: centre {i} is {p:?}");
        }
        for (i, s) in cloud.scales.iter().enumerate() {
            assert!(
                finite(s) && s.iter().all(|&c| c >= 0.0),
                "splats {id:?}: scale {i} is {s:?}"
            );
        }
        for (i, q) in cloud.rotations.iter().enumerate() {
            let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
            assert!(
                (len - 1.0).abs() < 1e-3,
                "splats {id:?}: rotation {i} is {q:?}"
            );
        }
        for (i, &o) in cloud.opacities.iter().enumerate() {
            assert!(
                (0.0..=1.0).contains(&o),
                "splats {id:?}: opacity {i} is {o}"
            );
        }
        for (i, c) in cloud.colors.iter().enumerate() {
            assert!(finite(c), "splats {id:?}: colour {i} is {c:?}");
        }
        if let Some(v) = cloud.sh_rest.iter().find(|v| !v.is_finite()) {
            panic!("splats {id:?}: SH coefficient {v}");
        }
    }
}
