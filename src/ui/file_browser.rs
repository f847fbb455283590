//! A built-in file browser window, used for File ▸ Open / Import when the desktop has no file
//! dialog service (no XDG desktop portal, e.g. a bare X server or a remote session).
//!
//! It lists one folder at a time: sub-folders first, then the files worldsmith can read. A
//! folder can be opened itself (world-model output folders are one world).

use super::UiAction;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

/// File extensions the importers read (lower case, without the dot).
pub const IMPORTABLE_EXTENSIONS: &[&str] = &[
    "wsproj", "gltf", "glb", "ply", "spz", "splat", "ksplat", "sog",
];

/// What the chosen path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowsePurpose {
    /// Replace the world with the file or folder.
    Open,
    /// Add the file or folder to the world.
    Import,
    /// Use the image (equirectangular PNG, JPEG or Radiance HDR) as the environment.
    Environment,
    /// Save the project to the chosen file.
    SaveAs,
    /// Put the image into a material's texture slot.
    Texture {
        material: crate::scene::MaterialId,
        slot: crate::scene::TextureSlot,
    },
    /// Export the world (or part of it) to the chosen file.
    Export(ExportKind),
}

/// What File ▸ Export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The world as one `.glb`.
    Glb,
    /// The world as `.gltf` with `.bin` and images beside it.
    GltfSeparate,
    /// The selected nodes (and what is under them) as one `.glb`.
    SelectedGlb,
    /// The active splat layer (or point cloud) as PLY.
    SplatPly,
    /// The active splat layer as SPZ.
    SplatSpz,
}

impl ExportKind {
    /// The file extension written (without the dot).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Glb | Self::SelectedGlb => "glb",
            Self::GltfSeparate => "gltf",
            Self::SplatPly => "ply",
            Self::SplatSpz => "spz",
        }
    }

    /// Whether the export is a glTF (with options), not one splat layer.
    pub fn is_gltf(self) -> bool {
        matches!(self, Self::Glb | Self::GltfSeparate | Self::SelectedGlb)
    }
}

/// The export options shown as checkboxes in the export browser.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExportChoices {
    pub apply_transforms: bool,
    pub include_hidden: bool,
    /// Write splat layers beside a glTF as SPZ instead of PLY.
    pub splats_as_spz: bool,
}

impl BrowsePurpose {
    fn title(self) -> &'static str {
        match self {
            BrowsePurpose::Open => "Open",
            BrowsePurpose::Import => "Import",
            BrowsePurpose::Environment => "Environment image",
            BrowsePurpose::SaveAs => "Save",
            BrowsePurpose::Texture { .. } => "Texture image",
            BrowsePurpose::Export(kind) => match kind {
                ExportKind::Glb => "Export as glTF Binary",
                ExportKind::GltfSeparate => "Export as glTF with separate files",
                ExportKind::SelectedGlb => "Export selection as glTF Binary",
                ExportKind::SplatPly => "Export splat layer as PLY",
                ExportKind::SplatSpz => "Export splat layer as SPZ",
            },
        }
    }

    /// Whether the browser asks for a file name to write (Save As, Export).
    pub fn writes(self) -> bool {
        matches!(self, BrowsePurpose::SaveAs | BrowsePurpose::Export(_))
    }

    /// The extension of the files written for this purpose.
    pub fn written_extension(self) -> &'static str {
        match self {
            BrowsePurpose::Export(kind) => kind.extension(),
            _ => crate::project::EXTENSION,
        }
    }

    /// Whether the browser lists this file for this purpose.
    pub fn accepts(self, path: &Path) -> bool {
        match self {
            BrowsePurpose::Texture { .. } => path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .is_some_and(|e| TEXTURE_EXTENSIONS.contains(&e.as_str())),
            BrowsePurpose::Environment => path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .is_some_and(|e| ENVIRONMENT_EXTENSIONS.contains(&e.as_str())),
            BrowsePurpose::SaveAs => crate::project::is_project_path(path),
            BrowsePurpose::Export(kind) => path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case(kind.extension())),
            _ => is_importable(path),
        }
    }

    /// The action that loads `path` for this purpose.
    pub fn action(self, path: PathBuf) -> UiAction {
        match self {
            BrowsePurpose::Open => UiAction::OpenPath(path),
            BrowsePurpose::Import => UiAction::ImportPath(path),
            BrowsePurpose::Environment => UiAction::LoadEnvironment(path),
            BrowsePurpose::SaveAs => UiAction::SaveAs(path),
            BrowsePurpose::Texture { material, slot } => UiAction::AssignTexture {
                material,
                slot,
                path,
            },
            BrowsePurpose::Export(kind) => UiAction::Export {
                kind,
                path,
                choices: ExportChoices::default(),
            },
        }
    }
}

/// One row of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    name: String,
    is_dir: bool,
}

/// State of the browser window.
#[derive(Clone, Debug)]
pub struct FileBrowser {
    pub purpose: BrowsePurpose,
    folder: PathBuf,
    /// The path typed or clicked (a file or folder inside `folder`, or anything typed).
    path_text: String,
    entries: Vec<Entry>,
    /// Why the folder could not be listed.
    error: Option<String>,
    /// Save As: the file name to save to, inside `folder`.
    pub file_name: String,
    /// Export: the options the checkboxes set.
    pub export: ExportChoices,
}

impl FileBrowser {
    /// A browser showing `folder`.
    pub fn new(purpose: BrowsePurpose, folder: &Path) -> Self {
        let mut browser = Self {
            purpose,
            folder: folder.to_owned(),
            path_text: String::new(),
            entries: Vec::new(),
            error: None,
            file_name: String::new(),
            export: ExportChoices::default(),
        };
        browser.list(folder);
        browser
    }

    /// The path Save As would write: the file name in the folder shown, with the project
    /// extension added when missing; `None` without a name.
    pub fn save_path(&self) -> Option<PathBuf> {
        let name = self.file_name.trim();
        if name.is_empty() || name.contains('/') {
            return None;
        }
        let mut path = self.folder.join(name);
        if !self.purpose.accepts(&path) {
            let mut with_ext = path.into_os_string();
            with_ext.push(".");
            with_ext.push(self.purpose.written_extension());
            path = PathBuf::from(with_ext);
        }
        Some(path)
    }

    /// Lists `folder` (sub-folders, then importable files, each sorted by name).
    fn list(&mut self, folder: &Path) {
        match std::fs::read_dir(folder) {
            Ok(read) => {
                let mut entries: Vec<Entry> = read
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        if name.starts_with('.') {
                            return None;
                        }
                        let is_dir = e.path().is_dir();
                        (is_dir || self.purpose.accepts(&e.path()))
                            .then_some(Entry { name, is_dir })
                    })
                    .collect();
                entries.sort_by(|a, b| {
                    b.is_dir
                        .cmp(&a.is_dir)
                        .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
                });
                self.folder = folder.to_owned();
                self.entries = entries;
                self.error = None;
                self.path_text = folder.display().to_string();
            }
            Err(e) => self.error = Some(format!("{}: {e}", folder.display())),
        }
    }

    /// The folder shown.
    pub fn folder(&self) -> &Path {
        &self.folder
    }

    /// Names listed, folders first (for tests).
    pub fn listed_names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }
}

/// Image files a texture slot takes (lower case, without the dot).
pub const TEXTURE_EXTENSIONS: &[&str] = &["png", "jpg", "jpeg", "webp", "ktx2"];

/// Image files an environment can be made from (lower case, without the dot).
pub const ENVIRONMENT_EXTENSIONS: &[&str] = &["hdr", "png", "jpg", "jpeg", "webp"];

/// True for files with an extension the importers read.
pub fn is_importable(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| IMPORTABLE_EXTENSIONS.contains(&e.as_str()))
}

/// Shows the browser window; returns the action for the chosen path. Closing the window or
/// choosing sets `browser` to `None`.
pub fn file_browser_ui(ui: &Ui, browser: &mut Option<FileBrowser>) -> Option<UiAction> {
    let b = browser.as_mut()?;
    let mut open = true;
    let mut chosen: Option<PathBuf> = None;
    let mut navigate: Option<PathBuf> = None;
    let saving = b.purpose.writes();
    let title = if b.purpose == BrowsePurpose::SaveAs {
        "Save project as".to_owned()
    } else if saving {
        b.purpose.title().to_owned()
    } else {
        format!("{} file or world folder", b.purpose.title())
    };
    egui::Window::new(title)
        .id(egui::Id::unique("file_browser"))
        .open(&mut open)
        .collapsible(false)
        .default_size([520.0, 420.0])
        .show(ui.ctx(), |ui| {
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(b.folder.parent().is_some(), egui::Button::new("Up"))
                    .on_hover_text("Parent folder")
                    .clicked()
                {
                    navigate = b.folder.parent().map(Path::to_owned);
                }
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut b.path_text)
                        .desired_width(f32::INFINITY)
                        .hint_text("/path/to/world.glb"),
                );
                if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    let typed = PathBuf::from(b.path_text.trim());
                    if typed.is_dir() && (saving || !is_world_folder(&typed)) {
                        navigate = Some(typed);
                    } else {
                        chosen = Some(typed);
                    }
                }
            });
            if let Some(error) = &b.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.separator();
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .max_height(ui.available_height() - 34.0)
                .show(ui, |ui| {
                    if b.entries.is_empty() {
                        ui.weak(if saving {
                            "No folders or files of this type here."
                        } else {
                            "No folders or importable files (.wsproj .gltf .glb .ply .spz) here."
                        });
                    }
                    for entry in &b.entries {
                        let label = if entry.is_dir {
                            RichText::new(format!("{}/", entry.name)).strong()
                        } else {
                            RichText::new(&entry.name)
                        };
                        let path = b.folder.join(&entry.name);
                        let selected = b.path_text == path.display().to_string();
                        let response = ui.selectable_label(selected, label);
                        if response.clicked() {
                            if saving && !entry.is_dir {
                                b.file_name = entry.name.clone();
                            } else {
                                b.path_text = path.display().to_string();
                            }
                        }
                        if response.double_clicked() {
                            if entry.is_dir {
                                navigate = Some(path);
                            } else {
                                chosen = Some(path);
                            }
                        }
                    }
                });
            ui.separator();
            if let BrowsePurpose::Export(kind) = b.purpose
                && kind.is_gltf()
            {
                export_options_ui(ui, &mut b.export);
            }
            if saving {
                let hint = format!("world.{}", b.purpose.written_extension());
                ui.horizontal(|ui| {
                    ui.label("File name");
                    let edit = ui.add(
                        egui::TextEdit::singleline(&mut b.file_name)
                            .desired_width(260.0)
                            .hint_text(hint),
                    );
                    let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                    let target = b.save_path();
                    let label = match (target.as_ref().is_some_and(|p| p.exists()), b.purpose) {
                        (true, _) => "Replace",
                        (false, BrowsePurpose::Export(_)) => "Export",
                        (false, _) => "Save",
                    };
                    if ui
                        .add_enabled(target.is_some(), egui::Button::new(label))
                        .clicked()
                        || (enter && target.is_some())
                    {
                        chosen = target;
                    }
                });
                return;
            }
            ui.horizontal(|ui| {
                let typed = PathBuf::from(b.path_text.trim());
                let label = if typed.is_dir() {
                    format!("{} folder as one world", b.purpose.title())
                } else {
                    b.purpose.title().to_owned()
                };
                if ui
                    .add_enabled(!b.path_text.trim().is_empty(), egui::Button::new(label))
                    .clicked()
                {
                    chosen = Some(typed);
                }
                ui.weak("Double-click a folder to enter it, a file to load it.");
            });
        });
    if let Some(folder) = navigate {
        b.list(&folder);
    }
    let purpose = b.purpose;
    let choices = b.export;
    if !open || chosen.is_some() {
        *browser = None;
    }
    chosen.map(|path| match purpose.action(path) {
        UiAction::Export { kind, path, .. } => UiAction::Export {
            kind,
            path,
            choices,
        },
        other => other,
    })
}

/// The export options as checkboxes.
fn export_options_ui(ui: &mut Ui, choices: &mut ExportChoices) {
    ui.horizontal(|ui| {
        ui.checkbox(&mut choices.apply_transforms, "Apply transforms")
            .on_hover_text("Bake each object's world transform into its vertices (no hierarchy)");
        ui.checkbox(&mut choices.include_hidden, "Include hidden")
            .on_hover_text("Also export hidden objects");
        ui.checkbox(&mut choices.splats_as_spz, "Splats as SPZ")
            .on_hover_text(
                "Splat layers are written beside the glTF as PLY files; tick for SPZ instead",
            );
    });
    ui.separator();
}

/// True when `folder` is what the importer opens as one world
/// ([`crate::import::world::is_world_folder`]: layers, cameras or a training run's splats) or
/// is a SOG (`meta.json` and its images), so Enter on it loads it instead of entering it.
pub fn is_world_folder(folder: &Path) -> bool {
    crate::import::is_sog_folder(folder) || crate::import::world::is_world_folder(folder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_folders_first_then_importable_files() {
        let dir = std::env::temp_dir().join(format!("ws-browser-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("b_world")).expect("mkdir");
        std::fs::create_dir_all(dir.join("A_folder")).expect("mkdir");
        for name in ["z.glb", "m.PLY", "notes.txt", ".hidden.glb", "a.spz"] {
            std::fs::write(dir.join(name), b"x").expect("write");
        }
        let browser = FileBrowser::new(BrowsePurpose::Import, &dir);
        assert_eq!(
            browser.listed_names(),
            vec!["A_folder", "b_world", "a.spz", "m.PLY", "z.glb"]
        );
        assert!(is_world_folder(&dir));
        assert!(!is_world_folder(&dir.join("A_folder")));
        // A SOG folder (its meta.json names the images) loads; another meta.json does not.
        let sog = dir.join("A_folder");
        std::fs::write(sog.join("meta.json"), br#"{"name": "x"}"#).expect("write");
        assert!(!is_world_folder(&sog));
        let meta = br#"{"version": 2, "means": {}, "quats": {}, "scales": {}, "sh0": {}}"#;
        std::fs::write(sog.join("meta.json"), meta).expect("write");
        assert!(is_world_folder(&sog));
        // Projects are opened one by one, not as a world.
        let projects = dir.join("projects");
        std::fs::create_dir_all(&projects).expect("mkdir");
        std::fs::write(projects.join("a.wsproj"), b"x").expect("write");
        assert!(!is_world_folder(&projects));
        // A 3DGS training run's output folder loads.
        let run = dir.join("garden");
        std::fs::create_dir_all(run.join("point_cloud/iteration_7000")).expect("mkdir");
        assert!(!is_world_folder(&run));
        std::fs::write(run.join("point_cloud/iteration_7000/point_cloud.ply"), b"x")
            .expect("write");
        assert!(is_world_folder(&run));
        assert_eq!(
            BrowsePurpose::Import.action(dir.join("z.glb")),
            UiAction::ImportPath(dir.join("z.glb"))
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn save_as_lists_projects_and_adds_the_extension() {
        let dir = std::env::temp_dir().join(format!("ws-browser-save-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
        for name in ["a.wsproj", "b.glb", "c.WSPROJ"] {
            std::fs::write(dir.join(name), b"x").expect("write");
        }
        let mut browser = FileBrowser::new(BrowsePurpose::SaveAs, &dir);
        assert_eq!(browser.listed_names(), vec!["sub", "a.wsproj", "c.WSPROJ"]);
        assert_eq!(browser.save_path(), None, "no name yet");
        browser.file_name = "demo".into();
        assert_eq!(browser.save_path(), Some(dir.join("demo.wsproj")));
        browser.file_name = " x.wsproj ".into();
        assert_eq!(browser.save_path(), Some(dir.join("x.wsproj")));
        browser.file_name = "../escape".into();
        assert_eq!(browser.save_path(), None);
        assert_eq!(
            BrowsePurpose::SaveAs.action(dir.join("x.wsproj")),
            UiAction::SaveAs(dir.join("x.wsproj"))
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn export_lists_its_format_and_adds_the_extension() {
        let dir = std::env::temp_dir().join(format!("ws-browser-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        for name in ["a.glb", "b.gltf", "c.wsproj", "d.ply"] {
            std::fs::write(dir.join(name), b"x").expect("write");
        }
        let purpose = BrowsePurpose::Export(ExportKind::GltfSeparate);
        assert!(purpose.writes());
        let mut browser = FileBrowser::new(purpose, &dir);
        assert_eq!(browser.listed_names(), vec!["b.gltf"]);
        browser.file_name = "world".into();
        assert_eq!(browser.save_path(), Some(dir.join("world.gltf")));
        let spz = FileBrowser::new(BrowsePurpose::Export(ExportKind::SplatSpz), &dir);
        assert!(spz.listed_names().is_empty());
        assert_eq!(
            purpose.action(dir.join("w.gltf")),
            UiAction::Export {
                kind: ExportKind::GltfSeparate,
                path: dir.join("w.gltf"),
                choices: ExportChoices::default(),
            }
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_missing_folder_shows_an_error_not_a_panic() {
        let browser = FileBrowser::new(BrowsePurpose::Open, Path::new("/nonexistent/folder"));
        assert!(browser.listed_names().is_empty());
        assert!(
            browser
                .error
                .as_deref()
                .is_some_and(|e| e.contains("/nonexistent/folder"))
        );
    }
}
