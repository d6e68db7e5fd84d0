// Reads a LightGBM text model: the header, the `Tree=` blocks (checked against `tree_sizes`, which
// LightGBM trusts to seek to each tree) and the `end of trees` line; trees are built and validated
// by lightgbm_tree_builder.cc.
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <system_error>
#include <vector>

#include "ensemble/error.h"
#include "ensemble/lightgbm_model.h"
#include "lightgbm_text_internal.h"

namespace ensemble::core {
namespace detail {

const char* LgbTreeKeyName(LgbTreeKey key) {
  static const char* const kNames[kLgbTreeKeyCount] = {
      "num_leaves",    "num_cat",        "split_feature",   "split_gain",     "threshold",
      "decision_type", "left_child",     "right_child",     "leaf_value",     "leaf_weight",
      "leaf_count",    "internal_value", "internal_weight", "internal_count", "cat_boundaries",
      "cat_threshold", "is_linear",      "leaf_const",      "num_features",   "leaf_features",
      "leaf_coeff",    "shrinkage"};
  return kNames[static_cast<int>(key)];
}

bool ParseLgbInt(std::string_view token, std::int64_t* out) {
  if (token.empty() || token[0] == '+') return false;
  const auto result = std::from_chars(token.data(), token.data() + token.size(), *out);
  return result.ec == std::errc() && result.ptr == token.data() + token.size();
}

bool ParseLgbDouble(std::string_view token, double* out) {
  // from_chars also takes "nan(chars)", which LightGBM's own Atof rejects with a fatal error.
  if (token.empty() || token[0] == '+' || token.find('(') != std::string_view::npos) return false;
  const auto result = std::from_chars(token.data(), token.data() + token.size(), *out);
  return result.ec == std::errc() && result.ptr == token.data() + token.size();
}

std::vector<std::string_view> SplitLgbSpaces(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    std::size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    out.push_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace detail

namespace {

using detail::LgbTreeFields;
using detail::LgbTreeKey;

// LightGBM's line rules (Common::GetLine / SkipNewLine): a line ends at '\r' or '\n', and one
// "\r", "\n" or "\r\n" is skipped after it.
class LineCursor {
 public:
  explicit LineCursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  std::size_t pos() const { return pos_; }

  std::string_view Peek() const {
    std::size_t end = pos_;
    while (end < text_.size() && text_[end] != '\n' && text_[end] != '\r') ++end;
    return text_.substr(pos_, end - pos_);
  }

  std::string_view Next() {
    const std::string_view line = Peek();
    pos_ += line.size();
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
    return line;
  }

  void SkipEmptyLines() {
    while (!AtEnd() && Peek().empty()) Next();
  }

  // True if the line just read by Next() is the last one and has no newline: the text was cut.
  bool LastLineCut() const {
    return AtEnd() && !text_.empty() && text_.back() != '\n' && text_.back() != '\r';
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

constexpr std::string_view kEndOfTrees = "end of trees";

class LightGBMTextParser {
 public:
  LightGBMTextParser(std::string_view text, const std::string& source,
                     const ExpectedFeatures& expected)
      : text_(text), lines_(text), expected_(expected) {
    model_.source = source;
  }

  LightGBMModel Parse() {
    if (const void* nul = std::memchr(text_.data(), '\0', text_.size())) {
      const auto offset = static_cast<const char*>(nul) - text_.data();
      Fail("NUL byte at offset " + std::to_string(offset) +
           " (LightGBM reads the model as a C string and would stop there)");
    }
    ReadHeader();
    ReadTrees();
    return std::move(model_);
  }

 private:
  [[noreturn]] void Fail(const std::string& message) const {
    throw Error(ErrorCode::kModelFormat, model_.source + ": " + message);
  }

  struct HeaderLine {
    std::string_view key;
    std::string_view value;
  };

  const HeaderLine* FindHeader(std::string_view key) const {
    for (const HeaderLine& line : header_) {
      if (line.key == key) return &line;
    }
    return nullptr;
  }

  std::string_view RequireHeader(std::string_view key) const {
    const HeaderLine* line = FindHeader(key);
    if (line == nullptr) Fail("header: missing " + std::string(key) + "=");
    return line->value;
  }

  int HeaderInt(std::string_view key, std::string_view value, std::int64_t lo) const {
    std::int64_t v = 0;
    if (!detail::ParseLgbInt(value, &v)) {
      Fail("header: " + std::string(key) + "=" + std::string(value.substr(0, 40)) +
           " is not an integer");
    }
    if (v < lo || v > std::numeric_limits<int>::max() - 1) {
      Fail("header: " + std::string(key) + " = " + std::to_string(v) + " is out of range");
    }
    return static_cast<int>(v);
  }

  void ReadHeader() {
    lines_.SkipEmptyLines();
    if (lines_.AtEnd() || lines_.Next() != "tree") {
      Fail("not a LightGBM text model (the first line is not \"tree\")");
    }
    while (true) {
      lines_.SkipEmptyLines();
      if (lines_.AtEnd()) Fail("truncated: no \"Tree=\" block and no \"end of trees\" line");
      const std::string_view line = lines_.Peek();
      if (StartsWith(line, "Tree=") || line == kEndOfTrees) break;
      lines_.Next();
      const std::size_t eq = line.find('=');
      HeaderLine entry{line.substr(0, eq), eq == std::string_view::npos ? "" : line.substr(eq + 1)};
      // LightGBM splits header lines on every '=' and only keeps a value with '=' in it for
      // feature_names and monotone_constraints; anything else would be read differently.
      const bool names = entry.key == "feature_names" || entry.key == "monotone_constraints";
      if (entry.key.empty() || (names ? StartsWith(entry.value, "=")
                                      : entry.value.find('=') != std::string_view::npos)) {
        Fail("header: malformed line \"" + std::string(line.substr(0, 60)) + "\"");
      }
      if (FindHeader(entry.key) != nullptr) {
        Fail("header: duplicate key " + std::string(entry.key));
      }
      header_.push_back(entry);
    }
    InterpretHeader();
  }

  void InterpretHeader() {
    if (const HeaderLine* v = FindHeader("version")) model_.version = std::string(v->value);
    model_.num_class = HeaderInt("num_class", RequireHeader("num_class"), 1);
    model_.num_tree_per_iteration = model_.num_class;
    if (const HeaderLine* n = FindHeader("num_tree_per_iteration")) {
      model_.num_tree_per_iteration = HeaderInt(n->key, n->value, 1);
    }
    // LightGBM sizes prediction buffers by num_class but writes num_tree_per_iteration outputs
    // per row: a larger value overflows the buffer, a smaller one leaves outputs unset.
    if (model_.num_tree_per_iteration != model_.num_class) {
      Fail("header: num_tree_per_iteration = " + std::to_string(model_.num_tree_per_iteration) +
           " differs from num_class = " + std::to_string(model_.num_class));
    }
    model_.label_index =
        HeaderInt("label_index", RequireHeader("label_index"), std::numeric_limits<int>::min());
    model_.max_feature_idx = HeaderInt("max_feature_idx", RequireHeader("max_feature_idx"), 0);
    model_.num_features = model_.max_feature_idx + 1;
    CheckDeclaredFeatures(expected_, model_.num_features, model_.source);
    model_.average_output = FindHeader("average_output") != nullptr;
    for (std::string_view name : detail::SplitLgbSpaces(RequireHeader("feature_names"))) {
      model_.feature_names.emplace_back(name);
    }
    CheckCount("feature_names", model_.feature_names.size());
    CheckCount("feature_infos", detail::SplitLgbSpaces(RequireHeader("feature_infos")).size());
    if (const HeaderLine* m = FindHeader("monotone_constraints")) {
      CheckCount("monotone_constraints", detail::SplitLgbSpaces(m->value).size());
    }
    if (const HeaderLine* o = FindHeader("objective")) InterpretObjective(o->value);
  }

  void CheckCount(const char* key, std::size_t count) const {
    if (count != static_cast<std::size_t>(model_.num_features)) {
      Fail(std::string("header: ") + key + " has " + std::to_string(count) +
           " entries, expected max_feature_idx + 1 = " + std::to_string(model_.num_features));
    }
  }

  // The objective converts num_class raw outputs (its own `num_class:K`) in place: a K other than
  // the header's reads and writes past LightGBM's output buffer, or mixes rows.
  void InterpretObjective(std::string_view value) {
    model_.objective = std::string(value);
    const std::vector<std::string_view> words = detail::SplitLgbSpaces(value);
    if (words.empty()) Fail("header: empty objective=");
    model_.objective_name = std::string(words[0]);
    // LightGBM writes the canonical names; the aliases are what ParseObjectiveAlias maps to them.
    static const char* const kMulticlass[] = {"multiclass",     "softmax", "multiclassova",
                                              "multiclass_ova", "ova",     "ovr"};
    bool multiclass = false;
    for (const char* name : kMulticlass) multiclass |= model_.objective_name == name;
    int objective_classes = 1;
    for (std::size_t i = 1; i < words.size(); ++i) {
      if (StartsWith(words[i], "num_class:")) {
        objective_classes = HeaderInt("objective num_class", words[i].substr(10), 1);
      }
      // binary and multiclassova scale the margin by it: LightGBM refuses <= 0 but takes NaN
      // (every probability NaN) and Inf (every probability 0, 0.5 or 1).
      double sigmoid = 0;
      if (StartsWith(words[i], "sigmoid:") &&
          !(detail::ParseLgbDouble(words[i].substr(8), &sigmoid) && std::isfinite(sigmoid) &&
            sigmoid > 0)) {
        Fail("header: objective \"" + model_.objective + "\": " + std::string(words[i]) +
             " is not a finite number > 0");
      }
    }
    if (multiclass ? objective_classes != model_.num_class : model_.num_class != 1) {
      Fail("header: objective \"" + model_.objective +
           "\" does not match num_class = " + std::to_string(model_.num_class));
    }
  }

  void ReadTrees() {
    std::vector<std::size_t> block_sizes;
    while (true) {
      lines_.SkipEmptyLines();
      if (lines_.AtEnd()) {
        Fail("truncated: no \"end of trees\" line after " + std::to_string(model_.trees.size()) +
             " trees");
      }
      const std::size_t block_start = lines_.pos();
      const std::string_view line = lines_.Next();
      if (line == kEndOfTrees) break;
      const std::string where = model_.source + ": tree " + std::to_string(model_.trees.size());
      std::int64_t index = -1;
      if (lines_.LastLineCut()) {
        Fail("truncated: the text ends inside the line \"" + std::string(line.substr(0, 60)) +
             "\"");
      }
      if (!StartsWith(line, "Tree=") || !detail::ParseLgbInt(line.substr(5), &index)) {
        Fail("expected \"Tree=" + std::to_string(model_.trees.size()) +
             "\" or \"end of trees\", found \"" + std::string(line.substr(0, 60)) + "\"");
      }
      if (index != static_cast<std::int64_t>(model_.trees.size())) {
        Fail(std::string(line) + " where Tree=" + std::to_string(model_.trees.size()) +
             " was expected");
      }
      const LgbTreeFields fields = ReadTreeFields(where);
      model_.trees.push_back(detail::BuildLightGBMTree(fields, model_.num_features, where));
      lines_.SkipEmptyLines();
      block_sizes.push_back(lines_.pos() - block_start);
    }
    CheckTreeSizes(block_sizes);
    CheckParameters();
    const auto per_iteration = static_cast<std::size_t>(model_.num_tree_per_iteration);
    if (model_.trees.size() % per_iteration != 0) {
      Fail(std::to_string(model_.trees.size()) + " trees is not a multiple of " +
           "num_tree_per_iteration = " + std::to_string(per_iteration) +
           " (LightGBM would silently ignore the trailing trees)");
    }
  }

  // The `key=value` lines up to the blank line that ends a tree. LightGBM reads at most 22 lines
  // and scans for '=' without bounds, so a line without one (or a missing blank line at the end of
  // the text) is fatal here.
  LgbTreeFields ReadTreeFields(const std::string& where) {
    LgbTreeFields fields;
    int count = 0;
    while (true) {
      if (lines_.AtEnd()) {
        throw Error(ErrorCode::kModelFormat, where + ": truncated inside the tree");
      }
      const std::string_view line = lines_.Next();
      if (line.empty()) return fields;
      if (lines_.AtEnd()) {
        throw Error(ErrorCode::kModelFormat, where + ": truncated inside the tree");
      }
      const std::size_t eq = line.find('=');
      if (eq == std::string_view::npos) {
        throw Error(ErrorCode::kModelFormat,
                    where + ": line without '=': \"" + std::string(line.substr(0, 60)) + "\"");
      }
      if (++count > detail::kLgbTreeKeyCount) {
        throw Error(ErrorCode::kModelFormat, where + ": more than " +
                                                 std::to_string(detail::kLgbTreeKeyCount) +
                                                 " lines (LightGBM ignores the rest)");
      }
      const std::string_view key = line.substr(0, eq);
      for (int k = 0; k < detail::kLgbTreeKeyCount; ++k) {
        if (key != detail::LgbTreeKeyName(static_cast<LgbTreeKey>(k))) continue;
        if (fields.present[k]) {
          throw Error(ErrorCode::kModelFormat, where + ": duplicate field " + std::string(key));
        }
        fields.present[k] = true;
        fields.value[k] = line.substr(eq + 1);
      }
    }
  }

  // The `parameters:` section after the trees: LGBM_BoosterGetLoadedParam (which the Python
  // package calls on every load) splits each line on ':' and reads the second part unchecked.
  void CheckParameters() {
    bool inside = false;
    while (!lines_.AtEnd()) {
      const std::string_view line = lines_.Next();
      if (line.empty()) continue;
      if (!inside) {
        inside = line == "parameters:";
        continue;
      }
      if (line == "end of parameters") return;
      std::size_t parts = 0;
      for (std::string_view part : SplitOn(line, ':')) parts += part.empty() ? 0 : 1;
      if (parts < 2) {
        Fail("parameters: malformed line \"" + std::string(line.substr(0, 60)) + "\"");
      }
    }
  }

  static std::vector<std::string_view> SplitOn(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    std::size_t begin = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i == text.size() || text[i] == sep) {
        out.push_back(text.substr(begin, i - begin));
        begin = i + 1;
      }
    }
    return out;
  }

  // LightGBM seeks to tree i at the sum of the first i sizes and aborts the process (or reads
  // past the text) when no tree starts there; too few sizes silently drop trees.
  void CheckTreeSizes(const std::vector<std::size_t>& actual) const {
    const HeaderLine* line = FindHeader("tree_sizes");
    if (line == nullptr) return;
    const std::vector<std::string_view> tokens = detail::SplitLgbSpaces(line->value);
    if (tokens.size() != actual.size()) {
      Fail("tree_sizes lists " + std::to_string(tokens.size()) + " trees but the model has " +
           std::to_string(actual.size()));
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      std::int64_t size = 0;
      if (!detail::ParseLgbInt(tokens[i], &size) || size < 0 ||
          static_cast<std::size_t>(size) != actual[i]) {
        Fail("tree_sizes[" + std::to_string(i) + "] = " + std::string(tokens[i].substr(0, 24)) +
             " but tree " + std::to_string(i) + " takes " + std::to_string(actual[i]) + " bytes");
      }
    }
  }

  std::string_view text_;
  LineCursor lines_;
  std::vector<HeaderLine> header_;
  const ExpectedFeatures& expected_;
  LightGBMModel model_;
};

}  // namespace

LightGBMModel ParseLightGBMText(std::string_view text, const std::string& source,
                                const ExpectedFeatures& expected) {
  return LightGBMTextParser(text, source, expected).Parse();
}

}  // namespace ensemble::core
