#!/usr/bin/env python3
"""Dumps bitsandbytes' 4-bit quantization of fixed inputs to tests/assets/parity/bnb_4bit.safetensors.

The C++ quantizer (trainer/quant/four_bit.h) must reproduce these bytes exactly. bitsandbytes'
quantize_4bit runs on the CPU, so this works on any development machine:

    python3 -m venv /tmp/bnb && /tmp/bnb/bin/pip install torch==2.11.0 bitsandbytes==0.50.2 safetensors
    /tmp/bnb/bin/python scripts/reference/dump_bnb_4bit.py
"""
import os

import bitsandbytes
import bitsandbytes.functional as F
import torch
from safetensors.torch import save_file


def inputs():
    g = torch.Generator().manual_seed(1234)
    normal = torch.randn(16, 256, generator=g)
    normal[3, 17] = 40.0  # outliers dominate their block's absmax
    normal[9, 200] = -55.0
    zeros = torch.randn(4, 192, generator=g)
    zeros[1] = 0.0  # whole blocks of zeros (absmax 0)
    zeros[2, :64] = 0.0
    ragged = torch.randn(1000, generator=g) * 3  # 1000 = 15 blocks of 64 + 40: a short last block
    return {"normal": normal, "zeros": zeros, "ragged": ragged}


def main():
    out = {}
    for name, x in inputs().items():
        out[f"{name}.input"] = x.contiguous()
        for qt in ("nf4", "fp4"):
            packed, state = F.quantize_4bit(x, blocksize=64, quant_type=qt, compress_statistics=False)
            out[f"{name}.{qt}.packed"] = packed.reshape(-1).contiguous()
            out[f"{name}.{qt}.absmax"] = state.absmax.contiguous()
            out[f"{name}.{qt}.dequant"] = F.dequantize_4bit(packed, state).reshape(-1).contiguous()
        packed, state = F.quantize_4bit(x, blocksize=64, quant_type="nf4", compress_statistics=True)
        out[f"{name}.nf4dq.packed"] = packed.reshape(-1).contiguous()
        out[f"{name}.nf4dq.absmax_codes"] = state.absmax.contiguous()
        out[f"{name}.nf4dq.absmax2"] = state.state2.absmax.contiguous()
        out[f"{name}.nf4dq.code2"] = state.state2.code.contiguous()
        out[f"{name}.nf4dq.offset"] = state.offset.reshape(1).float().contiguous()
        out[f"{name}.nf4dq.dequant"] = F.dequantize_4bit(packed, state).reshape(-1).contiguous()
    path = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "assets", "parity", "bnb_4bit.safetensors")
    save_file(out, path, metadata={"bitsandbytes": bitsandbytes.__version__, "torch": torch.__version__})
    print(f"wrote {len(out)} tensors to {os.path.normpath(path)} (bitsandbytes {bitsandbytes.__version__})")


if __name__ == "__main__":
    main()
