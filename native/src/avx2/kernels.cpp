// The AVX2 kernel set: preprocessing, blur and PDQ. The generic bodies (../generic/) over this
// target's vector layer (simd.h), the 128-bit x86 parts shared with the SSE4.1 set (../x86/),
// and what only this target does: the integer horizontal pass eight outputs at a time
// (outputs i..i+3 in the low 128-bit lane, i+4..i+7 in the high one), the float one two
// outputs per vector, the vertical integer accumulation, PDQ's luma (byte shuffles, then the
// reference's double arithmetic) and the Hamming scan (nibble-table bit counts). All
// bit-exact with the scalar reference; what does not fill a vector goes to it.
#include "../kernels.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "../scalar/reference.h"

namespace nudeguard {
namespace avx2 {
namespace {

#include "simd.h"
#include "../generic/preprocess_kernels.h"
#include "../x86/preprocess.h"
#include "../generic/blur_kernels.h"
#include "../x86/blur_transpose.h"
#include "../generic/pdq_kernels.h"

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

// Outputs i..i+3 in the low 128-bit lane, i+4..i+7 in the high one.
void hpass_q_group(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out) {
  __m256i acc[12];
  for (int o = 0; o < 4; ++o) {
    const int lo = plane_offset(x, i + o), hi = plane_offset(x, i + o + 4);
    const std::int16_t* wlo = qweights(x, i + o);
    const std::int16_t* whi = qweights(x, i + o + 4);
    __m256i r = _mm256_setzero_si256(), g = r, b = r;  // in registers, not in acc[]
    for (int k = 0; k < x.padded; k += 8) {
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

// Two outputs per vector; the shorter one's extra taps have weight 0 and add +0.0 to a
// non-negative sum, which leaves it unchanged, so both stay bit-exact.
void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  const float* px = split_f(row, x, src_channels, chan, work);
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
  for (; i < x.size; ++i) hpass_f_one(px, x, i, out, false);
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
  if (k < n) scalar::preprocess_kernels.vacc_q(acc + k, row + k, w, n - k);
}

// Luma of 4 pixels at p (cn bytes each) from one 16-byte load: the three channels go to
// 32-bit lanes by byte shuffles, then the reference's double arithmetic.
struct LumaMasks {
  __m128i r, g, b;
};

LumaMasks luma_masks(int cn, int r, int g, int b) {
  alignas(16) std::int8_t m[3][16];
  const int off[3] = {r, g, b};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 16; ++i) m[c][i] = (i % 4 == 0) ? std::int8_t(cn * (i / 4) + off[c]) : -1;
  }
  return {_mm_load_si128(reinterpret_cast<const __m128i*>(m[0])),
          _mm_load_si128(reinterpret_cast<const __m128i*>(m[1])),
          _mm_load_si128(reinterpret_cast<const __m128i*>(m[2]))};
}

void luma_row(const std::uint8_t* src, int width, int cn, int r, int g, int b, float* out) {
  if (cn == 1 || cn == 2) {
    scalar::pdq_kernels.luma_row(src, width, cn, r, g, b, out);
    return;
  }
  const LumaMasks m = luma_masks(cn, r, g, b);
  const __m256d kr = _mm256_set1_pd(0.299), kg = _mm256_set1_pd(0.587), kb = _mm256_set1_pd(0.114);
  int x = 0;
  // A 16-byte load at pixel x reads up to byte 4 * cn + 16 - 4 * cn... stay inside the row.
  for (; x + 4 <= width && std::int64_t(x) * cn + 16 <= std::int64_t(width) * cn; x += 4) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + std::ptrdiff_t(x) * cn));
    const __m256d dr = _mm256_cvtepi32_pd(_mm_shuffle_epi8(v, m.r));
    const __m256d dg = _mm256_cvtepi32_pd(_mm_shuffle_epi8(v, m.g));
    const __m256d db = _mm256_cvtepi32_pd(_mm_shuffle_epi8(v, m.b));
    const __m256d y = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(dr, kr), _mm256_mul_pd(dg, kg)),
                                    _mm256_mul_pd(db, kb));
    _mm_storeu_ps(out + x, _mm256_cvtpd_ps(y));
  }
  if (x < width) scalar::pdq_kernels.luma_row(src + std::ptrdiff_t(x) * cn, width - x, cn, r, g, b, out + x);
}
// Bit counts of the 32 bytes of x, one per byte (nibble table).
inline __m256i popcount_bytes(__m256i x) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  const __m256i lo = _mm256_and_si256(x, low);
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
  return _mm256_add_epi8(_mm256_shuffle_epi8(table, lo), _mm256_shuffle_epi8(table, hi));
}

std::size_t scan(const std::uint64_t* h, std::size_t n, const std::uint64_t q[4], int max_distance,
                 std::uint32_t* idx, std::uint16_t* dist) {
  const __m256i query = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  const __m256i zero = _mm256_setzero_si256();
  std::size_t found = 0, i = 0;
  for (; i + 4 <= n; i += 4) {
    const __m256i* p = reinterpret_cast<const __m256i*>(h + i * 4);
    // Per hash, 4 partial sums (one per 64-bit lane, <= 64 each); packed as 16-bit fields
    // so that two adds across lanes total all four hashes at once.
    const __m256i s0 = _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(_mm256_loadu_si256(p + 0), query)), zero);
    const __m256i s1 = _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(_mm256_loadu_si256(p + 1), query)), zero);
    const __m256i s2 = _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(_mm256_loadu_si256(p + 2), query)), zero);
    const __m256i s3 = _mm256_sad_epu8(popcount_bytes(_mm256_xor_si256(_mm256_loadu_si256(p + 3), query)), zero);
    const __m256i packed = _mm256_or_si256(
        _mm256_or_si256(s0, _mm256_slli_epi64(s1, 16)),
        _mm256_or_si256(_mm256_slli_epi64(s2, 32), _mm256_slli_epi64(s3, 48)));
    const __m128i half = _mm_add_epi16(_mm256_castsi256_si128(packed), _mm256_extracti128_si256(packed, 1));
    const __m128i total = _mm_add_epi16(half, _mm_unpackhi_epi64(half, half));
    // Fast reject: all four above max_distance (the common case for a list scan).
    const __m128i over = _mm_cmpgt_epi16(total, _mm_set1_epi16(static_cast<short>(max_distance)));
    if ((_mm_movemask_epi8(over) & 0xff) == 0xff) continue;
    const std::uint64_t word = static_cast<std::uint64_t>(_mm_cvtsi128_si64(total));
    for (int j = 0; j < 4; ++j) {
      const int d = static_cast<int>((word >> (16 * j)) & 0xffff);
      if (d <= max_distance) {
        idx[found] = static_cast<std::uint32_t>(i + j);
        dist[found] = static_cast<std::uint16_t>(d);
        ++found;
      }
    }
  }
  if (i < n) {
    const std::size_t m = scalar::pdq_kernels.scan(h + i * 4, n - i, q, max_distance, idx + found, dist + found);
    for (std::size_t j = 0; j < m; ++j) idx[found + j] += static_cast<std::uint32_t>(i);
    found += m;
  }
  return found;
}


const PreprocessKernels preprocess_kernels = {
    "avx2", hpass_q<8>, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_u8, store_f_i8, store_f_f32,
};
const BlurKernels blur_kernels = {"avx2", blur_strip, rows_to_steps, steps_to_rows};
const PdqKernels pdq_kernels = {"avx2", luma_row, box_rows, box_cols, dct64to16, scan};

}  // namespace

const KernelSet kernel_set = {Isa::Avx2, &preprocess_kernels, &blur_kernels, &pdq_kernels};

}  // namespace avx2
}  // namespace nudeguard

#endif
