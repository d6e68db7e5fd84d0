"""The drift reference a model directory records (docs/metadata.md#drift_reference, docs/drift.md):
for each feature and each model's score, the distribution of the data the models were built on,
as quantile bin edges, the count of values in each bin and the count of missing values. The
package's DriftMonitor compares the rows it scores with it (population stability index, KS).

Binning, the same in the package: a value v goes to bin #{edges e : e < v} (v <= edges[0] is bin
0, v > edges[-1] the last), NaN to the missing count.
"""

from __future__ import annotations

import numpy as np

BINS = 10
VERSION = 1


def histogram(values: np.ndarray, bins: int = BINS) -> dict:
    """Quantile edges of the non-missing values (duplicates dropped: a value held by many rows is
    one edge, not several empty bins), counts per bin, missing count."""
    v = np.asarray(values, dtype=np.float64)
    present = v[~np.isnan(v)]
    if present.size and not np.all(np.isfinite(present)):
        raise ValueError("reference values must be finite or NaN")
    edges: list[float] = []
    if present.size:
        qs = np.quantile(present, np.arange(1, bins) / bins, method="linear")
        for q in qs:
            q = float(q)
            # An edge at the maximum would leave the last bin empty: stop below it.
            if q < float(present.max()) and (not edges or q > edges[-1]):
                edges.append(q)
    e = np.asarray(edges, dtype=np.float64)
    idx = np.searchsorted(e, present, side="left")
    counts = np.bincount(idx, minlength=len(edges) + 1)
    return {"edges": edges, "counts": [int(c) for c in counts],
            "missing": int(v.size - present.size)}


def drift_reference(feature_names, features: np.ndarray, scores: dict, features_from: str,
                    scores_from: str) -> dict:
    """The metadata's drift_reference: features (rows x len(feature_names), NaN = missing) and
    scores ({"lightgbm": p, "xgboost": p, "random_forest": p, "ensemble": p})."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != len(feature_names) or x.shape[0] == 0:
        raise ValueError(f"reference features: expected rows x {len(feature_names)}, got {x.shape}")
    return {
        "version": VERSION,
        "binning": f"quantile, {BINS} bins at most",
        "features_from": features_from,
        "scores_from": scores_from,
        "features": {name: histogram(x[:, j]) for j, name in enumerate(feature_names)},
        "scores": {role: histogram(p) for role, p in scores.items()},
    }
