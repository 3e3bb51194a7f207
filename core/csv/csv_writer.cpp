#include "core/csv/csv_writer.hpp"

#include "core/csv/byte_scan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

namespace egov::core {
namespace {

// A POSIX descriptor closed when it goes out of scope.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string errnoText() {
  return std::strerror(errno);
}

}  // namespace

bool csvNeedsQuotes(std::string_view field, char delimiter) {
  if (field.empty()) return false;
  if (isBlank(field.front()) || isBlank(field.back())) return true;
  const char* at = field.data();
  const char* end = at + field.size();
  for (; end - at >= 8; at += 8) {
    const std::uint64_t word = byte_scan::load(at);
    if (byte_scan::has(word, delimiter) || byte_scan::has(word, '"') ||
        byte_scan::has(word, '\r') || byte_scan::has(word, '\n')) {
      return true;
    }
  }
  for (; at < end; ++at) {
    const char c = *at;
    if (c == delimiter || c == '"' || c == '\r' || c == '\n') return true;
  }
  return false;
}

namespace {

template <class Field>
void appendRecord(std::string& out, std::span<const Field> fields, const CsvWriteOptions& options) {
  bool first = true;
  for (const Field& field : fields) {
    if (!first) out.push_back(options.delimiter);
    first = false;
    if (!csvNeedsQuotes(field, options.delimiter)) {
      out.append(field);
      continue;
    }
    out.push_back('"');
    for (char c : field) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  // A record of one empty field would read back as a blank line, which readers skip.
  if (fields.size() == 1 && fields.front().empty()) out.append("\"\"");
  out.append(options.crlf ? "\r\n" : "\n");
}

}  // namespace

void appendCsvRecord(std::string& out, std::span<const std::string> fields,
                     const CsvWriteOptions& options) {
  appendRecord(out, fields, options);
}

void appendCsvRecord(std::string& out, std::span<const std::string_view> fields,
                     const CsvWriteOptions& options) {
  appendRecord(out, fields, options);
}

CsvFileWriter::CsvFileWriter(std::filesystem::path final_path, std::filesystem::path temp_path,
                             std::unique_ptr<std::FILE, FileCloser> file, CsvWriteOptions options)
    : final_path_(std::move(final_path)),
      temp_path_(std::move(temp_path)),
      file_(std::move(file)),
      options_(options) {}

CsvFileWriter::CsvFileWriter(CsvFileWriter&& other) noexcept
    : final_path_(std::move(other.final_path_)),
      temp_path_(std::move(other.temp_path_)),
      file_(std::move(other.file_)),
      options_(other.options_),
      record_(std::move(other.record_)),
      records_(other.records_) {
  other.temp_path_.clear();
}

CsvFileWriter::~CsvFileWriter() {
  discard();
}

void CsvFileWriter::discard() {
  file_.reset();
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

Error CsvFileWriter::fail(const std::filesystem::path& path, std::string reason) {
  Error error = makeError(ErrorKind::backend_unavailable, path.string() + ": " + reason);
  discard();
  return error;
}

Result<CsvFileWriter> CsvFileWriter::create(std::filesystem::path final_path,
                                            CsvWriteOptions options) {
  const std::string name = final_path.filename().string();
  if (name.empty()) {
    return makeError(ErrorKind::internal, final_path.string() + ": not a file name");
  }
  // Same folder as the final name, so that rename() is atomic (one file system).
  std::string pattern = (final_path.parent_path() / ("." + name + ".XXXXXX.tmp")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  UniqueFd fd(::mkostemps(buffer.data(), 4, O_CLOEXEC));
  if (fd.get() < 0) {
    return makeError(ErrorKind::backend_unavailable,
                     final_path.string() + ": cannot create a temporary file: " + errnoText());
  }
  std::filesystem::path temp_path(buffer.data());
  // mkstemp creates 0600; the file is an export for another system's account to read.
  std::unique_ptr<std::FILE, FileCloser> file;
  if (::fchmod(fd.get(), 0644) == 0) file.reset(::fdopen(fd.get(), "wb"));
  if (!file) {
    const std::string reason = errnoText();
    ::unlink(temp_path.c_str());
    return makeError(ErrorKind::backend_unavailable, temp_path.string() + ": " + reason);
  }
  fd.release();  // the FILE owns the descriptor now
  return CsvFileWriter(std::move(final_path), std::move(temp_path), std::move(file), options);
}

Result<void> CsvFileWriter::write(std::span<const std::string> fields) {
  if (!file_) return makeError(ErrorKind::internal, final_path_.string() + ": already closed");
  record_.clear();
  appendCsvRecord(record_, fields, options_);
  if (std::fwrite(record_.data(), 1, record_.size(), file_.get()) != record_.size()) {
    return fail(temp_path_, errnoText());
  }
  ++records_;
  return {};
}

Result<void> CsvFileWriter::publish() {
  if (!file_) return makeError(ErrorKind::internal, final_path_.string() + ": already closed");
  if (std::fflush(file_.get()) != 0 || ::fsync(::fileno(file_.get())) != 0) {
    return fail(temp_path_, errnoText());
  }
  // fclose reports the last write errors (NFS); the FILE is gone whatever it returns.
  if (std::fclose(file_.release()) != 0) return fail(temp_path_, errnoText());
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return fail(final_path_, "cannot rename the temporary file: " + errnoText());
  }
  temp_path_.clear();
  UniqueFd folder(::open(final_path_.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (folder.get() < 0 || ::fsync(folder.get()) != 0) {
    // The file is complete and visible; only its durability across a power cut is in doubt.
    return makeError(
        ErrorKind::backend_unavailable,
        final_path_.parent_path().string() + ": cannot sync the folder: " + errnoText());
  }
  return {};
}

}  // namespace egov::core
