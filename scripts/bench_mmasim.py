#!/usr/bin/env python3
"""MMA-Sim's speed at its best on this machine: multiply-accumulates per second of Hopper's
FP8 `wgmma` model (m64n256k32.f32.e4m3.e4m3), the figure lowp::gemm's speed goal is a
multiple of (BENCHMARKS.md, "lowp::gemm").

MMA-Sim evaluates its models over torch tensors, batched over every leading dimension: one
call of an instruction object on A (m×k), B (k×n), C (m×n) computes the whole product as k/32
issues in order (the same semantics as lowp::gemm::matmul). Measured here:

- `issue`: one call per instruction shape (64×256×32, 524,288 multiply-accumulates), the
  way a per-tile simulation drives it;
- `gemm S`: one call on S×S×S operands (the intended batched use: Python overhead amortised
  over S² outputs per k-chunk), for S = 128, 256 (and 512, 1024 with --full).

Each figure is the best of `--reps` timed calls after one warm-up call, with torch on one
thread and on every core (`torch.get_num_threads()`): on a loaded two-core machine one
thread is several times faster (torch's worker threads contend with the load). The best
figure over all is MMA-Sim's speed. Run with /work/venv/bin on PATH:

    python scripts/bench_mmasim.py [--full] [--reps 3]

(about 2 minutes on a loaded machine; --full adds S = 512 and 1024, several minutes more).
"""

import argparse
import os
import time

import torch
import mmasim.nv_ptx as nv

SHAPE = "m64n256k32.f32.e4m3.e4m3"


def operands(m, n, k, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = (torch.rand(m, k, generator=g) * 4 - 2).to(torch.float8_e4m3fn)
    b = (torch.rand(k, n, generator=g) * 4 - 2).to(torch.float8_e4m3fn)
    c = torch.zeros(m, n, dtype=torch.float32)
    return a, b, c


def best_time(f, reps):
    f()  # warm-up
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true", help="also S = 1024")
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    op = nv.WGMMA("Hopper", SHAPE)
    cores = torch.get_num_threads()
    print(f"mmasim Hopper wgmma {SHAPE}; torch {torch.__version__}, "
          f"load {os.getloadavg()[0]:.2f}")
    results = []
    for threads in sorted({1, cores}):
        torch.set_num_threads(threads)
        a, b, c = operands(64, 256, 32)
        n_issue = 5
        t = best_time(lambda: [op(a, b, c) for _ in range(n_issue)], args.reps)
        macs = 64 * 256 * 32 * n_issue
        results.append((f"issue 64x256x32, {threads} thr", macs / t))
        print(f"{threads} thr issue 64x256x32: {t / n_issue * 1e3:9.2f} ms/issue "
              f"{macs / t:12.4g} MAC/s")
        sizes = [128, 256] + ([512, 1024] if args.full else [])
        for s in sizes:
            a, b, c = operands(s, s, s)
            t = best_time(lambda: op(a, b, c), args.reps if s < 512 else 1)
            macs = s ** 3
            results.append((f"gemm {s}^3, {threads} thr", macs / t))
            print(f"{threads} thr gemm {s:4}^3:     {t:9.3f} s/call    {macs / t:12.4g} MAC/s")

    name, best = max(results, key=lambda r: r[1])
    print(f"best: {best:.4g} MAC/s ({name}); 1000x that: {1000 * best:.4g} MAC/s")


if __name__ == "__main__":
    main()
