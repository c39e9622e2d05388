// The API token: sent as `X-Token: T` or `Authorization: Bearer T` (the
// scheme in any case), compared in constant time so response timing reveals
// nothing about it.
#pragma once

#include <httplib.h>

#include <string>
#include <string_view>

namespace resr {

// True when no token is configured, or the request carries it.
bool request_has_token(const httplib::Request& req, const std::string& token);

// Equal strings, in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace resr
