#!/usr/bin/env python3
"""Generate golden vectors for lowp::quant from onnxruntime.

Builds small ONNX models (QuantizeLinear / DequantizeLinear per tensor, per axis and blocked
(opset 21), DynamicQuantizeLinear, QuantizeLinear to float8 e4m3fn / e5m2 with saturate=1), runs
them on onnxruntime's CPU provider and writes tests/data/onnx/golden.txt, which
tests/quant_onnx.rs compares bit for bit (without Python).

Inputs include exact ties (k + 0.5) * scale, their f32 neighbours, the midpoints between
adjacent float8 values and their neighbours, zeros of both signs, overflow, +-inf and NaN.

It also writes tests/data/onnx/mx_gfloat.txt: MX round trips of f32 blocks by gfloat (Graphcore's
reference implementation of OCP MX), compared by tests/quant_mx.rs.

A second kind of case, "Reciprocal", is not from onnxruntime: it is numpy's float32 emulation of
PyTorch's quantize_val (rint(x * (1.0f / scale)) + zero_point, clamped), for the reciprocal rule.

Usage (from the repository root):
    python3 -m venv /tmp/qvenv && /tmp/qvenv/bin/pip install onnx onnxruntime numpy gfloat
    /tmp/qvenv/bin/python scripts/gen_onnx_golden.py

File format: blocks of lines
    case <name>
    op <QuantizeLinear|DequantizeLinear|DynamicQuantizeLinear|Reciprocal>
    type <int8|uint8|int4|uint4|float8e4m3fn|float8e5m2>
    shape <dims...>
    axis <axis or ->
    block <block size, 0 for none>
    scale <f32 bit patterns in hex...>
    zero <integers...>            (absent for float8)
    x <f32 hex... | integers...>  (f32 for quantize, integers/codes for dequantize)
    y <integers... | f32 hex...>  (float8 results as byte codes)
    end
"""

import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "onnx", "golden.txt")

INT_TYPES = {
    "int8": (TensorProto.INT8, np.int8, -128, 127),
    "uint8": (TensorProto.UINT8, np.uint8, 0, 255),
    "int4": (TensorProto.INT4, None, -8, 7),
    "uint4": (TensorProto.UINT4, None, 0, 15),
}
F8_TYPES = {
    "float8e4m3fn": TensorProto.FLOAT8E4M3FN,
    "float8e5m2": TensorProto.FLOAT8E5M2,
}

f32 = np.float32


def hexf(a):
    return " ".join("0x%08x" % v for v in np.asarray(a, dtype=np.float32).reshape(-1).view(np.uint32))


def ints(a):
    return " ".join(str(int(v)) for v in np.asarray(a).reshape(-1))


def run(model, feeds):
    model.ir_version = 10
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def model(nodes, inputs, outputs, inits, opset=21):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, list(shape))


def param_shape(shape, axis, block, n):
    if axis is None:
        return []
    if block == 0:
        return [n]
    s = list(shape)
    s[axis] = -(-shape[axis] // block)
    return s


def quantize_int(x, shape, axis, block, scales, zeros, tname):
    t, _, _, _ = INT_TYPES[tname]
    ps = param_shape(shape, axis, block, len(scales))
    attrs = {}
    if axis is not None:
        attrs["axis"] = axis
    if block:
        attrs["block_size"] = block
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], **attrs)]
    # int4 tensors have no numpy type: read them back through DequantizeLinear(scale 1, zp 0),
    # which gives q exactly as a float.
    if tname in ("int4", "uint4"):
        nodes.append(helper.make_node("DequantizeLinear", ["q", "one", "zero0"], ["y"]))
        out_t, out = TensorProto.FLOAT, "y"
        extra = [
            helper.make_tensor("one", TensorProto.FLOAT, [], [1.0]),
            helper.make_tensor("zero0", t, [], [0]),
        ]
    else:
        out_t, out = t, "q"
        extra = []
    m = model(
        nodes,
        [vi("x", TensorProto.FLOAT, shape)],
        [vi(out, out_t, shape)],
        [
            helper.make_tensor("s", TensorProto.FLOAT, ps, [float(v) for v in scales]),
            helper.make_tensor("z", t, ps, [int(v) for v in zeros]),
        ]
        + extra,
    )
    (y,) = run(m, {"x": np.asarray(x, dtype=np.float32).reshape(shape)})
    return np.asarray(y).astype(np.int64)


def dequantize_int(q, shape, axis, block, scales, zeros, tname):
    t, npt, _, _ = INT_TYPES[tname]
    ps = param_shape(shape, axis, block, len(scales))
    attrs = {}
    if axis is not None:
        attrs["axis"] = axis
    if block:
        attrs["block_size"] = block
    m = model(
        [helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], **attrs)],
        [vi("q", t, shape)],
        [vi("y", TensorProto.FLOAT, shape)],
        [
            helper.make_tensor("s", TensorProto.FLOAT, ps, [float(v) for v in scales]),
            helper.make_tensor("z", t, ps, [int(v) for v in zeros]),
        ],
    )
    (y,) = run(m, {"q": np.asarray(q, dtype=npt).reshape(shape)})
    return y


def quantize_f8(x, scale, tname, saturate=1):
    t = F8_TYPES[tname]
    # Read float8 back as its bit pattern: Cast can't give bits, so use a second model path:
    # QuantizeLinear -> output tensor of float8 type, fetched through ort's OrtValue as bytes.
    m = model(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], saturate=saturate)],
        [vi("x", TensorProto.FLOAT, [len(x)])],
        [vi("q", t, [len(x)])],
        [
            helper.make_tensor("s", TensorProto.FLOAT, [], [float(scale)]),
            helper.make_tensor("z", t, [], [0.0]),
        ],
    )
    m.ir_version = 10
    sess = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    xv = ort.OrtValue.ortvalue_from_numpy(np.asarray(x, dtype=np.float32))
    io = sess.io_binding()
    io.bind_ortvalue_input("x", xv)
    io.bind_output("q", "cpu")
    sess.run_with_iobinding(io)
    (out,) = io.get_outputs()
    return out_bytes(out, len(x))


def out_bytes(ortvalue, n):
    # Float8 has no numpy type; the ml_dtypes-free way is to go through a Cast-free reinterpret:
    # numpy() raises, so use the raw data pointer via onnx's TensorProto round trip.
    try:
        a = ortvalue.numpy()
        return np.asarray(a).view(np.uint8).reshape(-1)
    except Exception:
        pass
    import ctypes

    ptr = ortvalue.data_ptr()
    buf = (ctypes.c_uint8 * n).from_address(ptr)
    return np.frombuffer(bytes(buf), dtype=np.uint8).copy()


def dequantize_f8(codes, scale, tname):
    t = F8_TYPES[tname]
    codes = np.asarray(codes, dtype=np.uint8)
    m = model(
        [helper.make_node("DequantizeLinear", ["q", "s"], ["y"])],
        [],
        [vi("y", TensorProto.FLOAT, [len(codes)])],
        [
            helper.make_tensor("s", TensorProto.FLOAT, [], [float(scale)]),
            helper.make_tensor("q", t, [len(codes)], codes.tobytes(), raw=True),
        ],
    )
    (y,) = run(m, {})
    return y


def dynamic(x):
    m = model(
        [helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"])],
        [vi("x", TensorProto.FLOAT, [len(x)])],
        [
            vi("q", TensorProto.UINT8, [len(x)]),
            vi("s", TensorProto.FLOAT, []),
            vi("z", TensorProto.UINT8, []),
        ],
        [],
        opset=11,
    )
    q, s, z = run(m, {"x": np.asarray(x, dtype=np.float32)})
    return q, s, z


def neighbours(v):
    v = f32(v)
    return [np.nextafter(v, f32(-np.inf)), v, np.nextafter(v, f32(np.inf))]


def tie_inputs(scale, zp, qmin, qmax, count=None):
    """(k + 0.5) * scale for k across the range, rounded to f32, and the f32 neighbours."""
    xs = []
    ks = list(range(qmin - zp - 2, qmax - zp + 2))
    if len(ks) > 40:
        # Both ends, the middle, and a spread in between.
        ks = sorted(set(ks[:6] + ks[-6:] + ks[len(ks) // 2 - 4 : len(ks) // 2 + 4] + ks[::9]))
    for k in ks:
        t = (k + 0.5) * float(f32(scale))
        xs += neighbours(t)
        xs.append(f32(k * float(f32(scale))))
    xs += [f32(0.0), f32(-0.0), f32(1e30), f32(-1e30), f32(np.inf), f32(-np.inf)]
    xs += [f32(3.4028235e38), f32(-3.4028235e38), f32(1e-40), f32(-1e-40)]
    return np.array(xs, dtype=np.float32)


class Writer:
    def __init__(self):
        self.lines = []
        self.count = 0

    def case(self, name, op, tname, shape, axis, block, scales, zeros, x, y, xf=True, yf=False):
        L = self.lines
        L.append("case " + name)
        L.append("op " + op)
        L.append("type " + tname)
        L.append("shape " + " ".join(str(d) for d in shape))
        L.append("axis " + ("-" if axis is None else str(axis)))
        L.append("block " + str(block))
        L.append("scale " + hexf(scales))
        if zeros is not None:
            L.append("zero " + ints(zeros))
        L.append("x " + (hexf(x) if xf else ints(x)))
        L.append("y " + (hexf(y) if yf else ints(y)))
        L.append("end")
        self.count += 1


def reciprocal_emulation(x, scale, zp, qmin, qmax):
    inv = f32(1.0) / f32(scale)
    with np.errstate(invalid="ignore", over="ignore"):
        v = np.rint(np.asarray(x, np.float32) * inv).astype(np.float64) + zp
    v = np.where(np.isnan(v), zp, v)
    return np.clip(v, qmin, qmax).astype(np.int64)


def main():
    w = Writer()
    rng = np.random.default_rng(20240531)

    # --- per tensor, int8 / uint8 / int4 / uint4 ----------------------------------------------
    scales = [0.61576974, 1.0 / 3.0, 0.0078125, 3e-5, 0.0123]
    zps = {"int8": [0, 100], "uint8": [128, 17], "int4": [0, -2], "uint4": [8, 3]}
    for tname, zlist in zps.items():
        _, _, qmin, qmax = INT_TYPES[tname]
        for s in scales:
            for zp in zlist:
                x = tie_inputs(s, zp, qmin, qmax)
                if s == 0.61576974:
                    x = np.append(x, f32(56.34293))
                xn = np.append(x, f32(np.nan))
                y = quantize_int(xn, [len(xn)], None, 0, [s], [zp], tname)
                w.case(f"q_{tname}_s{s}_z{zp}", "QuantizeLinear", tname, [len(xn)], None, 0,
                       [s], [zp], xn, y)
                w.case(f"r_{tname}_s{s}_z{zp}", "Reciprocal", tname, [len(x)], None, 0,
                       [s], [zp], x, reciprocal_emulation(x, s, zp, qmin, qmax))

    # --- per axis ------------------------------------------------------------------------------
    for tname in ["int8", "uint8", "int4", "uint4"]:
        _, _, qmin, qmax = INT_TYPES[tname]
        for shape, axis in [([3, 8], 0), ([3, 8], 1), ([2, 3, 4], 1), ([2, 3, 4], 2), ([5], 0)]:
            n = shape[axis]
            sc = (rng.uniform(0.01, 2.0, n)).astype(np.float32)
            zp = rng.integers(qmin, qmax + 1, n)
            size = int(np.prod(shape))
            # Ties for each element's own parameter: build index along axis.
            idx = np.indices(shape)[axis].reshape(-1)
            k = rng.integers(qmin - 3, qmax + 3, size) - zp[idx]
            x = ((k + 0.5) * sc[idx].astype(np.float64)).astype(np.float32)
            x[::3] = np.nextafter(x[::3], np.float32(np.inf))
            x[1::5] = np.nextafter(x[1::5], np.float32(-np.inf))
            y = quantize_int(x, shape, axis, 0, sc, zp, tname)
            w.case(f"qa_{tname}_{shape}_{axis}", "QuantizeLinear", tname, shape, axis, 0, sc,
                   zp, x, y)
            if tname in ("int8", "uint8"):
                q = rng.integers(qmin, qmax + 1, size)
                yd = dequantize_int(q, shape, axis, 0, sc, zp, tname)
                w.case(f"da_{tname}_{shape}_{axis}", "DequantizeLinear", tname, shape, axis, 0,
                       sc, zp, q, yd, xf=False, yf=True)

    # --- blocked (opset 21) ----------------------------------------------------------------------
    for tname in ["int8", "uint8", "int4", "uint4"]:
        _, npt, qmin, qmax = INT_TYPES[tname]
        for shape, axis, block in [([4, 6], 1, 4), ([6, 4], 0, 4), ([2, 5, 3], 1, 2), ([7], 0, 3)]:
            ps = param_shape(shape, axis, block, 0)
            npar = int(np.prod(ps))
            sc = rng.uniform(0.01, 2.0, npar).astype(np.float32)
            zp = rng.integers(qmin, qmax + 1, npar)
            size = int(np.prod(shape))
            # The parameter index of each element.
            ind = np.indices(shape)
            pidx = []
            for e in range(size):
                pos = [int(ind[d].reshape(-1)[e]) for d in range(len(shape))]
                pos[axis] //= block
                pidx.append(int(np.ravel_multi_index(pos, ps)))
            pidx = np.array(pidx)
            k = rng.integers(qmin - 3, qmax + 3, size) - zp[pidx]
            x = ((k + 0.5) * sc[pidx].astype(np.float64)).astype(np.float32)
            x[::4] = np.nextafter(x[::4], np.float32(np.inf))
            y = quantize_int(x, shape, axis, block, sc, zp, tname)
            w.case(f"qb_{tname}_{shape}_{axis}_{block}", "QuantizeLinear", tname, shape, axis,
                   block, sc, zp, x, y)
            if npt is not None:
                q = rng.integers(qmin, qmax + 1, size)
                yd = dequantize_int(q, shape, axis, block, sc, zp, tname)
                w.case(f"db_{tname}_{shape}_{axis}_{block}", "DequantizeLinear", tname, shape,
                       axis, block, sc, zp, q, yd, xf=False, yf=True)

    # --- per tensor dequantize ---------------------------------------------------------------------
    for tname, zp in [("int8", 0), ("int8", -7), ("uint8", 128), ("uint8", 3)]:
        _, _, qmin, qmax = INT_TYPES[tname]
        q = np.arange(qmin, qmax + 1)
        for s in [0.61576974, 3.0e30, 1e-39]:
            yd = dequantize_int(q, [len(q)], None, 0, [s], [zp], tname)
            w.case(f"d_{tname}_s{s}_z{zp}", "DequantizeLinear", tname, [len(q)], None, 0, [s],
                   [zp], q, yd, xf=False, yf=True)

    # --- DynamicQuantizeLinear -------------------------------------------------------------------
    dyn_inputs = [
        rng.normal(0, 1, 64).astype(np.float32),
        rng.normal(3, 0.5, 40).astype(np.float32),  # all positive: min widened to 0
        -rng.uniform(0.1, 7, 33).astype(np.float32),  # all negative
        np.zeros(8, np.float32),
        np.array([-1.0, 0.0, 1.0, 2.0], np.float32),
        np.array([-0.3, 0.7], np.float32),
        (rng.normal(0, 1, 100) * 1e-20).astype(np.float32),
        (rng.normal(0, 1, 100) * 1e20).astype(np.float32),
        np.array([5.0], np.float32),
    ]
    # Inputs with exact ties for their own scale.
    base = rng.normal(0, 2, 50).astype(np.float32)
    lo, hi = min(base.min(), 0), max(base.max(), 0)
    s = f32(f32(hi - lo) / f32(255))
    ties = ((np.arange(-60, 60) + 0.5) * float(s)).astype(np.float32)
    dyn_inputs.append(np.concatenate([base, ties[(ties > lo) & (ties < hi)]]))
    for i, x in enumerate(dyn_inputs):
        q, s, z = dynamic(x)
        w.case(f"dyn_{i}", "DynamicQuantizeLinear", "uint8", [len(x)], None, 0, [s], [int(z)], x,
               q)

    # --- float8 QuantizeLinear (saturate=1) and DequantizeLinear -----------------------------------
    for tname, fmax in [("float8e4m3fn", 448.0), ("float8e5m2", 57344.0)]:
        # All finite positive values of the format, from DequantizeLinear with scale 1.
        codes = np.arange(256, dtype=np.uint8)
        vals = dequantize_f8(codes, 1.0, tname)
        w.case(f"d8_{tname}_s1", "DequantizeLinear", tname, [256], None, 0, [1.0], None, codes,
               vals, xf=False, yf=True)
        for s in [0.75, 3e-3]:
            yd = dequantize_f8(codes, s, tname)
            w.case(f"d8_{tname}_s{s}", "DequantizeLinear", tname, [256], None, 0, [s], None, codes,
                   yd, xf=False, yf=True)
        pos = np.sort(np.unique(vals[np.isfinite(vals) & (vals >= 0)]))
        mids = (pos[:-1].astype(np.float64) + pos[1:]) / 2
        for s in ([1.0, 0.5, 0.3, 7.0] if tname == "float8e4m3fn" else [1.0, 0.3]):
            xs = []
            for m in mids:
                for v in neighbours(m * s):
                    xs += [v, -v]
            for v in pos:
                xs.append(f32(v * s))
            extra = [fmax * s, fmax * s * 1.0625, fmax * s * 1.1, 1e30, np.inf, -np.inf, 0.0,
                     -0.0, 1e-45, -1e-45]
            xs += [f32(v) for v in extra]
            x = np.array(xs, dtype=np.float32)
            y = quantize_f8(x, s, tname)
            w.case(f"q8_{tname}_s{s}", "QuantizeLinear", tname, [len(x)], None, 0, [s], None, x, y)
            xn = np.array([np.nan, -np.nan], np.float32)
            yn = quantize_f8(xn, s, tname)
            w.case(f"q8nan_{tname}_s{s}", "QuantizeLinear", tname, [2], None, 0, [s], None, xn, yn)

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("# Generated by scripts/gen_onnx_golden.py with onnxruntime %s, onnx %s, numpy %s.\n"
                % (ort.__version__, onnx.__version__, np.__version__))
        f.write("# Do not edit; regenerate instead.\n")
        f.write("\n".join(w.lines) + "\n")
    print("wrote %d cases to %s" % (w.count, OUT), file=sys.stderr)


def mx_gfloat():
    """MX round trips from gfloat (Graphcore's reference), given the exact amax of f32 blocks.

    Writes tests/data/onnx/mx_gfloat.txt: per block "mx <format>", "x <f32 hex...>",
    "y <f32 hex...>", "end". Skipped (with a message) if gfloat is not installed.
    """
    try:
        import gfloat
        from gfloat import formats as gf
        from gfloat.block import compute_scale_amax
    except ImportError:
        print("gfloat not installed: MX golden vectors not regenerated", file=sys.stderr)
        return
    fmts = {
        "E4M3": gf.format_info_mxfp8_e4m3,
        "E5M2": gf.format_info_mxfp8_e5m2,
        "E2M3": gf.format_info_mxfp6_e2m3,
        "E3M2": gf.format_info_mxfp6_e3m2,
        "E2M1": gf.format_info_mxfp4_e2m1,
        "Int8": gf.format_info_mxint8,
    }
    rng = np.random.default_rng(7)
    blocks = []
    for e in [-140, -126, -60, -10, -1, 0, 3, 15, 40, 100, 120]:
        for _ in range(3):
            b = rng.normal(0, 1, 32) * 2.0**e
            b[rng.integers(0, 32)] *= 8  # an outlier
            blocks.append(b.astype(np.float32))
    # Just below / at powers of two, ties of the element grid, all zero, signed zeros.
    for k in [0, 7, 9, 15, 16]:
        b = rng.uniform(-1, 1, 32).astype(np.float32) * np.float32(2.0**k)
        b[0] = np.nextafter(np.float32(2.0 ** (k + 1)), np.float32(0))
        blocks.append(b)
        b = b.copy()
        b[0] = -b[0]  # MXINT8: gfloat reaches -128 here
        blocks.append(b)
        b = b.copy()
        b[0] = -np.float32(2.0 ** (k + 1))
        blocks.append(b)
    blocks.append(np.zeros(32, np.float32))
    z = np.zeros(32, np.float32)
    z[::2] = -0.0
    blocks.append(z)
    ties = (np.arange(32) * 0.25 - 4).astype(np.float32)  # many grid midpoints
    blocks.append(ties)
    lines = ["# gfloat %s MX round trips (quantize_block, compute_scale_amax, TiesToEven)."
             % getattr(gfloat, "__version__", "?"),
             "# Generated by scripts/gen_onnx_golden.py; do not edit."]
    count = 0
    for name, fi in fmts.items():
        for b in blocks:
            y = gfloat.quantize_block(fi, b.astype(np.float64), compute_scale_amax)
            lines += ["mx " + name, "x " + hexf(b), "y " + hexf(np.asarray(y, np.float64)), "end"]
            count += 1
    out = os.path.join(ROOT, "tests", "data", "onnx", "mx_gfloat.txt")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %d MX blocks to %s" % (count, out), file=sys.stderr)


if __name__ == "__main__":
    main()
    mx_gfloat()
