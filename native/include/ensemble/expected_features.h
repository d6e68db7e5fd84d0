/// \file expected_features.h
/// \brief What a caller knows of a model's width before reading it (the metadata's feature
///        count), so a parser compares the file's declared count with it first, before anything
///        sized by that count is allocated or handed to a library.
#pragma once

#include <cstdint>
#include <string>

#include "ensemble/error.h"

namespace ensemble::core {

/// The feature count a model must declare; `count` < 0 means unknown (no check).
struct ExpectedFeatures {
  std::int64_t count = -1;  ///< the width the caller will score, or -1
  std::string from;         ///< where it comes from, for the message (e.g. the metadata file)
};

/// Throws kMetadata "<source> has <declared> features but <from> lists <count>" when `expected`
/// is known and differs from `declared` (the wording of the model directory's own check).
inline void CheckDeclaredFeatures(const ExpectedFeatures& expected, std::int64_t declared,
                                  const std::string& source) {
  if (expected.count < 0 || declared == expected.count) return;
  const std::string from = expected.from.empty() ? std::string("the caller") : expected.from;
  throw Error(ErrorCode::kMetadata, source + " has " + std::to_string(declared) +
                                        " features but " + from + " lists " +
                                        std::to_string(expected.count));
}

}  // namespace ensemble::core
