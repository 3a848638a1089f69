// The one dispatch (kernels.h): which ISA this CPU runs, NUDEGUARD_FORCE_ISA, and the kernel
// set of each ISA this build has, best first.
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "core.h"
#include "kernels.h"

namespace nudeguard {
namespace {

constexpr const KernelSet* kKernelSets[] = {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    &avx2::kernel_set,
    &sse41::kernel_set,
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
    &neon::kernel_set,
#endif
    &scalar::kernel_set,
};

constexpr Isa kAllIsas[] = {Isa::Avx2, Isa::Sse41, Isa::Neon, Isa::Scalar};

bool cpu_supports(Isa isa) {
  switch (isa) {
    case Isa::Scalar:
      return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::Sse41:
      return __builtin_cpu_supports("sse4.1");
    case Isa::Avx2:
      // libgcc also checks that the OS saves YMM state (XGETBV) before reporting AVX2.
      return __builtin_cpu_supports("avx2");
#endif
#if defined(__aarch64__)
    case Isa::Neon:
      return true;  // Advanced SIMD is mandatory on AArch64.
#endif
    default:
      return false;
  }
}

std::string join(const std::vector<Isa>& isas) {
  std::string out;
  for (Isa isa : isas) out += (out.empty() ? "" : ", ") + std::string(isa_name(isa));
  return out;
}

const KernelSet& choose() {
  const std::vector<Isa> supported = supported_isas();
  const char* env = std::getenv("NUDEGUARD_FORCE_ISA");
  if (env == nullptr || *env == '\0') return *kernels_for(supported.front());
  const std::string forced = env;
  for (Isa isa : kAllIsas) {
    if (forced != isa_name(isa)) continue;
    if (const KernelSet* set = kernels_for(isa)) return *set;
    throw std::runtime_error("NUDEGUARD_FORCE_ISA=\"" + forced +
                             "\" is not available in this build on this CPU; available: " +
                             join(supported));
  }
  throw std::runtime_error("NUDEGUARD_FORCE_ISA=\"" + forced +
                           "\" is not a known kernel set; expected one of avx2, sse41, neon, "
                           "scalar, or unset for the best available");
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Sse41: return "sse41";
    case Isa::Avx2: return "avx2";
    case Isa::Neon: return "neon";
    default: return "scalar";
  }
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (const KernelSet* set : kKernelSets) {
    if (cpu_supports(set->isa)) isas.push_back(set->isa);
  }
  return isas;
}

const KernelSet* kernels_for(Isa isa) {
  for (const KernelSet* set : kKernelSets) {
    if (set->isa == isa) return cpu_supports(isa) ? set : nullptr;
  }
  return nullptr;
}

const KernelSet& active_kernels() {
  // A throwing initializer leaves the static uninitialized, so every call reports the error.
  static const KernelSet& set = choose();
  return set;
}

const char* isa() { return isa_name(active_kernels().isa); }

std::vector<std::string> available_isas() {
  std::vector<std::string> names;
  for (Isa isa : supported_isas()) names.emplace_back(isa_name(isa));
  return names;
}

}  // namespace nudeguard
