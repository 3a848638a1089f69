// PDQ's box filters and DCT (PdqKernels::box_rows, box_cols, dct64to16), written once over a
// vector layer (F32, kLanes, splat/load/store/add/sub/mul/div, transpose of kLanes vectors;
// see avx2/simd.h): each SIMD target's kernels.cpp includes it inside its own namespace after
// its layer. The float operations are the scalar reference's (scalar/pdq.cpp) in the same
// order, true divisions, no FMA, so results match it bit for bit. Rows are filtered kLanes at
// a time through register transposes, columns directly; the DCT's two matrix products run
// across output columns. What does not fill a vector goes to the reference.

// The reference's box1DFloat down NV * kLanes adjacent lanes at once: step s of lane l is at
// in[s * stride + l]. Each step touches NV vectors of one row (whole cache lines), so a pass
// over the rows serves many columns.
template <int NV>
void box_lanes(const float* in, float* out, int n, std::ptrdiff_t stride, int window) {
  const int half = (window + 2) / 2;
  const int p1 = half - 1, p2 = window - half + 1, p3 = n - window, p4 = half - 1;
  std::ptrdiff_t li = 0, ri = 0, oi = 0;
  F32 sum[NV];
  for (int v = 0; v < NV; ++v) sum[v] = splat(0.0f);
  int size = 0;
  for (int i = 0; i < p1; ++i, ri += stride) {
    for (int v = 0; v < NV; ++v) sum[v] = add(sum[v], load(in + ri + kLanes * v));
    ++size;
  }
  for (int i = 0; i < p2; ++i, ri += stride, oi += stride) {
    ++size;
    const F32 divisor = splat(float(size));
    for (int v = 0; v < NV; ++v) {
      sum[v] = add(sum[v], load(in + ri + kLanes * v));
      store(out + oi + kLanes * v, div(sum[v], divisor));
    }
  }
  const F32 full = splat(float(size));
  for (int i = 0; i < p3; ++i, li += stride, ri += stride, oi += stride) {
    for (int v = 0; v < NV; ++v) {
      sum[v] = add(sum[v], load(in + ri + kLanes * v));
      sum[v] = sub(sum[v], load(in + li + kLanes * v));
      store(out + oi + kLanes * v, div(sum[v], full));
    }
  }
  for (int i = 0; i < p4; ++i, li += stride, oi += stride) {
    --size;
    const F32 divisor = splat(float(size));
    for (int v = 0; v < NV; ++v) {
      sum[v] = sub(sum[v], load(in + li + kLanes * v));
      store(out + oi + kLanes * v, div(sum[v], divisor));
    }
  }
}

// kLanes rows at a time: transposed so the rows become lanes, filtered, transposed back.
void box_rows(const float* in, float* out, int rows, int cols, int window) {
  std::vector<float> t(std::size_t(cols) * kLanes), u(std::size_t(cols) * kLanes);
  const int full = cols / kLanes * kLanes;
  int y = 0;
  for (; y + kLanes <= rows; y += kLanes) {
    const float* src = in + std::ptrdiff_t(y) * cols;
    float* dst = out + std::ptrdiff_t(y) * cols;
    for (int x = 0; x < full; x += kLanes) {
      F32 r[kLanes];
      for (int i = 0; i < kLanes; ++i) r[i] = load(src + std::ptrdiff_t(i) * cols + x);
      transpose(r);
      for (int i = 0; i < kLanes; ++i) store(&t[std::size_t(x + i) * kLanes], r[i]);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < kLanes; ++i) t[std::size_t(x) * kLanes + i] = src[std::ptrdiff_t(i) * cols + x];
    }
    box_lanes<1>(t.data(), u.data(), cols, kLanes, window);
    for (int x = 0; x < full; x += kLanes) {
      F32 r[kLanes];
      for (int i = 0; i < kLanes; ++i) r[i] = load(&u[std::size_t(x + i) * kLanes]);
      transpose(r);
      for (int i = 0; i < kLanes; ++i) store(dst + std::ptrdiff_t(i) * cols + x, r[i]);
    }
    for (int x = full; x < cols; ++x) {
      for (int i = 0; i < kLanes; ++i) dst[std::ptrdiff_t(i) * cols + x] = u[std::size_t(x) * kLanes + i];
    }
  }
  if (y < rows) {
    scalar::pdq_kernels.box_rows(in + std::ptrdiff_t(y) * cols, out + std::ptrdiff_t(y) * cols,
                                 rows - y, cols, window);
  }
}

void box_cols(const float* in, float* out, int rows, int cols, std::ptrdiff_t stride, int window) {
  int x = 0;
  for (; x + 8 * kLanes <= cols; x += 8 * kLanes) box_lanes<8>(in + x, out + x, rows, stride, window);
  for (; x + kLanes <= cols; x += kLanes) box_lanes<1>(in + x, out + x, rows, stride, window);
  if (x < cols) scalar::pdq_kernels.box_cols(in + x, out + x, rows, cols - x, stride, window);
}

// T = D A, then B = T D^T, every sum in increasing k like the reference.
void dct64to16(const float* a, float* b) {
  constexpr int kRow = 64 / kLanes, kOut = 16 / kLanes;
  const float* d = pdq_dct_matrix();
  float t[16 * 64];
  for (int i = 0; i < 16; ++i) {
    F32 acc[kRow];
    for (int v = 0; v < kRow; ++v) acc[v] = splat(0.0f);
    for (int k = 0; k < 64; ++k) {
      const F32 dk = splat(d[i * 64 + k]);
      for (int v = 0; v < kRow; ++v) acc[v] = add(acc[v], mul(dk, load(a + k * 64 + kLanes * v)));
    }
    for (int v = 0; v < kRow; ++v) store(t + i * 64 + kLanes * v, acc[v]);
  }
  float dt[64 * 16];  // dt[k][j] = d[j][k]
  for (int j = 0; j < 16; ++j) {
    for (int k = 0; k < 64; ++k) dt[k * 16 + j] = d[j * 64 + k];
  }
  for (int i = 0; i < 16; ++i) {
    F32 acc[kOut];
    for (int v = 0; v < kOut; ++v) acc[v] = splat(0.0f);
    for (int k = 0; k < 64; ++k) {
      const F32 tk = splat(t[i * 64 + k]);
      for (int v = 0; v < kOut; ++v) acc[v] = add(acc[v], mul(tk, load(dt + k * 16 + kLanes * v)));
    }
    for (int v = 0; v < kOut; ++v) store(b + i * 16 + kLanes * v, acc[v]);
  }
}
