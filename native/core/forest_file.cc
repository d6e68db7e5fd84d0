// Forest files on disk: the cheap checks of a file's header, size and end magic that come before
// it is read or hashed (a 2 GB file is refused from 52 bytes), then the read itself.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

void Forest::CheckFile(const std::string& path) {
  auto unreadable = [&](const std::string& why) {
    throw Error(ErrorCode::kModelNotFound, "cannot read model file " + path + ": " + why);
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) unreadable(std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) unreadable(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) unreadable("it is a directory");
  if (!S_ISREG(st.st_mode)) unreadable("not a regular file");
  const auto size = static_cast<uint64_t>(st.st_size);
  uint8_t head[kHeaderSize];
  const size_t want = static_cast<size_t>(std::min<uint64_t>(size, kHeaderSize));
  if (::pread(fd, head, want, 0) != static_cast<ssize_t>(want)) unreadable("read error");
  CheckHead(head, want, size, path);
  uint8_t end[sizeof kEndMagic];
  if (::pread(fd, end, sizeof end, static_cast<off_t>(size - sizeof end)) !=
      static_cast<ssize_t>(sizeof end)) {
    unreadable("read error");
  }
  if (std::memcmp(end, kEndMagic, sizeof kEndMagic) != 0) {
    throw Error(ErrorCode::kModelFormat, path + ": bad end magic (file truncated or corrupt)");
  }
}

Forest Forest::FromFile(const std::string& path) {
  CheckFile(path);  // a hostile size is refused before the file is read
  const std::vector<uint8_t> bytes = ReadFileBytes(path);
  return FromBytes(bytes.data(), bytes.size(), path);
}

}  // namespace ensemble::core
