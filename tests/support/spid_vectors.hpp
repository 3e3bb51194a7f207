// SPID test vectors: generated once per test process by tests/spid/make_vectors.py (openssl
// and xmlsec1 command-line tools, not egovbus code) into a temporary folder, valid from the
// moment they are generated for an hour.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include <rapidjson/document.h>
#include <unistd.h>

namespace egov::test {

class SpidVectors {
 public:
  static constexpr const char* kSpEntityId = "https://egov.ba.it/spid";
  static constexpr const char* kAcsUrl = "https://egov.ba.it/spid/acs";
  static constexpr const char* kRequestId = "_4d38c302617b5bf98951e65b4cf304711e2166df20";
  static constexpr const char* kIdp = "https://idp.spid.example/saml";

  static const SpidVectors& get() {
    static SpidVectors vectors;
    return vectors;
  }

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path metadata() const { return dir_ / "idp-metadata.xml"; }
  // The text of a vector: "valid", "tampered", ... (".xml"), or a file name with extension.
  std::string read(const std::string& name) const {
    auto path = dir_ / (name.find('.') == std::string::npos ? name + ".xml" : name);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("no SPID vector " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // The instant the vectors were generated at (IssueInstant, NotBefore).
  const std::string& now() const { return now_; }

  SpidVectors(const SpidVectors&) = delete;
  SpidVectors& operator=(const SpidVectors&) = delete;

 private:
  SpidVectors() {
    dir_ = std::filesystem::temp_directory_path() / ("egovbus-spid-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    const std::string command = "python3 '" + std::string(EGOV_SOURCE_DIR) +
                                "/tests/spid/make_vectors.py' '" + dir_.string() + "'";
    if (std::system(command.c_str()) != 0) {
      throw std::runtime_error(
          "tests/spid/make_vectors.py failed (are openssl and xmlsec1 "
          "installed? make deps)");
    }
    rapidjson::Document manifest;
    manifest.Parse(read("vectors.json").c_str());
    if (manifest.HasParseError() || !manifest.IsObject() || !manifest.HasMember("now")) {
      throw std::runtime_error("vectors.json has no now");
    }
    now_ = manifest["now"].GetString();
  }
  ~SpidVectors() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::filesystem::path dir_;
  std::string now_;
};

}  // namespace egov::test
