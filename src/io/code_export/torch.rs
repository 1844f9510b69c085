//! `torch_model.py`: the model as a PyTorch `nn.Module`, its weights converted from our
//! layout (NHWC, `[F_h, F_w, C_in, C_out]`, dense `[in, out]`) to PyTorch's (NCHW,
//! `[C_out, C_in, F_h, F_w]`, `[out, in]`, and the flatten order (c, h, w)) and back, and a
//! training loop that runs alone or under `torchrun` (DistributedDataParallel).

use std::fmt::Write;

use super::{common, py, Layer, Plan};
use crate::backend::geometry::Padding;
use crate::nn::{LayerSpec, Loss};
use crate::optim::OptimizerSpec;

fn pair(v: [usize; 2]) -> String {
    format!("({}, {})", v[0], v[1])
}

/// The module of one layer, as a constructor call.
fn module(l: &Layer) -> String {
    match *l.spec {
        LayerSpec::Dense { units, .. } => format!("nn.Linear({}, {units})", l.input[0]),
        LayerSpec::Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            ..
        } => {
            let g = l.window.expect("a convolution has a window");
            let mut args = format!(
                "{}, {filters}, kernel_size={}, stride={}",
                l.input[2],
                pair(kernel),
                pair(stride)
            );
            if dilation != [1, 1] {
                let _ = write!(args, ", dilation={}", pair(dilation));
            }
            let symmetric = g.pad_h == 2 * g.pad_top && g.pad_w == 2 * g.pad_left;
            match padding {
                Padding::Valid => format!("nn.Conv2d({args})"),
                Padding::Same if stride == [1, 1] => format!("nn.Conv2d({args}, padding=\"same\")"),
                _ if symmetric => format!(
                    "nn.Conv2d({args}, padding={})",
                    pair([g.pad_top, g.pad_left])
                ),
                _ => format!(
                    "Conv2dPadded({args}, pads=({}, {}, {}, {}))",
                    g.pad_left,
                    g.pad_w - g.pad_left,
                    g.pad_top,
                    g.pad_h - g.pad_top
                ),
            }
        }
        LayerSpec::MaxPool2d { window, stride } => format!(
            "nn.MaxPool2d(kernel_size={}, stride={})",
            pair(window),
            pair(stride)
        ),
        LayerSpec::AvgPool2d { window, stride } => format!(
            "nn.AvgPool2d(kernel_size={}, stride={})",
            pair(window),
            pair(stride)
        ),
        LayerSpec::Flatten => "nn.Flatten()".into(),
        LayerSpec::Dropout { rate } => format!("nn.Dropout({})", py(rate)),
        LayerSpec::BatchNorm { momentum, epsilon } => format!(
            "nn.BatchNorm{}d({}, eps={}, momentum={})",
            if l.input.len() == 3 { 2 } else { 1 },
            l.input.last().copied().unwrap_or(1),
            py(epsilon),
            py(1.0 - momentum)
        ),
        LayerSpec::Relu => "nn.ReLU()".into(),
        LayerSpec::LeakyRelu { alpha } => format!("nn.LeakyReLU({})", py(alpha)),
        LayerSpec::Sigmoid => "nn.Sigmoid()".into(),
        LayerSpec::Tanh => "nn.Tanh()".into(),
        LayerSpec::Softmax => "nn.Softmax(dim=1)".into(),
        LayerSpec::GaussianNoise { stddev } => format!("GaussianNoise({})", py(stddev)),
    }
}

/// Per tensor of the model file: (its name, PyTorch's attribute, ours → PyTorch, back).
fn tensors(l: &Layer) -> Vec<(String, String, String, String)> {
    let i = l.index;
    let name = |n: &str| format!("layers.{i}.{n}");
    let at = |a: &str| format!("model.layers[{i}].{a}");
    let plain = |n: &str, a: &str| (name(n), at(a), String::new(), String::new());
    match l.spec {
        LayerSpec::Conv2d { .. } => vec![
            (
                name("weight"),
                at("weight"),
                ".permute(3, 2, 0, 1)|  # [F_h, F_w, C_in, C_out] → [C_out, C_in, F_h, F_w]".into(),
                ".permute(2, 3, 1, 0)".into(),
            ),
            plain("bias", "bias"),
        ],
        LayerSpec::Dense { units, .. } => {
            let weight = match l.flattened {
                Some([h, w, c]) if c > 1 => (
                    format!(
                        ".reshape({h}, {w}, {c}, {units}).permute(3, 2, 0, 1).reshape({units}, {})|  \
                         # rows (h, w, c) → columns (c, h, w): NCHW maps flatten channel first",
                        h * w * c
                    ),
                    format!(
                        ".reshape({units}, {c}, {h}, {w}).permute(2, 3, 1, 0).reshape({}, {units})",
                        h * w * c
                    ),
                ),
                _ => (".T|  # [in, out] → [out, in]".into(), ".T".into()),
            };
            vec![
                (name("weight"), at("weight"), weight.0, weight.1),
                plain("bias", "bias"),
            ]
        }
        LayerSpec::BatchNorm { .. } => vec![
            plain("gamma", "weight"),
            plain("beta", "bias"),
            plain("running_mean", "running_mean"),
            plain("running_var", "running_var"),
        ],
        _ => Vec::new(),
    }
}

fn optimizer(plan: &Plan) -> String {
    let decayed: Vec<String> = plan
        .layers
        .iter()
        .filter(|l| {
            !l.frozen && matches!(l.spec, LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. })
        })
        .map(|l| format!("model.layers[{}].weight", l.index))
        .collect();
    match plan.config().optimizer {
        OptimizerSpec::Sgd => "torch.optim.SGD(params, lr=LEARNING_RATE)".into(),
        OptimizerSpec::Momentum { momentum } => format!(
            "torch.optim.SGD(params, lr=LEARNING_RATE, momentum={})\n    \
             # PyTorch's buffer sums gradients (v = μv + g, p −= lr·v): at a constant rate the\n    \
             # trainer's v = μv − lr·g, p += v.",
            py(momentum)
        ),
        OptimizerSpec::Nesterov { momentum } => format!(
            "torch.optim.SGD(params, lr=LEARNING_RATE, momentum={}, nesterov=True)",
            py(momentum)
        ),
        OptimizerSpec::Adagrad { epsilon } => format!(
            "torch.optim.Adagrad(params, lr=LEARNING_RATE, eps={})",
            py(epsilon)
        ),
        OptimizerSpec::Rmsprop { rho, epsilon } => format!(
            "torch.optim.RMSprop(params, lr=LEARNING_RATE, alpha={}, eps={})",
            py(rho),
            py(epsilon)
        ),
        OptimizerSpec::Adadelta { rho, epsilon } => format!(
            "torch.optim.Adadelta(params, lr=LEARNING_RATE, rho={}, eps={})",
            py(rho),
            py(epsilon)
        ),
        OptimizerSpec::Adam {
            beta1,
            beta2,
            epsilon,
        } => format!(
            "torch.optim.Adam(params, lr=LEARNING_RATE, betas=({}, {}), eps={})",
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
            "torch.optim.AdamW(\n        \
             # Weight decay on the dense and conv weights only, as the trainer does.\n        \
             [{{\"params\": decayed, \"weight_decay\": {}}},\n         \
             {{\"params\": [p for p in params if all(p is not d for d in decayed)], \"weight_decay\": 0.0}}],\n        \
             lr=LEARNING_RATE, betas=({}, {}), eps={},\n    )",
            py(weight_decay),
            py(beta1),
            py(beta2),
            py(epsilon)
        )
        .replace("decayed", &format!("[{}]", decayed.join(", "))),
    }
}

fn data_loss(plan: &Plan) -> &'static str {
    match plan.config().loss {
        Loss::SoftmaxCrossEntropy { .. } => {
            "F.cross_entropy(outputs, labels, label_smoothing=LABEL_SMOOTHING)"
        }
        Loss::MeanSquaredError => {
            "F.mse_loss(outputs, F.one_hot(labels, len(CLASSES)).to(outputs.dtype))"
        }
        Loss::Hinge => "multiclass_hinge(outputs, labels)",
    }
}

/// The model class: layers, forward (scores before a final softmax the loss applies
/// itself), probabilities, and the penalties.
fn model_class(plan: &Plan) -> String {
    let mut s = String::from("class Model(nn.Module):\n");
    let _ = writeln!(
        s,
        "    \"\"\"{}: the trainer's layers, in order, under the same names (layers.0, …).\"\"\"\n",
        plan.title()
    );
    s.push_str("    def __init__(self):\n        super().__init__()\n");
    s.push_str("        self.layers = nn.Sequential(\n");
    for l in &plan.layers {
        let _ = writeln!(
            s,
            "            {},  # layers.{}: {} → {:?}",
            module(l),
            l.index,
            l.spec.name(),
            l.output
        );
    }
    s.push_str("        )\n");
    for l in plan.layers.iter().filter(|l| l.frozen) {
        let _ = writeln!(
            s,
            "        self.layers[{}].requires_grad_(False)  # frozen in the trainer",
            l.index
        );
    }
    let run = if plan.scores_before_softmax {
        "self.layers[:-1]"
    } else {
        "self.layers"
    };
    let doc = if plan.scores_before_softmax {
        "The scores before the final softmax: the loss applies its own (fused, stable)."
    } else {
        "The model's outputs."
    };
    if plan.any_activity_penalty() {
        let _ = write!(
            s,
            "\n    def forward(self, x):\n        \"\"\"{doc} Keeps the activity penalty of this batch in\n        \
             self.activity: (a1·Σ|y| + a2·Σy²) / N on the outputs y of the layers that have one.\"\"\"\n        \
             self.activity = 0.0\n        for index, layer in enumerate({run}):\n            x = layer(x)\n"
        );
        for l in &plan.layers {
            let p = l.penalties;
            if p.activity_l1 != 0.0 || p.activity_l2 != 0.0 {
                let _ = writeln!(
                    s,
                    "            if index == {}:\n                self.activity = self.activity + ({} * x.abs().sum() + {} * x.square().sum()) / len(x)",
                    l.index,
                    py(p.activity_l1),
                    py(p.activity_l2)
                );
            }
        }
        s.push_str("        return x\n");
    } else {
        let _ = write!(
            s,
            "\n    def forward(self, x):\n        \"\"\"{doc}\"\"\"\n        return {run}(x)\n"
        );
    }
    let probabilities = if plan.scores_before_softmax {
        "self.layers[-1](self(x))"
    } else if plan.ends_in_softmax {
        "self(x)"
    } else {
        "torch.softmax(self(x), dim=1)"
    };
    let _ = write!(
        s,
        "\n    def probabilities(self, x):\n        \"\"\"Class probabilities, as the trainer shows them.\"\"\"\n        return {probabilities}\n"
    );
    let mut terms = Vec::new();
    for l in &plan.layers {
        let p = l.penalties;
        if p.l2 != 0.0 {
            terms.push(format!(
                "{} * self.layers[{}].weight.square().sum()",
                py(p.l2),
                l.index
            ));
        }
        if p.l1 != 0.0 {
            terms.push(format!(
                "{} * self.layers[{}].weight.abs().sum()",
                py(p.l1),
                l.index
            ));
        }
    }
    if !terms.is_empty() {
        let _ = write!(
            s,
            "\n    def penalty(self):\n        \"\"\"L1 and L2 on the weights (never biases), added to the loss. The trainer applies L1\n        \
             as a proximal step inside the optimizer, which puts weights exactly on zero; the\n        \
             usual term here only pushes them towards it.\"\"\"\n        return {}\n",
            terms.join(" + ")
        );
    }
    s
}

fn weights_io(plan: &Plan) -> String {
    let mut load = String::from(
        "@torch.no_grad()\ndef load_weights(model, path):\n    \
         \"\"\"The trainer's safetensors file into the model, converted to PyTorch's layout.\"\"\"\n    \
         w = {name: torch.from_numpy(array) for name, array in load_file(path).items()}\n",
    );
    let mut save = String::from(
        "@torch.no_grad()\ndef save_weights(model, path, metadata):\n    \
         \"\"\"The weights back in the trainer's layout and file format (the page opens it).\"\"\"\n    \
         w = {}\n",
    );
    for l in &plan.layers {
        for (name, attr, to, back) in tensors(l) {
            // `to` is the conversion, then after a `|` the comment that goes after the call.
            let (to, comment) = to.split_once('|').unwrap_or((&to, ""));
            let _ = writeln!(load, "    {attr}.copy_(w[\"{name}\"]{to}){comment}");
            let _ = writeln!(save, "    w[\"{name}\"] = {attr}{back}");
        }
    }
    save.push_str(
        "    arrays = {k: v.detach().cpu().contiguous().numpy() for k, v in w.items()}\n    \
         save_file(arrays, path, metadata=metadata)\n",
    );
    format!("{load}\n\n{save}")
}

const HELPERS_NOISE: &str = r#"class GaussianNoise(nn.Module):
    """Adds N(0, stddev²) noise while training (PyTorch has no such layer)."""

    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training else x


"#;

const HELPERS_PAD: &str = r#"class Conv2dPadded(nn.Conv2d):
    """A convolution after (left, right, top, bottom) zeros: TensorFlow's "same" padding
    with the odd extra row or column at the bottom or right, as the trainer pads."""

    def __init__(self, *args, pads, **kwargs):
        super().__init__(*args, **kwargs)
        self.pads = pads

    def forward(self, x):
        return super().forward(F.pad(x, self.pads))


"#;

const HELPERS_HINGE: &str = r#"def multiclass_hinge(scores, labels):
    """The trainer's hinge loss: Σ over wrong classes j of max(0, s_j − s_y + 1), batch mean."""
    margins = (scores - scores.gather(1, labels[:, None]) + 1).clamp(min=0)
    return margins.scatter(1, labels[:, None], 0.0).sum(1).mean()


"#;

/// The whole script.
pub fn write(plan: &Plan) -> String {
    let c = plan.config();
    let mut helpers = String::new();
    let uses = |f: &dyn Fn(&LayerSpec) -> bool| plan.layers.iter().any(|l| f(l.spec));
    if uses(&|s| matches!(s, LayerSpec::GaussianNoise { .. })) {
        helpers.push_str(HELPERS_NOISE);
    }
    if plan
        .layers
        .iter()
        .any(|l| module(l).starts_with("Conv2dPadded"))
    {
        helpers.push_str(HELPERS_PAD);
    }
    if c.loss == Loss::Hinge {
        helpers.push_str(HELPERS_HINGE);
    }
    let augmenting = !c.augmentation.is_off();
    if augmenting {
        helpers.push_str(&super::augment::torch(&c.augmentation));
    }
    let penalty = if plan.any_weight_penalty() {
        " + model.penalty()"
    } else {
        ""
    };
    let activity = if plan.any_activity_penalty() {
        " + model.activity"
    } else {
        ""
    };
    let inputs = if augmenting {
        "torch.from_numpy(normalise(augment(images.float() / 255).squeeze(1).numpy())).unsqueeze(1)"
    } else {
        "images"
    };
    let train_set = if augmenting {
        "torch.from_numpy(images[chosen]).unsqueeze(1)  # uint8: each batch is augmented, then normalised"
    } else {
        "torch.from_numpy(normalise(images[chosen].astype(np.float32) / 255)).unsqueeze(1)"
    };
    let (title, recipe, data, schedule) = (
        plan.title(),
        common::recipe(plan),
        common::data(plan),
        common::schedule(plan),
    );
    let (model, weights, optimizer) = (model_class(plan), weights_io(plan), optimizer(plan));
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
            ("loss", data_loss(plan)),
            ("penalty", penalty),
            ("activity", activity),
            ("inputs", inputs),
            ("train_set", train_set),
        ],
    )
}

const TEMPLATE: &str = include_str!("torch_template.py");
