// Raw HTTP over a loopback socket, for tests that must send what no client library would (a
// body over the limit, too many header fields, half a request) and read exactly what the
// listener answered.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>

namespace egov::test {

// A connected socket to 127.0.0.1:port. Reads time out after 30 s: a safety net so a broken
// server fails the test instead of hanging it.
inline int connectLoopback(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// Sends raw bytes and reads until the server closes the connection.
inline std::string rawExchange(unsigned short port, const std::string& raw) {
  int fd = connectLoopback(port);
  for (std::size_t sent = 0; sent < raw.size();) {
    auto n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may refuse before reading everything
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char chunk[4096];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;)
    response.append(chunk, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}

// The status of a raw HTTP/1.1 response, 0 when it is not one.
inline int statusOf(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

inline std::string bodyOf(const std::string& response) {
  auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : response.substr(end + 4);
}

inline bool isProblem(const std::string& response) {
  return response.find("Content-Type: application/problem+json") != std::string::npos;
}

}  // namespace egov::test
