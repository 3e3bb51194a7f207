// The bus of a TempConfig served over real sockets: Bus, ApiHandler and HttpServer on
// 127.0.0.1 with a port the system picks, run by threads of its own until destroyed.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/engine/bus.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "tests/support/temp_config.hpp"

namespace egov::test {

class ServedBus {
 public:
  // Loads conf/bus.yaml of `config` (the test fails when it has errors) and serves it.
  explicit ServedBus(TempConfig& config, unsigned threads = 2) {
    bus_ = std::make_unique<core::Bus>(config.root() / "conf/bus.yaml", config.adapters(),
                                       config.runtime());
    core::ConfigErrors errors;
    REQUIRE_MESSAGE(bus_->reload(errors), errors.str());
    api_ = std::make_unique<core::ApiHandler>(*bus_);
    server_ = std::make_unique<core::HttpServer>(
        io_, [this](HttpRequest request) { return api_->handle(std::move(request)); },
        [this] { return bus_->generation()->bus.limits; });
    server_->setRefusalResponder(
        [this](const HttpRequest& request, const core::Error& error, http::status status) {
          return api_->refuseUnread(request, error, status);
        });
    port_ = server_->listen("127.0.0.1", 0);
    server_->start();
    for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~ServedBus() {
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  ServedBus(const ServedBus&) = delete;
  ServedBus& operator=(const ServedBus&) = delete;

  core::Bus& bus() { return *bus_; }
  core::HttpServer& server() { return *server_; }
  unsigned short port() const { return port_; }
  // "http://127.0.0.1:<port>" followed by `target`.
  std::string url(std::string_view target = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
  }

 private:
  std::unique_ptr<core::Bus> bus_;
  std::unique_ptr<core::ApiHandler> api_;
  net::io_context io_{2};
  std::unique_ptr<core::HttpServer> server_;
  std::vector<std::thread> threads_;
  unsigned short port_ = 0;
};

}  // namespace egov::test
