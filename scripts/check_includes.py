#!/usr/bin/env python3
"""Module arrows, checked: fails when a file includes a project header from a module its library
does not link, or when a trainer folder includes one from a folder above it.

  scripts/check_includes.py                    every module (what ctest runs: check_includes)
  scripts/check_includes.py --module storage   only the files of these modules (repeatable)
  scripts/check_includes.py --table            the arrows as a markdown table (docs/architecture.md)
  scripts/check_includes.py --root DIR         check another tree (the checker's own test)

Three checks, one report (path:line: what is wrong); exit status 1 when any finds something:
  1. includes: every `#include "dir/..."` of a .h/.cpp/.cu/.cuh file under a module folder must
     name a header of its own module or of a module it may use (MODULES, closed transitively:
     analysis may use storage, so also protocol, which storage uses);
  2. trainer layering: inside trainer/, a folder may include only the folders TRAINER_LAYERS lists
     for it (no back arrows: model/ must not include train/);
  3. links: a module's CMake target (target_link_libraries in any CMakeLists.txt) may link only
     the libraries of modules it may use, so the build cannot drift from the table either;
  4. protocol literals: in the libraries (LITERAL_MODULES), no string literal spells a trial
     status, an event kind or a result key: those come from protocol/ (a line that means
     another thing by the same word says so with a `// literal-ok: why` comment, on it or on
     the line above).
Python 3 standard library only.
"""
import argparse
import os
import re
import sys
from dataclasses import dataclass, field

# The modules: the files each holds (folder prefixes; exact files win over folders, the longest
# folder over a shorter one), its CMake library, and the modules it may use directly. Keep in
# step with DESIGN.md's arrows and the target_link_libraries of each CMakeLists.txt.
@dataclass
class Module:
    name: str
    folders: list
    library: str = ""  # CMake target whose links are checked (check 3); "" for none
    uses: list = field(default_factory=list)
    files: list = field(default_factory=list)  # exact files that belong here, not to their folder
    note: str = ""


MODULES = [
    Module("protocol", ["protocol/"], "qlsweep_protocol", [],
           note="header-only; depends on nothing"),
    Module("sweeps", ["sweeps/"], "qlsweep_sweeps", ["protocol"]),
    Module("storage", ["storage/"], "qlsweep_storage", ["protocol"],
           note="no sweeps: the run index stores configs and params as text it is given"),
    Module("analysis", ["analysis/"], "qlsweep_analysis", ["storage", "sweeps", "protocol"]),
    Module("tokenizer", ["trainer/tokenizer/"], "qlsweep_tokenizer", [],
           note="torch-free, built with or without the trainer"),
    Module("dist", ["trainer/dist/"], "qlsweep_dist", ["protocol"],
           note="torch-free communicators"),
    Module("trainer", ["trainer/"], "qlsweep_trainer", ["sweeps", "protocol", "tokenizer", "dist"],
           note="the only libtorch user; folders layered, see below"),
    Module("runner", ["runner/"], "qlsweep_runner",
           ["sweeps", "storage", "analysis", "protocol", "dist"],
           note="dist: MpiSession and MPI for the farm (docs/farm.md); never the trainer"),
    Module("runner exe", [], "qlsweep", ["runner", "trainer"],
           files=["runner/main.cpp", "runner/train_command.cpp"],
           note="the qlsweep executable: the only runner files that may use the trainer"),
    Module("bench", ["bench/"], "", ["trainer"], note="benchmarks link the trainer"),
    Module("tests/support", ["tests/support/"], "qlsweep_test_support", ["protocol"],
           note="shared test helpers, torch-free"),
    Module("tests/support/trainer", ["tests/support/trainer/"], "qlsweep_test_support_trainer",
           ["tests/support", "trainer"], note="fakes of trainer interfaces (header-only)"),
    Module("tests/protocol", ["tests/protocol/"], "", ["protocol", "tests/support"]),
    Module("tests/sweeps", ["tests/sweeps/"], "", ["sweeps", "tests/support"]),
    Module("tests/storage", ["tests/storage/"], "", ["storage", "tests/support"]),
    Module("tests/analysis", ["tests/analysis/"], "", ["analysis", "analysis fixture",
                                                      "tests/support"]),
    Module("analysis fixture", [], "qlsweep_analysis_fixture", ["storage", "protocol"],
           files=["tests/analysis/sweep_fixture.h", "tests/analysis/sweep_fixture.cpp"],
           note="recorded sweeps for the analysis and e2e tests"),
    Module("tests/runner", ["tests/runner/"], "", ["runner", "tests/support"]),
    Module("tests/e2e", ["tests/e2e/"], "qlsweep_e2e_support",
           ["storage", "protocol", "analysis fixture", "tests/support"],
           note="drive the qlsweep binary; read its records"),
    Module("tests/tokenizer", ["tests/trainer/tokenizer/"], "", ["tokenizer", "tests/support"]),
    Module("tests/trainer", ["tests/trainer/"], "", ["trainer", "tests/support/trainer"]),
]

# Inside the trainer: the folders each folder may include besides itself (tokenizer and dist
# are separate libraries, listed here too so that only the folders named use them). "*" = any.
# "" is trainer/ itself (pch.h). A folder not listed is an error: add it here first.
TRAINER_LAYERS = {
    "quant": [],
    "io": ["quant", "tokenizer", "peft"],  # GGUF fills GgufVocab; PEFT files hold LoRA layers
    "peft": ["quant"],
    "model": ["peft", "quant", "io"],
    "optim": ["quant"],  # 8-bit states use quant's dynamic map and float conversions
    "data": ["tokenizer", "io"],  # a tokenizer can come from a GGUF file (io/weight_source.h)
    "memory": [],
    "tokenizer": [],
    "dist": [],
    "parallel": ["dist", "optim", "quant", "peft", "model", "memory"],  # sharded trials (torch)
    "train": ["*"],
    "": ["*"],
}

# Check 4 covers the libraries that speak the protocol (not sweeps: trial config keys such as
# train.steps are its own vocabulary); protocol/ spells the names, tests pin them on purpose.
LITERAL_MODULES = ["storage", "analysis", "runner", "runner exe", "trainer", "dist"]
LITERAL_OK = "literal-ok:"

SOURCE_EXTENSIONS = (".h", ".hpp", ".cpp", ".cc", ".cu", ".cuh")
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
BY_NAME = {m.name: m for m in MODULES}


def closure(name):
    """The modules `name` may use: itself, its uses, theirs, ..."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(BY_NAME[current].uses)
    return seen


def find_cycle(graph):
    """A cycle of `graph` (name -> names) as a list, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph.get(node, []):
            if nxt == "*":
                continue
            if state.get(nxt) == "open":
                return path + [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [node])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in graph:
        if node not in state:
            found = visit(node, [])
            if found:
                return found
    return None


def module_of(path):
    """The module of a repository-relative path, or None when it belongs to none."""
    for m in MODULES:
        if path in m.files:
            return m.name
    best, best_len = None, -1
    for m in MODULES:
        for folder in m.folders:
            if path.startswith(folder) and len(folder) > best_len:
                best, best_len = m.name, len(folder)
    return best


def trainer_folder(path):
    """The trainer folder of a path under trainer/ ("" for trainer/ itself)."""
    rest = path[len("trainer/"):]
    return rest.split("/", 1)[0] if "/" in rest else ""


def source_files(root, modules):
    """Repository-relative paths of the source files of `modules` (all when empty)."""
    out = []
    for top in sorted({f.split("/", 1)[0] for m in MODULES for f in m.folders + m.files}):
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != "assets")
            for name in sorted(filenames):
                if not name.endswith(SOURCE_EXTENSIONS):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")
                owner = module_of(rel)
                if owner is not None and (not modules or owner in modules):
                    out.append((rel, owner))
    return out


def check_includes(root, modules):
    problems, count = [], 0
    for rel, owner in source_files(root, modules):
        allowed = closure(owner)
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for number, line in enumerate(lines, 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            used = module_of(target)
            if used is None:
                continue  # not a project header (system and third-party headers)
            count += 1
            where = f"{rel}:{number}: includes \"{target}\""
            if used not in allowed:
                problems.append(f"{where}: module '{owner}' may not use '{used}' (it may use: "
                                f"{', '.join(sorted(allowed - {owner})) or 'nothing'})")
                continue
            if owner == "trainer" and used in ("trainer", "tokenizer", "dist"):
                src, dst = trainer_folder(rel), trainer_folder(target)
                if src not in TRAINER_LAYERS:
                    problems.append(f"{rel}:{number}: trainer folder '{src}/' has no layer "
                                    "(add it to TRAINER_LAYERS in scripts/check_includes.py)")
                    continue
                ok = TRAINER_LAYERS[src]
                if dst != src and "*" not in ok and dst not in ok:
                    problems.append(f"{where}: trainer/{src}/ may not include trainer/{dst}/ "
                                    f"(TRAINER_LAYERS: trainer/{src}/ may include "
                                    f"{', '.join(ok) or 'no other trainer folder'})")
    return problems, count


def check_links(root, modules):
    """Check 3: each module library links only libraries of modules it may use."""
    library_module = {m.library: m.name for m in MODULES if m.library}
    problems = []
    call = re.compile(r"target_link_libraries\s*\(([^)]*)\)", re.S)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and not d.startswith("build"))
        if "CMakeLists.txt" not in filenames:
            continue
        path = os.path.join(dirpath, "CMakeLists.txt")
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        text = open(path, encoding="utf-8").read()
        for match in call.finditer(text):
            words = re.sub(r"#[^\n]*", "", match.group(1)).split()
            if not words or words[0] not in library_module:
                continue
            owner = library_module[words[0]]
            if modules and owner not in modules:
                continue
            allowed = closure(owner)
            line = text.count("\n", 0, match.start()) + 1
            for word in words[1:]:
                used = library_module.get(word)
                if used is not None and used not in allowed:
                    problems.append(f"{rel}:{line}: {words[0]} links {word}: module '{owner}' "
                                    f"may not use '{used}'")
    return problems


def protocol_words(root):
    """The texts of statuses, event kinds and result keys, as protocol/ spells them."""
    def read(name):
        path = os.path.join(root, "protocol", name)
        return open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    words = set(re.findall(r'return "([a-z_]+)";', read("trial_status.h"))) - {"unknown"}
    events = re.search(r"namespace event \{(.*?)\}", read("events.h"), re.S)
    if events:
        words |= set(re.findall(r'k(?!Key\b)\w+ = "([^"]+)"', events.group(1)))
    words |= set(re.findall(r'k\w+ = "([^"]+)"', read("result_keys.h")))
    return words


def string_literals(line):
    """The string literals of a line of C++, outside // comments (raw strings not handled)."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == "/" and line.startswith("//", i):
            break
        if c == "'":  # a character literal: skip it ('"' must not open a string)
            end = line.find("'", i + 1 + (line[i + 1:i + 2] == "\\"))
            i = n if end < 0 else end + 1
            continue
        if c == '"':
            j, text = i + 1, []
            while j < n and line[j] != '"':
                if line[j] == "\\" and j + 1 < n:
                    text.append(line[j:j + 2])
                    j += 2
                    continue
                text.append(line[j])
                j += 1
            out.append("".join(text))
            i = j + 1
            continue
        i += 1
    return out


def check_literals(root, modules):
    """Check 4: no literal status, event kind or result key in the libraries."""
    words = protocol_words(root)
    problems = []
    if not words:
        return problems
    scope = {m for m in LITERAL_MODULES if not modules or m in modules}
    if not scope:
        return problems
    for rel, owner in source_files(root, scope):
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
        for number, line in enumerate(lines, 1):
            above = lines[number - 2] if number > 1 else ""
            if INCLUDE.match(line) or LITERAL_OK in line or LITERAL_OK in above:
                continue
            for text in string_literals(line):
                if text in words:
                    problems.append(f"{rel}:{number}: the literal \"{text}\" spells a protocol "
                                    "name: use the constant from protocol/ (or say why not with "
                                    f"// {LITERAL_OK} ...)")
    return problems


def table():
    rows = ["| module | files | may use (directly; transitively what those use) | note |",
            "|---|---|---|---|"]
    for m in MODULES:
        where = ", ".join(f"`{p}`" for p in m.files + m.folders)
        rows.append(f"| {m.name} | {where} | {', '.join(m.uses) or '-'} | {m.note} |")
    rows += ["", "| trainer folder | may include (besides itself) |", "|---|---|"]
    for folder, uses in TRAINER_LAYERS.items():
        label = f"`trainer/{folder}/`" if folder else "`trainer/` (top level)"
        rows.append(f"| {label} | {'any' if '*' in uses else ', '.join(uses) or '-'} |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="repository root (default: this script's repository)")
    parser.add_argument("--module", action="append", default=[], metavar="NAME",
                        help="check only the files (and link lines) of this module; repeatable")
    parser.add_argument("--table", action="store_true", help="print the arrows as markdown")
    args = parser.parse_args()
    for problem in (find_cycle({m.name: m.uses for m in MODULES}),
                    find_cycle(TRAINER_LAYERS)):
        if problem:
            print("check_includes: the rules have a cycle: " + " -> ".join(problem))
            return 2
    if args.table:
        print(table())
        return 0
    unknown = [m for m in args.module if m not in BY_NAME]
    if unknown:
        print(f"check_includes: unknown module(s) {', '.join(unknown)}; known: "
              f"{', '.join(BY_NAME)}")
        return 2
    root = os.path.abspath(args.root)
    problems, count = check_includes(root, set(args.module))
    problems += check_links(root, set(args.module))
    problems += check_literals(root, set(args.module))
    for p in problems:
        print(p)
    scope = ", ".join(args.module) if args.module else "all modules"
    print(f"check_includes: {count} project includes checked ({scope}); "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
