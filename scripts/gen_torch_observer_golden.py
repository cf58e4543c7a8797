#!/usr/bin/env python3
"""Golden vectors for lowp's observers and custom quantized ranges from PyTorch's
torch.ao.quantization observers (MinMaxObserver, MovingAverageMinMaxObserver,
PerChannelMinMaxObserver, MovingAveragePerChannelMinMaxObserver) with quint8 / qint8,
reduce_range, and custom quant_min / quant_max.

Writes tests/data/torch/observers.txt, which tests/quant_channel.rs compares bit for bit
(scales as f32 bit patterns, zero points, observed ranges) without Python. PyTorch's
per_tensor_symmetric / per_channel_symmetric is lowp's Scheme::SymmetricFullRange; its affine
schemes are Scheme::Asymmetric.

Usage (from the repository root; a few seconds):
    /work/venv/bin/python scripts/gen_torch_observer_golden.py

File format: blocks of lines
    case <name>
    type <u8|i8>
    scheme <asymmetric|symmetric_full>
    range <qmin> <qmax>
    axis <channel axis, or - for per tensor>
    average <f32 hex averaging constant, or - for plain min/max>
    shape <dims...>                 (every batch)
    batch <f32 hex...>              (one line per batch, in order)
    min <f32 hex...>                (observed, one per channel)
    max <f32 hex...>
    scale <f32 hex...>
    zero <ints...>
    end
"""

import os
import warnings

import numpy as np
import torch
from torch.ao.quantization.observer import (
    MinMaxObserver,
    MovingAverageMinMaxObserver,
    MovingAveragePerChannelMinMaxObserver,
    PerChannelMinMaxObserver,
)

warnings.filterwarnings("ignore")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "torch", "observers.txt")


def hexf(a):
    a = np.asarray(a, dtype=np.float32).reshape(-1)
    return " ".join("0x%08x" % v for v in a.view(np.uint32))


def main():
    rng = np.random.default_rng(20261130)
    lines = []
    count = 0
    dtypes = {"u8": torch.quint8, "i8": torch.qint8}
    for tname, dt in dtypes.items():
        full = (0, 255) if tname == "u8" else (-128, 127)
        ranges = [("full", None, False), ("reduced", None, True)]
        ranges.append(("custom", (0, 127) if tname == "u8" else (-64, 63), False))
        ranges.append(("custom4", (0, 15) if tname == "u8" else (-8, 7), False))
        for rname, custom, reduce_range in ranges:
            for scheme in ["asymmetric", "symmetric_full"]:
                if scheme == "symmetric_full" and reduce_range and tname == "u8":
                    continue  # PyTorch refuses reduce_range with symmetric quint8
                for axis in [None, 0, 1]:
                    for average in [None, 0.25]:
                        per_tensor = axis is None
                        if per_tensor:
                            qs = (torch.per_tensor_affine if scheme == "asymmetric"
                                  else torch.per_tensor_symmetric)
                            cls = MinMaxObserver if average is None else MovingAverageMinMaxObserver
                        else:
                            qs = (torch.per_channel_affine if scheme == "asymmetric"
                                  else torch.per_channel_symmetric)
                            cls = (PerChannelMinMaxObserver if average is None
                                   else MovingAveragePerChannelMinMaxObserver)
                        kw = dict(dtype=dt, qscheme=qs, reduce_range=reduce_range)
                        if custom:
                            kw.update(quant_min=custom[0], quant_max=custom[1])
                        if not per_tensor:
                            kw["ch_axis"] = axis
                        if average is not None:
                            kw["averaging_constant"] = average
                        obs = cls(**kw)
                        shape = [4, 6]
                        batches = []
                        for b in range(3):
                            x = (rng.standard_normal(shape) * rng.uniform(0.1, 10)).astype(np.float32)
                            if b == 1:
                                x += np.float32(rng.uniform(-3, 3))  # shift: one-signed channels
                            batches.append(x)
                            obs(torch.from_numpy(x))
                        scale, zp = obs.calculate_qparams()
                        lo = obs.min_val.numpy().reshape(-1)
                        hi = obs.max_val.numpy().reshape(-1)
                        lines += [
                            f"case {tname}_{rname}_{scheme}_axis{axis}_avg{average}",
                            f"type {tname}",
                            f"scheme {scheme}",
                            f"range {obs.quant_min} {obs.quant_max}",
                            "axis " + ("-" if per_tensor else str(axis)),
                            "average " + ("-" if average is None else hexf([average])),
                            "shape " + " ".join(map(str, shape)),
                        ]
                        lines += ["batch " + hexf(x) for x in batches]
                        lines += [
                            "min " + hexf(lo),
                            "max " + hexf(hi),
                            "scale " + hexf(scale.numpy()),
                            "zero " + " ".join(str(int(z)) for z in zp.reshape(-1)),
                            "end",
                        ]
                        count += 1
    with open(OUT, "w") as f:
        f.write(f"# torch {torch.__version__}: observers' ranges and qparams\n")
        f.write("# generated by scripts/gen_torch_observer_golden.py\n")
        f.write("\n".join(lines) + "\n")
    print(f"{count} cases -> {OUT}")


if __name__ == "__main__":
    main()
