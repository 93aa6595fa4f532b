"""The benchmark's token batches: one file per sequence length, read by qlsweep (data.source
tokens) and by the Python peers alike.

Each line is one document of seq - 1 random ids in [3, vocab) (0-2 are <unk>, <s>, </s>); qlsweep
appends EOS to a document, so each document packs into exactly one row of `seq` tokens, and the
peers read a row as the line's ids + [EOS]. qlsweep draws its train rows in its own seeded order
and holds out about eval_fraction of the documents for its evaluations; the peers take the rows in
file order. Token values do not change the work of a dense transformer step.
"""
import json
import os
import random

DOCUMENTS = 40  # qlsweep holds out about a quarter (eval_fraction 0.25): ~30 rows for 10 steps
FIRST_ID = 3


def path_for(folder, seq):
    return os.path.join(folder, f"tokens-{seq}.jsonl")


def write_tokens(folder, seq, vocab, seed):
    """Writes the token file of `seq` (kept if present: it depends only on seq, vocab and seed,
    which its name and folder fix) and returns its path."""
    path = path_for(folder, seq)
    if os.path.exists(path):
        return path
    os.makedirs(folder, exist_ok=True)
    rng = random.Random(seed * 1_000_003 + seq)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        for _ in range(DOCUMENTS):
            f.write(json.dumps([rng.randrange(FIRST_ID, vocab) for _ in range(seq - 1)]) + "\n")
    os.replace(tmp, path)
    return path


def read_rows(path, eos_id):
    """The rows the peers train on: each line's ids + [eos_id], in file order."""
    with open(path) as f:
        return [json.loads(line) + [eos_id] for line in f if line.strip()]
