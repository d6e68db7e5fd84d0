// Engine lab: block quantisation. 64 rows at a time, column-major ranks of type R (uint8_t when
// every feature of the model has at most 254 thresholds, else uint16_t). One branchless binary
// search per (row, feature); the missing-value rules are then cheap selects per column.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "ir.h"

namespace lab {

template <typename R>
struct Quant2 {
  static constexpr R kTop = std::numeric_limits<R>::max();
  int nf = 0;
  std::vector<std::vector<double>> U;  // per feature, sorted unique
  std::vector<R> r0;                   // rank of 0.0
  std::vector<int> col_of;             // feature*kRules+rule -> column
  std::vector<int> col_feature, col_rule;
  std::vector<int> features;           // features that have a column
  std::vector<std::vector<double>> padded;  // U + Inf up to 2^k - 1
  std::vector<uint32_t> pad_steps;
  int columns() const { return static_cast<int>(col_feature.size()); }

  static bool Fits(const Model& m) {
    std::vector<std::vector<double>> u(m.num_features);
    for (const Tree& t : m.trees)
      for (const Node& n : t.nodes)
        if (n.feature >= 0) u[n.feature].push_back(n.t);
    for (auto& v : u) {
      std::sort(v.begin(), v.end());
      v.erase(std::unique(v.begin(), v.end()), v.end());
      if (v.size() >= kTop) return false;
    }
    return true;
  }

  void Build(const Model& m) {
    nf = m.num_features;
    U.assign(nf, {});
    col_of.assign(static_cast<size_t>(nf) * kRules, -1);
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
    r0.resize(nf);
    for (int f = 0; f < nf; ++f) {
      auto& u = U[f];
      std::sort(u.begin(), u.end());
      u.erase(std::unique(u.begin(), u.end()), u.end());
      if (u.size() >= kTop) throw std::runtime_error("too many thresholds for the rank type");
      r0[f] = static_cast<R>(std::lower_bound(u.begin(), u.end(), 0.0) - u.begin());
      if (!u.empty()) features.push_back(f);
    }
    padded.resize(nf);
    pad_steps.resize(nf);
    for (int f = 0; f < nf; ++f) {
      uint32_t k = 0;
      while (((1u << k) - 1) < U[f].size()) ++k;
      padded[f] = U[f];
      padded[f].resize((1u << k) - 1, std::numeric_limits<double>::infinity());
      pad_steps[f] = k;
    }
  }
  R K(const Node& n) const {
    const auto& u = U[n.feature];
    return static_cast<R>(std::lower_bound(u.begin(), u.end(), n.t) - u.begin());
  }
  int Column(const Node& n) const { return col_of[n.feature * kRules + n.rule]; }

  // #{u < x} over a list padded with +Inf to 2^k - 1 entries: k steps, no data-dependent branch.
  static inline uint32_t Rank(const double* u, uint32_t steps, double x) {
    uint32_t pos = 0;
    for (uint32_t step = (1u << steps) >> 1; step != 0; step >>= 1) {
      pos += step & (0u - static_cast<uint32_t>(u[pos + step - 1] < x));
    }
    return pos;
  }

  // Ranks of rows [0, n) of x (row stride nf_in) into out[columns() * 64], column-major.
  template <typename T>
  void Block(const T* x, size_t stride, size_t n, R* out) const {
    alignas(64) R rank[64];
    alignas(64) uint8_t nan[64], zero[64];
    for (const int f : features) {
      const double* up = padded[f].data();
      const uint32_t steps = pad_steps[f];
      for (size_t r = 0; r < n; ++r) {
        const double v = static_cast<double>(x[r * stride + f]);
        rank[r] = static_cast<R>(Rank(up, steps, v));
        nan[r] = std::isnan(v);
        zero[r] = std::fabs(v) <= kZero;
      }
      for (size_t r = n; r < 64; ++r) rank[r] = nan[r] = zero[r] = 0;
      for (int rule = 0; rule < kRules; ++rule) {
        const int c = col_of[f * kRules + rule];
        if (c < 0) continue;
        R* o = out + static_cast<size_t>(c) * 64;
        const R rz = r0[f];
        switch (rule) {
          case kPlain: for (int r = 0; r < 64; ++r) o[r] = nan[r] ? kTop : rank[r]; break;
          case kNanLeft: for (int r = 0; r < 64; ++r) o[r] = nan[r] ? 0 : rank[r]; break;
          case kNanAsZero: for (int r = 0; r < 64; ++r) o[r] = nan[r] ? rz : rank[r]; break;
          case kZeroNanLeft:
            for (int r = 0; r < 64; ++r) o[r] = (nan[r] | zero[r]) ? 0 : rank[r];
            break;
          default:
            for (int r = 0; r < 64; ++r) o[r] = (nan[r] | zero[r]) ? kTop : rank[r];
            break;
        }
      }
    }
  }
};

}  // namespace lab
