// The tape as a Graphviz digraph, and the atomic file write used to save it.
#include <sstream>

#include "core/atomic_file.h"
#include "tools/explain_cli/format.h"
#include "tools/explain_cli/input_error.h"
#include "tools/explain_cli/tape.h"

namespace ag::explain {

namespace {

constexpr size_t kShownValues = 3;

// Text inside a double-quoted dot string: quotes and backslashes escaped. Line breaks are
// added by the caller as \l (left-justified lines).
std::string dot_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\l";
      continue;
    }
    out += c;
  }
  return out;
}

std::string tensor_label(const TapeTensor& t) {
  std::string label = dot_escape(t.name + "  " + to_string(t.shape)) + "\\l";
  label += dot_escape("value: " + first_values(t.values, kShownValues)) + "\\l";
  label +=
      dot_escape("grad: " + (t.has_grad ? first_values(t.grad, kShownValues) : "none")) + "\\l";
  return label;
}

}  // namespace

std::string tape_dot(const std::vector<TapeRun>& runs) {
  std::ostringstream dot;
  dot << "digraph tape {\n"
      << "  rankdir=TB;\n"
      << "  node [fontname=\"Helvetica\", fontsize=10];\n"
      << "  edge [color=\"#555555\", fontname=\"Helvetica\", fontsize=9];\n";
  for (size_t r = 0; r < runs.size(); ++r) {
    const TapeRun& run = runs[r];
    const std::string prefix = concat("r", r, "_");
    dot << "  subgraph cluster_" << r << " {\n"
        << "    label=\"" << dot_escape(run.ffn + ": " + run.description) << "\";\n"
        << "    fontname=\"Helvetica\";\n";
    for (const TapeTensor& t : run.tensors) {
      // leaves (input, parameters) yellow, the loss red, intermediates white
      const bool is_loss = !run.nodes.empty() && t.id == run.nodes.back().output;
      const char* fill = t.leaf ? "#fff2cc" : (is_loss ? "#f8cecc" : "#ffffff");
      dot << "    " << prefix << "t" << t.id << " [shape=box, style=filled, fillcolor=\"" << fill
          << "\", label=\"" << tensor_label(t) << "\"];\n";
    }
    for (const TapeNode& node : run.nodes) {
      dot << "    " << prefix << "n" << node.index
          << " [shape=ellipse, style=filled, fillcolor=\"#dae8fc\", label=\"#" << node.index << " "
          << dot_escape(node.op) << "\"];\n";
      for (size_t i = 0; i < node.inputs.size(); ++i) {
        dot << "    " << prefix << "t" << node.inputs[i] << " -> " << prefix << "n" << node.index;
        if (node.inputs.size() > 1) dot << " [label=\"" << i << "\"]";
        dot << ";\n";
      }
      dot << "    " << prefix << "n" << node.index << " -> " << prefix << "t" << node.output
          << ";\n";
    }
    dot << "  }\n";
  }
  dot << "}\n";
  return dot.str();
}

void write_file_atomically(const std::string& path, const std::string& text) {
  try {
    ag::write_file_atomically(path, text);
  } catch (const ag::WriteError& e) {
    input_error("cannot write '", path, "': ", e.reason());
  }
}

}  // namespace ag::explain
