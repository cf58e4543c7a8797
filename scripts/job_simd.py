#!/usr/bin/env python3
"""Which vector registers the quantizer jobs use, per kernel level, in a release binary.

Every `kernels::x86::jobs::{avx2,avx512}::tf` instance (one per job type) is disassembled
with line information; an instance whose inlined code comes from a file under `src/quant/` is
counted for that file: instructions, and those that name a zmm / ymm register (a loop compiled
for AVX-512 uses zmm; one compiled without the level's features uses neither).

    python3 scripts/job_simd.py target/release/deps/quant-<hash> [src/quant/int/jobs.rs]

Needs binutils' `nm` and `objdump`, and a build with debug line info (the release profile
keeps `debug = 1`).
"""
import re
import subprocess
import sys

binary = sys.argv[1]
want = sys.argv[2] if len(sys.argv) > 2 else "src/quant/int/jobs.rs"
syms = subprocess.run(["nm", "-C", "-S", binary], capture_output=True, text=True).stdout
rows = []
for line in syms.splitlines():
    parts = line.split(None, 3)
    if len(parts) == 4 and re.search(r"jobs::avx(512|2)::tf$", parts[3]):
        start, size = int(parts[0], 16), int(parts[1], 16)
        out = subprocess.run(
            ["objdump", "-d", "-l", "--no-show-raw-insn",
             f"--start-address={start}", f"--stop-address={start + size}", binary],
            capture_output=True, text=True).stdout
        if want not in out:
            continue
        ins = [l for l in out.splitlines() if re.match(r"^\s+[0-9a-f]+:\t", l)]
        level = "avx512" if "avx512" in parts[3] else "avx2"
        zmm = sum("zmm" in l for l in ins)
        ymm = sum("ymm" in l for l in ins)
        rows.append((level, start, len(ins), zmm, ymm))
for level, start, n, zmm, ymm in sorted(rows):
    print(f"{level:7s} tf@{start:#x}: {n:5d} instructions, {zmm:4d} with zmm, {ymm:4d} with ymm")
if not rows:
    sys.exit(f"no job instance with code from {want}")
