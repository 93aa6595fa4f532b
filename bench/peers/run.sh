#!/usr/bin/env bash
# The side-by-side benchmark on the GPU machine (README.md beside this file): installs the carried
# wheels of .peers/ into /tmp/site, then runs peers.py (options pass through; --help lists them).
# Run through scripts/device, which builds qlsweep first and sets $QLSWEEP_BIN and $OUT:
#   QLSWEEP_DEVICE_TESTS=none QLSWEEP_DEVICE_TARGETS=qlsweep scripts/device 'bench/peers/run.sh'
# (device tool: kind nvidia-h200, timeout_s 600, carry [".peers"]).
# Everything comes back under $OUT/peers: table.md, results.jsonl, logs.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
py=python3
[ -x /opt/torch/.venv/bin/python3 ] && py=/opt/torch/.venv/bin/python3
site=/tmp/site
if ls .peers/wheels/*.whl >/dev/null 2>&1; then
  start=$(date +%s)
  if "$py" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target "$site" .peers/wheels/*.whl >/tmp/peers-pip.log 2>&1; then
    echo "run.sh: $(ls .peers/wheels | wc -l) wheels into $site in $(( $(date +%s) - start )) s"
  else
    echo "run.sh: installing .peers/wheels failed (the peers will say why):" >&2
    tail -n 5 /tmp/peers-pip.log >&2
  fi
  export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
else
  echo "run.sh: no .peers/wheels (run bench/peers/fetch_wheels.sh here first and carry .peers);" \
    "Unsloth and bitsandbytes will fail to import" >&2
fi
export PYTHONUNBUFFERED=1
# Keep NVLink multicast off, as scripts/device does (the workplace requires it).
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
# Pace the benchmark to end inside the device call: PEERS_CALL_LIMIT_S (the call's timeout_s,
# default 600) less what scripts/device has spent (build, wheels) less 45 s of margin; a --budget-s
# given to this script wins (argparse keeps the last).
budget=()
if [ -n "${QLSWEEP_DEVICE_START:-}" ]; then
  left=$(( ${PEERS_CALL_LIMIT_S:-600} - ($(date +%s) - QLSWEEP_DEVICE_START) - 45 ))
  echo "run.sh: $(( $(date +%s) - QLSWEEP_DEVICE_START )) s spent since scripts/device started; budget ${left} s"
  budget=(--budget-s "$left")
fi
exec "$py" bench/peers/peers.py --python "$py" "${budget[@]}" "$@"
