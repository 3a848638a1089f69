// SSE4.1 preprocessing kernels, bit-exact with the scalar reference.
//
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

#include <cstring>

namespace nudeguard {
namespace sse41 {
namespace {

const Kernels& ref = scalar::kernels;

#include "../preprocess_split_x86.h"

void hpass_q(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             std::int16_t* out, void* work) {
  const std::size_t stride = plane_stride(x);
  auto* planes = static_cast<std::int16_t*>(work);
  split_q(row + std::ptrdiff_t(x.first[0]) * src_channels, x.span, int(stride) - x.span,
          src_channels, chan, planes, stride);
  const std::int16_t* plane[3] = {planes, planes + stride, planes + 2 * stride};
  const int padded = x.padded;
  int i = 0;
  for (; i + 4 <= x.size; i += 4, out += 12) {
    __m128i acc[12];
    for (int o = 0; o < 4; ++o) {
      const int base = x.first[i + o] - x.first[0];
      const std::int16_t* w = x.pqweight.data() + std::size_t(i + o) * padded;
      __m128i r = _mm_setzero_si128(), g = r, b = r;  // in registers, not in acc[]
      for (int k = 0; k < padded; k += 8) {
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

void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  float* px = float_pixels(work);
  split_f(row, x, src_channels, chan, px, float_planes(x, work));
  for (int i = 0; i < x.size; ++i) {
    const float* p = px + 4 * std::size_t(x.first[i] - x.first[0]);
    __m128 acc = _mm_setzero_ps();
    for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += 4) {
      acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(p), _mm_set1_ps(x.weight[t])));
    }
    if (i + 1 < x.size) {
      _mm_storeu_ps(out + 3 * i, acc);  // the 4th lane is overwritten by the next output
    } else {
      alignas(16) float r[4];
      _mm_store_ps(r, acc);
      std::memcpy(out + 3 * i, r, 3 * sizeof(float));
    }
  }
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
  if (k < n) ref.vacc_q(acc + k, row + k, w, n - k);
}

void vacc_f(float* acc, const float* row, float w, int n) {
  const __m128 wv = _mm_set1_ps(w);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    _mm_storeu_ps(acc + k, _mm_add_ps(_mm_loadu_ps(acc + k), _mm_mul_ps(_mm_loadu_ps(row + k), wv)));
  }
  if (k < n) ref.vacc_f(acc + k, row + k, w, n - k);
}

}  // namespace

// The stores are shared with the AVX2 set (declared in kernels.h): they write one output row
// per tensor row (224 per image), a negligible share of the time.
void store_q_u8(const std::int32_t* acc, int n, std::uint8_t* out) {
  constexpr int shift = kRowBits + kWeightBits;
  const __m128i half = _mm_set1_epi32(1 << (shift - 1));
  auto load = [&](int k) {
    return _mm_srai_epi32(_mm_add_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(acc + k)), half), shift);
  };
  int k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m128i a = _mm_packs_epi32(load(k), load(k + 4)), b = _mm_packs_epi32(load(k + 8), load(k + 12));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), _mm_packus_epi16(a, b));
  }
  if (k < n) ref.store_q_u8(acc + k, n - k, out + k);
}

namespace {

// Twelve values (four pixels) per step: the per-channel constants repeat every 3 vectors.
struct Affine {
  __m128 mul[3], add[3];
  Affine(const float m[3], const float a[3]) {
    for (int v = 0; v < 3; ++v) {
      mul[v] = _mm_setr_ps(m[(4 * v) % 3], m[(4 * v + 1) % 3], m[(4 * v + 2) % 3], m[(4 * v + 3) % 3]);
      add[v] = _mm_setr_ps(a[(4 * v) % 3], a[(4 * v + 1) % 3], a[(4 * v + 2) % 3], a[(4 * v + 3) % 3]);
    }
  }
  __m128 at(const float* acc, int v) const {
    return _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(acc + 4 * v), mul[v]), add[v]);
  }
};

template <bool is_signed>
void store_f_int(const float* acc, int n, const float mul[3], const float add[3], void* out_) {
  auto* out = static_cast<std::uint8_t*>(out_);
  const Affine f(mul, add);
  const __m128 lo = _mm_set1_ps(is_signed ? -128.0f : 0.0f), hi = _mm_set1_ps(is_signed ? 127.0f : 255.0f);
  int k = 0;
  for (; k + 12 <= n; k += 12, acc += 12) {
    __m128i v[3];
    for (int j = 0; j < 3; ++j) v[j] = _mm_cvtps_epi32(_mm_min_ps(_mm_max_ps(f.at(acc, j), lo), hi));
    const __m128i a = _mm_packs_epi32(v[0], v[1]), b = _mm_packs_epi32(v[2], v[2]);
    const __m128i bytes = is_signed ? _mm_packs_epi16(a, b) : _mm_packus_epi16(a, b);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + k), bytes);
    const std::int32_t last = _mm_extract_epi32(bytes, 2);
    std::memcpy(out + k + 8, &last, 4);
  }
  if (k == n) return;
  if (is_signed) {
    ref.store_f_i8(acc, n - k, mul, add, reinterpret_cast<std::int8_t*>(out + k));
  } else {
    ref.store_f_u8(acc, n - k, mul, add, out + k);
  }
}

}  // namespace

void store_f_u8(const float* acc, int n, const float mul[3], const float add[3], std::uint8_t* out) {
  store_f_int<false>(acc, n, mul, add, out);
}

void store_f_i8(const float* acc, int n, const float mul[3], const float add[3], std::int8_t* out) {
  store_f_int<true>(acc, n, mul, add, out);
}

void store_f_f32(const float* acc, int n, const float mul[3], const float add[3], float* out) {
  const Affine f(mul, add);
  int k = 0;
  for (; k + 12 <= n; k += 12) {
    for (int j = 0; j < 3; ++j) _mm_storeu_ps(out + k + 4 * j, f.at(acc + k, j));
  }
  if (k < n) ref.store_f_f32(acc + k, n - k, mul, add, out + k);
}

const Kernels kernels = {
    "sse41", hpass_q, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_u8, store_f_i8, store_f_f32,
};

}  // namespace sse41
}  // namespace nudeguard

#endif
