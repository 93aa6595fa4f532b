#!/usr/bin/env python3
"""Writes tests/assets/gguf/tiny-llama.gguf and its expected float32 values.

A random Llama of the repo's `tiny` preset (vocab 512, hidden 64, 2 layers, 4 heads, 2 kv heads,
ffn 176) stored the way llama.cpp's convert_hf_to_gguf.py stores it: llama.cpp tensor names, q/k
rows permuted for llama.cpp's RoPE layout, tensors in several ggml types (F32 norms, F16, BF16,
Q8_0, Q4_0, Q4_1, Q5_0, Q5_1), alignment 64, and a toy tokenizer in the tokenizer.ggml.* keys.

tiny-llama.expected.safetensors holds, under HF names, what GgufSource::Read must return: gguf-py's
own gguf.quants.dequantize of the stored bytes, with the q/k permutation undone, float32.

Regenerate (CPU, seconds):  pip install gguf numpy safetensors
    python scripts/reference/make_gguf_fixture.py tests/assets/gguf
"""
import pathlib
import sys

import gguf
import numpy as np
from gguf import GGMLQuantizationType as Q
from safetensors.numpy import save_file

VOCAB, HIDDEN, FFN, LAYERS, HEADS, KV_HEADS = 512, 64, 176, 2, 4, 2
HEAD_DIM = HIDDEN // HEADS

# Per-layer storage types; ffn_down rows are 176 long (not a multiple of 32), so unquantized.
LAYER_TYPES = [
    {"attn_q": Q.Q4_0, "attn_k": Q.Q4_1, "attn_v": Q.Q8_0, "attn_output": Q.F16,
     "ffn_gate": Q.BF16, "ffn_up": Q.Q5_0, "ffn_down": Q.F16},
    {"attn_q": Q.F32, "attn_k": Q.BF16, "attn_v": Q.Q4_1, "attn_output": Q.Q5_1,
     "ffn_gate": Q.Q4_0, "ffn_up": Q.Q8_0, "ffn_down": Q.BF16},
]
HF_LAYER = {"attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
            "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
            "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj"}


def permute(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute."""
    rows, cols = w.shape
    return w.reshape(n_head, 2, rows // n_head // 2, cols).swapaxes(1, 2).reshape(rows, cols)


def unpermute(w, n_head):
    rows, cols = w.shape
    return w.reshape(n_head, rows // n_head // 2, 2, cols).swapaxes(1, 2).reshape(rows, cols)


def store(qtype, w):
    """(bytes to write, what dequantization gives) for float32 `w` stored as `qtype`."""
    if qtype == Q.F32:
        data = w.astype(np.float32)
    elif qtype == Q.F16:
        data = w.astype(np.float16)
    else:
        data = gguf.quants.quantize(w.astype(np.float32), qtype)
    back = gguf.quants.dequantize(data, qtype).astype(np.float32).reshape(w.shape)
    return data, back


def main(out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20240611)
    writer = gguf.GGUFWriter(str(out / "tiny-llama.gguf"), "llama")
    writer.add_name("qlsweep tiny llama fixture")
    writer.add_custom_alignment(64)
    writer.add_block_count(LAYERS)
    writer.add_context_length(2048)
    writer.add_embedding_length(HIDDEN)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_rope_freq_base(10000.0)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_vocab_size(VOCAB)
    # One key of every scalar type, and arrays, for the metadata parser's test.
    writer.add_uint8("qlsweep.u8", 200)
    writer.add_int8("qlsweep.i8", -100)
    writer.add_uint16("qlsweep.u16", 60000)
    writer.add_int16("qlsweep.i16", -30000)
    writer.add_uint32("qlsweep.u32", 4000000000)
    writer.add_int32("qlsweep.i32", -2000000000)
    writer.add_float32("qlsweep.f32", 0.25)
    writer.add_bool("qlsweep.bool", True)
    writer.add_string("qlsweep.str", "héllo")
    writer.add_uint64("qlsweep.u64", 2**40 + 3)
    writer.add_int64("qlsweep.i64", -(2**40) - 3)
    writer.add_float64("qlsweep.f64", -1.5e300)
    writer.add_array("qlsweep.floats", [0.5, -2.0, 3.25])
    # Toy tokenizer: 3 specials, 256 byte tokens, then merged pieces.
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += [f"tok{i}" for i in range(VOCAB - len(tokens))]
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_scores([-float(i) for i in range(VOCAB)])
    writer.add_token_types([2, 3, 3] + [6] * 256 + [1] * (VOCAB - 259))
    writer.add_token_merges(["t o", "to k"])
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_chat_template("{% for m in messages %}{{ m['content'] }}{% endfor %}")

    expected = {}

    def add(gguf_name, hf_name, w, qtype, n_head=None):
        stored = permute(w, n_head) if n_head else w
        data, back = store(qtype, stored)
        writer.add_tensor(gguf_name, data, raw_dtype=qtype if data.dtype == np.uint8 else None)
        expected[hf_name] = np.ascontiguousarray(unpermute(back, n_head) if n_head else back)
        if qtype in (Q.F32,):
            assert np.array_equal(expected[hf_name], w)

    def weight(rows, cols):
        return (rng.standard_normal((rows, cols)) * 0.05).astype(np.float32)

    add("token_embd.weight", "model.embed_tokens.weight", weight(VOCAB, HIDDEN), Q.Q8_0)
    for i, types in enumerate(LAYER_TYPES):
        shapes = {"attn_q": (HIDDEN, HIDDEN), "attn_k": (KV_HEADS * HEAD_DIM, HIDDEN),
                  "attn_v": (KV_HEADS * HEAD_DIM, HIDDEN), "attn_output": (HIDDEN, HIDDEN),
                  "ffn_gate": (FFN, HIDDEN), "ffn_up": (FFN, HIDDEN), "ffn_down": (HIDDEN, FFN)}
        for key, qtype in types.items():
            n_head = HEADS if key == "attn_q" else KV_HEADS if key == "attn_k" else None
            add(f"blk.{i}.{key}.weight", f"model.layers.{i}.{HF_LAYER[key]}.weight",
                weight(*shapes[key]), qtype, n_head)
        for key, hf in (("attn_norm", "input_layernorm"), ("ffn_norm", "post_attention_layernorm")):
            norm = (1.0 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32)
            add(f"blk.{i}.{key}.weight", f"model.layers.{i}.{hf}.weight", norm, Q.F32)
    add("output_norm.weight", "model.norm.weight",
        (1.0 + 0.1 * rng.standard_normal(HIDDEN)).astype(np.float32), Q.F32)
    add("output.weight", "lm_head.weight", weight(VOCAB, HIDDEN), Q.Q4_1)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    save_file(expected, str(out / "tiny-llama.expected.safetensors"))
    print(f"wrote {len(expected)} tensors to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/assets/gguf")
