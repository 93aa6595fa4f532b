#!/usr/bin/env python3
"""One peer program of the benchmark: Unsloth, or HF transformers + PEFT + bitsandbytes (its
documented recipe, or lean), trained on the benchmark's folder and token files at one or more
sequence lengths in one process (the model is loaded once), printing one JSON line per event.

    peers_worker.py --program hf-lean --model DIR --tokens-dir DIR --seqs 512,2048 [--warmup 2 --timed 8]

Every program: QLoRA NF4 + double quantization, bf16 compute, LoRA r=16 alpha=32 dropout 0 on
q,k,v,o,gate,up,down, micro-batch 1, gradient checkpointing, paged 8-bit AdamW (lr 2e-4, no
weight decay), gradient clipping at 1.0, a plain loop (forward with labels, backward, clip, step).
Each step is timed between two torch.cuda.synchronize() calls. Between sequence lengths the
gradients and the caching allocator's free blocks are released, so each length starts from the
loaded model. An error at one length (out of memory included) is that length's row; the next
length still runs.

Lines on stdout: {"event": "info", versions...}; per length {"event": "seq_start", "seq"} then
{"event": "result", "seq", "status": done|oom|failed|skipped, "reason", "step_s": [...], "loss":
[...], "extra": {...}}. Anything else goes to stderr.
"""
import argparse
import gc
import json
import os
import sys
import time
import traceback

import peers_tokens

PROGRAMS = ("unsloth", "hf-lean", "hf-recipe")
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LORA = dict(r=16, lora_alpha=32, lora_dropout=0.0)
LR, CLIP, EOS = 2e-4, 1.0, 2
SETTLE_S = 0.3  # lets the driver's sampler read the memory held after the last step


def emit(**fields):
    print(json.dumps(fields), flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--program", choices=PROGRAMS, required=True)
    p.add_argument("--model", required=True, help="HF folder (peers_model.py)")
    p.add_argument("--tokens-dir", required=True, help="tokens-<seq>.jsonl files (peers_tokens.py)")
    p.add_argument("--seqs", required=True, help="comma-separated sequence lengths, run in order")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--timed", type=int, default=8)
    a = p.parse_args(argv)
    try:
        a.seqs = [int(s) for s in a.seqs.split(",")]
    except ValueError:
        p.error(f"--seqs: expected integers separated by commas, got {a.seqs!r}")
    return a


def load_unsloth(folder, max_seq):
    import unsloth  # noqa: F401  (first: it patches transformers and peft on import)
    import torch
    from unsloth import FastLanguageModel
    model, _ = FastLanguageModel.from_pretrained(model_name=folder, max_seq_length=max_seq,
                                                 dtype=torch.bfloat16, load_in_4bit=True)
    model = FastLanguageModel.get_peft_model(model, target_modules=TARGETS, bias="none",
                                             use_gradient_checkpointing="unsloth", random_state=0,
                                             **LORA)
    FastLanguageModel.for_training(model)
    return model, {"unsloth": unsloth.__version__}


def load_hf(folder, recipe):
    """HF's QLoRA: the documented recipe (prepare_model_for_kbit_training: fp32 norms and
    embeddings, checkpointing its way) or lean (checkpointing only)."""
    import bitsandbytes
    import peft
    import torch
    import transformers
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                               bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(folder, quantization_config=quant,
                                                 dtype=torch.bfloat16, device_map={"": 0})
    model.config.use_cache = False
    if recipe:  # PEFT's QLoRA guide: checkpointing on, then prepare_model_for_kbit_training
        model.gradient_checkpointing_enable()
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    else:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model = get_peft_model(model, LoraConfig(target_modules=TARGETS, bias="none",
                                             task_type="CAUSAL_LM", **LORA))
    return model, {"transformers": transformers.__version__, "peft": peft.__version__,
                   "bitsandbytes": bitsandbytes.__version__}


def run_seq(model, opt, params, rows, seq, warmup, timed):
    """warmup + timed steps on `rows` (cycled); returns (step seconds, losses)."""
    import torch
    step_s, losses = [], []
    for i in range(warmup + timed):
        ids = torch.tensor([rows[i % len(rows)][:seq]], device="cuda")
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        opt.zero_grad(set_to_none=True)
        torch.cuda.synchronize()
        step_s.append(time.perf_counter() - t0)
        losses.append(float(loss.detach()))
        del loss, ids
    return step_s, losses


def release(opt):
    import torch
    opt.zero_grad(set_to_none=True)
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()


def main(argv):
    a = parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        for seq in a.seqs:
            emit(event="result", seq=seq, status="skipped",
                 reason=f"{a.program} needs a CUDA GPU; none here (dry run)")
        return 0
    max_seq = max(a.seqs)
    try:
        t0 = time.time()
        if a.program == "unsloth":
            model, versions = load_unsloth(a.model, max_seq)
        else:
            model, versions = load_hf(a.model, recipe=a.program == "hf-recipe")
        model.train()  # from_pretrained returns eval mode: HF skips checkpointing there
        import bitsandbytes as bnb
        params = [p for p in model.parameters() if p.requires_grad]
        opt = bnb.optim.PagedAdamW8bit(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
        emit(event="info", load_s=round(time.time() - t0, 1), torch=torch.__version__,
             trainable_params=sum(p.numel() for p in params), training=model.training,
             gradient_checkpointing=bool(getattr(model, "is_gradient_checkpointing", False)),
             **versions)
    except Exception as e:  # the whole program failed to load: every length says why
        traceback.print_exc()
        oom = isinstance(e, torch.cuda.OutOfMemoryError)
        for seq in a.seqs:
            emit(event="result", seq=seq, status="oom" if oom else "failed",
                 reason=f"load: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300])
        return 1
    for seq in a.seqs:
        release(opt)  # before the mark: what the last length left is not this length's
        emit(event="seq_start", seq=seq)
        try:
            rows = peers_tokens.read_rows(peers_tokens.path_for(a.tokens_dir, seq), EOS)
            step_s, losses = run_seq(model, opt, params, rows, seq, a.warmup, a.timed)
            torch.cuda.synchronize()
            time.sleep(SETTLE_S)
            emit(event="result", seq=seq, status="done", reason="", step_s=step_s, loss=losses,
                 extra={"torch_peak_reserved_bytes": torch.cuda.max_memory_reserved(),
                        "torch_peak_alloc_bytes": torch.cuda.max_memory_allocated()})
        except Exception as e:
            traceback.print_exc()
            oom = isinstance(e, torch.cuda.OutOfMemoryError)
            first = str(e).splitlines()[0] if str(e) else ""
            emit(event="result", seq=seq, status="oom" if oom else "failed",
                 reason=f"{type(e).__name__}: {first}"[:300])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
