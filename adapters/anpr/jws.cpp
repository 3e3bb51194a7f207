#include "adapters/anpr/jws.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <vector>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace egov::adapters::anpr {
namespace {

constexpr int kMinRsaBits = 2048;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string opensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int passwordCallback(char* buffer, int size, int /*rwflag*/, void* user) noexcept {
  const auto* password = static_cast<const std::string*>(user);
  if (!password || password->empty()) return 0;
  const int n = std::min(size, static_cast<int>(password->size()));
  std::copy_n(password->data(), n, buffer);
  return n;
}

}  // namespace

core::Result<PrivateKey> loadRsaPrivateKey(const std::string& path, const std::string& password) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    ERR_clear_error();
    return core::makeError(core::ErrorKind::internal, "cannot read key file " + path);
  }
  PrivateKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, &passwordCallback,
                                         const_cast<std::string*>(&password)),
                 EvpPkeyDeleter{});
  if (!key) {
    return core::makeError(core::ErrorKind::internal,
                           "key file " + path +
                               " holds no readable PEM private key (wrong "
                               "key_password?): " +
                               opensslError());
  }
  if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return core::makeError(core::ErrorKind::internal,
                           "key file " + path + " is not an RSA key (ModI and PDND need RS256)");
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return core::makeError(core::ErrorKind::internal,
                           "key file " + path + " holds an RSA key shorter than 2048 bits");
  }
  return key;
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out, &size, EVP_sha256(), nullptr) != 1) {
    // Only a broken OpenSSL installation gets here; the control plane has already hashed.
    throw std::runtime_error("EVP_Digest(SHA-256) failed: " + opensslError());
  }
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string base64Url(std::string_view bytes) {
  std::string out = base64(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

std::string hexLower(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  std::size_t written = 0;
  if (OPENSSL_buf2hexstr_ex(out.data(), out.size(), &written,
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                            '\0') != 1) {
    throw std::runtime_error("OPENSSL_buf2hexstr_ex failed");
  }
  out.resize(written > 0 ? written - 1 : 0);  // written counts the terminating NUL
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

core::Result<std::string> signJwt(EVP_PKEY& key, const std::string& kid,
                                  const std::string& payload_json) {
  rapidjson::StringBuffer header;
  rapidjson::Writer<rapidjson::StringBuffer> writer(header);
  writer.StartObject();
  writer.Key("alg");
  writer.String("RS256");
  writer.Key("typ");
  writer.String("JWT");
  writer.Key("kid");
  writer.String(kid.c_str(), static_cast<rapidjson::SizeType>(kid.size()));
  writer.EndObject();

  std::string signing_input = base64Url(std::string_view(header.GetString(), header.GetSize())) +
                              "." + base64Url(payload_json);
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, &key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return core::makeError(core::ErrorKind::internal, "RS256 signing failed: " + opensslError());
  }
  std::string signature(size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1) {
    return core::makeError(core::ErrorKind::internal, "RS256 signing failed: " + opensslError());
  }
  signature.resize(size);
  return signing_input + "." + base64Url(signature);
}

std::string randomDigits(int digits) {
  std::vector<unsigned char> bytes(static_cast<std::size_t>(digits));
  if (RAND_bytes(bytes.data(), digits) != 1) throw std::runtime_error("RAND_bytes failed");
  std::string out;
  for (int i = 0; i < digits; ++i) {
    // 250 = 25 x 10: rejecting 250..255 keeps the digits uniform.
    unsigned char b = bytes[static_cast<std::size_t>(i)];
    while (b >= 250) {
      if (RAND_bytes(&b, 1) != 1) throw std::runtime_error("RAND_bytes failed");
    }
    char digit = static_cast<char>('0' + b % 10);
    if (i == 0 && digit == '0') digit = static_cast<char>('1' + b % 9);
    out.push_back(digit);
  }
  return out;
}

}  // namespace egov::adapters::anpr
