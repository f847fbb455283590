// Viewport grid: 1 m and 10 m lines, antialiased, fading with distance. It lies on the ground
// (y = 0, depth-tested against the scene), or, in an orthographic view along X or Z
// (`frame.display.y`: 1 along X, 2 along Z; 0 the ground), in the plane x = 0 or z = 0
// behind everything, where only the background shows.

struct GridOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    // The point's coordinates in the grid's plane: (x, z) on the ground, (z, y) across X,
    // (x, y) across Z.
    @location(1) plane: vec2<f32>,
};

fn grid_kind() -> i32 {
    return i32(frame.display.y + 0.5);
}

// The world point at plane coordinates `c`.
fn grid_point(c: vec2<f32>) -> vec3<f32> {
    switch grid_kind() {
        case 1: {
            return vec3<f32>(0.0, c.y, c.x);
        }
        case 2: {
            return vec3<f32>(c.x, c.y, 0.0);
        }
        default: {
            return vec3<f32>(c.x, 0.0, c.y);
        }
    }
}

// A world point's plane coordinates.
fn grid_coords(p: vec3<f32>) -> vec2<f32> {
    switch grid_kind() {
        case 1: {
            return p.zy;
        }
        case 2: {
            return p.xy;
        }
        default: {
            return p.xz;
        }
    }
}

@vertex
fn vs_main(@builtin(vertex_index) i: u32) -> GridOut {
    let corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0));
    let extent = 1000.0;
    let c = corners[i] * extent + floor(grid_coords(frame.camera_pos.xyz) / 10.0) * 10.0;
    let world = grid_point(c);
    var out: GridOut;
    out.clip = frame.clip_from_world * vec4<f32>(world, 1.0);
    if grid_kind() != 0 {
        // Behind everything: reverse-Z depth just short of the far plane, so the grid passes
        // the depth test only where nothing was drawn.
        out.clip.z = 1e-7 * out.clip.w;
    } else {
        // A hair further than y = 0 (0.001 % of the distance, 0.1 mm at 10 m): a floor lying
        // on the ground plane hides the grid on every adapter, as in Blender, instead of
        // the two z-fighting by each rasteriser's rounding.
        out.clip.z *= 1.0 - 1e-5;
    }
    out.world = world;
    out.plane = c;
    return out;
}

// How strongly a line of the grid of `spacing` covers `p`: lines one UI point wide
// (`frame.overlay.x` pixels), antialiased.
fn line_strength(p: vec2<f32>, spacing: f32) -> f32 {
    let g = p / spacing;
    let w = fwidth(g) * frame.overlay.x;
    let d = abs(fract(g - 0.5) - 0.5) / max(w, vec2<f32>(1e-5));
    return 1.0 - min(min(d.x, d.y), 1.0);
}

// The lines' grey, as the display shows it (sRGB-encoded): a light grey whatever the
// exposure and tone mapper, so that the lines stand out from the sky's ground below the
// horizon (≈ 0.44 at the default sun) and from dark terrain alike, as Blender's grid over
// its theme grey. (An exposed mid grey came out at 0.45 there: the same grey as the ground.)
const LINE_GREY: f32 = 0.7;
const AXIS_X: vec3<f32> = vec3<f32>(0.9, 0.2, 0.2);
const AXIS_Y: vec3<f32> = vec3<f32>(0.3, 0.8, 0.2);
const AXIS_Z: vec3<f32> = vec3<f32>(0.2, 0.35, 0.9);

@fragment
fn fs_main(in: GridOut) -> @location(0) vec4<f32> {
    return grid_color(in);
}

// X-ray's split of the grid (`xray_keeps` in common.wgsl): the split front's view depth per
// pixel (solid.wgsl `fs_split_front`), and which side of it this pipeline draws (-1 behind,
// +1 in front).
@group(1) @binding(2) var xray_front: texture_2d<f32>;
override xray_side: f32 = -1.0;

@fragment
fn fs_xray_split(in: GridOut) -> @location(0) vec4<f32> {
    let c = grid_color(in);
    // Across X or Z the grid lies behind everything.
    var depth = 3.4e38;
    if grid_kind() == 0 {
        depth = -(frame.view_from_world * vec4<f32>(in.world, 1.0)).z;
    }
    let front = textureLoad(xray_front, vec2<i32>(in.clip.xy), 0).r;
    if !xray_keeps(xray_side, depth, front) {
        discard;
    }
    return c;
}

fn grid_color(in: GridOut) -> vec4<f32> {
    let p = in.plane;
    let dist = length(in.world - frame.camera_pos.xyz);
    var fade = 1.0 - smoothstep(60.0, 400.0, dist);
    var minor_fade = 1.0 - smoothstep(20.0, 80.0, dist);
    var major_fade = 1.0;
    if frame.camera_pos.w == 0.0 {
        // Orthographic: the eye is far back and distance does not thin the lines on screen.
        // A spacing fades as it nears a few pixels (metres per pixel across the plane), and
        // the grid fades out across the view before the edge of its quad.
        let d = in.world - frame.camera_pos.xyz;
        let z = towards_viewer(in.world);
        fade = 1.0 - smoothstep(600.0, 1000.0, length(d - z * dot(d, z)));
        let m = max(fwidth(p.x), fwidth(p.y)) * frame.overlay.x;
        minor_fade = 1.0 - smoothstep(0.12, 0.3, m);
        major_fade = 1.0 - smoothstep(1.2, 3.0, m);
    }
    let minor = line_strength(p, 1.0) * minor_fade;
    let major = line_strength(p, 10.0) * major_fade;
    var color = vec3<f32>(LINE_GREY);
    var a = max(minor * 0.3, major * 0.5) * fade;
    // The axes through the origin: on the ground X red and Z blue; across X, Z blue and Y
    // green; across Z, X red and Y green.
    var along_first = AXIS_X;
    var along_second = AXIS_Z;
    switch grid_kind() {
        case 1: {
            along_first = AXIS_Z;
            along_second = AXIS_Y;
        }
        case 2: {
            along_second = AXIS_Y;
        }
        default: {}
    }
    // The first axis is the line where the second coordinate is 0, and the other way round.
    let axis_w = 1.5 * frame.overlay.x;
    let a1 = 1.0 - min(abs(p.y) / max(fwidth(p.y) * axis_w, 1e-5), 1.0);
    let a2 = 1.0 - min(abs(p.x) / max(fwidth(p.x) * axis_w, 1e-5), 1.0);
    // The axes' colours in the exposed HDR range, shown through the tone mapper.
    if a1 > 0.01 {
        color = display_encoded(along_first * 0.5);
        a = max(a, a1 * 0.9 * fade);
    }
    if a2 > 0.01 {
        color = display_encoded(along_second * 0.5);
        a = max(a, a2 * 0.9 * fade);
    }
    if a < 0.003 {
        discard;
    }
    // Blended in the display-space layer (display.wgsl).
    return vec4<f32>(color, a);
}
