#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "adapters/register.hpp"
#include "core/log/log.hpp"

int main(int argc, char** argv) {
  egov::adapters::initLibraries();
  // Exchange logs would bury test output; tests that check logging install their own sink.
  egov::core::setLogSink([](std::string_view) {});
  doctest::Context context(argc, argv);
  int rc = context.run();
  egov::adapters::shutdownLibraries();
  return rc;
}
