// tapegrad.sst2: one run of the SST-2 runner from a config dict (the runner's keys), and the
// runner's data and orderings, so a training loop written in Python can reproduce a run.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/backend.h"
#include "core/ops.h"
#include "experiments/runner/config.h"
#include "experiments/runner/data_source.h"
#include "experiments/runner/progress.h"
#include "experiments/runner/trainer.h"
#include "tools/python/bindings.h"

namespace ag::python {

namespace {

// The config dict arrives as JSON text (the package serialises it): the runner's own parser
// checks every key and value, with the runner's messages.
sst2::RunConfig config_from(const std::string& json_text) {
  const sst2::Json file = sst2::parse_config_text(json_text, "the config dict");
  return sst2::resolve_config(file, sst2::Json::object());
}

void prepare(const sst2::RunConfig& c) {
  if (c.device == Device::CUDA && !cuda_available()) {
    throw sst2::UsageError("device cuda: no CUDA device is available (or this build has none)");
  }
  if (c.threads > 0) set_num_threads(int(c.threads));
}

// Returns the metrics file's text; the package parses it into a dict.
std::string train(const std::string& json_text) {
  const sst2::RunConfig c = config_from(json_text);
  AG_CHECK(c.ffn.size() == 1 && c.seeds.size() == 1,
           "sst2.train runs one (ffn, seed) pair; got ffn ", c.ffn.size(), " variants and ",
           c.seeds.size(), " seeds (call it once per pair)");
  prepare(c);
  sst2::ExperimentData data;
  sst2::RunResult result;
  {
    py::gil_scoped_release release;  // minutes of C++: let other Python threads run
    data = sst2::load_experiment_data(c);
    std::filesystem::create_directories(c.out);
    sst2::Progress progress(c.quiet);
    result = sst2::train_run(c, data, c.ffn[0], c.seeds[0], progress);
  }
  if (result.status == sst2::RunStatus::Diverged) {
    throw RuntimeFailure("sst2: " + sst2::run_name(nn::ffn_kind_name(c.ffn[0]), c.seeds[0]) +
                         " diverged: " + result.message + "; metrics kept in " +
                         result.metrics_path);
  }
  AG_CHECK(result.status == sst2::RunStatus::Finished, "sst2: the run was interrupted");
  std::ifstream in(result.metrics_path, std::ios::binary);
  AG_CHECK(in, "sst2: cannot read back ", result.metrics_path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

py::dict set_arrays(const sst2::TokenizedSet& s) {
  const std::vector<py::ssize_t> rows_cols = {py::ssize_t(s.rows), py::ssize_t(s.seq_len)};
  py::array_t<int32_t> ids(rows_cols);
  py::array_t<float> mask(rows_cols);
  py::array_t<int32_t> labels(std::vector<py::ssize_t>{py::ssize_t(s.rows)});
  std::copy(s.ids.begin(), s.ids.end(), ids.mutable_data());
  std::copy(s.mask.begin(), s.mask.end(), mask.mutable_data());
  std::copy(s.labels.begin(), s.labels.end(), labels.mutable_data());
  py::dict d;
  d["ids"] = ids;
  d["mask"] = mask;
  d["labels"] = labels;
  return d;
}

py::dict load_data(const std::string& json_text) {
  const sst2::RunConfig c = config_from(json_text);
  const sst2::ExperimentData data = sst2::load_experiment_data(c);
  py::dict d;
  d["train"] = set_arrays(data.train);
  d["dev"] = set_arrays(data.dev);
  d["vocab_size"] = data.vocab_size;
  d["data_dir"] = data.data_dir;
  d["vocab"] = data.vocab_path;
  return d;
}

}  // namespace

void bind_sst2(py::module_& m) {
  m.def("_train", &train, py::arg("config_json"));
  m.def("_load_data", &load_data, py::arg("config_json"));
  m.def(
      "_resolve",
      [](const std::string& text) { return sst2::config_to_json(config_from(text)).dump(); },
      py::arg("config_json"));
  m.def("epoch_permutation", &sst2::epoch_permutation, py::arg("n"), py::arg("seed"),
        py::arg("epoch"), "The runner's training order of one epoch (rows of the train set)");
  m.def("dropout_seed", &sst2::dropout_seed, py::arg("seed"),
        "The seed of the runner's dropout generator for a run of `seed`");
}

}  // namespace ag::python
