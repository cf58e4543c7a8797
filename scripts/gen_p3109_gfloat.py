#!/usr/bin/env python3
"""Write tests/data/p3109/gfloat.txt: gfloat's P3109 conversions (Graphcore's reference, an
older draft than the interim report v4.0) for every 8-bit member, as a second reference.

For each member: 32 f64 inputs (every kind of rounding case: points between neighbouring
values, ties, values beyond the range, zeros, infinities, NaN, negatives), and gfloat's code
for each of them under round_float(fi, v, mode, sat, srbits, srnumbits) then encode_float:
the five deterministic modes with sat False/True, and the three stochastic modes with N = 4
random bits R = i mod 16 for input i. "x" marks an input gfloat rejects (ValueError).

Lines:  <name> inputs <f64 bits hex>...
        <name> <gfloat mode> <sat 0|1> <code hex or x>...

Usage: python3 scripts/gen_p3109_gfloat.py   (needs gfloat and numpy; tested with gfloat 0.5.2)
"""
import math
import struct

import numpy as np
from gfloat import decode_float, encode_float, round_float
from gfloat.formats import format_info_p3109
from gfloat.types import Domain, RoundMode, Signedness

N_BITS = 4
MODES = ["TiesToEven", "TiesToAway", "TowardZero", "TowardPositive", "TowardNegative"]
SR_MODES = ["StochasticFastest", "StochasticFast", "Stochastic"]


def bits(v):
    return struct.unpack("<Q", struct.pack("<d", v))[0]


lines = ["# gfloat " + __import__("gfloat").__version__ if hasattr(__import__("gfloat"), "__version__") else "# gfloat"]
for signed in (True, False):
    for p in range(1, (7 if signed else 8) + 1):
        for ext in (True, False):
            fi = format_info_p3109(8, p, Signedness.Signed if signed else Signedness.Unsigned,
                                   Domain.Extended if ext else Domain.Finite)
            name = f"binary8p{p}{'s' if signed else 'u'}{'e' if ext else 'f'}"
            vals = sorted({decode_float(fi, c).fval for c in range(256)
                           if math.isfinite(decode_float(fi, c).fval) and decode_float(fi, c).fval >= 0})
            rng = np.random.default_rng(p * 4 + signed * 2 + ext)
            inputs = [0.0, math.inf, -math.inf, math.nan, vals[-1] * 1.25, vals[-1] * 4, -vals[-1] * 3]
            while len(inputs) < 32:
                i = int(rng.integers(0, len(vals) - 1))
                a, b = vals[i], vals[i + 1]
                t = [0.5, 0.25, 0.75, 0.5, float(rng.random())][int(rng.integers(0, 5))]
                v = a + (b - a) * t
                if signed and rng.random() < 0.4:
                    v = -v
                if not signed and rng.random() < 0.1:
                    v = -v
                inputs.append(v)
            lines.append(f"{name} inputs " + " ".join(f"{bits(v):016x}" for v in inputs))

            def run(mode, sat):
                out = []
                for i, v in enumerate(inputs):
                    try:
                        r = round_float(fi, v, RoundMode[mode], sat, i % (1 << N_BITS), N_BITS)
                        out.append(f"{encode_float(fi, r):x}")
                    except ValueError:
                        out.append("x")
                return out

            for mode in MODES + SR_MODES:
                for sat in (False, True):
                    lines.append(f"{name} {mode} {int(sat)} " + " ".join(run(mode, sat)))
open("tests/data/p3109/gfloat.txt", "w").write("\n".join(lines) + "\n")
print(len(lines), "lines")
