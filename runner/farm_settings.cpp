// QLSWEEP_FARM_* variables -> FarmSettings.
#include "runner/farm_settings.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace qlsweep::runner {
namespace {

double Seconds(const char* (*get)(const char*), const char* name, double fallback) {
  const char* text = get(name);
  if (text == nullptr || *text == '\0') return fallback;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (*end != '\0' || !std::isfinite(value) || value <= 0) {
    throw std::invalid_argument(std::string(name) + "='" + text +
                                "': expected a positive number of seconds");
  }
  return value;
}

}  // namespace

FarmSettings FarmSettingsFromEnvironment(const char* (*get)(const char*)) {
  FarmSettings settings;
  settings.heartbeat_s = Seconds(get, "QLSWEEP_FARM_HEARTBEAT_S", settings.heartbeat_s);
  settings.lease_s = Seconds(get, "QLSWEEP_FARM_LEASE_S", settings.lease_s);
  if (settings.lease_s <= 2 * settings.heartbeat_s) {
    throw std::invalid_argument("QLSWEEP_FARM_LEASE_S (" + std::to_string(settings.lease_s) +
                                " s) must exceed two heartbeats (QLSWEEP_FARM_HEARTBEAT_S " +
                                std::to_string(settings.heartbeat_s) + " s)");
  }
  if (const char* dir = get("QLSWEEP_FARM_WORKDIR"); dir != nullptr) settings.workdir = dir;
  return settings;
}

std::string WorkerDirectory(const FarmSettings& settings, const std::string& db_path,
                            const std::string& host, int rank) {
  if (!settings.workdir.empty()) return settings.workdir;
  const auto db_dir = std::filesystem::absolute(db_path).parent_path();
  return (db_dir / "workers" / (host + "-rank" + std::to_string(rank))).string();
}

}  // namespace qlsweep::runner
