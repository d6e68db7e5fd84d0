/**
 * What an input names: one file, a directory (searched recursively, as hive-partitioned datasets
 * are laid out), or a glob; its files, their format, and the hive partition keys in their paths.
 * @internal
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { InvalidArgumentError } from '../errors.js';

export type TableFormat = 'csv' | 'parquet';

/** The files an input names, sorted by path, as the input names them (relative stays relative). */
export interface InputSource {
  /** The input as given. */
  input: string;
  files: string[];
  format: TableFormat;
  /** Partition keys of `key=value` directories common to every file (empty: not hive-partitioned). */
  hiveKeys: string[];
}

const GLOB = /[*?[{]/;
const HIVE = /^([^=]+)=(.*)$/;

/** The format of a file name's extension, or of `explicit`. */
export function formatOf(path: string, explicit?: string): TableFormat {
  const f = (explicit ?? extname(path).slice(1)).toLowerCase();
  if (f === 'csv' || f === 'txt' || f === 'tsv') return 'csv';
  if (f === 'parquet' || f === 'pq') return 'parquet';
  throw new InvalidArgumentError(`${path}: unknown table format '${f}' (use .csv or .parquet, or --format)`);
}

const known = (name: string) => /\.(csv|txt|tsv|parquet|pq)$/i.test(name);
// Hidden files and directories, and `_`-prefixed ones (_SUCCESS, _metadata, a writer's staging),
// are not data, as in Hive, Spark and DuckDB's own writers.
const skipped = (name: string) => name.startsWith('.') || name.startsWith('_');

function listDirectory(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (skipped(e.name)) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && known(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Resolves `input`. `glob` expands a pattern (DuckDB's glob(), so that patterns mean what they
 * mean to DuckDB: `*`, `**`, `?`, `[...]`).
 */
export async function resolveInput(input: string, glob: (pattern: string) => Promise<string[]>, format?: string): Promise<InputSource> {
  let files: string[];
  let root: string;
  let single = false;
  if (existsSync(input) && statSync(input).isDirectory()) {
    root = resolve(input);
    files = listDirectory(input);
    if (files.length === 0) throw new InvalidArgumentError(`${input}: the directory holds no .csv or .parquet file`);
  } else if (existsSync(input)) {
    root = resolve(input, '..');
    files = [input];
    single = true;
  } else if (GLOB.test(input)) {
    const base = input.slice(0, input.search(GLOB));
    root = resolve(base.endsWith(sep) || base === '' ? base || '.' : resolve(base, '..'));
    files = (await glob(input)).filter((f) => !relative(root, f).split(sep).some(skipped));
    if (files.length === 0) throw new InvalidArgumentError(`${input}: no file matches the pattern`);
  } else {
    throw new InvalidArgumentError(`input file ${input} does not exist`);
  }
  // A directory or glob contributes its table files, only those of the format given if one is.
  if (!single) {
    files = files.filter((f) => known(f) && (!format || formatOf(f) === formatOf(f, format)));
    if (files.length === 0) throw new InvalidArgumentError(`${input}: no ${format ?? '.csv or .parquet'} file`);
  }
  files.sort();
  const formats = new Set(files.map((f) => formatOf(f, format)));
  if (formats.size > 1) {
    throw new InvalidArgumentError(`${input}: mixes CSV and Parquet files (${files.slice(0, 3).join(', ')}...): score one format at a time`);
  }
  return { input, files, format: [...formats][0] as TableFormat, hiveKeys: hiveKeys(root, files) };
}

/** The `key=value` directory names every file's path has, in order (none if any file lacks one). */
function hiveKeys(root: string, files: readonly string[]): string[] {
  let keys: string[] | undefined;
  for (const f of files) {
    const dirs = relative(root, f).split(sep).slice(0, -1);
    const k = dirs.map((d) => HIVE.exec(d)?.[1]).filter((x): x is string => x !== undefined);
    if (keys === undefined) keys = k;
    else if (keys.join('/') !== k.join('/')) return [];
  }
  return keys ?? [];
}

/** The hive partition value of `key` in a file's path (decoded as DuckDB decodes it), if any. */
export function hiveValue(path: string, key: string): string | undefined {
  for (const d of path.split(sep)) {
    const m = HIVE.exec(d);
    if (m && m[1] === key) return decodeURIComponent(m[2] as string);
  }
  return undefined;
}
