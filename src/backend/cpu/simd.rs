//! A 4-lane f32 vector with one implementation per platform: wasm `simd128`, x86-64 SSE
//! (always present on x86-64), and plain arrays elsewhere.
//!
//! Only separate multiply and add are offered, never a fused multiply-add: wasm's simd128
//! has none, and using one natively would make native and wasm results differ in the last
//! bit. With the same operations in the same order, a training run gives bit-identical
//! numbers natively and in the browser. (For the same reason exp, ln and tanh come from the
//! pure-Rust `libm` everywhere, while `sqrt`, exactly rounded by IEEE 754 on every platform,
//! is the hardware instruction.)

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(v128);

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x4(f32x4_add(self.0, o.0))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x4(f32x4_mul(self.0, o.0))
        }
    }

    impl F32x4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            F32x4(f32x4_splat(x))
        }
        /// Loads 4 floats from `s[0..4]`.
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            assert!(s.len() >= 4);
            // SAFETY: the assert above guarantees 16 readable bytes; v128_load is unaligned.
            F32x4(unsafe { v128_load(s.as_ptr() as *const v128) })
        }
        /// Stores the 4 lanes into `d[0..4]`.
        #[inline(always)]
        pub fn store(self, d: &mut [f32]) {
            assert!(d.len() >= 4);
            // SAFETY: the assert above guarantees 16 writable bytes.
            unsafe { v128_store(d.as_mut_ptr() as *mut v128, self.0) }
        }
        /// Loads 4 floats from `p`.
        ///
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load_ptr(p: *const f32) -> Self {
            F32x4(v128_load(p as *const v128))
        }

        /// Lane-wise maximum, with `self` kept on ties.
        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(v128_bitselect(o.0, self.0, f32x4_gt(o.0, self.0)))
        }
        /// Lane mask of `o > self`, as all-ones or all-zeros lanes.
        #[inline(always)]
        pub fn lt_mask(self, o: Self) -> Self {
            F32x4(f32x4_gt(o.0, self.0))
        }
        /// Lane mask of `self == o`.
        #[inline(always)]
        pub fn eq_mask(self, o: Self) -> Self {
            F32x4(f32x4_eq(self.0, o.0))
        }
        /// Bits of `self` where `mask` is clear.
        #[inline(always)]
        pub fn and_not(self, mask: Self) -> Self {
            F32x4(v128_andnot(self.0, mask.0))
        }
        /// Bitwise or.
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            F32x4(v128_or(self.0, o.0))
        }
        /// Lanes of `b` where `mask` is set, else lanes of `self`.
        #[inline(always)]
        pub fn select(self, b: Self, mask: Self) -> Self {
            F32x4(v128_bitselect(b.0, self.0, mask.0))
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct F32x4(__m128);

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_add_ps(self.0, o.0) })
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_mul_ps(self.0, o.0) })
        }
    }

    // SSE and SSE2 are part of the x86-64 baseline, so these intrinsics are always available.
    impl F32x4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_set1_ps(x) })
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            assert!(s.len() >= 4);
            // SAFETY: 16 readable bytes checked above; loadu is unaligned.
            F32x4(unsafe { _mm_loadu_ps(s.as_ptr()) })
        }
        #[inline(always)]
        pub fn store(self, d: &mut [f32]) {
            assert!(d.len() >= 4);
            // SAFETY: 16 writable bytes checked above.
            unsafe { _mm_storeu_ps(d.as_mut_ptr(), self.0) }
        }
        /// Loads 4 floats from `p`.
        ///
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load_ptr(p: *const f32) -> Self {
            F32x4(_mm_loadu_ps(p))
        }

        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            self.select(o, self.lt_mask(o))
        }
        #[inline(always)]
        pub fn lt_mask(self, o: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_cmplt_ps(self.0, o.0) })
        }
        #[inline(always)]
        pub fn eq_mask(self, o: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_cmpeq_ps(self.0, o.0) })
        }
        #[inline(always)]
        pub fn and_not(self, mask: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_andnot_ps(mask.0, self.0) })
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_or_ps(self.0, o.0) })
        }
        #[inline(always)]
        pub fn select(self, b: Self, mask: Self) -> Self {
            // SAFETY: SSE is baseline on x86-64.
            F32x4(unsafe { _mm_or_ps(_mm_and_ps(mask.0, b.0), _mm_andnot_ps(mask.0, self.0)) })
        }
    }
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
mod imp {
    /// Portable fallback with the same semantics, lane by lane.
    #[derive(Clone, Copy)]
    pub struct F32x4([f32; 4]);

    impl core::ops::Add for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn add(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] + o.0[i]))
        }
    }

    impl core::ops::Mul for F32x4 {
        type Output = Self;
        #[inline(always)]
        fn mul(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| self.0[i] * o.0[i]))
        }
    }

    impl F32x4 {
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            F32x4([x; 4])
        }
        #[inline(always)]
        pub fn load(s: &[f32]) -> Self {
            F32x4([s[0], s[1], s[2], s[3]])
        }
        #[inline(always)]
        pub fn store(self, d: &mut [f32]) {
            d[..4].copy_from_slice(&self.0);
        }
        /// Loads 4 floats from `p`.
        ///
        /// # Safety
        /// `p..p+4` must be readable.
        #[inline(always)]
        pub unsafe fn load_ptr(p: *const f32) -> Self {
            F32x4([*p, *p.add(1), *p.add(2), *p.add(3)])
        }

        #[inline(always)]
        pub fn max(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                if o.0[i] > self.0[i] {
                    o.0[i]
                } else {
                    self.0[i]
                }
            }))
        }
        #[inline(always)]
        pub fn lt_mask(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                f32::from_bits(if o.0[i] > self.0[i] { u32::MAX } else { 0 })
            }))
        }
        #[inline(always)]
        pub fn eq_mask(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                f32::from_bits(if o.0[i] == self.0[i] { u32::MAX } else { 0 })
            }))
        }
        #[inline(always)]
        pub fn and_not(self, mask: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                f32::from_bits(self.0[i].to_bits() & !mask.0[i].to_bits())
            }))
        }
        #[inline(always)]
        pub fn or(self, o: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                f32::from_bits(self.0[i].to_bits() | o.0[i].to_bits())
            }))
        }
        #[inline(always)]
        pub fn select(self, b: Self, mask: Self) -> Self {
            F32x4(std::array::from_fn(|i| {
                if mask.0[i].to_bits() != 0 {
                    b.0[i]
                } else {
                    self.0[i]
                }
            }))
        }
    }
}

pub use imp::F32x4;

/// Lanes per vector.
pub const LANES: usize = 4;
