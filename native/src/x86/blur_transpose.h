// The horizontal pass's block transposes for 8 rows of 3- or 4-byte pixels with 128-bit
// shuffles (SSSE3 pshufb and SSE2 unpacks), shared by the x86 kernel sets (BlurKernels::
// rows_to_steps, steps_to_rows): sse41/kernels.cpp and avx2/kernels.cpp include this file
// inside their own namespace, after the intrinsics headers, so it is compiled once per target
// (VEX-encoded in avx2/). Pure
// byte moves: the results equal the scalar reference's (scalar/blur.cpp) by construction.
// Blocks of other heights or channel counts, and the pixels after the last full group of 8,
// go to the reference.
//
// A group is 8 rows x 8 pixels. Each row's 8 pixels become two vectors of four 32-bit words
// (a 3-byte pixel gets a zero fourth byte), four 4x4 word transposes turn the 16 vectors
// into 8 steps of two vectors (rows 0-3 and 4-7 of one pixel), which pack back to 3-byte
// pixels. Loads and stores touch exactly the group's bytes, so neighbouring blocks (other
// threads) and the ends of rows are never read or written past.
// 4x4 transpose of 32-bit words.
inline void transpose4(__m128i& r0, __m128i& r1, __m128i& r2, __m128i& r3) {
  const __m128i t0 = _mm_unpacklo_epi32(r0, r1), t1 = _mm_unpackhi_epi32(r0, r1);
  const __m128i t2 = _mm_unpacklo_epi32(r2, r3), t3 = _mm_unpackhi_epi32(r2, r3);
  r0 = _mm_unpacklo_epi64(t0, t2);
  r1 = _mm_unpackhi_epi64(t0, t2);
  r2 = _mm_unpacklo_epi64(t1, t3);
  r3 = _mm_unpackhi_epi64(t1, t3);
}

// 24 bytes (8 pixels of 3) at p -> words of pixels 0-3 (lo) and 4-7 (hi).
inline void load_rgb8(const std::uint8_t* p, __m128i& lo, __m128i& hi) {
  const __m128i spread_lo = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const __m128i spread_hi = _mm_setr_epi8(4, 5, 6, -1, 7, 8, 9, -1, 10, 11, 12, -1, 13, 14, 15, -1);
  lo = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), spread_lo);
  hi = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)), spread_hi);
}

// Inverse of load_rgb8: exactly 24 bytes at p.
inline void store_rgb8(std::uint8_t* p, __m128i lo, __m128i hi) {
  const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  lo = _mm_shuffle_epi8(lo, pack);
  hi = _mm_shuffle_epi8(hi, pack);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm_or_si128(lo, _mm_slli_si128(hi, 12)));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p + 16), _mm_srli_si128(hi, 4));
}

// v[r][h]: row r, pixels 4h .. 4h+3 -> v[x][h]: pixel x, rows 4h .. 4h+3.
inline void transpose8x8(__m128i v[8][2]) {
  for (int h = 0; h < 2; ++h) {
    transpose4(v[0][h], v[1][h], v[2][h], v[3][h]);
    transpose4(v[4][h], v[5][h], v[6][h], v[7][h]);
  }
  // Now v[4q + i][h] holds pixel 4h + i of rows 4q .. 4q+3: swap the off-diagonal blocks.
  for (int i = 0; i < 4; ++i) std::swap(v[i][1], v[4 + i][0]);
}

template <int C>
void rows_to_steps8(const std::uint8_t* src, std::int64_t stride, int groups, std::uint8_t* t) {
  for (int g = 0; g < groups; ++g) {
    __m128i v[8][2];
    const std::uint8_t* p = src + std::ptrdiff_t(g) * 8 * C;
    for (int r = 0; r < 8; ++r, p += stride) {
      if (C == 4) {
        v[r][0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        v[r][1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
      } else {
        load_rgb8(p, v[r][0], v[r][1]);
      }
    }
    transpose8x8(v);
    std::uint8_t* q = t + std::ptrdiff_t(g) * 8 * (8 * C);
    for (int x = 0; x < 8; ++x, q += 8 * C) {
      if (C == 4) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q), v[x][0]);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + 16), v[x][1]);
      } else {
        store_rgb8(q, v[x][0], v[x][1]);
      }
    }
  }
}

template <int C>
void steps_to_rows8(const std::uint8_t* t, int groups, std::uint8_t* dst, std::int64_t stride) {
  for (int g = 0; g < groups; ++g) {
    __m128i v[8][2];
    const std::uint8_t* q = t + std::ptrdiff_t(g) * 8 * (8 * C);
    for (int x = 0; x < 8; ++x, q += 8 * C) {
      if (C == 4) {
        v[x][0] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
        v[x][1] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 16));
      } else {
        load_rgb8(q, v[x][0], v[x][1]);
      }
    }
    transpose8x8(v);  // a transpose is its own inverse
    std::uint8_t* p = dst + std::ptrdiff_t(g) * 8 * C;
    for (int r = 0; r < 8; ++r, p += stride) {
      if (C == 4) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), v[r][0]);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p + 16), v[r][1]);
      } else {
        store_rgb8(p, v[r][0], v[r][1]);
      }
    }
  }
}

// BlurKernels::rows_to_steps / steps_to_rows: 8 rows of 3- or 4-byte pixels by groups of 8
// pixels, everything else by the reference.
void rows_to_steps(const std::uint8_t* src, std::int64_t stride, int rows, int width, int cn,
                   std::uint8_t* t) {
  const int groups = rows == 8 && (cn == 3 || cn == 4) ? width / 8 : 0;
  if (cn == 3) rows_to_steps8<3>(src, stride, groups, t);
  if (cn == 4) rows_to_steps8<4>(src, stride, groups, t);
  const int x0 = groups * 8;
  if (x0 < width) {
    scalar::blur_kernels.rows_to_steps(src + std::ptrdiff_t(x0) * cn, stride, rows, width - x0,
                                       cn, t + std::ptrdiff_t(x0) * rows * cn);
  }
}

void steps_to_rows(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                   std::int64_t stride) {
  const int groups = rows == 8 && (cn == 3 || cn == 4) ? width / 8 : 0;
  if (cn == 3) steps_to_rows8<3>(t, groups, dst, stride);
  if (cn == 4) steps_to_rows8<4>(t, groups, dst, stride);
  const int x0 = groups * 8;
  if (x0 < width) {
    scalar::blur_kernels.steps_to_rows(t + std::ptrdiff_t(x0) * rows * cn, rows, width - x0, cn,
                                       dst + std::ptrdiff_t(x0) * cn, stride);
  }
}
