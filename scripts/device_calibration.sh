#!/usr/bin/env bash
# GPU record run for the memory estimator's calibration (docs/memory-estimator.md): the three
# 6 GB RTX 4050 sweeps, then predicted vs measured memory for every trial that finished.
set -uo pipefail
bin=${QLSWEEP_BIN:?run through scripts/device}
db=/tmp/qlsweep-calibration/runs.db
rm -rf "$(dirname "$db")" && mkdir -p "$(dirname "$db")"
for s in llama2-7b-seq-len-4050 llama2-7b-rank-4050 llama2-7b-batch-accum-4050; do
  "$bin" run "sweeps/examples/$s.yaml" --db "$db" --quiet >/dev/null
  echo "## $s"
  "$bin" table --db "$db" --sweep "$s" --calibration
done
