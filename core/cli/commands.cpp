#include "core/cli/commands.hpp"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <latch>
#include <memory>
#include <sstream>
#include <thread>

#include "core/common/thread_name.hpp"
#include "core/engine/bus.hpp"
#include "core/engine/source_runner.hpp"
#include "core/journal/delivery.hpp"
#include "core/journal/open_journal.hpp"
#include "core/json/json_xml.hpp"
#include "core/log/log.hpp"
#include "core/net/api.hpp"
#include "core/net/http_server.hpp"
#include "core/security/audit_trail.hpp"

namespace egov::core {
namespace {

// Names the pool's threads: one task per thread, each held until every thread has one, so
// that no thread takes two (done once, before the pool has other work).
void nameWorkers(net::thread_pool& workers, int count) {
  auto started = std::make_shared<std::latch>(count);
  for (int i = 0; i < count; ++i) {
    net::post(workers, [started] {
      nameThisThread("egov-worker");
      started->arrive_and_wait();
    });
  }
  started->wait();
}

// Thread counts come from bus.yaml before the pools exist; the full load comes after.
std::optional<BusConfig> readBusSettings(const std::string& config) {
  ConfigErrors errors;
  auto root = ConfigNode::loadFile(config, &errors);
  BusConfig bus;
  if (root.valid()) bus = parseBusConfig(root, std::filesystem::absolute(config));
  if (!errors.empty()) {
    std::fputs(errors.str().c_str(), stderr);
    return std::nullopt;
  }
  return bus;
}

std::size_t routeCount(const Generation& generation) {
  std::size_t routes = 0;
  for (const auto& tenant : generation.tenants) routes += tenant->routes.size();
  return routes;
}

// Drains on SIGTERM/SIGINT: stop accepting, let requests, source rows and deliveries in flight
// finish (bounded by drain_timeout), then stop. Reloads on SIGHUP, on the worker pool so no I/O
// thread compiles.
class SignalHandling {
 public:
  SignalHandling(net::io_context& io, Bus& bus, HttpServer& server, net::thread_pool& workers,
                 DeliveryWorker& delivery, SourceRunner& sources)
      : io_(io),
        bus_(bus),
        server_(server),
        workers_(workers),
        delivery_(delivery),
        sources_(sources),
        signals_(io, SIGTERM, SIGINT, SIGHUP),
        drain_timer_(io) {}

  void start() { wait(); }

 private:
  void wait() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        net::post(workers_, [this] { reload(); });
        return wait();
      }
      logEvent(LogLevel::info, "draining",
               {{"signal", static_cast<std::int64_t>(signal)},
                {"deliveries", static_cast<std::int64_t>(delivery_.inFlight())}});
      bus_.startDraining();
      server_.stopAccepting();
      delivery_.stop();
      sources_.stopAll();
      deadline_ = Clock::now() + bus_.generation()->bus.limits.drain_timeout;
      checkDrained();
    });
  }

  void reload() {
    ConfigErrors errors;
    if (bus_.reload(errors)) {
      logEvent(LogLevel::info, "config reloaded",
               {{"generation", static_cast<std::int64_t>(bus_.generation()->number)}});
      sources_.replace(bus_.generation());
    } else {
      logEvent(LogLevel::error, "config reload rejected; the previous generation keeps serving",
               {{"errors", errors.str()}});
    }
  }

  void checkDrained() {
    // Sources settle what they hold (rows in flight finish, progress is recorded), and so do
    // deliveries: one cut here would wait for its lease to expire before it is retaken.
    if ((server_.activeConnections() == 0 && sources_.stopped() && delivery_.inFlight() == 0) ||
        Clock::now() >= deadline_) {
      logEvent(LogLevel::info, "stopped",
               {{"open_connections", static_cast<std::int64_t>(server_.activeConnections())},
                {"sources_running", static_cast<std::int64_t>(sources_.running())},
                {"deliveries", static_cast<std::int64_t>(delivery_.inFlight())}});
      io_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(50));
    drain_timer_.async_wait([this](const boost::system::error_code&) { checkDrained(); });
  }

  net::io_context& io_;
  Bus& bus_;
  HttpServer& server_;
  net::thread_pool& workers_;
  DeliveryWorker& delivery_;
  SourceRunner& sources_;
  net::signal_set signals_;
  net::steady_timer drain_timer_;
  Clock::time_point deadline_{};
};

// The I/O contexts of `serve`: their pending handlers are destroyed (shutdown()) for all of
// them before any is destroyed, since handlers of one hold executors of another (the accept
// loop on the first holds the socket it is accepting for another; a csv chunk on one resumes
// its file's strand on the first). Destroyed one by one, a context's handlers would free
// strands of a context already gone.
class IoContext : public net::io_context {
 public:
  explicit IoContext(int concurrency_hint) : net::io_context(concurrency_hint) {}
  using net::io_context::shutdown;
};

}  // namespace

int serveCommand(const ServeOptions& options, const AdapterRegistry& adapters) {
  auto settings = readBusSettings(options.config);
  if (!settings) return 1;
  // A log pipe whose reader went away (a collector restarting) must not kill the bus:
  // writes to it fail with EPIPE instead of raising SIGPIPE. (Sockets already write with
  // MSG_NOSIGNAL.)
  std::signal(SIGPIPE, SIG_IGN);
  // Info lines (one per exchange) are written by a thread of their own; destroyed last, so the
  // lines of the shutdown are written too.
  LogWriter log_writer;
  std::string listen = options.listen.empty() ? settings->listen : options.listen;
  std::string host;
  unsigned short port = 0;
  if (!splitHostPort(listen, host, port)) {
    std::fprintf(stderr, "egovbus: --listen expects ADDR:PORT, got %s\n", listen.c_str());
    return 2;
  }

  // One io_context per I/O thread (Asio's "io_context per thread"): the first, run by this
  // thread, also runs the listener, the delivery worker and the signals; the listener hands
  // connections to all of them in turn, and the sources are spread over them. A request then stays
  // on one thread from its read to its answer. With one io_context shared by the threads, Asio woke
  // the other thread for nearly every handler a request queued (perf of the B1 benchmark route:
  // most of its context switches).
  IoContext io(1);
  std::vector<std::unique_ptr<IoContext>> lanes;
  for (int i = 1; i < settings->io_threads; ++i) lanes.push_back(std::make_unique<IoContext>(1));
  net::thread_pool workers(static_cast<std::size_t>(settings->worker_threads));
  nameWorkers(workers, settings->worker_threads);
  Metrics metrics;
  // Outbound HTTP (the curl loop) runs on the I/O threads, a multi handle on each io_context:
  // no hand-off to a thread of its own.
  std::vector<net::any_io_executor> io_executors{io.get_executor()};
  for (auto& lane : lanes) io_executors.push_back(lane->get_executor());
  RuntimeServices runtime(workers.get_executor(), metrics, io_executors);
  Bus bus(options.config, adapters, runtime);
  ConfigErrors errors;
  if (!bus.reload(errors)) {
    std::fputs(errors.str().c_str(), stderr);
    return 1;
  }
  if (!errors.warnings().empty()) {
    logEvent(LogLevel::warn, "config warnings", {{"warnings", errors.warningsStr()}});
  }

  auto journal = openJournal(settings->journal);
  if (!journal) {
    std::fprintf(stderr, "egovbus: %s\n", journal.error().message.c_str());
    return 1;
  }
  bus.setJournal(journal->get());
  DeliveryWorker delivery(io, bus, **journal, settings->journal);
  if (!lanes.empty()) delivery.setLanes(io_executors);
  bus.setDelivery(&delivery);

  std::unique_ptr<AuditTrail> audit;
  if (settings->audit.enabled) {
    auto opened = AuditTrail::open(settings->audit);
    if (!opened) {
      std::fprintf(stderr, "egovbus: %s\n", opened.error().message.c_str());
      return 1;
    }
    audit = std::move(opened).value();
    bus.setAudit(audit.get());
  }

  ApiHandler api(bus);
  HttpServer server(
      io,
      [&api](HttpRequest request, std::optional<PeerCertificate> peer) {
        return api.handle(std::move(request), std::move(peer));
      },
      [&bus] { return bus.generation()->bus.limits; });
  if (!lanes.empty()) server.setConnectionContexts(io_executors);
  server.setRefusalResponder(
      [&api](const HttpRequest& request, const Error& error, http::status status) {
        return api.refuseUnread(request, error, status);
      });
  try {
    if (settings->tls.enabled) server.enableTls(settings->tls);
    port = server.listen(host, port);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "egovbus: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 1;
  }
  server.start();
  delivery.start();
  SourceRunner sources(io_executors, bus);
  sources.replace(bus.generation());  // after the journal: batch sources record progress there
  SignalHandling signals(io, bus, server, workers, delivery, sources);
  signals.start();
  const auto generation = bus.generation();
  logEvent(LogLevel::info, "listening",
           {{"address", host},
            {"port", static_cast<std::int64_t>(port)},
            {"tls", settings->tls.enabled},
            {"mtls", settings->tls.enabled && !settings->tls.client_ca.empty()},
            {"clients", static_cast<std::int64_t>(generation->credentials->clients.size())},
            {"keys", static_cast<std::int64_t>(generation->credentials->keys.size())},
            {"tenants", static_cast<std::int64_t>(generation->tenants.size())},
            {"routes", static_cast<std::int64_t>(routeCount(*generation))},
            {"io_threads", static_cast<std::int64_t>(settings->io_threads)},
            {"worker_threads", static_cast<std::int64_t>(settings->worker_threads)}});

  std::vector<std::thread> threads;
  std::vector<net::executor_work_guard<net::io_context::executor_type>> keep_running;
  for (auto& lane : lanes) {
    keep_running.push_back(net::make_work_guard(*lane));
    threads.emplace_back([&lane, name = "egov-io-" + std::to_string(threads.size() + 1)] {
      nameThisThread(name.c_str());
      lane->run();
    });
  }
  io.run();  // until the drain ends (SignalHandling stops it)
  for (auto& lane : lanes) lane->stop();
  for (auto& thread : threads) thread.join();
  workers.join();
  bus.setDelivery(nullptr);
  bus.setJournal(nullptr);
  bus.setAudit(nullptr);
  audit.reset();     // commits the records still queued
  journal->reset();  // finishes queued journal work: nothing accepted is left unwritten
  runtime.shutdown();
  io.shutdown();
  for (auto& lane : lanes) lane->shutdown();
  return 0;
}

int checkCommand(const std::string& config, const AdapterRegistry& adapters) {
  net::thread_pool workers(1);
  Metrics metrics;
  RuntimeServices runtime(workers.get_executor(), metrics);
  ConfigErrors errors;
  auto generation = loadGeneration(config, adapters, runtime, errors);
  runtime.shutdown();
  std::fputs(errors.warningsStr().c_str(), stderr);
  if (!generation) {
    std::fputs(errors.str().c_str(), stderr);
    std::fprintf(stderr, "%zu error%s in %s\n", errors.size(), errors.size() == 1 ? "" : "s",
                 config.c_str());
    return 1;
  }
  std::size_t endpoints = 0;
  for (const auto& tenant : generation->tenants) endpoints += tenant->endpoints.size();
  const auto warnings = errors.warnings().size();
  std::printf(
      "%s: ok: %zu tenants, %zu routes, %zu endpoints%s\n", config.c_str(),
      generation->tenants.size(), routeCount(*generation), endpoints,
      warnings == 0
          ? ""
          : (", " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings")).c_str());
  return 0;
}

int mapCommand(const MapOptions& options) {
  std::string text;
  if (options.input == "-") {
    std::ostringstream in;
    in << std::cin.rdbuf();
    text = in.str();
  } else {
    std::ifstream in(options.input, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "egovbus: cannot read %s\n", options.input.c_str());
      return 1;
    }
    std::ostringstream content;
    content << in.rdbuf();
    text = content.str();
  }
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  const bool is_xml = first != std::string::npos && text[first] == '<';
  auto input = is_xml ? parseXml(text, {}, options.input.c_str()) : jsonToXml(text);
  if (!input) {
    std::fprintf(stderr, "%s: %s\n", options.input.c_str(), input.error().message.c_str());
    return 1;
  }
  auto mapping = XsltMapping::compile(options.stylesheet);
  if (!mapping) {
    std::fprintf(stderr, "%s\n", mapping.error().message.c_str());
    return 1;
  }
  LookupTables tables;
  if (!options.config.empty()) {
    ConfigErrors errors;
    auto root = ConfigNode::loadFile(options.config, &errors);
    BusConfig bus;
    if (root.valid()) bus = parseBusConfig(root, std::filesystem::absolute(options.config));
    tables = loadLookupTables(bus);
    if (!errors.empty()) {
      std::fputs(errors.str().c_str(), stderr);
      return 1;
    }
  }
  MappingContext context{&tables};
  auto output = (*mapping)->apply(**input, options.params, context);
  if (!output) {
    std::fprintf(stderr, "%s\n", output.error().message.c_str());
    return 1;
  }
  // Output in the JSON representation prints as JSON; any other XML prints as XML.
  if (auto json = xmlToJson(**output); json.ok()) {
    std::printf("%s\n", json->c_str());
  } else {
    std::printf("%s\n", serializeXml(**output).c_str());
  }
  return 0;
}

}  // namespace egov::core
