// One instruction-set choice for the whole library, Highway-style: the best ISA this CPU
// supports, or the one NUDEGUARD_FORCE_ISA names. Each kernel family then runs its best
// variant that the chosen ISA includes (avx2 includes sse41 includes scalar; neon includes
// scalar), so a family without an AVX2 variant falls back instead of failing.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace nudeguard {

enum class Isa { Scalar, Sse41, Avx2, Neon };

const char* isa_name(Isa isa);
// True if code built for `outer` may run kernels built for `inner`.
bool isa_includes(Isa outer, Isa inner);
// Compiled into this build and supported by this CPU, best first.
std::vector<Isa> supported_isas();
// Chosen once per process; throws std::runtime_error if NUDEGUARD_FORCE_ISA is unknown or
// unsupported here (a silently ignored override would make CI test other kernels than it claims).
Isa chosen_isa();

template <class Table>
struct IsaVariant {
  Isa isa;
  const Table* table;
};

// The first (best) variant the chosen ISA includes; lists end with the scalar reference.
template <class Table, std::size_t N>
const Table& select_variant(const IsaVariant<Table> (&variants)[N]) {
  const Isa chosen = chosen_isa();
  for (const IsaVariant<Table>& v : variants) {
    if (isa_includes(chosen, v.isa)) return *v.table;
  }
  throw std::logic_error("kernel family without a scalar reference");
}

// Same, for tests that compare one specific variant with the reference (nullptr if absent).
template <class Table, std::size_t N>
const Table* find_variant(const IsaVariant<Table> (&variants)[N], Isa isa) {
  for (const IsaVariant<Table>& v : variants) {
    if (v.isa == isa) return v.table;
  }
  return nullptr;
}

}  // namespace nudeguard
