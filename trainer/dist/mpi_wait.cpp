// TestUntil and MpiErrorText.
#include "trainer/dist/mpi_wait.h"

#include "trainer/dist/poll.h"

namespace qlsweep::dist {

bool TestUntil(MPI_Request* request, double timeout_s, int* rc) {
  *rc = MPI_SUCCESS;
  return PollUntil(
      [&] {
        int flag = 0;
        *rc = MPI_Test(request, &flag, MPI_STATUS_IGNORE);
        return *rc != MPI_SUCCESS || flag != 0;
      },
      timeout_s);
}

std::string MpiErrorText(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(text, length);
}

}  // namespace qlsweep::dist
