#!/usr/bin/env python3
"""bench/peers on a CPU: argument parsing, token files, the memory sampler's bookkeeping, job rows
from real child processes (done, crash, timeout), qlsweep's events, the table, wheel trimming and
the safetensors writer (when torch is importable). The GPU parts run on the GPU machine only."""
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import textwrap
import unittest
import zipfile
from types import SimpleNamespace

PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers")
sys.path.insert(0, PEERS)

import peers  # noqa: E402
import peers_jobs  # noqa: E402
import peers_memory  # noqa: E402
import peers_shapes  # noqa: E402
import peers_table  # noqa: E402
import peers_tokens  # noqa: E402
import trim_wheel  # noqa: E402


def quiet_parse(argv, env=None):
    """peers.parse_args with argparse's messages captured; returns (args or None, stderr)."""
    err = io.StringIO()
    old, sys.stderr = sys.stderr, err
    try:
        return peers.parse_args(argv, env or {}), err.getvalue()
    except SystemExit as e:
        assert e.code == 2, e.code
        return None, err.getvalue()
    finally:
        sys.stderr = old


class ArgsTest(unittest.TestCase):
    def test_defaults_are_the_gpu_run(self):
        a, _ = quiet_parse([], {"OUT": "/o", "QLSWEEP_BIN": "/b/qlsweep"})
        self.assertEqual(a.shape, "llama2-7b")
        self.assertEqual(a.seqs, [512, 1024, 2048, 4096, 8192])
        self.assertEqual(a.programs, ["qlsweep", "unsloth", "hf-lean", "hf-recipe"])
        self.assertEqual((a.warmup, a.timed, a.budget_s, a.peak_tflops), (2, 8, 480, 790))
        self.assertEqual((a.out, a.qlsweep_bin), ("/o/peers", "/b/qlsweep"))

    def test_dry_run_defaults(self):
        a, _ = quiet_parse(["--dry-run"])
        self.assertEqual((a.shape, a.seqs, a.peak_tflops), ("tiny", [64, 128], 0))

    def test_lists_are_checked_and_sorted(self):
        a, _ = quiet_parse(["--seqs", "4096,512", "--programs", "unsloth,qlsweep",
                            "--shape", "llama3-8b"])
        self.assertEqual((a.seqs, a.programs, a.shape), ([512, 4096], ["unsloth", "qlsweep"],
                                                          "llama3-8b"))
        for argv, words in [(["--programs", "qlsweep,axolotl"], "'axolotl' is not one of"),
                            (["--programs", "qlsweep,qlsweep"], "names something twice"),
                            (["--seqs", "512,abc"], "expected integers"),
                            (["--seqs", "4"], "outside [8, 131072]"),
                            (["--timed", "0"], "--timed >= 1"),
                            (["--qlsweep-set", "lora.r"], "expected KEY=VALUE"),
                            (["--shape", "llama2-70b"], "invalid choice")]:
            a, err = quiet_parse(argv)
            self.assertIsNone(a, argv)
            self.assertIn(words, err, argv)

    def test_jobs_one_qlsweep_process_per_length_one_peer_process_unless_fresh(self):
        a, _ = quiet_parse(["--seqs", "512,2048", "--qlsweep-set", "lora.r=8"], {"OUT": "/o"})
        jobs = peers.jobs_of(a, "/m", "/t")
        self.assertEqual([(j[0], j[1]) for j in jobs],
                         [("qlsweep", [512]), ("qlsweep", [2048]), ("unsloth", [512, 2048]),
                          ("hf-lean", [512, 2048]), ("hf-recipe", [512, 2048])])
        argv = jobs[1][2]
        self.assertEqual(argv[1], "train")
        for over in ["model.weights=/m", "data.path=/t/tokens-2048.jsonl", "data.seq_len=2048",
                     "train.steps=10", "lora.r=8"]:
            self.assertIn(over, argv)
        self.assertNotIn("hardware.device=cpu", argv)
        a.fresh_peers = True
        self.assertEqual(len(peers.jobs_of(a, "/m", "/t")), 8)


class ShapesAndTokensTest(unittest.TestCase):
    def test_parameter_counts_are_the_published_models(self):
        self.assertEqual(peers_shapes.param_count("llama2-7b"), 6_738_415_616)
        self.assertEqual(peers_shapes.param_count("llama3-8b"), 8_030_261_248)

    def test_config_raises_max_positions_only(self):
        c = peers_shapes.hf_config("llama2-7b", 8192)
        self.assertEqual((c["max_position_embeddings"], c["head_dim"]), (8192, 128))
        self.assertEqual(peers_shapes.hf_config("llama2-7b", 512)["max_position_embeddings"], 4096)

    def test_token_rows_are_one_row_per_document(self):
        with tempfile.TemporaryDirectory() as d:
            path = peers_tokens.write_tokens(d, 16, 100, seed=0)
            rows = peers_tokens.read_rows(path, eos_id=2)
            self.assertEqual(len(rows), peers_tokens.DOCUMENTS)
            self.assertTrue(all(len(r) == 16 and r[-1] == 2 for r in rows))
            self.assertTrue(all(3 <= t < 100 for r in rows for t in r[:-1]))
            with open(path) as f:
                first = f.read()
            os.remove(path)
            peers_tokens.write_tokens(d, 16, 100, seed=0)
            with open(path) as f:
                self.assertEqual(f.read(), first)  # the same seed writes the same file


class FakeReader:
    def __init__(self, values):
        self.values = list(values)

    def read(self, pid):
        return self.values.pop(0)


class MemoryTest(unittest.TestCase):
    def test_load_and_segment_peaks_with_the_source_of_the_larger(self):
        s = peers_memory.Sampler(FakeReader([(5, "a"), (9, "b"), (4, "a"), (3, "a"), (7, "a"),
                                             (6, "a"), (2, "a"), (12, "c")]), pid=1)
        s.sample()
        s.sample()  # load: 5, 9
        s.mark(512)  # 4 closes the load, 3 opens 512
        s.sample()  # 7
        s.mark(1024)  # 6 closes 512, 2 opens 1024
        s.sample()  # 12
        self.assertEqual(s.peak_of(512), (7, 9, "b"))
        self.assertEqual(s.peak_of(1024), (12, 9, "c"))
        self.assertEqual(s.peak_of(4096), (0, 9, "b"))

    def test_nvml_fallbacks(self):
        p = lambda pid, used: SimpleNamespace(pid=pid, usedGpuMemory=used)  # noqa: E731
        self.assertEqual(peers_memory.pick([p(7, 100), p(8, 50)], 8, 999), (50, "nvml-process"))
        self.assertEqual(peers_memory.pick([p(7, 100), p(9, 5)], 8, 999),
                         (105, "nvml-all-processes"))
        self.assertEqual(peers_memory.pick([p(8, None)], 8, 999), (999, "nvml-device-delta"))
        self.assertEqual(peers_memory.pick([], 8, -3), (0, "nvml-device-delta"))

    def test_the_visible_gpu_is_the_one_read(self):
        # A lane of scripts/device_lanes.sh sees GPU 1 only: NVML must read GPU 1 (reading GPU 0
        # summed the other lane's processes, 2026-11-30).
        self.assertEqual(peers_memory.visible_gpu({"CUDA_VISIBLE_DEVICES": "1"}), ("index", 1))
        self.assertEqual(peers_memory.visible_gpu({"CUDA_VISIBLE_DEVICES": "3,2"}), ("index", 3))
        self.assertEqual(peers_memory.visible_gpu({"CUDA_VISIBLE_DEVICES": "GPU-8a1b,1"}),
                         ("uuid", "GPU-8a1b"))
        self.assertEqual(peers_memory.visible_gpu({}), ("index", 0))
        self.assertEqual(peers_memory.visible_gpu({"CUDA_VISIBLE_DEVICES": ""}), ("index", 0))


class NvmlReaderTest(unittest.TestCase):
    def test_reads_through_pynvml(self):
        """nvidia-ml-py's names (pynvml.py 13.615): a fake module stands in for the driver."""
        used = [1000]
        procs = []
        fake = SimpleNamespace(
            nvmlInit=lambda: None, nvmlDeviceGetHandleByIndex=lambda i: "gpu0",
            nvmlDeviceGetMemoryInfo=lambda h: SimpleNamespace(used=used[0], total=8 * 2**30),
            nvmlDeviceGetName=lambda h: b"NVIDIA H200", nvmlSystemGetDriverVersion=lambda: "580.1",
            nvmlDeviceGetComputeRunningProcesses=lambda h: procs)
        sys.modules["pynvml"] = fake
        try:
            reader = peers_memory.open_reader()
        finally:
            del sys.modules["pynvml"]
        self.assertIsInstance(reader, peers_memory.NvmlReader)
        self.assertEqual(reader.describe(), "NVIDIA H200, 8192 MiB, driver 580.1")
        used[0] = 1500  # nothing listed yet: the device's use less the baseline
        self.assertEqual(reader.read(42), (500, "nvml-device-delta"))
        procs.append(SimpleNamespace(pid=42, usedGpuMemory=700))
        self.assertEqual(reader.read(42), (700, "nvml-process"))


def script(text):
    """argv running `text` as a Python program."""
    return [sys.executable, "-c", textwrap.dedent(text)]


class JobsTest(unittest.TestCase):
    def run_job(self, program, seqs, argv, timeout=30, stall=None):
        with tempfile.TemporaryDirectory() as d:
            return peers_jobs.run_job(program, seqs, argv, dict(os.environ), timeout,
                                      peers_memory.ProcReader(), os.path.join(d, "err"), 1, 2,
                                      log=lambda *_: None, stall_s=stall)[0]

    def test_worker_lines_become_rows_and_missing_lengths_say_why(self):
        rows = self.run_job("hf-lean", [512, 1024, 2048], script("""
            import json, sys
            def emit(**k): print(json.dumps(k), flush=True)
            print("a banner line that is not JSON")
            emit(event="info", transformers="5.17.0")
            emit(event="seq_start", seq=512)
            emit(event="result", seq=512, status="done", step_s=[9.0, 1.0, 1.0], loss=[1, 2, 3])
            emit(event="seq_start", seq=1024)
            emit(event="result", seq=1024, status="oom", reason="OutOfMemoryError: 2 GiB")
            print("Traceback: it broke", file=sys.stderr)
            sys.exit(1)
            """))
        done, oom, lost = rows
        self.assertEqual((done["status"], done["tok_s"]), ("done", 512.0))  # 2 x 512 / 2 s
        self.assertEqual(done["extra"]["transformers"], "5.17.0")
        self.assertGreater(done["peak_bytes"], 0)
        self.assertEqual(done["mem_source"], "host-rss")
        self.assertEqual((oom["status"], oom["reason"]), ("oom", "OutOfMemoryError: 2 GiB"))
        self.assertEqual(lost["status"], "failed")
        self.assertEqual(lost["reason"], "exit 1: Traceback: it broke")

    def test_qlsweep_events(self):
        events = [{"event": "started", "load_s": 1.5},
                  {"event": "step", "step_time_s": 5.0, "loss": 3.0},
                  {"event": "step", "step_time_s": 0.5, "loss": 2.0},
                  {"event": "step", "step_time_s": 0.5, "loss": 1.0},
                  {"event": "done", "tokens_per_s": 1000.0, "device_peak_bytes": 123}]
        lines = "".join(json.dumps(e) + "\n" for e in events)
        rows = self.run_job("qlsweep", [256], script(f"print({lines!r}, end='')"))
        self.assertEqual(rows[0]["status"], "done")
        self.assertEqual(rows[0]["tok_s"], 512.0)  # 2 x 256 / 1 s, the warm-up step left out
        self.assertEqual(rows[0]["extra"]["device_peak_bytes"], 123)
        self.assertEqual(rows[0]["extra"]["load_s"], 1.5)
        oom = [{"event": "oom", "phase": "backward", "message": "CUDA out of memory"}]
        lines = "".join(json.dumps(e) + "\n" for e in oom)
        rows = self.run_job("qlsweep", [256], script(f"print({lines!r}, end=''); exit(3)"))
        self.assertEqual((rows[0]["status"], rows[0]["reason"]),
                         ("oom", "oom in backward: CUDA out of memory"))
        rows = self.run_job("qlsweep", [256], script("import os; os.kill(os.getpid(), 9)"))
        self.assertEqual(rows[0]["status"], "failed")
        self.assertTrue(rows[0]["reason"].startswith("killed by signal 9"), rows[0]["reason"])

    def test_timeout_kills_the_process(self):
        rows = self.run_job("unsloth", [512], script("import time; time.sleep(60)"), timeout=1)
        self.assertEqual((rows[0]["status"], rows[0]["reason"]), ("timeout", "timeout after 1 s"))

    def test_a_silent_process_is_stopped_as_stalled(self):
        rows = self.run_job("unsloth", [512, 1024], script("""
            import json, sys, time
            print(json.dumps({"event": "seq_start", "seq": 512}), flush=True)
            print(json.dumps({"event": "result", "seq": 512, "status": "done",
                              "step_s": [1, 1, 1]}), flush=True)
            print("compiling", file=sys.stderr, flush=True)
            time.sleep(60)
            """), timeout=30, stall=1.5)
        self.assertEqual(rows[0]["status"], "done")
        self.assertEqual((rows[1]["status"], rows[1]["reason"]),
                         ("timeout", "stalled: no event for 2 s: compiling"))

    def test_a_program_that_cannot_start(self):
        rows = self.run_job("qlsweep", [512], ["/nonexistent/qlsweep", "train"])
        self.assertEqual(rows[0]["status"], "failed")
        self.assertIn("cannot start /nonexistent/qlsweep", rows[0]["reason"])

    def test_too_few_timed_steps_is_a_failure(self):
        self.assertIsNone(peers_jobs.tokens_per_s(512, [1.0, 1.0], warmup=2, timed=8))
        self.assertEqual(peers_jobs.tokens_per_s(100, [9, 1, 1, 2], warmup=1, timed=3), 75.0)


def row(program, seq, status="done", tok_s=None, gib=None, reason=""):
    r = peers_jobs.new_row(program, seq, status, reason)
    r["tok_s"], r["peak_bytes"] = tok_s, gib * 2**30 if gib else None
    return r


class TableTest(unittest.TestCase):
    def test_table(self):
        rows = [row("qlsweep", 512, tok_s=2775.4, gib=5.37), row("unsloth", 512, tok_s=1231, gib=5.22),
                row("qlsweep", 2048, "oom", reason="oom in backward: 20 MiB"),
                row("unsloth", 2048, tok_s=4749, gib=5.56)]
        text = peers_table.render(rows, ["qlsweep", "unsloth", "hf-lean"], [512, 2048],
                                  ["Header."], params=6_738_415_616, peak_tflops=790)
        lines = text.splitlines()
        self.assertEqual(lines[0], "Header.")
        self.assertEqual(lines[2], "| seq | qlsweep tok/s | Unsloth tok/s | HF lean tok/s | "
                         "qlsweep / Unsloth tok/s | qlsweep MFU | qlsweep GiB | Unsloth GiB | "
                         "HF lean GiB | qlsweep / Unsloth GiB |")
        self.assertEqual(lines[4], "| 512 | 2,775 | 1,231 | - | 2.25x | 14% | 5.37 | 5.22 | - | 1.03x |")
        self.assertEqual(lines[5], "| 2048 | oom | 4,749 | - | - | - | oom | 5.56 | - | - |")
        self.assertEqual(lines[-1], "- qlsweep, seq 2048: oom: oom in backward: 20 MiB")
        for line in lines[2:6]:
            self.assertEqual(line.count("|"), 11, line)

    def test_no_ratio_or_mfu_columns_without_their_programs(self):
        text = peers_table.render([row("hf-lean", 512, tok_s=700, gib=5.5)], ["hf-lean"], [512], [],
                                  params=1, peak_tflops=0)
        self.assertIn("| seq | HF lean tok/s | HF lean GiB |", text)
        self.assertIn("| 512 | 700 | 5.50 |", text)


class WheelTest(unittest.TestCase):
    def test_trim_drops_members_and_their_record_lines(self):
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "a.whl"), os.path.join(d, "b.whl")
            with zipfile.ZipFile(src, "w") as z:
                z.writestr("pkg/__init__.py", "x = 1\n")
                z.writestr("studio/big.js", "y" * 1000)
                z.writestr("pkg-1.0.dist-info/RECORD",
                           "pkg/__init__.py,sha256=a,6\nstudio/big.js,sha256=b,1000\n")
            self.assertEqual(trim_wheel.trim(src, dst, ["studio/"]), (2, 1))
            with zipfile.ZipFile(dst) as z:
                self.assertEqual(z.namelist(), ["pkg/__init__.py", "pkg-1.0.dist-info/RECORD"])
                self.assertEqual(z.read("pkg-1.0.dist-info/RECORD").decode(),
                                 "pkg/__init__.py,sha256=a,6\n")


class SafetensorsTest(unittest.TestCase):
    def test_writer_layout(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch is not importable by this Python (QLSWEEP_PYTHON has it)")
        import peers_model
        a = torch.arange(6, dtype=torch.float32).reshape(2, 3).to(torch.bfloat16)
        b = torch.tensor([1.5], dtype=torch.bfloat16)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "m.safetensors")
            self.assertEqual(peers_model.write_safetensors(path, [("a", a), ("b", b)]), 14)
            with open(path, "rb") as f:
                data = f.read()
        n = struct.unpack("<Q", data[:8])[0]
        self.assertEqual((8 + n) % 8, 0)
        header = json.loads(data[8:8 + n])
        self.assertEqual(header["a"], {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]})
        self.assertEqual(header["b"], {"dtype": "BF16", "shape": [1], "data_offsets": [12, 14]})
        self.assertEqual(header["__metadata__"], {"format": "pt"})
        body = data[8 + n:]
        back = torch.frombuffer(bytearray(body[:12]), dtype=torch.bfloat16).reshape(2, 3)
        self.assertTrue(torch.equal(back, a))
        self.assertEqual(len(body), 14)


class RevisionTest(unittest.TestCase):
    def git(self, repo, *args):
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
                   GIT_COMMITTER_EMAIL="t@t")
        return subprocess.run(["git", "-C", repo, *args], env=env, check=True, text=True,
                              capture_output=True).stdout.strip()

    def test_the_content_tree_names_the_commit_whatever_the_index_says(self):
        with tempfile.TemporaryDirectory() as repo:
            self.git(repo, "init", "-q")
            with open(os.path.join(repo, ".gitignore"), "w") as f:
                f.write("build/\n")
            with open(os.path.join(repo, "a.txt"), "w") as f:
                f.write("one\n")
            self.git(repo, "add", "-A")
            self.git(repo, "commit", "-qm", "one")
            first = self.git(repo, "rev-parse", "HEAD^{tree}")
            os.makedirs(os.path.join(repo, "build"))
            with open(os.path.join(repo, "build", "out.bin"), "w") as f:
                f.write("ignored\n")
            self.assertEqual(peers.content_tree(repo), first)  # ignored files do not count
            # The files move on while .git stays behind (the device copy): a new tree, which is
            # the tree of the commit those files make, and the repository's index is untouched.
            with open(os.path.join(repo, "a.txt"), "w") as f:
                f.write("two\n")
            with open(os.path.join(repo, "b.txt"), "w") as f:
                f.write("new\n")
            moved = peers.content_tree(repo)
            self.assertNotEqual(moved, first)
            self.assertEqual(self.git(repo, "diff", "--cached", "--name-only"), "")
            self.git(repo, "add", "-A")
            self.git(repo, "commit", "-qm", "two")
            self.assertEqual(self.git(repo, "rev-parse", "HEAD^{tree}"), moved)

    def test_no_repository_gives_none(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(peers.content_tree(d))


if __name__ == "__main__":
    unittest.main()
