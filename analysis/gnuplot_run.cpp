// fork/exec of gnuplot with its working directory and output redirected; no shell involved.
#include "analysis/gnuplot_run.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace qlsweep::analysis {
namespace {

// Runs argv[0] with `argv` in `dir`, stdout and stderr to `log_path` (truncated). Returns the
// exit status, or -1 when it could not be started or ended by a signal.
int RunProcess(const std::vector<std::string>& argv, const std::string& dir,
               const std::string& log_path) {
  std::vector<char*> c_argv;
  std::vector<std::string> args = argv;
  for (auto& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log < 0 || (!dir.empty() && chdir(dir.c_str()) != 0)) _exit(127);
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, STDIN_FILENO);
    execv(c_argv[0], c_argv.data());
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool IsExecutable(const std::string& path) {
  return std::filesystem::is_regular_file(path) && access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string FindProgram(const std::string& program) {
  if (program.find('/') != std::string::npos) return IsExecutable(program) ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (IsExecutable(candidate)) return candidate;
  }
  return "";
}

bool GnuplotHasTerminal(const std::string& gnuplot, const std::string& name) {
  return RunProcess({gnuplot, "-e", "set terminal " + name}, "", "/dev/null") == 0;
}

std::string RunGnuplot(const std::string& gnuplot, const std::string& dir,
                       const std::string& script, const std::string& log_name) {
  const std::string log_path = (std::filesystem::path(dir) / log_name).string();
  const int status =
      RunProcess({gnuplot, script}, std::filesystem::absolute(dir).string(), log_path);
  if (status == 0) return "";
  std::ifstream log(log_path);
  std::stringstream text;
  text << log.rdbuf();
  return "gnuplot " + script + " exited with status " + std::to_string(status) + ":\n" + text.str();
}

}  // namespace qlsweep::analysis
