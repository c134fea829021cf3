#include "experiments/data/utf8.h"

namespace sst2::data {

void utf8_decode(std::string_view text, std::vector<char32_t>& out) {
  constexpr char32_t kReplacement = 0xFFFD;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char b = s[i];
    if (b < 0x80) {
      out.push_back(b);
      ++i;
      continue;
    }
    int len = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((b & 0xE0) == 0xC0) {
      len = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      len = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      len = 4, cp = b & 0x07, min = 0x10000;
    } else {
      out.push_back(kReplacement);  // stray continuation byte or invalid lead byte
      ++i;
      continue;
    }
    bool ok = i + size_t(len) <= n;
    for (int k = 1; ok && k < len; ++k) {
      const unsigned char c = s[i + size_t(k)];
      if ((c & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (!ok || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      out.push_back(kReplacement);
      ++i;  // resynchronise on the next byte
      continue;
    }
    out.push_back(cp);
    i += size_t(len);
  }
}

void utf8_append(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

size_t utf8_sequence_length(std::string_view text, size_t pos, size_t& bad) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data()) + pos;
  const size_t n = text.size() - pos;
  bad = 0;
  if (n == 0) return 0;
  const unsigned char b = s[0];
  if (b < 0x80) return 1;
  // The second byte's range depends on the lead byte (Unicode Table 3-7); later ones are
  // always 80..BF.
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;  // no overlong forms
    if (b == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    bad = 1;  // a continuation byte, C0, C1 or F5..FF
    return 0;
  }
  for (size_t k = 1; k < len; ++k) {
    const unsigned char c = k < n ? s[k] : 0;
    const bool ok = k < n && (k == 1 ? (c >= lo && c <= hi) : (c >= 0x80 && c <= 0xBF));
    if (!ok) {
      bad = k;  // the lead byte and the continuation bytes that were still possible
      return 0;
    }
  }
  return len;
}

size_t utf8_first_invalid(std::string_view text) {
  size_t bad = 0;
  for (size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(text, i, bad);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

std::string utf8_replace_invalid(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t bad = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t len = utf8_sequence_length(text, i, bad);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      i += bad;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

}  // namespace sst2::data
