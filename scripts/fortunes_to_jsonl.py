#!/usr/bin/env python3
"""Turns a fortune-file folder (Debian `fortunes`: one file per topic, quotes separated by lines
holding only "%") into JSON lines {"text": QUOTE}, topics in name order, skipping the ASCII-art and
offensive collections. Used by scripts/setup; see docs/data.md.
    fortunes_to_jsonl.py /usr/share/games/fortunes OUT.jsonl
"""
import json
import pathlib
import sys

SKIP = {"art", "ascii-art", "translate-me"}  # drawings and untranslated text, not prose


def main(folder, out):
    quotes = 0
    with open(out, "w", encoding="utf-8") as dst:
        for path in sorted(pathlib.Path(folder).iterdir()):
            if path.suffix or path.is_symlink() or not path.is_file() or path.name in SKIP:
                continue
            text = path.read_bytes().decode("utf-8", errors="replace")
            for quote in text.split("\n%\n"):
                quote = quote.strip("\n")
                if quote.strip() and quote.strip() != "%":
                    dst.write(json.dumps({"text": quote}, ensure_ascii=False) + "\n")
                    quotes += 1
    print(f"{out}: {quotes} quotes", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
