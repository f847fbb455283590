// 3D Gaussian splats (Kerbl, Kopanas, Leimkühler & Drettakis 2023, "3D Gaussian Splatting for
// Real-Time Radiance Field Rendering"), rasterised as one screen-space quad per splat and
// projected with EWA splatting (Zwicker, Pfister, van Baar & Gross 2002, "EWA Splatting").
//
// Per splat (vertex shader):
//   Σ      = R S Sᵀ Rᵀ                        3D covariance in the cloud's frame (R from the
//                                              unit quaternion, S = diag(standard deviations))
//   t      = view_from_local · p               centre in view space (camera looks along −Z)
//   J      = ∂(x_px, y_px)/∂t                  Jacobian of the perspective projection at t,
//            = [f_x/z, 0, f_x t_x/z²; 0, f_y/z, f_y t_y/z²]   with z = −t_z
//            = [f_x, 0, 0; 0, f_y, 0] in an orthographic view (f: pixels per metre)
//   Σ'     = J W Σ Wᵀ Jᵀ + 0.3 I               2D covariance in pixels² (W = linear part of
//                                              view_from_local); + 0.3 px² is the low-pass
//                                              filter of the 3DGS rasteriser (≥ ~1 px splats)
//   λ₁,₂, v₁,₂ = eigen decomposition of Σ'      the quad spans ±3√λᵢ along vᵢ (capped)
// t_x/z and t_y/z are clamped to 1.3× the frustum before building J, as the reference
// rasteriser does, so splats far outside the view do not get exploding Jacobians.
// Fragment: α = opacity · exp(−½ dᵀ Σ'⁻¹ d); in the eigenbasis dᵀ Σ'⁻¹ d = Σ (dᵢ/√λᵢ)², so
// the quad carries the offset in standard deviations and the shader needs no matrix.
// Output is premultiplied (blend One, OneMinusSrcAlpha), drawn back to front (sorted on the
// CPU into `order`), depth-tested against meshes without writing depth, into the display-space
// layer (display.wgsl): colours blend as stored, sRGB-encoded, as the 3DGS rasteriser does.
// Relit splats (draw.relight.x > 0) are shaded per splat here, in the vertex stage: normal
// from the shortest axis, the scene's lights with the sun's shadow at the splat's centre
// (so meshes shadow splats), mixed with the captured colour (see `relit` in common.wgsl).

struct SplatDraw {
    clip_from_local: mat4x4<f32>,
    view_from_local: mat4x4<f32>,
    // xyz: camera position in the cloud's frame (view-dependent colour is evaluated there,
    // so rotating the node rotates its view-dependent effects), w = 1; orthographic views:
    // the unit direction the view looks along in that frame, w = 0.
    camera_in_local: vec4<f32>,
    // x, y: focal lengths in pixels (orthographic: pixels per metre); z, w: tan of half the
    // field of view in x and y.
    projection: vec4<f32>,
    // x: SH degree (0..3; the pipelines are specialised by it, `sh_degree`); y: u32 words
    // of SH rest per splat; z: 1 in antialiased mode (opacity compensated for the low-pass);
    // w: 1 when the editor's selected splats (`selected`) are shown tinted.
    info: vec4<u32>,
    // The node's colour grade: rgb factor, w saturation (see `graded` in common.wgsl).
    grade: vec4<f32>,
    // Relighting (see `relit` in common.wgsl): world position and normal of a splat,
    // the captured light model in the cloud's frame (directional xyz, ambient w) and
    // x: amount (0 = as captured).
    world_from_local: mat4x4<f32>,
    normal_from_local: mat4x4<f32>,
    relight_model: vec4<f32>,
    relight: vec4<f32>,
    // Where the selected splats are shown, in the cloud's frame (the editor's gizmo dragging
    // them); used only when info.w is 1.
    moved: mat4x4<f32>,
};

// 32 bytes; see render/clouds.rs.
struct Splat {
    position: vec3<f32>,
    // Unit quaternion (x, y), (z, w) as pairs of halves.
    rotation_xy: u32,
    rotation_zw: u32,
    // Standard deviations x, y and (z, opacity) as halves.
    scale_xy: u32,
    scale_z_opacity: u32,
    // View-independent colour (display sRGB), 11-11-10 fixed point over [-0.5, 1.5).
    color: u32,
};

@group(1) @binding(0) var<uniform> draw: SplatDraw;
@group(1) @binding(1) var<storage, read> splats: array<Splat>;
@group(1) @binding(2) var<storage, read> sh: array<u32>;
@group(1) @binding(3) var<storage, read> order: array<u32>;
// The view depths [x, y) this draw takes (render/clouds.rs `write_depth_slices`): the display
// pass draws splats in slices between blended meshes, so a mesh is drawn over the splats
// behind it and under those in front of it.
@group(1) @binding(4) var<uniform> depth_slice: vec4<f32>;
// The selection tool's marks of the page's splats (`element_mark` in common.wgsl), read when
// draw.info.w is 1: the splats the editor's screen selection holds (drawn tinted), those its
// tool hides (not drawn) and those it locks (greyed). A texture: the vertex stage's storage
// bindings are all taken (downlevel limit of four).
@group(1) @binding(5) var selected: texture_2d<u32>;

struct SplatOut {
    @builtin(position) clip: vec4<f32>,
    // Offset from the centre in standard deviations along the 2D eigenvectors.
    @location(0) offset: vec2<f32>,
    // rgb: sRGB-encoded display colour (display.wgsl); a: opacity.
    @location(1) @interpolate(flat) color: vec4<f32>,
    // The centre's view depth (the quad lies at it), for X-ray's split (`fs_xray_split`).
    @location(2) @interpolate(flat) view_depth: f32,
};

const SH_C1: f32 = 0.4886025119029199;
// Quads never exceed this many pixels from the centre (a splat engulfing the camera would
// otherwise cost more fill than the whole screen).
const MAX_RADIUS_PX: f32 = 4096.0;

// IEEE half float bits to f32, by hand: `unpack2x16float` needs a shader capability
// (f16 in f32) that downlevel adapters may lack.
fn half_to_f32(h: u32) -> f32 {
    let sign = (h & 0x8000u) << 16u;
    let exponent = (h >> 10u) & 0x1fu;
    let mantissa = h & 0x3ffu;
    if exponent == 0u {
        // Zero or subnormal: mantissa · 2⁻²⁴.
        let magnitude = f32(mantissa) * 5.9604645e-8;
        return select(magnitude, -magnitude, sign != 0u);
    }
    // Infinity and NaN keep an all-ones exponent; normal numbers are re-biased (15 → 127).
    let e = select(exponent + 112u, 255u, exponent == 31u);
    return bitcast<f32>(sign | (e << 23u) | (mantissa << 13u));
}

fn unpack_halves(w: u32) -> vec2<f32> {
    return vec2<f32>(half_to_f32(w & 0xffffu), half_to_f32(w >> 16u));
}

fn quad_corner(i: u32) -> vec2<f32> {
    // A triangle strip of four corners: the vertex stage runs 4 times per quad, not 6.
    var corners = array<vec2<f32>, 4>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(-1.0, 1.0),
        vec2<f32>(1.0, 1.0));
    return corners[i % 4u];
}

fn unpack_color(c: u32) -> vec3<f32> {
    let q = vec3<f32>(f32(c & 0x7ffu) / 2047.0, f32((c >> 11u) & 0x7ffu) / 2047.0,
                      f32(c >> 22u) / 1023.0);
    return q * 2.0 - 0.5;
}

// Rest coefficient k (0-based, i.e. SH index k + 1) of splat `s`, RGB.
fn sh_coeff(s: u32, k: u32) -> vec3<f32> {
    let base = s * draw.info.y;
    let h = k * 3u;
    var out: vec3<f32>;
    for (var c = 0u; c < 3u; c += 1u) {
        let i = h + c;
        let pair = unpack_halves(sh[base + i / 2u]);
        out[c] = select(pair.x, pair.y, (i & 1u) == 1u);
    }
    return out;
}

// View-dependent colour: the DC colour plus SH bands 1..degree at unit direction `d` (from the
// camera to the splat, in the cloud's frame). Constants and signs as in the 3DGS reference
// (`computeColorFromSH`).
fn sh_color(s: u32, dc: vec3<f32>, d: vec3<f32>) -> vec3<f32> {
    var c = dc;
    let degree = sh_degree;
    if degree == 0u {
        return c;
    }
    let x = d.x;
    let y = d.y;
    let z = d.z;
    c += SH_C1 * (-y * sh_coeff(s, 0u) + z * sh_coeff(s, 1u) - x * sh_coeff(s, 2u));
    if degree == 1u {
        return c;
    }
    let xx = x * x;
    let yy = y * y;
    let zz = z * z;
    c += 1.0925484305920792 * x * y * sh_coeff(s, 3u)
        - 1.0925484305920792 * y * z * sh_coeff(s, 4u)
        + 0.31539156525252005 * (2.0 * zz - xx - yy) * sh_coeff(s, 5u)
        - 1.0925484305920792 * x * z * sh_coeff(s, 6u)
        + 0.5462742152960396 * (xx - yy) * sh_coeff(s, 7u);
    if degree == 2u {
        return c;
    }
    c += -0.5900435899266435 * y * (3.0 * xx - yy) * sh_coeff(s, 8u)
        + 2.890611442640554 * x * y * z * sh_coeff(s, 9u)
        - 0.4570457994644658 * y * (4.0 * zz - xx - yy) * sh_coeff(s, 10u)
        + 0.3731763325901154 * z * (2.0 * zz - 3.0 * xx - 3.0 * yy) * sh_coeff(s, 11u)
        - 0.4570457994644658 * x * (4.0 * zz - xx - yy) * sh_coeff(s, 12u)
        + 1.445305721320277 * z * (xx - yy) * sh_coeff(s, 13u)
        - 0.5900435899266435 * x * (xx - 3.0 * yy) * sh_coeff(s, 14u);
    return c;
}

// Rotation matrix of a unit quaternion (x, y, z, w), as columns.
fn quat_to_mat3(q: vec4<f32>) -> mat3x3<f32> {
    let x = q.x;
    let y = q.y;
    let z = q.z;
    let w = q.w;
    return mat3x3<f32>(
        vec3<f32>(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y + w * z), 2.0 * (x * z - w * y)),
        vec3<f32>(2.0 * (x * y - w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z + w * x)),
        vec3<f32>(2.0 * (x * z + w * y), 2.0 * (y * z - w * x), 1.0 - 2.0 * (x * x + y * y)));
}

fn culled() -> SplatOut {
    var out: SplatOut;
    // Outside the clip volume (z > w): the rasteriser drops the triangle.
    out.clip = vec4<f32>(0.0, 0.0, 2.0, 1.0);
    out.offset = vec2<f32>(0.0);
    out.color = vec4<f32>(0.0);
    out.view_depth = 0.0;
    return out;
}

// Which splats a draw takes, by the side of the viewport's ground grid (the plane y = 0) their
// centre lies on: 0 all; -1 those beyond the plane as seen from the camera, drawn before the
// grid; +1 those on the camera's side, drawn after it. Any point beyond the plane is behind
// it along its view ray and any on the camera's side is in front, so the grid composites
// between the two exactly (see render/renderer.rs).
override grid_side: f32 = 0.0;
// The selection-mask pipeline: only the quad and opacity (no colour), for `fs_mask`.
override mask_only: bool = false;
// What the colour computes, per node (render/clouds.rs `SplatShading`): the cloud's SH degree
// and whether the node is relit. Pipeline constants, not branches on the draw's uniform, so
// a cloud runs only the code it needs (a CPU adapter runs every branch under a lane mask).
override sh_degree: u32 = 0u;
override relighting: bool = false;
// A selected cloud's outline follows where its splats are at least this opaque.
const MASK_ALPHA: f32 = 0.25;
// What selected splats are tinted towards (display sRGB), as SuperSplat shows them.
const SELECTED_TINT: vec3<f32> = vec3<f32>(1.0, 0.82, 0.1);

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> SplatOut {
    let index = order[ii];
    var s = splats[index];
    // The editor's screen selection: tinted, and drawn where the gizmo drags it (`lin`: the
    // drag's linear part, for the shape; identity for splats that stay).
    var is_selected = false;
    var is_locked = false;
    if draw.info.w != 0u {
        let mark = element_mark(selected, index);
        if mark == MARK_HIDDEN {
            return culled();
        }
        is_selected = mark == MARK_SELECTED;
        is_locked = mark == MARK_LOCKED;
    }
    var lin = mat3x3<f32>(vec3<f32>(1.0, 0.0, 0.0), vec3<f32>(0.0, 1.0, 0.0),
                          vec3<f32>(0.0, 0.0, 1.0));
    if is_selected {
        s.position = (draw.moved * vec4<f32>(s.position, 1.0)).xyz;
        lin = mat3x3<f32>(draw.moved[0].xyz, draw.moved[1].xyz, draw.moved[2].xyz);
    }
    if grid_side != 0.0 {
        let world_y = (draw.world_from_local * vec4<f32>(s.position, 1.0)).y;
        let camera_side = select(-1.0, 1.0, frame.camera_pos.y >= 0.0);
        if (world_y * camera_side >= 0.0) != (grid_side > 0.0) {
            return culled();
        }
    }
    let center = draw.clip_from_local * vec4<f32>(s.position, 1.0);
    // Behind the near plane (reverse Z: z > w) or not a number.
    if !(center.w > 0.0 && center.z <= center.w) {
        return culled();
    }
    let t = (draw.view_from_local * vec4<f32>(s.position, 1.0)).xyz;
    let z = max(-t.z, 1e-6);
    if z < depth_slice.x || z >= depth_slice.y {
        return culled();
    }

    // 3D covariance Σ = M Mᵀ with M = L R S (L: the drag's linear part, see `lin`).
    let q = vec4<f32>(unpack_halves(s.rotation_xy), unpack_halves(s.rotation_zw));
    let scale_xy = unpack_halves(s.scale_xy);
    let scale_zo = unpack_halves(s.scale_z_opacity);
    let r = quat_to_mat3(q);
    let m = lin * mat3x3<f32>(r[0] * scale_xy.x, r[1] * scale_xy.y, r[2] * scale_zo.x);
    let sigma = m * transpose(m);

    // EWA: Jacobian at the centre, with the centre clamped to 1.3× the frustum.
    let fx = draw.projection.x;
    let fy = draw.projection.y;
    let ortho = draw.camera_in_local.w == 0.0;
    var j = mat3x3<f32>(vec3<f32>(fx, 0.0, 0.0), vec3<f32>(0.0, fy, 0.0), vec3<f32>(0.0));
    if !ortho {
        let lim = 1.3 * draw.projection.zw;
        let tx = clamp(t.x / z, -lim.x, lim.x) * z;
        let ty = clamp(t.y / z, -lim.y, lim.y) * z;
        j = mat3x3<f32>(
            vec3<f32>(fx / z, 0.0, 0.0),
            vec3<f32>(0.0, fy / z, 0.0),
            vec3<f32>(fx * tx / (z * z), fy * ty / (z * z), 0.0));
    }
    let w = mat3x3<f32>(draw.view_from_local[0].xyz, draw.view_from_local[1].xyz,
                        draw.view_from_local[2].xyz);
    let jw = j * w;
    let cov = jw * sigma * transpose(jw);
    let a = cov[0][0] + 0.3;
    let b = cov[0][1];
    let c = cov[1][1] + 0.3;
    // Antialiased mode (Mip-Splatting's 2D filter, gsplat's `antialiased`): the low-pass
    // widens the footprint, so the opacity keeps only √(det Σ' / det(Σ' + 0.3 I)) of itself.
    var compensation = 1.0;
    if draw.info.z != 0u {
        let det_blurred = a * c - b * b;
        let det = cov[0][0] * cov[1][1] - b * b;
        compensation = sqrt(max(det / max(det_blurred, 1e-12), 0.0));
    }

    // Eigen decomposition of the symmetric 2×2 [a b; b c].
    let mid = 0.5 * (a + c);
    let disc = sqrt(max(mid * mid - (a * c - b * b), 0.0));
    let l1 = mid + disc;
    let l2 = max(mid - disc, 0.01);
    var v1 = vec2<f32>(1.0, 0.0);
    if abs(b) > 1e-9 * l1 {
        v1 = normalize(vec2<f32>(b, l1 - a));
    } else if c > a {
        v1 = vec2<f32>(0.0, 1.0);
    }
    let v2 = vec2<f32>(-v1.y, v1.x);
    let sd = sqrt(vec2<f32>(l1, l2));
    let opacity = scale_zo.y * compensation;
    // Past dᵀΣ'⁻¹d = 2 ln(255 · opacity) a fragment's alpha is under 1/255, which `fs_main`
    // discards: the quad ends there (and never past 3σ, as the reference rasteriser's), so a
    // faint splat costs less fill and culling, and draws the same pixels. One fainter than
    // 1/255 draws nothing at all.
    let reach = min(sqrt(2.0 * log(255.0 * opacity)), 3.0);
    if !(reach > 0.0) {
        return culled();
    }
    let radius = min(reach * sd, vec2<f32>(MAX_RADIUS_PX));
    if !(radius.x >= 0.0 && radius.y >= 0.0) {
        return culled();
    }

    // Cull quads entirely off screen (bounding box of the oriented quad, in pixels).
    let half_view = 0.5 * frame.viewport.xy;
    let center_px = center.xy / center.w * half_view;
    let extent = abs(v1) * radius.x + abs(v2) * radius.y;
    if any(abs(center_px) - extent > half_view) {
        return culled();
    }

    let corner = quad_corner(vi);
    let offset_px = corner.x * radius.x * v1 + corner.y * radius.y * v2;
    var out: SplatOut;
    let ndc = center.xy / center.w + offset_px / half_view;
    out.clip = vec4<f32>(ndc * center.w, center.z, center.w);
    out.offset = corner * radius / sd;
    out.view_depth = z;
    if mask_only {
        out.color = vec4<f32>(0.0, 0.0, 0.0, opacity);
        return out;
    }

    // A dragged splat's colour turns with it: its SH are read along the view direction
    // brought back into its own frame (Lᵀ, exact for turns and uniform scales).
    var dir = select(normalize(s.position - draw.camera_in_local.xyz),
                     draw.camera_in_local.xyz, ortho);
    if is_selected {
        dir = normalize(transpose(lin) * dir);
    }
    let rgb = max(sh_color(index, unpack_color(s.color), dir), vec3<f32>(0.0));
    // Splats blend in the display-space layer (display.wgsl), as stored: sRGB-encoded display
    // colour, which is what the captured colour already is. Like the 3DGS rasteriser, a
    // colour above 1 (SH bands can add to it) blends as it is; only the image is clamped.
    var shown = graded(rgb, draw.grade);
    if relighting {
        let h = captured_radiance(shown) * frame.params.x;
        // The splat's normal: its shortest axis, turned towards the camera (the side we see
        // of a thin surface is the side it faces).
        var n = select(r[0], r[1], scale_xy.y < scale_xy.x);
        if scale_zo.x < min(scale_xy.x, scale_xy.y) {
            n = r[2];
        }
        if is_selected {
            n = normalize(lin * n);
        }
        let to_viewer = select(draw.camera_in_local.xyz - s.position,
                               -draw.camera_in_local.xyz, ortho);
        if dot(n, to_viewer) < 0.0 {
            n = -n;
        }
        let world_pos = (draw.world_from_local * vec4<f32>(s.position, 1.0)).xyz;
        let n_world = normalize((draw.normal_from_local * vec4<f32>(n, 0.0)).xyz);
        shown = display_encoded(relit(h, draw.relight.x, draw.relight_model, n, world_pos,
                                      n_world, z));
    }
    if is_selected {
        shown = mix(shown, SELECTED_TINT, 0.6);
    }
    if is_locked {
        shown = locked_look(shown);
    }
    out.color = vec4<f32>(shown, opacity);
    return out;
}

@fragment
fn fs_main(in: SplatOut) -> @location(0) vec4<f32> {
    return splat_color(in);
}

fn splat_color(in: SplatOut) -> vec4<f32> {
    let alpha = min(0.99, in.color.a * exp(-0.5 * dot(in.offset, in.offset)));
    if alpha < 1.0 / 255.0 {
        discard;
    }
    return vec4<f32>(in.color.rgb * alpha, alpha);
}

// X-ray's split of the splats (`xray_keeps` in common.wgsl): the split front's view depth per
// pixel (solid.wgsl `fs_split_front`), and which side of it this pipeline draws (-1 behind,
// +1 in front).
@group(2) @binding(2) var xray_front: texture_2d<f32>;
override xray_side: f32 = -1.0;

fn xray_kept(in: SplatOut) -> bool {
    let front = textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r;
    return xray_keeps(xray_side, in.view_depth, front);
}

@fragment
fn fs_xray_split(in: SplatOut) -> @location(0) vec4<f32> {
    if !xray_kept(in) {
        discard;
    }
    return splat_color(in);
}

// The splat layer (renderer.rs `Targets::one_sample`): with MSAA, a frame's splats blend at
// one sample per pixel into their own layer, which the MSAA display pass then composites
// sample by sample, at the nearest depth of the splats that cover the pixel (the second
// target, blended by max: reverse Z). Fragments fainter than LAYER_DEPTH_ALPHA leave that
// depth alone, so one faint tail far in front does not pull the whole pixel's splats over a
// mesh edge they lie behind.
const LAYER_DEPTH_ALPHA: f32 = 0.1;

struct LayerOut {
    @location(0) color: vec4<f32>,
    @location(1) nearest: f32,
};

@fragment
fn fs_layer(in: SplatOut) -> LayerOut {
    return layer_out(in);
}

@fragment
fn fs_layer_xray_split(in: SplatOut) -> LayerOut {
    if !xray_kept(in) {
        discard;
    }
    return layer_out(in);
}

// X-ray with the splat layer (renderer.rs, "X-ray"): one draw splits the splats at the
// nearest X-ray surface, those at or behind it into the layer composited before X-ray's
// meshes (targets 0 and 1), those in front into a second layer composited after them
// (targets 2 and 3). The other side's outputs are zero, which neither blend changes.
struct LayerSplitOut {
    @location(0) behind_color: vec4<f32>,
    @location(1) behind_nearest: f32,
    @location(2) front_color: vec4<f32>,
    @location(3) front_nearest: f32,
};

@fragment
fn fs_layer_xray_both(in: SplatOut) -> LayerSplitOut {
    let l = layer_out(in);
    let front = textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r;
    let behind = xray_keeps(-1.0, in.view_depth, front);
    var out: LayerSplitOut;
    out.behind_color = select(vec4<f32>(0.0), l.color, behind);
    out.behind_nearest = select(0.0, l.nearest, behind);
    out.front_color = select(l.color, vec4<f32>(0.0), behind);
    out.front_nearest = select(l.nearest, 0.0, behind);
    return out;
}

fn layer_out(in: SplatOut) -> LayerOut {
    let alpha = min(0.99, in.color.a * exp(-0.5 * dot(in.offset, in.offset)));
    if alpha < 1.0 / 255.0 {
        discard;
    }
    var out: LayerOut;
    out.color = vec4<f32>(in.color.rgb * alpha, alpha);
    out.nearest = select(0.0, in.clip.z, alpha >= LAYER_DEPTH_ALPHA);
    return out;
}

// Selection mask: the node's value (draw.relight.y, gpu_scene::mask_value) where a selected cloud's splat is at least MASK_ALPHA opaque.
@fragment
fn fs_mask(in: SplatOut) -> @location(0) vec4<f32> {
    if in.color.a * exp(-0.5 * dot(in.offset, in.offset)) < MASK_ALPHA {
        discard;
    }
    return vec4<f32>(draw.relight.y, 0.0, 0.0, 1.0);
}
