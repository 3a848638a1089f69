// AVX2 recursive Gaussian: the scalar reference's arithmetic on 8 lanes per vector, up to 4
// independent vectors per chunk to hide the recursion's latency. No FMA (bit-exact with the
// reference); lanes left over (< 8) go to the reference.
#include "../blur.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#include <cstring>
#include <utility>

namespace nudeguard {
namespace avx2 {
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
  constexpr int W = 8 * NV;
  const __m256 a = _mm256_set1_ps(k.a), b = _mm256_set1_ps(k.b), g = _mm256_set1_ps(k.g);
  const __m256 c1 = _mm256_set1_ps(k.c1), c2 = _mm256_set1_ps(k.c2);
  __m256 u[NV], v1[NV], v2[NV];
  auto load = [](const std::uint8_t* p) {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  };
  NG_UNROLL
  for (int j = 0; j < NV; ++j) {
    u[j] = s.init ? _mm256_loadu_ps(s.init + base + 8 * j) : load(s.in[0] + base + 8 * j);
    v1[j] = v2[j] = u[j];
  }
  for (int t = 0; t < s.steps; ++t) {
    if (t + kAhead < s.steps) _mm_prefetch(reinterpret_cast<const char*>(s.in[t + kAhead] + base), _MM_HINT_T0);
    const std::uint8_t* in = s.in[t] + base;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = _mm256_add_ps(_mm256_mul_ps(b, load(in + 8 * j)), _mm256_mul_ps(a, u[j]));
      const __m256 v = _mm256_add_ps(
          _mm256_add_ps(_mm256_mul_ps(g, u[j]), _mm256_mul_ps(c2, v2[j])),
          _mm256_mul_ps(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t >= s.first) {
      float* w = work + std::ptrdiff_t(t - s.first) * W;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) _mm256_storeu_ps(w + 8 * j, v1[j]);
    }
  }
  const int last = s.steps - 1 - s.first;
  NG_UNROLL
  for (int j = 0; j < NV; ++j) u[j] = v1[j] = v2[j] = _mm256_loadu_ps(work + std::ptrdiff_t(last) * W + 8 * j);
  for (int t = last; t >= 0; --t) {
    if (t >= kAhead && t - kAhead < s.count) __builtin_prefetch(s.out[t - kAhead] + base, 1);
    const float* w = work + std::ptrdiff_t(t) * W;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = _mm256_add_ps(_mm256_mul_ps(b, _mm256_loadu_ps(w + 8 * j)), _mm256_mul_ps(a, u[j]));
      const __m256 v = _mm256_add_ps(
          _mm256_add_ps(_mm256_mul_ps(g, u[j]), _mm256_mul_ps(c2, v2[j])),
          _mm256_mul_ps(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t < s.count) {
      std::uint8_t* out = s.out[t] + base;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) {
        // Rounds half to even (MXCSR default) and saturates to 0..255 like the reference.
        const __m256i i = _mm256_cvtps_epi32(v1[j]);
        const __m128i p16 =
            _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 8 * j), _mm_packus_epi16(p16, p16));
      }
    }
  }
}

void strip(const BlurStrip& s, int lane0, int lanes, const BlurCoefs& k, float* work) {
  int l = 0;
  for (; lanes - l >= 32; l += 32) chunk<4>(s, lane0 + l, k, work);
  if (lanes - l >= 24) {
    chunk<3>(s, lane0 + l, k, work);
    l += 24;
  } else if (lanes - l >= 16) {
    chunk<2>(s, lane0 + l, k, work);
    l += 16;
  } else if (lanes - l >= 8) {
    chunk<1>(s, lane0 + l, k, work);
    l += 8;
  }
  if (l < lanes) scalar::blur_kernels.strip(s, lane0 + l, lanes - l, k, work);
}

#include "../blur_transpose_x86.h"

}  // namespace

const BlurKernels blur_kernels = {"avx2", strip, rows_to_steps, steps_to_rows};

}  // namespace avx2
}  // namespace nudeguard
#endif
