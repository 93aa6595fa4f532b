#!/usr/bin/env python3
"""Fails when a tracked text file holds a merge's conflict markers: a line that starts with
'<<<<<<< ' or '>>>>>>> ' (a side's name follows), or is exactly '<<<<<<<' / '>>>>>>>'. The
'=======' between them is left alone: a markdown heading may underline with it.

    scripts/check_conflict_markers.py [--root DIR]      (default: the repository of this script)

Reads the files git tracks (git ls-files); without git (a source tarball) it walks the tree.
Prints FILE:LINE: TEXT for each marker and exits 1, else prints the count of files read, exits 0.
"""
import argparse
import os
import re
import subprocess
import sys

MARKER = re.compile(r"^(<{7}|>{7})( |$)")
SKIP_DIRS = {".git", "build", "third_party", ".peers", ".carry"}


def tracked_files(root):
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        return [os.path.join(root, p) for p in out.decode().split("\0") if p]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith("build")]
            files.extend(os.path.join(dirpath, f) for f in filenames)
        return files


def markers(path):
    """(line number, text) of each marker line in the file; none for a binary file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    if b"\0" in data[:8192]:
        return []
    found = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if MARKER.match(line):
            found.append((number, line))
    return found


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args(argv)
    files = tracked_files(args.root)
    problems = 0
    for path in files:
        for number, line in markers(path):
            print(f"{os.path.relpath(path, args.root)}:{number}: {line}")
            problems += 1
    print(f"check_conflict_markers: {len(files)} files read; {problems} marker line(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
