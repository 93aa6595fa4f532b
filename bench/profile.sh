#!/usr/bin/env bash
# Where a training step's GPU time goes: one `qlsweep train` per sequence length with the step
# profiler on (QLSWEEP_PROFILE_DIR, trainer/train/step_profile.h), Llama-2-7B shape, the peers
# benchmark's trial (bench/trials/llama2-7b-qlora16.yaml: NF4 + double quant, r=16 on all 7
# projections, micro-batch 1, checkpointing, paged 8-bit AdamW, bf16). Step 3 of 4 is profiled;
# the table per length lands in $OUT/profile/seq<T>/step3-kernels.md and is printed.
#   scripts/device 'bench/profile.sh [SEQS] [OVERRIDES...]'   (SEQS default 512,2048,4096,8192)
# Environment passes through, e.g. QLSWEEP_PROFILE_TRACE=1 for the Chrome traces as well, or
# QLSWEEP_PROFILE_MEMORY=1 for the allocator's history (step3-memory.pickle), whose growths and
# peak bench/memory_peak.py then prints into step3-memory.md.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${QLSWEEP_BIN:-build/runner/qlsweep}
out=${OUT:-/tmp/qlsweep-bench}/profile
seqs=${1:-512,2048,4096,8192}
shift || true
trial=${PROFILE_TRIAL:-bench/trials/llama2-7b-qlora16.yaml}
mkdir -p "$out"
status=0
for seq in ${seqs//,/ }; do
  dir="$out/seq$seq"
  mkdir -p "$dir"
  QLSWEEP_PROFILE_DIR="$dir" QLSWEEP_PROFILE_STEP=3 "$bin" train "$trial" data.seq_len="$seq" \
    train.steps=4 train.warmup_steps=1 "$@" >"$dir/events.jsonl" 2>"$dir/stderr.log" || status=1
  echo "## seq $seq ($*)"
  echo
  grep -o '"tokens_per_s":[0-9.]*' "$dir/events.jsonl" | tail -n1
  echo
  cat "$dir/step3-kernels.md" 2>/dev/null || { echo "no profile:"; tail -n 5 "$dir/stderr.log"; }
  echo
  if [[ -f "$dir/step3-memory.pickle" ]]; then
    python3 bench/memory_peak.py "$dir/step3-memory.pickle" >"$dir/step3-memory.md" || status=1
    cat "$dir/step3-memory.md"
    echo
  fi
done
exit $status
