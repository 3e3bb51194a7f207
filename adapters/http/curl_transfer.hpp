// One outbound HTTP transfer on a curl easy handle: the request spec turned into the
// handle's options, the response body collected under its limit, and the handle's outcome
// turned into an HttpReply or an error. CurlMultiLoop (curl_multi_loop.cpp) drives the
// transfers' sockets and timers; this part knows nothing of them.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "adapters/http/curl_multi_loop.hpp"

namespace egov::adapters::http {

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;

// Where the write callback puts the response body. Plain data, so that the C callback
// needs nothing that can throw except the append it guards.
struct ResponseSink {
  std::string body;
  std::uint64_t limit = 0;
  bool too_large = false;
  bool out_of_memory = false;
};

struct Transfer {
  HttpRequestSpec spec;
  std::unique_ptr<CurlMultiLoop::Completion> completion;
  EasyPtr easy;
  SlistPtr headers;  // curl keeps the pointer until the handle is reset
  ResponseSink sink;
  char error_text[CURL_ERROR_SIZE] = {};
};

// Sets the options of `t.easy` for `t.spec` (method, URL, headers, body, limits, timeouts,
// TLS); the first curl_easy_setopt error, else CURLE_OK. Throws std::bad_alloc when a header
// cannot be added.
CURLcode configureTransfer(Transfer& t);

// The reply of a transfer curl finished with `code`, or why there is none.
core::Result<HttpReply> transferResult(Transfer& t, CURLcode code);

core::Error curlFailure(core::ErrorKind kind, const char* what, CURLcode code);

}  // namespace egov::adapters::http
