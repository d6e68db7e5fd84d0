/// \file file_io.h
/// \brief Reading model files whole, once, with errors that name the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ensemble::core {

/// The bytes of `path`. Throws kModelNotFound naming the file and the system's reason
/// ("No such file or directory", "Is a directory", ...).
std::vector<uint8_t> ReadFileBytes(const std::string& path);

/// `dir` joined with `name` ("/" separator; `name` absolute stays as is).
std::string JoinPath(const std::string& dir, const std::string& name);

}  // namespace ensemble::core
