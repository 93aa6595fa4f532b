// Waiting for an MPI request with a timeout, and MPI's error text (internal to the backends).
#pragma once

#include <mpi.h>

#include <string>

namespace qlsweep::dist {

// Polls the request with MPI_Test until it completes (true) or timeout_s passes (false; the
// request stays pending). An MPI error ends the polling too and is left in *rc.
bool TestUntil(MPI_Request* request, double timeout_s, int* rc);

// MPI_Error_string of an MPI return code.
std::string MpiErrorText(int rc);

}  // namespace qlsweep::dist
