// Command line and --config resolution: defaults, the original preset, file + flag precedence,
// list parsing, and errors that name the flag or key at fault.
#include <gtest/gtest.h>

#include "experiments/runner/config.h"
#include "tests/experiments/runner_test_util.h"

namespace {

using ag::nn::FfnKind;
using ag::nn::Pooling;
using ag::nn::PositionKind;
using sst2::CommandLine;
using sst2::NormPlacement;
using sst2::OptimizerKind;
using sst2::parse_command_line;
using sst2::Preset;
using sst2::RunConfig;
using sst2::UsageError;
using namespace sst2_test;

RunConfig parse(const std::vector<std::string>& args) {
  return parse_command_line(args).config;
}

// The message of the UsageError that parsing `args` throws ("" if none).
std::string usage_error(const std::vector<std::string>& args) {
  try {
    parse_command_line(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsAreTheSeedExperiment) {
  const RunConfig c = parse({});
  EXPECT_EQ(c.ffn, (std::vector<FfnKind>{FfnKind::Relu, FfnKind::Swish, FfnKind::SwiGLU}));
  EXPECT_EQ(c.seeds, (std::vector<int64_t>{0}));
  EXPECT_EQ(c.epochs, 10);
  EXPECT_EQ(c.preset, Preset::Default);
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.ffn_dim, 128);
  EXPECT_EQ(c.max_len, 32);
  EXPECT_EQ(c.heads, 4);
  EXPECT_EQ(c.layers, 1);
  EXPECT_EQ(c.batch, 16);
  EXPECT_EQ(c.optimizer, OptimizerKind::AdamW);
  EXPECT_DOUBLE_EQ(c.lr, 1e-4);
  EXPECT_DOUBLE_EQ(c.weight_decay, 0.01);
  EXPECT_DOUBLE_EQ(c.beta1, 0.9);
  EXPECT_DOUBLE_EQ(c.beta2, 0.999);
  EXPECT_DOUBLE_EQ(c.eps, 1e-8);
  EXPECT_DOUBLE_EQ(c.dropout, 0.1);
  EXPECT_EQ(c.norm, NormPlacement::Pre);
  EXPECT_EQ(c.pooling, Pooling::Mean);
  EXPECT_EQ(c.positions, PositionKind::Learned);
  EXPECT_TRUE(c.padding_mask);
  EXPECT_EQ(c.limit, -1);
  EXPECT_EQ(c.dev_limit, -1);
  EXPECT_DOUBLE_EQ(c.clip_grad_norm, 0.0);
  EXPECT_EQ(c.log_every, 50);
  EXPECT_EQ(c.device, ag::Device::CPU);
  EXPECT_FALSE(c.resume);
  EXPECT_FALSE(c.quiet);
  EXPECT_FALSE(c.swiglu_match_params);
  EXPECT_FALSE(c.unfused);
}

TEST(Config, OriginalPresetIsTheSeedRepository) {
  const RunConfig c = parse({"--preset", "original"});
  EXPECT_EQ(c.preset, Preset::Original);
  EXPECT_EQ(c.limit, 3000);
  EXPECT_EQ(c.dev_limit, 500);
  EXPECT_EQ(c.norm, NormPlacement::Post);
  EXPECT_EQ(c.heads, 2);
  EXPECT_EQ(c.positions, PositionKind::Sinusoidal);
  EXPECT_EQ(c.pooling, Pooling::Cls);
  EXPECT_FALSE(c.padding_mask);
  EXPECT_DOUBLE_EQ(c.dropout, 0.0);
  // everything else stays at the defaults
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.ffn_dim, 128);
  EXPECT_DOUBLE_EQ(c.lr, 1e-4);
  EXPECT_EQ(c.batch, 16);
}

TEST(Config, ExplicitFlagsOverrideThePreset) {
  // The preset is applied first whatever the order on the command line.
  const RunConfig c = parse({"--heads", "4", "--preset", "original", "--limit", "100"});
  EXPECT_EQ(c.heads, 4);
  EXPECT_EQ(c.limit, 100);
  EXPECT_EQ(c.norm, NormPlacement::Post);
}

TEST(Config, FileValuesAndFlagOverrides) {
  ScratchDir dir("config");
  write_text(dir / "c.json",
             R"({"ffn": ["relu", "swiglu"], "seeds": [3, 4], "ffn_dim": 96, "lr": 0.001,
                 "preset": "original", "heads": 8, "padding_mask": true, "quiet": true,
                 "eval_file": ["a.tsv", "b.tsv"]})");
  const RunConfig c = parse({"--config", dir / "c.json", "--lr", "0.002", "--seeds", "7"});
  EXPECT_EQ(c.ffn, (std::vector<FfnKind>{FfnKind::Relu, FfnKind::SwiGLU}));
  EXPECT_EQ(c.seeds, (std::vector<int64_t>{7}));  // flag beats file
  EXPECT_DOUBLE_EQ(c.lr, 0.002);                  // flag beats file
  EXPECT_EQ(c.ffn_dim, 96);                       // file beats default
  EXPECT_EQ(c.heads, 8);                          // file beats preset
  EXPECT_TRUE(c.padding_mask);                    // file beats preset
  EXPECT_EQ(c.norm, NormPlacement::Post);         // preset named in the file
  EXPECT_TRUE(c.quiet);
  EXPECT_EQ(c.eval_files, (std::vector<std::string>{"a.tsv", "b.tsv"}));
  EXPECT_EQ(c.config_file, dir / "c.json");
}

TEST(Config, ResolvedConfigRecordsEveryKey) {
  const Json j = sst2::config_to_json(parse({"--ffn", "geglu", "--no-padding-mask"}));
  for (const char* key : {"ffn",          "seeds",
                          "epochs",       "preset",
                          "limit",        "dev_limit",
                          "batch",        "lr",
                          "device",       "threads",
                          "data_dir",     "vocab",
                          "eval_file",    "out",
                          "resume",       "quiet",
                          "ffn_dim",      "swiglu_match_params",
                          "unfused",      "d_model",
                          "heads",        "layers",
                          "max_len",      "dropout",
                          "norm",         "pooling",
                          "positions",    "padding_mask",
                          "weight_decay", "optimizer",
                          "momentum",     "clip_grad_norm",
                          "log_every"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["ffn"], Json::array({"geglu"}));
  EXPECT_EQ(j["padding_mask"], false);
}

TEST(Config, ResolvedConfigCanBeReadBackAsAConfigFile) {
  ScratchDir dir("config_roundtrip");
  const RunConfig a = parse({"--ffn", "swish", "--seeds", "1,2", "--dropout", "0.2",
                             "--no-padding-mask", "--pooling", "cls", "--eval-file", "x.tsv"});
  Json j = sst2::config_to_json(a);
  j.erase("config");  // names the file that was read: only allowed on the command line
  write_text(dir / "c.json", j.dump());
  const RunConfig b = parse({"--config", dir / "c.json"});
  Json jb = sst2::config_to_json(b);
  jb.erase("config");
  EXPECT_EQ(jb, j);
}

TEST(Config, ListParsing) {
  EXPECT_EQ(parse({"--ffn", "relu, SiLU ,swiglu"}).ffn,
            (std::vector<FfnKind>{FfnKind::Relu, FfnKind::Swish, FfnKind::SwiGLU}));
  EXPECT_EQ(sst2::config_to_json(parse({"--ffn", "relu, SiLU ,swiglu"}))["ffn"],
            Json::array({"relu", "swish", "swiglu"}));
  EXPECT_EQ(parse({"--seeds", "0,1,2"}).seeds, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(parse({"--seeds=5"}).seeds, (std::vector<int64_t>{5}));
  EXPECT_EQ(sst2::split_list("a,b", "x"), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(usage_error({"--seeds", "0,,1"}).find("empty item"), std::string::npos);
  EXPECT_NE(usage_error({"--seeds", "0,1,"}).find("empty item"), std::string::npos);
  EXPECT_NE(usage_error({"--seeds", "0,x"}).find("--seeds: 'x' is not an integer"),
            std::string::npos);
  EXPECT_NE(usage_error({"--seeds", "1,1"}).find("listed twice"), std::string::npos);
  EXPECT_NE(usage_error({"--ffn", "tanh"}).find("unknown FFN kind 'tanh'"), std::string::npos);
}

TEST(Config, EvalFileIsRepeatable) {
  EXPECT_EQ(parse({"--eval-file", "a.tsv", "--eval-file=b.tsv"}).eval_files,
            (std::vector<std::string>{"a.tsv", "b.tsv"}));
}

TEST(Config, UnknownFlagsAndKeysAreErrorsNamingThem) {
  EXPECT_EQ(usage_error({"--epoch", "3"}), "unknown flag '--epoch' (see --help)");
  EXPECT_NE(usage_error({"stray"}).find("unexpected argument 'stray'"), std::string::npos);
  ScratchDir dir("config_errors");
  write_text(dir / "bad.json", R"({"epochs": 2, "learning_rate": 0.1})");
  const std::string msg = usage_error({"--config", dir / "bad.json"});
  EXPECT_NE(msg.find("unknown key 'learning_rate'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.json"), std::string::npos) << msg;
}

TEST(Config, BadValuesAreErrorsNamingTheFlagOrKey) {
  EXPECT_EQ(usage_error({"--epochs", "3x"}), "--epochs: '3x' is not an integer");
  EXPECT_EQ(usage_error({"--lr", "fast"}), "--lr: 'fast' is not a finite number");
  EXPECT_EQ(usage_error({"--epochs"}), "--epochs needs a value (N)");
  EXPECT_EQ(usage_error({"--resume=yes"}), "--resume takes no value");
  EXPECT_NE(usage_error({"--norm", "middle"}).find("--norm: 'middle' is not one of pre, post"),
            std::string::npos);
  EXPECT_NE(usage_error({"--heads", "3"}).find("not divisible by 3 heads"), std::string::npos);
  EXPECT_NE(usage_error({"--epochs", "0"}).find("--epochs: must be >= 1"), std::string::npos);
  EXPECT_NE(usage_error({"--dropout", "1"}).find("--dropout"), std::string::npos);
  EXPECT_NE(usage_error({"--preset", "fancy"}).find("'fancy' is not one of default, original"),
            std::string::npos);
  ScratchDir dir("config_types");
  write_text(dir / "t.json", R"({"epochs": "ten"})");
  EXPECT_NE(usage_error({"--config", dir / "t.json"}).find("key 'epochs' in"), std::string::npos);
  write_text(dir / "f.json", R"({"batch": 1.5})");
  EXPECT_NE(usage_error({"--config", dir / "f.json"}).find("expected an integer"),
            std::string::npos);
  write_text(dir / "n.json", R"({"config": "other.json"})");
  EXPECT_NE(usage_error({"--config", dir / "n.json"}).find("only allowed on the command line"),
            std::string::npos);
  write_text(dir / "broken.json", R"({"epochs": )");
  EXPECT_NE(usage_error({"--config", dir / "broken.json"}).find("not valid JSON"),
            std::string::npos);
  EXPECT_NE(usage_error({"--config", dir / "missing.json"}).find("cannot open"), std::string::npos);
}

TEST(Config, HelpListsTheFixedFlags) {
  EXPECT_TRUE(parse_command_line(std::vector<std::string>{"--help"}).help);
  const std::string help = sst2::help_text();
  for (const char* flag : {"--ffn",
                           "--seeds",
                           "--epochs",
                           "--limit",
                           "--batch",
                           "--lr",
                           "--device",
                           "--threads",
                           "--data-dir",
                           "--vocab",
                           "--eval-file",
                           "--out",
                           "--preset",
                           "--config",
                           "--resume",
                           "--quiet",
                           "--dev-limit",
                           "--ffn-dim",
                           "--swiglu-match-params",
                           "--unfused",
                           "--d-model",
                           "--heads",
                           "--layers",
                           "--max-len",
                           "--dropout",
                           "--norm",
                           "--pooling",
                           "--positions",
                           "--no-padding-mask",
                           "--weight-decay",
                           "--optimizer",
                           "--momentum",
                           "--clip-grad-norm",
                           "--log-every",
                           "--help"}) {
    EXPECT_NE(help.find(std::string(flag) + " "), std::string::npos) << flag;
  }
}

// Integers beyond 64 bits are out of range, not "not an integer", and a JSON integer above
// 2^63 - 1 is not wrapped into a negative one. 2^63 - 1 = 9223372036854775807.
TEST(Config, OutOfRangeIntegersSaySo) {
  for (const auto& args :
       std::vector<std::vector<std::string>>{{"--ffn-dim", "100000000000000000000"},
                                             {"--seeds", "0,99999999999999999999"},
                                             {"--limit=-99999999999999999999"}}) {
    const std::string err = usage_error(args);
    EXPECT_NE(err.find("is out of range"), std::string::npos) << err;
    EXPECT_NE(err.find("9223372036854775807"), std::string::npos) << err;
    EXPECT_EQ(err.find("not an integer"), std::string::npos) << err;
  }
  EXPECT_EQ(usage_error({"--ffn-dim", "12x"}), "--ffn-dim: '12x' is not an integer");
  ScratchDir dir("config_range");
  write_text(dir / "c.json", R"({"seeds": [18446744073709551615], "epochs": 9223372036854775808})");
  const std::string err = usage_error({"--config", dir / "c.json"});
  EXPECT_NE(err.find("is out of range"), std::string::npos) << err;
  EXPECT_EQ(err.find("must be >= 0"), std::string::npos) << err;
  EXPECT_EQ(err.find("-1"), std::string::npos) << err;
}

// Sizes whose tensors exceed the engine's 2^60 elements (core/shape.h) are usage errors naming
// the flags. Products by hand: 64 x 2^55 = 2^61 = 2305843009213693952; 64 x 10^18 and
// 16 x 32 x 2^54 = 2^63 and 16 x 4 x 2^29 x 2^29 = 2^64 do not fit in 64 bits.
TEST(Config, SizesBeyondTheEngineLimitNameTheirFlags) {
  EXPECT_EQ(usage_error({"--ffn-dim", "36028797018963968"}),
            "--d-model 64, --ffn-dim 36028797018963968: the FFN weight [64, 36028797018963968] "
            "would hold 2305843009213693952 elements, more than the engine's limit of "
            "1152921504606846976 (2^60) per tensor");
  EXPECT_NE(usage_error({"--ffn-dim", "1000000000000000000"})
                .find("the FFN weight [64, 1000000000000000000] would hold more than "
                      "9223372036854775807 elements"),
            std::string::npos);
  // 64 x 2^54 = 2^60 is at the limit for the weight; a training batch of it is not.
  EXPECT_NE(usage_error({"--ffn-dim", "18014398509481984"})
                .find("--batch 16, --max-len 32, --ffn-dim 18014398509481984: the FFN "
                      "activations of a batch [16, 32, 18014398509481984]"),
            std::string::npos);
  EXPECT_NE(usage_error({"--max-len", "536870912"})
                .find("the attention scores of a batch [16, 4, 536870912, 536870912] would hold "
                      "more than 9223372036854775807 elements"),
            std::string::npos);
  EXPECT_EQ(usage_error({"--ffn-dim", "1000000", "--d-model", "1024", "--heads", "8"}), "");
}

TEST(Config, UsageErrorsExitWithTwo) {
  std::string err;
  EXPECT_EQ(run_sst2({"--bogus"}, &err), 2);
  EXPECT_EQ(err, "sst2: unknown flag '--bogus' (see --help)\n");
  EXPECT_EQ(run_sst2({"--batch", "0"}, &err), 2);
  EXPECT_EQ(run_sst2({"--ffn-dim", "1000000000000000000"}, &err), 2);
  EXPECT_NE(err.find("sst2: --d-model 64, --ffn-dim 1000000000000000000: the FFN weight"),
            std::string::npos)
      << err;
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(run_sst2({"--help"}), 0);
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("usage: sst2"), std::string::npos);
}

}  // namespace
