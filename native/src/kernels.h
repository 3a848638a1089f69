// The kernel sets and their one dispatch. Each ISA target (scalar/, sse41/, avx2/, neon/, each
// compiled with its own flags from native/isa_flags.txt) provides one KernelSet covering
// preprocessing, blur and PDQ; the library runs the set of one ISA, chosen once per process:
// the best this build and CPU support, or the one NUDEGUARD_FORCE_ISA names. The scalar set
// is the reference every other set must match bit for bit (native/tests/test_*_kernels.cpp).
#pragma once

#include <string>
#include <vector>

namespace nudeguard {

struct PreprocessKernels;  // preprocess.h
struct BlurKernels;        // blur.h
struct PdqKernels;         // pdq.h

enum class Isa { Scalar, Sse41, Avx2, Neon };

const char* isa_name(Isa isa);

// One ISA target's kernels. A family without its own variant for a target uses the
// reference's (sse41 has no PDQ kernels of its own).
struct KernelSet {
  Isa isa;
  const PreprocessKernels* preprocess;
  const BlurKernels* blur;
  const PdqKernels* pdq;
};

// Compiled into this build and supported by this CPU, best first.
std::vector<Isa> supported_isas();
// The set that runs: chosen once per process; throws std::runtime_error if
// NUDEGUARD_FORCE_ISA is unknown or unsupported here (a silently ignored override would make
// CI test other kernels than it claims).
const KernelSet& active_kernels();
// The set of `isa`, or nullptr if this build or CPU lacks it (tests, and the bindings'
// per-call isa= argument).
const KernelSet* kernels_for(Isa isa);

namespace scalar {
extern const KernelSet kernel_set;
}
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
namespace sse41 {
extern const KernelSet kernel_set;
}
namespace avx2 {
extern const KernelSet kernel_set;
}
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
namespace neon {
extern const KernelSet kernel_set;
}
#endif

}  // namespace nudeguard
