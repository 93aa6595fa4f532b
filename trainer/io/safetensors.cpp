// Safetensors parsing with nlohmann::json and positioned reads; nothing is mapped whole.
#include "trainer/io/safetensors.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sweeps/input_file.h"

namespace qlsweep::trainer {
namespace {

constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit is 100 MB

struct DtypeInfo {
  torch::Dtype dtype;
  int64_t bytes;
};

bool ParseDtype(const std::string& name, DtypeInfo* info) {
  static const std::map<std::string, DtypeInfo> kTypes = {
      {"F64", {torch::kFloat64, 8}},   {"F32", {torch::kFloat32, 4}}, {"F16", {torch::kFloat16, 2}},
      {"BF16", {torch::kBFloat16, 2}}, {"I64", {torch::kInt64, 8}},   {"I32", {torch::kInt32, 4}},
      {"I16", {torch::kInt16, 2}},     {"I8", {torch::kInt8, 1}},     {"U8", {torch::kUInt8, 1}},
      {"BOOL", {torch::kBool, 1}}};
  const auto it = kTypes.find(name);
  if (it == kTypes.end()) return false;
  *info = it->second;
  return true;
}

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  if (const std::string problem = sweeps::FileProblem(path); !problem.empty()) {
    Fail(path, problem + " (a safetensors file is expected)");
  }
  std::error_code ec;
  const auto file_size = std::filesystem::file_size(path, ec);
  if (ec) Fail(path, "cannot open safetensors file: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail(path, "cannot open safetensors file");
  if (file_size < 8) Fail(path, "truncated: " + std::to_string(file_size) + " bytes, no header");
  uint8_t len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > kMaxHeader || 8 + header_len > file_size) {
    Fail(path, "bad header length " + std::to_string(header_len) + " for a file of " +
                   std::to_string(file_size) + " bytes");
  }
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  const auto doc = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) Fail(path, "header is not a JSON object");
  const uint64_t data_start = 8 + header_len;
  for (const auto& [name, info] : doc.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) Fail(path, "__metadata__ is not an object");
      for (const auto& [k, v] : info.items())
        metadata_[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    const auto where = "tensor '" + name + "': ";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets")) {
      Fail(path, where + "needs dtype, shape and data_offsets");
    }
    DtypeInfo type{};
    if (!info["dtype"].is_string() || !ParseDtype(info["dtype"].get<std::string>(), &type)) {
      Fail(path, where + "unknown dtype " + info["dtype"].dump());
    }
    Entry entry;
    entry.dtype = type.dtype;
    // The element count is bounded by the file's bytes, so dimensions past that are refused
    // before their product can overflow.
    uint64_t count = 1;
    if (!info["shape"].is_array()) Fail(path, where + "bad shape " + info["shape"].dump());
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > file_size) {
        Fail(path, where + "bad shape " + info["shape"].dump());
      }
      const uint64_t dim = d.get<uint64_t>();
      entry.shape.push_back(static_cast<int64_t>(dim));
      if (dim != 0 && count > file_size / dim) {
        Fail(path, where + "shape " + info["shape"].dump() + " holds more values than the file " +
                       "has bytes (" + std::to_string(file_size) + ")");
      }
      count *= dim;
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned()) {
      Fail(path, where + "bad data_offsets " + off.dump());
    }
    if (off[0].get<uint64_t>() > file_size || off[1].get<uint64_t>() > file_size) {
      Fail(path, where + "data_offsets " + off.dump() + " run past the end of the file (" +
                     std::to_string(file_size - data_start) + " data bytes)");
    }
    entry.begin = data_start + off[0].get<uint64_t>();
    entry.end = data_start + off[1].get<uint64_t>();
    if (entry.end < entry.begin || entry.end > file_size) {
      Fail(path, where + "data_offsets " + off.dump() + " run past the end of the file (" +
                     std::to_string(file_size - data_start) + " data bytes)");
    }
    if (entry.end - entry.begin != count * static_cast<uint64_t>(type.bytes)) {
      Fail(path, where + "holds " + std::to_string(entry.end - entry.begin) + " bytes but shape " +
                     info["shape"].dump() + " of " + info["dtype"].get<std::string>() + " needs " +
                     std::to_string(count * static_cast<uint64_t>(type.bytes)));
    }
    entries_[name] = std::move(entry);
  }
}

torch::Tensor SafetensorsFile::Read(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) Fail(path_, "no tensor named '" + name + "'");
  const auto& e = it->second;
  auto out = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
  std::ifstream in(path_, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(e.begin));
  in.read(static_cast<char*>(out.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
  if (!in) Fail(path_, "tensor '" + name + "': read failed (file changed or truncated?)");
  return out;
}

}  // namespace qlsweep::trainer
