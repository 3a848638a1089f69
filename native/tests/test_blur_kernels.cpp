// Every blur kernel set this build can run on this CPU against the scalar reference, bit for
// bit: the strip kernel over random lane counts, offsets, lengths, borders and starting
// states (including the exact halves where rounding modes differ), the block transposes of
// the horizontal pass for every channel count and block height, and whole blurs and veils of
// random images at random sigmas and thread counts. Reports every mismatch and exits
// non-zero if there was one.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "check.h"
#include "../src/blur.h"
#include "../src/kernels.h"

namespace ng = nudeguard;

namespace {

std::mt19937_64 rng(20261201);

int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(uniform(0, 255));
  return v;
}

// One strip through `set` with lanes lane0 .. lane0 + lanes - 1 of `width` lanes per step.
std::vector<std::uint8_t> run_strip(const ng::BlurKernels& set, const std::vector<std::uint8_t>& data,
                                    int width, int steps, int first, int count, const float* init,
                                    int lane0, int lanes, const ng::BlurCoefs& coefs) {
  std::vector<const std::uint8_t*> in(steps);
  for (int s = 0; s < steps; ++s) in[s] = data.data() + std::size_t(s) * width;
  std::vector<std::uint8_t> out_bytes(std::size_t(count) * width, 0xAB);
  std::vector<std::uint8_t*> out(count);
  for (int i = 0; i < count; ++i) out[i] = out_bytes.data() + std::size_t(i) * width;
  std::vector<float> work(std::size_t(steps - first) * ng::kBlurChunk);
  const ng::BlurStrip strip{in.data(), steps, out.data(), first, count, init};
  set.strip(strip, lane0, lanes, coefs, work.data());
  return out_bytes;
}

void test_strip(const ng::BlurKernels& ref, const ng::BlurKernels& set) {
  for (int round = 0; round < 300; ++round) {
    const int lanes = uniform(1, 100), lane0 = uniform(0, 7), width = lane0 + lanes + uniform(0, 5);
    const int count = uniform(1, 120), first = uniform(0, 30), steps = count + first + uniform(0, 30);
    // Flat regions and steps as well as noise: rounding ties and saturation are most likely there.
    std::vector<std::uint8_t> data = random_bytes(std::size_t(steps) * width);
    if (round % 3 == 0) {
      for (int s = 0; s < steps; ++s) {
        for (int l = 0; l < width; ++l) data[std::size_t(s) * width + l] = s < steps / 2 ? 0 : 255;
      }
    }
    std::vector<float> init;
    if (round % 4 == 1) {
      init.resize(width);
      for (float& v : init) v = float(uniform(0, 510)) / 2.0f;  // exact halves
    }
    const double sigma = round % 5 == 0 ? 0.3 + uniform(0, 100) / 50.0 : 0.5 + uniform(0, 4000) / 40.0;
    const ng::BlurCoefs coefs = ng::blur_coefs(sigma);
    const float* init_p = init.empty() ? nullptr : init.data();
    const std::vector<std::uint8_t> want = run_strip(ref, data, width, steps, first, count, init_p, lane0, lanes, coefs);
    const std::vector<std::uint8_t> got = run_strip(set, data, width, steps, first, count, init_p, lane0, lanes, coefs);
    CHECK(want == got, "%s strip lanes %d+%d steps %d first %d count %d sigma %g init %d", set.name, lane0,
          lanes, steps, first, count, sigma, init_p != nullptr);
  }
}

void test_transposes(const ng::BlurKernels& ref, const ng::BlurKernels& set) {
  for (int cn = 1; cn <= 4; ++cn) {
    for (int rows : {1, 3, 7, 8, 9, 32}) {
      for (int round = 0; round < 6; ++round) {
        const int width = uniform(1, 70);
        const std::int64_t stride = std::int64_t(width) * cn + uniform(0, 9);
        const std::vector<std::uint8_t> src = random_bytes(std::size_t(stride) * rows);
        const std::size_t tbytes = std::size_t(width) * rows * cn + 4;
        std::vector<std::uint8_t> t1(tbytes, 0), t2(tbytes, 0);
        ref.rows_to_steps(src.data(), stride, rows, width, cn, t1.data());
        set.rows_to_steps(src.data(), stride, rows, width, cn, t2.data());
        CHECK(std::equal(t1.begin(), t1.end() - 4, t2.begin()), "%s rows_to_steps cn %d rows %d width %d",
              set.name, cn, rows, width);
        std::vector<std::uint8_t> d1(src.size(), 0xAB), d2(src.size(), 0xAB);
        ref.steps_to_rows(t1.data(), rows, width, cn, d1.data(), stride);
        set.steps_to_rows(t1.data(), rows, width, cn, d2.data(), stride);
        CHECK(d1 == d2, "%s steps_to_rows cn %d rows %d width %d", set.name, cn, rows, width);
      }
    }
  }
}

void test_images(const ng::BlurKernels& ref, const ng::BlurKernels& set) {
  for (int round = 0; round < 40; ++round) {
    const int cn = uniform(1, 4), w = uniform(1, 300), h = uniform(1, 200);
    const std::int64_t stride = std::int64_t(w) * cn + uniform(0, 7);
    std::vector<std::uint8_t> src = random_bytes(std::size_t(stride) * h);
    const double sigma = round % 4 == 0 ? uniform(1, 30) / 10.0 : uniform(5, 4000) / 10.0;
    const int threads = uniform(1, 3);
    const ng::BlurImage in{src.data(), w, h, stride, cn};
    std::vector<std::uint8_t> o1(src.size(), 0), o2(src.size(), 0);
    ng::blur(in, ng::BlurImage{o1.data(), w, h, stride, cn}, sigma, threads, &ref);
    ng::blur(in, ng::BlurImage{o2.data(), w, h, stride, cn}, sigma, threads, &set);
    CHECK(o1 == o2, "%s blur %dx%d cn %d sigma %g threads %d", set.name, w, h, cn, sigma, threads);

    const int vw = uniform(1, 260), vh = uniform(1, 260);
    std::vector<std::uint8_t> v1(std::size_t(vw) * vh * cn), v2(v1.size());
    const double veil_sigma = round % 2 ? 0.0 : uniform(10, 600) / 10.0;
    ng::veil(in, ng::BlurImage{v1.data(), vw, vh, std::int64_t(vw) * cn, cn}, veil_sigma, threads, &ref);
    ng::veil(in, ng::BlurImage{v2.data(), vw, vh, std::int64_t(vw) * cn, cn}, veil_sigma, threads, &set);
    CHECK(v1 == v2, "%s veil %dx%d -> %dx%d cn %d sigma %g", set.name, w, h, vw, vh, cn, veil_sigma);
  }
}

}  // namespace

int main() {
  const ng::BlurKernels* ref = ng::scalar::kernel_set.blur;
  int compared = 0;
  for (ng::Isa isa : ng::supported_isas()) {
    const ng::BlurKernels* set = ng::kernels_for(isa)->blur;
    if (set == ref) continue;
    test_strip(*ref, *set);
    test_transposes(*ref, *set);
    test_images(*ref, *set);
    std::printf("compared blur kernels %s with scalar\n", set->name);
    ++compared;
  }
  if (compared == 0) std::printf("no blur kernel set besides scalar on this CPU/build\n");
  return check_summary("test_blur_kernels", ng::active_kernels().blur->name);
}
