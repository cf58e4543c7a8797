//! `lowp quantize` against llm-compressor 0.14's `model_free_ptq` (compressed-tensors 0.19):
//! for every checkpoint and scheme that `scripts/gen_cli_golden.py` ran, every file lowp
//! writes must be byte for byte the one llm-compressor wrote (shards, headers and tensor order
//! included, the index, and config.json with its quantization_config), and no file may be
//! missing or extra.

use std::path::{Path, PathBuf};
use std::process::Command;

const SCHEMES: [&str; 7] = [
    "FP8_DYNAMIC",
    "FP8_BLOCK",
    "W8A8",
    "W4A16",
    "NVFP4A16",
    "MXFP4A16",
    "MXFP4",
];

fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Names the first tensor whose bytes differ, for a readable failure.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let (Ok(x), Ok(y)) = (
        safetensors::SafeTensors::deserialize(a),
        safetensors::SafeTensors::deserialize(b),
    ) else {
        return "not both valid safetensors".into();
    };
    let mut names = x.names();
    names.sort();
    for n in names {
        match y.tensor(n) {
            Err(_) => return format!("tensor {n} missing"),
            Ok(t) => {
                let s = x.tensor(n).unwrap();
                if s.dtype() != t.dtype() || s.shape() != t.shape() {
                    return format!(
                        "tensor {n}: {:?}{:?} vs {:?}{:?}",
                        s.dtype(),
                        s.shape(),
                        t.dtype(),
                        t.shape()
                    );
                }
                if let Some(i) = s.data().iter().zip(t.data()).position(|(p, q)| p != q) {
                    return format!(
                        "tensor {n}: byte {i} is {} in the golden file, {} from lowp",
                        s.data()[i],
                        t.data()[i]
                    );
                }
            }
        }
    }
    "same tensors, different header or layout".into()
}

fn check(model: &str) {
    check_with(model, false);
    // The same with chunks of 4 KiB and tasks of 512 bytes: every tensor spans many maps,
    // tasks and pieces, each written at its own offset.
    check_with(model, true);
}

fn check_with(model: &str, tiny_chunks: bool) {
    let root = golden().join(model);
    let out_root = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let schemes: Vec<&str> = SCHEMES
        .into_iter()
        .filter(|s| root.join(s).is_dir())
        .collect();
    assert!(!schemes.is_empty(), "no golden outputs for {model}");
    for scheme in schemes {
        let expected = root.join(scheme);
        let ignore: Vec<String> = serde_json::from_slice(
            &std::fs::read(root.join(format!("{scheme}.ignore.json"))).unwrap(),
        )
        .unwrap();
        let out = out_root.path().join(scheme);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lowp"));
        cmd.arg("quantize")
            .arg(root.join("input"))
            .arg(&out)
            .args(["--scheme", scheme, "-q"]);
        if tiny_chunks {
            cmd.env("LOWP_TINY_CHUNKS", "1");
        }
        for i in &ignore {
            cmd.args(["--ignore", i]);
        }
        let o = cmd.output().unwrap();
        assert!(
            o.status.success(),
            "{model} {scheme}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let (want, got) = (files(&expected), files(&out));
        if want != got {
            failures.push(format!(
                "{model} {scheme}: files {got:?}, llm-compressor wrote {want:?}"
            ));
            continue;
        }
        for f in want {
            let a = std::fs::read(expected.join(&f)).unwrap();
            let b = std::fs::read(out.join(&f)).unwrap();
            if a != b {
                let why = if f.ends_with(".safetensors") {
                    first_difference(&a, &b)
                } else {
                    format!(
                        "{:?}\nvs\n{:?}",
                        String::from_utf8_lossy(&a),
                        String::from_utf8_lossy(&b)
                    )
                };
                failures.push(format!(
                    "{model} {scheme}{}: {f} differs: {why}",
                    if tiny_chunks { " (tiny chunks)" } else { "" }
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn llama_bf16_two_shards_matches_model_free_ptq() {
    check("llama-bf16");
}

#[test]
fn llama_f16_matches_model_free_ptq() {
    check("llama-f16");
}

#[test]
fn llama_f32_matches_model_free_ptq() {
    check("llama-f32");
}

#[test]
fn moe_bf16_matches_model_free_ptq() {
    check("moe-bf16");
}

/// Fused 3-D experts (`gate_up_proj` [E, 2I, H], `down_proj` [E, H, I]) are split into per-expert
/// weights, as model_free_ptq splits them (FP8_DYNAMIC and NVFP4A16).
#[test]
fn moe_fused_experts_match_model_free_ptq() {
    check("moe-fused-bf16");
}

/// The golden data really holds what the tests claim: NVFP4 moved k/v next to q (first shard)
/// and the edge rows (±0, FP4 midpoints) are in the input.
#[test]
fn golden_data_covers_the_cases() {
    let idx: serde_json::Value = serde_json::from_slice(
        &std::fs::read(golden().join("llama-bf16/NVFP4A16/model.safetensors.index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        idx["weight_map"]["model.layers.0.self_attn.k_proj.weight_packed"],
        "model-00001-of-00002.safetensors"
    );
    let src: serde_json::Value = serde_json::from_slice(
        &std::fs::read(golden().join("llama-bf16/input/model.safetensors.index.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        src["weight_map"]["model.layers.0.self_attn.k_proj.weight"],
        "model-00002-of-00002.safetensors"
    );
    let v = std::fs::read_to_string(golden().join("VERSIONS.txt")).unwrap();
    assert!(
        v.contains("llmcompressor 0.14.0.1") && v.contains("compressed_tensors 0.19.0"),
        "{v}"
    );
}
