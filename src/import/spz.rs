//! SPZ, Niantic's compressed Gaussian splat format (reference: `nianticlabs/spz`,
//! `src/cc/load-spz.cc`, `src/cc/splat-types.h`), versions 1 to 4.
//!
//! Versions 1 to 3 are one gzip stream holding a 16-byte little-endian header (magic
//! `0x5053474e` "NGSP", version, point count, SH degree, fractional bits, flags, reserved)
//! followed by each attribute for all splats in turn: positions, alphas, colours, scales,
//! rotations, SH coefficients, and (when flag bit 1 is set) extension records.
//! Version 4, what the reference writes by default since mid-2026, is not gzip-compressed as a
//! whole: a plain 32-byte header (the same fields, then the stream count, the table of
//! contents' offset and 12 reserved bytes), the extension records, the table of contents
//! (each stream's compressed and decompressed size, `u64`), then one Zstandard frame per
//! non-empty attribute, in the same order as above.
//!
//! Axes: SPZ stores RUB (x right, y up, z back), which is worldsmith's own frame (Y up,
//! −Z forward, right-handed), so positions, rotations and SH coefficients are used as stored,
//! unless an `SPZ_ADOBE_coordinate_system` extension record says the data is stored in another
//! of the 16 axis-aligned frames: then the splats are turned (and mirrored, where that frame
//! is left-handed) into RUB, their SH bands with them.
//!
//! Hostile input is bounded: the header is validated before anything is allocated, each
//! attribute is read in chunks and allocated only as its bytes arrive, the decompressed size
//! must be exactly what the header implies (a bomb stops one byte past it), and the gzip
//! trailer (CRC and length) is verified.

use super::{ImportError, Imported, Progress};
use crate::scene::{SH_C0, SplatCloud, Transform};
use glam::{Mat3, Mat4, Vec3};
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
/// Header flag: extension records follow the SH coefficients (versions 1 to 3) or the header
/// (version 4).
const FLAG_EXTENSIONS: u8 = 0x2;
/// Extension record type of `SPZ_ADOBE_coordinate_system`: a `u32` naming the frame the splats
/// are stored in (1 to 16, see [`FRAMES`]; 0 unspecified, read as RUB).
const COORDINATE_SYSTEM_RECORD: u32 = 0xadbe_0003;
/// The reference's `CoordinateSystem` values 1 to 16: where the stored x, y and z axes point
/// (Left/Right, Down/Up, Back/Front).
const FRAMES: [&str; 16] = [
    "LDB", "RDB", "LUB", "RUB", "LDF", "RDF", "LUF", "RUF", "LFD", "RFD", "LFU", "RFU", "LBD",
    "RBD", "LBU", "RBU",
];
/// DC colour scale of the reference (`colorScale`): `f_dc = (byte / 255 - 0.5) / 0.15`.
const COLOR_SCALE: f32 = 0.15;
/// Upper bound on the extension records we read (they are small metadata in practice).
const MAX_EXTENSION_BYTES: u64 = 1 << 24;
/// Deflate cannot expand data by more than about 1032:1, so a header claiming more splat data
/// than this ratio allows for the file's size is a lie and is refused before reading on.
const MAX_DEFLATE_RATIO: u64 = 1032;
/// Zstandard can expand far more, so version 4 headers are bounded as the reference bounds
/// them: at most 1024 times the file's size in positions, 9 bytes a splat.
const MAX_ZSTD_RATIO: u64 = 1024;
/// Bytes read (and allocated) at a time, between cancel checks.
const CHUNK: usize = 1 << 22;
/// SH degree the scene keeps; degree-4 files are read and their fourth band dropped.
const MAX_KEPT_SH_DEGREE: u8 = 3;
/// The attributes in file order, as messages name them.
const SECTIONS: [&str; 6] = [
    "positions",
    "opacities",
    "colours",
    "scales",
    "rotations",
    "SH coefficients",
];

/// The header fields every version has.
#[derive(Clone, Copy, Debug)]
struct Header {
    version: u32,
    points: u32,
    sh_degree: u8,
    fractional_bits: u8,
    flags: u8,
}

/// Version 4's header after the shared fields.
#[derive(Clone, Copy, Debug)]
struct StreamIndex {
    streams: u8,
    toc_offset: u64,
}

impl Header {
    /// Checks the shared fields, before anything is allocated.
    fn new(
        [
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
        ]: [u8; 15],
        versions: std::ops::RangeInclusive<u32>,
        container: &str,
    ) -> Result<Self, String> {
        let magic = u32::from_le_bytes([m0, m1, m2, m3]);
        if magic != MAGIC {
            return Err(format!(
                "the {container} starts with 0x{magic:08x} instead of the SPZ magic 0x{MAGIC:08x} \
                 (\"NGSP\")"
            ));
        }
        let version = u32::from_le_bytes([v0, v1, v2, v3]);
        if !versions.contains(&version) {
            return Err(format!(
                "SPZ version {version} is not supported in a {container} (worldsmith reads \
                 versions 1 to 4: 1 to 4 gzip-compressed, 4 as Zstandard streams)"
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
        Ok(Self {
            version,
            points,
            sh_degree,
            fractional_bits,
            flags,
        })
    }

    /// The 16-byte header at the start of a gzip stream (versions 1 to 3, and 4 written the
    /// old way, which the reference also reads), checked against the compressed file's size.
    fn parse_gzip(raw: [u8; 16], file_len: u64) -> Result<Self, String> {
        let (shared, _) = raw.split_first_chunk::<15>().unwrap_or((&[0; 15], &[]));
        let header = Self::new(*shared, 1..=4, "gzip stream")?;
        let most = file_len.saturating_mul(MAX_DEFLATE_RATIO);
        if header.payload_len() > most {
            return Err(format!(
                "the header claims {} splats ({} bytes of splat data) but a {file_len}-byte \
                 gzip file can hold at most {most} bytes",
                header.points,
                header.payload_len()
            ));
        }
        Ok(header)
    }

    /// Version 4's 32-byte plain header, checked against the file's size.
    fn parse_ngsp(raw: [u8; 32], file_len: u64) -> Result<(Self, StreamIndex), String> {
        let (shared, rest) = raw.split_first_chunk::<15>().unwrap_or((&[0; 15], &[]));
        let header = Self::new(*shared, 4..=4, "version 4 file")?;
        let [streams, t0, t1, t2, t3, ..] = *rest else {
            return Err("the header is cut short".into());
        };
        let index = StreamIndex {
            streams,
            toc_offset: u64::from(u32::from_le_bytes([t0, t1, t2, t3])),
        };
        let most = file_len.saturating_mul(MAX_ZSTD_RATIO) / 9;
        if u64::from(header.points) > most {
            return Err(format!(
                "the header claims {} splats but a {file_len}-byte file can hold at most {most}",
                header.points
            ));
        }
        Ok((header, index))
    }

    /// Bytes per splat of each section, in file order ([`SECTIONS`]): positions (float16 in
    /// version 1, 24-bit fixed point after), alpha, colour, scales, rotation (3 bytes "first
    /// three" before version 3, 4 bytes "smallest three" from it), SH coefficients.
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

    /// Decompressed bytes of splat data (extension records excluded).
    fn payload_len(&self) -> u64 {
        self.section_sizes().iter().sum::<u64>() * u64::from(self.points)
    }

    /// Higher-order SH coefficients per channel in the file (`dimForDegree`).
    fn file_sh_coefficients(&self) -> usize {
        let d = usize::from(self.sh_degree) + 1;
        d * d - 1
    }
}

/// Reads an SPZ file (versions 1 to 4) into a splat cloud in worldsmith's frame (SPZ's RUB
/// axes are worldsmith's own; a stored frame named by an extension record is turned into it),
/// with warnings for what was read but not kept (antialiasing flag, other extension records,
/// SH band 4).
///
/// Progress counts bytes of decompressed splat data; Cancel is honoured between chunks.
pub fn read_spz(
    path: &Path,
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    let io = |error| ImportError::io(path, error);
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

/// An SPZ error naming `path`.
fn fail(path: &Path, problem: String) -> ImportError {
    ImportError::Spz {
        file: path.display().to_string(),
        problem,
    }
}

/// Reads SPZ data of `file_len` bytes from `file`; `path` names it in messages.
fn read_spz_from<R: Read + Seek>(
    path: &Path,
    mut file: R,
    file_len: u64,
    progress: &Progress,
) -> Result<(SplatCloud, Vec<String>), ImportError> {
    let file_name = path.display().to_string();
    let fail = |problem: String| fail(path, problem);
    let io = |error| ImportError::io(path, error);
    progress.check(path)?;
    progress.begin(0);

    let mut sniff = Vec::with_capacity(4);
    (&mut file).take(4).read_to_end(&mut sniff).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut warnings = Vec::new();
    let stored = match sniff.as_slice() {
        [] => return Err(fail("the file is empty".into())),
        [0x1f, 0x8b, ..] => read_gzip(path, file, file_len, progress, &mut warnings)?,
        b"NGSP" => read_ngsp(path, file, file_len, progress, &mut warnings)?,
        _ => {
            return Err(fail(
                "it is not an SPZ file: neither gzip-compressed (versions 1 to 3) nor starting \
                 with \"NGSP\" (version 4)"
                    .into(),
            ));
        }
    };
    let Stored {
        header,
        cloud,
        extensions,
    } = stored;
    let mut cloud = cloud;
    if let Some(ext) = extensions {
        let (frame, ignored) = read_extensions(&ext);
        if let Some(ignored) = ignored {
            warnings.push(format!("{file_name}: ignored SPZ extensions ({ignored})"));
        }
        match frame {
            None | Some(4) => {}
            Some(0) => warnings.push(format!(
                "{file_name}: the SPZ_ADOBE_coordinate_system record leaves the frame \
                 unspecified; read as SPZ's own RUB axes"
            )),
            Some(code) => match code.checked_sub(1).and_then(|i| FRAMES.get(i as usize)) {
                Some(frame) => {
                    let rub_from_stored = Mat4::from_mat3(rub_from_frame(frame));
                    cloud = crate::export::transform_splats(&cloud, rub_from_stored);
                }
                None => warnings.push(format!(
                    "{file_name}: unknown coordinate system {code} in an \
                     SPZ_ADOBE_coordinate_system record; read as SPZ's own RUB axes"
                )),
            },
        }
    }
    if header.sh_degree > MAX_KEPT_SH_DEGREE {
        warnings.push(format!(
            "{file_name}: SH degree {} read as degree {MAX_KEPT_SH_DEGREE} (the fourth band is \
             dropped)",
            header.sh_degree
        ));
    }
    // Trained with the antialiasing filter: drawn in antialiased mode (opacity compensated).
    let cloud = cloud.with_antialiased(header.flags & FLAG_ANTIALIASED != 0);
    progress.set_done(header.payload_len());
    Ok((cloud, warnings))
}

/// What either container holds: the header, the splats as stored, the extension records (when
/// the header flags them).
struct Stored {
    header: Header,
    cloud: SplatCloud,
    extensions: Option<Vec<u8>>,
}

/// Versions 1 to 3 (and 4 written the old way): one gzip stream.
fn read_gzip(
    path: &Path,
    file: impl Read,
    file_len: u64,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<Stored, ImportError> {
    let fail = |problem: String| fail(path, problem);
    let mut gz = flate2::bufread::GzDecoder::new(BufReader::with_capacity(1 << 16, file));
    let mut raw = [0u8; 16];
    read_fully(&mut gz, &mut raw).map_err(|(got, e)| {
        fail(match e {
            Some(e) => broken_gzip(&e, "in the header"),
            None => format!("truncated: expected a 16-byte header, got {got} bytes"),
        })
    })?;
    let header = Header::parse_gzip(raw, file_len).map_err(&fail)?;
    let mut src = Sections::new(path, progress, header.payload_len());
    let cloud = decode_cloud(&header, path, warnings, |_, len| {
        src.read(&mut gz, len, |error, _, src| match error {
            None => format!(
                "truncated: expected {} bytes of splat data, got {}",
                src.expected, src.got
            ),
            Some(e) => broken_gzip(
                &e,
                &format!("after {} of {} bytes of splat data", src.got, src.expected),
            ),
        })
    })?;

    let extensions = if header.flags & FLAG_EXTENSIONS != 0 {
        let mut ext = Vec::new();
        (&mut gz)
            .take(MAX_EXTENSION_BYTES + 1)
            .read_to_end(&mut ext)
            .map_err(|e| fail(broken_gzip(&e, "in the extension records")))?;
        if ext.len() as u64 > MAX_EXTENSION_BYTES {
            return Err(fail(format!(
                "more than {MAX_EXTENSION_BYTES} bytes of extension records after the splat data"
            )));
        }
        Some(ext)
    } else {
        // One byte more than the header implies is an error; reading it also runs the decoder
        // to the end of the stream, which checks the gzip CRC and length.
        let mut extra = [0u8; 1];
        let (got, error) = match read_fully(&mut gz, &mut extra) {
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
                header.payload_len()
            )));
        }
        None
    };
    // Like the reference (zlib stops at the end of the gzip member) bytes after the stream are
    // not read, but the user hears of them.
    let mut rest = gz.into_inner();
    if rest.fill_buf().is_ok_and(|b| !b.is_empty()) {
        warnings.push(format!(
            "{}: ignored data after the end of the gzip stream",
            path.display()
        ));
    }
    Ok(Stored {
        header,
        cloud,
        extensions,
    })
}

/// Version 4: a plain header, extension records and table of contents, then one Zstandard
/// frame per non-empty attribute.
fn read_ngsp<R: Read + Seek>(
    path: &Path,
    mut file: R,
    file_len: u64,
    progress: &Progress,
    warnings: &mut Vec<String>,
) -> Result<Stored, ImportError> {
    let fail = |problem: String| fail(path, problem);
    let io = |error| ImportError::io(path, error);
    let mut raw = [0u8; 32];
    read_fully(&mut file, &mut raw).map_err(|(got, e)| match e {
        Some(e) => io(e),
        None => fail(format!(
            "truncated: a version 4 file starts with a 32-byte header, got {got} bytes"
        )),
    })?;
    let (header, index) = Header::parse_ngsp(raw, file_len).map_err(&fail)?;

    // The streams in file order: the non-empty sections.
    let sizes = header.section_sizes();
    let present: Vec<usize> = (0..sizes.len()).filter(|&k| sizes[k] > 0).collect();
    if usize::from(index.streams) != present.len() {
        return Err(fail(format!(
            "the table of contents lists {} streams where a file of SH degree {} has {}",
            index.streams,
            header.sh_degree,
            present.len()
        )));
    }
    let toc_len = 16 * u64::from(index.streams);
    if index.toc_offset < 32 || index.toc_offset.saturating_add(toc_len) > file_len {
        return Err(fail(format!(
            "the table of contents at byte {} ({toc_len} bytes) lies outside the {file_len}-byte \
             file",
            index.toc_offset
        )));
    }
    let extensions = if header.flags & FLAG_EXTENSIONS != 0 {
        let len = index.toc_offset - 32;
        if len > MAX_EXTENSION_BYTES {
            return Err(fail(format!(
                "{len} bytes of extension records, more than the {MAX_EXTENSION_BYTES} \
                 worldsmith reads"
            )));
        }
        let mut ext = Vec::new();
        (&mut file).take(len).read_to_end(&mut ext).map_err(io)?;
        Some(ext)
    } else {
        None
    };
    file.seek(SeekFrom::Start(index.toc_offset)).map_err(io)?;
    let mut toc = Vec::new();
    (&mut file)
        .take(toc_len)
        .read_to_end(&mut toc)
        .map_err(io)?;
    // (start, compressed length) of each section's stream.
    let mut streams = [(0u64, 0u64); 6];
    let mut start = index.toc_offset + toc_len;
    for (&k, entry) in present.iter().zip(toc.as_chunks::<16>().0) {
        let (compressed, decompressed) = entry.split_at(8);
        let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or_default());
        let (compressed, decompressed) = (word(compressed), word(decompressed));
        let want = sizes[k] * u64::from(header.points);
        if decompressed != want {
            return Err(fail(format!(
                "the {} stream says it holds {decompressed} bytes where {} splats have {want}",
                SECTIONS[k], header.points
            )));
        }
        if start.saturating_add(compressed) > file_len {
            return Err(fail(format!(
                "truncated: the {} stream ({compressed} bytes from byte {start}) runs past the \
                 end of the {file_len}-byte file",
                SECTIONS[k]
            )));
        }
        streams[k] = (start, compressed);
        start += compressed;
    }
    if start < file_len {
        warnings.push(format!(
            "{}: ignored {} bytes after the last stream",
            path.display(),
            file_len - start
        ));
    }

    let mut src = Sections::new(path, progress, header.payload_len());
    let cloud = decode_cloud(&header, path, warnings, |k, len| {
        let name = SECTIONS.get(k).copied().unwrap_or("splat");
        let (start, compressed) = streams.get(k).copied().unwrap_or_default();
        if len == 0 {
            return Ok(Vec::new());
        }
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let input = BufReader::with_capacity(1 << 16, (&mut file).take(compressed));
        let mut zstd = ruzstd::StreamingDecoder::new(input)
            .map_err(|e| fail(format!("damaged Zstandard {name} stream: {e}")))?;
        let bytes = src.read(&mut zstd, len, |error, got, _| match error {
            None => format!("truncated: the {name} stream holds {got} of its {len} bytes"),
            Some(e) => format!("damaged Zstandard {name} stream after {got} of {len} bytes: {e}"),
        })?;
        let mut extra = [0u8; 1];
        match read_fully(&mut zstd, &mut extra) {
            Err((0, None)) => Ok(bytes),
            Ok(()) | Err((_, None)) => Err(fail(format!(
                "the {name} stream holds more than the {len} bytes its header implies"
            ))),
            Err((_, Some(e))) => Err(fail(format!(
                "damaged Zstandard {name} stream after its {len} bytes: {e}"
            ))),
        }
    })?;
    Ok(Stored {
        header,
        cloud,
        extensions,
    })
}

/// The splats from the sections in file order, each fetched by `section(k, bytes)`.
fn decode_cloud(
    header: &Header,
    path: &Path,
    warnings: &mut Vec<String>,
    mut section: impl FnMut(usize, u64) -> Result<Vec<u8>, ImportError>,
) -> Result<SplatCloud, ImportError> {
    let n = header.points as usize;
    let [pos_len, alpha_len, color_len, scale_len, rot_len, sh_len] =
        header.section_sizes().map(|per_splat| per_splat * n as u64);

    let bytes = section(0, pos_len)?;
    let positions = if header.version == 1 {
        let (positions, non_finite) = decode_positions_f16(&bytes);
        if non_finite > 0 {
            warnings.push(format!(
                "{}: {non_finite} splats had a non-finite centre (replaced by 0)",
                path.display()
            ));
        }
        positions
    } else {
        decode_positions_fixed(&bytes, header.fractional_bits)
    };
    drop(bytes);

    let bytes = section(1, alpha_len)?;
    let opacities: Vec<f32> = bytes.par_iter().map(|&b| f32::from(b) / 255.0).collect();
    drop(bytes);

    let bytes = section(2, color_len)?;
    let colors = decode_colors(&bytes);
    drop(bytes);

    let bytes = section(3, scale_len)?;
    let scales = decode_scales(&bytes);
    drop(bytes);

    let bytes = section(4, rot_len)?;
    let rotations = if header.version >= 3 {
        decode_rotations_smallest_three(&bytes)
    } else {
        decode_rotations_first_three(&bytes)
    };
    drop(bytes);

    let bytes = section(5, sh_len)?;
    let kept_degree = header.sh_degree.min(MAX_KEPT_SH_DEGREE);
    let sh_rest = decode_sh(
        &bytes,
        header.file_sh_coefficients(),
        SplatCloud::sh_rest_coefficients(kept_degree),
    );
    drop(bytes);

    SplatCloud::new(
        positions,
        rotations,
        scales,
        opacities,
        colors,
        kept_degree,
        sh_rest,
    )
    .map_err(|e| fail(path, e.to_string()))
}

/// `rub_from_stored` for one of [`FRAMES`]: each letter is where that stored axis points in
/// SPZ's (and worldsmith's) right-up-back frame.
fn rub_from_frame(frame: &str) -> Mat3 {
    let axis = |letter: char| match letter {
        'R' => Vec3::X,
        'L' => Vec3::NEG_X,
        'U' => Vec3::Y,
        'D' => Vec3::NEG_Y,
        'B' => Vec3::Z,
        _ => Vec3::NEG_Z,
    };
    let mut letters = frame.chars().map(axis);
    let mut next = || letters.next().unwrap_or(Vec3::ZERO);
    let (x, y, z) = (next(), next(), next());
    Mat3::from_cols(x, y, z)
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
    let name = super::stem_or(path, "Splats");
    let scene = super::splat_scene(&name, cloud, Transform::IDENTITY);
    Imported { scene, warnings }
}

/// Splat data read so far against what the header implies, for progress and messages.
struct Sections<'a> {
    path: &'a Path,
    progress: &'a Progress,
    /// Bytes of splat data the header implies.
    expected: u64,
    /// Bytes of splat data read so far.
    got: u64,
}

impl<'a> Sections<'a> {
    fn new(path: &'a Path, progress: &'a Progress, expected: u64) -> Self {
        progress.begin(expected);
        Self {
            path,
            progress,
            expected,
            got: 0,
        }
    }

    /// Reads the next `len` bytes from `reader`, allocating as bytes arrive. On failure
    /// `describe` words the problem from the decoder's error (`None`: the stream ended), the
    /// bytes of this read that did arrive and the totals so far.
    fn read(
        &mut self,
        reader: &mut impl Read,
        len: u64,
        describe: impl FnOnce(Option<std::io::Error>, u64, &Self) -> String,
    ) -> Result<Vec<u8>, ImportError> {
        self.progress.check(self.path)?;
        let mut buf = Vec::new();
        while (buf.len() as u64) < len {
            self.progress.check(self.path)?;
            let start = buf.len();
            let want = (len - start as u64).min(CHUNK as u64) as usize;
            buf.resize(start + want, 0);
            let slot = buf.get_mut(start..).unwrap_or_default();
            let result = read_fully(reader, slot);
            let got = match &result {
                Ok(()) => want,
                Err((got, _)) => *got,
            };
            self.got += got as u64;
            self.progress.advance(got as u64);
            if let Err((_, error)) = result {
                let problem = describe(error, (start + got) as u64, self);
                return Err(fail(self.path, problem));
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

/// The stored frame's code from an `SPZ_ADOBE_coordinate_system` record among raw extension
/// records (`u32 type, u32 length, payload`), and what the others are ("2 records of types
/// 0xadbe0002, ...") or what is wrong with them; `None` when there is nothing else.
fn read_extensions(mut ext: &[u8]) -> (Option<u32>, Option<String>) {
    let all = ext.len();
    let mut frame = None;
    let mut types = Vec::new();
    while let Some((head, rest)) = ext.split_first_chunk::<8>() {
        let [t0, t1, t2, t3, l0, l1, l2, l3] = *head;
        let kind = u32::from_le_bytes([t0, t1, t2, t3]);
        let len = u32::from_le_bytes([l0, l1, l2, l3]) as usize;
        let Some((payload, after)) = rest.split_at_checked(len) else {
            return (frame, Some(format!("{all} bytes, malformed records")));
        };
        match payload.first_chunk::<4>() {
            Some(&code) if kind == COORDINATE_SYSTEM_RECORD => {
                frame = Some(u32::from_le_bytes(code));
            }
            _ => types.push(format!("0x{kind:08x}")),
        }
        ext = after;
    }
    let described = match types.len() {
        _ if !ext.is_empty() => Some(format!(
            "{} stray bytes after records of types {}",
            ext.len(),
            types.join(", ")
        )),
        0 if frame.is_none() => Some("flag set but no records".into()),
        0 => None,
        1 => Some(format!("1 record of type {}", types.join(""))),
        k => Some(format!("{k} records of types {}", types.join(", "))),
    };
    (frame, described)
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
    fn extension_records_are_read_described_or_flagged_malformed() {
        let describe = |ext: &[u8]| read_extensions(ext).1.unwrap_or_default();
        assert_eq!(describe(&[]), "flag set but no records");
        let mut ext = 0xadbe_0001_u32.to_le_bytes().to_vec();
        ext.extend_from_slice(&2u32.to_le_bytes());
        ext.extend_from_slice(&[7, 7]);
        assert_eq!(describe(&ext), "1 record of type 0xadbe0001");
        // A coordinate-system record is read, not listed.
        let mut framed = ext.clone();
        framed.extend_from_slice(&COORDINATE_SYSTEM_RECORD.to_le_bytes());
        framed.extend_from_slice(&4u32.to_le_bytes());
        framed.extend_from_slice(&12u32.to_le_bytes());
        assert_eq!(
            read_extensions(&framed),
            (Some(12), Some("1 record of type 0xadbe0001".into()))
        );
        assert_eq!(read_extensions(&framed[10..]), (Some(12), None));
        ext.extend_from_slice(&[1, 2, 3]);
        assert!(describe(&ext).contains("3 stray bytes"));
        let mut bad = 1u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(describe(&bad).contains("malformed"));
    }

    #[test]
    fn frames_map_each_stored_axis_to_its_direction() {
        assert_eq!(rub_from_frame("RUB"), Mat3::IDENTITY);
        // RDF (PLY, OpenCV): y and z flipped, a half turn about x.
        assert_eq!(
            rub_from_frame("RDF"),
            Mat3::from_diagonal(Vec3::new(1.0, -1.0, -1.0))
        );
        // RFU (z up): stored up (0, 0, 1) is RUB's y, stored forward (0, 1, 0) is RUB's -z.
        let m = rub_from_frame("RFU");
        assert_eq!(m * Vec3::Z, Vec3::Y);
        assert_eq!(m * Vec3::Y, Vec3::NEG_Z);
        assert_eq!(m.determinant(), 1.0);
        // Left-handed frames are mirrors.
        for frame in FRAMES {
            let handed = frame.matches(['L', 'D', 'F']).count() % 2;
            let cross = matches!(frame.as_bytes()[1], b'F' | b'B');
            let det = rub_from_frame(frame).determinant();
            let left = (handed == 1) != cross;
            assert_eq!(det, if left { -1.0 } else { 1.0 }, "{frame}");
        }
    }
}
