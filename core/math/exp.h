// exp(x) for float, written so that a loop calling it vectorises (no branches, no libm call).
//
// Why not std::exp: a libm call per element stops GCC from vectorising, and SiLU then runs at
// ~5 GB/s, compute-bound, so fusing SwiGLU saves nothing. This version is a Cody-Waite range
// reduction plus the Cephes degree-6 polynomial: max error ~1 ulp over the whole float range,
// NaN in -> NaN out, overflow -> +inf, underflow -> denormals then 0 (like expf).
#pragma once

#include "core/math/hd.h"

namespace ag::math {

AG_HD float exp_f32(float x) {
  // Clamp (comparisons with NaN are false, so NaN passes through untouched).
  x = x > 88.8f ? 88.8f : x;      // exp(88.8) > FLT_MAX: the scaling below yields +inf
  x = x < -104.0f ? -104.0f : x;  // exp(-104) < the smallest denormal: yields 0
  const float kLog2e = 1.44269504088896341f;
  const float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to the nearest integer
  const float t = x * kLog2e + kRound;
  const float n = t - kRound;                                            // n = round(x / ln2)
  const int32_t ni = int32_t(float_to_bits(t) - float_to_bits(kRound));  // the same n, as int
  // r = x - n*ln2, with ln2 split into a part exact in float and a correction (Cody-Waite).
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  // exp(r) for |r| <= ln2/2.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // Multiply by 2^n in two halves so each factor stays a normal float: this gives correct
  // denormal results for n < -126 and +inf for n = 128.
  const int32_t n1 = ni >> 1;
  const int32_t n2 = ni - n1;
  const float s1 = bits_to_float(uint32_t(n1 + 127) << 23);
  const float s2 = bits_to_float(uint32_t(n2 + 127) << 23);
  return p * s1 * s2;
}

// Logistic sigmoid 1 / (1 + e^-x): finite for every finite x (e^-x overflows to inf -> 0).
AG_HD float sigmoid_f32(float x) {
  return 1.0f / (1.0f + exp_f32(-x));
}

}  // namespace ag::math
