// NEON (AArch64) preprocessing kernels, bit-exact with the scalar reference. Same scheme as
// the SSE4.1 set: the row's span is split into int16 planes in tensor channel order
// (vld3q/vld4q deinterleave), each output is a dot product with its zero-padded weights
// (vmull/vmlal_s16), four outputs x three channels reduced at once with vpaddq into tensor
// order. The float pass keeps the reference's order per output with separate vmulq and
// vaddq (never vmla/vfma); conversions round half to even like nearbyint. Tails shorter
// than a vector go to the scalar reference.
#include "../kernels.h"

#if defined(__aarch64__) || defined(_M_ARM64)
#include <arm_neon.h>

#include <cstring>

namespace nudeguard {
namespace neon {
namespace {

const Kernels& ref = scalar::kernels;

// Planes of the split row: 3 planes of `stride` int16, stride >= span + padded.
std::size_t plane_stride(const Axis& x) { return (std::size_t(x.span) + x.padded + 7) & ~std::size_t(7); }

inline void store_widened(std::int16_t* p, uint8x16_t v) {
  vst1q_s16(p, vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))));
  vst1q_s16(p + 8, vreinterpretq_s16_u16(vmovl_high_u8(v)));
}

// row pixels first .. first + count - 1 -> planes[c][j] = pixel (first + j) byte chan[c];
// entries count .. count + pad - 1 are zeroed.
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
    int32x4_t acc[12];
    for (int o = 0; o < 4; ++o) {
      const int base = x.first[i + o] - x.first[0];
      const std::int16_t* w = x.pqweight.data() + std::size_t(i + o) * padded;
      int32x4_t r = vdupq_n_s32(0), g = r, b = r;  // in registers, not in acc[]
      for (int k = 0; k < padded; k += 8) {
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
  for (; i < x.size; ++i, out += 3) {
    int32x4_t acc[3] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
    const int base = x.first[i] - x.first[0];
    const std::int16_t* w = x.pqweight.data() + std::size_t(i) * padded;
    for (int k = 0; k < padded; k += 8) {
      const int16x8_t wv = vld1q_s16(w + k);
      for (int c = 0; c < 3; ++c) acc[c] = dot8(acc[c], plane[c] + base + k, wv);
    }
    std::int16_t r[4];
    vst1_s16(r, sum4_row(acc[0], acc[1], acc[2], vdupq_n_s32(0)));
    std::memcpy(out, r, 3 * sizeof(std::int16_t));
  }
}

// The float work area: one RGBx float vector per pixel of the span (then zero pixels), the
// int16 planes after them.
void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* work) {
  const std::size_t stride = plane_stride(x);
  float* px = static_cast<float*>(work);
  auto* planes = reinterpret_cast<std::int16_t*>(px + 4 * stride);
  split_q(row + std::ptrdiff_t(x.first[0]) * src_channels, x.span, int(stride) - x.span,
          src_channels, chan, planes, stride);
  for (std::size_t j = 0; j < stride; j += 4) {
    float32x4x4_t v;
    for (int c = 0; c < 3; ++c) v.val[c] = vcvtq_f32_s32(vmovl_s16(vld1_s16(planes + c * stride + j)));
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
  if (k < n) ref.vacc_q(acc + k, row + k, w, n - k);
}

void vacc_f(float* acc, const float* row, float w, int n) {
  int k = 0;
  for (; k + 4 <= n; k += 4) vst1q_f32(acc + k, vaddq_f32(vld1q_f32(acc + k), vmulq_n_f32(vld1q_f32(row + k), w)));
  if (k < n) ref.vacc_f(acc + k, row + k, w, n - k);
}

void store_q_u8(const std::int32_t* acc, int n, std::uint8_t* out) {
  constexpr int shift = kRowBits + kWeightBits;
  auto load = [&](int k) { return vqmovun_s32(vrshrq_n_s32(vld1q_s32(acc + k), shift)); };
  int k = 0;
  for (; k + 16 <= n; k += 16) {
    const uint8x8_t a = vqmovn_u16(vcombine_u16(load(k), load(k + 4)));
    const uint8x8_t b = vqmovn_u16(vcombine_u16(load(k + 8), load(k + 12)));
    vst1q_u8(out + k, vcombine_u8(a, b));
  }
  if (k < n) ref.store_q_u8(acc + k, n - k, out + k);
}

// Twelve values (four pixels) per step: the per-channel constants repeat every 3 vectors.
struct Affine {
  float32x4_t mul[3], add[3];
  Affine(const float m[3], const float a[3]) {
    for (int v = 0; v < 3; ++v) {
      float mv[4], av[4];
      for (int l = 0; l < 4; ++l) {
        mv[l] = m[(4 * v + l) % 3];
        av[l] = a[(4 * v + l) % 3];
      }
      mul[v] = vld1q_f32(mv);
      add[v] = vld1q_f32(av);
    }
  }
  float32x4_t at(const float* acc, int v) const { return vaddq_f32(vmulq_f32(vld1q_f32(acc + 4 * v), mul[v]), add[v]); }
};

template <bool is_signed>
void store_f_int(const float* acc, int n, const float mul[3], const float add[3], void* out_) {
  auto* out = static_cast<std::uint8_t*>(out_);
  const Affine f(mul, add);
  const float32x4_t lo = vdupq_n_f32(is_signed ? -128.0f : 0.0f), hi = vdupq_n_f32(is_signed ? 127.0f : 255.0f);
  int k = 0;
  for (; k + 12 <= n; k += 12, acc += 12) {
    int16x4_t v[3];
    for (int j = 0; j < 3; ++j) v[j] = vqmovn_s32(vcvtnq_s32_f32(vminq_f32(vmaxq_f32(f.at(acc, j), lo), hi)));
    uint8x8_t a, b;
    if (is_signed) {
      a = vreinterpret_u8_s8(vqmovn_s16(vcombine_s16(v[0], v[1])));
      b = vreinterpret_u8_s8(vqmovn_s16(vcombine_s16(v[2], v[2])));
    } else {
      a = vqmovun_s16(vcombine_s16(v[0], v[1]));
      b = vqmovun_s16(vcombine_s16(v[2], v[2]));
    }
    vst1_u8(out + k, a);
    const std::uint32_t last = vget_lane_u32(vreinterpret_u32_u8(b), 0);
    std::memcpy(out + k + 8, &last, 4);
  }
  if (k == n) return;
  if (is_signed) {
    ref.store_f_i8(acc, n - k, mul, add, reinterpret_cast<std::int8_t*>(out + k));
  } else {
    ref.store_f_u8(acc, n - k, mul, add, out + k);
  }
}

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
    for (int j = 0; j < 3; ++j) vst1q_f32(out + k + 4 * j, f.at(acc + k, j));
  }
  if (k < n) ref.store_f_f32(acc + k, n - k, mul, add, out + k);
}

}  // namespace

const Kernels kernels = {
    "neon", hpass_q, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_u8, store_f_i8, store_f_f32,
};

}  // namespace neon
}  // namespace nudeguard

#endif
