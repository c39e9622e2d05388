// Downloads a client-supplied URL (an input image) under a UrlFetchPolicy:
// http and https only; every address actually connected to, redirect hops
// included, is checked after DNS resolution (so a name that resolves, or
// re-resolves, to a refused address cannot slip through); redirects are
// followed one by one up to the cap, each target checked again; the byte cap
// holds while streaming; the whole fetch has a deadline.
//
// Error codes, for the server to turn into HTTP statuses:
//   kInvalidArgument    malformed URL, scheme not http(s), refused address,
//                       too many redirects, the remote answered 4xx      -> 400/422
//   kResourceExhausted  the body is (or announces itself) over max_bytes -> 413
//   kUnavailable        DNS, connection, TLS or 5xx failure, timeout     -> 502/504
//   kCancelled          `cancel` became true
#pragma once

#include <atomic>
#include <string>

#include "resr/status.hpp"
#include "server/fetch/url_fetch_policy.hpp"

namespace resr {

struct FetchedUrl {
  std::string body;
  std::string final_url;     // after redirects
  std::string content_type;  // as the remote sent it; may be empty or wrong
};

// Blocks until done, failed, timed out or cancelled (`cancel` is looked at
// least once a second). Thread-safe: each call has its own connection.
Result<FetchedUrl> fetch_url(const std::string& url, const UrlFetchPolicy& policy,
                             const std::atomic<bool>* cancel = nullptr);

}  // namespace resr
