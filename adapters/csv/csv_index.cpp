#include "adapters/csv/csv_index.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "core/csv/csv_reader.hpp"

namespace egov::adapters::csv {
namespace {

// Characters XML 1.0 cannot carry (C0 controls other than tab, LF and CR; U+FFFE, U+FFFF):
// a row holding one could never reach a mapping, so the file is refused when indexed rather
// than a call failing later. The text is valid UTF-8 already (the decoder checked).
bool carriesInXml(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
    if (c == 0xEF && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0xBF &&
        (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xBE) {
      return false;
    }
  }
  return true;
}

std::string columnList(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& column : columns) out += (out.empty() ? "" : ", ") + column;
  return out;
}

}  // namespace

std::optional<FileSignature> fileSignature(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) return std::nullopt;
  FileSignature signature;
  signature.device = static_cast<std::uint64_t>(info.st_dev);
  signature.inode = static_cast<std::uint64_t>(info.st_ino);
  signature.size = static_cast<std::uint64_t>(info.st_size);
  signature.mtime_ns =
      static_cast<std::int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  signature.ctime_ns =
      static_cast<std::int64_t>(info.st_ctim.tv_sec) * 1'000'000'000 + info.st_ctim.tv_nsec;
  return signature;
}

void CsvIndex::appendKey(std::string& out, std::span<const std::string> values) {
  if (values.size() == 1) {
    out.append(values.front());
    return;
  }
  for (const std::string& value : values) {
    out.append(std::to_string(value.size()));
    out.push_back(':');
    out.append(value);
  }
}

core::Result<std::shared_ptr<const CsvIndex>> CsvIndex::load(const CsvLookupConfig& config,
                                                             bool* key_at_fault) {
  if (key_at_fault != nullptr) *key_at_fault = false;
  const std::string name = config.file.string();
  auto failure = [&](const std::string& reason) {
    return core::makeError(core::ErrorKind::bad_request, name + ": " + reason);
  };
  // Taken before reading: if the file changes while it is read, the next check sees a newer
  // signature and reads it again, rather than keeping a mix as current.
  auto signature = fileSignature(config.file);
  std::ifstream file(config.file, std::ios::binary);
  if (!signature || !file) return failure("cannot read file");
  if (config.charset != core::Charset::utf8) {
    // Read as a single-byte charset, a BOM would silently become "ï»¿" in the first column's
    // name; the file says what it is, so say it back.
    char start[3] = {};
    file.read(start, sizeof start);
    if (file.gcount() == 3 && std::string_view(start, 3) == "\xEF\xBB\xBF") {
      return failure("starts with a UTF-8 byte order mark; set charset: utf-8");
    }
    file.clear();
    file.seekg(0);
  }

  auto decoder = core::CharsetDecoder::open(config.charset);
  if (!decoder) return failure(decoder.error().message);
  core::DecodingStreamBuf text_buffer(file, std::move(*decoder));
  std::istream text(&text_buffer);
  core::CsvOptions options;
  options.delimiter = config.delimiter;
  core::CsvReader reader(text, options);

  auto index = std::make_shared<CsvIndex>();
  index->signature_ = *signature;
  // A decoding error ends the text early, and the reader then reports what it makes of the
  // truncated text; the decoding error is the real cause, so it wins.
  auto next = [&](std::vector<std::string>& fields) -> core::Result<bool> {
    auto more = reader.next(fields);
    if (text_buffer.error()) return failure(text_buffer.error()->message);
    if (!more) return failure(more.error().message);
    return more;
  };

  auto header = next(index->columns_);
  if (!header) return std::move(header).error();
  if (!*header) return failure("empty file, a header row is required");
  const std::string header_line = "line " + std::to_string(reader.line()) + ": ";
  const auto& columns = index->columns_;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (std::find(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(i), columns[i]) !=
        columns.begin() + static_cast<std::ptrdiff_t>(i)) {
      return failure(header_line + "duplicate column '" + columns[i] + "'");
    }
  }
  for (const std::string& key : config.key) {
    auto found = std::find(columns.begin(), columns.end(), key);
    if (found == columns.end()) {
      if (key_at_fault != nullptr) *key_at_fault = true;
      return failure(header_line + "no key column '" + key +
                     "' in the header (columns: " + columnList(columns) + ")");
    }
    index->key_columns_.push_back(static_cast<std::size_t>(found - columns.begin()));
  }

  std::vector<std::string> fields;
  std::vector<std::string> key_values(index->key_columns_.size());
  std::string key;
  for (;;) {
    auto more = next(fields);
    if (!more) return std::move(more).error();
    if (!*more) break;
    const std::string line = "line " + std::to_string(reader.line()) + ": ";
    if (fields.size() != columns.size()) {
      return failure(line + std::to_string(fields.size()) + " fields, the header has " +
                     std::to_string(columns.size()));
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (!carriesInXml(fields[i])) {
        return failure(line + "column '" + columns[i] +
                       "' holds a control character that XML cannot carry");
      }
    }
    for (std::size_t k = 0; k < key_values.size(); ++k) {
      key_values[k] = fields[index->key_columns_[k]];
    }
    key.clear();
    appendKey(key, key_values);
    index->by_key_.emplace(key, index->rows_);
    for (std::string& field : fields) index->cells_.push_back(std::move(field));
    ++index->rows_;
  }
  return std::shared_ptr<const CsvIndex>(std::move(index));
}

std::vector<std::size_t> CsvIndex::find(std::span<const std::string> key) const {
  std::vector<std::size_t> rows;
  if (key.size() != key_columns_.size()) return rows;
  std::string wanted;
  appendKey(wanted, key);
  auto [first, last] = by_key_.equal_range(wanted);
  for (auto it = first; it != last; ++it) rows.push_back(it->second);
  std::sort(rows.begin(), rows.end());
  return rows;
}

}  // namespace egov::adapters::csv
