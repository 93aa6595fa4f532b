#!/usr/bin/env bash
# Prepares what scripts/device_real_model.sh needs on the GPU machine in .carry/ (ignored by git):
# the SmolLM2 GGUF cut in two parts under the 64 MiB a device call carries, and the fortunes text.
set -euo pipefail
cd "$(dirname "$0")/.."
gguf=${QLSWEEP_MODELS:-/opt/qlsweep/models}/SmolLM2-135M-Instruct.Q4_1.gguf
text=${QLSWEEP_DATA:-/opt/qlsweep/data}/fortunes.jsonl
[ -f "$gguf" ] && [ -f "$text" ] || { echo "run scripts/setup first ($gguf, $text)" >&2; exit 1; }
mkdir -p .carry
half=$(( ($(stat -c %s "$gguf") + 1) / 2 ))
head -c "$half" "$gguf" >.carry/smollm2.part1
tail -c +$((half + 1)) "$gguf" >.carry/smollm2.part2
cp "$text" .carry/fortunes.jsonl
ls -la .carry
