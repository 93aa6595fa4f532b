"""Model shapes of the side-by-side benchmark: HF config.json contents and parameter counts."""

# name -> the fields of a Llama config.json that set the shape (the rest is common_config()).
SHAPES = {
    # Llama-2-7B (meta-llama/Llama-2-7b-hf's config.json).
    "llama2-7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=32, vocab_size=32000,
                      max_position_embeddings=4096, rms_norm_eps=1e-5, rope_theta=10000.0,
                      bos_token_id=1, eos_token_id=2),
    # Llama-3-8B (meta-llama/Meta-Llama-3-8B's config.json): 128k vocabulary, 8 key-value heads.
    "llama3-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                      num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                      max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=500000.0,
                      bos_token_id=1, eos_token_id=2),
    # A few MB, for --dry-run on a CPU (Llama 2's vocabulary, so its tokenizer files fit).
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, vocab_size=32000,
                 max_position_embeddings=1024, rms_norm_eps=1e-5, rope_theta=10000.0,
                 bos_token_id=1, eos_token_id=2),
}
# bos/eos are Llama 2's tokenizer's (<s> = 1, </s> = 2) for every shape: the tokenizer files that
# travel are Llama 2's, and the benchmark feeds token ids, never text.


def hf_config(shape, max_seq):
    """config.json of `shape` (a SHAPES key) for sequences up to `max_seq` tokens: the shape's
    max_position_embeddings is raised to max_seq when shorter, so that no program switches on RoPE
    scaling (Unsloth does when max_seq_length exceeds it); the weights do not depend on it."""
    c = dict(SHAPES[shape])
    c["max_position_embeddings"] = max(c["max_position_embeddings"], max_seq)
    c["head_dim"] = c["hidden_size"] // c["num_attention_heads"]
    c.update(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu",
             tie_word_embeddings=False, attention_bias=False, mlp_bias=False,
             initializer_range=0.02, rope_scaling=None, use_cache=False, torch_dtype="bfloat16",
             pad_token_id=None)
    return c


def tensor_shapes(shape):
    """[(HF tensor name, [dims])] of `shape`, in the order the writer draws them."""
    c = SHAPES[shape]
    d, f, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    hd = d // c["num_attention_heads"]
    kv = c["num_key_value_heads"] * hd
    out = [("model.embed_tokens.weight", [v, d])]
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", [d]),
                (p + "self_attn.q_proj.weight", [d, d]),
                (p + "self_attn.k_proj.weight", [kv, d]),
                (p + "self_attn.v_proj.weight", [kv, d]),
                (p + "self_attn.o_proj.weight", [d, d]),
                (p + "post_attention_layernorm.weight", [d]),
                (p + "mlp.gate_proj.weight", [f, d]),
                (p + "mlp.up_proj.weight", [f, d]),
                (p + "mlp.down_proj.weight", [d, f])]
    out += [("model.norm.weight", [d]), ("lm_head.weight", [v, d])]
    return out


def param_count(shape):
    """All parameters of the base model (embeddings and lm_head included)."""
    total = 0
    for _, dims in tensor_shapes(shape):
        n = 1
        for x in dims:
            n *= x
        total += n
    return total
