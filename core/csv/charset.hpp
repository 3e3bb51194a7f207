// Streaming conversion of legacy exports to UTF-8, the only charset the canonical XML body
// carries. Windows-1252 and ISO-8859-1 go through glibc iconv; UTF-8 input is passed through
// unchanged after validation. Input arrives in chunks of any size: a multi-byte sequence cut
// at the end of a chunk is held back and completed by the next one.
//
// Windows-1252 and ISO-8859-1 differ only in 0x80-0x9F: Windows-1252 has printable characters
// there (0x80 is the euro sign), ISO-8859-1 has C1 control characters. Windows-1252 leaves
// 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; they are errors, not silently dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <streambuf>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace egov::core {

enum class Charset { utf8, windows_1252, iso_8859_1 };

// "utf-8", "windows-1252", "iso-8859-1", in any letter case; nullopt for anything else.
std::optional<Charset> charsetFromName(std::string_view name);
std::string_view charsetName(Charset charset);

// Converts one stream of bytes in `from` to UTF-8. Not thread-safe: one decoder per stream.
// Movable, not copyable (it owns an iconv descriptor).
// Errors are ErrorKind::bad_request, "invalid windows-1252 byte 0x81 at byte offset 12",
// with the 0-based offset of the offending byte in the whole stream (all chunks together).
// After an error the decoder is finished and keeps returning that error.
class CharsetDecoder {
 public:
  // Control plane or data plane alike; fails (ErrorKind::internal) only when the C library
  // lacks the conversion.
  static Result<CharsetDecoder> open(Charset from);

  // Appends the UTF-8 text of `chunk` to `out`. An incomplete sequence at the end of `chunk`
  // is kept for the next call and not counted as consumed yet.
  Result<void> decode(std::string_view chunk, std::string& out);
  // End of input: an incomplete sequence still held is an error.
  Result<void> finish();

  Charset charset() const { return charset_; }
  // Bytes of input converted so far (held bytes excluded).
  std::uint64_t offset() const { return offset_; }

  struct IconvCloser {
    void operator()(void* cd) const;
  };

 private:
  explicit CharsetDecoder(Charset charset) : charset_(charset) {}
  Result<void> decodeUtf8(std::string_view chunk, std::string& out);
  Result<void> decodeIconv(std::string_view chunk, std::string& out);
  Error fail(std::uint64_t at, std::string reason);

  Charset charset_;
  std::unique_ptr<void, IconvCloser> iconv_;  // null for UTF-8
  std::string held_;                          // an incomplete sequence from the previous chunk
  std::uint64_t offset_ = 0;
  std::optional<Error> error_;
};

// A read-only streambuf giving the UTF-8 text of `source` (read in chunks), so that readers
// of std::istream (CsvReader) see converted text while the file streams through a bounded
// buffer. A conversion or read error ends the stream early: after reading to end of input,
// check error() before trusting what was read. Neither copyable nor movable (streambufs
// point into themselves); `source` must outlive it.
class DecodingStreamBuf : public std::streambuf {
 public:
  static constexpr std::size_t kChunkBytes = 64 * 1024;

  DecodingStreamBuf(std::istream& source, CharsetDecoder decoder);
  DecodingStreamBuf(const DecodingStreamBuf&) = delete;
  DecodingStreamBuf& operator=(const DecodingStreamBuf&) = delete;

  // The first conversion or read error, if any.
  const std::optional<Error>& error() const { return error_; }

 protected:
  int_type underflow() override;

 private:
  std::istream& source_;
  CharsetDecoder decoder_;
  std::string raw_;
  std::string text_;
  bool finished_ = false;
  std::optional<Error> error_;
};

}  // namespace egov::core
