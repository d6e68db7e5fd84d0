// Whole-file reads for model files, with errors that name the file and the reason.
#include "ensemble/file_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ensemble/error.h"

namespace ensemble::core {

std::vector<uint8_t> ReadFileBytes(const std::string& path) {
  auto fail = [&](const char* reason) {
    throw Error(ErrorCode::kModelNotFound, "cannot read model file " + path + ": " + reason);
  };
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) fail("it is a directory");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail(std::strerror(errno));
  std::vector<uint8_t> bytes;
  bytes.reserve(static_cast<size_t>(st.st_size));
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.insert(bytes.end(), buf, buf + n);
  const bool error = std::ferror(f) != 0;
  std::fclose(f);
  if (error) fail("read error");
  return bytes;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (name.empty() || name[0] == '/' || dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

}  // namespace ensemble::core
