#!/usr/bin/env node
// Makes the Python tools usable (tools/requirements.txt in .venv): the migrate command and its
// tests need lightgbm, xgboost and scikit-learn to unpickle models. Idempotent and quick when the
// venv is already there; never fatal (without it, the migrate tests skip and say why).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.venv');
const py = join(venv, 'bin', 'python');
const ready = () => existsSync(py) && spawnSync(py, ['-c', 'import lightgbm, xgboost, sklearn, numpy']).status === 0;

if (!ready()) {
  try {
    process.stderr.write('production-ensemble: setting up .venv for the Python tools (pip install -r tools/requirements.txt)\n');
    if (!existsSync(py)) execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(py, ['-m', 'pip', 'install', '--quiet', '-r', join(root, 'tools', 'requirements.txt')], { stdio: 'inherit' });
  } catch (e) {
    process.stderr.write(`production-ensemble: could not set up .venv (${e.message}); the migrate tests will be skipped\n`);
  }
}
