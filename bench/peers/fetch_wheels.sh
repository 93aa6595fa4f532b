#!/usr/bin/env bash
# Fills .peers/ (git-ignored) with what bench/peers/run.sh needs on the GPU machine and that
# machine lacks: the wheels of bitsandbytes, Unsloth and Unsloth's dependencies (both trimmed, see
# trim_wheel.py) and Llama 2's tokenizer files (Unsloth wants them in the model folder). Run it
# HERE, where PyPI answers, in the checkout that the device tool sends; then name .peers in carry.
#   bench/peers/fetch_wheels.sh            (re-running it starts .peers/ afresh)
# Environment: QLSWEEP_TOKENIZER_DIR (default ../shared/data/tokenizers/llama2), PYTHON (python3).
set -euo pipefail
cd "$(dirname "$0")/../.."
dest=.peers
py=${PYTHON:-python3}
tok=${QLSWEEP_TOKENIZER_DIR:-../shared/data/tokenizers/llama2}
# The GPU machine's Python (3.12, x86-64) decides the wheels; REFERENCE.md lists what it lacks.
pins=(
  bitsandbytes==0.50.2 unsloth==2026.10.9 unsloth_zoo==2026.10.9
  tyro==1.0.17 docstring-parser==0.18.0 shtab==1.13.0 typeguard==4.6.1
  datasets==4.8.5 dill==0.4.1 multiprocess==0.70.19 trl==1.15.0 hf_transfer==0.1.9
  diffusers==0.42.1 torchao==0.18.0 cut_cross_entropy==25.1.1 msgspec==0.23.0 json5==0.17.3
  structlog==26.1.0 nest-asyncio==1.6.0 pydantic==2.14.4 pydantic-core==2.50.5
  annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0
)
[ -f "$tok/tokenizer.json" ] || { echo "fetch_wheels: no tokenizer.json in $tok" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_24_x86_64 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$tmp" "${pins[@]}"
rm -rf "$dest" && mkdir -p "$dest/wheels" "$dest/tokenizer"
for whl in "$tmp"/*.whl; do
  name=$(basename "$whl")
  case "$name" in
    unsloth-*)  # the web UI and the CLI: training imports neither
      "$py" bench/peers/trim_wheel.py "$whl" "$dest/wheels/$name" studio/ unsloth_cli/ ;;
    bitsandbytes-*)  # every CUDA/ROCm/XPU library but CUDA 13.0's (the CPU one stays: 63 kB)
      drop=()
      while read -r so; do
        case "$so" in */libbitsandbytes_cuda130.so | */libbitsandbytes_cpu.so) ;; *) drop+=("$so") ;; esac
      done < <("$py" -c 'import sys,zipfile;[print(n) for n in zipfile.ZipFile(sys.argv[1]).namelist() if n.endswith(".so")]' "$whl")
      "$py" bench/peers/trim_wheel.py "$whl" "$dest/wheels/$name" "${drop[@]}" ;;
    *) cp "$whl" "$dest/wheels/" ;;
  esac
done
cp "$tok"/tokenizer.json "$tok"/tokenizer_config.json "$dest/tokenizer/"
count=$(ls "$dest/wheels" | wc -l)
[ "$count" -eq "${#pins[@]}" ] || { echo "fetch_wheels: $count wheels for ${#pins[@]} pins" >&2; exit 1; }
echo "fetch_wheels: $count wheels + tokenizer in $dest: $(du -sm "$dest" | cut -f1) MiB"
echo "  with the rest of what travels: $(git ls-files -z | du -cm --files0-from=- | tail -n1 | cut -f1) MiB tracked (limit 64 MiB per call)"
