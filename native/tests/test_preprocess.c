/* Tests the C ABI against a direct double-precision implementation of the documented
 * pipeline (per-axis weights, resize, centre crop, channel order, normalization). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nudeguard.h"

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

static int rand_int(int lo, int hi) { /* inclusive */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return lo + (int)((rng_state * 0x2545F4914F6CDD1DULL >> 33) % (unsigned long long)(hi - lo + 1));
}

static double rand_double(double lo, double hi) { return lo + (hi - lo) * rand_int(0, 1 << 20) / (1 << 20); }

static int channels_of(int format) {
  return format == NG_PIXEL_GRAY8 ? 1 : format >= NG_PIXEL_RGBA8 ? 4 : 3;
}

/* Weights of output g of a src -> resized axis, dense over the src pixels. */
static void axis_weights(int src, int resized, int g, double* w) {
  int j;
  for (j = 0; j < src; ++j) w[j] = 0.0;
  if (src > resized) {
    const double lo = (double)g * src / resized, hi = (double)(g + 1) * src / resized;
    for (j = (int)floor(lo); j < src && j < hi; ++j) {
      const double overlap = fmin(hi, j + 1.0) - fmax(lo, (double)j);
      if (overlap > 0) w[j] = overlap * resized / src;
    }
  } else {
    const double x = fmin(fmax((g + 0.5) * src / resized - 0.5, 0.0), src - 1.0);
    const int j0 = (int)floor(x);
    w[j0] += 1.0 - (x - j0);
    w[j0 + 1 < src ? j0 + 1 : j0] += x - j0;
  }
}

typedef struct {
  int width, height, stride, format;
  int dst_width, dst_height, dst_format, dst_type;
  int resize_width, resize_height; /* 0: dst size */
  float mul[3], add[3];
} Case;

/* Values before conversion to the tensor type, dst_height x dst_width x 3. */
static double* reference(const Case* k, const unsigned char* src) {
  const int rw = k->resize_width ? k->resize_width : k->dst_width;
  const int rh = k->resize_height ? k->resize_height : k->dst_height;
  const int cs = channels_of(k->format);
  const int n = k->dst_width * 3;
  double* wx = malloc(sizeof(double) * k->width);
  double* wy = malloc(sizeof(double) * k->height);
  double* rows = calloc((size_t)k->height * n, sizeof(double));
  double* out = calloc((size_t)k->dst_height * n, sizeof(double));
  int x, y, c, j, offset[3];
  for (c = 0; c < 3; ++c) {
    const int rgb = k->dst_format == NG_PIXEL_RGB8 ? c : 2 - c;
    const int src_is_rgb = k->format == NG_PIXEL_RGB8 || k->format == NG_PIXEL_RGBA8;
    offset[c] = cs == 1 ? 0 : src_is_rgb ? rgb : 2 - rgb;
  }
  for (x = 0; x < k->dst_width; ++x) {
    axis_weights(k->width, rw, x + (rw - k->dst_width) / 2, wx);
    for (y = 0; y < k->height; ++y)
      for (j = 0; j < k->width; ++j)
        for (c = 0; c < 3; ++c)
          rows[y * n + x * 3 + c] += wx[j] * src[(size_t)y * k->stride + j * cs + offset[c]];
  }
  for (y = 0; y < k->dst_height; ++y) {
    axis_weights(k->height, rh, y + (rh - k->dst_height) / 2, wy);
    for (j = 0; j < k->height; ++j)
      for (x = 0; x < n; ++x) out[y * n + x] += wy[j] * rows[j * n + x];
  }
  for (x = 0; x < k->dst_height * n; ++x) out[x] = out[x] * k->mul[x % 3] + k->add[x % 3];
  free(wx);
  free(wy);
  free(rows);
  return out;
}

static double stored(const Case* k, const void* dst, int i) {
  switch (k->dst_type) {
    case NG_TENSOR_UINT8: return ((const unsigned char*)dst)[i];
    case NG_TENSOR_INT8: return ((const signed char*)dst)[i];
    default: return ((const float*)dst)[i];
  }
}

static double expected(const Case* k, double v) {
  switch (k->dst_type) {
    case NG_TENSOR_UINT8: return fmin(fmax(floor(v + 0.5), 0.0), 255.0);
    case NG_TENSOR_INT8: return fmin(fmax(floor(v + 0.5), -128.0), 127.0);
    default: return v;
  }
}

static void run_case(ng_handle* h, const Case* k, const char* name) {
  enum { GUARD = 16 };
  const size_t src_bytes = (size_t)k->stride * (k->height - 1) + (size_t)k->width * channels_of(k->format);
  const size_t dst_bytes = ng_tensor_bytes(k->dst_width, k->dst_height, k->dst_type);
  const int count = k->dst_width * k->dst_height * 3;
  unsigned char* src = malloc(src_bytes);
  unsigned char* dst = malloc(dst_bytes + GUARD);
  double* ref;
  double worst = 0.0, scale = 0.0;
  size_t i;
  int c, rc, guard_ok = 1;
  for (i = 0; i < src_bytes; ++i) src[i] = (unsigned char)rand_int(0, 255);
  memset(dst, 0xAB, dst_bytes + GUARD);
  rc = ng_set(h, NG_PARAM_RESIZE_WIDTH, k->resize_width) | ng_set(h, NG_PARAM_RESIZE_HEIGHT, k->resize_height) |
       ng_set_normalization(h, k->mul, k->add) |
       ng_preprocess(h, src, k->width, k->height, k->stride, k->format, dst, k->dst_width, k->dst_height,
                     k->dst_format, k->dst_type);
  CHECK(rc == 0, "%s: ng_preprocess failed: %s", name, ng_error_string(h));
  ref = reference(k, src);
  for (c = 0; c < 3; ++c) scale = fmax(scale, 255.0 * fabs(k->mul[c]) + fabs(k->add[c]));
  for (c = 0; c < count; ++c) worst = fmax(worst, fabs(stored(k, dst, c) - expected(k, ref[c])));
  for (i = 0; i < GUARD; ++i) guard_ok &= dst[dst_bytes + i] == 0xAB;
  /* Integer tensors: 1 LSB. float32: accumulation error of float32 sums. */
  CHECK(worst <= (k->dst_type == NG_TENSOR_FLOAT32 ? 1e-5 * scale : 1.0),
        "%s: %dx%d stride %d fmt %d -> resize %dx%d crop %dx%d fmt %d type %d: max error %g", name, k->width,
        k->height, k->stride, k->format, k->resize_width, k->resize_height, k->dst_width, k->dst_height,
        k->dst_format, k->dst_type, worst);
  CHECK(guard_ok, "%s: wrote past the end of the tensor", name);
  free(ref);
  free(src);
  free(dst);
}

static Case random_case(void) {
  Case k;
  int c;
  const int shape = rand_int(0, 5);
  k.format = rand_int(NG_PIXEL_RGB8, NG_PIXEL_GRAY8);
  k.dst_format = rand_int(0, 1) ? NG_PIXEL_RGB8 : NG_PIXEL_BGR8;
  k.dst_type = rand_int(NG_TENSOR_UINT8, NG_TENSOR_FLOAT32);
  k.width = shape == 0 ? 1 : rand_int(1, 150);
  k.height = shape == 1 ? 1 : shape == 2 ? rand_int(150, 400) : rand_int(1, 150);
  k.stride = k.width * channels_of(k.format) + rand_int(0, 9);
  k.dst_width = rand_int(1, 40);
  k.dst_height = rand_int(1, 40);
  k.resize_width = rand_int(0, 3) ? k.dst_width + rand_int(0, 30) : 0;
  k.resize_height = rand_int(0, 3) ? k.dst_height + rand_int(0, 30) : 0;
  for (c = 0; c < 3; ++c) {
    k.mul[c] = 1.0f;
    k.add[c] = 0.0f;
  }
  if (k.dst_type != NG_TENSOR_UINT8 || rand_int(0, 1)) {
    for (c = 0; c < 3; ++c) {
      k.mul[c] = (float)rand_double(-1.5, 1.5);
      k.add[c] = (float)rand_double(-130.0, 130.0);
    }
  }
  return k;
}

static void test_random_cases(void) {
  ng_handle* h = ng_create(NUDEGUARD_ABI_VERSION);
  int i;
  for (i = 0; i < 400; ++i) {
    const Case k = random_case();
    run_case(h, &k, "random");
  }
  ng_destroy(h);
}

static void test_fixed_cases(void) {
  /* Identity, the model's 256 -> 224 pipeline, a shrink too steep for fixed point, 1x1. */
  static const Case cases[] = {
      {37, 23, 37 * 3, NG_PIXEL_RGB8, 37, 23, NG_PIXEL_RGB8, NG_TENSOR_UINT8, 0, 0, {1, 1, 1}, {0, 0, 0}},
      {641, 479, 641 * 4 + 3, NG_PIXEL_BGRA8, 224, 224, NG_PIXEL_RGB8, NG_TENSOR_UINT8, 256, 256,
       {1, 1, 1}, {0, 0, 0}},
      {3001, 5, 3001, NG_PIXEL_GRAY8, 7, 5, NG_PIXEL_BGR8, NG_TENSOR_UINT8, 9, 0, {1, 1, 1}, {0, 0, 0}},
      {1, 1, 3, NG_PIXEL_BGR8, 5, 3, NG_PIXEL_RGB8, NG_TENSOR_FLOAT32, 7, 3, {0.5f, 1, 2}, {-1, 0, 1}},
  };
  ng_handle* h = ng_create(NUDEGUARD_ABI_VERSION);
  size_t i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) run_case(h, &cases[i], "fixed");
  ng_destroy(h);
}

/* Reads the message after the call: argument evaluation order is unspecified in C. */
static void expect_error(int rc, const ng_handle* h, const char* want) {
  const char* message = ng_error_string(h);
  CHECK(rc == -1 && strcmp(message, want) == 0, "rc %d, error \"%s\", expected \"%s\"", rc, message, want);
}

static void test_errors(void) {
  static const float ones[3] = {1, 1, 1}, bad[3] = {1, 0, 0};
  unsigned char src[64] = {0}, dst[3 * 4 * 4];
  float not_finite[3];
  ng_handle* h;

  CHECK(ng_create(NUDEGUARD_ABI_VERSION + 1) == NULL, "ABI mismatch accepted");
  CHECK(strncmp(ng_error_string(NULL), "ng_create(): caller was built for ABI version", 45) == 0,
        "ABI mismatch message: %s", ng_error_string(NULL));
  ng_destroy(NULL);
  CHECK(1, "ng_destroy(NULL) returned");

  expect_error(ng_preprocess(NULL, src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               NULL, "ng_preprocess(): handle is NULL");
  expect_error(ng_set(NULL, NG_PARAM_RESIZE_WIDTH, 0), NULL, "ng_set(): handle is NULL");
  expect_error(ng_set_normalization(NULL, ones, ones), NULL,
               "ng_set_normalization(): handle is NULL");
  CHECK(ng_tensor_bytes(224, 224, NG_TENSOR_FLOAT32) == 224 * 224 * 3 * 4, "ng_tensor_bytes float32");
  CHECK(ng_tensor_bytes(0, 224, NG_TENSOR_UINT8) == 0 &&
            strcmp(ng_error_string(NULL), "ng_tensor_bytes(): tensor width 0 is out of range 1..16777216") == 0,
        "ng_tensor_bytes width 0: %s", ng_error_string(NULL));
  CHECK(ng_tensor_bytes(2, 2, 3) == 0 &&
            strcmp(ng_error_string(NULL), "ng_tensor_bytes(): dst_type 3 is not a valid ng_tensor_type") == 0,
        "ng_tensor_bytes type 3: %s", ng_error_string(NULL));

  h = ng_create(NUDEGUARD_ABI_VERSION);
  CHECK(h != NULL && strcmp(ng_error_string(h), "") == 0, "fresh handle has no error");
#define PRE(src_, w, ht, stride, fmt, dst_, dw, dh, dfmt, dtype) ng_preprocess(h, src_, w, ht, stride, fmt, dst_, dw, dh, dfmt, dtype)
  expect_error(PRE(NULL, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): src is NULL");
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, NULL, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): dst is NULL");
  expect_error(PRE(src, 0, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): width 0 is out of range 1..16777216");
  expect_error(PRE(src, 4, -2, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): height -2 is out of range 1..16777216");
  expect_error(PRE(src, 4, 4, 10, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): stride 10 is smaller than width*channels 12");
  expect_error(PRE(src, 4, 4, 12, 5, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8), h,
               "ng_preprocess(): pixel_format 5 is not a valid ng_pixel_format");
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, -1, NG_TENSOR_UINT8), h,
               "ng_preprocess(): dst_pixel_format -1 is not a valid ng_pixel_format");
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGBA8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): tensor channel order must be RGB or BGR, got RGBA");
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, 7), h,
               "ng_preprocess(): dst_type 7 is not a valid ng_tensor_type");
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 0, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8),
               h, "ng_preprocess(): tensor width 0 is out of range 1..16777216");

  expect_error(ng_set(h, 42, 1), h, "ng_set(): param 42 is not an ng_param");
  expect_error(ng_set(h, NG_PARAM_RESIZE_HEIGHT, -1), h,
               "ng_set(): NG_PARAM_RESIZE_HEIGHT -1 is out of range 0..16777216 (0 means the tensor size)");
  CHECK(ng_set(h, NG_PARAM_RESIZE_WIDTH, 3) == 0, "ng_set resize width: %s", ng_error_string(h));
  expect_error(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8), h,
               "ng_preprocess(): resize size 3x4 is smaller than the tensor size 4x4; the centre crop must fit "
               "inside the resized image");
  CHECK(ng_set(h, NG_PARAM_RESIZE_WIDTH, 0) == 0, "ng_set resize width 0: %s", ng_error_string(h));

  not_finite[0] = 1.0f;
  not_finite[1] = NAN;
  not_finite[2] = 1.0f;
  expect_error(ng_set_normalization(h, not_finite, ones), h,
               "ng_set_normalization(): mul[1] is not finite");
  expect_error(ng_set_normalization(h, ones, NULL), h, "ng_set_normalization(): add is NULL");
  CHECK(ng_set_normalization(h, ones, bad) == 0, "valid normalization rejected: %s", ng_error_string(h));
  CHECK(PRE(src, 4, 4, 12, NG_PIXEL_RGB8, dst, 4, 4, NG_PIXEL_RGB8, NG_TENSOR_UINT8) == 0 && dst[0] == 1 &&
            dst[1] == 0,
        "normalization applied after failed calls");
#undef PRE
  ng_destroy(h);
}

static void test_info(void) {
  CHECK(ng_version() != NULL && ng_version()[0] != '\0', "ng_version is empty");
  CHECK(ng_isa() != NULL, "ng_isa failed: %s", ng_error_string(NULL));
}

int main(void) {
  test_info();
  test_errors();
  test_fixed_cases();
  test_random_cases();
  return check_summary("test_preprocess", ng_isa());
}
