#!/usr/bin/env python3
"""Writes the tokenizer parity references to tests/assets/tokenizer/ with HF `tokenizers`.

The C++ tokenizers (trainer/tokenizer/) must give the same ids, decoded text and pre-tokenizer
splits. The real vocabularies come from ../shared/data/tokenizers (beside the repository); two
small byte-level tokenizers (mini_smollm: Digits + ByteLevel like SmolLM2, mini_llama3: the
Llama 3 Split regex + ignore_merges) are trained here on a fixed corpus and committed as fixtures.
CPU only, any development machine:

    pip install tokenizers==0.23.3
    python3 scripts/reference/dump_tokenizer_reference.py
"""
import json
import os
import random

import tokenizers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "tokenizers"))
OUT = os.path.join(ROOT, "tests", "assets", "tokenizer")

GPT2_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
LLAMA3_REGEX = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
                r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""")

FIXED_TEXTS = [
    "",
    "Hello world",
    "Hello, world! How are you today?",
    " leading space",
    "trailing space ",
    "   three leading spaces and three trailing   ",
    "multiple     spaces    between",
    "tabs\tand\t\ttabs",
    "new\nlines\n\nand\r\nCRLF\r\n",
    "\n\n\nstarts with newlines",
    "ends with newlines\n\n",
    " \n \t mixed whitespace \t\n ",
    "I'm sure they'll say we've done what you'd do, and it's Tom's.",
    "SHOUTING CONTRACTIONS: I'M, YOU'LL, WE'VE, IT'S, DON'T",
    "digits 0 1 12 123 1234 12345 1234567890 3.14159 -42 1,000,000",
    "2024-05-17T12:34:56Z and 192.168.0.1",
    "Accents: café, naïve, résumé, Ångström, Zürich, São Paulo, façade",
    "Ünïcödé with combining: e\u0301 a\u0308 n\u0303",
    "Deutsch: Straße, Größe; Français: œuvre; Español: ¿Qué tal? ¡Olé!",
    "Русский текст: Привет, мир! Ёлка.",
    "Ελληνικά: Καλημέρα κόσμε",
    "中文：你好，世界！这是一个测试。",
    "日本語のテキスト：こんにちは、世界。カタカナ",
    "한국어: 안녕하세요 세계",
    "العربية: مرحبا بالعالم",
    "हिन्दी: नमस्ते दुनिया",
    "Emoji: 😀 😃 👍🏽 👩‍👩‍👧‍👦 🇫🇷 ❤️ 🤖!!",
    "Symbols: © ® ™ € £ ¥ § ¶ † ‡ • … ‰ ′ ″ ← → ↑ ↓ ∞ ≠ ≤ ≥ ± × ÷",
    "Numbers in scripts: ٣٤٥ ४५६ ½ ¾ Ⅻ ²³",
    "Odd spaces:\u00a0nbsp,\u2009thin,\u3000ideographic,\u200bzero-width",
    "code: def f(x):\n    return x**2  # square\n\tprint(f'{x=}')",
    "<html><body class=\"main\">&amp; &lt;tag&gt;</body></html>",
    "https://example.com/path?query=1&other=two#frag",
    "email@example.org, @handle, #hashtag, $100, 50%, a+b=c, x^2, a|b, ~/dir",
    "'quoted' \"double\" `back` ’curly’ “curly”",
    "'s 's 'S 'll 'LL 're 've 'm 'd 't",
    "a" * 50 + " " + "b" * 33,
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "    ",
    "\t",
    "\n",
    " ",
    "x",
    "The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX!",
]

SPECIAL_TEXTS = {
    "gpt2": ["Hello<|endoftext|>world", "<|endoftext|>", " a <|endoftext|> b <|endoftext|>"],
    "llama2": ["Hello <s> world</s>", "<s>", "<unk> x", "a</s>b"],
    "mini_smollm": ["<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n",
                    "text<|endoftext|>more", "<|im_end|><|im_start|>"],
    "mini_llama3": ["<|begin_of_text|>Hello<|end_of_text|>", "a<|eot_id|> b"],
}

ALPHABET = ["a", "b", "Z", "é", "ß", "ж", "中", "文", "日本", "한", "ا", "😀", "👍🏽", "1", "2", "٣",
            "½", "Ⅷ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000",
            "\u2009", "\u0085", "\x0b", "\x0c", "'", "'s", "'S", "'ll", "'re", "'T", "'M", ".",
            ",", "!", "?", "-", "$", "(", ")", "\"", "’", "\u0301", "\u200b", "ǅ", "ʰ",
            "hello", "World", "don't", "I'M", "1234567", "ing", "the", " the", "\x00"]


def random_texts(n, seed):
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 24))) for _ in range(n)]


def corpus():
    lines = FIXED_TEXTS + random_texts(300, 7)
    lines += ["the cat sat on the mat and the dog ate the bone; it's what they'll do."] * 20
    return lines


def gpt2():
    d = os.path.join(SHARED, "gpt2")
    tok = Tokenizer(models.BPE.from_file(os.path.join(d, "encoder.json"), os.path.join(d, "vocab.bpe")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken("<|endoftext|>", special=True, normalized=False)])
    return tok


def llama2():
    return Tokenizer.from_file(os.path.join(SHARED, "llama2", "tokenizer.json"))


def train_mini(name, pre_tokenizer, specials, post=None, ignore_merges=False, chat_template=None):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=700, special_tokens=specials, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus(), trainer)
    if post is not None:
        tok.post_processor = post
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    tok.save(os.path.join(d, "tokenizer.json"), pretty=False)
    config = {"bos_token": specials[0], "eos_token": specials[1]}
    if chat_template:
        config["chat_template"] = chat_template
    with open(os.path.join(d, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1, ensure_ascii=False)
    return Tokenizer.from_file(os.path.join(d, "tokenizer.json"))


CHATML_TEMPLATE = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
                   "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
                   "{{ '<|im_start|>assistant\\n' }}{% endif %}")


def dump(name, tok, source, texts):
    cases = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({
            "text": text,
            "ids": ids,
            "ids_with_special": tok.encode(text, add_special_tokens=True).ids,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    path = os.path.join(OUT, f"{name}_reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"generator": f"scripts/reference/dump_tokenizer_reference.py (tokenizers {tokenizers.__version__})",
                   "tokenizer": source, "vocab_size": tok.get_vocab_size(with_added_tokens=True),
                   "cases": cases}, f, ensure_ascii=False, indent=0)
    print(f"wrote {path}: {len(cases)} cases")


def dump_splits():
    splitters = {
        "gpt2": pre_tokenizers.Split(Regex(GPT2_REGEX), behavior="isolated"),
        "llama3": pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated"),
        "smollm": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                           pre_tokenizers.Split(Regex(GPT2_REGEX), behavior="isolated")]),
    }
    texts = FIXED_TEXTS + random_texts(600, 11)
    out = {"generator": f"scripts/reference/dump_tokenizer_reference.py (tokenizers {tokenizers.__version__})",
           "regex": {"gpt2": GPT2_REGEX, "llama3": LLAMA3_REGEX}, "cases": []}
    for text in texts:
        case = {"text": text}
        for name, s in splitters.items():
            case[name] = [piece for piece, _ in s.pre_tokenize_str(text)]
        out["cases"].append(case)
    path = os.path.join(OUT, "pretokenize_reference.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
    print(f"wrote {path}: {len(texts)} texts")


def main():
    os.makedirs(OUT, exist_ok=True)
    texts = FIXED_TEXTS + random_texts(150, 3)
    dump("gpt2", gpt2(), "../shared/data/tokenizers/gpt2/encoder.json + vocab.bpe", texts + SPECIAL_TEXTS["gpt2"])
    dump("llama2", llama2(), "../shared/data/tokenizers/llama2/tokenizer.json", texts + SPECIAL_TEXTS["llama2"])
    smollm = train_mini(
        "mini_smollm",
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
        ["<|endoftext|>", "<|im_end|>", "<|im_start|>"], chat_template=CHATML_TEMPLATE)
    dump("mini_smollm", smollm, "tests/assets/tokenizer/mini_smollm/tokenizer.json",
         texts + SPECIAL_TEXTS["mini_smollm"])
    llama3 = train_mini(
        "mini_llama3",
        pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), behavior="isolated"),
                                 pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
        ["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"],
        post=processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                           special_tokens=[("<|begin_of_text|>", 0)]),
        ignore_merges=True)
    dump("mini_llama3", llama3, "tests/assets/tokenizer/mini_llama3/tokenizer.json",
         texts + SPECIAL_TEXTS["mini_llama3"])
    dump_splits()


if __name__ == "__main__":
    main()
