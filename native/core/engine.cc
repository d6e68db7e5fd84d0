// TreeEngine: compiles the parts, then scores blocks of 64 rows — every part ranked, every tree of
// every part added to the rows' sums in tree order — on the kernels this CPU runs best.
#include "ensemble/engine.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <type_traits>
#include <vector>

#include "engine_program.h"
#include "ensemble/error.h"
#include "ensemble/thread_pool.h"

namespace ensemble::core {

namespace engine {
void CompilePart(std::shared_ptr<const EngineModel> model, std::vector<int> columns,
                 PartProgram* out);
}  // namespace engine

namespace {

using engine::BlockSums;
using engine::kBlock;
using engine::PartProgram;

// At most this many rows after the last full block are scored one by one (SumsRow): below it a
// row costs less alone than its share of a block (measured crossover ~15-35 rows, by model).
constexpr size_t kRowPathRows = 16;

// The kernels chosen by ForceEngineKernel (null: the best this CPU runs).
std::atomic<const engine::Kernels*> g_forced{nullptr};

const engine::Kernels* Best() {
  static const engine::Kernels* best = engine::Avx512Kernels()   ? engine::Avx512Kernels()
                                       : engine::Avx2Kernels() ? engine::Avx2Kernels()
                                                               : engine::PortableKernels();
  return best;
}

const engine::Kernels& Current() {
  const engine::Kernels* forced = g_forced.load(std::memory_order_relaxed);
  return forced != nullptr ? *forced : *Best();
}

// One thread's scratch: a block's ranks of every part and every part's sums.
struct Scratch {
  std::vector<uint8_t> ranks;
  std::vector<double> sums_d;
  std::vector<float> sums_f;
  std::vector<double> out;  // every part's sums of a span, as doubles, handed to the sink
};

Scratch& ThreadScratch(size_t rank_bytes, size_t sum_values, size_t float_values = kBlock,
                       size_t out_values = 0) {
  thread_local Scratch s;
  if (s.out.size() < out_values) s.out.resize(out_values);
  // 64 extra bytes so that ranks can be aligned to a cache line (and a gather of a 4-byte word
  // at the last rank stays inside).
  if (s.ranks.size() < rank_bytes + 64) s.ranks.resize(rank_bytes + 64);
  if (s.sums_d.size() < sum_values) s.sums_d.resize(sum_values);
  if (s.sums_f.size() < float_values) s.sums_f.resize(float_values);
  return s;
}

uint8_t* Aligned(std::vector<uint8_t>& v) {
  const auto p = reinterpret_cast<uintptr_t>(v.data());
  return v.data() + ((64 - (p & 63)) & 63);
}

template <typename T>
void ScoreRange(const TreeEngine::Program& prog, const T* x, size_t begin, size_t end,
                const TreeEngine::SpanSink& sink) {
  constexpr size_t kSpan = kBlock * engine::kBlocksPerSpan;
  size_t widest = 1, total = 0;
  for (const auto& p : prog.parts) {
    widest = std::max(widest, p->width);
    total += p->width;
  }
  Scratch& s = ThreadScratch(prog.rank_bytes * engine::kBlocksPerSpan, kSpan * widest, kSpan,
                             kSpan * total);
  uint8_t* ranks = Aligned(s.ranks);
  const engine::Kernels& kernels = Current();
  const size_t nf = prog.num_features;
  double* part_sums[8];
  std::vector<double*> many;
  double* const* sums_of = part_sums;
  if (prog.parts.size() > 8) {
    many.resize(prog.parts.size());
    sums_of = many.data();
  }
  for (size_t b = begin; b < end; b += kSpan) {
    const size_t n = std::min(kSpan, end - b);
    const size_t blocks = (n + kBlock - 1) / kBlock;
    for (size_t k = 0; k < blocks; ++k) {
      const T* rows = x + (b + k * kBlock) * nf;
      const size_t m = std::min(kBlock, n - k * kBlock);
      for (size_t i = 0; i < prog.parts.size(); ++i) {
        const PartProgram& p = *prog.parts[i];
        uint8_t* r = ranks + k * prog.rank_bytes + prog.rank_offset[i];
        if constexpr (std::is_same_v<T, float>) {
          kernels.rank_f(p, rows, nf, m, r);
        } else {
          kernels.rank_d(p, rows, nf, m, r);
        }
      }
    }
    size_t offset = 0;
    for (size_t i = 0; i < prog.parts.size(); ++i) {
      const PartProgram& p = *prog.parts[i];
      double* d = s.sums_d.data();
      if (p.float_sum) {
        std::fill(s.sums_f.begin(), s.sums_f.begin() + blocks * kBlock, p.base_f);
      } else {
        std::fill(d, d + blocks * kBlock * p.width, 0.0);
      }
      const engine::Blocks span{ranks + prog.rank_offset[i], prog.rank_bytes, blocks, d, s.sums_f.data()};
      kernels.sum_blocks(p, span);
      double* o = s.out.data() + offset;
      offset += kSpan * p.width;
      if (p.float_sum) {
        for (size_t r = 0; r < n; ++r) o[r] = static_cast<double>(s.sums_f[r]);
      } else {
        std::memcpy(o, d, n * p.width * sizeof(double));
      }
      (prog.parts.size() > 8 ? many[i] : part_sums[i]) = o;
    }
    sink(b, b + n, sums_of);
  }
}

}  // namespace

TreeEngine::TreeEngine() : program_(std::make_unique<Program>()) {}
TreeEngine::~TreeEngine() = default;

std::shared_ptr<const TreeEngine> TreeEngine::Compile(std::vector<Part> parts) {
  if (parts.empty()) throw Error(ErrorCode::kInvalidArgument, "the engine needs a model");
  std::shared_ptr<TreeEngine> e(new TreeEngine());
  Program& prog = *e->program_;
  prog.num_features = static_cast<size_t>(parts[0].model->num_features);
  size_t offset = 0;
  for (Part& part : parts) {
    if (!part.model || static_cast<size_t>(part.model->num_features) != prog.num_features) {
      throw Error(ErrorCode::kInvalidArgument, "the engine's models must share one feature count");
    }
    std::shared_ptr<const PartProgram> compiled;
    if (part.compiled && part.compiled->program_->parts.size() == 1) {
      const auto& other = part.compiled->program_->parts[0];
      std::vector<int> columns = part.columns;
      if (columns.empty()) {
        for (int c = 0; c < part.model->outputs; ++c) columns.push_back(c);
      }
      if (other->model == part.model && other->columns == columns) compiled = other;
    }
    if (!compiled) {
      auto p = std::make_shared<PartProgram>();
      engine::CompilePart(part.model, std::move(part.columns), p.get());
      compiled = std::move(p);
    }
    prog.rank_offset.push_back(offset);
    offset += compiled->rank_bytes();
    prog.parts.push_back(std::move(compiled));
  }
  prog.rank_bytes = offset;
  return e;
}

size_t TreeEngine::num_parts() const { return program_->parts.size(); }
size_t TreeEngine::num_features() const { return program_->num_features; }
size_t TreeEngine::width(size_t p) const { return program_->parts.at(p)->width; }
const EngineModel& TreeEngine::model(size_t p) const { return *program_->parts.at(p)->model; }
const char* TreeEngine::kernel() const { return Current().name; }

size_t TreeEngine::memory_bytes() const {
  size_t n = 0;
  for (const auto& part : program_->parts) {
    const PartProgram& p = *part;
    n += p.walk.size() * sizeof(engine::WalkNode) + p.value.size() * 8 + p.value_f.size() * 4 +
         p.leaf_row.size() * 4 + p.leaf_table.size() * 8 + p.top.size() * sizeof(engine::TopNode) +
         p.exit_slot.size() + p.exit_node.size() * 4 + p.table.size() * 8 + p.table_f.size() * 4 +
         p.trees.size() * sizeof(engine::TreeCode);
    for (const auto& f : p.features) n += f.padded.size() * 8 + f.padded_f.size() * 4;
  }
  return n;
}

void TreeEngine::Sums(const DenseMatrix& x, int threads, const SpanSink& sink) const {
  const Program& prog = *program_;
  if (x.cols != prog.num_features) {
    throw Error(ErrorCode::kFeatureMismatch, "expected " + std::to_string(prog.num_features) +
                                                 " features, got " + std::to_string(x.cols));
  }
  if (x.rows == 0) return;
  // The block kernels do a whole block's work however few of its 64 rows are real: a few rows
  // past the last full block (or a batch of a few rows) go through the single-row path instead.
  const size_t tail = x.rows % kBlock;
  const size_t one_by_one = tail <= kRowPathRows ? tail : 0;
  const size_t blocked = x.rows - one_by_one;
  // Blocks of 64 rows never straddle two threads' shares.
  ParallelFor(blocked, threads, kBlock, [&](size_t begin, size_t end) {
    if (x.dtype == DType::kFloat32) {
      ScoreRange(prog, static_cast<const float*>(x.data), begin, end, sink);
    } else {
      ScoreRange(prog, static_cast<const double*>(x.data), begin, end, sink);
    }
  });
  if (one_by_one == 0) return;
  const size_t np = prog.parts.size(), elem = x.dtype == DType::kFloat32 ? 4 : 8;
  std::vector<size_t> offset(np + 1, 0);
  for (size_t i = 0; i < np; ++i) offset[i + 1] = offset[i] + one_by_one * prog.parts[i]->width;
  std::vector<double> sums(offset[np]);
  std::vector<double*> at(np), first(np);
  for (size_t r = 0; r < one_by_one; ++r) {
    for (size_t i = 0; i < np; ++i) at[i] = sums.data() + offset[i] + r * prog.parts[i]->width;
    SumsRow(static_cast<const uint8_t*>(x.data) + (blocked + r) * x.cols * elem, x.dtype, at.data());
  }
  for (size_t i = 0; i < np; ++i) first[i] = sums.data() + offset[i];
  sink(blocked, x.rows, first.data());
}

void TreeEngine::SumsRow(const void* row, DType dtype, double* const* out) const {
  const Program& prog = *program_;
  size_t widest = 1;
  for (const auto& p : prog.parts) widest = std::max(widest, p->width);
  Scratch& s = ThreadScratch(prog.rank_bytes, kBlock * widest, kBlock * 4);
  uint8_t* ranks = Aligned(s.ranks);
  const size_t nf = prog.num_features;
  const engine::Kernels& kernels = Current();
  // Parts with row tables go through the kernels' single-row path together (AVX-512 VBMI), the
  // others one by one.
  const PartProgram* together[4];
  const uint8_t* together_ranks[4];
  BlockSums together_sums[4];
  size_t n = 0;
  for (size_t i = 0; i < prog.parts.size(); ++i) {
    const PartProgram& p = *prog.parts[i];
    uint8_t* r = ranks + prog.rank_offset[i];
    if (dtype == DType::kFloat32) {
      const auto* x = static_cast<const float*>(row);
      kernels.rank_f(p, x, nf, 1, r);
    } else {
      kernels.rank_d(p, static_cast<const double*>(row), nf, 1, r);
    }
    // A float sum lives in its own slot of sums_f until the end.
    BlockSums sums{out[i], s.sums_f.data() + i};
    if (p.float_sum) {
      sums.f[0] = p.base_f;
    } else {
      std::fill(out[i], out[i] + p.width, 0.0);
    }
    if (p.row_tables && n < 4 && kernels.sum_rows != nullptr) {
      together[n] = &p;
      together_ranks[n] = r;
      together_sums[n++] = sums;
    } else {
      engine::SumRow(p, r, sums);
    }
  }
  if (n > 0) kernels.sum_rows(together, together_ranks, together_sums, n);
  for (size_t i = 0; i < prog.parts.size(); ++i) {
    if (prog.parts[i]->float_sum) out[i][0] = static_cast<double>(s.sums_f[i]);
  }
}

uint64_t TreeEngine::NodesVisited(const double* row, size_t part) const {
  const Program& prog = *program_;
  const PartProgram& p = *prog.parts.at(part);
  Scratch& s = ThreadScratch(prog.rank_bytes, kBlock);
  uint8_t* ranks = Aligned(s.ranks) + prog.rank_offset[part];
  engine::RankBlock(p, row, prog.num_features, 1, ranks);
  uint64_t visited = 0;
  for (const engine::TreeCode& t : p.trees) {
    for (int32_t at = t.root;;) {
      const engine::WalkNode& n = p.walk[static_cast<size_t>(at)];
      if (n.base == at - 1) break;  // a leaf loops onto itself
      const size_t at_col = p.scaled_cols ? size_t{n.col} : size_t{n.col} * kBlock;
      const uint32_t rank = p.wide_ranks ? reinterpret_cast<const uint16_t*>(ranks)[at_col]
                                         : ranks[at_col];
      at = n.base + (rank <= n.k);
      ++visited;
    }
  }
  return visited;
}

bool ForceEngineKernel(const std::string& name) {
  const engine::Kernels* k = nullptr;
  if (name == "portable") {
    k = engine::PortableKernels();
  } else if (name == "avx2") {
    k = engine::Avx2Kernels();
  } else if (name == "avx512" || name == "avx512-gather") {
    k = engine::Avx512Kernels();
  } else if (!name.empty()) {
    return false;
  }
  if (!name.empty() && k == nullptr) return false;
  engine::SetGatherWalk(name == "avx512-gather");
  g_forced = k;
  return true;
}

}  // namespace ensemble::core
