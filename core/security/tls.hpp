// The listener's TLS: a server context from listen.tls (certificate, key, client CAs,
// minimum version) and the verified client certificate of a connection.
#pragma once

#include <memory>
#include <optional>

#include <openssl/ssl.h>

#include "core/config/bus_config.hpp"
#include "core/net/ssl.hpp"
#include "core/security/credentials.hpp"

namespace egov::core {

// Throws std::runtime_error naming the file that does not load (control plane: start-up).
std::shared_ptr<net::ssl::context> makeServerTlsContext(const TlsConfig& tls);

// The client certificate of a finished handshake, when the peer sent one that verified.
std::optional<PeerCertificate> peerCertificate(SSL* ssl);

}  // namespace egov::core
