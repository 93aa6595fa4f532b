#!/usr/bin/env python3
"""Rewrites a wheel without the members under the given path prefixes (and their RECORD lines).

Used by fetch_wheels.sh to fit the peers' wheels in one device call (64 MiB): Unsloth's wheel
carries an 82 MB web UI (studio/) that training never imports, bitsandbytes' one CUDA library per
toolkit although the GPU machine needs only libbitsandbytes_cuda130.so.
    trim_wheel.py IN.whl OUT.whl PREFIX [PREFIX ...]
"""
import argparse
import sys
import zipfile


def trim(src, dst, prefixes):
    """Copies `src` to `dst` leaving out members whose name starts with one of `prefixes`;
    returns (members kept, members dropped)."""
    kept = dropped = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            name = info.filename
            if name.startswith(tuple(prefixes)):
                dropped += 1
                continue
            data = zin.read(name)
            if name.endswith(".dist-info/RECORD"):
                lines = data.decode().splitlines(keepends=True)
                data = "".join(l for l in lines if not l.startswith(tuple(prefixes))).encode()
            zout.writestr(info, data)
            kept += 1
    return kept, dropped


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("prefixes", nargs="+")
    a = p.parse_args(argv)
    kept, dropped = trim(a.src, a.dst, a.prefixes)
    if dropped == 0:
        print(f"{a.src}: nothing under {a.prefixes}; the wheel changed?", file=sys.stderr)
        return 1
    print(f"{a.dst}: {kept} members kept, {dropped} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
