#!/usr/bin/env python3
"""Writes the HF-checkpoint parity fixtures in tests/assets/hf-tiny/ (see docs/parity.md).

  untied/          a random tiny LlamaForCausalLM saved by save_pretrained as one model.safetensors,
                   and reference_logits.safetensors: "tokens" [2, 16] int64, "logits" [2, 16, 512]
                   float32 from transformers (sdpa and eager attention, checked to agree).
  llama3-rope/     the untied architecture with Llama 3.1's rope scaling (rope_type llama3), one
                   file, and its reference_logits.safetensors.
  tied-sharded/    the same architecture with tie_word_embeddings=true, saved in several shards
                   (model.safetensors.index.json), with its reference_logits.safetensors.
  gguf_reference_logits.safetensors
                   logits of transformers' LlamaForCausalLM holding the dequantized weights of
                   tests/assets/gguf/tiny-llama.gguf (tests/assets/gguf/tiny-llama.expected.safetensors).

CPU, seconds:
    python3 -m venv /tmp/hfref && /tmp/hfref/bin/pip install torch==2.11.0 transformers safetensors
    /tmp/hfref/bin/python scripts/reference/dump_hf_llama.py
"""
import json
import pathlib
import shutil
import sys

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "tests/assets/hf-tiny"
GGUF_EXPECTED = ROOT / "tests/assets/gguf/tiny-llama.expected.safetensors"


def config(tied, rope_scaling=None):
    return LlamaConfig(
        vocab_size=512, hidden_size=64, intermediate_size=176, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048,
        rope_theta=10000.0, rms_norm_eps=1e-5, tie_word_embeddings=tied,
        initializer_range=0.02, torch_dtype="float32", rope_scaling=rope_scaling)


# Llama 3.1's RoPE scaling with a short original context (64), so that within the 16 test
# positions some frequencies are stretched (wavelength > 64), one is interpolated (16..64) and
# the rest are kept: every branch of the scaling shows in the logits.
LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
               "high_freq_factor": 4.0, "original_max_position_embeddings": 64}


def tokens():
    g = torch.Generator().manual_seed(7)
    return torch.randint(0, 512, (2, 16), generator=g, dtype=torch.int64)


def logits_both_ways(model_dir_or_model, tok):
    """Logits [B, T, V] float32 under sdpa and eager attention; asserts they agree."""
    out = {}
    for impl in ("sdpa", "eager"):
        if isinstance(model_dir_or_model, pathlib.Path):
            model = LlamaForCausalLM.from_pretrained(model_dir_or_model, attn_implementation=impl,
                                                     torch_dtype=torch.float32)
        else:
            model = model_dir_or_model(impl)
        model.eval()
        with torch.no_grad():
            out[impl] = model(tok).logits.float()
    diff = (out["sdpa"] - out["eager"]).abs().max().item()
    print(f"  sdpa vs eager max |diff| = {diff:.3e}, max |logit| = {out['sdpa'].abs().max():.3f}")
    assert diff < 1e-5, diff
    return out["sdpa"].contiguous()


def save_model(tied, sub, max_shard_size, rope_scaling=None):
    torch.manual_seed(20240611 + int(tied))
    model = LlamaForCausalLM(config(tied, rope_scaling)).float().eval()
    with torch.no_grad():  # HF initializes norms at 1; perturb them so that loading them matters
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.add_(0.1 * torch.randn_like(p))
    folder = OUT / sub
    shutil.rmtree(folder, ignore_errors=True)
    model.save_pretrained(folder, safe_serialization=True, max_shard_size=max_shard_size)
    (folder / "generation_config.json").unlink(missing_ok=True)
    tok = tokens()
    logits = logits_both_ways(folder, tok)
    tensors = {"tokens": tok, "logits": logits}
    if rope_scaling:  # the scaled RoPE frequencies [hd/2], to check them directly too
        tensors["inv_freq"] = model.model.rotary_emb.inv_freq.float().contiguous()
    save_file(tensors, str(folder / "reference_logits.safetensors"))
    print(f"wrote {folder}: {sorted(p.name for p in folder.iterdir())}")


def gguf_reference():
    weights = load_file(str(GGUF_EXPECTED))

    def build(impl):
        model = LlamaForCausalLM._from_config(config(False), attn_implementation=impl)
        missing, unexpected = model.load_state_dict(weights, strict=False)
        assert not unexpected and all("rotary" in m for m in missing), (missing, unexpected)
        return model.float()

    tok = tokens()
    logits = logits_both_ways(build, tok)
    save_file({"tokens": tok, "logits": logits}, str(OUT / "gguf_reference_logits.safetensors"))
    print(f"wrote {OUT / 'gguf_reference_logits.safetensors'}")


def main():
    torch.set_num_threads(1)
    print(f"transformers {transformers.__version__}, torch {torch.__version__}")
    OUT.mkdir(parents=True, exist_ok=True)
    save_model(False, "llama3-rope", "10GB", LLAMA3_ROPE)
    if sys.argv[1:] == ["--only", "llama3-rope"]:
        return
    save_model(False, "untied", "10GB")
    save_model(True, "tied-sharded", "200KB")
    index = json.loads((OUT / "tied-sharded/model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1, "tied-sharded did not shard"
    gguf_reference()


if __name__ == "__main__":
    main()
