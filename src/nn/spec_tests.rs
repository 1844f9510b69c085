//! Property tests: shape inference counts exactly for any size a link or a file can declare
//! (shapes up to 2⁴⁰ elements, parameters far past 2³²), agreeing with `u128` arithmetic,
//! and refuses what one allocation cannot hold, never wrapping and never panicking.

use proptest::prelude::*;

use super::*;
use crate::size;

/// Dimensions whose product stays within 2⁴⁰: `n` sizes of at most 2^(40/n) each.
fn dims(n: usize) -> impl Strategy<Value = Vec<usize>> {
    let side = 1usize << (40 / n);
    prop::collection::vec(1..=side, n)
}

/// Mostly sizes a learner would type, sometimes ones only a hostile link would.
fn small_or_huge(small: usize, huge: usize) -> impl Strategy<Value = usize> {
    prop_oneof![4 => 1..=small, 1 => 1..=huge]
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![
        Just(Padding::Valid),
        Just(Padding::Same),
        (small_or_huge(4, 1 << 20), small_or_huge(4, 1 << 20))
            .prop_map(|(h, w)| Padding::Explicit(h, w)),
    ]
}

/// The output size of one axis in `u128`, or None where the window does not fit.
fn axis128(
    input: u128,
    k: u128,
    s: u128,
    d: u128,
    padding: Padding,
    explicit: u128,
) -> Option<u128> {
    let span = d * (k - 1) + 1;
    let total = match padding {
        Padding::Valid => 0,
        Padding::Explicit(..) => 2 * explicit,
        Padding::Same => {
            (input.div_ceil(s) - 1) * s + span - input.min((input.div_ceil(s) - 1) * s + span)
        }
    };
    (input + total >= span).then(|| (input + total - span) / s + 1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn dense_parameters_agree_with_u128(features in 1usize..=1 << 40, units in 1usize..=1 << 40) {
        let want = features as u128 * units as u128 + units as u128;
        match (LayerSpec::Dense { units, init: Init::default() }).infer(0, &[features]) {
            Ok(info) => {
                prop_assert_eq!(info.params as u128, want);
                let tail = format!("= {want}");
                prop_assert!(info.formula.ends_with(&tail));
            }
            Err(e) => prop_assert!(want > u64::MAX as u128, "refused {}: {}", want, e),
        }
    }

    #[test]
    fn flatten_counts_every_element(shape in dims(3)) {
        let info = LayerSpec::Flatten.infer(0, &shape).unwrap();
        let want: u128 = shape.iter().map(|&d| d as u128).product();
        prop_assert_eq!(info.output[0] as u128, want);
    }

    #[test]
    fn conv_shapes_and_parameters_agree_with_u128(
        input in dims(3),
        kernel in (small_or_huge(16, 1 << 12), small_or_huge(16, 1 << 12)),
        stride in (small_or_huge(4, 1 << 20), small_or_huge(4, 1 << 20)),
        dilation in (small_or_huge(4, 1 << 20), small_or_huge(4, 1 << 20)),
        filters in 1usize..=1 << 20,
        padding in padding(),
    ) {
        let spec = LayerSpec::Conv2d {
            filters,
            kernel: [kernel.0, kernel.1],
            stride: [stride.0, stride.1],
            padding,
            dilation: [dilation.0, dilation.1],
            init: Init::default(),
        };
        let (ph, pw) = match padding { Padding::Explicit(h, w) => (h, w), _ => (0, 0) };
        let out_h = axis128(input[0] as u128, kernel.0 as u128, stride.0 as u128, dilation.0 as u128, padding, ph as u128);
        let out_w = axis128(input[1] as u128, kernel.1 as u128, stride.1 as u128, dilation.1 as u128, padding, pw as u128);
        match (spec.infer(0, &input), out_h, out_w) {
            (Ok(info), Some(h), Some(w)) => {
                prop_assert_eq!(info.output.clone(), vec![h as usize, w as usize, filters]);
                let want = kernel.0 as u128 * kernel.1 as u128 * input[2] as u128 * filters as u128 + filters as u128;
                prop_assert_eq!(info.params as u128, want);
            }
            (Err(e), h, w) => prop_assert!(h.is_none() || w.is_none(), "refused a window that fits: {}", e),
            (Ok(info), _, _) => prop_assert!(false, "accepted a window that does not fit: {:?}", info),
        }
    }

    #[test]
    fn allocation_refuses_exactly_what_one_allocation_cannot_hold(elements in any::<u64>(), item in 1u64..=16) {
        let bytes = elements as u128 * item as u128;
        match size::alloc_len("t", elements, item) {
            Ok(n) => prop_assert!(n as u128 == elements as u128 && bytes <= isize::MAX as u128),
            Err(_) => prop_assert!(bytes > isize::MAX as u128),
        }
    }

    #[test]
    fn model_totals_agree_with_u128(widths in prop::collection::vec(1usize..=1 << 40, 1..5)) {
        let mut layers = vec![LayerSpec::Flatten];
        layers.extend(widths.iter().map(|&units| LayerSpec::Dense { units, init: Init::default() }));
        let spec = ModelSpec::new([28, 28, 1], layers);
        let mut fan_in = 784u128;
        let mut want = 0u128;
        for &w in &widths {
            want += fan_in * w as u128 + w as u128;
            fan_in = w as u128;
        }
        match spec.param_count() {
            Ok(n) => prop_assert_eq!(n as u128, want),
            Err(_) => prop_assert!(want > u64::MAX as u128),
        }
    }
}
