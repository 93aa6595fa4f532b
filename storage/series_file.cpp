// SeriesFile: creates a trial's HDF5 file, its datasets up front, then appends rows in SWMR mode.
#include "storage/series_file.h"

#include <algorithm>
#include <limits>
#include <memory>

#include "protocol/events.h"
#include "protocol/result_keys.h"
#include "storage/hdf5_handle.h"
#include "storage/run_index.h"

namespace qlsweep::storage {
namespace {

constexpr hsize_t kChunkRows = 256;

struct SeriesGroup {
  std::string name;
  const std::vector<std::string>* columns = nullptr;
  H5Id group;
  std::vector<H5Id> datasets;  // in `columns` order
  hsize_t rows = 0;
};

std::string JoinColumns(const std::vector<std::string>& columns) {
  std::string joined;
  for (const std::string& column : columns) joined += (joined.empty() ? "" : ", ") + column;
  return joined;
}

// An empty, extendible, chunked float64 dataset whose unwritten elements read as NaN.
H5Id CreateColumn(hid_t group, const std::string& group_name, const std::string& name,
                  const std::string& path) {
  const std::string what = "cannot create dataset '" + group_name + "/" + name + "'";
  const hsize_t initial = 0;
  const hsize_t unlimited = H5S_UNLIMITED;
  H5Id space = Own(H5Screate_simple(1, &initial, &unlimited), H5Sclose, path, what);
  H5Id dcpl = Own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path, what);
  Check(H5Pset_chunk(dcpl.get(), 1, &kChunkRows), path, what);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), path, what);
  return Own(H5Dcreate2(group, name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT, dcpl.get(),
                        H5P_DEFAULT),
             H5Dclose, path, what);
}

}  // namespace

struct SeriesFile::Impl {
  std::string path;
  H5Id file;  // declared before the groups, so closed after them
  std::vector<SeriesGroup> groups;
};

const std::vector<std::string>& SeriesFile::TrainColumns() {
  namespace field = protocol::field;
  namespace result = protocol::result;
  // The step event's fields; alloc_bytes and reserved_bytes are those of its memory object;
  // loss_scale and skipped only fp16 trials have (NaN in the others' rows).
  static const std::vector<std::string> columns = {
      std::string(field::kStep),        std::string(field::kLoss),
      std::string(field::kLr),          std::string(field::kGradNorm),
      std::string(result::kStepTimeS),  std::string(field::kTokens),
      std::string(result::kAllocBytes), std::string(result::kReservedBytes),
      std::string(field::kLossScale),   std::string(field::kSkipped)};
  return columns;
}

const std::vector<std::string>& SeriesFile::EvalColumns() {
  // The eval event's fields.
  static const std::vector<std::string> columns = {
      std::string(protocol::field::kStep), std::string(protocol::field::kEvalLoss),
      std::string(protocol::result::kPerplexity), std::string(protocol::result::kTokenAccuracy)};
  return columns;
}

SeriesFile::SeriesFile(const std::string& path, const std::string& trial_id,
                       const std::string& config_json) {
  SilenceHdf5Errors();
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  H5Id fapl = Own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, path, "cannot create access properties");
  // SWMR needs the latest file format (1.10: superblock 3, checksummed metadata).
  Check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), path,
        "cannot request the latest file format");
  Check(H5Pset_file_locking(fapl.get(), true, true), path, "cannot set file locking");
  impl->file = Own(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose, path,
                   "cannot create");
  WriteStringAttribute(impl->file.get(), "trial_id", trial_id, path);
  WriteStringAttribute(impl->file.get(), "config", config_json, path);

  for (const auto& [name, columns] :
       {std::pair{kTrainGroup, &TrainColumns()}, std::pair{kEvalGroup, &EvalColumns()}}) {
    SeriesGroup& group = impl->groups.emplace_back();
    group.name = name;
    group.columns = columns;
    group.group =
        Own(H5Gcreate2(impl->file.get(), group.name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Gclose, path, "cannot create group '" + group.name + "'");
    for (const std::string& column : *columns) {
      group.datasets.push_back(CreateColumn(group.group.get(), group.name, column, path));
    }
  }
  Check(H5Fstart_swmr_write(impl->file.get()), path, "cannot start SWMR writing");
  impl_ = impl.release();
}

SeriesFile::~SeriesFile() { delete impl_; }

void SeriesFile::Append(const std::string& group_name, const std::map<std::string, double>& row) {
  const std::string& path = impl_->path;
  auto group = std::find_if(impl_->groups.begin(), impl_->groups.end(),
                            [&](const SeriesGroup& g) { return g.name == group_name; });
  if (group == impl_->groups.end()) {
    throw StorageError("series file " + path + ": unknown group '" + group_name +
                       "' (train, eval)");
  }
  const std::vector<std::string>& columns = *group->columns;
  for (const auto& [column, value] : row) {
    if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
      throw StorageError("series file " + path + ": unknown column '" + column + "' in group '" +
                         group_name + "' (columns: " + JoinColumns(columns) + ")");
    }
  }

  const hsize_t rows = group->rows + 1;
  const hsize_t start = rows - 1;
  const hsize_t count = 1;
  H5Id memory = Own(H5Screate_simple(1, &count, nullptr), H5Sclose, path, "cannot append");
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string what = "cannot append to dataset '" + group_name + "/" + columns[i] + "'";
    const hid_t dataset = group->datasets[i].get();
    const auto found = row.find(columns[i]);
    const double value =
        found != row.end() ? found->second : std::numeric_limits<double>::quiet_NaN();
    Check(H5Dset_extent(dataset, &rows), path, what);
    H5Id space = Own(H5Dget_space(dataset), H5Sclose, path, what);
    Check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr), path,
          what);
    Check(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, memory.get(), space.get(), H5P_DEFAULT, &value),
          path, what);
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    Check(H5Dflush(group->datasets[i].get()), path,
          "cannot flush dataset '" + group_name + "/" + columns[i] + "'");
  }
  group->rows = rows;
}

}  // namespace qlsweep::storage
