//! Every WGSL pass parses and validates with naga.

use worldsmith::render::shaders;

#[test]
fn every_wgsl_file_validates() {
    let all = shaders::all();
    // Every file in shaders/ is compiled by some pass (or is a shared include).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("shaders dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    files.sort();
    for f in &files {
        assert!(
            f == "common.wgsl" || f == "color.wgsl" || all.iter().any(|(n, _)| n == f),
            "{f} is not compiled by any pass"
        );
    }
    // Nine passes plus the splat sort kernels.
    assert!(all.len() >= 10);
    assert!(all.iter().any(|(n, _)| *n == "splat_sort.wgsl"));
    for (name, src) in all {
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("{name}: {}", e.emit_to_string(&src)));
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&module)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    }
}

#[test]
fn a_broken_shader_is_rejected() {
    let src = format!(
        "{}\nfn broken() -> f32 {{ return frame.nope; }}",
        shaders::COMMON
    );
    let parsed = naga::front::wgsl::parse_str(&src);
    let invalid = match parsed {
        Err(_) => true,
        Ok(m) => naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default(),
        )
        .validate(&m)
        .is_err(),
    };
    assert!(invalid);
}

/// The value of the `f32` constant `name` in the pass `shader` (with what it includes), as
/// naga reads it.
fn f32_constant(shader: &str, name: &str) -> f32 {
    let src = shaders::source(shader);
    let module = naga::front::wgsl::parse_str(&src).expect("parses");
    let (_, constant) = module
        .constants
        .iter()
        .find(|(_, c)| c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("{shader} declares no {name}"));
    match &module.global_expressions[constant.init] {
        naga::Expression::Literal(naga::Literal::F32(v)) => *v,
        other => panic!("{shader}'s {name} is {other:?}"),
    }
}

#[test]
fn constants_repeated_across_shaders_and_rust_agree() {
    // mask.wgsl gives meshes the values `gpu_scene::mask_value` gives clouds.
    assert_eq!(
        f32_constant("mask.wgsl", "MASK_VALUES"),
        worldsmith::render::MASK_VALUES
    );
    // The R16Float mask holds every value exactly.
    const { assert!(worldsmith::render::MASK_VALUES <= 2048.0) };
}
