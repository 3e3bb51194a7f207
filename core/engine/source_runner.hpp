// Runs the sources (core/engine/source.hpp) of the generation serving now, each as a
// coroutine on a strand of one of the I/O contexts, taken in turn: the sources of different
// tenants work on different I/O threads, and a source's own work (a csv file's chunks) stays
// on one, beside the worker-pool thread its database calls take. A reload hands over without
// overlap: the old generation's sources are asked to stop, and the new generation's start only
// once every old one has returned, so a file or a row is never worked on by two runs at once
// (the successor resumes what its predecessor left, from the journal).
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "core/engine/source.hpp"

namespace egov::core {

class SourceRunner {
 public:
  // `contexts`: the I/O contexts (one at least), the first the main thread's.
  SourceRunner(std::vector<net::any_io_executor> contexts, Bus& bus);
  ~SourceRunner();  // asks running sources to stop; the owner waits with stopped() first
  SourceRunner(const SourceRunner&) = delete;
  SourceRunner& operator=(const SourceRunner&) = delete;

  // Runs the sources of `generation` in place of the current ones (after they stopped).
  // Any thread; never blocks. A later call before the handover replaces the pending one.
  void replace(std::shared_ptr<const Generation> generation);
  // Asks every running source to stop and starts no more (SIGTERM). Any thread.
  void stopAll();
  // True when no source runs (after stopAll: all of them have settled).
  bool stopped() const;
  std::size_t running() const;

 private:
  struct Running;
  void startPendingLocked();
  void finished();

  const std::vector<net::any_io_executor> contexts_;
  Bus& bus_;
  mutable std::mutex mutex_;  // guards everything below
  std::vector<std::shared_ptr<Running>> running_;
  std::shared_ptr<const Generation> pending_;
  std::size_t alive_ = 0;  // coroutines not yet returned
  bool stopping_ = false;
};

}  // namespace egov::core
