#include "core/engine/route_runner.hpp"

#include <libxml/xpathInternals.h>

#include <algorithm>
#include <optional>
#include <string>

#include "core/json/json_xml.hpp"
#include "core/xml/xml.hpp"

namespace egov::core {
namespace {

struct XPathContextDeleter {
  void operator()(xmlXPathContext* ctx) const { xmlXPathFreeContext(ctx); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* obj) const { xmlXPathFreeObject(obj); }
};

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

void setVariable(xmlXPathContext* ctx, const std::string& name, const std::string& value) {
  // The context owns registered values and frees them with itself.
  xmlXPathRegisterVariable(ctx, xc(name.c_str()), xmlXPathNewString(xc(value.c_str())));
}

using XPathObjectPtr = std::unique_ptr<xmlXPathObject, XPathObjectDeleter>;

// Evaluates a compiled XPath on the body, with prefix `fn` and the route variables.
Result<XPathObjectPtr> evaluate(const xmlXPathCompExpr& expr, const std::string& text,
                                const Exchange& exchange, const Tenant& tenant) {
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> ctx(
      xmlXPathNewContext(exchange.body.get()));
  if (!ctx) return makeError(ErrorKind::internal, "out of memory for XPath");
  ctx->node = reinterpret_cast<xmlNode*>(exchange.body.get());
  xmlXPathRegisterNs(ctx.get(), xc(kXPathFnPrefix), xc(kXpathFunctionsNs));
  for (const auto& [key, value] : tenant.params) setVariable(ctx.get(), key, value);
  setVariable(ctx.get(), "tenant", tenant.slug);
  setVariable(ctx.get(), "service", exchange.service);
  setVariable(ctx.get(), "method", exchange.method);
  XPathObjectPtr result(xmlXPathCompiledEval(const_cast<xmlXPathCompExpr*>(&expr), ctx.get()));
  if (!result) return makeError(ErrorKind::internal, "XPath failed: " + text);
  return result;
}

Result<bool> evaluateTest(const ChooseStep::When& when, const Exchange& exchange,
                          const Tenant& tenant) {
  auto result = evaluate(*when.expr, when.test, exchange, tenant);
  if (!result) return std::move(result).error();
  return xmlXPathCastToBoolean(result->get()) != 0;
}

// A stylesheet may choose the error kind: <xsl:message terminate="yes">not-found: ...
ErrorKind kindOfMappingError(const std::string& message) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::internal); ++k) {
    auto kind = static_cast<ErrorKind>(k);
    if (message.find(": " + std::string(errorKindName(kind)) + ":") != std::string::npos)
      return kind;
  }
  return ErrorKind::mapping_failed;
}

Error located(Error error, const Step& step) {
  error.message = step.where + ": " + error.message;
  return error;
}

// The caller's top-level request fields (strings, numbers, booleans of the JSON object the
// route starts with), as `request.<key>`: a reply mapping can apply a filter the back-end's
// reply no longer shows (a year, a date) without the back-end echoing it.
MappingParams requestFields(const xmlDoc& body) {
  MappingParams fields;
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  if (!root || !root->ns || xmlStrcmp(root->name, xc("map")) != 0 ||
      xmlStrcmp(root->ns->href, xc(kXpathFunctionsNs)) != 0) {
    return fields;
  }
  for (const xmlNode* child = root->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE) continue;
    const std::string_view kind(reinterpret_cast<const char*>(child->name));
    if (kind != "string" && kind != "number" && kind != "boolean") continue;
    const std::string key = xmlAttr(child, "key");
    const bool plain =
        !key.empty() && key.size() <= 64 && std::all_of(key.begin(), key.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
    if (plain) fields.emplace_back("request." + key, xmlText(child));
  }
  return fields;
}

MappingParams mappingParams(const MapStep& step, const Exchange& exchange, const Tenant& tenant,
                            const MappingParams& request) {
  MappingParams params = step.params;
  params.insert(params.end(), request.begin(), request.end());
  params.emplace_back("exchange-id", exchange.id);
  params.emplace_back("tenant", exchange.tenant_slug);
  params.emplace_back("tenant-istat", exchange.tenant_istat);
  params.emplace_back("tenant-fiscal-code", tenant.fiscal_code);
  params.emplace_back("service", exchange.service);
  params.emplace_back("method", exchange.method);
  // The SPID citizen, when the request carried a session ("" and "0" otherwise).
  params.emplace_back("citizen-fiscal-code", exchange.identity.citizen_fiscal_code);
  params.emplace_back("spid-level", std::to_string(exchange.identity.spid_level));
  return params;
}

// A back-end failure handed to the route as its reply body, for it to `choose` on and map: the
// soap adapter's `faults: reply` gives <fault xmlns="urn:egovbus:soap" code class status>.
// If the route leaves that body as it is (no `map` or `reply` step after the call), it is
// still the error it stands for, so that a route that forgot to handle faults never answers
// 200 with one, nor counts a one-way delivery as done. Only the code and the fault string
// (both already shortened by the adapter) are quoted, never the detail.
constexpr const char* kSoapFaultNs = "urn:egovbus:soap";

std::optional<Error> unhandledFault(const xmlDoc& body, const std::string& endpoint) {
  const xmlNode* root = xmlDocGetRootElement(const_cast<xmlDoc*>(&body));
  if (!root || !root->ns || xmlStrcmp(root->name, xc("fault")) != 0 ||
      xmlStrcmp(root->ns->href, xc(kSoapFaultNs)) != 0) {
    return std::nullopt;
  }
  const std::string code = xmlAttr(root, "code");
  std::string message = endpoint + ": SOAP fault " + (code.empty() ? "(no code)" : code);
  for (const xmlNode* child = root->children; child; child = child->next) {
    if (child->type != XML_ELEMENT_NODE || xmlStrcmp(child->name, xc("string")) != 0) continue;
    if (const std::string reason = xmlText(child); !reason.empty()) message += ": " + reason;
    break;
  }
  Error error = makeError(xmlAttr(root, "class") == "server" ? ErrorKind::backend_unavailable
                                                             : ErrorKind::backend_rejected,
                          std::move(message));
  const std::string status = xmlAttr(root, "status");
  if (!status.empty() && status.size() <= 3 &&
      std::all_of(status.begin(), status.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    error.backend_status = std::stoi(status);
  }
  return error;
}

// Walks steps; `stopped` turns true when a reply step ends the route.
class Runner {
 public:
  Runner(const Generation& generation, const Tenant& tenant, Exchange& exchange, Metrics& metrics)
      : generation_(generation),
        tenant_(tenant),
        exchange_(exchange),
        metrics_(metrics),
        request_(exchange.body ? requestFields(*exchange.body) : MappingParams{}) {}

  awaitable<Result<void>> run(const Steps& steps, std::size_t first = 0,
                              std::size_t last = SIZE_MAX) {
    for (std::size_t i = first; i < std::min(last, steps.size()); ++i) {
      const auto& step = steps[i];
      if (stopped_) break;
      if (Clock::now() >= exchange_.deadline) {
        co_return makeError(ErrorKind::deadline_exceeded,
                            "route deadline passed before " + step.where);
      }
      auto result = co_await runStep(step);
      if (!result) co_return std::move(result).error();
    }
    co_return Result<void>{};
  }

  // After run(): the failure a call's reply body still stands for, when no step handled it.
  Result<void> unhandled() {
    if (!pending_fault_) return {};
    exchange_.failed_endpoint = pending_endpoint_;
    Error error = std::move(*pending_fault_);
    pending_fault_.reset();
    return error;
  }

 private:
  awaitable<Result<void>> runStep(const Step& step) {
    if (const auto* map = std::get_if<MapStep>(&step.action)) co_return runMap(*map, step);
    if (const auto* validate = std::get_if<ValidateStep>(&step.action)) {
      // A fault body left unhandled is no document to validate (a schema error would quote
      // its detail): it is the error it stands for.
      if (pending_fault_) co_return unhandled();
      auto valid = validate->schema->validate(*exchange_.body);
      if (valid) co_return Result<void>{};
      auto error = std::move(valid).error();
      // After a call, an invalid document is the back-end's fault, not the caller's.
      if (called_) error.kind = ErrorKind::backend_invalid;
      co_return located(std::move(error), step);
    }
    if (const auto* call = std::get_if<CallStep>(&step.action)) co_return co_await runCall(*call);
    if (const auto* choose = std::get_if<ChooseStep>(&step.action)) {
      for (const auto& when : choose->whens) {
        auto matched = evaluateTest(when, exchange_, tenant_);
        if (!matched) co_return located(std::move(matched).error(), step);
        if (*matched) co_return co_await run(when.steps);
      }
      co_return co_await run(choose->otherwise);
    }
    const auto& reply = std::get<ReplyStep>(step.action);
    stopped_ = true;
    pending_fault_.reset();  // the route answers as it chose
    if (reply.error) {
      co_return Error{*reply.error, reply.detail.empty() ? step.where : reply.detail, 0};
    }
    exchange_.status = reply.status;
    co_return Result<void>{};
  }

  Result<void> runMap(const MapStep& map, const Step& step) {
    MappingContext context{&generation_.tables};
    // The body is replaced by the result: no copy of it is needed.
    auto output = map.mapping->applyInPlace(
        *exchange_.body, mappingParams(map, exchange_, tenant_, request_), context);
    if (!output) {
      auto error = std::move(output).error();
      error.kind = kindOfMappingError(error.message);
      return located(std::move(error), step);
    }
    exchange_.body = std::move(output).value();
    pending_fault_.reset();  // mapped: the route made it its own answer
    return {};
  }

  awaitable<Result<void>> runCall(const CallStep& call) {
    auto admitted = co_await call.guard->acquire(call.limits, exchange_.deadline);
    if (!admitted) {
      exchange_.failed_endpoint = call.key;
      co_return std::move(admitted).error();
    }
    const auto started = Clock::now();
    const CallRequest request{exchange_, *exchange_.body, exchange_.deadline};
    auto reply = co_await call.endpoint->call(request);
    call.guard->release(call.limits, reply ? Result<void>{} : Result<void>{reply.error()});
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    call.guard->recordCall(!reply, seconds);
    const std::string outcome = reply ? "ok" : std::string(errorKindName(reply.error().kind));
    metrics_.add("egov_outbound_calls_total",
                 {{"endpoint", call.endpoint->name()}, {"outcome", outcome}});
    metrics_.observe("egov_outbound_duration_seconds", {{"endpoint", call.endpoint->name()}},
                     seconds);
    called_ = true;
    if (!reply) {
      exchange_.failed_endpoint = call.key;
      co_return std::move(reply).error();
    }
    exchange_.body = std::move(reply).value();
    pending_fault_ = unhandledFault(*exchange_.body, call.endpoint->name());
    pending_endpoint_ = call.key;
    co_return Result<void>{};
  }

  const Generation& generation_;
  const Tenant& tenant_;
  Exchange& exchange_;
  Metrics& metrics_;
  const MappingParams request_;  // the caller's fields, for every map step of this run
  bool stopped_ = false;
  bool called_ = false;
  std::optional<Error> pending_fault_;  // see unhandledFault
  std::string pending_endpoint_;
};

}  // namespace

Result<std::string> orderKeyOf(const Route& route, const Tenant& tenant, const Exchange& exchange) {
  if (!route.order_key) return std::string();
  auto result = evaluate(*route.order_key, route.order_key_text, exchange, tenant);
  if (!result) return std::move(result).error();
  std::unique_ptr<xmlChar, decltype(xmlFree)> text(xmlXPathCastToString(result->get()), xmlFree);
  std::string key = text ? reinterpret_cast<const char*>(text.get()) : "";
  if (key.size() > kMaxOrderKey) {
    return makeError(ErrorKind::bad_request, route.where + ": order key longer than " +
                                                 std::to_string(kMaxOrderKey) + " bytes");
  }
  return key;
}

void declareRouteMetrics(Metrics& metrics) {
  metrics.declareCounter("egov_outbound_calls_total", "Calls to endpoints by outcome.");
  metrics.declareHistogram("egov_outbound_duration_seconds", "Duration of calls to endpoints.");
}

awaitable<Result<void>> runRoute(const Generation& generation, const Tenant& tenant,
                                 const Route& route, Exchange& exchange, Metrics& metrics,
                                 std::size_t first, std::size_t last) {
  Runner runner(generation, tenant, exchange, metrics);
  auto result = co_await runner.run(route.steps, first, last);
  if (!result) co_return result;
  co_return runner.unhandled();
}

}  // namespace egov::core
