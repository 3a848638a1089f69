// Header probe; see probe.h. All reads go through Reader, which checks every offset
// against the buffer's size (offsets are 64-bit, so sums cannot wrap).
#include "probe.h"

#include <cstring>

namespace nudeguard {
namespace {

class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool has(std::uint64_t at, std::uint64_t n) const { return at <= size_ && n <= size_ - at; }
  std::uint32_t u8(std::uint64_t at) const { return has(at, 1) ? data_[at] : 0; }
  std::uint32_t be16(std::uint64_t at) const { return u8(at) << 8 | u8(at + 1); }
  std::uint32_t le16(std::uint64_t at) const { return u8(at) | u8(at + 1) << 8; }
  std::uint32_t be32(std::uint64_t at) const { return be16(at) << 16 | be16(at + 2); }
  std::uint32_t le32(std::uint64_t at) const { return le16(at) | le16(at + 2) << 16; }
  bool equals(std::uint64_t at, const char* s) const {
    const std::size_t n = std::strlen(s);
    return has(at, n) && std::memcmp(data_ + at, s, n) == 0;
  }
  std::size_t size() const { return size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};

ImageHeader make(ImageFormat f, std::uint32_t w, std::uint32_t h) {
  ImageHeader r;
  r.format = f;
  if (w > 0 && h > 0) {
    r.width = w;
    r.height = h;
  }
  return r;
}

// Markers: FF then a code; fill bytes (FF FF ...) may precede the code, and like libjpeg we
// skip garbage between segments. SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC) carry the
// frame size; the first one wins, as in libjpeg.
ImageHeader jpeg(const Reader& r) {
  std::uint64_t at = 2;
  while (r.has(at, 2)) {
    if (r.u8(at) != 0xFF) {
      ++at;
      continue;
    }
    const std::uint32_t code = r.u8(at + 1);
    if (code == 0xFF) {
      ++at;
      continue;
    }
    at += 2;
    if (code == 0x01 || (code >= 0xD0 && code <= 0xD8) || code == 0x00) continue;  // no length
    if (code == 0xD9 || code == 0xDA) break;  // EOI or scan data before any frame header
    if (!r.has(at, 2)) break;
    const std::uint32_t length = r.be16(at);
    if (length < 2) break;
    if (code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC) {
      if (length < 8 || !r.has(at, 7)) break;
      // Height 0 means "defined by a later DNL marker", which the decoders refuse.
      return make(ImageFormat::Jpeg, r.be16(at + 5), r.be16(at + 3));
    }
    at += length;
  }
  return make(ImageFormat::Jpeg, 0, 0);
}

ImageHeader png(const Reader& r) {
  // Signature, then the IHDR chunk: length 13, type, width, height (big-endian).
  if (!r.equals(12, "IHDR") || !r.has(16, 8)) return make(ImageFormat::Png, 0, 0);
  return make(ImageFormat::Png, r.be32(16), r.be32(20));
}

// The logical screen, grown to cover the first frame's rectangle (decoders allocate the
// union), found after the optional global colour table and any extension blocks.
ImageHeader gif(const Reader& r) {
  if (!r.has(6, 7)) return make(ImageFormat::Gif, 0, 0);
  std::uint32_t w = r.le16(6), h = r.le16(8);
  const std::uint32_t flags = r.u8(10);
  std::uint64_t at = 13;
  if (flags & 0x80) at += 3ull << ((flags & 7) + 1);
  while (r.has(at, 1)) {
    const std::uint32_t block = r.u8(at);
    if (block == 0x21) {  // extension: label, then sub-blocks until a zero length
      at += 2;
      while (r.has(at, 1) && r.u8(at) != 0) at += 1 + r.u8(at);
      ++at;
    } else if (block == 0x2C) {  // image descriptor: left, top, width, height
      if (!r.has(at, 10)) break;
      const std::uint32_t right = r.le16(at + 1) + r.le16(at + 5);
      const std::uint32_t bottom = r.le16(at + 3) + r.le16(at + 7);
      if (right > w) w = right;
      if (bottom > h) h = bottom;
      break;
    } else {
      break;  // trailer or garbage: the screen size is what is left
    }
  }
  return make(ImageFormat::Gif, w, h);
}

ImageHeader bmp(const Reader& r) {
  const std::uint32_t dib = r.le32(14);
  if (dib == 12) {  // OS/2 BITMAPCOREHEADER: 16-bit unsigned sides
    if (!r.has(18, 4)) return make(ImageFormat::Bmp, 0, 0);
    return make(ImageFormat::Bmp, r.le16(18), r.le16(20));
  }
  if (dib < 40 || !r.has(18, 8)) return make(ImageFormat::Bmp, 0, 0);
  const auto w = static_cast<std::int32_t>(r.le32(18));
  const auto h = static_cast<std::int32_t>(r.le32(22));  // negative: rows stored top-down
  if (w <= 0 || h == INT32_MIN) return make(ImageFormat::Bmp, 0, 0);
  return make(ImageFormat::Bmp, static_cast<std::uint32_t>(w), static_cast<std::uint32_t>(h < 0 ? -h : h));
}

ImageHeader webp(const Reader& r) {
  // RIFF container; the first chunk after "WEBP" is VP8X (extended), VP8L or VP8 .
  const std::uint64_t data = 20;
  if (r.equals(12, "VP8X")) {
    if (!r.has(data + 4, 6)) return make(ImageFormat::WebP, 0, 0);
    const std::uint32_t w = (r.u8(data + 4) | r.u8(data + 5) << 8 | r.u8(data + 6) << 16) + 1;
    const std::uint32_t h = (r.u8(data + 7) | r.u8(data + 8) << 8 | r.u8(data + 9) << 16) + 1;
    return make(ImageFormat::WebP, w, h);
  }
  if (r.equals(12, "VP8L")) {
    if (!r.has(data, 5) || r.u8(data) != 0x2F) return make(ImageFormat::WebP, 0, 0);
    const std::uint32_t bits = r.le32(data + 1);
    return make(ImageFormat::WebP, (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1);
  }
  if (r.equals(12, "VP8 ")) {
    // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
    if (!r.has(data, 10) || r.u8(data + 3) != 0x9D || r.u8(data + 4) != 0x01 || r.u8(data + 5) != 0x2A) {
      return make(ImageFormat::WebP, 0, 0);
    }
    return make(ImageFormat::WebP, r.le16(data + 6) & 0x3FFF, r.le16(data + 8) & 0x3FFF);
  }
  return make(ImageFormat::WebP, 0, 0);
}

// Classic TIFF: the first IFD's ImageWidth (256) and ImageLength (257), SHORT or LONG.
ImageHeader tiff(const Reader& r, bool little) {
  auto u16 = [&](std::uint64_t at) { return little ? r.le16(at) : r.be16(at); };
  auto u32 = [&](std::uint64_t at) { return little ? r.le32(at) : r.be32(at); };
  const std::uint64_t ifd = u32(4);
  if (!r.has(ifd, 2)) return make(ImageFormat::Tiff, 0, 0);
  const std::uint32_t count = u16(ifd);
  std::uint32_t w = 0, h = 0;
  for (std::uint32_t e = 0; e < count; ++e) {
    const std::uint64_t at = ifd + 2 + 12ull * e;
    if (!r.has(at, 12)) return make(ImageFormat::Tiff, 0, 0);
    const std::uint32_t tag = u16(at), type = u16(at + 2);
    if (tag != 256 && tag != 257) continue;
    const std::uint32_t value = type == 3 ? u16(at + 8) : type == 4 ? u32(at + 8) : 0;
    (tag == 256 ? w : h) = value;
  }
  return make(ImageFormat::Tiff, w, h);
}

}  // namespace

ImageHeader probe_image(const std::uint8_t* data, std::size_t size) {
  if (data == nullptr) return {};
  const Reader r(data, size);
  if (r.u8(0) == 0xFF && r.u8(1) == 0xD8 && r.has(0, 3)) return jpeg(r);
  if (r.equals(0, "\x89PNG\r\n\x1a\n")) return png(r);
  if (r.equals(0, "GIF87a") || r.equals(0, "GIF89a")) return gif(r);
  if (r.equals(0, "BM") && r.has(0, 18)) return bmp(r);
  if (r.equals(0, "RIFF") && r.equals(8, "WEBP")) return webp(r);
  if (r.equals(0, "II") && r.le16(2) == 42) return tiff(r, true);
  if (r.equals(0, "MM") && r.be16(2) == 42) return tiff(r, false);
  return {};
}

const char* format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::Jpeg: return "JPEG";
    case ImageFormat::Png: return "PNG";
    case ImageFormat::Gif: return "GIF";
    case ImageFormat::Bmp: return "BMP";
    case ImageFormat::WebP: return "WebP";
    case ImageFormat::Tiff: return "TIFF";
    default: return "unknown";
  }
}

}  // namespace nudeguard
