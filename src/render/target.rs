//! Where frames go: any `Rgba8UnormSrgb` texture view, and an owned offscreen texture that can
//! be read back to an image (stills, thumbnails, clip frames, tests) or shown by egui.

use super::{GpuContext, RenderError};

/// The colour format every render target has. Tone mapping writes linear values and the
/// hardware encodes sRGB.
pub const TARGET_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8UnormSrgb;

/// A view to render into, with its size. Its format is [`TARGET_FORMAT`], or `Rgba8Unorm`
/// with `encode` set: the renderer then writes sRGB-encoded values itself.
#[derive(Clone, Copy)]
pub struct RenderTarget<'a> {
    pub view: &'a wgpu::TextureView,
    pub width: u32,
    pub height: u32,
    pub encode: bool,
}

/// An owned texture to render into. `unorm_view` shows the same bytes as `Rgba8Unorm`
/// (what `egui_wgpu::Renderer::register_native_texture` needs). Where the device cannot view
/// one texture in both formats (wgpu's GL backend has no `VIEW_FORMATS`), the texture is
/// `Rgba8Unorm`, `srgb_view` is its plain view too, and the renderer encodes (`encode`).
pub struct OffscreenTarget {
    pub texture: wgpu::Texture,
    pub srgb_view: wgpu::TextureView,
    pub unorm_view: wgpu::TextureView,
    pub width: u32,
    pub height: u32,
    pub encode: bool,
}

impl OffscreenTarget {
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> Self {
        let width = width.max(1);
        let height = height.max(1);
        let encode = device.adapter_info().backend == wgpu::Backend::Gl;
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("offscreen target"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::Rgba8Unorm,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
            view_formats: if encode { &[] } else { &[TARGET_FORMAT] },
        });
        let unorm_view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let srgb_view = if encode {
            unorm_view.clone()
        } else {
            texture.create_view(&wgpu::TextureViewDescriptor {
                format: Some(TARGET_FORMAT),
                ..Default::default()
            })
        };
        Self {
            texture,
            srgb_view,
            unorm_view,
            width,
            height,
            encode,
        }
    }

    pub fn target(&self) -> RenderTarget<'_> {
        RenderTarget {
            view: &self.srgb_view,
            width: self.width,
            height: self.height,
            encode: self.encode,
        }
    }

    /// Copies the pixels back to the CPU (sRGB-encoded RGBA8, as a PNG stores them).
    pub fn read_rgba(&self, ctx: &GpuContext) -> Result<image::RgbaImage, RenderError> {
        read_texture_rgba(ctx, &self.texture, self.width, self.height)
    }
}

/// Reads a 4-byte-per-pixel texture back to the CPU. Blocks until the copy is done.
pub fn read_texture_rgba(
    ctx: &GpuContext,
    texture: &wgpu::Texture,
    width: u32,
    height: u32,
) -> Result<image::RgbaImage, RenderError> {
    let unpadded = width * 4;
    let padded =
        unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT;
    let buffer = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: u64::from(padded) * u64::from(height),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("readback"),
        });
    encoder.copy_texture_to_buffer(
        wgpu::TexelCopyTextureInfo {
            texture,
            mip_level: 0,
            origin: wgpu::Origin3d::ZERO,
            aspect: wgpu::TextureAspect::All,
        },
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    ctx.queue.submit([encoder.finish()]);
    let slice = buffer.slice(..);
    let (tx, rx) = std::sync::mpsc::channel();
    slice.map_async(wgpu::MapMode::Read, move |r| {
        tx.send(r).ok();
    });
    ctx.device
        .poll(wgpu::PollType::wait_indefinitely())
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    rx.recv()
        .map_err(|e| RenderError::Readback(e.to_string()))?
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let data = slice
        .get_mapped_range()
        .map_err(|e| RenderError::Readback(e.to_string()))?;
    let mut out = Vec::with_capacity((unpadded * height) as usize);
    for row in data.chunks(padded as usize).take(height as usize) {
        out.extend_from_slice(&row[..unpadded as usize]);
    }
    drop(data);
    buffer.unmap();
    image::RgbaImage::from_raw(width, height, out)
        .ok_or_else(|| RenderError::Readback("readback size mismatch".into()))
}
