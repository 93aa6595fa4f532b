// GgufFile: a torch-free parser of GGUF files (header, metadata, tensor infos) over a read-only
// mmap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "trainer/tokenizer/gguf_vocab.h"

namespace qlsweep::trainer {

// GGUF metadata value types (the numbers are the on-disk codes).
enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char* GgufTypeName(GgufType type);

// One metadata value. A scalar fills exactly one element of the vector matching its kind
// (integers and bool -> ints, floats -> floats, strings -> strings); an array of scalars fills
// that vector with all its elements; an array of arrays fills `items`.
struct GgufValue {
  GgufType type = GgufType::kUint8;       // scalar type, or kArray
  GgufType elem_type = GgufType::kUint8;  // arrays: the element type
  std::vector<int64_t> ints;  // all integer types and bool; UINT64 keeps its bit pattern
  std::vector<double> floats;
  std::vector<std::string> strings;
  std::vector<GgufValue> items;  // nested arrays

  bool is_array() const { return type == GgufType::kArray; }
  // Number of elements of an array (1 for a scalar).
  size_t size() const;
};

// ggml tensor types (on-disk codes). Only some can be dequantized (see GgmlTypeSupported).
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kBF16 = 30,
};

// Block geometry of a ggml type: `block_elems` values are stored in `block_bytes` bytes.
struct GgmlTypeTraits {
  const char* name;
  int64_t block_elems;
  int64_t block_bytes;
};
// Traits of a type code, or nullopt when the code is not a ggml type this build knows.
std::optional<GgmlTypeTraits> GgmlTraits(uint32_t type_code);
std::string GgmlTypeName(uint32_t type_code);  // "Q4_1", or "type 99" when unknown

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // ne: fastest-varying first (dims[0] = in_features of a matrix)
  uint32_t type = 0;          // GgmlType code
  uint64_t offset = 0;        // from the start of the data section
  uint64_t file_offset = 0;   // absolute position in the file
  uint64_t nbytes = 0;
  int64_t elements() const;
};

// A parsed GGUF file (versions 2 and 3, little-endian). The file stays mapped for tensor reads.
// Every error is a std::runtime_error that names the file and, where one is involved, the key or
// tensor: missing file, truncated header, bad magic, unsupported version, unknown tensor type,
// tensor data past the end of the file, bad alignment.
class GgufFile {
 public:
  explicit GgufFile(const std::string& path);
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return size_; }

  // Metadata in file order of keys (map for lookup; keys() keeps the file order).
  const std::vector<std::string>& keys() const { return key_order_; }
  const GgufValue* Find(const std::string& key) const;
  // Typed getters: throw naming the file and the key when it is missing or has the wrong kind.
  int64_t GetInt(const std::string& key) const;
  double GetFloat(const std::string& key) const;  // accepts integer values too
  const std::string& GetString(const std::string& key) const;
  const GgufValue& Get(const std::string& key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* FindTensor(const std::string& name) const;
  // The tensor's raw bytes inside the mapping (valid while this object lives).
  const uint8_t* TensorData(const GgufTensorInfo& info) const;

 private:
  std::string path_;
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<std::string> key_order_;
  std::map<std::string, GgufValue> kv_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// The tokenizer as llama.cpp stores it in GGUF metadata (tokenizer.ggml.*), as plain values.
// Optional fields are empty / nullopt when the file lacks the key.
// Throws naming the file when tokenizer.ggml.tokens is missing.
GgufVocab ReadGgufTokenizer(const GgufFile& file);

}  // namespace qlsweep::trainer
