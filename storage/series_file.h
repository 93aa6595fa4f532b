// SeriesFile: one HDF5 file per trial of extendible, chunked per-step series (SWMR, crash-safe).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace qlsweep::storage {

// The groups of a series file: one row per step event, one per eval event.
inline constexpr std::string_view kTrainGroup = "train";
inline constexpr std::string_view kEvalGroup = "eval";  // literal-ok: HDF5 group name

// The dataset path of a column: SeriesDataset(kTrainGroup, "loss") is "train/loss".
inline std::string SeriesDataset(std::string_view group, std::string_view column) {
  return std::string(group) + "/" + std::string(column);
}

// Layout (docs/records.md): attribute /config (JSON text), attribute /trial_id;
// group /train with one 1-D float64 dataset per column (step, loss, lr, grad_norm, step_time_s,
// tokens, alloc_bytes, reserved_bytes, loss_scale, skipped), group /eval likewise (step, eval_loss,
// perplexity, token_accuracy). All datasets exist before SWMR writing starts; rows are only
// appended.
class SeriesFile {
 public:
  // Creates (truncating) `path` and switches it to SWMR write mode. Throws StorageError.
  SeriesFile(const std::string& path, const std::string& trial_id, const std::string& config_json);
  ~SeriesFile();
  SeriesFile(const SeriesFile&) = delete;
  SeriesFile& operator=(const SeriesFile&) = delete;

  static const std::vector<std::string>& TrainColumns();
  static const std::vector<std::string>& EvalColumns();

  // Appends one row to group "train" or "eval"; columns missing from `row` are stored as NaN,
  // unknown columns are an error. Flushes, so a reader sees the row even if the writer dies next.
  void Append(const std::string& group, const std::map<std::string, double>& row);

 private:
  struct Impl;
  Impl* impl_;
};

// Reads one column ("train/loss") of a series file, also one whose writer died. Throws
// StorageError naming the file and the dataset.
std::vector<double> ReadSeries(const std::string& path, const std::string& dataset);
// Reads a string attribute of the root group ("config", "trial_id"). Throws StorageError.
// A variable-length one is read in a child process (storage/child_call.h) stopped after the
// deadline below: libhdf5 can loop forever on a damaged global heap.
std::string ReadRootAttribute(const std::string& path, const std::string& name);

// The deadline of such a read (default 10 s; a sound file's takes well under a millisecond). The
// fuzz harness lowers it: mutated files make libhdf5 loop often, each loop costing the deadline.
void SetVariableStringDeadline(std::chrono::milliseconds deadline);

}  // namespace qlsweep::storage
