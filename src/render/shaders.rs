//! WGSL sources, embedded at compile time. Passes that light or show the scene get
//! `common.wgsl` prepended (WGSL has no includes).

/// Colour functions without bindings (sRGB transfer, tone mappers), in `COMMON` and post.
pub const COLOR: &str = include_str!("../../shaders/color.wgsl");

/// Shared declarations (frame uniform, lights, shadows, sky), after [`COLOR`].
pub const COMMON: &str = concat!(
    include_str!("../../shaders/color.wgsl"),
    "\n",
    include_str!("../../shaders/common.wgsl")
);

/// Every pass: (file name, full source as compiled).
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("mesh.wgsl", mesh(true)),
        ("mesh_sheen_factors.wgsl", mesh(false)),
        (
            "sky.wgsl",
            with_common(include_str!("../../shaders/sky.wgsl")),
        ),
        (
            "grid.wgsl",
            with_common(include_str!("../../shaders/grid.wgsl")),
        ),
        (
            "lines.wgsl",
            with_common(include_str!("../../shaders/lines.wgsl")),
        ),
        (
            "points.wgsl",
            with_common(include_str!("../../shaders/points.wgsl")),
        ),
        (
            "splats.wgsl",
            with_common(include_str!("../../shaders/splats.wgsl")),
        ),
        (
            "display.wgsl",
            with_common(include_str!("../../shaders/display.wgsl")),
        ),
        (
            "shadow.wgsl",
            include_str!("../../shaders/shadow.wgsl").to_owned(),
        ),
        (
            "mask.wgsl",
            include_str!("../../shaders/mask.wgsl").to_owned(),
        ),
        (
            "splat_sort.wgsl",
            include_str!("../../shaders/splat_sort.wgsl").to_owned(),
        ),
        (
            "post.wgsl",
            format!("{COLOR}\n{}", include_str!("../../shaders/post.wgsl")),
        ),
    ]
}

/// The mesh pass, with KHR_materials_sheen's texture slots (`sheen_maps`, adapters with 18
/// sampled textures per shader stage) or with its factors alone (WebGPU's guaranteed 16).
pub fn mesh(sheen_maps: bool) -> String {
    let sheen = if sheen_maps {
        include_str!("../../shaders/mesh_sheen_maps.wgsl")
    } else {
        include_str!("../../shaders/mesh_sheen_factors.wgsl")
    };
    with_common(&format!(
        "{}\n{sheen}",
        include_str!("../../shaders/mesh.wgsl")
    ))
}

fn with_common(src: &str) -> String {
    format!("{COMMON}\n{src}")
}

/// The full source of one pass by file name.
pub fn source(name: &str) -> String {
    all()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .unwrap_or_default()
}
