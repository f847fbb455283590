//! File ▸ Export in the editor: the export runs on a worker thread with a clone of the scene
//! (geometry is shared through `Arc`, so the clone is cheap) and its result goes to the log.

use super::Editor;
use crate::export::{ExportError, ExportOptions, ExportReport, GltfFormat, SplatFormat};
use crate::scene::{NodeId, Scene};
use crate::ui::{ExportChoices, ExportKind, LogLevel};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// An export in flight.
pub(crate) struct ExportJob {
    path: PathBuf,
    receiver: Receiver<Result<ExportReport, ExportError>>,
}

/// What to export where: the request the worker thread carries out.
#[derive(Clone, Debug)]
enum Request {
    Gltf(ExportOptions),
    Cloud(NodeId, SplatFormat),
}

/// The splat or point layer a splat export writes: the active selected node when it is one,
/// else the only one in the scene.
fn cloud_node(scene: &Scene, selection: &[NodeId]) -> Result<NodeId, String> {
    let is_cloud = |id: &NodeId| scene.node(*id).is_some_and(|n| n.kind.is_layer());
    if let Some(active) = selection.last().filter(|id| is_cloud(id)) {
        return Ok(*active);
    }
    let all: Vec<NodeId> = scene
        .nodes()
        .map(|n| n.id)
        .filter(|id| is_cloud(id))
        .collect();
    match all.as_slice() {
        [only] => Ok(*only),
        [] => Err("the world has no splat layer or point cloud".into()),
        _ => Err("select the splat layer to export".into()),
    }
}

fn request(
    scene: &Scene,
    selection: &[NodeId],
    kind: ExportKind,
    choices: ExportChoices,
) -> Result<Request, String> {
    let options = |selection_only, format| ExportOptions {
        selection_only,
        apply_transforms: choices.apply_transforms,
        include_hidden: choices.include_hidden,
        format,
        splats: if choices.splats_as_spz {
            SplatFormat::Spz
        } else {
            SplatFormat::Ply
        },
    };
    Ok(match kind {
        ExportKind::Glb => Request::Gltf(options(None, GltfFormat::Glb)),
        ExportKind::GltfSeparate => Request::Gltf(options(None, GltfFormat::Separate)),
        ExportKind::SelectedGlb => {
            if selection.is_empty() {
                return Err("nothing is selected".into());
            }
            Request::Gltf(options(Some(selection.to_vec()), GltfFormat::Glb))
        }
        ExportKind::SplatPly => Request::Cloud(cloud_node(scene, selection)?, SplatFormat::Ply),
        ExportKind::SplatSpz => Request::Cloud(cloud_node(scene, selection)?, SplatFormat::Spz),
    })
}

fn run(scene: &Scene, request: &Request, path: &Path) -> Result<ExportReport, ExportError> {
    match request {
        Request::Gltf(options) => crate::export::export_gltf(scene, path, options),
        Request::Cloud(node, format) => crate::export::export_cloud(scene, *node, path, *format),
    }
}

impl Editor {
    /// Starts File ▸ Export on a worker thread.
    pub(super) fn start_export(&mut self, kind: ExportKind, path: PathBuf, choices: ExportChoices) {
        let request = match request(&self.scene, &self.selection, kind, choices) {
            Ok(r) => r,
            Err(problem) => {
                self.report(
                    LogLevel::Error,
                    format!("{}: cannot export: {problem}", path.display()),
                );
                return;
            }
        };
        let scene = self.scene.clone();
        let (sender, receiver) = mpsc::channel();
        let waker = Arc::clone(&self.waker);
        let target = path.clone();
        let started = std::thread::Builder::new()
            .name("export".into())
            .spawn(move || {
                sender.send(run(&scene, &request, &target)).ok();
                waker();
            });
        match started {
            Ok(_) => {
                self.log(LogLevel::Info, format!("{}: exporting…", path.display()));
                self.exports.push(ExportJob { path, receiver });
            }
            Err(e) => self.report(
                LogLevel::Error,
                format!("{}: could not start the export: {e}", path.display()),
            ),
        }
    }

    /// Logs finished exports.
    pub(super) fn poll_exports(&mut self) {
        let mut finished = Vec::new();
        self.exports.retain(|job| match job.receiver.try_recv() {
            Ok(result) => {
                finished.push((job.path.clone(), Some(result)));
                false
            }
            Err(TryRecvError::Empty) => true,
            Err(TryRecvError::Disconnected) => {
                finished.push((job.path.clone(), None));
                false
            }
        });
        for (path, result) in finished {
            match result {
                Some(Ok(report)) => {
                    for warning in report.warnings {
                        self.log(LogLevel::Warning, warning);
                    }
                    let extra = report.files.len().saturating_sub(1);
                    self.report(
                        LogLevel::Info,
                        format!(
                            "exported {} ({:.1} MB{})",
                            path.display(),
                            report.bytes as f64 / 1e6,
                            if extra > 0 {
                                format!(", {extra} more file(s) beside it")
                            } else {
                                String::new()
                            }
                        ),
                    );
                }
                Some(Err(e)) => self.report(LogLevel::Error, e.to_string()),
                None => self.report(
                    LogLevel::Error,
                    format!("{}: the export stopped unexpectedly", path.display()),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::{NodeKind, Transform};

    #[test]
    fn splat_exports_pick_the_active_layer_or_the_only_one() {
        let mut scene = Scene::new("t");
        assert!(cloud_node(&scene, &[]).is_err());
        let cloud = scene.add_point_cloud(crate::scene::PointCloud::new(
            vec![[0.0; 3]],
            Vec::new(),
            Vec::new(),
        ));
        let points = NodeKind::Points {
            cloud,
            point_size_px: crate::scene::DEFAULT_POINT_SIZE_PX,
        };
        let a = scene.add_node(None, "a", Transform::IDENTITY, points.clone());
        let empty = scene.add_node(None, "e", Transform::IDENTITY, NodeKind::Empty);
        assert_eq!(cloud_node(&scene, &[empty]), Ok(a));
        let b = scene.add_node(None, "b", Transform::IDENTITY, points);
        assert!(cloud_node(&scene, &[empty]).is_err());
        assert_eq!(cloud_node(&scene, &[a, b]), Ok(b));
        assert!(
            request(
                &scene,
                &[],
                ExportKind::SelectedGlb,
                ExportChoices::default()
            )
            .is_err()
        );
    }
}
