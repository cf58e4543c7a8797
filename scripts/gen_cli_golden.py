#!/usr/bin/env python3
"""Golden outputs of llm-compressor's `model_free_ptq` for the `lowp quantize` tests.

Builds small random checkpoints, runs `model_free_ptq` (on the CPU) on each for every scheme,
and writes inputs and outputs under cli/tests/data/golden/. The Rust test
cli/tests/golden.rs runs `lowp quantize` on the same inputs and compares every output file
byte for byte (shards, index, config.json), so CI needs no Python.

How to run (from the repository root):

    python3 -m venv /tmp/cvenv
    /tmp/cvenv/bin/pip install llmcompressor==0.14.0.1 transformers   # pulls torch,
    #                                                    compressed-tensors 0.20.0, safetensors
    /tmp/cvenv/bin/python scripts/gen_cli_golden.py

Checkpoints (fixed seeds; weights drawn from transformers' own initialisation, then a few rows
overwritten with edge cases: an all-zero row, ±0 and tiny negatives, exact FP4/FP8/int
midpoints, a row with a huge range):

- llama-bf16: a tiny LlamaForCausalLM (1 layer, hidden 128, intermediate 128, 4 heads, 2 KV
  heads, vocab 64) in bfloat16, written as two shards with an index, q_proj in the first
  shard and k_proj/v_proj in the second (so NVFP4/MXFP4 move the partners, as llm-compressor
  does);
- llama-f16, llama-f32: the same architecture in float16 and float32, one model.safetensors
  each;
- moe-fused-bf16: the same MoE with its experts fused into 3-D `gate_up_proj` / `down_proj`
  tensors (which model_free_ptq splits into per-expert 2-D weights), FP8_DYNAMIC and NVFP4A16;
- moe-bf16: a tiny Qwen3-MoE (1 layer, 2 experts, hidden 128, expert intermediate 128, vocab
  64), saved by transformers (per-expert 2-D projections), quantized with the router ignored
  (`re:.*mlp.gate$`) as one would for a real MoE.

Each output directory holds exactly what model_free_ptq wrote (config.json with its
quantization_config, tokenizer-less), and VERSIONS.txt records the library versions.
"""
import json
import os
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent / "cli" / "tests" / "data" / "golden"
SCHEMES = ["FP8_DYNAMIC", "FP8_BLOCK", "W8A8", "W4A16", "NVFP4A16", "MXFP4A16", "MXFP4"]


def edge_rows(w: torch.Tensor) -> None:
    """Overwrite a few rows of a 2-D weight with edge cases (in place)."""
    rows, cols = w.shape
    dt = w.dtype
    w[0].zero_()  # all-zero row: scale 0 -> eps / 0.125 / code 0
    # +-0 and tiny negatives (sign of FP8/FP4 zero)
    r = torch.zeros(cols)
    r[0::4] = -0.0
    r[1::4] = -1e-6
    r[2::4] = 1e-6
    r[3] = 1.0
    w[1] = r.to(dt)
    # exact midpoints of the FP4 grid for a block amax of 6 (0.25, 0.75, 1.25, ... 5.0)
    mids = torch.tensor([6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -0.25, -0.75, -1.25, -1.75, -2.5, -3.5, -5.0, -6.0])
    w[2] = mids.repeat(cols // 16).to(dt)
    # int midpoints: amax 7.5 -> int4 scale 1, values k + 0.5
    ints = torch.arange(-8, 8, dtype=torch.float32) + 0.5
    ints[0] = -7.5
    w[3] = ints.repeat(cols // 16).to(dt)
    # a huge range: one large value, the rest tiny
    r = torch.randn(cols) * 1e-3
    r[5] = 300.0
    w[4] = r.to(dt)


def build_llama(dtype, inter, vocab, seed):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        hidden_size=128,
        intermediate_size=inter,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=vocab,
        max_position_embeddings=256,
        tie_word_embeddings=False,
        torch_dtype=dtype,
    )
    model = LlamaForCausalLM(cfg).to(dtype)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 2 and name.endswith("proj.weight"):
                p.mul_(20.0)  # spread the values (init std 0.02 is narrow)
        edge_rows(model.model.layers[0].self_attn.o_proj.weight.data)
        edge_rows(model.model.layers[0].mlp.down_proj.weight.data)
    return cfg, {k: v.contiguous() for k, v in model.state_dict().items()}


def build_moe(seed):
    from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM

    torch.manual_seed(seed)
    cfg = Qwen3MoeConfig(
        hidden_size=128,
        intermediate_size=128,
        moe_intermediate_size=128,
        num_hidden_layers=1,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        num_experts=2,
        num_experts_per_tok=1,
        vocab_size=64,
        max_position_embeddings=256,
        tie_word_embeddings=False,
        torch_dtype=torch.bfloat16,
    )
    model = Qwen3MoeForCausalLM(cfg).to(torch.bfloat16)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("weight") and p.ndim >= 2 and "embed" not in name and "lm_head" not in name:
                p.mul_(20.0)
    return cfg, model


def write_checkpoint(out: Path, cfg, tensors: dict, shards=None):
    out.mkdir(parents=True, exist_ok=True)
    cfg.save_pretrained(out)
    if shards is None:
        save_file(tensors, out / "model.safetensors", metadata={"format": "pt"})
        return
    weight_map = {}
    total = 0
    for i, names in enumerate(shards):
        fn = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        part = {n: tensors[n] for n in names}
        save_file(part, out / fn, metadata={"format": "pt"})
        for n in names:
            weight_map[n] = fn
            total += tensors[n].nbytes
    with open(out / "model.safetensors.index.json", "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)


def run_all(name: str, inp: Path, schemes, ignore):
    from llmcompressor import model_free_ptq

    for s in schemes:
        out = ROOT / name / s
        if out.exists():
            shutil.rmtree(out)
        print(f"== {name} {s}", flush=True)
        model_free_ptq(str(inp), str(out), scheme=s, ignore=ignore, max_workers=1, device="cpu")
        (ROOT / name / f"{s}.ignore.json").write_text(json.dumps(ignore))


def main():
    import compressed_tensors
    import llmcompressor
    import safetensors
    import transformers

    if ROOT.exists():
        shutil.rmtree(ROOT)
    ROOT.mkdir(parents=True)

    # 1. llama-bf16, two shards, q_proj apart from k_proj/v_proj.
    cfg, t = build_llama(torch.bfloat16, 128, 64, 0)
    first = [n for n in t if "embed" in n or "q_proj" in n or "o_proj" in n or "input_layernorm" in n]
    second = [n for n in t if n not in first]
    write_checkpoint(ROOT / "llama-bf16" / "input", cfg, t, [first, second])
    run_all("llama-bf16", ROOT / "llama-bf16" / "input", SCHEMES, ["lm_head"])

    # 2. f16 and f32, one file each.
    for dt, nm, seed in [(torch.float16, "llama-f16", 1), (torch.float32, "llama-f32", 2)]:
        cfg, t = build_llama(dt, 128, 64, seed)
        write_checkpoint(ROOT / nm / "input", cfg, t)
        run_all(nm, ROOT / nm / "input", SCHEMES, ["lm_head"])

    # 3. MoE, saved by transformers itself (its on-disk expert layout).
    cfg, model = build_moe(3)
    inp = ROOT / "moe-bf16" / "input"
    model.save_pretrained(inp)
    for f in inp.iterdir():
        if f.name == "generation_config.json":
            f.unlink()
    run_all("moe-bf16", inp, SCHEMES, ["lm_head", "re:.*mlp.gate$"])

    # 4. MoE with fused 3-D experts (the layout model_free_ptq splits): gate_up_proj [E, 2I, H],
    #    down_proj [E, H, I], written by hand from the per-expert tensors.
    sd = {k: v.contiguous() for k, v in model.state_dict().items()}
    pre = "model.layers.0.mlp.experts"
    n = cfg.num_experts
    if f"{pre}.gate_up_proj" in sd:  # transformers 5 keeps the experts fused in memory
        fused = sd
    else:
        fused = {k: v for k, v in sd.items() if not k.startswith(pre + ".")}
        fused[f"{pre}.gate_up_proj"] = torch.stack(
            [torch.cat([sd[f"{pre}.{e}.gate_proj.weight"], sd[f"{pre}.{e}.up_proj.weight"]]) for e in range(n)]
        ).contiguous()
        fused[f"{pre}.down_proj"] = torch.stack([sd[f"{pre}.{e}.down_proj.weight"] for e in range(n)]).contiguous()
    inp = ROOT / "moe-fused-bf16" / "input"
    write_checkpoint(inp, cfg, fused)
    run_all("moe-fused-bf16", inp, ["FP8_DYNAMIC", "NVFP4A16"], ["lm_head", "re:.*mlp.gate$"])

    versions = {
        "llmcompressor": llmcompressor.__version__,
        "compressed_tensors": compressed_tensors.__version__,
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "safetensors": safetensors.__version__,
        "python": sys.version.split()[0],
    }
    (ROOT / "VERSIONS.txt").write_text("".join(f"{k} {v}\n" for k, v in versions.items()))
    print(versions)


if __name__ == "__main__":
    main()
