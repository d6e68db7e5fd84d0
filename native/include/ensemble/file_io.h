/// \file file_io.h
/// \brief Reading outside files (model files, metadata) whole, once: regular files only, under a
///        size cap, never blocking on open; errors name the file and the reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ensemble/error.h"

namespace ensemble::core {

/// Default cap on a model file: 1 GiB (the bundled models are ~3 MB, the large benchmark ones
/// ~40 MB). Model loaders take it as the option `maxFileBytes` / `max_file_bytes`.
inline constexpr uint64_t kDefaultMaxFileBytes = uint64_t{1} << 30;
/// Cap on a metadata file: 16 MiB (the bundled one is 3 KB); a lower `maxFileBytes` lowers it.
inline constexpr uint64_t kMaxMetadataBytes = uint64_t{16} << 20;

/// How to read one file: its size cap, what to call it, and the code of a too-large file.
struct FileReadLimits {
  uint64_t max_bytes = kDefaultMaxFileBytes;           ///< more than this is refused, unread
  const char* what = "model file";                     ///< "metadata file" for the metadata
  ErrorCode too_large = ErrorCode::kModelFormat;       ///< kMetadata for the metadata
  const char* limit_name = "the maxFileBytes option";  ///< named in the too-large message
};

/// The bytes of `path`, which must be (or be a symlink to) a regular file of at most
/// `limits.max_bytes` bytes. The file is opened without blocking and checked on the opened
/// descriptor, so a FIFO, a device, a socket or a directory is refused before any read:
/// kModelNotFound ("cannot read model file <path>: it is a FIFO, not a regular file", "...: No such
/// file or directory"); a larger file: limits.too_large, naming the size and the limit; a path
/// with a NUL byte: kInvalidArgument.
std::vector<uint8_t> ReadFileBytes(const std::string& path, const FileReadLimits& limits = {});

/// The first `head` and last `tail` bytes of `path` (fewer for a shorter file) and its size,
/// after the same checks as ReadFileBytes (regular file, opened without blocking, the cap): for
/// callers that check a file's header before reading it whole.
struct FileEnds {
  uint64_t size = 0;
  std::vector<uint8_t> head;
  std::vector<uint8_t> tail;
};
FileEnds ReadFileEnds(const std::string& path, size_t head, size_t tail,
                      const FileReadLimits& limits = {});

/// `dir` joined with `name` ("/" separator; `name` absolute stays as is).
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace ensemble::core
