// `url` inputs of POST /sr end to end (REFERENCE.md §5): a real server on
// loopback fetches from a real origin on loopback. Refused schemes and
// addresses, redirects to refused addresses, the redirect and byte caps and
// the timeout are answered at submission; fetched bytes get exactly the
// checks an upload gets and give exactly the image an upload gives.
#include <gtest/gtest.h>

#include "loopback_origin.hpp"
#include "server_test_support.hpp"

namespace resr::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Problem {
  int status = 0;
  std::string detail;
  std::string code;
};

Problem problem_of(const httplib::Result& res) {
  if (!res) return {-1, "no response", ""};
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json") << res->body;
  const json body = json::parse(res->body, nullptr, false);
  EXPECT_EQ(body.value("status", 0), res->status);
  return {res->status, body.value("detail", ""), body.value("code", "")};
}

httplib::Result post_url(httplib::Client& client, const std::string& url,
                         const httplib::Params& fields = {}) {
  httplib::MultipartFormDataItems items = {{"url", url, "", ""}};
  for (const auto& [name, value] : fields) items.push_back({name, value, "", ""});
  return client.Post("/sr", items);
}

// POST /sr with `url`; the task id, or "" with a test failure when not 202.
std::string submit_url(httplib::Client& client, const std::string& url) {
  auto res = post_url(client, url);
  if (!res || res->status != 202) {
    ADD_FAILURE() << url << ": " << (res ? std::to_string(res->status) + " " + res->body : "none");
    return "";
  }
  return json::parse(res->body).at("task_id").get<std::string>();
}

// `url` refused at submission with `status`, the detail containing `part`.
void expect_refused(httplib::Client& client, const std::string& url, int status,
                    const std::string& part) {
  const Problem p = problem_of(post_url(client, url));
  EXPECT_EQ(p.status, status) << url << ": " << p.detail;
  EXPECT_NE(p.detail.find(part), std::string::npos) << url << ": " << p.detail;
}

std::string download(httplib::Client& client, const std::string& id) {
  auto res = client.Get("/result/" + id + "/download");
  EXPECT_TRUE(res && res->status == 200);
  return res ? res->body : "";
}

size_t files_in(const std::filesystem::path& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

// The loopback origin is the one address these servers may reach.
ServerConfig trusting_loopback_origin(const std::filesystem::path& dir) {
  ServerConfig config = test_config(dir);
  config.url_fetch.allowed_addresses = {"127.0.0.1"};
  return config;
}

TEST(ServerUrlInput, UrlTaskGivesExactlyTheImageOfTheSameUpload) {
  LoopbackOrigin origin({{"rgb8.png", {small_png(), "image/png"}}});
  ScratchDir dir;
  TestServer server(trusting_loopback_origin(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string url = origin.url("/files/rgb8.png");

  const std::string uploaded = submit(client, small_png());
  const std::string multipart = submit_url(client, url);
  auto res = client.Post("/sr", json({{"url", url}}).dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::string from_json = json::parse(res->body).at("task_id");
  res = client.Post("/sr", httplib::Params{{"url", url}});  // x-www-form-urlencoded
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::string from_form = json::parse(res->body).at("task_id");
  // Other parameters ride along in JSON with their JSON types.
  res = client.Post("/sr", json({{"url", url}, {"scale", 2}, {"format", "jpg"}}).dump(),
                    "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 202) << res->body;
  const std::string scaled = json::parse(res->body).at("task_id");

  for (const std::string& id : {uploaded, multipart, from_json, from_form, scaled}) {
    ASSERT_TRUE(reaches_state(client, id, "success")) << task_status(client, id);
  }
  const std::string expected = download(client, uploaded);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(download(client, multipart), expected);
  EXPECT_EQ(download(client, from_json), expected);
  EXPECT_EQ(download(client, from_form), expected);
  const json task = task_status(client, multipart);
  EXPECT_EQ(task["method"], "realesrgan");
  EXPECT_EQ(task["input"]["name"], url);
  EXPECT_EQ(task["input"]["width"], 12);
  EXPECT_EQ(task["output"]["width"], 48);
  const json small = task_status(client, scaled);
  EXPECT_EQ(small["output"]["width"], 24);
  EXPECT_EQ(small["output"]["height"], 16);
  EXPECT_EQ(small["output"]["format"], "jpg");
  EXPECT_EQ(origin.requests(), 4);
}

// Without an allow-list every non-public address is refused before any
// connection: the origin never sees a request.
TEST(ServerUrlInput, LoopbackPrivateLinkLocalAndUnspecifiedAddressesAreRefused) {
  LoopbackOrigin origin({{"rgb8.png", {small_png(), "image/png"}}});
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string port = std::to_string(origin.port());
  const std::pair<std::string, std::string> cases[] = {
      {"http://127.0.0.1:" + port + "/files/rgb8.png", "127.0.0.1 (loopback)"},
      {"http://[::1]:" + port + "/files/rgb8.png", "::1 (loopback)"},
      {"http://localhost:" + port + "/files/rgb8.png", "(loopback)"},
      {"http://0.0.0.0:" + port + "/files/rgb8.png", "0.0.0.0 (unspecified)"},
      {"http://10.1.2.3/x.png", "10.1.2.3 (private)"},
      {"http://172.16.0.1/x.png", "172.16.0.1 (private)"},
      {"http://192.168.1.1:" + port + "/x.png", "192.168.1.1 (private)"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 (link-local, cloud metadata)"},
      {"https://127.0.0.1:" + port + "/files/rgb8.png", "127.0.0.1 (loopback)"},
  };
  for (const auto& [url, kind] : cases) {
    const Problem p = problem_of(post_url(client, url));
    EXPECT_EQ(p.status, 400) << url;
    EXPECT_EQ(p.code, "invalid argument") << url;
    EXPECT_NE(p.detail.find("refused to connect to "), std::string::npos) << p.detail;
    EXPECT_NE(p.detail.find(kind), std::string::npos) << url << ": " << p.detail;
    EXPECT_NE(p.detail.find("url_fetch.allowed_addresses"), std::string::npos) << p.detail;
  }
  EXPECT_EQ(origin.requests(), 0);
  EXPECT_EQ(json::parse(client.Get("/health")->body)["queue_depth"], 0);
  EXPECT_EQ(files_in(dir.path() / "inputs"), 0u);
}

TEST(ServerUrlInput, SchemesOtherThanHttpAndHttpsAreRefused) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  for (const std::string url : {"file:///etc/passwd", "ftp://127.0.0.1/x.png",
                                "gopher://127.0.0.1:70/", "dict://127.0.0.1:11211/stat"}) {
    expect_refused(client, url, 400, "only http and https URLs can be fetched");
  }
  expect_refused(client, "not a url", 400, "is not a valid absolute URL");
  expect_refused(client, "", 400, "is not a valid absolute URL");
}

// The origin is allowed; where it redirects to is checked again at connect time.
TEST(ServerUrlInput, RedirectFromAnAllowedHostToARefusedAddressIsRefused) {
  LoopbackOrigin origin({{"rgb8.png", {small_png(), "image/png"}}});
  ScratchDir dir;
  TestServer server(trusting_loopback_origin(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string port = std::to_string(origin.port());
  const std::pair<std::string, std::string> targets[] = {
      {"http://127.0.0.2:" + port + "/files/rgb8.png", "127.0.0.2 (loopback)"},
      {"http://[::1]:" + port + "/files/rgb8.png", "::1 (loopback)"},
      {"http://169.254.169.254/latest/meta-data/", "169.254.169.254 (link-local, cloud metadata)"},
      {"http://10.0.0.1/x.png", "10.0.0.1 (private)"},
      {"file:///etc/passwd", "only http and https"},
  };
  for (const auto& [target, why] : targets) {
    const int before = origin.requests();
    const Problem p = problem_of(post_url(client, origin.url("/redirect?to=" + target)));
    EXPECT_EQ(p.status, 400) << target;
    EXPECT_NE(p.detail.find("redirected to " + target), std::string::npos) << p.detail;
    EXPECT_NE(p.detail.find(why), std::string::npos) << target << ": " << p.detail;
    EXPECT_EQ(origin.requests(), before + 1) << target;
  }
  // A redirect that stays on the allowed origin is followed.
  const std::string id = submit_url(client, origin.url("/hops/1?to=/files/rgb8.png"));
  EXPECT_TRUE(reaches_state(client, id, "success")) << task_status(client, id);
  EXPECT_EQ(json::parse(client.Get("/health")->body)["queue_depth"], 0);
}

TEST(ServerUrlInput, RedirectsBeyondTheCapAreRefused) {
  LoopbackOrigin origin({{"rgb8.png", {small_png(), "image/png"}}});
  ScratchDir dir;
  ServerConfig config = trusting_loopback_origin(dir.path());
  config.url_fetch.max_redirects = 2;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string id = submit_url(client, origin.url("/hops/2?to=/files/rgb8.png"));
  EXPECT_TRUE(reaches_state(client, id, "success")) << task_status(client, id);
  const int before = origin.requests();
  expect_refused(client, origin.url("/hops/3?to=/files/rgb8.png"), 400,
                 "more than 2 redirects (url_fetch.max_redirects)");
  EXPECT_EQ(origin.requests(), before + 3);
}

TEST(ServerUrlInput, BodiesOverTheByteCapGet413LikeUploads) {
  LoopbackOrigin origin({{"rgb8.png", {small_png(), "image/png"}}});
  ScratchDir dir;
  ServerConfig config = trusting_loopback_origin(dir.path());
  config.url_fetch.max_bytes = 64 << 10;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const Problem streamed = problem_of(post_url(client, origin.url("/stream")));
  EXPECT_EQ(streamed.status, 413);
  EXPECT_EQ(streamed.code, "resource exhausted");
  EXPECT_NE(streamed.detail.find("larger than the cap of 65536 bytes (url_fetch.max_bytes)"),
            std::string::npos)
      << streamed.detail;
  // Stopped while streaming: the origin pushed what socket buffers hold, not 256 MiB.
  EXPECT_LT(origin.streamed(), 32 << 20);
  expect_refused(client, origin.url("/announced"), 413,
                 "announced 10485760 bytes, over the cap of 65536 bytes");
  EXPECT_EQ(files_in(dir.path() / "inputs"), 0u);
}

TEST(ServerUrlInput, SlowOriginTimesOutWith502) {
  LoopbackOrigin origin;
  ScratchDir dir;
  ServerConfig config = trusting_loopback_origin(dir.path());
  config.url_fetch.timeout_seconds = 1;
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const auto start = Clock::now();
  const Problem p = problem_of(post_url(client, origin.url("/slow")));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1800));
  EXPECT_EQ(p.status, 502);
  EXPECT_NE(p.detail.find("timed out"), std::string::npos) << p.detail;
  EXPECT_NE(p.detail.find("url_fetch.timeout_seconds"), std::string::npos) << p.detail;
  expect_refused(client, origin.url("/broken"), 502, "answered HTTP 500");
  expect_refused(client, origin.url("/missing"), 400, "answered HTTP 404");
}

// SIGTERM while a URL is being fetched: the fetch stops and the client gets 503.
TEST(ServerUrlInput, DrainCutsAFetchShort) {
  LoopbackOrigin origin;
  ScratchDir dir;
  TestServer server(trusting_loopback_origin(dir.path()));
  ASSERT_TRUE(server.ok());
  std::thread drainer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    server.server().drain();
  });
  auto client = server.client();
  const auto start = Clock::now();
  const Problem p = problem_of(post_url(client, origin.url("/slow")));
  drainer.join();
  EXPECT_EQ(p.status, 503) << p.detail;
  EXPECT_NE(p.detail.find("shutting down"), std::string::npos) << p.detail;
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(1900));
}

// What a URL returns is checked exactly as an upload of the same bytes: the
// same status, code and detail, with the URL in place of the file name.
TEST(ServerUrlInput, FetchedBytesGetTheChecksOfAnUpload) {
  const std::map<std::string, LoopbackOrigin::File> files = {
      {"page.html", {"<html><body>not an image</body></html>", "text/html"}},
      {"empty.png", {"", "image/png"}},
      {"bomb.png", {png_header_bomb(50000, 50000), "image/png"}},
      {"header-only.png", {read_file_bytes(fixture("rgb8.png")).substr(0, 20), "image/png"}},
      {"rgb8.png", {small_png(), "image/png"}},
  };
  LoopbackOrigin origin(files);
  ScratchDir dir;
  ServerConfig config = trusting_loopback_origin(dir.path());
  config.image_limits.max_output_pixels = 1000;  // 12 x 8 at x4 = 1536
  TestServer server(config);
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  for (const auto& [name, file] : files) {
    const std::string url = origin.url("/files/" + name);
    const Problem uploaded = problem_of(client.Post("/sr", upload("file", file.body)));
    const Problem fetched = problem_of(post_url(client, url));
    EXPECT_EQ(uploaded.status, 422) << name << ": " << uploaded.detail;
    EXPECT_EQ(fetched.status, uploaded.status) << name;
    EXPECT_EQ(fetched.code, uploaded.code) << name;
    std::string expected = uploaded.detail;
    for (size_t at = expected.find("image.png"); at != std::string::npos;
         at = expected.find("image.png", at + url.size())) {
      expected.replace(at, 9, url);
    }
    EXPECT_EQ(fetched.detail, expected) << name;
  }
  expect_refused(client, origin.url("/files/bomb.png"), 422, "50000 x 50000 = 2500000000 pixels");
  expect_refused(client, origin.url("/files/rgb8.png"), 422, "over the output limit of 1000");
  EXPECT_EQ(files_in(dir.path() / "inputs"), 0u);
}

// Truncated pixel data passes the header checks: the task fails and says why.
TEST(ServerUrlInput, TruncatedFetchedImageFailsTheTaskWithItsReason) {
  const std::string png = flat_png(64);
  LoopbackOrigin origin({{"cut.png", {png.substr(0, png.size() - 40), "image/png"}}});
  ScratchDir dir;
  TestServer server(trusting_loopback_origin(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const std::string url = origin.url("/files/cut.png");
  const std::string id = submit_url(client, url);
  ASSERT_TRUE(reaches_state(client, id, "failed")) << task_status(client, id);
  const json task = task_status(client, id);
  EXPECT_EQ(task["error_code"], "invalid image");
  EXPECT_NE(task["error"].get<std::string>().find("'" + url + "'"), std::string::npos) << task;
  EXPECT_EQ(task["error"].get<std::string>().find(dir.path().string()), std::string::npos) << task;
}

TEST(ServerUrlInput, UrlAndFileTogetherOrUrlOnTheSyncRouteAreRefused) {
  ScratchDir dir;
  TestServer server(test_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();
  const Problem both = problem_of(
      client.Post("/sr", upload("file", small_png(), {{"url", "http://example.com/x.png"}})));
  EXPECT_EQ(both.status, 400);
  EXPECT_NE(both.detail.find("not both"), std::string::npos) << both.detail;
  const Problem sync = problem_of(client.Post(
      "/upscale", httplib::MultipartFormDataItems{{"url", "http://example.com/x.png", "", ""}}));
  EXPECT_EQ(sync.status, 400);
  EXPECT_NE(sync.detail.find("send URLs to POST /sr"), std::string::npos) << sync.detail;
}

}  // namespace
}  // namespace resr::testing
