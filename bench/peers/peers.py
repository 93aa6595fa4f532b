#!/usr/bin/env python3
"""The side-by-side benchmark (bench/peers/README.md): writes one random HF Llama folder, runs
qlsweep, Unsloth and HF transformers + PEFT + bitsandbytes (lean and its documented recipe) on it
one process at a time with the same settings and token batches, samples each process's GPU memory
through NVML, and prints a markdown table (also written with raw JSON lines under --out).

    bench/peers/run.sh [options]          on the GPU machine, through scripts/device
    bench/peers/peers.py --dry-run        on a CPU: tiny shape, qlsweep only (peers say skipped)
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import peers_jobs
import peers_memory
import peers_shapes
import peers_table
import peers_tokens

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = ("qlsweep", "unsloth", "hf-lean", "hf-recipe")
PEER_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
            "UNSLOTH_DISABLE_STATISTICS": "1", "PYTHONUNBUFFERED": "1",
            "TOKENIZERS_PARALLELISM": "false"}
MIN_JOB_S = 45  # a job is not started with less time left than this
TOKENIZER_DIRS = [os.path.join(REPO, ".peers", "tokenizer"),
                  os.path.join(REPO, "..", "shared", "data", "tokenizers", "llama2")]
H200_TFLOPS = 790  # dense bf16 measured on an H200 (docs/speed-projection.md)


def csv_list(text, allowed=None, kind=str):
    items = [kind(x) for x in text.split(",") if x.strip()]
    if not items:
        raise argparse.ArgumentTypeError("empty list")
    if allowed is not None:
        for x in items:
            if x not in allowed:
                raise argparse.ArgumentTypeError(f"{x!r} is not one of {', '.join(allowed)}")
    if len(set(items)) != len(items):
        raise argparse.ArgumentTypeError(f"{text!r} names something twice")
    return items


def seq_list(text):
    try:
        seqs = csv_list(text, kind=int)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers separated by commas, got {text!r}")
    for s in seqs:
        if not 8 <= s <= 131072:
            raise argparse.ArgumentTypeError(f"sequence length {s} outside [8, 131072]")
    return sorted(seqs)


def program_list(text):
    return csv_list(text, allowed=PROGRAMS)


def key_value(text):
    if "=" not in text or text.startswith("="):
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return text


def parse_args(argv, env=os.environ):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seqs", type=seq_list, help="sequence lengths (default 512,1024,2048,4096,8192;"
                   " 64,128 with --dry-run)")
    p.add_argument("--shape", choices=sorted(peers_shapes.SHAPES),
                   help="model shape (default llama2-7b; tiny with --dry-run)")
    p.add_argument("--programs", type=program_list, default=list(PROGRAMS),
                   help=f"comma-separated, run in this order (default {','.join(PROGRAMS)})")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (default 2)")
    p.add_argument("--timed", type=int, default=8, help="timed steps after them (default 8)")
    p.add_argument("--fresh-peers", action="store_true",
                   help="one process per peer and length (default: one per peer, model loaded once)")
    p.add_argument("--timeout-s", type=float, default=0,
                   help="per process (default: qlsweep 240 s; a peer 240 s + 45 s per length)")
    p.add_argument("--stall-s", type=float, default=180,
                   help="stop a process that printed no event for this long (default 180)")
    p.add_argument("--budget-s", type=float, default=480,
                   help="the whole benchmark; later processes are skipped or cut (default 480)")
    p.add_argument("--work", default="/tmp/qlsweep-peers", help="model folder, tokens, logs")
    p.add_argument("--out", help="table.md, results.jsonl, logs.txt (default $OUT/peers)")
    p.add_argument("--qlsweep-bin", default=env.get("QLSWEEP_BIN",
                                                    os.path.join(REPO, "build/runner/qlsweep")))
    p.add_argument("--qlsweep-set", type=key_value, action="append", default=[],
                   metavar="KEY=VALUE", help="extra qlsweep trial override (repeatable)")
    p.add_argument("--tokenizer-dir", help="tokenizer.json + tokenizer_config.json for the model "
                   "folder (default .peers/tokenizer, else ../shared/data/tokenizers/llama2)")
    p.add_argument("--python", default=sys.executable, help="for the model writer and the peers")
    p.add_argument("--seed", type=int, default=0, help="weights and tokens")
    p.add_argument("--peak-tflops", type=float, help=f"for qlsweep's MFU (default {H200_TFLOPS}; "
                   "0 leaves the column out)")
    p.add_argument("--dry-run", action="store_true",
                   help="CPU check of the pipeline: tiny shape, qlsweep on the CPU, peers skipped")
    a = p.parse_args(argv)
    if a.warmup < 0 or a.timed < 1:
        p.error("--warmup must be >= 0 and --timed >= 1")
    if a.shape is None:
        a.shape = "tiny" if a.dry_run else "llama2-7b"
    if a.seqs is None:
        a.seqs = [64, 128] if a.dry_run else [512, 1024, 2048, 4096, 8192]
    if a.peak_tflops is None:
        a.peak_tflops = 0 if a.dry_run else H200_TFLOPS
    if a.tokenizer_dir is None:
        found = [d for d in TOKENIZER_DIRS if os.path.isfile(os.path.join(d, "tokenizer.json"))]
        a.tokenizer_dir = found[0] if found else ""
    if a.out is None:
        a.out = os.path.join(env.get("OUT", os.path.join(a.work, "out")), "peers")
    a.work, a.out = os.path.abspath(a.work), os.path.abspath(a.out)  # jobs run in a.work
    if os.sep in a.qlsweep_bin:
        a.qlsweep_bin = os.path.abspath(a.qlsweep_bin)
    return a


def qlsweep_argv(a, model_dir, tokens, seq):
    trial = os.path.join(HERE, "qlsweep-trial.yaml")
    steps = a.warmup + a.timed
    over = [f"model.weights={model_dir}", f"data.path={tokens}", f"data.seq_len={seq}",
            f"train.steps={steps}", f"train.warmup_steps={min(2, steps)}"]  # lr warm-up <= steps
    if a.dry_run:
        over += ["hardware.device=cpu", "hardware.dtype=fp32"]
    return [a.qlsweep_bin, "train", trial] + over + a.qlsweep_set


def worker_argv(a, program, model_dir, tokens_dir, seqs):
    return [a.python, os.path.join(HERE, "peers_worker.py"), "--program", program, "--model",
            model_dir, "--tokens-dir", tokens_dir, "--seqs", ",".join(map(str, seqs)),
            "--warmup", str(a.warmup), "--timed", str(a.timed)]


def jobs_of(a, model_dir, tokens_dir):
    """[(program, seqs, argv, default timeout)] in the order they run."""
    jobs = []
    for program in a.programs:
        if program == "qlsweep":
            for seq in a.seqs:
                tokens = peers_tokens.path_for(tokens_dir, seq)
                jobs.append((program, [seq], qlsweep_argv(a, model_dir, tokens, seq), 240.0))
        else:
            groups = [[s] for s in a.seqs] if a.fresh_peers else [a.seqs]
            for seqs in groups:
                jobs.append((program, seqs, worker_argv(a, program, model_dir, tokens_dir, seqs),
                             240.0 + 45.0 * len(seqs)))
    return jobs


def content_tree(repo=None):
    """The git tree id of the working tree's content (tracked and untracked, not ignored), through a
    throwaway index: equal to `git rev-parse HEAD^{tree}` of a clean checkout, so it names the
    commit even where the .git beside the files is older than they are (the device tool's copy).
    None where git cannot tell."""
    repo = repo or REPO
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, GIT_INDEX_FILE=os.path.join(d, "index"))
        try:
            subprocess.run(["git", "-C", repo, "add", "-A"], env=env, capture_output=True,
                           timeout=120, check=True)
            tree = subprocess.run(["git", "-C", repo, "write-tree"], env=env, text=True,
                                  capture_output=True, timeout=60, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return None
    return tree or None


def revision():
    if os.environ.get("QLSWEEP_REVISION"):
        return os.environ["QLSWEEP_REVISION"]
    try:
        # --dirty: a tree that is not its HEAD says so (the device tool's copy of a working tree
        # can carry an older .git: the content's tree id beside it names the commit, see
        # bench/peers/README.md).
        described = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                   text=True, capture_output=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        described = ""
    tree = content_tree()
    if tree:
        return f"{described or 'unknown'} (content tree {tree[:12]})"
    return described or "unknown"


def header(a, reader, rows, model_s):
    versions = {}
    for r in rows:
        for k in ("unsloth", "transformers", "peft", "bitsandbytes", "torch"):
            if k in r["extra"]:
                versions[k] = r["extra"][k]
    sources = sorted({r["mem_source"] for r in rows if r["mem_source"]})
    params = peers_shapes.param_count(a.shape)
    dry = ["DRY RUN on the CPU: qlsweep in fp32, memory = resident set; the numbers say nothing "
           "about speed."] if a.dry_run else []
    return dry + [
        f"Side-by-side QLoRA, {a.shape} shape ({params / 1e9:.2f}B parameters, random weights, "
        f"seed {a.seed}), {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"qlsweep {revision()}.",
        f"Device: {reader.describe()}. Model folder ready in {model_s:.0f} s.",
        "Peers: " + (", ".join(f"{k} {v}" for k, v in sorted(versions.items())) or "none ran") + ".",
        "Every program: NF4 + double quant, LoRA r=16 alpha 32 on q,k,v,o,gate,up,down, "
        f"micro-batch 1, gradient checkpointing, bf16, paged 8-bit AdamW; {a.warmup} warm-up + "
        f"{a.timed} timed steps on the same token rows; tok/s over the timed steps.",
        "GiB: peak memory of the process through one yardstick (" + (", ".join(sources) or "-") +
        "; on a GPU the CUDA context is included), loading included"
        + ("; peers load once and run every length in one process." if not a.fresh_peers
           else "; one process per program and length.")
        + (f" MFU: 6 x parameters x tok/s over {a.peak_tflops:g} TFLOP/s." if a.peak_tflops else ""),
    ]


class Report:
    """results.jsonl, table.md and logs.txt under --out, rewritten after every job."""

    def __init__(self, a, reader):
        self.a, self.reader, self.rows, self.model_s = a, reader, [], 0.0
        os.makedirs(a.out, exist_ok=True)
        self.logs = open(os.path.join(a.out, "logs.txt"), "w")
        open(os.path.join(a.out, "results.jsonl"), "w").close()

    def log(self, text):
        line = f"[peers {time.strftime('%H:%M:%S')}] {text}"
        print(line, flush=True)
        self.logs.write(line + "\n")
        self.logs.flush()

    def attach(self, title, path, n=40):
        self.logs.write(f"--- {title}: last {n} lines of {path}\n")
        self.logs.write("\n".join(peers_jobs.tail_lines(path, n)) + "\n")
        self.logs.flush()

    def add(self, rows):
        self.rows += rows
        with open(os.path.join(self.a.out, "results.jsonl"), "a") as f:
            for r in rows:
                f.write(json.dumps(dict(r, shape=self.a.shape)) + "\n")
        self.write_table()

    def table(self):
        return peers_table.render(self.rows, self.a.programs, self.a.seqs,
                                  header(self.a, self.reader, self.rows, self.model_s),
                                  peers_shapes.param_count(self.a.shape), self.a.peak_tflops)

    def write_table(self):
        with open(os.path.join(self.a.out, "table.md"), "w") as f:
            f.write(self.table())


def summary(row):
    if row["status"] != "done":
        return f"{row['status']}: {row['reason']}"
    gib = f"{row['peak_bytes'] / 2**30:.2f} GiB" if row["peak_bytes"] else "no memory reading"
    return f"{row['tok_s']:,.0f} tok/s, {gib}"


def prepare(a, rep, deadline):
    """Writes the model folder and token files; returns an error text or ''."""
    model_dir = os.path.join(a.work, f"model-{a.shape}")
    if not a.tokenizer_dir:
        rep.log("no tokenizer files (run bench/peers/fetch_wheels.sh): the folder gets none, "
                "and Unsloth, which loads them, will fail")
    argv = [a.python, os.path.join(HERE, "peers_model.py"), "--shape", a.shape, "--max-seq",
            str(max(a.seqs)), "--seed", str(a.seed), "--tokenizer-dir", a.tokenizer_dir,
            "--out", model_dir]
    log_path = os.path.join(a.work, "model.log")
    t0 = time.time()
    try:
        with open(log_path, "w") as log:
            rc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                                timeout=max(deadline - time.time(), 1)).returncode
    except subprocess.TimeoutExpired:
        rc = "timeout"
    rep.model_s = time.time() - t0
    rep.attach("model writer", log_path, 10)
    if rc != 0:
        return f"model folder not written (exit {rc}): " + " ".join(peers_jobs.tail_lines(log_path, 1))
    rep.log(" ".join(peers_jobs.tail_lines(log_path, 1)))
    vocab = peers_shapes.SHAPES[a.shape]["vocab_size"]
    for seq in a.seqs:
        peers_tokens.write_tokens(os.path.join(a.work, "tokens"), seq, min(vocab, 32000), a.seed)
    return ""


def main(argv):
    a = parse_args(argv)
    start = time.time()
    deadline = start + a.budget_s
    os.makedirs(a.work, exist_ok=True)
    reader = peers_memory.open_reader()
    rep = Report(a, reader)
    rep.log(f"{a.shape}, seqs {a.seqs}, programs {a.programs}, budget {a.budget_s:.0f} s; "
            f"memory: {reader.describe()}")
    model_dir = os.path.join(a.work, f"model-{a.shape}")
    tokens_dir = os.path.join(a.work, "tokens")
    problem = prepare(a, rep, deadline)
    if not problem and "qlsweep" in a.programs and not os.access(a.qlsweep_bin, os.X_OK):
        rep.add([peers_jobs.new_row("qlsweep", s, peers_jobs.FAILED,
                                    f"no qlsweep binary at {a.qlsweep_bin}") for s in a.seqs])
        a_jobs = [j for j in jobs_of(a, model_dir, tokens_dir) if j[0] != "qlsweep"]
    else:
        a_jobs = jobs_of(a, model_dir, tokens_dir)
    env = dict(os.environ, **PEER_ENV)
    for i, (program, seqs, argv_, timeout) in enumerate(a_jobs):
        left = deadline - time.time()
        if problem or left < MIN_JOB_S:
            why = problem or f"time budget: {left:.0f} s left of --budget-s {a.budget_s:.0f}"
            rep.add([peers_jobs.new_row(program, s, peers_jobs.SKIPPED, why) for s in seqs])
            continue
        limit = min(a.timeout_s or timeout, left)
        rep.log(f"{program} seq {','.join(map(str, seqs))}: starting (limit {limit:.0f} s)")
        err = os.path.join(a.work, f"job-{i:02d}-{program}.err")
        rows, wall = peers_jobs.run_job(program, seqs, argv_, env, limit, reader, err, a.warmup,
                                        a.timed, log=rep.log, cwd=a.work, stall_s=a.stall_s)
        rep.attach(f"{program} seq {','.join(map(str, seqs))} ({wall:.0f} s)", err)
        for r in rows:
            rep.log(f"{program} seq {r['seq']}: {summary(r)} ({wall:.0f} s)")
        rep.add(rows)
    text = rep.table()
    rep.write_table()
    rep.log(f"finished in {time.time() - start:.0f} s; {a.out}/table.md")
    print("\n" + text, flush=True)
    return dry_run_status(rep.rows) if a.dry_run else 0


def dry_run_status(rows):
    """A dry run passes when qlsweep trained at every length and every peer either ran or said
    it needs a GPU."""
    bad = [r for r in rows if (r["status"] != "done" if r["program"] == "qlsweep"
                               else r["status"] not in ("done", "skipped"))]
    for r in bad:
        print(f"dry run: {r['program']} seq {r['seq']}: {r['status']}: {r['reason']}",
              file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
