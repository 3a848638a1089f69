// The C ABI: argument conversion and error capture around the C++ core. No exception may
// unwind into C, so every entry point that can fail runs inside guarded().
#define NUDEGUARD_BUILDING_LIBRARY
#include "nudeguard.h"

#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "blur.h"
#include "core.h"
#include "hash_list.h"
#include "pdq.h"
#include "probe.h"

static_assert(static_cast<int>(nudeguard::PixelFormat::BGR) == NG_PIXEL_BGR8 &&
                  static_cast<int>(nudeguard::PixelFormat::RGBA) == NG_PIXEL_RGBA8 &&
                  static_cast<int>(nudeguard::PixelFormat::BGRA) == NG_PIXEL_BGRA8 &&
                  static_cast<int>(nudeguard::PixelFormat::GRAY) == NG_PIXEL_GRAY8 &&
                  static_cast<int>(nudeguard::TensorType::Int8) == NG_TENSOR_INT8 &&
                  static_cast<int>(nudeguard::TensorType::Float32) == NG_TENSOR_FLOAT32,
              "core enums must match the C ABI constants");

struct ng_handle {
  nudeguard::Options options;
  int threads = 0;  // NG_PARAM_THREADS
  bool pdq_full_size = false;  // NG_PARAM_PDQ_FULL_SIZE
  std::string error;
};

namespace {

thread_local std::string thread_error;

void record(std::string& slot, const char* function, const char* message) noexcept {
  try {
    slot = std::string(function) + "(): " + message;
  } catch (...) {
    // Out of memory while reporting: the previous message stays; -1 still signals failure.
  }
}

// Errors go to the handle when there is one, else to the thread-local slot.
template <class Body>
int guarded(const char* function, ng_handle* handle, Body&& body) noexcept {
  std::string& slot = handle ? handle->error : thread_error;
  try {
    body();
    return 0;
  } catch (const std::exception& e) {
    record(slot, function, e.what());
  } catch (...) {
    record(slot, function, "unknown C++ exception");
  }
  return -1;
}

template <class Enum>
Enum enum_arg(const char* name, int value, int last, const char* type) {
  if (value < 0 || value > last) {
    throw std::invalid_argument(std::string(name) + " " + std::to_string(value) +
                                " is not a valid " + type);
  }
  return static_cast<Enum>(value);
}

void require_handle(const ng_handle* handle) {
  if (handle == nullptr) throw std::invalid_argument("handle is NULL");
}

}  // namespace

extern "C" {

ng_handle* ng_create(int abi_version) {
  ng_handle* handle = nullptr;
  guarded("ng_create", nullptr, [&] {
    if (abi_version != NUDEGUARD_ABI_VERSION) {
      throw std::invalid_argument("caller was built for ABI version " +
                                  std::to_string(abi_version) + " but this library has ABI " +
                                  std::to_string(NUDEGUARD_ABI_VERSION) +
                                  "; rebuild against this library's nudeguard.h");
    }
    nudeguard::isa();  // an unusable NUDEGUARD_FORCE_ISA fails here rather than later
    handle = new ng_handle();
  });
  return handle;
}

void ng_destroy(ng_handle* handle) { delete handle; }

const char* ng_error_string(const ng_handle* handle) {
  return handle ? handle->error.c_str() : thread_error.c_str();
}

const char* ng_version(void) { return nudeguard::version(); }

const char* ng_isa(void) {
  const char* name = nullptr;
  guarded("ng_isa", nullptr, [&] { name = nudeguard::isa(); });
  return name;
}

int ng_set(ng_handle* handle, int param, int value) {
  return guarded("ng_set", handle, [&] {
    require_handle(handle);
    switch (param) {
      case NG_PARAM_RESIZE_WIDTH:
        nudeguard::check_resize_side("NG_PARAM_RESIZE_WIDTH", value);
        handle->options.resize_width = value;
        break;
      case NG_PARAM_RESIZE_HEIGHT:
        nudeguard::check_resize_side("NG_PARAM_RESIZE_HEIGHT", value);
        handle->options.resize_height = value;
        break;
      case NG_PARAM_THREADS:
        if (value < 0 || value > 256) {
          throw std::invalid_argument("NG_PARAM_THREADS " + std::to_string(value) +
                                      " is out of range 0..256 (0 means automatic)");
        }
        handle->threads = value;
        break;
      case NG_PARAM_PDQ_FULL_SIZE:
        if (value != 0 && value != 1) {
          throw std::invalid_argument("NG_PARAM_PDQ_FULL_SIZE " + std::to_string(value) +
                                      " must be 0 or 1");
        }
        handle->pdq_full_size = value == 1;
        break;
      default:
        throw std::invalid_argument("param " + std::to_string(param) + " is not an ng_param");
    }
  });
}

int ng_set_normalization(ng_handle* handle, const float mul[3], const float add[3]) {
  return guarded("ng_set_normalization", handle, [&] {
    require_handle(handle);
    if (mul == nullptr) throw std::invalid_argument("mul is NULL");
    if (add == nullptr) throw std::invalid_argument("add is NULL");
    nudeguard::check_normalization(mul, add);
    for (int c = 0; c < 3; ++c) {
      handle->options.mul[c] = mul[c];
      handle->options.add[c] = add[c];
    }
  });
}

size_t ng_tensor_bytes(int width, int height, int dst_type) {
  size_t bytes = 0;
  guarded("ng_tensor_bytes", nullptr, [&] {
    const auto type = enum_arg<nudeguard::TensorType>("dst_type", dst_type, NG_TENSOR_FLOAT32,
                                                      "ng_tensor_type");
    bytes = nudeguard::tensor_bytes(width, height, type);
  });
  return bytes;
}

int ng_preprocess(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
                  int pixel_format, void* dst, int dst_width, int dst_height,
                  int dst_pixel_format, int dst_type) {
  return guarded("ng_preprocess", handle, [&] {
    require_handle(handle);
    using nudeguard::PixelFormat;
    const nudeguard::Image image{
        src, width, height, stride,
        enum_arg<PixelFormat>("pixel_format", pixel_format, NG_PIXEL_GRAY8, "ng_pixel_format")};
    const nudeguard::Tensor tensor{
        dst, dst_width, dst_height,
        enum_arg<PixelFormat>("dst_pixel_format", dst_pixel_format, NG_PIXEL_GRAY8,
                              "ng_pixel_format"),
        enum_arg<nudeguard::TensorType>("dst_type", dst_type, NG_TENSOR_FLOAT32,
                                        "ng_tensor_type")};
    nudeguard::preprocess(image, tensor, handle->options);
  });
}

size_t ng_image_bytes(int width, int height, int pixel_format) {
  size_t bytes = 0;
  guarded("ng_image_bytes", nullptr, [&] {
    const auto format = enum_arg<nudeguard::PixelFormat>("pixel_format", pixel_format,
                                                         NG_PIXEL_GRAY8, "ng_pixel_format");
    bytes = nudeguard::image_bytes(width, height, nudeguard::channels_of(format));
  });
  return bytes;
}

namespace {

nudeguard::BlurImage blur_image(const unsigned char* data, int width, int height, int stride,
                                int pixel_format) {
  const auto format = enum_arg<nudeguard::PixelFormat>("pixel_format", pixel_format,
                                                       NG_PIXEL_GRAY8, "ng_pixel_format");
  // The blur writes only through dst; src is read-only even when they are the same buffer.
  return {const_cast<unsigned char*>(data), width, height, stride,
          nudeguard::channels_of(format)};
}

}  // namespace

int ng_blur(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
            int pixel_format, unsigned char* dst, int dst_stride, double sigma) {
  return guarded("ng_blur", handle, [&] {
    require_handle(handle);
    nudeguard::blur(blur_image(src, width, height, stride, pixel_format),
                    blur_image(dst, width, height, dst_stride, pixel_format), sigma,
                    handle->threads);
  });
}

double ng_veil_sigma(int dst_width, int dst_height) {
  double sigma = 0.0;
  guarded("ng_veil_sigma", nullptr, [&] { sigma = nudeguard::veil_sigma(dst_width, dst_height); });
  return sigma;
}

int ng_veil(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
            int pixel_format, unsigned char* dst, int dst_width, int dst_height, int dst_stride,
            double sigma) {
  return guarded("ng_veil", handle, [&] {
    require_handle(handle);
    nudeguard::veil(blur_image(src, width, height, stride, pixel_format),
                    blur_image(dst, dst_width, dst_height, dst_stride, pixel_format), sigma,
                    handle->threads);
  });
}

int ng_probe_image(const unsigned char* data, size_t size, int* format, unsigned int* width,
                   unsigned int* height) {
  return guarded("ng_probe_image", nullptr, [&] {
    if (format == nullptr || width == nullptr || height == nullptr) {
      throw std::invalid_argument("format, width and height must not be NULL");
    }
    if (data == nullptr && size != 0) throw std::invalid_argument("data is NULL");
    const nudeguard::ImageHeader header = nudeguard::probe_image(data, size);
    *format = static_cast<int>(header.format);
    *width = header.width;
    *height = header.height;
  });
}

namespace {

nudeguard::PdqResult pdq_of(ng_handle* handle, const unsigned char* src, int width, int height,
                            int stride, int pixel_format, bool dihedral) {
  require_handle(handle);
  const nudeguard::Image image{
      src, width, height, stride,
      enum_arg<nudeguard::PixelFormat>("pixel_format", pixel_format, NG_PIXEL_GRAY8,
                                       "ng_pixel_format")};
  return nudeguard::pdq_hash(image, !handle->pdq_full_size, dihedral);
}

}  // namespace

int ng_pdq(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
           int pixel_format, unsigned char* hash, int* quality) {
  return guarded("ng_pdq", handle, [&] {
    if (hash == nullptr) throw std::invalid_argument("hash is NULL");
    const nudeguard::PdqResult r = pdq_of(handle, src, width, height, stride, pixel_format, false);
    std::memcpy(hash, r.hash[0].data(), NG_PDQ_BYTES);
    if (quality) *quality = r.quality;
  });
}

int ng_pdq_dihedral(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
                    int pixel_format, unsigned char* hashes, int* quality) {
  return guarded("ng_pdq_dihedral", handle, [&] {
    if (hashes == nullptr) throw std::invalid_argument("hashes is NULL");
    const nudeguard::PdqResult r = pdq_of(handle, src, width, height, stride, pixel_format, true);
    for (int i = 0; i < 8; ++i) std::memcpy(hashes + i * NG_PDQ_BYTES, r.hash[i].data(), NG_PDQ_BYTES);
    if (quality) *quality = r.quality;
  });
}

int ng_pdq_match(const unsigned char* hashes, size_t count, const unsigned char* query,
                 int max_distance, size_t* indices, int* distances, size_t capacity,
                 size_t* found) {
  return guarded("ng_pdq_match", nullptr, [&] {
    if (found == nullptr) throw std::invalid_argument("found is NULL");
    if (capacity > 0 && (indices == nullptr || distances == nullptr)) {
      throw std::invalid_argument("indices and distances must not be NULL when capacity > 0");
    }
    const std::vector<nudeguard::PdqMatch> m =
        nudeguard::pdq_match(hashes, count, query, max_distance);
    for (std::size_t i = 0; i < m.size() && i < capacity; ++i) {
      indices[i] = m[i].index;
      distances[i] = m[i].distance;
    }
    *found = m.size();
  });
}

int ng_pdq_distance(const unsigned char* a, const unsigned char* b) {
  if (a == nullptr || b == nullptr) return -1;
  return nudeguard::hamming_distance(a, b);
}

int ng_parse_hash_list(const char* text, size_t size, unsigned char* hashes, size_t* ids,
                       size_t capacity, size_t* count, size_t* error_line) {
  if (error_line != nullptr) *error_line = 0;
  return guarded("ng_parse_hash_list", nullptr, [&] {
    if (count == nullptr) throw std::invalid_argument("count is NULL");
    if (capacity > 0 && hashes == nullptr) throw std::invalid_argument("hashes must not be NULL when capacity > 0");
    nudeguard::ParsedHashList list;
    try {
      list = nudeguard::parse_hash_list(text, size);
    } catch (const nudeguard::HashListSyntaxError& e) {
      if (error_line != nullptr) *error_line = e.line();
      throw std::invalid_argument("line " + std::to_string(e.line()) + ": " + e.what());
    }
    const std::size_t n = list.ids.size();
    const std::size_t written = n < capacity ? n : capacity;
    if (written > 0) std::memcpy(hashes, list.hashes.data(), written * NG_PDQ_BYTES);
    for (std::size_t i = 0; ids != nullptr && i < written; ++i) {
      ids[2 * i] = list.ids[i].offset;
      ids[2 * i + 1] = list.ids[i].length;
    }
    *count = n;
  });
}

}  // extern "C"
