#!/usr/bin/env bash
# Sharded-trial benchmark on a GPU machine with 2+ GPUs: one GPU vs 2 ranks at ZeRO stages 0-2
# (bench/sweeps/sharded-7b.yaml), then the table of tokens/s and per-rank peaks.
#   scripts/device 'bench/sharded.sh'        ($QLSWEEP_BIN set by scripts/device)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${QLSWEEP_BIN:-build/runner/qlsweep}
out=${OUT:-/tmp/qlsweep-bench}
db="$out/sharded/runs.db"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$bin" run bench/sweeps/sharded-7b.yaml --db "$db" --gpus 0,1
"$bin" query --db "$db" "SELECT t.name, t.status,
  round(MAX(CASE WHEN r.key='tokens_per_s' THEN r.value END)) AS tokens_per_s,
  round(MAX(CASE WHEN r.key='step_time_s' THEN r.value END), 4) AS step_s,
  round(MAX(CASE WHEN r.key='device_peak_bytes' THEN r.value END)/1073741824.0, 2) AS rank0_peak_gib,
  round(MAX(CASE WHEN r.key='max_rank_device_peak_bytes' THEN r.value END)/1073741824.0, 2) AS max_rank_peak_gib,
  round(MAX(CASE WHEN r.key='peak_alloc_bytes' THEN r.value END)/1073741824.0, 2) AS rank0_alloc_gib,
  round(MAX(CASE WHEN r.key='final_loss' THEN r.value END), 4) AS final_loss
  FROM trials t JOIN results r ON r.trial_id = t.id GROUP BY t.id ORDER BY t.name"
