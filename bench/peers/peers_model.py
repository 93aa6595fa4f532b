#!/usr/bin/env python3
"""Writes one random HF Llama folder (config.json, bf16 safetensors shards + index, tokenizer files)
that every program of the benchmark loads; fixed seed, so every run writes the same weights.

    peers_model.py --shape llama2-7b --max-seq 8192 --tokenizer-dir .peers/tokenizer --out DIR

Matrices are N(0, 0.02), norms 1. Drawn on the GPU when there is one (a 7B folder takes seconds to
draw; writing 13.5 GB takes the rest). A folder already written with the same shape, seed and
max-seq (its .complete stamp) is kept. Needs torch; the safetensors format is written here
(8-byte little-endian header length, JSON header, raw data) so no other package is needed.
"""
import argparse
import json
import os
import shutil
import struct
import sys
import time

import peers_shapes

SHARD_BYTES = 5 * 1024**3  # HF's default shard size is about this


def write_safetensors(path, tensors):
    """Writes [(name, bf16 CPU tensor)] as one .safetensors file; returns the bytes of data."""
    import torch
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, t in tensors:
        assert t.dtype == torch.bfloat16 and t.device.type == "cpu", name
        n = t.numel() * 2
        header[name] = {"dtype": "BF16", "shape": list(t.shape), "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for _, t in tensors:
            f.write(memoryview(t.contiguous().view(torch.int16).numpy()).cast("B"))
    return offset


def draw(name, dims, gen, device):
    """One tensor of the random model: norms 1, everything else N(0, 0.02); bf16 on the CPU."""
    import torch
    if name.endswith("norm.weight"):
        return torch.ones(dims, dtype=torch.bfloat16)
    t = torch.randn(dims, generator=gen, device=device, dtype=torch.float32).mul_(0.02)
    return t.to(torch.bfloat16).cpu()


def stamp_of(shape, seed, max_seq, tokenizer):
    return {"shape": shape, "seed": seed, "max_seq": max_seq, "tokenizer": tokenizer, "format": 1}


def write_model(out, shape, seed, max_seq, tokenizer_dir, log=print):
    """Writes the folder `out` (kept when its stamp matches); returns seconds spent."""
    import torch
    start = time.time()
    stamp_path = os.path.join(out, ".complete")
    stamp = stamp_of(shape, seed, max_seq, bool(tokenizer_dir))
    if os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                log(f"model: {out} already holds {shape} (seed {seed}); kept")
                return 0.0
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    shards, current, size = [], [], 0
    for name, dims in peers_shapes.tensor_shapes(shape):
        t = draw(name, dims, gen, device)
        if current and size + t.numel() * 2 > SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
        current.append((name, t))
        size += t.numel() * 2
        if size >= SHARD_BYTES:
            shards.append(current)
            current, size = [], 0
    if current:
        shards.append(current)
    weight_map, total = {}, 0
    for i, tensors in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        total += write_safetensors(os.path.join(out, file), tensors)
        weight_map.update({name: file for name, _ in tensors})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(peers_shapes.hf_config(shape, max_seq), f, indent=1)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        c = peers_shapes.SHAPES[shape]
        json.dump({"bos_token_id": c["bos_token_id"], "eos_token_id": c["eos_token_id"]}, f)
    for name in ("tokenizer.json", "tokenizer_config.json") if tokenizer_dir else ():
        shutil.copy(os.path.join(tokenizer_dir, name), os.path.join(out, name))
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    took = time.time() - start
    log(f"model: wrote {shape} to {out}: {len(shards)} shard(s), {total / 1024**3:.2f} GiB, "
        f"drawn on {device}, {took:.0f} s")
    return took


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", choices=sorted(peers_shapes.SHAPES), required=True)
    p.add_argument("--max-seq", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tokenizer-dir", default="",
                   help="copies its tokenizer.json, tokenizer_config.json (empty: none)")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    for name in ("tokenizer.json", "tokenizer_config.json") if a.tokenizer_dir else ():
        if not os.path.isfile(os.path.join(a.tokenizer_dir, name)):
            print(f"peers_model: {a.tokenizer_dir}: no {name} (run bench/peers/fetch_wheels.sh)",
                  file=sys.stderr)
            return 2
    write_model(a.out, a.shape, a.seed, a.max_seq, a.tokenizer_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
