#!/usr/bin/env python3
"""Test vectors of each producer's scale rules, from the producers themselves, for the tests in
src/quant/producer.rs (which read them with include_bytes!, so CI needs no Python).

How to run (from the repository root):

    python3 -m venv /tmp/pvenv
    /tmp/pvenv/bin/pip install torchao==0.18.0 torch nvidia-modelopt==0.47.0 omegaconf pulp scipy
    /tmp/pvenv/bin/python scripts/gen_producer_golden.py
    # (nvidia-modelopt may be installed with --no-deps plus the three small modules above)

Writes tests/data/producer/ (all little-endian):

- mx_<mode>_<elem>.bin, mode in floor/ceil/even/rceil (torchao ScaleCalculationMode), elem
  fp4 (float4_e2m1fn_x2) or fp8 (float8_e4m3fn): u32 block count, then per block of 32:
  32 f32 inputs, the E8M0 scale byte, and the element codes (fp4: 16 bytes, element 2i in the
  low nibble of byte i; fp8: 32 bytes), as torchao.prototype.mx_formats.mx_tensor.to_mx
  writes them.
- nvfp4_torchao.bin, nvfp4_modelopt.bin: u32 rows, u32 cols, f32 tensor scale, rows·cols f32
  inputs, rows·cols/16 E4M3 block scales, rows·cols/2 packed FP4 bytes (element 2i low), from
  torchao.prototype.mx_formats.nvfp4_tensor.nvfp4_quantize (two-level, per_tensor_scale =
  amax / 2688) and modelopt NVFP4QTensor.quantize (weights_scaling_factor_2 = amax / 2688).
- VERSIONS.txt.

Inputs: bf16-representable values, each block at its own magnitude (2^-20 .. 2^20), plus edge
blocks: all zero, a single nonzero, amax exactly a power of two, amax with mantissa 1.75 and
1.5 (the EVEN threshold), FP4 midpoints after scaling, ±0 and tiny negatives.
"""
import os
import struct
import sys
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "producer"


def inputs(nblocks: int, block: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(nblocks, block, generator=g)
    mags = torch.exp2(torch.randint(-20, 21, (nblocks, 1), generator=g).float())
    x = x * mags
    e = [
        torch.zeros(block),
        torch.cat([torch.tensor([3.0]), torch.zeros(block - 1)]),
        torch.linspace(-4.0, 4.0, block),  # amax 4
        torch.linspace(-7.0, 7.0, block),  # amax 1.75 * 4
        torch.linspace(-6.0, 6.0, block),  # amax 1.5 * 4
        torch.tensor([6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0] * (block // 8)),
        torch.tensor([-0.0, -1e-8, 1e-8, 448.0] * (block // 4)),
        torch.tensor([1.0 + k / 64 for k in range(block)]) * 2.0**-130,  # subnormal scale
    ]
    x[: len(e)] = torch.stack(e)
    return x.to(torch.bfloat16).float()


def write_mx():
    from torchao.prototype.mx_formats.config import ScaleCalculationMode
    from torchao.prototype.mx_formats.mx_tensor import to_mx

    for mode in ["floor", "ceil", "even", "rceil"]:
        for elem, dt in [("fp4", torch.float4_e2m1fn_x2), ("fp8", torch.float8_e4m3fn)]:
            x = inputs(512, 32, hash((mode, elem)) & 0xFFFF)
            scale, data = to_mx(x.contiguous(), dt, 32, ScaleCalculationMode(mode))
            scale = scale.view(torch.uint8).reshape(-1)
            data = data.view(torch.uint8).reshape(x.shape[0], -1)
            with open(OUT / f"mx_{mode}_{elem}.bin", "wb") as f:
                f.write(struct.pack("<I", x.shape[0]))
                for b in range(x.shape[0]):
                    f.write(x[b].numpy().astype("<f4").tobytes())
                    f.write(bytes([int(scale[b])]))
                    f.write(bytes(data[b].tolist()))


def nvfp4_inputs(seed):
    x = inputs(64, 64, seed)  # 64 rows of 64 (4 blocks each), one magnitude per row
    return x.contiguous()


def write_nvfp4_file(name, x, s, scales, packed):
    with open(OUT / name, "wb") as f:
        f.write(struct.pack("<II", x.shape[0], x.shape[1]))
        f.write(struct.pack("<f", float(s)))
        f.write(x.numpy().astype("<f4").tobytes())
        f.write(bytes(scales.view(torch.uint8).reshape(-1).tolist()))
        f.write(bytes(packed.view(torch.uint8).reshape(-1).tolist()))


def write_nvfp4():
    from torchao.prototype.mx_formats.nvfp4_tensor import nvfp4_quantize, per_tensor_amax_to_scale

    # One tensor per row magnitude group: use the whole matrix with a common tensor scale.
    x = nvfp4_inputs(7)
    # Rows at wildly different magnitudes would underflow most block scales; rescale rows to
    # within 2^-8 .. 2^8 of each other so the test exercises the E4M3 range, not only 2^-6.
    x = x / x.abs().amax(dim=1, keepdim=True).clamp(min=1e-30) * torch.exp2(torch.randint(-8, 9, (x.shape[0], 1), generator=torch.Generator().manual_seed(9)).float())
    x[0] = 0.0
    x = x.to(torch.bfloat16).float().contiguous()
    s = per_tensor_amax_to_scale(x.abs().amax())
    scales, packed = nvfp4_quantize(x, 16, per_tensor_scale=s)
    write_nvfp4_file("nvfp4_torchao.bin", x, s, scales, packed)

    try:
        from modelopt.torch.quantization.qtensor.nvfp4_tensor import NVFP4QTensor
    except Exception as e:  # pragma: no cover
        print("modelopt not importable:", e, file=sys.stderr)
        raise
    q, bs, s2 = NVFP4QTensor.quantize(x.clone(), 16)
    write_nvfp4_file("nvfp4_modelopt.bin", x, s2, bs, q._quantized_data)


def main():
    import torchao

    OUT.mkdir(parents=True, exist_ok=True)
    write_mx()
    write_nvfp4()
    import modelopt

    (OUT / "VERSIONS.txt").write_text(
        f"torchao {torchao.__version__}\nmodelopt {modelopt.__version__}\ntorch {torch.__version__}\n"
    )


if __name__ == "__main__":
    main()
