// Schema version 2 of the run index: the leases of an MPI farm's running trials (docs/farm.md).
#pragma once

namespace qlsweep::storage {

// Migration 2: where a running trial of an MPI farm runs (worker rank, host, process id) and when
// the coordinator last heard from that worker. NULL for trials the plain coordinator ran.
// Shipped SQL: append a migration instead of editing it.
inline constexpr const char* kSchemaV2Leases = R"sql(
ALTER TABLE trials ADD COLUMN worker_rank INTEGER;
ALTER TABLE trials ADD COLUMN worker_host TEXT;
ALTER TABLE trials ADD COLUMN worker_pid INTEGER;
ALTER TABLE trials ADD COLUMN heartbeat_at TEXT;
)sql";

}  // namespace qlsweep::storage
