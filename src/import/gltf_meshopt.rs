//! Buffer views stored compressed by meshoptimizer (EXT_meshopt_compression, and its ratified
//! successor KHR_meshopt_compression): gltfpack's `-c` output and much of the web's glTF.
//!
//! [`rewrite`] runs on the JSON before the `gltf` crate validates it: every compressed view is
//! pointed at a buffer of its own, appended to the document, which [`decode`] later fills
//! with the view's decoded bytes. The rest of the importer then reads plain buffer views.
//! Fallback buffers (the uncompressed stand-ins such files declare without data) are noted so
//! that they are not mistaken for the GLB's BIN chunk.
//!
//! Every size is checked before anything is allocated or handed to meshoptimizer (whose
//! decoders assert on strides they do not support): strides, counts, the compressed range
//! inside its buffer, and the decoded size against the file's size.

use super::ImportError;
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashSet;

/// The extensions read here.
pub(super) const EXTENSIONS: [&str; 2] = ["EXT_meshopt_compression", "KHR_meshopt_compression"];

/// How a view was compressed.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Mode {
    /// Vertex attributes (`meshopt_encodeVertexBuffer`).
    Attributes,
    /// A triangle list's indices (`meshopt_encodeIndexBuffer`).
    Triangles,
    /// Any other index sequence (`meshopt_encodeIndexSequence`).
    Indices,
}

/// What to apply after decoding.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Filter {
    #[default]
    None,
    Octahedral,
    Quaternion,
    Exponential,
    /// KHR_meshopt_compression only.
    Color,
}

/// A compressed view's extension object.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Compressed {
    buffer: usize,
    #[serde(default)]
    byte_offset: u64,
    byte_length: u64,
    byte_stride: u64,
    count: u64,
    mode: Mode,
    #[serde(default)]
    filter: Filter,
}

impl Compressed {
    /// Bytes the view decodes to.
    fn decoded_len(&self) -> Option<u64> {
        self.count.checked_mul(self.byte_stride)
    }

    /// What meshoptimizer's decoders and filters require of strides and counts (they assert
    /// rather than fail), checked before anything reaches them.
    fn check(&self) -> Result<(), String> {
        let Self {
            byte_stride: stride,
            count,
            mode,
            filter,
            ..
        } = *self;
        match mode {
            Mode::Attributes if stride == 0 || stride > 256 || !stride.is_multiple_of(4) => {
                return Err(format!(
                    "attribute stride {stride} is not a multiple of 4 in 4..=256"
                ));
            }
            Mode::Attributes => {}
            Mode::Triangles | Mode::Indices if !matches!(stride, 2 | 4) => {
                return Err(format!("index stride {stride} is neither 2 nor 4"));
            }
            Mode::Triangles if !count.is_multiple_of(3) => {
                return Err(format!("{count} triangle indices is not a multiple of 3"));
            }
            Mode::Triangles | Mode::Indices if filter != Filter::None => {
                return Err(format!("filter {filter:?} on indices"));
            }
            Mode::Triangles | Mode::Indices => {}
        }
        match (filter, stride) {
            (Filter::None | Filter::Exponential, _)
            | (Filter::Octahedral | Filter::Color, 4 | 8)
            | (Filter::Quaternion, 8) => Ok(()),
            (filter, stride) => Err(format!("filter {filter:?} on a {stride}-byte stride")),
        }
    }
}

/// What [`rewrite`] did: the buffers to fill by decoding, and the fallback buffers.
#[derive(Default)]
pub(super) struct Plan {
    /// (buffer index appended for it, view index, how it was compressed).
    decoded: Vec<(usize, usize, Compressed)>,
    /// Buffers that only stand in for compressed data: they have no bytes of their own.
    fallback: HashSet<usize>,
}

impl Plan {
    /// Whether buffer `index` gets its bytes from [`decode`] or has none (a fallback).
    pub fn fills(&self, index: usize) -> bool {
        self.fallback.contains(&index) || self.decoded.iter().any(|(b, ..)| *b == index)
    }
}

/// The extension object of `extensions`, if it holds one of [`EXTENSIONS`].
fn extension(
    extensions: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Option<&serde_json::Value> {
    let extensions = extensions?;
    EXTENSIONS.iter().find_map(|name| extensions.get(*name))
}

/// Points every compressed buffer view of `root` at a new buffer of its own (appended to
/// `root.buffers`). A malformed extension object is an error naming the view.
pub(super) fn rewrite(file: &str, root: &mut gltf::json::Root) -> Result<Plan, ImportError> {
    let mut plan = Plan::default();
    for (index, buffer) in root.buffers.iter().enumerate() {
        let others = buffer.extensions.as_ref().map(|e| &e.others);
        if extension(others).is_some_and(|e| e.get("fallback") == Some(&true.into())) {
            plan.fallback.insert(index);
        }
    }
    for index in 0..root.buffer_views.len() {
        let view = &root.buffer_views[index];
        let Some(object) = extension(view.extensions.as_ref().map(|e| &e.others)) else {
            continue;
        };
        let error = |problem: String| ImportError::View {
            file: file.into(),
            index,
            problem,
        };
        let compressed: Compressed = serde_json::from_value(object.clone())
            .map_err(|e| error(format!("unreadable meshopt compression: {e}")))?;
        compressed
            .check()
            .map_err(|problem| error(format!("meshopt compression: {problem}")))?;
        let decoded_len = compressed.decoded_len().unwrap_or(u64::MAX);
        let buffer = super::gltf::append_buffer(root, decoded_len);
        let view = &mut root.buffer_views[index];
        view.buffer = gltf::json::Index::new(buffer as u32);
        view.byte_offset = Some(0u64.into());
        if compressed.mode == Mode::Attributes {
            view.byte_stride = Some(gltf::json::buffer::Stride(
                usize::try_from(compressed.byte_stride).unwrap_or(usize::MAX),
            ));
        }
        plan.decoded.push((buffer, index, compressed));
    }
    Ok(plan)
}

/// Decodes every view [`rewrite`] moved, in parallel, into the buffer it appended for it:
/// `buffers` holds every buffer of the document, those [`Plan::fills`] empty.
pub(super) fn decode(file: &str, plan: &Plan, buffers: &mut [Vec<u8>]) -> Result<(), ImportError> {
    let allowed = super::gltf::expansion_budget(buffers);
    let mut total = 0u64;
    for (_, view, compressed) in &plan.decoded {
        total = total.saturating_add(compressed.decoded_len().unwrap_or(u64::MAX));
        if total > allowed {
            return Err(ImportError::View {
                file: file.into(),
                index: *view,
                problem: format!(
                    "meshopt-compressed views would decode to more than {allowed} bytes, \
                     more than this file may expand to"
                ),
            });
        }
    }
    let decoded: Vec<Result<Vec<u8>, ImportError>> = plan
        .decoded
        .par_iter()
        .map(|(_, view, compressed)| {
            decode_view(compressed, buffers).map_err(|problem| ImportError::View {
                file: file.into(),
                index: *view,
                problem: format!("meshopt decoding failed: {problem}"),
            })
        })
        .collect();
    for (bytes, (index, ..)) in decoded.into_iter().zip(&plan.decoded) {
        buffers[*index] = bytes?;
    }
    Ok(())
}

/// The decoded bytes of one view, or what is wrong with it.
fn decode_view(compressed: &Compressed, buffers: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let Compressed {
        buffer,
        byte_offset,
        byte_length,
        byte_stride: stride,
        count,
        mode,
        filter,
    } = *compressed;
    let source = buffers
        .get(buffer)
        .ok_or_else(|| format!("its data is in buffer {buffer}, which the file lacks"))?;
    let range = usize::try_from(byte_offset)
        .ok()
        .zip(usize::try_from(byte_offset.saturating_add(byte_length)).ok())
        .and_then(|(start, end)| source.get(start..end))
        .ok_or_else(|| {
            format!(
                "bytes {byte_offset}..+{byte_length} lie outside buffer {buffer} ({} bytes)",
                source.len()
            )
        })?;
    let count = usize::try_from(count).map_err(|_| "count too large".to_string())?;
    let error = |e: meshopt::Error| format!("{e:?} (corrupt data)");
    // Strides, counts and filters were checked by `Compressed::check`.
    match (mode, stride) {
        (Mode::Attributes, _) => {
            let mut data = decode_vertices(range, count, stride as usize)?;
            apply_filter(filter, stride, &mut data);
            Ok(data)
        }
        (Mode::Triangles, 2) => Ok(bytes_of(
            meshopt::decode_index_buffer::<u16>(range, count).map_err(error)?,
        )),
        (Mode::Triangles, _) => Ok(bytes_of(
            meshopt::decode_index_buffer::<u32>(range, count).map_err(error)?,
        )),
        (Mode::Indices, 2) => Ok(bytes_of(
            meshopt::decode_index_sequence::<u16>(range, count).map_err(error)?,
        )),
        (Mode::Indices, _) => Ok(bytes_of(
            meshopt::decode_index_sequence::<u32>(range, count).map_err(error)?,
        )),
    }
}

/// Decodes `count` vertices of `stride` bytes (a multiple of 4 up to 256, checked): the codec
/// works on whole vertices, so each stride gets its own instance.
fn decode_vertices(range: &[u8], count: usize, stride: usize) -> Result<Vec<u8>, String> {
    /// One vertex of `N` bytes (arrays past 32 have no `Default`).
    #[derive(Clone, Copy)]
    struct Vertex<const N: usize>([u8; N]);
    impl<const N: usize> Default for Vertex<N> {
        fn default() -> Self {
            Self([0; N])
        }
    }
    fn decode<const N: usize>(range: &[u8], count: usize) -> Result<Vec<u8>, meshopt::Error> {
        let vertices = meshopt::decode_vertex_buffer::<Vertex<N>>(range, count)?;
        Ok(vertices
            .into_iter()
            .flat_map(|Vertex(bytes)| bytes)
            .collect())
    }
    macro_rules! strides {
        ($($n:literal)*) => {
            match stride {
                $($n => decode::<$n>(range, count),)*
                _ => return Err(format!("attribute stride {stride} is not supported")),
            }
        };
    }
    strides!(4 8 12 16 20 24 28 32 36 40 44 48 52 56 60 64 68 72 76 80 84 88 92 96 100 104 108
        112 116 120 124 128 132 136 140 144 148 152 156 160 164 168 172 176 180 184 188 192 196
        200 204 208 212 216 220 224 228 232 236 240 244 248 252 256)
    .map_err(|e| format!("{e:?} (corrupt data)"))
}

/// The bytes of a decoded vector, as the buffer view holds them.
fn bytes_of<T: bytemuck::NoUninit>(values: Vec<T>) -> Vec<u8> {
    bytemuck::cast_slice(&values).to_vec()
}

/// Applies a filter in place on decoded attributes of `stride` bytes each (a combination
/// `Compressed::check` allowed).
fn apply_filter(filter: Filter, stride: u64, data: &mut [u8]) {
    // Filters work on aligned integers: decode into a copy of the right type and back.
    fn filtered<T: bytemuck::Pod>(data: &mut [u8], apply: impl FnOnce(&mut [T])) {
        let mut values: Vec<T> = bytemuck::pod_collect_to_vec(data);
        apply(&mut values);
        data.copy_from_slice(bytemuck::cast_slice(&values));
    }
    match (filter, stride) {
        (Filter::Octahedral, 4) => filtered(data, meshopt::decode_filter_oct::<i8>),
        (Filter::Octahedral, _) => filtered(data, meshopt::decode_filter_oct::<i16>),
        (Filter::Quaternion, _) => filtered(data, meshopt::decode_filter_quat),
        (Filter::Exponential, _) => filtered(data, meshopt::decode_filter_exp::<1>),
        (Filter::Color, 4) => filtered(data, meshopt::decode_filter_color::<u8>),
        (Filter::Color, _) => filtered(data, meshopt::decode_filter_color::<u16>),
        (Filter::None, _) => {}
    }
}
