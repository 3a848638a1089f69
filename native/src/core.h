// Internal C++ API of the nudeguard core, shared by the C ABI and the Python module.
// Errors are thrown: std::invalid_argument for bad arguments, std::runtime_error for a
// NUDEGUARD_FORCE_ISA that cannot be honoured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nudeguard {

// Values match NG_PIXEL_* so the C ABI can cast after a range check.
enum class PixelFormat : int { RGB = 0, BGR = 1, RGBA = 2, BGRA = 3, GRAY = 4 };
// Values match NG_TENSOR_*.
enum class TensorType : int { UInt8 = 0, Int8 = 1, Float32 = 2 };

struct Image {
  const std::uint8_t* data;
  int width;
  int height;
  std::int64_t stride;  // bytes between rows
  PixelFormat format;
};

// Contiguous height x width x 3 tensor.
struct Tensor {
  void* data;
  int width;
  int height;
  PixelFormat order;  // RGB or BGR
  TensorType type;
};

struct Options {
  int resize_width = 0;  // 0: tensor width
  int resize_height = 0;
  float mul[3] = {1.0f, 1.0f, 1.0f};
  float add[3] = {0.0f, 0.0f, 0.0f};
};

// Largest side of an image, resize size or tensor: keeps index arithmetic in 32-bit
// positions and 64-bit products without overflow checks at every step.
constexpr int kMaxSide = 1 << 24;

int channels_of(PixelFormat format);  // bytes per pixel
void preprocess(const Image& src, const Tensor& dst, const Options& options);
std::size_t tensor_bytes(int width, int height, TensorType type);
void check_resize_side(const char* name, int value);
void check_normalization(const float mul[3], const float add[3]);

const char* version();
const char* isa();
std::vector<std::string> available_isas();

}  // namespace nudeguard
