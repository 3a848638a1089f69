/* Tests the C ABI of the blur and the veil: sizes, in place vs out of place, strides,
 * constant images, a direct Gaussian on a small image, the veil rule, and errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nudeguard.h"

static unsigned int rng = 12345u;
static unsigned char rand_byte(void) {
  rng = rng * 1103515245u + 12345u;
  return (unsigned char)(rng >> 16);
}

static int reflect101(int i, int n) {
  if (n == 1) return 0;
  const int period = 2 * (n - 1);
  i %= period;
  if (i < 0) i += period;
  return i >= n ? period - i : i;
}

/* Separable sampled Gaussian, radius 4 sigma, reflect-101, in double: the definition. */
static void direct_blur(const unsigned char* src, int w, int h, int c, double sigma, double* out) {
  const int r = (int)ceil(4 * sigma);
  double* k = malloc(sizeof(double) * (2 * r + 1));
  double* tmp = malloc(sizeof(double) * w * h * c);
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = exp(-0.5 * i * i / (sigma * sigma));
  for (int i = 0; i <= 2 * r; ++i) k[i] /= sum;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) {
        double acc = 0;
        for (int i = -r; i <= r; ++i) acc += k[i + r] * src[(y * w + reflect101(x + i, w)) * c + ch];
        tmp[(y * w + x) * c + ch] = acc;
      }
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int ch = 0; ch < c; ++ch) {
        double acc = 0;
        for (int i = -r; i <= r; ++i) acc += k[i + r] * tmp[(reflect101(y + i, h) * w + x) * c + ch];
        out[(y * w + x) * c + ch] = acc;
      }
  free(k);
  free(tmp);
}

static void test_sizes_and_rule(void) {
  CHECK(ng_image_bytes(7, 5, NG_PIXEL_RGB8) == 105, "rgb bytes");
  CHECK(ng_image_bytes(7, 5, NG_PIXEL_BGRA8) == 140, "bgra bytes");
  CHECK(ng_image_bytes(7, 5, NG_PIXEL_GRAY8) == 35, "gray bytes");
  CHECK(ng_image_bytes(0, 5, NG_PIXEL_GRAY8) == 0 && strstr(ng_error_string(NULL), "ng_image_bytes(): "),
        "zero width: %s", ng_error_string(NULL));
  CHECK(ng_image_bytes(5, 5, 9) == 0, "bad format");
  CHECK(ng_veil_sigma(1440, 1080) == 90.0, "veil sigma 1080p: %g", ng_veil_sigma(1440, 1080));
  CHECK(ng_veil_sigma(10, 10) == 2.0, "veil sigma floor");
  CHECK(ng_veil_sigma(-1, 10) == 0.0 && strstr(ng_error_string(NULL), "ng_veil_sigma(): "), "bad veil size");
}

static void test_accuracy_and_in_place(void) {
  const int w = 45, h = 31, c = 3, stride = w * c + 5;
  unsigned char* src = calloc((size_t)stride * h, 1);
  unsigned char* dst = calloc((size_t)w * h * c, 1);
  unsigned char* packed = malloc((size_t)w * h * c);
  double* ref = malloc(sizeof(double) * w * h * c);
  ng_handle* handle = ng_create(NUDEGUARD_ABI_VERSION);
  CHECK(handle != NULL, "create");
  /* Smooth content plus noise: what a photo looks like to a blur. */
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * c; ++x)
      src[y * stride + x] = (unsigned char)(100 + 80 * sin(x * 0.05 + y * 0.1) + (rand_byte() % 40));
  for (int y = 0; y < h; ++y) memcpy(packed + y * w * c, src + y * stride, (size_t)w * c);
  const double sigmas[] = {2.0, 5.0, 20.0};
  for (int s = 0; s < 3; ++s) {
    CHECK(ng_blur(handle, src, w, h, stride, NG_PIXEL_RGB8, dst, w * c, sigmas[s]) == 0, "blur: %s",
          ng_error_string(handle));
    direct_blur(packed, w, h, c, sigmas[s], ref);
    double se = 0, worst = 0;
    for (int i = 0; i < w * h * c; ++i) {
      const double d = fabs(dst[i] - ref[i]);
      se += d * d;
      if (d > worst) worst = d;
    }
    const double psnr = 10 * log10(255.0 * 255.0 / (se / (w * h * c)));
    CHECK(psnr > 45 && worst < 3, "sigma %g: PSNR %.1f dB, max %.2f", sigmas[s], psnr, worst);
  }
  /* In place, with a row stride: the same as out of place. */
  CHECK(ng_blur(handle, src, w, h, stride, NG_PIXEL_RGB8, dst, w * c, 7.0) == 0, "blur 7");
  CHECK(ng_blur(handle, src, w, h, stride, NG_PIXEL_RGB8, src, stride, 7.0) == 0, "in place");
  int same = 1;
  for (int y = 0; y < h; ++y) same &= memcmp(src + y * stride, dst + y * w * c, (size_t)w * c) == 0;
  CHECK(same, "in place differs from out of place");
  /* Threads do not change the result. */
  CHECK(ng_set(handle, NG_PARAM_THREADS, 3) == 0, "threads");
  CHECK(ng_blur(handle, packed, w, h, w * c, NG_PIXEL_RGB8, dst, w * c, 7.0) == 0, "blur threads");
  unsigned char* again = malloc((size_t)w * h * c);
  CHECK(ng_set(handle, NG_PARAM_THREADS, 1) == 0, "threads 1");
  CHECK(ng_blur(handle, packed, w, h, w * c, NG_PIXEL_RGB8, again, w * c, 7.0) == 0, "blur 1 thread");
  CHECK(memcmp(dst, again, (size_t)w * h * c) == 0, "thread count changed the result");
  free(again);
  ng_destroy(handle);
  free(src);
  free(dst);
  free(packed);
  free(ref);
}

static void test_constant_tiny_and_veil(void) {
  ng_handle* handle = ng_create(NUDEGUARD_ABI_VERSION);
  unsigned char px[4] = {10, 20, 30, 40}, out[4];
  CHECK(ng_blur(handle, px, 1, 1, 4, NG_PIXEL_RGBA8, out, 4, 100.0) == 0 && memcmp(px, out, 4) == 0,
        "1x1 is unchanged");
  unsigned char flat[64 * 48];
  memset(flat, 77, sizeof flat);
  CHECK(ng_blur(handle, flat, 64, 48, 64, NG_PIXEL_GRAY8, flat, 64, 33.0) == 0, "gray in place");
  int constant = 1;
  for (size_t i = 0; i < sizeof flat; ++i) constant &= flat[i] == 77;
  CHECK(constant, "a constant image stays constant");
  unsigned char veil[20 * 10 * 4];
  memset(veil, 0, sizeof veil);
  CHECK(ng_veil(handle, px, 1, 1, 4, NG_PIXEL_BGRA8, veil, 20, 10, 80, 0.0) == 0, "veil: %s",
        ng_error_string(handle));
  CHECK(veil[0] == 10 && veil[799] == 40, "veil of one pixel is that pixel everywhere");
  ng_destroy(handle);
}

static void test_errors(void) {
  unsigned char buf[300];
  memset(buf, 0, sizeof buf);
  ng_handle* handle = ng_create(NUDEGUARD_ABI_VERSION);
  CHECK(ng_blur(NULL, buf, 10, 10, 30, NG_PIXEL_RGB8, buf, 30, 1.0) == -1 &&
            strcmp(ng_error_string(NULL), "ng_blur(): handle is NULL") == 0,
        "null handle: %s", ng_error_string(NULL));
  CHECK(ng_blur(handle, buf, 10, 10, 30, NG_PIXEL_RGB8, buf, 30, -1.0) == -1 &&
            strstr(ng_error_string(handle), "ng_blur(): sigma") != NULL,
        "negative sigma: %s", ng_error_string(handle));
  CHECK(ng_blur(handle, buf, 10, 10, 30, NG_PIXEL_RGB8, buf, 30, NAN) == -1, "nan sigma");
  CHECK(ng_blur(handle, buf, 10, 10, 20, NG_PIXEL_RGB8, buf, 30, 1.0) == -1 &&
            strstr(ng_error_string(handle), "stride") != NULL,
        "short stride: %s", ng_error_string(handle));
  CHECK(ng_blur(handle, buf, 10, 5, 30, NG_PIXEL_RGB8, buf + 30, 30, 1.0) == -1 &&
            strstr(ng_error_string(handle), "overlaps") != NULL,
        "overlap: %s", ng_error_string(handle));
  CHECK(ng_blur(handle, NULL, 10, 10, 30, NG_PIXEL_RGB8, buf, 30, 1.0) == -1, "null src");
  CHECK(ng_blur(handle, buf, 10, 10, 30, 7, buf, 30, 1.0) == -1, "bad format");
  CHECK(ng_veil(handle, buf, 10, 10, 30, NG_PIXEL_RGB8, buf, 5, 5, 15, 0.0) == -1, "veil overlap");
  CHECK(ng_set(handle, NG_PARAM_THREADS, -1) == -1, "negative threads");
  ng_destroy(handle);
}

int main(void) {
  printf("blur kernels: %s\n", ng_isa());
  test_sizes_and_rule();
  test_accuracy_and_in_place();
  test_constant_tiny_and_veil();
  test_errors();
  return check_summary("test_blur", ng_isa());
}
