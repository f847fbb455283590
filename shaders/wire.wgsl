// Wireframe overlay: every mesh's edges (pairs of its vertex indices, render/gpu_scene.rs
// `mesh_edges`), depth-tested against the opaque surfaces, one UI point wide: where that is
// one pixel (or little more), as hardware lines (`vs_line`: the edges as an index buffer
// into the mesh's vertex buffer, a line list), which CPU adapters rasterise far faster than
// thin triangles; on a HiDPI display as screen-aligned quads (`vs_quad`, two triangles, six
// vertices per edge, the edges and the mesh's vertices read from storage buffers, group 1)
// `frame.overlay.x` pixels wide (common.wgsl `segment_quad_corner`, which line sets and the
// overlay lines share), so the edges show as wide as on a 1× display. The instances' world
// and normal matrices come as vertex attributes, one instance per object.
//
// An edge is rasterised at other sample points than the triangles it borders, so on a
// surface seen at a slant its depth there can lie behind the surface's: each end is lifted
// towards the viewer along its view ray (which keeps it in place on screen) by most of a
// pixel's width, divided by how much the surface faces the viewer (its vertex normal).

@group(1) @binding(0) var<storage, read> edges: array<u32>;
// The mesh's vertices as render/gpu_types.rs `Vertex`: 16 floats each, the position first,
// then the normal.
@group(1) @binding(1) var<storage, read> vertices: array<f32>;

const VERTEX_FLOATS: u32 = 16u;

struct InstanceIn {
    @location(5) model_0: vec4<f32>,
    @location(6) model_1: vec4<f32>,
    @location(7) model_2: vec4<f32>,
    @location(8) model_3: vec4<f32>,
    @location(9) normal_0: vec4<f32>,
    @location(10) normal_1: vec4<f32>,
    @location(11) normal_2: vec4<f32>,
};

// The position (offset 0) or normal (offset 3) of vertex `k` of the mesh.
fn vertex_vec3(k: u32, offset: u32) -> vec3<f32> {
    let base = k * VERTEX_FLOATS + offset;
    return vec3<f32>(vertices[base], vertices[base + 1u], vertices[base + 2u]);
}

// Vertex `k` of the mesh, lifted towards the viewer, in clip space.
fn lifted_end(k: u32, world_from_local: mat4x4<f32>, normal_from_local: mat3x3<f32>) -> vec4<f32> {
    return lifted(vertex_vec3(k, 0u), vertex_vec3(k, 3u), world_from_local, normal_from_local);
}

// A vertex at `position` with `local_normal`, lifted towards the viewer, in clip space.
fn lifted(
    position: vec3<f32>,
    local_normal: vec3<f32>,
    world_from_local: mat4x4<f32>,
    normal_from_local: mat3x3<f32>,
) -> vec4<f32> {
    let world = (world_from_local * vec4<f32>(position, 1.0)).xyz;
    let m = frame.clip_from_world;
    let w = (m * vec4<f32>(world, 1.0)).w;
    // Metres per pixel at the point: the projection's vertical scale is the length of the
    // clip matrix's y row (the view's rows are unit vectors); w is the view depth (1 when
    // orthographic).
    let y_scale = length(vec3<f32>(m[0].y, m[1].y, m[2].y));
    let px = 2.0 * w / max(y_scale * frame.viewport.y, 1e-6);
    let to_viewer = towards_viewer(world);
    let n = normal_from_local * local_normal;
    var facing = 1.0;
    if dot(n, n) > 1e-12 {
        facing = max(abs(dot(normalize(n), to_viewer)), 0.1);
    }
    let lifted = world + to_viewer * (0.75 * px / facing);
    return m * vec4<f32>(lifted, 1.0);
}

// Vertex `k` of the mesh in clip space, not lifted: where the other end of an edge lies on
// screen (lifting along the view ray does not move it there).
fn end_on_screen(k: u32, world_from_local: mat4x4<f32>) -> vec4<f32> {
    return frame.clip_from_world * (world_from_local * vec4<f32>(vertex_vec3(k, 0u), 1.0));
}

@vertex
fn vs_line(v: SurfaceIn) -> @builtin(position) vec4<f32> {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let normal_from_local = mat3x3<f32>(v.normal_0.xyz, v.normal_1.xyz, v.normal_2.xyz);
    return lifted(v.position, v.normal, world_from_local, normal_from_local);
}

@vertex
fn vs_quad(@builtin(vertex_index) vi: u32, v: InstanceIn) -> @builtin(position) vec4<f32> {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let normal_from_local = mat3x3<f32>(v.normal_0.xyz, v.normal_1.xyz, v.normal_2.xyz);
    let edge = vi / 6u;
    // The quad's triangles over `segment_quad_corner`'s strip corners: 0 1 2, 2 1 3 (corners
    // 0 and 2 at the first end, 1 and 3 at the second).
    var strip = array<u32, 6>(0u, 1u, 2u, 2u, 1u, 3u);
    let corner = strip[vi % 6u];
    let second = (corner & 1u) == 1u;
    // This corner's own end is lifted (its depth is what is drawn); the other only gives the
    // edge's direction on screen.
    let own = edges[2u * edge + select(0u, 1u, second)];
    let other = edges[2u * edge + select(1u, 0u, second)];
    let p_own = lifted_end(own, world_from_local, normal_from_local);
    let p_other = end_on_screen(other, world_from_local);
    let pa = select(p_own, p_other, second);
    let pb = select(p_other, p_own, second);
    return segment_quad_corner(pa, pb, corner, max(frame.overlay.x, 1.0) * 0.5).clip;
}

@fragment
fn fs_main() -> @location(0) vec4<f32> {
    // Near-black lines covering as much as the overlay's opacity says (`display.w`), drawn
    // in the display-space layer (display.wgsl).
    return vec4<f32>(0.02, 0.02, 0.025, frame.display.w);
}

// The selected objects' edges: the selection outline's orange (post.wgsl draws it with the
// same display values).
@fragment
fn fs_selected() -> @location(0) vec4<f32> {
    // Bolder than the rest: 0.9 at the default opacity, never below 0.35.
    return vec4<f32>(1.0, 0.55, 0.1, min(0.35 + frame.display.w, 1.0));
}
