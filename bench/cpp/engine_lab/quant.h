// Engine lab: exact threshold quantisation. Each feature's thresholds (all models, all rules)
// sorted once; a row's value becomes its rank r = #{t < x}, so `x <= T_k` iff `r <= k`.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "ir.h"

namespace lab {

constexpr uint16_t kMax = 0xFFFF;

struct Quant {
  int nf = 0;
  std::vector<std::vector<double>> U;  // per feature
  std::vector<uint16_t> r0;            // rank of 0.0
  std::vector<int> col_of;             // feature*kRules+rule -> column, -1 unused
  std::vector<int> col_feature, col_rule;
  int columns() const { return static_cast<int>(col_feature.size()); }

  void Add(const Model& m) {
    nf = std::max(nf, m.num_features);
    U.resize(nf);
    col_of.resize(static_cast<size_t>(nf) * kRules, -1);
    for (const Tree& t : m.trees)
      for (const Node& n : t.nodes)
        if (n.feature >= 0) {
          U[n.feature].push_back(n.t);
          int& c = col_of[n.feature * kRules + n.rule];
          if (c < 0) {
            c = columns();
            col_feature.push_back(n.feature);
            col_rule.push_back(n.rule);
          }
        }
  }
  void Finish() {
    r0.resize(nf);
    for (int f = 0; f < nf; ++f) {
      auto& u = U[f];
      std::sort(u.begin(), u.end());
      u.erase(std::unique(u.begin(), u.end()), u.end());
      if (u.size() >= kMax) throw std::runtime_error("too many thresholds");
      r0[f] = Rank(f, 0.0);
    }
  }
  uint16_t Rank(int f, double x) const {
    const auto& u = U[f];
    return static_cast<uint16_t>(std::lower_bound(u.begin(), u.end(), x) - u.begin());
  }
  uint16_t K(const Node& n) const {
    const auto& u = U[n.feature];
    return static_cast<uint16_t>(std::lower_bound(u.begin(), u.end(), n.t) - u.begin());
  }
  int Column(const Node& n) const { return col_of[n.feature * kRules + n.rule]; }

  // Ranks of one row into out[columns()].
  template <typename T>
  void RankRow(const T* x, uint16_t* out) const {
    const int nc = columns();
    for (int c = 0; c < nc; ++c) {
      const int f = col_feature[c];
      const double v = static_cast<double>(x[f]);
      const bool nan = std::isnan(v);
      uint16_t r = nan ? 0 : Rank(f, v);
      switch (col_rule[c]) {
        case kPlain: r = nan ? kMax : r; break;
        case kNanLeft: r = nan ? 0 : r; break;
        case kNanAsZero: r = nan ? r0[f] : r; break;
        case kZeroNanLeft: r = (nan || std::fabs(v) <= kZero) ? 0 : r; break;
        default: r = (nan || std::fabs(v) <= kZero) ? kMax : r; break;
      }
      out[c] = r;
    }
  }
};

}  // namespace lab
