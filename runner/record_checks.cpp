// Sweep names checked against the run index's sweeps table.
#include "runner/record_checks.h"

#include <stdexcept>
#include <vector>

#include "sweeps/suggest.h"

namespace qlsweep::runner {

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
