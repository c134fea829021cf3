// The runner's configuration on any bytes. First byte even: the text of a --config file
// (parse_config_text, then resolution and validation); odd: a command line, arguments
// separated by NUL bytes (--config dropped: it would read files). Either a configuration or a
// UsageError of one line; a configuration passes validate() and is recorded as JSON that
// resolves back to itself.
#include <vector>

#include "experiments/runner/app.h"
#include "experiments/runner/config.h"
#include "tests/fuzz/fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(fuzz::bytes(data + 1, size - 1));
  sst2::RunConfig config;
  try {
    if (data[0] % 2 == 0) {
      const sst2::Json file = sst2::parse_config_text(text, "fuzz.json");
      config = sst2::resolve_config(file, sst2::Json{{"config", "fuzz.json"}});
    } else {
      std::vector<std::string> args;
      size_t start = 0;
      while (start <= text.size()) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        args.push_back(text.substr(start, end - start));
        start = end + 1;
      }
      for (const auto& a : args) {
        if (a.rfind("--config", 0) == 0) return 0;
      }
      const sst2::CommandLine cl = sst2::parse_command_line(args);
      if (cl.help) return 0;
      config = cl.config;
    }
  } catch (const sst2::UsageError& e) {
    const std::string m = sst2::error_line(e.what());  // what the program prints
    if (m.find('\n') != std::string::npos) fuzz::broken("multi-line message: " + m);
    if (data[0] % 2 == 0 && m.find("fuzz.json") == std::string::npos && m.rfind("--", 0) != 0 &&
        m.find("key '") == std::string::npos) {
      fuzz::broken("message names neither the file nor the key: " + m);
    }
    return 0;
  }
  sst2::validate(config);  // must not throw for a resolved configuration
  // What the metrics record, given back as a config file, resolves to the same settings.
  sst2::Json recorded = sst2::config_to_json(config);
  recorded.erase("config");
  sst2::Json again = sst2::config_to_json(sst2::resolve_config(recorded, sst2::Json::object()));
  again.erase("config");
  if (again != recorded)
    fuzz::broken("recorded config does not resolve to itself: " + recorded.dump());
  return 0;
}
