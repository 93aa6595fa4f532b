// Recorded sweeps for the analysis and report tests, written through RunIndex and SeriesFile:
// plausible 7B QLoRA figures under the 6 GB profile, with done, oom and failed trials.
#pragma once

#include <string>

namespace qlsweep::analysis::testing {

inline constexpr double kMiB = 1024.0 * 1024.0;
inline constexpr const char* kProfile = "rtx4050-laptop-6gb";  // 6,141 MiB

// Writes `dir`/runs.db and `dir`/series/<id>.h5 (train and eval series of the finished trials)
// with three sweeps; returns the database path.
//
// "rank-4050", reference "lora.r=64", base eval loss 2.00 everywhere:
//   lora.r  status            device peak  tokens/s  final eval loss
//   4       done              5366 MiB     2659      1.80   quality 0.500
//   8       done              5424 MiB     2946      1.75   quality 0.625
//   16      done              5642 MiB     2880      1.70   quality 0.750
//   32      done              5888 MiB     2689      1.72   quality 0.700 (dominated by r=16)
//   64      done              6124 MiB     2569      1.60   quality 1.000 (the reference)
//   128     oom in backward
//   256     failed
// "seq-4050", no reference, loaded model 3900 MiB allocated:
//   data.seq_len 512 done (peak allocated 4500 MiB, device peak 5642 MiB), 1024 done (4800,
//   5960 MiB), 2048 oom in backward, 4096 oom in forward
// "batch-4050", seq_len 512: micro-batch x accumulation 1x16 done (5642 MiB, 2984 tokens/s),
//   2x8 done (5960 MiB, 4660 tokens/s), 4x4 oom in backward, 8x2 oom in forward
std::string WriteFixtureRuns(const std::string& dir);

}  // namespace qlsweep::analysis::testing
