#!/usr/bin/env bash
# `qlsweep reproduce seed-report` on the GPU machine, through scripts/device (which sets
# $QLSWEEP_BIN and $QLSWEEP_BUILD_DIR). A call carries at most 64 MiB and runs at most 10 minutes,
# and the report needs about 24 minutes of GPU time (estimated), so (docs/seed-report.md):
#   scripts/split_for_device.sh                                  (here: .carry/ parts + text)
#   scripts/device 'scripts/device_seed_report.sh stash'         (carry .carry/smollm2.part1)
#   scripts/device 'scripts/device_seed_report.sh run'           (carry .carry/smollm2.part2 and
#                                                                 .carry/fortunes.jsonl)
#   scripts/device 'scripts/device_seed_report.sh run'           (again, until it says "seed
#                                                                 report:"; each call resumes)
# The run index and the report live in the build folder, which the machine keeps while it stays
# warm; every call returns them as $OUT/seed-report.tar.gz (report.md, index.html, sweeps/, runs.db).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/qlsweep-device-out}
build=${QLSWEEP_BUILD_DIR:-build-device}
stash=$build/stash seed=$build/seed-report
models=/opt/qlsweep/models data=/opt/qlsweep/data
gguf=$models/SmolLM2-135M-Instruct.Q4_1.gguf
sha=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53

case "${1:-}" in
  stash)
    mkdir -p "$stash" && cp .carry/smollm2.part* "$stash"/ && ls -la "$stash"
    ;;
  run)
    # The SmolLM2 sections need the GGUF, which travels in two parts (stash + run); without both
    # the Llama-2-7B sections run alone and the report marks the others "not found".
    if [ ! -f "$gguf" ]; then
      mkdir -p "$stash" && cp .carry/smollm2.part* "$stash"/ 2>/dev/null
      if [ -f "$stash/smollm2.part1" ] && [ -f "$stash/smollm2.part2" ]; then
        mkdir -p "$models" && cat "$stash"/smollm2.part1 "$stash"/smollm2.part2 >"$gguf"
        echo "$sha  $gguf" | sha256sum -c || { rm -f "$gguf"; exit 1; }
      else
        echo "device_seed_report: SmolLM2 GGUF not here yet: the 7B sections only" >&2
      fi
    fi
    if [ ! -f "$data/fortunes.jsonl" ] && [ -f .carry/fortunes.jsonl ]; then
      mkdir -p "$data" && cp .carry/fortunes.jsonl "$data/"
    fi
    bin=${QLSWEEP_BIN:?run through scripts/device}
    mkdir -p "$seed/report"
    # Stop before the call's 10 minutes are up (from scripts/device's start, 40 s kept for packing
    # up): SIGINT records the running trial as killed, and the next call runs it again.
    elapsed=$(($(date +%s) - ${QLSWEEP_DEVICE_START:-$(date +%s)}))
    seconds=${SEED_REPORT_SECONDS:-$((560 - elapsed))}
    # shellcheck disable=SC2086
    timeout -s INT "$seconds" "$bin" reproduce seed-report \
      --db "$seed/runs.db" --out "$seed/report" ${SEED_REPORT_ARGS:-} 2>&1 | tail -n 40
    tar -czf "$out/seed-report.tar.gz" -C "$seed" report runs.db series 2>/dev/null ||
      tar -czf "$out/seed-report.tar.gz" -C "$seed" report runs.db
    ls -la "$out"
    ;;
  *)
    echo "usage: device_seed_report.sh stash|run" >&2
    exit 2
    ;;
esac
