#include "verify/common/base64.h"

#include <openssl/evp.h>

namespace moat::verify {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

Result<std::string> DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned acc = 0;
  int bits = 0;
  size_t quantum = 0;  // characters (data or '=') in the current group of four
  size_t pad = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      // Only one or two '=' closing a group that has two or three data characters.
      if (quantum < 2) return Error{"invalid base64: misplaced '=' at offset " + std::to_string(i)};
      ++pad;
      ++quantum;
      if (quantum == 4) quantum = 0;
      continue;
    }
    if (pad > 0) return Error{"invalid base64: data after '=' at offset " + std::to_string(i)};
    int v = Base64Value(c);
    if (v < 0) return Error{"invalid base64: illegal character at offset " + std::to_string(i)};
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
    quantum = (quantum + 1) % 4;
  }
  if (quantum != 0) return Error{"invalid base64: truncated input"};
  if (pad > 2) return Error{"invalid base64: too much padding"};
  return out;
}

Result<std::string> DecodeBase64Any(std::string_view text) {
  std::string std_text(text);
  for (char& c : std_text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  size_t data = 0;
  for (char c : std_text) data += (c != '\r' && c != '\n') ? 1 : 0;
  if (std_text.find('=') == std::string::npos && data % 4 != 0) {
    std_text.append(4 - data % 4, '=');
  }
  return DecodeBase64(std_text);
}

std::string EncodeBase64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

}  // namespace moat::verify
