//! ONNX export of a model file's inference graph, with the messages prost generated from
//! `onnx.proto` (build.rs). The graph takes raw pixels (`pixels`, `[N, H, W, C]`, 0–255)
//! and outputs class probabilities (`probabilities`, `[N, classes]`): normalisation is in the
//! graph, dropout and noise are left out (they do nothing at inference), and a softmax is
//! added when the model does not end in one, so the graph gives what the app's drawing pad
//! shows.
//!
//! Our layout is NHWC; ONNX's Conv, pooling and BatchNormalization are NCHW. The graph
//! transposes to NCHW before the first of those and back to NHWC before Flatten, so Flatten
//! orders features (row, column, channel) exactly as the dense weights expect. Conv kernels
//! are stored HWIO and exported OIHW.

use prost::Message;

use super::model_file::ModelFile;
use crate::backend::geometry::Window2d;
use crate::data::normalize::Normalization;
use crate::error::{Error, Result};
use crate::nn::LayerSpec;

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/onnx.rs"));
}

use proto::{
    attribute_proto::AttributeType, tensor_proto::DataType, tensor_shape_proto::dimension,
    type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};

/// The operator set the graph uses (every op here is unchanged since well before it).
pub const OPSET: i64 = 17;
/// IR version 8 goes with opset 17.
const IR_VERSION: i64 = 8;

fn int_attr(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Int as i32),
        i: Some(v),
        ..Default::default()
    }
}

fn ints_attr(name: &str, v: &[usize]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Ints as i32),
        ints: v.iter().map(|&x| x as i64).collect(),
        ..Default::default()
    }
}

fn float_attr(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        r#type: Some(AttributeType::Float as i32),
        f: Some(v),
        ..Default::default()
    }
}

fn tensor(name: &str, dims: &[usize], values: Vec<f32>) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: Some(DataType::Float as i32),
        float_data: values,
        ..Default::default()
    }
}

fn value_info(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| proto::tensor_shape_proto::Dimension {
            value: Some(match d {
                Some(n) => dimension::Value::DimValue(*n as i64),
                None => dimension::Value::DimParam("batch".into()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: Some(DataType::Float as i32),
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Builds the graph node by node, naming each intermediate value.
struct Builder {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    last: String,
    count: usize,
}

impl Builder {
    fn node(&mut self, op: &str, extra_inputs: &[&str], attrs: Vec<AttributeProto>) {
        self.count += 1;
        let output = format!("{}_{}", op.to_lowercase(), self.count);
        let mut input = vec![self.last.clone()];
        input.extend(extra_inputs.iter().map(|s| s.to_string()));
        self.nodes.push(NodeProto {
            name: Some(format!("{op}_{}", self.count)),
            op_type: Some(op.into()),
            input,
            output: vec![output.clone()],
            attribute: attrs,
            ..Default::default()
        });
        self.last = output;
    }

    fn constant(&mut self, name: &str, dims: &[usize], values: Vec<f32>) -> String {
        self.initializers.push(tensor(name, dims, values));
        name.to_string()
    }
}

/// The weights of layer `i` by name, in our layout.
fn weight<'a>(file: &'a ModelFile, i: usize, name: &str) -> Result<&'a crate::tensor::Tensor> {
    let key = format!("layers.{i}.{name}");
    file.weights
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, t)| t)
        .ok_or_else(|| Error::Config(format!("the model file has no {key}")))
}

/// HWIO → OIHW.
fn oihw(w: &[f32], kh: usize, kw: usize, cin: usize, cout: usize) -> Vec<f32> {
    let mut out = vec![0.0; w.len()];
    for y in 0..kh {
        for x in 0..kw {
            for i in 0..cin {
                for o in 0..cout {
                    out[((o * cin + i) * kh + y) * kw + x] = w[((y * kw + x) * cin + i) * cout + o];
                }
            }
        }
    }
    out
}

fn pads(g: &Window2d) -> Vec<usize> {
    vec![
        g.pad_top,
        g.pad_left,
        g.pad_h - g.pad_top,
        g.pad_w - g.pad_left,
    ]
}

/// The serialized ONNX model of a model file's inference graph.
pub fn export(file: &ModelFile) -> Result<Vec<u8>> {
    let spec = &file.config.model;
    let infos = spec.infer()?;
    let mut b = Builder {
        nodes: Vec::new(),
        initializers: Vec::new(),
        last: "pixels".into(),
        count: 0,
    };
    // Normalisation, as the app does it: /255, then the statistics of the training split.
    let scale = b.constant("scale_255", &[], vec![255.0]);
    b.node("Div", &[&scale], Vec::new());
    let n = &file.normalizer;
    match n.kind {
        Normalization::Scale01 => {}
        Normalization::SubtractMeanPixel | Normalization::Standardize => {
            // Colour: each channel's statistics, a [C] vector broadcast over NHWC.
            let (means, stds, dims) = if n.channel_mean.is_empty() {
                (vec![n.mean], vec![n.std], vec![])
            } else {
                let c = n.channel_mean.len();
                (n.channel_mean.clone(), n.channel_std.clone(), vec![c])
            };
            let mean = b.constant("pixel_mean", &dims, means);
            b.node("Sub", &[&mean], Vec::new());
            if n.kind == Normalization::Standardize {
                let std = b.constant("pixel_std", &dims, stds);
                b.node("Div", &[&std], Vec::new());
            }
        }
        Normalization::SubtractMeanImage => {
            let mut dims = spec.input.clone();
            dims.insert(0, 1);
            let mean = b.constant("mean_image", &dims, n.mean_image.clone());
            b.node("Sub", &[&mean], Vec::new());
        }
    }
    let mut nchw = false;
    let mut shape = spec.input.clone();
    for (i, layer) in spec.layers.iter().enumerate() {
        let image = shape.len() == 3;
        let to_nchw = |b: &mut Builder, nchw: &mut bool| {
            if image && !*nchw {
                b.node("Transpose", &[], vec![ints_attr("perm", &[0, 3, 1, 2])]);
                *nchw = true;
            }
        };
        match &layer.layer {
            LayerSpec::Conv2d { filters, .. } => {
                to_nchw(&mut b, &mut nchw);
                let g = layer.layer.window(i, &shape)?.expect("a conv has a window");
                let w = weight(file, i, "weight")?.to_vec();
                let w = oihw(&w, g.k_h, g.k_w, g.channels, *filters);
                let w = b.constant(
                    &format!("layers.{i}.weight"),
                    &[*filters, g.channels, g.k_h, g.k_w],
                    w,
                );
                let bias = b.constant(
                    &format!("layers.{i}.bias"),
                    &[*filters],
                    weight(file, i, "bias")?.to_vec(),
                );
                b.node(
                    "Conv",
                    &[&w, &bias],
                    vec![
                        ints_attr("kernel_shape", &[g.k_h, g.k_w]),
                        ints_attr("strides", &[g.stride_h, g.stride_w]),
                        ints_attr("dilations", &[g.dil_h, g.dil_w]),
                        ints_attr("pads", &pads(&g)),
                    ],
                );
            }
            LayerSpec::MaxPool2d { .. } | LayerSpec::AvgPool2d { .. } => {
                to_nchw(&mut b, &mut nchw);
                let g = layer.layer.window(i, &shape)?.expect("a pool has a window");
                let op = if matches!(layer.layer, LayerSpec::MaxPool2d { .. }) {
                    "MaxPool"
                } else {
                    "AveragePool"
                };
                b.node(
                    op,
                    &[],
                    vec![
                        ints_attr("kernel_shape", &[g.k_h, g.k_w]),
                        ints_attr("strides", &[g.stride_h, g.stride_w]),
                    ],
                );
            }
            LayerSpec::BatchNorm { epsilon, .. } => {
                to_nchw(&mut b, &mut nchw);
                let c = *shape.last().expect("a shape");
                let names = ["gamma", "beta", "running_mean", "running_var"];
                let mut inputs = Vec::new();
                for name in names {
                    inputs.push(b.constant(
                        &format!("layers.{i}.{name}"),
                        &[c],
                        weight(file, i, name)?.to_vec(),
                    ));
                }
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                b.node(
                    "BatchNormalization",
                    &refs,
                    vec![float_attr("epsilon", *epsilon)],
                );
            }
            LayerSpec::Flatten => {
                if nchw {
                    b.node("Transpose", &[], vec![ints_attr("perm", &[0, 2, 3, 1])]);
                    nchw = false;
                }
                b.node("Flatten", &[], vec![int_attr("axis", 1)]);
            }
            LayerSpec::Dense { units, .. } => {
                let fan_in = shape.iter().product::<usize>();
                if shape.len() != 1 {
                    return Err(Error::Config(format!(
                        "layer {}: ONNX export needs a Flatten before Dense",
                        i + 1
                    )));
                }
                let w = b.constant(
                    &format!("layers.{i}.weight"),
                    &[fan_in, *units],
                    weight(file, i, "weight")?.to_vec(),
                );
                let bias = b.constant(
                    &format!("layers.{i}.bias"),
                    &[*units],
                    weight(file, i, "bias")?.to_vec(),
                );
                b.node("Gemm", &[&w, &bias], Vec::new());
            }
            LayerSpec::Relu => b.node("Relu", &[], Vec::new()),
            LayerSpec::LeakyRelu { alpha } => {
                b.node("LeakyRelu", &[], vec![float_attr("alpha", *alpha)])
            }
            LayerSpec::Sigmoid => b.node("Sigmoid", &[], Vec::new()),
            LayerSpec::Tanh => b.node("Tanh", &[], Vec::new()),
            LayerSpec::Softmax => b.node("Softmax", &[], vec![int_attr("axis", -1)]),
            // Inference does nothing with these.
            LayerSpec::Dropout { .. } | LayerSpec::GaussianNoise { .. } => {}
        }
        shape = infos[i].output.clone();
    }
    if shape.len() != 1 {
        return Err(Error::Config(
            "ONNX export needs a model that ends in a vector of class scores".into(),
        ));
    }
    if !matches!(
        spec.layers.last().map(|l| &l.layer),
        Some(LayerSpec::Softmax)
    ) {
        b.node("Softmax", &[], vec![int_attr("axis", -1)]);
    }
    // Name the final value `probabilities`.
    b.node("Identity", &[], Vec::new());
    let last = b.nodes.last_mut().expect("at least one node");
    last.output = vec!["probabilities".into()];
    let classes = shape[0];
    let mut input_dims = vec![None];
    input_dims.extend(spec.input.iter().map(|&d| Some(d)));
    let graph = GraphProto {
        name: Some("trainer".into()),
        node: b.nodes,
        initializer: b.initializers,
        input: vec![value_info("pixels", &input_dims)],
        output: vec![value_info("probabilities", &[None, Some(classes)])],
        doc_string: Some(format!(
            "Trained on {}; input: raw pixels 0-255, NHWC; output: probabilities of {}",
            file.dataset,
            file.class_names.join(", ")
        )),
        ..Default::default()
    };
    let model = ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        producer_name: Some("trainer".into()),
        producer_version: Some(env!("CARGO_PKG_VERSION").into()),
        graph: Some(graph),
        ..Default::default()
    };
    Ok(model.encode_to_vec())
}
