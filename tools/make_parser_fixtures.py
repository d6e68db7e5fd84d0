#!/usr/bin/env python3
"""Regenerates test/fixtures/parsers/: small real LightGBM / XGBoost models and what the libraries
themselves say about them, for the C++ parser tests (test/native/test_*_parser.cc).

Every model file <name>.txt / .json / .ubj comes with <file>.expected.json, written by the library
that trained the model after loading the saved file back:
  library, version, num_trees, num_features, num_outputs, (objective, booster, best_iteration),
  rows       input rows (null = missing; some values equal to split thresholds)
  pred_leaf  leaf reached in each tree for each row (LightGBM leaf index / XGBoost node id)
  raw        per row, the sum of tree outputs (LightGBM raw_score; XGBoost output_margin with a
             zero base_margin, so no base_score)

Usage (from the repository root):
  .venv/bin/python tools/make_parser_fixtures.py [--out DIR] [--old-python PATH] [--skip-old]

The files from older library versions (XGBoost 1.7.6 JSON/UBJ, LightGBM 3.3.5 text) need a Python
with those versions: --old-python PATH, or a scratch venv that this script creates in
/tmp/parser-fixtures-oldlibs. Everything is seeded and single-threaded: reruns give the same bytes.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

OLD_VENV = '/tmp/parser-fixtures-oldlibs'
OLD_REQUIREMENTS = ['xgboost==1.7.6', 'lightgbm==3.3.5', 'numpy<2', 'scipy<1.14']
N_ROWS = 24


# ----------------------------------------------------------------------------- data

def make_data(seed, n_rows, n_features, nan_rate=0.0, categorical=(), n_categories=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_rows, n_features))
    for c in categorical:
        x[:, c] = rng.integers(0, n_categories, size=n_rows)
    if nan_rate:
        mask = rng.random(x.shape) < nan_rate
        for c in categorical:
            mask[:, c] = False
        x[mask] = np.nan
    return x


def binary_label(x, seed, categorical=()):
    rng = np.random.default_rng(seed)
    score = np.nan_to_num(x[:, 0]) + 0.7 * np.nan_to_num(x[:, 1]) - 0.4 * np.isnan(x[:, 0])
    for c in categorical:
        score += np.where(np.isin(x[:, c], [1, 3, 4]), 1.5, -1.0)
    return (score + 0.3 * rng.normal(size=len(x)) > 0).astype(int)


def probe_rows(seed, n_features, thresholds, categorical=(), n_categories=6, float32=False):
    """Rows to score: random values, NaNs, unseen categories, and exact split thresholds."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_ROWS, n_features))
    for c in categorical:
        x[:, c] = rng.integers(0, n_categories + 2, size=N_ROWS)
    x[rng.random(x.shape) < 0.12] = np.nan
    for i, (feature, value) in enumerate(thresholds[:N_ROWS // 3]):
        if feature not in categorical:
            x[i, feature] = value
    if float32:
        x = x.astype(np.float32).astype(np.float64)
    return x


def nan_to_json(values):
    return [[None if isinstance(v, float) and np.isnan(v) else v for v in row] for row in values]


def write_expected(model_path, info):
    with open(model_path + '.expected.json', 'w') as f:
        json.dump(info, f, separators=(',', ':'), allow_nan=True)
        f.write('\n')


# ----------------------------------------------------------------------------- LightGBM

def lgb_thresholds(path):
    """(feature, threshold) pairs of the first trees, read from the saved text."""
    text = open(path).read()
    pairs = []
    for feats, thr in re.findall(r'split_feature=(.*)\n.*\nthreshold=(.*)\n', text):
        if feats.strip():
            pairs += list(zip(map(int, feats.split()), map(float, thr.split())))
    return pairs


def lgb_expected(path, x_seed, categorical=()):
    import lightgbm as lgb
    booster = lgb.Booster(model_file=path)
    rows = probe_rows(x_seed, booster.num_feature(), lgb_thresholds(path), categorical)
    leaf = booster.predict(rows, pred_leaf=True, num_iteration=-1)
    raw = booster.predict(rows, raw_score=True, num_iteration=-1)
    raw = np.asarray(raw).reshape(len(rows), -1)
    text = open(path).read()
    write_expected(path, {
        'library': 'lightgbm', 'version': lgb.__version__,
        'num_trees': booster.num_trees(), 'num_features': booster.num_feature(),
        'num_outputs': raw.shape[1],
        'objective': (re.search(r'^objective=(.*)$', text, re.M) or [None, ''])[1],
        'rows': nan_to_json(rows.tolist()),
        'pred_leaf': np.asarray(leaf).reshape(len(rows), -1).astype(int).tolist(),
        'raw': raw.tolist(),
    })


def lgb_save(booster, out, name, categorical=(), num_iteration=-1, x_seed=7):
    path = os.path.join(out, name + '.txt')
    booster.save_model(path, num_iteration=num_iteration)
    lgb_expected(path, x_seed, categorical)


def make_lightgbm(out, old):
    import lightgbm as lgb
    prefix = 'lgb_v3_' if old else 'lgb_'
    base = {'verbose': -1, 'num_threads': 1, 'deterministic': True, 'seed': 1,
            'num_leaves': 6, 'min_data_in_leaf': 5, 'learning_rate': 0.3}
    x = make_data(1, 400, 7, nan_rate=0.1)
    y = binary_label(x, 2)

    def train(params, data, rounds, **kw):
        return lgb.train({**base, **params}, data, rounds, **kw)

    lgb_save(train({'objective': 'binary'}, lgb.Dataset(x, y), 8), out, prefix + 'binary')
    y3 = np.digitize(np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 2]), [-0.5, 0.5])
    lgb_save(train({'objective': 'multiclass', 'num_class': 3}, lgb.Dataset(x, y3), 3),
             out, prefix + 'multiclass')
    xl = make_data(3, 400, 4)
    ylin = 2.0 * xl[:, 0] - xl[:, 1] + 0.1 * np.random.default_rng(4).normal(size=400)
    lgb_save(train({'objective': 'regression', 'linear_tree': True}, lgb.Dataset(xl, ylin), 4),
             out, prefix + 'linear')
    xc = make_data(5, 500, 5, categorical=[2])
    yc = binary_label(xc, 6, categorical=[2])
    cat_params = {'objective': 'binary', 'max_cat_to_onehot': 2, 'min_data_per_group': 5,
                  'cat_smooth': 1.0}
    lgb_save(train(cat_params, lgb.Dataset(xc, yc, categorical_feature=[2]), 4),
             out, prefix + 'categorical', categorical=[2])
    if old:
        return

    yr = np.nan_to_num(x[:, 0]) * 3 + np.nan_to_num(x[:, 1]) ** 2
    for objective in ['regression', 'regression_l1', 'huber', 'quantile']:
        lgb_save(train({'objective': objective}, lgb.Dataset(x, yr), 4), out, 'lgb_' + objective)
    lgb_save(train({'objective': 'poisson'}, lgb.Dataset(x, np.exp(yr / 6).round()), 4),
             out, 'lgb_poisson')
    lgb_save(train({'objective': 'multiclassova', 'num_class': 3}, lgb.Dataset(x, y3), 3),
             out, 'lgb_multiclassova')
    rank = lgb.Dataset(x, (y + (np.nan_to_num(x[:, 1]) > 1)).astype(int), group=[20] * 20)
    lgb_save(train({'objective': 'lambdarank'}, rank, 4), out, 'lgb_lambdarank')
    lgb_save(train({'objective': 'cross_entropy'}, lgb.Dataset(x, y * 0.8 + 0.1), 4),
             out, 'lgb_cross_entropy')

    def logloss(preds, data):
        p = 1.0 / (1.0 + np.exp(-preds))
        return p - data.get_label(), p * (1.0 - p)

    lgb_save(train({'objective': logloss}, lgb.Dataset(x, y), 4), out, 'lgb_custom')
    lgb_save(train({'objective': 'binary', 'boosting': 'dart', 'drop_rate': 0.5}, lgb.Dataset(x, y),
                   6), out, 'lgb_dart')
    lgb_save(train({'objective': 'binary', 'boosting': 'rf', 'bagging_freq': 1,
                    'bagging_fraction': 0.7, 'feature_fraction': 0.8}, lgb.Dataset(x, y), 4),
             out, 'lgb_rf')
    # Early stopping against a noisy validation set: the full model keeps the trees after
    # best_iteration.
    xv = make_data(8, 200, 7, nan_rate=0.1)
    yv = np.random.default_rng(9).integers(0, 2, size=200)
    booster = train({'objective': 'binary', 'learning_rate': 0.8, 'min_data_in_leaf': 2},
                    lgb.Dataset(x, y), 40, valid_sets=[lgb.Dataset(xv, yv)],
                    callbacks=[lgb.early_stopping(3, verbose=False)], keep_training_booster=True)
    assert booster.best_iteration < booster.current_iteration(), 'early stopping did not stop'
    lgb_save(booster, out, 'lgb_early_stopped_full', num_iteration=-1)
    lgb_save(booster, out, 'lgb_early_stopped_best', num_iteration=booster.best_iteration)
    # min_data_in_leaf above the row count: every tree is a single leaf.
    lgb_save(train({'objective': 'regression', 'min_data_in_leaf': 1000}, lgb.Dataset(x, yr), 3),
             out, 'lgb_single_leaf')


# ----------------------------------------------------------------------------- XGBoost

def xgb_thresholds(path):
    if not path.endswith('.json'):
        return []
    model = json.load(open(path))
    gb = model['learner']['gradient_booster']
    trees = (gb['model'] if 'model' in gb else gb['gbtree']['model'])['trees']
    pairs = []
    for tree in trees[:3]:
        for i, left in enumerate(tree['left_children']):
            if left != -1:
                pairs.append((tree['split_indices'][i], tree['split_conditions'][i]))
    return pairs


def xgb_expected(path, n_features, x_seed, categorical=(), thresholds=()):
    import xgboost as xgb
    booster = xgb.Booster()
    booster.load_model(path)
    rows = probe_rows(x_seed, n_features, list(thresholds) or xgb_thresholds(path), categorical,
                      float32=True)
    types = ['c' if i in categorical else 'q' for i in range(n_features)]
    kw = {'feature_types': types, 'enable_categorical': True} if categorical else {}
    margin_any = booster.predict(xgb.DMatrix(rows, **kw), output_margin=True)
    width = 1 if np.ndim(margin_any) == 1 else np.shape(margin_any)[1]
    # A fresh DMatrix: XGBoost caches predictions per DMatrix, and a zero base_margin replaces
    # base_score, leaving the plain sum of the trees.
    dm = xgb.DMatrix(rows, **kw)
    try:
        dm.set_base_margin(np.zeros((len(rows), width)) if width > 1 else np.zeros(len(rows)))
    except (ValueError, xgb.core.XGBoostError):  # 1.7 wants the margins flattened
        dm.set_base_margin(np.zeros(len(rows) * width))
    raw = np.asarray(booster.predict(dm, output_margin=True)).reshape(len(rows), -1)
    try:
        leaf = np.asarray(booster.predict(dm, pred_leaf=True)).reshape(len(rows), -1)
        leaf = leaf.astype(int).tolist()
    except xgb.core.XGBoostError:
        leaf = None  # not implemented for some models (vector leaf in older releases)
    config = json.loads(booster.save_config())
    attrs = booster.attributes()
    write_expected(path, {
        'library': 'xgboost', 'version': xgb.__version__,
        'num_trees': len(booster.get_dump()), 'num_features': booster.num_features(),
        'num_outputs': raw.shape[1],
        'objective': config['learner']['objective']['name'],
        'booster': config['learner']['gradient_booster']['name'],
        'best_iteration': int(attrs['best_iteration']) if 'best_iteration' in attrs else -1,
        'rows': nan_to_json(rows.tolist()),
        'pred_leaf': leaf,
        'raw': raw.tolist(),
    })


def xgb_save(booster, out, name, n_features, exts=('json',), categorical=(), x_seed=11):
    paths = []
    for ext in exts:
        path = os.path.join(out, f'{name}.{ext}')
        booster.save_model(path)
        paths.append(path)
    thresholds = xgb_thresholds(paths[0]) if paths[0].endswith('.json') else ()
    for path in paths:
        xgb_expected(path, n_features, x_seed, categorical, thresholds)


def make_xgboost(out, old):
    import xgboost as xgb
    prefix = 'xgb17_' if old else 'xgb_'
    base = {'nthread': 1, 'seed': 1, 'max_depth': 3, 'eta': 0.3, 'tree_method': 'hist'}
    x = make_data(21, 400, 7, nan_rate=0.1)
    y = binary_label(x, 22)
    y3 = np.digitize(np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 2]), [-0.5, 0.5])

    def train(params, data, rounds, **kw):
        return xgb.train({**base, **params}, data, rounds, **kw)

    xgb_save(train({'objective': 'binary:logistic'}, xgb.DMatrix(x, y), 6), out,
             prefix + 'binary', 7, exts=('json', 'ubj'))
    xgb_save(train({'objective': 'multi:softprob', 'num_class': 3}, xgb.DMatrix(x, y3), 3), out,
             prefix + 'multi_softprob', 7)
    xgb_save(train({'objective': 'binary:logistic', 'booster': 'dart', 'rate_drop': 0.3},
                   xgb.DMatrix(x, y), 4), out, prefix + 'dart', 7)
    xgb_save(train({'objective': 'binary:logistic', 'tree_method': 'exact', 'max_depth': 4,
                    'gamma': 4.0}, xgb.DMatrix(x, y), 3), out, prefix + 'pruned', 7)
    xc = make_data(23, 500, 5, categorical=[2])
    yc = binary_label(xc, 24, categorical=[2])
    dc = xgb.DMatrix(xc, yc, feature_types=['q', 'q', 'c', 'q', 'q'], enable_categorical=True)
    xgb_save(train({'objective': 'binary:logistic', 'max_cat_to_onehot': 1}, dc, 4), out,
             prefix + 'categorical', 5, exts=('json', 'ubj'), categorical=[2])
    if old:
        return

    xgb_save(train({'objective': 'multi:softmax', 'num_class': 3}, xgb.DMatrix(x, y3), 3), out,
             'xgb_multi_softmax', 7, exts=('ubj',))
    yr = np.nan_to_num(x[:, 0]) * 3 + np.nan_to_num(x[:, 1]) ** 2
    xgb_save(train({'objective': 'reg:squarederror'}, xgb.DMatrix(x, yr), 4), out,
             'xgb_regression', 7)
    xgb_save(train({'objective': 'binary:logistic', 'num_parallel_tree': 3, 'subsample': 0.7,
                    'colsample_bynode': 0.7}, xgb.DMatrix(x, y), 2), out, 'xgb_rf', 7)
    xv = make_data(25, 200, 7, nan_rate=0.1)
    yv = np.random.default_rng(26).integers(0, 2, size=200)
    early = train({'objective': 'binary:logistic', 'eta': 0.9},
                  xgb.DMatrix(x, y), 40, evals=[(xgb.DMatrix(xv, yv), 'v')],
                  early_stopping_rounds=3, verbose_eval=False)
    assert early.best_iteration + 1 < early.num_boosted_rounds(), 'early stopping did not stop'
    xgb_save(early, out, 'xgb_early_stopped', 7)
    xgb_save(train({'objective': 'reg:squarederror', 'min_child_weight': 1e6}, xgb.DMatrix(x, yr),
                   2), out, 'xgb_stump', 7)
    ym = np.stack([yr, np.nan_to_num(x[:, 2]) - yr / 2], axis=1)
    xgb_save(train({'objective': 'reg:squarederror', 'multi_strategy': 'multi_output_tree'},
                   xgb.DMatrix(x, ym), 3), out, 'xgb_multi_target', 7, exts=('json', 'ubj'))
    linear = train({'objective': 'binary:logistic', 'booster': 'gblinear'}, xgb.DMatrix(x, y), 2)
    linear.save_model(os.path.join(out, 'xgb_gblinear.json'))


# ----------------------------------------------------------------------------- driver

def old_python(args):
    if args.old_python:
        return args.old_python
    python = os.path.join(OLD_VENV, 'bin', 'python')
    if not os.path.exists(python):
        subprocess.run([sys.executable, '-m', 'venv', OLD_VENV], check=True)
        subprocess.run([python, '-m', 'pip', 'install', '--quiet'] + OLD_REQUIREMENTS, check=True)
    return python


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument('--out', default=os.path.join(root, 'test', 'fixtures', 'parsers'))
    parser.add_argument('--old-python', help='a Python with xgboost 1.7.6 and lightgbm 3.3.5')
    parser.add_argument('--skip-old', action='store_true', help='only the current libraries')
    parser.add_argument('--worker', choices=['old'], help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.worker == 'old':
        make_lightgbm(args.out, old=True)
        make_xgboost(args.out, old=True)
        return
    make_lightgbm(args.out, old=False)
    make_xgboost(args.out, old=False)
    if not args.skip_old:
        subprocess.run([old_python(args), os.path.abspath(__file__), '--worker', 'old',
                        '--out', args.out], check=True)
    sizes = sorted((os.path.getsize(os.path.join(args.out, f)), f) for f in os.listdir(args.out))
    print(f'{len(sizes)} files, {sum(s for s, _ in sizes) / 1024:.0f} KiB in {args.out}; '
          f'largest {sizes[-1][1]} ({sizes[-1][0] / 1024:.1f} KiB)')


if __name__ == '__main__':
    main()
