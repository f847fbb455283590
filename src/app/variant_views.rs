//! The window's variant pictures: live thumbnails for the variants panel (refreshed one per
//! frame once the camera rests, never all in one frame) and the compare view's cells (all
//! drawn together, so the cells always show the same moment). Both go through
//! `Renderer::render` via [`VariantTargets`].

use super::editor::Editor;
use super::gpu_window::GpuWindow;
use crate::render::{RenderSettings, Renderer, TargetChanges, VariantTargets};
use crate::scene::{CameraView, VariantId};
use std::collections::HashMap;

/// Size of a variant thumbnail in pixels.
pub const THUMBNAIL_SIZE: (u32, u32) = (256, 144);

/// Targets and their egui textures.
#[derive(Default)]
pub(crate) struct VariantViews {
    thumbnails: VariantTargets,
    thumbnail_textures: HashMap<Option<VariantId>, egui::TextureId>,
    compare: VariantTargets,
    compare_textures: HashMap<Option<VariantId>, egui::TextureId>,
}

/// Registers textures for new targets and frees those of dropped ones.
fn sync_textures(
    targets: &VariantTargets,
    textures: &mut HashMap<Option<VariantId>, egui::TextureId>,
    changes: TargetChanges,
    device: &wgpu::Device,
    egui_renderer: &mut egui_wgpu::Renderer,
) {
    for id in changes.removed {
        if let Some(texture) = textures.remove(&id) {
            egui_renderer.free_texture(&texture);
        }
    }
    for id in changes.created {
        let Some(target) = targets.target(id) else {
            continue;
        };
        match textures.get(&id) {
            Some(texture) => egui_renderer.update_egui_texture_from_wgpu_texture(
                device,
                &target.unorm_view,
                wgpu::FilterMode::Linear,
                *texture,
            ),
            None => {
                let texture = egui_renderer.register_native_texture(
                    device,
                    &target.unorm_view,
                    wgpu::FilterMode::Linear,
                );
                textures.insert(id, texture);
            }
        }
    }
}

impl VariantViews {
    /// Refreshes at most one stale thumbnail (only while `resting`: not during camera moves).
    /// Returns true when more thumbnails wait to be drawn.
    pub fn refresh_thumbnails(
        &mut self,
        gpu: &mut GpuWindow,
        renderer: &mut Renderer,
        editor: &mut Editor,
        camera: CameraView,
        resting: bool,
    ) -> bool {
        let (device, egui_renderer) = (&gpu.gpu.device, &mut gpu.egui_renderer);
        let scene = &editor.scene;
        let ids: Vec<Option<VariantId>> = std::iter::once(None)
            .chain(scene.variants().list.iter().map(|v| Some(v.id)))
            .collect();
        let changes = self.thumbnails.keep(device, &ids, THUMBNAIL_SIZE);
        sync_textures(
            &self.thumbnails,
            &mut self.thumbnail_textures,
            changes,
            device,
            egui_renderer,
        );
        let settings = RenderSettings::thumbnail();
        let stale = self.thumbnails.stale(scene, camera, settings, &ids);
        if resting && let Some(id) = stale.first() {
            self.thumbnails.draw(renderer, scene, *id, camera, settings);
        }
        editor.variant_state.thumbnails = ids
            .iter()
            .filter(|id| self.thumbnails.is_drawn(**id))
            .filter_map(|id| Some((*id, *self.thumbnail_textures.get(id)?)))
            .collect();
        stale.len() > usize::from(resting)
    }

    /// Draws the compare cells that are out of date, each `cell` pixels, and hands their
    /// textures to the editor. With `comparing` false the cells are dropped.
    pub fn render_compare(
        &mut self,
        gpu: &mut GpuWindow,
        renderer: &mut Renderer,
        editor: &mut Editor,
        camera: CameraView,
        cell: (u32, u32),
        settings: RenderSettings,
    ) {
        let (device, egui_renderer) = (&gpu.gpu.device, &mut gpu.egui_renderer);
        let comparing = editor.variant_state.comparing;
        let ids: Vec<Option<VariantId>> = if comparing {
            editor
                .variant_state
                .compare
                .iter()
                .map(|v| Some(*v))
                .collect()
        } else {
            Vec::new()
        };
        let changes = self.compare.keep(device, &ids, cell);
        sync_textures(
            &self.compare,
            &mut self.compare_textures,
            changes,
            device,
            egui_renderer,
        );
        let scene = &editor.scene;
        for id in self.compare.stale(scene, camera, settings, &ids) {
            self.compare.draw(renderer, scene, id, camera, settings);
        }
        editor.variant_state.compare_textures = ids
            .iter()
            .filter_map(|id| Some(((*id)?, *self.compare_textures.get(id)?)))
            .collect();
    }
}

/// Columns and rows of the compare grid for `n` cells: side by side up to 3, 2×2 for 4.
pub fn compare_grid(n: usize) -> (u32, u32) {
    match n {
        0 | 1 => (1, 1),
        2 => (2, 1),
        3 => (3, 1),
        _ => (2, 2),
    }
}

#[cfg(test)]
mod tests {
    use super::compare_grid;

    #[test]
    fn grids() {
        assert_eq!(compare_grid(2), (2, 1));
        assert_eq!(compare_grid(3), (3, 1));
        assert_eq!(compare_grid(4), (2, 2));
    }
}
