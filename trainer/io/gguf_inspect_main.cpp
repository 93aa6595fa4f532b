// gguf_inspect: prints a GGUF file's header, metadata and tensor table (types, shapes, offsets).
#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "trainer/io/gguf_dequant.h"
#include "trainer/io/gguf_file.h"

namespace {

using qlsweep::trainer::GgufFile;
using qlsweep::trainer::GgufType;
using qlsweep::trainer::GgufValue;

// A short rendering of a value: scalars in full (strings cut at 80 chars), arrays by length and
// their first elements.
std::string Render(const GgufValue& v) {
  auto cut = [](const std::string& s) { return s.size() > 80 ? s.substr(0, 77) + "..." : s; };
  auto elem = [&](size_t i) -> std::string {
    if (!v.strings.empty()) return "\"" + cut(v.strings[i]) + "\"";
    if (!v.floats.empty()) return std::to_string(v.floats[i]);
    if (!v.ints.empty()) return std::to_string(v.ints[i]);
    return "[...]";
  };
  if (!v.is_array()) return elem(0);
  std::string out = std::string("[") + qlsweep::trainer::GgufTypeName(v.elem_type) + " x " +
                    std::to_string(v.size()) + "]";
  for (size_t i = 0; i < std::min<size_t>(v.size(), 3); ++i) out += (i ? ", " : " ") + elem(i);
  return out + (v.size() > 3 ? ", ..." : "");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::string(argv[2]) != "--stats")) {
    std::fprintf(stderr, "usage: gguf_inspect FILE.gguf [--stats]\n");
    return 2;
  }
  const bool stats = argc == 3;
  try {
    const GgufFile f(argv[1]);
    std::printf(
        "file %s: GGUF v%u, %zu bytes, %zu metadata keys, %zu tensors, alignment %llu, "
        "data at %llu\n",
        f.path().c_str(), f.version(), static_cast<size_t>(f.file_size()), f.keys().size(),
        f.tensors().size(), static_cast<unsigned long long>(f.alignment()),
        static_cast<unsigned long long>(f.data_offset()));
    for (const std::string& key : f.keys()) {
      const GgufValue& v = f.Get(key);
      std::printf("  %-45s %-8s %s\n", key.c_str(), qlsweep::trainer::GgufTypeName(v.type),
                  Render(v).c_str());
    }
    std::map<std::string, int> by_type;
    for (const auto& t : f.tensors()) {
      std::string dims;
      for (int64_t d : t.dims) dims += (dims.empty() ? "" : " x ") + std::to_string(d);
      std::printf("  %-32s %-5s ne=[%s] offset=%llu bytes=%llu", t.name.c_str(),
                  qlsweep::trainer::GgmlTypeName(t.type).c_str(), dims.c_str(),
                  static_cast<unsigned long long>(t.offset),
                  static_cast<unsigned long long>(t.nbytes));
      if (stats && qlsweep::trainer::GgmlTypeSupported(t.type)) {
        std::vector<float> x(static_cast<size_t>(t.elements()));
        qlsweep::trainer::DequantizeGgml(t.type, f.TensorData(t), t.elements(), x.data());
        double sum = 0, sq = 0, lo = INFINITY, hi = -INFINITY;
        for (float e : x) {
          sum += e;
          sq += static_cast<double>(e) * e;
          lo = std::min<double>(lo, e);
          hi = std::max<double>(hi, e);
        }
        const double n = static_cast<double>(x.size());
        std::printf(" mean=%.4g rms=%.4g min=%.4g max=%.4g", sum / n, std::sqrt(sq / n), lo, hi);
      }
      std::printf("\n");
      ++by_type[qlsweep::trainer::GgmlTypeName(t.type)];
    }
    std::printf("tensor types:");
    for (const auto& [type, n] : by_type) std::printf(" %s x %d", type.c_str(), n);
    std::printf("\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gguf_inspect: %s\n", e.what());
    return 1;
  }
  return 0;
}
