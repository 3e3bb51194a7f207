#include "adapters/http/curl_transfer.hpp"

#include <algorithm>
#include <new>

namespace egov::adapters::http {
namespace {

// Returning less than size * count makes curl stop the transfer with CURLE_WRITE_ERROR.
std::size_t onResponseData(char* data, std::size_t size, std::size_t count, void* user) noexcept {
  auto* sink = static_cast<ResponseSink*>(user);
  const std::size_t n = size * count;
  if (sink->body.size() + n > sink->limit) {
    sink->too_large = true;
    return 0;
  }
  try {
    sink->body.append(data, n);
  } catch (...) {
    sink->out_of_memory = true;
    return 0;
  }
  return n;
}

}  // namespace

core::Error curlFailure(core::ErrorKind kind, const char* what, CURLcode code) {
  return core::makeError(kind, std::string(what) + ": " + curl_easy_strerror(code));
}

CURLcode configureTransfer(Transfer& t) {
  const HttpRequestSpec& spec = t.spec;
  CURL* easy = t.easy.get();
  auto append = [&](const std::string& line) {
    curl_slist* head = curl_slist_append(t.headers.get(), line.c_str());
    if (!head) throw std::bad_alloc();
    if (!t.headers) t.headers.reset(head);  // later appends return the same head
  };
  for (const auto& header : spec.headers) append(header);
  // Without this curl waits up to a second for "100 Continue" before sending larger bodies.
  append("Expect:");

  t.sink.limit = spec.max_response_bytes;
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, spec.url.c_str());
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_USERAGENT, "egovbus/" EGOV_VERSION);
  // curl reads 0 as "no timeout": never pass less than 1 ms.
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, spec.timeout.count())));
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<std::int64_t>(1, spec.connect_timeout.count())));
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(spec.max_response_bytes));
  set(CURLOPT_WRITEFUNCTION, &onResponseData);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&t.sink));
  set(CURLOPT_ERRORBUFFER, t.error_text);
  set(CURLOPT_HTTPHEADER, t.headers.get());
  set(CURLOPT_SSL_VERIFYPEER, spec.tls.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, spec.tls.verify ? 2L : 0L);
  if (!spec.tls.ca_file.empty()) set(CURLOPT_CAINFO, spec.tls.ca_file.c_str());
  if (!spec.tls.client_cert.empty()) set(CURLOPT_SSLCERT, spec.tls.client_cert.c_str());
  if (!spec.tls.client_key.empty()) set(CURLOPT_SSLKEY, spec.tls.client_key.c_str());

  if (spec.method == "GET") {
    set(CURLOPT_HTTPGET, 1L);
  } else {
    // POSTFIELDS (even empty) keeps curl from reading a body from stdin.
    if (!spec.body.empty() || spec.method == "POST") {
      set(CURLOPT_POSTFIELDS, spec.body.data());
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body.size()));
    }
    if (spec.method != "POST") set(CURLOPT_CUSTOMREQUEST, spec.method.c_str());
  }
  return rc;
}

core::Result<HttpReply> transferResult(Transfer& t, CURLcode code) {
  CURL* easy = t.easy.get();
  if (code == CURLE_OK) {
    HttpReply reply;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &reply.status);
    char* content_type = nullptr;
    curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
    if (content_type) reply.content_type = content_type;
    curl_header* retry_after = nullptr;
    if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &retry_after) == CURLHE_OK &&
        retry_after->value) {
      reply.retry_after = retry_after->value;
    }
    reply.body = std::move(t.sink.body);
    return reply;
  }
  if (t.sink.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return core::makeError(
        core::ErrorKind::backend_invalid,
        "response larger than " + std::to_string(t.spec.max_response_bytes) + " bytes");
  }
  if (t.sink.out_of_memory) {
    return core::makeError(core::ErrorKind::internal, "out of memory reading the response");
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    curl_off_t micros = 0;
    curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &micros);
    return core::makeError(core::ErrorKind::deadline_exceeded,
                           "timeout after " + std::to_string(micros / 1000) + " ms");
  }
  return core::makeError(
      core::ErrorKind::backend_unavailable,
      t.error_text[0] ? std::string(t.error_text) : std::string(curl_easy_strerror(code)));
}

}  // namespace egov::adapters::http
