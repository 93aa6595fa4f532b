// --db checks: the kind of path, pseudo-filesystems, the folder the run index goes into.
#include "runner/db_path.h"

#include <sys/stat.h>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace qlsweep::runner {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void Refuse(const std::string& db_path, const std::string& why) {
  throw InvalidInput("--db " + db_path + ": " + why +
                     "; --db names the SQLite run index, a regular file (e.g. runs/runs.db)");
}

// Refuses paths under the pseudo-filesystems, symlinks resolved (/dev/stdout, /proc/self/...).
void CheckNotPseudo(const std::string& db_path) {
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::absolute(db_path, ec), ec);
  if (ec) resolved = fs::absolute(db_path).lexically_normal();
  for (const char* name : {"/dev", "/proc", "/sys"}) {
    const fs::path root(name);
    const auto [end, it] =
        std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end());
    if (end == root.end()) Refuse(db_path, std::string("is under ") + name);
  }
}

// The kind of an existing path; false when it does not exist.
bool CheckExistingKind(const std::string& db_path) {
  struct stat st {};
  if (::stat(db_path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    if (errno == ENOTDIR) Refuse(db_path, "a folder on the way is a file");
    Refuse(db_path, std::string("cannot be examined: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) Refuse(db_path, "is a directory");
  if (!S_ISREG(st.st_mode)) Refuse(db_path, "is not a regular file (a device, FIFO or socket)");
  return true;
}

}  // namespace

void CheckDbPathForWriting(const std::string& db_path) {
  if (db_path.empty()) Refuse(db_path, "is empty");
  CheckNotPseudo(db_path);
  if (CheckExistingKind(db_path)) return;
  // The folder is created when missing: every part of it that exists must be a folder.
  for (fs::path folder = fs::absolute(db_path).parent_path(); !folder.empty();
       folder = folder.parent_path()) {
    struct stat st {};
    if (::stat(folder.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) Refuse(db_path, folder.string() + " is not a folder");
      if (::access(folder.c_str(), W_OK | X_OK) != 0) {
        Refuse(db_path, "cannot create files in " + folder.string() + ": " + std::strerror(errno));
      }
      return;
    }
    if (folder == folder.root_path()) break;
  }
}

void CheckDbPathForReading(const std::string& db_path) {
  if (db_path.empty()) Refuse(db_path, "is empty");
  CheckNotPseudo(db_path);
  if (!CheckExistingKind(db_path)) {
    throw InvalidInput(db_path + ": no run index here (run a sweep first, or pass --db)");
  }
}

}  // namespace qlsweep::runner
