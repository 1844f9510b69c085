//! Golden values for the CPU's per-element and per-row kernels: activations, softmax,
//! losses, batch norm, randomness and the optimizers' updates (small cases worked by hand;
//! where a number comes from elsewhere the comment says where).

use crate::kernels::close;
use trainer::backend::cpu::{activation, batchnorm, elementwise, loss, optim, random};
use trainer::backend::Activation;
use trainer::random::{hash_uniform, Rng};

// ---------------------------------------------------------------- activations, softmax

#[test]
fn activations_golden() {
    let x = [-2.0, 0.0, 1.0];
    let mut y = [0.0; 3];
    activation::activation_forward(Activation::Relu, &x, &mut y);
    assert_eq!(y, [0.0, 0.0, 1.0]);
    activation::activation_forward(Activation::LeakyRelu { alpha: 0.1 }, &x, &mut y);
    assert_eq!(y, [-0.2, 0.0, 1.0]);
    activation::activation_forward(Activation::Sigmoid, &x, &mut y);
    // σ(−2) = 1/(1 + e²) = 0.11920292, σ(0) = 0.5, σ(1) = 0.73105858.
    close(&y, &[0.119_202_92, 0.5, 0.731_058_6], 1e-7);
    activation::activation_forward(Activation::Tanh, &x, &mut y);
    // tanh(−2) = −0.96402758, tanh(1) = 0.76159416.
    close(&y, &[-0.964_027_6, 0.0, 0.761_594_2], 1e-7);
    // ReLU's gradient at exactly 0 is 0.
    let mut dx = [0.0; 3];
    activation::activation_backward(Activation::Relu, &[0.0, 0.0, 1.0], &[5.0; 3], &mut dx);
    assert_eq!(dx, [0.0, 0.0, 5.0]);
}

#[test]
fn softmax_golden_and_shift_invariant() {
    // softmax(1, 2, 3) = (0.09003057, 0.24472847, 0.66524096).
    let mut y = [0.0; 3];
    activation::softmax_forward(&[1.0, 2.0, 3.0], 3, &mut y);
    close(&y, &[0.09003057, 0.24472847, 0.66524096], 1e-6);
    // Huge scores do not overflow: only differences matter.
    activation::softmax_forward(&[1001.0, 1002.0, 1003.0], 3, &mut y);
    close(&y, &[0.09003057, 0.24472847, 0.66524096], 1e-6);
}

// ---------------------------------------------------------------- losses

#[test]
fn cross_entropy_golden() {
    // Two equal logits: loss ln 2 = 0.6931472, gradient (0.5 − 1, 0.5 − 0) / N.
    let mut g = [0.0; 2];
    let l = loss::softmax_cross_entropy(&[0.0, 0.0], &[1.0, 0.0], 2, 0.0, &mut g);
    close(&[l], &[std::f32::consts::LN_2], 1e-7);
    assert_eq!(g, [-0.5, 0.5]);
    // Label smoothing 0.2 over 2 classes makes the target (0.9, 0.1): loss still ln 2.
    let l = loss::softmax_cross_entropy(&[0.0, 0.0], &[1.0, 0.0], 2, 0.2, &mut g);
    close(&[l], &[std::f32::consts::LN_2], 1e-7);
    close(&g, &[-0.4, 0.4], 1e-7);
    // A confident wrong answer costs its margin: logits (0, 50), target class 0 → ≈ 50.
    let l = loss::softmax_cross_entropy(&[0.0, 50.0], &[1.0, 0.0], 2, 0.0, &mut g);
    close(&[l], &[50.0], 1e-6);
}

#[test]
fn mse_and_hinge_golden() {
    let mut g = [0.0; 2];
    // ((1 − 0)² + (3 − 1)²)/2 = 2.5; gradient 2(y − t)/2 = (1, 2).
    let l = loss::mean_squared_error(&[1.0, 3.0], &[0.0, 1.0], &mut g);
    assert_eq!((l, g), (2.5, [1.0, 2.0]));
    // CS231n's example: scores (3.2, 5.1, −1.7), true class 0:
    // max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9.
    let mut g = [0.0; 3];
    let l = loss::hinge(&[3.2, 5.1, -1.7], &[1.0, 0.0, 0.0], 3, &mut g);
    close(&[l], &[2.9], 1e-6);
    assert_eq!(g, [-1.0, 1.0, 0.0]);
}

#[test]
fn accuracy_counts_top_scores() {
    let scores = [0.1, 0.9, 0.8, 0.2, 0.5, 0.5];
    let targets = [0.0, 1.0, 0.0, 1.0, 1.0, 0.0];
    // Row 1 right, row 2 wrong, row 3 a tie that goes to the first class: right.
    assert_eq!(loss::count_correct(&scores, &targets, 2), 2);
}

// ---------------------------------------------------------------- batch norm

#[test]
fn batch_norm_golden() {
    // One channel, x = 1..4: mean 2.5, biased variance 1.25.
    let x = [1.0, 2.0, 3.0, 4.0];
    let (mut mean, mut var) = ([0.0], [0.0]);
    batchnorm::channel_moments(&x, 1, &mut mean, &mut var);
    assert_eq!((mean, var), ([2.5], [1.25]));
    let mut y = [0.0; 4];
    batchnorm::batch_norm_apply(&x, &[2.0], &[1.0], &mean, &var, 0.0, &mut y);
    // γ·(x − 2.5)/√1.25 + β with γ = 2, β = 1.
    let s = 2.0 / 1.25f32.sqrt();
    close(
        &y,
        &[1.0 - 1.5 * s, 1.0 - 0.5 * s, 1.0 + 0.5 * s, 1.0 + 1.5 * s],
        1e-6,
    );
}

// ---------------------------------------------------------------- randomness

#[test]
fn pcg32_matches_the_reference_sequence() {
    // pcg32-demo (O'Neill's reference C code) with seed 42, sequence 54 prints
    // 0xa15c02b7 0x7b47f409 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e.
    let mut rng = Rng::new(42, 54);
    let got: Vec<u32> = (0..6).map(|_| rng.next_u32()).collect();
    assert_eq!(
        got,
        [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]
    );
}

#[test]
fn normal_samples_have_unit_variance() {
    let mut rng = Rng::new(1, 2);
    let xs: Vec<f64> = (0..200_000).map(|_| rng.normal() as f64).collect();
    let mean = xs.iter().sum::<f64>() / xs.len() as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / xs.len() as f64;
    assert!(
        mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
        "{mean} {var}"
    );
}

#[test]
fn dropout_keeps_the_expected_value_and_repeats_its_mask() {
    let x = vec![1.0f32; 100_000];
    let mut y = vec![0.0; x.len()];
    random::dropout_forward(&x, 0.3, 1234, &mut y);
    let kept = y.iter().filter(|&&v| v != 0.0).count() as f64 / x.len() as f64;
    assert!((kept - 0.7).abs() < 0.01, "kept {kept}");
    // Survivors are scaled by 1/(1 − rate), so the mean stays 1.
    let mean = y.iter().map(|&v| v as f64).sum::<f64>() / x.len() as f64;
    assert!((mean - 1.0).abs() < 0.02, "mean {mean}");
    assert!(y.iter().all(|&v| v == 0.0 || (v - 1.0 / 0.7).abs() < 1e-6));
    // Backward regenerates the same mask from the key.
    let mut dx = vec![0.0; x.len()];
    random::dropout_backward(&x, 0.3, 1234, &mut dx);
    assert_eq!(dx, y);
    // Another key, another mask.
    random::dropout_forward(&x, 0.3, 1235, &mut dx);
    assert_ne!(dx, y);
}

#[test]
fn hash_uniform_is_uniform() {
    let mut buckets = [0usize; 10];
    for i in 0..100_000 {
        buckets[(hash_uniform(77, i) * 10.0) as usize] += 1;
    }
    assert!(
        buckets.iter().all(|&b| (9_500..10_500).contains(&b)),
        "{buckets:?}"
    );
}

// ---------------------------------------------------------------- optimizers

/// Runs one step of an update kernel on p = 1, g = 0.5.
#[test]
fn optimizer_steps_golden() {
    let g = [0.5f32];
    let mut p = [1.0f32];
    optim::sgd_step(&mut p, &g, 0.1, 0.0);
    assert_eq!(p, [0.95]);

    // Momentum: v = 0.9·0 − 0.1·0.5 = −0.05, p = 0.95; again: v = −0.095, p = 0.855.
    let (mut p, mut v) = ([1.0f32], [0.0f32]);
    optim::momentum_step(&mut p, &g, &mut v, 0.1, 0.9, 0.0);
    optim::momentum_step(&mut p, &g, &mut v, 0.1, 0.9, 0.0);
    close(&p, &[0.855], 1e-6);

    // Nesterov: first step v' = −0.05, p += −0.9·0 + 1.9·(−0.05) = −0.095.
    let (mut p, mut v) = ([1.0f32], [0.0f32]);
    optim::nesterov_step(&mut p, &g, &mut v, 0.1, 0.9, 0.0);
    close(&p, &[0.905], 1e-6);

    // AdaGrad: h = 0.25, p −= 0.1·0.5/(0.5 + ε) ≈ 0.1.
    let (mut p, mut h) = ([1.0f32], [0.0f32]);
    optim::adagrad_step(&mut p, &g, &mut h, 0.1, 1e-7, 0.0);
    close(&p, &[0.9], 1e-6);

    // RMSProp: s = 0.1·0.25 = 0.025, p −= 0.01·0.5/√0.025 = 0.0316228.
    let (mut p, mut s) = ([1.0f32], [0.0f32]);
    optim::rmsprop_step(&mut p, &g, &mut s, 0.01, 0.9, 1e-7, 0.0);
    close(&p, &[1.0 - 0.0316228], 1e-6);

    // AdaDelta: E[g²] = 0.05·0.25 = 0.0125, Δ = −√(0 + 1e-6)/√(0.0125 + 1e-6)·0.5.
    let (mut p, mut eg, mut ex) = ([1.0f32], [0.0f32], [0.0f32]);
    optim::adadelta_step(&mut p, &g, &mut eg, &mut ex, 1.0, 0.95, 1e-6, 0.0);
    let delta = -(1e-6f64).sqrt() / (0.0125f64 + 1e-6).sqrt() * 0.5;
    close(&p, &[(1.0 + delta) as f32], 1e-6);

    // Adam's first step moves by ≈ lr·sign(g) (m̂ = g, v̂ = g²).
    let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
    let (b1, b2) = (0.9f32, 0.999f32);
    let (c1, c2) = (1.0 / (1.0 - b1), 1.0 / (1.0 - b2));
    optim::adam_step(
        &mut p, &g, &mut m, &mut v, 0.001, b1, b2, 1e-8, c1, c2, 0.0, 0.0,
    );
    close(&p, &[0.999], 1e-6);
    // AdamW also shrinks p by lr·decay·p first: 1 − 0.001·0.1 = 0.9999, then −0.001.
    let (mut p, mut m, mut v) = ([1.0f32], [0.0f32], [0.0f32]);
    optim::adam_step(
        &mut p, &g, &mut m, &mut v, 0.001, b1, b2, 1e-8, c1, c2, 0.1, 0.0,
    );
    close(&p, &[0.9989], 1e-6);
}

/// L1's proximal step: the weight moves lr·l1 (times the optimizer's per-weight scale) toward
/// zero after the update, and lands exactly on zero instead of crossing it.
#[test]
fn l1_proximal_step_gives_exact_zeros() {
    assert_eq!(optim::shrink(0.75, 0.25), 0.5);
    assert_eq!(optim::shrink(-0.75, 0.25), -0.5);
    assert_eq!(optim::shrink(0.05, 0.1), 0.0);
    assert_eq!(optim::shrink(-0.1, 0.1), 0.0);
    assert!(
        optim::shrink(f32::NAN, 0.1).is_nan(),
        "divergence must stay visible"
    );

    // Weight averaging keeps those zeros: y = 0.9·y + 0.1·x, but 0 where x is 0.
    let mut avg = [1.0f32, 1.0];
    elementwise::scale_add_keep_zeros(&mut avg, 0.9, 0.1, &[0.5, 0.0]);
    assert_eq!(avg, [0.95, 0.0]);

    // SGD on p = 1, g = 0.5, lr 0.1, l1 2: 1 − 0.05 = 0.95, then 0.2 toward zero: 0.75.
    let mut p = [1.0f32, 0.1, -0.1];
    optim::sgd_step(&mut p, &[0.5, 0.0, 0.0], 0.1, 2.0);
    assert_eq!(
        p[1..],
        [0.0, 0.0],
        "small weights land on zero, not across it"
    );
    close(&p[..1], &[0.75], 1e-6);

    // Adam's first step is ≈ lr per unit of g/√v̂, and so is its L1 threshold: with
    // |g| = 0.5 the threshold is lr·l1/0.5, so l1 = 0.5 moves a weight by another lr.
    let (b1, b2) = (0.9f32, 0.999f32);
    let (c1, c2) = (1.0 / (1.0 - b1), 1.0 / (1.0 - b2));
    let (mut p, mut m, mut v) = ([1.0f32, 0.0015], [0.0f32; 2], [0.0f32; 2]);
    optim::adam_step(
        &mut p,
        &[0.5, 0.5],
        &mut m,
        &mut v,
        0.001,
        b1,
        b2,
        1e-8,
        c1,
        c2,
        0.0,
        0.5,
    );
    close(&p[..1], &[0.998], 1e-6);
    assert_eq!(p[1], 0.0, "0.0015 − 0.001 is within the 0.001 threshold");
}
