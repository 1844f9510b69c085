//! `keras_model.py`: the model as a Keras 3 `Sequential` (JAX by default, PyTorch or any
//! backend through `KERAS_BACKEND`), data-parallel over every device when there are several.
//! Keras keeps our layout (NHWC, kernels `[F_h, F_w, C_in, C_out]`, dense `[in, out]`,
//! flatten order (h, w, c)), so the weights load as they are.

use std::fmt::Write;

use super::{common, py, Layer, Plan};
use crate::backend::geometry::Padding;
use crate::nn::{LayerSpec, Loss};
use crate::optim::OptimizerSpec;

fn pair(v: [usize; 2]) -> String {
    format!("({}, {})", v[0], v[1])
}

/// The Keras layers of one of ours (a convolution with explicit padding gets its zeros
/// from a ZeroPadding2D in front of it).
fn layer(l: &Layer) -> Vec<String> {
    let name = format!("name=\"{}\"", l.name());
    let mut options = vec![name.clone()];
    let p = l.penalties;
    let has_kernel = matches!(l.spec, LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. });
    if has_kernel && (p.l1 != 0.0 || p.l2 != 0.0) {
        options.push(format!(
            "kernel_regularizer=keras.regularizers.L1L2(l1={}, l2={})",
            py(p.l1),
            py(p.l2)
        ));
    }
    if p.activity_l1 != 0.0 || p.activity_l2 != 0.0 {
        options.push(format!(
            "activity_regularizer=keras.regularizers.L1L2(l1={}, l2={})",
            py(p.activity_l1),
            py(p.activity_l2)
        ));
    }
    if l.frozen {
        options.push("trainable=False".into());
    }
    let o = options.join(", ");
    match *l.spec {
        LayerSpec::Dense { units, .. } => vec![format!("layers.Dense({units}, {o})")],
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            ..
        } => {
            let mut out = Vec::new();
            let pad = match padding {
                Padding::Valid => "valid",
                Padding::Same => "same",
                Padding::Explicit(ph, pw) => {
                    out.push(format!(
                        "layers.ZeroPadding2D({}, name=\"{}.pad\")",
                        pair([ph, pw]),
                        l.name()
                    ));
                    "valid"
                }
            };
            let dilation = if dilation == [1, 1] {
                String::new()
            } else {
                format!(", dilation_rate={}", pair(dilation))
            };
            out.push(format!(
                "layers.Conv2D({filters}, {}, strides={}, padding=\"{pad}\"{dilation}, {o})",
                pair(kernel),
                pair(stride)
            ));
            out
        }
        LayerSpec::MaxPool2d { window, stride } => vec![format!(
            "layers.MaxPooling2D({}, strides={}, {o})",
            pair(window),
            pair(stride)
        )],
        LayerSpec::AvgPool2d { window, stride } => vec![format!(
            "layers.AveragePooling2D({}, strides={}, {o})",
            pair(window),
            pair(stride)
        )],
        LayerSpec::Flatten => vec![format!("layers.Flatten({o})")],
        LayerSpec::Dropout { rate } => vec![format!("layers.Dropout({}, {o})", py(rate))],
        LayerSpec::BatchNorm { momentum, epsilon } => vec![format!(
            "layers.BatchNormalization(momentum={}, epsilon={}, {o})",
            py(momentum),
            py(epsilon)
        )],
        LayerSpec::Relu => vec![format!("layers.ReLU({o})")],
        LayerSpec::LeakyRelu { alpha } => {
            vec![format!(
                "layers.LeakyReLU(negative_slope={}, {o})",
                py(alpha)
            )]
        }
        LayerSpec::Sigmoid => vec![format!("layers.Activation(\"sigmoid\", {o})")],
        LayerSpec::Tanh => vec![format!("layers.Activation(\"tanh\", {o})")],
        LayerSpec::Softmax => vec![format!("layers.Softmax({o})")],
        LayerSpec::GaussianNoise { stddev } => {
            vec![format!("layers.GaussianNoise({}, {o})", py(stddev))]
        }
    }
}

fn build(plan: &Plan) -> String {
    let input: Vec<String> = plan
        .config()
        .model
        .input
        .iter()
        .map(|d| d.to_string())
        .collect();
    let mut s = format!(
        "def build_model():\n    \"\"\"{}: the trainer's layers, in order, under the same names (layers.0, …).\"\"\"\n    \
         return keras.Sequential(\n        [\n            keras.Input(shape=({},)),\n",
        plan.title(),
        input.join(", ")
    );
    for l in &plan.layers {
        for k in layer(l) {
            let _ = writeln!(s, "            {k},  # {} → {:?}", l.spec.name(), l.output);
        }
    }
    s.push_str("        ]\n    )\n");
    s
}

fn weights_io(plan: &Plan) -> String {
    let mut load = String::from(
        "def load_weights(model, path):\n    \"\"\"The trainer's safetensors file into the model: Keras has the trainer's layout, no\n    \
         conversion.\"\"\"\n    w = load_file(path)\n",
    );
    let mut save = String::from(
        "def save_weights(model, path, metadata):\n    \"\"\"The weights back into the trainer's file format (the page opens it).\"\"\"\n    w = {}\n",
    );
    for l in plan.layers.iter().filter(|l| l.has_weights()) {
        let names: &[&str] = match l.spec {
            LayerSpec::BatchNorm { .. } => &["gamma", "beta", "running_mean", "running_var"],
            _ => &["weight", "bias"],
        };
        let keys: Vec<String> = names
            .iter()
            .map(|n| format!("w[\"{}.{n}\"]", l.name()))
            .collect();
        let _ = writeln!(
            load,
            "    model.get_layer(\"{}\").set_weights([{}])",
            l.name(),
            keys.join(", ")
        );
        let _ = writeln!(
            save,
            "    {} = model.get_layer(\"{}\").get_weights()",
            keys.join(", "),
            l.name()
        );
    }
    save.push_str(
        "    save_file({k: np.asarray(v, np.float32) for k, v in w.items()}, path, metadata=metadata)\n",
    );
    format!("{load}\n\n{save}")
}

fn optimizer(plan: &Plan) -> String {
    let c = plan.config();
    let mut common = String::from("learning_rate=rate");
    if c.clip_norm.is_some() {
        common.push_str(", global_clipnorm=CLIP_NORM");
    }
    if c.accumulate > 1 {
        common.push_str(", gradient_accumulation_steps=ACCUMULATE");
    }
    match c.optimizer {
        OptimizerSpec::Sgd => format!("keras.optimizers.SGD({common})"),
        OptimizerSpec::Momentum { momentum } => {
            format!("keras.optimizers.SGD({common}, momentum={})", py(momentum))
        }
        OptimizerSpec::Nesterov { momentum } => format!(
            "keras.optimizers.SGD({common}, momentum={}, nesterov=True)",
            py(momentum)
        ),
        OptimizerSpec::Adagrad { epsilon } => format!(
            "keras.optimizers.Adagrad({common}, initial_accumulator_value=0.0, epsilon={})\n    \
             # Keras adds ε under the square root (the trainer: √h + ε).",
            py(epsilon)
        ),
        OptimizerSpec::Rmsprop { rho, epsilon } => format!(
            "keras.optimizers.RMSprop({common}, rho={}, epsilon={})\n    \
             # Keras adds ε under the square root (the trainer: √s + ε).",
            py(rho),
            py(epsilon)
        ),
        OptimizerSpec::Adadelta { rho, epsilon } => format!(
            "keras.optimizers.Adadelta({common}, rho={}, epsilon={})",
            py(rho),
            py(epsilon)
        ),
        OptimizerSpec::Adam {
            beta1,
            beta2,
            epsilon,
        } => format!(
            "keras.optimizers.Adam({common}, beta_1={}, beta_2={}, epsilon={})",
            py(beta1),
            py(beta2),
            py(epsilon)
        ),
        OptimizerSpec::AdamW {
            beta1,
            beta2,
            epsilon,
            weight_decay,
        } => format!(
            "keras.optimizers.AdamW({common}, weight_decay={}, beta_1={}, beta_2={}, epsilon={})\n    \
             # Weight decay on the dense and conv kernels only, as the trainer does.\n    \
             optimizer.exclude_from_weight_decay(var_names=[\"bias\", \"gamma\", \"beta\", \"moving_mean\", \"moving_variance\"])",
            py(weight_decay),
            py(beta1),
            py(beta2),
            py(epsilon)
        ),
    }
}

fn loss(plan: &Plan) -> &'static str {
    match plan.config().loss {
        Loss::SoftmaxCrossEntropy { .. } if plan.scores_before_softmax || !plan.ends_in_softmax => {
            "keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=LABEL_SMOOTHING)"
        }
        Loss::SoftmaxCrossEntropy { .. } => {
            "keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING)"
        }
        Loss::MeanSquaredError => "keras.losses.MeanSquaredError()",
        Loss::Hinge => "multiclass_hinge",
    }
}

const HINGE: &str = r#"def multiclass_hinge(targets, scores):
    """The trainer's hinge loss: Σ over wrong classes j of max(0, s_j − s_y + 1)."""
    correct = ops.sum(scores * targets, axis=1, keepdims=True)
    return ops.sum(ops.relu(scores - correct + 1) * (1 - targets), axis=1)


"#;

/// The whole script.
pub fn write(plan: &Plan) -> String {
    let c = plan.config();
    let mut helpers = String::new();
    if c.loss == Loss::Hinge {
        helpers.push_str(HINGE);
    }
    let augmenting = !c.augmentation.is_off();
    if augmenting {
        helpers.push_str(&super::augment::keras(&c.augmentation));
    }
    let scores = if plan.scores_before_softmax {
        let before = &plan.layers[plan.layers.len() - 2];
        format!(
            "    # The loss takes the scores before the final softmax (fused, stable), as the trainer's does.\n    \
             net = keras.Model(model.inputs, model.get_layer(\"{}\").output)\n",
            before.name()
        )
    } else {
        "    net = model\n".into()
    };
    let augment = if augmenting {
        "    net = keras.Sequential([keras.Input(shape=x.shape[1:]), *AUGMENTATION, net])\n"
    } else {
        ""
    };
    let probabilities = if plan.ends_in_softmax {
        "outputs"
    } else {
        "np.asarray(ops.softmax(outputs, axis=1))"
    };
    let rate = if c.lr.warmup == 0 && c.lr.schedule == crate::train::Schedule::Constant {
        "LEARNING_RATE  # constant"
    } else {
        "TrainerSchedule(per_epoch, total)"
    };
    let (title, recipe, data, schedule) = (
        plan.title(),
        common::recipe(plan),
        common::data(plan),
        common::schedule(plan),
    );
    let (model, weights, optimizer) = (build(plan), weights_io(plan), optimizer(plan));
    let network = format!("{scores}{augment}");
    super::fill(
        TEMPLATE,
        &[
            ("title", &title),
            ("recipe", &recipe),
            ("data", &data),
            ("schedule", &schedule),
            ("helpers", &helpers),
            ("model", &model),
            ("weights", &weights),
            ("optimizer", &optimizer),
            ("rate", rate),
            ("loss", loss(plan)),
            ("network", &network),
            ("probabilities", probabilities),
        ],
    )
}

const TEMPLATE: &str = include_str!("keras_template.py");
