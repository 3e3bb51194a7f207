#include "adapters/db/db_poll_source.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapters/db/db_endpoint.hpp"
#include "adapters/db/db_rows.hpp"
#include "core/common/ids.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/dispatch.hpp"
#include "core/log/log.hpp"

namespace egov::adapters::db {
namespace {

using core::Clock;
using core::ErrorKind;

const xmlChar* x(const char* text) {
  return reinterpret_cast<const xmlChar*>(text);
}

struct PollConfig {
  std::string endpoint;  // key in the tenant's endpoints
  std::string select;
  std::string mark;
  std::string reject;  // empty: none
  std::string key;
  std::chrono::milliseconds interval{5'000};
  std::chrono::milliseconds timeout{30'000};
};

// One selected row: its field elements, by column name (nullopt: SQL NULL).
struct Row {
  std::vector<std::pair<std::string, std::optional<std::string>>> fields;
  core::XmlDocPtr document;  // <row xmlns="urn:egovbus:db" source="..."> as the exchange body

  const std::optional<std::string>* find(const std::string& name) const {
    for (const auto& [column, value] : fields) {
      if (column == name) return &value;
    }
    return nullptr;
  }
};

bool retryable(ErrorKind kind) {
  return kind == ErrorKind::backend_unavailable || kind == ErrorKind::unavailable ||
         kind == ErrorKind::deadline_exceeded || kind == ErrorKind::rate_limited ||
         kind == ErrorKind::internal;
}

std::string describe(const core::Error& error) {
  return std::string(core::errorKindName(error.kind)) + ": " + error.message;
}

// The rows of a select's reply, each as a document of its own.
std::vector<Row> splitRows(const xmlDoc& reply, const std::string& source) {
  std::vector<Row> rows;
  const xmlNode* root = xmlDocGetRootElement(&reply);
  for (const xmlNode* node = root ? root->children : nullptr; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE || !xmlStrEqual(node->name, x("row"))) continue;
    Row row;
    row.document.reset(xmlNewDoc(x("1.0")));
    xmlNode* copy = xmlDocCopyNode(const_cast<xmlNode*>(node), row.document.get(), 1);
    if (!copy) continue;
    xmlDocSetRootElement(row.document.get(), copy);
    xmlReconciliateNs(row.document.get(), copy);
    xmlNewProp(copy, x("source"), x(source.c_str()));
    for (const xmlNode* field = node->children; field; field = field->next) {
      if (field->type != XML_ELEMENT_NODE) continue;
      xmlChar* name = xmlGetProp(field, x("name"));
      xmlChar* null = xmlGetProp(field, x("null"));
      std::optional<std::string> value;
      if (!null || !xmlStrEqual(null, x("true"))) value = core::xmlText(field);
      row.fields.emplace_back(name ? reinterpret_cast<const char*>(name) : "", std::move(value));
      xmlFree(name);
      xmlFree(null);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

class DbPollSource final : public core::Source {
 public:
  DbPollSource(std::string name, std::string service, std::string key, PollConfig config,
               core::Metrics& metrics)
      : Source(std::move(name), "db", std::move(service)),
        source_key_(std::move(key)),
        config_(std::move(config)),
        metrics_(metrics) {
    metrics_.declareCounter("egov_source_rows_total",
                            "Rows of sources by outcome (ok, queued, duplicate, rejected).");
    metrics_.declareCounter("egov_source_polls_total", "Polls of db sources by outcome.");
  }

  awaitable<void> run(core::SourceRun run) override {
    auto endpoint =
        std::dynamic_pointer_cast<DbEndpoint>(run.tenant.endpoints.at(config_.endpoint));
    const core::Route* route = core::Generation::findRoute(run.tenant, service());
    while (!run.stop.requested()) {
      const auto started = Clock::now();
      auto handled = co_await poll(run, *endpoint, *route);
      const bool more = handled.ok() && *handled > 0;
      if (handled.ok() && *handled > 0) {
        const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
        core::logEvent(core::LogLevel::info, "db source poll",
                       {{"source", std::string_view(name())},
                        {"rows", static_cast<std::int64_t>(*handled)},
                        {"rows_per_second", seconds > 0 ? *handled / seconds : 0.0}});
      }
      metrics_.add("egov_source_polls_total",
                   {{"source", name()}, {"outcome", handled.ok() ? "ok" : "error"}});
      // A full poll may have left more behind: go on at once; otherwise wait.
      if (!more) co_await run.stop.sleep(config_.interval);
    }
  }

 private:
  // One select and its rows, in order. The number of rows handed off; an error when the
  // poll stopped early (the rest is selected again next time).
  awaitable<core::Result<std::size_t>> poll(core::SourceRun& run, DbEndpoint& endpoint,
                                            const core::Route& route) {
    auto selected = co_await statement(endpoint, config_.select, nullptr, "");
    if (!selected) {
      log(core::LogLevel::warn, "db source select failed", selected.error());
      co_return std::move(selected).error();
    }
    std::size_t handed = 0;
    for (auto& row : splitRows(**selected, name())) {
      if (run.stop.requested()) break;
      const auto* key = row.find(config_.key);
      if (!key || !*key) {
        auto error = core::makeError(ErrorKind::mapping_failed,
                                     "the selected row has no value in column " + config_.key);
        log(core::LogLevel::error, "db source row without key", error);
        co_return error;
      }
      core::Exchange exchange;
      exchange.id = core::newTimeOrderedUuid();
      exchange.trace_id = exchange.id;
      exchange.tenant_istat = run.tenant.istat;
      exchange.tenant_slug = run.tenant.slug;
      exchange.service = service();
      exchange.identity.client = "source:" + name();
      exchange.deadline = Clock::now() + route.deadline;
      exchange.body = core::copyXml(*row.document);
      core::Submission submission;
      submission.idempotency_key = source_key_ + ":" + **key;
      auto submitted = co_await core::submitExchange(run.bus, run.generation, run.tenant, route,
                                                     exchange, std::move(submission));
      if (!submitted && (retryable(submitted.error().kind) || config_.reject.empty())) {
        log(core::LogLevel::warn, "db source row not handed off; selected again next poll",
            submitted.error(), **key);
        co_return std::move(submitted).error();
      }
      const bool refused = !submitted.ok();
      const std::string reason = refused ? describe(submitted.error()) : std::string();
      auto marked =
          co_await statement(endpoint, refused ? config_.reject : config_.mark, &row, reason);
      if (!marked) {
        log(core::LogLevel::error, "db source row handed off but not marked", marked.error(),
            **key);
        co_return std::move(marked).error();
      }
      const char* outcome = refused                ? "rejected"
                            : !submitted->queued   ? "ok"
                            : submitted->duplicate ? "duplicate"
                                                   : "queued";
      metrics_.add("egov_source_rows_total", {{"source", name()}, {"outcome", outcome}});
      if (refused) log(core::LogLevel::warn, "db source row rejected", submitted.error(), **key);
      ++handed;
    }
    co_return handed;
  }

  // Runs one of the endpoint's statements, its values taken by name from `row` (and
  // `reason`), as the explicit <query> body of the db adapter.
  awaitable<core::Result<core::XmlDocPtr>> statement(DbEndpoint& endpoint,
                                                     const std::string& name_of, const Row* row,
                                                     const std::string& reason) {
    const DbStatement* statement = endpoint.config().find(name_of);
    core::XmlDocPtr query(xmlNewDoc(x("1.0")));
    xmlNode* root = xmlNewDocNode(query.get(), nullptr, x("query"), nullptr);
    xmlDocSetRootElement(query.get(), root);
    xmlNs* ns = xmlNewNs(root, x(kDbNs), nullptr);
    xmlSetNs(root, ns);
    xmlNewProp(root, x("statement"), x(name_of.c_str()));
    for (const auto& param : statement->params) {
      std::optional<std::string> value;
      if (param.name == "reason" && !row->find("reason")) {
        value = reason;
      } else if (const auto* found = row ? row->find(param.name) : nullptr) {
        value = *found;
      } else {
        co_return core::makeError(ErrorKind::mapping_failed,
                                  "statement " + name_of + " needs :" + param.name +
                                      ", which is not a column of the selected row");
      }
      xmlNode* node = xmlNewTextChild(root, ns, x("param"), value ? x(value->c_str()) : nullptr);
      xmlNewProp(node, x("name"), x(param.name.c_str()));
      if (!value) xmlNewProp(node, x("null"), x("true"));
    }
    core::Exchange exchange;
    exchange.id = core::newTimeOrderedUuid();
    exchange.trace_id = exchange.id;
    exchange.service = service();
    const core::CallRequest call{exchange, *query, Clock::now() + config_.timeout};
    co_return co_await endpoint.call(call);
  }

  void log(core::LogLevel level, std::string_view message, const core::Error& error,
           const std::string& key = {}) const {
    core::logEvent(level, message,
                   {{"source", std::string_view(name())},
                    {"key", std::string_view(key)},
                    {"kind", core::errorKindName(error.kind)},
                    {"error", std::string_view(error.message)}});
  }

  std::string source_key_;
  PollConfig config_;
  core::Metrics& metrics_;
};

const DbStatement* statementAt(const core::ConfigNode& settings, std::string_view key,
                               const DbConfig& db, const std::string& endpoint) {
  const std::string name = settings.optionalString(key);
  if (name.empty()) return nullptr;
  const DbStatement* statement = db.find(name);
  if (!statement) {
    std::string known;
    for (const auto& s : db.statements) known += (known.empty() ? "" : ", ") + s.name;
    settings.errorAt(
        key, "endpoint " + endpoint + " has no statement " + name + " (known: " + known + ")");
  } else if (statement->for_each) {
    // The source gives one row's values: a statement run per node of a body has none.
    settings.errorAt(key, "statement " + name + " of endpoint " + endpoint +
                              " runs for_each; a db source's statements run once per row");
    return nullptr;
  }
  return statement;
}

}  // namespace

std::shared_ptr<core::Source> makeDbPollSource(const core::SourceContext& context) {
  const auto& settings = context.settings;
  const std::size_t errors_before = settings.errors().size();
  settings.allowKeys(
      {"type", "service", "endpoint", "select", "mark", "reject", "key", "interval", "timeout"});
  PollConfig config;
  config.endpoint = settings.requiredString("endpoint");
  config.select = settings.requiredString("select");
  config.mark = settings.requiredString("mark");
  config.reject = settings.optionalString("reject");
  config.key = settings.requiredString("key");
  for (auto [key, value] :
       {std::pair{"interval", &config.interval}, {"timeout", &config.timeout}}) {
    if (!settings.has(key)) continue;
    *value = settings.duration(key, *value);
    if (value->count() <= 0) settings.errorAt(key, "must be greater than 0");
  }
  if (!config.endpoint.empty()) {
    auto it = context.tenant.endpoints.find(config.endpoint);
    const auto* endpoint = it == context.tenant.endpoints.end()
                               ? nullptr
                               : dynamic_cast<DbEndpoint*>(it->second.get());
    if (it == context.tenant.endpoints.end()) {
      settings.errorAt("endpoint",
                       "tenant " + context.tenant.slug + " has no endpoint " + config.endpoint);
    } else if (it->second && !endpoint) {
      settings.errorAt("endpoint", "endpoint " + config.endpoint + " is not of type db");
    } else if (endpoint) {
      const auto& db = endpoint->config();
      if (const auto* select = statementAt(settings, "select", db, config.endpoint);
          select && !select->params.empty()) {
        settings.errorAt("select", "the select statement takes no params");
      }
      if (const auto* mark = statementAt(settings, "mark", db, config.endpoint);
          mark && mark->params.empty()) {
        // Without a row's values it would mark every row, seen or not.
        settings.errorAt("mark", "the mark statement must name the row (e.g. WHERE id = :id)");
      }
      statementAt(settings, "reject", db, config.endpoint);
    }
  }
  if (settings.errors().size() != errors_before) return nullptr;
  const std::string key = context.name.substr(context.name.find('/') + 1);
  return std::make_shared<DbPollSource>(context.name, context.service, key, std::move(config),
                                        context.runtime.metrics());
}

}  // namespace egov::adapters::db
