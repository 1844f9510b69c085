//! Fitting the row of blocks to the picture's width: a deep network is zoomed out (CSS
//! `zoom`, text and drawings alike) until it is seen whole, down to
//! [`MIN_ZOOM`](crate::ui::network::MIN_ZOOM); past that the row scrolls sideways.

use leptos::html;
use leptos::leptos_dom::helpers::request_animation_frame;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::ResizeObserver;

use crate::ui::network::{zoom_to_fit, MIN_ZOOM};

/// Keeps `row` fitted to `area`: measured again whenever either changes size (a block
/// added, maps drawn, the window or the inspector beside the picture resized). Sets `zoom`
/// to the zoom chosen.
pub fn keep_fitted(area: NodeRef<html::Div>, row: NodeRef<html::Div>, zoom: RwSignal<f64>) {
    Effect::new(move || {
        let (Some(a), Some(r)) = (area.get(), row.get()) else {
            return;
        };
        let refit = Closure::<dyn FnMut()>::new(move || fit_later(area, row, zoom));
        let Ok(observer) = ResizeObserver::new(refit.as_ref().unchecked_ref()) else {
            return;
        };
        // Observing reports each element's size once at the start: the first fit.
        observer.observe(&a);
        observer.observe(&r);
        let held = SendWrapper::new((observer, refit));
        on_cleanup(move || held.take().0.disconnect());
    });
}

/// Measures the row at its natural width and zooms it to fit its area, in the next frame
/// (not in the observer's callback, whose size changes would be reported as a loop).
fn fit_later(area: NodeRef<html::Div>, row: NodeRef<html::Div>, zoom: RwSignal<f64>) {
    request_animation_frame(move || {
        let (Some(area), Some(row)) = (area.get_untracked(), row.get_untracked()) else {
            return;
        };
        // Natural width first: at zoom 1 the row (width: max-content) is as wide as its
        // blocks. Reading it lays the page out once, synchronously.
        let _ = row.set_attribute("style", "zoom:1");
        let available = f64::from(area.client_width());
        let mut z = zoom_to_fit(row.get_bounding_client_rect().width(), available);
        // Text rounds to whole pixels and may wrap otherwise once zoomed, so the zoomed row
        // can come out a few pixels wider than the ratio says: measure again and correct.
        for _ in 0..6 {
            let _ = row.set_attribute("style", &format!("zoom:{z:.4}"));
            let width = row.get_bounding_client_rect().width();
            if z == 1.0 || z == MIN_ZOOM || width <= available {
                break;
            }
            z = (z * (available - 1.0) / width).max(MIN_ZOOM);
        }
        if zoom.get_untracked() != z {
            zoom.set(z);
        }
    });
}
