#include "server/fetch/url_fetcher.hpp"

#include <curl/curl.h>
#include <strings.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <set>

#include "server/fetch/address_screen.hpp"

namespace resr {
namespace {

constexpr size_t kMaxUrlLength = 8192;

// A URL as error messages show it: long ones cut.
std::string shown(const std::string& url) {
  return url.size() <= 200 ? url : url.substr(0, 200) + "...";
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using CurlUrl = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

// What the callbacks of one transfer share with fetch_url.
struct Transfer {
  const UrlFetchPolicy& policy;
  const std::atomic<bool>* cancel;
  std::string body;
  bool over_cap = false;
  int64_t announced_bytes = -1;             // Content-Length of the latest response
  std::string refused;                      // "127.0.0.1 (loopback)": the last connection refused
  std::set<std::string> allowed_addresses;  // canonical text
};

// Called for every connection curl opens, with the resolved address: the one
// place where the address check cannot be raced by DNS.
curl_socket_t open_checked_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* transfer = static_cast<Transfer*>(user);
  if (!transfer->policy.allow_private_addresses) {
    const std::optional<std::string> kind =
        non_public_address_kind(&address->addr, address->addrlen);
    const std::string text = address_text(&address->addr, address->addrlen);
    if (kind && !transfer->allowed_addresses.contains(text)) {
      transfer->refused = text + " (" + *kind + ")";
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

size_t append_body(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  if (static_cast<int64_t>(transfer->body.size() + bytes) > transfer->policy.max_bytes) {
    transfer->over_cap = true;
    return 0;  // anything but `bytes` aborts the transfer
  }
  transfer->body.append(data, bytes);
  return bytes;
}

size_t note_header(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const size_t bytes = size * count;
  constexpr std::string_view kName = "content-length:";
  if (bytes > kName.size() && strncasecmp(data, kName.data(), kName.size()) == 0) {
    transfer->announced_bytes =
        std::strtoll(std::string(data + kName.size(), bytes - kName.size()).c_str(), nullptr, 10);
  }
  return bytes;
}

int check_cancel(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* transfer = static_cast<Transfer*>(user);
  return transfer->cancel != nullptr && transfer->cancel->load() ? 1 : 0;
}

Status check_url(const std::string& url) {
  if (url.size() > kMaxUrlLength) {
    return error(ErrorCode::kInvalidArgument, "the URL is " + std::to_string(url.size()) +
                                                  " characters long; the limit is " +
                                                  std::to_string(kMaxUrlLength));
  }
  CurlUrl parsed(curl_url(), curl_url_cleanup);
  if (!parsed) return error(ErrorCode::kResourceExhausted, "out of memory parsing a URL");
  char* scheme = nullptr;
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK ||
      curl_url_get(parsed.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
    return error(
        ErrorCode::kInvalidArgument,
        "'" + shown(url) + "' is not a valid absolute URL (expected http://... or https://...)");
  }
  const std::string scheme_text = scheme;
  curl_free(scheme);
  if (scheme_text != "http" && scheme_text != "https") {
    return error(ErrorCode::kInvalidArgument, "only http and https URLs can be fetched, not " +
                                                  scheme_text + " ('" + shown(url) + "')");
  }
  return Status::ok();
}

Status init_curl() {
  static const CURLcode result = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (result != CURLE_OK) {
    return error(ErrorCode::kUnavailable,
                 std::string("cannot initialise libcurl: ") + curl_easy_strerror(result));
  }
  return Status::ok();
}

Status transfer_error(CURLcode code, const Transfer& transfer, const std::string& detail) {
  const UrlFetchPolicy& policy = transfer.policy;
  const std::string cap = std::to_string(policy.max_bytes) + " bytes (url_fetch.max_bytes)";
  switch (code) {
    case CURLE_COULDNT_CONNECT:
      if (!transfer.refused.empty()) {
        return error(ErrorCode::kInvalidArgument,
                     "refused to connect to " + transfer.refused +
                         ": URL inputs may not reach loopback, private, link-local, multicast or "
                         "unspecified addresses (url_fetch.allow_private_addresses, "
                         "url_fetch.allowed_addresses)");
      }
      break;
    case CURLE_WRITE_ERROR:
      if (transfer.over_cap) {
        return error(ErrorCode::kResourceExhausted, "the body is larger than the cap of " + cap);
      }
      break;
    case CURLE_FILESIZE_EXCEEDED:
      return error(ErrorCode::kResourceExhausted, "the server announced " +
                                                      std::to_string(transfer.announced_bytes) +
                                                      " bytes, over the cap of " + cap);
    case CURLE_ABORTED_BY_CALLBACK:
      return error(ErrorCode::kCancelled, "cancelled");
    case CURLE_OPERATION_TIMEDOUT:
      return error(ErrorCode::kUnavailable,
                   "timed out (limits: " + std::to_string(policy.connect_timeout_seconds) +
                       " s to connect, url_fetch.connect_timeout_seconds; " +
                       std::to_string(policy.timeout_seconds) +
                       " s in all, url_fetch.timeout_seconds): " + detail);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return error(ErrorCode::kInvalidArgument, detail);
    default:
      break;
  }
  return error(ErrorCode::kUnavailable, detail);
}

Result<FetchedUrl> fetch(const std::string& url, const UrlFetchPolicy& policy,
                         const std::atomic<bool>* cancel, std::string& current) {
  RESR_RETURN_IF_ERROR(check_url(url));
  RESR_RETURN_IF_ERROR(init_curl());
  CurlHandle handle(curl_easy_init(), curl_easy_cleanup);
  if (!handle) return error(ErrorCode::kResourceExhausted, "cannot create a libcurl handle");
  CURL* curl = handle.get();
  Transfer transfer{policy, cancel, {}, false, -1, {}, {}};
  for (const std::string& allowed : policy.allowed_addresses) {
    const std::optional<std::string> canonical = canonical_ip_literal(allowed);
    if (!canonical) {
      return error(ErrorCode::kInvalidArgument,
                   "url_fetch.allowed_addresses: '" + allowed + "' is not an IPv4 or IPv6 address");
    }
    transfer.allowed_addresses.insert(*canonical);
  }
  char error_text[CURL_ERROR_SIZE] = "";
  CURLcode setup = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (setup == CURLE_OK) setup = curl_easy_setopt(curl, option, value);
  };

  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);  // followed below, each target checked
  set(CURLOPT_PROXY, "");           // ignore http_proxy & co.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USERAGENT, "real-esrgan-serve/" RESR_VERSION);
  set(CURLOPT_ERRORBUFFER, error_text);
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(policy.connect_timeout_seconds));
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(policy.max_bytes));
  set(CURLOPT_OPENSOCKETFUNCTION, &open_checked_socket);
  set(CURLOPT_OPENSOCKETDATA, &transfer);
  set(CURLOPT_WRITEFUNCTION, &append_body);
  set(CURLOPT_WRITEDATA, &transfer);
  set(CURLOPT_HEADERFUNCTION, &note_header);
  set(CURLOPT_HEADERDATA, &transfer);
  set(CURLOPT_XFERINFOFUNCTION, &check_cancel);
  set(CURLOPT_XFERINFODATA, &transfer);
  set(CURLOPT_NOPROGRESS, 0L);
  if (setup != CURLE_OK) {
    // A libcurl without one of these options cannot fetch safely.
    return error(
        ErrorCode::kUnavailable,
        std::string("this libcurl cannot be configured safely: ") + curl_easy_strerror(setup));
  }

  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(policy.timeout_seconds);
  current = url;
  for (int redirects = 0;; ++redirects) {
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (remaining.count() <= 0) {
      return transfer_error(CURLE_OPERATION_TIMEDOUT, transfer, "deadline reached");
    }
    set(CURLOPT_URL, current.c_str());
    set(CURLOPT_TIMEOUT_MS, static_cast<long>(remaining.count()));
    if (setup != CURLE_OK) {
      return error(ErrorCode::kInvalidArgument,
                   std::string("cannot use this URL: ") + curl_easy_strerror(setup));
    }
    transfer.body.clear();
    transfer.refused.clear();
    transfer.announced_bytes = -1;
    error_text[0] = '\0';
    const CURLcode code = curl_easy_perform(curl);
    if (code != CURLE_OK) {
      const std::string detail = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
      return transfer_error(code, transfer, detail);
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 300 && status < 400 && status != 304) {
      char* location = nullptr;
      curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
      if (location == nullptr) {
        return error(ErrorCode::kUnavailable, "the server answered " + std::to_string(status) +
                                                  " without a usable Location header");
      }
      if (redirects == policy.max_redirects) {
        return error(ErrorCode::kInvalidArgument,
                     "more than " + std::to_string(policy.max_redirects) +
                         " redirects (url_fetch.max_redirects); the next was to " +
                         shown(location));
      }
      const std::string next = location;
      RESR_RETURN_IF_ERROR(check_url(next).with_context("redirected to " + shown(next)));
      current = next;
      continue;
    }
    if (status < 200 || status >= 300) {
      return error(
          status >= 400 && status < 500 ? ErrorCode::kInvalidArgument : ErrorCode::kUnavailable,
          "the server answered HTTP " + std::to_string(status));
    }
    char* content_type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
    return FetchedUrl{std::move(transfer.body), current, content_type ? content_type : ""};
  }
}

}  // namespace

Result<FetchedUrl> fetch_url(const std::string& url, const UrlFetchPolicy& policy,
                             const std::atomic<bool>* cancel) {
  std::string current;
  Result<FetchedUrl> fetched = fetch(url, policy, cancel, current);
  if (fetched.is_ok()) return fetched;
  const std::string where =
      current.empty() || current == url
          ? "cannot fetch " + shown(url)
          : "cannot fetch " + shown(url) + " (redirected to " + shown(current) + ")";
  return fetched.status().with_context(where);
}

}  // namespace resr
