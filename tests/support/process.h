// Running helper programs from tests: a shell command with its output, and the Python to use.
#pragma once

#include <string>

namespace qlsweep::testing {

struct CommandResult {
  int exit_code = -1;  // -1 when the command could not run or a signal ended it
  std::string out;     // stdout (add 2>&1 to the command for stderr too)
};

// Runs `command` through /bin/sh and waits for it.
CommandResult RunShell(const std::string& command);

// The Python interpreter for helper scripts: $QLSWEEP_PYTHON (ctest sets the venv's), else
// python3 from PATH.
std::string Python();

}  // namespace qlsweep::testing
