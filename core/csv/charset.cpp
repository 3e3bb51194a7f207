#include "core/csv/charset.hpp"

#include "core/csv/byte_scan.hpp"

#include <iconv.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace egov::core {
namespace {

std::string lowerCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

const char* iconvName(Charset charset) {
  return charset == Charset::windows_1252 ? "WINDOWS-1252" : "ISO-8859-1";
}

std::string hexByte(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", byte);
  return text;
}

bool isContinuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Length of the UTF-8 sequence `lead` starts and the range its second byte must fall in
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF); 0 for a byte that
// cannot start a sequence.
struct Lead {
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
};

Lead leadOf(unsigned char byte) {
  if (byte < 0x80) return {1};
  if (byte < 0xC2) return {};
  if (byte < 0xE0) return {2};
  if (byte == 0xE0) return {3, 0xA0, 0xBF};
  if (byte == 0xED) return {3, 0x80, 0x9F};
  if (byte < 0xF0) return {3};
  if (byte == 0xF0) return {4, 0x90, 0xBF};
  if (byte < 0xF4) return {4};
  if (byte == 0xF4) return {4, 0x80, 0x8F};
  return {};
}

}  // namespace

std::optional<Charset> charsetFromName(std::string_view name) {
  const std::string lower = lowerCase(name);
  if (lower == "utf-8") return Charset::utf8;
  if (lower == "windows-1252") return Charset::windows_1252;
  if (lower == "iso-8859-1") return Charset::iso_8859_1;
  return std::nullopt;
}

std::string_view charsetName(Charset charset) {
  switch (charset) {
    case Charset::utf8:
      return "utf-8";
    case Charset::windows_1252:
      return "windows-1252";
    case Charset::iso_8859_1:
      return "iso-8859-1";
  }
  return "?";
}

void CharsetDecoder::IconvCloser::operator()(void* cd) const {
  iconv_close(static_cast<iconv_t>(cd));
}

Result<CharsetDecoder> CharsetDecoder::open(Charset from) {
  CharsetDecoder decoder(from);
  // glibc's UTF-8 decoder accepts code points above U+10FFFF, so UTF-8 is validated here
  // instead; the single-byte charsets are iconv's.
  if (from != Charset::utf8) {
    iconv_t cd = iconv_open("UTF-8", iconvName(from));
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      return makeError(ErrorKind::internal,
                       "iconv cannot convert " + std::string(charsetName(from)) + " to UTF-8");
    }
    decoder.iconv_.reset(cd);
  }
  return decoder;
}

Error CharsetDecoder::fail(std::uint64_t at, std::string reason) {
  error_ = makeError(ErrorKind::bad_request, reason + " at byte offset " + std::to_string(at));
  return *error_;
}

Result<void> CharsetDecoder::decode(std::string_view chunk, std::string& out) {
  if (error_) return *error_;
  return charset_ == Charset::utf8 ? decodeUtf8(chunk, out) : decodeIconv(chunk, out);
}

Result<void> CharsetDecoder::finish() {
  if (error_) return *error_;
  if (!held_.empty()) {
    // Only UTF-8 has multi-byte sequences among the charsets read here.
    return fail(offset_, "incomplete UTF-8 sequence at end of input");
  }
  return {};
}

Result<void> CharsetDecoder::decodeUtf8(std::string_view chunk, std::string& out) {
  // A sequence cut by the previous chunk is completed with the first bytes of this one; the
  // copy is paid only when a chunk boundary actually splits a character.
  std::string joined;
  std::string_view data = chunk;
  if (!held_.empty()) {
    joined = std::move(held_);
    held_.clear();
    joined.append(chunk);
    data = joined;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t size = data.size();
  std::size_t i = 0;
  while (i < size) {
    if (bytes[i] < 0x80) {
      ++i;
      // ASCII, eight bytes at a time.
      while (size - i >= 8 && !byte_scan::hasHigh(byte_scan::load(data.data() + i))) i += 8;
      continue;
    }
    const Lead lead = leadOf(bytes[i]);
    if (lead.length == 0) {
      out.append(data.substr(0, i));
      return fail(offset_ + i, "invalid UTF-8 byte " + hexByte(bytes[i]));
    }
    const std::size_t available = std::min(lead.length, size - i);
    for (std::size_t k = 1; k < available; ++k) {
      const bool ok = k == 1 ? bytes[i + 1] >= lead.second_min && bytes[i + 1] <= lead.second_max
                             : isContinuation(bytes[i + k]);
      if (!ok) {
        out.append(data.substr(0, i));
        return fail(offset_ + i, "invalid UTF-8 sequence");
      }
    }
    if (available < lead.length) {
      // Valid so far, cut by the end of the chunk: wait for the rest.
      out.append(data.substr(0, i));
      held_.assign(data.substr(i));
      offset_ += i;
      return {};
    }
    i += lead.length;
  }
  out.append(data);
  offset_ += size;
  return {};
}

Result<void> CharsetDecoder::decodeIconv(std::string_view chunk, std::string& out) {
  std::string joined;
  std::string_view data = chunk;
  if (!held_.empty()) {
    joined = std::move(held_);
    held_.clear();
    joined.append(chunk);
    data = joined;
  }
  auto* cd = static_cast<iconv_t>(iconv_.get());
  // glibc's iconv does not write through its input pointer, whatever its signature says.
  char* in = const_cast<char*>(data.data());
  std::size_t in_left = data.size();
  while (in_left > 0) {
    // Three bytes of UTF-8 per input byte is the worst case (0x80 is U+20AC); E2BIG is
    // handled all the same, should a charset ever need more.
    const std::size_t start = out.size();
    out.resize(start + in_left * 3 + 4);
    char* write = out.data() + start;
    std::size_t out_left = out.size() - start;
    const std::size_t rc = iconv(cd, &in, &in_left, &write, &out_left);
    out.resize(out.size() - out_left);
    if (rc != static_cast<std::size_t>(-1)) break;
    const std::size_t consumed = static_cast<std::size_t>(in - data.data());
    if (errno == E2BIG) continue;
    if (errno == EINVAL) {
      held_.assign(in, in_left);
      offset_ += consumed;
      return {};
    }
    return fail(offset_ + consumed, "invalid " + std::string(charsetName(charset_)) + " byte " +
                                        hexByte(static_cast<unsigned char>(*in)));
  }
  offset_ += data.size();
  return {};
}

DecodingStreamBuf::DecodingStreamBuf(std::istream& source, CharsetDecoder decoder)
    : source_(source), decoder_(std::move(decoder)) {}

DecodingStreamBuf::int_type DecodingStreamBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  // A chunk may decode to nothing (all of it held as an incomplete sequence): read on.
  while (!finished_ && !error_) {
    text_.clear();
    raw_.resize(kChunkBytes);
    source_.read(raw_.data(), static_cast<std::streamsize>(raw_.size()));
    const auto got = static_cast<std::size_t>(source_.gcount());
    if (source_.bad()) {
      error_ = makeError(ErrorKind::bad_request,
                         "read error at byte offset " + std::to_string(decoder_.offset()));
      break;
    }
    raw_.resize(got);
    if (auto decoded = decoder_.decode(raw_, text_); !decoded) {
      error_ = std::move(decoded).error();
      break;
    }
    if (got < kChunkBytes) {
      finished_ = true;
      if (auto done = decoder_.finish(); !done) {
        error_ = std::move(done).error();
        break;
      }
    }
    if (!text_.empty()) {
      setg(text_.data(), text_.data(), text_.data() + text_.size());
      return traits_type::to_int_type(*gptr());
    }
  }
  setg(nullptr, nullptr, nullptr);
  return traits_type::eof();
}

}  // namespace egov::core
