//! Generates the ONNX protobuf messages from proto/onnx.proto (copied from the PyPI `onnx`
//! 1.23.2 wheel) with protox, a pure-Rust protobuf compiler: no `protoc` needed.

fn main() {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    let descriptors =
        protox::compile(["proto/onnx.proto"], ["proto"]).expect("onnx.proto compiles");
    prost_build::Config::new()
        .compile_fds(descriptors)
        .expect("prost generates the ONNX messages");
}
