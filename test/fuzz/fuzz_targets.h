// The fuzz targets: each takes bytes from outside (a model file, the metadata) through the
// package's parser and, when the parser accepts them, through the engine (import, compile, score
// a few rows on every kernel this CPU has). A target returns when the input is handled, accepted
// or refused with a core::Error; anything else (another exception, a crash, a sanitizer report,
// kernels that disagree) is a finding. Built into the libFuzzer binaries (fuzz_*.cc) and replayed
// by the C++ tests over test/fuzz/regressions/ (test/native/test_fuzz_regressions.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace ensemble::fuzz {

/// LightGBM text models: ParseLightGBMText, then the engine.
void LightGBMText(const uint8_t* data, size_t size);
/// XGBoost models, JSON or UBJSON (told apart as XGBoost does): ParseXGBoostModel, then the engine.
void XGBoostModel(const uint8_t* data, size_t size);
/// Forest files: Forest::CheckHead on the first 48 bytes, ParseForest, then the engine.
void ForestFile(const uint8_t* data, size_t size);
/// Model-directory metadata: ParseMetadata, current and legacy, throwing and collecting.
void Metadata(const uint8_t* data, size_t size);

}  // namespace ensemble::fuzz
