// Precompiled header of the trainer: the heavy libtorch includes, compiled once per target.
#pragma once

#include <torch/torch.h>
