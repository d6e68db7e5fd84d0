/// \file memory.h
/// \brief Handing memory back to the system once a model has been loaded or freed.
///
/// Loading parses documents several times the size of the model files (the package's parse, then
/// the library's own), on whichever thread loads, and glibc keeps what is freed in that thread's
/// arena and raises its mmap threshold as large blocks come and go. A process that reloads models
/// held ~90 MB more than it used (issue 9, item 19; 10 MB with MALLOC_ARENA_MAX=1). malloc_trim
/// walks every arena and returns their free pages; it costs about a millisecond, once per load or
/// close, never per prediction.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace ensemble::core {

/// Returns the free pages of every malloc arena to the system (a no-op off glibc).
inline void ReleaseFreedMemory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace ensemble::core
