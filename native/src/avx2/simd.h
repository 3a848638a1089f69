// The AVX2 vector layer: the operations the generic kernel bodies (../generic/) are written
// over, on 8 floats per vector. avx2/kernels.cpp includes it inside namespace
// nudeguard::avx2 after <immintrin.h>, then the generic bodies. No FMA: products and sums
// stay separate, as in the scalar reference.

using F32 = __m256;
constexpr int kLanes = 8;

inline F32 splat(float v) { return _mm256_set1_ps(v); }
inline F32 load(const float* p) { return _mm256_loadu_ps(p); }
inline void store(float* p, F32 v) { _mm256_storeu_ps(p, v); }
inline F32 add(F32 a, F32 b) { return _mm256_add_ps(a, b); }
inline F32 sub(F32 a, F32 b) { return _mm256_sub_ps(a, b); }
inline F32 mul(F32 a, F32 b) { return _mm256_mul_ps(a, b); }
inline F32 div(F32 a, F32 b) { return _mm256_div_ps(a, b); }
inline F32 min(F32 a, F32 b) { return _mm256_min_ps(a, b); }
inline F32 max(F32 a, F32 b) { return _mm256_max_ps(a, b); }

// kLanes bytes -> floats.
inline F32 load_u8(const std::uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// int32 lanes -> 8 saturated int16 in lane order.
inline __m128i narrow16(__m256i i) {
  return _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));
}

// kLanes bytes, rounded half to even (MXCSR default) and saturated to 0..255.
inline void store_u8(std::uint8_t* p, F32 v) {
  const __m128i p16 = narrow16(_mm256_cvtps_epi32(v));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(p16, p16));
}

// 3 * kLanes values in range, rounded half to even, to bytes (int8 if is_signed).
template <bool is_signed>
inline void store_bytes3(std::uint8_t* out, const F32 v[3]) {
  const __m128i a = narrow16(_mm256_cvtps_epi32(v[0])), b = narrow16(_mm256_cvtps_epi32(v[1]));
  const __m128i c = narrow16(_mm256_cvtps_epi32(v[2]));
  const __m128i ab = is_signed ? _mm_packs_epi16(a, b) : _mm_packus_epi16(a, b);
  const __m128i cc = is_signed ? _mm_packs_epi16(c, c) : _mm_packus_epi16(c, c);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), ab);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out + 16), cc);
}

// r[i] lane j <-> r[j] lane i.
inline void transpose(F32 r[8]) {
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
