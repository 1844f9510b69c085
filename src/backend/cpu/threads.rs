//! The CPU backend's threads: a team that runs the parts of one kernel at a time.
//!
//! A kernel splits its work into parts and calls [`for_each_part`]. Every part computes its
//! outputs exactly as one thread would, so results are bit-identical whatever the number of
//! threads; where parts are summed (a long GEMM's partial products, column sums), they are
//! fixed by the shape alone, never by the number of threads, and summed in part order.
//!
//! Each thread owns a contiguous block of the parts (thread t of T: parts `P·t/T ..
//! P·(t+1)/T`) and runs it first to last; a thread that is done takes the last unclaimed
//! part of another's block. So while no thread is held up, the thread that wrote a stretch
//! of a layer's output (rows of a convolution) is the one that reads it in the next kernel
//! (its activation, then its pooling), from its own cache.
//!
//! The caller works too. Helpers wait for work by spinning for a while (kernels follow
//! each other within microseconds while training) and then sleeping: natively on a condition
//! variable, in the browser with `memory.atomic.wait32` on the team's generation counter.
//! Natively helpers are OS threads started on demand; in the browser they are web workers
//! that the worker script starts and that enter [`helper_loop`] (see `worker/threads.rs`).
//! Without atomics (the wasm build for pages that are not cross-origin isolated) the team
//! is the caller alone.

use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering};

/// The most threads a team may have.
pub const MAX_THREADS: usize = 64;

/// How long a helper keeps checking for new work before it sleeps. Waking a sleeping thread
/// costs tens of microseconds, more than many kernels take, and a training step leaves gaps
/// of up to a millisecond between them; so helpers stay awake through a run's steps.
const SPIN_MS: f64 = 2.0;

type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// A value on a cache line of its own: the words one thread spins on are not the words the
/// others write (in wasm a spin has no `pause`, so a shared line would bounce constantly).
#[repr(align(64))]
struct Line<T>(T);

impl<T> std::ops::Deref for Line<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

struct Team {
    /// Thread t's block of the current job's parts: the job's generation (bits 48–63), the
    /// end of the block's unclaimed parts (24–47) and its next unclaimed part (0–23). The
    /// owner claims from the front, others from the back; a successful compare-and-swap
    /// claims a part of the job that is current, whoever reads the word late.
    blocks: [Line<AtomicU64>; MAX_THREADS],
    /// Bumped with every new job; helpers sleep on it.
    generation: Line<AtomicU32>,
    /// Points at the current job (a `&dyn Fn` on the caller's stack).
    job: AtomicPtr<()>,
    done: Line<AtomicUsize>,
    /// Threads that take part, the caller included.
    active: AtomicUsize,
    /// Helpers started (and so able to take part).
    helpers: AtomicUsize,
    panicked: AtomicBool,
    /// Held by the thread whose job the team runs; another caller (or a part that calls a
    /// kernel) runs its parts itself.
    busy: AtomicBool,
    /// Parts run by helpers since the start: tests check the team really shared the work.
    helper_parts: Line<AtomicU64>,
    /// Helpers asleep (or about to be): only then does a new job wake anyone.
    sleepers: AtomicUsize,
}

static TEAM: Team = Team {
    blocks: [const { Line(AtomicU64::new(0)) }; MAX_THREADS],
    generation: Line(AtomicU32::new(0)),
    job: AtomicPtr::new(std::ptr::null_mut()),
    done: Line(AtomicUsize::new(0)),
    active: AtomicUsize::new(1),
    helpers: AtomicUsize::new(0),
    panicked: AtomicBool::new(false),
    busy: AtomicBool::new(false),
    helper_parts: Line(AtomicU64::new(0)),
    sleepers: AtomicUsize::new(0),
};

/// Threads that run the CPU kernels, the calling one included.
pub fn threads() -> usize {
    TEAM.active.load(Ordering::Relaxed)
}

/// Helpers that are running (natively: started so far; in the browser: workers that entered
/// [`helper_loop`]).
pub fn helpers() -> usize {
    TEAM.helpers.load(Ordering::Acquire)
}

/// Parts of kernels that helper threads have run since the program started.
pub fn helper_parts() -> u64 {
    TEAM.helper_parts.load(Ordering::Relaxed)
}

/// Sets the number of threads, `1..=MAX_THREADS`; natively starts helpers as needed. In the
/// browser the number is capped by the helpers that have started. Returns the number set.
/// Call it between kernels, from the thread that runs them.
pub fn set_threads(n: usize) -> usize {
    let n = n.clamp(1, MAX_THREADS);
    #[cfg(not(target_arch = "wasm32"))]
    native::start_helpers(n - 1);
    let n = n.min(helpers() + 1);
    TEAM.active.store(n, Ordering::Relaxed);
    n
}

/// The machine's cores (natively) or 1 (wasm: the page asks `navigator.hardwareConcurrency`).
pub fn available() -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
    #[cfg(target_arch = "wasm32")]
    {
        1
    }
}

/// Runs `f(0) … f(parts − 1)`, each exactly once, over the team; returns when all are done.
/// The order in which parts run is unspecified, so parts must not depend on each other.
pub fn for_each_part(parts: usize, f: impl Fn(usize) + Sync) {
    if parts == 0 {
        return;
    }
    let threads = threads();
    if parts == 1
        || threads == 1
        || TEAM
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        (0..parts).for_each(f);
        return;
    }
    assert!(parts < PART_MASK as usize, "too many parts: {parts}");
    let job: &(dyn Fn(usize) + Sync) = &f;
    // The job is read through this pointer only while one of its parts is unfinished, and
    // this function returns only after every part has finished.
    TEAM.job
        .store(&job as *const Job as *mut (), Ordering::Relaxed);
    TEAM.done.store(0, Ordering::Relaxed);
    let generation = TEAM.generation.load(Ordering::Relaxed).wrapping_add(1);
    let tag = (generation as u64 & 0xffff) << 48;
    for (t, block) in TEAM.blocks[..threads].iter().enumerate() {
        let (start, end) = (parts * t / threads, parts * (t + 1) / threads);
        block.store(tag | (end as u64) << 24 | start as u64, Ordering::Relaxed);
    }
    // Publishes the job and its blocks to helpers, which read the generation first.
    TEAM.generation.store(generation, Ordering::SeqCst);
    // A helper counts itself asleep before it checks the generation a last time (both
    // sequentially consistent): it sees this job, or this sees it asleep and wakes it.
    if TEAM.sleepers.load(Ordering::SeqCst) > 0 {
        wake_helpers();
    }
    work(0, generation);
    while TEAM.done.load(Ordering::Acquire) < parts {
        std::hint::spin_loop();
    }
    let panicked = TEAM.panicked.swap(false, Ordering::Relaxed);
    TEAM.busy.store(false, Ordering::Release);
    if panicked {
        panic!("a CPU kernel's part panicked on a helper thread");
    }
}

const PART_MASK: u64 = (1 << 24) - 1;

/// Runs parts of job `generation` as thread `me` until none is left unclaimed: its own
/// block front to back, then the others' from their backs. Returns how many it ran.
fn work(me: usize, generation: u32) -> u64 {
    let threads = TEAM.active.load(Ordering::Relaxed);
    let mut ran = 0;
    for i in 0..threads {
        let block = &TEAM.blocks[(me + i) % threads];
        loop {
            let word = block.load(Ordering::Acquire);
            if (word >> 48) as u16 != generation as u16 {
                // A newer job: this one's parts have all finished (so this thread ran none:
                // the job could not finish before the count below).
                return ran;
            }
            let (end, next) = ((word >> 24) & PART_MASK, word & PART_MASK);
            if next >= end {
                break;
            }
            let (claimed, part) = if i == 0 {
                (word + 1, next)
            } else {
                (word - (1 << 24), end - 1)
            };
            if block
                .compare_exchange_weak(word, claimed, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
            {
                continue;
            }
            // The part is claimed, so the job stored is still this part's.
            // SAFETY: it points at the caller's `&dyn Fn`, alive until all parts are done.
            let job = unsafe { *(TEAM.job.load(Ordering::Relaxed) as *const Job) };
            run_part(job, part as usize);
            ran += 1;
        }
    }
    // Counted once, when the thread has found no part left to claim: a count per part
    // would move the counter's cache line between the cores at every part.
    if ran > 0 {
        TEAM.done.fetch_add(ran as usize, Ordering::Release);
    }
    ran
}

#[cfg(not(target_arch = "wasm32"))]
fn run_part(job: Job, part: usize) {
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(part))).is_err() {
        TEAM.panicked.store(true, Ordering::Relaxed);
    }
}

#[cfg(target_arch = "wasm32")]
fn run_part(job: Job, part: usize) {
    // A panic aborts the instance (panic = abort).
    job(part)
}

/// What a helper thread runs, forever: wait for a generation, take its parts if this
/// helper is among the active ones (`index` counts helpers from 1).
pub fn helper_loop(index: usize) -> ! {
    let mut seen = TEAM.generation.load(Ordering::Acquire);
    loop {
        let (mut spins, mut since) = (0u32, None);
        let generation = loop {
            let g = TEAM.generation.load(Ordering::Acquire);
            if g != seen {
                break g;
            }
            spins = spins.wrapping_add(1);
            std::hint::spin_loop();
            // The clock is read now and then: it costs more than a check.
            if spins % 1024 == 0 {
                let now = crate::clock::now_ms();
                if now - *since.get_or_insert(now) > SPIN_MS {
                    TEAM.sleepers.fetch_add(1, Ordering::SeqCst);
                    if TEAM.generation.load(Ordering::SeqCst) == seen {
                        sleep(seen);
                    }
                    TEAM.sleepers.fetch_sub(1, Ordering::SeqCst);
                    since = None;
                }
            }
        };
        seen = generation;
        if index < TEAM.active.load(Ordering::Relaxed) {
            let parts = work(index, generation);
            TEAM.helper_parts.fetch_add(parts, Ordering::Relaxed);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn wake_helpers() {
    native::wake();
}

#[cfg(not(target_arch = "wasm32"))]
fn sleep(seen: u32) {
    native::sleep(seen);
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn wake_helpers() {
    // SAFETY: the counter is a live, aligned u32 in the shared memory.
    unsafe {
        core::arch::wasm32::memory_atomic_notify(TEAM.generation.as_ptr() as *mut i32, u32::MAX);
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
fn sleep(seen: u32) {
    // SAFETY: as above; returns at once if the generation has already moved on.
    unsafe {
        core::arch::wasm32::memory_atomic_wait32(
            TEAM.generation.as_ptr() as *mut i32,
            seen as i32,
            -1,
        );
    }
}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
fn wake_helpers() {}

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
fn sleep(_seen: u32) {}

/// Marks one more helper as running; called by a browser helper before [`helper_loop`].
pub fn helper_started() -> usize {
    TEAM.helpers.fetch_add(1, Ordering::AcqRel) + 1
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::sync::{Condvar, Mutex};

    static SLEEP: Mutex<()> = Mutex::new(());
    static WAKE: Condvar = Condvar::new();
    static STARTING: Mutex<usize> = Mutex::new(0);

    pub fn start_helpers(wanted: usize) {
        let mut started = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        while *started < wanted {
            *started += 1;
            let index = *started;
            std::thread::Builder::new()
                .name(format!("cpu-helper-{index}"))
                .spawn(move || super::helper_loop(index))
                .expect("start a CPU helper thread");
            super::helper_started();
        }
    }

    pub fn wake() {
        // Taking the lock orders this wake-up after a helper's check-then-wait.
        drop(SLEEP.lock().unwrap_or_else(|e| e.into_inner()));
        WAKE.notify_all();
    }

    pub fn sleep(seen: u32) {
        let guard = SLEEP.lock().unwrap_or_else(|e| e.into_inner());
        if super::TEAM
            .generation
            .load(std::sync::atomic::Ordering::Acquire)
            == seen
        {
            drop(WAKE.wait(guard));
        }
    }
}

/// A raw pointer to disjoint parts of one slice, for parts that write their own range.
#[derive(Clone, Copy)]
pub struct SharedMut<T> {
    ptr: *mut T,
    len: usize,
}

// SAFETY: parts only touch disjoint ranges (the caller's promise in `range`).
unsafe impl<T: Send> Send for SharedMut<T> {}
unsafe impl<T: Send> Sync for SharedMut<T> {}

impl<T> SharedMut<T> {
    pub fn new(slice: &mut [T]) -> Self {
        SharedMut {
            ptr: slice.as_mut_ptr(),
            len: slice.len(),
        }
    }

    /// The same pointer, narrowed to the elements `start..end`.
    pub fn sub(self, start: usize, end: usize) -> Self {
        assert!(start <= end && end <= self.len, "part out of range");
        SharedMut {
            // SAFETY: in bounds, checked above.
            ptr: unsafe { self.ptr.add(start) },
            len: end - start,
        }
    }

    /// The elements `start..end`.
    ///
    /// # Safety
    /// No two live ranges taken from one `SharedMut` may overlap, and the slice it was made
    /// from must outlive them.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn range(&self, start: usize, end: usize) -> &mut [T] {
        assert!(start <= end && end <= self.len, "part out of range");
        std::slice::from_raw_parts_mut(self.ptr.add(start), end - start)
    }
}

/// Splits `out` into chunks of `chunk` elements (the last may be shorter) and runs
/// `f(index, chunk)` for each over the team.
pub fn for_each_chunk<T: Send>(out: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let chunk = chunk.max(1);
    let parts = out.len().div_ceil(chunk);
    let shared = SharedMut::new(out);
    for_each_part(parts, |p| {
        let start = p * chunk;
        // SAFETY: chunk p covers start..start+chunk, disjoint from every other chunk.
        let part = unsafe { shared.range(start, (start + chunk).min(shared.len)) };
        f(p, part)
    });
}

/// Fewest elements (or multiply-adds) a part of an element-wise kernel is given. Small: a
/// dense layer's 64 × 128 activations are 2 parts, so each thread reads the rows it wrote
/// in the product before; on one thread, a 32 KB read from the other core's cache costs
/// more than handing out a part.
const MIN_CHUNK: usize = 1 << 12;

/// Parts per thread, where the work allows: more than one, so that a thread the system
/// holds up for a while leaves its share to the others.
const PARTS_PER_THREAD: usize = 8;

/// Elements per part of an element-wise kernel over `len` elements: up to
/// [`PARTS_PER_THREAD`] parts per thread, none smaller than [`MIN_CHUNK`] (so one part for a
/// short run). Element-wise results do not depend on it.
pub fn chunk_len(len: usize) -> usize {
    len.div_ceil(balanced_parts(len / MIN_CHUNK, PARTS_PER_THREAD))
        .max(1)
}

/// How many parts to cut work into that can take at most `most` parts: up to `per_thread`
/// per thread, and a multiple of the threads where there are enough, so that no thread is
/// left to run one part more than the others (a 100 000-weight update in 7 parts keeps one
/// of 2 threads busy 4/7 of the time; in 6, each half of it).
pub fn balanced_parts(most: usize, per_thread: usize) -> usize {
    let threads = threads();
    if threads == 1 {
        // One thread runs the work whole: parts would only repeat its set-up (GEMM packs
        // all of B once per part of rows).
        return 1;
    }
    let parts = (threads * per_thread).min(most);
    if parts >= threads {
        parts / threads * threads
    } else {
        parts.max(1)
    }
}

/// Runs `f(units, part)` over `parts` parts of `out`, which holds `units` units of
/// `unit_len` elements each (the last may be shorter): part p gets the units
/// `units·p/parts .. units·(p+1)/parts`, so that no part has more than one unit more than
/// another, and every thread's block of parts is within a unit of the others'.
pub fn for_each_even_part<T: Send>(
    out: &mut [T],
    units: usize,
    unit_len: usize,
    parts: usize,
    f: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    if units == 0 {
        return;
    }
    let parts = parts.clamp(1, units);
    let shared = SharedMut::new(out);
    for_each_part(parts, |p| {
        let (u0, u1) = (units * p / parts, units * (p + 1) / parts);
        let end = |u: usize| (u * unit_len).min(shared.len);
        // SAFETY: parts cover disjoint, increasing ranges of units.
        let part = unsafe { shared.range(end(u0), end(u1)) };
        f(u0..u1, part)
    });
}

/// Runs `f(images, out_part)` over groups of the batch's images, where `out` holds
/// `out_per_image` values per image and `work_per_image` is about how many operations an
/// image costs. For kernels whose images are independent.
pub fn for_each_image_group<T: Send>(
    batch: usize,
    out: &mut [T],
    out_per_image: usize,
    work_per_image: usize,
    f: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
) {
    assert_eq!(
        out.len(),
        batch * out_per_image,
        "image groups: output size"
    );
    let min_images = MIN_CHUNK.div_ceil(work_per_image.max(1));
    let parts = balanced_parts(batch / min_images, PARTS_PER_THREAD);
    for_each_even_part(out, batch, out_per_image, parts, f);
}

/// Runs `f(offset, run)` over runs of `y` (of [`chunk_len`] elements, a multiple of
/// `multiple`), where `offset` is the run's first index: an element-wise kernel's parts.
pub fn for_each_run<T: Send>(y: &mut [T], multiple: usize, f: impl Fn(usize, &mut [T]) + Sync) {
    let multiple = multiple.max(1);
    let chunk = chunk_len(y.len()).div_ceil(multiple) * multiple;
    for_each_chunk(y, chunk, |p, run| f(p * chunk, run));
}
