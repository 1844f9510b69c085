//! Files that leave the app: trained models, and the experiment as Python code.

pub mod code_export;
pub mod model_file;
pub mod onnx;
