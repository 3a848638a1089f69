// Reference PDQ kernels: the arithmetic of Meta's pdq/cpp, statement for statement, which
// every SIMD set reproduces bit for bit.
#include <cstring>

#include "reference.h"

namespace nudeguard {
namespace scalar {
namespace {

void luma_row(const std::uint8_t* src, int width, int cn, int r, int g, int b, float* out) {
  if (cn == 1) {
    for (int x = 0; x < width; ++x) out[x] = float(src[x]);
    return;
  }
  for (int x = 0; x < width; ++x) {
    const std::uint8_t* p = src + std::ptrdiff_t(x) * cn;
    out[x] = static_cast<float>(double(p[r]) * 0.299 + double(p[g]) * 0.587 + double(p[b]) * 0.114);
  }
}

// pdq/cpp/downscaling box1DFloat.
void box1d(const float* in, float* out, int n, std::ptrdiff_t stride, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  float sum = 0.0f;
  int size = 0;
  for (int i = 0; i < p1; ++i) {
    sum += in[ri];
    ++size;
    ri += stride;
  }
  for (int i = 0; i < p2; ++i) {
    sum += in[ri];
    ++size;
    out[oi] = sum / size;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < p3; ++i) {
    sum += in[ri];
    sum -= in[li];
    out[oi] = sum / size;
    li += stride;
    ri += stride;
    oi += stride;
  }
  for (int i = 0; i < p4; ++i) {
    sum -= in[li];
    --size;
    out[oi] = sum / size;
    li += stride;
    oi += stride;
  }
}

void box_rows(const float* in, float* out, int rows, int cols, int window) {
  for (int y = 0; y < rows; ++y) {
    box1d(in + std::ptrdiff_t(y) * cols, out + std::ptrdiff_t(y) * cols, cols, 1, window);
  }
}

void box_cols(const float* in, float* out, int rows, int cols, std::ptrdiff_t stride, int window) {
  for (int x = 0; x < cols; ++x) box1d(in + x, out + x, rows, stride, window);
}

// pdqhashing.cpp dct64To16: T = D A, then B = T D^T, sums in increasing k.
void dct64to16(const float* a, float* b) {
  const float* d = pdq_dct_matrix();
  float t[16 * 64];
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 64; ++j) {
      float sum = 0.0f;
      for (int k = 0; k < 64; ++k) sum += d[i * 64 + k] * a[k * 64 + j];
      t[i * 64 + j] = sum;
    }
  }
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      float sum = 0.0f;
      for (int k = 0; k < 64; ++k) sum += t[i * 64 + k] * d[j * 64 + k];
      b[i * 16 + j] = sum;
    }
  }
}

// Portable popcount (no POPCNT instruction assumed on baseline x86-64).
inline int popcount64(std::uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
}

std::size_t scan(const std::uint64_t* h, std::size_t n, const std::uint64_t q[4], int max_distance,
                 std::uint32_t* idx, std::uint16_t* dist) {
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; ++i, h += 4) {
    const int d = popcount64(h[0] ^ q[0]) + popcount64(h[1] ^ q[1]) + popcount64(h[2] ^ q[2]) +
                  popcount64(h[3] ^ q[3]);
    if (d <= max_distance) {
      idx[found] = static_cast<std::uint32_t>(i);
      dist[found] = static_cast<std::uint16_t>(d);
      ++found;
    }
  }
  return found;
}

}  // namespace

const PdqKernels pdq_kernels = {"scalar", luma_row, box_rows, box_cols, dct64to16, scan};

}  // namespace scalar
}  // namespace nudeguard
