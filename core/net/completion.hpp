// A type-erased, move-only completion handler for asynchronous operations that finish on
// another thread (the curl loop, the journal thread, a worker pool). Asio handlers are
// move-only (an awaitable's handler owns the suspended coroutine), so std::function cannot
// hold them.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "core/net/asio.hpp"

namespace egov::core {

template <class T>
class Completion {
 public:
  virtual ~Completion() = default;
  // Posts the handler with `result` to its associated executor. Called exactly once, from
  // any thread. noexcept on purpose: a handler that cannot be posted cannot be dropped
  // either, as it owns a suspended coroutine.
  virtual void complete(T result) noexcept = 0;
};

template <class T, class Handler>
class HandlerCompletion final : public Completion<T> {
 public:
  explicit HandlerCompletion(Handler handler)
      : work_(net::prefer(net::get_associated_executor(handler),
                          net::execution::outstanding_work.tracked)),
        handler_(std::move(handler)) {}

  void complete(T result) noexcept override {
    // The caller's io_context must not run out of work while the operation is elsewhere:
    // work_ keeps it counted until the handler has been posted back.
    auto work = std::move(work_);
    net::post(work, [handler = std::move(handler_), result = std::move(result)]() mutable {
      std::move(handler)(std::move(result));
    });
  }

 private:
  std::decay_t<decltype(net::prefer(std::declval<net::associated_executor_t<Handler>>(),
                                    net::execution::outstanding_work.tracked))>
      work_;
  Handler handler_;
};

template <class T, class Handler>
std::unique_ptr<Completion<T>> makeCompletion(Handler handler) {
  return std::make_unique<HandlerCompletion<T, Handler>>(std::move(handler));
}

}  // namespace egov::core
