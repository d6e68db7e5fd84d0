/// \file crc32.h
/// \brief CRC-32 (the zlib / IEEE 802.3 polynomial, as Python's zlib.crc32), the forest file
///        checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ensemble::core {

/// CRC-32 of `size` bytes at `data`, continuing from `crc` (0 to start); equals
/// zlib.crc32(data, crc).
uint32_t Crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace ensemble::core
