#!/usr/bin/env node
// Sets up what the benchmarks' peers need, idempotently: bench/'s npm packages (onnxruntime-node
// and the other peers, kept out of the package's dependencies), bench/python/requirements.txt
// (the ONNX converters) and bench/python/requirements-lleaves.txt (lleaves) in the repository's
// .venv. Prints what it did; quick when nothing is to do.
// Usage: node bench/setup.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bench = join(root, 'bench');
const say = (msg) => process.stdout.write(`bench setup: ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// npm: onnxruntime-node's install script downloads from a host this project cannot reach, and
// the package already holds the CPU binaries, hence --ignore-scripts. The stamp records the
// manifest and lock it was installed from, so a changed package.json installs again.

const manifest = JSON.parse(readFileSync(join(bench, 'package.json'), 'utf8'));
const hash = createHash('sha256');
for (const f of ['package.json', 'package-lock.json']) {
  if (existsSync(join(bench, f))) hash.update(readFileSync(join(bench, f)));
}
const digest = hash.digest('hex');
const stamp = join(bench, 'node_modules', '.bench-setup-stamp');
const missing = Object.keys(manifest.dependencies ?? {}).filter((d) => !existsSync(join(bench, 'node_modules', d, 'package.json')));
const stale = !existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== digest;
if (missing.length || stale) {
  say(`npm install --prefix bench (${missing.length ? `missing: ${missing.join(', ')}` : 'bench/package.json changed'})`);
  execFileSync('npm', ['install', '--prefix', bench, '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${digest}\n`);
} else {
  say(`npm packages up to date (${Object.keys(manifest.dependencies ?? {}).join(', ')})`);
}

// ---------------------------------------------------------------------------------------------
// Python: the repository's .venv (scripts/setup-python.mjs makes it with tools/requirements.txt),
// then each pinned requirements file unless every pin is already installed at its version.
// lleaves has a file of its own: its llvmlite has no wheel for Python 3.13 and later,
// and a peer that cannot install must not keep the others from running (the bench then records
// why lleaves did not run, and CI's smoke test fails on it).

const python = join(root, '.venv', 'bin', 'python');
if (!existsSync(python)) {
  say('no .venv: node scripts/setup-python.mjs');
  execFileSync(process.execPath, [join(root, 'scripts', 'setup-python.mjs')], { cwd: root, stdio: 'inherit' });
  if (!existsSync(python)) {
    say(`${python} still missing; the Python peers cannot run`);
    process.exit(1);
  }
}

/** pip-installs `file` (relative to bench/python) unless its pins are all installed; false if pip failed. */
function installPins(file) {
  const requirements = join(bench, 'python', file);
  const pins = readFileSync(requirements, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((l) => l.split('=='));
  const check = spawnSync(python, ['-c', [
    'import sys, importlib.metadata as m',
    'for name, want in zip(sys.argv[1::2], sys.argv[2::2]):',
    '    try: got = m.version(name)',
    '    except m.PackageNotFoundError: got = None',
    '    if got != want: print(f"{name} {got or \'missing\'} (want {want})")',
  ].join('\n'), ...pins.flat()], { encoding: 'utf8' });
  const wrong = check.status === 0 ? check.stdout.trim() : `version check failed: ${check.stderr.trim()}`;
  if (!wrong) {
    say(`bench/python/${file} up to date (${pins.map(([n, v]) => `${n} ${v}`).join(', ')})`);
    return true;
  }
  say(`pip install -r bench/python/${file} (${wrong.split('\n').join('; ')})`);
  return spawnSync(python, ['-m', 'pip', 'install', '--quiet', '-r', requirements], { cwd: root, stdio: 'inherit' }).status === 0;
}

if (!installPins('requirements.txt')) {
  say('pip install -r bench/python/requirements.txt failed; the ONNX peer cannot convert the models');
  process.exit(1);
}
if (!installPins('requirements-lleaves.txt')) {
  say('pip install -r bench/python/requirements-lleaves.txt failed (llvmlite 0.43.0 has wheels for CPython 3.9-3.12); the lleaves peer will not run');
}
