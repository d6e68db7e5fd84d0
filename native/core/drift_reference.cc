// The metadata's drift_reference checked field by field (docs/metadata.md): one histogram per
// feature of the metadata and per score, each with strictly increasing finite edges, a count per
// bin and a missing count.
#include <cmath>
#include <string>

#include "ensemble/drift.h"
#include "ensemble/metadata.h"

namespace ensemble::core {
namespace {

class ReferenceChecker {
 public:
  ReferenceChecker(const std::string& path, Problems& problems) : path_(path), problems_(problems) {}

  bool ok() const { return ok_; }

  void Bad(const std::string& field, const std::string& what) {
    ok_ = false;
    problems_.Add(ErrorCode::kMetadata, path_, field, path_ + ": " + field + " " + what);
  }

  // {edges, counts, missing}.
  DriftHistogram Histogram(const JsonValue& v, const std::string& field) {
    DriftHistogram h;
    if (!v.IsObject()) {
      Bad(field, "must be an object {edges, counts, missing}");
      return h;
    }
    const JsonValue* edges = v.Find("edges");
    const JsonValue* counts = v.Find("counts");
    const JsonValue* missing = v.Find("missing");
    if (edges == nullptr || !edges->IsArray()) {
      Bad(field + ".edges", "must be an array of numbers");
      return h;
    }
    if (edges->size() > kMaxDriftEdges) {
      Bad(field + ".edges", "has " + std::to_string(edges->size()) + " edges, at most " +
                                std::to_string(kMaxDriftEdges));
      return h;
    }
    for (size_t i = 0; i < edges->size(); ++i) {
      const JsonValue& e = edges->AsArray()[i];
      if (!e.IsNumber() || !std::isfinite(e.AsDouble()) ||
          (i > 0 && !(e.AsDouble() > h.edges.back()))) {
        Bad(field + ".edges", "must be finite numbers in strictly increasing order (edge " +
                                  std::to_string(i) + ")");
        return h;
      }
      h.edges.push_back(e.AsDouble());
    }
    if (counts == nullptr || !counts->IsArray() || counts->size() != h.edges.size() + 1) {
      Bad(field + ".counts", "must be an array of " + std::to_string(h.edges.size() + 1) +
                                 " counts (one more than the edges)");
      return h;
    }
    uint64_t total = 0;
    for (const JsonValue& c : counts->AsArray()) {
      if (!c.IsInteger() || c.AsInt64() < 0) {
        Bad(field + ".counts", "must hold integers >= 0");
        return h;
      }
      h.counts.push_back(static_cast<uint64_t>(c.AsInt64()));
      total += h.counts.back();
    }
    if (missing == nullptr || !missing->IsInteger() || missing->AsInt64() < 0) {
      Bad(field + ".missing", "must be an integer >= 0");
      return h;
    }
    h.missing = static_cast<uint64_t>(missing->AsInt64());
    if (total + h.missing == 0) Bad(field, "counts no value at all");
    return h;
  }

  // `section` must hold exactly `names`, each a histogram.
  std::vector<std::pair<std::string, DriftHistogram>> Section(const JsonValue& ref,
                                                              const char* section,
                                                              const std::vector<std::string>& names) {
    std::vector<std::pair<std::string, DriftHistogram>> out;
    const std::string field = std::string("drift_reference.") + section;
    const JsonValue* s = ref.Find(section);
    if (s == nullptr || !s->IsObject()) {
      Bad(field, "must be an object with one histogram per name");
      return out;
    }
    for (const std::string& name : names) {
      const JsonValue* h = s->Find(name);
      if (h == nullptr) {
        Bad(field, "has no entry for '" + name + "'");
        continue;
      }
      out.emplace_back(name, Histogram(*h, field + "." + name));
    }
    for (const auto& [key, value] : s->AsObject()) {
      bool known = false;
      for (const std::string& name : names) known = known || name == key;
      if (!known) Bad(field + "." + key, "is not a " + std::string(section) + " name of this model directory");
    }
    return out;
  }

 private:
  const std::string& path_;
  Problems& problems_;
  bool ok_ = true;
};

}  // namespace

DriftReference ParseDriftReference(const JsonValue& value,
                                   const std::vector<std::string>& feature_names,
                                   const std::string& path, Problems& problems) {
  DriftReference ref;
  ReferenceChecker check(path, problems);
  if (!value.IsObject()) {
    check.Bad("drift_reference", "must be an object (docs/metadata.md#drift_reference)");
    return ref;
  }
  const JsonValue* version = value.Find("version");
  if (version == nullptr || !version->IsInteger() || version->AsInt64() != 1) {
    check.Bad("drift_reference.version", "must be 1 (the version this package reads)");
    return ref;
  }
  ref.features = check.Section(value, "features", feature_names);
  ref.scores = check.Section(value, "scores",
                             std::vector<std::string>(std::begin(kDriftScores), std::end(kDriftScores)));
  for (const auto& [key, target] : {std::make_pair("features_from", &ref.features_from),
                                    std::make_pair("scores_from", &ref.scores_from)}) {
    if (const JsonValue* v = value.Find(key); v != nullptr && v->IsString()) *target = v->AsString();
  }
  ref.present = check.ok();
  if (!ref.present) ref = DriftReference{};
  return ref;
}

}  // namespace ensemble::core
