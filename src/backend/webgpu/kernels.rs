//! Every compute kernel: its WGSL (one file under `shaders/` per op family, plus the shared
//! snippets it uses, concatenated), its entry point, and how to size its grid.
//! The pipeline cache in `context.rs` is keyed by [`Kernel`].

macro_rules! shader {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $path))
    };
}

const COMMON: &str = shader!("common.wgsl");
const GEMM_CORE: &str = shader!("gemm/gemm_core.wgsl");
const MATMUL: &str = shader!("gemm/matmul.wgsl");
const MATMUL_VEC4: &str = shader!("gemm/matmul_vec4.wgsl");
const CONV_GEOMETRY: &str = shader!("conv/conv_geometry.wgsl");
const IM2COL: &str = shader!("conv/im2col.wgsl");
const CONV2D_FORWARD: &str = shader!("conv/conv2d_forward.wgsl");
const CONV2D_BACKWARD_WEIGHT: &str = shader!("conv/conv2d_backward_weight.wgsl");
const CONV2D_BACKWARD_INPUT: &str = shader!("conv/conv2d_backward_input.wgsl");
const CONV2D_DIRECT: &str = shader!("conv/conv2d_direct.wgsl");
const CONV2D_REDUCE: &str = shader!("conv/conv2d_reduce.wgsl");
const CONV2D_VEC4: &str = shader!("conv/conv2d_vec4.wgsl");
const CONV2D_VEC4X4: &str = shader!("conv/conv2d_vec4x4.wgsl");
const CONV2D_C1: &str = shader!("conv/conv2d_c1.wgsl");
const CONV2D_BACKWARD_INPUT_VEC4: &str = shader!("conv/conv2d_backward_input_vec4.wgsl");
const MAX_POOL2D_BACKWARD_TILED: &str = shader!("pool/max_pool2d_backward_tiled.wgsl");
const POOL_GEOMETRY: &str = shader!("pool/pool_geometry.wgsl");
const FIRST_MAX: &str = shader!("pool/first_max.wgsl");
const MAX_POOL2D_FORWARD: &str = shader!("pool/max_pool2d_forward.wgsl");
const MAX_POOL2D_BACKWARD: &str = shader!("pool/max_pool2d_backward.wgsl");
const AVG_POOL2D_FORWARD: &str = shader!("pool/avg_pool2d_forward.wgsl");
const AVG_POOL2D_BACKWARD: &str = shader!("pool/avg_pool2d_backward.wgsl");
const ACTIVATION: &str = shader!("activation/activation.wgsl");
const SOFTMAX: &str = shader!("activation/softmax.wgsl");
const CHANNEL_MOMENTS: &str = shader!("batchnorm/channel_moments.wgsl");
const BATCH_NORM_APPLY: &str = shader!("batchnorm/batch_norm_apply.wgsl");
const BATCH_NORM_BACKWARD: &str = shader!("batchnorm/batch_norm_backward.wgsl");
const RANDOM: &str = shader!("random/random.wgsl");
const LOSS: &str = shader!("loss/loss.wgsl");
const COUNT_CORRECT: &str = shader!("loss/count_correct.wgsl");
const REDUCE: &str = shader!("reduce/reduce.wgsl");
const ELEMENTWISE: &str = shader!("elementwise/elementwise.wgsl");
const MUL: &str = shader!("elementwise/mul.wgsl");
const OPTIM: &str = shader!("optim/optim.wgsl");
const GATHER_BATCH: &str = shader!("data/gather_batch.wgsl");

/// One compute kernel (a pipeline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kernel {
    Matmul,
    MatmulDirect,
    MatmulVec4,
    Conv2dForwardDirect,
    Conv2dBackwardInputDirect,
    Conv2dBackwardWeightPartial,
    Conv2dBackwardWeightReduce,
    Conv2dForwardVec4,
    Conv2dBackwardWeightPartialVec4,
    Conv2dForwardVec4x4,
    Conv2dBackwardWeightPartialVec4x4,
    Conv2dForwardC1,
    Conv2dBackwardInputVec4,
    MaxPool2dBackwardTiled,
    Conv2dForward,
    Conv2dBackwardWeight,
    Conv2dBackwardInput,
    MaxPool2dForward,
    MaxPool2dBackward,
    AvgPool2dForward,
    AvgPool2dBackward,
    ActivationForward,
    ActivationBackward,
    SoftmaxForward,
    SoftmaxBackward,
    ChannelMoments,
    BatchNormApply,
    BatchNormBackward,
    Dropout,
    GaussianNoise,
    SoftmaxCrossEntropy,
    MeanSquaredError,
    Hinge,
    CountCorrect,
    Sum,
    ColumnSumsAcc,
    Axpy,
    AddSign,
    ScaleAdd,
    ScaleAddKeepZeros,
    AddRowVector,
    Scale,
    Fill,
    Mul,
    SgdStep,
    MomentumStep,
    NesterovStep,
    AdagradStep,
    RmspropStep,
    AdadeltaStep,
    AdamStep,
    GatherBatch,
}

impl Kernel {
    pub const ALL: [Kernel; 52] = [
        Kernel::Matmul,
        Kernel::MatmulDirect,
        Kernel::MatmulVec4,
        Kernel::Conv2dForwardDirect,
        Kernel::Conv2dBackwardInputDirect,
        Kernel::Conv2dBackwardWeightPartial,
        Kernel::Conv2dBackwardWeightReduce,
        Kernel::Conv2dForwardVec4,
        Kernel::Conv2dBackwardWeightPartialVec4,
        Kernel::Conv2dForwardVec4x4,
        Kernel::Conv2dBackwardWeightPartialVec4x4,
        Kernel::Conv2dForwardC1,
        Kernel::Conv2dBackwardInputVec4,
        Kernel::MaxPool2dBackwardTiled,
        Kernel::Conv2dForward,
        Kernel::Conv2dBackwardWeight,
        Kernel::Conv2dBackwardInput,
        Kernel::MaxPool2dForward,
        Kernel::MaxPool2dBackward,
        Kernel::AvgPool2dForward,
        Kernel::AvgPool2dBackward,
        Kernel::ActivationForward,
        Kernel::ActivationBackward,
        Kernel::SoftmaxForward,
        Kernel::SoftmaxBackward,
        Kernel::ChannelMoments,
        Kernel::BatchNormApply,
        Kernel::BatchNormBackward,
        Kernel::Dropout,
        Kernel::GaussianNoise,
        Kernel::SoftmaxCrossEntropy,
        Kernel::MeanSquaredError,
        Kernel::Hinge,
        Kernel::CountCorrect,
        Kernel::Sum,
        Kernel::ColumnSumsAcc,
        Kernel::Axpy,
        Kernel::AddSign,
        Kernel::ScaleAdd,
        Kernel::ScaleAddKeepZeros,
        Kernel::AddRowVector,
        Kernel::Scale,
        Kernel::Fill,
        Kernel::Mul,
        Kernel::SgdStep,
        Kernel::MomentumStep,
        Kernel::NesterovStep,
        Kernel::AdagradStep,
        Kernel::RmspropStep,
        Kernel::AdadeltaStep,
        Kernel::AdamStep,
        Kernel::GatherBatch,
    ];

    /// The WGSL pieces (the kernel's file first) and the entry point.
    fn parts(self) -> (&'static [&'static str], &'static str) {
        use Kernel::*;
        match self {
            Matmul => (&[MATMUL, GEMM_CORE, COMMON], "matmul"),
            MatmulDirect => (&[MATMUL, GEMM_CORE, COMMON], "matmul_direct"),
            MatmulVec4 => (&[MATMUL_VEC4, COMMON], "matmul_vec4"),
            Conv2dForwardDirect => (
                &[CONV2D_DIRECT, CONV_GEOMETRY, COMMON],
                "conv2d_forward_direct",
            ),
            Conv2dBackwardInputDirect => (
                &[CONV2D_DIRECT, CONV_GEOMETRY, COMMON],
                "conv2d_backward_input_direct",
            ),
            Conv2dBackwardWeightPartial => (
                &[CONV2D_DIRECT, CONV_GEOMETRY, COMMON],
                "conv2d_backward_weight_partial",
            ),
            Conv2dBackwardWeightReduce => {
                (&[CONV2D_REDUCE, COMMON], "conv2d_backward_weight_reduce")
            }
            Conv2dForwardVec4 => (&[CONV2D_VEC4, CONV_GEOMETRY, COMMON], "conv2d_forward_vec4"),
            Conv2dBackwardWeightPartialVec4 => (
                &[CONV2D_VEC4, CONV_GEOMETRY, COMMON],
                "conv2d_backward_weight_partial_vec4",
            ),
            Conv2dForwardVec4x4 => (
                &[CONV2D_VEC4X4, CONV_GEOMETRY, COMMON],
                "conv2d_forward_vec4x4",
            ),
            Conv2dBackwardWeightPartialVec4x4 => (
                &[CONV2D_VEC4X4, CONV_GEOMETRY, COMMON],
                "conv2d_backward_weight_partial_vec4x4",
            ),
            Conv2dForwardC1 => (&[CONV2D_C1, CONV_GEOMETRY, COMMON], "conv2d_forward_c1"),
            Conv2dBackwardInputVec4 => (
                &[CONV2D_BACKWARD_INPUT_VEC4, CONV_GEOMETRY, COMMON],
                "conv2d_backward_input_vec4",
            ),
            MaxPool2dBackwardTiled => (
                &[MAX_POOL2D_BACKWARD_TILED, POOL_GEOMETRY, FIRST_MAX, COMMON],
                "max_pool2d_backward_tiled",
            ),
            Conv2dForward => (
                &[CONV2D_FORWARD, CONV_GEOMETRY, IM2COL, GEMM_CORE],
                "conv2d_forward",
            ),
            Conv2dBackwardWeight => (
                &[CONV2D_BACKWARD_WEIGHT, CONV_GEOMETRY, IM2COL, GEMM_CORE],
                "conv2d_backward_weight",
            ),
            Conv2dBackwardInput => (
                &[CONV2D_BACKWARD_INPUT, CONV_GEOMETRY, GEMM_CORE],
                "conv2d_backward_input",
            ),
            MaxPool2dForward => (
                &[MAX_POOL2D_FORWARD, POOL_GEOMETRY, FIRST_MAX, COMMON],
                "max_pool2d_forward",
            ),
            MaxPool2dBackward => (
                &[MAX_POOL2D_BACKWARD, POOL_GEOMETRY, FIRST_MAX, COMMON],
                "max_pool2d_backward",
            ),
            AvgPool2dForward => (
                &[AVG_POOL2D_FORWARD, POOL_GEOMETRY, COMMON],
                "avg_pool2d_forward",
            ),
            AvgPool2dBackward => (
                &[AVG_POOL2D_BACKWARD, POOL_GEOMETRY, COMMON],
                "avg_pool2d_backward",
            ),
            ActivationForward => (&[ACTIVATION, COMMON], "activation_forward"),
            ActivationBackward => (&[ACTIVATION, COMMON], "activation_backward"),
            SoftmaxForward => (&[SOFTMAX, COMMON], "softmax_forward"),
            SoftmaxBackward => (&[SOFTMAX, COMMON], "softmax_backward"),
            ChannelMoments => (&[CHANNEL_MOMENTS], "channel_moments"),
            BatchNormApply => (&[BATCH_NORM_APPLY, COMMON], "batch_norm_apply"),
            BatchNormBackward => (&[BATCH_NORM_BACKWARD], "batch_norm_backward"),
            Dropout => (&[RANDOM, COMMON], "dropout"),
            GaussianNoise => (&[RANDOM, COMMON], "gaussian_noise"),
            SoftmaxCrossEntropy => (&[LOSS], "softmax_cross_entropy"),
            MeanSquaredError => (&[LOSS], "mean_squared_error"),
            Hinge => (&[LOSS], "hinge"),
            CountCorrect => (&[COUNT_CORRECT], "count_correct"),
            Sum => (&[REDUCE], "sum"),
            ColumnSumsAcc => (&[REDUCE], "column_sums_acc"),
            Axpy => (&[ELEMENTWISE, COMMON], "axpy"),
            AddSign => (&[ELEMENTWISE, COMMON], "add_sign"),
            ScaleAdd => (&[ELEMENTWISE, COMMON], "scale_add"),
            ScaleAddKeepZeros => (&[ELEMENTWISE, COMMON], "scale_add_keep_zeros"),
            AddRowVector => (&[ELEMENTWISE, COMMON], "add_row_vector"),
            Scale => (&[ELEMENTWISE, COMMON], "scale"),
            Fill => (&[ELEMENTWISE, COMMON], "fill"),
            Mul => (&[MUL, COMMON], "mul"),
            SgdStep => (&[OPTIM, COMMON], "sgd_step"),
            MomentumStep => (&[OPTIM, COMMON], "momentum_step"),
            NesterovStep => (&[OPTIM, COMMON], "nesterov_step"),
            AdagradStep => (&[OPTIM, COMMON], "adagrad_step"),
            RmspropStep => (&[OPTIM, COMMON], "rmsprop_step"),
            AdadeltaStep => (&[OPTIM, COMMON], "adadelta_step"),
            AdamStep => (&[OPTIM, COMMON], "adam_step"),
            GatherBatch => (&[GATHER_BATCH, COMMON], "gather_batch"),
        }
    }

    /// The entry point, also the kernel's name in labels and reports.
    pub fn name(self) -> &'static str {
        self.parts().1
    }

    pub fn entry(self) -> &'static str {
        self.parts().1
    }

    /// The complete WGSL module.
    pub fn source(self) -> String {
        self.parts().0.join("\n")
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
