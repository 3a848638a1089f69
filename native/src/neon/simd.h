// The NEON (AArch64) vector layer: the operations the generic kernel bodies (../generic/) are
// written over, on 4 floats per vector. neon/kernels.cpp includes it inside namespace
// nudeguard::neon after <arm_neon.h>, then the generic bodies. Separate multiplies and adds
// (never vmla/vfma), as in the scalar reference.

using F32 = float32x4_t;
constexpr int kLanes = 4;

inline F32 splat(float v) { return vdupq_n_f32(v); }
inline F32 load(const float* p) { return vld1q_f32(p); }
inline void store(float* p, F32 v) { vst1q_f32(p, v); }
inline F32 add(F32 a, F32 b) { return vaddq_f32(a, b); }
inline F32 sub(F32 a, F32 b) { return vsubq_f32(a, b); }
inline F32 mul(F32 a, F32 b) { return vmulq_f32(a, b); }
inline F32 div(F32 a, F32 b) { return vdivq_f32(a, b); }
inline F32 min(F32 a, F32 b) { return vminq_f32(a, b); }
inline F32 max(F32 a, F32 b) { return vmaxq_f32(a, b); }

// kLanes bytes -> floats.
inline F32 load_u8(const std::uint8_t* p) {
  std::uint32_t word;
  std::memcpy(&word, p, 4);
  const uint8x8_t bytes = vreinterpret_u8_u32(vdup_n_u32(word));
  return vcvtq_f32_u32(vmovl_u16(vget_low_u16(vmovl_u8(bytes))));
}

// kLanes bytes: fcvtns rounds half to even; the saturating narrows clamp to 0..255.
inline void store_u8(std::uint8_t* p, F32 v) {
  const uint16x4_t h = vqmovun_s32(vcvtnq_s32_f32(v));
  const uint8x8_t bytes = vqmovn_u16(vcombine_u16(h, h));
  const std::uint32_t word = vget_lane_u32(vreinterpret_u32_u8(bytes), 0);
  std::memcpy(p, &word, 4);
}

// 3 * kLanes values in range, rounded half to even, to bytes (int8 if is_signed).
template <bool is_signed>
inline void store_bytes3(std::uint8_t* out, const F32 v[3]) {
  int16x4_t h[3];
  for (int j = 0; j < 3; ++j) h[j] = vqmovn_s32(vcvtnq_s32_f32(v[j]));
  uint8x8_t a, b;
  if (is_signed) {
    a = vreinterpret_u8_s8(vqmovn_s16(vcombine_s16(h[0], h[1])));
    b = vreinterpret_u8_s8(vqmovn_s16(vcombine_s16(h[2], h[2])));
  } else {
    a = vqmovun_s16(vcombine_s16(h[0], h[1]));
    b = vqmovun_s16(vcombine_s16(h[2], h[2]));
  }
  vst1_u8(out, a);
  const std::uint32_t last = vget_lane_u32(vreinterpret_u32_u8(b), 0);
  std::memcpy(out + 8, &last, 4);
}

// r[i] lane j <-> r[j] lane i.
inline void transpose(F32 r[4]) {
  const float32x4x2_t ab = vtrnq_f32(r[0], r[1]), cd = vtrnq_f32(r[2], r[3]);
  r[0] = vcombine_f32(vget_low_f32(ab.val[0]), vget_low_f32(cd.val[0]));
  r[1] = vcombine_f32(vget_low_f32(ab.val[1]), vget_low_f32(cd.val[1]));
  r[2] = vcombine_f32(vget_high_f32(ab.val[0]), vget_high_f32(cd.val[0]));
  r[3] = vcombine_f32(vget_high_f32(ab.val[1]), vget_high_f32(cd.val[1]));
}
