//! Tests of the model directory: every typed error with the exact names and shapes, the cache layout,
//! sharded weights, dtype conversion on load, and the atomic writer.

use super::*;
use candle_core::{DType, Device, Tensor};
use serde_json::json;
use std::collections::HashMap;

/// A tensor of `shape` holding 0.5·i − 1.25 for i = 0, 1, … (exactly representable in f32/bf16/f16).
fn ramp(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|i| 0.5 * i as f32 - 1.25).collect();
    Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
}

fn save(path: &Path, tensors: &[(&str, Tensor)]) {
    let map: HashMap<String, Tensor> = tensors
        .iter()
        .map(|(n, t)| (n.to_string(), t.clone()))
        .collect();
    candle_core::safetensors::save(&map, path).unwrap();
}

fn write_config(dir: &Path) {
    fs::write(
        dir.join(CONFIG_FILE),
        r#"{"hidden_size": 4, "vocab_size": 3}"#,
    )
    .unwrap();
}

fn expected(list: &[(&str, &[usize])]) -> Vec<(String, Vec<usize>)> {
    list.iter()
        .map(|(n, s)| (n.to_string(), s.to_vec()))
        .collect()
}

/// A minimal single-file model directory with tensors `w` [2,3] and `b` [3].
fn tiny_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    save(
        &tmp.path().join(WEIGHTS_FILE),
        &[("w", ramp(&[2, 3])), ("b", ramp(&[3]))],
    );
    tmp
}

#[test]
fn missing_config_is_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    save(&tmp.path().join(WEIGHTS_FILE), &[("w", ramp(&[2]))]);
    match ModelDir::open(tmp.path()) {
        Err(LlmError::MissingFile { dir, file }) => {
            assert_eq!(dir, tmp.path());
            assert_eq!(file, "config.json");
        }
        other => panic!("expected MissingFile config.json, got {other:?}"),
    }
}

#[test]
fn missing_directory_is_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    let absent = tmp.path().join("nope");
    match ModelDir::open(&absent) {
        Err(LlmError::Io { path, .. }) => assert_eq!(path, absent),
        other => panic!("expected Io, got {other:?}"),
    }
}

/// Issue 14: the reason was printed twice in an error chain ("…: not a directory: not a directory").
#[test]
fn missing_directory_says_why_once_in_the_error_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let absent = tmp.path().join("nope");
    let err = ModelDir::open(&absent).unwrap_err();
    let mut chain = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        chain.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert_eq!(chain.matches("directory (expected").count(), 1, "{chain}");
    assert!(chain.contains("no such directory"), "{chain}");
    // a file where a directory is expected says so
    let file = tmp.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = ModelDir::open(&file).unwrap_err().to_string();
    assert!(err.contains("not a directory"), "{err}");
}

#[test]
fn missing_weights_is_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    match ModelDir::open(tmp.path()) {
        Err(LlmError::MissingFile { file, .. }) => assert_eq!(file, "model.safetensors"),
        other => panic!("expected MissingFile model.safetensors, got {other:?}"),
    }
}

#[test]
fn pytorch_only_directory_says_convert() {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    fs::write(tmp.path().join("pytorch_model.bin"), b"PK\x03\x04 pickle").unwrap();
    let err = ModelDir::open(tmp.path()).unwrap_err();
    match &err {
        LlmError::MissingFile { file, .. } => {
            assert!(file.starts_with("model.safetensors"), "{file}");
            assert!(file.contains("pytorch_model.bin"), "{file}");
            assert!(file.contains("convert"), "{file}");
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
    assert!(err.to_string().contains("safe_serialization=True"), "{err}");
}

#[test]
fn single_file_layout_resolves_all_paths() {
    let tmp = tiny_dir();
    let md = ModelDir::open(tmp.path()).unwrap();
    assert_eq!(md.dir, tmp.path());
    assert_eq!(md.config_path, tmp.path().join("config.json"));
    assert_eq!(md.weights, vec![tmp.path().join("model.safetensors")]);
    assert_eq!(md.tokenizer_path, None);
    assert_eq!(md.index_path, None);
    let infos = md.tensor_infos().unwrap();
    assert_eq!(infos.len(), 2);
    assert_eq!(
        infos["w"],
        TensorInfo {
            dtype: "F32".into(),
            shape: vec![2, 3],
            file: md.weights[0].clone()
        }
    );
    assert_eq!(infos["b"].shape, vec![3]);
    md.verify(&expected(&[("w", &[2, 3]), ("b", &[3])]))
        .unwrap();
    // The tokenizer is optional in the layout but required by `tokenizer()`.
    match md.tokenizer() {
        Err(LlmError::MissingFile { file, .. }) => {
            assert!(file.starts_with("tokenizer.json"), "{file}")
        }
        other => panic!("expected MissingFile tokenizer.json, got {other:?}"),
    }
}

#[test]
fn shape_mismatch_names_tensor_and_both_shapes() {
    let tmp = tiny_dir();
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.verify(&expected(&[("b", &[3]), ("w", &[3, 2])])) {
        Err(LlmError::ShapeMismatch {
            tensor,
            expected,
            found,
        }) => {
            assert_eq!(tensor, "w");
            assert_eq!(expected, vec![3, 2]);
            assert_eq!(found, vec![2, 3]);
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    // The same error comes out of var_builder, before anything is mapped.
    let err = md
        .var_builder(&expected(&[("w", &[6])]), DType::F32, &Device::Cpu)
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "tensor `w`: config.json implies shape [6] but the weights have [2, 3]"
    );
}

#[test]
fn missing_tensor_names_tensor_and_file() {
    let tmp = tiny_dir();
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.verify(&expected(&[("w", &[2, 3]), ("lm_head.weight", &[3, 4])])) {
        Err(LlmError::MissingTensor { file, tensor }) => {
            assert_eq!(tensor, "lm_head.weight");
            assert_eq!(
                file,
                tmp.path().join("model.safetensors").display().to_string()
            );
        }
        other => panic!("expected MissingTensor, got {other:?}"),
    }
}

#[test]
fn integer_and_f64_tensors_are_unsupported() {
    for (dtype, name) in [
        (DType::I32, "I32"),
        (DType::F64, "F64"),
        (DType::I64, "I64"),
        (DType::U8, "U8"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        write_config(tmp.path());
        let odd = ramp(&[2, 2]).to_dtype(dtype).unwrap();
        save(
            &tmp.path().join(WEIGHTS_FILE),
            &[("w", ramp(&[2])), ("odd", odd)],
        );
        let md = ModelDir::open(tmp.path()).unwrap();
        assert_eq!(md.tensor_infos().unwrap()["odd"].dtype, name);
        // Not expected → ignored (e.g. a stored `position_ids` buffer).
        md.verify(&expected(&[("w", &[2])])).unwrap();
        match md.verify(&expected(&[("w", &[2]), ("odd", &[2, 2])])) {
            Err(LlmError::UnsupportedDtype { tensor, dtype }) => {
                assert_eq!(tensor, "odd");
                assert_eq!(dtype, name);
            }
            other => panic!("expected UnsupportedDtype {name}, got {other:?}"),
        }
    }
}

#[test]
fn malformed_config_names_the_path() {
    let tmp = tiny_dir();
    fs::write(
        tmp.path().join(CONFIG_FILE),
        "{\"hidden_size\": 4,\n \"vocab_size\": }",
    )
    .unwrap();
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.config_json() {
        Err(LlmError::Config { path, message }) => {
            assert_eq!(path, tmp.path().join("config.json").display().to_string());
            assert!(message.contains("line 2"), "{message}");
        }
        other => panic!("expected Config, got {other:?}"),
    }
}

#[test]
fn config_of_the_wrong_shape_names_the_field() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Cfg {
        hidden_size: usize,
        num_hidden_layers: usize,
    }
    let tmp = tiny_dir();
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.read_config::<Cfg>() {
        Err(LlmError::Config { path, message }) => {
            assert!(path.ends_with("config.json"), "{path}");
            assert!(
                message.contains("missing field `num_hidden_layers`"),
                "{message}"
            );
        }
        other => panic!("expected Config, got {other:?}"),
    }
    assert_eq!(
        md.config_json().unwrap(),
        json!({"hidden_size": 4, "vocab_size": 3})
    );
}

/// Two shards and an index, the way `save_pretrained` writes a sharded checkpoint.
fn sharded_dir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    let (s1, s2) = (
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
    );
    save(
        &tmp.path().join(s1),
        &[
            ("embed.weight", ramp(&[3, 4])),
            ("layer.0.w", ramp(&[4, 4])),
        ],
    );
    save(
        &tmp.path().join(s2),
        &[
            ("layer.1.w", ramp(&[4, 4]).affine(2.0, 0.0).unwrap()),
            ("head.weight", ramp(&[4])),
        ],
    );
    let index = json!({
        "metadata": {"total_size": 4 * (12 + 16 + 16 + 4)},
        "weight_map": {"embed.weight": s1, "layer.0.w": s1, "layer.1.w": s2, "head.weight": s2}
    });
    fs::write(tmp.path().join(WEIGHTS_INDEX_FILE), index.to_string()).unwrap();
    tmp
}

#[test]
fn sharded_index_loads_both_shards() {
    let tmp = sharded_dir();
    let md = ModelDir::open(tmp.path()).unwrap();
    assert_eq!(
        md.weights,
        vec![
            tmp.path().join("model-00001-of-00002.safetensors"),
            tmp.path().join("model-00002-of-00002.safetensors")
        ]
    );
    assert_eq!(md.index_path, Some(tmp.path().join(WEIGHTS_INDEX_FILE)));
    let infos = md.tensor_infos().unwrap();
    assert_eq!(infos.len(), 4);
    assert_eq!(infos["layer.1.w"].file, md.weights[1]);
    let want = expected(&[
        ("embed.weight", &[3, 4]),
        ("layer.0.w", &[4, 4]),
        ("layer.1.w", &[4, 4]),
        ("head.weight", &[4]),
    ]);
    let vb = md.var_builder(&want, DType::F32, &Device::Cpu).unwrap();
    // One tensor from each shard, against the values written: 0.5 i − 1.25 (shard 1) and twice that (shard 2).
    let e: Vec<f32> = vb
        .get((3, 4), "embed.weight")
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(
        e,
        (0..12).map(|i| 0.5 * i as f32 - 1.25).collect::<Vec<_>>()
    );
    let l1: Vec<f32> = vb
        .get((4, 4), "layer.1.w")
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(
        l1,
        (0..16)
            .map(|i| 2.0 * (0.5 * i as f32 - 1.25))
            .collect::<Vec<_>>()
    );
}

#[test]
fn sharded_index_with_a_missing_shard_names_it() {
    let tmp = sharded_dir();
    fs::remove_file(tmp.path().join("model-00002-of-00002.safetensors")).unwrap();
    match ModelDir::open(tmp.path()) {
        Err(LlmError::MissingFile { dir, file }) => {
            assert_eq!(dir, tmp.path());
            assert_eq!(file, "model-00002-of-00002.safetensors");
        }
        other => panic!("expected MissingFile for the shard, got {other:?}"),
    }
}

#[test]
fn sharded_index_promising_a_tensor_its_shard_lacks() {
    let tmp = sharded_dir();
    let s1 = "model-00001-of-00002.safetensors";
    let index = json!({"weight_map": {"embed.weight": s1, "layer.0.w": s1, "layer.1.w": s1, "head.weight": s1,
                                      "ghost": "model-00002-of-00002.safetensors"}});
    fs::write(tmp.path().join(WEIGHTS_INDEX_FILE), index.to_string()).unwrap();
    let md = ModelDir::open(tmp.path()).unwrap();
    // BTreeMap order: "embed.weight", "ghost", "head.weight" — `ghost` is the first wrong entry.
    match md.tensor_infos() {
        Err(LlmError::MissingTensor { file, tensor }) => {
            assert_eq!(tensor, "ghost");
            assert!(file.ends_with("model-00002-of-00002.safetensors"), "{file}");
        }
        other => panic!("expected MissingTensor, got {other:?}"),
    }
}

#[test]
fn malformed_index_is_config_error() {
    let tmp = sharded_dir();
    fs::write(tmp.path().join(WEIGHTS_INDEX_FILE), r#"{"metadata": {}}"#).unwrap();
    match ModelDir::open(tmp.path()) {
        Err(LlmError::Config { path, message }) => {
            assert!(path.ends_with(WEIGHTS_INDEX_FILE), "{path}");
            assert!(message.contains("weight_map"), "{message}");
        }
        other => panic!("expected Config, got {other:?}"),
    }
}

#[test]
fn loose_safetensors_files_are_all_used_and_duplicates_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    save(&tmp.path().join("b.safetensors"), &[("y", ramp(&[2]))]);
    save(&tmp.path().join("a.safetensors"), &[("x", ramp(&[3]))]);
    let md = ModelDir::open(tmp.path()).unwrap();
    assert_eq!(
        md.weights,
        vec![
            tmp.path().join("a.safetensors"),
            tmp.path().join("b.safetensors")
        ]
    );
    md.verify(&expected(&[("x", &[3]), ("y", &[2])])).unwrap();
    save(&tmp.path().join("c.safetensors"), &[("x", ramp(&[3]))]);
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.tensor_infos() {
        Err(LlmError::Config { path, message }) => {
            assert!(path.ends_with("c.safetensors"), "{path}");
            assert!(
                message.contains("`x`") && message.contains("a.safetensors"),
                "{message}"
            );
        }
        other => panic!("expected Config for a duplicate tensor, got {other:?}"),
    }
}

#[test]
fn truncated_or_garbage_weights_are_config_errors() {
    let tmp = tiny_dir();
    let path = tmp.path().join(WEIGHTS_FILE);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 4]).unwrap();
    let md = ModelDir::open(tmp.path()).unwrap();
    match md.tensor_infos() {
        Err(LlmError::Config { path: p, message }) => {
            assert_eq!(p, path.display().to_string());
            assert!(
                message.contains(&format!("file has {}", bytes.len() - 4)),
                "{message}"
            );
        }
        other => panic!("expected Config for a truncated file, got {other:?}"),
    }
    fs::write(&path, b"abc").unwrap();
    assert!(matches!(md.tensor_infos(), Err(LlmError::Config { .. })));
    fs::write(&path, [255u8; 64]).unwrap();
    assert!(matches!(md.tensor_infos(), Err(LlmError::Config { .. })));
}

/// `<root>/models--org--tiny` with blobs, snapshots (symlinked files like the real cache) and refs.
fn hf_cache(root: &Path, snapshots: &[&str], refs_main: Option<&str>) -> PathBuf {
    let repo = root.join("models--org--tiny");
    let blobs = repo.join("blobs");
    fs::create_dir_all(&blobs).unwrap();
    for (k, hash) in snapshots.iter().enumerate() {
        let snap = repo.join("snapshots").join(hash);
        fs::create_dir_all(&snap).unwrap();
        let config_blob = blobs.join(format!("config{k}"));
        fs::write(&config_blob, format!(r#"{{"snapshot": {k}}}"#)).unwrap();
        let weights_blob = blobs.join(format!("weights{k}"));
        save(&weights_blob, &[("w", ramp(&[k + 1]))]);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(format!("../../blobs/config{k}"), snap.join(CONFIG_FILE))
                .unwrap();
            std::os::unix::fs::symlink(format!("../../blobs/weights{k}"), snap.join(WEIGHTS_FILE))
                .unwrap();
        }
        #[cfg(not(unix))]
        {
            fs::copy(&config_blob, snap.join(CONFIG_FILE)).unwrap();
            fs::copy(&weights_blob, snap.join(WEIGHTS_FILE)).unwrap();
        }
    }
    if let Some(hash) = refs_main {
        fs::create_dir_all(repo.join("refs")).unwrap();
        fs::write(repo.join("refs").join("main"), format!("{hash}\n")).unwrap();
    }
    repo
}

#[test]
fn hf_cache_resolves_refs_main() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = hf_cache(tmp.path(), &["aaa111", "bbb222"], Some("bbb222"));
    for md in [
        ModelDir::open(&repo).unwrap(),
        ModelDir::from_hf_cache(tmp.path(), "org/tiny").unwrap(),
    ] {
        assert_eq!(md.dir, repo.join("snapshots").join("bbb222"));
        assert_eq!(md.config_json().unwrap(), json!({"snapshot": 1}));
        // Through the symlink into blobs/: snapshot 1 stores `w` with shape [2].
        md.verify(&expected(&[("w", &[2])])).unwrap();
    }
}

#[test]
fn hf_cache_single_snapshot_without_refs() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = hf_cache(tmp.path(), &["ccc333"], None);
    let md = ModelDir::open(&repo).unwrap();
    assert_eq!(md.dir, repo.join("snapshots").join("ccc333"));
    assert_eq!(md.tensor_infos().unwrap()["w"].shape, vec![1]);
}

#[test]
fn hf_cache_ambiguous_or_dangling() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = hf_cache(tmp.path(), &["aaa111", "bbb222"], None);
    assert!(matches!(
        ModelDir::open(&repo),
        Err(LlmError::InvalidArgument {
            name: "model path",
            ..
        })
    ));
    fs::create_dir_all(repo.join("refs")).unwrap();
    fs::write(repo.join("refs").join("main"), "ddd444").unwrap();
    match ModelDir::open(&repo) {
        Err(LlmError::MissingFile { file, .. }) => assert_eq!(file, "snapshots/ddd444"),
        other => panic!("expected MissingFile snapshots/ddd444, got {other:?}"),
    }
    match ModelDir::from_hf_cache(tmp.path(), "org/absent") {
        Err(LlmError::MissingFile { dir, file }) => {
            assert_eq!(dir, tmp.path());
            assert_eq!(file, "models--org--absent");
        }
        other => panic!("expected MissingFile, got {other:?}"),
    }
    for bad in ["", "a/b/c", "../x", "org/", "/abs"] {
        assert!(
            matches!(
                ModelDir::from_hf_cache(tmp.path(), bad),
                Err(LlmError::InvalidArgument {
                    name: "repo_id",
                    ..
                })
            ),
            "{bad}"
        );
    }
}

#[test]
fn bf16_and_f16_weights_load_into_f32_as_the_rounded_values() {
    // Values that are not representable in 16 bits; the reference rounding is the `half` crate's
    // round-to-nearest-even, independent of candle.
    let values: Vec<f32> = vec![
        0.1,
        1.0 / 3.0,
        std::f32::consts::PI,
        -2.718_281_7,
        1.0e-3,
        300.7,
        1.0 + 1.0 / 256.0,
        -7.77e-5,
    ];
    let tmp = tempfile::tempdir().unwrap();
    write_config(tmp.path());
    let t = Tensor::from_vec(values.clone(), (2, 4), &Device::Cpu).unwrap();
    save(
        &tmp.path().join(WEIGHTS_FILE),
        &[
            ("bf", t.to_dtype(DType::BF16).unwrap()),
            ("hf", t.to_dtype(DType::F16).unwrap()),
        ],
    );
    let md = ModelDir::open(tmp.path()).unwrap();
    let infos = md.tensor_infos().unwrap();
    assert_eq!(
        (infos["bf"].dtype.as_str(), infos["hf"].dtype.as_str()),
        ("BF16", "F16")
    );
    let vb = md
        .var_builder(
            &expected(&[("bf", &[2, 4]), ("hf", &[2, 4])]),
            DType::F32,
            &Device::Cpu,
        )
        .unwrap();
    let bf = vb.get((2, 4), "bf").unwrap();
    assert_eq!(bf.dtype(), DType::F32);
    let bf: Vec<f32> = bf.flatten_all().unwrap().to_vec1().unwrap();
    let hf: Vec<f32> = vb
        .get((2, 4), "hf")
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let want_bf: Vec<f32> = values
        .iter()
        .map(|&v| half::bf16::from_f32(v).to_f32())
        .collect();
    let want_hf: Vec<f32> = values
        .iter()
        .map(|&v| half::f16::from_f32(v).to_f32())
        .collect();
    assert_eq!(bf, want_bf);
    assert_eq!(hf, want_hf);
    // bf16 keeps 8 significant bits: 0.1 → 0.10009765625 (hand-computed: 0x3DCD).
    assert_eq!(f64::from(bf[0]), 0.100_097_656_25);
    assert_eq!(bf[0].to_bits(), 0x3DCD_0000);
    // 1 + 2⁻⁸ lies halfway between the bf16 neighbours 1 and 1 + 2⁻⁷: ties go to even, i.e. to 1.
    assert_eq!(bf[6], 1.0);
    assert_ne!(bf[0], values[0]);
    // A bad requested dtype is refused before mapping.
    assert!(matches!(
        md.var_builder(&[], DType::I64, &Device::Cpu),
        Err(LlmError::InvalidArgument { name: "dtype", .. })
    ));
}

#[test]
fn parse_dtype_accepts_both_spellings() {
    for (s, d) in [
        ("bf16", DType::BF16),
        ("bfloat16", DType::BF16),
        ("f16", DType::F16),
        ("float16", DType::F16),
        ("f32", DType::F32),
        ("Float32", DType::F32),
    ] {
        assert_eq!(parse_dtype(s).unwrap(), d, "{s}");
    }
    for s in ["f64", "int8", "", "nf4"] {
        match parse_dtype(s) {
            Err(LlmError::InvalidArgument { name, value, .. }) => {
                assert_eq!(name, "dtype");
                assert_eq!(value, s);
            }
            other => panic!("expected InvalidArgument for {s:?}, got {other:?}"),
        }
    }
}

/// A small working tokenizer (word-level over a fixed vocabulary) for the writer tests.
fn word_tokenizer() -> tokenizers::Tokenizer {
    let vocab: HashMap<String, u32> = [("[UNK]", 0), ("hello", 1), ("world", 2)]
        .iter()
        .map(|(w, i)| (w.to_string(), *i))
        .collect();
    let model = tokenizers::models::wordlevel::WordLevel::builder()
        .vocab(vocab.into_iter().collect())
        .unk_token("[UNK]".into())
        .build()
        .unwrap();
    let mut tok = tokenizers::Tokenizer::new(model);
    tok.with_pre_tokenizer(Some(
        tokenizers::pre_tokenizers::whitespace::WhitespaceSplit,
    ));
    tok
}

#[test]
fn write_model_dir_round_trips_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tiny-model");
    let config =
        json!({"architectures": ["MixtralForCausalLM"], "hidden_size": 4, "vocab_size": 3});
    let tensors: HashMap<String, Tensor> = [
        ("embed".to_string(), ramp(&[3, 4])),
        (
            "norm".to_string(),
            ramp(&[4]).to_dtype(DType::BF16).unwrap(),
        ),
    ]
    .into_iter()
    .collect();
    let tok = word_tokenizer();
    write_model_dir(&dir, &config, &tensors, &tok).unwrap();
    // Overwriting in place works (rename over the existing files).
    write_model_dir(&dir, &config, &tensors, &tok).unwrap();

    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["config.json", "model.safetensors", "tokenizer.json"],
        "no temporary file left"
    );
    #[cfg(unix)]
    for name in &names {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{name}");
    }

    let md = ModelDir::open(&dir).unwrap();
    assert_eq!(md.config_json().unwrap(), config);
    let infos = md.tensor_infos().unwrap();
    assert_eq!(infos["embed"].dtype, "F32");
    assert_eq!(infos["norm"].dtype, "BF16");
    let vb = md
        .var_builder(
            &expected(&[("embed", &[3, 4]), ("norm", &[4])]),
            DType::F32,
            &Device::Cpu,
        )
        .unwrap();
    let e: Vec<f32> = vb
        .get((3, 4), "embed")
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    assert_eq!(
        e,
        (0..12).map(|i| 0.5 * i as f32 - 1.25).collect::<Vec<_>>()
    );
    let n: Vec<f32> = vb.get(4, "norm").unwrap().to_vec1().unwrap();
    assert_eq!(n, vec![-1.25, -0.75, -0.25, 0.25]);
    let back = md.tokenizer().unwrap();
    assert_eq!(
        back.encode("hello world moon", false).unwrap().get_ids(),
        &[1, 2, 0]
    );
}

#[test]
fn write_model_dir_refuses_unloadable_tensors() {
    let tmp = tempfile::tempdir().unwrap();
    let tensors: HashMap<String, Tensor> =
        [("ids".to_string(), ramp(&[2]).to_dtype(DType::I64).unwrap())]
            .into_iter()
            .collect();
    match write_model_dir(tmp.path(), &json!({}), &tensors, &word_tokenizer()) {
        Err(LlmError::UnsupportedDtype { tensor, dtype }) => {
            assert_eq!(tensor, "ids");
            assert_eq!(dtype, "I64");
        }
        other => panic!("expected UnsupportedDtype, got {other:?}"),
    }
    assert!(
        fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "nothing written"
    );
    assert!(matches!(
        write_model_dir(tmp.path(), &json!({}), &HashMap::new(), &word_tokenizer()),
        Err(LlmError::InvalidArgument {
            name: "tensors",
            ..
        })
    ));
}

/// Issue 14: the load-time scan finds NaN and ±inf in each float dtype by their bit patterns (checked
/// against `is_finite` of the decoded values) and leaves finite extremes alone.
#[test]
fn check_finite_finds_non_finite_values_in_every_float_dtype() {
    let f32s = [
        1.0f32,
        f32::MAX,
        f32::MIN_POSITIVE,
        -0.0,
        f32::NAN,
        f32::INFINITY,
        2.0,
        f32::NEG_INFINITY,
    ];
    let bytes = |v: &[f32], dtype: &str| -> Vec<u8> {
        match dtype {
            "F32" => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            "BF16" => v
                .iter()
                .flat_map(|&x| half::bf16::from_f32(x).to_le_bytes())
                .collect(),
            _ => v
                .iter()
                .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
                .collect(),
        }
    };
    for dtype in ["F32", "BF16", "F16"] {
        // f32::MAX overflows to inf in f16: the reference is what each dtype actually stores
        let stored: Vec<f32> = match dtype {
            "F32" => f32s.to_vec(),
            "BF16" => f32s
                .iter()
                .map(|&x| half::bf16::from_f32(x).to_f32())
                .collect(),
            _ => f32s
                .iter()
                .map(|&x| half::f16::from_f32(x).to_f32())
                .collect(),
        };
        let want_count = stored.iter().filter(|x| !x.is_finite()).count();
        let first = stored.iter().position(|x| !x.is_finite()).unwrap();
        match check_finite("w", "f", dtype, &bytes(&f32s, dtype)) {
            Err(LlmError::NonFiniteWeight {
                count,
                first_index,
                first: what,
                ..
            }) => {
                assert_eq!((count, first_index), (want_count, first), "{dtype}");
                let label = if stored[first].is_nan() {
                    "NaN"
                } else if stored[first] > 0.0 {
                    "inf"
                } else {
                    "-inf"
                };
                assert_eq!(what, label, "{dtype}");
            }
            other => panic!("{dtype}: {other:?}"),
        }
        check_finite("w", "f", dtype, &bytes(&[1.0, -3.5, 0.0, 65000.0], dtype)).unwrap();
    }
    // other dtypes are not checked
    check_finite("w", "f", "I64", &[0xff; 16]).unwrap();
    // cost: one pass over the bytes
    let big = vec![0x3c_u8; 64 << 20];
    let t = std::time::Instant::now();
    check_finite("w", "f", "BF16", &big).unwrap();
    eprintln!(
        "check_finite: 64 MiB of bf16 in {:.3} s",
        t.elapsed().as_secs_f64()
    );
}
