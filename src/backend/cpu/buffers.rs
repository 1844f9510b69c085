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
            best.map(|i| pool.remove(i))
        });
        if let Some(mut buffer) = recycled {
            buffer.truncate(len);
            return buffer;
        }
    }
    vec![0.0; len]
}

/// Returns a buffer to the pool. A full pool frees the buffer given back longest ago to make
/// room, so the sizes a training step asks for keep being served even after the pool has
/// filled with some other size; a buffer larger than the whole pool is freed.
pub fn give(buffer: Vec<f32>) {
    if buffer.len() < MIN_POOLED {
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        if buffer.len() > MAX_FLOATS {
            return;
        }
        let mut held: usize = pool.iter().map(|b| b.len()).sum();
        while pool.len() >= MAX_BUFFERS || held + buffer.len() > MAX_FLOATS {
            held -= pool.remove(0).len();
        }
        pool.push(buffer);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_pool_still_recycles_the_sizes_given_back_last() {
        for _ in 0..MAX_BUFFERS {
            give(vec![0.0; 4000]);
        }
        give(vec![1.0; 1500]);
        // A recycled buffer keeps its old contents; a new one would be zeros.
        assert_eq!(take(1500)[0], 1.0, "the newest buffer was dropped");
        assert!(POOL.with(|p| p.borrow().len()) <= MAX_BUFFERS);
    }

    #[test]
    fn a_buffer_is_served_once_and_best_fitting() {
        give(vec![2.0; 3000]);
        give(vec![3.0; 2100]);
        let b = take(2000);
        assert_eq!((b.len(), b[0]), (2000, 3.0));
        let c = take(2000);
        assert_eq!((c.len(), c[0]), (2000, 2.0));
        assert_eq!(take(2000), vec![0.0; 2000]);
    }
}
