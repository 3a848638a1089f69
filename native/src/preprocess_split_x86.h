// The split of a source row into int16 planes and the 128-bit dot-product helpers of the
// preprocessing kernels, shared by the x86 kernel sets the way simdjson shares generic code:
// sse41/kernels.cpp and avx2/kernels.cpp include this file inside their own anonymous
// namespace, after the intrinsics headers, so it is compiled once per target (VEX-encoded
// in avx2/). Byte moves and integer sums: the results equal the scalar reference's.
#ifndef NG_PREPROCESS_SPLIT_X86_BODY
#define NG_PREPROCESS_SPLIT_X86_BODY

// Planes of the split row: 3 planes of `stride` int16, stride >= span + padded.
std::size_t plane_stride(const Axis& x) { return (std::size_t(x.span) + x.padded + 7) & ~std::size_t(7); }

// Channel `byte` of 16 consecutive pixels of `channels` (3 or 4) bytes, read with `channels`
// 16-byte loads: mask[q] moves byte byte + channels * j of the block from load q to lane j.
void split_masks(int channels, int byte, __m128i mask[4]) {
  for (int q = 0; q < channels; ++q) {
    alignas(16) std::int8_t m[16];
    for (int j = 0; j < 16; ++j) {
      const int at = byte + channels * j - 16 * q;
      m[j] = static_cast<std::int8_t>(at >= 0 && at < 16 ? at : -128);
    }
    mask[q] = _mm_load_si128(reinterpret_cast<const __m128i*>(m));
  }
}

// 16 pixels of C bytes -> 16 int16 of each plane; loops unroll, masks stay in registers.
template <int C>
int split_blocks(const std::uint8_t* row, int count, const int chan[3], std::int16_t* const plane[3]) {
  __m128i mask[3][C];
  for (int c = 0; c < 3; ++c) split_masks(C, chan[c], mask[c]);
  int j = 0;
  for (; j + 16 <= count; j += 16) {
    const std::uint8_t* p = row + std::ptrdiff_t(j) * C;
    __m128i in[C];
    for (int q = 0; q < C; ++q) in[q] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * q));
    for (int c = 0; c < 3; ++c) {
      __m128i v = _mm_shuffle_epi8(in[0], mask[c][0]);
      for (int q = 1; q < C; ++q) v = _mm_or_si128(v, _mm_shuffle_epi8(in[q], mask[c][q]));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(plane[c] + j), _mm_cvtepu8_epi16(v));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(plane[c] + j + 8), _mm_cvtepu8_epi16(_mm_srli_si128(v, 8)));
    }
  }
  return j;
}

// Gray: the same values in all three planes.
int split_gray(const std::uint8_t* row, int count, std::int16_t* const plane[3]) {
  int j = 0;
  for (; j + 16 <= count; j += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + j));
    const __m128i lo = _mm_cvtepu8_epi16(v), hi = _mm_cvtepu8_epi16(_mm_srli_si128(v, 8));
    for (int c = 0; c < 3; ++c) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(plane[c] + j), lo);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(plane[c] + j + 8), hi);
    }
  }
  return j;
}

// row pixels first .. first + count - 1 -> planes[c][j] = pixel (first + j) byte chan[c];
// entries count .. count + pad - 1 are zeroed.
void split_q(const std::uint8_t* row, int count, int pad, int channels, const int chan[3],
             std::int16_t* planes, std::size_t stride) {
  std::int16_t* const plane[3] = {planes, planes + stride, planes + 2 * stride};
  int j = channels == 3   ? split_blocks<3>(row, count, chan, plane)
          : channels == 4 ? split_blocks<4>(row, count, chan, plane)
                          : split_gray(row, count, plane);
  for (; j < count; ++j) {
    for (int c = 0; c < 3; ++c) plane[c][j] = row[std::ptrdiff_t(j) * channels + chan[c]];
  }
  for (int c = 0; c < 3; ++c) std::memset(plane[c] + count, 0, sizeof(std::int16_t) * pad);
}

inline __m128i dot8(const std::int16_t* p, __m128i w) {
  return _mm_madd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), w);
}

// [sum a, sum b, sum c, sum d] of four int32 vectors.
inline __m128i sum4(__m128i a, __m128i b, __m128i c, __m128i d) {
  return _mm_hadd_epi32(_mm_hadd_epi32(a, b), _mm_hadd_epi32(c, d));
}

inline __m128i round_row(__m128i s) {
  constexpr int half = 1 << (kWeightBits - kRowBits - 1);
  return _mm_srai_epi32(_mm_add_epi32(s, _mm_set1_epi32(half)), kWeightBits - kRowBits);
}

#endif  // NG_PREPROCESS_SPLIT_X86_BODY
