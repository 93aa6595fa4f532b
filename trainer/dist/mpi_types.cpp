// MPI datatypes of the DTypes, and the user-defined bfloat16 / half sums.
#include "trainer/dist/mpi_types.h"

#include <cstdint>

#include "trainer/dist/half_float.h"

namespace qlsweep::dist {
namespace {

// MPI_User_function: inout[i] <- in[i] + inout[i], summed in float and rounded to nearest even.
void SumBFloat16(void* in, void* inout, int* length, MPI_Datatype* /*datatype: MPI_UINT16_T*/) {
  AddBFloat16(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout),
              static_cast<size_t>(*length));
}

void SumHalf(void* in, void* inout, int* length, MPI_Datatype* /*datatype: MPI_UINT16_T*/) {
  AddHalf(static_cast<const uint16_t*>(in), static_cast<uint16_t*>(inout),
          static_cast<size_t>(*length));
}

}  // namespace

MPI_Datatype MpiDatatype(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return MPI_FLOAT;
    case DType::kFloat64:
      return MPI_DOUBLE;
    case DType::kBFloat16:
    case DType::kFloat16:
      return MPI_UINT16_T;
    case DType::kUInt8:
      return MPI_UINT8_T;
    case DType::kInt32:
      return MPI_INT32_T;
    case DType::kInt64:
      return MPI_INT64_T;
  }
  throw std::invalid_argument("MpiDatatype: unknown dtype");
}

MpiSumOps::MpiSumOps() {
  // Commutative (a + b == b + a also after rounding), so MPI may combine in any order; the result
  // can still depend on that order (rounding makes the sum non-associative).
  MPI_Op_create(&SumBFloat16, /*commute=*/1, &bfloat16_);
  MPI_Op_create(&SumHalf, /*commute=*/1, &half_);
}

MpiSumOps::~MpiSumOps() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;  // MPI freed them at its end
  MPI_Op_free(&bfloat16_);
  MPI_Op_free(&half_);
}

MPI_Op MpiSumOps::For(DType dtype) const {
  switch (dtype) {
    case DType::kBFloat16:
      return bfloat16_;
    case DType::kFloat16:
      return half_;
    case DType::kUInt8:
      throw std::invalid_argument("summing uint8 is not supported");
    default:
      return MPI_SUM;
  }
}

}  // namespace qlsweep::dist
