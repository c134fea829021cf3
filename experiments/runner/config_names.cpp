// The names of the settings that are one of a few: one list per enum, in the order the error
// messages give them.
#include <array>
#include <utility>

#include "experiments/runner/config.h"

namespace sst2 {

namespace {

template <class E, size_t N>
using Names = std::array<std::pair<E, const char*>, N>;

constexpr Names<Preset, 2> kPresets = {
    {{Preset::Default, "default"}, {Preset::Original, "original"}}};
constexpr Names<NormPlacement, 2> kNorms = {
    {{NormPlacement::Pre, "pre"}, {NormPlacement::Post, "post"}}};
constexpr Names<OptimizerKind, 2> kOptimizers = {
    {{OptimizerKind::AdamW, "adamw"}, {OptimizerKind::Sgd, "sgd"}}};
// Pooling and positions are spelled as nn/ names them, so the runner and the Python API agree.
const Names<ag::nn::Pooling, 2> kPoolings = {
    {{ag::nn::Pooling::Mean, ag::nn::pooling_name(ag::nn::Pooling::Mean)},
     {ag::nn::Pooling::Cls, ag::nn::pooling_name(ag::nn::Pooling::Cls)}}};
const Names<ag::nn::PositionKind, 2> kPositions = {
    {{ag::nn::PositionKind::Learned, ag::nn::position_kind_name(ag::nn::PositionKind::Learned)},
     {ag::nn::PositionKind::Sinusoidal,
      ag::nn::position_kind_name(ag::nn::PositionKind::Sinusoidal)}}};
constexpr Names<ag::Device, 2> kDevices = {{{ag::Device::CPU, "cpu"}, {ag::Device::CUDA, "cuda"}}};

constexpr const auto& names_of(Preset) {
  return kPresets;
}
constexpr const auto& names_of(NormPlacement) {
  return kNorms;
}
constexpr const auto& names_of(OptimizerKind) {
  return kOptimizers;
}
const auto& names_of(ag::nn::Pooling) {
  return kPoolings;
}
const auto& names_of(ag::nn::PositionKind) {
  return kPositions;
}
constexpr const auto& names_of(ag::Device) {
  return kDevices;
}

template <class E>
const char* name_in(E value) {
  for (const auto& [v, name] : names_of(value)) {
    if (v == value) return name;
  }
  return "?";  // not reached: every enumerator is listed
}

}  // namespace

const char* setting_name(Preset value) {
  return name_in(value);
}
const char* setting_name(NormPlacement value) {
  return name_in(value);
}
const char* setting_name(OptimizerKind value) {
  return name_in(value);
}
const char* setting_name(ag::nn::Pooling value) {
  return name_in(value);
}
const char* setting_name(ag::nn::PositionKind value) {
  return name_in(value);
}
const char* setting_name(ag::Device value) {
  return name_in(value);
}

template <class E>
E parse_setting(const std::string& text, const std::string& where) {
  std::string names;
  for (const auto& [value, name] : names_of(E{})) {
    if (text == name) return value;
    names += std::string(names.empty() ? "" : ", ") + name;
  }
  throw UsageError(where + ": '" + text + "' is not one of " + names);
}

template Preset parse_setting<Preset>(const std::string&, const std::string&);
template NormPlacement parse_setting<NormPlacement>(const std::string&, const std::string&);
template OptimizerKind parse_setting<OptimizerKind>(const std::string&, const std::string&);
template ag::nn::Pooling parse_setting<ag::nn::Pooling>(const std::string&, const std::string&);
template ag::nn::PositionKind parse_setting<ag::nn::PositionKind>(const std::string&,
                                                                  const std::string&);
template ag::Device parse_setting<ag::Device>(const std::string&, const std::string&);

}  // namespace sst2
