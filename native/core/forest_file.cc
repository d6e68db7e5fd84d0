// Forest files on disk: the cheap checks of a file's header, size and end magic that come before
// it is read or hashed (a 2 GB file is refused from 52 bytes), then the read itself.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/file_io.h"
#include "ensemble/forest.h"
#include "forest_internal.h"

namespace ensemble::core {

using forest_format::kEndMagic;
using forest_format::kHeaderSize;

void Forest::CheckFile(const std::string& path, const FileReadLimits& limits) {
  const FileEnds ends = ReadFileEnds(path, kHeaderSize, sizeof kEndMagic, limits);
  CheckHead(ends.head.data(), ends.head.size(), ends.size, path);
  if (ends.tail.size() != sizeof kEndMagic ||
      std::memcmp(ends.tail.data(), kEndMagic, sizeof kEndMagic) != 0) {
    throw Error(ErrorCode::kModelFormat, path + ": bad end magic (file truncated or corrupt)");
  }
}

std::shared_ptr<const Forest> Forest::FromFile(const std::string& path, int threads,
                                               const FileReadLimits& limits) {
  CheckFile(path, limits);  // a hostile size is refused before the file is read
  const std::vector<uint8_t> bytes = ReadFileBytes(path, limits);
  return FromBytes(bytes.data(), bytes.size(), path, threads);
}

}  // namespace ensemble::core
