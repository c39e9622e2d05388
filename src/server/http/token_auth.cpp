#include "server/http/token_auth.hpp"

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
  const std::string authorization = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      authorization.compare(0, kBearer.size(), kBearer) == 0) {
    return constant_time_equal(std::string_view(authorization).substr(kBearer.size()), token);
  }
  return false;
}

}  // namespace resr
