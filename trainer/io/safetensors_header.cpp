// Safetensors headers and shard indexes: nlohmann::json and positioned reads, no torch.
#include "trainer/io/safetensors_header.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sweeps/input_file.h"

namespace qlsweep::trainer {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxHeader = 100ull << 20;  // the format's own limit is 100 MB

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// A shard file name from the index's weight_map: a plain file name in the folder, never a path
// that could leave it (`..`, absolute, separators).
std::string ShardName(const json& value, const std::string& index, const std::string& tensor) {
  if (!value.is_string()) {
    throw std::runtime_error(index + ": key \"weight_map\" entry \"" + tensor +
                             "\" must be a file name string, got " + value.dump());
  }
  const std::string shard = value.get<std::string>();
  if (shard.empty() || shard == "." || shard == ".." ||
      shard.find_first_of(std::string("/\\\0", 3)) != std::string::npos) {
    throw std::runtime_error(index + ": key \"weight_map\" entry \"" + tensor +
                             "\" names shard \"" + shard +
                             "\", which is not a plain file name in the checkpoint folder "
                             "(no '/', '\\', '..' or absolute paths)");
  }
  return shard;
}

}  // namespace

int64_t SafetensorsDtypeBytes(const std::string& dtype) {
  static const std::map<std::string, int64_t> kBytes = {
      {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
      {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};
  const auto it = kBytes.find(dtype);
  return it == kBytes.end() ? 0 : it->second;
}

SafetensorsHeader ReadSafetensorsHeader(const std::string& path) {
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
  std::string header_text(header_len, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_len));
  const auto doc = json::parse(header_text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) Fail(path, "header is not a JSON object");
  const uint64_t data_start = 8 + header_len;
  SafetensorsHeader header;
  for (const auto& [name, info] : doc.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) Fail(path, "__metadata__ is not an object");
      for (const auto& [k, v] : info.items())
        header.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
      continue;
    }
    const auto where = "tensor '" + name + "': ";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets")) {
      Fail(path, where + "needs dtype, shape and data_offsets");
    }
    const int64_t bytes =
        info["dtype"].is_string() ? SafetensorsDtypeBytes(info["dtype"].get<std::string>()) : 0;
    if (bytes == 0) Fail(path, where + "unknown dtype " + info["dtype"].dump());
    SafetensorsHeaderEntry entry;
    entry.dtype = info["dtype"].get<std::string>();
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
    if (entry.end - entry.begin != count * static_cast<uint64_t>(bytes)) {
      Fail(path, where + "holds " + std::to_string(entry.end - entry.begin) + " bytes but shape " +
                     info["shape"].dump() + " of " + entry.dtype + " needs " +
                     std::to_string(count * static_cast<uint64_t>(bytes)));
    }
    header.entries[name] = std::move(entry);
  }
  return header;
}

std::map<std::string, std::string> ReadSafetensorsIndex(const std::string& path) {
  const json j = sweeps::ReadJsonFile(path);
  if (!j.is_object()) {
    throw std::runtime_error(path + ": invalid JSON: expected an object, got " +
                             std::string(j.type_name()));
  }
  if (!j.contains("weight_map") || !j["weight_map"].is_object()) {
    throw std::runtime_error(path + ": required key \"weight_map\" is missing");
  }
  std::map<std::string, std::string> shards;
  for (const auto& [tensor, shard] : j["weight_map"].items())
    shards[tensor] = ShardName(shard, path, tensor);
  return shards;
}

}  // namespace qlsweep::trainer
