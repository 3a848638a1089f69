// Every preprocessing kernel set this build can run on this CPU against the scalar
// reference, bit for bit: the whole pipeline over random sizes, strides, formats, odd widths
// and unaligned buffers, and the row kernels alone over odd lengths and offsets.
// Reports every mismatch and exits non-zero if there was one; prints which sets it compared.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "../src/kernels.h"
#include "../src/preprocess.h"

namespace ng = nudeguard;

namespace {

std::mt19937_64 rng(20240607);

int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }
float uniform_f(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }

// A buffer of exactly `bytes` starting at `offset` bytes past an aligned allocation, so
// reads past the end hit the allocator's redzone under ASan/valgrind.
struct Buffer {
  std::vector<std::uint8_t> storage;
  std::uint8_t* data;
  Buffer(std::size_t bytes, int offset) : storage(bytes + offset + 64) {
    data = storage.data() + offset;
  }
};

struct Case {
  int width, height, format, tensor_w, tensor_h, resize_w, resize_h, type, order;
  std::int64_t stride;
  int offset;
  float mul[3], add[3];
};

std::string describe(const Case& k) {
  char s[256];
  std::snprintf(s, sizeof s, "%dx%d fmt %d stride %lld offset %d -> resize %dx%d tensor %dx%d type %d order %d",
                k.width, k.height, k.format, static_cast<long long>(k.stride), k.offset, k.resize_w, k.resize_h,
                k.tensor_w, k.tensor_h, k.type, k.order);
  return s;
}

Case random_case(int round) {
  Case k{};
  k.format = uniform(0, 4);
  const int channels = k.format == 4 ? 1 : k.format >= 2 ? 4 : 3;
  // Mostly shrinking (the common case, many taps), some enlarging, a few extreme shapes.
  const int shape = round % 8;
  k.tensor_w = uniform(1, 48);
  k.tensor_h = uniform(1, 48);
  k.resize_w = k.tensor_w + uniform(0, 40);
  k.resize_h = k.tensor_h + uniform(0, 40);
  k.width = shape == 0 ? uniform(1, 40) : shape == 1 ? uniform(1200, 3100) : uniform(1, 700);
  k.height = shape == 2 ? 1 : shape == 3 ? uniform(400, 900) : uniform(1, 300);
  k.stride = std::int64_t(k.width) * channels + uniform(0, 1) * uniform(0, 37);
  k.offset = uniform(0, 15);
  k.type = uniform(0, 2);
  k.order = uniform(0, 1);
  const bool identity = k.type == 0 && uniform(0, 1);
  for (int c = 0; c < 3; ++c) {
    k.mul[c] = identity ? 1.0f : uniform_f(-1.5f, 1.5f);
    k.add[c] = identity ? 0.0f : uniform_f(-140.0f, 140.0f);
  }
  return k;
}

std::vector<std::uint8_t> run(const Case& k, const ng::PreprocessKernels* kernels, const std::uint8_t* src) {
  const ng::Image image{src, k.width, k.height, k.stride, static_cast<ng::PixelFormat>(k.format)};
  const std::size_t bytes = ng::tensor_bytes(k.tensor_w, k.tensor_h, static_cast<ng::TensorType>(k.type));
  std::vector<std::uint8_t> out(bytes + 16, 0xAB);
  const ng::Tensor tensor{out.data(), k.tensor_w, k.tensor_h, k.order ? ng::PixelFormat::BGR : ng::PixelFormat::RGB,
                          static_cast<ng::TensorType>(k.type)};
  ng::Options options;
  options.resize_width = k.resize_w;
  options.resize_height = k.resize_h;
  std::memcpy(options.mul, k.mul, sizeof k.mul);
  std::memcpy(options.add, k.add, sizeof k.add);
  ng::preprocess_with(image, tensor, options, kernels);
  return out;
}

void test_pipeline(const ng::PreprocessKernels& set, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    const Case k = random_case(r);
    const int channels = k.format == 4 ? 1 : k.format >= 2 ? 4 : 3;
    const std::size_t bytes = std::size_t(k.stride) * (k.height - 1) + std::size_t(k.width) * channels;
    Buffer src(bytes, k.offset);
    for (std::size_t i = 0; i < bytes; ++i) src.data[i] = static_cast<std::uint8_t>(rng());
    const std::vector<std::uint8_t> want = run(k, ng::scalar::kernel_set.preprocess, src.data);
    const std::vector<std::uint8_t> got = run(k, &set, src.data);
    CHECK(want == got, "%s: pipeline differs from scalar: %s", set.name, describe(k).c_str());
  }
}

// The row kernels alone, at every length up to 80 and unaligned addresses.
void test_row_kernels(const ng::PreprocessKernels& set) {
  const ng::PreprocessKernels& ref = *ng::scalar::kernel_set.preprocess;
  for (int n = 0; n <= 80; ++n) {
    const int off = uniform(0, 3);
    std::vector<std::int16_t> row(n + 4);
    std::vector<float> frow(n + 4);
    for (auto& v : row) v = static_cast<std::int16_t>(uniform(0, 255 << ng::kRowBits));
    for (auto& v : frow) v = uniform_f(0.0f, 255.0f);
    const std::int16_t w = static_cast<std::int16_t>(uniform(0, 1 << ng::kWeightBits));
    std::vector<std::int32_t> a(n + 4), b;
    for (auto& v : a) v = uniform(0, 1 << 28);
    b = a;
    ref.vacc_q(a.data() + off, row.data() + off, w, n);
    set.vacc_q(b.data() + off, row.data() + off, w, n);
    CHECK(a == b, "%s: vacc_q n=%d", set.name, n);

    std::vector<float> fa(n + 4), fb;
    for (auto& v : fa) v = uniform_f(0.0f, 255.0f);
    fb = fa;
    const float fw = uniform_f(0.0f, 1.0f);
    ref.vacc_f(fa.data() + off, frow.data() + off, fw, n);
    set.vacc_f(fb.data() + off, frow.data() + off, fw, n);
    CHECK(std::memcmp(fa.data(), fb.data(), fa.size() * sizeof(float)) == 0, "%s: vacc_f n=%d", set.name, n);

    std::vector<std::int32_t> acc(n + 4);
    for (auto& v : acc) v = uniform(0, 255 << (ng::kRowBits + ng::kWeightBits));
    std::vector<std::uint8_t> qa(n + 8, 0xAB), qb(n + 8, 0xAB);
    ref.store_q_u8(acc.data() + off, n, qa.data() + off);
    set.store_q_u8(acc.data() + off, n, qb.data() + off);
    CHECK(qa == qb, "%s: store_q_u8 n=%d", set.name, n);

    // Values around the clamping limits and exact halves, where rounding modes differ.
    std::vector<float> facc(n + 4);
    for (auto& v : facc) v = uniform(0, 3) ? uniform_f(-20.0f, 275.0f) : float(uniform(-300, 300)) + 0.5f;
    const float mul[3] = {uniform_f(-1.5f, 1.5f), 1.0f, uniform_f(-1.5f, 1.5f)};
    const float add[3] = {uniform_f(-140.0f, 140.0f), 0.0f, -128.0f};
    std::vector<std::uint8_t> ua(n + 8, 0xAB), ub(n + 8, 0xAB);
    ref.store_f_u8(facc.data() + off, n, mul, add, ua.data() + off);
    set.store_f_u8(facc.data() + off, n, mul, add, ub.data() + off);
    CHECK(ua == ub, "%s: store_f_u8 n=%d", set.name, n);
    std::vector<std::int8_t> ia(n + 8, 0x2B), ib(n + 8, 0x2B);
    ref.store_f_i8(facc.data() + off, n, mul, add, ia.data() + off);
    set.store_f_i8(facc.data() + off, n, mul, add, ib.data() + off);
    CHECK(ia == ib, "%s: store_f_i8 n=%d", set.name, n);
    std::vector<float> fa2(n + 8, 7.0f), fb2(n + 8, 7.0f);
    ref.store_f_f32(facc.data() + off, n, mul, add, fa2.data() + off);
    set.store_f_f32(facc.data() + off, n, mul, add, fb2.data() + off);
    CHECK(std::memcmp(fa2.data(), fb2.data(), fa2.size() * sizeof(float)) == 0, "%s: store_f_f32 n=%d", set.name,
           n);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 300;
  int compared = 0;
  for (ng::Isa isa : ng::supported_isas()) {
    const ng::PreprocessKernels* set = ng::kernels_for(isa)->preprocess;
    if (set == ng::scalar::kernel_set.preprocess) continue;
    std::printf("comparing %s with scalar\n", set->name);
    test_row_kernels(*set);
    test_pipeline(*set, rounds);
    ++compared;
  }
  // The active set (NUDEGUARD_FORCE_ISA) is one of them or scalar itself.
  std::printf("%d kernel sets compared with scalar\n", compared);
  return check_summary("test_kernels", ng::active_kernels().preprocess->name);
}
