"""Runs one benchmark process (a job: one program, one or more sequence lengths) under the memory
sampler and a timeout, and turns what it printed into result rows, one per sequence length.

A job that fails, runs out of memory, times out or dies gives rows that say so: never an
exception. Two kinds of stdout are understood: qlsweep's trial events (docs/events.md) and
peers_worker.py's lines ({"event": "seq_start"|"result"|"info", ...}).
"""
import json
import os
import queue
import signal
import subprocess
import threading
import time

import peers_memory

QLSWEEP = "qlsweep"
DONE, OOM, FAILED, TIMEOUT, SKIPPED = "done", "oom", "failed", "timeout", "skipped"
QLSWEEP_OOM_EXIT = 3  # protocol/exit_codes.h


def tokens_per_s(seq, step_s, warmup, timed):
    """Tokens per second over the timed steps (those after `warmup`); None if too few ran."""
    steps = step_s[warmup:warmup + timed]
    if len(steps) < timed or timed == 0 or sum(steps) <= 0:
        return None
    return seq * len(steps) / sum(steps)


def new_row(program, seq, status, reason=""):
    return {"program": program, "seq": seq, "status": status, "reason": reason, "tok_s": None,
            "step_s": [], "loss": [], "peak_bytes": None, "mem_source": "",
            "load_peak_bytes": None, "segment_peak_bytes": None, "extra": {}}


class QlsweepParser:
    """qlsweep's trial events of one trial (one sequence length)."""

    def __init__(self, seq):
        self.seq = seq
        self.row = new_row(QLSWEEP, seq, FAILED, "no done event")
        self.row["extra"]["events"] = 0

    def feed(self, ev, sampler):
        kind = ev.get("event")
        r = self.row
        r["extra"]["events"] += 1
        if kind == "started":
            r["extra"].update(load_s=ev.get("load_s"), params=ev.get("params"),
                              trainable_params=ev.get("trainable_params"))
        elif kind == "step":
            r["step_s"].append(ev.get("step_time_s"))
            r["loss"].append(ev.get("loss"))
        elif kind == "done":
            r["status"], r["reason"] = DONE, ""
            for k in ("tokens_per_s", "device_peak_bytes", "peak_reserved_bytes", "peak_alloc_bytes",
                      "wall_s"):
                r["extra"][k] = ev.get(k)
        elif kind == "oom":
            r["status"], r["reason"] = OOM, f"oom in {ev.get('phase')}: {ev.get('message', '')}"
        elif kind == "error":
            r["status"], r["reason"] = FAILED, f"error in {ev.get('phase')}: {ev.get('message', '')}"

    def rows(self):
        return {self.seq: self.row}


class WorkerParser:
    """peers_worker.py's lines: seq_start marks a memory segment, result is a row."""

    def __init__(self, program):
        self.program = program
        self.found = {}
        self.info = {}

    def feed(self, ev, sampler):
        kind = ev.get("event")
        if kind == "seq_start":
            sampler.mark(ev["seq"])
        elif kind == "info":
            self.info.update({k: v for k, v in ev.items() if k != "event"})
        elif kind == "result":
            row = new_row(self.program, ev["seq"], ev.get("status", FAILED), ev.get("reason", ""))
            row["step_s"] = ev.get("step_s", [])
            row["loss"] = ev.get("loss", [])
            row["extra"] = dict(ev.get("extra", {}))
            self.found[ev["seq"]] = row

    def rows(self):
        for row in self.found.values():
            row["extra"].update(self.info)
        return self.found


def exit_reason(rc, timed_out, timeout_s, stderr_tail):
    """(status, reason) of a process that left rows unwritten; `timed_out` is '' or why it was
    stopped ('limit': its time ran out; 'stall': it printed no event for too long)."""
    last = stderr_tail[-1] if stderr_tail else ""
    if timed_out == "stall":
        return TIMEOUT, f"stalled: no event for {timeout_s:.0f} s: {last}"
    if timed_out:
        return TIMEOUT, f"timeout after {timeout_s:.0f} s"
    if rc == QLSWEEP_OOM_EXIT:
        return OOM, f"exit {rc} (out of memory): {last}"
    if rc is not None and rc < 0:
        return FAILED, f"killed by signal {-rc}: {last}"
    return FAILED, f"exit {rc}: {last}"


def tail_lines(path, n):
    try:
        with open(path, errors="replace") as f:
            return [l.rstrip("\n") for l in f.readlines()[-n:] if l.strip()]
    except OSError:
        return []


def run_job(program, seqs, argv, env, timeout_s, reader, stderr_path, warmup, timed, log=print,
            cwd=None, stall_s=None):
    """Runs `argv` (in `cwd`: Unsloth writes its compile cache there) and returns ([row per
    seq], wall seconds). The process is stopped after `timeout_s`, or after `stall_s` without a
    JSON line (a hang costs that, not the whole budget). Memory of row = max(segment peak, load
    peak): the peak over a fresh process at that length, loading included."""
    parser = QlsweepParser(seqs[0]) if program == QLSWEEP else WorkerParser(program)
    start = time.time()
    with open(stderr_path, "w") as err:
        try:
            proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, env=env, text=True,
                                    start_new_session=True, cwd=cwd)
        except OSError as e:
            return [new_row(program, s, FAILED, f"cannot start {argv[0]}: {e}") for s in seqs], 0.0
        sampler = peers_memory.Sampler(reader, proc.pid).start()
        lines = queue.Queue()

        def pump():
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        timed_out, last_event = "", time.time()
        while True:
            now = time.time()
            if now - start >= timeout_s or (stall_s and now - last_event >= stall_s):
                timed_out = "limit" if now - start >= timeout_s else "stall"
                os.killpg(proc.pid, signal.SIGKILL)
                break
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            line = line.strip()
            if not line.startswith("{"):
                continue
            last_event = time.time()
            try:
                parser.feed(json.loads(line), sampler)
            except (ValueError, KeyError, TypeError) as e:
                log(f"{program}: unreadable line ({e}): {line[:200]}")
        rc = proc.wait()
        sampler.stop()
    wall = time.time() - start
    found = parser.rows()
    rows = []
    for seq in seqs:
        row = found.get(seq)
        if row is None or (program == QLSWEEP and row["status"] == FAILED and
                           row["reason"] == "no done event"):
            status, reason = exit_reason(rc, timed_out, stall_s if timed_out == "stall" else
                                         timeout_s, tail_lines(stderr_path, 5))
            old_extra = row["extra"] if row else {}
            row = new_row(program, seq, status, reason)
            row["extra"].update(old_extra)
        segment, load, source = sampler.peak_of(seq)
        row["segment_peak_bytes"], row["load_peak_bytes"] = segment, load
        row["peak_bytes"] = max(segment, load) if (segment or load) else None
        row["mem_source"] = source
        if row["status"] == DONE:
            row["tok_s"] = tokens_per_s(seq, row["step_s"], warmup, timed)
            if row["tok_s"] is None:
                row["status"], row["reason"] = FAILED, f"{len(row['step_s'])} steps timed"
        row["extra"]["job_wall_s"] = round(wall, 1)
        row["extra"]["exit"] = rc
        rows.append(row)
    return rows, wall
