// The scalar kernel set, always built: the preprocessing reference kernels here, the blur's
// and PDQ's in blur.cpp and pdq.cpp. Every tail and every shape is handled, so SIMD sets can
// defer to the same arithmetic and are compared against it bit for bit.
#include <algorithm>
#include <cmath>

#include "reference.h"

namespace nudeguard {
namespace scalar {
namespace {

void hpass_q(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             std::int16_t* out, void* /*work*/) {
  constexpr std::int32_t half = 1 << (kWeightBits - kRowBits - 1);
  for (int i = 0; i < x.size; ++i, out += 3) {
    const std::uint8_t* p = row + static_cast<std::ptrdiff_t>(x.first[i]) * src_channels;
    std::int32_t s0 = 0, s1 = 0, s2 = 0;
    for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += src_channels) {
      const std::int32_t w = x.qweight[t];
      s0 += p[chan[0]] * w;
      s1 += p[chan[1]] * w;
      s2 += p[chan[2]] * w;
    }
    out[0] = static_cast<std::int16_t>((s0 + half) >> (kWeightBits - kRowBits));
    out[1] = static_cast<std::int16_t>((s1 + half) >> (kWeightBits - kRowBits));
    out[2] = static_cast<std::int16_t>((s2 + half) >> (kWeightBits - kRowBits));
  }
}

void hpass_f(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3],
             float* out, void* /*work*/) {
  for (int i = 0; i < x.size; ++i, out += 3) {
    const std::uint8_t* p = row + static_cast<std::ptrdiff_t>(x.first[i]) * src_channels;
    float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f;
    for (int t = x.begin[i]; t < x.begin[i + 1]; ++t, p += src_channels) {
      const float w = x.weight[t];
      s0 += p[chan[0]] * w;
      s1 += p[chan[1]] * w;
      s2 += p[chan[2]] * w;
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
  }
}

// Sums stay below 255 << (kRowBits + kWeightBits) because the weights sum to 1.
void vacc_q(std::int32_t* acc, const std::int16_t* row, std::int16_t w, int n) {
  for (int k = 0; k < n; ++k) acc[k] += row[k] * static_cast<std::int32_t>(w);
}

void vacc_f(float* acc, const float* row, float w, int n) {
  for (int k = 0; k < n; ++k) acc[k] += row[k] * w;
}

void store_q_u8(const std::int32_t* acc, int n, std::uint8_t* out) {
  constexpr int shift = kRowBits + kWeightBits;
  for (int k = 0; k < n; ++k) {
    out[k] = static_cast<std::uint8_t>((acc[k] + (1 << (shift - 1))) >> shift);
  }
}

// nearbyint rounds half to even, which is what SIMD float->int conversions do.
template <class T, int lo, int hi>
void store_f_int(const float* acc, int n, const float mul[3], const float add[3], T* out) {
  for (int k = 0; k < n; ++k) {
    const float v = acc[k] * mul[k % 3] + add[k % 3];
    out[k] = static_cast<T>(std::nearbyint(std::min(std::max(v, float(lo)), float(hi))));
  }
}

void store_f_f32(const float* acc, int n, const float mul[3], const float add[3], float* out) {
  for (int k = 0; k < n; ++k) out[k] = acc[k] * mul[k % 3] + add[k % 3];
}

}  // namespace

const PreprocessKernels preprocess_kernels = {
    "scalar",   hpass_q, hpass_f, vacc_q, vacc_f, store_q_u8, store_f_int<std::uint8_t, 0, 255>,
    store_f_int<std::int8_t, -128, 127>, store_f_f32,
};

const KernelSet kernel_set = {Isa::Scalar, &preprocess_kernels, &blur_kernels, &pdq_kernels};

}  // namespace scalar
}  // namespace nudeguard
