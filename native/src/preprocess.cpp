// Preprocessing driver (core.h preprocess): checks, the resampling axes (weights, crop),
// channel order and normalization, then rows through the active kernel set (preprocess.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "preprocess.h"

namespace nudeguard {
namespace {

// Keeps the fixed-point error below 0.51 LSB; see the bound in nudeguard.h.
constexpr int kMaxFixedPointTaps = 66;

[[noreturn]] void fail(const std::string& message) { throw std::invalid_argument(message); }

const char* name_of(PixelFormat f) {
  switch (f) {
    case PixelFormat::RGB: return "RGB";
    case PixelFormat::BGR: return "BGR";
    case PixelFormat::RGBA: return "RGBA";
    case PixelFormat::BGRA: return "BGRA";
    case PixelFormat::GRAY: return "GRAY";
  }
  fail("invalid pixel format " + std::to_string(static_cast<int>(f)));
}

bool is_rgb_order(PixelFormat f) { return f == PixelFormat::RGB || f == PixelFormat::RGBA; }

void check_side(const char* name, int value) {
  if (value < 1 || value > kMaxSide) {
    fail(std::string(name) + " " + std::to_string(value) + " is out of range 1.." +
         std::to_string(kMaxSide));
  }
}

// Resize of `src` pixels to `resized`, keeping outputs offset .. offset + kept - 1.
// Weights are exact rationals computed in integers, so the quantized ones can be rounded
// cumulatively: that keeps every partial sum within half a unit of the exact one and makes
// the total exactly 1 << kWeightBits.
Axis make_axis(std::int64_t src, std::int64_t resized, int offset, int kept) {
  Axis a;
  a.size = kept;
  a.first.resize(kept);
  a.begin.resize(kept + 1);
  constexpr std::int64_t one = 1 << kWeightBits;
  auto add_taps = [&](std::int64_t first, const std::int64_t* num, int count, std::int64_t den) {
    std::int64_t cum = 0, prev = 0;
    for (int t = 0; t < count; ++t) {
      cum += num[t];
      const std::int64_t q = (2 * cum * one + den) / (2 * den);
      a.weight.push_back(static_cast<float>(static_cast<double>(num[t]) / static_cast<double>(den)));
      a.qweight.push_back(static_cast<std::int16_t>(q - prev));
      prev = q;
    }
    a.taps = std::max(a.taps, count);
    return static_cast<std::int32_t>(first);
  };
  std::vector<std::int64_t> num;
  for (int i = 0; i < kept; ++i) {
    const std::int64_t g = offset + i;
    a.begin[i] = static_cast<std::int32_t>(a.weight.size());
    num.clear();
    if (src > resized) {
      // Area: output g covers [g*src, (g+1)*src) in units of 1/resized source pixels.
      const std::int64_t lo = g * src, hi = (g + 1) * src;
      const std::int64_t j0 = lo / resized, j1 = (hi - 1) / resized;
      for (std::int64_t j = j0; j <= j1; ++j)
        num.push_back(std::min(hi, (j + 1) * resized) - std::max(lo, j * resized));
      a.first[i] = add_taps(j0, num.data(), static_cast<int>(num.size()), src);
    } else {
      // Bilinear: x = (g + 0.5) * src / resized - 0.5 = pos / (2 * resized), clamped.
      const std::int64_t den = 2 * resized;
      const std::int64_t pos = std::max<std::int64_t>(0, (2 * g + 1) * src - resized);
      const std::int64_t j = pos / den, frac = pos % den;
      if (j >= src - 1 || frac == 0) {
        num.push_back(den);
        a.first[i] = add_taps(std::min(j, src - 1), num.data(), 1, den);
      } else {
        num.push_back(den - frac);
        num.push_back(frac);
        a.first[i] = add_taps(j, num.data(), 2, den);
      }
    }
  }
  a.begin[kept] = static_cast<std::int32_t>(a.weight.size());
  // Outputs move forward monotonically, so the last one ends the span of sources used.
  a.span = a.first[kept - 1] + (a.begin[kept] - a.begin[kept - 1]) - a.first[0];
  a.padded = (a.taps + kPadTaps - 1) / kPadTaps * kPadTaps;
  a.pweight.assign(std::size_t(kept) * a.padded, 0.0f);
  a.pqweight.assign(std::size_t(kept) * a.padded, 0);
  for (int i = 0; i < kept; ++i) {
    for (int t = a.begin[i]; t < a.begin[i + 1]; ++t) {
      a.pweight[std::size_t(i) * a.padded + (t - a.begin[i])] = a.weight[t];
      a.pqweight[std::size_t(i) * a.padded + (t - a.begin[i])] = a.qweight[t];
    }
  }
  return a;
}

// 64-byte aligned scratch for the horizontal pass, one per call (kernels are reentrant).
class WorkBuffer {
 public:
  explicit WorkBuffer(std::size_t bytes) : storage_(bytes + 64) {}
  void* get() {
    void* p = storage_.data();
    std::size_t space = storage_.size();
    return std::align(64, space - 64, p, space);
  }

 private:
  std::vector<unsigned char> storage_;
};

// Streams the needed source rows through the horizontal pass once each: consecutive
// outputs share at most their boundary rows (area) or both rows (bilinear), so a cache of
// the last two rows, slotted by row parity, is enough.
template <class Row, class Acc, class Weight, class HPass, class VAcc, class Store>
void run(const Image& src, int src_channels, const int chan[3], const Axis& x, const Axis& y,
         const std::vector<Weight>& yweight, HPass hpass, VAcc vacc, Store store) {
  const int n = x.size * 3;
  std::vector<Row> rows(2 * static_cast<std::size_t>(n));
  std::vector<Acc> acc(n);
  WorkBuffer work(hpass_work_bytes(x));
  std::int64_t cached[2] = {-1, -1};
  for (int i = 0; i < y.size; ++i) {
    std::fill(acc.begin(), acc.end(), Acc(0));
    for (int t = y.begin[i]; t < y.begin[i + 1]; ++t) {
      const std::int64_t r = y.first[i] + (t - y.begin[i]);
      Row* row = rows.data() + (r & 1) * n;
      if (cached[r & 1] != r) {
        hpass(src.data + r * src.stride, x, src_channels, chan, row, work.get());
        cached[r & 1] = r;
      }
      vacc(acc.data(), row, yweight[t], n);
    }
    store(acc.data(), n, i);
  }
}

}  // namespace

int channels_of(PixelFormat f) {
  switch (f) {
    case PixelFormat::RGB:
    case PixelFormat::BGR: return 3;
    case PixelFormat::RGBA:
    case PixelFormat::BGRA: return 4;
    case PixelFormat::GRAY: return 1;
  }
  fail("invalid pixel format " + std::to_string(static_cast<int>(f)));
}

void check_resize_side(const char* name, int value) {
  if (value < 0 || value > kMaxSide) {
    fail(std::string(name) + " " + std::to_string(value) + " is out of range 0.." +
         std::to_string(kMaxSide) + " (0 means the tensor size)");
  }
}

void check_normalization(const float mul[3], const float add[3]) {
  for (int c = 0; c < 3; ++c) {
    if (!std::isfinite(mul[c])) fail("mul[" + std::to_string(c) + "] is not finite");
    if (!std::isfinite(add[c])) fail("add[" + std::to_string(c) + "] is not finite");
  }
}

std::size_t tensor_bytes(int width, int height, TensorType type) {
  check_side("tensor width", width);
  check_side("tensor height", height);
  std::uint64_t elem;
  switch (type) {
    case TensorType::UInt8:
    case TensorType::Int8: elem = 1; break;
    case TensorType::Float32: elem = 4; break;
    default: fail("invalid tensor type " + std::to_string(static_cast<int>(type)));
  }
  const std::uint64_t bytes = std::uint64_t(width) * std::uint64_t(height) * 3 * elem;
  if (bytes > static_cast<std::uint64_t>(PTRDIFF_MAX)) {
    fail("tensor of " + std::to_string(bytes) + " bytes does not fit in memory");
  }
  return static_cast<std::size_t>(bytes);
}

std::size_t hpass_work_bytes(const Axis& x) {
  // Per source pixel of the span plus a padded block of taps, the largest layout a SIMD set
  // uses: an RGBx float (16 bytes) and three int16 planes (6 bytes).
  return (std::size_t(x.span) + std::size_t(x.padded) + 16) * 24;
}

void preprocess(const Image& src, const Tensor& dst, const Options& options) {
  preprocess_with(src, dst, options, nullptr);
}

void preprocess_with(const Image& src, const Tensor& dst, const Options& options,
                     const PreprocessKernels* kernels) {
  if (src.data == nullptr) fail("src is NULL");
  if (dst.data == nullptr) fail("dst is NULL");
  check_side("width", src.width);
  check_side("height", src.height);
  const int channels = channels_of(src.format);
  const std::int64_t row_bytes = std::int64_t(src.width) * channels;
  if (src.stride < row_bytes) {
    fail("stride " + std::to_string(src.stride) + " is smaller than width*channels " +
         std::to_string(row_bytes));
  }
  if (src.height > 1 && src.stride > (PTRDIFF_MAX - row_bytes) / (src.height - 1)) {
    fail("stride " + std::to_string(src.stride) + " times height " +
         std::to_string(src.height) + " overflows the address space");
  }
  tensor_bytes(dst.width, dst.height, dst.type);  // validates the tensor's sides and type
  if (dst.order != PixelFormat::RGB && dst.order != PixelFormat::BGR) {
    fail(std::string("tensor channel order must be RGB or BGR, got ") + name_of(dst.order));
  }
  check_resize_side("resize width", options.resize_width);
  check_resize_side("resize height", options.resize_height);
  const int rw = options.resize_width ? options.resize_width : dst.width;
  const int rh = options.resize_height ? options.resize_height : dst.height;
  if (rw < dst.width || rh < dst.height) {
    fail("resize size " + std::to_string(rw) + "x" + std::to_string(rh) +
         " is smaller than the tensor size " + std::to_string(dst.width) + "x" +
         std::to_string(dst.height) + "; the centre crop must fit inside the resized image");
  }
  check_normalization(options.mul, options.add);

  int chan[3] = {0, 0, 0};
  if (channels > 1) {
    const bool swap = is_rgb_order(src.format) != (dst.order == PixelFormat::RGB);
    for (int c = 0; c < 3; ++c) chan[c] = swap ? 2 - c : c;
  }
  const PreprocessKernels& k = kernels ? *kernels : *active_kernels().preprocess;
  const Axis x = make_axis(src.width, rw, (rw - dst.width) / 2, dst.width);
  const Axis y = make_axis(src.height, rh, (rh - dst.height) / 2, dst.height);
  const std::size_t row_stride = std::size_t(dst.width) * 3;

  const bool identity =
      std::all_of(options.mul, options.mul + 3, [](float m) { return m == 1.0f; }) &&
      std::all_of(options.add, options.add + 3, [](float a) { return a == 0.0f; });
  if (dst.type == TensorType::UInt8 && identity && x.taps + y.taps <= kMaxFixedPointTaps) {
    auto* out = static_cast<std::uint8_t*>(dst.data);
    run<std::int16_t, std::int32_t>(src, channels, chan, x, y, y.qweight, k.hpass_q, k.vacc_q,
                                    [&](const std::int32_t* acc, int n, int i) {
                                      k.store_q_u8(acc, n, out + i * row_stride);
                                    });
    return;
  }
  run<float, float>(src, channels, chan, x, y, y.weight, k.hpass_f, k.vacc_f,
                    [&](const float* acc, int n, int i) {
                      switch (dst.type) {
                        case TensorType::UInt8:
                          k.store_f_u8(acc, n, options.mul, options.add,
                                       static_cast<std::uint8_t*>(dst.data) + i * row_stride);
                          break;
                        case TensorType::Int8:
                          k.store_f_i8(acc, n, options.mul, options.add,
                                       static_cast<std::int8_t*>(dst.data) + i * row_stride);
                          break;
                        case TensorType::Float32:
                          k.store_f_f32(acc, n, options.mul, options.add,
                                        static_cast<float*>(dst.data) + i * row_stride);
                          break;
                      }
                    });
}

}  // namespace nudeguard
