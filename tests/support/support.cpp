// Shell commands, the Python interpreter, and the CI rule for fetched inputs.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tests/support/fetched.h"
#include "tests/support/process.h"

namespace qlsweep::testing {

CommandResult RunShell(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t read = 0;
  while ((read = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
    result.out.append(buffer.data(), read);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string Python() {
  const char* python = std::getenv("QLSWEEP_PYTHON");
  return python != nullptr && python[0] != '\0' ? python : "python3";
}

bool FetchedInputsRequired() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::strcmp(ci, "true") == 0;
}

std::string MissingFetchedInput(const std::string& what, const std::string& how) {
  return what + " is missing (" + how + ")";
}

}  // namespace qlsweep::testing
