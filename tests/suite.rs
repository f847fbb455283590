//! The integration tests, built as one test binary (`cargo test --test suite`, or one room
//! of it: `cargo test --test suite golden::`). One binary instead of one per file: each
//! file linked the whole editor (wgpu, egui, naga, codecs) on its own, which cost minutes of
//! every clean build; they now also share one headless GPU context (`common::gpu`).

mod common;

mod cli;
mod clip;
mod clouds;
mod export;
mod golden;
mod import;
mod import_blender;
mod import_fuzz;
mod import_gltf_accessors;
mod import_gltf_animation;
mod import_gltf_deform;
mod import_gltf_draco;
mod import_gltf_points;
mod import_gltf_splats;
mod import_ksplat;
mod import_ply;
mod import_sog;
mod import_splat;
mod import_spz;
mod inspector_ui;
mod lights;
mod lines;
mod menu_ui;
mod morphs;
mod ortho;
mod outline;
mod outliner_ui;
mod overlay_scale;
mod pass_times;
mod picking;
mod project;
mod relight;
mod shaders;
mod shading_reference;
mod skins;
mod solid;
mod splat_sort;
mod uploads;
mod variants;
mod window;
mod wireframe;
mod world_folder;
mod xray;
