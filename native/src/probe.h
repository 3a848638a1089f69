// Image header probe: format and pixel dimensions read from the first bytes of an encoded
// image, without decoding, so a caller can refuse a decompression bomb before allocating.
// Every read is bounds-checked against `size`; truncated or hostile input yields
// ImageFormat::Unknown (or dimensions the caller's limit then rejects), never a read past
// the buffer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nudeguard {

// Values match NG_FORMAT_*.
enum class ImageFormat : int { Unknown = 0, Jpeg = 1, Png = 2, Gif = 3, Bmp = 4, WebP = 5, Tiff = 6 };

struct ImageHeader {
  ImageFormat format = ImageFormat::Unknown;
  // Pixels the decoder will allocate (GIF: the canvas, covering the first frame; JPEG:
  // before EXIF rotation). 0 when the signature matched but the header is truncated or
  // malformed; then the caller should not trust the decoder with the data either.
  std::uint32_t width = 0;
  std::uint32_t height = 0;
};

ImageHeader probe_image(const std::uint8_t* data, std::size_t size);
const char* format_name(ImageFormat format);

}  // namespace nudeguard
