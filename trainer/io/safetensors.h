// SafetensorsFile: reads tensors one at a time from a .safetensors file (the HF format).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace qlsweep::trainer {

// Format: u64 little-endian header length N, N bytes of JSON
// {"__metadata__": {str: str}, NAME: {"dtype": "F32", "shape": [...], "data_offsets": [b, e]}},
// then the data; offsets are relative to the end of the header. Every problem (missing file,
// header length past the end, bad JSON, unknown dtype, offsets past the end or not matching the
// shape) throws std::runtime_error naming the file and, where there is one, the tensor.
class SafetensorsFile {
 public:
  explicit SafetensorsFile(const std::string& path);

  struct Entry {
    torch::Dtype dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // absolute byte range in the file
  };

  const std::string& path() const { return path_; }
  const std::map<std::string, Entry>& entries() const { return entries_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  bool Has(const std::string& name) const { return entries_.count(name) > 0; }
  // The tensor's bytes, read from disk now: a CPU tensor of its stored dtype and shape.
  torch::Tensor Read(const std::string& name) const;

 private:
  std::string path_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace qlsweep::trainer
