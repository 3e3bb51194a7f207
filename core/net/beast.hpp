#pragma once

#include "core/net/asio.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace egov {
namespace beast = boost::beast;
namespace http = boost::beast::http;
using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
}  // namespace egov
