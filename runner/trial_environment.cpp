// Detects host name, version and git revision, and merges them with the trainer's started event.
#include "runner/trial_environment.h"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cstdio>

#include "protocol/events.h"
#include "runner/version.h"

namespace qlsweep::runner {
namespace {

// HEAD of the git checkout around the working directory, or "" (no git, not a checkout, ...).
std::string GitRevision() {
  FILE* pipe = popen("git rev-parse HEAD 2>/dev/null", "r");
  if (!pipe) return "";
  std::array<char, 128> buf{};
  std::string out;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  if (pclose(pipe) != 0) return "";
  while (!out.empty() && std::isspace(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (out.size() != 40) return "";
  for (char c : out) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return "";
  }
  return out;
}

}  // namespace

CoordinatorEnvironment DetectCoordinatorEnvironment() {
  CoordinatorEnvironment env;
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  env.host = name;
  env.version = kVersion;
  env.git_revision = GitRevision();
  return env;
}

std::map<std::string, std::string> TrialEnvironment(const CoordinatorEnvironment& coordinator,
                                                    const std::string& gpu_slot,
                                                    const nlohmann::json& started) {
  std::map<std::string, std::string> env = {{"host", coordinator.host},
                                            {"qlsweep_version", coordinator.version}};
  if (!coordinator.git_revision.empty()) env["git_revision"] = coordinator.git_revision;
  if (!gpu_slot.empty()) env["gpu_slot"] = gpu_slot;
  if (started.is_object()) {
    for (std::string_view field : {protocol::field::kDevice, protocol::field::kDtype}) {
      const std::string key(field);  // stored under the started event's field name
      if (started.contains(key) && started[key].is_string())
        env[key] = started[key].get<std::string>();
    }
  }
  return env;
}

}  // namespace qlsweep::runner
