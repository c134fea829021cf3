// error_message(f): runs f, which must throw ag::Error, and returns the error's message so a test
// can check what it says (EXPECT_THAT(error_message(...), HasSubstr("..."))). If f throws nothing,
// or throws something other than ag::Error, the test fails and the returned message says so.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "core/error.h"

namespace agtest {

template <class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const ag::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected ag::Error, got another exception: " << e.what();
    return "<not an ag::Error>";
  }
  ADD_FAILURE() << "expected ag::Error, but nothing was thrown";
  return "<nothing thrown>";
}

}  // namespace agtest
