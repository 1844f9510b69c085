//! Lesson: the convolution explorer. One image, one kernel, the feature map they make, and
//! every knob of a conv layer with its effect on the output size spelled out. Computed on
//! the main thread with the engine's CPU kernels: a 28×28 image takes microseconds.

use std::time::Duration;

use leptos::prelude::*;
use web_sys::HtmlCanvasElement;

use crate::app::charts::Chart;
use crate::app::draw_pad::predict_image;
use crate::app::images::{context2d, draw_channels, draw_image, draw_tiles, Tone};
use crate::app::state::{DatasetState, TrainState};
use crate::lessons::convolution::{
    explore, formula, grey, kernel_of, output_pixel, parameter_text, pixels, step, step_text,
    weight_text, window, Explored, KernelPreset, Map, Setup, Tap,
};

/// Screen pixels per image pixel for the input (the window is drawn over it).
const INPUT_SCALE: usize = 8;

fn draw_map(canvas: &HtmlCanvasElement, map: &Map, scale: usize, tone: Tone) -> Result<(), String> {
    draw_image(canvas, &map.values, map.height, map.width, scale, tone)
}

/// The explorer's state, shared by its sections: what the learner set, and what it makes.
#[derive(Clone, Copy)]
struct Explorer {
    setup: RwSignal<Setup>,
    /// What the image is, in words ("a training image labelled 7").
    caption: RwSignal<String>,
    /// The preset the kernel came from; None once the learner edits a weight.
    preset: RwSignal<Option<KernelPreset>>,
    /// The output pixel the step-by-step view shows, counted row by row.
    position: RwSignal<usize>,
    playing: RwSignal<bool>,
    explored: Memo<Result<Explored, String>>,
}

const NO_IMAGE: &str = "no image yet";

impl Explorer {
    fn new() -> Self {
        let setup = RwSignal::new(Setup {
            image: vec![0.0; 28 * 28],
            height: 28,
            width: 28,
            kernel: KernelPreset::VerticalEdge.weights(3),
            size: 3,
            stride: 1,
            padding: 0,
            dilation: 1,
        });
        Explorer {
            setup,
            caption: RwSignal::new(NO_IMAGE.to_string()),
            preset: RwSignal::new(Some(KernelPreset::VerticalEdge)),
            position: RwSignal::new(0),
            playing: RwSignal::new(false),
            explored: Memo::new(move |_| setup.with(explore)),
        }
    }

    fn use_image(self, name: String, pixels: &[u8], side: usize) {
        self.setup.update(|s| {
            s.image = grey(pixels);
            (s.height, s.width) = (side, side);
        });
        self.caption.set(name);
    }

    /// The feature map's height and width ((0, 0) when the setup makes none).
    fn out_size(self) -> (usize, usize) {
        self.explored.with(|e| {
            e.as_ref()
                .map_or((0, 0), |e| (e.window.out_h, e.window.out_w))
        })
    }

    /// The output pixel at `position` and its window, tap by tap, with their sum.
    fn current_step(self) -> Option<(usize, usize, (Vec<Tap>, f32))> {
        let (h, w) = self.out_size();
        let (oy, ox) = output_pixel(self.position.get(), h, w);
        self.setup.with(|s| {
            let g = window(s).ok()?;
            Some((oy, ox, step(s, &g, oy, ox)))
        })
    }
}

#[component]
pub fn ConvolutionLesson() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let ex = Explorer::new();
    // The first sample once a dataset is loaded.
    Effect::new(move || {
        let first = datasets.samples.with(|s| s.first().cloned());
        let side = datasets.summary.with(|s| s.as_ref().map(|s| s.rows));
        if let (Some(sample), Some(side)) = (first, side) {
            if ex.caption.get_untracked() == NO_IMAGE {
                ex.use_image(
                    format!("a training image labelled {}", sample.label),
                    &sample.pixels,
                    side,
                );
            }
        }
    });
    // Step by step: the window at `position`, moving on by itself while playing.
    let interval = set_interval_with_handle(
        move || {
            if ex.playing.get_untracked() {
                let (h, w) = ex.out_size();
                ex.position.update(|p| *p = (*p + 1) % (h * w).max(1));
            }
        },
        Duration::from_millis(250),
    );
    on_cleanup(move || {
        if let Ok(handle) = interval {
            handle.clear();
        }
    });

    view! {
        <section class="card lesson" data-testid="lesson-convolution">
            <h2>"Lesson: what a convolution does"</h2>
            <p>"A convolution slides a small grid of weights, the kernel, over the image. At each position it multiplies the pixels under the kernel by the weights and adds the products: one number of the output, the feature map. The same few weights are used everywhere, so a pattern is found wherever it appears, with far fewer parameters than a dense layer."</p>
            <h3>"1. The image"</h3>
            <ImagePicker ex=ex/>
            <h3>"2. The kernel"</h3>
            <KernelEditor ex=ex/>
            <h3>"3. Stride, padding, dilation"</h3>
            <WindowSettings ex=ex/>
            <FeatureMaps ex=ex/>
            <h3>"4. Step by step"</h3>
            <StepByStep ex=ex/>
            <h3>"5. What pooling and ReLU do"</h3>
            <PoolingAndParameters ex=ex/>
            <h3>"6. A trained network's own kernels"</h3>
            <TrainedKernels ex=ex/>
        </section>
    }
}

/// Section 1: a few dataset samples, the trainer's image, and what the image is now.
#[component]
fn ImagePicker(ex: Explorer) -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let train = expect_context::<TrainState>();
    let samples = move || {
        datasets.samples.with(|all| {
            let side = datasets.summary.with(|s| s.as_ref().map_or(28, |s| s.rows));
            all.iter()
                .enumerate()
                .step_by(4)
                .map(|(k, sample)| {
                    let pixels = sample.pixels.clone();
                    let label = sample.label;
                    let values = grey(&pixels);
                    let draw = move |c: &HtmlCanvasElement| {
                        draw_map(c, &Map { height: side, width: side, values: values.clone() }, 1, Tone::Ink)
                    };
                    view! {
                        <button class="thumb" data-testid=format!("lesson-sample-{k}") title="Use this image"
                            on:click=move |_| ex.use_image(format!("a training image labelled {label}"), &pixels, side)>
                            <CanvasOnce draw=draw/>
                        </button>
                    }
                })
                .collect_view()
        })
    };
    let from_trainer = move |_| {
        if let Some(input) = train.predicted_input.get_untracked() {
            let side = (input.pixels.len() as f64).sqrt() as usize;
            ex.use_image(input.caption.clone(), &input.pixels, side);
        }
    };
    view! {
        <div class="controls">
            {samples}
            <button data-testid="lesson-use-trainer-image" disabled=move || train.predicted_input.with(|i| i.is_none())
                title="The digit you drew, or the test image you clicked, in the trainer" on:click=from_trainer>"Use the trainer's image"</button>
            <span class="muted" data-testid="lesson-image-caption">{move || format!("Now: {}", ex.caption.get())}</span>
        </div>
    }
}

/// Section 2: a preset, the kernel's size, and every weight as a number to edit.
#[component]
fn KernelEditor(ex: Explorer) -> impl IntoView {
    let Explorer { setup, preset, .. } = ex;
    let choose_preset = move |name: String| {
        let p = KernelPreset::ALL.into_iter().find(|p| p.name() == name);
        preset.set(p);
        if let Some(p) = p {
            setup.update(|s| s.kernel = p.weights(s.size));
        }
    };
    let choose_size = move |size: usize| {
        setup.update(|s| {
            s.size = size;
            s.kernel = preset
                .get_untracked()
                .unwrap_or(KernelPreset::Identity)
                .weights(size);
        });
    };
    let weight_cell = move |i: usize| {
        view! {
            <td><input type="number" step="any" data-testid=format!("kernel-{i}")
                prop:value=move || setup.with(|s| weight_text(s.kernel.get(i).copied().unwrap_or(0.0)))
                on:change=move |e| {
                    if let Ok(v) = event_target_value(&e).parse::<f32>() {
                        if v.is_finite() {
                            preset.set(None);
                            setup.update(|s| s.kernel[i] = v);
                        }
                    }
                }/></td>
        }
    };
    let kernel_grid = move || {
        let size = setup.with(|s| s.size);
        (0..size)
            .map(|r| view! { <tr>{(0..size).map(|c| weight_cell(r * size + c)).collect_view()}</tr> })
            .collect_view()
    };
    view! {
        <div class="controls">
            <label class="field" title="Classic hand-made kernels; edit any weight below to make your own">"preset"
                <select data-testid="kernel-preset" on:change=move |e| choose_preset(event_target_value(&e))>
                    {KernelPreset::ALL.into_iter().map(|p| view! {
                        <option value=p.name() selected=move || preset.get() == Some(p)>{p.name()}</option>
                    }).collect_view()}
                    <option value="custom" selected=move || preset.get().is_none()>"your own"</option>
                </select>
            </label>
            <label class="field" title="The kernel's width and height">"size"
                <select data-testid="kernel-size" on:change=move |e| choose_size(event_target_value(&e).parse().unwrap_or(3))>
                    <option value="3" selected=move || setup.with(|s| s.size == 3)>"3×3"</option>
                    <option value="5" selected=move || setup.with(|s| s.size == 5)>"5×5"</option>
                </select>
            </label>
        </div>
        <table class="kernel-grid" data-testid="kernel-grid">{kernel_grid}</table>
    }
}

/// A slider for one of the window's settings, with its value beside it.
fn slider(
    setup: RwSignal<Setup>,
    (label, tip, testid): (&'static str, &'static str, &'static str),
    (lo, hi): (usize, usize),
    get: fn(&Setup) -> usize,
    set: fn(&mut Setup, usize),
) -> impl IntoView {
    view! {
        <label class="field" title=tip>{label}
            <input type="range" min=lo max=hi data-testid=testid
                prop:value=move || setup.with(get)
                on:input=move |e| {
                    let v: usize = event_target_value(&e).parse().unwrap_or(lo);
                    setup.update(|s| set(s, v));
                }/>
            <span class="num">{move || setup.with(get)}</span>
        </label>
    }
}

/// Section 3: stride, padding and dilation, the output size with the formula's numbers, and
/// why there is no output when there is none.
#[component]
fn WindowSettings(ex: Explorer) -> impl IntoView {
    let Explorer {
        setup, explored, ..
    } = ex;
    view! {
        <div class="controls">
            {slider(setup, ("stride", "How many pixels the window moves each step: 2 halves the output size", "conv-stride"), (1, 3), |s| s.stride, |s, v| s.stride = v)}
            {slider(setup, ("padding", "Rings of zeros added around the image, so the window can centre on edge pixels", "conv-padding"), (0, 3), |s| s.padding, |s, v| s.padding = v)}
            {slider(setup, ("dilation", "Gaps between the kernel's taps: a wider view with the same weights", "conv-dilation"), (1, 3), |s| s.dilation, |s, v| s.dilation = v)}
        </div>
        <p data-testid="conv-formula">{move || setup.with(|s| format!(
            "output height = {}; width the same. (In general ⌊(input + 2·padding − dilation·(kernel − 1) − 1) / stride⌋ + 1.)",
            formula(s.height, s.size, s.stride, s.padding, s.dilation)))}</p>
        {move || explored.with(|e| e.as_ref().err().map(|e| view! { <p class="error" data-testid="conv-error">{e.clone()}</p> }))}
    }
}

/// The input with the window outlined, the feature map, ReLU and both poolings.
#[component]
fn FeatureMaps(ex: Explorer) -> impl IntoView {
    let Explorer {
        setup, explored, ..
    } = ex;
    let input_view = move |c: &HtmlCanvasElement| {
        let map = setup.with(|s| Map {
            height: s.height,
            width: s.width,
            values: s.image.clone(),
        });
        draw_map(c, &map, INPUT_SCALE, Tone::Ink)?;
        // Outline the pixels the window reads now.
        let Some((_, _, (taps, _))) = ex.current_step() else {
            return Ok(());
        };
        let ctx = context2d(c)?;
        ctx.set_stroke_style_str("rgba(230,120,20,0.9)");
        ctx.set_line_width(2.0);
        let s = INPUT_SCALE as f64;
        for (y, x) in taps.iter().filter_map(|t| t.source) {
            ctx.stroke_rect(x as f64 * s + 1.0, y as f64 * s + 1.0, s - 2.0, s - 2.0);
        }
        Ok(())
    };
    let map_view = move |pick: fn(&Explored) -> Option<&Map>, scale: usize, tone: Tone| {
        move |c: &HtmlCanvasElement| {
            explored.with(|e| match e.as_ref().ok().and_then(pick) {
                Some(m) => draw_map(c, m, scale, tone),
                None => draw_tiles(c, &[], 1, 1, 1, 1, tone),
            })
        }
    };
    view! {
        <div class="charts">
            <div><div class="muted">"input (the window in orange)"</div><Chart testid="conv-input" width=0 height=0 pixelated=true draw=input_view/></div>
            <div><div class="muted">"feature map (light: positive, dark: negative)"</div><Chart testid="conv-feature" width=0 height=0 pixelated=true draw=map_view(|e| Some(&e.feature), 8, Tone::Signed)/></div>
            <div><div class="muted">"after ReLU (negatives become 0)"</div><Chart testid="conv-relu" width=0 height=0 pixelated=true draw=map_view(|e| Some(&e.relu), 8, Tone::Signed)/></div>
            <div><div class="muted">"max pooling 2×2"</div><Chart testid="conv-max-pool" width=0 height=0 pixelated=true draw=map_view(|e| e.max_pool.as_ref(), 16, Tone::Signed)/></div>
            <div><div class="muted">"average pooling 2×2"</div><Chart testid="conv-avg-pool" width=0 height=0 pixelated=true draw=map_view(|e| e.avg_pool.as_ref(), 16, Tone::Signed)/></div>
        </div>
    }
}

/// Section 4: one output pixel at a time, its sum written out and its window's crop.
#[component]
fn StepByStep(ex: Explorer) -> impl IntoView {
    let Explorer {
        setup,
        position,
        playing,
        ..
    } = ex;
    let crop = move || {
        ex.current_step().map(|(_, _, (taps, _))| {
            let size = setup.with(|s| s.size);
            taps.chunks(size.max(1)).map(|row| view! {
                <tr>{row.iter().map(|t| view! {
                    <td class:pad=t.source.is_none()>
                        <span class="muted">{format!("{:.2} × {:.2}", t.pixel, t.weight)}</span><br/>
                        {format!("{:.3}", t.product)}
                    </td>
                }).collect_view()}</tr>
            }).collect_view()
        })
    };
    view! {
        <div class="controls">
            <input type="range" min="0" data-testid="conv-position" title="Which output pixel to compute"
                prop:max=move || { let (h, w) = ex.out_size(); (h * w).saturating_sub(1) }
                prop:value=move || position.get()
                on:input=move |e| position.set(event_target_value(&e).parse().unwrap_or(0))/>
            <button data-testid="conv-play" on:click=move |_| playing.update(|p| *p = !*p)>
                {move || if playing.get() { "❚❚ Pause" } else { "▶ Slide the window" }}</button>
        </div>
        <p class="step" data-testid="conv-step">{move || ex.current_step().map(|(oy, ox, (taps, sum))| step_text(oy, ox, &taps, sum))}</p>
        <p class="muted">"The crop under the window: each cell is pixel × weight = product (a tap in the padding reads 0)."</p>
        <table class="window-crop" data-testid="conv-window">{crop}</table>
    }
}

/// Section 5: ReLU and max pooling commute; a conv layer's parameters against a dense one's.
#[component]
fn PoolingAndParameters(ex: Explorer) -> impl IntoView {
    let explored = ex.explored;
    view! {
        <p data-testid="relu-pool-identity">{move || explored.with(|e| e.as_ref().ok().and_then(|e| e.relu_pool_gap).map(|gap| format!(
            "ReLU then max pooling gives the same map as max pooling then ReLU: the largest difference between the two is {gap}. Both keep order, so which comes first does not matter, and a network may pool first and apply ReLU to 4× fewer values.")))}</p>
        <p data-testid="param-compare">{move || explored.with(|e| e.as_ref().ok().map(|e| parameter_text(&e.window)))}</p>
    }
}

/// Section 6: the trained model's first-layer kernels, to use here, and its feature maps for
/// this image.
#[component]
fn TrainedKernels(ex: Explorer) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let Explorer {
        setup,
        caption,
        preset,
        ..
    } = ex;
    let filters = move || train.filter_history.with(|h| h.last().map(|(_, f)| f));
    let use_filter = move |k: usize| {
        let Some(f) = filters() else { return };
        if let Some(kernel) = kernel_of(&f.values, f.height, f.width, k) {
            preset.set(None);
            setup.update(|s| {
                s.size = f.height;
                s.kernel = kernel;
            });
        }
    };
    let ask_model = move |_| {
        let image = setup.with_untracked(|s| pixels(&s.image));
        predict_image(train, caption.get_untracked(), image);
    };
    let first_conv_maps = move |c: &HtmlCanvasElement| {
        train.feature_maps.with(|maps| {
            let Some(m) = maps.iter().find(|m| m.shape.len() == 3) else {
                return draw_tiles(c, &[], 1, 1, 1, 1, Tone::Signed);
            };
            let shape = (m.shape[0], m.shape[1], m.shape[2]);
            draw_channels(c, &m.values, shape, 16, 3, 8)
        })
    };
    move || {
        match filters() {
        None => view! { <p class="muted" data-testid="lesson-no-model">"Train a model (or open one) in the trainer: its first layer's learned kernels appear here, to use on this image."</p> }.into_any(),
        Some(f) => view! {
            <p class="muted">"Kernels learned by the model in the trainer. Click one to use it here; it was learned, not designed, yet many look like the edge detectors above."</p>
            <div class="controls">{(0..f.count).map(|k| {
                let n = f.height * f.width;
                let values = f.values[k * n..(k + 1) * n].to_vec();
                let (h, w) = (f.height, f.width);
                let draw = move |c: &HtmlCanvasElement| draw_map(c, &Map { height: h, width: w, values: values.clone() }, 6, Tone::Signed);
                view! { <button class="thumb" data-testid=format!("lesson-filter-{k}") on:click=move |_| use_filter(k)><CanvasOnce draw=draw/></button> }
            }).collect_view()}</div>
            <button data-testid="lesson-run-model" on:click=ask_model title="Run the trained model on this image">"Show the trained model's first-layer feature maps for this image"</button>
            <Chart testid="lesson-model-maps" width=0 height=0 pixelated=true draw=first_conv_maps/>
        }.into_any(),
    }
    }
}

/// A canvas drawn once when it is mounted.
#[component]
fn CanvasOnce(draw: impl Fn(&HtmlCanvasElement) -> Result<(), String> + 'static) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    Effect::new(move || {
        if let Some(c) = canvas.get() {
            let _ = draw(&c);
        }
    });
    view! { <canvas node_ref=canvas class="pixelated" width="0" height="0"></canvas> }
}
