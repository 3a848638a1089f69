// ISA-free declarations of the preprocessing kernels (resample, channel order, normalize).
// Each ISA's kernel set (kernels.h) fills one PreprocessKernels table; the scalar table is the
// reference the others are tested against (native/tests/test_kernels.cpp,
// tests/test_kernels_per_isa.py) and must match bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core.h"
#include "kernels.h"

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

// The SIMD sets split a row's span into three planes of this many int16 (>= span + padded).
inline std::size_t plane_stride(const Axis& x) { return (std::size_t(x.span) + x.padded + 7) & ~std::size_t(7); }

// Bytes of the scratch buffer a horizontal pass over axis x may use (the caller owns it,
// so kernels stay reentrant); 64-byte aligned.
std::size_t hpass_work_bytes(const Axis& x);

struct PreprocessKernels {
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

// preprocess() with explicit kernels (tests); nullptr means active_kernels().preprocess.
void preprocess_with(const Image& src, const Tensor& dst, const Options& options,
                     const PreprocessKernels* kernels);

}  // namespace nudeguard
