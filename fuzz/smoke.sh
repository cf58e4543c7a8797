#!/usr/bin/env bash
# A short fuzz smoke run of every target (for CI): builds the targets, then runs each for a
# bounded number of executions. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`). Usage: fuzz/smoke.sh [RUNS_PER_TARGET] (default 20000).
set -euo pipefail
cd "$(dirname "$0")"
runs="${1:-20000}"
targets=(checked batch quant_int quant_scaled quant_mx observers packing granularity vec batch_options producer gemm p3109)
cargo +nightly fuzz build -s none
for t in "${targets[@]}"; do
    echo "== $t ($runs runs)"
    cargo +nightly fuzz run -s none "$t" -- -runs="$runs" -max_len=1024 -seed=1
done
