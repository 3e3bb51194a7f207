// egovbus_bench_batch: B3 of the benchmark (bench/bench.py runs it under /usr/bin/time -v).
//
// A CSV file through a route of the bus, the way a batch source hands one over: the file is
// streamed with core/csv's CsvReader, every `--chunk` records become one exchange whose body
// is <rows xmlns="urn:egovbus:csv"><row><field name="...">, and the route runs on it (B3's
// posizioni.carica: a check of the columns, then a `db` call running one statement per row,
// for_each, in one transaction per chunk; posizioni.carica-xslt: a mapping, then one
// statement per chunk). `--in-flight` exchanges run at once, so one chunk is prepared on the
// I/O thread while the previous one is written on the worker pool. Prints one JSON line on
// stdout.
//
// This is a benchmark tool, not part of the bus: B3's main figure is the product path (the
// csv drop-folder source in chunk mode, rows_per_exchange); this driver runs the same route
// without the source, as a secondary figure.
#include <libxml/tree.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "adapters/register.hpp"
#include "core/common/ids.hpp"
#include "core/csv/csv_reader.hpp"
#include "core/engine/generation.hpp"
#include "core/engine/route_runner.hpp"
#include "core/net/asio.hpp"

namespace {

using namespace egov;

constexpr const char* kUsage =
    "usage: egovbus_bench_batch --config BUS_YAML --tenant TENANT --service SERVICE\n"
    "                           [--chunk ROWS] [--in-flight N] [--delimiter C] FILE.csv\n";

const xmlChar* xc(const char* s) {
  return reinterpret_cast<const xmlChar*>(s);
}

struct Options {
  std::string config, tenant, service, file;
  std::size_t chunk = 1000;
  int in_flight = 2;
  char delimiter = ',';
};

// Shared by the lanes; they all run on the one I/O thread, so no lock is needed.
struct Batch {
  const core::Generation* generation = nullptr;
  const core::Tenant* tenant = nullptr;
  const core::Route* route = nullptr;
  core::Metrics* metrics = nullptr;
  core::CsvReader* reader = nullptr;
  std::vector<std::string> header;
  std::size_t chunk = 1000;
  std::size_t rows = 0, exchanges = 0, affected = 0;
  bool done = false;
  std::string error;
};

// The next `chunk` records as a rows document; null at the end of the file or on error.
core::XmlDocPtr nextChunk(Batch& batch) {
  if (batch.done) return nullptr;
  core::XmlDocPtr doc(xmlNewDoc(xc("1.0")));
  xmlNode* root = xmlNewDocNode(doc.get(), nullptr, xc("rows"), nullptr);
  xmlDocSetRootElement(doc.get(), root);
  xmlSetNs(root, xmlNewNs(root, xc("urn:egovbus:csv"), nullptr));
  std::vector<std::string> fields;
  std::size_t count = 0;
  while (count < batch.chunk) {
    auto next = batch.reader->next(fields);
    if (!next) {
      batch.error = next.error().message;
      batch.done = true;
      return nullptr;
    }
    if (!*next) {
      batch.done = true;
      break;
    }
    if (fields.size() != batch.header.size()) {
      batch.error = "line " + std::to_string(batch.reader->line()) + ": " +
                    std::to_string(fields.size()) + " fields, the header has " +
                    std::to_string(batch.header.size());
      batch.done = true;
      return nullptr;
    }
    xmlNode* row = xmlNewChild(root, root->ns, xc("row"), nullptr);
    for (std::size_t i = 0; i < fields.size(); ++i) {
      xmlNode* field = xmlNewTextChild(row, root->ns, xc("field"), xc(fields[i].c_str()));
      xmlSetProp(field, xc("name"), xc(batch.header[i].c_str()));
    }
    ++count;
  }
  if (count == 0) return nullptr;
  batch.rows += count;
  return doc;
}

awaitable<void> lane(Batch& batch) {
  while (batch.error.empty()) {
    auto body = nextChunk(batch);
    if (!body) co_return;
    core::Exchange exchange;
    exchange.id = core::newUuid();
    exchange.trace_id = exchange.id;
    exchange.tenant_istat = batch.tenant->istat;
    exchange.tenant_slug = batch.tenant->slug;
    exchange.service = batch.route->service;
    exchange.body = std::move(body);
    exchange.deadline = core::Clock::now() + batch.route->deadline;
    auto result = co_await core::runRoute(*batch.generation, *batch.tenant, *batch.route, exchange,
                                          *batch.metrics);
    if (!result) {
      if (batch.error.empty()) batch.error = result.error().message;
      co_return;
    }
    ++batch.exchanges;
    if (xmlNode* root = xmlDocGetRootElement(exchange.body.get())) {
      if (xmlChar* affected = xmlGetProp(root, xc("affected"))) {
        batch.affected += std::strtoull(reinterpret_cast<const char*>(affected), nullptr, 10);
        xmlFree(affected);
      }
    }
  }
}

int run(const Options& options) {
  core::AdapterRegistry adapters;
  adapters::registerBuiltinAdapters(adapters);
  net::io_context io(1);
  net::thread_pool workers(2);
  core::Metrics metrics;
  core::declareRouteMetrics(metrics);
  core::RuntimeServices runtime(workers.get_executor(), metrics);
  int status = 0;
  {
    core::ConfigErrors errors;
    auto generation = core::loadGeneration(options.config, adapters, runtime, errors);
    if (!generation) {
      std::fputs(errors.str().c_str(), stderr);
      status = 1;
    }
    const core::Tenant* tenant = generation ? generation->findTenant(options.tenant) : nullptr;
    const core::Route* route =
        tenant ? core::Generation::findRoute(*tenant, options.service) : nullptr;
    std::ifstream in(options.file, std::ios::binary);
    if (generation && !route) {
      std::fprintf(stderr, "egovbus_bench_batch: no route %s for tenant %s\n",
                   options.service.c_str(), options.tenant.c_str());
      status = 1;
    } else if (generation && !in) {
      std::fprintf(stderr, "egovbus_bench_batch: cannot read %s\n", options.file.c_str());
      status = 1;
    }
    if (status == 0) {
      const auto started = std::chrono::steady_clock::now();
      core::CsvReader reader(in, core::CsvOptions{options.delimiter});
      Batch batch;
      batch.generation = generation.get();
      batch.tenant = tenant;
      batch.route = route;
      batch.metrics = &metrics;
      batch.reader = &reader;
      batch.chunk = options.chunk;
      auto header = reader.next(batch.header);
      if (!header || !*header) batch.error = header ? "empty file" : header.error().message;
      for (int i = 0; i < options.in_flight && batch.error.empty(); ++i) {
        net::co_spawn(io, lane(batch), net::detached);
      }
      io.run();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      if (!batch.error.empty()) {
        std::fprintf(stderr, "egovbus_bench_batch: %s\n", batch.error.c_str());
        status = 1;
      } else {
        std::printf(
            "{\"rows\":%zu,\"affected\":%zu,\"exchanges\":%zu,\"chunk\":%zu,\"in_flight\":%d,"
            "\"seconds\":%.3f,\"rows_per_s\":%.1f}\n",
            batch.rows, batch.affected, batch.exchanges, options.chunk, options.in_flight, seconds,
            static_cast<double>(batch.rows) / seconds);
        if (batch.affected != batch.rows) status = 1;  // every row read must be stored
      }
    }
  }
  workers.join();
  runtime.shutdown();
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--config" && has_value) {
      options.config = argv[++i];
    } else if (arg == "--tenant" && has_value) {
      options.tenant = argv[++i];
    } else if (arg == "--service" && has_value) {
      options.service = argv[++i];
    } else if (arg == "--chunk" && has_value) {
      options.chunk = std::strtoul(argv[++i], nullptr, 10);
    } else if (arg == "--in-flight" && has_value) {
      options.in_flight = std::atoi(argv[++i]);
    } else if (arg == "--delimiter" && has_value) {
      options.delimiter = argv[++i][0];
    } else if (!arg.starts_with("--") && options.file.empty()) {
      options.file = arg;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (options.config.empty() || options.tenant.empty() || options.service.empty() ||
      options.file.empty() || options.chunk == 0 || options.in_flight < 1) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  adapters::initLibraries();
  const int status = run(options);
  adapters::shutdownLibraries();
  return status;
}
