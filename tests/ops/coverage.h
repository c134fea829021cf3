// Which ops core/ops.h declares, and whether the registry covers each of them (the test:
// tests/core/op_coverage_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "tests/ops/op_case.h"

namespace opcases {

// A function declared in the header: its name and its parameter types without const, references,
// namespaces, parameter names or defaults ("add", {"Tensor", "float"}).
struct Declaration {
  std::string name;
  std::vector<std::string> params;
  std::string where;  // "core/ops.h:21"

  // "add(Tensor, float)": how a case names an overloaded op.
  std::string key() const;
};

// The functions (and operators) declared at namespace scope in `text`, a header read from `file`;
// `included` receives the headers it includes from core/ops/ (parsed by read_ops_header too).
std::vector<Declaration> parse_declarations(const std::string& text, const std::string& file,
                                            std::vector<std::string>* included = nullptr);
// core/ops.h under `source_dir`, with the headers of core/ops/ it includes. Throws when unreadable.
std::vector<Declaration> read_ops_header(const std::string& source_dir);

// One message per problem: a declared op without a case or a declared exemption, an op that
// lacks a mode without saying why, a case naming an op the header does not declare (or an
// overloaded one by its bare name), an exemption contradicted by a case, a duplicate case name.
// Empty when the registry covers the header.
std::vector<std::string> coverage_problems(const std::vector<Declaration>& declared,
                                           const Registry& registry);

}  // namespace opcases
