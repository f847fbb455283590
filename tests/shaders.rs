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

#[test]
fn the_shaders_xray_alpha_is_the_renderers() {
    // common.wgsl's constant is what `render::XRAY_ALPHA` documents; naga reads its value.
    let src = shaders::source("solid.wgsl");
    let module = naga::front::wgsl::parse_str(&src).expect("solid.wgsl parses");
    let (_, constant) = module
        .constants
        .iter()
        .find(|(_, c)| c.name.as_deref() == Some("XRAY_ALPHA"))
        .expect("common.wgsl declares XRAY_ALPHA");
    let value = &module.global_expressions[constant.init];
    assert!(
        matches!(value, naga::Expression::Literal(naga::Literal::F32(a)) if *a == worldsmith::render::XRAY_ALPHA),
        "{value:?}"
    );
}
