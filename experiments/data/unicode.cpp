#include "experiments/data/unicode.h"

#include <algorithm>
#include <array>
#include <iterator>

#include "experiments/data/unicode_tables.h"

namespace sst2::data::unicode {

namespace tables = unicode_tables;

namespace {

constexpr uint8_t props_from_table(char32_t cp) {
  // Last range that starts at or before cp. kProps[0] starts at 0, so there always is one.
  const uint32_t key = (uint32_t(cp) << 8) | 0xFF;
  const uint32_t* it = std::upper_bound(std::begin(tables::kProps), std::end(tables::kProps), key);
  return uint8_t(*(it - 1) & 0xFF);
}

constexpr std::array<uint8_t, 128> make_ascii_props() {
  std::array<uint8_t, 128> a{};
  for (char32_t c = 0; c < 128; ++c) a[c] = props_from_table(c);
  return a;
}

}  // namespace

// Computed from the same table at compile time (not typed by hand), so the ASCII fast path
// cannot disagree with it, and constant-initialised, so it is usable during static init.
constinit const std::array<uint8_t, 128> kAsciiProps = make_ascii_props();

uint8_t props_slow(char32_t cp) {
  return props_from_table(cp);
}

void fold_slow(char32_t cp, std::vector<char32_t>& out) {
  // Hangul syllables decompose algorithmically (Unicode 3.12) into leading consonant, vowel and
  // optional trailing consonant jamo, all starters; the table leaves them out.
  constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
  constexpr char32_t kTCount = 28, kNCount = 21 * 28, kSCount = 19 * 21 * 28;
  if (cp >= kSBase && cp < kSBase + kSCount) {
    const char32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount != 0) out.push_back(kTBase + s % kTCount);
    return;
  }
  // kFold is a flat list of {code point, value} pairs sorted by code point.
  constexpr size_t n = std::size(tables::kFold) / 2;
  size_t lo = 0, hi = n;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (tables::kFold[2 * mid] < uint32_t(cp)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == n || tables::kFold[2 * lo] != uint32_t(cp)) {
    out.push_back(cp);
    return;
  }
  const uint32_t v = tables::kFold[2 * lo + 1];
  const uint32_t len = v >> 24, low = v & 0xFFFFFF;
  if (len == 1) {
    out.push_back(char32_t(low));
  } else {
    for (uint32_t k = 0; k < len; ++k) out.push_back(char32_t(tables::kFoldPool[low + k]));
  }
}

uint8_t kept_combining_class(char32_t cp) {
  for (size_t i = 0; i + 1 < std::size(tables::kKeptNonStarters); i += 2) {
    if (tables::kKeptNonStarters[i] == uint32_t(cp))
      return uint8_t(tables::kKeptNonStarters[i + 1]);
  }
  return 0;
}

const char* table_version() {
  return tables::kUnicodeVersion;
}

}  // namespace sst2::data::unicode
