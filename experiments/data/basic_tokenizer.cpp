#include "experiments/data/basic_tokenizer.h"

#include <cstdint>
#include <utility>

#include "experiments/data/unicode.h"
#include "experiments/data/utf8.h"

namespace sst2::data {

namespace {

// Marks where a dropped starter Mn stood: it ends a canonical-reordering run even though it
// does not reach the output. Not a valid code point, so it cannot collide with text.
constexpr char32_t kRunBreak = 0xFFFFFFFF;

struct Scratch {
  std::vector<char32_t> cps;     // decoded input
  std::vector<char32_t> folded;  // one word after lower-casing and decomposition
  std::vector<uint8_t> ccc;      // combining class per folded char (kept non-starters only)
  std::vector<char32_t> tmp;
  std::string piece;
};

// Lower-case, NFD and strip the Mn marks of one whitespace-separated word, then split its
// punctuation off; appends the resulting words.
void finish_word(const char32_t* begin, const char32_t* end, Scratch& s,
                 std::vector<std::string>& out) {
  s.folded.clear();
  s.ccc.clear();
  bool reorder = false;
  for (const char32_t* p = begin; p != end; ++p) {
    s.tmp.clear();
    unicode::fold(*p, s.tmp);
    for (char32_t c : s.tmp) {
      const uint8_t props = unicode::props(c);
      if (props & unicode::kMn) {
        // Non-starter marks never split a run; starter marks do, so remember where they were.
        if (!(props & unicode::kNonStarter)) {
          s.folded.push_back(kRunBreak);
          s.ccc.push_back(0);
        }
        continue;
      }
      uint8_t cc = 0;
      if (props & unicode::kNonStarter) {
        cc = unicode::kept_combining_class(c);
        reorder = true;
      }
      s.folded.push_back(c);
      s.ccc.push_back(cc);
    }
  }
  if (reorder) {
    // Canonical ordering: a stable sort by combining class within each run of non-starters.
    // Only a handful of rare non-Mn marks ever get here, so insertion sort is plenty.
    const size_t n = s.folded.size();
    for (size_t i = 1; i < n; ++i) {
      if (s.ccc[i] == 0) continue;
      for (size_t j = i; j > 0 && s.ccc[j - 1] > s.ccc[j]; --j) {
        std::swap(s.ccc[j - 1], s.ccc[j]);
        std::swap(s.folded[j - 1], s.folded[j]);
      }
    }
  }
  s.piece.clear();
  for (char32_t c : s.folded) {
    if (c == kRunBreak) continue;
    if (unicode::props(c) & unicode::kPunct) {
      if (!s.piece.empty()) out.push_back(std::move(s.piece));
      s.piece.clear();
      utf8_append(c, s.piece);
      out.push_back(std::move(s.piece));
      s.piece.clear();
    } else {
      utf8_append(c, s.piece);
    }
  }
  // A word of nothing but accents folds to nothing and yields no word, as in BERT.
  if (!s.piece.empty()) out.push_back(std::move(s.piece));
}

}  // namespace

void bert_basic_tokenize(std::string_view text, std::vector<std::string>& out) {
  thread_local Scratch s;
  s.cps.clear();
  utf8_decode(text, s.cps);

  // Clean, split on whitespace and isolate CJK ideographs in one pass. The classes used here
  // do not change under lower-casing, so classifying the original characters is the same as
  // classifying the lower-cased ones (HuggingFace lower-cases first).
  std::vector<char32_t>& cps = s.cps;
  size_t w = 0;  // cleaned characters are compacted in place; words are runs of them
  size_t word_start = 0;
  auto flush = [&] {
    if (w > word_start) finish_word(cps.data() + word_start, cps.data() + w, s, out);
    word_start = w;
  };
  for (size_t r = 0; r < cps.size(); ++r) {
    const char32_t c = cps[r];
    if (c == 0 || c == 0xFFFD) continue;
    const uint8_t props = unicode::props(c);
    if (props & unicode::kControl) continue;
    if (props & (unicode::kWhitespace | unicode::kPySpace)) {
      flush();
      continue;
    }
    if (unicode::is_cjk(c)) {
      flush();
      cps[w++] = c;
      flush();
      continue;
    }
    cps[w++] = c;
  }
  flush();
}

}  // namespace sst2::data
