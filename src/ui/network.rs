//! The network picture's arithmetic, without the DOM: what each block of the picture draws
//! (a stack of C maps of H×W, or a column of units), at what size, the label of the
//! operation that makes it ("conv 5×5 ×8 s1"), and the pixels of a block's activations.

use crate::backend::geometry::Padding;
use crate::nn::LayerSpec;

/// Gap between two maps or unit bars, in tensor pixels (before the zoom).
pub const GAP: usize = 1;
/// Channels a block draws at most; the others are counted ("+8 more").
pub const MAX_MAPS: usize = 16;
/// The largest map drawn, in pixels.
pub const MAX_MAP_PIXELS: usize = 256 * 256;

/// The least zoom the picture's row of blocks is shown at to fit its area: below it, text
/// (11 px at zoom 1) is too small to read, and the row scrolls instead.
pub const MIN_ZOOM: f64 = 0.6;

/// The zoom at which a row `natural` pixels wide fits `available` pixels: 1 when it fits,
/// never below [`MIN_ZOOM`].
pub fn zoom_to_fit(natural: f64, available: f64) -> f64 {
    if natural <= available || natural <= 0.0 || available <= 0.0 {
        1.0
    } else {
        (available / natural).max(MIN_ZOOM)
    }
}

/// The label of the operation between two blocks: what the layer does to its input.
pub fn op_label(layer: &LayerSpec) -> String {
    use LayerSpec::*;
    let pool = |kind: &str, window: &[usize; 2], stride: &[usize; 2]| {
        let mut s = format!("{kind}-pool {}×{}", window[0], window[1]);
        if stride != window {
            s.push_str(&format!(" s{}", stride[0]));
        }
        s
    };
    match layer {
        Conv2d {
            filters,
            kernel,
            stride,
            padding,
            dilation,
            ..
        } => {
            let mut s = format!("conv {}×{} ×{filters} s{}", kernel[0], kernel[1], stride[0]);
            if *padding == Padding::Same {
                s.push_str(" same");
            }
            if dilation[0] > 1 || dilation[1] > 1 {
                s.push_str(&format!(" d{}", dilation[0]));
            }
            s
        }
        MaxPool2d { window, stride } => pool("max", window, stride),
        AvgPool2d { window, stride } => pool("avg", window, stride),
        Dense { units, .. } => format!("dense {units}"),
        Flatten => "flatten".into(),
        Dropout { rate } => format!("dropout {rate}"),
        BatchNorm { .. } => "batch norm".into(),
        Relu => "ReLU".into(),
        LeakyRelu { alpha } => format!("leaky ReLU {alpha}"),
        Sigmoid => "sigmoid".into(),
        Tanh => "tanh".into(),
        Softmax => "softmax".into(),
        GaussianNoise { stddev } => format!("noise σ {stddev}"),
    }
}

/// Whether a layer has weights: only those get weight penalties and freezing.
pub fn has_weights(layer: &LayerSpec) -> bool {
    matches!(layer, LayerSpec::Dense { .. } | LayerSpec::Conv2d { .. })
}

/// How one block lays out its tensor on a canvas: `cols × rows` cells of `cell_w × cell_h`
/// tensor pixels with [`GAP`] between them, shown `zoom` screen pixels per tensor pixel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// What each cell is.
    pub kind: Cells,
    pub cols: usize,
    pub rows: usize,
    pub cell_w: usize,
    pub cell_h: usize,
    /// Between cells: [`GAP`], or 0 for a heat column of many units.
    pub gap: usize,
    /// Cells drawn (maps or units), and how many more the tensor has.
    pub shown: usize,
    pub hidden: usize,
    pub zoom: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cells {
    /// Each cell one H×W feature map (channel).
    Maps,
    /// Each cell one unit of a flat layer.
    Units,
}

impl Grid {
    /// The canvas's size in tensor pixels.
    pub fn canvas(&self) -> (usize, usize) {
        (
            self.cols * self.cell_w + self.cols.saturating_sub(1) * self.gap,
            self.rows * self.cell_h + self.rows.saturating_sub(1) * self.gap,
        )
    }

    /// The block's size on screen, in CSS pixels.
    pub fn screen(&self) -> (f64, f64) {
        let (w, h) = self.canvas();
        (w as f64 * self.zoom, h as f64 * self.zoom)
    }

    /// Top-left corner of cell `k` (column-major: cells go down, then to the next column).
    pub fn origin(&self, k: usize) -> (usize, usize) {
        let (col, row) = (k / self.rows.max(1), k % self.rows.max(1));
        (
            col * (self.cell_w + self.gap),
            row * (self.cell_h + self.gap),
        )
    }
}

/// The grid of a block whose output is `shape` (`[H, W, C]` or `[N]`), to fit `max_h` CSS
/// pixels high with maps at most `max_tile` pixels on a side. None for other shapes.
pub fn grid(shape: &[usize], max_h: f64, max_tile: f64) -> Option<Grid> {
    match *shape {
        // Maps too large to draw (a link can ask for any input) are described, not drawn.
        [h, w, c] if h > 0 && w > 0 && c > 0 && h.saturating_mul(w) <= MAX_MAP_PIXELS => {
            let shown = c.min(MAX_MAPS);
            // One column, or two when one would shrink the maps below a third of max_tile.
            let fit = |cols: usize| {
                let rows = shown.div_ceil(cols);
                let tall = (rows * h + (rows - 1) * GAP) as f64;
                (rows, (max_h / tall).min(max_tile / h.max(w) as f64))
            };
            let (mut cols, (mut rows, mut zoom)) = (1, fit(1));
            if zoom * (h.max(w) as f64) < max_tile / 3.0 && shown > 1 {
                cols = 2;
                (rows, zoom) = fit(2);
            }
            Some(Grid {
                kind: Cells::Maps,
                cols,
                rows,
                cell_w: w,
                cell_h: h,
                gap: GAP,
                shown,
                hidden: c - shown,
                zoom,
            })
        }
        [n] if n > 0 => {
            // Few units: one bar each, 12 px high at most. Many: a heat column of 1-pixel
            // cells, wrapped into as many columns as it takes to fit.
            if n <= 32 {
                let zoom = (max_h / (n * 4 + (n - 1) * GAP) as f64).min(3.0);
                Some(Grid {
                    kind: Cells::Units,
                    cols: 1,
                    rows: n,
                    cell_w: 12,
                    cell_h: 4,
                    gap: GAP,
                    shown: n,
                    hidden: 0,
                    zoom,
                })
            } else {
                let cap = (max_h / 2.0).floor().max(1.0) as usize;
                let cols = n.div_ceil(cap).clamp(1, 8);
                let rows = n.div_ceil(cols).min(cap);
                let shown = n.min(rows * cols);
                Some(Grid {
                    kind: Cells::Units,
                    cols,
                    rows,
                    cell_w: 2,
                    cell_h: 1,
                    gap: 0,
                    shown,
                    hidden: n - shown,
                    zoom: (max_h / rows as f64).min(2.0),
                })
            }
        }
        _ => None,
    }
}

/// The colour of value `v` in a block whose values lie within ±`bound`: white at 0, blue
/// for positive, red for negative values, deeper with the magnitude.
fn shade(v: f32, bound: f32) -> [u8; 3] {
    let t = (v.abs() / bound.max(1e-12)).clamp(0.0, 1.0);
    let [r, g, b] = if v >= 0.0 {
        [29.0, 78.0, 190.0]
    } else {
        [190.0, 40.0, 40.0]
    };
    let mix = |c: f32| (255.0 + (c - 255.0) * t) as u8;
    [mix(r), mix(g), mix(b)]
}

/// The RGBA pixels of a block's canvas ([`Grid::canvas`] in size): each map in its own
/// colour scale (its largest magnitude is the full colour), each unit a bar as long as its
/// value against the layer's largest. `values` is the tensor in NHWC order (`[H, W, C]`
/// flattened) or the flat units; None (no activations yet) paints the empty cells grey.
pub fn paint(grid: &Grid, values: Option<&[f32]>) -> Vec<u8> {
    let (w, h) = grid.canvas();
    let mut rgba = vec![0u8; w * h * 4];
    let mut put = |x: usize, y: usize, c: [u8; 3]| {
        let at = (y * w + x) * 4;
        rgba[at..at + 4].copy_from_slice(&[c[0], c[1], c[2], 255]);
    };
    let empty = [232, 235, 240];
    match grid.kind {
        Cells::Maps => {
            let (ch, cells) = (grid.shown + grid.hidden, grid.cell_w * grid.cell_h);
            for k in 0..grid.shown {
                let (x0, y0) = grid.origin(k);
                let at = |p: usize| values.and_then(|v| v.get(p * ch + k)).copied();
                let bound = (0..cells)
                    .filter_map(at)
                    .fold(0.0f32, |m, v| m.max(v.abs()));
                for p in 0..cells {
                    let colour = at(p).map_or(empty, |v| shade(v, bound));
                    put(x0 + p % grid.cell_w, y0 + p / grid.cell_w, colour);
                }
            }
        }
        Cells::Units => {
            let bound = values.map_or(0.0, |v| {
                v.iter()
                    .take(grid.shown)
                    .fold(0.0f32, |m, x| m.max(x.abs()))
            });
            for k in 0..grid.shown {
                let (x0, y0) = grid.origin(k);
                let v = values.and_then(|v| v.get(k)).copied();
                for y in 0..grid.cell_h {
                    for x in 0..grid.cell_w {
                        let colour = match v {
                            None => empty,
                            // Many units: the cell's colour is the value.
                            Some(v) if grid.cell_w <= 4 => shade(v, bound),
                            // Few: a bar, its length the value's magnitude.
                            Some(v) => {
                                let len = (v.abs() / bound.max(1e-12) * grid.cell_w as f32).ceil();
                                if (x as f32) < len {
                                    shade(v.signum() * bound, bound)
                                } else {
                                    [246, 247, 250]
                                }
                            }
                        };
                        put(x0 + x, y0 + y, colour);
                    }
                }
            }
        }
    }
    rgba
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::presets::Preset;

    #[test]
    fn zoom_to_fit_shrinks_only_what_overflows_and_stops_at_the_floor() {
        assert_eq!(zoom_to_fit(900.0, 1013.0), 1.0);
        assert_eq!(zoom_to_fit(1013.0, 1013.0), 1.0);
        assert!((zoom_to_fit(1240.0, 1013.0) - 1013.0 / 1240.0).abs() < 1e-12);
        assert_eq!(zoom_to_fit(5000.0, 1013.0), MIN_ZOOM);
        // Not laid out yet (hidden): leave it alone.
        assert_eq!(zoom_to_fit(1240.0, 0.0), 1.0);
    }

    #[test]
    fn operations_are_labelled_with_their_numbers() {
        let layers = Preset::DefaultCnn.spec().layers;
        let labels: Vec<String> = layers.iter().map(|l| op_label(&l.layer)).collect();
        assert_eq!(
            labels,
            [
                "conv 5×5 ×8 s1",
                "ReLU",
                "max-pool 2×2",
                "conv 5×5 ×16 s1",
                "ReLU",
                "max-pool 2×2",
                "flatten",
                "dense 10",
                "softmax"
            ]
        );
        let overlapping = LayerSpec::MaxPool2d {
            window: [3, 3],
            stride: [2, 2],
        };
        assert_eq!(op_label(&overlapping), "max-pool 3×3 s2");
    }

    #[test]
    fn maps_stack_in_one_column_when_they_fit() {
        // 8 maps of 24×24 in 300 px: 8·24 + 7 gaps = 199 tensor pixels, zoom 1.5.
        let g = grid(&[24, 24, 8], 300.0, 36.0).unwrap();
        assert_eq!((g.cols, g.rows, g.shown, g.hidden), (1, 8, 8, 0));
        assert_eq!(g.canvas(), (24, 199));
        assert!((g.zoom - 1.5).abs() < 1e-9);
        let (_, h) = g.screen();
        assert!(h <= 300.0);
    }

    #[test]
    fn many_small_maps_take_two_columns_and_count_the_rest() {
        let g = grid(&[4, 4, 64], 120.0, 36.0).unwrap();
        assert_eq!((g.shown, g.hidden), (16, 48));
        assert_eq!(g.cols, 2);
        assert_eq!(g.rows, 8);
        assert!(g.screen().1 <= 120.0 + 1e-9);
        assert_eq!(g.origin(8), (4 + GAP, 0));
    }

    #[test]
    fn a_wide_flat_layer_wraps_into_columns_that_fit() {
        let g = grid(&[784], 300.0, 36.0).unwrap();
        assert_eq!(g.kind, Cells::Units);
        assert_eq!((g.cols, g.rows, g.shown), (6, 131, 784));
        assert!(g.screen().1 <= 300.0 + 1e-9);
        let ten = grid(&[10], 300.0, 36.0).unwrap();
        assert_eq!((ten.cols, ten.rows), (1, 10));
        assert!(grid(&[2, 3], 300.0, 36.0).is_none());
        let huge = grid(&[1_000_000_000], 300.0, 36.0).unwrap();
        assert_eq!((huge.cols, huge.rows, huge.shown), (8, 150, 1200));
        assert!(grid(&[100_000, 100_000, 1], 300.0, 36.0).is_none());
    }

    #[test]
    fn paint_colours_each_map_on_its_own_scale() {
        let g = grid(&[1, 2, 2], 100.0, 10.0).unwrap();
        // NHWC: pixel 0 = (1, -4), pixel 1 = (0.5, 2).
        let rgba = paint(&g, Some(&[1.0, -4.0, 0.5, 2.0]));
        let (w, _) = g.canvas();
        let px = |x: usize, y: usize| rgba[(y * w + x) * 4..(y * w + x) * 4 + 3].to_vec();
        assert_eq!(
            px(0, 0),
            vec![29, 78, 190],
            "map 0's largest value is full blue"
        );
        assert_eq!(px(0, 1 + GAP), vec![190, 40, 40], "map 1's −4 is full red");
        let empty = paint(&g, None);
        assert_eq!(&empty[..3], &[232, 235, 240]);
    }

    #[test]
    fn unit_bars_are_as_long_as_their_values() {
        let g = grid(&[2], 100.0, 10.0).unwrap();
        let rgba = paint(&g, Some(&[1.0, 0.5]));
        let (w, _) = g.canvas();
        let blue = |x: usize, y: usize| rgba[(y * w + x) * 4] == 29;
        assert!((0..12).all(|x| blue(x, 0)));
        let second = g.origin(1).1;
        assert_eq!((0..12).filter(|&x| blue(x, second)).count(), 6);
    }
}
