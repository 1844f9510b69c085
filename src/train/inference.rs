//! Running the model being trained on one image: the drawing pad's class probabilities and
//! the feature maps of every layer. Both use the weights evaluation uses (the average, when
//! weight averaging is on) and leave the training weights as they were.

use super::trainer::{probabilities, Trainer};
use crate::error::{Error, Result};
use crate::nn::Mode;
use crate::tensor::Tensor;

/// One layer's output for one image: `values` is `[H, W, C]` (or `[F]`) in NHWC order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FeatureMap {
    pub layer: usize,
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl Trainer {
    /// Images as the model sees them: scaled, normalised like the training data, one batch.
    fn input_of(&self, images: &[&[u8]]) -> Result<Tensor> {
        let expected: usize = self.config.model.input.iter().product();
        if let Some(bad) = images.iter().find(|p| p.len() != expected) {
            return Err(Error::Config(format!(
                "an image of {} pixels was given; this model takes {:?} = {expected}",
                bad.len(),
                self.config.model.input
            )));
        }
        let mut x = Vec::with_capacity(images.len() * expected);
        for pixels in images {
            let start = x.len();
            x.extend(pixels.iter().map(|&p| p as f32 / 255.0));
            self.normalizer.apply(&mut x[start..]);
        }
        let mut shape = vec![images.len()];
        shape.extend(&self.config.model.input);
        Tensor::from_vec(shape, x)?.to_device(&self.device)
    }

    /// Runs `f` with the evaluated weights in place, then puts the training weights back.
    fn with_evaluated_weights<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let live = self.swap_in_evaluated()?;
        let out = f(self);
        self.swap_back(live)?;
        out
    }

    /// Class probabilities for one image of `rows × cols` bytes (0 = paper, 255 = ink).
    pub async fn predict(&mut self, pixels: &[u8]) -> Result<Vec<f32>> {
        self.predict_many(&[pixels]).await
    }

    /// Class probabilities for a batch of images, image after image.
    pub async fn predict_many(&mut self, images: &[&[u8]]) -> Result<Vec<f32>> {
        let x = self.input_of(images)?;
        let loss = self.config.loss;
        let (_, probabilities) =
            self.with_evaluated_weights(|t| probabilities(&mut t.model, &x, &loss))?;
        probabilities.read().await
    }

    /// Every layer's output for one image, in inference mode.
    pub async fn feature_maps(&mut self, pixels: &[u8]) -> Result<Vec<FeatureMap>> {
        let x = self.input_of(&[pixels])?;
        let outputs = self.with_evaluated_weights(|t| {
            t.model.forward(&x, Mode::Eval)?;
            Ok(t.model.outputs().to_vec())
        })?;
        let infos = self.model.infos();
        let mut maps = Vec::with_capacity(outputs.len());
        for (layer, (y, info)) in outputs.iter().zip(infos).enumerate() {
            maps.push(FeatureMap {
                layer,
                name: info.name,
                shape: y.shape()[1..].to_vec(),
                values: y.read().await?,
            });
        }
        Ok(maps)
    }
}
