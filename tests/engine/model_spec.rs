//! Model specifications: shape inference with its formulas, impossible architectures
//! rejected with the layer and the numbers, JSON round trips, presets, initialisers.

use trainer::backend::geometry::Padding;
use trainer::nn::presets::Preset;
use trainer::nn::{Init, LayerSpec, ModelSpec, Penalties, Sequential};
use trainer::random::Rng;
use trainer::Error;

fn conv(filters: usize, k: usize, padding: Padding) -> LayerSpec {
    LayerSpec::Conv2d {
        filters,
        kernel: [k, k],
        stride: [1, 1],
        padding,
        dilation: [1, 1],
        init: Init::HeNormal,
    }
}

#[test]
fn default_cnn_shapes_parameters_and_formulas() {
    let infos = Preset::DefaultCnn.spec().infer().unwrap();
    let shapes: Vec<Vec<usize>> = infos.iter().map(|i| i.output.clone()).collect();
    assert_eq!(
        shapes,
        vec![
            vec![24, 24, 8],
            vec![24, 24, 8],
            vec![12, 12, 8],
            vec![8, 8, 16],
            vec![8, 8, 16],
            vec![4, 4, 16],
            vec![256],
            vec![10],
            vec![10],
        ]
    );
    // 5·5·1·8 + 8, 5·5·8·16 + 16, 256·10 + 10.
    let params: Vec<u64> = infos.iter().map(|i| i.params).collect();
    assert_eq!(params, vec![208, 0, 0, 3216, 0, 0, 0, 2570, 0]);
    assert_eq!(Preset::DefaultCnn.spec().param_count().unwrap(), 5994);
    assert_eq!(
        infos[0].formula,
        "out = (W − F + P)/S + 1 = (28 − 5 + 0)/1 + 1 = 24; \
         params = F·F·C_in·C_out + C_out = 5·5·1·8 + 8 = 208"
    );
    assert_eq!(
        infos[2].formula,
        "out = (W − F)/S + 1 = (24 − 2)/2 + 1 = 12; no parameters"
    );
    assert_eq!(infos[6].formula, "4·4·16 = 256 features");
    assert_eq!(infos[7].formula, "256 → 10; params = 256·10 + 10 = 2570");
}

#[test]
fn a_dense_layer_on_the_same_input_needs_far_more_parameters() {
    // Parameter sharing: a conv 5×5×8 on 28×28 has 208 weights; a dense layer producing as
    // many outputs (24·24·8) from the 784 pixels would have 784·4608 + 4608.
    let conv_params = Preset::DefaultCnn.spec().infer().unwrap()[0].params;
    let dense = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            LayerSpec::Flatten,
            LayerSpec::Dense {
                units: 24 * 24 * 8,
                init: Init::HeNormal,
            },
        ],
    );
    assert_eq!(conv_params, 208);
    assert_eq!(dense.param_count().unwrap(), 784 * 4608 + 4608);
}

#[test]
fn same_padding_and_dilation_in_the_formula() {
    let spec = ModelSpec::new(
        vec![28, 28, 1],
        vec![
            conv(6, 5, Padding::Same),
            LayerSpec::Conv2d {
                filters: 4,
                kernel: [3, 3],
                stride: [2, 2],
                padding: Padding::Valid,
                dilation: [2, 2],
                init: Init::HeNormal,
            },
        ],
    );
    let infos = spec.infer().unwrap();
    assert_eq!(infos[0].output, vec![28, 28, 6]);
    assert!(infos[0]
        .formula
        .starts_with("out = (W − F + P)/S + 1 = (28 − 5 + 4)/1 + 1 = 28"));
    // A 3×3 filter at dilation 2 spans 5: (28 − 5)/2 + 1 = 12.
    assert_eq!(infos[1].output, vec![12, 12, 4]);
    assert!(infos[1].formula.contains("(28 − 5 + 0)/2 + 1 = 12"));
}

#[test]
fn an_impossible_convolution_names_the_layer_and_the_numbers() {
    // 8×8 → conv 5 → 4×4 → pool 2 → 2×2: a second 5×5 convolution cannot fit.
    let spec = ModelSpec::new(
        vec![8, 8, 1],
        vec![
            conv(8, 5, Padding::Valid),
            LayerSpec::MaxPool2d {
                window: [2, 2],
                stride: [2, 2],
            },
            conv(16, 5, Padding::Valid),
        ],
    );
    let err = spec.infer().unwrap_err();
    assert_eq!(
        err,
        Error::Architecture {
            index: 2,
            layer: "Conv2D 5×5, 16 filters".into(),
            detail: "2×2×8 input: output height (2 − 5 + 0) / 1 + 1 ≤ 0: \
                     the input is smaller than the window"
                .into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 3 (Conv2D 5×5, 16 filters): 2×2×8 input: output height (2 − 5 + 0) / 1 + 1 ≤ 0: \
         the input is smaller than the window"
    );
    assert!(Sequential::build(&spec, 1).is_err());
}

#[test]
fn misplaced_layers_are_explained() {
    let dense_on_image = ModelSpec::new(
        vec![28, 28, 1],
        vec![LayerSpec::Dense {
            units: 10,
            init: Init::HeNormal,
        }],
    );
    assert!(dense_on_image
        .infer()
        .unwrap_err()
        .to_string()
        .contains("needs a flat input but gets 28×28×1; add Flatten before it"));
    let conv_on_vector = ModelSpec::new(vec![784], vec![conv(4, 3, Padding::Valid)]);
    assert!(conv_on_vector
        .infer()
        .unwrap_err()
        .to_string()
        .contains("needs an image (height × width × channels) but gets 784 features"));
    let bad_dropout = ModelSpec::new(vec![10], vec![LayerSpec::Dropout { rate: 1.0 }]);
    assert_eq!(
        bad_dropout.infer().unwrap_err().to_string(),
        "layer 1 (Dropout 1): the dropout rate must be at least 0 and below 1, got 1"
    );
}

#[test]
fn specs_round_trip_through_json() {
    let mut spec = Preset::CnnBnDropout.spec();
    spec.layers[0].penalties = Penalties {
        l2: 1e-4,
        ..Default::default()
    };
    spec.layers[4].frozen = true;
    let json = serde_json::to_string(&spec).unwrap();
    assert!(
        json.contains(r#""type":"conv2d","filters":16,"kernel":[5,5]"#),
        "{json}"
    );
    assert!(
        json.contains(r#""penalties":{"l1":0.0,"l2":0.0001"#),
        "{json}"
    );
    let back: ModelSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);
    // Omitted fields take their defaults.
    let short: ModelSpec = serde_json::from_str(
        r#"{"input":[28,28,1],"layers":[{"type":"conv2d","filters":2,"kernel":[3,3]},{"type":"relu"}]}"#,
    )
    .unwrap();
    assert_eq!(short.layers[0].layer, conv(2, 3, Padding::Valid));
    // Unknown layer types are rejected.
    let err = serde_json::from_str::<ModelSpec>(r#"{"input":[4],"layers":[{"type":"lstm"}]}"#)
        .unwrap_err();
    assert!(err.to_string().contains("unknown variant `lstm`"), "{err}");
}

#[test]
fn every_preset_builds_and_ends_in_ten_probabilities() {
    for preset in Preset::ALL {
        let spec = preset.spec();
        assert_eq!(spec.output_shape().unwrap(), vec![10], "{}", preset.name());
        let model = Sequential::build(&spec, 3).unwrap();
        assert_eq!(model.param_count() as u64, spec.param_count().unwrap());
    }
    assert_eq!(
        Preset::Mlp.spec().param_count().unwrap(),
        784 * 128 + 128 + 1290
    );
}

#[test]
fn initialisers_have_the_variance_their_formula_promises() {
    let (fan_in, fan_out) = (400, 100);
    let shape = [fan_in, fan_out];
    let std_of = |init: Init| {
        let t = init.tensor(&shape, fan_in, fan_out, &mut Rng::new(5, 1));
        let v = t.as_slice();
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        (v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
    };
    let expect = [
        (Init::HeNormal, (2.0f64 / 400.0).sqrt()),
        // Uniform(−l, l) has std l/√3: He uniform l = √(6/fan_in) gives √(2/fan_in).
        (Init::HeUniform, (2.0f64 / 400.0).sqrt()),
        (Init::GlorotNormal, (2.0f64 / 500.0).sqrt()),
        (Init::GlorotUniform, (2.0f64 / 500.0).sqrt()),
    ];
    for (init, want) in expect {
        let got = std_of(init);
        assert!(
            (got / want - 1.0).abs() < 0.03,
            "{init:?}: std {got} want {want}"
        );
    }
    assert_eq!(std_of(Init::Zeros), 0.0);
    // One seed, the same weights; another seed, other weights.
    let a = Sequential::build(&Preset::Mlp.spec(), 9).unwrap();
    let b = Sequential::build(&Preset::Mlp.spec(), 9).unwrap();
    let c = Sequential::build(&Preset::Mlp.spec(), 10).unwrap();
    let first = |m: &Sequential| m.params()[0].1.value.to_vec();
    assert_eq!(first(&a), first(&b));
    assert_ne!(first(&a), first(&c));
}

#[test]
fn a_model_follows_the_data_shape_and_classes_and_presets_are_known_at_any_shape() {
    let mnist = Preset::DefaultCnn.spec();
    assert_eq!(Preset::of(&mnist), Some(Preset::DefaultCnn));
    let photos = mnist.for_data(&[32, 32, 3], 5);
    assert_eq!(photos.input, [32, 32, 3]);
    assert_eq!(photos.output_shape().unwrap(), [5]);
    assert_eq!(Preset::of(&photos), Some(Preset::DefaultCnn));
    // conv 5×5×3→8, conv 5×5×8→16, dense (5·5·16)→5.
    assert_eq!(
        photos.param_count().unwrap(),
        (5 * 5 * 3 * 8 + 8) + (5 * 5 * 8 * 16 + 16) + (400 * 5 + 5)
    );
    let colour = Preset::ColourCnn.spec_for(&[64, 64, 3], 100);
    assert_eq!(Preset::of(&colour), Some(Preset::ColourCnn));
    assert_eq!(colour.output_shape().unwrap(), [100]);
    // Back to MNIST: the same layers as the preset's.
    assert_eq!(colour.for_data(&[28, 28, 1], 10), Preset::ColourCnn.spec());
    // Edited: no preset.
    let mut edited = photos.clone();
    edited.layers.pop();
    assert_eq!(Preset::of(&edited), None);
}
