// The NEON (AArch64) kernel set: preprocessing, blur and PDQ. The generic bodies (../generic/)
// over this target's vector layer (simd.h), and what only this target does: the split of a
// row into int16 planes (vld3q/vld4q deinterleave), the integer horizontal pass (vmull/
// vmlal_s16 dot products, four outputs x three channels reduced at once with vpaddq into
// tensor order), the float one an output per vector, the vertical integer accumulation and
// store, PDQ's luma (vld3/vld4, then the reference's double arithmetic) and the Hamming scan
// (vcnt). Separate multiplies and adds (never vmla/vfma); conversions round half to even
// like nearbyint; all bit-exact with the scalar reference, which gets what does not fill a
// vector. The blur's block transposes are the reference's (no NEON byte transposes yet:
// vld3/vst3 plus vtrn would be the way).
#include "../kernels.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <cstring>
#include <vector>

#include "../scalar/reference.h"

namespace nudeguard {
namespace neon {
namespace {

#include "simd.h"
#include "../generic/preprocess_kernels.h"
#include "../generic/blur_kernels.h"
#include "../generic/pdq_kernels.h"

inline void store_widened(std::int16_t* p, uint8x16_t v) {
  vst1q_s16(p, vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))));
  vst1q_s16(p + 8, vreinterpretq_s16_u16(vmovl_high_u8(v)));
}

void split_q(const std::uint8_t* row, int count, int pad, int channels, const int chan[3],
             std::int16_t* planes, std::size_t stride) {
  std::int16_t* plane[3] = {planes, planes + stride, planes + 2 * stride};
  int j = 0;
  if (channels == 3) {
    for (; j + 16 <= count; j += 16) {
      const uint8x16x3_t v = vld3q_u8(row + std::ptrdiff_t(j) * 3);
      for (int c = 0; c < 3; ++c) store_widened(plane[c] + j, v.val[chan[c]]);
    }
  } else if (channels == 4) {
    for (; j + 16 <= count; j += 16) {
      const uint8x16x4_t v = vld4q_u8(row + std::ptrdiff_t(j) * 4);
      for (int c = 0; c < 3; ++c) store_widened(plane[c] + j, v.val[chan[c]]);
    }
  } else {  // gray: the same values in all three planes
    for (; j + 16 <= count; j += 16) {
      const uint8x16_t v = vld1q_u8(row + j);
      for (int c = 0; c < 3; ++c) store_widened(plane[c] + j, v);
    }
  }
  for (; j < count; ++j) {
    for (int c = 0; c < 3; ++c) plane[c][j] = row[std::ptrdiff_t(j) * channels + chan[c]];
  }
  for (int c = 0; c < 3; ++c) std::memset(plane[c] + count, 0, sizeof(std::int16_t) * pad);
}

inline int32x4_t dot8(int32x4_t acc, const std::int16_t* p, int16x8_t w) {
  const int16x8_t a = vld1q_s16(p);
  return vmlal_high_s16(vmlal_s16(acc, vget_low_s16(a), vget_low_s16(w)), a, w);
}

// [sum a, sum b, sum c, sum d], rounded to the row format.
inline int16x4_t sum4_row(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d) {
  const int32x4_t s = vpaddq_s32(vpaddq_s32(a, b), vpaddq_s32(c, d));
  return vqmovn_s32(vrshrq_n_s32(s, kWeightBits - kRowBits));  // (s + half) >> 7, <= 32640
}

// Four outputs x three channels reduced at once with vpaddq into tensor order.
void hpass_q_group(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out) {
  int32x4_t acc[12];
  for (int o = 0; o < 4; ++o) {
    const int base = plane_offset(x, i + o);
    const std::int16_t* w = qweights(x, i + o);
    int32x4_t r = vdupq_n_s32(0), g = r, b = r;  // in registers, not in acc[]
    for (int k = 0; k < x.padded; k += 8) {
      const int16x8_t wv = vld1q_s16(w + k);
      r = dot8(r, plane[0] + base + k, wv);
      g = dot8(g, plane[1] + base + k, wv);
      b = dot8(b, plane[2] + base + k, wv);
    }
    acc[3 * o] = r;
    acc[3 * o + 1] = g;
    acc[3 * o + 2] = b;
  }
  vst1q_s16(out, vcombine_s16(sum4_row(acc[0], acc[1], acc[2], acc[3]), sum4_row(acc[4], acc[5], acc[6], acc[7])));
  vst1_s16(out + 8, sum4_row(acc[8], acc[9], acc[10], acc[11]));
}

void hpass_q_one(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out) {
  int32x4_t acc[3] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  const int base = plane_offset(x, i);
  const std::int16_t* w = qweights(x, i);
  for (int k = 0; k < x.padded; k += 8) {
    const int16x8_t wv = vld1q_s16(w + k);
    for (int c = 0; c < 3; ++c) acc[c] = dot8(acc[c], plane[c] + base + k, wv);
  }
  std::int16_t r[4];
  vst1_s16(r, sum4_row(acc[0], acc[1], acc[2], vdupq_n_s32(0)));
  std::memcpy(out, r, 3 * sizeof(std::int16_t));
}

// The float work area: one RGBx float vector per pixel of the span (then zero pixels), the
// int16 planes after them.
void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  const std::size_t stride = plane_stride(x);
  float* px = static_cast<float*>(work);
  const Planes split = split_planes(row, x, src_channels, chan, px + 4 * stride);
  for (std::size_t j = 0; j < stride; j += 4) {
    float32x4x4_t v;
    for (int c = 0; c < 3; ++c) v.val[c] = vcvtq_f32_s32(vmovl_s16(vld1_s16(split.plane[c] + j)));
    v.val[3] = vdupq_n_f32(0.0f);
    vst4q_f32(px + 4 * j, v);
  }
  for (int i = 0; i < x.size; ++i) {
    const float* p = px + 4 * std::size_t(x.first[i] - x.first[0]);
    float32x4_t acc = vdupq_n_f32(0.0f);
    for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += 4) {
      acc = vaddq_f32(acc, vmulq_f32(vld1q_f32(p), vdupq_n_f32(x.weight[t])));
    }
    if (i + 1 < x.size) {
      vst1q_f32(out + 3 * i, acc);  // the 4th lane is overwritten by the next output
    } else {
      float r[4];
      vst1q_f32(r, acc);
      std::memcpy(out + 3 * i, r, 3 * sizeof(float));
    }
  }
}

void vacc_q(std::int32_t* acc, const std::int16_t* row, std::int16_t w, int n) {
  int k = 0;
  for (; k + 8 <= n; k += 8) {
    const int16x8_t r = vld1q_s16(row + k);
    vst1q_s32(acc + k, vmlal_n_s16(vld1q_s32(acc + k), vget_low_s16(r), w));
    vst1q_s32(acc + k + 4, vmlal_high_n_s16(vld1q_s32(acc + k + 4), r, w));
  }
  if (k < n) scalar::preprocess_kernels.vacc_q(acc + k, row + k, w, n - k);
}

void store_q_u8(const std::int32_t* acc, int n, std::uint8_t* out) {
  constexpr int shift = kRowBits + kWeightBits;
  auto narrow = [&](int k) { return vqmovun_s32(vrshrq_n_s32(vld1q_s32(acc + k), shift)); };
  int k = 0;
  for (; k + 16 <= n; k += 16) {
    const uint8x8_t a = vqmovn_u16(vcombine_u16(narrow(k), narrow(k + 4)));
    const uint8x8_t b = vqmovn_u16(vcombine_u16(narrow(k + 8), narrow(k + 12)));
    vst1q_u8(out + k, vcombine_u8(a, b));
  }
  if (k < n) scalar::preprocess_kernels.store_q_u8(acc + k, n - k, out + k);
}

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
  if (x < width) scalar::pdq_kernels.luma_row(src + std::ptrdiff_t(x) * cn, width - x, cn, r, g, b, out + x);
}

// Hamming distance of a hash and the query: bit counts per byte (vcnt), then one sum.
inline int distance(const std::uint64_t* p, uint8x16_t q0, uint8x16_t q1) {
  const uint8x16_t c0 = vcntq_u8(veorq_u8(vreinterpretq_u8_u64(vld1q_u64(p)), q0));
  const uint8x16_t c1 = vcntq_u8(veorq_u8(vreinterpretq_u8_u64(vld1q_u64(p + 2)), q1));
  return vaddlvq_u8(vaddq_u8(c0, c1));  // bytes <= 16, total <= 256
}

std::size_t scan(const std::uint64_t* h, std::size_t n, const std::uint64_t q[4], int max_distance,
                 std::uint32_t* idx, std::uint16_t* dist) {
  const uint8x16_t q0 = vreinterpretq_u8_u64(vld1q_u64(q)), q1 = vreinterpretq_u8_u64(vld1q_u64(q + 2));
  std::size_t found = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int d = distance(h + i * 4, q0, q1);
    if (d > max_distance) continue;
    idx[found] = static_cast<std::uint32_t>(i);
    dist[found] = static_cast<std::uint16_t>(d);
    ++found;
  }
  return found;
}

void rows_to_steps(const std::uint8_t* src, std::int64_t stride, int rows, int width, int cn,
                   std::uint8_t* t) {
  scalar::blur_kernels.rows_to_steps(src, stride, rows, width, cn, t);
}

void steps_to_rows(const std::uint8_t* t, int rows, int width, int cn, std::uint8_t* dst,
                   std::int64_t stride) {
  scalar::blur_kernels.steps_to_rows(t, rows, width, cn, dst, stride);
}

const BlurKernels blur_kernels = {"neon", blur_strip, rows_to_steps, steps_to_rows};
const PreprocessKernels preprocess_kernels = {
    "neon", hpass_q<4>, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_u8, store_f_i8, store_f_f32,
};
const PdqKernels pdq_kernels = {"neon", luma_row, box_rows, box_cols, dct64to16, scan};

}  // namespace

const KernelSet kernel_set = {Isa::Neon, &preprocess_kernels, &blur_kernels, &pdq_kernels};

}  // namespace neon
}  // namespace nudeguard

#endif
