//! worldsmith: a GPU-accelerated editor for generated 3D worlds.
//!
//! Data flows one way: input → commands → [`scene`] → extract → [`render`] → pixels.

pub mod app;
pub mod cli;
pub mod clip;
pub mod edit;
pub mod export;
pub mod generate;
pub mod import;
pub mod pick;
pub mod project;
pub mod render;
pub mod scene;
pub mod ui;
