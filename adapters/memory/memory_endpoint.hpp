// The `memory` adapter: an in-process endpoint that lets a test (or a demo) drive a whole
// route without sockets. It echoes the request, answers a fixed reply, fails with a chosen
// error kind, or runs a handler a test installs; it records every body it receives.
//
//   echo:   { type: memory }
//   fixed:  { type: memory, reply: { json: '{"ok":true}' } }    # or xml: '...', or file: PATH
//   broken: { type: memory, error: backend_unavailable, status: 503 }
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/endpoint.hpp"

namespace egov::adapters::memory {

class MemoryEndpoint : public core::Endpoint {
 public:
  using Handler = std::function<core::Result<core::XmlDocPtr>(const core::CallRequest&)>;

  MemoryEndpoint(std::string name, std::optional<std::string> reply_xml,
                 std::optional<core::Error> error);

  awaitable<core::Result<core::XmlDocPtr>> call(const core::CallRequest& request) override;

  // Test hooks; thread-safe.
  void setHandler(Handler handler);
  std::vector<std::string> received() const;  // serialized bodies, in call order

 private:
  std::optional<std::string> reply_xml_;  // canonical reply, parsed afresh per call
  std::optional<core::Error> error_;
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<std::string> received_;
};

std::shared_ptr<core::Endpoint> makeMemoryEndpoint(const core::EndpointContext& context);

}  // namespace egov::adapters::memory
