#!/usr/bin/env python3
"""Writes the PEFT adapter parity fixture in tests/assets/hf-tiny/peft-adapter/ (docs/parity.md).

HF PEFT wraps the untied tiny Llama of tests/assets/hf-tiny/untied/ with a LoRA adapter
(r=4, lora_alpha=8, all seven projections), whose A and B are then drawn at random (B non-zero,
so the adapter changes the output), and saves it with save_pretrained:
  adapter_config.json, adapter_model.safetensors     what PEFT writes
  reference_logits.safetensors                       "tokens" [2, 16] int64 (the same tokens as
                                                     untied/reference_logits), "logits" [2, 16, 512]
                                                     float32 of the PeftModel
tests/trainer/adapter_test.cpp loads the adapter into the C++ model and compares the logits.

    dump_peft_adapter.py --check DIR
loads an adapter that qlsweep saved (e.g. from the test, QLSWEEP_KEEP_ADAPTER=DIR) into PEFT on
the same base and compares its logits with reference_logits (the saving direction).

CPU, seconds:
    python3 -m venv /tmp/hfref && /tmp/hfref/bin/pip install torch==2.11.0 transformers safetensors peft
    /tmp/hfref/bin/python scripts/reference/dump_peft_adapter.py
"""
import json
import pathlib
import shutil
import sys

import peft
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import LlamaForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "tests/assets/hf-tiny/untied"
OUT = ROOT / "tests/assets/hf-tiny/peft-adapter"


def main():
    torch.manual_seed(20261126)
    model = LlamaForCausalLM.from_pretrained(BASE, torch_dtype=torch.float32).eval()
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, task_type="CAUSAL_LM",
                        target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                                        "up_proj", "down_proj"])
    model = get_peft_model(model, config)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_" in name:
                p.copy_(0.05 * torch.randn_like(p))
    shutil.rmtree(OUT, ignore_errors=True)
    model.save_pretrained(OUT)
    (OUT / "README.md").unlink(missing_ok=True)  # PEFT's model card template
    cfg = json.loads((OUT / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = "tests/assets/hf-tiny/untied"  # not this machine's path
    (OUT / "adapter_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")

    tokens = load_file(str(BASE / "reference_logits.safetensors"))["tokens"]
    base = LlamaForCausalLM.from_pretrained(BASE, torch_dtype=torch.float32).eval()
    reloaded = PeftModel.from_pretrained(base, OUT).eval()
    with torch.no_grad():
        logits = reloaded(tokens).logits.float().contiguous()
        plain = reloaded.get_base_model()
        with reloaded.disable_adapter():
            base_logits = plain(tokens).logits.float()
    change = (logits - base_logits).abs().max().item()
    print(f"peft {peft.__version__}: adapter moves the logits by up to {change:.3f}")
    assert change > 1e-2, change
    save_file({"tokens": tokens, "logits": logits}, str(OUT / "reference_logits.safetensors"))
    print(f"wrote {OUT}: {sorted(p.name for p in OUT.iterdir())}")


def check(folder):
    tokens = load_file(str(BASE / "reference_logits.safetensors"))["tokens"]
    want = load_file(str(OUT / "reference_logits.safetensors"))["logits"]
    base = LlamaForCausalLM.from_pretrained(BASE, torch_dtype=torch.float32).eval()
    model = PeftModel.from_pretrained(base, folder).eval()
    with torch.no_grad():
        got = model(tokens).logits.float()
    diff = (got - want).abs().max().item()
    print(f"PEFT {peft.__version__} on {folder}: max |logit - reference| = {diff:.3e}")
    assert diff < 2e-5, diff


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(pathlib.Path(sys.argv[2]))
    else:
        main()
