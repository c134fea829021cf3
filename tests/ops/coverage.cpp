#include "tests/ops/coverage.h"

#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace opcases {

namespace {

// Comments replaced by spaces (string literals in a header's declarations hold no "//").
std::string strip_comments(const std::string& text) {
  std::string out = text;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    if (out[i] == '/' && out[i + 1] == '/') {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
    } else if (out[i] == '/' && out[i + 1] == '*') {
      while (i + 1 < out.size() && !(out[i] == '*' && out[i + 1] == '/')) {
        if (out[i] != '\n') out[i] = ' ';
        ++i;
      }
      if (i + 1 < out.size()) out[i] = out[i + 1] = ' ';
    }
  }
  return out;
}

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n");
  const size_t b = s.find_last_not_of(" \t\n");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// "const std::vector<Tensor*>& params" -> "vector<Tensor*>".
std::string param_type(std::string p) {
  if (const size_t eq = p.find('='); eq != std::string::npos) p = p.substr(0, eq);
  p = std::regex_replace(p, std::regex(R"(\bconst\b|&)"), " ");
  p = std::regex_replace(p, std::regex(R"(\b\w+::)"), "");
  p = std::regex_replace(p, std::regex(R"(\s+([*<>,]))"), "$1");
  p = std::regex_replace(p, std::regex(R"(([<,])\s+)"), "$1");
  p = trim(std::regex_replace(p, std::regex(R"(\s+)"), " "));
  // The last word is the parameter's name when something precedes it.
  const std::smatch m = [&] {
    std::smatch sm;
    std::regex_match(p, sm, std::regex(R"((.*[\w*>])\s+(\w+))"));
    return sm;
  }();
  return m.empty() ? p : m[1].str();
}

std::vector<std::string> split_params(const std::string& list) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : list) {
    if (c == '<' || c == '(' || c == '{') ++depth;
    if (c == '>' || c == ')' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty()) out.push_back(cur);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

}  // namespace

std::string Declaration::key() const {
  return name + "(" + join(params, ", ") + ")";
}

std::vector<Declaration> parse_declarations(const std::string& raw, const std::string& file,
                                            std::vector<std::string>* included) {
  const std::string text = strip_comments(raw);
  // A statement at namespace scope ending in ';' or in a function body's '{': a declaration
  // when it reads "[inline] <return type> <name>(<params>)".
  static const std::regex function(
      R"(^(?:inline\s+)?(?:[\w:<>,*&\s]+?)[\s*&]+(operator\s*[^\s(]+|\w+)\s*\(([\s\S]*)\)\s*(?:const\s*)?$)");
  std::vector<Declaration> out;
  std::string statement;
  int depth = 0, parens = 0, line = 1, statement_line = 1;
  bool in_namespace = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '#' && trim(statement).empty()) {  // a preprocessor line
      const size_t end = text.find('\n', i);
      const std::string directive = text.substr(i, end - i);
      std::smatch m;
      if (included &&
          std::regex_search(directive, m, std::regex(R"re(#include\s+"(core/ops/[^"]+\.h)")re"))) {
        included->push_back(m[1].str());
      }
      i = end == std::string::npos ? text.size() : end - 1;
      continue;
    }
    if (c == '\n') ++line;
    if (trim(statement).empty() && !std::isspace(static_cast<unsigned char>(c)))
      statement_line = line;
    const bool at_scope = in_namespace && depth == 1;
    if (c == '(') ++parens;
    if (c == ')') --parens;
    if (parens > 0) {  // a default argument may hold braces: `= {}`
      statement += c;
    } else if (c == '{' || c == ';') {
      std::smatch m;
      const std::string s = trim(statement);
      if (at_scope && std::regex_match(s, m, function)) {
        Declaration d{std::regex_replace(m[1].str(), std::regex(R"(\s+)"), ""),
                      {},
                      file + ":" + std::to_string(statement_line)};
        for (const std::string& p : split_params(m[2].str())) d.params.push_back(param_type(p));
        out.push_back(d);
      }
      if (c == '{') {
        if (depth == 0 && std::regex_search(s, std::regex(R"(^namespace\s+ag$)")))
          in_namespace = true;
        ++depth;
      }
      statement.clear();
    } else if (c == '}') {
      if (--depth == 0) in_namespace = false;
      statement.clear();
    } else {
      statement += c;
    }
  }
  return out;
}

std::vector<Declaration> read_ops_header(const std::string& source_dir) {
  std::vector<Declaration> all;
  std::vector<std::string> pending = {"core/ops.h"};
  std::set<std::string> seen;
  while (!pending.empty()) {
    const std::string rel = pending.back();
    pending.pop_back();
    if (!seen.insert(rel).second) continue;
    std::ifstream in(source_dir + "/" + rel);
    if (!in) throw std::runtime_error("cannot read " + source_dir + "/" + rel);
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> included;
    for (Declaration& d : parse_declarations(text.str(), rel, &included)) all.push_back(d);
    pending.insert(pending.end(), included.begin(), included.end());
  }
  return all;
}

std::vector<std::string> coverage_problems(const std::vector<Declaration>& declared,
                                           const Registry& registry) {
  std::vector<std::string> problems;
  std::map<std::string, std::vector<std::string>> keys_of_name;  // name -> its overloads' keys
  std::map<std::string, std::string> where;
  for (const Declaration& d : declared) {
    keys_of_name[d.name].push_back(d.key());
    where[d.key()] = d.where;
  }
  // The key an op string of the registry names, or "" (with a problem) if none.
  const auto resolve = [&](const std::string& op, const std::string& who) -> std::string {
    if (where.count(op)) return op;
    const auto it = keys_of_name.find(op);
    if (it == keys_of_name.end()) {
      problems.push_back(who + " names '" + op + "', which core/ops.h does not declare");
      return "";
    }
    if (it->second.size() > 1) {
      problems.push_back(who + " names the overloaded op '" + op + "': say which, one of " +
                         join(it->second, ", "));
      return "";
    }
    return it->second.front();
  };

  std::map<std::string, int> cases, gradchecks, parities;
  std::set<std::string> names;
  for (const OpCase& c : registry.cases()) {
    if (!names.insert(c.name).second) problems.push_back("two cases are named '" + c.name + "'");
    for (const std::string& op : c.ops) {
      const std::string key = resolve(op, "case '" + c.name + "'");
      if (key.empty()) continue;
      ++cases[key];
      if (c.gradcheck) ++gradchecks[key];
      if (c.parity) ++parities[key];
    }
  }
  std::map<std::string, std::set<Registry::Exemption>> exempt;
  for (const Registry::Declared& e : registry.declared()) {
    const std::string key = resolve(e.op, "the exemption of '" + e.op + "'");
    if (key.empty()) continue;
    if (e.reason.empty()) problems.push_back("the exemption of '" + e.op + "' gives no reason");
    exempt[key].insert(e.what);
  }

  using E = Registry::Exemption;
  for (const Declaration& d : declared) {
    const std::string key = d.key(), at = " (" + d.where + ")";
    const std::set<E>& ex = exempt[key];
    if (ex.count(E::NotAnOp)) {
      if (cases[key]) problems.push_back(key + " is declared not an op but has cases" + at);
      continue;
    }
    if (!cases[key]) {
      problems.push_back(key + " has no case in the op registry (tests/ops/cases_*.cpp)" + at);
      continue;
    }
    if (!gradchecks[key] && !ex.count(E::NoGradient)) {
      problems.push_back(key + " has no gradcheck case, and the registry does not say why" + at);
    }
    if (gradchecks[key] && ex.count(E::NoGradient)) {
      problems.push_back(key + " is declared without a gradient but has gradcheck cases" + at);
    }
    if (!parities[key] && !ex.count(E::NoParity)) {
      problems.push_back(key + " has no parity case, and the registry does not say why" + at);
    }
    if (parities[key] && ex.count(E::NoParity)) {
      problems.push_back(key + " is declared without parity but has parity cases" + at);
    }
  }
  return problems;
}

}  // namespace opcases
