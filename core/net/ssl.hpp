// Asio/Beast TLS, included after core/net/asio.hpp (which fixes Boost 1.74's <utility>).
#pragma once

#include "core/net/beast.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
