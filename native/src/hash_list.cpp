// The PDQ hash-list parser declared in hash_list.h.
#include "hash_list.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "pdq.h"

namespace nudeguard {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Digit value of every byte, -1 for non-hex: one lookup per digit in a list of millions.
struct HexTable {
  signed char value[256];
  constexpr HexTable() : value() {
    for (int c = 0; c < 256; ++c) {
      value[c] = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
  }
};
constexpr HexTable kHex;

int hex_value(char c) { return kHex.value[static_cast<unsigned char>(c)]; }

// [begin, end) of text with blanks removed from both ends.
struct Range {
  const char* begin;
  const char* end;
  std::size_t size() const { return static_cast<std::size_t>(end - begin); }
  Range trimmed() const {
    Range r = *this;
    while (r.begin < r.end && is_blank(*r.begin)) ++r.begin;
    while (r.end > r.begin && is_blank(r.end[-1])) --r.end;
    return r;
  }
  const char* find(char c) const {
    return static_cast<const char*>(std::memchr(begin, c, size()));
  }
};

std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f && c != '\'') return std::string("'") + c + "'";
  static const char digits[] = "0123456789abcdef";
  return std::string("'\\x") + digits[u >> 4] + digits[u & 15] + "'";
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): IDs become
// Python strings, and a list must not load on one machine and fail on another.
bool is_utf8(Range r) {
  const auto* p = reinterpret_cast<const unsigned char*>(r.begin);
  const auto* end = reinterpret_cast<const unsigned char*>(r.end);
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int more;
    unsigned low = 0x80, high = 0xbf;  // allowed range of the byte after the lead byte
    if (c >= 0xc2 && c <= 0xdf) {
      more = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      more = 2;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      more = 3;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (end - p <= more) return false;
    if (p[1] < low || p[1] > high) return false;
    for (int i = 2; i <= more; ++i) {
      if (p[i] < 0x80 || p[i] > 0xbf) return false;
    }
    p += more + 1;
  }
  return true;
}

void append_hash(Range field, const char* line_start, std::size_t line, std::vector<std::uint8_t>& out) {
  if (field.size() != 2 * static_cast<std::size_t>(kPdqBytes)) {
    throw HashListSyntaxError(line, "a PDQ hash has 64 hex digits, got " + std::to_string(field.size()));
  }
  const std::size_t at = out.size();
  out.resize(at + kPdqBytes);
  for (int i = 0; i < kPdqBytes; ++i) {
    const char* pair = field.begin + 2 * i;
    const int hi = hex_value(pair[0]), lo = hex_value(pair[1]);
    if (hi < 0 || lo < 0) {
      const char* bad = hi < 0 ? pair : pair + 1;
      throw HashListSyntaxError(line, "not a hex string: " + shown(*bad) + " at column " +
                                          std::to_string(bad - line_start + 1));
    }
    out[at + i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
}

// The ID of a line whose hash field ended at separator `sep` (or at a run of blanks when sep
// is ' '): what follows, minus a QUALITY field of digits between two separators.
Range id_after(Range rest, char sep) {
  if (sep != ' ') {
    if (const char* next = rest.find(sep)) {
      const Range quality = Range{rest.begin, next}.trimmed();
      bool digits = quality.size() > 0;
      for (const char* c = quality.begin; c < quality.end; ++c) digits = digits && *c >= '0' && *c <= '9';
      if (digits) rest.begin = next + 1;
    }
  }
  return rest.trimmed();
}

}  // namespace

ParsedHashList parse_hash_list(const char* text, std::size_t size) {
  ParsedHashList list;
  if (size == 0) return list;
  if (text == nullptr) throw std::invalid_argument("text is NULL");
  const char* const end = text + size;
  // Reserving for every line that could hold a hash (one needs 64 bytes) avoids regrowing
  // 32 MB a million entries; the bound keeps a file of blank lines from reserving much.
  std::size_t lines = 1;
  for (const char* nl = text; (nl = static_cast<const char*>(std::memchr(nl, '\n', static_cast<std::size_t>(end - nl))));
       ++nl) {
    ++lines;
  }
  const std::size_t most = std::min(lines, size / (2 * kPdqBytes) + 1);
  list.hashes.reserve(most * kPdqBytes);
  list.ids.reserve(most);
  const char* p = text;
  if (size >= 3 && std::memcmp(text, "\xEF\xBB\xBF", 3) == 0) p += 3;
  for (std::size_t line = 1; p < end; ++line) {
    const char* newline = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
    const char* line_end = newline ? newline : end;
    const char* line_start = p;
    p = newline ? newline + 1 : end;
    const Range content = Range{line_start, line_end}.trimmed();
    if (content.size() == 0 || *content.begin == '#') continue;

    const char sep = content.find(',') ? ',' : content.find('\t') ? '\t' : ' ';
    const char* hash_end = sep == ' ' ? std::find_if(content.begin, content.end, is_blank) : content.find(sep);
    append_hash(Range{content.begin, hash_end}.trimmed(), line_start, line, list.hashes);
    TextSpan id;
    if (hash_end < content.end) {
      const Range value = id_after(Range{hash_end + 1, content.end}, sep);
      if (!is_utf8(value)) throw HashListSyntaxError(line, "the ID is not UTF-8 text");
      id = TextSpan{static_cast<std::size_t>(value.begin - text), value.size()};
    }
    list.ids.push_back(id);
  }
  return list;
}

}  // namespace nudeguard
