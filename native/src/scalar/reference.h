// The scalar reference tables, for the SIMD sets, which hand them the tails shorter than a
// vector and the shapes they have no code for.
#pragma once

#include "../blur.h"
#include "../pdq.h"
#include "../preprocess.h"

namespace nudeguard {
namespace scalar {
extern const PreprocessKernels preprocess_kernels;
extern const BlurKernels blur_kernels;
extern const PdqKernels pdq_kernels;
}  // namespace scalar
}  // namespace nudeguard
