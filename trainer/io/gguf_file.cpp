// GGUF parsing: header, metadata key/values of every type, tensor infos and the aligned data
// offset.
#include "trainer/io/gguf_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <stdexcept>

#include "sweeps/input_file.h"

namespace qlsweep::trainer {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr uint64_t kMaxDims = 4;
// Sanity bounds so that a corrupt count fails clearly instead of allocating without end.
constexpr uint64_t kMaxStringBytes = uint64_t{1} << 30;

// Messages quote names and strings from the file: bytes that are not UTF-8 are escaped, so the
// message can travel in a JSON event.
[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(sweeps::Utf8Safe(path + ": " + what));
}

// Bounds-checked little-endian reader over the mapped header bytes.
class Cursor {
 public:
  Cursor(const std::string& path, const uint8_t* data, uint64_t size)
      : path_(path), data_(data), size_(size) {}

  uint64_t pos() const { return pos_; }

  void Need(uint64_t n, const std::string& what) const {
    if (n > size_ || pos_ > size_ - n) {
      Fail(path_, "truncated GGUF header: " + what + " at byte " + std::to_string(pos_) +
                      " needs " + std::to_string(n) + " bytes but the file has " +
                      std::to_string(size_));
    }
  }

  template <typename T>
  T Read(const std::string& what) {
    Need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string ReadString(const std::string& what) {
    const uint64_t n = Read<uint64_t>(what + " (string length)");
    if (n > kMaxStringBytes) {
      Fail(path_, "corrupt GGUF header: " + what + " has string length " + std::to_string(n));
    }
    Need(n, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

bool IsIntegerType(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kBool:
      return true;
    default:
      return false;
  }
}

// Appends one scalar of type `t` to `v` (ints / floats / strings by kind).
void ReadScalar(Cursor& c, GgufType t, GgufValue& v, const std::string& what) {
  switch (t) {
    case GgufType::kUint8:
      v.ints.push_back(c.Read<uint8_t>(what));
      return;
    case GgufType::kInt8:
      v.ints.push_back(c.Read<int8_t>(what));
      return;
    case GgufType::kUint16:
      v.ints.push_back(c.Read<uint16_t>(what));
      return;
    case GgufType::kInt16:
      v.ints.push_back(c.Read<int16_t>(what));
      return;
    case GgufType::kUint32:
      v.ints.push_back(c.Read<uint32_t>(what));
      return;
    case GgufType::kInt32:
      v.ints.push_back(c.Read<int32_t>(what));
      return;
    case GgufType::kUint64:
      v.ints.push_back(static_cast<int64_t>(c.Read<uint64_t>(what)));
      return;
    case GgufType::kInt64:
      v.ints.push_back(c.Read<int64_t>(what));
      return;
    case GgufType::kBool:
      v.ints.push_back(c.Read<uint8_t>(what) != 0 ? 1 : 0);
      return;
    case GgufType::kFloat32:
      v.floats.push_back(c.Read<float>(what));
      return;
    case GgufType::kFloat64:
      v.floats.push_back(c.Read<double>(what));
      return;
    case GgufType::kString:
      v.strings.push_back(c.ReadString(what));
      return;
    case GgufType::kArray:
      break;
  }
  throw std::logic_error("ReadScalar on an array");
}

GgufType CheckType(const std::string& path, uint32_t code, const std::string& what) {
  if (code > static_cast<uint32_t>(GgufType::kFloat64)) {
    Fail(path, "corrupt GGUF header: " + what + " has unknown value type " + std::to_string(code));
  }
  return static_cast<GgufType>(code);
}

GgufValue ReadValue(const std::string& path, Cursor& c, GgufType t, const std::string& what) {
  GgufValue v;
  v.type = t;
  if (t != GgufType::kArray) {
    ReadScalar(c, t, v, what);
    return v;
  }
  v.elem_type = CheckType(path, c.Read<uint32_t>(what + " (array type)"), what);
  const uint64_t n = c.Read<uint64_t>(what + " (array length)");
  // Every element takes at least one byte, so a length beyond the file is corrupt.
  c.Need(std::min<uint64_t>(n, kMaxStringBytes), what + " (array of " + std::to_string(n) + ")");
  for (uint64_t i = 0; i < n; ++i) {
    if (v.elem_type == GgufType::kArray) {
      v.items.push_back(ReadValue(path, c, GgufType::kArray, what));
    } else {
      ReadScalar(c, v.elem_type, v, what);
    }
  }
  return v;
}

}  // namespace

const char* GgufTypeName(GgufType type) {
  static const char* kNames[] = {"UINT8",  "INT8",    "UINT16", "INT16",  "UINT32",
                                 "INT32",  "FLOAT32", "BOOL",   "STRING", "ARRAY",
                                 "UINT64", "INT64",   "FLOAT64"};
  const auto i = static_cast<uint32_t>(type);
  return i < std::size(kNames) ? kNames[i] : "UNKNOWN";
}

size_t GgufValue::size() const {
  if (!is_array()) return 1;
  return ints.size() + floats.size() + strings.size() + items.size();
}

std::optional<GgmlTypeTraits> GgmlTraits(uint32_t code) {
  // Block geometry as in gguf-py's GGML_QUANT_SIZES / ggml-common.h.
  switch (static_cast<GgmlType>(code)) {
    case GgmlType::kF32:
      return GgmlTypeTraits{"F32", 1, 4};
    case GgmlType::kF16:
      return GgmlTypeTraits{"F16", 1, 2};
    case GgmlType::kQ4_0:
      return GgmlTypeTraits{"Q4_0", 32, 2 + 16};
    case GgmlType::kQ4_1:
      return GgmlTypeTraits{"Q4_1", 32, 2 + 2 + 16};
    case GgmlType::kQ5_0:
      return GgmlTypeTraits{"Q5_0", 32, 2 + 4 + 16};
    case GgmlType::kQ5_1:
      return GgmlTypeTraits{"Q5_1", 32, 2 + 2 + 4 + 16};
    case GgmlType::kQ8_0:
      return GgmlTypeTraits{"Q8_0", 32, 2 + 32};
    case GgmlType::kQ8_1:
      return GgmlTypeTraits{"Q8_1", 32, 4 + 4 + 32};
    case GgmlType::kQ2_K:
      return GgmlTypeTraits{"Q2_K", 256, 2 + 2 + 16 + 64};
    case GgmlType::kQ3_K:
      return GgmlTypeTraits{"Q3_K", 256, 2 + 64 + 32 + 12};
    case GgmlType::kQ4_K:
      return GgmlTypeTraits{"Q4_K", 256, 2 + 2 + 128 + 12};
    case GgmlType::kQ5_K:
      return GgmlTypeTraits{"Q5_K", 256, 2 + 2 + 128 + 32 + 12};
    case GgmlType::kQ6_K:
      return GgmlTypeTraits{"Q6_K", 256, 2 + 128 + 64 + 16};
    case GgmlType::kQ8_K:
      return GgmlTypeTraits{"Q8_K", 256, 4 + 256 + 32};
    case GgmlType::kBF16:
      return GgmlTypeTraits{"BF16", 1, 2};
  }
  return std::nullopt;
}

std::string GgmlTypeName(uint32_t code) {
  auto t = GgmlTraits(code);
  return t ? std::string(t->name) : "type " + std::to_string(code);
}

int64_t GgufTensorInfo::elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

GgufFile::GgufFile(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) Fail(path, std::string("cannot open GGUF file: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) != 0) {
    ::close(fd_);
    Fail(path, std::string("cannot stat GGUF file: ") + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    Fail(path, S_ISDIR(st.st_mode) ? "is a directory, not a GGUF file"
                                   : "is not a regular file (a device, FIFO or socket)");
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd_, 0);
    if (m == MAP_FAILED) {
      ::close(fd_);
      Fail(path, std::string("cannot map GGUF file: ") + std::strerror(errno));
    }
    data_ = static_cast<const uint8_t*>(m);
  }
  try {
    Cursor c(path_, data_, size_);
    const auto magic = c.Read<uint32_t>("magic");
    if (magic != kMagic) {
      char got[5] = {};
      std::memcpy(got, &magic, 4);
      for (char& ch : got) {
        if (ch != 0 && (ch < 32 || ch > 126)) ch = '?';
      }
      Fail(path_, std::string("not a GGUF file: bad magic '") + got + "' (expected 'GGUF')");
    }
    version_ = c.Read<uint32_t>("version");
    if (version_ != 2 && version_ != 3) {
      Fail(path_, "unsupported GGUF version " + std::to_string(version_) +
                      " (supported: 2 and 3, little-endian)");
    }
    const auto n_tensors = c.Read<uint64_t>("tensor count");
    const auto n_kv = c.Read<uint64_t>("metadata count");
    // Each key/value and tensor info takes more than 8 bytes: larger counts are corrupt.
    if (n_tensors > size_ / 8 || n_kv > size_ / 8) {
      Fail(path_, "corrupt GGUF header: " + std::to_string(n_tensors) + " tensors and " +
                      std::to_string(n_kv) + " metadata keys in a file of " +
                      std::to_string(size_) + " bytes");
    }
    for (uint64_t i = 0; i < n_kv; ++i) {
      std::string key = c.ReadString("metadata key #" + std::to_string(i));
      const std::string what = "metadata '" + key + "'";
      const GgufType t = CheckType(path_, c.Read<uint32_t>(what + " (type)"), what);
      GgufValue v = ReadValue(path_, c, t, what);
      if (kv_.count(key) != 0) Fail(path_, "duplicate " + what);
      key_order_.push_back(key);
      kv_.emplace(std::move(key), std::move(v));
    }
    if (const GgufValue* a = Find("general.alignment")) {
      if (a->is_array() || a->ints.size() != 1 || a->ints[0] <= 0 ||
          (a->ints[0] & (a->ints[0] - 1)) != 0) {
        Fail(path_, "metadata 'general.alignment' must be a power-of-two integer");
      }
      alignment_ = static_cast<uint64_t>(a->ints[0]);
    }
    for (uint64_t i = 0; i < n_tensors; ++i) {
      GgufTensorInfo info;
      info.name = c.ReadString("tensor info #" + std::to_string(i));
      const std::string what = "tensor '" + info.name + "'";
      const auto n_dims = c.Read<uint32_t>(what + " (dimension count)");
      if (n_dims == 0 || n_dims > kMaxDims) {
        Fail(path_, what + " has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
      }
      for (uint32_t d = 0; d < n_dims; ++d) {
        const auto ne = c.Read<uint64_t>(what + " (dimensions)");
        if (ne == 0 || ne > (uint64_t{1} << 40)) {
          Fail(path_, what + " has invalid dimension " + std::to_string(ne));
        }
        info.dims.push_back(static_cast<int64_t>(ne));
      }
      info.type = c.Read<uint32_t>(what + " (type)");
      info.offset = c.Read<uint64_t>(what + " (offset)");
      const auto traits = GgmlTraits(info.type);
      if (!traits) {
        Fail(path_, what + " has unknown tensor type " + std::to_string(info.type));
      }
      if (info.dims[0] % traits->block_elems != 0) {
        Fail(path_, what + " of type " + traits->name + " has row length " +
                        std::to_string(info.dims[0]) + ", not a multiple of its block size " +
                        std::to_string(traits->block_elems));
      }
      info.nbytes = static_cast<uint64_t>(info.elements() / traits->block_elems) *
                    static_cast<uint64_t>(traits->block_bytes);
      if (tensor_index_.count(info.name) != 0) Fail(path_, "duplicate " + what);
      tensor_index_.emplace(info.name, tensors_.size());
      tensors_.push_back(std::move(info));
    }
    data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
    for (GgufTensorInfo& info : tensors_) {
      const std::string what = "tensor '" + info.name + "'";
      if (info.offset % alignment_ != 0) {
        Fail(path_, what + " offset " + std::to_string(info.offset) +
                        " is not a multiple of the alignment " + std::to_string(alignment_));
      }
      info.file_offset = data_offset_ + info.offset;
      if (info.offset > size_ || info.file_offset > size_ ||
          info.nbytes > size_ - info.file_offset) {
        Fail(path_, what + " data [" + std::to_string(info.file_offset) + ", " +
                        std::to_string(info.file_offset + info.nbytes) +
                        ") runs past the end of the file (" + std::to_string(size_) +
                        " bytes): truncated or corrupt");
      }
    }
  } catch (...) {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    ::close(fd_);
    throw;
  }
}

GgufFile::~GgufFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

const GgufValue* GgufFile::Find(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

const GgufValue& GgufFile::Get(const std::string& key) const {
  const GgufValue* v = Find(key);
  if (v == nullptr) Fail(path_, "required metadata key '" + key + "' is missing");
  return *v;
}

int64_t GgufFile::GetInt(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.is_array() || !IsIntegerType(v.type)) {
    Fail(path_, "metadata '" + key + "' is " + GgufTypeName(v.type) + ", expected an integer");
  }
  return v.ints[0];
}

double GgufFile::GetFloat(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (!v.is_array() && !v.floats.empty()) return v.floats[0];
  if (!v.is_array() && IsIntegerType(v.type)) return static_cast<double>(v.ints[0]);
  Fail(path_, "metadata '" + key + "' is " + GgufTypeName(v.type) + ", expected a number");
}

const std::string& GgufFile::GetString(const std::string& key) const {
  const GgufValue& v = Get(key);
  if (v.type != GgufType::kString) {
    Fail(path_, "metadata '" + key + "' is " + GgufTypeName(v.type) + ", expected a string");
  }
  return v.strings[0];
}

const GgufTensorInfo* GgufFile::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const uint8_t* GgufFile::TensorData(const GgufTensorInfo& info) const {
  return data_ + info.file_offset;
}

GgufVocab ReadGgufTokenizer(const GgufFile& f) {
  GgufVocab t;
  t.source = f.path();
  auto string_array = [&](const std::string& key, bool required) {
    const GgufValue* v = required ? &f.Get(key) : f.Find(key);
    if (v == nullptr) return std::vector<std::string>{};
    if (!v->is_array() || v->elem_type != GgufType::kString) {
      Fail(f.path(), "metadata '" + key + "' must be an array of strings");
    }
    return v->strings;
  };
  auto optional_int = [&](const std::string& key) -> std::optional<int32_t> {
    if (f.Find(key) == nullptr) return std::nullopt;
    return static_cast<int32_t>(f.GetInt(key));
  };
  auto optional_bool = [&](const std::string& key) -> std::optional<bool> {
    if (f.Find(key) == nullptr) return std::nullopt;
    return f.GetInt(key) != 0;
  };
  t.tokens = string_array("tokenizer.ggml.tokens", true);
  t.merges = string_array("tokenizer.ggml.merges", false);
  if (f.Find("tokenizer.ggml.model")) t.model = f.GetString("tokenizer.ggml.model");
  if (f.Find("tokenizer.ggml.pre")) t.pre = f.GetString("tokenizer.ggml.pre");
  if (f.Find("tokenizer.chat_template")) t.chat_template = f.GetString("tokenizer.chat_template");
  if (const GgufValue* s = f.Find("tokenizer.ggml.scores")) {
    if (!s->is_array() || s->floats.size() != t.tokens.size()) {
      Fail(f.path(),
           "metadata 'tokenizer.ggml.scores' must be a float array of one score per token");
    }
    t.scores.assign(s->floats.begin(), s->floats.end());
  }
  if (const GgufValue* s = f.Find("tokenizer.ggml.token_type")) {
    if (!s->is_array() || s->ints.size() != t.tokens.size()) {
      Fail(f.path(),
           "metadata 'tokenizer.ggml.token_type' must be an integer array of one type per token");
    }
    t.token_types.reserve(s->ints.size());
    for (int64_t type : s->ints) t.token_types.push_back(static_cast<int32_t>(type));
  }
  t.bos_id = optional_int("tokenizer.ggml.bos_token_id");
  t.eos_id = optional_int("tokenizer.ggml.eos_token_id");
  t.unk_id = optional_int("tokenizer.ggml.unknown_token_id");
  t.add_bos = optional_bool("tokenizer.ggml.add_bos_token");
  t.add_eos = optional_bool("tokenizer.ggml.add_eos_token");
  t.add_space_prefix = optional_bool("tokenizer.ggml.add_space_prefix");
  return t;
}

}  // namespace qlsweep::trainer
