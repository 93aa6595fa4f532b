// The collective checks: values per rank, expected sums and gathers, guards after each buffer,
// and the same result on every rank.
#include "tests/trainer/dist/collective_checks.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "trainer/dist/half_float.h"

namespace qlsweep::dist::test {
namespace {

constexpr size_t kGuard = 64;  // bytes after each buffer that no collective may touch
constexpr std::byte kGuardByte{0xCD};
constexpr std::byte kUnwritten{0xAB};  // what a result buffer holds before the collective
constexpr int kMaxReports = 5;         // mismatches reported per check

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

template <typename T>
void Store(std::byte* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

template <typename T>
T Load(const std::byte* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

void Encode(DType dtype, double value, std::byte* at) {
  switch (dtype) {
    case DType::kFloat32:
      return Store(at, static_cast<float>(value));
    case DType::kFloat64:
      return Store(at, value);
    case DType::kBFloat16:
      return Store(at, FloatToBFloat16(static_cast<float>(value)));
    case DType::kFloat16:
      return Store(at, FloatToHalf(static_cast<float>(value)));
    case DType::kUInt8:
      return Store(at, static_cast<uint8_t>(value));
    case DType::kInt32:
      return Store(at, static_cast<int32_t>(value));
    case DType::kInt64:
      return Store(at, static_cast<int64_t>(value));
  }
}

double Decode(DType dtype, const std::byte* at) {
  switch (dtype) {
    case DType::kFloat32:
      return Load<float>(at);
    case DType::kFloat64:
      return Load<double>(at);
    case DType::kBFloat16:
      return BFloat16ToFloat(Load<uint16_t>(at));
    case DType::kFloat16:
      return HalfToFloat(Load<uint16_t>(at));
    case DType::kUInt8:
      return Load<uint8_t>(at);
    case DType::kInt32:
      return Load<int32_t>(at);
    case DType::kInt64:
      return static_cast<double>(Load<int64_t>(at));
  }
  return NAN;
}

// Elements first .. first + count - 1 of `rank`'s values, encoded.
std::vector<std::byte> Values(DType dtype, int rank, size_t first, size_t count) {
  std::vector<std::byte> bytes(count * DTypeSize(dtype));
  for (size_t i = 0; i < count; ++i) {
    Encode(dtype, ValueAt(dtype, rank, first + i), bytes.data() + i * DTypeSize(dtype));
  }
  return bytes;
}

// A buffer of the communicator's memory holding `host`, followed by the guard bytes.
std::byte* Upload(TestMemory& memory, std::vector<std::byte> host) {
  const size_t bytes = host.size();
  host.resize(bytes + kGuard, kGuardByte);
  std::byte* buffer = memory.Allocate(host.size());
  memory.CopyIn(buffer, host.data(), host.size());
  return buffer;
}

// The first `bytes` of a buffer; fails when the guard after them changed (check_guard).
std::vector<std::byte> Download(TestMemory& memory, const std::byte* buffer, size_t bytes,
                                bool check_guard = true) {
  std::vector<std::byte> host(bytes + (check_guard ? kGuard : 0));
  memory.CopyOut(host.data(), buffer, host.size());
  for (size_t i = bytes; i < host.size(); ++i) {
    if (host[i] != kGuardByte) {
      ADD_FAILURE() << "the collective wrote past its buffer (byte " << i - bytes << " after it)";
      break;
    }
  }
  host.resize(bytes);
  return host;
}

// Unit roundoff of the types whose sums round: 2^-8 (bfloat16, 8 significant bits), 2^-11 (half).
double UnitRoundoff(DType dtype) {
  if (dtype == DType::kBFloat16) return std::ldexp(1.0, -8);
  if (dtype == DType::kFloat16) return std::ldexp(1.0, -11);
  return 0;  // the values of the other types are chosen to sum exactly
}

// got[i] must be the sum over `ranks` ranks of element first + i.
void ExpectSums(DType dtype, const std::vector<std::byte>& got, int ranks, size_t first) {
  const size_t count = got.size() / DTypeSize(dtype);
  // A sum of `ranks` values is ranks - 1 additions, each rounded to the 16-bit type once (the MPI
  // ops and NCCL alike), in whatever tree the algorithm uses: |error| <= gamma * sum |x| with
  // gamma = k u / (1 - k u), k = ranks - 1 (Higham, Accuracy and Stability, (4.4)).
  const double k = ranks - 1;
  const double gamma = k * UnitRoundoff(dtype) / (1 - k * UnitRoundoff(dtype));
  int reports = 0;
  for (size_t i = 0; i < count && reports < kMaxReports; ++i) {
    double exact = 0;
    double magnitude = 0;
    for (int r = 0; r < ranks; ++r) {
      exact += ValueAt(dtype, r, first + i);
      magnitude += std::fabs(ValueAt(dtype, r, first + i));
    }
    const double value = Decode(dtype, got.data() + i * DTypeSize(dtype));
    if (!(std::fabs(value - exact) <= gamma * magnitude)) {
      ADD_FAILURE() << "element " << i << ": " << value << ", expected " << exact << " (tolerance "
                    << gamma * magnitude << ")";
      ++reports;
    }
  }
}

void ExpectBytes(DType dtype, const std::vector<std::byte>& got,
                 const std::vector<std::byte>& want) {
  ASSERT_EQ(got.size(), want.size());
  const size_t element = DTypeSize(dtype);
  int reports = 0;
  for (size_t i = 0; i < got.size() / element && reports < kMaxReports; ++i) {
    if (std::memcmp(got.data() + i * element, want.data() + i * element, element) != 0) {
      ADD_FAILURE() << "element " << i << ": " << Decode(dtype, got.data() + i * element)
                    << ", expected " << Decode(dtype, want.data() + i * element);
      ++reports;
    }
  }
}

// The ranks (all of MPI_COMM_WORLD) must hold the same bytes: a data-parallel step whose ranks
// summed their gradients differently would drift apart.
void ExpectSameOnEveryRank(const std::vector<std::byte>& bytes) {
  uint64_t hash = 1469598103934665603ull;  // FNV-1a
  for (std::byte b : bytes) hash = (hash ^ static_cast<uint64_t>(b)) * 1099511628211ull;
  uint64_t low = 0;
  uint64_t high = 0;
  MPI_Allreduce(&hash, &low, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(&hash, &high, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
  EXPECT_EQ(low, high) << "the ranks hold different results";
}

std::string Label(const char* op, DType dtype, size_t count, const Communicator& comm) {
  return std::string(op) + " of " + std::to_string(count) + " " + DTypeName(dtype) + ", rank " +
         std::to_string(comm.Rank()) + " of " + std::to_string(comm.Size());
}

class HostMemory final : public TestMemory {
 public:
  std::byte* Allocate(size_t bytes) override {
    buffers_.push_back(std::make_unique<std::byte[]>(bytes));
    return buffers_.back().get();
  }
  void CopyIn(std::byte* to, const std::byte* from, size_t bytes) override {
    std::memcpy(to, from, bytes);
  }
  void CopyOut(std::byte* to, const std::byte* from, size_t bytes) override {
    std::memcpy(to, from, bytes);
  }

 private:
  std::vector<std::unique_ptr<std::byte[]>> buffers_;
};

}  // namespace

std::unique_ptr<TestMemory> MakeHostMemory() { return std::make_unique<HostMemory>(); }

double ValueAt(DType dtype, int rank, size_t i) {
  const uint64_t h =
      SplitMix64((static_cast<uint64_t>(dtype) << 56) ^ (static_cast<uint64_t>(rank) << 40) ^ i);
  const double centred = static_cast<double>(h % 2001) - 1000;    // -1000 .. 1000
  const double unit = static_cast<double>(h >> 40) / 16777216.0;  // [0, 1), 24 bits
  switch (dtype) {
    case DType::kFloat32:
      return centred * 0.25;
    case DType::kFloat64:
      return std::ldexp(1.0, 40) + centred * 0.25;
    case DType::kBFloat16:
      return BFloat16ToFloat(FloatToBFloat16(static_cast<float>(unit * 8 - 4)));
    case DType::kFloat16:
      return HalfToFloat(FloatToHalf(static_cast<float>(unit * 8 - 4)));
    case DType::kUInt8:
      return static_cast<double>(h % 256);
    case DType::kInt32:
      return static_cast<double>(h % 2000001) - 1000000;
    case DType::kInt64:
      return static_cast<double>(h >> 13) - std::ldexp(1.0, 50);  // |x| <= 2^50
  }
  return NAN;
}

void CheckAllReduceSum(Communicator& comm, TestMemory& memory, DType dtype, size_t count) {
  SCOPED_TRACE(Label("AllReduceSum", dtype, count, comm));
  const size_t bytes = count * DTypeSize(dtype);
  std::byte* data = Upload(memory, Values(dtype, comm.Rank(), 0, count));
  comm.AllReduceSum(data, count, dtype);
  const auto got = Download(memory, data, bytes);
  ExpectSums(dtype, got, comm.Size(), 0);
  ExpectSameOnEveryRank(got);
}

void CheckReduceScatterSum(Communicator& comm, TestMemory& memory, DType dtype, size_t count,
                           bool in_place) {
  SCOPED_TRACE(
      Label(in_place ? "ReduceScatterSum in place" : "ReduceScatterSum", dtype, count, comm));
  const size_t chunk = count * DTypeSize(dtype);
  const auto sent = Values(dtype, comm.Rank(), 0, count * comm.Size());
  std::byte* send = Upload(memory, sent);
  std::byte* recv = in_place ? send + comm.Rank() * chunk
                             : Upload(memory, std::vector<std::byte>(chunk, kUnwritten));
  comm.ReduceScatterSum(send, recv, count, dtype);
  // In place, the bytes after this rank's chunk are the next rank's chunk, not a guard.
  ExpectSums(dtype, Download(memory, recv, chunk, !in_place), comm.Size(), comm.Rank() * count);
  if (!in_place) ExpectBytes(dtype, Download(memory, send, sent.size()), sent);  // send unchanged
}

void CheckAllGather(Communicator& comm, TestMemory& memory, DType dtype, size_t count,
                    bool in_place) {
  SCOPED_TRACE(Label(in_place ? "AllGather in place" : "AllGather", dtype, count, comm));
  const size_t chunk = count * DTypeSize(dtype);
  const auto own = Values(dtype, comm.Rank(), 0, count);
  std::vector<std::byte> initial(chunk * comm.Size(), kUnwritten);
  if (in_place) std::copy(own.begin(), own.end(), initial.begin() + comm.Rank() * chunk);
  std::byte* recv = Upload(memory, initial);
  std::byte* send = in_place ? recv + comm.Rank() * chunk : Upload(memory, own);
  comm.AllGather(send, recv, count, dtype);
  std::vector<std::byte> want;
  for (int r = 0; r < comm.Size(); ++r) {
    const auto values = Values(dtype, r, 0, count);
    want.insert(want.end(), values.begin(), values.end());
  }
  ExpectBytes(dtype, Download(memory, recv, want.size()), want);
}

void CheckBroadcast(Communicator& comm, TestMemory& memory, DType dtype, size_t count, int root) {
  SCOPED_TRACE(Label("Broadcast", dtype, count, comm) + " from root " + std::to_string(root));
  std::byte* data = Upload(memory, Values(dtype, comm.Rank(), 0, count));
  comm.Broadcast(data, count, dtype, root);
  ExpectBytes(dtype, Download(memory, data, count * DTypeSize(dtype)),
              Values(dtype, root, 0, count));
}

}  // namespace qlsweep::dist::test
