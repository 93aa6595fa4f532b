// The read-only authorizer: an allow-list of action codes and of reporting pragmas.
#include "storage/read_only_guard.h"

#include <sqlite3.h>

#include <cctype>
#include <set>
#include <string>
#include <string_view>

namespace qlsweep::storage {
namespace {

// Pragmas that only report when given no value ("PRAGMA user_version"); with one they set state.
const std::set<std::string_view, std::less<>> kReportingPragmas = {
    "application_id",  "auto_vacuum",    "busy_timeout",  "cache_size",      "collation_list",
    "compile_options", "data_version",   "database_list", "encoding",        "foreign_key_check",
    "foreign_keys",    "freelist_count", "function_list", "integrity_check", "journal_mode",
    "module_list",     "page_count",     "page_size",     "pragma_list",     "query_only",
    "quick_check",     "schema_version", "synchronous",   "table_list",      "user_version"};

// Pragmas whose argument names an object or bounds a check, never a new setting.
const std::set<std::string_view, std::less<>> kObjectPragmas = {
    "foreign_key_check", "foreign_key_list", "index_info", "index_list", "index_xinfo",
    "integrity_check",   "quick_check",      "table_info", "table_list", "table_xinfo"};

std::string Describe(int action, const char* a, const char* b) {
  const std::string first = a != nullptr ? a : "";
  switch (action) {
    case SQLITE_ATTACH:
      return "ATTACH";
    case SQLITE_DETACH:
      return "DETACH";
    case SQLITE_PRAGMA:
      return "PRAGMA " + first + (b != nullptr ? " = " + std::string(b) : "");
    case SQLITE_TRANSACTION:
      return "a transaction (" + first + ")";
    case SQLITE_SAVEPOINT:
      return "a savepoint";
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
      return "a write to " + first;
    case SQLITE_CREATE_INDEX:
    case SQLITE_CREATE_TABLE:
    case SQLITE_CREATE_TEMP_INDEX:
    case SQLITE_CREATE_TEMP_TABLE:
    case SQLITE_CREATE_TEMP_TRIGGER:
    case SQLITE_CREATE_TEMP_VIEW:
    case SQLITE_CREATE_TRIGGER:
    case SQLITE_CREATE_VIEW:
    case SQLITE_CREATE_VTABLE:
      return "CREATE of " + first;
    case SQLITE_DROP_INDEX:
    case SQLITE_DROP_TABLE:
    case SQLITE_DROP_TEMP_INDEX:
    case SQLITE_DROP_TEMP_TABLE:
    case SQLITE_DROP_TEMP_TRIGGER:
    case SQLITE_DROP_TEMP_VIEW:
    case SQLITE_DROP_TRIGGER:
    case SQLITE_DROP_VIEW:
    case SQLITE_DROP_VTABLE:
      return "DROP of " + first;
    default:
      return "a statement that changes the database or the connection";
  }
}

int Authorize(void* data, int action, const char* a, const char* b, const char* /*db*/,
              const char* /*trigger*/) {
  switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
      return SQLITE_OK;
    case SQLITE_PRAGMA: {
      std::string name = a != nullptr ? a : "";
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (b == nullptr && kReportingPragmas.count(name) != 0) return SQLITE_OK;
      if (b != nullptr && kObjectPragmas.count(name) != 0) return SQLITE_OK;
      break;
    }
    default:
      break;
  }
  auto* guard = static_cast<ReadOnlyGuard*>(data);
  if (guard->denied.empty()) guard->denied = Describe(action, a, b);  // the first says most
  return SQLITE_DENY;
}

}  // namespace

void InstallReadOnlyGuard(sqlite3* db, ReadOnlyGuard* guard) {
  sqlite3_set_authorizer(db, Authorize, guard);
}

}  // namespace qlsweep::storage
