// Safetensors reading: round trip of a file written by the Python package, and bad files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "tests/support/expect_error.h"
#include "tests/support/scratch.h"
#include "trainer/io/safetensors.h"

namespace qlsweep::trainer {
namespace {

namespace fs = std::filesystem;

std::string WriteFile(const std::string& name, const std::string& header, size_t data_bytes) {
  const auto path = qlsweep::testing::ScratchPath("st/" + name);
  std::ofstream out(path, std::ios::binary);
  uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xFF));
  out << header << std::string(data_bytes, '\0');
  return path;
}

// Opening `path` fails with an error naming the file and `fragment`.
void ExpectError(const std::string& path, const std::string& fragment) {
  qlsweep::testing::ExpectError<std::runtime_error>([&] { SafetensorsFile file(path); },
                                                    {path, fragment});
}

TEST(Safetensors, ReadsTheReferenceFixture) {
  SafetensorsFile file(std::string(QLSWEEP_SOURCE_DIR) +
                       "/tests/assets/parity/bnb_4bit.safetensors");
  auto x = file.Read("normal.input");
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{16, 256}));
  EXPECT_EQ(x.dtype(), torch::kFloat32);
  EXPECT_FLOAT_EQ(x.index({3, 17}).item<float>(), 40.0f);  // the planted outlier
  EXPECT_EQ(file.metadata().at("bitsandbytes"), "0.50.2");
}

TEST(Safetensors, NamesTheFileAndTensorOfEachProblem) {
  ExpectError("/nonexistent/model.safetensors", "/nonexistent/model.safetensors: no such file");
  ExpectError("/dev/null", "/dev/null: is not a regular file");
  ExpectError(fs::path(qlsweep::testing::ScratchPath("st/folder/x")).parent_path().string(),
              "is a directory, not a file");
  {
    const auto path = qlsweep::testing::ScratchPath("st/tiny");
    std::ofstream(path) << "abc";
    ExpectError(path, "truncated");
  }
  {
    const auto path = qlsweep::testing::ScratchPath("st/biglen");
    std::ofstream out(path, std::ios::binary);
    out << std::string("\xff\xff\x00\x00\x00\x00\x00\x00", 8) << "{}";
    out.close();
    ExpectError(path, "bad header length");
  }
  ExpectError(WriteFile("json", "{not json", 0), "not a JSON object");
  ExpectError(
      WriteFile("dtype", R"({"w": {"dtype": "F8", "shape": [2], "data_offsets": [0, 2]}})", 2),
      "tensor 'w': unknown dtype");
  ExpectError(
      WriteFile("past", R"({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8),
      "tensor 'w': data_offsets [0,16] run past the end");
  ExpectError(
      WriteFile("size", R"({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}})", 8),
      "tensor 'w': holds 8 bytes but shape [3] of F32 needs 12");
  ExpectError(WriteFile("keys", R"({"w": {"dtype": "F32"}})", 0), "tensor 'w': needs dtype, shape");
  // Shapes and offsets that would overflow or point anywhere are refused before any arithmetic.
  ExpectError(
      WriteFile("notlist", R"({"w": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}})", 16),
      "tensor 'w': bad shape 4");
  ExpectError(WriteFile("overflow",
                        R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                        "data_offsets": [0, 16]}})",
                        16),
              "tensor 'w': bad shape");
  ExpectError(WriteFile("product",
                        R"({"w": {"dtype": "F32", "shape": [100, 100, 100, 100],
                        "data_offsets": [0, 16]}})",
                        65536),
              "holds more values than the file has bytes");
  ExpectError(WriteFile("wrap",
                        R"({"w": {"dtype": "F32", "shape": [4],
                        "data_offsets": [18446744073709551600, 0]}})",
                        16),
              "run past the end of the file");
}

}  // namespace
}  // namespace qlsweep::trainer
