//! SPZ, Niantic's compressed Gaussian splat format (reference: `nianticlabs/spz`,
//! `src/cc/load-spz.cc` and `src/cc/splat-utils.h`), versions 1 to 3.
//!
//! A file is one gzip stream holding a 16-byte little-endian header (magic `0x5053474e`
//! "NGSP", version, point count, SH degree, fractional bits, flags, reserved) followed by each
//! attribute for all splats in turn: positions, alphas, colours, scales, rotations, SH
//! coefficients, and (when flag bit 1 is set) extension records. Version 4 (zstd streams behind
//! a plain 32-byte header) is recognised and refused with a clear message.
//!
//! Axes: SPZ stores RUB (x right, y up, z back), which is worldsmith's own frame (Y up,
//! −Z forward, right-handed), so positions, rotations and SH coefficients are used as stored.
//!
//! Hostile input is bounded: the header is validated before anything is allocated, each
//! attribute is read in chunks and allocated only as its bytes arrive, the decompressed size
//! must be exactly what the header implies (a gzip bomb stops one byte past it), and the gzip
//! trailer (CRC and length) is verified.

use super::{ImportError, Imported, Progress};
use crate::scene::{NodeKind, SH_C0, Scene, SplatCloud, Transform};
use half::f16;
use rayon::prelude::*;
use std::fs::File;
use std::io::{BufRead as _, BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

/// The most splats worldsmith reads from one SPZ file (32 Mi, about 2 GB of decompressed data
/// at SH degree 3). Large captured scenes hold a few million.
pub const MAX_SPLATS: u32 = 1 << 25;

/// "NGSP" read as a little-endian `u32`.
const MAGIC: u32 = 0x5053_474e;
/// Header flag: the splats were trained with the antialiasing (mip) filter.
const FLAG_ANTIALIASED: u8 = 0x1;
/// Header flag: extension records follow the SH coefficients.
const FLAG_EXTENSIONS: u8 = 0x2;
/// DC colour scale of the reference (`colorScale`): `f_dc = (byte / 255 - 0.5) / 0.15`.
const COLOR_SCALE: f32 = 0.15;
/// Upper bound on the extension records we skip over (they are small metadata in practice).
const MAX_EXTENSION_BYTES: u64 = 1 << 24;
/// Deflate cannot expand data by more than about 1032:1, so a header claiming more splat data
/// than this ratio allows for the file's size is a lie and is refused before reading on.
const MAX_DEFLATE_RATIO: u64 = 1032;
/// Bytes read (and allocated) at a time, between cancel checks.
const CHUNK: usize = 1 << 22;
/// SH degree the scene keeps; degree-4 files are read and their fourth band dropped.
const MAX_KEPT_SH_DEGREE: u8 = 3;

/// The fixed header at the start of the decompressed stream.
#[derive(Clone, Copy, Debug)]
struct Header {
    version: u32,
    points: u32,
    sh_degree: u8,
    fractional_bits: u8,
    flags: u8,
}

impl Header {
    /// Validates the raw header against the compressed file's size, before anything is
    /// allocated.
    fn parse(raw: [u8; 16], file_len: u64) -> Result<Self, String> {
        let [
            m0,
            m1,
            m2,
            m3,
            v0,
            v1,
            v2,
            v3,
            n0,
            n1,
            n2,
            n3,
            sh_degree,
            fractional_bits,
            flags,
            _,
        ] = raw;
        let magic = u32::from_le_bytes([m0, m1, m2, m3]);
        if magic != MAGIC {
            return Err(format!(
                "the gzip stream starts with 0x{magic:08x} instead of the SPZ magic \
                 0x{MAGIC:08x} (\"NGSP\")"
            ));
        }
        let version = u32::from_le_bytes([v0, v1, v2, v3]);
        if !(1..=3).contains(&version) {
            return Err(format!(
                "SPZ version {version} is not supported (worldsmith reads versions 1 to 3)"
            ));
        }
        let points = u32::from_le_bytes([n0, n1, n2, n3]);
        if points == 0 {
            return Err("the header says the file holds no splats".into());
        }
        if points > MAX_SPLATS {
            return Err(format!(
                "the header claims {points} splats, more than the {MAX_SPLATS} worldsmith reads"
            ));
        }
        if sh_degree > 4 {
            return Err(format!(
                "SH degree {sh_degree} is not supported (SPZ allows 0 to 4)"
            ));
        }
        let header = Self {
            version,
            points,
            sh_degree,
            fractional_bits,
            flags,
        };
        let most = file_len.saturating_mul(MAX_DEFLATE_RATIO);
        if header.payload_len() > most {
            return Err(format!(
                "the header claims {points} splats ({} bytes of splat data) but a {file_len}-byte \
                 gzip file can hold at most {most} bytes",
                header.payload_len()
            ));
        }
        Ok(header)
    }

    /// Bytes per splat of each section, in file order: positions (float16 in version 1,
    /// 24-bit fixed point after), alpha, colour, scales, rotation (3 bytes "first three" before
    /// version 3, 4 bytes "smallest three" from it), SH coefficients.
    fn section_sizes(&self) -> [u64; 6] {
        let position = if self.version == 1 { 6 } else { 9 };
        let rotation = if self.version >= 3 { 4 } else { 3 };
        [
            position,
            1,
            3,
            3,
            rotation,
            3 * self.file_sh_coefficients() as u64,
        ]
    }

    /// Decompressed bytes after the header (extension records excluded).
    fn payload_len(&self) -> u64 {
        self.section_sizes().iter().sum::<u64>() * u64::from(self.points)
    }

    /// Higher-order SH coefficients per channel in the file (`dimForDegree`).
    fn file_sh_coefficients(&self) -> usize {
        let d = usize::from(self.sh_degree) + 1;
        d * d - 1
    }
}

/// Reads an SPZ file (version 1, 2 or 3) into a splat cloud in worldsmith's frame (SPZ's RUB
/// axes are worldsmith's own), with warnings for what was read but not kept (antialiasing flag,
/// extension records, SH band 4).
///
/// Progress counts bytes of decompressed splat data; Cancel is honoured between chunks.
pub fn read_spz(
    path: &Path,
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    let io = |error| ImportError::Io {
        file: path.display().to_string(),
        error,
    };
    progress.check(path)?;
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    read_spz_from(path, file, file_len, progress)
}

/// [`read_spz`] of a file already in memory; `path` only names it in messages.
pub fn read_spz_bytes(
    path: &Path,
    bytes: &[u8],
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    read_spz_from(
        path,
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
        progress,
    )
}

/// Reads SPZ data of `file_len` bytes from `file`; `path` names it in messages.
fn read_spz_from<R: Read + Seek>(
    path: &Path,
    mut file: R,
    file_len: u64,
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    let file_name = path.display().to_string();
    let fail = |problem: String| ImportError::Spz {
        file: file_name.clone(),
        problem,
    };
    let io = |error| ImportError::Io {
        file: file_name.clone(),
        error,
    };
    progress.check(path)?;
    progress.begin(0);

    let mut sniff = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut sniff).map_err(io)?;
    match sniff.as_slice() {
        [] => return Err(fail("the file is empty".into())),
        [0x1f, 0x8b, ..] => {}
        b"NGSP" => {
            return Err(fail(
                "SPZ version 4 (zstd-compressed streams) is not supported yet; re-save it as \
                 version 3"
                    .into(),
            ));
        }
        _ => return Err(fail("it is not gzip-compressed".into())),
    }
    file.seek(SeekFrom::Start(0)).map_err(io)?;

    let mut gz = flate2::bufread::GzDecoder::new(BufReader::with_capacity(1 << 16, file));
    let mut raw = [0u8; 16];
    read_fully(&mut gz, &mut raw).map_err(|(got, e)| {
        fail(match e {
            Some(e) => broken_gzip(&e, "in the header"),
            None => format!("truncated: expected a 16-byte header, got {got} bytes"),
        })
    })?;
    let header = Header::parse(raw, file_len).map_err(fail)?;
    let mut warnings = Vec::new();

    let mut src = Sections {
        reader: gz,
        path,
        progress,
        expected: header.payload_len(),
        got: 0,
    };
    progress.begin(src.expected);
    let n = header.points as usize;
    let [pos_size, _, _, _, rot_size, sh_size] = header.section_sizes();

    let bytes = src.next(pos_size, n)?;
    let positions = if header.version == 1 {
        let (positions, non_finite) = decode_positions_f16(&bytes);
        if non_finite > 0 {
            warnings.push(format!(
                "{file_name}: {non_finite} splats had a non-finite centre (replaced by 0)"
            ));
        }
        positions
    } else {
        decode_positions_fixed(&bytes, header.fractional_bits)
    };
    drop(bytes);

    let bytes = src.next(1, n)?;
    let opacities: Vec<f32> = bytes.par_iter().map(|&b| f32::from(b) / 255.0).collect();
    drop(bytes);

    let bytes = src.next(3, n)?;
    let colors = decode_colors(&bytes);
    drop(bytes);

    let bytes = src.next(3, n)?;
    let scales = decode_scales(&bytes);
    drop(bytes);

    let bytes = src.next(rot_size, n)?;
    let rotations = if header.version >= 3 {
        decode_rotations_smallest_three(&bytes)
    } else {
        decode_rotations_first_three(&bytes)
    };
    drop(bytes);

    let bytes = src.next(sh_size, n)?;
    let kept_degree = header.sh_degree.min(MAX_KEPT_SH_DEGREE);
    let sh_rest = decode_sh(
        &bytes,
        header.file_sh_coefficients(),
        SplatCloud::sh_rest_coefficients(kept_degree),
    );
    drop(bytes);
    if header.sh_degree > MAX_KEPT_SH_DEGREE {
        warnings.push(format!(
            "{file_name}: SH degree {} read as degree {MAX_KEPT_SH_DEGREE} (the fourth band is \
             dropped)",
            header.sh_degree
        ));
    }
    progress.check(path)?;

    let Sections { mut reader, .. } = src;
    if header.flags & FLAG_EXTENSIONS != 0 {
        let mut ext = Vec::new();
        (&mut reader)
            .take(MAX_EXTENSION_BYTES + 1)
            .read_to_end(&mut ext)
            .map_err(|e| fail(broken_gzip(&e, "in the extension records")))?;
        if ext.len() as u64 > MAX_EXTENSION_BYTES {
            return Err(fail(format!(
                "more than {MAX_EXTENSION_BYTES} bytes of extension records after the splat data"
            )));
        }
        warnings.push(format!(
            "{file_name}: ignored SPZ extensions ({}); the splats are read as plain RUB data",
            describe_extensions(&ext)
        ));
    } else {
        // One byte more than the header implies is an error; reading it also runs the decoder
        // to the end of the stream, which checks the gzip CRC and length.
        let mut extra = [0u8; 1];
        let (got, error) = match read_fully(&mut reader, &mut extra) {
            Ok(()) => (1, None),
            Err((got, error)) => (got, error),
        };
        if let Some(e) = error {
            return Err(fail(broken_gzip(&e, "after the splat data")));
        }
        if got > 0 {
            return Err(fail(format!(
                "trailing data: the stream holds more than the {} bytes of splat data its \
                 header implies",
                src.expected
            )));
        }
    }
    // Like the reference (zlib stops at the end of the gzip member) bytes after the stream are
    // not read, but the user hears of them.
    let mut rest = reader.into_inner();
    if rest.fill_buf().is_ok_and(|b| !b.is_empty()) {
        warnings.push(format!(
            "{file_name}: ignored data after the end of the gzip stream"
        ));
    }
    if header.flags & FLAG_ANTIALIASED != 0 {
        warnings.push(format!(
            "{file_name}: the splats were trained with antialiasing, which worldsmith does not \
             apply; they may look slightly denser"
        ));
    }

    let cloud = SplatCloud::new(
        positions,
        rotations,
        scales,
        opacities,
        colors,
        kept_degree,
        sh_rest,
    )
    .map_err(|e| fail(e.to_string()))?;
    progress.set_done(src.expected);
    Ok((cloud, warnings))
}

/// Imports an SPZ file as one scene with one splat node named after the file, at the origin.
pub(super) fn import_spz(path: &Path, progress: &Progress) -> Result<Imported, ImportError> {
    let (cloud, warnings) = read_spz(path, progress)?;
    Ok(scene_from(path, cloud, warnings))
}

/// [`import_spz`] of a file already in memory; `path` only names it.
pub(super) fn import_spz_bytes(
    path: &Path,
    bytes: &[u8],
    progress: &Progress,
) -> Result<Imported, ImportError> {
    let (cloud, warnings) = read_spz_bytes(path, bytes, progress)?;
    Ok(scene_from(path, cloud, warnings))
}

/// One splat node named after the file, at the origin.
fn scene_from(path: &Path, cloud: SplatCloud, warnings: Vec<String>) -> Imported {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "Splats".into());
    let mut scene = Scene::new(&name);
    let cloud = scene.add_splat_cloud(cloud);
    scene.add_node(None, &name, Transform::IDENTITY, NodeKind::Splats { cloud });
    Imported { scene, warnings }
}

/// The decompressed stream after the header, handed out one section at a time.
struct Sections<'a, R> {
    reader: R,
    path: &'a Path,
    progress: &'a Progress,
    /// Bytes of splat data the header implies.
    expected: u64,
    /// Bytes of splat data read so far.
    got: u64,
}

impl<R: Read> Sections<'_, R> {
    /// Reads the next section of `per_splat · splats` bytes, allocating as bytes arrive.
    fn next(&mut self, per_splat: u64, splats: usize) -> Result<Vec<u8>, ImportError> {
        self.progress.check(self.path)?;
        let len = per_splat.saturating_mul(splats as u64);
        let mut buf = Vec::new();
        while (buf.len() as u64) < len {
            self.progress.check(self.path)?;
            let start = buf.len();
            let want = (len - start as u64).min(CHUNK as u64) as usize;
            buf.resize(start + want, 0);
            let slot = buf.get_mut(start..).unwrap_or_default();
            let result = read_fully(&mut self.reader, slot);
            let got = match &result {
                Ok(()) => want,
                Err((got, _)) => *got,
            };
            self.got += got as u64;
            self.progress.advance(got as u64);
            if let Err((_, error)) = result {
                let file = self.path.display().to_string();
                return Err(ImportError::Spz {
                    file,
                    problem: match error {
                        None => format!(
                            "truncated: expected {} bytes of splat data, got {}",
                            self.expected, self.got
                        ),
                        Some(e) => broken_gzip(
                            &e,
                            &format!(
                                "after {} of {} bytes of splat data",
                                self.got, self.expected
                            ),
                        ),
                    },
                });
            }
        }
        Ok(buf)
    }
}

/// "truncated gzip stream …" or "damaged gzip stream …: why", for a decoder error.
fn broken_gzip(error: &std::io::Error, at: &str) -> String {
    if error.kind() == ErrorKind::UnexpectedEof {
        format!("truncated gzip stream {at}")
    } else {
        format!("damaged gzip stream {at}: {error}")
    }
}

/// Fills `buf`; on failure returns how many bytes did arrive and the error (`None` for a clean
/// end of stream).
fn read_fully(
    reader: &mut impl Read,
    buf: &mut [u8],
) -> Result<(), (usize, Option<std::io::Error>)> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|r| !r.is_empty()) {
        match reader.read(rest) {
            Ok(0) => return Err((filled, None)),
            Ok(k) => filled += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err((filled, Some(e))),
        }
    }
    Ok(())
}

/// Version 1: float16 x, y, z, and how many splats had an infinite or NaN coordinate (float16
/// can encode both; they are replaced by 0 so that no renderer or bounds sees them, as the PLY
/// reader does).
fn decode_positions_f16(bytes: &[u8]) -> (Vec<[f32; 3]>, usize) {
    let positions: Vec<[f32; 3]> = bytes
        .as_chunks::<6>()
        .0
        .par_iter()
        .map(|&[x0, x1, y0, y1, z0, z1]| {
            [
                f16::from_le_bytes([x0, x1]).to_f32(),
                f16::from_le_bytes([y0, y1]).to_f32(),
                f16::from_le_bytes([z0, z1]).to_f32(),
            ]
        })
        .collect();
    let non_finite = positions
        .iter()
        .filter(|p| p.iter().any(|c| !c.is_finite()))
        .count();
    if non_finite == 0 {
        return (positions, 0);
    }
    let finite = positions
        .into_iter()
        .map(|p| p.map(|c| if c.is_finite() { c } else { 0.0 }))
        .collect();
    (finite, non_finite)
}

/// Versions 2 and 3: 24-bit two's-complement fixed point with `fractional_bits` fraction bits.
fn decode_positions_fixed(bytes: &[u8], fractional_bits: u8) -> Vec<[f32; 3]> {
    let scale = 2f32.powi(-i32::from(fractional_bits));
    // Shifting the 24 bits to the top of an i32 and back sign-extends them.
    let fixed = |a: u8, b: u8, c: u8| (i32::from_le_bytes([0, a, b, c]) >> 8) as f32 * scale;
    bytes
        .as_chunks::<9>()
        .0
        .par_iter()
        .map(|&[x0, x1, x2, y0, y1, y2, z0, z1, z2]| {
            [fixed(x0, x1, x2), fixed(y0, y1, y2), fixed(z0, z1, z2)]
        })
        .collect()
}

/// `0.5 + SH_C0 · f_dc` with `f_dc = (byte / 255 - 0.5) / COLOR_SCALE`.
fn decode_colors(bytes: &[u8]) -> Vec<[f32; 3]> {
    let lut: [f32; 256] = std::array::from_fn(|b| {
        let f_dc = (b as f32 / 255.0 - 0.5) / COLOR_SCALE;
        0.5 + SH_C0 * f_dc
    });
    bytes
        .as_chunks::<3>()
        .0
        .par_iter()
        .map(|&[r, g, b]| {
            [
                lut[usize::from(r)],
                lut[usize::from(g)],
                lut[usize::from(b)],
            ]
        })
        .collect()
}

/// `exp(byte / 16 - 10)`: log-encoded standard deviations.
fn decode_scales(bytes: &[u8]) -> Vec<[f32; 3]> {
    let lut: [f32; 256] = std::array::from_fn(|b| (b as f32 / 16.0 - 10.0).exp());
    bytes
        .as_chunks::<3>()
        .0
        .par_iter()
        .map(|&[x, y, z]| {
            [
                lut[usize::from(x)],
                lut[usize::from(y)],
                lut[usize::from(z)],
            ]
        })
        .collect()
}

/// Versions 1 and 2: x, y, z as `byte / 127.5 - 1`, w ≥ 0 reconstructed.
fn decode_rotations_first_three(bytes: &[u8]) -> Vec<[f32; 4]> {
    bytes
        .as_chunks::<3>()
        .0
        .par_iter()
        .map(|&[x, y, z]| {
            let [x, y, z] = [x, y, z].map(|b| f32::from(b) / 127.5 - 1.0);
            let w = (1.0 - (x * x + y * y + z * z)).max(0.0).sqrt();
            normalized([x, y, z, w])
        })
        .collect()
}

/// Version 3 "smallest three": a little-endian `u32` whose top 2 bits index the largest
/// component (stored implicitly, non-negative); below them, for the other components in
/// descending index order from the least significant bits up, 9 bits of magnitude (scaled by
/// `1/√2 / 511`) and a sign bit.
fn decode_rotations_smallest_three(bytes: &[u8]) -> Vec<[f32; 4]> {
    bytes
        .as_chunks::<4>()
        .0
        .par_iter()
        .map(|&b| smallest_three(u32::from_le_bytes(b)))
        .collect()
}

fn smallest_three(mut packed: u32) -> [f32; 4] {
    const MASK: u32 = (1 << 9) - 1;
    let largest = (packed >> 30) as usize;
    let mut q = [0.0f32; 4];
    let mut sum_squares = 0.0;
    for (i, q_i) in q.iter_mut().enumerate().rev() {
        if i == largest {
            continue;
        }
        let magnitude = std::f32::consts::FRAC_1_SQRT_2 * (packed & MASK) as f32 / MASK as f32;
        let negative = (packed >> 9) & 1 == 1;
        packed >>= 10;
        *q_i = if negative { -magnitude } else { magnitude };
        sum_squares += magnitude * magnitude;
    }
    if let Some(q_largest) = q.get_mut(largest) {
        *q_largest = (1.0 - sum_squares).max(0.0).sqrt();
    }
    normalized(q)
}

/// Unit quaternion (quantised input can be slightly off, or far off in a hostile file).
fn normalized(q: [f32; 4]) -> [f32; 4] {
    let len = q.iter().map(|c| c * c).sum::<f32>().sqrt();
    if len.is_finite() && len > 1e-6 {
        q.map(|c| c / len)
    } else {
        [0.0, 0.0, 0.0, 1.0]
    }
}

/// `(byte - 128) / 128`, keeping the first `kept` of the file's `in_file` coefficients per
/// channel. Both the file and [`SplatCloud::sh_rest`] are splat-major, coefficient, channel
/// fastest (`(i · n + k) · 3 + c`), so with nothing dropped this is a plain map.
fn decode_sh(bytes: &[u8], in_file: usize, kept: usize) -> Vec<f16> {
    let lut: [f16; 256] = std::array::from_fn(|b| f16::from_f32((b as f32 - 128.0) / 128.0));
    if kept == in_file {
        return bytes.par_iter().map(|&b| lut[usize::from(b)]).collect();
    }
    bytes
        .par_chunks_exact(in_file * 3)
        .flat_map_iter(|splat| splat.iter().take(kept * 3).map(|&b| lut[usize::from(b)]))
        .collect()
}

/// "3 records, types 0xadbe0002, ..." from raw extension records (`u32 type, u32 length,
/// payload`), or what is wrong with them.
fn describe_extensions(mut ext: &[u8]) -> String {
    let mut types = Vec::new();
    while let Some((head, rest)) = ext.split_first_chunk::<8>() {
        let [t0, t1, t2, t3, l0, l1, l2, l3] = *head;
        types.push(format!("0x{:08x}", u32::from_le_bytes([t0, t1, t2, t3])));
        let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        let Some(after) = rest.get(len..) else {
            return format!("{} bytes, malformed records", ext.len());
        };
        ext = after;
    }
    if !ext.is_empty() {
        return format!(
            "{} stray bytes after records of types {}",
            ext.len(),
            types.join(", ")
        );
    }
    match types.len() {
        0 => "flag set but no records".into(),
        1 => format!("1 record of type {}", types.join("")),
        k => format!("{k} records of types {}", types.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_positions_are_sign_extended() {
        let bytes = [
            0xff, 0xff, 0xff, // -1
            0x00, 0x00, 0x80, // -2^23
            0xff, 0xff, 0x7f, // 2^23 - 1
        ];
        let p = decode_positions_fixed(&bytes, 12);
        assert_eq!(p, vec![[-1.0 / 4096.0, -2048.0, 2048.0 - 1.0 / 4096.0]]);
        // Any fractional bit count decodes without overflow.
        assert_eq!(decode_positions_fixed(&bytes, 0)[0][0], -1.0);
        assert!(decode_positions_fixed(&bytes, 255)[0][0].is_finite());
    }

    #[test]
    fn smallest_three_bit_layout() {
        // Largest w, nothing else: identity.
        assert_eq!(smallest_three(3 << 30), [0.0, 0.0, 0.0, 1.0]);
        // Largest x (index 0); y = -1/√2 in the first field, the 10 bits below the index.
        let q = smallest_three(0x3ff << 20);
        let h = std::f32::consts::FRAC_1_SQRT_2;
        for (got, want) in q.iter().zip([h, -h, 0.0, 0.0]) {
            assert!((got - want).abs() < 1e-6, "{q:?}");
        }
        // Largest z; w = +1/√2 sits in the lowest 10 bits.
        let q = smallest_three((2 << 30) | 0x1ff);
        for (got, want) in q.iter().zip([0.0, 0.0, h, h]) {
            assert!((got - want).abs() < 1e-6, "{q:?}");
        }
        // Over-long components from a hostile file still give a unit quaternion.
        let q = smallest_three(u32::MAX);
        let len: f32 = q.iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!((len - 1.0).abs() < 1e-6, "{q:?}");
    }

    #[test]
    fn first_three_reconstructs_non_negative_w() {
        let q = decode_rotations_first_three(&[128, 128, 128]);
        assert!((q[0][3] - 1.0).abs() < 1e-4, "{q:?}");
        let q = decode_rotations_first_three(&[255, 255, 255]);
        let len: f32 = q[0].iter().map(|c| c * c).sum::<f32>().sqrt();
        assert!((len - 1.0).abs() < 1e-6 && q[0][3] == 0.0, "{q:?}");
    }

    #[test]
    fn activations_match_the_reference() {
        let [c] = decode_colors(&[0, 255, 128])[..] else {
            panic!()
        };
        assert!((c[0] - (0.5 - SH_C0 * 0.5 / COLOR_SCALE)).abs() < 1e-6);
        assert!((c[1] - (0.5 + SH_C0 * 0.5 / COLOR_SCALE)).abs() < 1e-6);
        let [s] = decode_scales(&[0, 160, 255])[..] else {
            panic!()
        };
        assert!((s[0] - (-10f32).exp()).abs() < 1e-9 && (s[1] - 1.0).abs() < 1e-6);
        let sh = decode_sh(&[0, 128, 255], 1, 1);
        assert_eq!(sh, [-1.0, 0.0, 127.0 / 128.0].map(f16::from_f32));
        // Degree 4 (24 coefficients) kept as degree 3 (15).
        let bytes: Vec<u8> = (0..2 * 24 * 3).map(|i| i as u8).collect();
        let sh = decode_sh(&bytes, 24, 15);
        assert_eq!(sh.len(), 2 * 45);
        assert_eq!(sh[45], f16::from_f32((72.0 - 128.0) / 128.0));
    }

    #[test]
    fn extension_records_are_described_or_flagged_malformed() {
        assert_eq!(describe_extensions(&[]), "flag set but no records");
        let mut ext = 0xadbe_0001_u32.to_le_bytes().to_vec();
        ext.extend_from_slice(&2u32.to_le_bytes());
        ext.extend_from_slice(&[7, 7]);
        assert_eq!(describe_extensions(&ext), "1 record of type 0xadbe0001");
        ext.extend_from_slice(&[1, 2, 3]);
        assert!(describe_extensions(&ext).contains("3 stray bytes"));
        let mut bad = 1u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(describe_extensions(&bad).contains("malformed"));
    }
}
