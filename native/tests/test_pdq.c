/* Tests the C ABI of PDQ: hashes pinned from the pdqhash package (Meta's C++ behind
 * Python bindings) on a deterministic pattern, the reference's 512 px thumbnail vs
 * NG_PARAM_PDQ_FULL_SIZE, channel orders, dihedral variants, the Hamming scan against a
 * brute-force count, hash-list parsing, and errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "nudeguard.h"

/* Same pattern as the generator of the pinned hashes (numpy, int64 arithmetic). */
static unsigned char* pattern(int w, int h, int bgr) {
  unsigned char* p = malloc((size_t)w * h * 3);
  for (long y = 0; y < h; ++y) {
    for (long x = 0; x < w; ++x) {
      const long r = (x * 255 / (w > 1 ? w - 1 : 1) + ((x * y) >> 6)) & 255;
      const long g = ((y * 255 / (h > 1 ? h - 1 : 1)) ^ (x >> 3)) & 255;
      const long b = ((x + y) * 3 + ((x / 40 + y / 30) % 2) * 90) & 255;
      unsigned char* q = p + (y * w + x) * 3;
      q[0] = (unsigned char)(bgr ? b : r);
      q[1] = (unsigned char)g;
      q[2] = (unsigned char)(bgr ? r : b);
    }
  }
  return p;
}

static void to_hex(const unsigned char* h, char* out) {
  for (int i = 0; i < NG_PDQ_BYTES; ++i) sprintf(out + 2 * i, "%02x", h[i]);
}

static unsigned int rng = 777u;
static unsigned char rand_byte(void) {
  rng = rng * 1103515245u + 12345u;
  return (unsigned char)(rng >> 16);
}

int main(void) {
  ng_handle* h = ng_create(NUDEGUARD_ABI_VERSION);
  CHECK(h != NULL, "ng_create: %s", ng_error_string(NULL));
  unsigned char hash[NG_PDQ_BYTES];
  char hex[2 * NG_PDQ_BYTES + 1];
  int quality = -1;

  /* 300 x 200: hashed as given, identical to pdqhash. */
  unsigned char* small = pattern(300, 200, 0);
  CHECK(ng_pdq(h, small, 300, 200, 900, NG_PIXEL_RGB8, hash, &quality) == 0, "%s", ng_error_string(h));
  to_hex(hash, hex);
  CHECK(strcmp(hex, "da54da8c154ab5542a5b7ad4b6da689598aa315ae2d68db63a64c1cc4f1c7cf8") == 0, "300x200 hash %s", hex);
  CHECK(quality == 100, "300x200 quality %d", quality);

  /* 1000 x 700: the reference shrinks it to 512 x 358 first (pinned: pdqhash of PIL's bicubic
   * thumbnail of the pattern); full size matches pdqhash as given. */
  unsigned char* big = pattern(1000, 700, 1);
  CHECK(ng_pdq(h, big, 1000, 700, 3000, NG_PIXEL_BGR8, hash, &quality) == 0, "%s", ng_error_string(h));
  to_hex(hash, hex);
  CHECK(strcmp(hex, "f87ff5a8c0fc91b981f807e407f807a51fff59d8fff09999ff006664a8004044") == 0, "1000x700 ref %s", hex);
  CHECK(ng_set(h, NG_PARAM_PDQ_FULL_SIZE, 1) == 0, "%s", ng_error_string(h));
  CHECK(ng_pdq(h, big, 1000, 700, 3000, NG_PIXEL_BGR8, hash, NULL) == 0, "%s", ng_error_string(h));
  to_hex(hash, hex);
  CHECK(strcmp(hex, "f07ef5a8e0fc91b981f807e403f827a50ffb59d8ffe09999ff806664f8006044") == 0, "1000x700 full %s", hex);
  CHECK(ng_set(h, NG_PARAM_PDQ_FULL_SIZE, 2) == -1, "NG_PARAM_PDQ_FULL_SIZE 2 accepted");
  CHECK(ng_set(h, NG_PARAM_PDQ_FULL_SIZE, 0) == 0, "%s", ng_error_string(h));

  /* Dihedral: [0] is the plain hash; the rotate-180 hash of the image equals the plain hash
   * of the image turned by 180 degrees within the usual match threshold (31). */
  unsigned char dih[8 * NG_PDQ_BYTES];
  CHECK(ng_pdq_dihedral(h, small, 300, 200, 900, NG_PIXEL_RGB8, dih, &quality) == 0, "%s", ng_error_string(h));
  CHECK(ng_pdq(h, small, 300, 200, 900, NG_PIXEL_RGB8, hash, NULL) == 0, "%s", ng_error_string(h));
  CHECK(memcmp(dih, hash, NG_PDQ_BYTES) == 0, "dihedral[0] differs from ng_pdq");
  unsigned char* turned = malloc(300 * 200 * 3);
  for (int i = 0; i < 300 * 200; ++i) memcpy(turned + 3 * i, small + 3 * (300 * 200 - 1 - i), 3);
  CHECK(ng_pdq(h, turned, 300, 200, 900, NG_PIXEL_RGB8, hash, NULL) == 0, "%s", ng_error_string(h));
  const int d180 = ng_pdq_distance(hash, dih + 2 * NG_PDQ_BYTES);
  CHECK(d180 >= 0 && d180 <= 31, "rotate-180 variant is %d bits from the turned image's hash", d180);

  /* Tiny images hash to zeros with quality 0, as in the reference. */
  unsigned char zeros[NG_PDQ_BYTES] = {0};
  CHECK(ng_pdq(h, small, 4, 4, 900, NG_PIXEL_RGB8, hash, &quality) == 0 && quality == 0 &&
            memcmp(hash, zeros, NG_PDQ_BYTES) == 0, "4x4 image");

  /* Hamming scan vs brute force, with a capacity smaller than the matches. */
  enum { N = 1003 };
  unsigned char* list = malloc((size_t)N * NG_PDQ_BYTES);
  unsigned char query[NG_PDQ_BYTES];
  for (int i = 0; i < NG_PDQ_BYTES; ++i) query[i] = rand_byte();
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < NG_PDQ_BYTES; ++j) {
      /* Every third entry is the query with a few bits flipped, the rest random. */
      list[i * NG_PDQ_BYTES + j] = (i % 3 == 0) ? (unsigned char)(query[j] ^ ((rand_byte() & 7) == 0 ? 1 << (i % 8) : 0)) : rand_byte();
    }
  }
  size_t idx[N], found = 0, expected = 0;
  int dist[N];
  CHECK(ng_pdq_match(list, N, query, 31, idx, dist, N, &found) == 0, "%s", ng_error_string(NULL));
  size_t k = 0;
  int ordered = 1;
  for (size_t i = 0; i < N; ++i) {
    const int d = ng_pdq_distance(list + i * NG_PDQ_BYTES, query);
    if (d <= 31) {
      if (k < found && (idx[k] != i || dist[k] != d)) ordered = 0;
      ++k;
      ++expected;
    }
  }
  CHECK(found == expected && ordered, "scan found %zu (expected %zu), order ok %d", found, expected, ordered);
  size_t found2 = 0;
  CHECK(ng_pdq_match(list, N, query, 31, idx, dist, 5, &found2) == 0 && found2 == expected, "capacity 5");
  CHECK(ng_pdq_match(list, N, query, 256, NULL, NULL, 0, &found2) == 0 && found2 == N, "max 256 matches all");
  CHECK(ng_pdq_match(list, N, query, 257, NULL, NULL, 0, &found2) == -1 &&
            strstr(ng_error_string(NULL), "ng_pdq_match(): max_distance 257") != NULL,
        "max_distance 257: %s", ng_error_string(NULL));

  /* Hash lists: comments, IDs after a separator or a quality, CR LF, a byte-order mark. */
  static const char text[] =
      "\xEF\xBB\xBF# reported hashes\r\n"
      "00000000000000000000000000000000000000000000000000000000000000ff\r\n"
      "\r\n"
      "  ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789 , case 17 \n"
      "1111111111111111111111111111111111111111111111111111111111111111\t100\t/data/x.jpg\n"
      "2222222222222222222222222222222222222222222222222222222222222222,100,a,b";
  unsigned char parsed[5 * NG_PDQ_BYTES];
  size_t ids[2 * 5], count = 0, error_line = 99;
  CHECK(ng_parse_hash_list(text, sizeof text - 1, parsed, ids, 5, &count, &error_line) == 0 && count == 4 &&
            error_line == 0, "hash list: rc, count %zu: %s", count, ng_error_string(NULL));
  CHECK(parsed[31] == 0xff && parsed[32] == 0xab && parsed[33] == 0xcd && parsed[64] == 0x11, "hash bytes");
  CHECK(ids[1] == 0 && ids[3] == 7 && memcmp(text + ids[2], "case 17", 7) == 0, "ID after a comma");
  CHECK(ids[5] == 11 && memcmp(text + ids[4], "/data/x.jpg", 11) == 0, "ID after a quality");
  CHECK(ids[7] == 3 && memcmp(text + ids[6], "a,b", 3) == 0, "ID with a comma");
  CHECK(ng_parse_hash_list(text, sizeof text - 1, NULL, NULL, 0, &count, NULL) == 0 && count == 4, "capacity 0");
  CHECK(ng_parse_hash_list(text, sizeof text - 1, parsed, NULL, 1, &count, NULL) == 0 && count == 4, "capacity 1");
  static const char inner_tab[] = "# ok\n01234567890123456789012345678901234567890123456789012345678\t0123,id\n";
  CHECK(ng_parse_hash_list(inner_tab, sizeof inner_tab - 1, parsed, ids, 5, &count, &error_line) == -1 &&
            error_line == 2 &&
            strcmp(ng_error_string(NULL), "ng_parse_hash_list(): line 2: not a hex string: '\\x09' at column 60") == 0,
        "blank inside a hash: line %zu, %s", error_line, ng_error_string(NULL));
  static const char short_hash[] = "abc,def\n";
  CHECK(ng_parse_hash_list(short_hash, sizeof short_hash - 1, parsed, ids, 5, &count, &error_line) == -1 &&
            error_line == 1 && strstr(ng_error_string(NULL), "line 1: a PDQ hash has 64 hex digits, got 3") != NULL,
        "short hash: %s", ng_error_string(NULL));
  static const char latin1_id[] = "0000000000000000000000000000000000000000000000000000000000000000,caf\xe9\n";
  CHECK(ng_parse_hash_list(latin1_id, sizeof latin1_id - 1, parsed, ids, 5, &count, &error_line) == -1 &&
            error_line == 1 && strstr(ng_error_string(NULL), "not UTF-8") != NULL,
        "Latin-1 ID: %s", ng_error_string(NULL));
  CHECK(ng_parse_hash_list(text, sizeof text - 1, NULL, NULL, 1, &count, NULL) == -1, "NULL hashes with capacity");

  /* Errors. */
  CHECK(ng_pdq(NULL, small, 300, 200, 900, NG_PIXEL_RGB8, hash, NULL) == -1, "NULL handle accepted");
  CHECK(ng_pdq(h, small, 300, 200, 100, NG_PIXEL_RGB8, hash, NULL) == -1 &&
            strstr(ng_error_string(h), "ng_pdq(): stride") != NULL, "short stride: %s", ng_error_string(h));
  CHECK(ng_pdq(h, small, 300, 200, 900, 9, hash, NULL) == -1, "bad pixel format accepted");
  CHECK(ng_pdq(h, small, 300, 200, 900, NG_PIXEL_RGB8, NULL, NULL) == -1, "NULL hash accepted");
  CHECK(ng_pdq_distance(NULL, hash) == -1, "distance with NULL");

  free(small);
  free(big);
  free(turned);
  free(list);
  ng_destroy(h);
  return check_summary("test_pdq", ng_isa());
}
