//! Snapshots in the browser (IndexedDB): every N epochs the worker sends the model with its
//! optimizer state; they survive a reload or a crash, and the learner can list, restore
//! (continue the run where it stopped) and delete them.

use js_sys::{ArrayBuffer, Promise};
use leptos::prelude::*;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::bridge;
use super::state::TrainState;
use crate::worker::protocol::{Request, RunMode};

// IndexedDB's callback API wrapped in promises: a few lines of JS are clearer than the
// web-sys equivalent.
#[wasm_bindgen(inline_js = r#"
const DB = 'trainer', STORE = 'snapshots';
function db() {
  return new Promise((ok, fail) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: 'id', autoIncrement: true });
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
}
function run(mode, f) {
  return db().then((d) => new Promise((ok, fail) => {
    const t = d.transaction(STORE, mode);
    const r = f(t.objectStore(STORE));
    t.oncomplete = () => { d.close(); ok(r.result); };
    t.onerror = () => { d.close(); fail(t.error); };
  }));
}
export function snapshot_put(name, epoch, bytes) {
  return run('readwrite', (s) => s.add({ name, epoch, created: Date.now(), bytes }));
}
export function snapshot_list() {
  return run('readonly', (s) => s.getAll()).then((all) => JSON.stringify(all.map((x) =>
    ({ id: x.id, name: x.name, epoch: x.epoch, created: x.created, size: x.bytes.byteLength }))));
}
export function snapshot_get(id) {
  return run('readonly', (s) => s.get(id)).then((x) => x ? x.bytes : null);
}
export function snapshot_delete(id) {
  return run('readwrite', (s) => s.delete(id));
}
"#)]
extern "C" {
    fn snapshot_put(name: &str, epoch: u32, bytes: &ArrayBuffer) -> Promise;
    fn snapshot_list() -> Promise;
    fn snapshot_get(id: u32) -> Promise;
    fn snapshot_delete(id: u32) -> Promise;
}

/// One stored snapshot, without its bytes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SnapshotInfo {
    pub id: u32,
    pub name: String,
    pub epoch: u32,
    /// Milliseconds since 1970.
    pub created: f64,
    pub size: u64,
}

/// Reloads the list of stored snapshots into `train.snapshots`.
pub async fn refresh(train: TrainState) {
    let listed = JsFuture::from(snapshot_list()).await;
    match listed.ok().and_then(|v| v.as_string()) {
        Some(json) => train
            .snapshots
            .set(serde_json::from_str(&json).unwrap_or_default()),
        None => train.error.set(Some(
            "the browser's snapshot store (IndexedDB) is not available".into(),
        )),
    }
}

/// Snapshots kept in the browser: storing one more deletes the oldest (as TensorFlow's
/// `CheckpointManager(max_to_keep=…)` does), so a long run fills neither the browser's
/// storage nor the page's list.
pub const KEEP: usize = 10;

/// Stores a snapshot the worker sent, then deletes the oldest beyond [`KEEP`].
pub fn store(name: String, epoch: usize, bytes: ArrayBuffer, train: TrainState) {
    wasm_bindgen_futures::spawn_local(async move {
        if JsFuture::from(snapshot_put(&name, epoch as u32, &bytes))
            .await
            .is_err()
        {
            train.error.set(Some(format!(
                "could not store the snapshot of epoch {epoch} (is the browser's storage full?)"
            )));
        }
        refresh(train).await;
        let mut ids: Vec<u32> = train
            .snapshots
            .with_untracked(|s| s.iter().map(|s| s.id).collect());
        ids.sort_unstable();
        let excess = ids.len().saturating_sub(KEEP);
        for &id in &ids[..excess] {
            let _ = JsFuture::from(snapshot_delete(id)).await;
        }
        if excess > 0 {
            refresh(train).await;
        }
    });
}

fn restore(info: SnapshotInfo, train: TrainState) {
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(snapshot_get(info.id)).await {
            Ok(v) if v.is_instance_of::<ArrayBuffer>() => bridge::send(
                &Request::OpenModel { name: info.name },
                &[v.unchecked_into()],
            ),
            _ => train.error.set(Some(format!(
                "the snapshot {} could not be read",
                info.name
            ))),
        }
    });
}

fn delete(id: u32, train: TrainState) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = JsFuture::from(snapshot_delete(id)).await;
        refresh(train).await;
    });
}

#[component]
pub fn SnapshotPanel() -> impl IntoView {
    let train = expect_context::<TrainState>();
    wasm_bindgen_futures::spawn_local(refresh(train));
    let busy = move || train.mode.get() == RunMode::Running;
    view! {
        <section class="card" data-testid="snapshots">
            <h2>"Snapshots"</h2>
            <div class="controls">
                <label class="field" title="Save the model and the optimizer's state in this browser every N epochs, so a run survives a reload or a crash; the last 10 are kept">
                    "snapshot every N epochs (0 = off)"
                    <input type="number" min="0" data-testid="cfg-snapshot-every"
                        prop:value=move || train.snapshot_every.get()
                        on:change=move |e| train.snapshot_every.set(event_target_value(&e).parse().unwrap_or(0))/>
                </label>
            </div>
            {move || (!train.snapshots.with(|s| s.is_empty()) && train.mode.get() == RunMode::Idle).then(|| view! {
                <p class="notice" data-testid="resume-offer">"Snapshots of earlier runs are saved in this browser: restore one to continue where it stopped."</p>
            })}
            <table class="snapshot-list" data-testid="snapshot-list">
                // `busy` is read once for the whole list, not by a closure per row: a row is
                // rebuilt at every snapshot, and each reactive attribute rebuilt leaves its
                // subscription on `mode` (Leptos 0.8 does not unsubscribe a dropped
                // effect), so per-row closures held ~1 KB more of the page's heap per epoch.
                {move || { let busy = busy(); train.snapshots.get().into_iter().rev().map(|s| {
                    // Plain getters: toLocaleString's first call loads locale data for
                    // ~100 ms on the main thread.
                    let d = js_sys::Date::new(&JsValue::from_f64(s.created));
                    let when = format!("{}-{:02}-{:02} {:02}:{:02}", d.get_full_year(), d.get_month() + 1,
                        d.get_date(), d.get_hours(), d.get_minutes());
                    let (id, info) = (s.id, s.clone());
                    view! {
                        <tr data-testid=format!("snapshot-{}", s.id)>
                            <td>{s.name.clone()}</td>
                            <td>{format!("epoch {}", s.epoch)}</td>
                            <td class="muted">{when}</td>
                            <td class="muted">{format!("{:.0} KB", s.size as f64 / 1e3)}</td>
                            <td><button class="small" data-testid="snapshot-restore" disabled=busy
                                title="Open this snapshot; Resume then continues the run from here"
                                on:click=move |_| restore(info.clone(), train)>"Restore"</button></td>
                            <td><button class="small" data-testid="snapshot-delete"
                                on:click=move |_| delete(id, train)>"Delete"</button></td>
                        </tr>
                    }
                }).collect_view()}}
            </table>
        </section>
    }
}
