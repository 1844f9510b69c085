//! What the page asks of the current model: predictions, the test gallery, the gradient
//! check, model files (downloads, and the snapshots taken every few epochs).

use super::Session;
use crate::worker::protocol::{Event, MapHeader, TestPrediction, GALLERY_MAX};
use crate::worker::runtime::post_with_file;

/// What "save" sends the page: the model file, its ONNX graph, or the experiment as code.
#[derive(Debug, Clone, Copy)]
pub(super) enum SaveAs {
    ModelFile,
    Onnx,
    Code,
}

impl Session {
    /// Class probabilities for one image, and every layer's output if asked.
    pub(super) async fn predict(&mut self, pixels: &[u8], feature_maps: bool) {
        let Some(t) = self.trainer.as_mut() else {
            return;
        };
        let result = async {
            let probabilities = t.predict(pixels).await?;
            let maps = if feature_maps {
                t.feature_maps(pixels).await?
            } else {
                Vec::new()
            };
            Ok::<_, crate::Error>((probabilities, maps))
        }
        .await;
        let step = t.batches_done();
        match result {
            Ok((probabilities, maps)) => {
                let (feature_maps, values) = MapHeader::split(maps);
                let event = Event::Prediction {
                    probabilities,
                    feature_maps,
                    step,
                };
                post_with_file(&event, bytemuck::cast_slice(&values));
            }
            Err(e) => self.outbox.post(&Event::Notice {
                message: format!("could not run the model on that image: {e}"),
            }),
        }
    }

    /// The model file, or with `onnx` its ONNX export, as a download.
    pub(super) async fn save_model(&mut self, kind: SaveAs) {
        let Some(t) = self.trainer.as_mut() else {
            return self.outbox.post(&Event::Notice {
                message: "there is no model to save yet: train one first".into(),
            });
        };
        let saved = t.to_model_file().await.and_then(|f| {
            let name = f.suggested_name();
            match kind {
                SaveAs::ModelFile => Ok((name, f.to_bytes()?)),
                SaveAs::Onnx => Ok((
                    name.replace(".safetensors", ".onnx"),
                    crate::io::onnx::export(&f)?,
                )),
                SaveAs::Code => {
                    let folder = crate::io::code_export::suggested_name(&f);
                    let files = crate::io::code_export::export(&f)?;
                    let zip = crate::io::code_export::zip::zip(&folder, &files)?;
                    Ok((format!("{folder}.zip"), zip))
                }
            }
        });
        match saved {
            Ok((name, bytes)) => post_with_file(&Event::ModelSaved { name, epoch: None }, &bytes),
            Err(e) => self.outbox.post(&Event::Notice {
                message: format!("could not save the model: {e}"),
            }),
        }
    }

    /// Saves the model and optimizer state at the end of an epoch for the page's snapshot
    /// store.
    pub(super) async fn snapshot(&mut self) {
        let Some(t) = self.trainer.as_mut() else {
            return;
        };
        let epoch = t.epochs_done();
        let file = t.to_model_file_with(true).await;
        match file.and_then(|f| Ok((f.suggested_name(), f.to_bytes()?))) {
            Ok((name, bytes)) => {
                let name = name.replace(".safetensors", &format!("-epoch{epoch}.safetensors"));
                post_with_file(
                    &Event::ModelSaved {
                        name,
                        epoch: Some(epoch),
                    },
                    &bytes,
                );
            }
            Err(e) => self.outbox.post(&Event::Notice {
                message: format!("could not take a snapshot after epoch {epoch}: {e}"),
            }),
        }
    }

    /// Compares backprop with numeric gradients for the current model (a lesson).
    pub(super) async fn grad_check(&mut self, images: usize) {
        let Some(t) = self.trainer.as_mut() else {
            return self.outbox.post(&Event::Notice {
                message: "there is no model to check yet: train (or Step) or open one first".into(),
            });
        };
        let result = crate::lessons::gradient_check::check_current(t, images).await;
        self.outbox.post(&match result {
            Ok(report) => Event::GradCheck { report },
            Err(e) => Event::Notice {
                message: format!("the gradient check failed: {e}"),
            },
        });
    }

    /// The current model's answers on a page of test images.
    pub(super) async fn test_gallery(&mut self, start: usize, count: usize) {
        let (Some(dataset), Some(t)) = (self.dataset.clone(), self.trainer.as_mut()) else {
            return;
        };
        let test = &dataset.test;
        let total = test.len();
        let indices: Vec<usize> = (0..count.min(GALLERY_MAX).min(total))
            .map(|k| (start + k) % total)
            .collect();
        if indices.is_empty() {
            return;
        }
        let images: Vec<&[u8]> = indices.iter().map(|&i| test.image(i)).collect();
        let step = t.batches_done();
        let probabilities = match t.predict_many(&images).await {
            Ok(p) => p,
            Err(e) => {
                return self.outbox.post(&Event::Notice {
                    message: format!("could not run the model on the test images: {e}"),
                })
            }
        };
        let classes = probabilities.len() / indices.len().max(1);
        let items = indices
            .iter()
            .zip(probabilities.chunks_exact(classes.max(1)))
            .map(|(&index, p)| {
                let predicted = (0..p.len())
                    .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                    .unwrap_or(0);
                TestPrediction {
                    index,
                    label: test.labels[index],
                    predicted: predicted as u8,
                    confidence: p[predicted],
                    pixels: Vec::new(),
                }
            })
            .collect();
        let pixels: Vec<u8> = indices
            .iter()
            .flat_map(|&i| test.image(i))
            .copied()
            .collect();
        let event = Event::TestGallery {
            step,
            start: start % total.max(1),
            total,
            items,
        };
        post_with_file(&event, &pixels);
    }
}
