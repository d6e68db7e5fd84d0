/**
 * The model store's commands (`versions`, `publish`, `promote`, `rollback`): the store is
 * `--store`, else PRODUCTION_ENSEMBLE_STORE; this file prints what src/model-store.ts did.
 * @internal
 */
import { InvalidArgumentError } from '../errors.js';
import { ModelStore, type StoreVersion } from '../model-store.js';

/** The store a command works on: `--store`, else PRODUCTION_ENSEMBLE_STORE. */
export function storeFrom(option: string | undefined): ModelStore {
  const path = option ?? process.env.PRODUCTION_ENSEMBLE_STORE;
  if (path === undefined || path === '') {
    throw new InvalidArgumentError('no model store given: pass --store <dir> or set PRODUCTION_ENSEMBLE_STORE');
  }
  return new ModelStore(path);
}

/** `versions`: one line per version, the current and previous marked, incomplete ones explained. */
export function formatVersions(store: ModelStore, versions: StoreVersion[]): string {
  if (versions.length === 0) return `${store.path}: no versions\n`;
  const width = Math.max(...versions.map((v) => v.name.length));
  const lines = versions.map((v) => {
    const mark = v.current ? '* ' : v.previous ? '- ' : '  ';
    const role = v.current ? 'current' : v.previous ? 'previous' : '';
    const state = v.complete ? 'complete' : `INCOMPLETE: ${v.problems.join('; ')}`;
    return `${mark}${v.name.padEnd(width)}  ${(v.createdAt ?? 'n/a').padEnd(20)}  ${role.padEnd(8)}  ${state}`;
  });
  return `${store.path}: ${versions.length} version${versions.length > 1 ? 's' : ''} (* current, - previous: what rollback returns to)\n${lines.join('\n')}\n`;
}
