// The SSE4.1 vector layer: the operations the generic kernel bodies (../generic/) are written
// over, on 4 floats per vector. sse41/kernels.cpp includes it inside namespace
// nudeguard::sse41 after <immintrin.h>, then the generic bodies.

using F32 = __m128;
constexpr int kLanes = 4;

inline F32 splat(float v) { return _mm_set1_ps(v); }
inline F32 load(const float* p) { return _mm_loadu_ps(p); }
inline void store(float* p, F32 v) { _mm_storeu_ps(p, v); }
inline F32 add(F32 a, F32 b) { return _mm_add_ps(a, b); }
inline F32 mul(F32 a, F32 b) { return _mm_mul_ps(a, b); }
inline F32 min(F32 a, F32 b) { return _mm_min_ps(a, b); }
inline F32 max(F32 a, F32 b) { return _mm_max_ps(a, b); }

// kLanes bytes -> floats.
inline F32 load_u8(const std::uint8_t* p) {
  std::int32_t word;
  std::memcpy(&word, p, 4);
  return _mm_cvtepi32_ps(_mm_cvtepu8_epi32(_mm_cvtsi32_si128(word)));
}

// kLanes bytes, rounded half to even (MXCSR default) and saturated to 0..255.
inline void store_u8(std::uint8_t* p, F32 v) {
  const __m128i p16 = _mm_packs_epi32(_mm_cvtps_epi32(v), _mm_setzero_si128());
  const std::int32_t word = _mm_cvtsi128_si32(_mm_packus_epi16(p16, p16));
  std::memcpy(p, &word, 4);
}

// 3 * kLanes values in range, rounded half to even, to bytes (int8 if is_signed).
template <bool is_signed>
inline void store_bytes3(std::uint8_t* out, const F32 v[3]) {
  const __m128i a = _mm_packs_epi32(_mm_cvtps_epi32(v[0]), _mm_cvtps_epi32(v[1]));
  const __m128i c = _mm_cvtps_epi32(v[2]);
  const __m128i b = _mm_packs_epi32(c, c);
  const __m128i bytes = is_signed ? _mm_packs_epi16(a, b) : _mm_packus_epi16(a, b);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), bytes);
  const std::int32_t last = _mm_extract_epi32(bytes, 2);
  std::memcpy(out + 8, &last, 4);
}
