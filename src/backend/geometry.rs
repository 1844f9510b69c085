//! The geometry of a sliding window over NHWC images, shared by convolution and pooling,
//! by the shape inference that explains it, and by every backend's kernels.

use serde::{Deserialize, Serialize};

/// How a convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// No padding: the window stays inside the image.
    Valid,
    /// Enough zeros that the output is `ceil(input / stride)`; any odd extra goes
    /// bottom/right (TensorFlow's rule).
    Same,
    /// This many zeros on each side: (rows top and bottom, columns left and right).
    Explicit(usize, usize),
}

/// A window of `k_h × k_w` taps, `dil` apart, moved by `stride` over a padded input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window2d {
    pub batch: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub channels: usize,
    pub k_h: usize,
    pub k_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub dil_h: usize,
    pub dil_w: usize,
    /// Zeros above and left of the input; those below and right only change `out_h`/`out_w`.
    pub pad_top: usize,
    pub pad_left: usize,
    /// Total padding per axis (before + after), for the formula shown to the learner.
    pub pad_h: usize,
    pub pad_w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// One axis of the window: returns (output size, padding before, total padding), or the
/// numbers of the formula when the output would be empty. Computed in `u64` with checked
/// arithmetic: kernel, stride, dilation and padding come from links and files.
fn axis(
    input: usize,
    k: usize,
    stride: usize,
    dil: usize,
    padding: Padding,
    explicit: usize,
) -> Result<(usize, usize, usize), String> {
    let too_large = || {
        format!("the window or padding is too large ({k} taps, dilation {dil}, padding {explicit})")
    };
    let (input64, stride64) = (input as u64, stride as u64);
    let span = (dil as u64)
        .checked_mul(k as u64 - 1)
        .and_then(|s| s.checked_add(1))
        .ok_or_else(too_large)?;
    let (before, total) = match padding {
        Padding::Valid => (0, 0),
        Padding::Explicit(..) => (
            explicit as u64,
            (explicit as u64).checked_mul(2).ok_or_else(too_large)?,
        ),
        Padding::Same => {
            let out = input64.div_ceil(stride64);
            let total = ((out - 1) * stride64)
                .checked_add(span)
                .ok_or_else(too_large)?
                .saturating_sub(input64);
            (total / 2, total)
        }
    };
    let padded = input64.checked_add(total).ok_or_else(too_large)?;
    if padded < span {
        return Err(format!(
            "({input} − {span} + {total}) / {stride} + 1 ≤ 0: the input is smaller than the {}window",
            if dil > 1 { "dilated " } else { "" }
        ));
    }
    let fit = |v: u64| usize::try_from(v).map_err(|_| too_large());
    Ok((
        fit((padded - span) / stride64 + 1)?,
        fit(before)?,
        fit(total)?,
    ))
}

impl Window2d {
    /// The window over `[batch, in_h, in_w, channels]`; errors carry the failing formula.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        input: [usize; 4],
        kernel: (usize, usize),
        stride: (usize, usize),
        dilation: (usize, usize),
        padding: Padding,
    ) -> Result<Window2d, String> {
        let [batch, in_h, in_w, channels] = input;
        if kernel.0 == 0 || kernel.1 == 0 || stride.0 == 0 || stride.1 == 0 {
            return Err("kernel and stride must be at least 1".into());
        }
        if dilation.0 == 0 || dilation.1 == 0 {
            return Err("dilation must be at least 1".into());
        }
        let (ph, pw) = match padding {
            Padding::Explicit(ph, pw) => (ph, pw),
            _ => (0, 0),
        };
        let (out_h, pad_top, pad_h) = axis(in_h, kernel.0, stride.0, dilation.0, padding, ph)
            .map_err(|e| format!("output height {e}"))?;
        let (out_w, pad_left, pad_w) = axis(in_w, kernel.1, stride.1, dilation.1, padding, pw)
            .map_err(|e| format!("output width {e}"))?;
        Ok(Window2d {
            batch,
            in_h,
            in_w,
            channels,
            k_h: kernel.0,
            k_w: kernel.1,
            stride_h: stride.0,
            stride_w: stride.1,
            dil_h: dilation.0,
            dil_w: dilation.1,
            pad_top,
            pad_left,
            pad_h,
            pad_w,
            out_h,
            out_w,
        })
    }

    /// Rows the dilated window covers: `dil·(k − 1) + 1` (fits: [`Window2d::new`] checked it).
    pub fn span_h(&self) -> usize {
        self.dil_h * (self.k_h - 1) + 1
    }

    /// Output positions per image.
    pub fn out_positions(&self) -> usize {
        self.out_h * self.out_w
    }

    /// Height and width of the input with its padding on all sides.
    pub fn padded_size(&self) -> (usize, usize) {
        (self.in_h + self.pad_h, self.in_w + self.pad_w)
    }

    /// True when some tap reads padding.
    pub fn has_padding(&self) -> bool {
        self.pad_h > 0 || self.pad_w > 0
    }

    /// Taps per window across all input channels: one im2col row.
    pub fn patch_len(&self) -> usize {
        self.k_h * self.k_w * self.channels
    }

    /// The input row and column a tap reads, or None where it falls in the padding.
    #[inline(always)]
    pub fn source(&self, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (oy * self.stride_h + ky * self.dil_h).checked_sub(self.pad_top)?;
        let ix = (ox * self.stride_w + kx * self.dil_w).checked_sub(self.pad_left)?;
        (iy < self.in_h && ix < self.in_w).then_some((iy, ix))
    }
}
