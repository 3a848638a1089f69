// Parser of PDQ hash lists, the text files hotlines and partners exchange: one hash per line
// as HEX, HEX<sep>ID or HEX<sep>QUALITY<sep>ID (what Meta's pdq-photo-hasher prints). Native
// because lists run to millions of lines and come from outside, so the parser is fuzzed too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace nudeguard {

// Where an entry's ID lies in the parsed text; length 0: the line has no ID.
struct TextSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
};

struct ParsedHashList {
  std::vector<std::uint8_t> hashes;  // 32 bytes an entry, in file order
  std::vector<TextSpan> ids;         // one per entry
};

// A malformed line: what() says what is wrong with it, line() is its 1-based number.
class HashListSyntaxError : public std::invalid_argument {
 public:
  HashListSyntaxError(std::size_t line, const std::string& message)
      : std::invalid_argument(message), line_(line) {}
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

// Lines end in "\n" or "\r\n"; a leading UTF-8 byte-order mark is skipped; blank lines and
// lines whose first non-blank character is '#' are comments. <sep> is a comma if the line has
// one, else a tab if it has one, else a run of spaces. The ID is the rest of the line after
// the separator (after the QUALITY field when that is all digits and followed by another
// separator), trimmed of blanks, and must be UTF-8. Throws HashListSyntaxError.
ParsedHashList parse_hash_list(const char* text, std::size_t size);

}  // namespace nudeguard
