// AVX2 PDQ kernels: the scalar reference's float operations on 8 lanes at a time (no FMA,
// true divisions), so results are bit-identical. Rows are filtered 8 at a time through 8 x 8
// register transposes; columns 8 at a time directly; the DCT's two matrix products run
// across output columns; the Hamming scan counts bits with the nibble-table method.
// Whatever does not fill a vector goes to the reference.
#include "../pdq.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>

#include <cstring>
#include <vector>

namespace nudeguard {
namespace avx2 {
namespace {

const PdqKernels& ref = scalar::pdq_kernels;

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
    ref.luma_row(src, width, cn, r, g, b, out);
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
  if (x < width) ref.luma_row(src + std::ptrdiff_t(x) * cn, width - x, cn, r, g, b, out + x);
}

// box1DFloat on 8 interleaved lanes: step s of lane l at in[s * 8 + l].
void box8(const float* in, float* out, int n, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  __m256 sum = _mm256_setzero_ps();
  int size = 0;
  for (int i = 0; i < p1; ++i, ri += 8) {
    sum = _mm256_add_ps(sum, _mm256_loadu_ps(in + ri));
    ++size;
  }
  for (int i = 0; i < p2; ++i, ri += 8, oi += 8) {
    sum = _mm256_add_ps(sum, _mm256_loadu_ps(in + ri));
    ++size;
    _mm256_storeu_ps(out + oi, _mm256_div_ps(sum, _mm256_set1_ps(float(size))));
  }
  const __m256 full = _mm256_set1_ps(float(size));
  for (int i = 0; i < p3; ++i, li += 8, ri += 8, oi += 8) {
    sum = _mm256_add_ps(sum, _mm256_loadu_ps(in + ri));
    sum = _mm256_sub_ps(sum, _mm256_loadu_ps(in + li));
    _mm256_storeu_ps(out + oi, _mm256_div_ps(sum, full));
  }
  for (int i = 0; i < p4; ++i, li += 8, oi += 8) {
    sum = _mm256_sub_ps(sum, _mm256_loadu_ps(in + li));
    --size;
    _mm256_storeu_ps(out + oi, _mm256_div_ps(sum, _mm256_set1_ps(float(size))));
  }
}

inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

void box_rows(const float* in, float* out, int rows, int cols, int window) {
  std::vector<float> t(std::size_t(cols) * 8), u(std::size_t(cols) * 8);
  const int full = cols / 8 * 8;
  int y = 0;
  for (; y + 8 <= rows; y += 8) {
    const float* src = in + std::ptrdiff_t(y) * cols;
    float* dst = out + std::ptrdiff_t(y) * cols;
    for (int x = 0; x < full; x += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + std::ptrdiff_t(i) * cols + x);
      transpose8(r);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(&t[std::size_t(x + i) * 8], r[i]);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < 8; ++i) t[std::size_t(x) * 8 + i] = src[std::ptrdiff_t(i) * cols + x];
    }
    box8(t.data(), u.data(), cols, window);
    for (int x = 0; x < full; x += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(&u[std::size_t(x + i) * 8]);
      transpose8(r);
      for (int i = 0; i < 8; ++i) _mm256_storeu_ps(dst + std::ptrdiff_t(i) * cols + x, r[i]);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < 8; ++i) dst[std::ptrdiff_t(i) * cols + x] = u[std::size_t(x) * 8 + i];
    }
  }
  if (y < rows) {
    ref.box_rows(in + std::ptrdiff_t(y) * cols, out + std::ptrdiff_t(y) * cols, rows - y, cols,
                 window);
  }
}

// box1DFloat down 8 * NV adjacent columns at once: each row step touches NV vectors of one
// row (whole cache lines), so a pass over the rows serves many columns.
template <int NV>
void box_cols_block(const float* in, float* out, int n, std::ptrdiff_t stride, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  __m256 sum[NV];
  for (int v = 0; v < NV; ++v) sum[v] = _mm256_setzero_ps();
  int size = 0;
  for (int i = 0; i < p1; ++i, ri += stride) {
    for (int v = 0; v < NV; ++v) sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(in + ri + 8 * v));
    ++size;
  }
  for (int i = 0; i < p2; ++i, ri += stride, oi += stride) {
    ++size;
    const __m256 div = _mm256_set1_ps(float(size));
    for (int v = 0; v < NV; ++v) {
      sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(in + ri + 8 * v));
      _mm256_storeu_ps(out + oi + 8 * v, _mm256_div_ps(sum[v], div));
    }
  }
  const __m256 full = _mm256_set1_ps(float(size));
  for (int i = 0; i < p3; ++i, li += stride, ri += stride, oi += stride) {
    for (int v = 0; v < NV; ++v) {
      sum[v] = _mm256_add_ps(sum[v], _mm256_loadu_ps(in + ri + 8 * v));
      sum[v] = _mm256_sub_ps(sum[v], _mm256_loadu_ps(in + li + 8 * v));
      _mm256_storeu_ps(out + oi + 8 * v, _mm256_div_ps(sum[v], full));
    }
  }
  for (int i = 0; i < p4; ++i, li += stride, oi += stride) {
    --size;
    const __m256 div = _mm256_set1_ps(float(size));
    for (int v = 0; v < NV; ++v) {
      sum[v] = _mm256_sub_ps(sum[v], _mm256_loadu_ps(in + li + 8 * v));
      _mm256_storeu_ps(out + oi + 8 * v, _mm256_div_ps(sum[v], div));
    }
  }
}

void box_cols(const float* in, float* out, int rows, int cols, std::ptrdiff_t stride, int window) {
  int x = 0;
  for (; x + 64 <= cols; x += 64) box_cols_block<8>(in + x, out + x, rows, stride, window);
  for (; x + 8 <= cols; x += 8) box_cols_block<1>(in + x, out + x, rows, stride, window);
  if (x < cols) ref.box_cols(in + x, out + x, rows, cols - x, stride, window);
}

void dct64to16(const float* a, float* b) {
  const float* d = pdq_dct_matrix();
  alignas(32) float t[16 * 64];
  for (int i = 0; i < 16; ++i) {
    __m256 acc[8];
    for (int v = 0; v < 8; ++v) acc[v] = _mm256_setzero_ps();
    for (int k = 0; k < 64; ++k) {
      const __m256 dk = _mm256_set1_ps(d[i * 64 + k]);
      for (int v = 0; v < 8; ++v) {
        acc[v] = _mm256_add_ps(acc[v], _mm256_mul_ps(dk, _mm256_loadu_ps(a + k * 64 + 8 * v)));
      }
    }
    for (int v = 0; v < 8; ++v) _mm256_store_ps(t + i * 64 + 8 * v, acc[v]);
  }
  // dt[k][j] = d[j][k]
  alignas(32) float dt[64 * 16];
  for (int j = 0; j < 16; ++j) {
    for (int k = 0; k < 64; ++k) dt[k * 16 + j] = d[j * 64 + k];
  }
  for (int i = 0; i < 16; ++i) {
    __m256 lo = _mm256_setzero_ps(), hi = _mm256_setzero_ps();
    for (int k = 0; k < 64; ++k) {
      const __m256 tk = _mm256_set1_ps(t[i * 64 + k]);
      lo = _mm256_add_ps(lo, _mm256_mul_ps(tk, _mm256_load_ps(dt + k * 16)));
      hi = _mm256_add_ps(hi, _mm256_mul_ps(tk, _mm256_load_ps(dt + k * 16 + 8)));
    }
    _mm256_storeu_ps(b + i * 16, lo);
    _mm256_storeu_ps(b + i * 16 + 8, hi);
  }
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
    const std::size_t m = ref.scan(h + i * 4, n - i, q, max_distance, idx + found, dist + found);
    for (std::size_t j = 0; j < m; ++j) idx[found + j] += static_cast<std::uint32_t>(i);
    found += m;
  }
  return found;
}

}  // namespace

const PdqKernels pdq_kernels = {"avx2", luma_row, box_rows, box_cols, dct64to16, scan};

}  // namespace avx2
}  // namespace nudeguard

#endif
