#!/bin/bash
# Benchmark of `lowp quantize` (BENCHMARKS.md, "The `lowp` command"): a 3.36 GB bf16 two-shard
# checkpoint, page cache warm, against a plain `cp -r` of it and (with MFP=1 and llmcompressor
# installed) llm-compressor's model_free_ptq on the same machine; outputs compared byte for
# byte with model_free_ptq's. Takes ~1 minute (plus ~1 minute to generate the checkpoint once,
# plus ~35 s per model_free_ptq run).
#
#   scripts/bench_cli.sh [WORK_DIR]        # default /tmp/lowp_cli_bench
#   RUNS=5 MFP=1 PYTHON=/work/venv/bin/python scripts/bench_cli.sh
#
# Needs /usr/bin/time (GNU time), python3 with numpy (to generate the checkpoint once), and
# ~10 GB free in WORK_DIR. Read the load average it prints: on a busy machine wall times mean
# little; user+sys CPU time is the steadier figure.
set -euo pipefail
cd "$(dirname "$0")/.."
W=${1:-/tmp/lowp_cli_bench}
RUNS=${RUNS:-3}
PY=${PYTHON:-python3}
mkdir -p "$W"
cargo build --release -q -p lowp-cli
B=$(cargo metadata --format-version 1 --no-deps | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/lowp
[ -f "$W/model/model.safetensors.index.json" ] || "$PY" scripts/gen_cli_bench.py "$W/model"
T() { /usr/bin/time -f "$1: %e s wall, %U user %S sys, maxrss %M KB" "${@:2}"; }
cat "$W"/model/*.safetensors > /dev/null
echo "load: $(uptime)"
for i in $(seq "$RUNS"); do
  rm -rf "$W/copy" "$W/out"; sync
  T "cp -r" cp -r "$W/model" "$W/copy"
  rm -rf "$W/copy"; sync
  T "lowp FP8_DYNAMIC" "$B" quantize "$W/model" "$W/out" --scheme FP8_DYNAMIC -q
  rm -rf "$W/out"; sync
  T "lowp FP8_DYNAMIC --no-fsync" "$B" quantize "$W/model" "$W/out" --scheme FP8_DYNAMIC -q --no-fsync
done
for s in W8A8 FP8_BLOCK W4A16 NVFP4A16 MXFP4A16; do
  rm -rf "$W/out"; sync
  T "lowp $s" "$B" quantize "$W/model" "$W/out" --scheme "$s" -q
done
rm -rf "$W/out"
echo "load: $(uptime)"
if [ "${MFP:-0}" = 1 ]; then
  rm -rf "$W/mfp"; sync
  T "model_free_ptq FP8_DYNAMIC max_workers=1" "$PY" -c "
from llmcompressor import model_free_ptq
model_free_ptq('$W/model', '$W/mfp', scheme='FP8_DYNAMIC', ignore=['lm_head'], max_workers=1, device='cpu')
" > /dev/null 2> "$W/mfp.log" || { tail -5 "$W/mfp.log"; exit 1; }
  "$B" quantize "$W/model" "$W/out" --scheme FP8_DYNAMIC -q
  for f in model-00001-of-00002.safetensors model-00002-of-00002.safetensors config.json model.safetensors.index.json; do
    cmp "$W/mfp/$f" "$W/out/$f" && echo "$f: identical to model_free_ptq's"
  done
  rm -rf "$W/mfp" "$W/out"
  echo "load: $(uptime)"
fi
