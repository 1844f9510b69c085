//! Images from the webcam, as Teachable Machine takes them: a row per class, hold a button
//! to capture frames into it, rename or delete classes and frames, then use them as the
//! dataset. Each frame is the camera's centre square at 96×96, kept as a PNG; the frames go
//! to the worker as a folder of one sub-folder per class (`own_images::Chosen`), so they
//! are decoded, sized and split like any of the learner's images.

use js_sys::Promise;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, Url};

use super::own_images::Chosen;
use super::state::DatasetState;
use super::supervisor;

// The camera and a frame of it: promise-based browser APIs, plainer in JS.
#[wasm_bindgen(inline_js = r#"
export function camera_start(video) {
  return navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: false })
    .then((stream) => { video.srcObject = stream; return video.play(); });
}
export function camera_stop(video) {
  const s = video.srcObject;
  if (s) s.getTracks().forEach((t) => t.stop());
  video.srcObject = null;
}
export function camera_grab(video, side) {
  const w = video.videoWidth, h = video.videoHeight, s = Math.min(w, h);
  if (!s) return Promise.resolve(null);
  const c = new OffscreenCanvas(side, side);
  c.getContext('2d').drawImage(video, (w - s) / 2, (h - s) / 2, s, s, 0, 0, side, side);
  return c.convertToBlob({ type: 'image/png' });
}
export function sleep_ms(ms) {
  return new Promise((ok) => setTimeout(ok, ms));
}
"#)]
extern "C" {
    fn camera_start(video: &JsValue) -> Promise;
    fn camera_stop(video: &JsValue);
    fn camera_grab(video: &JsValue, side: u32) -> Promise;
    fn sleep_ms(ms: u32) -> Promise;
}

/// The side of a captured frame, in pixels.
const FRAME_SIDE: u32 = 96;
/// Frames per second while the button is held.
const CAPTURE_MS: u32 = 100;
/// The most frames one class keeps (a long hold stops there).
const MAX_FRAMES: usize = 500;

#[derive(Clone, PartialEq)]
struct Frame {
    id: u32,
    blob: Blob,
    /// An object URL for its thumbnail.
    url: String,
}

#[derive(Clone, PartialEq)]
struct CamClass {
    id: u32,
    name: String,
    frames: Vec<Frame>,
}

/// The webcam's classes and frames, and the camera.
#[derive(Clone, Copy)]
struct Capture {
    classes: RwSignal<Vec<CamClass>>,
    /// The class whose button is held.
    holding: RwSignal<Option<u32>>,
    on: RwSignal<bool>,
    error: RwSignal<Option<String>>,
    next: StoredValue<u32>,
}

impl Capture {
    fn id(&self) -> u32 {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        id
    }

    fn add_class(&self) {
        let id = self.id();
        let n = self.classes.with_untracked(Vec::len) + 1;
        self.classes.update(|c| {
            c.push(CamClass {
                id,
                name: format!("class {n}"),
                frames: Vec::new(),
            })
        });
    }

    fn edit(&self, class: u32, f: impl FnOnce(&mut CamClass)) {
        self.classes.update(|c| {
            if let Some(c) = c.iter_mut().find(|c| c.id == class) {
                f(c)
            }
        });
    }
}

/// Captures frames into `class` while its button is held.
async fn capture(video: JsValue, cap: Capture, class: u32) {
    while cap.holding.get_untracked() == Some(class) {
        let full = cap.classes.with_untracked(|c| {
            c.iter()
                .find(|c| c.id == class)
                .is_none_or(|c| c.frames.len() >= MAX_FRAMES)
        });
        if full {
            break;
        }
        if let Ok(blob) = JsFuture::from(camera_grab(&video, FRAME_SIDE)).await {
            if let Ok(blob) = blob.dyn_into::<Blob>() {
                let url = Url::create_object_url_with_blob(&blob).unwrap_or_default();
                let id = cap.id();
                cap.edit(class, |c| c.frames.push(Frame { id, blob, url }));
            }
        }
        let _ = JsFuture::from(sleep_ms(CAPTURE_MS)).await;
    }
}

/// The frames as a folder of one sub-folder per class, for the worker.
fn chosen(classes: &[CamClass], datasets: DatasetState) -> Chosen {
    let files = classes
        .iter()
        .flat_map(|c| {
            let name = c.name.trim().replace('/', "-");
            c.frames
                .iter()
                .map(move |f| (format!("webcam/{name}/{:05}.png", f.id), f.blob.clone()))
        })
        .collect();
    Chosen {
        name: "webcam".into(),
        files,
        options: datasets.import.get_untracked(),
    }
}

#[component]
pub fn Webcam() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let cap = Capture {
        classes: RwSignal::new(Vec::new()),
        holding: RwSignal::new(None),
        on: RwSignal::new(false),
        error: RwSignal::new(None),
        next: StoredValue::new(0),
    };
    cap.add_class();
    cap.add_class();
    let video = NodeRef::<html::Video>::new();
    let element = move || video.get_untracked().map(JsValue::from);
    let start = move |_| {
        let Some(v) = element() else { return };
        cap.error.set(None);
        wasm_bindgen_futures::spawn_local(async move {
            match JsFuture::from(camera_start(&v)).await {
                Ok(_) => cap.on.set(true),
                Err(e) => cap.error.set(Some(format!(
                    "the camera could not start: {}",
                    e.as_string()
                        .or_else(|| js_sys::Reflect::get(&e, &"message".into())
                            .ok()?
                            .as_string())
                        .unwrap_or_else(|| "permission denied or no camera".into())
                ))),
            }
        });
    };
    let stop = move |_| {
        if let Some(v) = element() {
            camera_stop(&v);
        }
        cap.on.set(false);
    };
    on_cleanup(move || {
        if let Some(v) = element() {
            camera_stop(&v);
        }
    });
    let hold = move |class: u32| {
        let Some(v) = element() else { return };
        if cap.on.get_untracked() && cap.holding.get_untracked().is_none() {
            cap.holding.set(Some(class));
            wasm_bindgen_futures::spawn_local(capture(v, cap, class));
        }
    };
    let release = move || cap.holding.set(None);
    let total = move || {
        cap.classes
            .with(|c| c.iter().map(|c| c.frames.len()).sum::<usize>())
    };
    let rows = move || {
        cap.classes
            .get()
            .into_iter()
            .enumerate()
            .map(|(row, c)| {
                let id = c.id;
                let count = c.frames.len();
                let thumbs = c
                    .frames
                    .iter()
                    .rev()
                    .take(12)
                    .map(|f| {
                        let frame = f.id;
                        view! {
                            <img src=f.url.clone() class="cam-frame" title="Click to delete this frame"
                                data-testid=format!("cam-frame-{row}")
                                on:click=move |_| cap.edit(id, |c| c.frames.retain(|f| f.id != frame))/>
                        }
                    })
                    .collect_view();
                view! {
                    <div class="cam-class" data-testid=format!("cam-class-{row}")>
                        <input class="cam-name" data-testid=format!("cam-name-{row}") prop:value=c.name.clone()
                            title="The class's name"
                            on:change=move |e| {
                                let name = event_target_value(&e);
                                cap.edit(id, |c| c.name = name);
                            }/>
                        <button class="small" data-testid=format!("cam-hold-{row}")
                            title="Hold to capture frames into this class (ten a second)"
                            disabled=move || !cap.on.get()
                            on:pointerdown=move |_| hold(id)
                            on:pointerup=move |_| release()
                            on:pointerleave=move |_| release()>
                            {move || if cap.holding.get() == Some(id) { "capturing…" } else { "hold to capture" }}
                        </button>
                        <span class="num" data-testid=format!("cam-count-{row}")>{count}</span>
                        " images "
                        <button class="small" data-testid=format!("cam-delete-{row}") title="Delete this class and its frames"
                            on:click=move |_| cap.classes.update(|cs| cs.retain(|c| c.id != id))>"✕"</button>
                        <span class="cam-thumbs">{thumbs}</span>
                    </div>
                }
            })
            .collect_view()
    };
    let use_them = move |_| {
        let chosen = cap.classes.with_untracked(|c| chosen(c, datasets));
        supervisor::load_images(chosen, datasets);
    };
    view! {
        <section class="card webcam" data-testid="webcam">
            <h2>"Capture from the webcam"</h2>
            <p class="muted">"A row per class: hold its button to capture frames of what you show the camera. Then train on them as on any of your images (the size and colour chosen beside \u{201c}Your images\u{2026}\u{201d})."</p>
            <video node_ref=video class="cam-video" data-testid="cam-video" muted=true playsinline=true width="160" height="120"></video>
            <div>
                <Show when=move || !cap.on.get() fallback=move || view! {
                    <button data-testid="cam-stop" on:click=stop>"Stop the camera"</button>
                }>
                    <button data-testid="cam-start" on:click=start>"Start the camera"</button>
                </Show>
                <button data-testid="cam-add" on:click=move |_| cap.add_class()>"+ class"</button>
                <button data-testid="cam-use" title="Use these frames as the dataset"
                    disabled=move || total() == 0 || datasets.loading.get()
                    on:click=use_them>
                    {move || format!("Use {} images", total())}
                </button>
            </div>
            {move || cap.error.get().map(|e| view! { <p class="error" role="alert" data-testid="cam-error">{e}</p> })}
            {rows}
        </section>
    }
}
