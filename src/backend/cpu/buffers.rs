//! A pool of f32 buffers, so a training step reuses the memory of the last one instead of
//! asking the allocator for (and zeroing) megabytes per op. Tensors give their buffer back
//! when dropped; [`take`] hands out a recycled one whose contents are stale but ordinary
//! floats, for kernels that overwrite every element.

use std::cell::RefCell;

/// Buffers smaller than this are not worth pooling.
const MIN_POOLED: usize = 1024;
/// At most this many idle buffers, and this many floats in them (256 MB).
const MAX_BUFFERS: usize = 64;
const MAX_FLOATS: usize = 64 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<f32>>> = const { RefCell::new(Vec::new()) };
}

/// A buffer of exactly `len` floats with unspecified (but initialised) contents.
pub fn take(len: usize) -> Vec<f32> {
    if len >= MIN_POOLED {
        let recycled = POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            // Best fit among buffers no more than twice the size asked for.
            let best = pool
                .iter()
                .enumerate()
                .filter(|(_, b)| b.len() >= len && b.len() <= 2 * len)
                .min_by_key(|(_, b)| b.len())
                .map(|(i, _)| i);
            best.map(|i| pool.swap_remove(i))
        });
        if let Some(mut buffer) = recycled {
            buffer.truncate(len);
            return buffer;
        }
    }
    vec![0.0; len]
}

/// Returns a buffer to the pool (or frees it, if the pool is full).
pub fn give(buffer: Vec<f32>) {
    if buffer.len() < MIN_POOLED {
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let held: usize = pool.iter().map(|b| b.len()).sum();
        if pool.len() < MAX_BUFFERS && held + buffer.len() <= MAX_FLOATS {
            pool.push(buffer);
        }
    });
}
