// Internal: the forest format's fixed byte strings and sizes (docs/forest-format.md), shared by
// the validating reader (forest_format.cc) and the file-level checks (forest_file.cc).
#pragma once

#include <cstddef>

namespace ensemble::core::forest_format {

inline constexpr char kMagic[8] = {'P', 'E', 'F', 'O', 'R', 'E', 'S', 'T'};
inline constexpr char kEndMagic[4] = {'T', 'S', 'R', 'F'};
inline constexpr size_t kHeaderSize = 48;
inline constexpr size_t kTrailerSize = 8;

}  // namespace ensemble::core::forest_format
