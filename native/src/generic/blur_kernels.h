// The recursive Gaussian's strip kernel (BlurKernels::strip), written once over a vector
// layer (F32, kLanes, splat/load/store/add/mul, load_u8/store_u8; see sse41/simd.h): each
// SIMD target's kernels.cpp includes it inside its own namespace after its layer, so it is
// compiled once per target with that target's flags. The arithmetic is the scalar
// reference's (scalar/blur.cpp) lane by lane, so results match it bit for bit; up to 4
// independent vectors per chunk hide the recursion's latency, and lanes left over (fewer
// than kLanes) go to the reference.

// Rows are far apart in the vertical pass (hardware prefetchers stop at page boundaries), so
// the input and output of the step this far ahead are prefetched.
constexpr int kBlurAhead = 24;

// Keeps the NV state vectors in registers.
#if defined(__clang__)
#define NG_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define NG_UNROLL _Pragma("GCC unroll 8")
#else
#define NG_UNROLL
#endif

template <int NV>
void blur_chunk(const BlurStrip& s, int base, const BlurCoefs& k, float* work) {
  constexpr int W = kLanes * NV;
  static_assert(W <= kBlurChunk, "the work buffer holds kBlurChunk lanes per step");
  const F32 a = splat(k.a), b = splat(k.b), g = splat(k.g), c1 = splat(k.c1), c2 = splat(k.c2);
  F32 u[NV], v1[NV], v2[NV];
  NG_UNROLL
  for (int j = 0; j < NV; ++j) {
    u[j] = s.init ? load(s.init + base + kLanes * j) : load_u8(s.in[0] + base + kLanes * j);
    v1[j] = v2[j] = u[j];
  }
  for (int t = 0; t < s.steps; ++t) {
    if (t + kBlurAhead < s.steps) __builtin_prefetch(s.in[t + kBlurAhead] + base);
    const std::uint8_t* in = s.in[t] + base;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = add(mul(b, load_u8(in + kLanes * j)), mul(a, u[j]));
      const F32 v = add(add(mul(g, u[j]), mul(c2, v2[j])), mul(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t >= s.first) {
      float* w = work + std::ptrdiff_t(t - s.first) * W;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) store(w + kLanes * j, v1[j]);
    }
  }
  const int last = s.steps - 1 - s.first;
  NG_UNROLL
  for (int j = 0; j < NV; ++j) u[j] = v1[j] = v2[j] = load(work + std::ptrdiff_t(last) * W + kLanes * j);
  for (int t = last; t >= 0; --t) {
    if (t >= kBlurAhead && t - kBlurAhead < s.count) __builtin_prefetch(s.out[t - kBlurAhead] + base, 1);
    const float* w = work + std::ptrdiff_t(t) * W;
    NG_UNROLL
    for (int j = 0; j < NV; ++j) {
      u[j] = add(mul(b, load(w + kLanes * j)), mul(a, u[j]));
      const F32 v = add(add(mul(g, u[j]), mul(c2, v2[j])), mul(c1, v1[j]));
      v2[j] = v1[j];
      v1[j] = v;
    }
    if (t < s.count) {
      std::uint8_t* out = s.out[t] + base;
      NG_UNROLL
      for (int j = 0; j < NV; ++j) store_u8(out + kLanes * j, v1[j]);
    }
  }
}

void blur_strip(const BlurStrip& s, int lane0, int lanes, const BlurCoefs& k, float* work) {
  int l = 0;
  for (; lanes - l >= 4 * kLanes; l += 4 * kLanes) blur_chunk<4>(s, lane0 + l, k, work);
  if (lanes - l >= 3 * kLanes) {
    blur_chunk<3>(s, lane0 + l, k, work);
    l += 3 * kLanes;
  } else if (lanes - l >= 2 * kLanes) {
    blur_chunk<2>(s, lane0 + l, k, work);
    l += 2 * kLanes;
  } else if (lanes - l >= kLanes) {
    blur_chunk<1>(s, lane0 + l, k, work);
    l += kLanes;
  }
  if (l < lanes) scalar::blur_kernels.strip(s, lane0 + l, lanes - l, k, work);
}
