// Safetensors tensors read with positioned reads; nothing is mapped whole.
#include "trainer/io/safetensors.h"

#include <fstream>
#include <stdexcept>

#include "trainer/io/safetensors_header.h"

namespace qlsweep::trainer {
namespace {

torch::Dtype TorchDtype(const std::string& name) {
  static const std::map<std::string, torch::Dtype> kTypes = {
      {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
      {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
      {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
      {"BOOL", torch::kBool}};
  return kTypes.at(name);  // ReadSafetensorsHeader admits only these names
}

[[noreturn]] void Fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace

// The header is read and checked without torch (safetensors_header.h; fuzz/ fuzzes it).
SafetensorsFile::SafetensorsFile(const std::string& path) : path_(path) {
  SafetensorsHeader header = ReadSafetensorsHeader(path);
  metadata_ = std::move(header.metadata);
  for (auto& [name, e] : header.entries) {
    entries_[name] = Entry{TorchDtype(e.dtype), std::move(e.shape), e.begin, e.end};
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
