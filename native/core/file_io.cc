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

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

}  // namespace

namespace {

// Every outside file is opened here: errors name the file, a FIFO, device, socket or directory is
// refused before any read, and so is a file above the cap.
class CheckedFile {
 public:
  CheckedFile(const std::string& path, const FileReadLimits& limits)
      : path_(path), limits_(limits), cannot_(std::string("cannot read ") + limits.what + " ") {
    if (path.find('\0') != std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  cannot_ + path.substr(0, path.find('\0')) + "...: the path contains a NUL byte");
    }
    // O_NONBLOCK: opening a FIFO that has no writer would otherwise wait for one, forever, on a
    // thread of the libuv pool. The type is then checked on this descriptor, not on a stat of
    // the path, so the file cannot be swapped between the check and the read.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd_ < 0) Unreadable(std::strerror(errno));
    struct stat st;
    if (::fstat(fd_, &st) != 0) Unreadable(std::strerror(errno));
    if (!S_ISREG(st.st_mode)) {
      Unreadable(std::string("it is ") + KindOf(st.st_mode) + ", not a regular file");
    }
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
    size_ = static_cast<uint64_t>(st.st_size);
    if (size_ > limits.max_bytes) TooLarge(std::to_string(size_));
  }
  ~CheckedFile() { ::close(fd_); }
  CheckedFile(const CheckedFile&) = delete;
  CheckedFile& operator=(const CheckedFile&) = delete;

  int fd() const { return fd_; }
  uint64_t size() const { return size_; }
  [[noreturn]] void Unreadable(const std::string& reason) const {
    throw Error(ErrorCode::kModelNotFound, cannot_ + path_ + ": " + reason);
  }
  [[noreturn]] void TooLarge(const std::string& size) const {
    throw Error(limits_.too_large, cannot_ + path_ + ": it is " + size +
                                       " bytes, more than the limit of " +
                                       std::to_string(limits_.max_bytes) + " (" +
                                       limits_.limit_name + ")");
  }

 private:
  const std::string& path_;
  const FileReadLimits& limits_;
  std::string cannot_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

}  // namespace

std::vector<uint8_t> ReadFileBytes(const std::string& path, const FileReadLimits& limits) {
  const CheckedFile file(path, limits);
  // st_size is a hint only (files in /proc say 0, a file may grow while read): read until end of
  // file, never past the cap.
  const uint64_t ceiling = std::max(limits.max_bytes, limits.max_bytes + 1);  // one byte more
  std::vector<uint8_t> bytes(static_cast<size_t>(file.size()) + 1);
  size_t filled = 0;
  for (;;) {
    if (filled == bytes.size()) {
      const uint64_t grown = std::max<uint64_t>(bytes.size() * 2, 1 << 16);
      bytes.resize(static_cast<size_t>(std::min(grown, ceiling)));
    }
    const ssize_t n = ::read(file.fd(), bytes.data() + filled, bytes.size() - filled);
    if (n < 0) {
      if (errno == EINTR) continue;
      file.Unreadable(std::strerror(errno));
    }
    if (n == 0) break;
    filled += static_cast<size_t>(n);
    if (filled > limits.max_bytes) file.TooLarge("over " + std::to_string(limits.max_bytes));
  }
  bytes.resize(filled);
  return bytes;
}

FileEnds ReadFileEnds(const std::string& path, size_t head, size_t tail,
                      const FileReadLimits& limits) {
  const CheckedFile file(path, limits);
  FileEnds ends;
  ends.size = file.size();
  auto read_at = [&](uint64_t offset, size_t n, std::vector<uint8_t>* out) {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      const ssize_t r = ::pread(file.fd(), out->data() + done, n - done,
                                static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) file.Unreadable(std::strerror(errno));
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out->resize(done);
  };
  read_at(0, static_cast<size_t>(std::min<uint64_t>(head, ends.size)), &ends.head);
  const uint64_t t = std::min<uint64_t>(tail, ends.size);
  read_at(ends.size - t, static_cast<size_t>(t), &ends.tail);
  return ends;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (name.empty() || name[0] == '/' || dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace ensemble::core
