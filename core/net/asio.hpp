// The only way the project includes Asio/Beast.
// Boost 1.74's awaitable header uses std::exchange without including <utility>.
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace egov {
namespace net = boost::asio;
using net::awaitable;
}  // namespace egov
