// A config tree written into a fresh temporary folder, loaded into a Generation.
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "adapters/register.hpp"
#include "core/engine/generation.hpp"
#include "core/metrics/metrics.hpp"
#include "core/security/key_store.hpp"

namespace egov::test {

class TempConfig {
 public:
  TempConfig() {
    static int counter = 0;
    root_ = std::filesystem::temp_directory_path() /
            ("egovbus-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(root_);
    for (auto dir : {"conf/tenants", "conf/profiles", "mappings", "schemas"}) {
      std::filesystem::create_directories(root_ / dir);
    }
    adapters::registerBuiltinAdapters(adapters_);
  }
  ~TempConfig() {
    generation_.reset();
    runtime_.shutdown();
    pool_.join();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  // Writes `text` at `relative` (e.g. "conf/bus.yaml"), creating folders.
  TempConfig& write(const std::string& relative, const std::string& text) {
    auto path = root_ / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    return *this;
  }
  // Copies a file of the source tree (e.g. "mappings/demo-rest/x.xsl") to the same place.
  TempConfig& copy(const std::string& relative) {
    auto to = root_ / relative;
    std::filesystem::create_directories(to.parent_path());
    std::filesystem::copy_file(std::filesystem::path(EGOV_SOURCE_DIR) / relative, to,
                               std::filesystem::copy_options::overwrite_existing);
    return *this;
  }

  // A minimal bus.yaml unless the test wrote its own.
  std::shared_ptr<const core::Generation> load() {
    if (!std::filesystem::exists(root_ / "conf/bus.yaml"))
      write("conf/bus.yaml", "listen: 127.0.0.1:0\n");
    errors_ = core::ConfigErrors();
    generation_ = core::loadGeneration(root_ / "conf/bus.yaml", adapters_, runtime_, errors_);
    return generation_;
  }

  // A new key in the key store a default `auth:` points to (<root>/var/keys.db); load the
  // generation after creating it. Few PBKDF2 iterations: tests verify many keys.
  std::string apiKey(const std::string& client = "test", std::vector<std::string> tenants = {"*"},
                     std::vector<std::string> services = {"*"},
                     core::KeyKind kind = core::KeyKind::client) {
    auto store = core::KeyStore::open(root_ / "var/keys.db");
    if (!store) throw std::runtime_error(store.error().message);
    auto created =
        (*store)->create(client, kind, core::Scope{std::move(tenants), std::move(services)}, 1000);
    if (!created) throw std::runtime_error(created.error().message);
    return created->key;
  }

  // "Bearer <key>" of one key allowed everything (client "test"), made at the first call:
  // call it before loading the generation that must know it.
  const std::string& bearer() {
    if (bearer_.empty()) bearer_ = "Bearer " + apiKey();
    return bearer_;
  }

  const core::ConfigErrors& errors() const { return errors_; }
  // Errors with the temporary folder cut off, so tests compare "conf/x.yaml:3:5: ...".
  std::string errorText() const {
    std::string text = errors_.str();
    const std::string prefix = root_.string() + "/";
    for (auto pos = text.find(prefix); pos != std::string::npos; pos = text.find(prefix)) {
      text.erase(pos, prefix.size());
    }
    return text;
  }
  const std::filesystem::path& root() const { return root_; }
  core::Metrics& metrics() { return metrics_; }
  core::RuntimeServices& runtime() { return runtime_; }
  const core::AdapterRegistry& adapters() const { return adapters_; }
  // For tests that register an adapter or inbound type of their own.
  core::AdapterRegistry& registry() { return adapters_; }

 private:
  std::filesystem::path root_;
  std::string bearer_;
  net::thread_pool pool_{2};
  core::Metrics metrics_;
  core::RuntimeServices runtime_{pool_.get_executor(), metrics_};
  core::AdapterRegistry adapters_;
  core::ConfigErrors errors_;
  std::shared_ptr<const core::Generation> generation_;
};

}  // namespace egov::test
