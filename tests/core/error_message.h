// error_message(f): runs f, which must throw ag::Error (error_message<T>(f): a T), and returns the
// error's message so a test can check what it says (EXPECT_THAT(error_message(...),
// HasSubstr("..."))). If f throws nothing, or throws something else, the test fails and the
// returned message says so.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <exception>
#include <string>

#include "core/error.h"

namespace agtest {

template <class ErrorType = ag::Error, class F>
std::string error_message(F&& f) {
  try {
    f();
  } catch (const ErrorType& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected the error type, got another exception: " << e.what();
    return "<not the expected error type>";
  }
  ADD_FAILURE() << "expected an error, but nothing was thrown";
  return "<nothing thrown>";
}

}  // namespace agtest
