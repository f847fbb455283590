//! Fuzzes the importer with GLB files, GLB built from JSON and BIN parts (first byte `GLB_PARTS`) and .gltf JSON.
//! The body is `worldsmith::import::fuzz::gltf`, which the test suite also runs over the seeds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| worldsmith::import::fuzz::gltf(data));
