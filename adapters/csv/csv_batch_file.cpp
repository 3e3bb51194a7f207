#include "adapters/csv/csv_batch_file.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <system_error>
#include <vector>

#include "core/csv/csv_writer.hpp"

namespace egov::adapters::csv {
namespace {

using core::ErrorKind;
using core::makeError;

std::string errnoText() {
  return std::strerror(errno);
}

core::Error ioError(const std::filesystem::path& path, const std::string& reason) {
  return makeError(ErrorKind::backend_unavailable, path.string() + ": " + reason);
}

core::Result<void> syncFolder(const std::filesystem::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  const bool ok = fd >= 0 && ::fsync(fd) == 0;
  const std::string reason = ok ? std::string() : errnoText();
  if (fd >= 0) ::close(fd);
  if (!ok) return ioError(folder, "cannot sync the folder: " + reason);
  return {};
}

struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

std::string hex(const unsigned char* bytes, unsigned length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < length; ++i) {
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

bool isHidden(const std::string& name) {
  return name.empty() || name[0] == '.';
}

}  // namespace

std::map<std::string, FileIdentity> listDropFolder(const CsvSourceConfig& config) {
  std::map<std::string, FileIdentity> files;
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(config.folder, ec)) {
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec)) continue;
    names.insert(entry.path().filename().string());
  }
  for (const auto& name : names) {
    if (isHidden(name)) continue;
    if (!config.marker.empty() && name.ends_with(config.marker)) continue;
    if (::fnmatch(config.pattern.c_str(), name.c_str(), FNM_PERIOD) != 0) continue;
    if (!config.marker.empty() && !names.contains(name + config.marker)) continue;
    const auto path = config.folder / name;
    FileIdentity identity;
    identity.size = std::filesystem::file_size(path, ec);
    if (ec) continue;
    identity.mtime = std::filesystem::last_write_time(path, ec);
    if (ec) continue;
    files.emplace(name, identity);
  }
  return files;
}

core::Result<FileFingerprint> fingerprintFile(const std::filesystem::path& file, char delimiter) {
  std::unique_ptr<std::FILE, core::CsvFileWriter::FileCloser> in(std::fopen(file.c_str(), "rb"));
  if (!in) return ioError(file, errnoText());
  std::unique_ptr<EVP_MD_CTX, DigestDeleter> digest(EVP_MD_CTX_new());
  if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1) {
    return makeError(ErrorKind::internal, "SHA-256 is not available");
  }
  core::CsvOptions options;
  options.delimiter = delimiter;
  // The records are counted by CsvRecordCounter, a tenth of a CsvReader's cost, on the same
  // bytes as the digest; a file it cannot vouch for is read again by a CsvReader, which says
  // where it is malformed. (Before the rows are read, this pass is the whole file's wait.)
  core::CsvRecordCounter counter(options);
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), in.get());
    if (n == 0) break;
    if (EVP_DigestUpdate(digest.get(), buffer.data(), n) != 1) {
      return makeError(ErrorKind::internal, "SHA-256 failed");
    }
    counter.feed(buffer.data(), n);
  }
  if (std::ferror(in.get()) != 0) return ioError(file, "read error");
  FileFingerprint print;
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned length = 0;
  if (EVP_DigestFinal_ex(digest.get(), bytes.data(), &length) != 1) {
    return makeError(ErrorKind::internal, "SHA-256 failed");
  }
  print.sha256 = hex(bytes.data(), length);
  if (counter.finish()) {
    print.records = static_cast<std::int64_t>(counter.records());
    return print;
  }
  std::ifstream again(file, std::ios::binary);
  if (!again) return ioError(file, errnoText());
  core::CsvReader reader(again, options);
  std::vector<std::string> fields;
  while (true) {
    auto more = reader.next(fields);
    if (!more) {
      print.malformed = more.error();
      break;
    }
    if (!*more) break;
    ++print.records;
  }
  if (again.bad()) return ioError(file, "read error");
  return print;
}

CsvRowStream::CsvRowStream(std::unique_ptr<std::ifstream> in, core::CharsetDecoder decoder,
                           char delimiter)
    : in_(std::move(in)),
      decoded_(std::make_unique<core::DecodingStreamBuf>(*in_, std::move(decoder))),
      text_(std::make_unique<std::istream>(decoded_.get())),
      reader_(*text_, core::CsvOptions{delimiter}) {}

core::Result<std::unique_ptr<CsvRowStream>> CsvRowStream::open(const std::filesystem::path& file,
                                                               const CsvSourceConfig& config) {
  auto in = std::make_unique<std::ifstream>(file, std::ios::binary);
  if (!*in) return ioError(file, errnoText());
  auto decoder = core::CharsetDecoder::open(config.charset);
  if (!decoder) return std::move(decoder).error();
  std::unique_ptr<CsvRowStream> stream(
      new CsvRowStream(std::move(in), std::move(decoder).value(), config.delimiter));
  auto header = stream->reader_.next(stream->header_);
  if (auto error = stream->decoded_->error()) return *error;
  if (!header) return std::move(header).error();
  if (!*header) return makeError(ErrorKind::bad_request, "the file is empty: no header line");
  std::set<std::string> seen;
  for (const auto& name : stream->header_) {
    if (name.empty()) return makeError(ErrorKind::bad_request, "line 1: an empty column name");
    if (!seen.insert(name).second) {
      return makeError(ErrorKind::bad_request, "line 1: column '" + name + "' appears twice");
    }
  }
  return stream;
}

core::Result<bool> CsvRowStream::next(CsvRow& row) {
  auto more = reader_.next(row.fields);
  // A charset error ends the decoded text early: report it rather than a short file.
  if (auto error = decoded_->error()) return *error;
  if (!more) return std::move(more).error();
  if (!*more) return false;
  row.number = ++number_;
  row.line = reader_.line();
  return true;
}

core::Result<std::vector<CsvRow>> CsvRowStream::read(std::size_t max) {
  if (error_) return *error_;
  std::vector<CsvRow> rows;
  rows.reserve(max);
  for (std::size_t i = 0; i < max; ++i) {
    CsvRow row;
    auto more = next(row);
    if (!more) {
      // The rows before the error are still handed out; the error comes with the next read.
      error_ = std::move(more).error();
      if (rows.empty()) return *error_;
      break;
    }
    if (!*more) break;
    rows.push_back(std::move(row));
  }
  return rows;
}

core::Result<void> CsvRowStream::skip(std::int64_t rows) {
  CsvRow row;
  for (std::int64_t i = 0; i < rows; ++i) {
    auto more = next(row);
    if (!more) return std::move(more).error();
    if (!*more) break;
  }
  return {};
}

core::Result<std::unique_ptr<ResultFile>> ResultFile::open(std::filesystem::path part,
                                                           const std::vector<std::string>& header,
                                                           char delimiter, std::int64_t keep_rows) {
  const core::CsvWriteOptions options{delimiter, true};
  const auto temp = part.string() + ".trim";
  std::unique_ptr<std::FILE, core::CsvFileWriter::FileCloser> out(std::fopen(temp.c_str(), "wb"));
  if (!out) return ioError(temp, errnoText());
  // Streams the kept records through a bounded buffer: the part may hold a million rows.
  std::string kept;
  auto flush = [&]() -> bool {
    const bool ok = std::fwrite(kept.data(), 1, kept.size(), out.get()) == kept.size();
    kept.clear();
    return ok;
  };
  std::int64_t records = 0;
  bool has_header = false;
  std::error_code ec;
  if (std::filesystem::exists(part, ec)) {
    // What a previous run wrote: keep the header and the rows up to its last checkpoint.
    std::ifstream in(part, std::ios::binary);
    if (!in) return ioError(part, errnoText());
    core::CsvOptions read_options;
    read_options.delimiter = delimiter;
    core::CsvReader reader(in, read_options);
    std::vector<std::string> fields;
    while (true) {
      auto more = reader.next(fields);
      if (!more || !*more) break;  // a record cut by a crash ends what is kept
      if (has_header) {
        std::int64_t row = 0;
        try {
          row = std::stoll(fields.at(0));
        } catch (const std::exception&) {
          break;
        }
        if (row > keep_rows) break;
        ++records;
      }
      has_header = true;
      core::appendCsvRecord(kept, fields, options);
      if (kept.size() >= 64 * 1024 && !flush()) return ioError(temp, errnoText());
    }
  }
  if (!has_header) core::appendCsvRecord(kept, header, options);
  if (!flush() || std::fflush(out.get()) != 0 || ::fsync(::fileno(out.get())) != 0) {
    return ioError(temp, errnoText());
  }
  out.reset();
  if (::rename(temp.c_str(), part.c_str()) != 0) return ioError(part, errnoText());
  std::FILE* file = std::fopen(part.c_str(), "ab");
  if (!file) return ioError(part, errnoText());
  return std::unique_ptr<ResultFile>(new ResultFile(std::move(part), file, records));
}

core::Result<void> ResultFile::publishPart(const std::filesystem::path& part,
                                           const std::filesystem::path& final_path) {
  const int fd = ::open(part.c_str(), O_RDONLY | O_CLOEXEC);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  const std::string reason = synced ? std::string() : errnoText();
  if (fd >= 0) ::close(fd);
  if (!synced) return ioError(part, reason);
  if (::rename(part.c_str(), final_path.c_str()) != 0) return ioError(final_path, errnoText());
  if (auto folder = syncFolder(part.parent_path()); !folder) return folder;
  return syncFolder(final_path.parent_path());
}

ResultFile::~ResultFile() {
  if (file_) std::fclose(file_);
}

core::Result<void> ResultFile::append(const std::string& records) {
  if (!file_) return makeError(ErrorKind::internal, part_.string() + ": already published");
  if (std::fwrite(records.data(), 1, records.size(), file_) != records.size()) {
    return ioError(part_, errnoText());
  }
  return {};
}

core::Result<void> ResultFile::sync() {
  if (!file_) return makeError(ErrorKind::internal, part_.string() + ": already published");
  if (std::fflush(file_) != 0 || ::fdatasync(::fileno(file_)) != 0) {
    return ioError(part_, errnoText());
  }
  return {};
}

core::Result<void> ResultFile::publish(const std::filesystem::path& final_path) {
  if (auto synced = sync(); !synced) return synced;
  const int closed = std::fclose(file_);
  file_ = nullptr;
  if (closed != 0) return ioError(part_, errnoText());
  if (::rename(part_.c_str(), final_path.c_str()) != 0) return ioError(final_path, errnoText());
  if (auto synced = syncFolder(part_.parent_path()); !synced) return synced;
  return syncFolder(final_path.parent_path());
}

core::Result<std::filesystem::path> moveInto(const std::filesystem::path& from,
                                             const std::filesystem::path& folder,
                                             const std::string& suffix) {
  auto to = folder / from.filename();
  std::error_code ec;
  for (int n = 1; std::filesystem::exists(to, ec); ++n) {
    to =
        folder / (from.filename().string() + "." + suffix + (n > 1 ? "." + std::to_string(n) : ""));
  }
  if (::rename(from.c_str(), to.c_str()) != 0) return ioError(to, errnoText());
  if (auto synced = syncFolder(folder); !synced) return std::move(synced).error();
  if (auto synced = syncFolder(from.parent_path()); !synced) return std::move(synced).error();
  return to;
}

std::filesystem::path resultPartPath(const CsvSourceConfig& config, const std::string& name,
                                     const std::string& hash, const char* kind) {
  return config.doneFolder() / ("." + name + "." + hash.substr(0, 12) + "." + kind + ".part");
}

core::Result<void> publishResults(const CsvSourceConfig& config, const std::filesystem::path& file,
                                  const core::BatchFile& batch) {
  const auto folder =
      batch.state == core::BatchState::done ? config.doneFolder() : config.errorFolder();
  const std::string name = file.filename().string();
  const std::string tag = batch.content_hash.substr(0, 12);
  std::error_code ec;
  auto final_name = [&](const std::string& suffix) {
    auto target = folder / (name + suffix);
    if (std::filesystem::exists(target, ec)) target = folder / (name + "." + tag + suffix);
    return target;
  };
  for (const char* kind : {"outcomes", "rejects"}) {
    const auto part = resultPartPath(config, name, batch.content_hash, kind);
    if (!std::filesystem::exists(part, ec)) continue;
    if (std::string(kind) == "rejects" && batch.rows_failed == 0) {
      std::filesystem::remove(part, ec);
      continue;
    }
    // Synced at the final checkpoint, before the journal recorded the file as finished.
    auto published = ResultFile::publishPart(part, final_name(std::string(".") + kind + ".csv"));
    if (!published) return published;
  }
  if (std::filesystem::exists(file, ec)) {
    auto moved = moveInto(file, folder, tag);
    if (!moved) return std::move(moved).error();
  }
  if (!config.marker.empty()) std::filesystem::remove(file.string() + config.marker, ec);
  return {};
}

}  // namespace egov::adapters::csv
