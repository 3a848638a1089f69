// NEON (AArch64) recursive Gaussian: the scalar reference's arithmetic on 4 lanes per
// vector, up to 4 independent vectors per chunk. Separate multiplies and adds (never vmla/
// vfma), so it is bit-exact with the reference; lanes left over (< 4) go to it.
#include "../blur.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <cstring>

namespace nudeguard {
namespace neon {
namespace {

// Rows are far apart in the vertical pass (hardware prefetchers stop at page boundaries), so
// the input and output of the step this far ahead are prefetched.
constexpr int kAhead = 24;

// Keeps the NV state vectors in registers.
#if defined(__clang__)
#define NG_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define NG_UNROLL _Pragma("GCC unroll 8")
#else
#define NG_UNROLL
#endif

template <int NV>
void chunk(const BlurStrip& s, int base, const BlurCoefs& k, float* work) {
  constexpr int W = 4 * NV;
  const float32x4_t a = vdupq_n_f32(k.a), b = vdupq_n_f32(k.b), g = vdupq_n_f32(k.g);
  const float32x4_t c1 = vdupq_n_f32(k.c1), c2 = vdupq_n_f32(k.c2);
  float32x4_t u[NV], v1[NV], v2[NV];
  auto load = [](const std::uint8_t* p) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    const uint8x8_t bytes = vreinterpret_u8_u32(vdup_n_u32(word));
    return vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(bytes))));
  };
  NG_UNROLL
  for (int j = 0; j < NV; ++j) {
    u[j] = s.init ? vld1q_f32(s.init + base + 4 * j) : load(s.in[0] + base + 4 * j);
    v1[j] = v2[j] = u[j];
  }
  for (int t = 0; t < s.steps; ++t) {
    if (t + kAhead < s.steps) __builtin_prefetch(s.in[t + kAhead] + base);
    const std::uint8_t* in = s.in[t] + base;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = vaddq_f32(vmulq_f32(b, load(in + 4 * j)), vmulq_f32(a, u[j]));
      const float32x4_t v =
          vaddq_f32(vaddq_f32(vmulq_f32(g, u[j]), vmulq_f32(c2, v2[j])), vmulq_f32(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t >= s.first) {
      float* w = work + std::ptrdiff_t(t - s.first) * W;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) vst1q_f32(w + 4 * j, v1[j]);
    }
  }
  const int last = s.steps - 1 - s.first;
  NG_UNROLL
  for (int j = 0; j < NV; ++j) u[j] = v1[j] = v2[j] = vld1q_f32(work + std::ptrdiff_t(last) * W + 4 * j);
  for (int t = last; t >= 0; --t) {
    if (t >= kAhead && t - kAhead < s.count) __builtin_prefetch(s.out[t - kAhead] + base, 1);
    const float* w = work + std::ptrdiff_t(t) * W;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = vaddq_f32(vmulq_f32(b, vld1q_f32(w + 4 * j)), vmulq_f32(a, u[j]));
      const float32x4_t v =
          vaddq_f32(vaddq_f32(vmulq_f32(g, u[j]), vmulq_f32(c2, v2[j])), vmulq_f32(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t < s.count) {
      std::uint8_t* out = s.out[t] + base;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) {
        // fcvtns rounds half to even; the saturating narrows clamp to 0..255.
        const uint16x4_t h = vqmovun_s32(vcvtnq_s32_f32(v1[j]));
        const uint8x8_t bytes = vqmovn_u16(vcombine_u16(h, h));
        const std::uint32_t word = vget_lane_u32(vreinterpret_u32_u8(bytes), 0);
        std::memcpy(out + 4 * j, &word, 4);
      }
    }
  }
}

void strip(const BlurStrip& s, int lane0, int lanes, const BlurCoefs& k, float* work) {
  int l = 0;
  for (; lanes - l >= 16; l += 16) chunk<4>(s, lane0 + l, k, work);
  for (; lanes - l >= 4; l += 4) chunk<1>(s, lane0 + l, k, work);
  if (l < lanes) scalar::blur_kernels.strip(s, lane0 + l, lanes - l, k, work);
}

// The horizontal pass's transposes are the reference's for now (no NEON byte transposes yet:
// vld3/vst3 plus vtrn would be the way).
void rows_to_steps(const std::uint8_t* src, std::int64_t stride, int rows, int width, int cn,
                   std::uint8_t* t) {
  scalar::blur_kernels.rows_to_steps(src, stride, rows, width, cn, t);
}

void steps_to_rows(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                   std::int64_t stride) {
  scalar::blur_kernels.steps_to_rows(t, rows, width, cn, dst, stride);
}

}  // namespace

const BlurKernels blur_kernels = {"neon", strip, rows_to_steps, steps_to_rows};

}  // namespace neon
}  // namespace nudeguard
#endif
