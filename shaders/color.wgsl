// Colour functions without bindings, prepended to common.wgsl's passes and to post.wgsl
// (see render/shaders.rs): sRGB transfer, the tone mappers.

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(max(c, vec3<f32>(0.0031308)), vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

// Krzysztof Narkowicz's per-channel fit of the ACES RRT + ODT filmic curve, after a 0.5
// pre-scale that puts mid grey where Hill's matrix fit puts it. Per channel and strictly
// increasing, so every display colour has exactly one scene value: captured colour can be
// shown as captured (`inverse_aces_fitted` in common.wgsl, src/render/tonemap.rs on the CPU).
fn aces_fitted(c: vec3<f32>) -> vec3<f32> {
    let x = max(c, vec3<f32>(0.0)) * 0.5;
    return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), vec3<f32>(0.0), vec3<f32>(1.0));
}

// Exposed HDR value → linear display value in [0, 1] by `mapper` (0 ACES, 1 clamp).
fn tonemap_with(mapper: f32, exposed: vec3<f32>) -> vec3<f32> {
    if mapper < 0.5 {
        return aces_fitted(exposed);
    }
    return clamp(exposed, vec3<f32>(0.0), vec3<f32>(1.0));
}
