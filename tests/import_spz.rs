//! SPZ import as a user meets it: files written by an independent encoder (following the
//! quantisation of Niantic's reference `load-spz.cc`) decode to the splats that went in, within
//! the format's precision, for versions 1, 2 and 3 and SH degrees 0 to 4; hostile files (bad
//! headers, truncation anywhere, gzip bombs, garbage) fail with an error naming the file and
//! never panic.

use crate::common;

use flate2::Compression;
use flate2::write::GzEncoder;
use glam::{Mat3, Quat, Vec3};
use half::f16;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use worldsmith::import::{ImportError, Progress, import_bytes, import_path, read_spz};
use worldsmith::scene::{NodeKind, SH_C0, SplatCloud};

/// One splat as a trainer holds it (pre-activation where the format stores activations).
#[derive(Clone, Debug)]
struct Splat {
    pos: [f32; 3],
    /// `[x, y, z, w]`, any length.
    rot: [f32; 4],
    /// Linear standard deviations.
    scale: [f32; 3],
    /// 0..1
    opacity: f32,
    f_dc: [f32; 3],
    /// Higher-order SH, coefficient-major, channel-minor (`k * 3 + c`).
    sh: Vec<f32>,
}

fn sh_dim(degree: u8) -> usize {
    let d = usize::from(degree) + 1;
    d * d - 1
}

/// The reference's `toUint8`.
fn to_u8(x: f32) -> u8 {
    x.round().clamp(0.0, 255.0) as u8
}

/// The reference's `quantizeSH`.
fn quantize_sh(x: f32, bucket: i32) -> u8 {
    let q = ((x * 128.0).round() + 128.0) as i32;
    let q = (q + bucket / 2) / bucket * bucket;
    q.clamp(0, 255) as u8
}

fn unit(q: [f32; 4]) -> [f32; 4] {
    let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
    q.map(|c| c / len)
}

/// The reference's `packQuaternionSmallestThree`.
fn pack_smallest_three(q: [f32; 4]) -> [u8; 4] {
    let q = unit(q);
    let mut largest = 0;
    for i in 1..4 {
        if q[i].abs() > q[largest].abs() {
            largest = i;
        }
    }
    let negate = q[largest] < 0.0;
    let mut comp = largest as u32;
    for (i, &c) in q.iter().enumerate() {
        if i != largest {
            let negbit = u32::from((c < 0.0) ^ negate);
            let mag = (511.0 * (c.abs() / std::f32::consts::FRAC_1_SQRT_2) + 0.5) as u32;
            comp = (comp << 10) | (negbit << 9) | mag;
        }
    }
    comp.to_le_bytes()
}

/// The reference's `packQuaternionFirstThree`.
fn pack_first_three(q: [f32; 4]) -> [u8; 3] {
    let q = unit(q);
    let s = if q[3] < 0.0 { -127.5 } else { 127.5 };
    [
        to_u8(q[0] * s + 127.5),
        to_u8(q[1] * s + 127.5),
        to_u8(q[2] * s + 127.5),
    ]
}

/// The decompressed SPZ stream (header and sections) for `splats`, like the reference's
/// `packGaussians` + `serializePackedGaussians`, with 12 fractional bits.
fn encode(splats: &[Splat], version: u32, sh_degree: u8, flags: u8) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0x5053_474e_u32.to_le_bytes());
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(splats.len() as u32).to_le_bytes());
    out.extend_from_slice(&[sh_degree, 12, flags, 0]);
    for s in splats {
        for p in s.pos {
            if version == 1 {
                out.extend_from_slice(&f16::from_f32(p).to_le_bytes());
            } else {
                let fixed = (p * 4096.0).round() as i32;
                out.extend_from_slice(&fixed.to_le_bytes()[..3]);
            }
        }
    }
    for s in splats {
        out.push(to_u8(s.opacity * 255.0));
    }
    for s in splats {
        for c in s.f_dc {
            out.push(to_u8(c * (0.15 * 255.0) + 0.5 * 255.0));
        }
    }
    for s in splats {
        for c in s.scale {
            out.push(to_u8((c.ln() + 10.0) * 16.0));
        }
    }
    for s in splats {
        if version >= 3 {
            out.extend_from_slice(&pack_smallest_three(s.rot));
        } else {
            out.extend_from_slice(&pack_first_three(s.rot));
        }
    }
    let dim = sh_dim(sh_degree);
    for s in splats {
        for k in 0..dim {
            for c in 0..3 {
                let bucket = if k < 3 { 1 << (8 - 5) } else { 1 << (8 - 4) };
                out.push(quantize_sh(s.sh[k * 3 + c], bucket));
            }
        }
    }
    out
}

/// Version 4 of the same splats (quantised as version 3) with the extension records `ext`.
fn encode_v4(splats: &[Splat], sh_degree: u8, flags: u8, ext: &[u8]) -> Vec<u8> {
    common::spz_v4(&[encode(splats, 4, sh_degree, flags), ext.to_vec()].concat())
}

/// One extension record: type, payload length, payload.
fn record(kind: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = kind.to_le_bytes().to_vec();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn gzip(raw: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(raw).unwrap();
    enc.finish().unwrap()
}

/// Deterministic splats covering the interesting cases: negative and fractional positions,
/// rotations with w < 0 and with x, y, z or w the largest component, SH of both signs.
fn test_splats(sh_degree: u8) -> Vec<Splat> {
    let rotations = [
        [0.0, 0.0, 0.0, 1.0],
        [0.0, 0.0, 0.0, -1.0],
        [0.9, 0.1, -0.2, 0.3],
        [-0.1, -0.95, 0.2, 0.15],
        [0.2, 0.1, 0.97, -0.1],
        [0.3, -0.4, 0.5, -0.6],
        [-0.5, 0.5, -0.5, 0.5],
        [0.8, 0.0, 0.0, 0.8],
    ];
    let dim = sh_dim(sh_degree);
    (0..40)
        .map(|i| {
            let t = i as f32;
            Splat {
                pos: [t * 0.37 - 7.0, -(t * 1.91) + 3.5, 100.0 - t * 13.3],
                rot: rotations[i % rotations.len()],
                scale: [0.001 * (1.0 + t), 0.05 * (1.0 + t * 0.1), 2.0 / (1.0 + t)],
                opacity: (i as f32 / 39.0).clamp(0.0, 1.0),
                f_dc: [t / 20.0 - 1.0, 1.5 - t / 13.0, (t * 0.7).sin() * 3.0],
                sh: (0..dim * 3)
                    .map(|j| ((t + 1.0) * (j as f32 + 0.5) * 0.37).sin() * 0.9)
                    .collect(),
            }
        })
        .collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn read(path: &Path) -> Result<(SplatCloud, Vec<String>), ImportError> {
    read_spz(path, &Progress::new())
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

/// Checks every decoded attribute against the original within the format's precision.
fn check_decoded(label: &str, splats: &[Splat], cloud: &SplatCloud, version: u32, sh_degree: u8) {
    assert_eq!(cloud.len(), splats.len(), "{label}");
    assert_eq!(cloud.sh_degree, sh_degree.min(3), "{label}");
    let kept = SplatCloud::sh_rest_coefficients(cloud.sh_degree);
    let dim = sh_dim(sh_degree);
    for (i, s) in splats.iter().enumerate() {
        let pos_tol = if version == 1 {
            0.07
        } else {
            0.5 / 4096.0 + 1e-5
        };
        for c in 0..3 {
            let tol = if version == 1 {
                s.pos[c].abs() * 1e-3 + 1e-3
            } else {
                pos_tol
            };
            assert!(
                close(cloud.positions[i][c], s.pos[c], tol),
                "{label} splat {i} position {c}: {} vs {}",
                cloud.positions[i][c],
                s.pos[c]
            );
            let color = 0.5 + SH_C0 * s.f_dc[c];
            assert!(
                close(
                    cloud.colors[i][c],
                    color,
                    SH_C0 * (0.5 / 255.0) / 0.15 + 1e-5
                ),
                "{label} splat {i} colour {c}: {} vs {color}",
                cloud.colors[i][c]
            );
            let log_err = (cloud.scales[i][c].ln() - s.scale[c].ln()).abs();
            assert!(
                log_err <= 0.5 / 16.0 + 1e-4,
                "{label} splat {i} scale {c}: {} vs {}",
                cloud.scales[i][c],
                s.scale[c]
            );
        }
        assert!(
            close(cloud.opacities[i], s.opacity, 0.5 / 255.0 + 1e-6),
            "{label} splat {i} opacity"
        );
        let q = cloud.rotations[i];
        let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!(close(len, 1.0, 1e-5), "{label} splat {i}: |q| = {len}");
        let dot: f32 = unit(s.rot).iter().zip(q).map(|(a, b)| a * b).sum();
        let min_dot = if version >= 3 { 0.9995 } else { 0.995 };
        assert!(
            dot.abs() >= min_dot,
            "{label} splat {i}: rotation {q:?} vs {:?} (|dot| {})",
            s.rot,
            dot.abs()
        );
        for k in 0..kept {
            for c in 0..3 {
                let bucket = if k < 3 { 8.0 } else { 16.0 };
                let tol = (bucket / 2.0 + 0.5) / 128.0 + 2e-3;
                let got = cloud.sh_rest[(i * kept + k) * 3 + c].to_f32();
                let want = s.sh[k * 3 + c];
                assert!(
                    close(got, want, tol),
                    "{label} splat {i} SH {k} channel {c}: {got} vs {want}"
                );
            }
        }
        assert_eq!(s.sh.len(), dim * 3);
    }
}

#[test]
fn decodes_what_the_reference_quantisation_encodes() {
    let dir = crate::common::temp_dir("spz", "roundtrip");
    // Version 4 can also be gzipped the old way (the reference reads it).
    for version in [1, 2, 3, 4] {
        for sh_degree in [0, 1, 2, 3, 4] {
            let splats = test_splats(sh_degree);
            let label = format!("v{version} SH{sh_degree}");
            let path = write(
                &dir,
                &format!("v{version}_sh{sh_degree}.spz"),
                &gzip(&encode(&splats, version, sh_degree, 0)),
            );
            let (cloud, warnings) = read(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
            check_decoded(&label, &splats, &cloud, version, sh_degree);
            if sh_degree == 4 {
                assert_eq!(warnings.len(), 1, "{label}: {warnings:?}");
                assert!(warnings[0].contains("SH degree 4"), "{warnings:?}");
            } else {
                assert!(warnings.is_empty(), "{label}: {warnings:?}");
            }
        }
    }
}

#[test]
fn positions_at_the_fixed_point_extremes() {
    let dir = crate::common::temp_dir("spz", "extremes");
    let mut splats = test_splats(0);
    splats.truncate(3);
    splats[0].pos = [-2048.0, 2047.999, 0.0];
    splats[1].pos = [-1.0 / 4096.0, 1.0 / 4096.0, -0.5];
    splats[2].pos = [1000.25, -1000.25, 0.000_1];
    let path = write(&dir, "extremes.spz", &gzip(&encode(&splats, 3, 0, 0)));
    let (cloud, _) = read(&path).unwrap();
    check_decoded("extremes", &splats, &cloud, 3, 0);
    assert_eq!(cloud.positions[0][0], -2048.0);
    assert_eq!(cloud.positions[1][0], -1.0 / 4096.0);
}

#[test]
fn import_path_makes_one_splat_node_named_after_the_file() {
    let dir = crate::common::temp_dir("spz", "import");
    let splats = test_splats(3);
    let path = write(&dir, "garden.SPZ", &gzip(&encode(&splats, 3, 3, 0)));
    let imported = import_path(&path).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let nodes: Vec<_> = imported.scene.nodes().collect();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].name, "garden");
    let NodeKind::Splats { cloud } = nodes[0].kind else {
        panic!("not a splat node: {:?}", nodes[0].kind);
    };
    let cloud = imported.scene.splat_cloud(cloud).unwrap();
    assert_eq!(cloud.len(), splats.len());
    assert_eq!(cloud.sh_degree, 3);
}

#[test]
fn flags_and_extensions_become_warnings() {
    let dir = crate::common::temp_dir("spz", "flags");
    let splats = test_splats(1);
    let mut raw = encode(&splats, 3, 1, 0x1 | 0x2);
    for (ty, payload) in [(0xadbe_0002_u32, &[1u8, 2, 3][..]), (0x4e41_0001, &[])] {
        raw.extend_from_slice(&ty.to_le_bytes());
        raw.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        raw.extend_from_slice(payload);
    }
    let path = write(&dir, "flags.spz", &gzip(&raw));
    let (cloud, warnings) = read(&path).unwrap();
    check_decoded("flags", &splats, &cloud, 3, 1);
    let all = warnings.join("\n");
    // The antialiasing flag is a draw mode the cloud keeps, not something left out.
    assert!(cloud.antialiased, "the antialiased flag is kept");
    assert!(!all.contains("antialias"), "{all}");
    assert!(
        all.contains("2 records of types 0xadbe0002, 0x4e410001"),
        "{all}"
    );
    assert!(warnings.iter().all(|w| w.contains("flags.spz")), "{all}");

    // Bytes after the gzip member are not read (as in the reference) but reported.
    let mut bytes = gzip(&encode(&splats, 3, 1, 0));
    bytes.extend_from_slice(b"padding");
    let path = write(&dir, "padded.spz", &bytes);
    let (_, warnings) = read(&path).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("after the end of the gzip stream"));
}

#[test]
fn progress_reaches_the_payload_size_and_cancel_stops_the_read() {
    let dir = crate::common::temp_dir("spz", "progress");
    let splats = test_splats(2);
    let raw = encode(&splats, 3, 2, 0);
    let path = write(&dir, "p.spz", &gzip(&raw));
    let progress = Progress::new();
    read_spz(&path, &progress).unwrap();
    let payload = raw.len() as u64 - 16;
    assert_eq!(progress.get(), (payload, payload));

    progress.cancel();
    let err = read_spz(&path, &progress).unwrap_err();
    assert!(matches!(err, ImportError::Cancelled { .. }), "{err}");
}

/// Asserts that `bytes` saved as `name` fails with an error naming the file (and whose message
/// contains `needle`, when given).
fn assert_rejected(dir: &Path, name: &str, bytes: &[u8], needle: Option<&str>) -> String {
    let path = write(dir, name, bytes);
    let err = match read(&path) {
        Ok((cloud, w)) => panic!("{name}: accepted {} splats ({w:?})", cloud.len()),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(name),
        "{name}: message does not name the file: {err}"
    );
    if let Some(needle) = needle {
        assert!(
            err.contains(needle),
            "{name}: expected '{needle}' in: {err}"
        );
    }
    err
}

#[test]
fn hostile_headers_are_refused_before_reading_on() {
    let dir = crate::common::temp_dir("spz", "headers");
    let good = encode(&test_splats(3), 3, 3, 0);
    let patched = |offset: usize, bytes: &[u8]| {
        let mut raw = good.clone();
        raw[offset..offset + bytes.len()].copy_from_slice(bytes);
        gzip(&raw)
    };
    assert_rejected(&dir, "magic.spz", &patched(0, b"PLY\0"), Some("magic"));
    assert_rejected(
        &dir,
        "v99.spz",
        &patched(4, &99u32.to_le_bytes()),
        Some("version 99"),
    );
    assert_rejected(
        &dir,
        "v0.spz",
        &patched(4, &0u32.to_le_bytes()),
        Some("version 0"),
    );
    assert_rejected(&dir, "sh7.spz", &patched(12, &[7]), Some("SH degree 7"));
    assert_rejected(
        &dir,
        "huge.spz",
        &patched(8, &4_000_000_000u32.to_le_bytes()),
        Some("4000000000 splats"),
    );
    assert_rejected(
        &dir,
        "zero.spz",
        &patched(8, &0u32.to_le_bytes()),
        Some("no splats"),
    );
    // Within the splat limit but far beyond what the compressed size can hold.
    assert_rejected(
        &dir,
        "ratio.spz",
        &patched(8, &(1u32 << 24).to_le_bytes()),
        Some("can hold at most"),
    );
    // More splats than the data holds, within the deflate ratio: a clean truncation error.
    let err = assert_rejected(
        &dir,
        "short.spz",
        &patched(8, &41u32.to_le_bytes()),
        Some("truncated"),
    );
    assert!(
        err.contains("expected 2665 bytes of splat data, got 2600"),
        "{err}"
    );
    assert_rejected(
        &dir,
        "header.spz",
        &gzip(&good[..10]),
        Some("16-byte header"),
    );
}

#[test]
fn hostile_streams_fail_cleanly() {
    let dir = crate::common::temp_dir("spz", "streams");
    assert_rejected(&dir, "empty.spz", &[], Some("empty"));
    assert_rejected(&dir, "text.spz", b"hello, world", Some("not an SPZ file"));
    assert_rejected(&dir, "one.spz", &[0x1f], Some("not an SPZ file"));
    assert_rejected(
        &dir,
        "v4.spz",
        b"NGSP\x04\0\0\0",
        Some("a version 4 file starts with a 32-byte header, got 8 bytes"),
    );

    let raw = encode(&test_splats(3), 3, 3, 0);
    let good = gzip(&raw);

    // The compressed file cut anywhere (gzip header, deflate data, CRC/length trailer).
    for cut in (0..good.len()).step_by(7).chain(good.len() - 8..good.len()) {
        assert_rejected(&dir, &format!("cut{cut}.spz"), &good[..cut], None);
    }
    // A valid gzip stream of a payload cut anywhere after the header.
    for cut in (16..raw.len()).step_by(97).chain([raw.len() - 1]) {
        assert_rejected(
            &dir,
            &format!("payload{cut}.spz"),
            &gzip(&raw[..cut]),
            Some("truncated"),
        );
    }
    // Trailing garbage inside the stream.
    let mut long = raw.clone();
    long.extend_from_slice(b"garbage");
    assert_rejected(&dir, "trailing.spz", &gzip(&long), Some("trailing data"));
    // A gzip bomb: 200 MB of zeros after a small header stops one byte past the splat data.
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&raw).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    assert_rejected(
        &dir,
        "bomb.spz",
        &enc.finish().unwrap(),
        Some("trailing data"),
    );
    // A corrupted CRC.
    let mut bad_crc = good.clone();
    let at = bad_crc.len() - 8;
    bad_crc[at] ^= 0xff;
    assert_rejected(&dir, "crc.spz", &bad_crc, Some("damaged gzip stream"));
    // Flipped bytes in the deflate data: an error or (rarely) a clean decode, never a panic.
    for at in (10..good.len() - 8).step_by(13) {
        let mut bytes = good.clone();
        bytes[at] ^= 0x5a;
        let path = write(&dir, "flip.spz", &bytes);
        if let Err(e) = read(&path) {
            assert!(e.to_string().contains("flip.spz"), "{e}");
        }
    }
    // A rotation section full of extreme packed values decodes to unit quaternions.
    let mut odd = raw.clone();
    let splats = 40;
    let rot_start = 16 + splats * (9 + 1 + 3 + 3);
    for b in &mut odd[rot_start..rot_start + splats * 4] {
        *b = 0xff;
    }
    let path = write(&dir, "odd.spz", &gzip(&odd));
    let (cloud, _) = read(&path).unwrap();
    for q in &cloud.rotations {
        let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!((len - 1.0).abs() < 1e-5, "{q:?}");
    }
}

#[test]
fn version_4_zstd_streams_decode_like_the_gzip_versions() {
    let dir = crate::common::temp_dir("spz", "v4");
    for sh_degree in [0, 1, 2, 3, 4] {
        let splats = test_splats(sh_degree);
        let label = format!("v4 SH{sh_degree}");
        let bytes = encode_v4(&splats, sh_degree, 0, &[]);
        assert_eq!(&bytes[..4], b"NGSP", "not gzipped");
        let path = write(&dir, &format!("v4_sh{sh_degree}.spz"), &bytes);
        let (cloud, warnings) = read(&path).unwrap_or_else(|e| panic!("{label}: {e}"));
        check_decoded(&label, &splats, &cloud, 4, sh_degree);
        // The same splats gzipped as version 3 decode to the very same cloud.
        let (v3, _) = read(&write(
            &dir,
            "v3.spz",
            &gzip(&encode(&splats, 3, sh_degree, 0)),
        ))
        .unwrap();
        assert_eq!(cloud.positions, v3.positions, "{label}");
        assert_eq!(cloud.rotations, v3.rotations, "{label}");
        assert_eq!(cloud.sh_rest, v3.sh_rest, "{label}");
        if sh_degree == 4 {
            assert!(
                warnings.len() == 1 && warnings[0].contains("SH degree 4"),
                "{warnings:?}"
            );
        } else {
            assert!(warnings.is_empty(), "{label}: {warnings:?}");
        }
    }

    // Flags and extension records as in the gzip versions, and bytes after the last stream.
    let splats = test_splats(1);
    let ext = [record(0xadbe_0002, &[1, 2, 3]), record(0x4e41_0001, &[])].concat();
    let mut bytes = encode_v4(&splats, 1, 0x1 | 0x2, &ext);
    bytes.extend_from_slice(b"pad");
    let path = write(&dir, "v4_flags.spz", &bytes);
    let (cloud, warnings) = read(&path).unwrap();
    check_decoded("v4 flags", &splats, &cloud, 4, 1);
    let all = warnings.join("\n");
    assert!(cloud.antialiased, "the antialiased flag is kept");
    assert!(!all.contains("antialias"), "{all}");
    assert!(
        all.contains("2 records of types 0xadbe0002, 0x4e410001"),
        "{all}"
    );
    assert!(
        all.contains("ignored 3 bytes after the last stream"),
        "{all}"
    );
    assert!(warnings.iter().all(|w| w.contains("v4_flags.spz")), "{all}");

    // Progress counts the decompressed splat data; Cancel stops the read.
    let progress = Progress::new();
    let path = write(&dir, "v4_p.spz", &encode_v4(&splats, 1, 0, &[]));
    read_spz(&path, &progress).unwrap();
    let payload = (splats.len() * (9 + 1 + 3 + 3 + 4 + 9)) as u64;
    assert_eq!(progress.get(), (payload, payload));
    progress.cancel();
    let err = read_spz(&path, &progress).unwrap_err();
    assert!(matches!(err, ImportError::Cancelled { .. }), "{err}");

    // A file through import_path is one splat node, like the gzip versions.
    let imported = import_path(&write(
        &dir,
        "v4 garden.spz",
        &encode_v4(&splats, 1, 0, &[]),
    ))
    .unwrap();
    assert_eq!(imported.scene.nodes().count(), 1);
    assert_eq!(imported.scene.nodes().next().unwrap().name, "v4 garden");
}

/// An `SPZ_ADOBE_coordinate_system` record names the frame the splats are stored in; they are
/// turned (or mirrored) into SPZ's right-up-back frame, orientations and SH with them.
#[test]
fn a_stored_coordinate_system_is_turned_into_right_up_back() {
    let dir = crate::common::temp_dir("spz", "frames");
    let mut splats = test_splats(1);
    splats.truncate(8);
    let frame = |code: u32| record(0xadbe_0003, &code.to_le_bytes());
    let (plain, _) = read(&write(&dir, "rub.spz", &encode_v4(&splats, 1, 0, &[]))).unwrap();
    // RUB named explicitly changes nothing and warns of nothing; in a gzip file too.
    for (name, bytes) in [
        ("rub_v4.spz", encode_v4(&splats, 1, 2, &frame(4))),
        ("rub_v3.spz", {
            let mut raw = encode(&splats, 3, 1, 2);
            raw.extend_from_slice(&frame(4));
            gzip(&raw)
        }),
    ] {
        let (cloud, warnings) = read(&write(&dir, name, &bytes)).unwrap();
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        assert_eq!(cloud.positions, plain.positions, "{name}");
    }
    let sh = |cloud: &SplatCloud, i: usize, k: usize| cloud.sh_rest[i * 9 + k * 3].to_f32();
    // RDF (6), as PLY and OpenCV store it: y and z negated; a half turn about x.
    let (rdf, warnings) = read(&write(
        &dir,
        "rdf.spz",
        &encode_v4(&splats, 1, 2, &frame(6)),
    ))
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // RFU (12), z up: stored (x, y, z) is RUB's (x, z, -y).
    let (rfu, _) = read(&write(
        &dir,
        "rfu.spz",
        &encode_v4(&splats, 1, 2, &frame(12)),
    ))
    .unwrap();
    // LUB (3), a mirror: x negated.
    let (lub, _) = read(&write(
        &dir,
        "lub.spz",
        &encode_v4(&splats, 1, 2, &frame(3)),
    ))
    .unwrap();
    for i in 0..splats.len() {
        let [x, y, z] = plain.positions[i];
        let near = |a: [f32; 3], b: [f32; 3]| a.iter().zip(b).all(|(a, b)| (a - b).abs() < 1e-4);
        assert!(
            near(rdf.positions[i], [x, -y, -z]),
            "{i}: {:?}",
            rdf.positions[i]
        );
        assert!(
            near(rfu.positions[i], [x, z, -y]),
            "{i}: {:?}",
            rfu.positions[i]
        );
        assert!(
            near(lub.positions[i], [-x, y, z]),
            "{i}: {:?}",
            lub.positions[i]
        );
        // Shape: each Gaussian's covariance is M Σ Mᵀ (the quaternion itself is not unique).
        let covariance = |cloud: &SplatCloud| {
            let r = Mat3::from_quat(Quat::from_array(cloud.rotations[i]));
            let s = Vec3::from(cloud.scales[i]);
            r * Mat3::from_diagonal(s * s) * r.transpose()
        };
        let sigma = covariance(&plain);
        for (label, cloud, m) in [
            ("rdf", &rdf, Mat3::from_diagonal(Vec3::new(1.0, -1.0, -1.0))),
            ("rfu", &rfu, Mat3::from_cols(Vec3::X, Vec3::NEG_Z, Vec3::Y)),
            ("lub", &lub, Mat3::from_diagonal(Vec3::new(-1.0, 1.0, 1.0))),
        ] {
            let want = m * sigma * m.transpose();
            let got = covariance(cloud);
            let tol = 1e-4
                * want
                    .abs()
                    .to_cols_array()
                    .iter()
                    .fold(0f32, |a, &b| a.max(b));
            assert!(got.abs_diff_eq(want, tol), "{label} {i}: {got} vs {want}");
        }
        // Band 1 (basis y, z, x): under the half turn y and z negate, x stays; under the
        // mirror x negates.
        for (k, rdf_sign, lub_sign) in [(0, -1.0, 1.0), (1, -1.0, 1.0), (2, 1.0, -1.0)] {
            let want = sh(&plain, i, k);
            assert!(
                (sh(&rdf, i, k) - rdf_sign * want).abs() < 2e-3,
                "rdf {i} SH {k}"
            );
            assert!(
                (sh(&lub, i, k) - lub_sign * want).abs() < 2e-3,
                "lub {i} SH {k}"
            );
        }
    }
    // Unspecified (0) and unknown (99) frames are read as RUB, with a warning.
    for (code, needle) in [(0, "unspecified"), (99, "unknown coordinate system 99")] {
        let name = format!("frame{code}.spz");
        let (cloud, warnings) =
            read(&write(&dir, &name, &encode_v4(&splats, 1, 2, &frame(code)))).unwrap();
        assert_eq!(cloud.positions, plain.positions);
        assert!(
            warnings.len() == 1 && warnings[0].contains(needle) && warnings[0].contains(&name),
            "{warnings:?}"
        );
    }
}

#[test]
fn hostile_version_4_files_fail_cleanly() {
    let dir = crate::common::temp_dir("spz", "v4_hostile");
    let splats = test_splats(3);
    let good = encode_v4(&splats, 3, 0, &[]);
    let patched = |offset: usize, bytes: &[u8]| {
        let mut raw = good.clone();
        raw[offset..offset + bytes.len()].copy_from_slice(bytes);
        raw
    };
    assert_rejected(
        &dir,
        "v5.spz",
        &patched(4, &5u32.to_le_bytes()),
        Some("version 5"),
    );
    assert_rejected(
        &dir,
        "v3plain.spz",
        &patched(4, &3u32.to_le_bytes()),
        Some("version 3"),
    );
    assert_rejected(&dir, "sh9.spz", &patched(12, &[9]), Some("SH degree 9"));
    assert_rejected(
        &dir,
        "ratio.spz",
        &patched(8, &(1u32 << 24).to_le_bytes()),
        Some("can hold at most"),
    );
    assert_rejected(
        &dir,
        "streams.spz",
        &patched(15, &[5]),
        Some("lists 5 streams"),
    );
    assert_rejected(
        &dir,
        "toc.spz",
        &patched(16, &u32::MAX.to_le_bytes()),
        Some("table of contents"),
    );
    assert_rejected(
        &dir,
        "toc_low.spz",
        &patched(16, &8u32.to_le_bytes()),
        Some("table of contents"),
    );
    // A stream claiming another size than the header implies.
    assert_rejected(
        &dir,
        "size.spz",
        &patched(32 + 8, &361u64.to_le_bytes()),
        Some("the positions stream says it holds 361 bytes where 40 splats have 360"),
    );
    // A compressed length running past the end.
    assert_rejected(
        &dir,
        "long.spz",
        &patched(32 + 16, &u64::MAX.to_le_bytes()),
        Some("runs past the end"),
    );
    // More splats than the streams hold: a clean truncation error, whichever stream ends.
    let mut short = patched(8, &41u32.to_le_bytes());
    for (k, per_splat) in [9u64, 1, 3, 3, 4, 45].into_iter().enumerate() {
        let at = 32 + 16 * k + 8;
        let size = u64::from_le_bytes(short[at..at + 8].try_into().unwrap());
        short[at..at + 8].copy_from_slice(&(size + per_splat).to_le_bytes());
    }
    assert_rejected(
        &dir,
        "short.spz",
        &short,
        Some("truncated: the positions stream holds 360 of its 369 bytes"),
    );
    // A stream that decompresses to more than its stated size (a bomb stops one byte past it).
    let mut bomb = good[..32].to_vec();
    let toc_at = bomb.len();
    bomb.resize(toc_at + 6 * 16, 0);
    let sizes = [9, 1, 3, 3, 4, 45].map(|s| s * splats.len());
    let mut frames = Vec::new();
    for (k, size) in sizes.iter().enumerate() {
        let data = if k == 5 {
            vec![0u8; 100 << 20]
        } else {
            vec![7u8; *size]
        };
        let frame = ruzstd_encoder::encoding::compress_to_vec(
            data.as_slice(),
            ruzstd_encoder::encoding::CompressionLevel::Fastest,
        );
        bomb[toc_at + 16 * k..toc_at + 16 * k + 8]
            .copy_from_slice(&(frame.len() as u64).to_le_bytes());
        bomb[toc_at + 16 * k + 8..toc_at + 16 * k + 16]
            .copy_from_slice(&(*size as u64).to_le_bytes());
        frames.extend(frame);
    }
    bomb.extend(frames);
    assert_rejected(&dir, "bomb.spz", &bomb, Some("holds more than"));

    // Cut anywhere: an error naming the file, never a panic.
    for cut in (0..good.len()).step_by(11).chain([good.len() - 1]) {
        assert_rejected(&dir, &format!("cut{cut}.spz"), &good[..cut], None);
    }
    // Flipped bytes anywhere: an error or a clean decode, never a panic.
    for at in (0..good.len()).step_by(5) {
        let mut bytes = good.clone();
        bytes[at] ^= 0x5a;
        let path = write(&dir, "flip.spz", &bytes);
        if let Err(e) = read(&path) {
            assert!(e.to_string().contains("flip.spz"), "{e}");
        }
    }
}

/// `tests/data/spz/reference_v4_sh3.spz` was written by Niantic's own encoder (`ply_to_spz` of
/// nianticlabs/spz at 21715c3, July 2026, default options: version 4, Zstandard streams, SH
/// quantised to 5 and 4 bits) from an INRIA PLY of the 64 splats [`reference_splat`] computes.
/// Reading it back gives those splats within the format's precision.
#[test]
fn a_version_4_file_written_by_the_reference_encoder_decodes_to_its_splats() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/spz/reference_v4_sh3.spz");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..8], b"NGSP\x04\0\0\0", "a plain version 4 header");
    let (cloud, warnings) = read(&path).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let splats: Vec<Splat> = (0..64).map(reference_splat).collect();
    check_decoded("reference v4", &splats, &cloud, 4, 3);
}

/// Splat `i` of the reference file above, as the PLY given to the encoder held it
/// ([`common::reference_splat`]; the encoder stores raw axes, as no frame was named).
fn reference_splat(i: usize) -> Splat {
    let t = common::reference_splat(i);
    let [w, x, y, z] = t.rot_wxyz;
    Splat {
        pos: t.pos,
        rot: [x, y, z, w],
        scale: t.log_scale.map(f32::exp),
        opacity: 1.0 / (1.0 + (-t.logit).exp()),
        f_dc: t.f_dc,
        sh: (0..45).map(|j| t.rest[(j % 3) * 15 + j / 3]).collect(),
    }
}

/// `cargo test --release --test suite import_spz:: -- --ignored --nocapture`: decode time for 5M
/// splats at SH degree 3.
#[test]
#[ignore = "benchmark"]
fn decode_five_million_splats() {
    let dir = crate::common::temp_dir("spz", "bench");
    // Noisy values so that the file compresses about as poorly as a real capture.
    let mut next = common::xorshift(0x9e37_79b9_7f4a_7c15);
    let mut noise = move || (next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
    let splats: Vec<Splat> = (0..5_000_000)
        .map(|_| Splat {
            pos: [noise() * 50.0, noise() * 10.0, noise() * 50.0],
            rot: [noise(), noise(), noise(), noise() + 1.5],
            scale: [0.01, 0.02, 0.03].map(|s: f32| s * (1.5 + noise())),
            opacity: noise() * 0.5 + 0.5,
            f_dc: [noise(), noise(), noise()],
            sh: (0..45).map(|_| noise() * 0.2).collect(),
        })
        .collect();
    let v3 = gzip(&encode(&splats, 3, 3, 0));
    let v4 = encode_v4(&splats, 3, 0, &[]);
    drop(splats);
    for (name, bytes) in [("v3.spz", v3), ("v4.spz", v4)] {
        let path = write(&dir, name, &bytes);
        let start = std::time::Instant::now();
        let (cloud, _) = read(&path).unwrap();
        println!(
            "{name}: {} splats, {} MB compressed: {:.2} s",
            cloud.len(),
            bytes.len() / 1_000_000,
            start.elapsed().as_secs_f64()
        );
    }
}

/// KHR_gaussian_splatting_compression_spz_2: a glTF splat primitive whose data is an SPZ blob
/// in a buffer view (its accessors have no data of their own). The extension packs the blob
/// from glTF's left-up-front axes into SPZ's right-up-back, so the splats read back in glTF's
/// frame are the encoded ones turned half about Y: x and z negated, orientations `(0, 1, 0, 0)
/// · q`, and of the degree-1 SH coefficients (basis y, z, x) the second and third negated.
#[test]
fn an_spz_blob_in_a_gltf_primitive_is_read_in_gltf_axes() {
    // SH degree 0 as HY-World writes, then degree 1 (a turn changes the SH).
    for degree in [0, 1] {
        spz_in_gltf(degree);
    }
}

fn spz_in_gltf(degree: u8) {
    let splats = test_splats(degree);
    let spz = gzip(&encode(&splats, 2, degree, 0));
    let n = splats.len();
    let json = common::spz_splats_gltf_json(n, spz.len());
    let glb = common::glb(json.as_bytes(), &spz);
    let imported = import_bytes(Path::new("spz.glb"), &glb).expect("imports");
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    let (_, cloud) = imported.scene.splat_clouds().next().expect("one cloud");
    let half_turn = glam::Quat::from_xyzw(0.0, 1.0, 0.0, 0.0);
    let in_gltf: Vec<Splat> = splats
        .iter()
        .map(|s| Splat {
            pos: [-s.pos[0], s.pos[1], -s.pos[2]],
            rot: (half_turn * glam::Quat::from_array(unit(s.rot))).to_array(),
            sh: s
                .sh
                .iter()
                .enumerate()
                .map(|(i, &v)| if i / 3 == 0 { v } else { -v })
                .collect(),
            ..s.clone()
        })
        .collect();
    check_decoded(
        &format!("SPZ (SH {degree}) in glTF"),
        &in_gltf,
        cloud,
        2,
        degree,
    );

    // A broken blob is an error naming the file and primitive; a bufferView that is not
    // there too.
    let mut broken = glb.clone();
    let at = common::glb_bin_start(&broken);
    broken[at..at + 16].fill(0);
    let error = import_bytes(Path::new("spz.glb"), &broken).expect_err("refused");
    assert!(
        error.to_string().starts_with(
            "spz.glb: not a valid glTF file: mesh 'Mesh_0' primitive 0 (KHR_gaussian_splatting): \
             not a readable SPZ file"
        ),
        "{error}"
    );
    let missing = json.replace(r#"{"bufferView":0}"#, r#"{"bufferView":7}"#);
    let error = import_bytes(Path::new("spz.glb"), &common::glb(missing.as_bytes(), &spz))
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("SPZ bufferView 7 does not exist"),
        "{error}"
    );
}
