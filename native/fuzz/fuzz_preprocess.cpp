// ng_preprocess with ng_set / ng_set_normalization / ng_tensor_bytes / ng_image_bytes: fuzzed
// size, format, row padding, tensor size, resize size, tensor type and normalization. Valid
// calls must succeed and give the same bytes for every kernel set; invalid parameters must
// fail with -1 and a message, without touching the buffers.
#include <cmath>

#include "fuzz_common.h"
#include "kernels.h"
#include "preprocess.h"

namespace {

float finite_or_wild(FuzzedDataProvider& in) {
  // Mostly the range a model's normalization uses, sometimes anything (NaN, inf, 1e38).
  if (in.ConsumeIntegralInRange<int>(0, 15) == 0) return in.ConsumeFloatingPoint<float>();
  return in.ConsumeFloatingPointInRange<float>(-300.0f, 300.0f);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int dst_width = in.ConsumeIntegralInRange<int>(1, 48);
  const int dst_height = in.ConsumeIntegralInRange<int>(1, 48);
  const int resize_width = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<int>(dst_width, 96);
  const int resize_height = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<int>(dst_height, 96);
  const int dst_order = in.ConsumeBool() ? NG_PIXEL_RGB8 : NG_PIXEL_BGR8;
  const int dst_type = in.ConsumeIntegralInRange<int>(NG_TENSOR_UINT8, NG_TENSOR_FLOAT32);
  float mul[3] = {1, 1, 1}, add[3] = {0, 0, 0};
  const bool normalized = in.ConsumeBool();
  if (normalized) {
    for (int c = 0; c < 3; ++c) mul[c] = finite_or_wild(in), add[c] = finite_or_wild(in);
  }
  // Up to 2048 px wide with few rows: shrinking by more than 31x takes the float path.
  const fuzz::Picture src(in, 2048, 1 << 14);

  fuzz::Handle handle;
  fuzz::require(ng_set(handle.h, NG_PARAM_RESIZE_WIDTH, resize_width) == 0, "ng_set resize width");
  fuzz::require(ng_set(handle.h, NG_PARAM_RESIZE_HEIGHT, resize_height) == 0, "ng_set resize height");
  const bool finite = std::isfinite(mul[0]) && std::isfinite(mul[1]) && std::isfinite(mul[2]) &&
                      std::isfinite(add[0]) && std::isfinite(add[1]) && std::isfinite(add[2]);
  const int norm_rc = ng_set_normalization(handle.h, mul, add);
  fuzz::require((norm_rc == 0) == finite, "ng_set_normalization accepted a non-finite value or refused a finite one");
  if (!finite) {
    fuzz::require(std::strstr(ng_error_string(handle.h), "not finite") != nullptr, "no message for non-finite");
    return 0;
  }
  const std::size_t bytes = ng_tensor_bytes(dst_width, dst_height, dst_type);
  const std::size_t element = dst_type == NG_TENSOR_FLOAT32 ? 4 : 1;
  fuzz::require(bytes == std::size_t(dst_width) * dst_height * 3 * element, "ng_tensor_bytes");
  fuzz::require(ng_image_bytes(src.width, src.height, src.format) ==
                    std::size_t(src.width) * src.height * fuzz::channels_of(src.format),
                "ng_image_bytes");

  std::vector<unsigned char> tensor(bytes);
  const int rc = ng_preprocess(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format,
                               tensor.data(), dst_width, dst_height, dst_order, dst_type);
  fuzz::require(rc == 0, "ng_preprocess refused valid input", ng_error_string(handle.h));
  if (dst_type == NG_TENSOR_FLOAT32) {
    for (std::size_t i = 0; i < bytes; i += 4) {
      float v;
      std::memcpy(&v, &tensor[i], 4);
      fuzz::require(std::isfinite(v) || !std::isfinite(mul[0] * 255.0f + add[0]) ||
                        !std::isfinite(mul[1] * 255.0f + add[1]) || !std::isfinite(mul[2] * 255.0f + add[2]),
                    "non-finite float output from finite normalization");
    }
  }

  // Differential: every kernel set this CPU has, byte for byte against the scalar reference.
  nudeguard::Options options;
  options.resize_width = resize_width;
  options.resize_height = resize_height;
  for (int c = 0; c < 3; ++c) options.mul[c] = mul[c], options.add[c] = add[c];
  const nudeguard::Image image{src.bytes.data(), src.width, src.height, src.stride,
                               static_cast<nudeguard::PixelFormat>(src.format)};
  const nudeguard::Tensor reference_tensor{nullptr, dst_width, dst_height,
                                           static_cast<nudeguard::PixelFormat>(dst_order),
                                           static_cast<nudeguard::TensorType>(dst_type)};
  std::vector<unsigned char> reference(bytes), other(bytes);
  nudeguard::Tensor t = reference_tensor;
  t.data = reference.data();
  nudeguard::preprocess_with(image, t, options, nudeguard::scalar::kernel_set.preprocess);
  for (nudeguard::Isa isa : nudeguard::supported_isas()) {
    t.data = other.data();
    nudeguard::preprocess_with(image, t, options, nudeguard::kernels_for(isa)->preprocess);
    if (dst_type == NG_TENSOR_FLOAT32) {
      // NaN payloads aside, float outputs must be identical too (no FMA contraction anywhere).
      for (std::size_t i = 0; i < bytes; i += 4) {
        float a, b;
        std::memcpy(&a, &reference[i], 4);
        std::memcpy(&b, &other[i], 4);
        fuzz::require(a == b || (std::isnan(a) && std::isnan(b)), "kernel set differs from scalar",
                      nudeguard::isa_name(isa));
      }
    } else {
      fuzz::require(reference == other, "kernel set differs from scalar", nudeguard::isa_name(isa));
    }
  }
  fuzz::require(reference == tensor || dst_type == NG_TENSOR_FLOAT32, "C ABI differs from the reference");

  // Invalid geometry is refused before any pixel is read: a 1-byte buffer must be enough.
  const unsigned char one = 0;
  const int bad_stride = src.width * fuzz::channels_of(src.format) - 1;
  fuzz::require(ng_preprocess(handle.h, &one, src.width, src.height, bad_stride, src.format, tensor.data(),
                              dst_width, dst_height, dst_order, dst_type) == -1 ||
                    bad_stride >= src.width * fuzz::channels_of(src.format),
                "short stride accepted");
  fuzz::require(ng_preprocess(handle.h, &one, -src.width, src.height, src.stride, src.format, tensor.data(),
                              dst_width, dst_height, dst_order, dst_type) == -1,
                "negative width accepted");
  fuzz::require(ng_preprocess(handle.h, &one, 1, 1, 4, src.format + 5, tensor.data(), dst_width, dst_height,
                              dst_order, dst_type) == -1,
                "bad pixel format accepted");
  fuzz::require(std::strncmp(ng_error_string(handle.h), "ng_preprocess(): ", 17) == 0, "error message lacks the function");
  return 0;
}
