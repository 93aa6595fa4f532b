#!/usr/bin/env python3
"""Writes the SentencePiece (tokenizer.model) fixtures and parity references to tests/assets/tokenizer/.

The C++ reader (trainer/tokenizer/sentencepiece_model.cpp, libsentencepiece) must give the same
ids and decoded text as Python `sentencepiece` on the texts of dump_tokenizer_reference.py (44
fixed ones with non-ASCII text, digits, whitespace runs, the empty string and emoji, plus 150
random ones). It writes:

- mini_sp_bpe.model, mini_sp_unigram.model: two small models trained here (BPE and unigram, 800
  pieces, byte_fallback, Llama 2's normalizer: identity, dummy prefix, whitespace kept), and their
  references mini_sp_bpe_reference.json, mini_sp_unigram_reference.json;
- llama2_sp/tokenizer.model: a ModelProto rebuilt from ../shared/data/tokenizers/llama2/
  tokenizer.json (pieces, scores in merge order, types, byte_fallback, add_dummy_prefix). It is
  written only when Python sentencepiece on it gives HF tokenizers' ids on every text; the C++
  test compares it with llama2_reference.json, the reference of the tokenizer.json path.

CPU only, any development machine; deterministic (a second run writes the same bytes):

    python3 -m venv /tmp/spref && /tmp/spref/bin/pip install sentencepiece==0.2.3 protobuf tokenizers==0.23.3
    /tmp/spref/bin/python scripts/reference/dump_sentencepiece_reference.py
"""
import io
import json
import os
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2
from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dump_tokenizer_reference as base  # noqa: E402  (the shared test texts)

OUT = base.OUT
SPACE = "\u2581"  # '▁'
MAX_LLAMA2_MODEL_BYTES = 600 * 1024


def test_texts():
    return base.FIXED_TEXTS + base.random_texts(150, 3)


def training_lines():
    """The fortunes fixture, the test corpus and GPT-2's vocabulary as words (../shared/data)."""
    with open(os.path.join(base.ROOT, "tests", "assets", "data", "fortunes-literature.txt"),
              encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip() and line != "%"]
    lines += base.corpus()
    with open(os.path.join(base.SHARED, "gpt2", "encoder.json"), encoding="utf-8") as f:
        words = [w.replace("\u0120", " ").strip() for w in json.load(f)]
    words = [w for w in words if w.isascii() and w.isalpha()][:6000]
    lines += [" ".join(words[i:i + 12]) for i in range(0, len(words), 12)]
    return lines


def train(model_type):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(training_lines()), model_writer=model, model_type=model_type,
        vocab_size=800, byte_fallback=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, add_dummy_prefix=True, split_digits=True,
        allow_whitespace_only_pieces=True, character_coverage=0.9995, num_threads=1,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1, minloglevel=2)
    return model.getvalue()


def dump(name, sp, source, texts):
    cases = []
    for text in texts:
        ids = sp.encode(text)
        decoded = sp.decode(ids)
        cases.append({"text": text, "ids": ids, "ids_with_special": [sp.bos_id()] + ids,
                      "decoded": decoded, "decoded_skip_special": decoded})
    path = os.path.join(OUT, f"{name}_reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": f"scripts/reference/dump_sentencepiece_reference.py "
                                f"(sentencepiece {spm.__version__})",
                   "tokenizer": source, "vocab_size": sp.get_piece_size(), "cases": cases},
                  f, ensure_ascii=False, indent=0)
    print(f"wrote {path}: {len(cases)} cases")


def write_trained(name, model_type):
    data = train(model_type)
    path = os.path.join(OUT, f"{name}.model")
    with open(path, "wb") as f:
        f.write(data)
    print(f"wrote {path}: {len(data)} bytes")
    dump(name, spm.SentencePieceProcessor(model_proto=data), f"tests/assets/tokenizer/{name}.model",
         test_texts())


def llama2_model_proto(tokenizer_json):
    """A ModelProto with the pieces of an HF Llama-2-style tokenizer.json.

    Scores follow the merges: a piece made by merge r scores -r (its first merge), so that
    SentencePiece's BPE (highest score first) merges in HF's rank order. Pieces no merge makes
    (single characters) score below all of them; <unk>, control and byte pieces score 0.
    """
    with open(tokenizer_json, encoding="utf-8") as f:
        hf = json.load(f)
    model = hf["model"]
    vocab = model["vocab"]
    pieces = [None] * len(vocab)
    for piece, i in vocab.items():
        pieces[i] = piece
    scores = {}
    for rank, merge in enumerate(model["merges"]):
        left, right = merge.split(" ") if isinstance(merge, str) else merge
        scores.setdefault(left + right, -float(rank))
    added = {t["id"]: t["content"] for t in hf["added_tokens"]}
    unk = vocab[model["unk_token"]]
    proto = model_pb2.ModelProto()
    Type = model_pb2.ModelProto.SentencePiece.Type
    for i, piece in enumerate(pieces):
        p = proto.pieces.add()
        p.piece = piece
        if i == unk:
            p.type, p.score = Type.UNKNOWN, 0.0
        elif i in added:
            p.type, p.score = Type.CONTROL, 0.0
        elif len(piece) == 6 and piece.startswith("<0x") and piece.endswith(">"):
            p.type, p.score = Type.BYTE, 0.0
        else:
            p.type = Type.NORMAL
            p.score = scores.get(piece, -float(len(model["merges"]) + i))
    ts = proto.trainer_spec
    ts.model_type = model_pb2.TrainerSpec.BPE
    ts.vocab_size = len(pieces)
    ts.byte_fallback = bool(model["byte_fallback"])
    ts.unk_id, ts.bos_id, ts.eos_id, ts.pad_id = unk, vocab["<s>"], vocab["</s>"], -1
    ts.unk_piece, ts.bos_piece, ts.eos_piece = "<unk>", "<s>", "</s>"
    ns = proto.normalizer_spec
    ns.name = "identity"
    ns.add_dummy_prefix = True
    ns.remove_extra_whitespaces = False
    ns.escape_whitespaces = True
    return proto.SerializeToString()


def write_llama2():
    source = os.path.join(base.SHARED, "llama2", "tokenizer.json")
    data = llama2_model_proto(source)
    sp = spm.SentencePieceProcessor(model_proto=data)
    hf = Tokenizer.from_file(source)
    texts = test_texts()
    mismatches = [t for t in texts if sp.encode(t) != hf.encode(t, add_special_tokens=False).ids]
    decode_mismatches = [t for t in texts if sp.decode(sp.encode(t)) != hf.decode(hf.encode(t).ids,
                                                                                skip_special_tokens=True)]
    print(f"llama2 tokenizer.model from tokenizer.json: {len(data)} bytes, "
          f"{len(texts) - len(mismatches)}/{len(texts)} texts with HF's ids, "
          f"{len(texts) - len(decode_mismatches)}/{len(texts)} with HF's decoded text")
    for t in mismatches[:5]:
        print(f"  differs: {t!r}: sentencepiece {sp.encode(t, out_type=str)} "
              f"HF {hf.encode(t, add_special_tokens=False).tokens}")
    if mismatches or decode_mismatches or len(data) > MAX_LLAMA2_MODEL_BYTES:
        print("  not written")
        return
    d = os.path.join(OUT, "llama2_sp")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "tokenizer.model"), "wb") as f:
        f.write(data)
    print(f"wrote {os.path.join(d, 'tokenizer.model')}")


def main():
    os.makedirs(OUT, exist_ok=True)
    write_trained("mini_sp_bpe", "bpe")
    write_trained("mini_sp_unigram", "unigram")
    write_llama2()


if __name__ == "__main__":
    main()
