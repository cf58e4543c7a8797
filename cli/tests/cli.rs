//! The `lowp` binary on synthetic checkpoints written with the `safetensors` crate: sharded
//! and single-file, bf16/f16/f32, every scheme, a round trip through `verify`, and every bad
//! input the quantize command must refuse without writing anything.

use safetensors::tensor::{serialize_to_file, Dtype, TensorView};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCHEMES: [&str; 7] = [
    "FP8_DYNAMIC",
    "FP8_BLOCK",
    "W8A8",
    "W4A16",
    "NVFP4A16",
    "MXFP4A16",
    "MXFP4",
];

fn lowp() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lowp"))
}

fn run(args: &[&str]) -> Output {
    lowp().args(args).output().expect("run lowp")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Deterministic pseudo-random values (SplitMix64 → roughly normal by summing uniforms).
fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 40) as f32 / (1u64 << 24) as f32
    };
    (0..n)
        .map(|_| (next() + next() + next() - 1.5) * scale)
        .collect()
}

fn encode(v: &[f32], d: Dtype) -> Vec<u8> {
    match d {
        Dtype::BF16 => v
            .iter()
            .flat_map(|x| half::bf16::from_f32(*x).to_bits().to_le_bytes())
            .collect(),
        Dtype::F16 => v
            .iter()
            .flat_map(|x| half::f16::from_f32(*x).to_bits().to_le_bytes())
            .collect(),
        Dtype::F32 => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        _ => unreachable!(),
    }
}

/// A tiny Llama-like layer: name → (dtype, shape, bytes).
fn tensors(d: Dtype) -> BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> {
    let mut m = BTreeMap::new();
    let mut add = |name: &str, shape: Vec<usize>, seed: u64, scale: f32| {
        let n: usize = shape.iter().product();
        m.insert(
            name.to_string(),
            (d, shape, encode(&values(n, seed, scale), d)),
        );
    };
    let l = "model.layers.0";
    add("model.embed_tokens.weight", vec![64, 128], 1, 0.1);
    add(&format!("{l}.input_layernorm.weight"), vec![128], 2, 1.0);
    add(
        &format!("{l}.self_attn.q_proj.weight"),
        vec![128, 128],
        3,
        0.5,
    );
    add(
        &format!("{l}.self_attn.k_proj.weight"),
        vec![64, 128],
        4,
        0.7,
    );
    add(
        &format!("{l}.self_attn.v_proj.weight"),
        vec![64, 128],
        5,
        0.3,
    );
    add(
        &format!("{l}.self_attn.o_proj.weight"),
        vec![128, 128],
        6,
        0.5,
    );
    add(&format!("{l}.mlp.gate_proj.weight"), vec![256, 128], 7, 0.5);
    add(&format!("{l}.mlp.up_proj.weight"), vec![256, 128], 8, 0.9);
    add(&format!("{l}.mlp.down_proj.weight"), vec![128, 256], 9, 0.5);
    add(&format!("{l}.self_attn.q_proj.bias"), vec![128], 10, 0.1);
    add("model.norm.weight", vec![128], 11, 1.0);
    add("lm_head.weight", vec![64, 128], 12, 0.1);
    m
}

fn save(path: &Path, t: &BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)>, names: &[&String]) {
    let views: Vec<(String, TensorView)> = names
        .iter()
        .map(|n| {
            let (d, s, b) = &t[*n];
            ((*n).clone(), TensorView::new(*d, s.clone(), b).unwrap())
        })
        .collect();
    serialize_to_file(views, None, path).unwrap();
}

/// Writes a checkpoint directory; `shards` > 1 splits it (q_proj apart from k/v) with an index.
fn checkpoint(
    dir: &Path,
    d: Dtype,
    shards: usize,
) -> BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join("config.json"), r#"{"architectures": ["LlamaForCausalLM"], "hidden_size": 128, "rms_norm_eps": 1e-05, "model_type": "llama"}"#).unwrap();
    std::fs::write(dir.join("tokenizer.json"), "{\"tok\": 1}\n").unwrap();
    std::fs::write(dir.join("sub/notes.txt"), "nested file\n").unwrap();
    let t = tensors(d);
    let names: Vec<&String> = t.keys().collect();
    if shards == 1 {
        save(&dir.join("model.safetensors"), &t, &names);
    } else {
        let (a, b): (Vec<&String>, Vec<&String>) = names
            .iter()
            .partition(|n| n.contains("q_proj") || n.contains("embed") || n.contains("o_proj"));
        let files = [
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
        ];
        save(&dir.join(files[0]), &t, &a);
        save(&dir.join(files[1]), &t, &b);
        let mut wm = serde_json::Map::new();
        for n in &a {
            wm.insert((*n).clone(), files[0].into());
        }
        for n in &b {
            wm.insert((*n).clone(), files[1].into());
        }
        let idx = serde_json::json!({"metadata": {"total_size": 0}, "weight_map": wm});
        std::fs::write(dir.join("model.safetensors.index.json"), idx.to_string()).unwrap();
    }
    t
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// All tensors of an output directory, by name.
fn read_dir_tensors(dir: &Path) -> BTreeMap<String, (Dtype, Vec<usize>, Vec<u8>)> {
    let mut m = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "safetensors") {
            let b = std::fs::read(&p).unwrap();
            let st = safetensors::SafeTensors::deserialize(&b).unwrap();
            for (n, v) in st.tensors() {
                m.insert(n, (v.dtype(), v.shape().to_vec(), v.data().to_vec()));
            }
        }
    }
    m
}

#[test]
fn every_scheme_on_a_sharded_bf16_checkpoint_round_trips_through_verify() {
    let d = tmp();
    let input = d.path().join("in");
    let src = checkpoint(&input, Dtype::BF16, 2);
    for scheme in SCHEMES {
        let out = d.path().join(format!("out-{scheme}"));
        let o = run(&["quantize", s(&input), s(&out), "--scheme", scheme, "--json"]);
        assert!(o.status.success(), "{scheme}: {}", text(&o));
        let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(
            summary["weights_quantized"], 8,
            "{scheme}: embed + 7 projections"
        );
        // Files copied, nested ones too; no temporary file left.
        assert_eq!(
            std::fs::read(out.join("tokenizer.json")).unwrap(),
            b"{\"tok\": 1}\n"
        );
        assert_eq!(
            std::fs::read(out.join("sub/notes.txt")).unwrap(),
            b"nested file\n"
        );
        assert!(std::fs::read_dir(&out).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".tmp")));
        // Config: the original fields plus quantization_config.
        let cfg: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
        assert_eq!(cfg["hidden_size"], 128);
        assert_eq!(
            cfg["quantization_config"]["quant_method"],
            "compressed-tensors"
        );
        assert_eq!(
            cfg["quantization_config"]["ignore"],
            serde_json::json!(["lm_head"])
        );
        assert!(cfg["quantization_config"]["config_groups"][scheme].is_object());
        // Not quantized: bit for bit.
        let got = read_dir_tensors(&out);
        for n in [
            "lm_head.weight",
            "model.norm.weight",
            "model.layers.0.self_attn.q_proj.bias",
            "model.layers.0.input_layernorm.weight",
        ] {
            assert_eq!(got[n], src[n], "{scheme}: {n} copied");
        }
        // Index: every tensor, in the file that holds it.
        let idx: serde_json::Value = serde_json::from_slice(
            &std::fs::read(out.join("model.safetensors.index.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(idx["weight_map"].as_object().unwrap().len(), got.len());
        let total: usize = got.values().map(|t| t.2.len()).sum();
        assert_eq!(idx["metadata"]["total_size"], total);
        // NVFP4: k/v moved next to q (first shard) to share its global scale; others stay.
        let k = if scheme == "NVFP4A16" || scheme.starts_with("MX") {
            "model.layers.0.self_attn.k_proj.weight_packed"
        } else {
            "model.layers.0.self_attn.k_proj.weight_scale"
        };
        let want = if scheme == "NVFP4A16" {
            "model-00001-of-00002.safetensors"
        } else {
            "model-00002-of-00002.safetensors"
        };
        assert_eq!(idx["weight_map"][k], want, "{scheme}");
        // Verify: every weight dequantizes close to the original, copies identical.
        let v = run(&["verify", s(&out), s(&input), "--json"]);
        assert!(v.status.success(), "{scheme}: {}", text(&v));
        let vs: serde_json::Value = serde_json::from_slice(&v.stdout).unwrap();
        assert_eq!(vs["quantized_weights"], 8);
        assert_eq!(vs["failures"], 0);
        // An impossible threshold fails.
        let v = run(&["verify", s(&out), s(&input), "--min-sqnr", "200"]);
        assert_eq!(v.status.code(), Some(1), "{scheme}");
    }
}

#[test]
fn f16_and_f32_sources_and_a_single_file() {
    for d in [Dtype::F16, Dtype::F32] {
        let t = tmp();
        let input = t.path().join("in");
        checkpoint(&input, d, 1);
        for scheme in SCHEMES {
            let out = t.path().join(format!("o-{scheme}"));
            let o = run(&[
                "quantize",
                s(&input.join("model.safetensors")),
                s(&out),
                "--scheme",
                scheme,
                "-q",
            ]);
            assert!(o.status.success(), "{d:?} {scheme}: {}", text(&o));
            assert!(out.join("model.safetensors").exists());
            assert!(
                !out.join("config.json").exists(),
                "a single file brings no config"
            );
            let v = run(&["verify", s(&out), s(&input), "--json"]);
            assert!(v.status.success(), "{d:?} {scheme}: {}", text(&v));
        }
    }
}

#[test]
fn scale_dtypes_follow_the_source() {
    let t = tmp();
    let input = t.path().join("in");
    checkpoint(&input, Dtype::F16, 1);
    let out = t.path().join("o");
    assert!(run(&[
        "quantize",
        s(&input),
        s(&out),
        "--scheme",
        "FP8_DYNAMIC",
        "-q"
    ])
    .status
    .success());
    let got = read_dir_tensors(&out);
    let w = &got["model.layers.0.mlp.up_proj.weight"];
    assert_eq!((w.0, w.1.clone()), (Dtype::F8_E4M3, vec![256, 128]));
    let sc = &got["model.layers.0.mlp.up_proj.weight_scale"];
    assert_eq!((sc.0, sc.1.clone()), (Dtype::F16, vec![256, 1]));
}

fn assert_refused(o: &Output, needles: &[&str], out: &Path) {
    assert!(!o.status.success(), "should fail: {}", text(o));
    let msg = text(o);
    for n in needles {
        assert!(msg.contains(n), "message {msg:?} should name {n:?}");
    }
    assert!(
        !out.exists() || std::fs::read_dir(out).unwrap().next().is_none(),
        "nothing written"
    );
}

#[test]
fn bad_inputs_are_refused_and_nothing_is_written() {
    let t = tmp();
    let input = t.path().join("in");
    let src = checkpoint(&input, Dtype::BF16, 2);
    let out = t.path().join("out");

    // Truncated shard.
    let bad = t.path().join("trunc");
    checkpoint(&bad, Dtype::BF16, 2);
    let f = bad.join("model-00002-of-00002.safetensors");
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&f)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "FP8_DYNAMIC"]),
        &["model-00002-of-00002.safetensors", "truncated"],
        &out,
    );

    // Corrupt header.
    let bad = t.path().join("corrupt");
    checkpoint(&bad, Dtype::BF16, 1);
    let f = bad.join("model.safetensors");
    let mut b = std::fs::read(&f).unwrap();
    b[9] = b'#';
    std::fs::write(&f, b).unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "W8A8"]),
        &["model.safetensors", "corrupt"],
        &out,
    );

    // Not a safetensors file at all (8 bytes of text).
    let bad = t.path().join("garbage");
    checkpoint(&bad, Dtype::BF16, 1);
    std::fs::write(bad.join("model.safetensors"), b"hello world, no header").unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "W8A8"]),
        &["model.safetensors"],
        &out,
    );

    // Unsupported dtype of a weight to quantize.
    let bad = t.path().join("dtype");
    std::fs::create_dir_all(&bad).unwrap();
    let data = vec![0u8; 128 * 128 * 4];
    let v = TensorView::new(Dtype::I32, vec![128, 128], &data).unwrap();
    serialize_to_file(
        vec![("model.x_proj.weight".to_string(), v)],
        None,
        &bad.join("model.safetensors"),
    )
    .unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "FP8_DYNAMIC"]),
        &["model.x_proj.weight", "I32", "model.safetensors"],
        &out,
    );
    // ... fine once ignored (copied as is).
    let o = run(&[
        "quantize",
        s(&bad),
        s(&out),
        "--scheme",
        "FP8_DYNAMIC",
        "--ignore",
        "model.x_proj",
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    std::fs::remove_dir_all(&out).unwrap();

    // Shapes the groups do not divide.
    let bad = t.path().join("shape");
    std::fs::create_dir_all(&bad).unwrap();
    let data = encode(&values(64 * 100, 1, 1.0), Dtype::BF16);
    let v = TensorView::new(Dtype::BF16, vec![64, 100], &data).unwrap();
    serialize_to_file(
        vec![("model.y_proj.weight".to_string(), v)],
        None,
        &bad.join("model.safetensors"),
    )
    .unwrap();
    for scheme in ["W4A16", "NVFP4A16", "MXFP4A16"] {
        assert_refused(
            &run(&["quantize", s(&bad), s(&out), "--scheme", scheme]),
            &["model.y_proj.weight", "[64, 100]", "model.safetensors"],
            &out,
        );
    }
    // FP8_BLOCK pads instead, as llm-compressor.
    let o = run(&["quantize", s(&bad), s(&out), "--scheme", "FP8_BLOCK", "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let got = read_dir_tensors(&out);
    assert_eq!(got["model.y_proj.weight_scale"].1, vec![1, 1]);
    std::fs::remove_dir_all(&out).unwrap();

    // NaN in a weight.
    let bad = t.path().join("nan");
    std::fs::create_dir_all(&bad).unwrap();
    let mut vals = values(64 * 128, 1, 1.0);
    vals[77] = f32::NAN;
    let data = encode(&vals, Dtype::BF16);
    let v = TensorView::new(Dtype::BF16, vec![64, 128], &data).unwrap();
    serialize_to_file(
        vec![("model.z_proj.weight".to_string(), v)],
        None,
        &bad.join("model.safetensors"),
    )
    .unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "FP8_DYNAMIC"]),
        &["model.z_proj.weight", "NaN"],
        &out,
    );

    // Index that names a missing tensor.
    let bad = t.path().join("index");
    checkpoint(&bad, Dtype::BF16, 2);
    let p = bad.join("model.safetensors.index.json");
    let mut idx: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    idx["weight_map"]["ghost.weight"] = "model-00001-of-00002.safetensors".into();
    std::fs::write(&p, idx.to_string()).unwrap();
    assert_refused(
        &run(&["quantize", s(&bad), s(&out), "--scheme", "FP8_DYNAMIC"]),
        &["ghost.weight"],
        &out,
    );

    // Unknown scheme, bad regex.
    assert_refused(
        &run(&["quantize", s(&input), s(&out), "--scheme", "FP7"]),
        &["FP7"],
        &out,
    );
    assert_refused(
        &run(&[
            "quantize",
            s(&input),
            s(&out),
            "--scheme",
            "W8A8",
            "--ignore",
            "re:((",
        ]),
        &["re:(("],
        &out,
    );

    // Into the input, or over a non-empty directory without --force.
    let before = std::fs::read(input.join("model-00001-of-00002.safetensors")).unwrap();
    let o = run(&["quantize", s(&input), s(&input), "--scheme", "W8A8"]);
    assert!(!o.status.success());
    let o = run(&[
        "quantize",
        s(&input),
        s(&input.join("sub")),
        "--scheme",
        "W8A8",
    ]);
    assert!(!o.status.success(), "inside the input");
    assert_eq!(
        std::fs::read(input.join("model-00001-of-00002.safetensors")).unwrap(),
        before
    );
    let full = t.path().join("full");
    std::fs::create_dir_all(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "x").unwrap();
    let o = run(&["quantize", s(&input), s(&full), "--scheme", "W8A8"]);
    assert!(
        !o.status.success() && text(&o).contains("--force"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1);
    let o = run(&[
        "quantize",
        s(&input),
        s(&full),
        "--scheme",
        "W8A8",
        "--force",
        "-q",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(std::fs::read(full.join("keep.txt")).unwrap(), b"x");
    let _ = src;
}

#[test]
fn ignore_list_is_recorded_verbatim_and_decides_what_is_quantized() {
    let t = tmp();
    let input = t.path().join("in");
    let src = checkpoint(&input, Dtype::BF16, 1);
    let out = t.path().join("o");
    let o = run(&[
        "quantize",
        s(&input),
        s(&out),
        "--scheme",
        "W4A16",
        "-q",
        "--ignore",
        "lm_head",
        "--ignore",
        "re:.*embed_tokens",
        "--ignore",
        "re:.*mlp\\.(gate|up)_proj$",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("config.json")).unwrap()).unwrap();
    assert_eq!(
        cfg["quantization_config"]["ignore"],
        serde_json::json!(["lm_head", "re:.*embed_tokens", "re:.*mlp\\.(gate|up)_proj$"])
    );
    let got = read_dir_tensors(&out);
    for n in [
        "model.embed_tokens.weight",
        "model.layers.0.mlp.gate_proj.weight",
        "model.layers.0.mlp.up_proj.weight",
    ] {
        assert_eq!(got[n], src[n], "{n} ignored, copied");
    }
    assert!(got.contains_key("model.layers.0.mlp.down_proj.weight_packed"));
    assert_eq!(
        got["model.layers.0.mlp.down_proj.weight_shape"].2,
        [128i64, 256]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect::<Vec<u8>>()
    );
}

#[test]
fn stats_table_json_and_svg() {
    let t = tmp();
    let input = t.path().join("in");
    checkpoint(&input, Dtype::BF16, 2);
    let svg = t.path().join("chart.svg");
    let o = run(&["stats", s(&input), "--json", "--svg", s(&svg)]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["tensors"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    for r in rows {
        let fp8 = r["schemes"]["FP8_DYNAMIC"]["sqnr_db"].as_f64().unwrap();
        let w4 = r["schemes"]["W4A16"]["sqnr_db"].as_f64().unwrap();
        let w8 = r["schemes"]["W8A8"]["sqnr_db"].as_f64().unwrap();
        assert!(fp8 > 25.0 && w8 > 35.0 && w4 > 10.0 && w4 < w8, "{r}");
    }
    let chart = std::fs::read_to_string(&svg).unwrap();
    assert!(chart.starts_with("<svg") && chart.contains("NVFP4A16"));
    let o = run(&["stats", s(&input), "--scheme", "NVFP4A16"]);
    assert!(
        o.status.success() && text(&o).contains("q_proj"),
        "{}",
        text(&o)
    );
}

#[test]
fn inspect_value_and_table() {
    let o = run(&["inspect", "0.1", "--format", "float8_e4m3fn"]);
    assert!(o.status.success());
    let out = text(&o);
    assert!(
        out.contains("float8_e4m3fn") && out.contains("0x1d") && out.contains("0.1015625"),
        "{out}"
    );
    let o = run(&[
        "inspect",
        "500",
        "--saturate",
        "--rounding",
        "toward-zero",
        "--format",
        "float8_e4m3fn",
    ]);
    assert!(text(&o).contains("448"), "{}", text(&o));
    let o = run(&["inspect", "--table", "float4_e2m1fn"]);
    let out = text(&o);
    assert!(
        o.status.success() && out.contains("16 codes") && out.contains("-6"),
        "{out}"
    );
    let o = run(&["inspect", "1", "--format", "nope"]);
    assert!(!o.status.success() && text(&o).contains("unknown format"));
}

#[allow(dead_code)]
fn unused(_: PathBuf) {}

/// Ctrl-C (SIGINT) during a run: the command stops with an error and leaves no shard, no
/// temporary file and no directory it created.
#[cfg(unix)]
#[test]
fn ctrl_c_leaves_nothing_half_written() {
    let t = tmp();
    let input = t.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    let data = vec![0x3fu8; 2048 * 8192 * 2];
    let views: Vec<(String, TensorView)> = (0..8)
        .map(|i| {
            (
                format!("model.layers.{i}.mlp.up_proj.weight"),
                TensorView::new(Dtype::BF16, vec![2048, 8192], &data).unwrap(),
            )
        })
        .collect();
    serialize_to_file(views, None, &input.join("model.safetensors")).unwrap();
    let out = t.path().join("out");
    let child = lowp()
        .args(["quantize", s(&input), s(&out), "--scheme", "NVFP4A16", "-q"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let o = child.wait_with_output().unwrap();
    if o.status.success() {
        // Finished before the signal: then everything is there.
        assert!(
            out.join("model.safetensors").exists()
                && out.join("model.safetensors.index.json").exists()
        );
    } else {
        assert!(
            !out.exists(),
            "an interrupted run must remove the directory it created"
        );
    }
}

/// verify fails when a copied tensor no longer matches the original.
#[test]
fn verify_catches_a_changed_copy() {
    let t = tmp();
    let input = t.path().join("in");
    checkpoint(&input, Dtype::BF16, 1);
    let out = t.path().join("o");
    assert!(run(&[
        "quantize",
        s(&input),
        s(&out),
        "--scheme",
        "FP8_DYNAMIC",
        "-q"
    ])
    .status
    .success());
    assert!(run(&["verify", s(&out), s(&input)]).status.success());
    let f = out.join("model.safetensors");
    let mut b = std::fs::read(&f).unwrap();
    let (n, meta) = safetensors::SafeTensors::read_metadata(&b).unwrap();
    let info = meta.info("model.norm.weight").unwrap();
    b[8 + n + info.data_offsets.0] ^= 1;
    std::fs::write(&f, b).unwrap();
    let o = run(&["verify", s(&out), s(&input)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("model.norm.weight") && text(&o).contains("bytes differ"),
        "{}",
        text(&o)
    );
}

/// verify refuses (an error, exit code 1, not a panic) a quantized checkpoint whose
/// `weight_shape`, `weight_global_scale` or `weight_scale` tensor is too short to hold what it
/// must, and an original whose weight is not a float dtype.
#[test]
fn verify_refuses_malformed_tensors_without_panicking() {
    let t = tmp();
    let input = t.path().join("in");
    checkpoint(&input, Dtype::BF16, 1);
    for (scheme, name, what) in [
        ("W4A16", "weight_shape", "expected [rows, cols]"),
        ("NVFP4A16", "weight_global_scale", "expected one f32"),
        ("W4A16", "weight_scale", "do not fit"),
        ("FP8_BLOCK", "weight_scale", "do not fit"),
    ] {
        let out = t.path().join(format!("{scheme}-{name}"));
        assert!(
            run(&["quantize", s(&input), s(&out), "--scheme", scheme, "-q"])
                .status
                .success()
        );
        assert!(run(&["verify", s(&out), s(&input)]).status.success());
        let mut m = read_dir_tensors(&out);
        let key = m
            .keys()
            .find(|k| k.ends_with(&format!(".{name}")))
            .unwrap()
            .clone();
        let (d, shape, b) = m[&key].clone();
        if name == "weight_scale" {
            // No scale columns: too few scales for the weight.
            m.insert(key, (d, vec![shape[0], 0], Vec::new()));
        } else {
            let keep = if d == Dtype::I64 { 8 } else { 0 };
            m.insert(key, (d, vec![keep / 8], b[..keep].to_vec()));
        }
        let names: Vec<&String> = m.keys().collect();
        for e in std::fs::read_dir(&out).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "safetensors") {
                std::fs::remove_file(p).unwrap();
            }
        }
        let _ = std::fs::remove_file(out.join("model.safetensors.index.json"));
        save(&out.join("model.safetensors"), &m, &names);
        let o = run(&["verify", s(&out), s(&input)]);
        assert_eq!(o.status.code(), Some(1), "{}", text(&o));
        assert!(
            text(&o).contains(name) && text(&o).contains(what),
            "{}",
            text(&o)
        );
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    // An original whose weight is not a float dtype (same shape, 2 bytes an element).
    let out = t.path().join("W8A8");
    assert!(
        run(&["quantize", s(&input), s(&out), "--scheme", "W8A8", "-q"])
            .status
            .success()
    );
    let mut m = read_dir_tensors(&input);
    let key = "model.layers.0.mlp.down_proj.weight".to_string();
    let (_, shape, b) = m[&key].clone();
    m.insert(key, (Dtype::I16, shape, b));
    let names: Vec<&String> = m.keys().collect();
    save(&input.join("model.safetensors"), &m, &names);
    let o = run(&["verify", s(&out), s(&input)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("expected BF16, F16 or F32"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}
