#!/usr/bin/env python3
"""Writes tests/assets/gguf/kquants.gguf and kquants.expected.safetensors (docs/gguf.md).

Three 2-D tensors, "q4_k" [4, 512], "q5_k" [4, 512] and "q6_k" [4, 512] (ggml dims 512 x 4), stored
as the k-quant of their name from random super-blocks: random bytes for the packed values and
scales, with d and dmin set to finite float16 values of weight-like size. gguf-py cannot quantize
to k-quants, but its gguf.quants.dequantize decodes them; its float32 values are the expected ones.

Regenerate (CPU, seconds):  pip install gguf numpy safetensors
    python scripts/reference/make_kquant_fixture.py tests/assets/gguf
"""
import importlib.metadata
import pathlib
import sys

import gguf
import numpy as np
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save_file

ROWS, COLS = 4, 512  # two super-blocks of 256 per row
BLOCK_BYTES = {Q.Q4_K: 144, Q.Q5_K: 176, Q.Q6_K: 210}
HALF_AT = {Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208]}  # byte offsets of d (and dmin)


def random_blocks(qtype, rng):
    blocks = ROWS * COLS // 256
    raw = rng.integers(0, 256, size=(blocks, BLOCK_BYTES[qtype]), dtype=np.uint8)
    for at in HALF_AT[qtype]:
        half = (rng.uniform(1e-4, 2e-3, size=blocks)).astype(np.float16)
        raw[:, at:at + 2] = half.view(np.uint8).reshape(blocks, 2)
    return raw.reshape(ROWS, -1)


def main(out_dir):
    out = pathlib.Path(out_dir)
    rng = np.random.default_rng(20261126)
    writer = gguf.GGUFWriter(str(out / "kquants.gguf"), "llama")
    expected = {}
    for qtype in (Q.Q4_K, Q.Q5_K, Q.Q6_K):
        name = qtype.name.lower()
        data = random_blocks(qtype, rng)
        writer.add_tensor(name, data, raw_dtype=qtype)
        values = gguf.quants.dequantize(data, qtype).astype(np.float32)
        assert values.shape == (ROWS, COLS) and np.isfinite(values).all()
        expected[name] = np.ascontiguousarray(values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    save_file(expected, str(out / "kquants.expected.safetensors"))
    print(f"wrote {out / 'kquants.gguf'} and kquants.expected.safetensors (gguf {importlib.metadata.version('gguf')})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/assets/gguf")
