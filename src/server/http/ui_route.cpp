#include "server/http/ui_route.hpp"

#include <cctype>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "server/ui/ui_assets.hpp"

namespace resr {

namespace {

using nlohmann::json;

// Everything the page loads comes from this server: no other origin may serve
// it a script, a style, an image or a connection, or frame it. Images of
// results are blob: URLs made from authorized fetches.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

void send_ui_file(httplib::Response& res, std::string_view body, const char* content_type) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  // A server that was upgraded serves its own page, not the browser's copy.
  res.set_header("Cache-Control", "no-cache");
  res.set_content(body.data(), body.size(), content_type);
}

std::string trimmed_lower(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The q value an Accept header gives `type`: that of its most specific
// matching range (RFC 9110 12.5.1), 0 when none matches.
double accept_quality(const std::string& accept, std::string_view type) {
  const std::string any_subtype = std::string(type.substr(0, type.find('/'))) + "/*";
  int best = -1;
  double quality = 0.0;
  std::istringstream ranges(accept);
  for (std::string range; std::getline(ranges, range, ',');) {
    std::istringstream parts(range);
    std::string media;
    std::getline(parts, media, ';');
    media = trimmed_lower(media);
    double q = 1.0;
    for (std::string parameter; std::getline(parts, parameter, ';');) {
      parameter = trimmed_lower(parameter);
      if (parameter.rfind("q=", 0) == 0) q = std::strtod(parameter.c_str() + 2, nullptr);
    }
    const int specificity = media == type ? 2 : media == any_subtype ? 1 : media == "*/*" ? 0 : -1;
    if (specificity > best) {
      best = specificity;
      quality = q;
    }
  }
  return quality;
}

json text_response(const char* description, const char* content_type) {
  return {{"description", description}, {"content", {{content_type, json::object()}}}};
}

json ui_path(const char* summary, const char* content_type) {
  return {{"get",
           {{"summary", summary},
            {"security", json::array()},
            {"responses", {{"200", text_response("the file", content_type)}}}}}};
}

}  // namespace

void get_ui_page(ApiContext&, const httplib::Request&, httplib::Response& res) {
  send_ui_file(res, kUiPageHtml, "text/html; charset=utf-8");
}

void get_ui_script(ApiContext&, const httplib::Request&, httplib::Response& res) {
  send_ui_file(res, kUiPageJs, "text/javascript; charset=utf-8");
}

void get_ui_style(ApiContext&, const httplib::Request&, httplib::Response& res) {
  send_ui_file(res, kUiPageCss, "text/css; charset=utf-8");
}

bool prefers_html(const httplib::Request& req) {
  const std::string accept = req.get_header_value("Accept");
  return accept_quality(accept, "text/html") > accept_quality(accept, "application/json");
}

void add_ui_to_openapi(json& paths) {
  paths["/ui"] = ui_path("the web page (no token needed; it asks for one)", "text/html");
  paths["/ui/page.js"] = ui_path("the web page's script", "text/javascript");
  paths["/ui/page.css"] = ui_path("the web page's style sheet", "text/css");
  paths["/"]["get"]["responses"]["200"]["content"]["text/html"] = {
      {"description", "the web page, when Accept ranks text/html above application/json"}};
}

}  // namespace resr
