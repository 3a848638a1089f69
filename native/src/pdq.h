// ISA-free declarations of PDQ, Meta's perceptual hash (ThreatExchange pdq/cpp), and of the
// Hamming scan that matches PDQ hashes against a list. Each ISA's kernel set (kernels.h)
// points to one PdqKernels table; the scalar table is the reference and every SIMD table must
// match it bit for bit: the same float operations in the same order, no FMA contraction
// (-ffp-contract=off), divisions kept as divisions.
//
// The hash follows the reference exactly:
//   luma   float32 of the double-precision sum 0.299 R + 0.587 G + 0.114 B (what the pdqhash
//          package computes in numpy; grey pixels are used as they are);
//   blur   two passes of a box filter along rows then columns (Jarosz tent filter), window
//          ceil(side / 128) per axis, each output the running float sum over the window
//          divided by the window's size (shrinking windows at the borders);
//   sample 64 x 64 points at the centres of a 64 x 64 grid (unless the image is 64 x 64);
//   quality sum of |int((u - v) * 100 / 255)| over neighbour pairs of the 64 x 64, / 90,
//          capped at 100;
//   DCT    rows 1..16 of the 64-point DCT-II on both axes, as the two matrix products D A D^T;
//   bits   bit k (k = 16 i + j) set when coefficient (i, j) > the median (Torben's method).
// Bytes of a hash are the 256-bit number in big-endian order, so their hex is the
// reference's hex (Hash256::format) and pdqhash's bit vector packed with numpy.packbits.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core.h"

namespace nudeguard {

constexpr int kPdqBytes = 32;
// Images whose width or height exceed this are first shrunk to fit this square, keeping the
// aspect ratio, with PIL's bicubic resampler: what Meta's Python port does
// (Image.thumbnail((512, 512))), and the only downscale that reproduces Meta's published hashes
// of its test photos (CImg's 512 x 512 nearest-neighbour resize of the C++ tool misses by 2-10
// bits; tests/test_pdq_vectors.py).
constexpr int kPdqReferenceSide = 512;

using PdqHash = std::array<std::uint8_t, kPdqBytes>;

// The 8 dihedral transforms, in the reference's order (pdqDihedralHash256esFromFloatLuma).
enum class Dihedral : int {
  Original = 0, Rotate90 = 1, Rotate180 = 2, Rotate270 = 3,
  FlipX = 4, FlipY = 5, FlipPlus1 = 6, FlipMinus1 = 7
};

struct PdqKernels {
  const char* name;
  // out[x] = luma of pixel x of one row; cn bytes per pixel, channel offsets r, g, b.
  void (*luma_row)(const std::uint8_t* src, int width, int cn, int r, int g, int b, float* out);
  // The reference's box1DFloat on every row of a rows x cols matrix (row stride cols).
  void (*box_rows)(const float* in, float* out, int rows, int cols, int window);
  // box1DFloat down columns 0 .. cols - 1 of a rows-tall matrix whose rows are stride apart.
  void (*box_cols)(const float* in, float* out, int rows, int cols, std::ptrdiff_t stride,
                   int window);
  // b (16 x 16) = D a D^T for a (64 x 64), in the reference's summation order.
  void (*dct64to16)(const float* a, float* b);
  // Hashes 0 .. n - 1 (4 words each) within max_distance of q: their indices and distances
  // into idx/dist (room for n), in order; returns how many.
  std::size_t (*scan)(const std::uint64_t* hashes, std::size_t n, const std::uint64_t q[4],
                      int max_distance, std::uint32_t* idx, std::uint16_t* dist);
};

// The 64-point DCT matrix rows 1..16 (16 x 64, row-major), computed as the reference does.
const float* pdq_dct_matrix();

struct PdqResult {
  PdqHash hash[8];  // Dihedral order; only [0] unless dihedral was asked for
  int quality;      // 0..100
};

// PDQ of an image. reference_resize: images over 512 px on a side are first shrunk to fit
// 512 x 512 as described at kPdqReferenceSide (true is the default everywhere); false
// hashes the pixels as given, like the pdqhash package. Images under 5 px on a side hash to
// zeros with quality 0, as in the reference. Throws std::invalid_argument.
PdqResult pdq_hash(const Image& image, bool reference_resize, bool dihedral,
                   const PdqKernels* kernels = nullptr);

struct PdqMatch {
  std::size_t index;
  int distance;
};

// Every hash of hashes[0 .. count) (32 bytes each) within max_distance (0..256) of query.
std::vector<PdqMatch> pdq_match(const std::uint8_t* hashes, std::size_t count,
                                const std::uint8_t* query, int max_distance,
                                const PdqKernels* kernels = nullptr);

int hamming_distance(const std::uint8_t* a, const std::uint8_t* b);

}  // namespace nudeguard
