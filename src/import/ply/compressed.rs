//! PlayCanvas / SuperSplat "compressed" splat PLY (`*.compressed.ply`, SuperSplat's default
//! export): a `chunk` element with per-256-splat bounds (position, log scale and, in newer
//! files, colour), a `vertex` element of four packed `uint` per splat, and an optional `sh`
//! element of `uchar` SH coefficients.
//!
//! Packing (PlayCanvas `splat-transform`): position and log scale 11-10-11 bits normalised to
//! the chunk's bounds; rotation "smallest three" — the index of the largest component of the
//! file-order quaternion (`rot_0..rot_3`, w first) in the top 2 bits, the other three in file
//! order as 10-bit `q · √½ + ½`; colour 8-8-8 normalised to the chunk's colour bounds (or to
//! 0..1 without them) and opacity 8 bits, already through the sigmoid; SH coefficients
//! `(n − ½) · 8` with `n` the byte over 256 (0 and 255 exactly 0 and 1).

use super::*;

/// Splats per chunk.
const CHUNK_SPLATS: usize = 256;

/// Where a compressed file keeps what.
#[derive(Debug)]
pub(super) struct CompressedFields {
    /// Index of the `chunk` element.
    chunk: usize,
    bounds: ChunkFields,
    /// `packed_position`, `packed_rotation`, `packed_scale`, `packed_color`.
    packed: [Field; 4],
    /// Index of the `sh` element, its degree and its coefficients in our splat-major order.
    sh: Option<(usize, u8, Vec<Field>)>,
}

#[derive(Debug)]
struct ChunkFields {
    min: [Field; 3],
    max: [Field; 3],
    min_scale: [Field; 3],
    max_scale: [Field; 3],
    /// `min_r, min_g, min_b` and `max_r, max_g, max_b`, in newer files.
    color: Option<([Field; 3], [Field; 3])>,
}

/// One chunk's bounds.
#[derive(Clone, Copy, Debug)]
struct Chunk {
    min: [f32; 3],
    max: [f32; 3],
    min_scale: [f32; 3],
    max_scale: [f32; 3],
    min_color: [f32; 3],
    max_color: [f32; 3],
}

/// The plan for a compressed file, if `header` is one (`None` otherwise): a `chunk` element
/// and the four packed vertex properties.
pub(super) fn plan_compressed(
    file: &str,
    header: &Header,
    warnings: &mut Vec<String>,
) -> Option<Result<CompressedFields, ImportError>> {
    let chunk = header.elements.iter().position(|e| e.name == "chunk")?;
    let vertex = header.elements.iter().find(|e| e.name == "vertex")?;
    let packed = vertex.fields([
        "packed_position",
        "packed_rotation",
        "packed_scale",
        "packed_color",
    ])?;
    let chunk_element = &header.elements[chunk];
    let names = |prefix: &str| ["x", "y", "z"].map(|axis| format!("{prefix}{axis}"));
    let fields = |names: [String; 3]| chunk_element.fields(names.each_ref().map(String::as_str));
    let Some([min, max, min_scale, max_scale]) = [
        names("min_"),
        names("max_"),
        names("min_scale_"),
        names("max_scale_"),
    ]
    .map(fields)
    .into_iter()
    .collect::<Option<Vec<_>>>()
    .and_then(|v| <[[Field; 3]; 4]>::try_from(v).ok()) else {
        return Some(Err(ply_error(
            file,
            "compressed splats: the chunk element lacks min_x..max_z or min_scale_x..max_scale_z",
        )));
    };
    let color = chunk_element
        .fields(["min_r", "min_g", "min_b"])
        .zip(chunk_element.fields(["max_r", "max_g", "max_b"]));
    let sh = header
        .elements
        .iter()
        .position(|e| e.name == "sh")
        .and_then(|index| {
            let (degree, rest) = sh_rest_fields(file, &header.elements[index], warnings);
            (degree > 0).then_some((index, degree, rest))
        });
    Some(Ok(CompressedFields {
        chunk,
        bounds: ChunkFields {
            min,
            max,
            min_scale,
            max_scale,
            color,
        },
        packed,
        sh,
    }))
}

impl Decode for ChunkFields {
    type Out = Vec<Chunk>;

    fn with_capacity(&self, n: usize) -> Vec<Chunk> {
        Vec::with_capacity(n)
    }

    fn decode<R: Row>(&self, row: &R, out: &mut Vec<Chunk>) {
        let get = |fields: &[Field; 3]| fields.map(|f| row.get(f));
        let (min_color, max_color) = self
            .color
            .as_ref()
            .map_or(([0.0; 3], [1.0; 3]), |(lo, hi)| (get(lo), get(hi)));
        out.push(Chunk {
            min: get(&self.min),
            max: get(&self.max),
            min_scale: get(&self.min_scale),
            max_scale: get(&self.max_scale),
            min_color,
            max_color,
        });
    }

    fn append(out: &mut Vec<Chunk>, part: Vec<Chunk>) {
        out.extend_from_slice(&part);
    }
}

/// The four packed words of each splat.
struct Packed([Field; 4]);

impl Decode for Packed {
    type Out = Vec<[u32; 4]>;

    fn with_capacity(&self, n: usize) -> Vec<[u32; 4]> {
        Vec::with_capacity(n)
    }

    fn decode<R: Row>(&self, row: &R, out: &mut Vec<[u32; 4]>) {
        // Through f64, which holds every u32 exactly (f32 would not).
        out.push(self.0.map(|f| row.get_f64(f) as u32));
    }

    fn append(out: &mut Vec<[u32; 4]>, part: Vec<[u32; 4]>) {
        out.extend_from_slice(&part);
    }
}

/// The SH bytes of each splat, in our splat-major order.
struct ShBytes(Vec<Field>);

impl Decode for ShBytes {
    type Out = Vec<u8>;

    fn with_capacity(&self, n: usize) -> Vec<u8> {
        Vec::with_capacity(n * self.0.len())
    }

    fn decode<R: Row>(&self, row: &R, out: &mut Vec<u8>) {
        out.extend(self.0.iter().map(|&f| row.get(f).clamp(0.0, 255.0) as u8));
    }

    fn append(out: &mut Vec<u8>, part: Vec<u8>) {
        out.extend_from_slice(&part);
    }
}

/// `bits`-bit unsigned value at `shift` of `word`, over its maximum.
fn unorm(word: u32, shift: u32, bits: u32) -> f32 {
    let max = (1u32 << bits) - 1;
    ((word >> shift) & max) as f32 / max as f32
}

/// An 11-10-11 word as three fractions.
fn unpack_111011(word: u32) -> [f32; 3] {
    [unorm(word, 21, 11), unorm(word, 11, 10), unorm(word, 0, 11)]
}

fn lerp3(lo: [f32; 3], hi: [f32; 3], t: [f32; 3]) -> [f32; 3] {
    [0, 1, 2].map(|i| lo[i] * (1.0 - t[i]) + hi[i] * t[i])
}

/// A "smallest three" rotation word as our `[x, y, z, w]` unit quaternion.
fn unpack_rotation(word: u32) -> [f32; 4] {
    let small = [20, 10, 0].map(|shift| (unorm(word, shift, 10) - 0.5) * std::f32::consts::SQRT_2);
    let largest = (1.0 - small.iter().map(|c| c * c).sum::<f32>())
        .max(0.0)
        .sqrt();
    let which = (word >> 30) as usize;
    // File order w, x, y, z with the largest component put back at `which`.
    let mut file = [0.0; 4];
    let mut rest = small.into_iter();
    for (i, slot) in file.iter_mut().enumerate() {
        *slot = if i == which {
            largest
        } else {
            rest.next().unwrap_or(0.0)
        };
    }
    let [w, x, y, z] = file;
    let q = glam::Vec4::new(x, y, z, w);
    let length = q.length();
    if length.is_finite() && length > 1e-6 {
        (q / length).to_array()
    } else {
        [0.0, 0.0, 0.0, 1.0]
    }
}

/// One SH byte as a coefficient.
fn sh_value(byte: u8) -> f32 {
    let n = match byte {
        0 => 0.0,
        255 => 1.0,
        b => (f32::from(b) + 0.5) / 256.0,
    };
    (n - 0.5) * 8.0
}

impl<R: Read + Seek> Body<'_, R> {
    /// Reads a compressed file's elements (in whatever order they come) and unpacks them.
    pub(super) fn read_compressed(
        &mut self,
        header: &Header,
        fields: &CompressedFields,
        warnings: &mut Vec<String>,
    ) -> Result<PlyContent, ImportError> {
        let mut chunks = None;
        let mut packed = None;
        let mut sh = None;
        for (i, element) in header.elements.iter().enumerate() {
            if i == fields.chunk {
                chunks = Some(self.vertices(element, &fields.bounds)?);
            } else if element.name == "vertex" {
                packed = Some(self.vertices(element, &Packed(fields.packed))?);
            } else if let Some((index, _, rest)) = &fields.sh
                && i == *index
            {
                sh = Some(self.vertices(element, &ShBytes(rest.clone()))?);
            } else {
                self.skip_element(element)?;
            }
        }
        let (chunks, packed) = chunks.zip(packed).unwrap_or_default();
        let file = &self.file;
        let n = packed.len();
        if chunks.len() != n.div_ceil(CHUNK_SPLATS) {
            return Err(ply_error(
                file,
                format!(
                    "compressed splats: {n} splats need {} chunks of {CHUNK_SPLATS} but the file \
                     has {}",
                    n.div_ceil(CHUNK_SPLATS),
                    chunks.len()
                ),
            ));
        }
        let (sh_degree, sh_rest) = match (&fields.sh, sh) {
            (Some((_, degree, rest)), Some(bytes)) if bytes.len() == n * rest.len() => {
                let values: Vec<f16> = bytes
                    .par_iter()
                    .map(|&b| f16::from_f32(sh_value(b)))
                    .collect();
                (*degree, values)
            }
            (Some(_), _) => {
                warnings.push(format!(
                    "{file}: compressed splats: the sh element does not have one row per \
                     splat; view-dependent colour ignored"
                ));
                (0, Vec::new())
            }
            _ => (0, Vec::new()),
        };
        // Unpacked in parallel straight into the cloud's arrays (no per-splat intermediate).
        let mut positions = vec![[0.0; 3]; n];
        let mut rotations = vec![[0.0; 4]; n];
        let mut scales = vec![[0.0; 3]; n];
        let mut opacities = vec![0.0; n];
        let mut colors = vec![[0.0; 3]; n];
        let non_finite: u64 = (
            positions.par_iter_mut(),
            rotations.par_iter_mut(),
            scales.par_iter_mut(),
            opacities.par_iter_mut(),
            colors.par_iter_mut(),
        )
            .into_par_iter()
            .zip(packed.par_iter())
            .enumerate()
            .map(
                |(i, ((p, r, s, o, c), &[position, rotation, scale, color]))| {
                    let chunk = chunks[i / CHUNK_SPLATS];
                    let mut bad = false;
                    *p = lerp3(chunk.min, chunk.max, unpack_111011(position))
                        .map(|v| finite_or_zero(v, &mut bad));
                    *r = unpack_rotation(rotation);
                    *s = lerp3(chunk.min_scale, chunk.max_scale, unpack_111011(scale))
                        .map(|v| finite_or_zero(v.exp(), &mut bad));
                    *o = unorm(color, 0, 8);
                    let rgb = [24, 16, 8].map(|shift| unorm(color, shift, 8));
                    *c = lerp3(chunk.min_color, chunk.max_color, rgb)
                        .map(|v| finite_or_zero(v, &mut bad));
                    u64::from(bad)
                },
            )
            .sum();
        if non_finite > 0 {
            warnings.push(format!(
                "{file}: {non_finite} splats had non-finite values (replaced by 0)"
            ));
        }
        let cloud = SplatCloud::new(
            positions, rotations, scales, opacities, colors, sh_degree, sh_rest,
        )
        .map_err(|e| ply_error(file, e.to_string()))?;
        Ok(PlyContent::Splats(cloud))
    }
}
