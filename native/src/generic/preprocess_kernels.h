// The preprocessing kernels that are plain float arithmetic (PreprocessKernels::vacc_f,
// store_f_u8, store_f_i8, store_f_f32) and the integer pass's split of a row into planes,
// written once over a vector layer (F32, kLanes, splat/load/store/add/mul/min/max,
// store_bytes3; see sse41/simd.h): each SIMD target's kernels.cpp includes it inside its own
// namespace after its layer, and defines split_q. Lane by lane the reference's operations
// (scalar/kernels.cpp), so results match it bit for bit; tails shorter than a step go to the
// reference.

// Provided by the target after this file: row pixels 0 .. count - 1 -> planes[c][j] = pixel
// j byte chan[c] (plane c at planes + c * stride), then `pad` zeros per plane.
void split_q(const std::uint8_t* row, int count, int pad, int channels, const int chan[3],
             std::int16_t* planes, std::size_t stride);

// The integer work area of the horizontal pass: the row's span split into three int16 planes
// in tensor channel order by the target's split_q, zeros after the span.
struct Planes {
  const std::int16_t* plane[3];
};

Planes split_planes(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3], void* work) {
  const std::size_t stride = plane_stride(x);
  auto* planes = static_cast<std::int16_t*>(work);
  split_q(row + std::ptrdiff_t(x.first[0]) * src_channels, x.span, int(stride) - x.span, src_channels, chan,
          planes, stride);
  return {{planes, planes + stride, planes + 2 * stride}};
}

// Provided by the target after this file: outputs i .. i + Group - 1 of the integer
// horizontal pass (Group as the target instantiates hpass_q), and output i alone; out points
// to output i.
void hpass_q_group(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out);
void hpass_q_one(const std::int16_t* const plane[3], const Axis& x, int i, std::int16_t* out);

// Output i's source pixels start this far into the planes; its int16 weights (x.padded).
inline int plane_offset(const Axis& x, int i) { return x.first[i] - x.first[0]; }
inline const std::int16_t* qweights(const Axis& x, int i) { return x.pqweight.data() + std::size_t(i) * x.padded; }

// PreprocessKernels::hpass_q: each output a dot product of a plane with its zero-padded
// weights; integer sums are exact in any order, so the result equals the reference's.
template <int Group>
void hpass_q(const std::uint8_t* row, const Axis& x, int src_channels, const int chan[3], std::int16_t* out,
             void* work) {
  const Planes split = split_planes(row, x, src_channels, chan, work);
  int i = 0;
  for (; i + Group <= x.size; i += Group) hpass_q_group(split.plane, x, i, out + 3 * i);
  for (; i < x.size; ++i) hpass_q_one(split.plane, x, i, out + 3 * i);
}

void vacc_f(float* acc, const float* row, float w, int n) {
  const F32 wv = splat(w);
  int k = 0;
  for (; k + kLanes <= n; k += kLanes) store(acc + k, add(load(acc + k), mul(load(row + k), wv)));
  if (k < n) scalar::preprocess_kernels.vacc_f(acc + k, row + k, w, n - k);
}

// v * mul + add per channel, 3 * kLanes values (kLanes pixels) per step: the per-channel
// constants repeat every 3 vectors.
struct Affine {
  F32 scale[3], offset[3];
  Affine(const float m[3], const float a[3]) {
    for (int v = 0; v < 3; ++v) {
      float mv[kLanes], av[kLanes];
      for (int l = 0; l < kLanes; ++l) {
        mv[l] = m[(kLanes * v + l) % 3];
        av[l] = a[(kLanes * v + l) % 3];
      }
      scale[v] = load(mv);
      offset[v] = load(av);
    }
  }
  F32 at(const float* acc, int v) const { return add(mul(load(acc + kLanes * v), scale[v]), offset[v]); }
};

void store_f_f32(const float* acc, int n, const float mul[3], const float add[3], float* out) {
  const Affine f(mul, add);
  int k = 0;
  for (; k + 3 * kLanes <= n; k += 3 * kLanes) {
    for (int j = 0; j < 3; ++j) store(out + k + kLanes * j, f.at(acc + k, j));
  }
  if (k < n) scalar::preprocess_kernels.store_f_f32(acc + k, n - k, mul, add, out + k);
}

// Clamped to the type's range, then rounded half to even like the reference's nearbyint.
template <bool is_signed>
void store_f_int(const float* acc, int n, const float mul[3], const float add[3], std::uint8_t* out) {
  const Affine f(mul, add);
  const F32 lo = splat(is_signed ? -128.0f : 0.0f), hi = splat(is_signed ? 127.0f : 255.0f);
  int k = 0;
  for (; k + 3 * kLanes <= n; k += 3 * kLanes) {
    F32 v[3];
    for (int j = 0; j < 3; ++j) v[j] = min(max(f.at(acc + k, j), lo), hi);
    store_bytes3<is_signed>(out + k, v);
  }
  if (k == n) return;
  if (is_signed) {
    scalar::preprocess_kernels.store_f_i8(acc + k, n - k, mul, add, reinterpret_cast<std::int8_t*>(out + k));
  } else {
    scalar::preprocess_kernels.store_f_u8(acc + k, n - k, mul, add, out + k);
  }
}

void store_f_u8(const float* acc, int n, const float mul[3], const float add[3], std::uint8_t* out) {
  store_f_int<false>(acc, n, mul, add, out);
}

void store_f_i8(const float* acc, int n, const float mul[3], const float add[3], std::int8_t* out) {
  store_f_int<true>(acc, n, mul, add, reinterpret_cast<std::uint8_t*>(out));
}
