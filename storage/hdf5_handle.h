// RAII ownership of HDF5 ids and error helpers that name the file and the object (HDF5 1.10 C API).
#pragma once

#include <string>
#include <utility>

#include <hdf5.h>

namespace qlsweep::storage {

// Owns one HDF5 id and closes it with the matching H5?close. Movable, not copyable.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~H5Id() { Reset(); }
  H5Id(H5Id&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  H5Id& operator=(H5Id&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;

  hid_t get() const { return id_; }
  void Reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = H5I_INVALID_HID;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// Turns off HDF5's automatic printing of error stacks; errors become StorageErrors instead.
void SilenceHdf5Errors();  // also turns off HDF5's shutdown at exit (see the .cpp)

// Throws StorageError "series file <path>: <what>: <HDF5's error stack, outermost and innermost>".
[[noreturn]] void ThrowHdf5(const std::string& path, const std::string& what);

// Returns an owner of `id`, or throws (ThrowHdf5) when the call that made it failed.
H5Id Own(hid_t id, H5Id::Closer closer, const std::string& path, const std::string& what);

// Throws (ThrowHdf5) when an HDF5 call returned a negative status.
void Check(herr_t status, const std::string& path, const std::string& what);

// Opens an HDF5 file read-only, in SWMR-read mode when it can (a file whose writer died is still
// marked as being written), else plainly. A damaged file fails at once: the SWMR metadata read
// retries are capped (a few, under a millisecond in all). A missing path, a directory or a device
// is refused before HDF5 sees it.
H5Id OpenForRead(const std::string& path);

// A scalar variable-length UTF-8 string attribute (h5py reads it as str).
void WriteStringAttribute(hid_t location, const std::string& name, const std::string& value,
                          const std::string& path);
// Reads a scalar string attribute, variable- or fixed-length. A variable-length one is read in a
// child process (storage/child_call.h) that is stopped after the deadline below.
std::string ReadStringAttribute(hid_t location, const std::string& name, const std::string& path);

}  // namespace qlsweep::storage
