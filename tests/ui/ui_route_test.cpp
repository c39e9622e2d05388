// The web page's routes over real HTTP: GET /ui and its script and style
// sheet, GET / for a browser, the security headers, and the token they need.
#include <gtest/gtest.h>

#include "server/server_test_support.hpp"

namespace resr::testing {
namespace {

using nlohmann::json;

constexpr const char* kBrowserAccept =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

ServerConfig token_config(const std::filesystem::path& dir) {
  ServerConfig config = test_config(dir);
  config.token = "s3cret";
  return config;
}

void expect_locked_down(const httplib::Result& res, const std::string& what) {
  ASSERT_TRUE(res) << what;
  const std::string csp = res->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << what << ": " << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(csp.find("http"), std::string::npos) << what << " names an origin: " << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(csp.find('*'), std::string::npos) << what << ": " << csp;
  EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << what;
  EXPECT_EQ(res->get_header_value("Referrer-Policy"), "no-referrer") << what;
}

TEST(UiRoute, PageScriptAndStyleAreServedWithoutTokenAndLockedDown) {
  ScratchDir dir;
  TestServer server(token_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto client = server.client();  // no token: the page holds no secret

  auto page = client.Get("/ui");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  expect_locked_down(page, "/ui");
  EXPECT_NE(page->body.find("<script src=\"/ui/page.js\""), std::string::npos);
  EXPECT_NE(page->body.find("<link rel=\"stylesheet\" href=\"/ui/page.css\""), std::string::npos);
  // Self-contained: no inline script, no other origin.
  EXPECT_EQ(page->body.find("<script>"), std::string::npos);
  for (const char* external : {"=\"http", "=\"//", "url("}) {
    EXPECT_EQ(page->body.find(external), std::string::npos) << external;
  }

  auto script = client.Get("/ui/page.js");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->status, 200);
  EXPECT_EQ(script->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(script->body.find("sessionStorage"), std::string::npos);
  expect_locked_down(script, "/ui/page.js");

  auto style = client.Get("/ui/page.css");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->status, 200);
  EXPECT_EQ(style->get_header_value("Content-Type"), "text/css; charset=utf-8");
  expect_locked_down(style, "/ui/page.css");

  // The API itself still needs the token.
  EXPECT_EQ(client.Get("/health")->status, 401);
}

TEST(UiRoute, RootServesThePageToBrowsersAndJsonToOtherClients) {
  ScratchDir dir;
  TestServer server(token_config(dir.path()));
  ASSERT_TRUE(server.ok());
  auto anonymous = server.client();

  auto page = anonymous.Get("/", {{"Accept", kBrowserAccept}});
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(page->body, anonymous.Get("/ui")->body);
  expect_locked_down(page, "/ (browser)");

  // curl's */*, no Accept at all, JSON first, or html refused: the JSON answer,
  // which needs the token.
  for (const char* accept : {"*/*", "", "application/json, text/html;q=0.9", "text/html;q=0"}) {
    httplib::Headers headers;
    if (*accept != '\0') headers.insert({"Accept", accept});
    EXPECT_EQ(anonymous.Get("/", headers)->status, 401) << accept;
    auto with_token = server.client("s3cret").Get("/", headers);
    ASSERT_TRUE(with_token);
    EXPECT_EQ(with_token->status, 200) << accept;
    EXPECT_EQ(json::parse(with_token->body).value("name", ""), "real-esrgan-serve") << accept;
  }
}

}  // namespace
}  // namespace resr::testing
