#include "adapters/memory/memory_endpoint.hpp"

#include <fstream>
#include <sstream>

#include "core/json/json_xml.hpp"

namespace egov::adapters::memory {

using core::ErrorKind;

MemoryEndpoint::MemoryEndpoint(std::string name, std::optional<std::string> reply_xml,
                               std::optional<core::Error> error)
    : Endpoint(std::move(name), "memory"),
      reply_xml_(std::move(reply_xml)),
      error_(std::move(error)) {}

awaitable<core::Result<core::XmlDocPtr>> MemoryEndpoint::call(const core::CallRequest& request) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    received_.push_back(core::serializeXml(request.body));
    handler = handler_;
  }
  if (core::Clock::now() >= request.deadline) {
    co_return core::makeError(ErrorKind::deadline_exceeded, name() + ": deadline passed");
  }
  if (handler) co_return handler(request);
  if (error_) co_return *error_;
  if (reply_xml_) co_return core::parseXml(*reply_xml_, {}, name().c_str());
  auto copy = core::copyXml(request.body);
  if (!copy) co_return core::makeError(ErrorKind::internal, "out of memory");
  co_return std::move(copy);
}

void MemoryEndpoint::setHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<std::string> MemoryEndpoint::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

namespace {

// The fixed reply, turned into canonical XML once at load so a bad one is a config error.
std::optional<std::string> loadReply(const core::ConfigNode& reply) {
  if (!reply.allowKeys({"json", "xml", "file"})) return std::nullopt;
  std::string text;
  bool is_json = true;
  if (reply.has("json")) {
    text = reply.requiredString("json");
  } else if (reply.has("xml")) {
    text = reply.requiredString("xml");
    is_json = false;
  } else if (reply.has("file")) {
    auto path = reply.requiredString("file");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      reply.errorAt("file", "cannot read " + path);
      return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
    is_json = path.size() < 4 || path.substr(path.size() - 4) != ".xml";
  } else {
    reply.error("expected one of json, xml, file");
    return std::nullopt;
  }
  auto doc = is_json ? core::jsonToXml(text) : core::parseXml(text);
  if (!doc) {
    reply.error(doc.error().message);
    return std::nullopt;
  }
  return core::serializeXml(**doc);
}

}  // namespace

std::shared_ptr<core::Endpoint> makeMemoryEndpoint(const core::EndpointContext& context) {
  const auto& settings = context.settings;
  const auto errors_before = settings.errors().size();
  settings.allowKeys({"type", "reply", "error", "status"});
  std::optional<std::string> reply;
  if (settings.has("reply")) reply = loadReply(settings["reply"]);
  std::optional<core::Error> error;
  if (settings.has("error")) {
    auto name = settings.requiredString("error");
    auto kind = core::errorKindFromName(name);
    if (!kind) {
      settings.errorAt("error", "unknown error kind " + name);
    } else {
      auto status = static_cast<int>(settings.integer("status", 0, 0, 599));
      error = core::Error{*kind, context.name + ": simulated " + name, status};
    }
  }
  if (settings.errors().size() != errors_before) return nullptr;
  return std::make_shared<MemoryEndpoint>(context.name, std::move(reply), std::move(error));
}

}  // namespace egov::adapters::memory
