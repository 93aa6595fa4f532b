// Reading series files back: one column as doubles, or a root string attribute.
#include <filesystem>
#include <string>
#include <vector>

#include "storage/hdf5_handle.h"
#include "storage/run_index.h"
#include "storage/series_file.h"

namespace qlsweep::storage {
namespace {

// Rows a series may claim beyond what the file's bytes hold: one chunk being written.
constexpr hsize_t kRowSlack = 4096;

}  // namespace

std::vector<double> ReadSeries(const std::string& path, const std::string& dataset) {
  H5Id file = OpenForRead(path);
  const std::string name = dataset.starts_with('/') ? dataset.substr(1) : dataset;
  const std::string what = "cannot read dataset '" + name + "'";
  H5Id data = Own(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose, path,
                  "no readable dataset '" + name + "'");
  H5Id space = Own(H5Dget_space(data.get()), H5Sclose, path, what);
  if (H5Sget_simple_extent_ndims(space.get()) != 1) {
    throw StorageError("series file " + path + ": dataset '" + name + "' is not 1-D");
  }
  hsize_t rows = 0;
  Check(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), path, what);
  // Series are written uncompressed, so a sound file holds 8 bytes a row (a chunk of slack for a
  // live writer); a damaged header claiming more must not size the allocation.
  std::error_code ec;
  const uintmax_t file_bytes = std::filesystem::file_size(path, ec);
  if (!ec && rows > file_bytes / sizeof(double) + kRowSlack) {
    throw StorageError("series file " + path + ": dataset '" + name + "' claims " +
                       std::to_string(rows) + " rows but the file has " +
                       std::to_string(file_bytes) + " bytes (damaged)");
  }
  std::vector<double> values(static_cast<size_t>(rows));
  if (rows > 0) {
    Check(H5Dread(data.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          path, what);
  }
  return values;
}

std::string ReadRootAttribute(const std::string& path, const std::string& name) {
  H5Id file = OpenForRead(path);
  return ReadStringAttribute(file.get(), name, path);
}

}  // namespace qlsweep::storage
