//! The learner's own images: a folder with one sub-folder per class (chosen, or dropped on
//! the page) or a zip of one, and the size and colour they become. The page only reads the
//! files; the worker decodes and resizes them (`data::folder`) and reports progress, the
//! files it left out, and the dataset, which then replaces the current one.

use js_sys::{Array, ArrayBuffer, Promise, Reflect};
use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, DataTransfer, File, FileList};

use super::bridge;
use super::state::{DatasetState, Progress};
use super::supervisor;
use crate::data::folder::{
    decode, zip_stem, Fit, ImportOptions, MAX_DATASET_BYTES, MAX_SOURCE_BYTES,
};
use crate::size;
use crate::worker::protocol::Request;

// A dropped folder's files: the entries API is callbacks all the way down, which a few
// lines of JS say more plainly than web-sys. The entries are taken synchronously, while the
// drop event still owns its DataTransfer.
#[wasm_bindgen(inline_js = r#"
export function dropped_folder(dt) {
  const entries = [...dt.items].map((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()).filter(Boolean);
  if (!entries.some((e) => e.isDirectory)) return null;
  const out = [];
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      out.push([prefix + entry.name, await new Promise((ok, fail) => entry.file(ok, fail))]);
      return;
    }
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
      if (!batch.length) break;
      for (const e of batch) await walk(e, prefix + entry.name + '/');
    }
  };
  return (async () => { for (const e of entries) await walk(e, ''); return out; })();
}
"#)]
extern "C" {
    fn dropped_folder(dt: &DataTransfer) -> JsValue;
}

/// The files the learner chose (or the webcam's frames): each with its path inside the
/// chosen folder, or a zip's name.
#[derive(Clone)]
pub struct Chosen {
    pub name: String,
    pub files: Vec<(String, Blob)>,
    pub options: ImportOptions,
}

/// A zip, or the files of a folder (paths relative to the folder, as `webkitRelativePath`).
fn chosen(files: Vec<(String, Blob)>, options: ImportOptions) -> Option<Chosen> {
    let first = files.first()?.0.clone();
    let name = match zip_stem(&first) {
        Some(stem) if files.len() == 1 => stem.to_string(),
        _ => first.split('/').next().unwrap_or("Your images").to_string(),
    };
    Some(Chosen {
        name,
        files,
        options,
    })
}

fn relative_path(file: &File) -> String {
    Reflect::get(file, &"webkitRelativePath".into())
        .ok()
        .and_then(|p| p.as_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| file.name())
}

fn from_list(list: FileList) -> Vec<(String, Blob)> {
    (0..list.length())
        .filter_map(|i| list.get(i))
        .map(|f| (relative_path(&f), f.into()))
        .collect()
}

/// Loads a dropped folder (true), or leaves the drop to others (false: no folder in it).
pub fn drop_folder(transfer: &DataTransfer, datasets: DatasetState) -> bool {
    let pending = dropped_folder(transfer);
    if pending.is_null() {
        return false;
    }
    let options = datasets.import.get_untracked();
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(pairs) = JsFuture::from(Promise::from(pending)).await else {
            datasets
                .error
                .set(Some("the browser could not list the dropped folder".into()));
            return;
        };
        let files = Array::from(&pairs)
            .iter()
            .filter_map(|p| {
                let p = Array::from(&p);
                Some((
                    p.get(0).as_string()?,
                    p.get(1).dyn_into::<File>().ok()?.into(),
                ))
            })
            .collect();
        if let Some(c) = chosen(files, options) {
            supervisor::load_images(c, datasets);
        }
    });
    true
}

/// Loads a dropped or chosen `.zip` as images.
pub fn open_zip(file: File, datasets: DatasetState) {
    let options = datasets.import.get_untracked();
    if let Some(c) = chosen(vec![(file.name(), file.into())], options) {
        supervisor::load_images(c, datasets);
    }
}

/// Reads the chosen files (refusing more bytes than the page reads at once, before
/// reading any) and hands them to the worker.
pub fn send(chosen: Chosen, datasets: DatasetState) {
    datasets.loading.set(true);
    datasets.error.set(None);
    datasets.progress.set(None);
    let total: u64 = chosen.files.iter().map(|(_, f)| f.size() as u64).sum();
    if total > MAX_SOURCE_BYTES {
        supervisor::load_failed();
        datasets.loading.set(false);
        datasets.error.set(Some(format!(
            "{}: its {} files take {}; the most this app reads at once is {}. Choose fewer \
             or smaller images.",
            chosen.name,
            size::grouped(chosen.files.len() as u64),
            size::bytes_text(total),
            size::bytes_text(MAX_SOURCE_BYTES)
        )));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        let (mut paths, mut buffers) = (Vec::new(), Vec::new());
        let mut received = 0u64;
        for (path, file) in chosen.files {
            match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    received += file.size() as u64;
                    datasets.progress.set(Some(Progress {
                        what: format!("Reading {}", chosen.name),
                        received,
                        total,
                        images: false,
                    }));
                    paths.push(path);
                    buffers.push(buffer.unchecked_into::<ArrayBuffer>());
                }
                Err(_) => {
                    supervisor::load_failed();
                    datasets.loading.set(false);
                    datasets.error.set(Some(format!(
                        "{path}: the browser could not read this file"
                    )));
                    return;
                }
            }
        }
        let request = Request::LoadImages {
            name: chosen.name,
            paths,
            options: chosen.options,
        };
        bridge::send(&request, &buffers);
    });
}

const SIDES: [usize; 7] = [16, 28, 32, 48, 64, 96, 128];

/// Choose a folder or a zip of images, and how they are sized.
#[component]
pub fn OwnImages() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    let import = datasets.import;
    let on_folder = move |e: ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(c) = input
            .files()
            .and_then(|l| chosen(from_list(l), import.get_untracked()))
        {
            supervisor::load_images(c, datasets);
        }
        input.set_value("");
    };
    let on_zip = move |e: ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&e);
        if let Some(file) = input.files().and_then(|l| l.get(0)) {
            open_zip(file, datasets);
        }
        input.set_value("");
    };
    // Choosing a folder: an attribute the view macro does not know.
    let folder = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = folder.get() {
            let _ = input.set_attribute("webkitdirectory", "");
        }
    });
    let budget = format!(
        "Your own images: a folder with one sub-folder of images per class (optionally inside \
         train/ and test/ folders), or a zip of one; {}. Each image may be up to {} megapixels; \
         the files read at once up to {}, and the images once resized up to {}. You can also \
         drop the folder or zip anywhere on the page.",
        decode::FORMATS,
        decode::MAX_PIXELS / 1_000_000,
        size::bytes_text(MAX_SOURCE_BYTES),
        size::bytes_text(MAX_DATASET_BYTES),
    );
    view! {
        <span class="own-images" data-testid="own-images">
            <label class="file-button" title=budget.clone()>
                "Your images…"
                <input type="file" multiple node_ref=folder data-testid="images-folder" on:change=on_folder/>
            </label>
            <label class="file-button" title=budget>
                "Zip…"
                <input type="file" accept=".zip,application/zip" data-testid="images-zip" on:change=on_zip/>
            </label>
            <select
                data-testid="images-size"
                title="The square size your images become (the network's input)"
                on:change=move |e| {
                    if let Ok(side) = event_target_value(&e).parse() {
                        import.update(|o| o.side = side);
                    }
                }
            >
                {SIDES.iter().map(|&s| view! {
                    <option value=s.to_string() selected=move || import.with(|o| o.side == s)>{format!("{s}×{s}")}</option>
                }).collect_view()}
            </select>
            <select
                data-testid="images-colour"
                title="Keep the colours (3 input channels) or make the images grey (1)"
                on:change=move |e| import.update(|o| o.colour = event_target_value(&e) == "rgb")
            >
                <option value="rgb">"RGB"</option>
                <option value="grey">"Grey"</option>
            </select>
            <select
                data-testid="images-fit"
                title="An image that is not square: crop its centre, or pad it with black to keep all of it"
                on:change=move |e| import.update(|o| o.fit = if event_target_value(&e) == "pad" { Fit::Pad } else { Fit::Crop })
            >
                <option value="crop">"Crop"</option>
                <option value="pad">"Pad"</option>
            </select>
        </span>
    }
}

/// The files the last import left out, each with its reason.
#[component]
pub fn LeftOut() -> impl IntoView {
    let datasets = expect_context::<DatasetState>();
    move || {
        let left = datasets.left_out.get();
        (!left.is_empty()).then(|| {
            let count = left.len();
            view! {
                <details class="left-out" data-testid="left-out">
                    <summary>{format!("{count} file{} left out", if count == 1 { "" } else { "s" })}</summary>
                    <ul>{left.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                </details>
            }
        })
    }
}
