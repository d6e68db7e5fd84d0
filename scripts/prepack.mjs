#!/usr/bin/env node
// npm's prepack step (npm pack, npm publish): refuses to pack a tarball without the prebuilt
// addon and bundled libraries of every supported platform, which would otherwise be a small
// tarball that asks every user to build from source. `npm run build:prebuilds` makes them.
// PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS=1 packs anyway (a developer's local tarball).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PREBUILD_NAME, PREBUILD_TARGETS, elfMachine } from './toolchain.mjs';

// The package being packed: npm runs this script from its root.
const root = process.cwd();
const problems = [];
for (const t of PREBUILD_TARGETS) {
  const dir = join(root, 'prebuilds', t.key);
  if (!existsSync(dir)) {
    problems.push(`prebuilds/${t.key}/ is missing`);
    continue;
  }
  const files = readdirSync(dir);
  const wanted = [PREBUILD_NAME, 'lib_lightgbm.so', 'libxgboost.so', files.find((f) => /^libgomp-.*\.so/.test(f)) ?? 'libgomp-*.so.1'];
  for (const f of wanted) {
    const path = join(dir, f);
    if (!existsSync(path)) problems.push(`prebuilds/${t.key}/${f} is missing`);
    else if (elfMachine(path) !== t.machine) problems.push(`prebuilds/${t.key}/${f} is not an ELF file for ${t.arch}`);
  }
  const others = files.filter((f) => f.endsWith('.node') && f !== PREBUILD_NAME);
  if (others.length > 0) problems.push(`prebuilds/${t.key}/ has other addons (${others.join(', ')}): node-gyp-build could pick one`);
}

if (problems.length > 0) {
  const msg = problems.map((p) => `  - ${p}`).join('\n');
  if (process.env.PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS === '1') {
    process.stderr.write(`production-ensemble: packing WITHOUT prebuilds (PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS=1):\n${msg}\n`);
  } else {
    process.stderr.write(
      `production-ensemble: refusing to pack: the tarball must carry the prebuilt addon of every supported platform.\n${msg}\n` +
        'Build them with `npm run setup:zig && npm run build:prebuilds` (docs/prebuilds.md), or set ' +
        'PRODUCTION_ENSEMBLE_PACK_WITHOUT_PREBUILDS=1 for a local tarball that builds from source on install.\n',
    );
    process.exit(1);
  }
}
