//! The CPU kernels over several threads: parts are fixed by the shapes, so a run gives the
//! same bits whatever the number of threads.

use crate::common;

use pollster::block_on;

use trainer::backend::cpu::threads;
use trainer::nn::presets::Preset;
use trainer::train::{TrainConfig, Trainer};

/// The number of threads is the process's: these tests take turns (others in this binary run
/// on whatever is set, which changes no result).
static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

/// The default CNN after `steps` batches of 32 on real MNIST, trained on `n` threads: its
/// weights as bits, and how many kernel parts helper threads ran meanwhile.
fn train_on(n: usize, steps: usize) -> (Vec<Vec<u32>>, u64) {
    let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 1, 7);
    config.batch_size = 32;
    config.split.train_subset = Some(32 * steps);
    config.split.validation = 500;
    let mut trainer = Trainer::new(config, common::mnist()).unwrap();
    assert_eq!(threads::set_threads(n), n, "{n} threads");
    let before = threads::helper_parts();
    for _ in 0..steps {
        block_on(trainer.step()).unwrap();
    }
    let helped = threads::helper_parts() - before;
    threads::set_threads(1);
    let weights = block_on(trainer.host_weights())
        .unwrap()
        .iter()
        .map(|w| w.to_vec().iter().map(|v| v.to_bits()).collect())
        .collect();
    (weights, helped)
}

#[test]
fn the_default_cnn_trains_to_the_same_bits_on_1_2_and_3_threads() {
    let _turn = turn();
    let (one, _) = train_on(1, 300);
    for n in [2, 3] {
        let (many, helped) = train_on(n, 300);
        assert!(helped > 0, "with {n} threads the helpers ran no part");
        assert!(one == many, "{n} threads gave other weights than 1");
    }
}

/// Every way GEMM shares out a product (rows, columns, parts of k) on odd shapes, plain,
/// accumulating and with a bias: the same bits with 1, 2 and 3 threads, and the bias added
/// in the product's last pass gives the bits of the product followed by the bias add.
#[test]
fn gemm_gives_the_same_bits_on_any_number_of_threads() {
    let _turn = turn();
    use trainer::backend::cpu::elementwise::add_row_vector;
    use trainer::backend::cpu::gemm::{gemm, gemm_bias, gemm_simd, MatRef};
    use trainer::random::Rng;
    let mut rng = Rng::new(5, 5);
    // (m, k, n): rows split (also over several blocks of k and of columns, the last ones
    // partial); few rows but only 2 panels (a dense layer's 10 outputs), split by rows too;
    // columns split (under 64 rows); k split in column strips (few rows, k of 512 or more:
    // a dense layer's forward); k split (a weight gradient); tiny.
    for (m, k, n) in [
        (301, 67, 45),
        (130, 600, 1030),
        (784, 64, 128),
        (64, 128, 10),
        (128, 64, 10),
        (40, 300, 128),
        (64, 300, 128),
        (64, 784, 128),
        (13, 777, 70),
        (25, 9001, 8),
        (3, 5, 2),
        (40, 3, 1),
    ] {
        let a: Vec<f32> = (0..m * k).map(|_| rng.range(-1.0, 1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.range(-1.0, 1.0)).collect();
        let bias: Vec<f32> = (0..n).map(|_| rng.range(-1.0, 1.0)).collect();
        let start: Vec<f32> = (0..m * n).map(|_| rng.range(-1.0, 1.0)).collect();
        #[derive(Debug, Clone, Copy)]
        enum Mode {
            Plain,
            Accumulate,
            Bias,
        }
        let run = |threads_n: usize, mode: Mode| {
            threads::set_threads(threads_n);
            let mut c = start.clone();
            let (a, b) = (MatRef::new(&a, m, k), MatRef::new(&b, k, n));
            match mode {
                Mode::Plain => gemm_simd(a.into(), b, &mut c, false),
                Mode::Accumulate => gemm_simd(a.into(), b, &mut c, true),
                Mode::Bias => gemm_bias(a.into(), b, &bias, &mut c),
            }
            threads::set_threads(1);
            c.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        };
        for mode in [Mode::Plain, Mode::Accumulate, Mode::Bias] {
            let one = run(1, mode);
            for t in [2, 3] {
                assert!(
                    run(t, mode) == one,
                    "{m}×{k}×{n}, {mode:?}: {t} threads differ"
                );
            }
        }
        let mut separate = start.clone();
        gemm(
            MatRef::new(&a, m, k),
            MatRef::new(&b, k, n),
            &mut separate,
            false,
        );
        add_row_vector(&mut separate[..m * n], &bias);
        let separate: Vec<u32> = separate.iter().map(|v| v.to_bits()).collect();
        assert!(
            run(2, Mode::Bias) == separate,
            "{m}×{k}×{n}: the fused bias differs from the product then the bias"
        );
    }
}

/// Softmax cross-entropy shares its rows out over the threads and sums their terms in row
/// order: the same loss and gradient bits with 1, 2 and 3 threads.
#[test]
fn softmax_cross_entropy_gives_the_same_bits_on_any_number_of_threads() {
    let _turn = turn();
    use trainer::backend::cpu::loss::softmax_cross_entropy;
    use trainer::random::Rng;
    let mut rng = Rng::new(3, 3);
    let (rows, classes) = (203, 10);
    let logits: Vec<f32> = (0..rows * classes).map(|_| rng.range(-8.0, 8.0)).collect();
    let targets: Vec<f32> = (0..rows * classes)
        .map(|i| f32::from(i % classes == (i / classes * 7) % classes))
        .collect();
    let run = |n: usize| {
        threads::set_threads(n);
        let mut grad = vec![0.0; rows * classes];
        let loss = softmax_cross_entropy(&logits, &targets, classes, 0.1, &mut grad);
        threads::set_threads(1);
        let mut bits: Vec<u32> = grad.iter().map(|g| g.to_bits()).collect();
        bits.push(loss.to_bits());
        bits
    };
    let one = run(1);
    for n in [2, 3] {
        assert!(run(n) == one, "{n} threads differ");
    }
}

/// An update of weights that another tensor shares (the trainer keeps the last good ones):
/// each part copies its range as it goes. The sharer keeps the old values; the weights get
/// the bits of an update of an unshared copy, on 1, 2 and 3 threads.
#[test]
fn an_update_of_shared_weights_leaves_the_sharer_as_it_was() {
    let _turn = turn();
    use trainer::backend::ops::{self, UpdateRule};
    use trainer::random::Rng;
    use trainer::tensor::Tensor;
    let mut rng = Rng::new(9, 9);
    let len = 100_003;
    let mut values = || (0..len).map(|_| rng.range(-1.0, 1.0)).collect::<Vec<f32>>();
    let (start, g) = (values(), Tensor::from_vec([len], values()).unwrap());
    let adam = UpdateRule::Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-7,
        c1: 0.1,
        c2: 0.001,
        decay: 0.0,
    };
    let step = |p: &mut Tensor| {
        let mut state = vec![Tensor::zeros([len]), Tensor::zeros([len])];
        ops::optimizer_step(adam, p, &g, &mut state, 0.01, 0.0).unwrap();
        p.to_vec()
    };
    let alone = step(&mut Tensor::from_vec([len], start.clone()).unwrap());
    assert!(alone != start, "the step changed nothing");
    for n in [1, 2, 3] {
        threads::set_threads(n);
        let mut p = Tensor::from_vec([len], start.clone()).unwrap();
        let kept = p.clone();
        let updated = step(&mut p);
        threads::set_threads(1);
        assert!(kept.to_vec() == start, "{n} threads: the sharer changed");
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(bits(&updated) == bits(&alone), "{n} threads: other bits");
    }
}

/// Even parts (rows of a product, a batch's images): every unit once, in parts that differ
/// by at most one unit, each given the units its slice holds, on 1, 2 and 3 threads.
#[test]
fn even_parts_cover_every_unit_once_and_differ_by_at_most_one() {
    let _turn = turn();
    // (units, unit length, parts, elements): a batch of 64 images in 10 parts; a product's
    // 196 micro-tiles of 4 rows in 12 (the last tile short: 783 rows); more parts than units.
    for (units, unit_len, parts, len) in [
        (64, 784, 10, 64 * 784),
        (196, 4 * 3, 12, 783 * 3),
        (3, 2, 8, 6),
    ] {
        for n in [1, 2, 3] {
            threads::set_threads(n);
            let mut out = vec![0u32; len];
            let sizes = std::sync::Mutex::new(Vec::new());
            threads::for_each_even_part(&mut out, units, unit_len, parts, |range, part| {
                assert_eq!(
                    part.len(),
                    (range.end * unit_len).min(len) - range.start * unit_len
                );
                for (i, v) in part.iter_mut().enumerate() {
                    *v += (range.start * unit_len + i) as u32 + 1;
                }
                sizes.lock().unwrap().push(range.len());
            });
            threads::set_threads(1);
            let expected: Vec<u32> = (1..=len as u32).collect();
            assert!(
                out == expected,
                "{units} units, {n} threads: every element once"
            );
            let sizes = sizes.into_inner().unwrap();
            assert_eq!(sizes.len(), parts.min(units));
            assert_eq!(sizes.iter().sum::<usize>(), units);
            let (least, most) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(most - least <= 1, "{units} units in {parts}: {sizes:?}");
        }
    }
}
