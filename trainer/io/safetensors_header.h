// Safetensors headers and model.safetensors.index.json read without torch (fuzz/ fuzzes both).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qlsweep::trainer {

// One tensor of a safetensors header, checked against the file: a known dtype, a shape whose
// element count matches the byte range, the range inside the file.
struct SafetensorsHeaderEntry {
  std::string dtype;  // "F32", "BF16", ... (SafetensorsDtypeBytes knows it)
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // absolute byte range in the file
};

struct SafetensorsHeader {
  std::map<std::string, SafetensorsHeaderEntry> entries;
  std::map<std::string, std::string> metadata;  // "__metadata__"; non-string values as JSON
};

// Bytes per element of a safetensors dtype name; 0 for a name the reader does not know.
int64_t SafetensorsDtypeBytes(const std::string& dtype);

// Reads and checks the header of the safetensors file at `path` (format in safetensors.h). Every
// problem throws std::runtime_error naming the file and, where there is one, the tensor.
SafetensorsHeader ReadSafetensorsHeader(const std::string& path);

// The weight_map of a model.safetensors.index.json (tensor name -> shard file name). Each shard
// is a plain file name in the index's folder (no '/', '\', '..'). Errors are std::runtime_error
// naming the index file and the key or tensor.
std::map<std::string, std::string> ReadSafetensorsIndex(const std::string& path);

}  // namespace qlsweep::trainer
