#!/usr/bin/env python3
"""scripts/check_conflict_markers.py on fake trees (no git there: the walk is used)."""
import unittest

from fake_tree import run_checker


def run(files):
    status, out, _ = run_checker("check_conflict_markers.py", files)
    return status, out


class CheckConflictMarkersTest(unittest.TestCase):
    def test_markers_are_named_with_file_and_line(self):
        code, out = run({"docs/a.md": b"text\n<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> seed\n"})
        self.assertEqual(code, 1, out)
        self.assertIn("docs/a.md:2: <<<<<<< HEAD", out)
        self.assertIn("docs/a.md:6: >>>>>>> seed", out)
        self.assertIn("2 marker line(s)", out)

    def test_a_heading_underline_and_a_binary_file_pass(self):
        code, out = run({"a.md": b"Title\n=======\n\n<<<<<<<<< not a marker (nine)\n",
                         "b.bin": b"\0\0<<<<<<< HEAD\n"})
        self.assertEqual(code, 0, out)
        self.assertIn("0 marker line(s)", out)


if __name__ == "__main__":
    unittest.main()
