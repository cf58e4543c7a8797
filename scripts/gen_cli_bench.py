#!/usr/bin/env python3
"""A synthetic Llama-shaped bf16 checkpoint for scripts/bench_cli.sh: 3.36 GB in two shards
(hidden 4096, intermediate 11008, 8 layers, vocabulary 32000; the largest tensors, the
embeddings and lm_head, are 262 MB), weights N(0, 0.02), norms 1. Needs only numpy; writes the
safetensors files directly (header JSON, then the raw little-endian bf16 bytes), tensor by
tensor, so memory stays near one tensor. Deterministic for a given seed.

    python3 scripts/gen_cli_bench.py OUT_DIR [--layers 8] [--seed 0]
"""
import argparse
import json
import os

import numpy as np

H, I, V = 4096, 11008, 32000


def bf16_bits(x):
    """float32 array -> uint16 bfloat16 bits, round to nearest even (finite inputs)."""
    b = x.astype(np.float32).view(np.uint32)
    b = b + 0x7FFF + ((b >> 16) & 1)
    return (b >> 16).astype(np.uint16)


def tensors(layers, shard):
    """(name, shape, kind) of each shard, kind 'w' (random) or 'one'."""
    out = []
    if shard == 0:
        out.append(("model.embed_tokens.weight", (V, H), "w"))
    half = layers // 2
    for l in range(layers):
        if (l < half) != (shard == 0):
            continue
        p = f"model.layers.{l}"
        out += [
            (f"{p}.self_attn.q_proj.weight", (H, H), "w"),
            (f"{p}.self_attn.k_proj.weight", (1024, H), "w"),
            (f"{p}.self_attn.v_proj.weight", (1024, H), "w"),
            (f"{p}.self_attn.o_proj.weight", (H, H), "w"),
            (f"{p}.mlp.gate_proj.weight", (I, H), "w"),
            (f"{p}.mlp.up_proj.weight", (I, H), "w"),
            (f"{p}.mlp.down_proj.weight", (H, I), "w"),
            (f"{p}.input_layernorm.weight", (H,), "one"),
            (f"{p}.post_attention_layernorm.weight", (H,), "one"),
        ]
    if shard == 1:
        out.append(("model.norm.weight", (H,), "one"))
        out.append(("lm_head.weight", (V, H), "w"))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    weight_map, total = {}, 0
    for shard in range(2):
        fn = f"model-{shard + 1:05d}-of-00002.safetensors"
        ts = sorted(tensors(a.layers, shard), key=lambda t: t[0])
        header, off = {"__metadata__": {"format": "pt"}}, 0
        for name, shape, _ in ts:
            n = int(np.prod(shape)) * 2
            header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + n]}
            off += n
            weight_map[name] = fn
        total += off
        h = json.dumps(header, separators=(",", ":")).encode()
        h += b" " * (-len(h) % 8)
        with open(os.path.join(a.out, fn), "wb") as f:
            f.write(len(h).to_bytes(8, "little"))
            f.write(h)
            for name, shape, kind in ts:
                if kind == "one":
                    f.write(bf16_bits(np.ones(shape, np.float32)).tobytes())
                    continue
                rows = shape[0]
                for r0 in range(0, rows, 1024):
                    r1 = min(rows, r0 + 1024)
                    x = rng.standard_normal((r1 - r0, shape[1]), dtype=np.float32) * 0.02
                    f.write(bf16_bits(x).tobytes())
    with open(os.path.join(a.out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f)
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": H}, f)
    print(f"{total / 1e9:.2f} GB in {a.out}")


if __name__ == "__main__":
    main()
