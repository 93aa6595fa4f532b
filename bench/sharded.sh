#!/usr/bin/env bash
# Sharded-trial benchmark on a GPU machine with 2+ GPUs: runs a sweep (default
# bench/sweeps/sharded-7b.yaml: one GPU vs 2 ranks at ZeRO stages 0-3) on GPUs 0,1, then prints
# tokens/s, step time and the per-rank device peaks of every trial.
#   scripts/device 'bench/sharded.sh [SWEEP.yaml]'   ($QLSWEEP_BIN set by scripts/device)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${QLSWEEP_BIN:-build/runner/qlsweep}
out=${OUT:-/tmp/qlsweep-bench}
sweep=${1:-bench/sweeps/sharded-7b.yaml}
db="$out/$(basename "$sweep" .yaml)/runs.db"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$bin" run "$sweep" --db "$db" --gpus 0,1 || true  # trials that fail are part of the result
"$bin" query --db "$db" "SELECT t.name, t.status, t.oom_phase, substr(t.error, 1, 120) AS error,
  round(MAX(CASE WHEN r.key='tokens_per_s' THEN r.value END)) AS tokens_per_s,
  round(MAX(CASE WHEN r.key='step_time_s' THEN r.value END), 4) AS step_s,
  round(MAX(CASE WHEN r.key='device_peak_bytes' THEN r.value END)/1073741824.0, 2) AS rank0_peak_gib,
  round(MAX(CASE WHEN r.key='max_rank_device_peak_bytes' THEN r.value END)/1073741824.0, 2) AS max_rank_peak_gib,
  round(MAX(CASE WHEN r.key='peak_alloc_bytes' THEN r.value END)/1073741824.0, 2) AS rank0_alloc_gib,
  round(MAX(CASE WHEN r.key='final_loss' THEN r.value END), 4) AS final_loss
  FROM trials t JOIN results r ON r.trial_id = t.id GROUP BY t.id ORDER BY t.name"
