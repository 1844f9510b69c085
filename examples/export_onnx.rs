//! Exports a model file (from the browser's Download button or `train_mnist --save`) to ONNX:
//! `cargo run --release --example export_onnx -- model.safetensors model.onnx`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: export_onnx MODEL.safetensors OUT.onnx");
        std::process::exit(2);
    };
    let file = trainer::io::model_file::ModelFile::from_bytes(&std::fs::read(input)?)?;
    let bytes = trainer::io::onnx::export(&file)?;
    std::fs::write(output, &bytes)?;
    println!(
        "{output}: {} bytes, input `pixels` [N, 28, 28, 1] 0–255, output `probabilities`",
        bytes.len()
    );
    Ok(())
}
