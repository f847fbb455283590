//! Fuzzes the importer with SPZ files, and gzipped SPZ streams (first byte `SPZ_STREAM`).
//! The body is `worldsmith::import::fuzz::spz`, which the test suite also runs over the seeds.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| worldsmith::import::fuzz::spz(data));
