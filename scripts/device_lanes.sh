#!/usr/bin/env bash
# Runs one command per GPU at once on a machine with two or more GPUs (CUDA_VISIBLE_DEVICES=i for
# lane i), through scripts/device, so that two independent GPU jobs share one device call:
#   scripts/device 'scripts/device_lanes.sh "CMD FOR GPU 0" "CMD FOR GPU 1" ...'
# Each lane's output goes to $OUT/laneI.log (its last lines are printed at the end). The device
# tool returns at most 8 files from $OUT, so afterwards everything under $OUT except the logs of
# scripts/device is packed into $OUT/lanes.tar.gz. Exits 1 if any lane failed.
# A lane still running at the deadline is stopped (SIGTERM, SIGKILL 10 s later; exit 124), so
# that what the lanes wrote is packed before the device tool's own limit ends the call:
# QLSWEEP_LANES_DEADLINE (seconds since the epoch), by default QLSWEEP_DEVICE_START + 560 (the
# tool allows 600 s a command), or none when neither is set.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/qlsweep-device-out}
mkdir -p "$out"
deadline=${QLSWEEP_LANES_DEADLINE:-}
if [ -z "$deadline" ] && [ -n "${QLSWEEP_DEVICE_START:-}" ]; then
  deadline=$((QLSWEEP_DEVICE_START + 560))
fi
pids=()
for i in $(seq 0 $(($# - 1))); do
  cmd=${*:$((i + 1)):1}
  (
    export CUDA_VISIBLE_DEVICES=$i
    printf '[lane %d %(%H:%M:%S)T] %s\n' "$i" -1 "$cmd"
    if [ -n "$deadline" ]; then
      left=$((deadline - $(date +%s)))
      [ "$left" -gt 0 ] || left=1
      timeout --kill-after=10 "$left" bash -c "$cmd"
    else
      bash -c "$cmd"
    fi
    rc=$?
    [ "$rc" -eq 124 ] && printf '[lane %d] stopped at the deadline\n' "$i"
    printf '[lane %d %(%H:%M:%S)T] exit %d\n' "$i" -1 "$rc"
    exit "$rc"
  ) >"$out/lane$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || status=1
done
for i in "${!pids[@]}"; do
  echo "=== lane $i (last 60 lines of lane$i.log)"
  tail -n 60 "$out/lane$i.log"
done
keep='^(summary\.log|gpu\.txt|configure\.log|build\.log|tests\.log|command\.log|lanes\.tar\.gz)$'
files=$(cd "$out" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | grep -Ev "$keep")
if [ -n "$files" ]; then
  # shellcheck disable=SC2086
  (cd "$out" && tar -czf lanes.tar.gz $files && rm -rf $files)
fi
ls -la "$out"
exit $status
