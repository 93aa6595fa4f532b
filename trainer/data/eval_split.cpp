// FNV-1a document hashing and the hash-threshold eval split.
#include "trainer/data/eval_split.h"

#include <cstring>

namespace qlsweep::trainer {
namespace {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

void Mix(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnvPrime;
  }
}

// Final avalanche (splitmix64's) so that the top bits are uniform even for short inputs.
uint64_t Avalanche(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t DocumentHash(const Document& doc) {
  uint64_t h = kFnvOffset;
  const uint64_t sizes[3] = {doc.prompt.size(), doc.response.size(), doc.ids.size()};
  Mix(h, sizes, sizeof(sizes));  // lengths first, so "ab"+"c" differs from "a"+"bc"
  Mix(h, doc.prompt.data(), doc.prompt.size());
  Mix(h, doc.response.data(), doc.response.size());
  for (int64_t id : doc.ids) Mix(h, &id, sizeof(id));
  return Avalanche(h);
}

bool InEvalSplit(const Document& doc, double eval_fraction) {
  // Top 53 bits as a double in [0, 1).
  const double u = static_cast<double>(DocumentHash(doc) >> 11) * 0x1.0p-53;
  return u < eval_fraction;
}

}  // namespace qlsweep::trainer
