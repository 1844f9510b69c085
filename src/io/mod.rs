//! Files that leave the app: trained models.

pub mod model_file;
pub mod onnx;
