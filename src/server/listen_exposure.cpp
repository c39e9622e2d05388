#include "server/listen_exposure.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace resr {

bool is_loopback_host(const std::string& host) {
  std::string lower = host;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "localhost" || lower == "::1" || lower == "[::1]" || lower.rfind("127.", 0) == 0;
}

Status check_listen_exposure(const ServerConfig& config) {
  if (!config.token.empty() || is_loopback_host(config.host)) return Status::ok();
  if (!config.allow_open_server) {
    return error(ErrorCode::kInvalidArgument,
                 "refusing to listen on " + config.host +
                     " without a token: anyone on the network could use this server. Set a "
                     "token (setting token, or REAL_ESRGAN_SERVE_TOKEN), listen on loopback "
                     "(--host 127.0.0.1), or pass --allow-open-server if that is meant");
  }
  std::fprintf(stderr,
               "warning: open server: %s has no token (allow_open_server is set); anyone who "
               "reaches it can use it\n",
               config.host.c_str());
  return Status::ok();
}

}  // namespace resr
