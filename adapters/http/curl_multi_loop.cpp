#include "adapters/http/curl_multi_loop.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "adapters/http/curl_transfer.hpp"
#include "core/common/thread_name.hpp"
#include "core/engine/endpoint.hpp"
#include "core/metrics/metrics.hpp"

namespace egov::adapters::http {
namespace {

// Idle easy handles kept for reuse; beyond that a finished handle is freed.
constexpr std::size_t kMaxFreeEasyHandles = 32;
// Idle connections the multi handle keeps for reuse, over every back-end. Without a fixed
// size curl keeps 4 x the easy handles *currently added*, which drops as finished transfers
// are removed: under load connections were closed and opened again (B1 at 16 connections: a
// new TCP connection to the back-end every ~21 calls; strace in BENCHMARKS.md).
constexpr long kMaxIdleConnections = 256;
constexpr const char* kInflightGauge = "egov_http_inflight";

core::Error shuttingDown() {
  return core::makeError(core::ErrorKind::unavailable, "the HTTP client is shutting down");
}

}  // namespace

// Everything below runs on `strand` with `mutex` held, except submit()'s queueing (queue_mutex)
// and shutdown(), which may run on any thread, the strand's handlers included, concurrently
// with nothing: the mutex is what lets the loop's owner tear it down while the io_context
// still runs (its handlers then find `stopped` and return). Handlers hold a shared_ptr to the
// State, never a pointer into it, so they may outlive the loop; they find their socket by
// descriptor and serial number, as curl may close a socket and open another with the same
// number between a wait's start and its completion.
// Transfers queued or in flight in all the States, published in order.
struct CurlMultiLoop::Gauge {
  explicit Gauge(core::Metrics& m) : metrics(m) {
    metrics.declareGauge(kInflightGauge, "HTTP transfers queued or in flight in the curl loop.");
    add(0);
  }
  void add(int delta) {
    std::lock_guard lock(mutex);
    total = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(total) + delta);
    metrics.set(kInflightGauge, {}, static_cast<double>(total));
  }
  core::Metrics& metrics;
  std::mutex mutex;
  std::size_t total = 0;
};

struct CurlMultiLoop::State : std::enable_shared_from_this<CurlMultiLoop::State> {
  struct Socket {
    net::posix::stream_descriptor descriptor;
    std::uint64_t serial = 0;
    int wanted = 0;        // CURL_POLL_IN / OUT / INOUT, as curl last asked
    bool reading = false;  // an async_wait for that direction is pending
    bool writing = false;
    bool ours = false;  // opened by openSocket(): closed by closeSocket(), else released
  };

  State(net::any_io_executor io, std::shared_ptr<Gauge> g)
      : gauge(std::move(g)), strand(net::make_strand(io)), multi(curl_multi_init()) {
    if (!multi) throw std::runtime_error("curl_multi_init failed");
    timer = std::make_unique<net::steady_timer>(strand);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, kMaxIdleConnections);
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &State::onSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &State::onTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    free_easy.reserve(kMaxFreeEasyHandles);  // so that recycle() never allocates
  }
  ~State() {
    if (multi != nullptr) curl_multi_cleanup(multi);  // only if shutdown() never ran
  }

  // --- any thread ----------------------------------------------------------------------------

  void submit(std::unique_ptr<Transfer> transfer) {
    bool nudge = false;
    {
      std::lock_guard lock(queue_mutex);
      if (!closing) {
        nudge = queue.empty();
        queue.push_back(std::move(transfer));
        ++inflight;
        gauge->add(1);
      }
    }
    if (transfer) {
      transfer->completion->complete(shuttingDown());
      return;
    }
    // One post drains every transfer queued until it runs.
    if (nudge) net::post(strand, [self = shared_from_this()] { self->startQueued(); });
  }

  void shutdown() {
    std::deque<std::unique_ptr<Transfer>> queued;
    {
      std::lock_guard lock(queue_mutex);
      closing = true;
      queued.swap(queue);
    }
    std::lock_guard lock(mutex);
    stopped = true;
    for (auto& [easy, transfer] : active) {
      curl_multi_remove_handle(multi, easy);
      done(*transfer, shuttingDown());
    }
    active.clear();
    for (auto& transfer : queued) done(*transfer, shuttingDown());
    free_easy.clear();
    // Closes the cached connections through closeSocket(); then no callback runs again.
    curl_multi_cleanup(multi);
    multi = nullptr;
    for (auto& [fd, socket] : sockets) {
      boost::system::error_code ignored;
      if (socket->ours) {
        socket->descriptor.close(ignored);
      } else {
        socket->descriptor.release();
      }
    }
    sockets.clear();
    timer.reset();  // cancels its wait; no I/O object is left to outlive the io_context
  }

  std::size_t inflightNow() {
    std::lock_guard lock(queue_mutex);
    return inflight;
  }

  // --- the strand ----------------------------------------------------------------------------

  void startQueued() {
    std::lock_guard lock(mutex);
    if (stopped) return;
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard queue_lock(queue_mutex);
      incoming.swap(queue);
    }
    for (auto& transfer : incoming) {
      std::optional<core::Error> failed;
      try {
        failed = start(transfer);
      } catch (const std::bad_alloc&) {
        failed = core::makeError(core::ErrorKind::internal, "out of memory");
      }
      if (failed) done(*transfer, std::move(*failed));
    }
    // curl_multi_add_handle set a timer (onTimer): the transfers start when it fires.
  }

  void onReady(curl_socket_t fd, std::uint64_t serial, bool read,
               const boost::system::error_code& ec) {
    std::lock_guard lock(mutex);
    if (stopped) return;
    Socket* socket = find(fd, serial);
    if (socket == nullptr) return;  // closed, and maybe the number reused, since the wait began
    (read ? socket->reading : socket->writing) = false;
    const int direction = read ? CURL_POLL_IN : CURL_POLL_OUT;
    if (ec == net::error::operation_aborted || (socket->wanted & direction) == 0) {
      arm(fd, *socket);  // cancelled, or curl no longer asks for this direction
      return;
    }
    int flags = read ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    if (ec) flags |= CURL_CSELECT_ERR;
    act(fd, flags);
    // The action may have closed the socket, or curl changed what it wants (onSocket armed it).
    if (Socket* still = find(fd, serial)) arm(fd, *still);
  }

  void onTimeout(const boost::system::error_code& ec) {
    if (ec == net::error::operation_aborted) return;
    std::lock_guard lock(mutex);
    if (stopped) return;
    act(CURL_SOCKET_TIMEOUT, 0);
  }

  void act(curl_socket_t fd, int flags) {
    int running = 0;
    curl_multi_socket_action(multi, fd, flags, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE) finish(message->easy_handle, message->data.result);
    }
  }

  Socket* find(curl_socket_t fd, std::uint64_t serial) {
    auto it = sockets.find(fd);
    return it != sockets.end() && it->second->serial == serial ? it->second.get() : nullptr;
  }

  // Starts the waits curl wants that are not pending yet.
  void arm(curl_socket_t fd, Socket& socket) {
    auto wait = [&](bool read) {
      socket.descriptor.async_wait(
          read ? net::posix::stream_descriptor::wait_read
               : net::posix::stream_descriptor::wait_write,
          net::bind_executor(strand, [self = shared_from_this(), fd, serial = socket.serial,
                                      read](const boost::system::error_code& ec) {
            self->onReady(fd, serial, read, ec);
          }));
    };
    if ((socket.wanted & CURL_POLL_IN) != 0 && !socket.reading) {
      socket.reading = true;
      wait(true);
    }
    if ((socket.wanted & CURL_POLL_OUT) != 0 && !socket.writing) {
      socket.writing = true;
      wait(false);
    }
  }

  // --- curl's callbacks (inside curl_multi_* calls, so on the strand with mutex held) --------

  static int onSocket(CURL*, curl_socket_t fd, int what, void* user, void*) noexcept {
    auto* self = static_cast<State*>(user);
    try {
      auto it = self->sockets.find(fd);
      if (what == CURL_POLL_REMOVE) {
        if (it == self->sockets.end()) return 0;
        Socket& socket = *it->second;
        socket.wanted = 0;
        if (socket.ours) {
          // The connection may go back to the cache: stop waiting (so that an idle connection
          // keeps no work in the io_context), keep the descriptor until closeSocket().
          boost::system::error_code ignored;
          socket.descriptor.cancel(ignored);
        } else {
          socket.descriptor.release();  // cancels the waits; curl closes the descriptor
          self->sockets.erase(it);
        }
        return 0;
      }
      if (it == self->sockets.end()) {
        // A descriptor curl opened itself (not a connection of openSocket(): a resolver's,
        // say): watched until CURL_POLL_REMOVE, never closed here.
        auto socket = self->makeSocket();
        boost::system::error_code ec;
        socket->descriptor.assign(fd, ec);
        if (ec) return -1;
        it = self->sockets.emplace(fd, std::move(socket)).first;
      }
      it->second->wanted = what;
      self->arm(fd, *it->second);
      return 0;
    } catch (...) {
      return -1;  // curl fails the transfers using the socket
    }
  }

  static int onTimer(CURLM*, long timeout_ms, void* user) noexcept {
    auto* self = static_cast<State*>(user);
    if (!self->timer) return 0;
    try {
      if (timeout_ms < 0) {
        self->timer->cancel();
        return 0;
      }
      // curl must not be called from inside its callback. A 0 ms timeout (every transfer added)
      // is posted: armed, it sets the reactor's timerfd twice. expires_after() ends a wait.
      if (timeout_ms == 0) {
        self->timer->cancel();
        net::post(self->strand, [weak = self->weak_from_this()] {
          if (auto state = weak.lock()) state->onTimeout({});
        });
        return 0;
      }
      self->timer->expires_after(std::chrono::milliseconds(timeout_ms));
      self->timer->async_wait([weak = self->weak_from_this()](const boost::system::error_code& ec) {
        if (auto state = weak.lock()) state->onTimeout(ec);
      });
      return 0;
    } catch (...) {
      return -1;
    }
  }

  // Connections are sockets of ours, registered with the io_context once for their life
  // (the waits of every transfer that reuses them add no registration).
  static curl_socket_t openSocket(void* user, curlsocktype purpose,
                                  curl_sockaddr* address) noexcept {
    auto* self = static_cast<State*>(user);
    if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
    const int fd = ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
    if (fd < 0) return CURL_SOCKET_BAD;
    try {
      auto socket = self->makeSocket();
      socket->ours = true;
      boost::system::error_code ec;
      socket->descriptor.assign(fd, ec);
      if (!ec) {
        self->sockets.insert_or_assign(fd, std::move(socket));
        return fd;
      }
    } catch (...) {
    }
    ::close(fd);
    return CURL_SOCKET_BAD;
  }

  static int closeSocket(void* user, curl_socket_t fd) noexcept {
    auto* self = static_cast<State*>(user);
    auto it = self->sockets.find(fd);
    if (it == self->sockets.end()) return ::close(fd);
    boost::system::error_code ec;
    it->second->descriptor.close(ec);  // waits still pending finish as operation_aborted
    self->sockets.erase(it);
    return ec ? -1 : 0;
  }

  std::unique_ptr<Socket> makeSocket() {
    auto socket = std::unique_ptr<Socket>(new Socket{net::posix::stream_descriptor(strand)});
    socket->serial = ++serials;
    return socket;
  }

  // --- transfers -----------------------------------------------------------------------------

  EasyPtr takeEasyHandle() {
    if (free_easy.empty()) return EasyPtr(curl_easy_init());
    EasyPtr easy = std::move(free_easy.back());
    free_easy.pop_back();
    return easy;
  }

  void recycle(EasyPtr easy) {
    if (free_easy.size() >= kMaxFreeEasyHandles) return;
    // Connections, DNS and TLS sessions live in the multi handle; the reset only drops options.
    curl_easy_reset(easy.get());
    free_easy.push_back(std::move(easy));
  }

  // Hands the transfer to curl (moving it into `active`), or says why it could not.
  std::optional<core::Error> start(std::unique_ptr<Transfer>& transfer) {
    Transfer& t = *transfer;
    t.easy = takeEasyHandle();
    if (!t.easy) return core::makeError(core::ErrorKind::internal, "curl_easy_init failed");
    CURL* easy = t.easy.get();

    CURLcode rc = configureTransfer(t);
    // The sockets are the loop's (see openSocket).
    auto set = [&](CURLoption option, auto value) {
      if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
    };
    set(CURLOPT_OPENSOCKETFUNCTION, &State::openSocket);
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(this));
    set(CURLOPT_CLOSESOCKETFUNCTION, &State::closeSocket);
    set(CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
    if (rc != CURLE_OK) return curlFailure(core::ErrorKind::internal, "curl_easy_setopt", rc);

    // The slot exists before curl knows the handle, so a failed allocation cannot leave curl
    // holding a transfer nobody owns.
    auto slot = active.emplace(easy, nullptr).first;
    CURLMcode added = curl_multi_add_handle(multi, easy);
    if (added != CURLM_OK) {
      active.erase(slot);
      return core::makeError(core::ErrorKind::internal,
                             std::string("curl_multi_add_handle: ") + curl_multi_strerror(added));
    }
    slot->second = std::move(transfer);
    return std::nullopt;
  }

  void finish(CURL* easy, CURLcode code) {
    auto it = active.find(easy);
    if (it == active.end()) return;
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    active.erase(it);
    curl_multi_remove_handle(multi, easy);
    Transfer& t = *transfer;

    auto result = transferResult(t, code);
    recycle(std::move(t.easy));
    done(t, std::move(result));
  }

  // Counts the transfer out and posts its handler.
  void done(Transfer& transfer, core::Result<HttpReply> result) {
    {
      std::lock_guard lock(queue_mutex);
      --inflight;
      gauge->add(-1);
    }
    transfer.completion->complete(std::move(result));
  }

  std::shared_ptr<Gauge> gauge;
  net::strand<net::any_io_executor> strand;

  std::mutex queue_mutex;  // guards queue, closing and inflight
  std::deque<std::unique_ptr<Transfer>> queue;
  bool closing = false;
  std::size_t inflight = 0;

  std::mutex mutex;  // held by every handler on the strand, and by shutdown()
  bool stopped = false;
  CURLM* multi = nullptr;
  std::unique_ptr<net::steady_timer> timer;
  std::unordered_map<curl_socket_t, std::unique_ptr<Socket>> sockets;
  std::uint64_t serials = 0;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  std::vector<EasyPtr> free_easy;
};

CurlMultiLoop::CurlMultiLoop(std::vector<net::any_io_executor> io, core::Metrics& metrics)
    : gauge_(std::make_shared<Gauge>(metrics)) {
  if (io.empty()) throw std::runtime_error("curl loop without an io_context");
  for (auto& executor : io) {
    contexts_.push_back(&net::query(executor, net::execution::context));
    states_.push_back(std::make_shared<State>(std::move(executor), gauge_));
  }
}

CurlMultiLoop::CurlMultiLoop(core::Metrics& metrics)
    : own_io_(std::make_unique<net::io_context>(1)),
      own_work_(own_io_->get_executor()),
      gauge_(std::make_shared<Gauge>(metrics)) {
  contexts_.push_back(own_io_.get());
  states_.push_back(std::make_shared<State>(own_io_->get_executor(), gauge_));
  own_thread_ = std::thread([io = own_io_.get()] {
    core::nameThisThread("egov-curl");
    io->run();
  });
}

CurlMultiLoop::~CurlMultiLoop() {
  for (auto& state : states_) state->shutdown();
  if (own_io_) {
    own_work_.reset();
    own_io_->stop();
    own_thread_.join();
  }
  states_.clear();  // handlers still queued keep theirs until they run or are destroyed
  own_io_.reset();
}

std::size_t CurlMultiLoop::inflight() const {
  std::size_t total = 0;
  for (const auto& state : states_) total += state->inflightNow();
  return total;
}

std::vector<std::size_t> CurlMultiLoop::inflightByContext() const {
  std::vector<std::size_t> counts;
  for (const auto& state : states_) counts.push_back(state->inflightNow());
  return counts;
}

void CurlMultiLoop::submit(HttpRequestSpec spec, const void* context,
                           std::unique_ptr<Completion> completion) {
  auto transfer = std::make_unique<Transfer>();
  transfer->spec = std::move(spec);
  transfer->completion = std::move(completion);
  std::size_t lane = 0;  // a caller on no I/O context of the loop (a worker): the first
  for (std::size_t i = 0; i < contexts_.size(); ++i) {
    if (contexts_[i] == context) lane = i;
  }
  states_[lane]->submit(std::move(transfer));
}

std::shared_ptr<CurlMultiLoop> sharedCurlMultiLoop(core::RuntimeServices& runtime) {
  core::Metrics& metrics = runtime.metrics();
  std::vector<net::any_io_executor> io = runtime.io();
  return runtime.shared<CurlMultiLoop>([&metrics, io]() -> std::shared_ptr<CurlMultiLoop> {
    if (!io.empty()) return std::make_shared<CurlMultiLoop>(io, metrics);
    return std::make_shared<CurlMultiLoop>(metrics);
  });
}

}  // namespace egov::adapters::http
