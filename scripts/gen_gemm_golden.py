#!/usr/bin/env python3
"""Golden vectors for lowp::gemm.

* tests/data/gemm/mmasim.txt: dot products computed by MMA-Sim (PyPI `mmasim`, the bit-accurate
  reference models of NVIDIA tensor cores and AMD matrix cores) for a preset of every
  architecture and every arithmetic model, over two instruction issues (k = 2 * k_instr, the
  first issue's output fed to the second as c). Categories: random, cancellation, exponent
  spread beyond F, subnormal operands, zeros, NaN/inf operands, -0 candidates.
* tests/data/gemm/onnx.txt: ONNX MatMulInteger and QLinearMatMul computed by onnxruntime.
* tests/data/gemm/f64.txt: the f64 instructions (MMA-Sim's sequential FMA), one record per
  preset and category: `f64 <vendor>|<arch>|<op>|<name> <m> <n> <k> <category>` then lines
  `a`, `b`, `c`, `d` of binary64 bits (m x k, k x n, m x n, m x n row-major).

Format (one record per line, hexadecimal encodings, space separated):
  case <vendor>|<arch>|<op>|<name> <k> <category>
  a <codes...>        operand codes in lowp's storage (FP4/FP6 one code per byte, low bits)
  b <codes...>
  sa <codes...> / sb <codes...>   block scales (block-scaled instructions only)
  c <bits>            accumulator bits (f32, or f16 for f16-output instructions)
  d <bits>            expected result bits

Run: PATH=/work/venv/bin:$PATH python scripts/gen_gemm_golden.py  (about a minute);
`--only f64` writes f64.txt alone.
"""
import os
import random
import sys

import numpy as np
import torch

import mmasim.amd as amd
import mmasim.nv_ptx as nv

OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "gemm")
PER_CATEGORY = 3
rng = random.Random(20261130)

# (vendor, arch, op, name)
PRESETS = [
    ("nvidia", "Volta", "mma", "m8n8k4.f32.f16.f16.f32"),
    ("nvidia", "Volta", "mma", "m8n8k4.f16.f16.f16.f16"),
    ("nvidia", "Turing", "mma", "m16n8k8.f32.f16.f16.f32"),
    ("nvidia", "Turing", "mma", "m8n8k4.f32.f16.f16.f32"),
    ("nvidia", "Ampere", "mma", "m16n8k16.f32.bf16.bf16.f32"),
    ("nvidia", "Ampere", "mma", "m16n8k8.f32.tf32.tf32.f32"),
    ("nvidia", "Ampere", "mma", "m16n8k16.f16.f16.f16.f16"),
    ("nvidia", "Ada Lovelace", "mma", "m16n8k32.f32.e4m3.e5m2.f32"),
    ("nvidia", "Ada Lovelace", "mma", "m16n8k32.f16.e5m2.e5m2.f16"),
    ("nvidia", "Hopper", "wgmma", "m64n8k32.f32.e4m3.e4m3"),
    ("nvidia", "Hopper", "wgmma", "m64n8k32.f16.e5m2.e4m3"),
    ("nvidia", "Hopper", "wgmma", "m64n8k16.f32.bf16.bf16"),
    ("nvidia", "Hopper", "wgmma", "m64n8k8.f32.tf32.tf32"),
    ("nvidia", "Hopper", "mma", "m16n8k16.f32.f16.f16.f32"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m64n8k32.kind::f8f6f4.f32.e2m1.e3m2"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m128n8k16.kind::f16.f32.f16.f16"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m64n8k16.kind::f16.f16.f16.f16"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m128n8k32.kind::mxf8f6f4.block32.f32.e4m3.e2m3.ue8m0"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m128n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.ue4m3"),
    ("nvidia", "Blackwell", "tcgen05.mma", "m128n8k64.kind::mxf4.block32.f32.e2m1.e2m1.ue8m0"),
    ("nvidia", "RTX Blackwell", "mma", "m16n8k32.kind::f8f6f4.f16.e3m2.e2m3.f16"),
    ("nvidia", "RTX Blackwell", "mma", "m16n8k32.f32.e4m3.e4m3.f32"),
    ("nvidia", "RTX Blackwell", "mma", "m16n8k32.kind::mxf8f6f4.block32.f32.e5m2.e5m2.f32.ue8m0"),
    ("nvidia", "RTX Blackwell", "mma", "m16n8k64.kind::mxf4nvf4.block16.f32.e2m1.e2m1.f32.ue4m3"),
    ("amd", "CDNA1", "mfma", "f32_32x32x8f16"),
    ("amd", "CDNA1", "mfma", "f32_32x32x4bf16"),
    ("amd", "CDNA1", "mfma", "f32_32x32x2f32"),
    ("amd", "CDNA2", "mfma", "f32_32x32x8bf16_1k"),
    ("amd", "CDNA2", "mfma", "f32_32x32x4bf16"),
    ("amd", "CDNA2", "mfma", "f32_32x32x8f16"),
    ("amd", "CDNA3", "mfma", "f32_32x32x8_f16"),
    ("amd", "CDNA3", "mfma", "f32_16x16x8_xf32"),
    ("amd", "CDNA3", "mfma", "f32_32x32x8_bf16"),
    ("amd", "CDNA3", "mfma", "f32_32x32x16_fp8_bf8"),
    ("amd", "CDNA3", "mfma", "f32_16x16x32_bf8_bf8"),
    ("amd", "CDNA3", "mfma", "f32_16x16x4_f32"),
]

# Format name -> (exponent bits, mantissa bits, bias, kind) where kind is the special-value
# style: "ieee" (inf + NaNs), "fn" (all-ones NaN), "fnuz" (0x80 NaN), "none" (FP6/FP4).
FORMATS = {
    "f32": (8, 23, 127, "ieee"),
    "tf32": (8, 23, 127, "ieee"),  # carried as f32 bits, truncated by the instruction
    "xf32": (8, 23, 127, "ieee"),
    "f16": (5, 10, 15, "ieee"),
    "bf16": (8, 7, 127, "ieee"),
    "e4m3": (4, 3, 7, "fn"),
    "e5m2": (5, 2, 15, "ieee"),
    "fp8": (4, 3, 8, "fnuz"),
    "bf8": (5, 2, 16, "fnuz"),
    "e3m2": (3, 2, 3, "none"),
    "e2m3": (2, 3, 1, "none"),
    "e2m1": (2, 1, 1, "none"),
}
TORCH = {
    "f32": torch.float32, "tf32": torch.float32, "xf32": torch.float32,
    "f16": torch.float16, "bf16": torch.bfloat16,
    "e4m3": torch.float8_e4m3fn, "e5m2": torch.float8_e5m2,
    "fp8": torch.float8_e4m3fnuz, "bf8": torch.float8_e5m2fnuz,
}
INT_VIEW = {1: torch.uint8, 2: torch.int16, 4: torch.int32}


def bits_of(name):
    e, m, _, _ = FORMATS[name]
    return 1 + e + m


def nan_codes(name):
    e, m, _, kind = FORMATS[name]
    w = 1 + e + m
    if kind == "ieee":
        return [((1 << e) - 1) << m | 1 << (m - 1), ((1 << e) - 1) << m | 1 << (m - 1) | 1 << (w - 1)]
    if kind == "fn":
        return [(1 << (w - 1)) - 1, (1 << w) - 1]
    if kind == "fnuz":
        return [1 << (w - 1)]
    return []


def inf_codes(name):
    e, m, _, kind = FORMATS[name]
    if kind != "ieee":
        return []
    w = 1 + e + m
    return [((1 << e) - 1) << m, ((1 << e) - 1) << m | 1 << (w - 1)]


def is_special(name, code):
    return code in nan_codes(name) or code in inf_codes(name)


def code(name, sign, field, mant):
    e, m, _, _ = FORMATS[name]
    return (sign << (e + m)) | (field << m) | mant


def random_code(name, lo_field=1, hi_field=None):
    e, m, bias, kind = FORMATS[name]
    top = (1 << e) - 1
    hi = hi_field if hi_field is not None else (top - 1 if kind == "ieee" else top)
    while True:
        c = code(name, rng.randrange(2), rng.randint(lo_field, hi), rng.randrange(1 << m))
        if not is_special(name, c) and not (kind == "fnuz" and c == 1 << (e + m)):
            return c


def mid_code(name, spread):
    """A normal code with exponent within `spread` binades of 1.0 (field near the bias)."""
    e, m, bias, kind = FORMATS[name]
    top = (1 << e) - 1
    lo, hi = max(1, bias - spread), min(top - (1 if kind == "ieee" else 0), bias + spread)
    while True:
        c = code(name, rng.randrange(2), rng.randint(lo, hi), rng.randrange(1 << m))
        if not is_special(name, c):
            return c


def sub_code(name):
    e, m, _, _ = FORMATS[name]
    return code(name, rng.randrange(2), 0, rng.randrange(1, 1 << m))


def neg(name, c):
    e, m, _, kind = FORMATS[name]
    if kind == "fnuz" and c & ((1 << (e + m)) - 1) == 0:
        return c
    return c ^ (1 << (e + m))


def zero(name, sign=0):
    e, m, _, kind = FORMATS[name]
    return 0 if kind == "fnuz" else sign << (e + m)


def operands(cat, an, bn, k):
    """Codes of a (k) and b (k) for one category."""
    narrow = lambda n: 3 if bits_of(n) <= 8 else 6
    a = [mid_code(an, narrow(an)) for _ in range(k)]
    b = [mid_code(bn, narrow(bn)) for _ in range(k)]
    if cat == "random":
        a = [random_code(an) if rng.random() < 0.5 else x for x in a]
        b = [random_code(bn) if rng.random() < 0.5 else x for x in b]
    elif cat == "cancel":
        for i in range(0, k - 1, 2):
            b[i + 1] = b[i]
            a[i + 1] = neg(an, a[i])
        if rng.random() < 0.5:
            i = rng.randrange(k)
            a[i] = mid_code(an, 1)
    elif cat == "spread":
        for i in range(k):
            r = rng.random()
            if r < 0.3:
                a[i] = random_code(an, hi_field=2)
            elif r < 0.6:
                a[i] = random_code(an, lo_field=(1 << FORMATS[an][0]) - 3)
    elif cat == "subnormal":
        for i in range(k):
            if rng.random() < 0.6:
                a[i] = sub_code(an)
            if rng.random() < 0.6:
                b[i] = sub_code(bn)
    elif cat == "zeros":
        for i in range(k):
            if rng.random() < 0.7:
                a[i] = zero(an, rng.randrange(2))
            if rng.random() < 0.3:
                b[i] = zero(bn, rng.randrange(2))
    elif cat == "special":
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(k)
            pool = nan_codes(an) + inf_codes(an) * 3
            if pool and rng.random() < 0.7:
                a[i] = rng.choice(pool)
            else:
                pool = nan_codes(bn) + inf_codes(bn) * 3
                if pool:
                    b[i] = rng.choice(pool)
                a[(i + 1) % k] = zero(an)
    elif cat in ("ezero", "tiny"):
        # Products near the bottom of the output's range (around 2^-140 for f32 outputs,
        # 2^-22 for f16 outputs; as low as the operand formats reach), some exactly zero: the
        # exponent that zero terms take (e_zero) then decides which tiny products survive.
        target = TARGET_E[0]
        for i in range(k):
            for vec, n in ((a, an), (b, bn)):
                e_bits, m_bits, bias, kind = FORMATS[n]
                top = (1 << e_bits) - 1 - (1 if kind == "ieee" else 0)
                f = min(max(1, target // 2 + bias + rng.randint(-3, 3)), top)
                vec[i] = code(n, rng.randrange(2), f, rng.randrange(1 << m_bits))
                if is_special(n, vec[i]):
                    vec[i] = zero(n)
            if cat == "ezero" and rng.random() < 0.3:
                a[i] = zero(an, rng.randrange(2))
    elif cat == "bigc":
        # Large products beside a small, negative, infinite or NaN c (GTR-FDPA drops a c more
        # than F + 1 binades below the products, even a NaN).
        for i in range(k):
            if rng.random() < 0.5:
                a[i] = random_code(an, lo_field=(1 << FORMATS[an][0]) - 3)
                b[i] = random_code(bn, lo_field=(1 << FORMATS[bn][0]) - 3)
    elif cat == "negzero":
        for i in range(k):
            a[i] = zero(an, 1)
            b[i] = mid_code(bn, 2)
    return a, b


TARGET_E = [-140]


def c_bits(cat, cname):
    e, m, bias, _ = FORMATS[cname]
    r = rng.random()
    if cat in ("ezero", "tiny"):
        if r < 0.5:
            return zero(cname, rng.randrange(2))
        return sub_code(cname) if r < 0.8 else code(cname, rng.randrange(2), 1, rng.randrange(1 << m))
    if cat == "negzero":
        return zero(cname, 1)
    if cat == "bigc":
        if r < 0.4:
            return rng.choice(nan_codes(cname) + inf_codes(cname))
        return code(cname, 1 if r < 0.8 else 0, rng.randint(1, bias), rng.randrange(1 << m))
    if cat == "special" and r < 0.3:
        return rng.choice(nan_codes(cname) + inf_codes(cname))
    if cat == "subnormal" and r < 0.5:
        return sub_code(cname)
    if cat == "zeros" and r < 0.5:
        return zero(cname, rng.randrange(2))
    if cat == "spread" and r < 0.5:
        return random_code(cname)
    return mid_code(cname, 8 if cname == "f16" else 12)


def to_sim(name, codes, packed_fp4=False):
    """Torch tensor (batch of rows) as MMA-Sim takes the operand."""
    arr = np.array(codes, dtype=np.int64)
    if name in ("e3m2", "e2m3", "e2m1"):
        if packed_fp4:
            # unpack_uint8_to_fp4: element 2i is the high nibble of byte i, 2i+1 the low one.
            pairs = arr.reshape(*arr.shape[:-1], -1, 2)
            return torch.tensor((pairs[..., 0] << 4) | pairs[..., 1], dtype=torch.uint8)
        # decode_uint8_to_fp6_fp4: FP6 in bits 5:0, FP4 in bits 5:2.
        shift = 2 if name == "e2m1" else 0
        return torch.tensor(arr << shift, dtype=torch.uint8)
    w = bits_of(name)
    if name in ("f32", "tf32", "xf32"):
        t = torch.tensor(arr.astype(np.uint32).view(np.int32), dtype=torch.int32)
        return t.view(torch.float32)
    if w == 16:
        t = torch.tensor(arr.astype(np.uint16).view(np.int16), dtype=torch.int16)
        return t.view(TORCH[name])
    return torch.tensor(arr, dtype=torch.uint8).view(TORCH[name])


def from_sim(t):
    if t.dtype == torch.float32:
        return [int(x) & 0xFFFFFFFF for x in t.view(torch.int32).flatten().tolist()]
    return [int(x) & 0xFFFF for x in t.view(torch.int16).flatten().tolist()]


def parse(vendor, arch, op, name):
    if vendor == "amd":
        sim = amd.MFMA(arch, name)
        q = name.split("_")
        if len(q) == 2:
            t = "bf16" if q[1].endswith("bf16") else q[1][-3:]
            at = bt = t
        elif len(q) == 3:
            at = bt = "bf16" if q[2] == "1k" else q[2]
        elif q[3] in ("fp8", "bf8"):
            at, bt = q[2], q[3]
        else:
            at = bt = q[3]
        return sim, at, bt, "f32", None, None
    t = [x for x in name.split(".") if not x.startswith("kind::")]
    block = next((int(x[5:]) for x in t if x.startswith("block")), None)
    t = [x for x in t if not x.startswith("block")]
    if block is not None:
        sim = (nv.MMABlockScale if op == "mma" else nv.TCGen05MMABlockScale)(arch, name)
        return sim, t[2], t[3], t[1], block, t[-1]
    sim = {"mma": nv.MMA, "wgmma": nv.WGMMA, "tcgen05.mma": nv.TCGen05MMA}[op](arch, name)
    return sim, t[2], t[3], t[1], None, None


def scale_codes(sty, n, cat):
    out = []
    for _ in range(n):
        if sty == "ue8m0":
            c = rng.randint(127 - 20, 127 + 20)
            if cat == "spread":
                c = rng.choice([rng.randint(0, 30), rng.randint(220, 254), c])
            if cat == "special" and rng.random() < 0.2:
                c = 0xFF
        else:  # ue4m3 as e4m3fn codes; the sign bit is random (ignored by the hardware)
            c = rng.randint(0x20, 0x50)
            if cat in ("subnormal", "zeros") and rng.random() < 0.4:
                c = rng.randint(0, 7)
            if cat == "special" and rng.random() < 0.2:
                c = 0x7F
            c |= rng.randrange(2) << 7
        out.append(c)
    return out


def scale_tensor(sty, codes):
    t = torch.tensor(codes, dtype=torch.uint8)
    return t.view(torch.float8_e8m0fnu if sty == "ue8m0" else torch.float8_e4m3fn)


CATEGORIES = ["random", "cancel", "spread", "subnormal", "zeros", "special", "negzero", "ezero", "tiny", "bigc"]


def gen_mmasim(lines):
    for vendor, arch, op, name in PRESETS:
        sim, at, bt, ct, block, sty = parse(vendor, arch, op, name)
        ki = sim.k
        k = 2 * ki
        packed = block is not None and ki == 64
        TARGET_E[0] = -22 if ct == "f16" else -140
        for cat in CATEGORIES:
            for _ in range(PER_CATEGORY):
                a, b = operands(cat, at, bt, k)
                c0 = c_bits(cat, ct)
                sa = sb = None
                if block is not None:
                    sa = scale_codes(sty, k // block, cat)
                    sb = scale_codes(sty, k // block, cat)
                acc = to_sim(ct, [c0])
                for t in range(2):
                    sl = slice(t * ki, (t + 1) * ki)
                    A = to_sim(at, [a[sl]], packed)
                    B = to_sim(bt, [b[sl]], packed)
                    if block is None:
                        acc = sim.dpa(A, B, acc)
                    else:
                        bl = slice(t * ki // block, (t + 1) * ki // block)
                        acc = sim.dpa(A, B, acc, scale_tensor(sty, [sa[bl]]), scale_tensor(sty, [sb[bl]]))
                    if acc.dtype != TORCH.get(ct, torch.float32) and ct != "f32":
                        pass
                d = from_sim(acc)[0]
                hexw = lambda n: (bits_of(n) + 3) // 4
                lines.append(f"case {vendor}|{arch}|{op}|{name} {k} {cat}")
                lines.append("a " + " ".join(f"{x:0{hexw(at)}x}" for x in a))
                lines.append("b " + " ".join(f"{x:0{hexw(bt)}x}" for x in b))
                if sa is not None:
                    lines.append("sa " + " ".join(f"{x:02x}" for x in sa))
                    lines.append("sb " + " ".join(f"{x:02x}" for x in sb))
                lines.append(f"c {c0:x}")
                lines.append(f"d {d:x}")
        print(vendor, arch, op, name, file=sys.stderr)


def gen_onnx(lines):
    import onnx
    from onnx import TensorProto, helper
    import onnxruntime as ort

    def run(model, feeds):
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        return sess.run(None, feeds)[0]

    nrng = np.random.default_rng(7)
    TY = {"u8": (np.uint8, TensorProto.UINT8), "i8": (np.int8, TensorProto.INT8)}
    for at in ("u8", "i8"):
        for bt in ("u8", "i8"):
            for per_col in (False, True):
                m, n, k = 3, 5, 37
                (an, ap), (bn, bp) = TY[at], TY[bt]
                info = np.iinfo(an), np.iinfo(bn)
                A = nrng.integers(info[0].min, info[0].max + 1, (m, k)).astype(an)
                B = nrng.integers(info[1].min, info[1].max + 1, (k, n)).astype(bn)
                azp = nrng.integers(info[0].min, info[0].max + 1, (1,)).astype(an)
                bzp = nrng.integers(info[1].min, info[1].max + 1, (n if per_col else 1,)).astype(bn)
                g = helper.make_graph(
                    [helper.make_node("MatMulInteger", ["A", "B", "azp", "bzp"], ["Y"])], "g",
                    [helper.make_tensor_value_info("A", ap, [m, k]),
                     helper.make_tensor_value_info("B", bp, [k, n]),
                     helper.make_tensor_value_info("azp", ap, [1]),
                     helper.make_tensor_value_info("bzp", bp, [bzp.size])],
                    [helper.make_tensor_value_info("Y", TensorProto.INT32, [m, n])])
                model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
                model.ir_version = 8
                Y = run(model, {"A": A, "B": B, "azp": azp, "bzp": bzp})
                lines.append(f"matmulinteger {at} {bt} {m} {n} {k}")
                lines.append("a " + " ".join(str(int(x)) for x in A.flatten()))
                lines.append("b " + " ".join(str(int(x)) for x in B.flatten()))
                lines.append("azp " + " ".join(str(int(x)) for x in azp))
                lines.append("bzp " + " ".join(str(int(x)) for x in bzp))
                lines.append("y " + " ".join(str(int(x)) for x in Y.flatten()))
            for yt in ("u8", "i8"):
                for per_col in (False, True):
                    m, n, k = 4, 6, 29
                    (an, ap), (bn, bp), (yn, yp) = TY[at], TY[bt], TY[yt]
                    ia, ib, iy = np.iinfo(an), np.iinfo(bn), np.iinfo(yn)
                    A = nrng.integers(ia.min, ia.max + 1, (m, k)).astype(an)
                    B = nrng.integers(ib.min, ib.max + 1, (k, n)).astype(bn)
                    nb = n if per_col else 1
                    a_s = np.array([nrng.uniform(0.001, 0.05)], np.float32)
                    b_s = nrng.uniform(0.001, 0.05, (nb,)).astype(np.float32)
                    y_s = np.array([nrng.uniform(0.01, 0.5)], np.float32)
                    azp = nrng.integers(ia.min, ia.max + 1, (1,)).astype(an)
                    bzp = np.full((nb,), 0 if bt == "i8" else 128, dtype=bn)
                    yzp = nrng.integers(iy.min, iy.max + 1, (1,)).astype(yn)
                    names = ["A", "as", "azp", "B", "bs", "bzp", "ys", "yzp"]
                    shapes = [(ap, [m, k]), (TensorProto.FLOAT, [1]), (ap, [1]), (bp, [k, n]),
                              (TensorProto.FLOAT, [nb]), (bp, [nb]), (TensorProto.FLOAT, [1]), (yp, [1])]
                    g = helper.make_graph(
                        [helper.make_node("QLinearMatMul", names, ["Y"])], "g",
                        [helper.make_tensor_value_info(nm, t, s) for nm, (t, s) in zip(names, shapes)],
                        [helper.make_tensor_value_info("Y", yp, [m, n])])
                    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
                    model.ir_version = 8
                    try:
                        Y = run(model, {"A": A, "as": a_s, "azp": azp, "B": B, "bs": b_s,
                                        "bzp": bzp, "ys": y_s, "yzp": yzp})
                    except Exception as e:  # a combination onnxruntime does not implement
                        print("skip QLinearMatMul", at, bt, yt, per_col, e, file=sys.stderr)
                        continue
                    lines.append(f"qlinearmatmul {at} {bt} {yt} {m} {n} {k}")
                    lines.append("a " + " ".join(str(int(x)) for x in A.flatten()))
                    lines.append("b " + " ".join(str(int(x)) for x in B.flatten()))
                    lines.append(f"ap {a_s[0].view(np.uint32):x} {int(azp[0])}")
                    lines.append("bp " + " ".join(f"{s.view(np.uint32):x}:{int(z)}" for s, z in zip(b_s, bzp)))
                    lines.append(f"yp {y_s[0].view(np.uint32):x} {int(yzp[0])}")
                    lines.append("y " + " ".join(str(int(x)) for x in Y.flatten()))


F64_PRESETS = [
    ("nvidia", "Ampere", "mma", "m8n8k4.f64.f64.f64.f64"),
    ("nvidia", "Hopper", "mma", "m16n8k16.f64.f64.f64.f64"),
    ("amd", "CDNA2", "mfma", "f64_16x16x4f64"),
    ("amd", "CDNA3", "mfma", "f64_4x4x4_4b_f64"),
]


def f64_values(cat, count):
    """`count` binary64 values of one category, as Python floats."""
    def bits(b):
        return float(np.array([b], dtype=np.uint64).view(np.float64)[0])

    out = []
    for _ in range(count):
        r = rng.getrandbits(64)
        if cat == "random":
            v = rng.uniform(-4, 4) * 2.0 ** rng.randint(-30, 30)
        elif cat == "spread":
            v = rng.choice([-1, 1]) * rng.random() * 2.0 ** rng.randint(-600, 600)
        elif cat == "subnormal":
            v = bits(r & 0x800F_FFFF_FFFF_FFFF) if rng.random() < 0.6 else rng.uniform(-1, 1) * 2.0 ** -1000
        elif cat == "zeros":
            v = rng.choice([0.0, -0.0, 0.0, rng.uniform(-1, 1)])
        elif cat == "special":
            v = rng.choice([float("nan"), float("inf"), float("-inf"), 1.0, -2.0, 0.0, 1e308])
        else:  # cancellation: values near +-1 that cancel in sums
            v = rng.choice([-1, 1]) * (1 + rng.getrandbits(20) * 2.0 ** -52)
        out.append(v)
    return out


def f64_hex(t):
    return " ".join(f"{int(x):016x}" for x in t.contiguous().view(torch.int64).reshape(-1).numpy().astype(np.uint64))


def gen_f64(lines):
    for vendor, arch, op, name in F64_PRESETS:
        sim = nv.MMA(arch, name) if vendor == "nvidia" else amd.MFMA(arch, name)
        kk = sim.k
        for cat in ["random", "cancellation", "spread", "subnormal", "zeros", "special"]:
            m, n, k = 2, 3, 2 * kk
            a = torch.tensor(f64_values(cat, m * k), dtype=torch.float64).reshape(m, k)
            b = torch.tensor(f64_values(cat, k * n), dtype=torch.float64).reshape(k, n)
            c = torch.tensor(f64_values(cat, m * n), dtype=torch.float64).reshape(m, n)
            # Two issues in order, the first's output the second's c.
            d = sim(a[:, :kk], b[:kk, :], c.clone())
            d = sim(a[:, kk:], b[kk:, :], d)
            lines.append(f"f64 {vendor}|{arch}|{op}|{name} {m} {n} {k} {cat}")
            lines.append("a " + f64_hex(a))
            lines.append("b " + f64_hex(b))
            lines.append("c " + f64_hex(c))
            lines.append("d " + f64_hex(d))


def main():
    os.makedirs(OUT, exist_ok=True)
    lines = []
    gen_f64(lines)
    with open(os.path.join(OUT, "f64.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if sys.argv[1:] == ["--only", "f64"]:
        return
    lines = []
    gen_mmasim(lines)
    with open(os.path.join(OUT, "mmasim.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    lines = []
    gen_onnx(lines)
    with open(os.path.join(OUT, "onnx.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
