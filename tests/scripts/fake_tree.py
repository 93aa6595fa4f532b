"""Runs one of scripts/'s checkers on a fake tree, for the checkers' own tests."""
import os
import subprocess
import sys
import tempfile

SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts")


def run_checker(script, files, *args):
    """Writes `files` (path -> str or bytes) into a fresh tree and runs scripts/<script> --root on
    it; returns (exit status, stdout, stderr)."""
    with tempfile.TemporaryDirectory() as root:
        for name, text in files.items():
            path = os.path.join(root, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb" if isinstance(text, bytes) else "w") as f:
                f.write(text)
        done = subprocess.run([sys.executable, os.path.join(SCRIPTS, script), "--root", root,
                               *args], capture_output=True, text=True)
        return done.returncode, done.stdout, done.stderr
