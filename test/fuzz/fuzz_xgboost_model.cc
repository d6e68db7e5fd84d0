// libFuzzer entry for ensemble::fuzz::XGBoostModel (fuzz_targets.h); scripts/fuzz.mjs builds and runs it.
#include <cstddef>
#include <cstdint>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ensemble::fuzz::XGBoostModel(data, size);
  return 0;
}
