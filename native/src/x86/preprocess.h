// The 128-bit parts of the x86 preprocessing kernels, shared by sse41/kernels.cpp and
// avx2/kernels.cpp, which include this file inside their own namespace after the intrinsics
// headers and ../generic/preprocess_kernels.h, so it is compiled once per target
// (VEX-encoded in avx2/): the split of a source row into int16 planes (pshufb for 3- and
// 4-byte pixels) and into RGBx float pixels, the integer and float horizontal pass of one
// output, and the integer store. Byte moves and integer sums, and float sums in the
// reference's order: the results equal the scalar reference's.

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

// One output of the integer horizontal pass: out[0..2] for kept column i.
void hpass_q_one(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out) {
  __m128i acc[3] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
  const int base = plane_offset(x, i);
  const std::int16_t* w = qweights(x, i);
  for (int k = 0; k < x.padded; k += 8) {
    const __m128i wv = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + k));
    for (int c = 0; c < 3; ++c) acc[c] = _mm_add_epi32(acc[c], dot8(plane[c] + base + k, wv));
  }
  alignas(16) std::int32_t r[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(r), round_row(sum4(acc[0], acc[1], acc[2], _mm_setzero_si128())));
  for (int c = 0; c < 3; ++c) out[c] = static_cast<std::int16_t>(r[c]);
}

// The float work area: one RGBx float vector per pixel of the span (x = 0), then padding
// pixels of zeros; the int16 planes they are made from after them.
float* split_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3], void* work) {
  const std::size_t stride = plane_stride(x);
  float* px = static_cast<float*>(work);
  const Planes split = split_planes(row, x, src_channels, chan, px + 4 * stride);
  const std::int16_t* const* plane = split.plane;
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
  return px;
}

// One output of the float horizontal pass, the reference's sum in the reference's order
// (acc + pixel * weight, tap after tap). Writes out[3 * i .. 3 * i + 2]; with `spill` a
// fourth float that the next output overwrites.
void hpass_f_one(const float* px, const Axis& x, int i, float* out, bool spill) {
  const float* p = px + 4 * std::size_t(x.first[i] - x.first[0]);
  __m128 acc = _mm_setzero_ps();
  for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += 4) {
    acc = _mm_add_ps(acc, _mm_mul_ps(_mm_load_ps(p), _mm_set1_ps(x.weight[t])));
  }
  if (spill) {
    _mm_storeu_ps(out + 3 * i, acc);
  } else {
    alignas(16) float r[4];
    _mm_store_ps(r, acc);
    std::memcpy(out + 3 * i, r, 3 * sizeof(float));
  }
}

// One tensor row per call (224 per image), a negligible share of the time: 128 bits serve
// both x86 sets.
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
  if (k < n) scalar::preprocess_kernels.store_q_u8(acc + k, n - k, out + k);
}
