//! `config.json`'s `quantization_config`, field for field as llm-compressor's `model_free_ptq`
//! writes it (compressed-tensors' `QuantizationConfig.model_dump()` with the version, the method
//! and an empty transform config added).

use crate::scheme::Scheme;
use serde_json::{json, Value};

/// The compressed-tensors version recorded in `version` (the one the golden outputs were
/// written with).
pub const CT_VERSION: &str = "0.19.0";

fn args(
    num_bits: u32,
    ty: &str,
    strategy: &str,
    group_size: Option<u32>,
    block: Option<[u32; 2]>,
    dynamic: bool,
    scale_dtype: Option<&str>,
) -> Value {
    json!({
        "actorder": null,
        "block_structure": block,
        "dynamic": dynamic,
        "group_size": group_size,
        "num_bits": num_bits,
        "observer": null,
        "observer_kwargs": {},
        "scale_dtype": scale_dtype,
        "strategy": strategy,
        "symmetric": true,
        "type": ty,
        "zp_dtype": null,
    })
}

/// (weights, input_activations, format) of a scheme.
fn scheme_parts(s: Scheme) -> (Value, Value, &'static str) {
    match s {
        Scheme::Fp8Dynamic => (
            args(8, "float", "channel", None, None, false, None),
            args(8, "float", "token", None, None, true, None),
            "float-quantized",
        ),
        Scheme::Fp8Block => (
            args(8, "float", "block", None, Some([128, 128]), false, None),
            args(8, "float", "group", Some(128), None, true, None),
            "float-quantized",
        ),
        Scheme::W8A8 => (
            args(8, "int", "channel", None, None, false, None),
            args(8, "int", "token", None, None, true, None),
            "int-quantized",
        ),
        Scheme::W4A16 => (
            args(4, "int", "group", Some(128), None, false, None),
            Value::Null,
            "pack-quantized",
        ),
        Scheme::Nvfp4A16 => (
            args(
                4,
                "float",
                "tensor_group",
                Some(16),
                None,
                false,
                Some("torch.float8_e4m3fn"),
            ),
            Value::Null,
            "nvfp4-pack-quantized",
        ),
        Scheme::Mxfp4A16 => (
            args(
                4,
                "float",
                "group",
                Some(32),
                None,
                false,
                Some("torch.uint8"),
            ),
            Value::Null,
            "mxfp4-pack-quantized",
        ),
        Scheme::Mxfp4 => (
            args(
                4,
                "float",
                "group",
                Some(32),
                None,
                false,
                Some("torch.uint8"),
            ),
            args(
                4,
                "float",
                "group",
                Some(32),
                None,
                true,
                Some("torch.uint8"),
            ),
            "mxfp4-pack-quantized",
        ),
    }
}

/// The `quantization_config` object for `scheme` with the ignore list `ignore` (verbatim).
pub fn quantization_config(scheme: Scheme, ignore: &[String]) -> Value {
    let (weights, input, format) = scheme_parts(scheme);
    json!({
        "config_groups": {
            scheme.name(): {
                "format": format,
                "input_activations": input,
                "output_activations": null,
                "targets": ["Linear"],
                "weights": weights,
            }
        },
        "format": format,
        "global_compression_ratio": null,
        "ignore": ignore,
        "kv_cache_scheme": null,
        "quant_method": "compressed-tensors",
        "quantization_status": "compressed",
        "transform_config": {},
        "version": CT_VERSION,
    })
}
