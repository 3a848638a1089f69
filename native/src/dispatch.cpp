#include <cstdlib>
#include <string>

#include "isa.h"
#include "kernels.h"

namespace nudeguard {
namespace {

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

Isa choose() {
  const char* env = std::getenv("NUDEGUARD_FORCE_ISA");
  const std::vector<Isa> supported = supported_isas();
  if (env == nullptr || *env == '\0') return supported.front();
  const std::string forced = env;
  for (Isa isa : kAllIsas) {
    if (forced != isa_name(isa)) continue;
    for (Isa s : supported) {
      if (s == isa) return isa;
    }
    throw std::runtime_error("NUDEGUARD_FORCE_ISA=\"" + forced +
                             "\" is not available in this build on this CPU; available: " +
                             join(supported));
  }
  throw std::runtime_error("NUDEGUARD_FORCE_ISA=\"" + forced +
                           "\" is not a known kernel set; expected one of avx2, sse41, neon, "
                           "scalar, or unset for the best available");
}

// Preprocessing kernel sets, best first; SIMD sets live in src/<isa>/ with their own flags.
constexpr IsaVariant<Kernels> kPreprocessVariants[] = {
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    {Isa::Avx2, &avx2::kernels},
    {Isa::Sse41, &sse41::kernels},
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
    {Isa::Neon, &neon::kernels},
#endif
    {Isa::Scalar, &scalar::kernels},
};

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Sse41: return "sse41";
    case Isa::Avx2: return "avx2";
    case Isa::Neon: return "neon";
    default: return "scalar";
  }
}

bool isa_includes(Isa outer, Isa inner) {
  if (outer == inner || inner == Isa::Scalar) return true;
  return outer == Isa::Avx2 && inner == Isa::Sse41;
}

std::vector<Isa> supported_isas() {
  std::vector<Isa> isas;
  for (Isa isa : kAllIsas) {
    if (cpu_supports(isa)) isas.push_back(isa);
  }
  return isas;
}

Isa chosen_isa() {
  // A throwing initializer leaves the static uninitialized, so every call reports the error.
  static const Isa isa = choose();
  return isa;
}

const Kernels& active_kernels() {
  static const Kernels& kernels = select_variant(kPreprocessVariants);
  return kernels;
}

const Kernels* find_kernels(Isa isa) {
  for (Isa s : supported_isas()) {
    if (s == isa) return find_variant(kPreprocessVariants, isa);
  }
  return nullptr;
}

const char* isa() { return isa_name(chosen_isa()); }

std::vector<std::string> available_isas() {
  std::vector<std::string> names;
  for (Isa isa : supported_isas()) names.emplace_back(isa_name(isa));
  return names;
}

}  // namespace nudeguard
