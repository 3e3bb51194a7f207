#include "core/testing/mock_endpoint.hpp"

namespace egov::core::testing {

awaitable<Result<XmlDocPtr>> MockEndpoint::call(const CallRequest& request) {
  std::optional<MockReply> reply;
  std::size_t call_number = 0, scripted = 0;
  {
    std::lock_guard lock(mutex_);
    received_.push_back(serializeXml(request.body));
    call_number = received_.size();
    scripted = replies_.size();
    if (call_number <= scripted) reply = replies_[call_number - 1];
  }
  if (!reply) {
    co_return makeError(ErrorKind::internal, "egovbus test: call " + std::to_string(call_number) +
                                                 " to " + name() +
                                                 " has no mocked reply (the case gives " +
                                                 std::to_string(scripted) + ")");
  }
  if (reply->error) co_return *reply->error;
  if (!reply->body) co_return makeError(ErrorKind::internal, reply->where + ": no mocked body");
  co_return parseXml(*reply->body, {}, reply->where.c_str());
}

void MockEndpoint::script(std::vector<MockReply> replies) {
  std::lock_guard lock(mutex_);
  replies_ = std::move(replies);
  received_.clear();
}

std::vector<std::string> MockEndpoint::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::size_t MockEndpoint::unusedReplies() const {
  std::lock_guard lock(mutex_);
  return replies_.size() > received_.size() ? replies_.size() - received_.size() : 0;
}

AdapterRegistry mockedAdapters(const AdapterRegistry& real) {
  AdapterRegistry mocked;
  for (const auto& type : real.types()) {
    mocked.add(type, [type](const EndpointContext& context) -> std::shared_ptr<Endpoint> {
      return std::make_shared<MockEndpoint>(context.name, type);
    });
  }
  for (const auto& type : real.inboundTypes()) {
    mocked.addInbound(type, [](const InboundContext&) { return nullptr; });
  }
  for (const auto& type : real.sourceTypes()) {
    mocked.addSource(type, [](const SourceContext&) { return nullptr; });
  }
  mocked.setSpidVerifierFactory(real.spidVerifierFactory());
  return mocked;
}

}  // namespace egov::core::testing
