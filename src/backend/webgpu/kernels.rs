//! Every compute kernel, listed once in [`kernels!`]: each WGSL file under `shaders/`, the
//! shared snippets appended to it, and the entry points (kernels) it holds. The `Kernel`
//! enum, [`Kernel::ALL`], each kernel's WGSL source and entry point are generated from that
//! one list; the pipeline cache in `context.rs` is keyed by [`Kernel`]. Launchers live in
//! `ops/<family>.rs`, one module per folder of `shaders/`.
//!
//! **Binding order**, the same in every shader: binding 0 is the params uniform (a
//! `#[repr(C)]` struct in the launcher's module with the WGSL struct's field order), then the
//! buffers the kernel writes (in-place ones included), then those it only reads; launchers
//! pass the two lists separately to `GpuContext::dispatch`. Each entry point's bindings run
//! 0..n without gaps (pipelines use the layout the shader implies), so where one file holds
//! several entry points, a buffer only some of them read is declared last. `tests/shaders.rs`
//! checks both rules for every kernel.

macro_rules! shader {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path))
    };
}

use super::ops::activation::ACTIVATION_IDS;
use super::ops::reduce::SUM_KINDS;

// Snippets appended to kernels' own files.
const COMMON: &str = shader!("common.wgsl");
const GEMM_CORE: &str = shader!("gemm/gemm_core.wgsl");
const CONV_GEOMETRY: &str = shader!("conv/conv_geometry.wgsl");
const IM2COL: &str = shader!("conv/im2col.wgsl");
const POOL_GEOMETRY: &str = shader!("pool/pool_geometry.wgsl");
const FIRST_MAX: &str = shader!("pool/first_max.wgsl");
const OPTIM_COMMON: &str = shader!("optim/optim_common.wgsl");

/// Numbered constants shared by Rust and WGSL, written once: `wgsl_ids!(pub NAME { A = 0, … })`
/// defines `pub const A: u32 = 0;` … and `NAME`, the same constants as WGSL text, which the
/// kernel list appends to the shaders that switch on them like any snippet.
macro_rules! wgsl_ids {
    ($vis:vis $wgsl:ident { $($id:ident = $n:literal),* $(,)? }) => {
        $($vis const $id: u32 = $n;)*
        $vis const $wgsl: &str = concat!($("const ", stringify!($id), ": u32 = ", $n, "u;\n"),*);
    };
}
pub(crate) use wgsl_ids;

/// The kernel list. Each row: a WGSL file under `shaders/` (the kernel's own code first),
/// `+` the snippets it needs, then `{ Variant: entry_point, … }` for the entry points it holds.
/// Adding a kernel is one entry here (and a row if its file is new).
macro_rules! kernels {
    ($(
        $file:literal $(+ $snippet:ident)* => { $($kernel:ident: $entry:ident),+ $(,)? }
    )*) => {
        /// One compute kernel (a pipeline): one WGSL entry point.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kernel {
            $($($kernel,)+)*
        }

        impl Kernel {
            /// Every kernel, in the order of the list.
            pub const ALL: [Kernel; [$($(stringify!($kernel),)+)*].len()] =
                [$($(Kernel::$kernel,)+)*];

            /// The entry point, also the kernel's name in labels and reports.
            pub fn entry(self) -> &'static str {
                match self {
                    $($(Kernel::$kernel => stringify!($entry),)+)*
                }
            }

            /// The WGSL pieces: the kernel's own file, then its snippets.
            fn parts(self) -> &'static [&'static str] {
                match self {
                    $($(Kernel::$kernel)|+ => &[shader!($file) $(, $snippet)*],)*
                }
            }
        }
    };
}

kernels! {
    // gemm
    "gemm/matmul.wgsl" + GEMM_CORE + COMMON => { Matmul: matmul, MatmulDirect: matmul_direct }
    "gemm/matmul_vec4.wgsl" + COMMON => { MatmulVec4: matmul_vec4 }
    // conv
    "conv/conv2d_forward.wgsl" + CONV_GEOMETRY + IM2COL + GEMM_CORE => {
        Conv2dForward: conv2d_forward,
    }
    "conv/conv2d_direct.wgsl" + CONV_GEOMETRY + COMMON => {
        Conv2dForwardDirect: conv2d_forward_direct,
        Conv2dBackwardInputDirect: conv2d_backward_input_direct,
        Conv2dBackwardWeightPartial: conv2d_backward_weight_partial,
    }
    "conv/conv2d_vec4.wgsl" + CONV_GEOMETRY + COMMON => {
        Conv2dForwardVec4: conv2d_forward_vec4,
        Conv2dBackwardWeightPartialVec4: conv2d_backward_weight_partial_vec4,
    }
    "conv/conv2d_vec4x4.wgsl" + CONV_GEOMETRY + COMMON => {
        Conv2dForwardVec4x4: conv2d_forward_vec4x4,
        Conv2dBackwardWeightPartialVec4x4: conv2d_backward_weight_partial_vec4x4,
    }
    "conv/conv2d_c1.wgsl" + CONV_GEOMETRY + COMMON => { Conv2dForwardC1: conv2d_forward_c1 }
    "conv/conv2d_reduce.wgsl" + COMMON => {
        Conv2dBackwardWeightReduce: conv2d_backward_weight_reduce,
    }
    "conv/conv2d_backward_input.wgsl" + CONV_GEOMETRY + GEMM_CORE => {
        Conv2dBackwardInput: conv2d_backward_input,
    }
    "conv/conv2d_backward_input_vec4.wgsl" + CONV_GEOMETRY + COMMON => {
        Conv2dBackwardInputVec4: conv2d_backward_input_vec4,
    }
    // pool
    "pool/max_pool2d_forward.wgsl" + POOL_GEOMETRY + FIRST_MAX + COMMON => {
        MaxPool2dForward: max_pool2d_forward,
    }
    "pool/max_pool2d_backward.wgsl" + POOL_GEOMETRY + FIRST_MAX + COMMON => {
        MaxPool2dBackward: max_pool2d_backward,
    }
    "pool/max_pool2d_backward_tiled.wgsl" + POOL_GEOMETRY + FIRST_MAX + COMMON => {
        MaxPool2dBackwardTiled: max_pool2d_backward_tiled,
    }
    "pool/avg_pool2d_forward.wgsl" + POOL_GEOMETRY + COMMON => {
        AvgPool2dForward: avg_pool2d_forward,
    }
    "pool/avg_pool2d_backward.wgsl" + POOL_GEOMETRY + COMMON => {
        AvgPool2dBackward: avg_pool2d_backward,
    }
    // activation
    "activation/activation.wgsl" + ACTIVATION_IDS + COMMON => {
        ActivationForward: activation_forward,
        ActivationBackward: activation_backward,
    }
    "activation/softmax.wgsl" + COMMON => {
        SoftmaxForward: softmax_forward,
        SoftmaxBackward: softmax_backward,
    }
    // batchnorm
    "batchnorm/channel_moments.wgsl" => { ChannelMoments: channel_moments }
    "batchnorm/batch_norm_apply.wgsl" + COMMON => { BatchNormApply: batch_norm_apply }
    "batchnorm/batch_norm_backward.wgsl" => { BatchNormBackward: batch_norm_backward }
    // random
    "random/random.wgsl" + COMMON => { Dropout: dropout, GaussianNoise: gaussian_noise }
    // loss
    "loss/loss.wgsl" => {
        SoftmaxCrossEntropy: softmax_cross_entropy,
        MeanSquaredError: mean_squared_error,
        Hinge: hinge,
    }
    "loss/count_correct.wgsl" => { CountCorrect: count_correct }
    // reduce
    "reduce/reduce.wgsl" + SUM_KINDS => { Sum: sum, ColumnSumsAcc: column_sums_acc }
    // elementwise
    "elementwise/elementwise.wgsl" + COMMON => {
        Axpy: axpy,
        AddSign: add_sign,
        ScaleAdd: scale_add,
        ScaleAddKeepZeros: scale_add_keep_zeros,
        Scale: scale,
    }
    "elementwise/mul.wgsl" + COMMON => { Mul: mul }
    // optim
    "optim/sgd.wgsl" + OPTIM_COMMON + COMMON => { SgdStep: sgd_step }
    "optim/momentum.wgsl" + OPTIM_COMMON + COMMON => { MomentumStep: momentum_step }
    "optim/nesterov.wgsl" + OPTIM_COMMON + COMMON => { NesterovStep: nesterov_step }
    "optim/adagrad.wgsl" + OPTIM_COMMON + COMMON => { AdagradStep: adagrad_step }
    "optim/rmsprop.wgsl" + OPTIM_COMMON + COMMON => { RmspropStep: rmsprop_step }
    "optim/adadelta.wgsl" + OPTIM_COMMON + COMMON => { AdadeltaStep: adadelta_step }
    "optim/adam.wgsl" + OPTIM_COMMON + COMMON => { AdamStep: adam_step }
    // data
    "data/gather_batch.wgsl" + COMMON => { GatherBatch: gather_batch }
}

impl Kernel {
    /// The kernel's name in labels and reports: its entry point.
    pub fn name(self) -> &'static str {
        self.entry()
    }

    /// The complete WGSL module.
    pub fn source(self) -> String {
        self.parts().join("\n")
    }
}

/// Workgroups for one thread per element with 256-thread workgroups: more than 65 535
/// workgroups fold into a second dimension (`thread_index` in common.wgsl unfolds them).
pub fn grid(count: usize) -> (u32, u32, u32) {
    let groups = count.div_ceil(256).max(1);
    fold(groups)
}

/// `groups` workgroups, folded into two dimensions when more than 65 535.
pub fn fold(groups: usize) -> (u32, u32, u32) {
    const MAX: usize = 65_535;
    if groups <= MAX {
        (groups as u32, 1, 1)
    } else {
        (MAX as u32, groups.div_ceil(MAX) as u32, 1)
    }
}

/// Workgroups of the tiled GEMM (64×64 tiles of an m×n result).
pub fn gemm_grid(m: usize, n: usize) -> (u32, u32, u32) {
    (n.div_ceil(64) as u32, m.div_ceil(64) as u32, 1)
}
