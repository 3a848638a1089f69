// NEON PDQ kernels: the scalar reference's float operations on 4 lanes at a time (no FMA:
// -ffp-contract=off keeps vmulq + vaddq apart; true divisions), so results are
// bit-identical. Rows are filtered 4 at a time through 4 x 4 register transposes, columns 4
// at a time directly; luma deinterleaves with vld3/vld4 and keeps the reference's double
// arithmetic; the Hamming scan counts bits with vcnt. What does not fill a vector goes to
// the reference.
#include "../pdq.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <vector>

namespace nudeguard {
namespace neon {
namespace {

const PdqKernels& ref = scalar::pdq_kernels;

// float32 of 0.299 r + 0.587 g + 0.114 b in double, for 2 pixels (u32 lanes widened).
inline float32x2_t luma2(uint32x2_t r, uint32x2_t g, uint32x2_t b) {
  const float64x2_t dr = vcvtq_f64_u64(vmovl_u32(r));
  const float64x2_t dg = vcvtq_f64_u64(vmovl_u32(g));
  const float64x2_t db = vcvtq_f64_u64(vmovl_u32(b));
  const float64x2_t y = vaddq_f64(vaddq_f64(vmulq_f64(dr, vdupq_n_f64(0.299)), vmulq_f64(dg, vdupq_n_f64(0.587))),
                                  vmulq_f64(db, vdupq_n_f64(0.114)));
  return vcvt_f32_f64(y);
}

inline void luma8(uint8x8_t r8, uint8x8_t g8, uint8x8_t b8, float* out) {
  const uint16x8_t r = vmovl_u8(r8), g = vmovl_u8(g8), b = vmovl_u8(b8);
  const uint32x4_t rl = vmovl_u16(vget_low_u16(r)), rh = vmovl_u16(vget_high_u16(r));
  const uint32x4_t gl = vmovl_u16(vget_low_u16(g)), gh = vmovl_u16(vget_high_u16(g));
  const uint32x4_t bl = vmovl_u16(vget_low_u16(b)), bh = vmovl_u16(vget_high_u16(b));
  vst1q_f32(out + 0, vcombine_f32(luma2(vget_low_u32(rl), vget_low_u32(gl), vget_low_u32(bl)),
                                  luma2(vget_high_u32(rl), vget_high_u32(gl), vget_high_u32(bl))));
  vst1q_f32(out + 4, vcombine_f32(luma2(vget_low_u32(rh), vget_low_u32(gh), vget_low_u32(bh)),
                                  luma2(vget_high_u32(rh), vget_high_u32(gh), vget_high_u32(bh))));
}

void luma_row(const std::uint8_t* src, int width, int cn, int r, int g, int b, float* out) {
  int x = 0;
  if (cn == 3) {
    for (; x + 8 <= width; x += 8) {
      const uint8x8x3_t v = vld3_u8(src + std::ptrdiff_t(x) * 3);
      luma8(v.val[r], v.val[g], v.val[b], out + x);
    }
  } else if (cn == 4) {
    for (; x + 8 <= width; x += 8) {
      const uint8x8x4_t v = vld4_u8(src + std::ptrdiff_t(x) * 4);
      luma8(v.val[r], v.val[g], v.val[b], out + x);
    }
  }
  if (x < width) ref.luma_row(src + std::ptrdiff_t(x) * cn, width - x, cn, r, g, b, out + x);
}

// box1DFloat on 4 lanes: step s of lane l at in[s * step + l].
void box4(const float* in, float* out, int n, std::ptrdiff_t step, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  float32x4_t sum = vdupq_n_f32(0.0f);
  int size = 0;
  for (int i = 0; i < p1; ++i, ri += step) {
    sum = vaddq_f32(sum, vld1q_f32(in + ri));
    ++size;
  }
  for (int i = 0; i < p2; ++i, ri += step, oi += step) {
    sum = vaddq_f32(sum, vld1q_f32(in + ri));
    ++size;
    vst1q_f32(out + oi, vdivq_f32(sum, vdupq_n_f32(float(size))));
  }
  const float32x4_t full = vdupq_n_f32(float(size));
  for (int i = 0; i < p3; ++i, li += step, ri += step, oi += step) {
    sum = vaddq_f32(sum, vld1q_f32(in + ri));
    sum = vsubq_f32(sum, vld1q_f32(in + li));
    vst1q_f32(out + oi, vdivq_f32(sum, full));
  }
  for (int i = 0; i < p4; ++i, li += step, oi += step) {
    sum = vsubq_f32(sum, vld1q_f32(in + li));
    --size;
    vst1q_f32(out + oi, vdivq_f32(sum, vdupq_n_f32(float(size))));
  }
}

inline void transpose4(float32x4_t& a, float32x4_t& b, float32x4_t& c, float32x4_t& d) {
  const float32x4x2_t ab = vtrnq_f32(a, b), cd = vtrnq_f32(c, d);
  a = vcombine_f32(vget_low_f32(ab.val[0]), vget_low_f32(cd.val[0]));
  b = vcombine_f32(vget_low_f32(ab.val[1]), vget_low_f32(cd.val[1]));
  c = vcombine_f32(vget_high_f32(ab.val[0]), vget_high_f32(cd.val[0]));
  d = vcombine_f32(vget_high_f32(ab.val[1]), vget_high_f32(cd.val[1]));
}

void box_rows(const float* in, float* out, int rows, int cols, int window) {
  std::vector<float> t(std::size_t(cols) * 4), u(std::size_t(cols) * 4);
  const int full = cols / 4 * 4;
  int y = 0;
  for (; y + 4 <= rows; y += 4) {
    const float* s = in + std::ptrdiff_t(y) * cols;
    float* o = out + std::ptrdiff_t(y) * cols;
    for (int x = 0; x < full; x += 4) {
      float32x4_t a = vld1q_f32(s + x), b = vld1q_f32(s + cols + x);
      float32x4_t c = vld1q_f32(s + 2 * std::ptrdiff_t(cols) + x), d = vld1q_f32(s + 3 * std::ptrdiff_t(cols) + x);
      transpose4(a, b, c, d);
      float* p = &t[std::size_t(x) * 4];
      vst1q_f32(p, a);
      vst1q_f32(p + 4, b);
      vst1q_f32(p + 8, c);
      vst1q_f32(p + 12, d);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < 4; ++i) t[std::size_t(x) * 4 + i] = s[std::ptrdiff_t(i) * cols + x];
    }
    box4(t.data(), u.data(), cols, 4, window);
    for (int x = 0; x < full; x += 4) {
      const float* p = &u[std::size_t(x) * 4];
      float32x4_t a = vld1q_f32(p), b = vld1q_f32(p + 4), c = vld1q_f32(p + 8), d = vld1q_f32(p + 12);
      transpose4(a, b, c, d);
      vst1q_f32(o + x, a);
      vst1q_f32(o + cols + x, b);
      vst1q_f32(o + 2 * std::ptrdiff_t(cols) + x, c);
      vst1q_f32(o + 3 * std::ptrdiff_t(cols) + x, d);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < 4; ++i) o[std::ptrdiff_t(i) * cols + x] = u[std::size_t(x) * 4 + i];
    }
  }
  if (y < rows) {
    ref.box_rows(in + std::ptrdiff_t(y) * cols, out + std::ptrdiff_t(y) * cols, rows - y, cols, window);
  }
}

void box_cols(const float* in, float* out, int rows, int cols, std::ptrdiff_t stride, int window) {
  int x = 0;
  for (; x + 4 <= cols; x += 4) box4(in + x, out + x, rows, stride, window);
  if (x < cols) ref.box_cols(in + x, out + x, rows, cols - x, stride, window);
}

void dct64to16(const float* a, float* b) {
  const float* d = pdq_dct_matrix();
  float t[16 * 64];
  for (int i = 0; i < 16; ++i) {
    float32x4_t acc[16];
    for (int v = 0; v < 16; ++v) acc[v] = vdupq_n_f32(0.0f);
    for (int k = 0; k < 64; ++k) {
      const float32x4_t dk = vdupq_n_f32(d[i * 64 + k]);
      for (int v = 0; v < 16; ++v) acc[v] = vaddq_f32(acc[v], vmulq_f32(dk, vld1q_f32(a + k * 64 + 4 * v)));
    }
    for (int v = 0; v < 16; ++v) vst1q_f32(t + i * 64 + 4 * v, acc[v]);
  }
  float dt[64 * 16];
  for (int j = 0; j < 16; ++j) {
    for (int k = 0; k < 64; ++k) dt[k * 16 + j] = d[j * 64 + k];
  }
  for (int i = 0; i < 16; ++i) {
    float32x4_t acc[4];
    for (int v = 0; v < 4; ++v) acc[v] = vdupq_n_f32(0.0f);
    for (int k = 0; k < 64; ++k) {
      const float32x4_t tk = vdupq_n_f32(t[i * 64 + k]);
      for (int v = 0; v < 4; ++v) acc[v] = vaddq_f32(acc[v], vmulq_f32(tk, vld1q_f32(dt + k * 16 + 4 * v)));
    }
    for (int v = 0; v < 4; ++v) vst1q_f32(b + i * 16 + 4 * v, acc[v]);
  }
}

std::size_t scan(const std::uint64_t* h, std::size_t n, const std::uint64_t q[4], int max_distance,
                 std::uint32_t* idx, std::uint16_t* dist) {
  const uint8x16_t q0 = vreinterpretq_u8_u64(vld1q_u64(q)), q1 = vreinterpretq_u8_u64(vld1q_u64(q + 2));
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t* p = h + i * 4;
    const uint8x16_t c0 = vcntq_u8(veorq_u8(vreinterpretq_u8_u64(vld1q_u64(p)), q0));
    const uint8x16_t c1 = vcntq_u8(veorq_u8(vreinterpretq_u8_u64(vld1q_u64(p + 2)), q1));
    const int d = vaddlvq_u8(vaddq_u8(c0, c1));  // bytes <= 16, total <= 256
    if (d <= max_distance) {
      idx[found] = static_cast<std::uint32_t>(i);
      dist[found] = static_cast<std::uint16_t>(d);
      ++found;
    }
  }
  return found;
}

}  // namespace

const PdqKernels pdq_kernels = {"neon", luma_row, box_rows, box_cols, dct64to16, scan};

}  // namespace neon
}  // namespace nudeguard

#endif
