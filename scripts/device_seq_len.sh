#!/usr/bin/env bash
# GPU record runs for docs/results.md (through scripts/device): the sequence-length sweeps of
# sweeps/examples (Llama-2-7B under the 6 GB RTX 4050, Llama-3-8B under the 12 GB RTX 3060), with
# their trade-off tables; the records come back as $OUT/seq-len-runs.tar.gz.
set -uo pipefail
bin=${QLSWEEP_BIN:?run through scripts/device}
out=${OUT:-/tmp/qlsweep-device-out}
runs=/tmp/seq-len-runs && rm -rf "$runs" && mkdir -p "$runs"
for s in llama2-7b-seq-len-4050 llama3-8b-seq-len-3060; do
  "$bin" run "sweeps/examples/$s.yaml" --db "$runs/runs.db" --quiet
  "$bin" table --db "$runs/runs.db" --sweep "$s" --by data.seq_len
  "$bin" table --db "$runs/runs.db" --sweep "$s" --calibration
done
tar -czf "$out/seq-len-runs.tar.gz" -C /tmp seq-len-runs
