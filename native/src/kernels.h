// ISA-free declarations of the preprocessing kernels. Each kernel set (scalar/, sse41/,
// avx2/, neon/, compiled with their own target flags) fills one Kernels table; the scalar set
// is the reference the others are tested against (native/tests/test_kernels.cpp,
// tests/test_kernels_per_isa.py) and must match bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core.h"
#include "isa.h"

namespace nudeguard {

// Fixed-point weights sum to 1 << kWeightBits; 14 bits keep 1.0 representable in int16.
constexpr int kWeightBits = 14;
// Horizontal results are kept as value << kRowBits (at most 255 << 7, fits int16).
constexpr int kRowBits = 7;

// Resampling along one axis, restricted to the outputs kept by the crop. Output i reads
// source pixels first[i] .. first[i] + (begin[i+1] - begin[i]) - 1 with the weights
// starting at begin[i]; all weights are non-negative and sum to 1 per output.
struct Axis {
  int size = 0;  // kept outputs
  int taps = 0;  // largest number of sources of one output
  std::vector<std::int32_t> first;
  std::vector<std::int32_t> begin;  // size + 1 entries
  std::vector<float> weight;
  std::vector<std::int16_t> qweight;

  // The same weights in fixed-size blocks for SIMD sets: output i has `padded` (= taps
  // rounded up to a multiple of kPadTaps) entries at i * padded, zeros after its own taps.
  // Sources first[0] .. first[0] + span - 1 feed the kept outputs.
  int padded = 0;
  int span = 0;
  std::vector<float> pweight;
  std::vector<std::int16_t> pqweight;
};

// Block of taps the SIMD sets read at once (8 int16 = one 128-bit vector).
constexpr int kPadTaps = 8;

// Bytes of the scratch buffer a horizontal pass over axis x may use (the caller owns it,
// so kernels stay reentrant); 64-byte aligned.
std::size_t hpass_work_bytes(const Axis& x);

struct Kernels {
  const char* name;

  // One source row -> 3 channels per kept column, in tensor order: channel c of a pixel
  // is byte chan[c] of it, pixels are src_channels bytes apart. `work` is
  // hpass_work_bytes(x) bytes of scratch (the scalar reference ignores it).
  void (*hpass_q)(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
                  std::int16_t* out, void* work);
  void (*hpass_f)(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
                  float* out, void* work);

  // acc[k] += w * row[k] for k < n.
  void (*vacc_q)(std::int32_t* acc, const std::int16_t* row, std::int16_t w, int n);
  void (*vacc_f)(float* acc, const float* row, float w, int n);

  // One finished row of n = width * 3 values to the tensor.
  void (*store_q_u8)(const std::int32_t* acc, int n, std::uint8_t* out);
  void (*store_f_u8)(const float* acc, int n, const float mul[3], const float add[3],
                     std::uint8_t* out);
  void (*store_f_i8)(const float* acc, int n, const float mul[3], const float add[3],
                     std::int8_t* out);
  void (*store_f_f32)(const float* acc, int n, const float mul[3], const float add[3],
                      float* out);
};

namespace scalar {
extern const Kernels kernels;
}
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
namespace sse41 {
extern const Kernels kernels;
// Also in the AVX2 set: one tensor row per call, where wider vectors gain nothing.
void store_q_u8(const std::int32_t* acc, int n, std::uint8_t* out);
void store_f_u8(const float* acc, int n, const float mul[3], const float add[3], std::uint8_t* out);
void store_f_i8(const float* acc, int n, const float mul[3], const float add[3], std::int8_t* out);
void store_f_f32(const float* acc, int n, const float mul[3], const float add[3], float* out);
}
namespace avx2 {
extern const Kernels kernels;
}
#endif
#if defined(__aarch64__) || defined(_M_ARM64)
namespace neon {
extern const Kernels kernels;
}
#endif

// Chosen once per process; throws std::runtime_error if NUDEGUARD_FORCE_ISA is unusable.
const Kernels& active_kernels();
// The kernel set built for `isa`, or nullptr if this build or CPU lacks it; for tests that
// compare every set with the scalar reference.
const Kernels* find_kernels(Isa isa);

// preprocess() with an explicit kernel set (tests); nullptr means active_kernels().
void preprocess_with(const Image& src, const Tensor& dst, const Options& options,
                     const Kernels* kernels);

}  // namespace nudeguard
