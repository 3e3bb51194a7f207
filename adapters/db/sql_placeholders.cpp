#include "adapters/db/sql_placeholders.hpp"

#include <algorithm>
#include <cctype>

namespace egov::adapters::db {
namespace {

bool isNameStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}
bool isNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}
// PostgreSQL identifiers may contain '$' and any non-ASCII letter.
bool isIdentifierChar(char c) {
  return isNameChar(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

class Scanner {
 public:
  Scanner(std::string_view sql, PlaceholderStyle style) : sql_(sql), style_(style) {}

  TranslatedSql run() {
    while (i_ < sql_.size() && out_.error.empty()) step();
    return std::move(out_);
  }

 private:
  char at(std::size_t k) const { return k < sql_.size() ? sql_[k] : '\0'; }

  void copyUntil(std::size_t end) {
    out_.sql.append(sql_.substr(i_, end - i_));
    i_ = end;
  }

  void fail(std::string message) {
    out_.error = std::move(message) + " at character " + std::to_string(i_ + 1);
  }

  // Skips a quoted run that ends with `close`, a doubled `close` standing for itself.
  void skipQuoted(char close, bool backslash_escapes, const char* what) {
    std::size_t j = i_ + 1;
    while (j < sql_.size()) {
      if (backslash_escapes && sql_[j] == '\\') {
        j += 2;
        continue;
      }
      if (sql_[j] == close) {
        if (at(j + 1) == close && close != ']') {
          j += 2;
          continue;
        }
        copyUntil(j + 1);
        return;
      }
      ++j;
    }
    fail(std::string("unterminated ") + what);
  }

  void placeholder() {
    std::size_t j = i_ + 1;
    while (j < sql_.size() && isNameChar(sql_[j])) ++j;
    const std::string name(sql_.substr(i_ + 1, j - i_ - 1));
    auto it = std::find(out_.names.begin(), out_.names.end(), name);
    const auto position = static_cast<std::size_t>(it - out_.names.begin()) + 1;
    if (it == out_.names.end()) out_.names.push_back(name);
    out_.sql += style_ == PlaceholderStyle::sqlite ? '?' : '$';
    out_.sql += std::to_string(position);
    i_ = j;
  }

  void dollar() {
    if (i_ > 0 && isIdentifierChar(sql_[i_ - 1])) return copyUntil(i_ + 1);
    if (style_ == PlaceholderStyle::sqlite) return fail("use :name placeholders, not $name");
    if (std::isdigit(static_cast<unsigned char>(at(i_ + 1)))) {
      return fail("use :name placeholders, not $n");
    }
    std::size_t j = i_ + 1;
    while (j < sql_.size() && isNameChar(sql_[j])) ++j;
    if (at(j) != '$') return copyUntil(i_ + 1);
    const std::string_view tag = sql_.substr(i_, j - i_ + 1);
    const auto end = sql_.find(tag, j + 1);
    if (end == std::string_view::npos) return fail("unterminated dollar-quoted string");
    copyUntil(end + tag.size());
  }

  void step() {
    const char c = sql_[i_];
    const char next = at(i_ + 1);
    const bool postgres = style_ == PlaceholderStyle::postgres;
    if (c == '\'') {
      // E'...' strings of PostgreSQL take backslash escapes, so \' does not end them.
      const bool escapes = postgres && i_ > 0 && (sql_[i_ - 1] == 'E' || sql_[i_ - 1] == 'e') &&
                           (i_ < 2 || !isIdentifierChar(sql_[i_ - 2]));
      return skipQuoted('\'', escapes, "string literal");
    }
    if (c == '"') return skipQuoted('"', false, "quoted identifier");
    if (!postgres && c == '`') return skipQuoted('`', false, "quoted identifier");
    if (!postgres && c == '[') return skipQuoted(']', false, "quoted identifier");
    if (c == '-' && next == '-') {
      const auto end = sql_.find('\n', i_);
      return copyUntil(end == std::string_view::npos ? sql_.size() : end);
    }
    if (c == '/' && next == '*') {
      const auto end = sql_.find("*/", i_ + 2);
      if (end == std::string_view::npos) return fail("unterminated comment");
      return copyUntil(end + 2);
    }
    if (c == ':') {
      if (next == ':') return copyUntil(i_ + 2);  // a PostgreSQL cast
      if (isNameStart(next)) return placeholder();
      return copyUntil(i_ + 1);
    }
    if (c == '$') return dollar();
    if (!postgres && (c == '?' || c == '@')) {
      return fail(std::string("use :name placeholders, not ") + c);
    }
    copyUntil(i_ + 1);
  }

  std::string_view sql_;
  PlaceholderStyle style_;
  std::size_t i_ = 0;
  TranslatedSql out_;
};

}  // namespace

TranslatedSql translatePlaceholders(std::string_view sql, PlaceholderStyle style) {
  return Scanner(sql, style).run();
}

}  // namespace egov::adapters::db
