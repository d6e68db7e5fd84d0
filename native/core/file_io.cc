// Whole-file reads of outside files: open without blocking, check the opened descriptor (regular
// file, size cap), then read; errors name the file and the reason.
#include "ensemble/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ensemble::core {
namespace {

// Closes the descriptor on every path out, exceptions included.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

std::vector<uint8_t> ReadFileBytes(const std::string& path, const FileReadLimits& limits) {
  const std::string cannot = std::string("cannot read ") + limits.what + " ";
  if (path.find('\0') != std::string::npos) {
    throw Error(ErrorCode::kInvalidArgument,
                cannot + path.substr(0, path.find('\0')) + "...: the path contains a NUL byte");
  }
  auto unreadable = [&](const std::string& reason) {
    throw Error(ErrorCode::kModelNotFound, cannot + path + ": " + reason);
  };
  auto too_large = [&](const std::string& size) {
    throw Error(limits.too_large, cannot + path + ": it is " + size +
                                      " bytes, more than the limit of " +
                                      std::to_string(limits.max_bytes) + " (" +
                                      limits.limit_name + ")");
  };
  // O_NONBLOCK: opening a FIFO that has no writer would otherwise wait for one, forever, on a
  // thread of the libuv pool. The type is then checked on this descriptor, not on a stat of the
  // path, so the file cannot be swapped between the check and the read.
  Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (fd.get() < 0) unreadable(std::strerror(errno));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) unreadable(std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    unreadable(std::string("it is ") + KindOf(st.st_mode) + ", not a regular file");
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags >= 0) ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
  const uint64_t declared = static_cast<uint64_t>(st.st_size);
  if (declared > limits.max_bytes) too_large(std::to_string(declared));

  // st_size is a hint only (files in /proc say 0, a file may grow while read): read until end of
  // file, never past the cap.
  const uint64_t ceiling = std::max(limits.max_bytes, limits.max_bytes + 1);  // one byte more
  std::vector<uint8_t> bytes(static_cast<size_t>(declared) + 1);
  size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) {
      const uint64_t grown = std::max<uint64_t>(bytes.size() * 2, 1 << 16);
      bytes.resize(static_cast<size_t>(std::min(grown, ceiling)));
    }
    const ssize_t n = ::read(fd.get(), bytes.data() + filled, bytes.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      unreadable(std::strerror(errno));
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
    if (filled > limits.max_bytes) too_large("over " + std::to_string(limits.max_bytes));
  }
  bytes.resize(filled);
  return bytes;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (name.empty() || name[0] == '/' || dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace ensemble::core
