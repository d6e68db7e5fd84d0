// Reads and validates a forest file (docs/forest-format.md) into a ForestModel.
// Every count, offset and index is checked before it is used: hostile bytes give an Error.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "ensemble/crc32.h"
#include "ensemble/error.h"
#include "ensemble/forest.h"
#include "ensemble/forest_model.h"
#include "forest_internal.h"

namespace ensemble::core {
namespace {

using forest_format::kEndMagic;
using forest_format::kHeaderSize;
using forest_format::kMagic;
using forest_format::kTrailerSize;

constexpr uint16_t kVersionMajor = 1;
constexpr uint32_t kFlagAllowsNan = 1;
constexpr size_t kNodeSize = 24;
constexpr uint64_t kMaxIndex = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
constexpr size_t kMaxKeyLength = 64;
// The metadata records are provenance and feature names (kilobytes). Bounding them makes the
// header's counts fix the file size (to within this), so a file can be refused from its first
// 48 bytes and its size, before it is read or hashed.
constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;
// Format 1.1: the record holding every node's weighted_n_node_samples (binary, not UTF-8).
constexpr const char* kNodeWeightsKey = "node_weights";

uint16_t LoadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }
uint32_t LoadU32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
int32_t LoadI32(const uint8_t* p) {
  const uint32_t u = LoadU32(p);
  int32_t i;
  std::memcpy(&i, &u, sizeof i);
  return i;
}
uint64_t LoadU64(const uint8_t* p) { return uint64_t{LoadU32(p)} | uint64_t{LoadU32(p + 4)} << 32; }
double LoadF64(const uint8_t* p) {
  const uint64_t u = LoadU64(p);
  double d;
  std::memcpy(&d, &u, sizeof d);
  return d;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// a * b + c in 64 bits, or false on overflow.
bool MulAdd(uint64_t a, uint64_t b, uint64_t c, uint64_t* out) {
  uint64_t m;
  return !__builtin_mul_overflow(a, b, &m) && !__builtin_add_overflow(m, c, out);
}

}  // namespace

/// Builds a ForestModel from file bytes, checking everything before use.
class ForestBuilder {
 public:
  /// `data` holds the file's first bytes (all `size` of them for Build, the first 48 for
  /// CheckHead).
  ForestBuilder(const uint8_t* data, uint64_t size, const std::string& source)
      : data_(data), size_(size), source_(source) {}

  // Magic, version, file_size, the header's values and the sections they imply, all against the
  // file's size: everything a reader needs before it trusts any count, from the first 48 bytes.
  void CheckHead() {
    CheckMagicAndSize();
    ReadHeader();
    ComputeLayout();
  }

  ForestModel Build() {
    CheckHead();
    CheckTrailer();
    ReadTreeOffsets();
    ReadNodes();
    ReadLeafValues();
    ReadClasses();
    ReadMetadata();
    return std::move(forest_);
  }

 private:
  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(ErrorCode::kModelFormat, source_ + ": " + what);
  }

  void CheckMagicAndSize() {
    if (data_ == nullptr && size_ > 0) Fail("no data");
    if (size_ < sizeof kMagic || std::memcmp(data_, kMagic, sizeof kMagic) != 0) {
      Fail("not a forest file (bad magic; expected \"PEFOREST\")");
    }
    if (size_ < kHeaderSize + kTrailerSize) {
      Fail("truncated: " + std::to_string(size_) + " bytes, a forest file has at least " +
           std::to_string(kHeaderSize + kTrailerSize));
    }
    const uint16_t major = LoadU16(data_ + 8), minor = LoadU16(data_ + 10);
    if (major != kVersionMajor) {
      Fail("unsupported forest format version " + std::to_string(major) + "." +
           std::to_string(minor) + " (this reader knows version 1.x)");
    }
    const uint64_t file_size = LoadU64(data_ + 40);
    if (file_size > size_) {
      Fail("truncated: the header says " + std::to_string(file_size) + " bytes, got " +
           std::to_string(size_));
    }
    if (file_size < size_) {
      Fail(std::to_string(size_) + " bytes, but the header says " + std::to_string(file_size) +
           " (trailing data)");
    }
  }

  // The end magic and the checksum of every byte.
  void CheckTrailer() {
    if (std::memcmp(data_ + size_ - 4, kEndMagic, sizeof kEndMagic) != 0) {
      Fail("bad end magic (file truncated or corrupt)");
    }
    const uint32_t stored = LoadU32(data_ + size_ - 8);
    if (Crc32(data_, size_ - kTrailerSize) != stored) {
      Fail("checksum mismatch (file corrupt or truncated)");
    }
  }

  void ReadHeader() {
    const uint32_t flags = LoadU32(data_ + 12);
    n_features_ = LoadU32(data_ + 16);
    n_classes_ = LoadU32(data_ + 20);
    n_trees_ = LoadU32(data_ + 24);
    n_nodes_ = LoadU32(data_ + 28);
    n_leaf_rows_ = LoadU32(data_ + 32);
    const uint32_t kind = LoadU32(data_ + 36);
    if ((flags & ~kFlagAllowsNan) != 0)
      Fail("unknown flags " + Hex(flags) + " (version 1.0 has bit 0 only)");
    if (n_features_ == 0 || n_features_ > kMaxIndex) {
      Fail("feature count " + std::to_string(n_features_) + " out of range");
    }
    if (n_classes_ == 0 || n_classes_ > kMaxIndex) {
      Fail("class count " + std::to_string(n_classes_) + " out of range");
    }
    if (n_trees_ == 0) Fail("no trees");
    if (n_nodes_ < n_trees_ || n_nodes_ > kMaxIndex) {
      Fail("node count " + std::to_string(n_nodes_) + " out of range for " +
           std::to_string(n_trees_) + " trees");
    }
    if (n_leaf_rows_ == 0 || n_leaf_rows_ > n_nodes_) {
      Fail("leaf row count " + std::to_string(n_leaf_rows_) + " out of range");
    }
    if (kind > 1) Fail("unknown estimator kind " + std::to_string(kind));
    forest_.source = source_;
    forest_.version = std::to_string(LoadU16(data_ + 8)) + "." + std::to_string(LoadU16(data_ + 10));
    forest_.num_features = static_cast<int>(n_features_);
    forest_.num_classes = static_cast<int>(n_classes_);
    forest_.num_file_nodes = n_nodes_;
    forest_.allows_nan = (flags & kFlagAllowsNan) != 0;
    forest_.estimator = static_cast<ForestEstimator>(kind);
  }

  // Section offsets, in 64-bit checked arithmetic; all of them must end before the trailer.
  void ComputeLayout() {
    const uint64_t body_end = size_ - kTrailerSize;
    uint64_t offsets_bytes, nodes_bytes, leaf_count, leaf_bytes, class_bytes;
    bool ok = MulAdd(4, uint64_t{n_trees_} + 1, 7, &offsets_bytes);
    offsets_bytes &= ~uint64_t{7};
    ok = ok && MulAdd(kNodeSize, n_nodes_, 0, &nodes_bytes);
    ok = ok && MulAdd(n_leaf_rows_, n_classes_, 0, &leaf_count);
    ok = ok && MulAdd(8, leaf_count, 0, &leaf_bytes);
    ok = ok && MulAdd(8, n_classes_, 0, &class_bytes);
    offsets_at_ = kHeaderSize;
    ok = ok && !__builtin_add_overflow(offsets_at_, offsets_bytes, &nodes_at_);
    ok = ok && !__builtin_add_overflow(nodes_at_, nodes_bytes, &leaves_at_);
    ok = ok && !__builtin_add_overflow(leaves_at_, leaf_bytes, &classes_at_);
    ok = ok && !__builtin_add_overflow(classes_at_, class_bytes, &metadata_at_);
    const std::string counts = "the header's counts (" + std::to_string(n_trees_) + " trees, " +
                               std::to_string(n_nodes_) + " nodes, " +
                               std::to_string(n_leaf_rows_) + " leaf rows, " +
                               std::to_string(n_classes_) + " classes)";
    if (!ok || metadata_at_ > body_end) {
      Fail("truncated or inconsistent: " + counts + " need more than the " +
           std::to_string(size_) + " bytes of the file");
    }
    if (body_end - metadata_at_ > kMaxRecordBytes) {
      Fail("inconsistent: " + counts + " leave " + std::to_string(body_end - metadata_at_) +
           " bytes of metadata records in the " + std::to_string(size_) +
           " bytes of the file (at most " + std::to_string(kMaxRecordBytes) + ")");
    }
  }

  void ReadTreeOffsets() {
    tree_offsets_.resize(n_trees_ + size_t{1});
    for (size_t t = 0; t <= n_trees_; ++t) tree_offsets_[t] = LoadU32(data_ + offsets_at_ + 4 * t);
    if (tree_offsets_[0] != 0)
      Fail("tree_offsets[0] is " + std::to_string(tree_offsets_[0]) + ", not 0");
    for (size_t t = 0; t < n_trees_; ++t) {
      if (tree_offsets_[t + 1] <= tree_offsets_[t]) {
        Fail("tree " + std::to_string(t) + " is empty or its offsets decrease (" +
             std::to_string(tree_offsets_[t]) + " -> " + std::to_string(tree_offsets_[t + 1]) +
             ")");
      }
    }
    if (tree_offsets_[n_trees_] != n_nodes_) {
      Fail("tree_offsets end at " + std::to_string(tree_offsets_[n_trees_]) + ", the header says " +
           std::to_string(n_nodes_) + " nodes");
    }
    for (uint64_t p = offsets_at_ + 4 * (uint64_t{n_trees_} + 1); p < nodes_at_; ++p) {
      if (data_[p] != 0) Fail("non-zero padding after tree_offsets");
    }
  }

  struct FileNode {
    int32_t feature, left, right;
    uint8_t missing_go_to_left;
    bool padding_zero;
    double threshold;
  };

  FileNode NodeAt(size_t global) const {
    const uint8_t* p = data_ + nodes_at_ + kNodeSize * global;
    FileNode n;
    n.feature = LoadI32(p);
    n.left = LoadI32(p + 4);
    n.right = LoadI32(p + 8);
    n.missing_go_to_left = p[12];
    n.padding_zero = (p[13] | p[14] | p[15]) == 0;
    n.threshold = LoadF64(p + 16);
    return n;
  }

  // Validates every node of every tree.
  void ReadNodes() {
    const uint32_t nf = n_features_;
    forest_.nodes.resize(n_nodes_);
    forest_.tree_begin.assign(tree_offsets_.begin(), tree_offsets_.end());
    std::vector<uint8_t> parents;
    for (size_t t = 0; t < n_trees_; ++t) {
      const size_t base = tree_offsets_[t], count = tree_offsets_[t + 1] - base;
      parents.assign(count, 0);
      for (size_t i = 0; i < count; ++i) {
        const FileNode n = NodeAt(base + i);
        ForestNode& out = forest_.nodes[base + i];
        const std::string where = "tree " + std::to_string(t) + ", node " + std::to_string(i);
        if (!n.padding_zero) Fail(where + ": non-zero padding");
        if (n.feature == -1) {
          if (n.left < 0 || static_cast<uint64_t>(n.left) >= n_leaf_rows_) {
            Fail(where + ": leaf value row " + std::to_string(n.left) + " out of range [0, " +
                 std::to_string(n_leaf_rows_) + ")");
          }
          if (n.right != -1 || n.missing_go_to_left != 0 || n.threshold != 0.0) {
            Fail(where + ": a leaf must have right = -1, missing_go_to_left = 0, threshold = 0");
          }
          out = ForestNode{-1, n.left, -1, false, 0.0};
          continue;
        }
        if (n.feature < 0 || static_cast<uint64_t>(n.feature) >= nf) {
          Fail(where + ": feature index " + std::to_string(n.feature) + " out of range [0, " +
               std::to_string(nf) + ")");
        }
        for (const int32_t child : {n.left, n.right}) {
          if (child <= static_cast<int64_t>(i) || static_cast<size_t>(child) >= count) {
            Fail(where + ": child index " + std::to_string(child) + " out of range (" +
                 std::to_string(i) + ", " + std::to_string(count) + ")");
          }
          if (++parents[child] > 1) {
            Fail(where + ": node " + std::to_string(child) + " has two parents");
          }
        }
        if (n.left == n.right) Fail(where + ": both children are node " + std::to_string(n.left));
        if (n.missing_go_to_left > 1) Fail(where + ": missing_go_to_left is neither 0 nor 1");
        if (std::isnan(n.threshold)) Fail(where + ": threshold is NaN");
        out = ForestNode{n.feature, n.left, n.right, n.missing_go_to_left == 1, n.threshold};
      }
      for (size_t i = 1; i < count; ++i) {
        if (parents[i] != 1) {
          Fail("tree " + std::to_string(t) + ", node " + std::to_string(i) + " is unreachable");
        }
      }
    }
  }

  void ReadLeafValues() {
    const size_t n = size_t{n_leaf_rows_} * n_classes_;
    forest_.leaf_values.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const double v = LoadF64(data_ + leaves_at_ + 8 * i);
      // Class fractions, as predict_proba returns them for the leaf (docs/forest-format.md):
      // anything else would be averaged into "probabilities" outside [0, 1].
      if (!(v >= 0.0 && v <= 1.0)) {
        char value[32];
        std::snprintf(value, sizeof value, "%.17g", v);
        Fail("leaf value row " + std::to_string(i / n_classes_) + ", class " +
             std::to_string(i % n_classes_) + " is " + value + ", not a class fraction in [0, 1]");
      }
      forest_.leaf_values[i] = v;
    }
  }

  void ReadClasses() {
    forest_.classes.resize(n_classes_);
    for (size_t c = 0; c < n_classes_; ++c) {
      const double v = LoadF64(data_ + classes_at_ + 8 * c);
      if (!std::isfinite(v) || (c > 0 && !(v > forest_.classes[c - 1]))) {
        Fail("class labels must be finite and strictly increasing (label " + std::to_string(c) +
             ")");
      }
      forest_.classes[c] = v;
    }
  }

  // Key/value records up to the trailer: u32 key length, u32 value length, key, value, zero
  // padding to 8 bytes. Unknown keys are kept and ignored (newer minor versions may add some).
  void ReadMetadata() {
    const uint64_t end = size_ - kTrailerSize;
    uint64_t p = metadata_at_;
    while (p < end) {
      if (end - p < 8) Fail("truncated metadata record at byte " + std::to_string(p));
      const uint64_t key_len = LoadU32(data_ + p), value_len = LoadU32(data_ + p + 4);
      p += 8;
      if (key_len == 0 || key_len > kMaxKeyLength || key_len > end - p) {
        Fail("metadata key length " + std::to_string(key_len) + " out of range");
      }
      std::string key(reinterpret_cast<const char*>(data_ + p), key_len);
      p += key_len;
      for (const char ch : key) {
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.')) {
          Fail("metadata key has a character outside [a-z0-9_.]");
        }
      }
      if (value_len > end - p) Fail("metadata value of \"" + key + "\" runs past the end");
      const uint8_t* value_at = data_ + p;
      p += value_len;
      const uint64_t pad = (8 - p % 8) % 8;
      if (pad > end - p) Fail("truncated metadata padding");
      for (uint64_t i = 0; i < pad; ++i) {
        if (data_[p + i] != 0) Fail("non-zero metadata padding");
      }
      p += pad;
      for (const auto& kv : forest_.metadata) {
        if (kv.first == key) Fail("duplicate metadata key \"" + key + "\"");
      }
      if (key == kNodeWeightsKey) {
        if (!forest_.node_weights.empty()) Fail("duplicate metadata key \"" + key + "\"");
        ReadNodeWeights(value_at, value_len);
        continue;
      }
      forest_.metadata.emplace_back(std::move(key),
                                    std::string(reinterpret_cast<const char*>(value_at), value_len));
    }
    for (const auto& kv : forest_.metadata) {
      if (kv.first != "feature_names") continue;
      const size_t names = ForestFeatureNames(forest_).size();
      if (names != n_features_) {
        Fail("feature_names has " + std::to_string(names) + " names for " +
             std::to_string(n_features_) + " features");
      }
    }
  }

  // Format 1.1's `node_weights` record: one weight per node, float32 (4 bytes each) when the
  // exporter found them all exact in float32 (bootstrap counts), else float64.
  void ReadNodeWeights(const uint8_t* value, uint64_t length) {
    const uint64_t n = n_nodes_;
    const bool f32 = length == 4 * n;
    if (!f32 && length != 8 * n) {
      Fail("node_weights has " + std::to_string(length) + " bytes, not 4 or 8 per node (" +
           std::to_string(n) + " nodes)");
    }
    forest_.node_weights.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      double w;
      if (f32) {
        const uint32_t u = LoadU32(value + 4 * i);
        float f;
        std::memcpy(&f, &u, sizeof f);
        w = f;
      } else {
        w = LoadF64(value + 8 * i);
      }
      if (!(w >= 0 && w <= std::numeric_limits<double>::max())) {
        char text[32];
        std::snprintf(text, sizeof text, "%.17g", w);
        Fail("node_weights[" + std::to_string(i) + "] is " + text +
             ", not a finite weight >= 0");
      }
      forest_.node_weights[i] = w;
    }
  }

  const uint8_t* data_;
  uint64_t size_;
  const std::string& source_;
  ForestModel forest_;
  uint32_t n_features_ = 0, n_classes_ = 0, n_trees_ = 0, n_nodes_ = 0, n_leaf_rows_ = 0;
  uint64_t offsets_at_ = 0, nodes_at_ = 0, leaves_at_ = 0, classes_at_ = 0, metadata_at_ = 0;
  std::vector<uint32_t> tree_offsets_;
};

ForestModel ParseForest(const uint8_t* data, size_t size, const std::string& source) {
  return ForestBuilder(data, size, source).Build();
}

std::vector<std::string> ForestFeatureNames(const ForestModel& model) {
  std::vector<std::string> names;
  for (const auto& kv : model.metadata) {
    if (kv.first != "feature_names") continue;
    size_t start = 0;
    for (;;) {
      const size_t nl = kv.second.find('\n', start);
      names.push_back(kv.second.substr(start, nl == std::string::npos ? nl : nl - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  return names;
}

void Forest::CheckHead(const uint8_t* head, size_t head_size, uint64_t file_size,
                       const std::string& source) {
  if (head_size < std::min<uint64_t>(file_size, kHeaderSize) || (head == nullptr && head_size)) {
    throw Error(ErrorCode::kInvalidArgument, "Forest::CheckHead needs the file's first " +
                                                 std::to_string(kHeaderSize) + " bytes");
  }
  ForestBuilder(head, file_size, source).CheckHead();
}

}  // namespace ensemble::core
