// Compiles an EngineModel for the kernels: the quantiser (each feature's thresholds sorted once,
// cut into rank windows that fit the rank type), every tree as a branch-free walk, and its top
// levels as a bit-sliced program.
#include <algorithm>
#include <climits>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine_program.h"
#include "ensemble/error.h"

namespace ensemble::core::engine {
namespace {

// Columns are addressed with 16 bits in the walk and sliced nodes.
constexpr size_t kMaxColumns = 65535;

// Levels of groups of `fanout` thresholds, each level the maxima of the groups below, every level
// padded with at least one +Inf (engine_program.h, Feature::tree).
void SearchTree(const std::vector<double>& sorted, size_t fanout, PartProgram::Feature* f) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto pad = [&](std::vector<double> v) {
    v.resize(fanout * (v.size() / fanout + 1), kInf);
    return v;
  };
  std::vector<std::vector<double>> levels{pad(sorted)};
  while (levels.back().size() > fanout) {
    const std::vector<double>& below = levels.back();
    std::vector<double> maxima;
    for (size_t i = fanout - 1; i < below.size(); i += fanout) maxima.push_back(below[i]);
    levels.push_back(pad(std::move(maxima)));
  }
  for (auto it = levels.rbegin(); it != levels.rend(); ++it) {
    f->tree_level.push_back(static_cast<uint32_t>(f->tree.size()));
    f->tree.insert(f->tree.end(), it->begin(), it->end());
  }
  if (fanout == 16) {
    f->tree_f.assign(f->tree.begin(), f->tree.end());  // float values, exact
    f->tree.clear();
  }
}

struct Builder {
  Builder(const EngineModel& model, PartProgram& program) : m(model), p(program) {}

  const EngineModel& m;
  PartProgram& p;
  std::vector<std::vector<double>> sorted;  // per feature
  std::map<std::tuple<int, int, uint32_t>, int> column_of;  // (feature, rule, window)

  // Every split's column and threshold index, found once (Quantiser) and read by every layout.
  struct Slot {
    int column;
    uint32_t index;
  };
  std::vector<Slot> slots;          // every node of every tree, trees in order
  std::vector<size_t> tree_first;   // each tree's first entry in slots
  // The tree being laid out (Build): its nodes and their first slot.
  const EngineNode* cur_nodes = nullptr;
  size_t cur_first = 0;
  const Slot& SlotOf(const EngineNode& n) const {
    return slots[cur_first + static_cast<size_t>(&n - cur_nodes)];
  }

  uint32_t Index(const EngineNode& n) const { return SlotOf(n).index; }
  int Column(const EngineNode& n) const { return SlotOf(n).column; }
  // The column as walk and top nodes hold it (WalkNode::col).
  uint16_t NodeColumn(const EngineNode& n) const {
    const int c = Column(n);
    return static_cast<uint16_t>(p.scaled_cols ? c * static_cast<int>(kBlock) : c);
  }
  uint16_t K(const EngineNode& n) const { return static_cast<uint16_t>(Index(n) % p.window); }

  void Quantiser() {
    const size_t nf = static_cast<size_t>(m.num_features);
    size_t total = 0;
    for (const EngineTree& t : m.trees) {
      tree_first.push_back(total);
      total += t.nodes.size();
    }
    slots.assign(total, Slot{-1, 0});
    // Per feature, (threshold, slot) of every split, sorted once: the unique thresholds and each
    // split's index among them (the index lower_bound would give) in one pass.
    std::vector<std::vector<std::pair<double, uint32_t>>> splits(nf);
    {
      uint32_t o = 0;
      for (const EngineTree& t : m.trees) {
        for (const EngineNode& n : t.nodes) {
          if (n.feature >= 0) splits[static_cast<size_t>(n.feature)].push_back({n.threshold, o});
          ++o;
        }
      }
    }
    sorted.assign(nf, {});
    size_t widest = 0;
    for (size_t f = 0; f < nf; ++f) {
      auto& v = splits[f];
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
      auto& s = sorted[f];
      for (const auto& [threshold, o] : v) {
        if (s.empty() || s.back() != threshold) s.push_back(threshold);
        slots[o].index = static_cast<uint32_t>(s.size() - 1);
      }
      widest = std::max(widest, s.size());
      std::vector<std::pair<double, uint32_t>>().swap(v);
    }
    p.wide_ranks = widest > 254;
    p.window = p.wide_ranks ? 65534 : 254;
    p.top_rank = p.wide_ranks ? 65535 : 255;
    // Columns numbered in order of first use; looked up by (feature, rule, window) packed.
    std::unordered_map<uint64_t, int> column_at;
    auto pack = [](uint64_t f, uint64_t rule, uint64_t window) { return (f << 36) | (rule << 32) | window; };
    Slot* slot = slots.data();
    for (const EngineTree& t : m.trees) {
      for (const EngineNode& n : t.nodes) {
        if (n.feature < 0) {
          ++slot;
          continue;
        }
        const uint32_t window = slot->index / p.window;
        const uint64_t key = pack(static_cast<uint64_t>(n.feature), static_cast<uint64_t>(n.missing), window);
        auto it = column_at.find(key);
        if (it == column_at.end()) {
          if (column_at.size() >= kMaxColumns) {
            throw Error(ErrorCode::kModelFormat,
                        m.library + " model: more than 65,535 (feature, missing rule) columns "
                        "for the tree engine");
          }
          it = column_at.emplace(key, static_cast<int>(column_at.size())).first;
          column_of[std::make_tuple(n.feature, static_cast<int>(n.missing), window)] = it->second;
        }
        slot->column = it->second;
        ++slot;
      }
    }
    p.num_columns = column_of.size();
    p.col_rule.assign(p.num_columns, 0);
    p.col_window.assign(p.num_columns, 0);
    std::vector<int> feature_at(nf, -1);
    for (const auto& [key, c] : column_of) {
      const auto [f, rule, window] = key;
      p.col_rule[static_cast<size_t>(c)] = static_cast<uint8_t>(rule);
      p.col_window[static_cast<size_t>(c)] = window;
      int& fi = feature_at[static_cast<size_t>(f)];
      if (fi < 0) {
        fi = static_cast<int>(p.features.size());
        PartProgram::Feature feat;
        feat.feature = f;
        const auto& s = sorted[static_cast<size_t>(f)];
        uint32_t steps = 0;
        while (((size_t{1} << steps) - 1) < s.size()) ++steps;
        feat.steps = steps;
        feat.padded = s;
        feat.padded.resize((size_t{1} << steps) - 1, std::numeric_limits<double>::infinity());
        if (m.compare == Compare::kFloat) {
          feat.padded_f.assign(feat.padded.begin(), feat.padded.end());  // float values, exact
        }
        feat.zero_rank = static_cast<uint32_t>(std::lower_bound(s.begin(), s.end(), 0.0) - s.begin());
        SearchTree(s, m.compare == Compare::kFloat ? 16 : 8, &feat);
        p.features.push_back(std::move(feat));
      }
      p.features[static_cast<size_t>(fi)].columns.push_back(c);
    }
  }

  double LeafValue(int32_t leaf, size_t c) const {
    return m.leaf_values[static_cast<size_t>(leaf) * static_cast<size_t>(m.outputs) +
                         static_cast<size_t>(p.columns[c])];
  }

  // Appends a walk node, with its value slots.
  int32_t NewWalk(int n) {
    const auto first = static_cast<int32_t>(p.walk.size());
    p.walk.resize(p.walk.size() + static_cast<size_t>(n));
    if (p.width > 1) {
      p.leaf_row.resize(p.walk.size(), -1);
    } else if (p.float_sum) {
      p.value_f.resize(p.walk.size(), 0.0f);
    } else {
      p.value.resize(p.walk.size(), 0.0);
    }
    return first;
  }

  // The tree as a walk (each split's children adjacent); walk_of[i] = walk node of node i.
  void Walk(const EngineTree& t, TreeCode* code, std::vector<int32_t>* walk_of) {
    walk_of->assign(t.nodes.size(), -1);
    struct Pending { int32_t id, at, depth; };
    std::vector<Pending> stack{{0, NewWalk(1), 0}};
    code->root = stack.back().at;
    code->depth = 0;
    code->min_depth = INT32_MAX;
    while (!stack.empty()) {
      const Pending q = stack.back();
      stack.pop_back();
      const EngineNode& n = t.nodes[static_cast<size_t>(q.id)];
      (*walk_of)[static_cast<size_t>(q.id)] = q.at;
      if (n.feature < 0) {
        p.walk[static_cast<size_t>(q.at)] = {p.top_rank, 0, q.at - 1};
        if (p.width > 1) {
          p.leaf_row[static_cast<size_t>(q.at)] = n.leaf;
        } else if (p.float_sum) {
          p.value_f[static_cast<size_t>(q.at)] = static_cast<float>(LeafValue(n.leaf, 0));
        } else {
          p.value[static_cast<size_t>(q.at)] = LeafValue(n.leaf, 0);
        }
        code->depth = std::max(code->depth, q.depth);
        code->min_depth = std::min(code->min_depth, q.depth);
        continue;
      }
      const int32_t children = NewWalk(2);  // children: v > threshold, then v <= threshold
      p.walk[static_cast<size_t>(q.at)] = {K(n), NodeColumn(n), children};
      stack.push_back({n.right, children, q.depth + 1});
      stack.push_back({n.left, children + 1, q.depth + 1});
    }
  }

  // The top levels as a bit-sliced program: internal nodes of depth < D (D as large as keeps
  // them within kMaxTopNodes), in breadth-first order so a parent's mask is ready first.
  void Top(const EngineTree& t, const std::vector<int32_t>& walk_of, TreeCode* code) {
    const size_t n = t.nodes.size();
    std::vector<int32_t> depth(n, 0);
    std::vector<uint32_t> per_depth;
    std::vector<int32_t> order{0};
    for (size_t q = 0; q < order.size(); ++q) {
      const EngineNode& e = t.nodes[static_cast<size_t>(order[q])];
      if (e.feature < 0) continue;
      const auto d = static_cast<size_t>(depth[static_cast<size_t>(order[q])]);
      if (per_depth.size() <= d) per_depth.resize(d + 1, 0);
      per_depth[d]++;
      depth[static_cast<size_t>(e.left)] = depth[static_cast<size_t>(e.right)] =
          static_cast<int32_t>(d) + 1;
      order.push_back(e.left);
      order.push_back(e.right);
    }
    int32_t top_depth = 0;
    uint32_t used = 0;
    while (static_cast<size_t>(top_depth) < per_depth.size() &&
           used + per_depth[static_cast<size_t>(top_depth)] <= kMaxTopNodes) {
      used += per_depth[static_cast<size_t>(top_depth++)];
    }
    code->top_first = static_cast<uint32_t>(p.top.size());
    code->exit_first = static_cast<uint32_t>(p.exit_slot.size());
    code->top_count = 0;
    code->below = 0;
    code->below_min = INT32_MAX;
    std::vector<int32_t> slot(n, -1);
    slot[0] = 0;
    int next = 1;
    std::vector<int32_t> exits;
    std::vector<int32_t> queue{0};
    for (size_t q = 0; q < queue.size(); ++q) {
      const auto i = static_cast<size_t>(queue[q]);
      const EngineNode& e = t.nodes[i];
      if (e.feature < 0 || depth[i] >= top_depth) {
        exits.push_back(queue[q]);
        continue;
      }
      slot[static_cast<size_t>(e.right)] = next;
      slot[static_cast<size_t>(e.left)] = next + 1;
      const uint32_t k = K(e);
      const uint32_t k4 = p.wide_ranks ? (k | (k << 16)) : k * 0x01010101u;
      p.top.push_back({k4, NodeColumn(e), static_cast<uint8_t>(slot[i]),
                       static_cast<uint8_t>(next)});
      next += 2;
      code->top_count++;
      queue.push_back(e.right);
      queue.push_back(e.left);
    }
    code->exit_count = static_cast<uint32_t>(exits.size());
    RowTables(t, queue, depth, top_depth, walk_of);
    bool all_leaves = true;
    for (const int32_t i : exits) {
      p.exit_slot.push_back(static_cast<uint8_t>(slot[static_cast<size_t>(i)]));
      p.exit_node.push_back(walk_of[static_cast<size_t>(i)]);
      // The longest and shortest paths below the exit.
      int32_t lo = INT32_MAX, hi = 0;
      std::vector<std::pair<int32_t, int32_t>> stack{{i, 0}};
      while (!stack.empty()) {
        const auto [j, d] = stack.back();
        stack.pop_back();
        const EngineNode& e = t.nodes[static_cast<size_t>(j)];
        if (e.feature < 0) {
          lo = std::min(lo, d);
          hi = std::max(hi, d);
          continue;
        }
        stack.push_back({e.left, d + 1});
        stack.push_back({e.right, d + 1});
      }
      code->below = std::max(code->below, hi);
      code->below_min = std::min(code->below_min, lo);
      all_leaves &= t.nodes[static_cast<size_t>(i)].feature < 0;
    }
    code->table = -1;
    if (!all_leaves || p.width != 1) return;
    if (p.float_sum && code->exit_count <= 64) {
      code->table = static_cast<int32_t>(p.table_f.size());
      p.table_f.resize(p.table_f.size() + 64, 0.0f);
      for (uint32_t e = 0; e < code->exit_count; ++e) {
        p.table_f[static_cast<size_t>(code->table) + e] =
            p.value_f[static_cast<size_t>(p.exit_node[code->exit_first + e])];
      }
    } else if (!p.float_sum && code->exit_count <= 32) {
      code->table = static_cast<int32_t>(p.table.size());
      p.table.resize(p.table.size() + 32, 0.0);
      for (uint32_t e = 0; e < code->exit_count; ++e) {
        p.table[static_cast<size_t>(code->table) + e] =
            p.value[static_cast<size_t>(p.exit_node[code->exit_first + e])];
      }
    }
  }

  // The single-row form of the top (engine_program.h): `queue` holds the top's internal nodes in
  // their order, then its exits.
  void RowTables(const EngineTree& t, const std::vector<int32_t>& queue, const std::vector<int32_t>& depth,
                 int32_t top_depth, const std::vector<int32_t>& walk_of) {
    if (!p.row_tables) return;
    const size_t e = p.wide_ranks ? 2 : 1;
    const size_t at = p.row_mode.size();
    p.row_cols.resize((at + 1) * 64 * e, 0);
    p.row_k.resize((at + 1) * 64 * e, 0);
    p.row_exit.resize((at + 1) * 64, walk_of[0]);
    // The row's top: the block top when it is a complete-able tree (depth <= 6) or small enough
    // for 32-bit masks; else its first 6 levels, walked as a complete tree, the rest below.
    uint32_t splits = 0;
    for (const int32_t i : queue) splits += t.nodes[static_cast<size_t>(i)].feature >= 0 &&
                                            depth[static_cast<size_t>(i)] < top_depth;
    const bool narrow = top_depth > kRowDepth && splits <= 31;
    const int32_t row_depth = narrow ? top_depth : std::min(top_depth, kRowDepth);
    auto in_top = [&](int32_t i) {
      const EngineNode& n = t.nodes[static_cast<size_t>(i)];
      return n.feature >= 0 && depth[static_cast<size_t>(i)] < row_depth;
    };
    // The longest and shortest paths below the row top's exits (for the walk that follows).
    int32_t below = 0, below_min = INT32_MAX;
    auto note_exit = [&](int32_t i) {
      std::vector<std::pair<int32_t, int32_t>> stack{{i, 0}};
      while (!stack.empty()) {
        const auto [j, d] = stack.back();
        stack.pop_back();
        const EngineNode& n = t.nodes[static_cast<size_t>(j)];
        if (n.feature < 0) {
          below = std::max(below, d);
          below_min = std::min(below_min, d);
          continue;
        }
        stack.push_back({n.left, d + 1});
        stack.push_back({n.right, d + 1});
      }
    };
    auto put = [&](uint32_t j, uint16_t col, uint16_t k) {
      if (p.wide_ranks) {
        reinterpret_cast<uint16_t*>(&p.row_cols[at * 128])[j] = col;
        reinterpret_cast<uint16_t*>(&p.row_k[at * 128])[j] = k;
      } else {
        p.row_cols[at * 64 + j] = static_cast<uint8_t>(col);
        p.row_k[at * 64 + j] = static_cast<uint8_t>(k);
      }
    };
    if (!narrow) {
      // A complete tree of depth 6: node j's children are 2j+1 (v <= threshold) and 2j+2; the
      // top's splits keep their places, every other node always answers "left" (rank <= top), so
      // an exit shallower than 6 is reached through its leftmost leaf.
      for (uint32_t j = 0; j < 63; ++j) put(j, 0, p.top_rank);
      std::vector<std::pair<int32_t, uint32_t>> stack{{0, 0}};
      while (!stack.empty()) {
        const auto [i, j] = stack.back();
        stack.pop_back();
        if (!in_top(i)) {
          uint32_t leaf = j;
          while (leaf < 63) leaf = 2 * leaf + 1;
          p.row_exit[at * 64 + (leaf - 63)] = walk_of[static_cast<size_t>(i)];
          note_exit(i);
          continue;
        }
        const EngineNode& n = t.nodes[static_cast<size_t>(i)];
        put(j, static_cast<uint16_t>(Column(n)), K(n));
        stack.push_back({n.left, 2 * j + 1});
        stack.push_back({n.right, 2 * j + 2});
      }
      p.row_mode.push_back(kRowComplete);
      p.row_mask_at.push_back(0);
      p.row_below.push_back({below, below_min});
      return;
    }
    // Exits numbered left to right; each top split's left subtree covers a range of them.
    std::vector<int32_t> order_of(t.nodes.size(), -1), first(t.nodes.size(), 0), last(t.nodes.size(), 0);
    int32_t next_exit = 0;
    struct Frame { int32_t i; bool expanded; };
    std::vector<Frame> stack{{0, false}};
    while (!stack.empty()) {
      const Frame f = stack.back();
      stack.pop_back();
      if (!in_top(f.i)) {
        order_of[static_cast<size_t>(f.i)] = next_exit;
        first[static_cast<size_t>(f.i)] = next_exit;
        last[static_cast<size_t>(f.i)] = ++next_exit;
        continue;
      }
      const EngineNode& n = t.nodes[static_cast<size_t>(f.i)];
      if (f.expanded) {
        first[static_cast<size_t>(f.i)] = first[static_cast<size_t>(n.left)];
        last[static_cast<size_t>(f.i)] = last[static_cast<size_t>(n.right)];
        continue;
      }
      stack.push_back({f.i, true});
      stack.push_back({n.right, false});
      stack.push_back({n.left, false});
    }
    std::vector<uint64_t> masks(64, ~uint64_t{0});
    uint32_t j = 0;
    for (const int32_t i : queue) {
      if (!in_top(i)) {
        p.row_exit[at * 64 + static_cast<size_t>(order_of[static_cast<size_t>(i)])] =
            walk_of[static_cast<size_t>(i)];
        note_exit(i);
        continue;
      }
      const EngineNode& n = t.nodes[static_cast<size_t>(i)];
      put(j, static_cast<uint16_t>(Column(n)), K(n));
      for (int32_t x = first[static_cast<size_t>(n.left)]; x < last[static_cast<size_t>(n.left)]; ++x) {
        masks[j] &= ~(uint64_t{1} << x);
      }
      ++j;
    }
    p.row_mode.push_back(kRowNarrow);  // at most 31 splits, so at most 32 exits
    p.row_mask_at.push_back(static_cast<uint32_t>(p.row_mask32.size()));
    for (uint32_t k = 0; k < 32; ++k) p.row_mask32.push_back(static_cast<uint32_t>(masks[k]));
    p.row_below.push_back({below, below_min});
  }

  void Build() {
    Quantiser();
    p.scaled_cols = p.num_columns * kBlock <= 65535;
    // One permute of two registers reaches 128 byte columns or 64 word columns.
    p.row_tables = p.num_columns <= (p.wide_ranks ? 64u : 128u);
    if (p.width > 1) {
      const size_t rows = m.leaf_values.size() / static_cast<size_t>(m.outputs);
      p.leaf_table.resize(rows * p.width);
      for (size_t r = 0; r < rows; ++r) {
        for (size_t c = 0; c < p.width; ++c) p.leaf_table[r * p.width + c] = LeafValue(static_cast<int32_t>(r), c);
      }
    }
    std::vector<int32_t> walk_of;
    for (size_t ti = 0; ti < m.trees.size(); ++ti) {
      const EngineTree& t = m.trees[ti];
      cur_nodes = t.nodes.data();
      cur_first = tree_first[ti];
      TreeCode code{};
      Walk(t, &code, &walk_of);
      Top(t, walk_of, &code);
      p.trees.push_back(code);
    }
    for (size_t t0 = 0; t0 < p.trees.size(); t0 += kLanes) {
      const size_t t1 = std::min(p.trees.size(), t0 + kLanes);
      RowGroup g{0, INT32_MAX, kRowComplete, 0, 0};
      for (size_t k = 0; k < kLanes; ++k) {
        const size_t t = std::min(t0 + k, t1 - 1);  // spare lanes repeat the last tree
        if (!p.row_tables) continue;
        g.below = std::max(g.below, p.row_below[t].first);
        g.below_min = std::min(g.below_min, p.row_below[t].second);
        if (p.row_mode[t] == kRowComplete) {
          g.complete = static_cast<uint16_t>(g.complete | (1u << k));
        } else {
          g.masks = std::max<uint8_t>(g.masks, p.row_mode[t]);  // wide wins over narrow
        }
      }
      if (g.masks == kRowNarrow) {
        g.mask_at = static_cast<uint32_t>(p.row_gmask32.size());
        p.row_gmask32.resize(p.row_gmask32.size() + 32 * kLanes, ~uint32_t{0});
        for (size_t k = 0; k < kLanes; ++k) {
          const size_t t = std::min(t0 + k, t1 - 1);
          if (p.row_mode[t] != kRowNarrow) continue;
          for (size_t j = 0; j < 32; ++j) {
            p.row_gmask32[g.mask_at + j * kLanes + k] = p.row_mask32[p.row_mask_at[t] + j];
          }
        }
      } else if (g.masks == kRowWide) {
        g.mask_at = static_cast<uint32_t>(p.row_gmask.size());
        p.row_gmask.resize(p.row_gmask.size() + 64 * kLanes, ~uint64_t{0});
        for (size_t k = 0; k < kLanes; ++k) {
          const size_t t = std::min(t0 + k, t1 - 1);
          for (size_t j = 0; j < 64; ++j) {
            uint64_t mk = ~uint64_t{0};
            if (p.row_mode[t] == kRowNarrow) {
              // A narrow tree's 32-bit mask, widened: its exits stop at 32.
              mk = j < 32 ? (p.row_mask32[p.row_mask_at[t] + j] | ~uint64_t{0xFFFFFFFFu}) : mk;
            } else if (p.row_mode[t] == kRowWide) {
              mk = p.row_mask[p.row_mask_at[t] + j];
            }
            p.row_gmask[g.mask_at + j * kLanes + k] = mk;
          }
        }
      }
      p.row_groups.push_back(g);
    }
  }
};

}  // namespace

void CompilePart(std::shared_ptr<const EngineModel> model, std::vector<int> columns,
                 PartProgram* out) {
  PartProgram& p = *out;
  p.model = std::move(model);
  const EngineModel& m = *p.model;
  if (columns.empty()) {
    for (int c = 0; c < m.outputs; ++c) columns.push_back(c);
  }
  for (const int c : columns) {
    if (c < 0 || c >= m.outputs) {
      throw Error(ErrorCode::kInvalidArgument, "output column " + std::to_string(c) +
                                                   " out of range for " + m.library + " model");
    }
  }
  p.columns = std::move(columns);
  p.width = p.columns.size();
  p.float_sum = m.float_sum && p.width == 1;
  p.base_f = static_cast<float>(m.base);
  Builder(m, p).Build();
}

}  // namespace ensemble::core::engine
