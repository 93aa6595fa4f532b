// Sweep names checked against the run index's sweeps table.
#include "runner/record_checks.h"

#include <filesystem>
#include <stdexcept>
#include <vector>

#include "sweeps/suggest.h"

namespace qlsweep::runner {

void CheckDbPath(const std::string& db_path, bool for_writing) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(db_path, ec)) {
    const auto inside = fs::path(db_path) / "runs.db";
    throw std::invalid_argument(
        "--db " + db_path + ": a folder; --db names the database file, e.g. " + inside.string() +
        (fs::exists(inside, ec) ? " (which exists)" : ""));
  }
  if (!for_writing) return;
  for (auto parent = fs::path(db_path).parent_path(); !parent.empty();
       parent = parent.parent_path()) {
    if (fs::exists(parent, ec) && !fs::is_directory(parent, ec)) {
      throw std::invalid_argument("--db " + db_path + ": " + parent.string() +
                                  " is a file, not a folder");
    }
    if (parent == parent.parent_path()) break;
  }
}

void CheckSweepRecorded(const storage::RunIndex& index, const std::string& name) {
  if (index.Sweep(name)) return;
  std::vector<std::string> names;
  std::string list;
  for (const auto& row : index.Query("SELECT name FROM sweeps ORDER BY name").rows) {
    if (!row[0]) continue;
    names.push_back(*row[0]);
    list += (list.empty() ? "" : ", ") + *row[0];
  }
  throw std::invalid_argument(index.path() + ": no sweep '" + name + "' recorded" +
                              sweeps::DidYouMean(name, names) +
                              (list.empty() ? " (none is)" : " (recorded: " + list + ")"));
}

}  // namespace qlsweep::runner
