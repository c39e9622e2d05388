#include "server/fetch/url_fetcher.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "loopback_origin.hpp"

namespace resr {
namespace {

using testing::LoopbackOrigin;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

UrlFetchPolicy trusting_policy() {
  UrlFetchPolicy policy;
  policy.allow_private_addresses = true;
  return policy;
}

Status expect_failure(const Result<FetchedUrl>& fetched, ErrorCode code) {
  EXPECT_FALSE(fetched.is_ok());
  if (fetched.is_ok()) return Status::ok();
  EXPECT_EQ(fetched.status().code(), code) << fetched.status().message();
  return fetched.status();
}

bool contains(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(UrlFetcher, FetchesBodyAndContentType) {
  LoopbackOrigin server;
  auto fetched = fetch_url(server.url("/image"), trusting_policy());
  ASSERT_TRUE(fetched.is_ok()) << fetched.status().message();
  EXPECT_EQ(fetched->body, "PNG-BYTES");
  EXPECT_EQ(fetched->content_type, "image/png");
  EXPECT_EQ(fetched->final_url, server.url("/image"));
}

TEST(UrlFetcher, StopsStreamingAsSoonAsTheCapIsPassed) {
  LoopbackOrigin server;
  UrlFetchPolicy policy = trusting_policy();
  policy.max_bytes = 256 << 10;
  const Status status =
      expect_failure(fetch_url(server.url("/stream"), policy), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(contains(status, "larger than the cap of 262144 bytes (url_fetch.max_bytes)"))
      << status.message();
  EXPECT_TRUE(contains(status, "cannot fetch " + server.url("/stream"))) << status.message();
  // The server could push what socket buffers hold, not the whole 256 MiB.
  EXPECT_LT(server.streamed(), 32 << 20);
}

TEST(UrlFetcher, RefusesAnAnnouncedLengthOverTheCapBeforeTheBody) {
  LoopbackOrigin server;
  UrlFetchPolicy policy = trusting_policy();
  policy.max_bytes = 1 << 20;
  const Status status =
      expect_failure(fetch_url(server.url("/announced"), policy), ErrorCode::kResourceExhausted);
  EXPECT_TRUE(contains(status, "announced 10485760 bytes, over the cap of 1048576 bytes"))
      << status.message();
}

TEST(UrlFetcher, BodyExactlyAtTheCapIsAccepted) {
  LoopbackOrigin server;
  UrlFetchPolicy policy = trusting_policy();
  policy.max_bytes = 9;  // "PNG-BYTES"
  EXPECT_TRUE(fetch_url(server.url("/image"), policy).is_ok());
  policy.max_bytes = 8;
  expect_failure(fetch_url(server.url("/image"), policy), ErrorCode::kResourceExhausted);
}

TEST(UrlFetcher, TimesOutOnASlowServer) {
  LoopbackOrigin server;
  UrlFetchPolicy policy = trusting_policy();
  policy.timeout_seconds = 1;
  const auto start = Clock::now();
  const Status status =
      expect_failure(fetch_url(server.url("/slow"), policy), ErrorCode::kUnavailable);
  EXPECT_LT(seconds_since(start), 1.8);
  EXPECT_TRUE(contains(status, "timed out")) << status.message();
  EXPECT_TRUE(contains(status, "url_fetch.timeout_seconds")) << status.message();
}

TEST(UrlFetcher, CancelFlagStopsAFetchPromptly) {
  LoopbackOrigin server;
  std::atomic<bool> cancel = false;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    cancel = true;
  });
  const auto start = Clock::now();
  expect_failure(fetch_url(server.url("/slow"), trusting_policy(), &cancel), ErrorCode::kCancelled);
  EXPECT_LT(seconds_since(start), 1.5);
  canceller.join();
}

TEST(UrlFetcher, FollowsRedirectsUpToTheCap) {
  LoopbackOrigin server;
  UrlFetchPolicy policy = trusting_policy();
  policy.max_redirects = 3;
  auto fetched = fetch_url(server.url("/hops/3"), policy);
  ASSERT_TRUE(fetched.is_ok()) << fetched.status().message();
  EXPECT_EQ(fetched->body, "PNG-BYTES");
  EXPECT_EQ(fetched->final_url, server.url("/image"));

  const Status status =
      expect_failure(fetch_url(server.url("/hops/4"), policy), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(status, "more than 3 redirects (url_fetch.max_redirects)"))
      << status.message();
  policy.max_redirects = 0;
  expect_failure(fetch_url(server.url("/hops/1"), policy), ErrorCode::kInvalidArgument);
}

TEST(UrlFetcher, RefusesARedirectToAnotherScheme) {
  LoopbackOrigin server;
  for (const std::string target : {"ftp://127.0.0.1/image.png", "file:///etc/passwd"}) {
    const int before = server.requests();
    const Status status =
        expect_failure(fetch_url(server.url("/redirect?to=" + target), trusting_policy()),
                       ErrorCode::kInvalidArgument);
    EXPECT_TRUE(contains(status, "only http and https")) << status.message();
    EXPECT_TRUE(contains(status, "redirected to " + target)) << status.message();
    EXPECT_EQ(server.requests(), before + 1);
  }
}

TEST(UrlFetcher, RemoteErrorStatuses) {
  LoopbackOrigin server;
  Status status = expect_failure(fetch_url(server.url("/missing"), trusting_policy()),
                                 ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(status, "answered HTTP 404")) << status.message();
  status =
      expect_failure(fetch_url(server.url("/broken"), trusting_policy()), ErrorCode::kUnavailable);
  EXPECT_TRUE(contains(status, "answered HTTP 500")) << status.message();
}

TEST(UrlFetcher, RefusesSchemesOtherThanHttpAndMalformedUrls) {
  for (const std::string url : {"ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/",
                                "dict://127.0.0.1:11211/stat", "127.0.0.1/x", "", "not a url"}) {
    expect_failure(fetch_url(url, trusting_policy()), ErrorCode::kInvalidArgument);
  }
  const Status status =
      expect_failure(fetch_url("http://example.com/" + std::string(9000, 'a'), trusting_policy()),
                     ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(status, "the limit is 8192")) << status.message();
  EXPECT_LT(status.message().size(), 600u);
}

TEST(UrlFetcher, RefusesLoopbackPrivateLinkLocalAndUnspecifiedAddresses) {
  LoopbackOrigin server;
  const std::string port = std::to_string(server.port());
  const std::pair<std::string, std::string> cases[] = {
      {"http://127.0.0.1:" + port + "/image", "127.0.0.1 (loopback)"},
      {"http://[::1]:" + port + "/image", "::1 (loopback)"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 (link-local, cloud metadata)"},
      {"http://10.0.0.1/", "10.0.0.1 (private)"},
      {"http://192.168.0.1:" + port + "/", "192.168.0.1 (private)"},
      {"http://0.0.0.0:" + port + "/image", "0.0.0.0 (unspecified)"},
      {"http://[::ffff:127.0.0.1]:" + port + "/image",
       "::ffff:127.0.0.1 (loopback, in IPv4-mapped IPv6)"},
      {"http://2130706433:" + port + "/image", "127.0.0.1 (loopback)"},
      {"http://localhost:" + port + "/image", "(loopback)"},
      {"https://127.0.0.1:" + port + "/image", "127.0.0.1 (loopback)"},
  };
  for (const auto& [url, refused] : cases) {
    const Status status =
        expect_failure(fetch_url(url, UrlFetchPolicy{}), ErrorCode::kInvalidArgument);
    EXPECT_TRUE(contains(status, "refused to connect to ")) << status.message();
    EXPECT_TRUE(contains(status, refused)) << url << ": " << status.message();
    EXPECT_TRUE(contains(status, "url_fetch.allow_private_addresses")) << status.message();
  }
  EXPECT_EQ(server.requests(), 0);
}

TEST(UrlFetcher, AllowedAddressStillChecksEveryRedirectHop) {
  LoopbackOrigin server;
  UrlFetchPolicy policy;
  policy.allowed_addresses = {"127.0.0.1"};
  auto fetched = fetch_url(server.url("/hops/1"), policy);
  ASSERT_TRUE(fetched.is_ok()) << fetched.status().message();
  EXPECT_EQ(fetched->body, "PNG-BYTES");

  // The allowed host redirects to other loopback addresses: each hop refused.
  const std::string port = std::to_string(server.port());
  for (const std::string& target :
       {"http://127.0.0.2:" + port + "/image", "http://[::1]:" + port + "/image",
        "http://[::ffff:127.0.0.1]:" + port + "/image"}) {
    const int before = server.requests();
    const Status status = expect_failure(fetch_url(server.url("/redirect?to=" + target), policy),
                                         ErrorCode::kInvalidArgument);
    EXPECT_TRUE(contains(status, "(redirected to " + target + "): refused to connect to "))
        << status.message();
    EXPECT_TRUE(contains(status, "(loopback")) << status.message();
    EXPECT_EQ(server.requests(), before + 1);
  }

  policy.allowed_addresses = {"intranet"};
  const Status status =
      expect_failure(fetch_url(server.url("/image"), policy), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(status, "'intranet' is not an IPv4 or IPv6 address")) << status.message();
}

}  // namespace
}  // namespace resr
