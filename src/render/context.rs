//! The GPU device: created headless (CLI, tests, benchmarks) or for a window's surface.

use super::RenderError;

/// Instance, adapter, device and queue. Cheap to clone (wgpu handles are reference counted).
#[derive(Clone)]
pub struct GpuContext {
    pub instance: wgpu::Instance,
    pub adapter: wgpu::Adapter,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
}

/// The backends to look for an adapter on, in order: those `WGPU_BACKEND` names, or else the
/// primary ones (Vulkan, Metal, DX12) and only then GL. Starting EGL beside Vulkan costs ~25 ms
/// of every start-up for a backend that is only a fallback.
pub fn backend_tries() -> Vec<wgpu::Backends> {
    match wgpu::Backends::from_env() {
        Some(backends) => vec![backends],
        None => vec![wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY],
    }
}

/// Sampled textures per shader stage asked for: the 23 that transmissive materials take with
/// every texture slot bound (19 slots, the shadow map, the sky, and the two images behind
/// glass), where the adapter has them (every desktop Vulkan, Metal and D3D12 adapter; the GL
/// backend has 16, and the renderer then leaves the slots of KHR_materials_sheen,
/// _anisotropy, _iridescence and _diffuse_transmission out: `MaterialBindings::PerSlot`).
pub(super) const SAMPLED_TEXTURES: u32 = 4 + crate::scene::TextureSlot::COUNT as u32;

/// What the renderer cannot draw without, and why, beyond WebGPU's downlevel limits.
const REQUIRED: [(wgpu::DownlevelFlags, &str); 2] = [
    (
        wgpu::DownlevelFlags::VERTEX_STORAGE,
        "storage buffers in vertex shaders (splats, point clouds, line sets)",
    ),
    (
        wgpu::DownlevelFlags::COMPARISON_SAMPLERS,
        "comparison samplers (sun shadows)",
    ),
];

/// What an adapter with `flags` lacks of [`REQUIRED`], in words; `None` when it has it all.
/// Refusing such an adapter up front gives a clear error (and lets the next backend be
/// tried) where creating the renderer's layouts would otherwise fail mid-start.
fn missing_capabilities(flags: wgpu::DownlevelFlags) -> Option<String> {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(flag, _)| !flags.contains(*flag))
        .map(|(_, what)| *what)
        .collect();
    (!missing.is_empty()).then(|| missing.join(" and "))
}

impl GpuContext {
    /// A context with no window. Honours `WGPU_BACKEND`, `WGPU_ADAPTER_NAME` and
    /// `WGPU_POWER_PREF`; without `WGPU_BACKEND`, tries the backends of [`backend_tries`] in
    /// turn.
    pub fn headless() -> Result<Self, RenderError> {
        Self::headless_with_textures(SAMPLED_TEXTURES)
    }

    /// A headless context that asks for WebGPU's guaranteed 16 sampled textures per shader
    /// stage even where the adapter has more: what the GL backend gives, for testing the
    /// renderer there.
    pub fn headless_with_guaranteed_limits() -> Result<Self, RenderError> {
        Self::headless_with_textures(16)
    }

    /// A headless context on `backends` alone (e.g. the GL backend, to test it beside
    /// Vulkan), whatever `WGPU_BACKEND` says.
    pub fn headless_on(backends: wgpu::Backends) -> Result<Self, RenderError> {
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        descriptor.backends = backends;
        pollster::block_on(Self::open(
            wgpu::Instance::new(descriptor),
            None,
            SAMPLED_TEXTURES,
        ))
    }

    fn headless_with_textures(textures: u32) -> Result<Self, RenderError> {
        let mut failure = None;
        for backends in backend_tries() {
            let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
            descriptor.backends = backends;
            let instance = wgpu::Instance::new(descriptor);
            match pollster::block_on(Self::open(instance, None, textures)) {
                Ok(ctx) => return Ok(ctx),
                Err(e) => failure = Some(e),
            }
        }
        Err(failure.unwrap_or_else(|| RenderError::NoAdapter("no backend to try".into())))
    }

    /// A context whose adapter can present to `surface`.
    pub async fn with_instance(
        instance: wgpu::Instance,
        surface: Option<&wgpu::Surface<'_>>,
    ) -> Result<Self, RenderError> {
        Self::open(instance, surface, SAMPLED_TEXTURES).await
    }

    /// A context with at most `textures` sampled textures per shader stage (at least 16).
    async fn open(
        instance: wgpu::Instance,
        surface: Option<&wgpu::Surface<'_>>,
        textures: u32,
    ) -> Result<Self, RenderError> {
        let adapter = wgpu::util::initialize_adapter_from_env_or_default(&instance, surface)
            .await
            .map_err(|e| RenderError::NoAdapter(e.to_string()))?;
        if let Some(missing) = missing_capabilities(adapter.get_downlevel_capabilities().flags) {
            let info = adapter.get_info();
            return Err(RenderError::NoAdapter(format!(
                "{} ({:?}) lacks {missing}",
                info.name, info.backend
            )));
        }
        // Downlevel defaults (so the app runs anywhere), but with the adapter's buffer sizes
        // (large splat clouds are paged by these limits) and up to `SAMPLED_TEXTURES`
        // sampled textures per shader stage where the adapter has them.
        let adapter_limits = adapter.limits();
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: adapter_limits.max_storage_buffer_binding_size,
            max_buffer_size: adapter_limits.max_buffer_size,
            max_sampled_textures_per_shader_stage: adapter_limits
                .max_sampled_textures_per_shader_stage
                .min(textures)
                .max(16),
            ..wgpu::Limits::downlevel_defaults().using_resolution(adapter_limits)
        };
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("worldsmith"),
                // Timestamps only time the splat sort in benchmarks; asked for where offered.
                required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(|e| RenderError::Device(e.to_string()))?;
        Ok(Self {
            instance,
            adapter,
            device,
            queue,
        })
    }

    /// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan)" and the like.
    pub fn adapter_name(&self) -> String {
        let info = self.adapter.get_info();
        format!("{} ({:?})", info.name, info.backend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adapters_without_what_the_renderer_needs_are_refused_in_words() {
        assert_eq!(missing_capabilities(wgpu::DownlevelFlags::all()), None);
        let no_vertex_storage =
            wgpu::DownlevelFlags::all().difference(wgpu::DownlevelFlags::VERTEX_STORAGE);
        let said = missing_capabilities(no_vertex_storage).expect("refused");
        assert!(
            said.contains("vertex shaders") && !said.contains("shadows"),
            "{said}"
        );
        let neither = missing_capabilities(wgpu::DownlevelFlags::empty()).expect("refused");
        assert!(neither.contains("vertex shaders") && neither.contains("sun shadows"));
    }
}
