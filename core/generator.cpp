#include "core/generator.h"

#include <cmath>

#include "core/math/random.h"

namespace ag {

float Generator::uniform() {
  return math::uniform01(seed_, offset_++);
}

float Generator::normal() {
  // Box-Muller from two uniforms; 1 - u keeps the log argument in (0, 1].
  const float u1 = 1.0f - uniform();
  const float u2 = uniform();
  return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958648f * u2);
}

}  // namespace ag
