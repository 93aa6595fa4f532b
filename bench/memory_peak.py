#!/usr/bin/env python3
"""Where a step's reserved-over-allocated slack comes from: reads the allocator history that
QLSWEEP_PROFILE_MEMORY=1 writes (DIR/step<N>-memory.pickle, PyTorch's memory snapshot format) and
prints, as markdown:
  - the reserved and allocated bytes per stream at the end;
  - every growth of the reserved memory (segment_map / segment_alloc) in time order, with what was
    allocated then, the free bytes already reserved in that stream's pool (the allocator keeps a
    small pool, for requests up to 1 MiB, and a large one per stream) and the largest free range
    there (what the request could not use), and the request that caused it;
  - the live blocks at the allocated peak, by stream and size.
The history is replayed backwards from the final state (the snapshot's segments and blocks), as
torch.cuda._memory_viz does, so it needs no state from before recording began.

  python3 bench/memory_peak.py DIR/step3-memory.pickle [--growths N]
Standard library only (the snapshot is a plain pickle of dicts and lists).
"""
import argparse
import pickle
import sys
from collections import defaultdict

MIB = 1 << 20


def mib(n):
    return f"{n / MIB:,.1f}"


SMALL_REQUEST = 1 << 20  # the caching allocator serves requests up to 1 MiB from its small pool


def pools_by_address(data, device):
    """[(lo, hi, pool)] of the final segments, pool "small" or "large"."""
    return [(seg["address"], seg["address"] + seg["total_size"], seg.get("segment_type", "large"))
            for seg in data["segments"] if seg.get("device", 0) == device]


def pool_of(pools, addr, size):
    for lo, hi, pool in pools:
        if lo <= addr < hi:
            return pool
    return "small" if size <= SMALL_REQUEST else "large"  # a range unmapped before the end


def final_state(data, device):
    """Live blocks {addr: (size, (stream, pool))} and mapped ranges {(stream, pool): [[lo, hi)]}."""
    live, mapped = {}, defaultdict(list)
    for seg in data["segments"]:
        if seg.get("device", 0) != device:
            continue
        key, addr = (seg["stream"], seg.get("segment_type", "large")), seg["address"]
        mapped[key].append([addr, addr + seg["total_size"]])
        for block in seg["blocks"]:
            if block["state"] in ("active_allocated", "active_pending_free"):
                live[addr] = (block["size"], key)
            addr += block["size"]
    return live, mapped


def unmap(ranges, lo, hi):
    """ranges minus [lo, hi)."""
    out = []
    for a, b in ranges:
        if b <= lo or a >= hi:
            out.append([a, b])
            continue
        if a < lo:
            out.append([a, lo])
        if b > hi:
            out.append([hi, b])
    return out


def holes(ranges, blocks):
    """Free byte ranges of `ranges` not covered by blocks [(addr, size)], as sizes."""
    blocks = sorted(blocks)
    sizes = []
    for a, b in sorted(ranges):
        cursor = a
        for addr, size in blocks:
            if addr + size <= a or addr >= b:
                continue
            if addr > cursor:
                sizes.append(addr - cursor)
            cursor = max(cursor, addr + size)
        if b > cursor:
            sizes.append(b - cursor)
    return sizes


def replay(data, device):
    """Walks the trace backwards; returns (growths, peak) where growths are dicts in time order
    and peak is the live-block map at the allocated peak with its time."""
    trace = data["device_traces"][device]
    live, mapped = final_state(data, device)
    pools = pools_by_address(data, device)
    allocated = sum(size for size, _ in live.values())
    reserved = sum(b - a for ranges in mapped.values() for a, b in ranges)
    t_end = trace[-1]["time_us"] if trace else 0
    peak = {"allocated": allocated, "time_us": t_end, "live": dict(live), "reserved": reserved}
    growths = []
    for i in range(len(trace) - 1, -1, -1):
        e = trace[i]
        action, addr, size = e["action"], e["addr"], e["size"]
        key = (e["stream"], pool_of(pools, addr, size))
        if action == "alloc":  # before it, the block was not live
            live.pop(addr, None)
            allocated -= size
        elif action == "free_completed":
            live[addr] = (size, key)
            allocated += size
        elif action in ("segment_map", "segment_alloc"):
            mapped[key] = unmap(mapped[key], addr, addr + size)
            reserved -= size
            # The state just before the growth: what this pool had free, and its largest range.
            free = holes(mapped[key], [(a, s) for a, (s, k) in live.items() if k == key])
            request = next((trace[j] for j in range(i + 1, len(trace))
                            if trace[j]["action"] == "alloc" and trace[j]["stream"] == key[0]
                            and pool_of(pools, trace[j]["addr"], trace[j]["size"]) == key[1]),
                           None)
            growths.append({
                "time_us": e["time_us"], "stream": key[0], "pool": key[1], "size": size,
                "kind": action,
                "allocated": allocated, "reserved_after": reserved + size,
                "pool_free": sum(free), "largest_free": max(free, default=0),
                "request": request["size"] if request else 0,
            })
        elif action in ("segment_unmap", "segment_free"):
            mapped[key].append([addr, addr + size])
            reserved += size
        if action in ("alloc", "free_completed") and allocated > peak["allocated"]:
            peak = {"allocated": allocated, "time_us": e["time_us"], "live": dict(live),
                    "reserved": reserved}
    growths.reverse()
    t0 = trace[0]["time_us"] if trace else 0
    return growths, peak, t0


def report(data, device, max_growths):
    lines = []
    live, mapped = final_state(data, device)
    by_pool = defaultdict(lambda: [0, 0])
    for key, ranges in mapped.items():
        by_pool[key][0] += sum(b - a for a, b in ranges)
    for size, key in live.values():
        by_pool[key][1] += size
    lines += ["## At the end of the recorded step", "",
              "| stream | pool | reserved MiB | allocated MiB | free MiB |",
              "|---|---|---:|---:|---:|"]
    for (stream, pool), (res, alloc) in sorted(by_pool.items()):
        lines.append(f"| {stream} | {pool} | {mib(res)} | {mib(alloc)} | {mib(res - alloc)} |")
    growths, peak, t0 = replay(data, device)
    lines += ["", f"Allocated peak: {mib(peak['allocated'])} MiB at "
              f"{(peak['time_us'] - t0) / 1e3:,.1f} ms, reserved then {mib(peak['reserved'])} MiB.",
              "", f"## Growths of the reserved memory ({len(growths)}; the last {max_growths})", "",
              "| ms | stream | pool | event | MiB | request MiB | allocated MiB | reserved after MiB | "
              "pool's free MiB before | largest free range MiB |",
              "|---:|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for g in growths[-max_growths:]:
        lines.append(f"| {(g['time_us'] - t0) / 1e3:,.1f} | {g['stream']} | {g['pool']} | "
                     f"{g['kind']} | {mib(g['size'])} | {mib(g['request'])} | "
                     f"{mib(g['allocated'])} | {mib(g['reserved_after'])} | "
                     f"{mib(g['pool_free'])} | {mib(g['largest_free'])} |")
    groups = defaultdict(lambda: [0, 0])
    for size, (stream, pool) in peak["live"].values():
        groups[(stream, pool, size)][0] += 1
        groups[(stream, pool, size)][1] += size
    lines += ["", "## Live blocks at the allocated peak (the 25 largest groups)", "",
              "| stream | pool | block MiB | count | MiB |", "|---|---|---:|---:|---:|"]
    for (stream, pool, size), (count, total) in sorted(groups.items(),
                                                       key=lambda kv: -kv[1][1])[:25]:
        lines.append(f"| {stream} | {pool} | {mib(size)} | {count} | {mib(total)} |")
    return "\n".join(lines) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pickle", help="DIR/step<N>-memory.pickle from QLSWEEP_PROFILE_MEMORY=1")
    parser.add_argument("--device", type=int, default=0)
    parser.add_argument("--growths", type=int, default=40, help="growth rows to print")
    args = parser.parse_args(argv)
    try:
        with open(args.pickle, "rb") as f:
            data = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError) as e:
        sys.exit(f"{args.pickle}: {e}")
    if args.device >= len(data.get("device_traces", [])):
        sys.exit(f"{args.pickle}: no trace for device {args.device}")
    sys.stdout.write(report(data, args.device, args.growths))


if __name__ == "__main__":
    main(sys.argv[1:])
