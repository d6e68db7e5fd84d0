// Engine lab: the three models into the lab's tree representation.
#include <cstring>
#include <stdexcept>

#include "ir.h"

namespace lab {

Model FromLightGBM(const ensemble::core::LightGBMModel& m) {
  Model out;
  out.name = "lightgbm";
  out.num_features = m.num_features;
  out.acc = Acc::kDouble;
  for (const auto& t : m.trees) {
    Tree tree;
    const int ni = t.num_leaves - 1;
    // Internal nodes 0..ni-1, then leaves ni..ni+L-1.
    tree.nodes.resize(static_cast<size_t>(ni + t.num_leaves));
    auto id = [&](int32_t c) { return c >= 0 ? c : ni + ~c; };
    for (int i = 0; i < ni; ++i) {
      Node& n = tree.nodes[i];
      const int8_t dt = t.decision_type[i];
      const bool dl = (dt & 2) != 0;
      switch ((dt >> 2) & 3) {
        case 0: n.rule = kNanAsZero; break;
        case 1: n.rule = dl ? kZeroNanLeft : kZeroNanRight; break;
        default: n.rule = dl ? kNanLeft : kPlain; break;
      }
      n.feature = t.split_feature[i];
      n.t = LightGBMFold(t.threshold[i]);
      n.left = id(t.left_child[i]);
      n.right = id(t.right_child[i]);
    }
    for (int j = 0; j < t.num_leaves; ++j) {
      Node& n = tree.nodes[ni + j];
      n.leaf = static_cast<int32_t>(out.leaf_values.size());
      out.leaf_values.push_back(t.leaf_value[j]);
    }
    out.trees.push_back(std::move(tree));
  }
  return out;
}

Model FromXGBoost(const ensemble::core::XGBoostModel& m) {
  Model out;
  out.name = "xgboost";
  out.num_features = static_cast<int>(m.num_feature);
  out.acc = Acc::kFloat;
  const float base = m.base_score_values[0];
  out.base = -std::log(1.0f / base - 1.0f);
  for (const auto& t : m.trees) {
    Tree tree;
    // Live nodes only, preorder, node 0 root.
    std::vector<int32_t> map(t.num_nodes, -1);
    std::vector<int32_t> order, stack{0};
    while (!stack.empty()) {
      const int32_t i = stack.back();
      stack.pop_back();
      map[i] = static_cast<int32_t>(order.size());
      order.push_back(i);
      if (!t.IsLeaf(i)) {
        stack.push_back(t.right_children[i]);
        stack.push_back(t.left_children[i]);
      }
    }
    tree.nodes.resize(order.size());
    for (size_t k = 0; k < order.size(); ++k) {
      const int32_t i = order[k];
      Node& n = tree.nodes[k];
      if (t.IsLeaf(i)) {
        n.leaf = static_cast<int32_t>(out.leaf_values.size());
        out.leaf_values.push_back(t.split_conditions[i]);
        continue;
      }
      n.feature = t.split_indices[i];
      n.rule = t.default_left[i] ? kNanLeft : kPlain;
      const float c = t.split_conditions[i];
      n.t = DoubleForFloatLE(std::nextafter(c, -std::numeric_limits<float>::infinity()));
      n.left = map[t.left_children[i]];
      n.right = map[t.right_children[i]];
    }
    out.trees.push_back(std::move(tree));
  }
  return out;
}

namespace {
uint32_t U32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
int32_t I32(const uint8_t* p) { int32_t v; std::memcpy(&v, p, 4); return v; }
double F64(const uint8_t* p) { double v; std::memcpy(&v, p, 8); return v; }
}  // namespace

// The file was validated by Forest::FromBytes first; this only reads it.
Model FromForestFile(const std::vector<uint8_t>& b) {
  Model out;
  out.name = "forest";
  const uint8_t* d = b.data();
  const uint32_t flags = U32(d + 12), nf = U32(d + 16), nc = U32(d + 20), nt = U32(d + 24),
                 nn = U32(d + 28), nl = U32(d + 32);
  out.num_features = static_cast<int>(nf);
  out.outputs = static_cast<int>(nc);
  out.acc = Acc::kClassMean;
  const bool allow_nan = flags & 1;
  const size_t offsets_at = 48;
  const size_t nodes_at = (offsets_at + 4 * (nt + 1) + 7) & ~size_t{7};
  const size_t leaves_at = nodes_at + 24 * size_t{nn};
  for (size_t i = 0; i < size_t{nl} * nc; ++i) out.leaf_values.push_back(F64(d + leaves_at + 8 * i));
  for (uint32_t t = 0; t < nt; ++t) {
    const uint32_t b0 = U32(d + offsets_at + 4 * t), b1 = U32(d + offsets_at + 4 * (t + 1));
    Tree tree;
    tree.nodes.resize(b1 - b0);
    for (uint32_t i = 0; i < b1 - b0; ++i) {
      const uint8_t* p = d + nodes_at + 24 * size_t{b0 + i};
      Node& n = tree.nodes[i];
      const int32_t f = I32(p);
      if (f == -1) {
        n.leaf = I32(p + 4);
        continue;
      }
      n.feature = f;
      n.left = I32(p + 4);
      n.right = I32(p + 8);
      n.rule = (allow_nan && p[12]) ? kNanLeft : kPlain;
      n.t = DoubleForFloatLE(FloatAtOrBelow(F64(p + 16)));
    }
    out.trees.push_back(std::move(tree));
  }
  return out;
}

}  // namespace lab
