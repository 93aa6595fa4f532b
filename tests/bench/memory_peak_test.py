#!/usr/bin/env python3
"""bench/memory_peak.py on a made-up allocator history whose answer is known: one stream's
expandable range where a freed 64 MiB block cannot hold a 96 MiB request (so the range grows by
96 MiB with 64 MiB free), and a copy stream that holds its own 32 MiB."""
import os
import pickle
import subprocess
import sys
import tempfile
import unittest

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
sys.path.insert(0, BENCH)

import memory_peak  # noqa: E402

M = 1 << 20
BASE, COPY = 0x10000000, 0x90000000


def event(action, addr, size, stream, t):
    return {"action": action, "addr": addr, "size": size, "stream": stream, "time_us": 1000 * t,
            "frames": []}


def history():
    trace = [
        event("segment_map", BASE, 96 * M, 0, 1000),
        event("alloc", BASE, 64 * M, 0, 1001),           # A
        event("alloc", BASE + 64 * M, 32 * M, 0, 1002),  # B
        event("segment_map", COPY, 32 * M, 7, 1003),
        event("alloc", COPY, 32 * M, 7, 1004),           # C, on the copy stream
        event("free_requested", BASE, 64 * M, 0, 1005),
        event("free_completed", BASE, 64 * M, 0, 1006),  # A gone: a 64 MiB hole
        event("segment_map", BASE + 96 * M, 96 * M, 0, 1007),
        event("alloc", BASE + 96 * M, 96 * M, 0, 1008),  # D does not fit the hole
    ]
    segments = [
        {"device": 0, "address": BASE, "total_size": 192 * M, "stream": 0, "blocks": [
            {"size": 64 * M, "state": "inactive"},
            {"size": 32 * M, "state": "active_allocated"},
            {"size": 96 * M, "state": "active_allocated"}]},
        {"device": 0, "address": COPY, "total_size": 32 * M, "stream": 7, "blocks": [
            {"size": 32 * M, "state": "active_pending_free"}]},
    ]
    return {"segments": segments, "device_traces": [trace]}


class MemoryPeakTest(unittest.TestCase):
    def test_each_growth_names_the_free_bytes_it_could_not_use(self):
        growths, peak, t0 = memory_peak.replay(history(), 0)
        self.assertEqual(t0, 1_000_000)
        self.assertEqual([(g["stream"], g["size"] // M) for g in growths],
                         [(0, 96), (7, 32), (0, 96)])
        last = growths[-1]
        self.assertEqual(last["request"], 96 * M)
        self.assertEqual(last["allocated"], 64 * M)  # B and C
        self.assertEqual(last["pool_free"], 64 * M)
        self.assertEqual(last["largest_free"], 64 * M)
        self.assertEqual(last["reserved_after"], 224 * M)
        first = growths[0]
        self.assertEqual((first["allocated"], first["pool_free"], first["request"]),
                         (0, 0, 64 * M))
        # The allocated peak: A, B and C live (128 MiB) before A was freed; at the end B, C, D.
        self.assertEqual(peak["allocated"], 160 * M)
        self.assertEqual(peak["time_us"], 1_008_000)
        self.assertEqual(sorted(s // M for s, _ in peak["live"].values()), [32, 32, 96])

    def test_report_tables(self):
        text = memory_peak.report(history(), 0, 40)
        self.assertIn("| 0 | large | 192.0 | 128.0 | 64.0 |", text)
        self.assertIn("| 7 | large | 32.0 | 32.0 | 0.0 |", text)
        self.assertIn("| 7.0 | 0 | large | segment_map | 96.0 | 96.0 | 64.0 | 224.0 | 64.0 | 64.0 |",
                      text)
        self.assertIn("Allocated peak: 160.0 MiB at 8.0 ms, reserved then 224.0 MiB.", text)

    def test_small_requests_are_judged_against_the_small_pool(self):
        # A 2 MiB small-pool segment beside the large range: a 0.5 MiB request that finds the small
        # pool full grows it, though the large pool has 64 MiB free.
        data = history()
        small = 0x50000000
        data["segments"].append({"device": 0, "address": small, "total_size": 2 * M, "stream": 0,
                                 "segment_type": "small",
                                 "blocks": [{"size": 2 * M, "state": "active_allocated"}]})
        data["device_traces"][0] += [event("segment_map", small, 2 * M, 0, 1009),
                                     event("alloc", small, 2 * M, 0, 1010)]
        growths, _, _ = memory_peak.replay(data, 0)
        last = growths[-1]
        self.assertEqual((last["pool"], last["size"], last["request"]), ("small", 2 * M, 2 * M))
        self.assertEqual(last["pool_free"], 0)  # not the large pool's 64 MiB
        self.assertEqual(growths[-2]["pool"], "large")
        self.assertEqual(growths[-2]["pool_free"], 64 * M)

    def test_command_line_names_a_bad_file(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "step3-memory.pickle")
            with open(bad, "wb") as f:
                f.write(b"not a pickle")
            r = subprocess.run([sys.executable, os.path.join(BENCH, "memory_peak.py"), bad],
                               capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(bad, r.stderr)
            good = os.path.join(d, "good.pickle")
            with open(good, "wb") as f:
                pickle.dump(history(), f)
            r = subprocess.run([sys.executable, os.path.join(BENCH, "memory_peak.py"), good],
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("## Growths of the reserved memory (3; the last 40)", r.stdout)


if __name__ == "__main__":
    unittest.main()
