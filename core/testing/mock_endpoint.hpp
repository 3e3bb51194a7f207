// The in-process stand-in `egovbus test` puts in place of every endpoint of a config: it
// answers each call with the next reply a case scripted (a body, or an error of a chosen
// kind, as the real adapter would report a SOAP fault or a refused connection) and records
// what the route sent. It opens no socket, file or database.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/endpoint.hpp"

namespace egov::core::testing {

// One scripted answer: a reply body (canonical XML text) or an error.
struct MockReply {
  std::optional<std::string> body;
  std::optional<Error> error;
  std::string where;  // "file:line" of the mock in its case file
};

class MockEndpoint : public Endpoint {
 public:
  MockEndpoint(std::string name, std::string type) : Endpoint(std::move(name), std::move(type)) {}

  awaitable<Result<XmlDocPtr>> call(const CallRequest& request) override;

  // Replaces the script and forgets what was received (one case at a time).
  void script(std::vector<MockReply> replies);
  std::vector<std::string> received() const;  // serialized bodies, in call order
  std::size_t unusedReplies() const;

 private:
  mutable std::mutex mutex_;
  std::vector<MockReply> replies_;
  std::vector<std::string> received_;
};

// `real` with every endpoint type built as a MockEndpoint (whatever its settings: adapters
// never see them, so no file, URL or ${env:} reference is read), and inbound handlers and
// sources left out (a route runs without them). SPID stays as configured.
AdapterRegistry mockedAdapters(const AdapterRegistry& real);

}  // namespace egov::core::testing
