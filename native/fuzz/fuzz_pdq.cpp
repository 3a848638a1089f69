// ng_pdq / ng_pdq_dihedral (with NG_PARAM_PDQ_FULL_SIZE 0 and 1): fuzzed size, format and row
// padding. The hash and quality must be identical for every kernel set, the dihedral call's
// first hash must be ng_pdq's, and quality must lie in 0..100.
#include "fuzz_common.h"
#include "kernels.h"
#include "pdq.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool full_size = in.ConsumeBool();
  // Over 512 px on a side exercises the reference pipeline's bicubic thumbnail.
  const fuzz::Picture src(in, 700, 1 << 14);

  fuzz::Handle handle;
  fuzz::require(ng_set(handle.h, NG_PARAM_PDQ_FULL_SIZE, full_size ? 1 : 0) == 0, "ng_set full size");
  unsigned char hash[NG_PDQ_BYTES];
  int quality = -1;
  fuzz::require(ng_pdq(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format, hash, &quality) == 0,
                "ng_pdq refused valid input", ng_error_string(handle.h));
  fuzz::require(quality >= 0 && quality <= 100, "quality out of range");
  std::vector<unsigned char> hashes(8 * NG_PDQ_BYTES);
  int quality8 = -1;
  fuzz::require(ng_pdq_dihedral(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format,
                                hashes.data(), &quality8) == 0,
                "ng_pdq_dihedral refused valid input", ng_error_string(handle.h));
  fuzz::require(quality8 == quality && std::memcmp(hashes.data(), hash, NG_PDQ_BYTES) == 0,
                "dihedral original differs from ng_pdq");

  const nudeguard::Image image{src.bytes.data(), src.width, src.height, src.stride,
                               static_cast<nudeguard::PixelFormat>(src.format)};
  for (nudeguard::Isa isa : nudeguard::supported_isas()) {
    const nudeguard::PdqResult r = nudeguard::pdq_hash(image, !full_size, true, nudeguard::kernels_for(isa)->pdq);
    fuzz::require(r.quality == quality, "quality differs between kernel sets", nudeguard::isa_name(isa));
    for (int i = 0; i < 8; ++i) {
      fuzz::require(std::memcmp(r.hash[i].data(), &hashes[i * NG_PDQ_BYTES], NG_PDQ_BYTES) == 0,
                    "hash differs between kernel sets", nudeguard::isa_name(isa));
    }
  }
  // Invalid arguments fail without reading pixels.
  const unsigned char one = 0;
  fuzz::require(ng_pdq(handle.h, &one, 0, src.height, src.stride, src.format, hash, nullptr) == -1, "width 0 accepted");
  fuzz::require(ng_pdq(handle.h, &one, src.width, src.height, src.width * fuzz::channels_of(src.format) - 1,
                       src.format, hash, nullptr) == -1,
                "short stride accepted");
  fuzz::require(ng_pdq(handle.h, src.bytes.data(), src.width, src.height, src.stride, src.format, nullptr, nullptr) == -1,
                "NULL hash accepted");
  return 0;
}
