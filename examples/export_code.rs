//! Writes a model file (from the browser's Download button or `train_mnist --save`) as Keras
//! and PyTorch code with its weights, the folder the page's "Export as code" zips:
//! `cargo run --release --example export_code -- model.safetensors model-code/`

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, dir] = args.as_slice() else {
        eprintln!("usage: export_code MODEL.safetensors DIR");
        std::process::exit(2);
    };
    let file = trainer::io::model_file::ModelFile::from_bytes(&std::fs::read(input)?)?;
    std::fs::create_dir_all(dir)?;
    for f in trainer::io::code_export::export(&file)? {
        std::fs::write(std::path::Path::new(dir).join(f.name), &f.bytes)?;
        println!("{dir}/{}: {} bytes", f.name, f.bytes.len());
    }
    Ok(())
}
