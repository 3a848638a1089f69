// ISA-free declarations of the Gaussian blur: a recursive (IIR) filter whose cost per pixel
// does not depend on sigma. Each ISA's kernel set (kernels.h) fills one BlurKernels table; the
// scalar table is the reference and every SIMD table must match it bit for bit (same float
// operations in the same order, no FMA contraction: the sources are compiled with
// -ffp-contract=off).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nudeguard {

// An 8-bit image with interleaved channels (1..4; order is irrelevant to a blur).
struct BlurImage {
  std::uint8_t* data;
  int width;
  int height;
  std::int64_t stride;  // bytes between rows, >= width * channels
  int channels;
};

// Vliet-Young-Verbeek 3-pole Gaussian in cascade form, run forward then backward:
//   u = b * x + a * u[-1]                  (real pole, a = 1 - b)
//   v = (g * u + c2 * v[-2]) + c1 * v[-1]  (complex pole pair, g = 1 - c1 - c2)
// Both sections have DC gain 1, so a constant signal is its own steady state.
struct BlurCoefs {
  float a, b, g, c1, c2;
};

// One strip of independent 8-bit signals ("lanes"): step s of lane l is in[s][l].
struct BlurStrip {
  const std::uint8_t* const* in;  // `steps` pointers
  int steps;
  std::uint8_t* const* out;  // `count` pointers; out[i] receives step first + i
  int first;
  int count;
  const float* init;  // null: the signal holds in[0][l] before step 0; else init[l]
};

// Lanes handed to a kernel are processed in chunks of at most this many; the work buffer
// must hold (steps - first) * kBlurChunk floats.
constexpr int kBlurChunk = 32;

struct BlurKernels {
  const char* name;
  // Filters lanes lane0 .. lane0 + lanes - 1 of the strip forward over all steps, then
  // backward, and stores steps first .. first + count - 1 rounded half to even and clamped
  // to 0..255. out may alias in: every input is read before any output is written.
  void (*strip)(const BlurStrip& s, int lane0, int lanes, const BlurCoefs& k, float* work);
  // The horizontal pass's block of `rows` image rows of `cn` channels <-> its transpose
  // t[x][r * cn + c] (step x holds pixel x of every row, so the rows become lanes). Exact
  // byte moves; t must have 4 bytes of slack after its rows * width * cn bytes.
  void (*rows_to_steps)(const std::uint8_t* src, std::int64_t stride, int rows, int width,
                        int cn, std::uint8_t* t);
  void (*steps_to_rows)(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                        std::int64_t stride);
};

// Filter coefficients for sigma (> 0, finite).
BlurCoefs blur_coefs(double sigma);

// Gaussian blur with reflect-101 borders (like cv2.BORDER_REFLECT_101) of src into dst
// (same size and channels; dst may be src with the same stride, otherwise they must not
// overlap). sigma 0 copies. threads: 0 picks up to the hardware's count; the result does not
// depend on it. kernels: null uses active_kernels().blur. Throws std::invalid_argument.
void blur(const BlurImage& src, const BlurImage& dst, double sigma, int threads = 0,
          const BlurKernels* kernels = nullptr);

// Bytes of a packed width x height image of `channels` (throws std::invalid_argument).
std::size_t image_bytes(int width, int height, int channels);

// Default veil strength for an output of width x height: see veil_sigma() in blur.cpp.
double veil_sigma(int width, int height);

// The veil: src resized to dst's size and blurred with sigma (in dst pixels; <= 0 picks
// veil_sigma). Strong blurs run at a reduced resolution and are upscaled (bilinear), which
// is indistinguishable after such a blur. dst must not overlap src.
void veil(const BlurImage& src, const BlurImage& dst, double sigma, int threads = 0,
          const BlurKernels* kernels = nullptr);

}  // namespace nudeguard
