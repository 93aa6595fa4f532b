#!/usr/bin/env python3
"""A few steps of full fine-tuning of a Llama in plain PyTorch: the reference of
tests/trainer/full_finetune_parity_test.cpp (see docs/parity.md).

    full_ft_reference.py INIT.safetensors BATCHES.safetensors CONFIG.json OUT.safetensors

INIT holds every weight under its HF name (float32), as the trainer exported it. BATCHES holds
tokens_<i> and labels_<i> ([B, T] int64, label -100 = not counted) for micro-batch i, steps *
grad_accum of them, and lrs ([steps] float64). CONFIG (JSON) gives the shape (layers, heads,
kv_heads, hidden, rms_eps, rope_theta, tie_embeddings) and the recipe (steps, grad_accum,
max_grad_norm, beta1, beta2, eps, weight_decay). OUT receives losses and grad_norms ([steps]
float64) and the final weights under their names.

The recipe is the trainer's, written with torch's own pieces: the HF Llama forward (RMSNorm in
float32, rotate-half RoPE, causal SDPA with grouped-query heads, SwiGLU), token-weighted cross
entropy over a step's micro-batches (each micro-batch's summed token loss divided by the step's
labelled tokens), torch.nn.utils.clip_grad_norm_, and torch.optim.AdamW (foreach=False) with the
learning rate set per step. Only torch and the standard library: the venv has no safetensors or
transformers package, so the file format is read and written here (header length, JSON, bytes),
and torch.optim runs through torch_optim_shim (the venv's torch lacks sympy for torch._dynamo).
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

from torch_optim_shim import install_dynamo_shim

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
NAMES = {v: k for k, v in DTYPES.items()}


def read_safetensors(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + n + begin : 8 + n + end])
        dtype = DTYPES[entry["dtype"]]
        out[name] = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"]).clone()
    return out


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        blob = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def rms_norm(x, w, eps):
    x32 = x.float()
    return w * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)).to(x.dtype)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def forward(w, cfg, tokens):
    """tokens [B, T] -> final hidden states [B, T, D]."""
    B, T = tokens.shape
    H, Hkv, D = cfg["heads"], cfg["kv_heads"], cfg["hidden"]
    hd = D // H
    inv_freq = 1.0 / torch.pow(cfg["rope_theta"], torch.arange(0, hd, 2, dtype=torch.float32) / hd)
    freqs = torch.outer(torch.arange(T).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = F.embedding(tokens, w["model.embed_tokens.weight"])
    for i in range(cfg["layers"]):
        p = f"model.layers.{i}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], cfg["rms_eps"])
        q = F.linear(h, w[p + "self_attn.q_proj.weight"]).view(B, T, H, hd).transpose(1, 2)
        k = F.linear(h, w[p + "self_attn.k_proj.weight"]).view(B, T, Hkv, hd).transpose(1, 2)
        v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(B, T, Hkv, hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=Hkv != H)
        x = x + F.linear(a.transpose(1, 2).reshape(B, T, D), w[p + "self_attn.o_proj.weight"])
        m = rms_norm(x, w[p + "post_attention_layernorm.weight"], cfg["rms_eps"])
        gate = F.linear(m, w[p + "mlp.gate_proj.weight"])
        up = F.linear(m, w[p + "mlp.up_proj.weight"])
        x = x + F.linear(F.silu(gate) * up, w[p + "mlp.down_proj.weight"])
    return rms_norm(x, w["model.norm.weight"], cfg["rms_eps"])


def main(init_path, batches_path, config_path, out_path):
    cfg = json.load(open(config_path))
    weights = {k: torch.nn.Parameter(v) for k, v in read_safetensors(init_path).items()}
    batches = read_safetensors(batches_path)
    out_name = "model.embed_tokens.weight" if cfg["tie_embeddings"] else "lm_head.weight"
    params = list(weights.values())
    opt = torch.optim.AdamW(params, lr=1.0, betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
                            weight_decay=cfg["weight_decay"], foreach=False)
    losses, norms = [], []
    accum = cfg["grad_accum"]
    for step in range(cfg["steps"]):
        micro = [(batches[f"tokens_{step * accum + j}"], batches[f"labels_{step * accum + j}"])
                 for j in range(accum)]
        tokens_in_step = sum(int((labels != -100).sum()) for _, labels in micro)
        loss_sum = 0.0
        for tokens, labels in micro:
            hidden = forward(weights, cfg, tokens)
            logits = (hidden @ weights[out_name].t()).float()
            nll = F.cross_entropy(logits.view(-1, logits.shape[-1]), labels.view(-1),
                                  ignore_index=-100, reduction="sum")
            (nll / tokens_in_step).backward()
            loss_sum += nll.item()
        max_norm = cfg["max_grad_norm"] if cfg["max_grad_norm"] > 0 else float("inf")
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm)))
        for group in opt.param_groups:
            group["lr"] = float(batches["lrs"][step])
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss_sum / tokens_in_step)
    out = {"losses": torch.tensor(losses, dtype=torch.float64),
           "grad_norms": torch.tensor(norms, dtype=torch.float64)}
    out.update({k: v.detach() for k, v in weights.items()})
    write_safetensors(out_path, out)
    print("torch", torch.__version__, "losses", " ".join(f"{x:.6f}" for x in losses))


if __name__ == "__main__":
    install_dynamo_shim()
    main(*sys.argv[1:5])
