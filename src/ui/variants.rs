//! The variants panel: the base scene and every variant with a live thumbnail, which one is
//! shown, where edits go (the variant or the base), and the side-by-side compare set.
//! Emits [`VariantAction`]s; the app turns them into undoable commands.

use super::UiAction;
use crate::edit::variants::{OverrideTarget, Preset};
use crate::scene::{Scene, VariantId};
use egui::{Color32, RichText, Ui, vec2};
use std::collections::HashMap;

/// The colour that marks variant-specific things (overridden values, the edit target).
pub const VARIANT_COLOR: Color32 = Color32::from_rgb(0xe6, 0xa8, 0x3c);

/// Most variants shown side by side in the viewport.
pub const MAX_COMPARE: usize = 4;

/// What the user asked of the variants.
#[derive(Clone, Debug, PartialEq)]
pub enum VariantAction {
    /// Show this variant (`None`: the base scene).
    Switch(Option<VariantId>),
    /// A new variant with what is shown now (the active variant's overrides, or none).
    NewFromCurrent,
    /// A new variant with a preset's look.
    NewFromPreset(Preset),
    /// Give the active variant a preset's look.
    ApplyPreset(Preset),
    Duplicate(VariantId),
    Rename(VariantId, String),
    Delete(VariantId),
    /// Move to this position in the list.
    Move(VariantId, usize),
    /// Reset one overridden value of the active variant to the base.
    Reset(OverrideTarget),
    /// Drop every override of a variant.
    ResetAll(VariantId),
    /// Edits go to the base (true) or the active variant (false).
    EditBase(bool),
    /// Add to or take out of the compare set.
    ToggleCompare(VariantId),
    /// Show the compare set side by side in the viewport, or the single view.
    Compare(bool),
}

/// What the panel shows besides the scene.
pub struct VariantsPanel<'a> {
    /// Thumbnail textures by variant (`None`: the base), when rendered.
    pub thumbnails: &'a HashMap<Option<VariantId>, egui::TextureId>,
    pub edit_base: bool,
    pub compare: &'a [VariantId],
    pub comparing: bool,
}

/// The narrowest a variant's name, override count and compare tick stand beside its
/// thumbnail; narrower, they go under it.
const NAMES_MIN_WIDTH: f32 = 90.0;

const THUMB: egui::Vec2 = vec2(96.0, 54.0);

/// The panel.
pub fn variants_ui(
    ui: &mut Ui,
    scene: &Scene,
    panel: &VariantsPanel<'_>,
    actions: &mut Vec<UiAction>,
) {
    let variants = scene.variants();
    let mut act = |a: VariantAction| actions.push(UiAction::Variant(a));
    // The title, then the buttons at the right end; in a narrow panel the buttons wrap
    // under the title instead of running over it.
    let buttons = |ui: &mut Ui, act: &mut dyn FnMut(VariantAction)| {
        ui.menu_button("+ Add", |ui| {
            if ui
                .button("New from current")
                .on_hover_text("A variant with the lighting and materials shown now")
                .clicked()
            {
                act(VariantAction::NewFromCurrent);
                ui.close();
            }
            ui.separator();
            ui.weak("New from preset");
            for preset in Preset::ALL {
                if ui.button(preset.name()).clicked() {
                    act(VariantAction::NewFromPreset(preset));
                    ui.close();
                }
            }
        })
        .response
        .on_hover_text("Add a variant");
        let can_compare = panel.compare.len() >= 2;
        let label = format!("Compare ({})", panel.compare.len());
        if ui
            .add_enabled(
                can_compare || panel.comparing,
                egui::Button::selectable(panel.comparing, label),
            )
            .on_hover_text("Show the ticked variants side by side (2–4), one camera")
            .on_disabled_hover_text("Tick 2 to 4 variants to compare them")
            .clicked()
        {
            act(VariantAction::Compare(!panel.comparing));
        }
    };
    let title = || RichText::new("Variants").strong();
    if ui.available_width() >= 200.0 {
        let line = vec2(ui.available_width(), ui.spacing().interact_size.y);
        ui.allocate_ui_with_layout(
            line,
            egui::Layout::right_to_left(egui::Align::Center),
            |ui| {
                buttons(ui, &mut act);
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    ui.label(title());
                });
            },
        );
    } else {
        ui.horizontal_wrapped(|ui| {
            ui.label(title());
            buttons(ui, &mut act);
        });
    }

    if let Some(active) = variants.active() {
        ui.label("Edits go to:");
        ui.vertical(|ui| {
            let mut base = panel.edit_base;
            let variant_label =
                RichText::new(format!("variant '{}'", active.name)).color(if base {
                    ui.visuals().text_color()
                } else {
                    VARIANT_COLOR
                });
            if ui.radio_value(&mut base, false, variant_label).changed()
                || ui
                    .radio_value(&mut base, true, "base (all variants)")
                    .on_hover_text(
                        "Values the active variant overrides stay as the variant has them on \
                         screen; the base changes for every variant that does not override them",
                    )
                    .changed()
            {
                act(VariantAction::EditBase(base));
            }
        });
    } else {
        ui.weak("Showing the base scene: edits go to the base.");
    }
    ui.separator();

    egui::ScrollArea::vertical()
        .id_salt("variants_scroll")
        .auto_shrink([false, false])
        // No taller than the room left (egui would take 64 points at least).
        .min_scrolled_height(0.0)
        .show(ui, |ui| {
            // Thumbnails shrink in a narrow panel, to leave the names room.
            let thumb_size = THUMB * (ui.available_width() / 220.0).clamp(0.6, 1.0);
            // One row: thumbnail and name (click: show; the name's right-click: more),
            // override count, the compare tick. Returns the clicks of thumbnail and name.
            let row = |ui: &mut Ui,
                       id: Option<VariantId>,
                       name: &str,
                       detail: String,
                       act: &mut dyn FnMut(VariantAction)|
             -> (egui::Response, egui::Response) {
                let active = variants.active == id;
                let frame = egui::Frame::new()
                    .inner_margin(4.0)
                    .corner_radius(4.0)
                    .fill(if active {
                        ui.visuals().selection.bg_fill.gamma_multiply(0.6)
                    } else {
                        Color32::TRANSPARENT
                    });
                frame
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        // The names beside the thumbnail where they have room, else under
                        // it (in a narrow column "compare" wrapped a few letters a line).
                        let beside =
                            ui.available_width() - thumb_size.x - ui.spacing().item_spacing.x
                                >= NAMES_MIN_WIDTH;
                        let layout = if beside {
                            egui::Layout::left_to_right(egui::Align::Center)
                        } else {
                            egui::Layout::top_down(egui::Align::Min)
                        };
                        let line = vec2(ui.available_width(), ui.spacing().interact_size.y);
                        ui.allocate_ui_with_layout(line, layout, |ui| {
                            let thumb = match panel.thumbnails.get(&id) {
                                Some(texture) => ui.add(
                                    egui::Image::from_texture(egui::load::SizedTexture::new(
                                        *texture, thumb_size,
                                    ))
                                    .sense(egui::Sense::click()),
                                ),
                                None => {
                                    let (rect, response) =
                                        ui.allocate_exact_size(thumb_size, egui::Sense::click());
                                    ui.painter().rect_filled(rect, 2.0, Color32::from_gray(40));
                                    ui.painter().text(
                                        rect.center(),
                                        egui::Align2::CENTER_CENTER,
                                        "…",
                                        egui::FontId::proportional(14.0),
                                        Color32::from_gray(160),
                                    );
                                    response
                                }
                            };
                            let label = ui
                                .vertical(|ui| {
                                    // Whatever is still too long ends in "…".
                                    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
                                    let text = RichText::new(name);
                                    // Names and counts too long for the row end in "…"
                                    // (hover shows the name whole).
                                    let label = ui.add(
                                        egui::Button::selectable(
                                            active,
                                            if active { text.strong() } else { text },
                                        )
                                        .truncate(),
                                    );
                                    ui.add(
                                        egui::Label::new(RichText::new(detail).weak()).truncate(),
                                    );
                                    if let Some(id) = id {
                                        let mut ticked = panel.compare.contains(&id);
                                        let full = panel.compare.len() >= MAX_COMPARE && !ticked;
                                        if ui
                                            .add_enabled(
                                                !full,
                                                egui::Checkbox::new(&mut ticked, "compare"),
                                            )
                                            .changed()
                                        {
                                            act(VariantAction::ToggleCompare(id));
                                        }
                                    }
                                    label
                                })
                                .inner;
                            (thumb, label)
                        })
                        .inner
                    })
                    .inner
            };

            let (thumb, label) = row(ui, None, "Base", "no overrides".to_owned(), &mut |a| act(a));
            if thumb.clicked() || label.clicked() {
                act(VariantAction::Switch(None));
            }
            let count = variants.list.len();
            for (index, v) in variants.list.iter().enumerate() {
                let n = v.overrides.count();
                let detail = match n {
                    0 => "no overrides".to_owned(),
                    1 => "1 override".to_owned(),
                    n => format!("{n} overrides"),
                };
                let (thumb, label) = row(ui, Some(v.id), &v.name, detail, &mut |a| act(a));
                let response = label.on_hover_text(format!(
                    "{}\nClick to show, double-click to rename, right-click for more",
                    v.name
                ));
                if thumb.clicked() || response.clicked() {
                    act(VariantAction::Switch(Some(v.id)));
                }
                let rename_id = egui::Id::unique(("variant_rename", v.id));
                if response.double_clicked() {
                    ui.data_mut(|d| d.insert_temp(rename_id, v.name.clone()));
                }
                if let Some(mut text) = ui.data(|d| d.get_temp::<String>(rename_id)) {
                    let edit = ui.add(
                        egui::TextEdit::singleline(&mut text)
                            .desired_width(f32::INFINITY)
                            .hint_text("Variant name"),
                    );
                    edit.request_focus();
                    if edit.lost_focus() {
                        ui.data_mut(|d| d.remove::<String>(rename_id));
                        if !ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                            act(VariantAction::Rename(v.id, text));
                        }
                    } else {
                        ui.data_mut(|d| d.insert_temp(rename_id, text));
                    }
                }
                response.context_menu(|ui| {
                    if ui.button("Rename").clicked() {
                        ui.data_mut(|d| d.insert_temp(rename_id, v.name.clone()));
                        ui.close();
                    }
                    if ui.button("Duplicate").clicked() {
                        act(VariantAction::Duplicate(v.id));
                        ui.close();
                    }
                    if ui
                        .add_enabled(index > 0, egui::Button::new("Move up"))
                        .clicked()
                    {
                        act(VariantAction::Move(v.id, index - 1));
                        ui.close();
                    }
                    if ui
                        .add_enabled(index + 1 < count, egui::Button::new("Move down"))
                        .clicked()
                    {
                        act(VariantAction::Move(v.id, index + 1));
                        ui.close();
                    }
                    ui.menu_button("Apply preset", |ui| {
                        for preset in Preset::ALL {
                            if ui.button(preset.name()).clicked() {
                                act(VariantAction::Switch(Some(v.id)));
                                act(VariantAction::ApplyPreset(preset));
                                ui.close();
                            }
                        }
                    });
                    if ui
                        .add_enabled(n > 0, egui::Button::new("Reset all to base"))
                        .clicked()
                    {
                        act(VariantAction::ResetAll(v.id));
                        ui.close();
                    }
                    ui.separator();
                    if ui.button("Delete").clicked() {
                        act(VariantAction::Delete(v.id));
                        ui.close();
                    }
                });
            }
            if variants.list.is_empty() {
                ui.weak("No variants yet: + Add makes one from the current look or a preset.");
            }
        });
}

/// In the inspector: which of `targets` the variant being edited overrides, each with a
/// reset button. Nothing when editing the base.
pub fn overrides_strip_ui(
    ui: &mut Ui,
    variant: Option<&crate::scene::Variant>,
    targets: &[(OverrideTarget, &str)],
    actions: &mut Vec<UiAction>,
) {
    let Some(variant) = variant else {
        return;
    };
    let set: Vec<_> = targets
        .iter()
        .filter(|(t, _)| t.is_set(&variant.overrides))
        .collect();
    if set.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("Variant sets").color(VARIANT_COLOR))
            .on_hover_text(format!(
                "Overridden in variant '{}': the base has other values",
                variant.name
            ));
        for (target, label) in set {
            ui.label(RichText::new(*label).color(VARIANT_COLOR).strong());
            if ui
                .small_button("reset")
                .on_hover_text(format!("Reset {label} to the base value"))
                .clicked()
            {
                actions.push(UiAction::Variant(VariantAction::Reset(*target)));
            }
        }
    });
}

/// The compare view: `cells` (name, texture) in a grid of `columns`×`rows` over the whole
/// viewport, each labelled. Returns the viewport's response (the camera still orbits).
pub fn compare_view_ui(
    ui: &mut Ui,
    cells: &[(String, egui::TextureId)],
    (columns, rows): (u32, u32),
) -> egui::Response {
    let rect = ui.available_rect_before_wrap();
    let response = ui.allocate_rect(rect, egui::Sense::click_and_drag());
    let painter = ui.painter_at(rect);
    let size = vec2(rect.width() / columns as f32, rect.height() / rows as f32);
    let uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    for (k, (name, texture)) in cells.iter().enumerate() {
        let (c, r) = (k as u32 % columns, k as u32 / columns);
        let cell =
            egui::Rect::from_min_size(rect.min + vec2(c as f32 * size.x, r as f32 * size.y), size);
        painter.image(*texture, cell, uv, Color32::WHITE);
        painter.rect_stroke(
            cell,
            0.0,
            egui::Stroke::new(1.0, Color32::from_gray(20)),
            egui::StrokeKind::Inside,
        );
        let galley = painter.layout_no_wrap(
            name.clone(),
            egui::FontId::proportional(13.0),
            Color32::WHITE,
        );
        // Centred at the top: the viewport's own labels sit in the corners.
        let at = cell.center_top() + vec2(-galley.size().x / 2.0, 8.0);
        painter.rect_filled(
            egui::Rect::from_min_size(at, galley.size()).expand2(vec2(5.0, 2.0)),
            3.0,
            Color32::from_black_alpha(170),
        );
        painter.galley(at, galley, VARIANT_COLOR);
    }
    response
}
