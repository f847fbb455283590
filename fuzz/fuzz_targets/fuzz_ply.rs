//! Fuzzes the importer with PLY files (ASCII, binary little- and big-endian; meshes, points, splats).
//! The body is `worldsmith::import::fuzz::ply`, which the test suite also runs over the seeds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| worldsmith::import::fuzz::ply(data));
