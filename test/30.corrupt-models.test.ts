// No model file can crash the process: each corrupt model is loaded in a child process (so a
// crash fails the test instead of killing the runner) and must give a clear ModelFormatError.
import { createHash } from 'node:crypto';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadInChild, productionDir, root, runChild } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'pe-corrupt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(name: string, data: string | Uint8Array): string {
  const p = join(work, name);
  writeFileSync(p, data);
  return p;
}

function expectFormatError(kind: 'LightGBMModel' | 'XGBoostModel' | 'RandomForestModel', path: string, pattern: RegExp) {
  const r = loadInChild(`pe.${kind}.load(${JSON.stringify(path)})`);
  expect(r.ok, `loading ${path} should fail`).toBe(false);
  expect(r.name).toBe('ModelFormatError');
  expect(r.code).toBe('ERR_MODEL_FORMAT');
  expect(r.message).toContain(path);
  expect(r.message).toMatch(pattern);
}

/**
 * Runs `expr` (a promise of a model) in a child; returns what it settled to, with the time it
 * took (ms) and how much the child's peak RSS grew (MB).
 */
function measure(expr: string) {
  const r = runChild(`
    import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
    const rss = process.resourceUsage().maxRSS;
    const t = performance.now();
    let out;
    try {
      const m = await (${expr});
      out = { ok: true, scorer: m.scorer, note: m.scorerNote, nFeatures: m.nFeatures };
    } catch (e) {
      out = { ok: false, code: e.code, message: e.message };
    }
    out.ms = performance.now() - t;
    out.mb = (process.resourceUsage().maxRSS - rss) / 1024;
    console.log(JSON.stringify(out));`);
  expect(r.signal, r.stderr).toBe(null);
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
}
describe('LightGBM text', () => {
  const text = readFileSync(join(productionDir, 'lightgbm.txt'), 'utf8');
  // tree_sizes= lets LightGBM split the file by byte counts; dropping it (as older files do)
  // makes each edit below reach the check it is aimed at rather than the size check.
  const base = text.replace(/^tree_sizes=.*\n/m, '');

  // Rewrites the first occurrence of `key=` in tree `tree`, element `index`, to `value`.
  function edit(src: string, tree: number, key: string, index: number, value: string): string {
    const start = src.indexOf(`Tree=${tree}\n`);
    const lineStart = src.indexOf(`\n${key}=`, start) + 1;
    const lineEnd = src.indexOf('\n', lineStart);
    const values = src.slice(lineStart + key.length + 1, lineEnd).split(' ');
    values[index] = value;
    return `${src.slice(0, lineStart)}${key}=${values.join(' ')}${src.slice(lineEnd)}`;
  }

  it('a model without tree_sizes still loads (control)', () => {
    expect(loadInChild(`pe.LightGBMModel.load(${JSON.stringify(write('lgb-ok.txt', base))})`)).toEqual({ ok: true });
  });

  it('truncated', () => {
    expectFormatError('LightGBMModel', write('lgb-truncated.txt', text.slice(0, Math.floor(text.length / 2))), /trunc|end of trees|incomplete/i);
  });

  it('a child index out of range', () => {
    expectFormatError('LightGBMModel', write('lgb-child.txt', edit(base, 3, 'left_child', 0, '999')), /tree 3.*left_child.*out of range/i);
  });

  it('a feature index out of range', () => {
    expectFormatError('LightGBMModel', write('lgb-feature.txt', edit(base, 5, 'split_feature', 0, '40')), /tree 5.*split_feature.*(out of range|40)/i);
  });

  it('a sigmoid that is not a finite number > 0 (NaN gave NaN probabilities)', () => {
    for (const v of ['nan', 'inf']) {
      const p = write(`lgb-sigmoid-${v}.txt`, base.replace('objective=binary sigmoid:1', `objective=binary sigmoid:${v}`));
      expectFormatError('LightGBMModel', p, new RegExp(`objective "binary sigmoid:${v}": sigmoid:${v} is not a finite number > 0`));
    }
  });

  it('a cycle', () => {
    // Node 1's left child points back at the root.
    expectFormatError('LightGBMModel', write('lgb-cycle.txt', edit(base, 2, 'left_child', 1, '0')), /tree 2.*(cycle|more than once|reach)/i);
  });
});

describe('XGBoost JSON', () => {
  const json = readFileSync(join(productionDir, 'xgboost.json'), 'utf8');
  type Tree = { left_children: number[]; right_children: number[]; split_indices: number[] };
  function mutate(fn: (trees: Tree[]) => void): string {
    const m = JSON.parse(json);
    fn(m.learner.gradient_booster.model.trees);
    return JSON.stringify(m);
  }
  const internal = (t: Tree) => t.left_children.findIndex((c, i) => i > 0 && c !== -1);

  it('invalid JSON', () => {
    expectFormatError('XGBoostModel', write('xgb-invalid.json', json.slice(0, json.length - 200)), /JSON|unexpected|end/i);
  });

  it('a base_score the logistic objective cannot take (was a misleading ERR_INTERNAL)', () => {
    const p = write('xgb-base-score.json', json.replace(/"base_score":"[^"]*"/, '"base_score":"[1.5E0]"'));
    expectFormatError('XGBoostModel', p, /learner\.learner_model_param\.base_score: "\[1\.5E0\]" is outside \[0, 1\]: objective binary:logistic/);
  });

  it('a child index out of range', () => {
    const p = write('xgb-child.json', mutate((t) => { (t[4] as Tree).left_children[0] = 1_000_000; }));
    expectFormatError('XGBoostModel', p, /tree 4.*out of range/i);
  });

  it('a feature index out of range', () => {
    const p = write('xgb-feature.json', mutate((t) => { (t[7] as Tree).split_indices[0] = 50; }));
    expectFormatError('XGBoostModel', p, /tree 7.*(feature|split_indices).*50/i);
  });

  it('a cycle', () => {
    const p = write('xgb-cycle.json', mutate((t) => {
      const tree = t[2] as Tree;
      const k = internal(tree);
      tree.left_children[k] = k; // a node that is its own child
    }));
    expectFormatError('XGBoostModel', p, /tree 2.*(cycle|more than once|reach|parent)/i);
  });
});

describe('XGBoost fields older writers leave out', () => {
  const json = readFileSync(join(productionDir, 'xgboost.json'), 'utf8');
  // XGBoost 1.0-1.2 wrote no split_type (every split numerical) and XGBoost 3.2 loads such
  // files; the engine's import indexed the missing array and the process died (issue 9, item 3).
  // Edited as text: XGBoost refuses a float written as an integer, as JSON.stringify writes 0.0.
  const withoutSplitType = json.replace(/"split_type":\[[^\]]*\],/, '');
  const rows = Array.from({ length: 12 * 64 }, (_, i) => ((i * 7919) % 1009) / 97 - 5);

  it('a tree without split_type loads and scores as the full file, alone and in the ensemble', () => {
    const p = write('xgb-no-split-type.json', withoutSplitType);
    const dir = join(work, 'no-split-type');
    cpSync(productionDir, dir, { recursive: true });
    writeFileSync(join(dir, 'xgboost.json'), withoutSplitType);
    const metaPath = join(dir, 'production_model_metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    meta.model_files.xgboost.sha256 = createHash('sha256').update(withoutSplitType).digest('hex');
    writeFileSync(metaPath, JSON.stringify(meta));
    const r = runChild(`
      import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const x = new Float64Array(${JSON.stringify(rows)});
      const scores = async (path) => {
        const m = await pe.XGBoostModel.load(path);
        return { scorer: m.scorer, p: Array.from(m.predictProba(x)) };
      };
      const health = await pe.ProductionEnsemble.healthCheck(${JSON.stringify(dir)});
      console.log(JSON.stringify({ full: await scores(${JSON.stringify(join(productionDir, 'xgboost.json'))}),
        old: await scores(${JSON.stringify(p)}), health: health.status }));`);
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    expect(withoutSplitType.length).toBeLessThan(json.length);
    expect(out.old).toEqual(out.full);
    expect(out.health).toBe('healthy');
  });
});

describe('declared widths', () => {
  // A width is one number in the file: 1,000,000 declared features cost 3 GB and 8 s (2,000,000:
  // 6 GB, 28 s) in the engine's self-check before anything compared it with the metadata
  // (issue 9, item 8). Each load runs in a child that reports its time and peak RSS growth.
  const json = readFileSync(join(productionDir, 'xgboost.json'), 'utf8');
  const xgbWide = (n: number) =>
    json.replace('"num_class":"0","num_feature":"12"', `"num_class":"0","num_feature":"${n}"`).replace(/"feature_names":\[[^\]]*\]/, '"feature_names":[]');
  const lgbWide = (n: number) => {
    const text = readFileSync(join(productionDir, 'lightgbm.txt'), 'utf8').replace(/^tree_sizes=.*\n/m, '');
    const names = Array.from({ length: n }, (_, i) => `f${i}`).join(' ');
    return text
      .replace(/^max_feature_idx=.*$/m, `max_feature_idx=${n - 1}`)
      .replace(/^feature_names=.*$/m, `feature_names=${names}`)
      .replace(/^feature_infos=.*$/m, `feature_infos=${'none '.repeat(n).trim()}`);
  };


  it('an XGBoost or LightGBM model declaring 1-2 million features loads in bounded time and memory', () => {
    for (const [what, path] of [
      ['xgboost 1M', write('xgb-1m.json', xgbWide(1_000_000))],
      ['xgboost 2M', write('xgb-2m.json', xgbWide(2_000_000))],
    ] as const) {
      const r = measure(`pe.XGBoostModel.load(${JSON.stringify(path)})`);
      expect(r, what).toMatchObject({ ok: true, scorer: 'library', nFeatures: Number.parseInt(what.slice(8)) * 1_000_000 });
      expect(r.note, what).toMatch(/features \(the engine takes at most 4096\)/);
      expect(r.ms, what).toBeLessThan(1500);
      expect(r.mb, what).toBeLessThan(300);
    }
    const r = measure(`pe.LightGBMModel.load(${JSON.stringify(write('lgb-1m.txt', lgbWide(1_000_000)))})`);
    expect(r).toMatchObject({ ok: true, scorer: 'library', nFeatures: 1_000_000 });
    expect(r.ms).toBeLessThan(1500);
    expect(r.mb).toBeLessThan(400);
  });

  it('in a model directory the width disagrees with the metadata: refused in bounded time', () => {
    const dir = join(work, 'wide');
    cpSync(productionDir, dir, { recursive: true });
    const wide = xgbWide(1_000_000);
    writeFileSync(join(dir, 'xgboost.json'), wide);
    const metaPath = join(dir, 'production_model_metadata.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    meta.model_files.xgboost.sha256 = createHash('sha256').update(wide).digest('hex');
    writeFileSync(metaPath, JSON.stringify(meta));
    const r = measure(`pe.ProductionEnsemble.load(${JSON.stringify(dir)})`);
    expect(r).toMatchObject({ ok: false, code: 'ERR_METADATA' });
    expect(r.message).toMatch(/xgboost\.json has 1000000 features but .*production_model_metadata\.json lists 12/);
    expect(r.ms).toBeLessThan(1500);
    expect(r.mb).toBeLessThan(300);
  });
});

describe('forest', () => {
  const bytes = readFileSync(join(productionDir, 'random_forest.forest'));

  it('a bad checksum', () => {
    const b = Buffer.from(bytes);
    b[Math.floor(b.length / 2)] ^= 0x5a;
    expectFormatError('RandomForestModel', write('rf-crc.forest', b), /checksum mismatch/);
  });

  it('truncated', () => {
    expectFormatError('RandomForestModel', write('rf-trunc.forest', bytes.subarray(0, bytes.length - 1000)), /trunc|size|checksum/i);
  });

  it('a leaf value that is not a class fraction (checksum recomputed)', () => {
    const b = Buffer.from(bytes);
    const leavesAt = forestNodeOffset(b) + 24 * b.readUInt32LE(28);
    b.writeDoubleLE(1.5, leavesAt + 8); // leaf row 0, class 1
    b.writeUInt32LE(crc32(b.subarray(0, b.length - 8)) >>> 0, b.length - 8);
    expectFormatError('RandomForestModel', write('rf-leaf.forest', b), /leaf value row 0, class 1 is 1\.5, not a class fraction in \[0, 1\]/);
  });

  it('an out-of-range child index (checksum recomputed)', () => {
    const b = Buffer.from(bytes);
    const nodeAt = forestNodeOffset(b);
    b.writeInt32LE(0x7fffff00, nodeAt + 4); // the first node's left child
    b.writeUInt32LE(crc32(b.subarray(0, b.length - 8)) >>> 0, b.length - 8);
    expectFormatError('RandomForestModel', write('rf-child.forest', b), /tree 0.*(child|left).*(out of range|range)/i);
  });
});

describe('forest file sizes', () => {
  // A 2 GB sparse file was read and checksummed whole (15-17 s) before it was refused
  // (issue 9, item 9): the header's counts are now checked against the file's size first.
  it('a forest file grown to 2 GB, or whose header claims 2 GB, is refused at once', () => {
    const twoGiB = 2 ** 31;
    const grown = write('rf-grown.forest', readFileSync(join(productionDir, 'random_forest.forest')));
    truncateSync(grown, twoGiB);
    const head = Buffer.from(readFileSync(join(productionDir, 'random_forest.forest')));
    head.writeBigUInt64LE(BigInt(twoGiB), 40);
    const claimed = write('rf-claimed.forest', head);
    truncateSync(claimed, twoGiB);
    const fd = openSync(claimed, 'r+');
    writeSync(fd, Buffer.from('TSRF'), 0, 4, twoGiB - 4);
    closeSync(fd);
    for (const [path, pattern] of [
      [grown, /2147483648 bytes, but the header says \d+ \(trailing data\)/],
      [claimed, /inconsistent: the header's counts .* leave \d+ bytes of metadata records/],
    ] as const) {
      // A cap that admits 2 GB, so that the header's counts are what refuses the file (the
      // default 1 GiB cap refuses it first: test/23).
      const r = measure(`pe.RandomForestModel.load(${JSON.stringify(path)}, { maxFileBytes: 2 ** 32 })`);
      expect(r).toMatchObject({ ok: false, code: 'ERR_MODEL_FORMAT' });
      expect(r.message).toContain(path);
      expect(r.message).toMatch(pattern);
      expect(r.ms).toBeLessThan(500);
      expect(r.mb).toBeLessThan(64); // reading it whole took 2 GB
    }
  });
});

/** Byte offset of the first node record (layout in docs/forest-format.md). */
function forestNodeOffset(b: Buffer): number {
  const nTrees = b.readUInt32LE(24);
  const offsets = 48 + 4 * (nTrees + 1);
  return Math.ceil(offsets / 8) * 8;
}

describe('models without trees (found by fuzzing, test/fuzz/regressions/)', () => {
  // LightGBM writes one for a booster saved before its first iteration. The engine took it, and
  // a single row went through the AVX-512 VBMI kernel, which read tree 0's tables: a segfault.
  it('a LightGBM model with no trees scores one row and a batch alike, as LightGBM does', () => {
    const src = readFileSync(join(root, 'test', 'fixtures', 'parsers', 'lgb_binary.txt'), 'utf8');
    const path = write('no_trees.txt', `${src.slice(0, src.indexOf('tree_sizes='))}tree_sizes=\n\n${src.slice(src.indexOf('end of trees'))}`);
    const r = runChild(`
      import * as pe from ${JSON.stringify(join(root, 'dist', 'index.js'))};
      const out = {};
      for (const scorer of ['auto', 'library']) {
        const m = await pe.LightGBMModel.load(${JSON.stringify(path)}, { scorer });
        const row = new Float64Array(m.nFeatures).fill(0.25);
        out[scorer] = { scorer: m.scorer, trees: m.info.numTrees, one: m.predictOne(row), batch: Array.from(m.predictProba(row)) };
      }
      console.log(JSON.stringify(out));`);
    expect(r.signal, r.stderr).toBe(null);
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    expect(got.auto).toMatchObject({ scorer: 'engine', trees: 0 });
    expect(got.auto.one).toBe(got.library.one);
    expect(got.auto.batch).toEqual(got.library.batch);
    expect(got.auto.one).toBe(got.auto.batch[0]);
  });
});
