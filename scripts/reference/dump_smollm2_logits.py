#!/usr/bin/env python3
"""Writes tests/assets/gguf/smollm2_reference.safetensors: what HF transformers computes from the
real SmolLM2-135M-Instruct Q4_1 GGUF (docs/parity.md), for tests/trainer/gguf_parity_test.cpp.

transformers reads the GGUF (dequantized by gguf-py to float32, q/k rows un-permuted) and its
tokenizer, encodes TEXT (non-ASCII, digits, whitespace runs) and runs the model in float32 on the
CPU. Stored (the full logits would be 49152 columns per position):
  tokens     [1, T] int64     the tokenizer's ids for TEXT (no BOS, as SmolLM2's tokenizer does)
  head       [1, T, 1024]     logits of the first 1024 vocabulary entries
  logsumexp  [1, T]           over the whole vocabulary
  argmax     [1, T] int64     over the whole vocabulary
  metadata   text = TEXT

CPU, about a minute:
    python3 -m venv /tmp/hfref && /tmp/hfref/bin/pip install torch==2.11.0 transformers gguf safetensors
    /tmp/hfref/bin/python scripts/reference/dump_smollm2_logits.py /opt/qlsweep/models/SmolLM2-135M-Instruct.Q4_1.gguf
"""
import pathlib
import sys

import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/assets/gguf/smollm2_reference.safetensors"
TEXT = ("The quick brown fox jumps over the lazy dog.  Naïve café owners in Zürich sold "
        "12345 croissants — “quoted” text,\ttabs and   spaces.\nLine two: 3.14159 ≈ π!")


def main(gguf):
    gguf = pathlib.Path(gguf).resolve()
    tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 torch_dtype=torch.float32).eval()
    tokens = tok(TEXT, return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(tokens).logits.float()
    save_file({"tokens": tokens.contiguous(),
               "head": logits[:, :, :1024].contiguous(),
               "logsumexp": torch.logsumexp(logits, dim=-1).contiguous(),
               "argmax": logits.argmax(dim=-1).contiguous()},
              str(OUT), metadata={"text": TEXT, "transformers": transformers.__version__})
    print(f"wrote {OUT}: {tokens.shape[1]} tokens, max |logit| {logits.abs().max():.2f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else
         "/opt/qlsweep/models/SmolLM2-135M-Instruct.Q4_1.gguf")
