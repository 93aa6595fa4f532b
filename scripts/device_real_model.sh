#!/usr/bin/env bash
# Real-model GPU runs for docs/results.md, through scripts/device (which sets $QLSWEEP_BIN and
# $QLSWEEP_BUILD_DIR). The GPU machine downloads nothing and a call carries at most 64 MiB, so the
# 93 MB SmolLM2 GGUF travels in two parts, one per call, kept between calls in the build folder:
#   scripts/split_for_device.sh                                  (here: .carry/ parts + text)
#   scripts/device 'scripts/device_real_model.sh stash'          (carry .carry/smollm2.part1)
#   scripts/device 'scripts/device_real_model.sh run'            (carry .carry/smollm2.part2 and
#                                                                 .carry/fortunes.jsonl)
# `run`: SmolLM2 logits parity, perplexity on held-out text, a QLoRA fine-tune (eval loss before
# and after), the memory-vs-quality sweep; logs, records and the adapter come back as
# $OUT/smollm2.tar.gz.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/qlsweep-device-out}
stash=${QLSWEEP_BUILD_DIR:-build-device}/stash
models=/opt/qlsweep/models data=/opt/qlsweep/data
gguf=$models/SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

case "${1:-}" in
  stash)
    mkdir -p "$stash" && cp .carry/smollm2.part* "$stash"/ && ls -la "$stash"
    ;;
  run)
    mkdir -p "$models" "$data" && cp .carry/smollm2.part* "$stash"/ 2>/dev/null
    cat "$stash"/smollm2.part1 "$stash"/smollm2.part2 >"$gguf"
    echo "$sha  $gguf" | sha256sum -c || exit 1
    cp .carry/fortunes.jsonl "$data/" || exit 1
    bin=${QLSWEEP_BIN:?run through scripts/device}
    # Everything lands in $runs and comes back as one archive (a call returns at most 8 files).
    runs=/tmp/smollm2 && rm -rf "$runs" && mkdir -p "$runs"
    "$QLSWEEP_BUILD_DIR/tests/trainer/trainer_gguf_parity_test" --gtest_filter='*SmolLM2*' 2>&1 |
      tee "$runs/parity.log"
    "$bin" train bench/trials/smollm2-perplexity.yaml >"$runs/perplexity.jsonl"
    tail -n 1 "$runs/perplexity.jsonl"
    "$bin" train bench/trials/smollm2-finetune.yaml --h5 "$runs/finetune.h5" \
      --save-adapter "$runs/adapter-finetune" >"$runs/finetune.jsonl"
    grep '"eval"\|"done"' "$runs/finetune.jsonl"
    "$bin" run sweeps/examples/smollm2-memory-vs-quality.yaml --db "$runs/runs.db"
    "$bin" table --db "$runs/runs.db" --sweep smollm2-memory-vs-quality --by quality |
      tee "$runs/quality.md"
    tar -czf "$out/smollm2.tar.gz" -C /tmp smollm2 && ls -la "$out"
    ;;
  *)
    echo "usage: device_real_model.sh stash|run" >&2
    exit 2
    ;;
esac
