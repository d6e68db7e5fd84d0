// Lab: reads a (validated) forest file into a ForestModel.
#include <cstring>
#include <vector>
#include "ensemble/forest_model.h"
using namespace ensemble::core;
static uint32_t U32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
static int32_t I32(const uint8_t* p) { int32_t v; std::memcpy(&v, p, 4); return v; }
static double F64(const uint8_t* p) { double v; std::memcpy(&v, p, 8); return v; }

ForestModel RawForest(const std::vector<uint8_t>& b) {
  ForestModel m;
  const uint8_t* d = b.data();
  const uint32_t flags = U32(d + 12), nf = U32(d + 16), nc = U32(d + 20), nt = U32(d + 24),
                 nn = U32(d + 28), nl = U32(d + 32);
  m.num_features = nf;
  m.num_classes = nc;
  m.allows_nan = flags & 1;
  const size_t offsets_at = 48;
  const size_t nodes_at = (offsets_at + 4 * (nt + 1) + 7) & ~size_t{7};
  const size_t leaves_at = nodes_at + 24 * size_t{nn};
  for (size_t i = 0; i < size_t{nl} * nc; ++i) m.leaf_values.push_back(F64(d + leaves_at + 8 * i));
  for (uint32_t t = 0; t <= nt; ++t) m.tree_begin.push_back(U32(d + offsets_at + 4 * t));
  for (uint32_t i = 0; i < nn; ++i) {
    const uint8_t* p = d + nodes_at + 24 * size_t{i};
    ForestNode n;
    n.feature = I32(p);
    n.left = I32(p + 4);
    n.right = I32(p + 8);
    n.missing_left = p[12];
    n.threshold = F64(p + 16);
    m.nodes.push_back(n);
  }
  return m;
}

