#!/usr/bin/env python3
"""scripts/check_includes.py on small fake trees: each rule fails on a bad file and passes a good one."""
import unittest

from fake_tree import run_checker


class CheckIncludesTest(unittest.TestCase):
    def run_on(self, files, *args):
        """Writes `files` (path -> text) into a fresh tree; returns (exit status, output)."""
        status, out, err = run_checker("check_includes.py", files, *args)
        return status, out + err

    def assert_clean(self, files, *args):
        code, out = self.run_on(files, *args)
        self.assertEqual(code, 0, out)
        self.assertIn("0 problem(s)", out)

    def assert_problem(self, files, *parts):
        code, out = self.run_on(files)
        self.assertEqual(code, 1, out)
        for part in parts:
            self.assertIn(part, out)

    def test_allowed_arrows_pass(self):
        self.assert_clean({
            "protocol/trial_status.h": "#include <string>\n",
            "storage/run_index.h": '#include "protocol/trial_status.h"\n',
            "analysis/table.cpp": '#include "storage/run_index.h"\n'
                                  '#include "protocol/trial_status.h"\n'  # through storage
                                  '#include "sweeps/load.h"\n',
            "runner/main.cpp": '#include "trainer/train/trial_runner.h"\n',
            "trainer/train/trial_runner.cpp": '#include "trainer/model/llama.h"\n'
                                              '#include "sweeps/load.h"\n',
            "trainer/model/llama.cpp": '#include "trainer/peft/lora_linear.h"\n',
            "tests/storage/x_test.cpp": '#include "tests/support/scratch.h"\n'
                                        '#include "storage/run_index.h"\n',
        })

    def test_a_library_using_a_module_it_does_not_link_fails(self):
        self.assert_problem(
            {"storage/run_index.cpp": '#include <map>\n\n#include "runner/coordinator.h"\n'},
            "storage/run_index.cpp:3: includes \"runner/coordinator.h\"",
            "module 'storage' may not use 'runner'")

    def test_only_the_executable_files_of_runner_may_use_the_trainer(self):
        self.assert_problem({"runner/coordinator.cpp": '#include "trainer/train/events.h"\n'},
                            "module 'runner' may not use 'trainer'")

    def test_torch_free_modules_may_not_use_the_trainer(self):
        self.assert_problem({"trainer/tokenizer/t.cpp": '#include "trainer/io/gguf_file.h"\n'},
                            "module 'tokenizer' may not use 'trainer'")
        self.assert_problem({"tests/support/s.h": '#include "trainer/train/events.h"\n'},
                            "module 'tests/support' may not use 'trainer'")

    def test_a_trainer_back_arrow_fails(self):
        self.assert_problem({"trainer/model/llama.cpp": '#include "trainer/train/checkpoint.h"\n'},
                            "trainer/model/ may not include trainer/train/")

    def test_a_trainer_folder_without_a_layer_fails(self):
        self.assert_problem({"trainer/eval/e.cpp": '#include "trainer/model/llama.h"\n'},
                            "trainer folder 'eval/' has no layer")

    def test_a_forbidden_cmake_link_fails(self):
        self.assert_problem(
            {"storage/CMakeLists.txt":
             "add_library(qlsweep_storage STATIC a.cpp)\n"
             "target_link_libraries(qlsweep_storage\n  PUBLIC qlsweep_protocol qlsweep_sweeps)\n"},
            "storage/CMakeLists.txt:2: qlsweep_storage links qlsweep_sweeps")

    def test_commented_includes_and_system_headers_are_ignored(self):
        self.assert_clean({"storage/a.cpp": '// #include "runner/coordinator.h"\n'
                                            '#include <sqlite3.h>\n#include "sqlite3.h"\n'})

    def test_module_filter_checks_only_those_files(self):
        files = {"storage/a.cpp": '#include "protocol/x.h"\n',
                 "trainer/model/m.cpp": '#include "trainer/train/t.h"\n'}
        self.assert_clean(files, "--module", "storage")
        code, out = self.run_on(files, "--module", "trainer")
        self.assertEqual(code, 1, out)
        code, out = self.run_on(files, "--module", "nosuch")
        self.assertEqual(code, 2, out)

    PROTOCOL = {
        "protocol/trial_status.h": '    case TrialStatus::kDone: return "done";\n  return "unknown";\n',
        "protocol/events.h": 'namespace event {\ninline constexpr std::string_view kKey = "event";\n'
                             'inline constexpr std::string_view kStep = "step";\n}\n',
        "protocol/result_keys.h": 'inline constexpr std::string_view kDevicePeakBytes = '
                                  '"device_peak_bytes";\n',
    }

    def test_a_protocol_literal_in_a_library_fails(self):
        for code in ('if (status == "done") return;\n', 'e.value("step", 0);\n',
                     'results["device_peak_bytes"] = 1;\n'):
            with self.subTest(code=code):
                self.assert_problem({**self.PROTOCOL, "analysis/a.cpp": code},
                                    "analysis/a.cpp:1: the literal", "spells a protocol name")

    def test_literals_said_to_mean_another_thing_comments_and_tests_pass(self):
        self.assert_clean({
            **self.PROTOCOL,
            "storage/a.cpp": 'f("done");  // literal-ok: a column header\n'
                             '// literal-ok: headers\nheaders = {"step"};\n'
                             'g(1);  // was "done"\n'
                             "char q = '\"'; h(\"unknown\", \"event\", \"done_at\");\n",
            "sweeps/resolve.cpp": 'Int(train, "step");\n',
            "tests/storage/x_test.cpp": 'EXPECT_EQ(text, "done");\n',
        })

    def test_table_names_every_module(self):
        code, out = self.run_on({}, "--table")
        self.assertEqual(code, 0, out)
        for name in ("protocol", "storage", "runner exe", "trainer/model/"):
            self.assertIn(name, out)


if __name__ == "__main__":
    unittest.main()
