// Checks of the --db path before anything opens it: it must be (or become) a regular SQLite file.
#pragma once

#include <stdexcept>
#include <string>

namespace qlsweep::runner {

// Bad input on the command line (exit 2): the message says what is wrong and what was expected.
class InvalidInput : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// For `run`: `db_path` must be a regular file or not exist yet, outside /dev, /proc and /sys,
// and its folder must exist or be creatable (every existing ancestor a folder). Throws
// InvalidInput naming the path.
void CheckDbPathForWriting(const std::string& db_path);

// For the readers (`table`, `runs`, `report`, `query`): `db_path` must be an existing regular
// file outside /dev, /proc and /sys. Throws InvalidInput naming the path.
void CheckDbPathForReading(const std::string& db_path);

}  // namespace qlsweep::runner
