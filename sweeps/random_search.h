// Random search: deterministic draws from a sweep's `search.space` for a seed.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sweeps/assignments.h"
#include "sweeps/search_spec.h"

namespace qlsweep::sweeps {

// A uniform double in [0, 1) from the top 53 bits of one draw: the same on every platform
// (std::uniform_real_distribution is not specified bit for bit; std::mt19937_64 is).
double Uniform01(std::mt19937_64& rng);

// One value of `range` for the uniform draw u in [0, 1): a choice (index floor(u * n)); an int
// range's low + k * step (linear, k uniform) or the rounded log-uniform value; a float range's
// uniform or log-uniform value rounded to 4 significant digits (readable names, exact in tables).
// Always within [low, high].
nlohmann::json DrawValue(const SpaceRange& range, double u);

// The trials of a random search: `trials` draws (one value per key of `space`, in order) from
// std::mt19937_64 seeded with `seed`. A draw equal to an earlier one is skipped, so a small
// discrete space may give fewer (`exhausted` then says so). Draw i depends only on the seed and i
// draws before it: raising `trials` keeps the first trials, so a re-run with more resumes.
struct RandomDraws {
  std::vector<Assignments> trials;  // each: every space key set, with the range's line
  bool exhausted = false;           // fewer distinct trials than asked
};
RandomDraws DrawTrials(const std::vector<SpaceRange>& space, int trials, uint64_t seed);

}  // namespace qlsweep::sweeps
