#!/usr/bin/env python3
"""Generate lowp's golden test vectors from the reference implementation, ml_dtypes (and numpy
for float16), into tests/data/golden/. The Rust test tests/golden.rs reads them with
include_bytes!, so CI needs no Python.

How to run (from the repository root; a venv outside the repository is fine):

    python3 -m venv /tmp/gvenv
    /tmp/gvenv/bin/pip install ml_dtypes==0.6.0 numpy      # generated with numpy 2.4.6
    /tmp/gvenv/bin/python scripts/gen_golden.py

The output is deterministic (fixed random seed) for a given ml_dtypes/numpy version.

Files written (all little-endian), per format NAME (ml_dtypes' name; numpy's for float16):

- NAME.decode.bin (formats of 8 bits or fewer): one u32 per code 0 .. 2^bits - 1, the f32 bits
  that `np.array(code).view(fmt).astype(np.float32)` gives.
- NAME.decode_hash.bin (16-bit formats): 256 u64 FNV-1a-64 hashes, block h covering codes
  h*256 .. h*256+255: the hash of the concatenated u32 LE f32 bits of the decoded codes, where
  every NaN result first has the f32 quiet bit (0x0040_0000) set (CONTRACT.md §2: lowp decodes
  f16/bf16 NaN to a quiet NaN with sign and payload kept, as F16C does; numpy's and ml_dtypes'
  software paths keep signalling NaNs signalling).
- NAME.decode_sample.bin (16-bit formats): (u32 code, u32 f32 bits) pairs, raw, for the codes
  with exponent field 0, 1 or all-ones and every 97th code, so that a hash mismatch can be
  pinned down.
- NAME.encode.bin: records of (u32 f32 input bits, code), code a u8 for formats of 8 bits or
  fewer and a u16 for the 16-bit ones: `np.array(x, np.float32).astype(fmt)`, which is
  round-to-nearest-even with lowp's Overflow::Ieee policy.
- VERSIONS.txt: the library versions that produced the data.
- README.md: those versions, the counts per format, and this description.
"""

import os
import struct
import sys

import ml_dtypes
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "golden")
SEED = 0x10E9
N_RANDOM_BITS = 1000  # uniformly random f32 bit patterns per format
N_RANDOM_RANGE = 1000  # random f32 with exponents in and just around the format's range

# (name, dtype, bits, mantissa bits)
FORMATS = [
    ("float8_e4m3fn", ml_dtypes.float8_e4m3fn, 8, 3),
    ("float8_e5m2", ml_dtypes.float8_e5m2, 8, 2),
    ("float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz, 8, 3),
    ("float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz, 8, 2),
    ("float8_e4m3b11fnuz", ml_dtypes.float8_e4m3b11fnuz, 8, 3),
    ("float8_e3m4", ml_dtypes.float8_e3m4, 8, 4),
    ("float8_e4m3", ml_dtypes.float8_e4m3, 8, 3),
    ("float8_e8m0fnu", ml_dtypes.float8_e8m0fnu, 8, 0),
    ("float6_e2m3fn", ml_dtypes.float6_e2m3fn, 6, 3),
    ("float6_e3m2fn", ml_dtypes.float6_e3m2fn, 6, 2),
    ("float4_e2m1fn", ml_dtypes.float4_e2m1fn, 4, 1),
    ("bfloat16", ml_dtypes.bfloat16, 16, 7),
    ("float16", np.float16, 16, 10),
]

F32_QUIET = 0x0040_0000


def code_dtype(bits):
    return np.uint16 if bits == 16 else np.uint8


def decode_all(dtype, bits):
    """f32 bits of every code, as a uint32 array indexed by code."""
    codes = np.arange(1 << bits, dtype=np.uint32).astype(code_dtype(bits))
    return codes.view(dtype).astype(np.float32).view(np.uint32)


def encode(dtype, bits, xs_bits):
    xs = np.asarray(xs_bits, dtype=np.uint32).view(np.float32)
    return xs.astype(dtype).view(code_dtype(bits)).astype(np.uint32)


def f32_bits(x):
    return int(np.float32(x).view(np.uint32))


def f32(b):
    return float(np.uint32(b).view(np.float32))


def next_up(b):
    return f32_bits(np.nextafter(np.float32(f32(b)), np.float32(np.inf)))


def next_down(b):
    return f32_bits(np.nextafter(np.float32(f32(b)), np.float32(-np.inf)))


def is_nan_bits(b):
    return (b & 0x7F80_0000) == 0x7F80_0000 and (b & 0x7F_FFFF) != 0


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h ^= byte
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def exact_f32_bits(x):
    """Bits of the f32 equal to the Python float x; x must be exactly representable."""
    b = f32_bits(x)
    assert f32(b) == x, x
    return b


def around(inputs, b):
    """b and its two f32 neighbours."""
    inputs.add(b)
    if not is_nan_bits(b) and (b & 0x7FFF_FFFF) != 0x7F80_0000:
        inputs.add(next_up(b))
        inputs.add(next_down(b))


def encode_inputs(dtype, bits, mbits, decoded, rng):
    # Positive finite values of the format, by magnitude code (the sign mirrors them).
    mag_codes = 1 << (bits - 1) if dtype is not ml_dtypes.float8_e8m0fnu else 1 << bits
    values = []
    for c in range(mag_codes):
        v = f32(int(decoded[c]))
        if np.isfinite(v):
            values.append(v)
    values = sorted(set(values))
    vmax = values[-1]
    max_exp = int(np.floor(np.log2(vmax)))
    ulp_max = 2.0 ** (max_exp - mbits)

    if bits == 16:
        # A subset: the subnormal start, around the normal boundary, the top, and a stride.
        n = len(values)
        sub = 1 << mbits
        idx = set(range(0, 40)) | set(range(sub - 24, sub + 24)) | set(range(n - 40, n))
        idx |= set(range(0, n, 131))
        idx = sorted(i for i in idx if 0 <= i < n)
    else:
        idx = range(len(values))

    inputs = set()
    for i in idx:
        v = values[i]
        for s in (1.0, -1.0):
            around(inputs, exact_f32_bits(s * v))
            if i + 1 < len(values):
                mid = (v + values[i + 1]) / 2  # exact in f64; must be exact in f32 too
                around(inputs, exact_f32_bits(s * mid))
    # Around max: the midpoint to the next value the exponent range lacks, that value, beyond.
    for s in (1.0, -1.0):
        for x in (vmax + ulp_max / 2, vmax + ulp_max, 2 * vmax, vmax + ulp_max / 4,
                  vmax + 3 * ulp_max / 4, float(np.finfo(np.float32).max)):
            if x <= float(np.finfo(np.float32).max):
                around(inputs, exact_f32_bits(s * x))
    # Tiny values: fractions of the smallest positive value, f32 subnormals, f32 min normal.
    vmin = values[1] if values[0] == 0.0 else values[0]
    for s in (1.0, -1.0):
        for x in (vmin / 4, vmin * 3 / 4, vmin / 2 ** 10, 2.0 ** -126, 2.0 ** -127, 2.0 ** -149,
                  1.5 * 2.0 ** -127, 1.25 * 2.0 ** -127, 1.75 * 2.0 ** -127):
            around(inputs, exact_f32_bits(s * x))
    # Specials: ±0, ±inf, quiet and signalling NaNs with various payloads and both signs.
    for b in (0x0000_0000, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000,
              0x7F80_0001, 0xFF80_0001, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x7FA0_0000, 0x7FC0_0001,
              0x7F80_2000, 0xFFBF_FFFF, 0x7FE0_0000, 0x0000_0001, 0x8000_0001, 0x007F_FFFF,
              0x0080_0000, 0x7F7F_FFFF, 0xFF7F_FFFF):
        inputs.add(b)
    # Random bit patterns over all of f32, and random values around the format's range.
    for b in rng.integers(0, 1 << 32, size=N_RANDOM_BITS, dtype=np.uint64):
        inputs.add(int(b))
    lo = int(np.floor(np.log2(vmin))) - 4
    hi = max_exp + 3
    for _ in range(N_RANDOM_RANGE):
        e = int(rng.integers(lo, hi + 1))
        field = e + 127
        mant = int(rng.integers(0, 1 << 23))
        sign = int(rng.integers(0, 2)) << 31
        if field >= 255:
            continue
        if field <= 0:  # an f32 subnormal: shift the significand into place
            b = ((1 << 23) | mant) >> (1 - field)
        else:
            b = (field << 23) | mant
        inputs.add(sign | b)
    return sorted(inputs)


def main():
    # Overflowing nextafter/casts are intended (inf inputs, out-of-range values).
    np.seterr(all="ignore")
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(SEED)
    versions = f"ml_dtypes={ml_dtypes.__version__} numpy={np.__version__}"
    summary = []
    for name, dtype, bits, mbits in FORMATS:
        decoded = decode_all(dtype, bits)
        files = []
        if bits == 16:
            norm = np.where(
                [(is_nan_bits(int(b))) for b in decoded], decoded | F32_QUIET, decoded
            ).astype("<u4")
            hashes = [fnv1a64(norm[h * 256:(h + 1) * 256].tobytes()) for h in range(256)]
            path = f"{name}.decode_hash.bin"
            with open(os.path.join(OUT, path), "wb") as f:
                f.write(struct.pack("<256Q", *hashes))
            files.append(path)
            efield_mask = 0x7FFF ^ ((1 << mbits) - 1)
            sample = [
                c for c in range(1 << 16)
                if (c & efield_mask) in (0, 1 << mbits, efield_mask) or c % 97 == 0
            ]
            path = f"{name}.decode_sample.bin"
            with open(os.path.join(OUT, path), "wb") as f:
                for c in sample:
                    f.write(struct.pack("<II", c, int(decoded[c])))
            files.append(path)
            n_decode = f"65536 hashed, {len(sample)} listed"
        else:
            path = f"{name}.decode.bin"
            with open(os.path.join(OUT, path), "wb") as f:
                f.write(decoded.astype("<u4").tobytes())
            files.append(path)
            n_decode = str(1 << bits)

        xs = encode_inputs(dtype, bits, mbits, decoded, rng)
        codes = encode(dtype, bits, xs)
        path = f"{name}.encode.bin"
        code_fmt = "<H" if bits == 16 else "<B"
        with open(os.path.join(OUT, path), "wb") as f:
            for x, c in zip(xs, codes):
                f.write(struct.pack("<I", x) + struct.pack(code_fmt, int(c)))
        files.append(path)
        size = sum(os.path.getsize(os.path.join(OUT, p)) for p in files)
        summary.append(f"{name}: decode {n_decode}, encode {len(xs)} ({size} bytes)")

    with open(os.path.join(OUT, "VERSIONS.txt"), "w") as f:
        f.write(versions + "\n")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# Golden vectors from ml_dtypes\n\n")
        f.write("Generated by `scripts/gen_golden.py` (do not edit by hand) with " + versions)
        f.write(", checked by `tests/golden.rs`.\n\n")
        f.write("```\n" + "\n".join(summary) + "\n```\n\n")
        f.write("File formats (from the generator's docstring):\n")
        f.write(__doc__.split("Files written", 1)[1].split("\n", 1)[1])
    print(versions)
    print("\n".join(summary))
    total = sum(os.path.getsize(os.path.join(OUT, p)) for p in os.listdir(OUT))
    print(f"total {total} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
