// AVX2 preprocessing kernels, bit-exact with the scalar reference. Same scheme as the
// SSE4.1 set (see there), twice as wide: the integer horizontal pass reduces eight outputs
// at once (outputs i..i+3 in the low 128-bit lane, i+4..i+7 in the high one), the float
// one runs two outputs per vector, and vertical accumulation and stores use 256 bits.
//
// The SSE4.1 description:
// Horizontal pass, integer: the span of the row that feeds the kept outputs is first split
// into three int16 planes in tensor channel order (pshufb for 3- and 4-byte pixels), then
// each output is a dot product of a plane with its zero-padded weights (pmaddwd), and four
// outputs x three channels are reduced at once with phaddd into tensor order. Integer sums
// are exact in any order, so the result equals the reference's.
//
// Horizontal pass, float: one RGBx vector per source pixel, then per output the reference's
// sum in the reference's order (acc + pixel * weight, tap after tap; no FMA), so lanes are
// bit-identical to the scalar sums. Vertical accumulation and stores work lane by lane.
// Tails shorter than a vector go to the scalar reference.
#include "../kernels.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace nudeguard {
namespace avx2 {
namespace {

const Kernels& ref = scalar::kernels;

#include "../preprocess_split_x86.h"

// Two 128-bit loads: `lo` in the low lane, `hi` in the high one.
inline __m256i load2(const std::int16_t* lo, const std::int16_t* hi) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo))),
                                 _mm_loadu_si128(reinterpret_cast<const __m128i*>(hi)), 1);
}

inline __m256i sum4x2(__m256i a, __m256i b, __m256i c, __m256i d) {
  return _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
}

inline __m256i round_row2(__m256i s) {
  constexpr int half = 1 << (kWeightBits - kRowBits - 1);
  return _mm256_srai_epi32(_mm256_add_epi32(s, _mm256_set1_epi32(half)), kWeightBits - kRowBits);
}

void hpass_q(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             std::int16_t* out, void* work) {
  const std::size_t stride = plane_stride(x);
  auto* planes = static_cast<std::int16_t*>(work);
  split_q(row + std::ptrdiff_t(x.first[0]) * src_channels, x.span, int(stride) - x.span,
          src_channels, chan, planes, stride);
  const std::int16_t* plane[3] = {planes, planes + stride, planes + 2 * stride};
  const int padded = x.padded;
  int i = 0;
  for (; i + 8 <= x.size; i += 8, out += 24) {
    __m256i acc[12];
    for (int o = 0; o < 4; ++o) {
      const int lo = x.first[i + o] - x.first[0], hi = x.first[i + o + 4] - x.first[0];
      const std::int16_t* wlo = x.pqweight.data() + std::size_t(i + o) * padded;
      const std::int16_t* whi = wlo + std::size_t(4) * padded;
      __m256i r = _mm256_setzero_si256(), g = r, b = r;  // in registers, not in acc[]
      for (int k = 0; k < padded; k += 8) {
        const __m256i wv = load2(wlo + k, whi + k);
        r = _mm256_add_epi32(r, _mm256_madd_epi16(load2(plane[0] + lo + k, plane[0] + hi + k), wv));
        g = _mm256_add_epi32(g, _mm256_madd_epi16(load2(plane[1] + lo + k, plane[1] + hi + k), wv));
        b = _mm256_add_epi32(b, _mm256_madd_epi16(load2(plane[2] + lo + k, plane[2] + hi + k), wv));
      }
      acc[3 * o] = r;
      acc[3 * o + 1] = g;
      acc[3 * o + 2] = b;
    }
    const __m256i r0 = round_row2(sum4x2(acc[0], acc[1], acc[2], acc[3]));
    const __m256i r1 = round_row2(sum4x2(acc[4], acc[5], acc[6], acc[7]));
    const __m256i r2 = round_row2(sum4x2(acc[8], acc[9], acc[10], acc[11]));
    const __m256i p01 = _mm256_packs_epi32(r0, r1), p22 = _mm256_packs_epi32(r2, r2);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm256_castsi256_si128(p01));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 8), _mm256_castsi256_si128(p22));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 12), _mm256_extracti128_si256(p01, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 20), _mm256_extracti128_si256(p22, 1));
  }
  for (; i < x.size; ++i, out += 3) {
    __m128i acc[3] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
    const int base = x.first[i] - x.first[0];
    const std::int16_t* w = x.pqweight.data() + std::size_t(i) * padded;
    for (int k = 0; k < padded; k += 8) {
      const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k));
      for (int c = 0; c < 3; ++c) acc[c] = _mm_add_epi32(acc[c], dot8(plane[c] + base + k, wv));
    }
    alignas(16) std::int32_t r[4];
    _mm_store_si128(reinterpret_cast<__m128i*>(r), round_row(sum4(acc[0], acc[1], acc[2], _mm_setzero_si128())));
    for (int c = 0; c < 3; ++c) out[c] = static_cast<std::int16_t>(r[c]);
  }
}

// One RGBx float vector per pixel of the span (x = 0), then padding pixels of zeros.
void split_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* px, std::int16_t* planes) {
  const std::size_t stride = plane_stride(x);
  split_q(row + std::ptrdiff_t(x.first[0]) * src_channels, x.span, int(stride) - x.span,
          src_channels, chan, planes, stride);
  const std::int16_t* plane[3] = {planes, planes + stride, planes + 2 * stride};
  for (std::size_t j = 0; j < stride; j += 4) {
    auto load4 = [&](int c) {
      return _mm_cvtepi32_ps(_mm_cvtepi16_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(plane[c] + j))));
    };
    __m128 r = load4(0), g = load4(1), b = load4(2), z = _mm_setzero_ps();
    _MM_TRANSPOSE4_PS(r, g, b, z);
    _mm_store_ps(px + 4 * j, r);
    _mm_store_ps(px + 4 * j + 4, g);
    _mm_store_ps(px + 4 * j + 8, b);
    _mm_store_ps(px + 4 * j + 12, z);
  }
}

// The float work area: RGBx pixels first, the int16 planes after them.
float* float_pixels(void* work) { return static_cast<float*>(work); }
std::int16_t* float_planes(const Axis& x, void* work) {
  return reinterpret_cast<std::int16_t*>(float_pixels(work) + 4 * plane_stride(x));
}

// Two outputs per vector; the shorter one's extra taps have weight 0 and add +0.0 to a
// non-negative sum, which leaves it unchanged, so both stay bit-exact.
void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  float* px = float_pixels(work);
  split_f(row, x, src_channels, chan, px, float_planes(x, work));
  const int padded = x.padded;
  int i = 0;
  // A pair's 4-float stores spill one float into the next output, so a pair needs one after it.
  for (; i + 2 < x.size; i += 2) {
    const float* p0 = px + 4 * std::size_t(x.first[i] - x.first[0]);
    const float* p1 = px + 4 * std::size_t(x.first[i + 1] - x.first[0]);
    const float* w0 = x.pweight.data() + std::size_t(i) * padded;
    const float* w1 = w0 + padded;
    const int n = std::max(x.begin[i + 1] - x.begin[i], x.begin[i + 2] - x.begin[i + 1]);
    __m256 acc = _mm256_setzero_ps();
    for (int t = 0; t < n; ++t) {
      const __m256 p = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_load_ps(p0 + 4 * t)), _mm_load_ps(p1 + 4 * t), 1);
      const __m256 w = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_set1_ps(w0[t])), _mm_set1_ps(w1[t]), 1);
      acc = _mm256_add_ps(acc, _mm256_mul_ps(p, w));
    }
    _mm_storeu_ps(out + 3 * i, _mm256_castps256_ps128(acc));
    _mm_storeu_ps(out + 3 * i + 3, _mm256_extractf128_ps(acc, 1));
  }
  for (; i < x.size; ++i) {
    const float* p = px + 4 * std::size_t(x.first[i] - x.first[0]);
    __m128 acc = _mm_setzero_ps();
    for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += 4) {
      acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(p), _mm_set1_ps(x.weight[t])));
    }
    alignas(16) float r[4];
    _mm_store_ps(r, acc);
    std::memcpy(out + 3 * i, r, 3 * sizeof(float));
  }
}

void vacc_q(std::int32_t* acc, const std::int16_t* row, std::int16_t w, int n) {
  // (row, sign) pairs times (w, 0) pairs: exact 16 x 16 -> 32-bit products in one pmaddwd.
  const __m256i wv = _mm256_set1_epi32(static_cast<std::uint16_t>(w));
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m256i r = _mm256_cvtepi16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k)));
    __m256i* a = reinterpret_cast<__m256i*>(acc + k);
    _mm256_storeu_si256(a, _mm256_add_epi32(_mm256_loadu_si256(a), _mm256_madd_epi16(r, wv)));
  }
  if (k < n) ref.vacc_q(acc + k, row + k, w, n - k);
}

void vacc_f(float* acc, const float* row, float w, int n) {
  const __m256 wv = _mm256_set1_ps(w);
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    _mm256_storeu_ps(acc + k, _mm256_add_ps(_mm256_loadu_ps(acc + k), _mm256_mul_ps(_mm256_loadu_ps(row + k), wv)));
  }
  if (k < n) ref.vacc_f(acc + k, row + k, w, n - k);
}

}  // namespace

const Kernels kernels = {
    "avx2",           hpass_q,           hpass_f,           vacc_q,           vacc_f,
    sse41::store_q_u8, sse41::store_f_u8, sse41::store_f_i8, sse41::store_f_f32,
};

}  // namespace avx2
}  // namespace nudeguard

#endif
