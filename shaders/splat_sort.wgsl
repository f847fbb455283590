// Depth sort of one page of Gaussian splats on the GPU: the compute twin of `sort_page` and
// `radix_sort` in render/clouds.rs, producing the same order bit for bit.
//
// 1. `depth_keys`: key = !bits(view depth) for splats in front of the near plane (positive
//    floats order like their bits; inverted, the farthest sorts first). Culled splats get
//    0xffffffff, which no visible splat can have (its depth bits are never 0), so they sort
//    after every visible one and the draw stops before them: `depth_keys` counts the
//    visible splats into the indirect draw's instance count.
// 2. Four stable LSD radix passes of 8 bits, each
//    `count_digits`  per-workgroup digit histograms, stored digit-major, workgroup-minor;
//    `scan_counts`   one workgroup turns them into exclusive prefix sums, i.e. where each
//                    workgroup's keys of each digit go;
//    `scatter`       each workgroup walks its range in rounds of 256 keys in index order; a
//                    key's rank among the round's keys of its digit comes from a 256-bit
//                    mask per digit (one bit per thread, popcounts of the lower bits), so
//                    equal digits keep their order and the sort is stable.
//
// Buffers: `scratch` holds keys A | keys B | values B (count words each) and `indices`
// (values A) is the buffer the splat draw reads; even passes go A → B, odd passes B → A, so
// after four passes the sorted page-local indices are in `indices`.

struct SortParams {
    // z row of view_from_local: view depth = −(row · (p, 1)).
    depth_row: vec4<f32>,
    near: f32,
    count: u32,
    // Workgroups of every dispatch but `scan_counts`, and keys per workgroup (a multiple of
    // 256).
    groups: u32,
    per_group: u32,
    // Radix pass 0..3 (digit = bits 8·pass .. 8·pass + 7).
    pass_index: u32,
    // Always 0, but unknown to the shader compiler: see `rounded`.
    zero: u32,
    pad1: u32,
    pad2: u32,
};

const THREADS: u32 = 256u;
const RADIX: u32 = 256u;
// 256 threads / 32 bits per mask word.
const MASK_WORDS: u32 = 8u;
// Words per splat (32 B); the position is the first three.
const SPLAT_WORDS: u32 = 8u;

@group(0) @binding(0) var<uniform> params: SortParams;
@group(0) @binding(1) var<storage, read> splats: array<u32>;
@group(0) @binding(2) var<storage, read_write> scratch: array<u32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
@group(0) @binding(4) var<storage, read_write> hist: array<u32>;
// vertex_count, instance_count, first_vertex, first_instance of the indirect draw.
@group(0) @binding(5) var<storage, read_write> draw_args: array<atomic<u32>, 4>;

var<workgroup> visible_total: atomic<u32>;
var<workgroup> digit_counts: array<atomic<u32>, 256>;
var<workgroup> scan_sums: array<u32, 256>;
var<workgroup> digit_masks: array<atomic<u32>, 2048>;
var<workgroup> digit_offsets: array<u32, 256>;

// First and one-past-last key of workgroup `group`.
fn group_range(group: u32) -> vec2<u32> {
    let start = min(group * params.per_group, params.count);
    return vec2<u32>(start, min(start + params.per_group, params.count));
}

@compute @workgroup_size(256)
fn depth_keys(@builtin(workgroup_id) wid: vec3<u32>,
              @builtin(local_invocation_index) t: u32) {
    if t == 0u {
        atomicStore(&visible_total, 0u);
    }
    workgroupBarrier();
    let range = group_range(wid.x);
    var visible = 0u;
    for (var i = range.x + t; i < range.y; i += THREADS) {
        let x = bitcast<f32>(splats[i * SPLAT_WORDS]);
        let y = bitcast<f32>(splats[i * SPLAT_WORDS + 1u]);
        let z = bitcast<f32>(splats[i * SPLAT_WORDS + 2u]);
        let r = params.depth_row;
        // The same sum, in the same order and with the same roundings as the CPU (no `dot`,
        // whose order is unspecified; no FMA, see `rounded`).
        let depth = -(((rounded(r.x * x) + rounded(r.y * y)) + rounded(r.z * z)) + r.w);
        let bits = bitcast<u32>(depth);
        // Finite (checked on the bits: shader compilers may assume there are no NaNs) and in
        // front of the near plane.
        let finite = (bits & 0x7f800000u) != 0x7f800000u;
        var key = 0xffffffffu;
        if finite && depth > params.near {
            key = ~bits;
            visible += 1u;
        }
        scratch[i] = key;
        indices[i] = i;
    }
    atomicAdd(&visible_total, visible);
    workgroupBarrier();
    if t == 0u {
        atomicAdd(&draw_args[1], atomicLoad(&visible_total));
    }
}

// `v` rounded to f32 as it stands. XOR with a value the compiler cannot see keeps it from
// fusing the product that made `v` with a following add into an FMA, which rounds once and
// would give keys a bit off the CPU's (Rust never contracts).
fn rounded(v: f32) -> f32 {
    return bitcast<f32>(bitcast<u32>(v) ^ params.zero);
}

fn digit_of(key: u32) -> u32 {
    return (key >> (params.pass_index * 8u)) & (RADIX - 1u);
}

// Where this pass reads its keys: A (offset 0) on even passes, B on odd ones.
fn keys_in() -> u32 {
    return select(0u, params.count, (params.pass_index & 1u) == 1u);
}

@compute @workgroup_size(256)
fn count_digits(@builtin(workgroup_id) wid: vec3<u32>,
                @builtin(local_invocation_index) t: u32) {
    atomicStore(&digit_counts[t], 0u);
    workgroupBarrier();
    let range = group_range(wid.x);
    let base = keys_in();
    for (var i = range.x + t; i < range.y; i += THREADS) {
        atomicAdd(&digit_counts[digit_of(scratch[base + i])], 1u);
    }
    workgroupBarrier();
    hist[t * params.groups + wid.x] = atomicLoad(&digit_counts[t]);
}

// One workgroup: thread t owns the histogram row of digit t (`groups` entries), sums it,
// the 256 row sums are scanned in workgroup memory, and each thread writes its row's
// exclusive prefix sums.
@compute @workgroup_size(256)
fn scan_counts(@builtin(local_invocation_index) t: u32) {
    let start = t * params.groups;
    let end = start + params.groups;
    var sum = 0u;
    for (var i = start; i < end; i += 1u) {
        sum += hist[i];
    }
    scan_sums[t] = sum;
    workgroupBarrier();
    // Hillis–Steele inclusive scan of the row sums.
    for (var offset = 1u; offset < RADIX; offset *= 2u) {
        var v = scan_sums[t];
        if t >= offset {
            v += scan_sums[t - offset];
        }
        workgroupBarrier();
        scan_sums[t] = v;
        workgroupBarrier();
    }
    var running = 0u;
    if t > 0u {
        running = scan_sums[t - 1u];
    }
    for (var i = start; i < end; i += 1u) {
        let c = hist[i];
        hist[i] = running;
        running += c;
    }
}

@compute @workgroup_size(256)
fn scatter(@builtin(workgroup_id) wid: vec3<u32>,
           @builtin(local_invocation_index) t: u32) {
    digit_offsets[t] = hist[t * params.groups + wid.x];
    for (var w = 0u; w < MASK_WORDS; w += 1u) {
        atomicStore(&digit_masks[t * MASK_WORDS + w], 0u);
    }
    workgroupBarrier();
    let range = group_range(wid.x);
    let odd = (params.pass_index & 1u) == 1u;
    let src = keys_in();
    let dst = select(params.count, 0u, odd);
    let values_b = 2u * params.count;
    let word = t / 32u;
    let bit = 1u << (t & 31u);
    // The bounds depend only on the workgroup and uniforms, so every thread runs the same
    // rounds and the barriers inside stay uniform.
    for (var round = range.x; round < range.y; round += THREADS) {
        let i = round + t;
        let live = i < range.y;
        var key = 0u;
        var value = 0u;
        var digit = 0u;
        if live {
            key = scratch[src + i];
            if odd {
                value = scratch[values_b + i];
            } else {
                value = indices[i];
            }
            digit = digit_of(key);
            atomicOr(&digit_masks[digit * MASK_WORDS + word], bit);
        }
        workgroupBarrier();
        if live {
            // Threads before this one with the same digit.
            var rank = countOneBits(atomicLoad(&digit_masks[digit * MASK_WORDS + word]) & (bit - 1u));
            for (var w = 0u; w < word; w += 1u) {
                rank += countOneBits(atomicLoad(&digit_masks[digit * MASK_WORDS + w]));
            }
            let at = digit_offsets[digit] + rank;
            scratch[dst + at] = key;
            if odd {
                indices[at] = value;
            } else {
                scratch[values_b + at] = value;
            }
        }
        workgroupBarrier();
        // Thread t advances digit t past this round's keys and clears its mask.
        var n = 0u;
        for (var w = 0u; w < MASK_WORDS; w += 1u) {
            n += countOneBits(atomicLoad(&digit_masks[t * MASK_WORDS + w]));
            atomicStore(&digit_masks[t * MASK_WORDS + w], 0u);
        }
        digit_offsets[t] += n;
        workgroupBarrier();
    }
}
