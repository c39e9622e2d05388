#include "server/http/token_auth.hpp"

#include <strings.h>

namespace resr {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of the longer string is visited whatever the contents.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

bool request_has_token(const httplib::Request& req, const std::string& token) {
  if (token.empty()) return true;
  if (req.has_header("X-Token")) return constant_time_equal(req.get_header_value("X-Token"), token);
  // RFC 9110 11.1: the scheme name is case-insensitive, then one or more spaces.
  const std::string authorization = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "bearer";
  if (authorization.size() <= kBearer.size() ||
      strncasecmp(authorization.c_str(), kBearer.data(), kBearer.size()) != 0 ||
      authorization[kBearer.size()] != ' ') {
    return false;
  }
  const size_t credentials = authorization.find_first_not_of(' ', kBearer.size());
  if (credentials == std::string::npos) return false;
  return constant_time_equal(std::string_view(authorization).substr(credentials), token);
}

}  // namespace resr
