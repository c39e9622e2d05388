// What a server may do when a client asks it to fetch an input image by URL.
// The defaults refuse every address a server should never be made to reach
// on a client's behalf (SSRF): loopback, private, link-local, metadata.
// Fetches always connect directly (proxy environment variables are ignored)
// so that the address checked is the address of the server that answers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace resr {

struct UrlFetchPolicy {
  // Lets URLs reach loopback, private, link-local and unspecified addresses
  // (only for trusted clients or tests).
  bool allow_private_addresses = false;
  // Non-public addresses allowed all the same, as IP literals ("10.0.0.7",
  // "fd00::5"): e.g. an internal image store. Every other one stays refused.
  std::vector<std::string> allowed_addresses;
  int max_redirects = 3;
  int connect_timeout_seconds = 10;
  // The whole transfer, redirects included.
  int timeout_seconds = 30;
  int64_t max_bytes = int64_t{50} << 20;
};

}  // namespace resr
