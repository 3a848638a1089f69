// Shared by the libFuzzer harnesses: geometry drawn from the input's first bytes, exact-size
// heap buffers (so AddressSanitizer sees a read one byte past the end), and a crash that
// names what differed. Every harness runs the C ABI (the library's own ISA choice) and then
// every kernel set this CPU supports against the scalar reference, because one fuzzing
// process cannot change NUDEGUARD_FORCE_ISA after the first call.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nudeguard.h"

namespace fuzz {

[[noreturn]] inline void fail(const char* what, const char* detail = "") {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s %s\n", what, detail);
  std::abort();
}

inline void require(bool ok, const char* what, const char* detail = "") {
  if (!ok) fail(what, detail);
}

inline int channels_of(int pixel_format) {
  static const int kChannels[] = {3, 3, 4, 4, 1};
  return kChannels[pixel_format];
}

// A source image of fuzzed size, format and row padding, its pixels taken from the input.
// Rows are padded by 0..7 bytes; the buffer ends exactly after the last pixel of the last row.
struct Picture {
  int width = 0, height = 0, stride = 0, format = 0;
  std::vector<unsigned char> bytes;

  Picture(FuzzedDataProvider& in, int max_side, int max_pixels) {
    format = in.ConsumeIntegralInRange<int>(NG_PIXEL_RGB8, NG_PIXEL_GRAY8);
    width = in.ConsumeIntegralInRange<int>(1, max_side);
    height = in.ConsumeIntegralInRange<int>(1, max_side);
    while (width * height > max_pixels) (width > height ? width : height) /= 2;
    stride = width * channels_of(format) + in.ConsumeIntegralInRange<int>(0, 7);
    bytes.resize(std::size_t(stride) * (height - 1) + std::size_t(width) * channels_of(format));
    // Pixels from the input, then a cheap pattern so small inputs still make textured images.
    const std::vector<unsigned char> given = in.ConsumeBytes<unsigned char>(bytes.size());
    if (!given.empty()) std::memcpy(bytes.data(), given.data(), given.size());
    for (std::size_t i = given.size(); i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 37 + (i >> 7));
  }
};

// A handle that is destroyed on every path.
struct Handle {
  ng_handle* h = ng_create(NUDEGUARD_ABI_VERSION);
  Handle() { require(h != nullptr, "ng_create failed", ng_error_string(nullptr)); }
  ~Handle() { ng_destroy(h); }
};

}  // namespace fuzz
