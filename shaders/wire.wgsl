// Wireframe overlay: every mesh's edges (a line list of its vertices, render/gpu_scene.rs
// `mesh_edges`), depth-tested against the opaque surfaces. A line is rasterised at other
// sample points than the triangles it borders, so on a surface seen at a slant its depth
// there can lie behind the surface's: each end is lifted towards the viewer along its view
// ray (which keeps it in place on screen) by most of a pixel's width, divided by how much
// the surface faces the viewer (its vertex normal).

@vertex
fn vs_main(v: SurfaceIn) -> @builtin(position) vec4<f32> {
    let world_from_local = mat4x4<f32>(v.model_0, v.model_1, v.model_2, v.model_3);
    let normal_from_local = mat3x3<f32>(v.normal_0.xyz, v.normal_1.xyz, v.normal_2.xyz);
    let world = (world_from_local * vec4<f32>(v.position, 1.0)).xyz;
    let m = frame.clip_from_world;
    let w = (m * vec4<f32>(world, 1.0)).w;
    // Metres per pixel at the point: the projection's vertical scale is the length of the
    // clip matrix's y row (the view's rows are unit vectors); w is the view depth (1 when
    // orthographic).
    let y_scale = length(vec3<f32>(m[0].y, m[1].y, m[2].y));
    let px = 2.0 * w / max(y_scale * frame.viewport.y, 1e-6);
    let to_viewer = towards_viewer(world);
    let n = normal_from_local * v.normal;
    var facing = 1.0;
    if dot(n, n) > 1e-12 {
        facing = max(abs(dot(normalize(n), to_viewer)), 0.1);
    }
    let lifted = world + to_viewer * (0.75 * px / facing);
    return m * vec4<f32>(lifted, 1.0);
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
