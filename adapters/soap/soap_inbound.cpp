#include "adapters/soap/soap_inbound.hpp"

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "adapters/http/http_config.hpp"
#include "adapters/soap/soap_config.hpp"
#include "adapters/soap/soap_message.hpp"
#include "core/common/ids.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/dispatch.hpp"
#include "core/log/log.hpp"
#include "core/net/problem.hpp"
#include "core/schema/xsd_schema.hpp"

namespace egov::adapters::soap {
namespace {

using core::ErrorKind;
using core::makeError;

constexpr const char* kWsdlSoapNs = "http://schemas.xmlsoap.org/wsdl/soap/";
constexpr const char* kWsdlSoap12Ns = "http://schemas.xmlsoap.org/wsdl/soap12/";

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

bool isElement(const xmlNode* node, const char* name, const char* ns) {
  return node && node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, x(name)) && node->ns &&
         xmlStrEqual(node->ns->href, x(ns));
}

bool isBlank(const xmlNode* node) {
  if (node->type == XML_COMMENT_NODE) return true;
  if (node->type != XML_TEXT_NODE) return false;
  const std::string text = core::xmlText(node);
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// "{namespace}local", or "local" for an element in no namespace.
std::string clarkName(const xmlNode& element) {
  const std::string local = reinterpret_cast<const char*>(element.name);
  if (!element.ns || !element.ns->href) return local;
  return "{" + std::string(reinterpret_cast<const char*>(element.ns->href)) + "}" + local;
}

struct SoapInboundConfig {
  std::optional<SoapVersion> only;  // the one version accepted, when configured
  std::string fixed_tenant;         // `tenant:` when the path has no {tenant}
  std::shared_ptr<const xmlDoc> wsdl;
  std::shared_ptr<const core::XsdSchema> schema;
  std::map<std::string, std::string> operations;  // Clark name -> service
};

// What the caller gets: a fault code class and the bus's error.
enum class FaultCode { client, server, version_mismatch, must_understand };

FaultCode codeOf(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::bad_request:
    case ErrorKind::not_found:
    case ErrorKind::method_not_allowed:
    case ErrorKind::payload_too_large:
    case ErrorKind::unsupported_media_type:
    case ErrorKind::not_acceptable:
    case ErrorKind::validation_failed:
    case ErrorKind::rate_limited:
    case ErrorKind::unauthorized:
    case ErrorKind::forbidden:
      return FaultCode::client;
    default:
      return FaultCode::server;
  }
}

class SoapInbound final : public core::InboundHandler {
 public:
  SoapInbound(std::string name, SoapInboundConfig config)
      : InboundHandler(std::move(name), "soap"), config_(std::move(config)) {}

  // Refused by the listener (no or unknown credentials, a tenant out of scope, the client's
  // rate, a request the HTTP server could not take): a fault in the version the
  // Content-Type suggests, with the HTTP status of the refusal (401, 403, 429, 413, ...).
  HttpResponse refuse(const core::InboundRequest& request,
                      const core::Error& error) const override {
    auto response =
        fault(request, versionOf(request.http), FaultCode::client, error, core::newUuid());
    response.result(static_cast<egov::http::status>(core::httpStatus(error.kind)));
    return response;
  }

  awaitable<HttpResponse> handle(core::InboundRequest request) override {
    const auto& http_request = request.http;
    // Until the envelope says otherwise, answer in the version the Content-Type suggests.
    SoapVersion version = versionOf(http_request);
    // ?wsdl, as most stacks ask (.NET and some tools write ?WSDL).
    const bool wsdl = request.query == "wsdl" || request.query == "WSDL";
    if (http_request.method() == egov::http::verb::get && wsdl && config_.wsdl) {
      co_return wsdlResponse(request);
    }
    core::Exchange exchange;
    exchange.id = core::newTimeOrderedUuid();
    if (http_request.method() != egov::http::verb::post) {
      co_return fault(
          request, version, FaultCode::client,
          makeError(ErrorKind::method_not_allowed,
                    config_.wsdl ? "POST a SOAP envelope, or GET ?wsdl" : "POST a SOAP envelope"),
          exchange.id);
    }
    // The envelope: XML within the bus's limits, a known version, no header we must understand.
    const auto& limits = request.generation.bus.limits;
    core::XmlLimits xml_limits;
    xml_limits.max_bytes = limits.max_body_bytes;
    xml_limits.max_depth = limits.xml_depth;
    auto parsed = core::parseXml(http_request.body(), xml_limits, "request");
    if (!parsed) {
      co_return fault(request, version, FaultCode::client, std::move(parsed).error(), exchange.id);
    }
    xmlNode* root = xmlDocGetRootElement(parsed->get());
    const bool is11 = isElement(root, "Envelope", kSoap11Ns);
    const bool is12 = isElement(root, "Envelope", kSoap12Ns);
    if (!is11 && !is12) {
      co_return fault(request, version, FaultCode::version_mismatch,
                      makeError(ErrorKind::bad_request, "not a SOAP 1.1 or 1.2 Envelope"),
                      exchange.id);
    }
    const SoapVersion sent = is11 ? SoapVersion::v11 : SoapVersion::v12;
    if (config_.only && *config_.only != sent) {
      co_return fault(
          request, version, FaultCode::version_mismatch,
          makeError(ErrorKind::bad_request, std::string("this service speaks SOAP ") +
                                                (version == SoapVersion::v11 ? "1.1" : "1.2")),
          exchange.id);
    }
    version = sent;
    auto payload = readEnvelope(*root, version);
    if (!payload)
      co_return fault(request, version,
                      payload.error().kind == ErrorKind::not_acceptable ? FaultCode::must_understand
                                                                        : FaultCode::client,
                      std::move(payload).error(), exchange.id);

    auto reply = co_await run(request, version, std::move(payload).value(), exchange);
    if (!reply) {
      co_return fault(request, version, codeOf(reply.error().kind), std::move(reply).error(),
                      exchange.id);
    }
    co_return std::move(reply).value();
  }

 private:
  SoapVersion versionOf(const HttpRequest& request) const {
    return config_.only.value_or(contentType(request).starts_with("application/soap+xml")
                                     ? SoapVersion::v12
                                     : SoapVersion::v11);
  }

  static std::string_view contentType(const HttpRequest& request) {
    auto it = request.find(egov::http::field::content_type);
    if (it == request.end()) return {};
    return std::string_view(it->value().data(), it->value().size());
  }

  // Header (optional, nothing mustUnderstand) and Body with exactly one element.
  // A mustUnderstand header is reported as not_acceptable (becomes a MustUnderstand fault).
  core::Result<core::XmlDocPtr> readEnvelope(xmlNode& envelope, SoapVersion version) const {
    const char* ns = envelopeNamespace(version);
    xmlNode* header = nullptr;
    xmlNode* body = nullptr;
    for (xmlNode* child = envelope.children; child; child = child->next) {
      if (isBlank(child)) continue;
      if (isElement(child, "Header", ns) && !header && !body) {
        header = child;
      } else if (isElement(child, "Body", ns) && !body) {
        body = child;
      } else {
        return makeError(ErrorKind::bad_request, "unexpected content in the SOAP Envelope");
      }
    }
    if (!body) return makeError(ErrorKind::bad_request, "the SOAP Envelope has no Body");
    for (xmlNode* block = header ? header->children : nullptr; block; block = block->next) {
      if (block->type != XML_ELEMENT_NODE) continue;
      xmlChar* must = xmlGetNsProp(block, x("mustUnderstand"), x(ns));
      const bool required = must && (xmlStrEqual(must, x("1")) || xmlStrEqual(must, x("true")));
      xmlFree(must);
      if (required) {
        return makeError(ErrorKind::not_acceptable,
                         "header " + clarkName(*block) + " is not understood by this service");
      }
    }
    auto payload = extractPayload(*body);
    if (!payload) {
      auto error = std::move(payload).error();
      if (error.kind == ErrorKind::backend_invalid) error.kind = ErrorKind::bad_request;
      return error;
    }
    return payload;
  }

  awaitable<core::Result<HttpResponse>> run(core::InboundRequest& request, SoapVersion version,
                                            core::XmlDocPtr payload, core::Exchange& exchange) {
    const core::Tenant* tenant = request.tenant;
    if (!config_.fixed_tenant.empty()) tenant = request.generation.findTenant(config_.fixed_tenant);
    if (!tenant) {
      co_return makeError(ErrorKind::not_found, "unknown tenant " + request.tenant_key);
    }
    if (request.bus.draining()) co_return makeError(ErrorKind::unavailable, "the bus is draining");
    if (auto admitted = tenant->guard->admit(tenant->rate_limit); !admitted) {
      auto error = std::move(admitted).error();
      error.kind = ErrorKind::rate_limited;
      error.message = "tenant " + tenant->slug + ": request rate limit reached";
      co_return error;
    }
    const std::string operation = clarkName(*xmlDocGetRootElement(payload.get()));
    auto it = config_.operations.find(operation);
    if (it == config_.operations.end()) {
      co_return makeError(ErrorKind::not_found, "unknown operation " + operation);
    }
    // The client's scope, before anything tells whether the tenant has this service.
    if (auto allowed = request.authorize(*tenant, it->second); !allowed) {
      co_return std::move(allowed).error();
    }
    const core::Route* route = core::Generation::findRoute(*tenant, it->second);
    if (!route) {
      co_return makeError(ErrorKind::not_found,
                          "tenant " + tenant->slug + " has no service " + it->second);
    }
    if (config_.schema) {
      if (auto valid = config_.schema->validate(*payload); !valid) {
        auto error = std::move(valid).error();
        error.kind = ErrorKind::validation_failed;
        co_return error;
      }
    }
    exchange.trace_id = exchange.id;
    if (auto id = request.http.find("X-Request-Id"); id != request.http.end()) {
      static const std::regex kTrace("[A-Za-z0-9._-]{1,128}");
      const std::string value(id->value().data(), id->value().size());
      if (std::regex_match(value, kTrace)) exchange.trace_id = value;
    }
    exchange.tenant_istat = tenant->istat;
    exchange.tenant_slug = tenant->slug;
    exchange.service = it->second;
    exchange.method = "POST";
    exchange.identity.client = request.principal ? request.clientName() : "soap:" + name();
    exchange.deadline = core::Clock::now() + route->deadline;
    exchange.body = std::move(payload);
    core::Submission submission;
    if (auto key = request.http.find("Idempotency-Key"); key != request.http.end()) {
      submission.idempotency_key.assign(key->value().data(), key->value().size());
    }
    auto submitted = co_await core::submitExchange(request.bus, request.generation, *tenant, *route,
                                                   exchange, std::move(submission));
    if (!submitted) co_return std::move(submitted).error();
    if (submitted->queued) {
      HttpResponse accepted{egov::http::status::accepted, request.http.version()};
      accepted.set("X-Egov-Exchange-Id", submitted->journal_id);
      if (submitted->duplicate) accepted.set("Idempotent-Replayed", "true");
      accepted.prepare_payload();
      co_return accepted;
    }
    co_return envelopeResponse(request, version, egov::http::status::ok,
                               xmlDocGetRootElement(exchange.body.get()), exchange.id);
  }

  struct Envelope {
    core::XmlDocPtr doc;
    xmlNode* body = nullptr;
    xmlNs* ns = nullptr;
  };

  static Envelope newEnvelope(SoapVersion version) {
    Envelope envelope{core::XmlDocPtr(xmlNewDoc(x("1.0")))};
    xmlNode* root = xmlNewDocNode(envelope.doc.get(), nullptr, x("Envelope"), nullptr);
    xmlDocSetRootElement(envelope.doc.get(), root);
    envelope.ns = xmlNewNs(root, x(envelopeNamespace(version)), x("soap"));
    xmlSetNs(root, envelope.ns);
    envelope.body = xmlNewChild(root, envelope.ns, x("Body"), nullptr);
    return envelope;
  }

  // An element in no namespace (xmlNewChild would give it its parent's).
  static xmlNode* plainChild(xmlNode* parent, const char* name, const std::string* text) {
    xmlNode* node = xmlNewDocNode(parent->doc, nullptr, x(name), nullptr);
    if (text) xmlNodeAddContent(node, x(text->c_str()));
    return xmlAddChild(parent, node);
  }

  static HttpResponse send(const core::InboundRequest& request, SoapVersion version,
                           egov::http::status status, const xmlDoc& doc,
                           const std::string& exchange_id) {
    HttpResponse response{status, request.http.version()};
    response.set(egov::http::field::content_type, version == SoapVersion::v11
                                                      ? "text/xml; charset=utf-8"
                                                      : "application/soap+xml; charset=utf-8");
    response.set("X-Egov-Exchange-Id", exchange_id);
    response.body() = core::serializeXml(doc, true);
    response.prepare_payload();
    return response;
  }

  static HttpResponse envelopeResponse(const core::InboundRequest& request, SoapVersion version,
                                       egov::http::status status, const xmlNode* payload,
                                       const std::string& exchange_id) {
    Envelope envelope = newEnvelope(version);
    // The payload is the root of its document, so it declares every namespace it uses and
    // the copy carries them along (reconciling would rename a default namespace).
    if (payload) {
      xmlAddChild(envelope.body,
                  xmlDocCopyNode(const_cast<xmlNode*>(payload), envelope.doc.get(), 1));
    }
    return send(request, version, status, *envelope.doc, exchange_id);
  }

  HttpResponse fault(const core::InboundRequest& request, SoapVersion version, FaultCode code,
                     core::Error error, const std::string& exchange_id) const {
    const bool v11 = version == SoapVersion::v11;
    const char* value = "";
    switch (code) {
      case FaultCode::client:
        value = v11 ? "soap:Client" : "soap:Sender";
        break;
      case FaultCode::server:
        value = v11 ? "soap:Server" : "soap:Receiver";
        break;
      case FaultCode::version_mismatch:
        value = "soap:VersionMismatch";
        break;
      case FaultCode::must_understand:
        value = "soap:MustUnderstand";
        break;
    }
    const std::string kind(core::errorKindName(error.kind));
    const std::string text = kind + ": " + error.message;
    Envelope envelope = newEnvelope(version);
    xmlNs* soap_ns = envelope.ns;
    xmlNode* fault = xmlNewChild(envelope.body, soap_ns, x("Fault"), nullptr);
    xmlNode* detail = nullptr;
    if (v11) {
      // faultcode, faultstring and detail are unqualified in SOAP 1.1.
      const std::string code_text = value;
      plainChild(fault, "faultcode", &code_text);
      plainChild(fault, "faultstring", &text);
      detail = plainChild(fault, "detail", nullptr);
    } else {
      xmlNode* code_node = xmlNewChild(fault, soap_ns, x("Code"), nullptr);
      xmlNewTextChild(code_node, soap_ns, x("Value"), x(value));
      xmlNode* reason = xmlNewChild(fault, soap_ns, x("Reason"), nullptr);
      xmlNode* reason_text = xmlNewTextChild(reason, soap_ns, x("Text"), x(text.c_str()));
      xmlNodeSetLang(reason_text, x("en"));
      detail = xmlNewChild(fault, soap_ns, x("Detail"), nullptr);
    }
    xmlNode* egov = xmlNewDocNode(envelope.doc.get(), nullptr, x("error"), nullptr);
    xmlAddChild(detail, egov);
    xmlSetNs(egov, xmlNewNs(egov, x(kSoapFaultNs), x("egov")));
    xmlNewProp(egov, x("kind"), x(kind.c_str()));
    xmlNewProp(egov, x("exchange-id"), x(exchange_id.c_str()));

    const bool sender = code != FaultCode::server;
    // SOAP 1.1 over HTTP: every fault is a 500. SOAP 1.2: 400 for the sender's, else 500.
    // A refused caller gets HTTP's own 401 or 403, so HTTP clients and proxies see it.
    auto status = !v11 && sender ? egov::http::status::bad_request
                                 : egov::http::status::internal_server_error;
    if (error.kind == ErrorKind::unauthorized) status = egov::http::status::unauthorized;
    if (error.kind == ErrorKind::forbidden) status = egov::http::status::forbidden;
    if (error.kind == ErrorKind::rate_limited) status = egov::http::status::too_many_requests;
    HttpResponse response = send(request, version, status, *envelope.doc, exchange_id);
    if (error.kind == ErrorKind::unauthorized)
      response.set(egov::http::field::www_authenticate, "Bearer");
    if (error.retry_after_s > 0)
      response.set(egov::http::field::retry_after, std::to_string(error.retry_after_s));
    core::logEvent(sender ? core::LogLevel::info : core::LogLevel::warn, "soap fault",
                   {{"inbound", std::string_view(name())},
                    {"exchange_id", std::string_view(exchange_id)},
                    {"code", std::string_view(value)},
                    {"detail", std::string_view(text)}});
    return response;
  }

  HttpResponse wsdlResponse(const core::InboundRequest& request) const {
    core::XmlDocPtr copy = core::copyXml(*config_.wsdl);
    std::string host = "localhost";
    if (auto it = request.http.find(egov::http::field::host); it != request.http.end()) {
      static const std::regex kHost(
          "[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?");
      const std::string value(it->value().data(), it->value().size());
      if (std::regex_match(value, kHost)) host = value;
    }
    const std::string location = "http://" + host + std::string(request.path);
    setAddresses(xmlDocGetRootElement(copy.get()), location);
    HttpResponse response{egov::http::status::ok, request.http.version()};
    response.set(egov::http::field::content_type, "text/xml; charset=utf-8");
    response.body() = core::serializeXml(*copy, true);
    response.prepare_payload();
    return response;
  }

  // Every soap:address and soap12:address points at the path the WSDL was asked from.
  static void setAddresses(xmlNode* node, const std::string& location) {
    for (; node; node = node->next) {
      if (isElement(node, "address", kWsdlSoapNs) || isElement(node, "address", kWsdlSoap12Ns)) {
        xmlSetProp(node, x("location"), x(location.c_str()));
      }
      if (node->type == XML_ELEMENT_NODE) setAddresses(node->children, location);
    }
  }

  const SoapInboundConfig config_;
};

std::optional<SoapInboundConfig> parseInbound(const core::InboundContext& context) {
  const auto& settings = context.settings;
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys({"version", "wsdl", "schema", "operations", "tenant"});
  SoapInboundConfig config;
  const std::string version = settings.optionalString("version", "any");
  if (version == "1.1") {
    config.only = SoapVersion::v11;
  } else if (version == "1.2") {
    config.only = SoapVersion::v12;
  } else if (version != "any") {
    settings.errorAt("version", "expected \"1.1\", \"1.2\" or any");
  }
  const std::string path = settings.optionalString("path");
  const bool per_tenant = path.find("{tenant}") != std::string::npos;
  config.fixed_tenant = settings.optionalString("tenant");
  if (!config.fixed_tenant.empty()) {
    if (per_tenant) {
      settings.errorAt("tenant", "the path already has a {tenant} segment");
    } else if (!context.generation.findTenant(config.fixed_tenant)) {
      settings.errorAt("tenant", "unknown tenant " + config.fixed_tenant);
    }
  } else if (!per_tenant && !path.empty()) {
    settings.errorAt("path", "needs a {tenant} segment, or set `tenant:`");
  }
  if (settings.has("wsdl")) {
    const std::string file = http::resolveConfigPath(settings, settings.optionalString("wsdl"));
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto doc = in ? core::parseXml(text.str(), {}, "wsdl")
                  : core::Result<core::XmlDocPtr>(makeError(ErrorKind::not_found, "cannot read"));
    if (!doc) {
      settings.errorAt("wsdl", file + ": " + doc.error().message);
    } else {
      config.wsdl = std::shared_ptr<const xmlDoc>(std::move(doc).value());
    }
  }
  if (settings.has("schema")) {
    const std::string file = http::resolveConfigPath(settings, settings.optionalString("schema"));
    auto schema = core::XsdSchema::load(file);
    if (schema) {
      config.schema = std::move(*schema);
    } else {
      settings.errorAt("schema", "schema does not load: " + schema.error().message);
    }
  }
  if (!settings.has("operations")) {
    settings.errorAt("operations", "missing key");
  } else if (auto operations = settings["operations"]; operations.expectMap()) {
    static const std::regex kClark("(\\{[^{}\\s]+\\})?[A-Za-z_][A-Za-z0-9._-]*");
    static const std::regex kService("[a-z0-9-]+(\\.[a-z0-9-]+)+");
    for (const auto& [element, service] : operations.entries()) {
      if (!std::regex_match(element, kClark)) {
        operations.errorAt(element, "expected an element name as {namespace}local");
      }
      const std::string name = service.asString();
      if (!std::regex_match(name, kService)) {
        service.error("expected a service name such as tributi.posizioni");
      }
      config.operations[element] = name;
    }
    if (config.operations.empty()) operations.error("expected at least one operation");
  }
  if (settings.errors().size() != errors_before) return std::nullopt;
  return config;
}

}  // namespace

std::shared_ptr<core::InboundHandler> makeSoapInbound(const core::InboundContext& context) {
  auto config = parseInbound(context);
  if (!config) return nullptr;
  return std::make_shared<SoapInbound>(context.name, std::move(*config));
}

}  // namespace egov::adapters::soap
