#!/usr/bin/env bash
# GPU record runs for docs/results.md (run through scripts/device; needs 2 GPUs for the last part):
# the 6 GB RTX 4050 sweeps over rank and micro-batch x accumulation, then the default sweep with
# --gpus 0,1 against one GPU, comparing the recorded losses.
set -uo pipefail
bin=${QLSWEEP_BIN:?run through scripts/device}
db=/tmp/qlsweep-records/runs.db
rm -rf "$(dirname "$db")" && mkdir -p "$(dirname "$db")"
for s in llama2-7b-rank-4050 llama2-7b-batch-accum-4050; do
  "$bin" run "sweeps/examples/$s.yaml" --db "$db" --gpus 0
  "$bin" query --db "$db" "SELECT t.name, t.status, t.oom_phase,
      printf('%.2f', max(CASE WHEN r.key = 'peak_reserved_bytes' THEN r.value END) / 1073741824.0) AS reserved_gib,
      printf('%.2f', max(CASE WHEN r.key = 'device_peak_bytes' THEN r.value END) / 1073741824.0) AS device_peak_gib,
      printf('%.0f', max(CASE WHEN r.key = 'tokens_per_s' THEN r.value END)) AS tokens_per_s
    FROM sweep_trials st JOIN trials t ON t.id = st.trial_id LEFT JOIN results r ON r.trial_id = t.id
    WHERE st.sweep = '$s' GROUP BY t.id ORDER BY t.planned_at"
done
if [ "$(nvidia-smi -L | wc -l)" -ge 2 ]; then
  "$bin" run --db /tmp/qlsweep-par/runs.db --gpus 0,1 --quiet >/dev/null
  "$bin" run --db /tmp/qlsweep-seq/runs.db --gpus 0 --quiet >/dev/null
  q="SELECT t.name, t.gpu, t.started_at, t.finished_at, printf('%.6f', r.value) AS final_eval_loss
     FROM trials t JOIN results r ON r.trial_id = t.id AND r.key = 'final_eval_loss' ORDER BY t.name"
  echo "--gpus 0,1:"; "$bin" query --db /tmp/qlsweep-par/runs.db "$q"
  echo "--gpus 0:"; "$bin" query --db /tmp/qlsweep-seq/runs.db "$q"
fi
