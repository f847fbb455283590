//! The window's GPU side: the surface, its configuration through resizes, minimizing and
//! lost surfaces, and painting egui's output into it (and, for screenshots, into an
//! offscreen texture of the same size and format that is read back).

use crate::render::{GpuContext, read_texture_rgba};
use anyhow::Context as _;
use std::sync::Arc;
use wgpu::TextureFormat as F;
use winit::event_loop::ActiveEventLoop;
use winit::window::{Window, WindowAttributes};

/// The editor window with its surface and the egui painter.
pub(crate) struct GpuWindow {
    pub window: Arc<Window>,
    pub gpu: GpuContext,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    /// The format egui paints in: the surface format without sRGB encoding, since egui's
    /// colours are already gamma-encoded.
    egui_format: wgpu::TextureFormat,
    pub egui_renderer: egui_wgpu::Renderer,
    needs_configure: bool,
}

/// What [`GpuWindow::paint`] did.
pub(crate) struct Painted {
    /// The frame reached the screen.
    pub presented: bool,
    /// The whole window contents (RGBA8, sRGB-encoded), when a capture was asked for.
    pub capture: Option<image::RgbaImage>,
    /// Nothing was shown because the surface had to be set up again: draw again soon.
    pub retry: bool,
}

/// The outcome of asking the surface for a texture.
enum Acquired {
    Frame(wgpu::SurfaceTexture),
    /// Nothing to draw into now (minimized, occluded); wait for the next window event.
    Skip,
    /// The surface was reconfigured or recreated; the next attempt should work.
    Retry,
}

impl GpuWindow {
    /// Opens the window, finds an adapter that can present to it and sets up egui painting.
    pub fn new(event_loop: &ActiveEventLoop, attributes: WindowAttributes) -> anyhow::Result<Self> {
        let window = Arc::new(
            event_loop
                .create_window(attributes)
                .context("could not open the editor window")?,
        );
        let mut found = Err(anyhow::anyhow!("no GPU backend to try"));
        for backends in crate::render::backend_tries() {
            let mut descriptor = wgpu::InstanceDescriptor::new_with_display_handle_from_env(
                Box::new(event_loop.owned_display_handle()),
            );
            descriptor.backends = backends;
            let instance = wgpu::Instance::new(descriptor);
            found = instance
                .create_surface(Arc::clone(&window))
                .context("could not create a GPU surface for the editor window")
                .and_then(|surface| {
                    let gpu =
                        pollster::block_on(GpuContext::with_instance(instance, Some(&surface)))
                            .context("could not open a GPU for the editor window")?;
                    Ok((surface, gpu))
                });
            if found.is_ok() {
                break;
            }
        }
        let (surface, gpu) = found?;

        let caps = surface.get_capabilities(&gpu.adapter);
        let format = choose_surface_format(&caps.formats).with_context(|| {
            format!(
                "the GPU adapter {} cannot present to this window (no surface formats)",
                gpu.adapter_name()
            )
        })?;
        let egui_format = format.remove_srgb_suffix();
        let size = window.inner_size();
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width: size.width,
            height: size.height,
            present_mode: wgpu::PresentMode::AutoVsync,
            desired_maximum_frame_latency: 2,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: if egui_format == format {
                Vec::new()
            } else {
                vec![egui_format]
            },
        };
        let egui_renderer = egui_wgpu::Renderer::new(
            &gpu.device,
            egui_format,
            egui_wgpu::RendererOptions {
                // Dithering would add noise to the viewport image; its pixels must be the
                // renderer's pixels, exactly as headless renders produce them.
                dithering: false,
                ..Default::default()
            },
        );
        let mut this = Self {
            window,
            gpu,
            surface,
            config,
            egui_format,
            egui_renderer,
            needs_configure: true,
        };
        this.resize(size);
        Ok(this)
    }

    /// The largest texture side the device accepts.
    pub fn max_texture_side(&self) -> u32 {
        self.gpu.device.limits().max_texture_dimension_2d
    }

    /// Records a new window size; the surface is configured before the next paint. A zero
    /// size (minimized) leaves the surface alone until the window comes back.
    pub fn resize(&mut self, size: winit::dpi::PhysicalSize<u32>) {
        let max = self.max_texture_side();
        self.config.width = size.width.min(max);
        self.config.height = size.height.min(max);
        self.needs_configure = true;
    }

    /// False while the window is minimized or has no area: nothing can be drawn.
    pub fn drawable(&self) -> bool {
        self.config.width > 0 && self.config.height > 0 && self.window.is_minimized() != Some(true)
    }

    /// Paints egui's output into the next surface texture and presents it. Texture updates
    /// are applied even when nothing can be presented, so egui's font atlas stays in sync.
    pub fn paint(
        &mut self,
        primitives: &[egui::ClippedPrimitive],
        mut textures: egui::TexturesDelta,
        pixels_per_point: f32,
        capture: bool,
    ) -> anyhow::Result<Painted> {
        let (device, queue) = (&self.gpu.device, &self.gpu.queue);
        for (id, deltas) in textures.set.drain() {
            for delta in deltas {
                self.egui_renderer.update_texture(device, queue, id, &delta);
            }
        }
        // Freed after the frame is submitted (or right away when there is none); taken out
        // now so that no early return drops an unapplied delta.
        let to_free: Vec<egui::TextureId> = textures.free.drain().collect();
        let frame = match self.acquire_frame() {
            Ok(Acquired::Frame(frame)) => frame,
            Ok(skipped) => {
                self.free_textures(&to_free);
                return Ok(Painted {
                    presented: false,
                    capture: None,
                    retry: matches!(skipped, Acquired::Retry),
                });
            }
            Err(e) => {
                self.free_textures(&to_free);
                return Err(e);
            }
        };
        if capture && !matches!(self.egui_format, F::Rgba8Unorm | F::Bgra8Unorm) {
            self.free_textures(&to_free);
            anyhow::bail!(
                "cannot take a screenshot of a {:?} window surface (needs 8-bit RGBA or BGRA)",
                self.egui_format
            );
        }

        let (device, queue) = (&self.gpu.device, &self.gpu.queue);
        let size = frame.texture.size();
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [size.width, size.height],
            pixels_per_point,
        };
        let view = frame.texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(self.egui_format),
            ..Default::default()
        });
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("egui"),
        });
        let user_buffers =
            self.egui_renderer
                .update_buffers(device, queue, &mut encoder, primitives, &screen);
        self.paint_into(&mut encoder, &view, primitives, &screen);

        let capture_texture = capture.then(|| {
            let texture = device.create_texture(&wgpu::TextureDescriptor {
                label: Some("window capture"),
                size,
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: self.egui_format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
            self.paint_into(&mut encoder, &view, primitives, &screen);
            texture
        });

        queue.submit(user_buffers.into_iter().chain([encoder.finish()]));
        self.free_textures(&to_free);
        self.window.pre_present_notify();
        self.gpu.queue.present(frame);

        let capture = match capture_texture {
            Some(texture) => {
                let mut image = read_texture_rgba(&self.gpu, &texture, size.width, size.height)
                    .context("reading the window contents back for the screenshot")?;
                if self.egui_format == F::Bgra8Unorm {
                    for pixel in image.pixels_mut() {
                        pixel.0.swap(0, 2);
                    }
                }
                Some(image)
            }
            None => None,
        };
        Ok(Painted {
            presented: true,
            capture,
            retry: false,
        })
    }

    fn free_textures(&mut self, ids: &[egui::TextureId]) {
        for id in ids {
            self.egui_renderer.free_texture(id);
        }
    }

    /// The next surface texture, or `None` when this frame cannot be shown (minimized,
    /// occluded, timed out, or the surface needs configuring again first).
    fn acquire_frame(&mut self) -> anyhow::Result<Acquired> {
        if !self.drawable() {
            return Ok(Acquired::Skip);
        }
        if self.needs_configure {
            self.surface.configure(&self.gpu.device, &self.config);
            self.needs_configure = false;
        }
        Ok(match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame) => Acquired::Frame(frame),
            wgpu::CurrentSurfaceTexture::Suboptimal(frame) => {
                self.needs_configure = true;
                Acquired::Frame(frame)
            }
            wgpu::CurrentSurfaceTexture::Occluded => Acquired::Skip,
            wgpu::CurrentSurfaceTexture::Timeout => Acquired::Retry,
            wgpu::CurrentSurfaceTexture::Outdated => {
                self.needs_configure = true;
                Acquired::Retry
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                log::warn!("the window surface was lost; creating a new one");
                self.surface = self
                    .gpu
                    .instance
                    .create_surface(Arc::clone(&self.window))
                    .context("could not recreate the GPU surface of the editor window")?;
                self.needs_configure = true;
                Acquired::Retry
            }
            wgpu::CurrentSurfaceTexture::Validation => {
                log::warn!("acquiring the next window frame failed validation; skipping it");
                self.needs_configure = true;
                Acquired::Retry
            }
        })
    }

    fn paint_into(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        view: &wgpu::TextureView,
        primitives: &[egui::ClippedPrimitive],
        screen: &egui_wgpu::ScreenDescriptor,
    ) {
        let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("egui"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color {
                        r: 0.1,
                        g: 0.1,
                        b: 0.1,
                        a: 1.0,
                    }),
                    store: wgpu::StoreOp::Store,
                },
            })],
            ..Default::default()
        });
        self.egui_renderer
            .render(&mut pass.forget_lifetime(), primitives, screen);
    }
}

/// Prefers a plain 8-bit format (egui paints gamma-encoded colours); otherwise the first one
/// offered, painted through its non-sRGB view.
fn choose_surface_format(formats: &[wgpu::TextureFormat]) -> Option<wgpu::TextureFormat> {
    formats
        .iter()
        .copied()
        .find(|f| {
            matches!(
                f,
                wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Rgba8Unorm
            )
        })
        .or_else(|| formats.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn surface_format_prefers_plain_8_bit() {
        assert_eq!(
            choose_surface_format(&[F::Bgra8UnormSrgb, F::Bgra8Unorm]),
            Some(F::Bgra8Unorm)
        );
        assert_eq!(
            choose_surface_format(&[F::Bgra8UnormSrgb]),
            Some(F::Bgra8UnormSrgb)
        );
        assert_eq!(choose_surface_format(&[]), None);
    }
}
