// Reference recursive Gaussian: the arithmetic every SIMD set reproduces bit for bit. Each
// lane runs u = b*x + a*u; v = (g*u + c2*v2) + c1*v1 forward over the strip, then the same
// backward over the forward result; products are never fused (-ffp-contract=off).
#include <cmath>
#include <cstring>

#include "reference.h"

namespace nudeguard {
namespace scalar {
namespace {

// Rows are far apart in the vertical pass (hardware prefetchers stop at page boundaries), so
// the input and output of the step this far ahead are prefetched.
constexpr int kAhead = 24;

inline std::uint8_t to_u8(float v) {
  // nearbyint rounds half to even, like cvtps2dq / fcvtns; the clamp is what the saturating
  // packs of the SIMD sets do.
  const float r = std::nearbyint(v);
  return static_cast<std::uint8_t>(r < 0.0f ? 0.0f : (r > 255.0f ? 255.0f : r));
}

void strip(const BlurStrip& s, int lane0, int lanes, const BlurCoefs& k, float* work) {
  for (int c0 = 0; c0 < lanes; c0 += kBlurChunk) {
    const int n = lanes - c0 < kBlurChunk ? lanes - c0 : kBlurChunk;
    const int base = lane0 + c0;
    float u[kBlurChunk], v1[kBlurChunk], v2[kBlurChunk];
    for (int l = 0; l < n; ++l) {
      const float x0 = s.init ? s.init[base + l] : float(s.in[0][base + l]);
      u[l] = v1[l] = v2[l] = x0;
    }
    for (int t = 0; t < s.steps; ++t) {
      if (t + kAhead < s.steps) __builtin_prefetch(s.in[t + kAhead] + base);
      const std::uint8_t* in = s.in[t] + base;
      float* w = t >= s.first ? work + std::ptrdiff_t(t - s.first) * n : nullptr;
      for (int l = 0; l < n; ++l) {
        const float x = float(in[l]);
        u[l] = k.b * x + k.a * u[l];
        const float v = (k.g * u[l] + k.c2 * v2[l]) + k.c1 * v1[l];
        v2[l] = v1[l];
        v1[l] = v;
        if (w) w[l] = v;
      }
    }
    const int last = s.steps - 1 - s.first;
    for (int l = 0; l < n; ++l) u[l] = v1[l] = v2[l] = work[std::ptrdiff_t(last) * n + l];
    for (int t = last; t >= 0; --t) {
      const float* w = work + std::ptrdiff_t(t) * n;
      if (t >= kAhead && t - kAhead < s.count) __builtin_prefetch(s.out[t - kAhead] + base, 1);
      std::uint8_t* out = t < s.count ? s.out[t] + base : nullptr;
      for (int l = 0; l < n; ++l) {
        u[l] = k.b * w[l] + k.a * u[l];
        const float v = (k.g * u[l] + k.c2 * v2[l]) + k.c1 * v1[l];
        v2[l] = v1[l];
        v1[l] = v;
        if (out) out[l] = to_u8(v);
      }
    }
  }
}

// Block transposes of the horizontal pass, pixel order x outer so each step of t is written
// (read) contiguously. Three-byte pixels move as four-byte words whose extra byte the next
// pixel overwrites; the last pixel of a row moves exactly. C = 0: any channel count.
template <int C>
void rows_to_steps_c(const std::uint8_t* src, std::int64_t stride, int rows, int width, int cn,
                     std::uint8_t* t) {
  const int lanes = rows * cn;
  constexpr int word = C == 3 ? 4 : C;
  for (int x = 0; x < width; ++x, t += lanes) {
    const std::uint8_t* p = src + std::ptrdiff_t(x) * cn;
    if (C > 0 && (word == C || x + 1 < width)) {
      for (int r = 0; r < rows; ++r, p += stride) std::memcpy(t + r * C, p, word);
    } else {
      for (int r = 0; r < rows; ++r, p += stride) std::memcpy(t + r * cn, p, cn);
    }
  }
}

template <int C>
void steps_to_rows_c(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                     std::int64_t stride) {
  const int lanes = rows * cn;
  constexpr int word = C == 3 ? 4 : C;
  for (int x = 0; x < width; ++x, t += lanes) {
    std::uint8_t* p = dst + std::ptrdiff_t(x) * cn;
    if (C > 0 && (word == C || x + 1 < width)) {
      for (int r = 0; r < rows; ++r, p += stride) std::memcpy(p, t + r * C, word);
    } else {
      for (int r = 0; r < rows; ++r, p += stride) std::memcpy(p, t + r * cn, cn);
    }
  }
}

void rows_to_steps(const std::uint8_t* src, std::int64_t stride, int rows, int width, int cn,
                   std::uint8_t* t) {
  switch (cn) {
    case 1: return rows_to_steps_c<1>(src, stride, rows, width, cn, t);
    case 3: return rows_to_steps_c<3>(src, stride, rows, width, cn, t);
    case 4: return rows_to_steps_c<4>(src, stride, rows, width, cn, t);
    default: return rows_to_steps_c<0>(src, stride, rows, width, cn, t);
  }
}

void steps_to_rows(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                   std::int64_t stride) {
  switch (cn) {
    case 1: return steps_to_rows_c<1>(t, rows, width, cn, dst, stride);
    case 3: return steps_to_rows_c<3>(t, rows, width, cn, dst, stride);
    case 4: return steps_to_rows_c<4>(t, rows, width, cn, dst, stride);
    default: return steps_to_rows_c<0>(t, rows, width, cn, dst, stride);
  }
}

}  // namespace

const BlurKernels blur_kernels = {"scalar", strip, rows_to_steps, steps_to_rows};

}  // namespace scalar
}  // namespace nudeguard
