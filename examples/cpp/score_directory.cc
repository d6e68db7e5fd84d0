// Example of the public C++ API: load a model directory, score a CSV of features, print
// "<first column>,p_up,label" per row. Usage: ensemble_example [model_dir] [features.csv]
// (defaults: models/production, data/sample_features.csv, relative to the current directory).
#include <production_ensemble.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream s(line);
  std::string cell;
  while (std::getline(s, cell, ',')) cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  for (auto& c : cells) {
    if (!c.empty() && c.back() == '\r') c.pop_back();
  }
  return cells;
}

// The rows of `path` as a row-major matrix in the model's feature order, found by the header's
// column names (other columns are ignored; the first column labels each output row). An empty
// cell is a missing value (NaN).
struct Table {
  std::vector<double> x;
  std::vector<std::string> ids;
  std::string id_name;
};

Table ReadFeatures(const std::string& path, const std::vector<std::string>& features) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path + ": empty file, expected a header");
  const std::vector<std::string> header = SplitCsvLine(line);
  std::vector<size_t> column(features.size());
  for (size_t f = 0; f < features.size(); ++f) {
    size_t c = 0;
    while (c < header.size() && header[c] != features[f]) ++c;
    if (c == header.size()) {
      throw std::runtime_error(path + ": the header has no column '" + features[f] + "'");
    }
    column[f] = c;
  }
  Table t;
  t.id_name = header.empty() ? "row" : header[0];
  for (size_t line_no = 2; std::getline(in, line); ++line_no) {
    if (line.empty() || line == "\r") continue;
    const std::vector<std::string> cells = SplitCsvLine(line);
    if (cells.size() != header.size()) {
      throw std::runtime_error(path + ":" + std::to_string(line_no) + ": " +
                               std::to_string(cells.size()) + " cells, the header has " +
                               std::to_string(header.size()));
    }
    t.ids.push_back(cells[0]);
    for (size_t f = 0; f < features.size(); ++f) {
      const std::string& cell = cells[column[f]];
      if (cell.empty()) {
        t.x.push_back(std::nan(""));
        continue;
      }
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end == cell.c_str() || *end != '\0') {
        throw std::runtime_error(path + ":" + std::to_string(line_no) + ": column '" +
                                 features[f] + "' is not a number: '" + cell + "'");
      }
      t.x.push_back(v);
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "models/production";
  const std::string csv = argc > 2 ? argv[2] : "data/sample_features.csv";
  try {
    production_ensemble::LoadOptions options;
#ifdef ENSEMBLE_LIBRARY_DIR
    // Where `npm run libs` put the libraries in this source tree; LIGHTGBM_LIB / XGBOOST_LIB win.
    options.library_dirs.push_back(ENSEMBLE_LIBRARY_DIR);
#endif
    const auto model = production_ensemble::Ensemble::Load(dir, options);
    const production_ensemble::Info info = model.info();
    std::cerr << "loaded " << info.metadata_path << ":";
    for (const auto& m : info.models) {
      std::cerr << " " << m.role << " (" << m.num_trees << " trees"
                << (m.library_version.empty() ? "" : ", library " + m.library_version) << ")";
    }
    std::cerr << ", threshold " << model.threshold() << "\n";

    const Table t = ReadFeatures(csv, model.feature_names());
    const size_t rows = t.ids.size();
    std::vector<double> p(rows);
    const auto start = std::chrono::steady_clock::now();
    model.PredictProba(t.x.data(), rows, p.data());
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();

    std::printf("%s,p_up,label\n", t.id_name.c_str());
    size_t up = 0;
    for (size_t i = 0; i < rows; ++i) {
      const int label = p[i] >= model.threshold() ? 1 : 0;
      up += label;
      std::printf("%s,%.17g,%d\n", t.ids[i].c_str(), p[i], label);
    }
    std::cerr << "scored " << rows << " rows in " << ms << " ms (" << up << " up)\n";
    return 0;
  } catch (const production_ensemble::Error& e) {
    std::cerr << "error [" << e.code() << "]: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
