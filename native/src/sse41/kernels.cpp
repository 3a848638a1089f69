// The SSE4.1 kernel set: preprocessing and blur (PDQ runs the reference's kernels). The
// generic bodies (../generic/) over this target's vector layer (simd.h), the 128-bit x86 parts
// shared with the AVX2 set (../x86/), and what only this target does: the integer
// horizontal pass four outputs at a time (pmaddwd dot products), the float one an output per
// vector, and the vertical integer accumulation. All bit-exact with the scalar reference.
#include "../kernels.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#include <cstring>
#include <utility>

#include "../scalar/reference.h"

namespace nudeguard {
namespace sse41 {
namespace {

#include "simd.h"
#include "../generic/preprocess_kernels.h"
#include "../x86/preprocess.h"
#include "../generic/blur_kernels.h"
#include "../x86/blur_transpose.h"

// Four outputs x three channels reduced at once with phaddd into tensor order.
void hpass_q_group(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out) {
  __m128i acc[12];
  for (int o = 0; o < 4; ++o) {
    const int base = plane_offset(x, i + o);
    const std::int16_t* w = qweights(x, i + o);
    __m128i r = _mm_setzero_si128(), g = r, b = r;  // in registers, not in acc[]
    for (int k = 0; k < x.padded; k += 8) {
      const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k));
      r = _mm_add_epi32(r, dot8(plane[0] + base + k, wv));
      g = _mm_add_epi32(g, dot8(plane[1] + base + k, wv));
      b = _mm_add_epi32(b, dot8(plane[2] + base + k, wv));
    }
    acc[3 * o] = r;
    acc[3 * o + 1] = g;
    acc[3 * o + 2] = b;
  }
  const __m128i r0 = round_row(sum4(acc[0], acc[1], acc[2], acc[3]));
  const __m128i r1 = round_row(sum4(acc[4], acc[5], acc[6], acc[7]));
  const __m128i r2 = round_row(sum4(acc[8], acc[9], acc[10], acc[11]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_packs_epi32(r0, r1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 8), _mm_packs_epi32(r2, r2));
}

void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  const float* px = split_f(row, x, src_channels, chan, work);
  for (int i = 0; i < x.size; ++i) hpass_f_one(px, x, i, out, i + 1 < x.size);
}

void vacc_q(std::int32_t* acc, const std::int16_t* row, std::int16_t w, int n) {
  const __m128i wv = _mm_set1_epi16(w);
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    const __m128i r = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k));
    const __m128i lo = _mm_mullo_epi16(r, wv), hi = _mm_mulhi_epi16(r, wv);
    __m128i* a = reinterpret_cast<__m128i*>(acc + k);
    _mm_storeu_si128(a, _mm_add_epi32(_mm_loadu_si128(a), _mm_unpacklo_epi16(lo, hi)));
    _mm_storeu_si128(a + 1, _mm_add_epi32(_mm_loadu_si128(a + 1), _mm_unpackhi_epi16(lo, hi)));
  }
  if (k < n) scalar::preprocess_kernels.vacc_q(acc + k, row + k, w, n - k);
}

const PreprocessKernels preprocess_kernels = {
    "sse41", hpass_q<4>, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_u8, store_f_i8, store_f_f32,
};
const BlurKernels blur_kernels = {"sse41", blur_strip, rows_to_steps, steps_to_rows};

}  // namespace

const KernelSet kernel_set = {Isa::Sse41, &preprocess_kernels, &blur_kernels, &scalar::pdq_kernels};

}  // namespace sse41
}  // namespace nudeguard

#endif
