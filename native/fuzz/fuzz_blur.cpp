// ng_blur / ng_veil / ng_veil_sigma: fuzzed size, format, strides, sigma (including NaN,
// infinities, negatives and huge values), in place or not, 1 or 2 threads. Results must not
// depend on the kernel set or the thread count; invalid sigmas and sizes fail with -1.
#include <cmath>

#include "blur.h"
#include "kernels.h"
#include "fuzz_common.h"

namespace {

double fuzzed_sigma(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: return in.ConsumeFloatingPoint<double>();  // anything, NaN and inf included
    case 1: return in.ConsumeFloatingPointInRange<double>(-10.0, 0.0);
    case 2: return in.ConsumeFloatingPointInRange<double>(50.0, 2e6);
    default: return in.ConsumeFloatingPointInRange<double>(0.0, 40.0);
  }
}

std::vector<const nudeguard::BlurKernels*> kernel_sets() {
  std::vector<const nudeguard::BlurKernels*> sets;
  for (nudeguard::Isa isa : nudeguard::supported_isas()) {
    sets.push_back(nudeguard::kernels_for(isa)->blur);
  }
  return sets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const double sigma = fuzzed_sigma(in);
  const int threads = in.ConsumeIntegralInRange<int>(1, 2);
  const bool in_place = in.ConsumeBool();
  const int veil_width = in.ConsumeIntegralInRange<int>(1, 160);
  const int veil_height = in.ConsumeIntegralInRange<int>(1, 160);
  const int dst_pad = in.ConsumeIntegralInRange<int>(0, 5);
  const fuzz::Picture src(in, 300, 1 << 13);
  const int cn = fuzz::channels_of(src.format);

  fuzz::Handle handle;
  fuzz::require(ng_set(handle.h, NG_PARAM_THREADS, threads) == 0, "ng_set threads");
  const bool sigma_ok = std::isfinite(sigma) && sigma >= 0.0 && sigma <= 1e6;

  // Blur, into a separate buffer (own stride) or in place.
  std::vector<unsigned char> out;
  int out_stride = src.stride;
  int rc;
  if (in_place) {
    out = src.bytes;
    rc = ng_blur(handle.h, out.data(), src.width, src.height, src.stride, src.format, out.data(), src.stride, sigma);
  } else {
    out_stride = src.width * cn + dst_pad;
    out.assign(std::size_t(out_stride) * (src.height - 1) + std::size_t(src.width) * cn, 0);
    rc = ng_blur(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format, out.data(), out_stride,
                 sigma);
  }
  fuzz::require((rc == 0) == sigma_ok, "ng_blur: accepted an invalid sigma or refused a valid one",
                ng_error_string(handle.h));
  if (rc == 0) {
    // Every kernel set and one thread give the C ABI's bytes.
    std::vector<unsigned char> again(std::size_t(src.width) * src.height * cn);
    const nudeguard::BlurImage s{const_cast<unsigned char*>(src.bytes.data()), src.width, src.height, src.stride, cn};
    const nudeguard::BlurImage d{again.data(), src.width, src.height, std::int64_t(src.width) * cn, cn};
    for (const nudeguard::BlurKernels* k : kernel_sets()) {
      nudeguard::blur(s, d, sigma, 1, k);
      for (int y = 0; y < src.height; ++y) {
        fuzz::require(std::memcmp(&again[std::size_t(y) * src.width * cn], &out[std::size_t(y) * out_stride],
                                  std::size_t(src.width) * cn) == 0,
                      "blur differs between kernel sets or thread counts", k->name);
      }
    }
  }

  // Veil to a fuzzed size; sigma <= 0 picks ng_veil_sigma.
  const double veil_sigma = ng_veil_sigma(veil_width, veil_height);
  fuzz::require(veil_sigma >= 2.0 && std::isfinite(veil_sigma), "ng_veil_sigma out of range");
  std::vector<unsigned char> veil(ng_image_bytes(veil_width, veil_height, src.format));
  fuzz::require(!veil.empty(), "ng_image_bytes");
  rc = ng_veil(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format, veil.data(), veil_width,
               veil_height, veil_width * cn, sigma);
  const bool veil_ok = std::isfinite(sigma) && sigma <= 1e6;
  fuzz::require((rc == 0) == veil_ok, "ng_veil: accepted an invalid sigma or refused a valid one",
                ng_error_string(handle.h));
  if (rc == 0) {
    std::vector<unsigned char> again(veil.size());
    const nudeguard::BlurImage s{const_cast<unsigned char*>(src.bytes.data()), src.width, src.height, src.stride, cn};
    const nudeguard::BlurImage d{again.data(), veil_width, veil_height, std::int64_t(veil_width) * cn, cn};
    for (const nudeguard::BlurKernels* k : kernel_sets()) {
      nudeguard::veil(s, d, sigma, 1, k);
      fuzz::require(again == veil, "veil differs between kernel sets or thread counts", k->name);
    }
  }
  // Overlapping buffers that are not the same image are refused.
  if (src.height > 2 && rc == 0 && sigma_ok) {  // rows 0..h-2 and 1..h-1 share rows
    std::vector<unsigned char> shared = src.bytes;
    fuzz::require(ng_blur(handle.h, shared.data(), src.width, src.height - 1, src.stride, src.format,
                          shared.data() + src.stride, src.stride, sigma) == -1,
                  "overlapping blur accepted");
  }
  return 0;
}
