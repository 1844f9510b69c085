//! Randomness, all derived from one seed so runs are reproducible natively and in wasm.
//!
//! - [`Rng`] is PCG32 (O'Neill, "PCG: a family of simple fast space-efficient statistically
//!   good algorithms", 2014), a sequential generator for initialisation, shuffling and
//!   augmentation.
//! - [`hash_uniform`] is a *counter-based* generator: the n-th number of a stream is a hash of
//!   (key, n), so a kernel can draw element i's dropout decision without any state, the same
//!   on the CPU and in a WGSL shader (it uses only 32-bit integer operations).

/// The PCG32 generator (XSH-RR output, 64-bit state).
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    inc: u64,
}

const PCG_MULT: u64 = 6364136223846793005;

impl Rng {
    /// A generator for `seed`; different `stream`s from one seed are independent.
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng {
            state: 0,
            inc: (stream << 1) | 1,
        };
        rng.next_u32();
        rng.state = rng.state.wrapping_add(seed);
        rng.next_u32();
        rng
    }

    pub fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// Uniform in [0, 1), with 24 random bits (every value exactly representable).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in 0..n (n > 0), without modulo bias (Lemire's method).
    pub fn below(&mut self, n: u32) -> u32 {
        let mut m = self.next_u32() as u64 * n as u64;
        if (m as u32) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u32) < threshold {
                m = self.next_u32() as u64 * n as u64;
            }
        }
        (m >> 32) as u32
    }

    /// Standard normal, by the Box–Muller transform.
    pub fn normal(&mut self) -> f32 {
        let u1 = 1.0 - self.uniform(); // (0, 1]: the log is finite
        let u2 = self.uniform();
        box_muller(u1, u2)
    }

    /// Shuffles in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u32 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// `sqrt(-2 ln u1) · cos(2π u2)`: a standard normal from two uniforms, u1 in (0, 1].
pub fn box_muller(u1: f32, u2: f32) -> f32 {
    (-2.0 * libm::logf(u1)).sqrt() * libm::cosf(std::f32::consts::TAU * u2)
}

/// A 32-bit integer hash with good avalanche ("lowbias32", C. Wellons, 2018).
pub fn hash32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

/// Mixes a 64-bit seed and a purpose into one 32-bit stream key.
pub fn derive_key(seed: u64, purpose: u32) -> u32 {
    hash32(hash32(seed as u32 ^ purpose.wrapping_mul(0x9e37_79b9)) ^ (seed >> 32) as u32)
}

/// The `index`-th uniform number in [0, 1) of the stream `key` (stateless).
pub fn hash_uniform(key: u32, index: u32) -> f32 {
    let h = hash32(index.wrapping_mul(0x9e37_79b9).wrapping_add(key) ^ hash32(key));
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// The `index`-th standard normal of the stream `key` (stateless, two uniforms per value).
pub fn hash_normal(key: u32, index: u32) -> f32 {
    let u1 = 1.0 - hash_uniform(key, index.wrapping_mul(2));
    let u2 = hash_uniform(key, index.wrapping_mul(2).wrapping_add(1));
    box_muller(u1, u2)
}
