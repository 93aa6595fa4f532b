// The MPI datatype and sum operation of each DType (internal to the MPI backend). bfloat16 and
// half travel as 16-bit integers and are summed by user-defined operations (half_float.h).
#pragma once

#include <mpi.h>

#include "trainer/dist/communicator.h"

namespace qlsweep::dist {

MPI_Datatype MpiDatatype(DType dtype);

// The sum operations of one communicator: MPI_SUM for the built-in types, two user-defined
// operations (created here, freed by the destructor while MPI is still running) for bfloat16 and
// half.
class MpiSumOps {
 public:
  MpiSumOps();
  ~MpiSumOps();
  MpiSumOps(const MpiSumOps&) = delete;
  MpiSumOps& operator=(const MpiSumOps&) = delete;

  MPI_Op For(DType dtype) const;

 private:
  MPI_Op bfloat16_ = MPI_OP_NULL;
  MPI_Op half_ = MPI_OP_NULL;
};

}  // namespace qlsweep::dist
