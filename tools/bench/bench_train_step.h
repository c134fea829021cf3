// One SST-2 training step (forward, backward, AdamW) with fused and with unfused SwiGLU.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/device.h"

// Returns a JSON list of {"device", "device_name", "ffn", "fused", "batch", "seq_len", "threads",
// "step_ms", "steps_per_s"} records and prints a table.
nlohmann::json bench_train_step(ag::Device device, const std::string& device_name);
