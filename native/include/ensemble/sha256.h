/// \file sha256.h
/// \brief SHA-256 of a byte buffer, to check model files against the metadata's checksums.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace ensemble::core {

/// Lower-case hex SHA-256 (FIPS 180-4) of `size` bytes at `data`.
std::string Sha256Hex(const uint8_t* data, size_t size);

/// Tests: `on` makes Sha256Hex use the portable rounds even where the CPU has the SHA extensions.
/// Returns whether this CPU has them (so whether the two paths can be compared here).
bool ForceSha256Portable(bool on);

}  // namespace ensemble::core
