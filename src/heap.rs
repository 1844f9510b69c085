//! The bytes a wasm instance holds on its heap right now (allocated and not yet freed),
//! counted by a thin wrapper around the system allocator.
//!
//! Wasm linear memory only grows: its size is the allocator's high-water mark, and it can
//! step up once when a large, short-lived allocation finds no free block big enough (the
//! page's did, by 320 KB, at a different moment in each soak run). A leak is memory still
//! held, so the soak (`scripts/soak.mjs`) judges each part by this count and the tab as a
//! whole by its total, and prints the linear memory too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The system allocator, counting the bytes it has handed out and not got back.
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call goes to `System` unchanged; only the counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_add(new_size, Relaxed);
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        p
    }
}

/// Counted in the browser's two instances (the page and the worker); natively the count
/// stays 0.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heap bytes allocated and not yet freed.
pub fn live_bytes() -> usize {
    LIVE.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_what_is_held_through_alloc_realloc_and_free() {
        let before = live_bytes();
        let layout = Layout::from_size_align(1000, 8).unwrap();
        unsafe {
            let p = Counting.alloc(layout);
            assert_eq!(live_bytes() - before, 1000);
            let q = Counting.realloc(p, layout, 3000);
            assert_eq!(live_bytes() - before, 3000);
            Counting.dealloc(q, Layout::from_size_align(3000, 8).unwrap());
            let z = Counting.alloc_zeroed(layout);
            assert_eq!(live_bytes() - before, 1000);
            Counting.dealloc(z, layout);
        }
        assert_eq!(live_bytes(), before);
    }
}
