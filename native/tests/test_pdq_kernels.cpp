// Every PDQ kernel set this build can run on this CPU against the scalar reference, bit for
// bit: luma rows of every channel order and odd widths, box filters over odd shapes and
// windows, the DCT, the Hamming scan, and whole hashes (with dihedral variants) of random
// images. Reports every mismatch and exits non-zero if there was one.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "check.h"
#include "../src/kernels.h"
#include "../src/pdq.h"

namespace ng = nudeguard;

namespace {

std::mt19937_64 rng(20261125);

int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<float> random_floats(std::size_t n) {
  std::vector<float> v(n);
  std::uniform_real_distribution<float> d(0.0f, 255.0f);
  for (float& x : v) x = d(rng);
  return v;
}

void compare(const ng::PdqKernels& ref, const ng::PdqKernels& k) {
  for (int round = 0; round < 60; ++round) {
    // Luma.
    const int cn = uniform(1, 4), w = uniform(1, 300);
    std::vector<std::uint8_t> px(std::size_t(w) * cn);
    for (auto& b : px) b = static_cast<std::uint8_t>(uniform(0, 255));
    const int r = cn >= 3 ? (round % 2 ? 2 : 0) : 0, b = cn >= 3 ? (round % 2 ? 0 : 2) : 0;
    const int g = cn >= 3 ? 1 : 0;
    std::vector<float> l1(w), l2(w);
    ref.luma_row(px.data(), w, cn, r, g, b, l1.data());
    k.luma_row(px.data(), w, cn, r, g, b, l2.data());
    CHECK(l1 == l2, "%s luma_row cn %d width %d", k.name, cn, w);

    // Box filters.
    const int rows = uniform(1, 70), cols = uniform(1, 70), window = uniform(1, std::min(rows, cols));
    const std::vector<float> in = random_floats(std::size_t(rows) * cols);
    std::vector<float> o1(in.size(), -1.0f), o2(in.size(), -1.0f);
    ref.box_rows(in.data(), o1.data(), rows, cols, window);
    k.box_rows(in.data(), o2.data(), rows, cols, window);
    CHECK(o1 == o2, "%s box_rows %dx%d window %d", k.name, rows, cols, window);
    ref.box_cols(in.data(), o1.data(), rows, cols, cols, window);
    k.box_cols(in.data(), o2.data(), rows, cols, cols, window);
    CHECK(o1 == o2, "%s box_cols %dx%d window %d", k.name, rows, cols, window);

    // DCT.
    const std::vector<float> a = random_floats(64 * 64);
    float b1[256], b2[256];
    ref.dct64to16(a.data(), b1);
    k.dct64to16(a.data(), b2);
    CHECK(std::memcmp(b1, b2, sizeof b1) == 0, "%s dct64to16", k.name);

    // Hamming scan.
    const std::size_t n = static_cast<std::size_t>(uniform(0, 200));
    std::vector<std::uint64_t> h(n * 4);
    std::uint64_t q[4] = {rng(), rng(), rng(), rng()};
    for (std::size_t i = 0; i < n; ++i) {
      for (int j = 0; j < 4; ++j) h[i * 4 + j] = uniform(0, 2) ? q[j] ^ (rng() & rng() & rng()) : rng();
    }
    const int max_distance = uniform(0, 256);
    std::vector<std::uint32_t> i1(n + 1), i2(n + 1);
    std::vector<std::uint16_t> d1(n + 1), d2(n + 1);
    const std::size_t f1 = ref.scan(h.data(), n, q, max_distance, i1.data(), d1.data());
    const std::size_t f2 = k.scan(h.data(), n, q, max_distance, i2.data(), d2.data());
    CHECK(f1 == f2 && std::equal(i1.begin(), i1.begin() + f1, i2.begin()) &&
               std::equal(d1.begin(), d1.begin() + f1, d2.begin()),
           "%s scan n %zu max %d", k.name, n, max_distance);

    // Whole hashes, as given and with the reference resize.
    const int iw = uniform(1, 700), ih = uniform(1, 700), fmt = uniform(0, 4);
    const int icn = ng::channels_of(static_cast<ng::PixelFormat>(fmt));
    const std::int64_t stride = std::int64_t(iw) * icn + uniform(0, 5);
    std::vector<std::uint8_t> image(std::size_t(stride) * ih);
    for (auto& v : image) v = static_cast<std::uint8_t>(uniform(0, 255));
    const ng::Image im{image.data(), iw, ih, stride, static_cast<ng::PixelFormat>(fmt)};
    for (bool resize : {false, true}) {
      const ng::PdqResult p1 = ng::pdq_hash(im, resize, true, &ref);
      const ng::PdqResult p2 = ng::pdq_hash(im, resize, true, &k);
      bool same = p1.quality == p2.quality;
      for (int t = 0; t < 8; ++t) same = same && p1.hash[t] == p2.hash[t];
      CHECK(same, "%s pdq_hash %dx%d format %d resize %d", k.name, iw, ih, fmt, resize);
    }
  }
}

}  // namespace

int main() {
  const ng::PdqKernels* ref = ng::scalar::kernel_set.pdq;
  int compared = 0;
  for (ng::Isa isa : ng::supported_isas()) {
    const ng::PdqKernels* k = ng::kernels_for(isa)->pdq;
    if (k == ref) continue;  // a set without PDQ kernels of its own (sse41)
    compare(*ref, *k);
    std::printf("compared PDQ kernels %s with scalar\n", k->name);
    ++compared;
  }
  if (compared == 0) std::printf("no PDQ kernel set besides scalar on this CPU/build\n");
  return check_summary("test_pdq_kernels", ng::active_kernels().pdq->name);
}
