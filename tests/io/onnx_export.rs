//! ONNX export: the exported graph decodes as an ONNX model with the expected structure, and
//! files for the Python check (onnx.checker full check, onnxruntime against the app on 1 000
//! real MNIST test images; tests/python/check_onnx.py, run by scripts/test.sh).

use crate::common;

use pollster::block_on;
use prost::Message;
use trainer::io::onnx::{export, proto::ModelProto, OPSET};
use trainer::nn::presets::Preset;
use trainer::train::{TrainConfig, Trainer};

fn trained(preset: Preset) -> Trainer {
    let mut c = TrainConfig::for_preset(preset, 1, 11);
    c.batch_size = 32;
    c.split.train_subset = Some(1024);
    c.split.validation = 100;
    let mut t = Trainer::new(c, common::mnist()).unwrap();
    for _ in 0..32 {
        block_on(t.step()).unwrap();
    }
    t
}

#[test]
fn exported_graphs_decode_and_files_for_onnxruntime_are_written() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/build/interop");
    std::fs::create_dir_all(dir).unwrap();
    for (name, preset) in [
        ("mlp", Preset::Mlp),
        ("cnn", Preset::DefaultCnn),
        ("cnn_bn", Preset::CnnBnDropout),
        ("lenet5", Preset::Lenet5),
    ] {
        let mut t = trained(preset);
        let file = block_on(t.to_model_file()).unwrap();
        let bytes = export(&file).unwrap();
        let model = ModelProto::decode(bytes.as_slice()).unwrap();
        assert_eq!(model.opset_import[0].version, Some(OPSET));
        let graph = model.graph.as_ref().unwrap();
        assert_eq!(graph.input[0].name.as_deref(), Some("pixels"));
        assert_eq!(graph.output[0].name.as_deref(), Some("probabilities"));
        assert_eq!(graph.node.last().unwrap().output, ["probabilities"]);
        std::fs::write(format!("{dir}/{name}.onnx"), &bytes).unwrap();
        let test = t.dataset.test.clone();
        let pixels: Vec<&[u8]> = (0..1000).map(|i| test.image(i)).collect();
        let probabilities: Vec<Vec<f32>> = pixels
            .iter()
            .map(|p| block_on(t.predict(p)).unwrap())
            .collect();
        let reference = serde_json::json!({ "pixels": pixels, "probabilities": probabilities });
        std::fs::write(format!("{dir}/{name}.onnx.json"), reference.to_string()).unwrap();
        println!(
            "{name}: {} bytes of ONNX, {} nodes",
            bytes.len(),
            graph.node.len()
        );
    }
}
