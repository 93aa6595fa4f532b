// HDF5 error handling, read-only opening and string attributes for the series files.
#include "storage/hdf5_handle.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "storage/child_call.h"
#include "storage/run_index.h"
#include "storage/series_file.h"

namespace qlsweep::storage {
namespace {

// A variable-length string attribute of a sound file reads in well under a millisecond; the
// deadline only ends reads that libhdf5 would never finish.
std::chrono::milliseconds variable_string_deadline{10000};

// Metadata read attempts of a SWMR reader; the back-off doubles from 1 us, so 10 take < 1 ms.
constexpr unsigned kSwmrReadAttempts = 10;

herr_t CollectError(unsigned /*n*/, const H5E_error2_t* error, void* data) {
  auto* messages = static_cast<std::vector<std::string>*>(data);
  std::string message = error->func_name != nullptr ? error->func_name : "";
  if (error->desc != nullptr && error->desc[0] != '\0') message += std::string(": ") + error->desc;
  messages->push_back(std::move(message));
  return 0;
}

std::string Hdf5ErrorText() {
  std::vector<std::string> messages;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectError, &messages);
  H5Eclear2(H5E_DEFAULT);
  if (messages.empty()) return "";
  if (messages.size() == 1) return messages.front();
  return messages.front() + " ... " + messages.back();
}

}  // namespace

void SetVariableStringDeadline(std::chrono::milliseconds deadline) {
  variable_string_deadline = deadline;
}

void SilenceHdf5Errors() {
  // No library shutdown at exit: after a failed write (a full disk) HDF5's atexit handler closes
  // the file again and crashes (SIGSEGV in H5F__close_cb), so a trial that had reported a clear
  // error died of a signal instead. Rows are flushed as they are appended and files are closed by
  // their owners, so the handler has nothing to save. Effective before HDF5's first call only.
  H5dont_atexit();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

void ThrowHdf5(const std::string& path, const std::string& what) {
  std::string message = "series file " + path + ": " + what;
  if (const std::string detail = Hdf5ErrorText(); !detail.empty()) message += " (" + detail + ")";
  throw StorageError(message);
}

H5Id Own(hid_t id, H5Id::Closer closer, const std::string& path, const std::string& what) {
  if (id < 0) ThrowHdf5(path, what);
  return H5Id(id, closer);
}

void Check(herr_t status, const std::string& path, const std::string& what) {
  if (status < 0) ThrowHdf5(path, what);
}

H5Id OpenForRead(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw StorageError("series file " + path +
                       ": cannot open for reading: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    throw StorageError("series file " + path + ": " +
                       (S_ISDIR(st.st_mode) ? "is a directory, not an HDF5 file"
                                            : "is not a regular file (a device, FIFO or socket)"));
  }
  SilenceHdf5Errors();
  H5Id fapl = Own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "cannot create access properties");
  // Where the filesystem has no locks (some network mounts), read without them.
  Check(H5Pset_file_locking(fapl.get(), true, true), path, "cannot set file locking");
  // A SWMR reader retries a metadata read whose checksum fails (the writer may be mid-flush),
  // by default 100 times with a doubling back-off capped at 36 s: a damaged file then took most
  // of an hour to fail. A few quick retries still cover a torn read of a live file.
  Check(H5Pset_metadata_read_attempts(fapl.get(), kSwmrReadAttempts), path,
        "cannot set the metadata read attempts");
  const hid_t swmr = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get());
  if (swmr >= 0) return H5Id(swmr, H5Fclose);
  H5Eclear2(H5E_DEFAULT);
  return Own(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose, path,
             "cannot open for reading");
}

void WriteStringAttribute(hid_t location, const std::string& name, const std::string& value,
                          const std::string& path) {
  const std::string what = "cannot write attribute '" + name + "'";
  H5Id type = Own(H5Tcopy(H5T_C_S1), H5Tclose, path, what);
  Check(H5Tset_size(type.get(), H5T_VARIABLE), path, what);
  Check(H5Tset_cset(type.get(), H5T_CSET_UTF8), path, what);
  H5Id space = Own(H5Screate(H5S_SCALAR), H5Sclose, path, what);
  H5Id attribute =
      Own(H5Acreate2(location, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
          H5Aclose, path, what);
  const char* text = value.c_str();
  Check(H5Awrite(attribute.get(), type.get(), &text), path, what);
}

std::string ReadStringAttribute(hid_t location, const std::string& name, const std::string& path) {
  const std::string what = "cannot read attribute '" + name + "'";
  H5Id attribute = Own(H5Aopen(location, name.c_str(), H5P_DEFAULT), H5Aclose, path,
                       "no readable attribute '" + name + "'");
  H5Id file_type = Own(H5Aget_type(attribute.get()), H5Tclose, path, what);
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    throw StorageError("series file " + path + ": attribute '" + name + "' is not a string");
  }
  H5Id memory_type = Own(H5Tcopy(H5T_C_S1), H5Tclose, path, what);
  Check(H5Tset_cset(memory_type.get(), H5Tget_cset(file_type.get())), path, what);
  const htri_t variable = H5Tis_variable_str(file_type.get());
  Check(variable < 0 ? -1 : 0, path, what);
  if (variable > 0) {
    // The text lives in the file's global heap, and libhdf5 (1.10) can loop forever decoding a
    // damaged heap (fuzz/corpus/series/vlen_attribute_hang): read it in a child with a deadline.
    Check(H5Tset_size(memory_type.get(), H5T_VARIABLE), path, what);
    return CallInChild(
        [&] {
          char* text = nullptr;
          Check(H5Aread(attribute.get(), memory_type.get(), &text), path, what);
          std::string value = text != nullptr ? text : "";
          H5free_memory(text);
          return value;
        },
        variable_string_deadline, "series file " + path + ": reading attribute '" + name + "'");
  }
  const size_t size = H5Tget_size(file_type.get());
  Check(H5Tset_size(memory_type.get(), size), path, what);
  Check(H5Tset_strpad(memory_type.get(), H5T_STR_NULLPAD), path, what);
  std::string value(size, '\0');
  Check(H5Aread(attribute.get(), memory_type.get(), value.data()), path, what);
  value.resize(value.find('\0') == std::string::npos ? size : value.find('\0'));
  return value;
}

}  // namespace qlsweep::storage
