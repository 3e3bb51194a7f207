// IoLanes: the I/O contexts of serve, handed out in turn.
#include <doctest/doctest.h>

#include "core/net/io_lanes.hpp"

namespace net = boost::asio;

TEST_CASE("io lanes: contexts handed out in turn; none when there are none") {
  CHECK_FALSE(egov::core::IoLanes().next().has_value());
  net::io_context first(1), second(1);
  const egov::core::IoLanes lanes({first.get_executor(), second.get_executor()});
  CHECK_FALSE(lanes.empty());
  for (int round = 0; round < 2; ++round) {
    CHECK(&net::query(*lanes.next(), net::execution::context) == &first);
    CHECK(&net::query(*lanes.next(), net::execution::context) == &second);
  }
}
