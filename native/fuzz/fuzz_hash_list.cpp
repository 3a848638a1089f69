// ng_parse_hash_list: any text either parses or fails naming a line that exists, never reads
// outside the buffer (it is not NUL-terminated and ends exactly at the input's end), and
// parses the same with CR LF line ends and behind a byte-order mark. Every accepted hash is
// 32 bytes and every ID a trimmed span of one line.
#include <algorithm>
#include <string>

#include "fuzz_common.h"

namespace {

struct Parse {
  int rc = -1;
  std::size_t count = 0, error_line = 0;
  std::vector<unsigned char> hashes;
  std::vector<std::size_t> ids;
  std::string error;
};

Parse parse(const std::vector<char>& text) {
  Parse p;
  const char* data = text.empty() ? nullptr : text.data();
  p.rc = ng_parse_hash_list(data, text.size(), nullptr, nullptr, 0, &p.count, &p.error_line);
  if (p.rc != 0) {
    p.error = ng_error_string(nullptr);
    return p;
  }
  fuzz::require(p.count <= text.size() / 64 + 1, "more hashes than the documented capacity bound");
  // Room for one more than needed, so writing past `count` would show in the canary.
  p.hashes.assign((p.count + 1) * NG_PDQ_BYTES, 0xa5);
  p.ids.assign(2 * (p.count + 1), 0xa5a5);
  std::size_t again = 0;
  fuzz::require(ng_parse_hash_list(data, text.size(), p.hashes.data(), p.ids.data(), p.count, &again,
                                   nullptr) == 0 && again == p.count,
                "second parse disagrees with the first");
  for (int i = 0; i < NG_PDQ_BYTES; ++i) fuzz::require(p.hashes[p.count * NG_PDQ_BYTES + i] == 0xa5, "wrote past capacity");
  p.hashes.resize(p.count * NG_PDQ_BYTES);
  p.ids.resize(2 * p.count);
  return p;
}

bool blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<char> text(data, data + size);
  const Parse p = parse(text);
  const std::size_t lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (p.rc != 0) {
    fuzz::require(p.error_line >= 1 && p.error_line <= lines, "error names no line of the text", p.error.c_str());
    const std::string prefix = "ng_parse_hash_list(): line " + std::to_string(p.error_line) + ": ";
    fuzz::require(p.error.rfind(prefix, 0) == 0, "error message does not start with the line", p.error.c_str());
  } else {
    std::size_t previous_end = 0;
    for (std::size_t i = 0; i < p.count; ++i) {
      const std::size_t offset = p.ids[2 * i], length = p.ids[2 * i + 1];
      if (length == 0) continue;
      fuzz::require(offset >= previous_end && offset + length <= size, "ID span outside the text or out of order");
      fuzz::require(std::find(text.begin() + offset, text.begin() + offset + length, '\n') == text.begin() + offset + length,
                    "ID spans lines");
      fuzz::require(!blank(text[offset]) && !blank(text[offset + length - 1]), "ID not trimmed");
      previous_end = offset + length;
    }
  }

  // The same list written on Windows (CR LF) and saved with a byte-order mark (one: a second
  // would be text on the first line).
  const bool has_bom = size >= 3 && std::memcmp(data, "\xEF\xBB\xBF", 3) == 0;
  std::vector<char> windows;
  if (!has_bom) windows = {'\xEF', '\xBB', '\xBF'};
  for (char c : text) {
    if (c == '\n') windows.push_back('\r');
    windows.push_back(c);
  }
  const Parse q = parse(windows);
  fuzz::require(q.rc == p.rc && q.count == p.count && q.hashes == p.hashes && q.error_line == p.error_line,
                "CR LF line ends or a byte-order mark change the result");

  std::size_t count = 0;
  fuzz::require(ng_parse_hash_list(nullptr, 0, nullptr, nullptr, 0, &count, nullptr) == 0 && count == 0, "empty text");
  fuzz::require(ng_parse_hash_list(text.data(), size, nullptr, nullptr, 0, nullptr, nullptr) == -1, "NULL count accepted");
  return 0;
}
