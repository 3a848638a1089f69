// ng_probe_image: the header parser every received file reaches first (JPEG, PNG, GIF, BMP,
// WebP, TIFF). It must never read outside data[0 .. size) and must report a size only for a
// recognised format.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An exact copy: libFuzzer's own buffer is exact too, but a NULL/0 case is worth covering.
  std::vector<unsigned char> copy(data, data + size);
  int format = -1;
  unsigned int width = 1, height = 1;
  const int rc = ng_probe_image(size ? copy.data() : nullptr, size, &format, &width, &height);
  fuzz::require(rc == 0, "ng_probe_image failed", ng_error_string(nullptr));
  fuzz::require(format >= NG_FORMAT_UNKNOWN && format <= NG_FORMAT_TIFF, "format out of range");
  if (format == NG_FORMAT_UNKNOWN) fuzz::require(width == 0 && height == 0, "size without a format");
  fuzz::require((width == 0) == (height == 0), "one side zero, the other not");
  // The same bytes give the same answer (no state, no reads of uninitialised memory).
  int format2 = -1;
  unsigned int width2 = 0, height2 = 0;
  ng_probe_image(size ? copy.data() : nullptr, size, &format2, &width2, &height2);
  fuzz::require(format2 == format && width2 == width && height2 == height, "probe is not deterministic");
  return 0;
}
