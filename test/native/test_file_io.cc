// ReadFileBytes: regular files only, checked on the opened descriptor, under a size cap; a FIFO,
// a device or a directory is refused at once (a FIFO without a writer must not block the open).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "ensemble/file_io.h"

namespace {

namespace core = ensemble::core;

// A temporary directory, removed (one level deep) at the end.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/pe_file_io_XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    EXPECT_NE(d, nullptr);
    dir_ = d != nullptr ? d : "/nonexistent";
  }
  ~TempDir() {
    for (const std::string& n : names_) {
      const std::string p = dir_ + "/" + n;
      if (::rmdir(p.c_str()) != 0) ::unlink(p.c_str());
    }
    ::rmdir(dir_.c_str());
  }
  std::string Path(const std::string& name) {
    names_.push_back(name);
    return dir_ + "/" + name;
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string p = Path(name);
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

 private:
  std::string dir_;
  std::vector<std::string> names_;
};

// The error ReadFileBytes throws for `path`, expecting one.
core::Error ErrorOf(const std::string& path, const core::FileReadLimits& limits = {}) {
  try {
    core::ReadFileBytes(path, limits);
  } catch (const core::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error reading " << path;
  return core::Error(core::ErrorCode::kInternal, "");
}

TEST(FileIo, ReadsARegularFileAndASymlinkToOne) {
  TempDir t;
  const std::string p = t.Write("a.txt", std::string("hello\0world", 11));
  EXPECT_EQ(core::ReadFileBytes(p).size(), 11u);
  const std::string link = t.Path("link.txt");
  ASSERT_EQ(::symlink(p.c_str(), link.c_str()), 0);
  const std::vector<uint8_t> bytes = core::ReadFileBytes(link);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), std::string("hello\0world", 11));
  EXPECT_TRUE(core::ReadFileBytes(t.Write("empty", "")).empty());
}

TEST(FileIo, AFifoWithoutWriterIsRefusedWithoutBlocking) {
  TempDir t;
  const std::string p = t.Path("fifo");
  ASSERT_EQ(::mkfifo(p.c_str(), 0600), 0);
  const core::Error e = ErrorOf(p);  // before the fix: open() waited for a writer forever
  EXPECT_EQ(e.code(), core::ErrorCode::kModelNotFound);
  EXPECT_EQ(std::string(e.what()), "cannot read model file " + p + ": it is a FIFO, not a regular file");
}

TEST(FileIo, DevicesAndDirectoriesAreRefusedUnread) {
  TempDir t;
  const std::string link = t.Path("zero");
  ASSERT_EQ(::symlink("/dev/zero", link.c_str()), 0);
  EXPECT_EQ(std::string(ErrorOf(link).what()),
            "cannot read model file " + link + ": it is a character device, not a regular file");
  const std::string dir = t.Path("sub");
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  EXPECT_EQ(ErrorOf(dir).code(), core::ErrorCode::kModelNotFound);
  EXPECT_NE(std::string(ErrorOf(dir).what()).find("it is a directory"), std::string::npos);
  EXPECT_NE(std::string(ErrorOf(t.Path("missing")).what()).find("No such file or directory"),
            std::string::npos);
}

TEST(FileIo, TheSizeCapRefusesLargerFilesWithTheGivenCode) {
  TempDir t;
  const std::string p = t.Write("ten", "0123456789");
  core::FileReadLimits limits;
  limits.max_bytes = 10;
  EXPECT_EQ(core::ReadFileBytes(p, limits).size(), 10u);  // exactly the cap is fine
  limits.max_bytes = 9;
  core::Error e = ErrorOf(p, limits);
  EXPECT_EQ(e.code(), core::ErrorCode::kModelFormat);
  EXPECT_EQ(std::string(e.what()), "cannot read model file " + p +
                                       ": it is 10 bytes, more than the limit of 9 (the "
                                       "maxFileBytes option)");
  limits.what = "metadata file";
  limits.too_large = core::ErrorCode::kMetadata;
  EXPECT_EQ(ErrorOf(p, limits).code(), core::ErrorCode::kMetadata);
  // A sparse file far above the default cap is refused from its size alone.
  const std::string huge = t.Write("huge", "");
  ASSERT_EQ(::truncate(huge.c_str(), static_cast<off_t>(core::kDefaultMaxFileBytes) + 1), 0);
  EXPECT_NE(std::string(ErrorOf(huge).what()).find("it is 1073741825 bytes"), std::string::npos);
}

TEST(FileIo, FilesThatUnderstateTheirSizeAreReadToTheEndButNotPastTheCap) {
  // /proc files report size 0 and hold more.
  const std::vector<uint8_t> status = core::ReadFileBytes("/proc/self/status");
  EXPECT_NE(std::string(status.begin(), status.end()).find("Name:"), std::string::npos);
  core::FileReadLimits limits;
  limits.max_bytes = 16;
  EXPECT_NE(std::string(ErrorOf("/proc/self/status", limits).what()).find("over 16 bytes"),
            std::string::npos);
}

TEST(FileIo, APathWithANulByteIsAnInvalidArgument) {
  const core::Error e = ErrorOf(std::string("/etc/hostname\0.txt", 18));
  EXPECT_EQ(e.code(), core::ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("NUL byte"), std::string::npos);
}

}  // namespace
