// ng_pdq_match / ng_pdq_distance: a hash list and a query from the input, a fuzzed distance
// limit (valid or not) and output capacity. Checked against a plain popcount loop and across
// the kernel sets' scans.
#include <bitset>

#include "fuzz_common.h"
#include "kernels.h"
#include "pdq.h"

namespace {

int naive_distance(const unsigned char* a, const unsigned char* b) {
  int d = 0;
  for (int i = 0; i < NG_PDQ_BYTES; ++i) d += static_cast<int>(std::bitset<8>(a[i] ^ b[i]).count());
  return d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const int max_distance = in.ConsumeIntegralInRange<int>(-3, 260);
  const std::size_t capacity = in.ConsumeIntegralInRange<std::size_t>(0, 40);
  std::vector<unsigned char> query = in.ConsumeBytes<unsigned char>(NG_PDQ_BYTES);
  query.resize(NG_PDQ_BYTES);
  std::vector<unsigned char> list = in.ConsumeRemainingBytes<unsigned char>();
  const std::size_t count = list.size() / NG_PDQ_BYTES;
  list.resize(count * NG_PDQ_BYTES);  // exact, so a read past the last hash is caught
  list.shrink_to_fit();

  std::vector<std::size_t> indices(capacity);
  std::vector<int> distances(capacity);
  std::size_t found = 12345;
  const int rc = ng_pdq_match(count ? list.data() : nullptr, count, query.data(), max_distance,
                              capacity ? indices.data() : nullptr, capacity ? distances.data() : nullptr,
                              capacity, &found);
  const bool valid = max_distance >= 0 && max_distance <= 256;
  fuzz::require((rc == 0) == valid, "ng_pdq_match: accepted an invalid distance or refused a valid one",
                ng_error_string(nullptr));
  if (!valid) return 0;

  std::vector<std::size_t> expected;
  for (std::size_t i = 0; i < count; ++i) {
    const int d = naive_distance(&list[i * NG_PDQ_BYTES], query.data());
    fuzz::require(ng_pdq_distance(&list[i * NG_PDQ_BYTES], query.data()) == d, "ng_pdq_distance");
    if (d <= max_distance) expected.push_back(i);
  }
  fuzz::require(found == expected.size(), "ng_pdq_match found the wrong number");
  for (std::size_t i = 0; i < found && i < capacity; ++i) {
    fuzz::require(indices[i] == expected[i], "ng_pdq_match index");
    fuzz::require(distances[i] == naive_distance(&list[indices[i] * NG_PDQ_BYTES], query.data()), "distance");
  }
  for (nudeguard::Isa isa : nudeguard::supported_isas()) {
    const nudeguard::PdqKernels* k = nudeguard::kernels_for(isa)->pdq;
    const std::vector<nudeguard::PdqMatch> m =
        nudeguard::pdq_match(count ? list.data() : nullptr, count, query.data(), max_distance, k);
    fuzz::require(m.size() == expected.size(), "scan differs between kernel sets", nudeguard::isa_name(isa));
    for (std::size_t i = 0; i < m.size(); ++i) {
      fuzz::require(m[i].index == expected[i], "scan index differs", nudeguard::isa_name(isa));
    }
  }
  fuzz::require(ng_pdq_distance(nullptr, query.data()) == -1, "NULL distance");
  return 0;
}
