//! Fuzzes the importer with `.splat`, `.ksplat` and `.sog` files, and SOG bundles given as
//! entries for a fresh zip (the first byte says which: `worldsmith::import::fuzz::SPLATS_*`).
//! The body is `worldsmith::import::fuzz::splats`, which the test suite also runs over the seeds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| worldsmith::import::fuzz::splats(data));
