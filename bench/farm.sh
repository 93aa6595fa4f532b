#!/usr/bin/env bash
# MPI farm benchmark on a machine with 2+ GPUs: bench/sweeps/farm-7b.yaml (8 trials) with one
# worker (mpirun -np 2: rank 0 and a worker on GPU 0), then with two (mpirun -np 3, GPUs 0 and 1),
# each into its own run index; prints each run's `farm:` line (trials/hour, coordinator overhead
# per trial), the wall time of each, and the speed-up in trials per hour.
#   QLSWEEP_DEVICE_TESTS=none scripts/device 'bench/farm.sh'    ($QLSWEEP_BIN set by scripts/device)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${QLSWEEP_BIN:-build/runner/qlsweep}
sweep=${FARM_SWEEP:-bench/sweeps/farm-7b.yaml}  # a dry run elsewhere: another sweep,
read -r -a flags <<<"${FARM_MPIRUN_FLAGS:-}"      # and --oversubscribe on a small machine
out=${OUT:-/tmp/qlsweep-bench}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
declare -A per_hour
for workers in 1 2; do
  dir="$out/farm-$workers"
  rm -rf "$dir" && mkdir -p "$dir"
  gpus=$(seq -s, 0 $((workers - 1)))
  start=$(date +%s.%N)
  mpirun -np $((workers + 1)) --bind-to none "${flags[@]}" "$bin" run "$sweep" \
    --db "$dir/runs.db" --gpus "$gpus" >"$dir/table.md" 2>"$dir/progress.log"
  end=$(date +%s.%N)
  line=$(grep '^farm: [0-9]* trial' "$dir/progress.log")
  per_hour[$workers]=$(sed -E 's/.*\(([0-9.]+) trials\/hour\).*/\1/' <<<"$line")
  echo "workers $workers (gpus $gpus): mpirun wall $(awk "BEGIN {printf \"%.1f\", $end - $start}") s"
  echo "  $line"
  "$bin" query --db "$dir/runs.db" "SELECT t.name, t.status, t.worker_rank, t.gpu,
    round(t.wall_s, 1) AS wall_s, round(r.value, 1) AS trial_wall_s
    FROM trials t LEFT JOIN results r ON r.trial_id = t.id AND r.key = 'wall_s' ORDER BY t.started_at"
done
echo "speed-up, trials per hour, 2 workers / 1: $(awk "BEGIN {printf \"%.3f\", ${per_hour[2]} / ${per_hour[1]}}")"
