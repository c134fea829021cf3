// The option table (experiments/runner/options.h) is the one list of the runner's settings:
// flags, --help, file keys, the recorded config and what --resume may change all come from it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "experiments/runner/config.h"
#include "experiments/runner/options.h"
#include "experiments/runner/resume_check.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using sst2::Json;
using sst2::Option;
using sst2::options;

std::string usage_error(const std::vector<std::string>& args) {
  try {
    sst2::parse_command_line(args);
  } catch (const sst2::UsageError& e) {
    return e.what();
  }
  return "";
}

std::set<std::string> keys_where(bool (Option::*trait)() const, bool value) {
  std::set<std::string> keys;
  for (const Option& o : options()) {
    if (o.write && (o.*trait)() == value) keys.insert(o.key);
  }
  return keys;
}

TEST(OptionTable, EveryRowIsAFlagInTheHelpAFileKeyAndARecordedKeyInTheTablesOrder) {
  const std::string help = sst2::help_text();
  const Json recorded = sst2::config_to_json(sst2::RunConfig{});
  auto key = recorded.begin();
  for (const Option& o : options()) {
    SCOPED_TRACE(o.key);
    std::string kebab = std::string("--") + o.key;
    for (char& ch : kebab) ch = ch == '_' ? '-' : ch;
    EXPECT_EQ(o.flag, std::string(o.key) == "padding_mask" ? "--no-padding-mask" : kebab);
    EXPECT_NE(help.find(std::string("  ") + o.flag + " "), std::string::npos);
    EXPECT_EQ(o.metavar == nullptr,
              o.shape == sst2::Shape::Switch || o.shape == sst2::Shape::SwitchOff);
    if (!o.write) continue;  // --help only
    ASSERT_NE(key, recorded.end());
    EXPECT_EQ(key.key(), o.key);
    ++key;
  }
  EXPECT_EQ(key, recorded.end());
}

TEST(OptionTable, ResumeMayChangeExactlyTheSettingsThatDoNotChangeResults) {
  EXPECT_EQ(
      keys_where(&Option::changes_results, false),
      (std::set<std::string>{"ffn", "seeds", "epochs", "data_dir", "vocab", "eval_file", "device",
                             "threads", "out", "resume", "quiet", "log_every", "eval_batch",
                             "config", "data_parallel", "cuda_graph", "weight_noise_draws"}));
  EXPECT_EQ(keys_where(&Option::added_later, true),
            (std::set<std::string>{"utf8_replace", "cuda_graph"}));
  EXPECT_EQ(keys_where(&Option::command_line_only, true), (std::set<std::string>{"config"}));
}

TEST(OptionTable, ResumeComparesTheSettingsThatChangeResults) {
  const Json saved = sst2::config_to_json(sst2::RunConfig{});
  Json current = saved;
  EXPECT_EQ(sst2::first_setting_difference(saved, current), std::nullopt);
  current["epochs"] = 20;
  current["device"] = "cuda";
  current["cuda_graph"] = true;
  EXPECT_EQ(sst2::first_setting_difference(saved, current), std::nullopt);
  current["lr"] = 0.5;
  current["norm"] = "post";
  EXPECT_EQ(sst2::first_setting_difference(saved, current), "norm");  // the first in order
  // A key an older build did not write counts as its default; a key outside the table (the
  // record's ffn_dim_base) must be there.
  Json old = saved;
  old.erase("utf8_replace");
  EXPECT_EQ(sst2::first_setting_difference(old, saved), std::nullopt);
  Json replaced = saved;
  replaced["utf8_replace"] = true;
  EXPECT_EQ(sst2::first_setting_difference(old, replaced), "utf8_replace");
  Json with_base = saved;
  with_base["ffn_dim_base"] = 128;
  EXPECT_EQ(sst2::first_setting_difference(saved, with_base), "ffn_dim_base");
}

TEST(OptionTable, NamesAreParsedBackToTheirValues) {
  using sst2::parse_setting;
  using sst2::setting_name;
  for (auto v : {sst2::Preset::Default, sst2::Preset::Original})
    EXPECT_EQ(parse_setting<sst2::Preset>(setting_name(v), "x"), v);
  for (auto v : {sst2::NormPlacement::Pre, sst2::NormPlacement::Post})
    EXPECT_EQ(parse_setting<sst2::NormPlacement>(setting_name(v), "x"), v);
  for (auto v : {sst2::OptimizerKind::AdamW, sst2::OptimizerKind::Sgd})
    EXPECT_EQ(parse_setting<sst2::OptimizerKind>(setting_name(v), "x"), v);
  for (auto v : {ag::nn::Pooling::Mean, ag::nn::Pooling::Cls})
    EXPECT_EQ(parse_setting<ag::nn::Pooling>(setting_name(v), "x"), v);
  for (auto v : {ag::nn::PositionKind::Learned, ag::nn::PositionKind::Sinusoidal})
    EXPECT_EQ(parse_setting<ag::nn::PositionKind>(setting_name(v), "x"), v);
  for (auto v : {ag::Device::CPU, ag::Device::CUDA})
    EXPECT_EQ(parse_setting<ag::Device>(setting_name(v), "x"), v);
  EXPECT_STREQ(setting_name(ag::Device::CUDA), "cuda");
}

// --device takes the documented cpu|cuda, from the command line and from a file alike.
TEST(OptionTable, DeviceGpuIsRefusedNamingTheDevices) {
  EXPECT_EQ(usage_error({"--device", "gpu"}), "--device: 'gpu' is not one of cpu, cuda");
  sst2_test::ScratchDir dir("device_gpu");
  sst2_test::write_text(dir / "c.json", R"({"device": "gpu"})");
  EXPECT_NE(usage_error({"--config", dir / "c.json"})
                .find("key 'device' in " + (dir / "c.json") + ": 'gpu' is not one of cpu, cuda"),
            std::string::npos);
  EXPECT_EQ(
      sst2::config_to_json(sst2::parse_command_line({"--device=cuda", "--quiet"}).config)["device"],
      "cuda");
}

}  // namespace
