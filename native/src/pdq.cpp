// PDQ driver (pdq.h): Meta's 512 px thumbnail (PIL's bicubic resampler), luma, the Jarosz
// tent filter, decimation, quality, DCT, median threshold and the dihedral variants; and
// the chunked Hamming scan over a hash list.
//
// The last of the four box passes (down the columns) is only run on the 64 columns the
// decimation reads: each column is filtered independently, so this gives exactly the
// reference's samples for a quarter of the work.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include "kernels.h"
#include "pdq.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace nudeguard {
namespace {

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

constexpr int kMinHashable = 5;  // pdqhashing.cpp MIN_HASHABLE_DIM

// computeJaroszFilterWindowSize(old, 64).
int window_size(int old_dim) { return (old_dim + 2 * 64 - 1) / (2 * 64); }

// decimateFloat's source index of output i of 64: centres, computed in double.
int decimate_index(int i, int n) { return static_cast<int>(((i + 0.5) * n) / 64); }

int quality_of(const float* a) {
  int sum = 0;
  for (int i = 0; i < 63; ++i) {
    for (int j = 0; j < 64; ++j) {
      const float u = a[i * 64 + j], v = a[(i + 1) * 64 + j];
      const int d = static_cast<int>(((u - v) * 100) / 255);
      sum += std::abs(d);
    }
  }
  for (int i = 0; i < 64; ++i) {
    for (int j = 0; j < 63; ++j) {
      const float u = a[i * 64 + j], v = a[i * 64 + j + 1];
      const int d = static_cast<int>(((u - v) * 100) / 255);
      sum += std::abs(d);
    }
  }
  return std::min(100, sum / 90);
}

// Torben Mogensen's median (as in pdq/cpp/hashing/torben.cpp): for an even count, the
// lower of the two middle values.
float torben(const float* m, int n) {
  float lo = m[0], hi = m[0];
  for (int i = 1; i < n; ++i) {
    if (m[i] < lo) lo = m[i];
    if (m[i] > hi) hi = m[i];
  }
  int less = 0, greater = 0, equal = 0;
  float guess = 0.0f, maxlt = 0.0f, mingt = 0.0f;
  const int half = (n + 1) / 2;
  for (;;) {
    guess = (lo + hi) / 2;
    less = greater = equal = 0;
    maxlt = lo;
    mingt = hi;
    for (int i = 0; i < n; ++i) {
      if (m[i] < guess) {
        ++less;
        if (m[i] > maxlt) maxlt = m[i];
      } else if (m[i] > guess) {
        ++greater;
        if (m[i] < mingt) mingt = m[i];
      } else {
        ++equal;
      }
    }
    if (less <= half && greater <= half) break;
    if (less > greater) {
      hi = maxlt;
    } else {
      lo = mingt;
    }
  }
  if (less >= half) return maxlt;
  if (less + equal >= half) return guess;
  return mingt;
}

// Scratch for the full-size luma planes, not zero-filled (every element is written before it
// is read). Large ones are asked for in transparent huge pages where Linux offers them: the
// page faults of 2 x 48 MB of fresh 4 KB pages cost more than all four filter passes.
class FloatBuffer {
 public:
  explicit FloatBuffer(std::size_t n) {
    const std::size_t bytes = n * sizeof(float);
#if defined(__linux__)
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    if (bytes >= 4 * kHuge) {
      const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
      p_ = static_cast<float*>(std::aligned_alloc(kHuge, rounded));
      if (p_) madvise(p_, rounded, MADV_HUGEPAGE);  // advisory: failure only costs time
    }
#endif
    if (!p_) p_ = static_cast<float*>(std::malloc(bytes ? bytes : 1));
    if (!p_) throw std::bad_alloc();
  }
  ~FloatBuffer() { std::free(p_); }
  FloatBuffer(const FloatBuffer&) = delete;
  FloatBuffer& operator=(const FloatBuffer&) = delete;
  float* data() { return p_; }
  float& operator[](std::size_t i) { return p_[i]; }

 private:
  float* p_ = nullptr;
};

// Meta's published hashes (the pdq_photo_hasher tools' outputs for ThreatExchange's test photos)
// come from its Python port: PIL's Image.thumbnail((512, 512)), which keeps the aspect ratio,
// truncates the short side, and resamples with PIL's bicubic filter (a = -0.5) in 8-bit fixed
// point, rows first. The functions below are that resampler step for step (PIL's Resample.c:
// precompute_coeffs, normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc), so the
// pixels equal PIL's to the bit. (The JPEG draft decode PIL does first is the caller's: a
// DCT-scaled decode, nudeguard.hashing.)
constexpr int kResampleBits = 32 - 8 - 2;  // PIL's PRECISION_BITS

double bicubic(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Per output pixel: the first input index, the number of taps, and ksize fixed-point weights.
struct ResampleTaps {
  int ksize = 0;
  std::vector<int> first, count;
  std::vector<std::int32_t> weight;
};

ResampleTaps bicubic_taps(int in_size, int out_size) {
  ResampleTaps t;
  const double scale = static_cast<double>(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = 2.0 * filterscale;
  t.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  t.first.resize(out_size);
  t.count.resize(out_size);
  t.weight.assign(std::size_t(out_size) * t.ksize, 0);
  std::vector<double> k(t.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = bicubic((x + xmin - center + 0.5) * ss);
      ww += k[x];
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
      const double v = k[x] * (1 << kResampleBits);
      t.weight[std::size_t(xx) * t.ksize + x] = static_cast<std::int32_t>(k[x] < 0 ? -0.5 + v : 0.5 + v);
    }
    t.first[xx] = xmin;
    t.count[xx] = xmax;
  }
  return t;
}

std::uint8_t clip8(std::int32_t v) {
  const std::int32_t shifted = v >> kResampleBits;  // arithmetic shift, as in C on every target we build
  return static_cast<std::uint8_t>(std::min(std::max(shifted, 0), 255));
}

// Image.thumbnail's size for a picture over 512 px on a side (PIL 6's rule, under which
// Meta's vectors were made): the long side becomes 512, the other truncated, at least 1.
void thumbnail_size(int& w, int& h) {
  const double side = kPdqReferenceSide;
  if (w > kPdqReferenceSide) {
    h = static_cast<int>(std::max(h * side / w, 1.0));
    w = kPdqReferenceSide;
  }
  if (h > kPdqReferenceSide) {
    w = static_cast<int>(std::max(w * side / h, 1.0));
    h = kPdqReferenceSide;
  }
}

// The image resampled to w x h (cn bytes per pixel, every channel alike), packed.
std::vector<std::uint8_t> reference_thumbnail(const Image& image, int cn, int w, int h) {
  const ResampleTaps across = bicubic_taps(image.width, w);
  const ResampleTaps down = bicubic_taps(image.height, h);
  const int row_first = down.first[0];
  const int row_end = down.first[h - 1] + down.count[h - 1];
  // Rows first, only over the rows the vertical pass reads (as PIL does).
  std::vector<std::uint8_t> rows(std::size_t(row_end - row_first) * w * cn);
  for (int y = row_first; y < row_end; ++y) {
    const std::uint8_t* src = image.data + std::int64_t(y) * image.stride;
    std::uint8_t* dst = &rows[std::size_t(y - row_first) * w * cn];
    for (int x = 0; x < w; ++x) {
      const std::int32_t* k = &across.weight[std::size_t(x) * across.ksize];
      const std::uint8_t* px = src + std::int64_t(across.first[x]) * cn;
      for (int c = 0; c < cn; ++c) {
        std::int32_t sum = 1 << (kResampleBits - 1);
        for (int i = 0; i < across.count[x]; ++i) sum += px[i * cn + c] * k[i];
        dst[x * cn + c] = clip8(sum);
      }
    }
  }
  std::vector<std::uint8_t> out(std::size_t(w) * h * cn);
  const std::size_t row_bytes = std::size_t(w) * cn;
  for (int y = 0; y < h; ++y) {
    const std::int32_t* k = &down.weight[std::size_t(y) * down.ksize];
    const std::uint8_t* src = &rows[std::size_t(down.first[y] - row_first) * row_bytes];
    std::uint8_t* dst = &out[std::size_t(y) * row_bytes];
    for (std::size_t i = 0; i < row_bytes; ++i) {
      std::int32_t sum = 1 << (kResampleBits - 1);
      for (int j = 0; j < down.count[y]; ++j) sum += src[j * row_bytes + i] * k[j];
      dst[i] = clip8(sum);
    }
  }
  return out;
}

PdqHash to_bits(const float* c) {
  const float median = torben(c, 256);
  PdqHash h{};
  for (int k = 0; k < 256; ++k) {
    if (c[k] > median) h[31 - k / 8] |= static_cast<std::uint8_t>(1u << (k % 8));
  }
  return h;
}

// The reference's dct16OriginalTo* sign flips and transposes of the 16 x 16 coefficients.
void dihedral_coefs(const float* a, Dihedral t, float* b) {
  for (int i = 0; i < 16; ++i) {
    for (int j = 0; j < 16; ++j) {
      const float v = a[i * 16 + j];
      switch (t) {
        case Dihedral::Original: b[i * 16 + j] = v; break;
        case Dihedral::Rotate90: b[j * 16 + i] = (j & 1) ? v : -v; break;
        case Dihedral::Rotate180: b[i * 16 + j] = ((i + j) & 1) ? -v : v; break;
        case Dihedral::Rotate270: b[j * 16 + i] = (i & 1) ? v : -v; break;
        case Dihedral::FlipX: b[i * 16 + j] = (i & 1) ? v : -v; break;
        case Dihedral::FlipY: b[i * 16 + j] = (j & 1) ? v : -v; break;
        case Dihedral::FlipPlus1: b[j * 16 + i] = v; break;
        case Dihedral::FlipMinus1: b[j * 16 + i] = ((i + j) & 1) ? -v : v; break;
      }
    }
  }
}

void channel_offsets(PixelFormat f, int& cn, int& r, int& g, int& b) {
  cn = channels_of(f);
  switch (f) {
    case PixelFormat::RGB: case PixelFormat::RGBA: r = 0; g = 1; b = 2; break;
    case PixelFormat::BGR: case PixelFormat::BGRA: r = 2; g = 1; b = 0; break;
    default: r = g = b = 0; break;
  }
}

}  // namespace

const float* pdq_dct_matrix() {
  static const std::vector<float> matrix = [] {
    std::vector<float> d(16 * 64);
    const double pi = 3.14159265358979323846;
    const float scale = static_cast<float>(std::sqrt(2.0 / 64.0));
    for (std::size_t i = 0; i < 16; ++i) {
      for (std::size_t j = 0; j < 64; ++j) {
        d[i * 64 + j] = static_cast<float>(
            scale * std::cos((pi / 2.0 / 64.0) * double(i + 1) * double(2 * j + 1)));
      }
    }
    return d;
  }();
  return matrix.data();
}

PdqResult pdq_hash(const Image& image, bool reference_resize, bool dihedral,
                   const PdqKernels* kernels) {
  if (image.data == nullptr) fail("src is NULL");
  if (image.width < 1 || image.height < 1 || image.width > kMaxSide || image.height > kMaxSide) {
    fail("image size " + std::to_string(image.width) + "x" + std::to_string(image.height) +
         " is out of range 1.." + std::to_string(kMaxSide));
  }
  int cn, r, g, b;
  if (static_cast<int>(image.format) < 0 || static_cast<int>(image.format) > 4) {
    fail("pixel_format " + std::to_string(static_cast<int>(image.format)) + " is not a valid ng_pixel_format");
  }
  channel_offsets(image.format, cn, r, g, b);
  if (image.stride < std::int64_t(image.width) * cn) {
    fail("stride " + std::to_string(image.stride) + " is smaller than width*channels " +
         std::to_string(std::int64_t(image.width) * cn));
  }
  const PdqKernels& k = kernels ? *kernels : *active_kernels().pdq;
  PdqResult result{};
  const bool resize = reference_resize &&
                      (image.width > kPdqReferenceSide || image.height > kPdqReferenceSide);
  int w = image.width, h = image.height;
  if (resize) thumbnail_size(w, h);
  if (w < kMinHashable || h < kMinHashable) return result;  // zeros, quality 0

  // Luma, after Meta's downscale if any (reference_thumbnail: one pass of resampled rows).
  const std::size_t n = std::size_t(w) * h;
  FloatBuffer buf1(n), buf2(n);
  if (resize) {
    const std::vector<std::uint8_t> small = reference_thumbnail(image, cn, w, h);
    for (int y = 0; y < h; ++y) {
      k.luma_row(&small[std::size_t(y) * w * cn], w, cn, r, g, b, &buf1[std::size_t(y) * w]);
    }
  } else {
    for (int y = 0; y < h; ++y) {
      k.luma_row(image.data + y * image.stride, w, cn, r, g, b, &buf1[std::size_t(y) * w]);
    }
  }

  float a[64 * 64];
  if (w == 64 && h == 64) {
    std::memcpy(a, buf1.data(), sizeof a);
  } else {
    const int wr = window_size(w), wc = window_size(h);
    k.box_rows(buf1.data(), buf2.data(), h, w, wr);
    k.box_cols(buf2.data(), buf1.data(), h, w, w, wc);
    k.box_rows(buf1.data(), buf2.data(), h, w, wr);
    int cols[64];
    for (int j = 0; j < 64; ++j) cols[j] = decimate_index(j, w);
    for (int j = 0; j < 64; ++j) {
      if (j > 0 && cols[j] == cols[j - 1]) continue;  // small images repeat columns
      k.box_cols(buf2.data() + cols[j], buf1.data() + cols[j], h, 1, w, wc);
    }
    for (int i = 0; i < 64; ++i) {
      const float* row = buf1.data() + std::size_t(decimate_index(i, h)) * w;
      for (int j = 0; j < 64; ++j) a[i * 64 + j] = row[cols[j]];
    }
  }
  result.quality = quality_of(a);
  float c[256];
  k.dct64to16(a, c);
  result.hash[0] = to_bits(c);
  if (dihedral) {
    float t[256];
    for (int i = 1; i < 8; ++i) {
      dihedral_coefs(c, static_cast<Dihedral>(i), t);
      result.hash[i] = to_bits(t);
    }
  }
  return result;
}

std::vector<PdqMatch> pdq_match(const std::uint8_t* hashes, std::size_t count,
                                const std::uint8_t* query, int max_distance,
                                const PdqKernels* kernels) {
  if (hashes == nullptr && count != 0) fail("hashes is NULL");
  if (query == nullptr) fail("query is NULL");
  if (max_distance < 0 || max_distance > 256) {
    fail("max_distance " + std::to_string(max_distance) + " is out of range 0..256");
  }
  const PdqKernels& k = kernels ? *kernels : *active_kernels().pdq;
  std::uint64_t q[4];
  std::memcpy(q, query, sizeof q);
  std::vector<PdqMatch> matches;
  constexpr std::size_t kChunk = 1 << 14;  // indices fit 32 bits; buffers stay in L1/L2
  std::vector<std::uint32_t> idx(kChunk);
  std::vector<std::uint16_t> dist(kChunk);
  std::vector<std::uint64_t> aligned;
  const bool is_aligned = reinterpret_cast<std::uintptr_t>(hashes) % alignof(std::uint64_t) == 0;
  for (std::size_t base = 0; base < count; base += kChunk) {
    const std::size_t m = std::min(kChunk, count - base);
    const std::uint8_t* p = hashes + base * kPdqBytes;
    const std::uint64_t* words;
    if (is_aligned) {
      words = reinterpret_cast<const std::uint64_t*>(p);
    } else {
      aligned.resize(m * 4);
      std::memcpy(aligned.data(), p, m * kPdqBytes);
      words = aligned.data();
    }
    const std::size_t found = k.scan(words, m, q, max_distance, idx.data(), dist.data());
    for (std::size_t i = 0; i < found; ++i) matches.push_back({base + idx[i], dist[i]});
  }
  return matches;
}

int hamming_distance(const std::uint8_t* a, const std::uint8_t* b) {
  int d = 0;
  for (int i = 0; i < kPdqBytes; ++i) d += __builtin_popcount(unsigned(a[i] ^ b[i]));
  return d;
}

}  // namespace nudeguard
