// The error codes' names are a public contract (docs/errors.md): pin them.
#include <gtest/gtest.h>

#include "ensemble/error.h"

using ensemble::core::CodeName;
using ensemble::core::Error;
using ensemble::core::ErrorCode;

TEST(Error, CarriesCodeAndMessage) {
  Error e(ErrorCode::kModelFormat, "tree 3: bad");
  EXPECT_EQ(e.code(), ErrorCode::kModelFormat);
  EXPECT_STREQ(e.what(), "tree 3: bad");
  EXPECT_STREQ(CodeName(e.code()), "ERR_MODEL_FORMAT");
  EXPECT_STREQ(CodeName(ErrorCode::kFeatureMismatch), "ERR_FEATURE_MISMATCH");
}
