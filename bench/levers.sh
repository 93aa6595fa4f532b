#!/usr/bin/env bash
# The memory levers of issue #15, each measured on its own against the former code path, then the
# fits the issue asks for under emulated cards. One `qlsweep train` process per row (random weights
# of the true shapes, 6 steps, micro-batch 1, r=16 on all 7 projections, NF4 + double quant, paged
# 8-bit AdamW, checkpointing); prints markdown tables and keeps every process's events.
#   scripts/device 'bench/levers.sh [levers|fused|fits|fits2|dropout|embeddings|attention|all] [SEQS]'
#   (SEQS default 2048,4096)
# Levers (docs/results.md, "Memory levers"):
#   expandable  PyTorch's expandable segments (set by the trainer unless PYTORCH_CUDA_ALLOC_CONF is)
#   chunk       the loss's logits chunk sized by bytes (sweeps/loss_chunk.h) instead of 1,024 tokens
#   offload     train.offload_activations: saved layer inputs in pinned host memory
#   embeddings  train.offload_embeddings: the input embedding table in pinned host memory
#   fused       (part "fused") the decoder's fused ops, each alone (QLSWEEP_FUSED_OPS=op), none,
#               and all, with activation offload on as in the peers benchmark
#   attention   (part "attention") train.recompute_attention=false: checkpointing keeps each
#               layer's q, k, v and attention output (parked in host memory with the offload, or
#               on the device) and recomputes only the MLP half; with both offloads as in the
#               peers benchmark, and the 4050 fits with it
#   dropout     (part "dropout") the seed's recipe has lora.dropout 0.05: the LoRA update keeps its
#               mask, not the dropped copy of its input (trainer/peft/lora_update.h); its "before"
#               is the seed report's trials of the same configs, measured with the former code
# "baseline" turns the first two off through the environment (PYTORCH_CUDA_ALLOC_CONF=
# expandable_segments:False, QLSWEEP_LOSS_CHUNK_TOKENS=1024) and leaves offload off: the code
# path measured in earlier sessions.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${QLSWEEP_BIN:-build/runner/qlsweep}
out=${OUT:-/tmp/qlsweep-bench}/levers
part=${1:-all}
seqs=${2:-2048,4096}
trial=${LEVERS_TRIAL:-bench/trials/llama2-7b-qlora16.yaml}
py=$(command -v python3)
[ -x /opt/torch/.venv/bin/python3 ] && py=/opt/torch/.venv/bin/python3
mkdir -p "$out"
rows="$out/rows.jsonl"
: >"$rows"

# run LABEL SEQ ENV-ASSIGNMENTS -- OVERRIDES...: one trial process, its last event to rows.jsonl.
run() {
  local label=$1 seq=$2 envs=$3
  shift 4
  local log="$out/${label// /_}-$seq.jsonl"
  local start=$SECONDS
  env $envs "$bin" train "$trial" data.seq_len="$seq" train.steps=6 train.warmup_steps=1 "$@" \
    >"$log" 2>"$log.err"
  local rc=$?
  "$py" - "$log" "$label" "$seq" "$rc" "$((SECONDS - start))" "$*" >>"$rows" <<'EOF'
import json, sys
path, label, seq, rc, wall, overrides = sys.argv[1:]
last = {}
for line in open(path):
    line = line.strip()
    if line.startswith("{"):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") in ("done", "oom", "error", "failed"):
            last = e
print(json.dumps({"label": label, "seq": int(seq), "rc": int(rc), "wall_s": int(wall),
                  "overrides": overrides, "end": last}))
EOF
}

base_env="PYTORCH_CUDA_ALLOC_CONF=expandable_segments:False QLSWEEP_LOSS_CHUNK_TOKENS=1024"
if [ "$part" = levers ] || [ "$part" = all ]; then
  for seq in ${seqs//,/ }; do
    run baseline "$seq" "$base_env" --
    run "+ expandable segments" "$seq" "QLSWEEP_LOSS_CHUNK_TOKENS=1024" --
    run "+ loss chunk by bytes" "$seq" "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:False" --
    run "+ activation offload" "$seq" "$base_env" -- train.offload_activations=true
    run "+ embeddings in host memory" "$seq" "$base_env" -- train.offload_embeddings=true
    run "all three" "$seq" "" -- train.offload_activations=true
    run "all four" "$seq" "" -- train.offload_activations=true train.offload_embeddings=true
  done
fi
if [ "$part" = fused ] || [ "$part" = all ]; then  # the fused ops (trainer/model/fused_ops.h)
  for seq in ${seqs//,/ }; do
    run "none fused" "$seq" "QLSWEEP_FUSED_OPS=none" -- train.offload_activations=true
    for op in lora rope rmsnorm swiglu; do
      run "only $op fused" "$seq" "QLSWEEP_FUSED_OPS=$op" -- train.offload_activations=true
    done
    run "all fused" "$seq" "" -- train.offload_activations=true
  done
fi
if [ "$part" = attention ]; then  # attention kept instead of recomputed (trainer/model/attention.h)
  both=(train.offload_activations=true train.offload_embeddings=true)
  for seq in ${seqs//,/ }; do
    run "both offloads" "$seq" "" -- "${both[@]}"
    run "both offloads + attention kept (host)" "$seq" "" -- "${both[@]}" \
      train.recompute_attention=false
    run "attention kept on the device" "$seq" "" -- train.recompute_attention=false
  done
  for seq in 2048 4096; do
    run "4050: seed config + both offloads + attention kept" "$seq" "" -- \
      hardware.gpu_profile=rtx4050-laptop-6gb "${both[@]}" train.recompute_attention=false
  done
fi
if [ "$part" = fits2 ]; then  # the fits with both offloads (activations and the embedding table)
  p4050=hardware.gpu_profile=rtx4050-laptop-6gb
  both=(train.offload_activations=true train.offload_embeddings=true)
  for seq in 2048 4096; do
    run "4050: seed config + both offloads" "$seq" "" -- "$p4050" "${both[@]}"
    run "4050: seed recipe (dropout 0.05) + both offloads" "$seq" "" -- "$p4050" "${both[@]}" \
      lora.dropout=0.05
  done
  run "4050: seed config + activation offload, cuBLAS workspace 4 MiB" 4096 \
    "CUBLAS_WORKSPACE_CONFIG=:4096:1" -- "$p4050" train.offload_activations=true
  for seq in 6144 8192; do
    run "llama3-8b 4060-8gb + both offloads" "$seq" "" -- model.preset=llama3-8b \
      hardware.gpu_profile=rtx4060-8gb "${both[@]}"
  done
fi
if [ "$part" = embeddings ]; then  # the embeddings lever alone (its rows of "levers" and "dropout")
  for seq in ${seqs//,/ }; do
    run "+ embeddings in host memory" "$seq" "$base_env" -- train.offload_embeddings=true
    run "all three" "$seq" "" -- train.offload_activations=true
    run "all four" "$seq" "" -- train.offload_activations=true train.offload_embeddings=true
    run "4050: seed recipe + both offloads" "$seq" "" -- lora.dropout=0.05 \
      hardware.gpu_profile=rtx4050-laptop-6gb train.offload_activations=true \
      train.offload_embeddings=true
  done
fi
if [ "$part" = dropout ] || [ "$part" = all ]; then
  for seq in ${seqs//,/ }; do
    run "seed recipe (dropout 0.05), whole GPU" "$seq" "" -- lora.dropout=0.05
    run "4050: seed recipe (dropout 0.05)" "$seq" "" -- lora.dropout=0.05 \
      hardware.gpu_profile=rtx4050-laptop-6gb
    run "4050: seed recipe + offload" "$seq" "" -- lora.dropout=0.05 \
      hardware.gpu_profile=rtx4050-laptop-6gb train.offload_activations=true
    run "4050: seed recipe + both offloads" "$seq" "" -- lora.dropout=0.05 \
      hardware.gpu_profile=rtx4050-laptop-6gb train.offload_activations=true \
      train.offload_embeddings=true
  done
fi
if [ "$part" = fits ] || [ "$part" = all ]; then
  p4050=hardware.gpu_profile=rtx4050-laptop-6gb
  run "4050: seed config" 2048 "" -- "$p4050"
  run "4050: seed config + offload" 2048 "" -- "$p4050" train.offload_activations=true
  run "4050: + offload" 4096 "" -- "$p4050" train.offload_activations=true
  for seq in 3072 4096 8192; do
    run "llama3-8b 4060-8gb + offload" "$seq" "" -- model.preset=llama3-8b \
      hardware.gpu_profile=rtx4060-8gb train.offload_activations=true
    run "llama3-8b 4060-8gb + both offloads" "$seq" "" -- model.preset=llama3-8b \
      hardware.gpu_profile=rtx4060-8gb train.offload_activations=true train.offload_embeddings=true
  done
fi

"$py" - "$rows" <<'EOF' | tee "$out/table.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
gib = lambda b: "-" if b is None else f"{b / 2**30:.2f}"
print("| run | seq | outcome | tokens/s | peak allocated GiB | peak reserved GiB | device peak GiB | budget margin MiB | wall s |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    e = r["end"]
    kind = e.get("event", f"exit {r['rc']}")
    outcome = kind if kind != "oom" else f"oom ({e.get('phase', '?')})"
    tps = e.get("tokens_per_s")
    budget = e.get("budget_bytes") or 0
    dev = e.get("device_peak_bytes")
    margin = f"{(budget - dev) / 2**20:+.0f}" if budget and dev else "-"
    print(f"| {r['label']} | {r['seq']} | {outcome} | {'-' if tps is None else f'{tps:,.0f}'} | "
          f"{gib(e.get('peak_alloc_bytes'))} | {gib(e.get('peak_reserved_bytes'))} | {gib(dev)} | "
          f"{margin} | {r['wall_s']} |")
EOF
