// Gaussian blur driver: coefficients, reflect-101 padding, row/column blocking, threads,
// kernel dispatch, and the veil (resample -> blur -> resample).
//
// Filter: Vliet, Young & Verbeek's 3-pole recursive Gaussian ("Recursive Gaussian derivative
// filters", ICPR 1998; poles as in Getreuer's IPOL survey, 2013), scaled so the variance of
// the forward-backward impulse response is exactly sigma^2, and run as a first-order plus a
// second-order section (cascade form: stable in float32 where the direct 3rd-order form loses
// precision at large sigma). 16 float operations per sample and pass whatever sigma is.
//
// Borders: each line is extended by reflect-101 (cv2.BORDER_REFLECT_101, repeated for lines
// shorter than the padding) by ceil(3 sigma) + 1 samples on both sides; the filter starts
// from the steady state of the first padded sample, and what that start leaves is smaller
// than the Gaussian's own weight beyond 3 sigma. When 3 sigma exceeds four periods of the
// reflected line (sigma far beyond the image size), the padding stops at four periods and
// the filter starts from the period's mean, which is what such a blur converges to.
//
// Passes: horizontal first, into dst (rounded to 8 bits), then vertical in place on dst.
// The horizontal pass transposes blocks of rows (8 rows of RGB/RGBA, 32 of gray; the kernel
// set does it, with SIMD shuffles where it has them) so that the
// recursion runs down contiguous lanes exactly like the vertical pass, whose lanes are the
// bytes of a band of columns read row by row: no pass walks single columns, and one kernel
// per ISA serves both (the vertical pass works on a copy of each band, see vertical()).
// Both passes split their blocks between threads; every lane is
// computed by the same arithmetic wherever it lands, so results do not depend on the thread
// count or the ISA.
#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <stdexcept>
#include <thread>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif

#include "blur.h"
#include "core.h"
#include "kernels.h"

namespace nudeguard {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

// ---------------------------------------------------------------------------------------
// Geometry helpers

// cv2.borderInterpolate(i, n, BORDER_REFLECT_101), repeated for any i.
inline int reflect101(std::int64_t i, int n) {
  if (n == 1) return 0;
  const std::int64_t period = 2 * std::int64_t(n - 1);
  i %= period;
  if (i < 0) i += period;
  return static_cast<int>(i >= n ? period - i : i);
}

struct Padding {
  int pad;         // samples added on each side
  bool mean_init;  // start from the mean of one period instead of the first padded sample
};

Padding padding_for(double sigma, int n) {
  const double full = std::ceil(3.0 * sigma) + 1.0;
  const double cap = 8.0 * (n - 1) + 64.0;  // four periods of the reflected line, and some
  if (full <= cap) return {static_cast<int>(full), false};
  return {static_cast<int>(cap), true};
}

void check_image(const char* name, const BlurImage& im) {
  if (im.data == nullptr) fail(std::string(name) + " is NULL");
  if (im.width < 1 || im.width > kMaxSide || im.height < 1 || im.height > kMaxSide) {
    fail(std::string(name) + " size " + std::to_string(im.width) + "x" +
         std::to_string(im.height) + " is out of range 1.." + std::to_string(kMaxSide));
  }
  if (im.channels < 1 || im.channels > 4) {
    fail(std::string(name) + " has " + std::to_string(im.channels) +
         " channels; expected 1 (gray), 3 (RGB/BGR) or 4 (RGBA/BGRA)");
  }
  const std::int64_t row = std::int64_t(im.width) * im.channels;
  if (im.stride < row) {
    fail(std::string(name) + " stride " + std::to_string(im.stride) +
         " is smaller than width*channels " + std::to_string(row));
  }
  if (im.height > 1 && im.stride > (PTRDIFF_MAX - row) / (im.height - 1)) {
    fail(std::string(name) + " stride times height overflows the address space");
  }
}

std::pair<std::uintptr_t, std::uintptr_t> extent(const BlurImage& im) {
  const auto lo = reinterpret_cast<std::uintptr_t>(im.data);
  return {lo, lo + std::uintptr_t(im.stride) * (im.height - 1) +
                  std::uintptr_t(im.width) * im.channels};
}

bool overlaps(const BlurImage& a, const BlurImage& b) {
  const auto ea = extent(a), eb = extent(b);
  return ea.first < eb.second && eb.first < ea.second;
}

int thread_count(int requested, std::int64_t work) {
  if (requested < 0) fail("threads must be >= 0 (0: automatic), got " + std::to_string(requested));
  if (requested > 0) return requested;
  // Spawning costs tens of microseconds: only worth it from ~0.1 MP on.
  if (work < (std::int64_t(1) << 17)) return 1;
  const unsigned hw = std::thread::hardware_concurrency();
  return static_cast<int>(std::min(8u, std::max(1u, hw)));
}

// Runs body(begin, end, thread_index) over [0, n) split into contiguous ranges.
template <class Body>
void parallel(int n, int threads, Body&& body) {
  const int t = std::max(1, std::min(threads, n));
  if (t == 1) {
    body(0, n, 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(t - 1);
  auto range = [&](int i) { return static_cast<int>(std::int64_t(n) * i / t); };
  try {
    for (int i = 1; i < t; ++i) pool.emplace_back(body, range(i), range(i + 1), i);
  } catch (...) {
    for (std::thread& th : pool) th.join();
    throw;
  }
  body(0, range(1), 0);
  for (std::thread& th : pool) th.join();
}

// ---------------------------------------------------------------------------------------
// The two passes

// Mean of each lane over one period of the reflect-101 extension of `n` steps.
void period_mean(const std::uint8_t* const* rows, int n, int lane0, int lanes, float* out) {
  std::vector<double> sum(lanes, 0.0);
  for (int i = 0; i < n; ++i) {
    const double w = (i == 0 || i == n - 1) ? 1.0 : 2.0;
    for (int l = 0; l < lanes; ++l) sum[l] += w * rows[i][lane0 + l];
  }
  for (int l = 0; l < lanes; ++l) out[lane0 + l] = static_cast<float>(sum[l] / (2.0 * (n - 1)));
}

void horizontal(const BlurImage& src, const BlurImage& dst, double sigma, int threads,
                const BlurKernels& k, const BlurCoefs& coefs) {
  const int w = src.width, cn = src.channels;
  const int block = cn >= 3 ? 8 : 32 / cn;  // 24 or 32 lanes, 16 for two channels
  const Padding pad = padding_for(sigma, w);
  const int steps = w + 2 * pad.pad;
  const int blocks = (src.height + block - 1) / block;
  const std::size_t tbytes = std::size_t(w) * block * cn + 4;  // + the last word's extra byte
  const std::size_t work = std::size_t(w + pad.pad) * kBlurChunk;
  parallel(blocks, threads, [&](int b0, int b1, int) {
    std::vector<std::uint8_t> t(tbytes);
    std::vector<float> wbuf(work);
    std::vector<const std::uint8_t*> in(steps);
    std::vector<std::uint8_t*> out(w);
    std::vector<float> init(pad.mean_init ? block * cn : 0);
    int ready = 0;  // lanes the step pointers are laid out for (only the last block differs)
    for (int b = b0; b < b1; ++b) {
      const int y0 = b * block, rows = std::min(block, src.height - y0), lanes = rows * cn;
      if (lanes != ready) {
        for (int s = 0; s < steps; ++s) in[s] = t.data() + std::size_t(reflect101(s - pad.pad, w)) * lanes;
        for (int x = 0; x < w; ++x) out[x] = t.data() + std::size_t(x) * lanes;
        ready = lanes;
      }
      const std::uint8_t* sp = src.data + y0 * src.stride;
      std::uint8_t* dp = dst.data + y0 * dst.stride;
      k.rows_to_steps(sp, src.stride, rows, w, cn, t.data());
      if (pad.mean_init) period_mean(out.data(), w, 0, lanes, init.data());
      const BlurStrip strip{in.data(), steps, out.data(), pad.pad, w,
                            pad.mean_init ? init.data() : nullptr};
      k.strip(strip, 0, lanes, coefs, wbuf.data());
      k.steps_to_rows(t.data(), rows, w, cn, dp, dst.stride);
    }
  });
}

void vertical(const BlurImage& im, double sigma, int threads, const BlurKernels& k,
              const BlurCoefs& coefs) {
  const int h = im.height, lanes = im.width * im.channels;
  const Padding pad = padding_for(sigma, h);
  const int steps = h + 2 * pad.pad;
  // Bands of 128 bytes are copied into a contiguous buffer, filtered there and copied back:
  // walking the image itself would cost a TLB miss per row for every 32 lanes (rows are
  // pages apart), while the band and the kernel's work buffer stay within L2.
  constexpr int band = 128;
  constexpr int kCopyAhead = 16;  // rows
  const int bands = (lanes + band - 1) / band;
  const std::size_t work = std::size_t(h + pad.pad) * kBlurChunk;
  std::vector<float> init;
  if (pad.mean_init) {
    std::vector<const std::uint8_t*> rows(h);
    for (int y = 0; y < h; ++y) rows[y] = im.data + y * im.stride;
    init.resize(lanes);
    period_mean(rows.data(), h, 0, lanes, init.data());
  }
  parallel(bands, threads, [&](int b0, int b1, int) {
    std::vector<float> wbuf(work);
    std::vector<std::uint8_t> buf(std::size_t(h) * band);
    std::vector<const std::uint8_t*> in(steps);
    std::vector<std::uint8_t*> out(h);
    for (int s = 0; s < steps; ++s) in[s] = buf.data() + std::size_t(reflect101(s - pad.pad, h)) * band;
    for (int y = 0; y < h; ++y) out[y] = buf.data() + std::size_t(y) * band;
    for (int b = b0; b < b1; ++b) {
      const int l0 = b * band, n = std::min(band, lanes - l0);
      // Full bands copy a constant 128 bytes, which compiles to a few vector moves instead
      // of a libc call per row (the call dominated these copies).
      if (n == band) {
        for (int y = 0; y < h; ++y) {
          // Rows are pages apart: the hardware prefetchers do not follow.
          if (y + kCopyAhead < h) {
            const std::uint8_t* p = im.data + (y + kCopyAhead) * im.stride + l0;
            __builtin_prefetch(p);
            __builtin_prefetch(p + 64);
          }
          std::memcpy(out[y], im.data + y * im.stride + l0, band);
        }
      } else {
        for (int y = 0; y < h; ++y) std::memcpy(out[y], im.data + y * im.stride + l0, n);
      }
      const BlurStrip strip{in.data(), steps, out.data(), pad.pad, h,
                            pad.mean_init ? init.data() + l0 : nullptr};
      k.strip(strip, 0, n, coefs, wbuf.data());
      if (n == band) {
        for (int y = 0; y < h; ++y) {
          if (y + kCopyAhead < h) {
            std::uint8_t* p = im.data + (y + kCopyAhead) * im.stride + l0;
            __builtin_prefetch(p, 1);
            __builtin_prefetch(p + 64, 1);
          }
          std::memcpy(im.data + y * im.stride + l0, out[y], band);
        }
      } else {
        for (int y = 0; y < h; ++y) std::memcpy(im.data + y * im.stride + l0, out[y], n);
      }
    }
  });
}

void copy_image(const BlurImage& src, const BlurImage& dst) {
  if (src.data == dst.data) return;
  const std::size_t row = std::size_t(src.width) * src.channels;
  for (int y = 0; y < src.height; ++y) {
    std::memcpy(dst.data + y * dst.stride, src.data + y * src.stride, row);
  }
}

// ---------------------------------------------------------------------------------------
// Resampling for the veil: area averaging when shrinking, bilinear (half-pixel centres, like
// cv2.INTER_LINEAR) when growing, separable, float. Output i reads src[j0] * w0, src[j1] * w1
// and src[j0+1 .. j1-1] * wmid (area interior; empty for bilinear).
struct Tap {
  int j0, j1;
  float w0, w1, wmid;
};

std::vector<Tap> resample_axis(int in, int out) {
  std::vector<Tap> taps(out);
  const double scale = double(in) / out;
  for (int i = 0; i < out; ++i) {
    Tap t;
    if (in > out) {
      const double lo = i * scale, hi = std::min<double>(in, (i + 1) * scale);
      t.j0 = static_cast<int>(std::floor(lo));
      t.j1 = std::max(t.j0, std::min(in - 1, static_cast<int>(std::ceil(hi)) - 1));
      if (t.j1 == t.j0) {
        t.w0 = 1.0f;
        t.w1 = 0.0f;
      } else {
        t.w0 = static_cast<float>((t.j0 + 1 - lo) / scale);
        t.w1 = static_cast<float>((hi - t.j1) / scale);
      }
      t.wmid = static_cast<float>(1.0 / scale);
    } else {
      const double x = std::min<double>(in - 1, std::max(0.0, (i + 0.5) * scale - 0.5));
      t.j0 = std::min(in - 1, static_cast<int>(x));
      const double f = x - t.j0;
      t.j1 = std::min(in - 1, t.j0 + 1);
      t.w0 = static_cast<float>(1.0 - f);
      t.w1 = t.j1 == t.j0 ? 0.0f : static_cast<float>(f);
      t.wmid = 0.0f;
    }
    taps[i] = t;
  }
  return taps;
}

// acc[k] += row[k]: the bulk of a strong veil's cost (every source byte once), so it uses
// the baseline vector unit of the target (SSE2 on x86-64, NEON on AArch64).
void add_row(const std::uint8_t* row, std::uint32_t* acc, int n) {
  int k = 0;
#if defined(__SSE2__)
  const __m128i zero = _mm_setzero_si128();
  for (; k + 16 <= n; k += 16) {
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + k));
    const __m128i lo = _mm_unpacklo_epi8(b, zero), hi = _mm_unpackhi_epi8(b, zero);
    __m128i* a = reinterpret_cast<__m128i*>(acc + k);
    _mm_storeu_si128(a + 0, _mm_add_epi32(_mm_loadu_si128(a + 0), _mm_unpacklo_epi16(lo, zero)));
    _mm_storeu_si128(a + 1, _mm_add_epi32(_mm_loadu_si128(a + 1), _mm_unpackhi_epi16(lo, zero)));
    _mm_storeu_si128(a + 2, _mm_add_epi32(_mm_loadu_si128(a + 2), _mm_unpacklo_epi16(hi, zero)));
    _mm_storeu_si128(a + 3, _mm_add_epi32(_mm_loadu_si128(a + 3), _mm_unpackhi_epi16(hi, zero)));
  }
#elif defined(__ARM_NEON)
  for (; k + 16 <= n; k += 16) {
    const uint8x16_t b = vld1q_u8(row + k);
    const uint16x8_t lo = vmovl_u8(vget_low_u8(b)), hi = vmovl_u8(vget_high_u8(b));
    vst1q_u32(acc + k + 0, vaddw_u16(vld1q_u32(acc + k + 0), vget_low_u16(lo)));
    vst1q_u32(acc + k + 4, vaddw_u16(vld1q_u32(acc + k + 4), vget_high_u16(lo)));
    vst1q_u32(acc + k + 8, vaddw_u16(vld1q_u32(acc + k + 8), vget_low_u16(hi)));
    vst1q_u32(acc + k + 12, vaddw_u16(vld1q_u32(acc + k + 12), vget_high_u16(hi)));
  }
#endif
  for (; k < n; ++k) acc[k] += row[k];
}

template <int C>
void resample_row(const std::uint8_t* src, const std::vector<Tap>& taps, float* out) {
  for (const Tap& t : taps) {
    const std::uint8_t* p0 = src + std::ptrdiff_t(t.j0) * C;
    const std::uint8_t* p1 = src + std::ptrdiff_t(t.j1) * C;
    std::uint32_t mid[C] = {};
    for (const std::uint8_t* p = p0 + C; p < p1; p += C) {
      for (int c = 0; c < C; ++c) mid[c] += p[c];
    }
    for (int c = 0; c < C; ++c) {
      out[c] = (p0[c] * t.w0 + p1[c] * t.w1) + float(mid[c]) * t.wmid;
    }
    out += C;
  }
}

void resample(const BlurImage& src, const BlurImage& dst, int threads) {
  const int cn = src.channels;
  const std::vector<Tap> tx = resample_axis(src.width, dst.width);
  const std::vector<Tap> ty = resample_axis(src.height, dst.height);
  const int n = dst.width * cn;
  auto hrow = [&](int y, float* out) {
    const std::uint8_t* row = src.data + std::int64_t(y) * src.stride;
    switch (cn) {
      case 1: resample_row<1>(row, tx, out); break;
      case 2: resample_row<2>(row, tx, out); break;
      case 3: resample_row<3>(row, tx, out); break;
      default: resample_row<4>(row, tx, out); break;
    }
  };
  const std::int64_t cost = std::int64_t(src.width) * src.height + std::int64_t(dst.width) * dst.height;
  if (dst.height < src.height) {
    // Shrinking vertically: sum the source rows of each output row first (contiguous,
    // vectorizable integer adds over whole rows), then resample that one row horizontally.
    const int m = src.width * cn;
    parallel(dst.height, thread_count(threads, cost), [&](int i0, int i1, int) {
      std::vector<std::uint32_t> mid(m);
      std::vector<float> col(m), row(n);
      for (int i = i0; i < i1; ++i) {
        const Tap& t = ty[i];
        std::fill(mid.begin(), mid.end(), 0u);
        for (int y = t.j0 + 1; y < t.j1; ++y) {
          add_row(src.data + std::int64_t(y) * src.stride, mid.data(), m);
        }
        const std::uint8_t* r0 = src.data + std::int64_t(t.j0) * src.stride;
        const std::uint8_t* r1 = src.data + std::int64_t(t.j1) * src.stride;
        for (int k = 0; k < m; ++k) {
          col[k] = (r0[k] * t.w0 + r1[k] * t.w1) + float(mid[k]) * t.wmid;
        }
        std::uint8_t* out = dst.data + std::int64_t(i) * dst.stride;
        for (int x = 0; x < dst.width; ++x) {
          const Tap& u = tx[x];
          for (int c = 0; c < cn; ++c) {
            float acc = 0.0f;
            for (int j = u.j0 + 1; j < u.j1; ++j) acc += col[std::size_t(j) * cn + c];
            const float v = (col[std::size_t(u.j0) * cn + c] * u.w0 +
                             col[std::size_t(u.j1) * cn + c] * u.w1) + acc * u.wmid + 0.5f;
            out[x * cn + c] = static_cast<std::uint8_t>(v <= 0.0f ? 0 : (v >= 255.0f ? 255 : int(v)));
          }
        }
      }
    });
    return;
  }
  // Growing (or keeping) the height: the vertical taps are bilinear, two source rows each
  // (j1 <= j0 + 1, no interior), so an output row is a weighted sum of two resampled rows.
  parallel(dst.height, thread_count(threads, cost), [&](int i0, int i1, int) {
    // Consecutive outputs share at most their boundary source rows: two cached rows,
    // slotted by parity, compute each source row once.
    std::vector<float> rows(2 * std::size_t(n));
    int cached[2] = {-1, -1};
    // Rows only move forward, so the slot with the smaller row is free unless it holds
    // `keep` (the row fetched just before).
    auto get = [&](int y, int keep) {
      int slot = cached[0] == y ? 0 : (cached[1] == y ? 1 : -1);
      if (slot < 0) {
        slot = cached[0] <= cached[1] ? 0 : 1;
        if (cached[slot] == keep) slot ^= 1;
        hrow(y, rows.data() + std::size_t(slot) * n);
        cached[slot] = y;
      }
      return rows.data() + std::size_t(slot) * n;
    };
    for (int i = i0; i < i1; ++i) {
      const Tap& t = ty[i];
      const float* r0 = get(t.j0, -1);
      const float* r1 = get(t.j1, t.j0);
      std::uint8_t* out = dst.data + std::int64_t(i) * dst.stride;
      for (int k = 0; k < n; ++k) {
        const float v = (r0[k] * t.w0 + r1[k] * t.w1) + 0.5f;
        out[k] = static_cast<std::uint8_t>(v <= 0.0f ? 0 : (v >= 255.0f ? 255 : int(v)));
      }
    }
  });
}

// Below this sigma (in output pixels) the veil blurs at the output resolution; above it, at
// a resolution where sigma is this many pixels, then upsamples bilinearly. After a Gaussian
// of 4+ pixels the image has no detail a bilinear upsampling could miss (the tests check the
// difference to blurring at full resolution stays under 1 level RMS).
constexpr double kVeilWorkSigma = 4.0;

}  // namespace

// ---------------------------------------------------------------------------------------
// Public entry points

BlurCoefs blur_coefs(double sigma) {
  if (!(sigma > 0.0) || !std::isfinite(sigma)) fail("sigma must be finite and > 0");
  using cd = std::complex<double>;
  // Poles for sigma0 = 2 (L-infinity optimal, K = 3); sigma scales them as d^(1/q).
  const cd d1(1.41650, 1.00829);
  const double d3 = 1.86543;
  auto variance = [&](double q) {
    const cd p1 = std::exp(std::log(d1) / q);
    const double p3 = std::exp(std::log(d3) / q);
    const cd v1 = 2.0 * p1 / ((p1 - 1.0) * (p1 - 1.0));
    return 2.0 * v1.real() + 2.0 * p3 / ((p3 - 1.0) * (p3 - 1.0));
  };
  // The variance grows monotonically with q: bisect in log space.
  double lo = 1e-4, hi = 1e8;
  for (int i = 0; i < 200; ++i) {
    const double mid = std::sqrt(lo * hi);
    (variance(mid) < sigma * sigma ? lo : hi) = mid;
  }
  const double q = std::sqrt(lo * hi);
  const double a = 1.0 / std::exp(std::log(d3) / q);
  const cd z = 1.0 / std::exp(std::log(d1) / q);
  BlurCoefs k;
  k.a = static_cast<float>(a);
  k.b = static_cast<float>(1.0 - double(k.a));
  k.c1 = static_cast<float>(2.0 * z.real());
  k.c2 = static_cast<float>(-std::norm(z));
  // From the rounded feedback coefficients, so the DC gain stays 1 even for huge sigma.
  k.g = static_cast<float>(1.0 - double(k.c1) - double(k.c2));
  return k;
}

std::size_t image_bytes(int width, int height, int channels) {
  if (width < 1 || width > kMaxSide || height < 1 || height > kMaxSide) {
    fail("image size " + std::to_string(width) + "x" + std::to_string(height) +
         " is out of range 1.." + std::to_string(kMaxSide));
  }
  if (channels < 1 || channels > 4) fail("channels must be 1..4");
  const std::uint64_t bytes = std::uint64_t(width) * std::uint64_t(height) * channels;
  if (bytes > static_cast<std::uint64_t>(PTRDIFF_MAX)) fail("image does not fit in memory");
  return static_cast<std::size_t>(bytes);
}

void blur(const BlurImage& src, const BlurImage& dst, double sigma, int threads,
          const BlurKernels* kernels) {
  check_image("src", src);
  check_image("dst", dst);
  if (src.width != dst.width || src.height != dst.height || src.channels != dst.channels) {
    fail("dst must have the size and channels of src");
  }
  const bool in_place = src.data == dst.data && src.stride == dst.stride;
  if (!in_place && overlaps(src, dst)) {
    fail("dst overlaps src; pass the same buffer and stride for in place, or separate ones");
  }
  if (!std::isfinite(sigma) || sigma < 0.0) {
    fail("sigma must be finite and >= 0, got " + std::to_string(sigma));
  }
  if (sigma > 1e6) fail("sigma " + std::to_string(sigma) + " is above the limit of 1e6");
  const BlurKernels& k = kernels ? *kernels : *active_kernels().blur;
  if (sigma == 0.0) return copy_image(src, dst);
  const BlurCoefs coefs = blur_coefs(sigma);
  const int t = thread_count(threads, std::int64_t(src.width) * src.height);
  if (src.width > 1) {
    horizontal(src, dst, sigma, t, k, coefs);
  } else {
    copy_image(src, dst);
  }
  if (src.height > 1) vertical(dst, sigma, t, k, coefs);
}

// The veil must hide content at every resolution, so its strength is relative: sigma is a
// fixed fraction of the shorter side. What a viewer can recognise is set by how many
// blur-widths span the subject, not by pixels, so a fixed-pixel sigma that wipes a
// thumbnail would leave a 12 MP photo recognisable (and one sized for 12 MP would turn a
// thumbnail into a flat colour). At 1/12 of the shorter side the blur's full width at half
// maximum (2.35 sigma) is a fifth of the frame: a body, a face or text becomes a few
// smooth colour blobs. The floor of 2 pixels keeps tiny previews from showing pixel detail.
double veil_sigma(int width, int height) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide) {
    fail("veil size " + std::to_string(width) + "x" + std::to_string(height) +
         " is out of range 1.." + std::to_string(kMaxSide));
  }
  return std::max(2.0, std::min(width, height) / 12.0);
}

void veil(const BlurImage& src, const BlurImage& dst, double sigma, int threads,
          const BlurKernels* kernels) {
  check_image("src", src);
  check_image("dst", dst);
  if (src.channels != dst.channels) fail("dst must have the channels of src");
  if (overlaps(src, dst)) fail("dst overlaps src; the veil needs a separate output buffer");
  if (!std::isfinite(sigma)) fail("sigma must be finite");
  if (sigma > 1e6) fail("sigma " + std::to_string(sigma) + " is above the limit of 1e6");
  if (sigma <= 0.0) sigma = veil_sigma(dst.width, dst.height);
  if (sigma <= kVeilWorkSigma) {
    resample(src, dst, threads);
    blur(dst, dst, sigma, threads, kernels);
    return;
  }
  // Work at a resolution where sigma is kVeilWorkSigma pixels.
  const double f = kVeilWorkSigma / sigma;
  const int ww = std::max(1, static_cast<int>(std::lround(dst.width * f)));
  const int wh = std::max(1, static_cast<int>(std::lround(dst.height * f)));
  const double sx = double(ww) / dst.width, sy = double(wh) / dst.height;
  // Area averaging in and bilinear interpolation out add variances of about 1/12 and 1/6
  // work pixels squared; the blur leaves that part out.
  const double sw = sigma * std::sqrt(sx * sy);
  const double sblur = std::sqrt(std::max(0.0, sw * sw - 0.25));
  std::vector<std::uint8_t> work(std::size_t(ww) * wh * src.channels);
  const BlurImage wi{work.data(), ww, wh, std::int64_t(ww) * src.channels, src.channels};
  resample(src, wi, threads);
  blur(wi, wi, sblur, threads, kernels);
  resample(wi, dst, threads);
}

}  // namespace nudeguard
