// The web page's files (page.html, page.css, page.js beside this header),
// compiled into the server by embed_assets.cmake: nothing is read at run time.
#pragma once

#include <string_view>

namespace resr {

extern const std::string_view kUiPageHtml;
extern const std::string_view kUiPageCss;
extern const std::string_view kUiPageJs;

}  // namespace resr
