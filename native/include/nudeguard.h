/*
 * nudeguard C API.
 *
 * Turns an 8-bit image into the model's input tensor in one fused pass:
 * resize to the "resize size" (aspect ratio not preserved, as in the open_nsfw
 * reference pipeline), centre crop to the tensor size, reorder channels, then
 * v = average * mul[c] + add[c] stored as uint8/int8 (rounded to nearest,
 * clamped) or float32 (as is).
 *
 * Resampling is separable. An axis that shrinks uses exact area averaging
 * (like cv2.INTER_AREA); an axis that grows or keeps its size uses bilinear
 * interpolation with half-pixel centres (like cv2.INTER_LINEAR), so an equal
 * size is the identity.
 *
 * Accuracy: integer outputs are within 1 LSB of the same computation in double
 * precision, float32 outputs within float32 rounding of it. The common case (uint8 tensor, mul 1, add 0) runs in 14-bit
 * fixed point whose error before the final rounding is at most
 * 255 * (taps_x + taps_y - 2) / 2^15 + 1/256 < 0.51, where taps is the largest
 * number of source pixels feeding one output along an axis; when that sum
 * would exceed 66 (shrinking by more than ~31x per axis) float32 is used.
 *
 * Conventions: functions returning int return 0 on success and -1 on failure;
 * ng_error_string() then describes the failure as "function(): message".
 * A handle must not be used by two threads at once; distinct handles may.
 */
#ifndef NUDEGUARD_H
#define NUDEGUARD_H

#include <stddef.h>

/* Pass to ng_create(); a library built for another ABI refuses the handle. */
#define NUDEGUARD_ABI_VERSION 1

#if defined(_WIN32)
#  if defined(NUDEGUARD_BUILDING_LIBRARY)
#    define NG_API __declspec(dllexport)
#  else
#    define NG_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define NG_API __attribute__((visibility("default")))
#else
#  define NG_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ng_handle ng_handle;

/* Byte order of a pixel; alpha is ignored and gray is replicated to RGB. */
enum ng_pixel_format {
  NG_PIXEL_RGB8 = 0,
  NG_PIXEL_BGR8 = 1,
  NG_PIXEL_RGBA8 = 2,
  NG_PIXEL_BGRA8 = 3,
  NG_PIXEL_GRAY8 = 4
};

/* Element type of the HWC output tensor. */
enum ng_tensor_type {
  NG_TENSOR_UINT8 = 0,
  NG_TENSOR_INT8 = 1,
  NG_TENSOR_FLOAT32 = 2
};

/* Integer options for ng_set(). */
enum ng_param {
  NG_PARAM_RESIZE_WIDTH = 0, /* 0 (default): same as the tensor width */
  NG_PARAM_RESIZE_HEIGHT = 1, /* 0 (default): same as the tensor height */
  NG_PARAM_THREADS = 2,       /* ng_blur/ng_veil threads; 0 (default): automatic */
  NG_PARAM_PDQ_FULL_SIZE = 3  /* ng_pdq: 1 hashes large images as given; 0 (default): see ng_pdq */
};

/* Returns NULL if abi_version differs from the library's; see ng_error_string(NULL). */
NG_API ng_handle* ng_create(int abi_version);

/* NULL is a no-op. */
NG_API void ng_destroy(ng_handle* handle);

/*
 * Message of the last failure on this handle, or with a NULL handle of the
 * last failure on this thread that had no handle to record it in. "" if none.
 * Valid until the next failing call that records into the same place.
 */
NG_API const char* ng_error_string(const ng_handle* handle);

/* Library version, e.g. "0.1.0". */
NG_API const char* ng_version(void);

/*
 * Kernel set in use ("scalar", "sse41", "avx2" or "neon"), chosen once: the
 * best one this CPU supports, or the one named by the environment variable
 * NUDEGUARD_FORCE_ISA. Returns NULL if that variable names an unknown or
 * unavailable kernel set; see ng_error_string(NULL).
 */
NG_API const char* ng_isa(void);

/* Sets an ng_param option. */
NG_API int ng_set(ng_handle* handle, int param, int value);

/* mul and add (3 finite values each, in tensor channel order); default 1 and 0. */
NG_API int ng_set_normalization(ng_handle* handle, const float mul[3], const float add[3]);

/* Bytes of a width x height x 3 tensor of dst_type; 0 on failure (see ng_error_string(NULL)). */
NG_API size_t ng_tensor_bytes(int width, int height, int dst_type);

/*
 * src: height rows of width pixels, rows stride bytes apart (stride >=
 * width * channels; no alignment needed). dst: ng_tensor_bytes(dst_width,
 * dst_height, dst_type) bytes, written as HWC with dst_pixel_format
 * NG_PIXEL_RGB8 or NG_PIXEL_BGR8 giving the channel order.
 */
NG_API int ng_preprocess(ng_handle* handle, const unsigned char* src, int width, int height,
                         int stride, int pixel_format, void* dst, int dst_width, int dst_height,
                         int dst_pixel_format, int dst_type);

/*
 * Gaussian blur (the veil over incoming sensitive images). A recursive filter:
 * the cost per pixel does not depend on sigma. Borders are reflected without
 * repeating the edge pixel (like cv2.BORDER_REFLECT_101); against
 * cv2.GaussianBlur with the same sigma the result is within 1 level almost
 * everywhere (PSNR > 50 dB on photos). Any channel order: every byte of a
 * pixel is blurred alike, alpha included. Results do not depend on the kernel
 * set (ng_isa) or NG_PARAM_THREADS.
 */

/* Bytes of a packed width x height image (stride width * channels) of pixel_format; 0 on failure. */
NG_API size_t ng_image_bytes(int width, int height, int pixel_format);

/*
 * Blurs src into dst, both width x height of pixel_format with their own
 * strides (bytes, >= width * channels). dst == src with the same stride blurs
 * in place; otherwise the buffers must not overlap. sigma in pixels, finite,
 * 0 (a copy) .. 1e6.
 */
NG_API int ng_blur(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
                   int pixel_format, unsigned char* dst, int dst_stride, double sigma);

/*
 * Default veil strength for a dst_width x dst_height veil: sigma = max(2,
 * min(dst_width, dst_height) / 12), so the veil hides the same share of the
 * picture at every size. 0 on failure.
 */
NG_API double ng_veil_sigma(int dst_width, int dst_height);

/*
 * The veil: src resized to dst_width x dst_height (area averaging when
 * shrinking, bilinear when growing; aspect ratio as given) and blurred with
 * sigma in dst pixels (<= 0: ng_veil_sigma). Strong veils are computed at a
 * reduced resolution and upsampled, which cannot be told apart after such a
 * blur. dst has src's pixel_format and must not overlap src.
 */
NG_API int ng_veil(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
                   int pixel_format, unsigned char* dst, int dst_width, int dst_height,
                   int dst_stride, double sigma);

/* Formats ng_probe_image() recognises. */
enum ng_image_format {
  NG_FORMAT_UNKNOWN = 0,
  NG_FORMAT_JPEG = 1,
  NG_FORMAT_PNG = 2,
  NG_FORMAT_GIF = 3,
  NG_FORMAT_BMP = 4,
  NG_FORMAT_WEBP = 5,
  NG_FORMAT_TIFF = 6
};

/*
 * Reads the format and pixel size from the header of an encoded image
 * (JPEG SOFn, PNG IHDR, GIF screen and first frame, BMP, WebP VP8/VP8L/VP8X,
 * TIFF first IFD) without decoding, so a caller can refuse a decompression
 * bomb before allocating: check width * height (as 64-bit) against a limit.
 * Never reads outside data[0 .. size). On return *format is an
 * ng_image_format; *width and *height are 0 if the format is unknown or its
 * header is truncated or malformed. Fails (-1) only for NULL arguments.
 */
NG_API int ng_probe_image(const unsigned char* data, size_t size, int* format,
                          unsigned int* width, unsigned int* height);

/*
 * PDQ, Meta's perceptual hash (ThreatExchange pdq/cpp), bit-exact with the
 * reference: 256 bits as 32 bytes, the number in big-endian order (so their
 * hex is the reference's hex), and a quality 0..100 (Meta advises ignoring
 * hashes of quality < 50). Images wider or taller than 512 px are first
 * shrunk to fit 512 x 512 (aspect kept, PIL's bicubic thumbnail), as Meta's
 * published hashes were made, unless NG_PARAM_PDQ_FULL_SIZE is 1. Images under 5 px on a side hash to
 * zeros with quality 0. quality may be NULL.
 */
#define NG_PDQ_BYTES 32
NG_API int ng_pdq(ng_handle* handle, const unsigned char* src, int width, int height, int stride,
                  int pixel_format, unsigned char* hash /* 32 bytes */, int* quality);

/*
 * The 8 dihedral variants in one pass, in the reference's order: original,
 * rotate 90, rotate 180, rotate 270, flip x, flip y, flip +1, flip -1 (the
 * hashes of the transformed image, from the same DCT). hashes: 8 * 32 bytes.
 */
NG_API int ng_pdq_dihedral(ng_handle* handle, const unsigned char* src, int width, int height,
                           int stride, int pixel_format, unsigned char* hashes,
                           int* quality);

/*
 * Linear Hamming scan of a hash list: hashes is count * 32 bytes. Writes the
 * indices and distances of the hashes within max_distance (0..256) bits of
 * query (32 bytes), in list order, up to capacity of them; *found receives how many
 * there are in all (call again with a larger buffer if it exceeds capacity).
 * indices/distances may be NULL when capacity is 0.
 */
NG_API int ng_pdq_match(const unsigned char* hashes, size_t count,
                        const unsigned char* query, int max_distance,
                        size_t* indices, int* distances, size_t capacity, size_t* found);

/* Hamming distance (0..256) of two 32-byte hashes; -1 if either is NULL. */
NG_API int ng_pdq_distance(const unsigned char* a, const unsigned char* b);

/*
 * Parses a PDQ hash list: size bytes of text (not NUL-terminated), one hash per
 * line as HEX, HEX<sep>ID or HEX<sep>QUALITY<sep>ID (what Meta's pdq-photo-hasher
 * prints). <sep> is a comma if the line has one, else a tab if it has one, else
 * a run of spaces; the ID is the rest of the line (after a QUALITY field of
 * digits), trimmed, and must be UTF-8. Lines end in LF or CR LF; blank lines and
 * lines starting with '#' are skipped; a leading UTF-8 byte-order mark is too.
 * Writes up to capacity entries: 32 bytes each to hashes and, when ids is not
 * NULL, the ID's byte offset in text and length (0: no ID) to ids[2i],
 * ids[2i+1]. *count receives the number of hashes in the list; a capacity of
 * size / 64 + 1 always suffices. A malformed line fails the call with its
 * 1-based number in *error_line (when not NULL; 0 for other errors) and
 * ng_error_string(NULL) saying what is wrong with it.
 */
NG_API int ng_parse_hash_list(const char* text, size_t size, unsigned char* hashes, size_t* ids,
                              size_t capacity, size_t* count, size_t* error_line);

#ifdef __cplusplus
}
#endif

#endif /* NUDEGUARD_H */
