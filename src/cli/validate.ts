/**
 * `production-ensemble validate`: every problem of a model directory, as the core's reader finds
 * them (native/core/metadata.cc, model_directory.cc: the same rules and messages as `load`, which
 * stops at the first). This file only adapts the core's report for printing.
 * @internal
 */
import { binding } from '../binding.js';
import type { ErrorCode } from '../error-codes.js';
import { nativeOptions } from '../load-options.js';

/** One problem: the code and message `load` would throw, the file and metadata field at fault. */
export interface ValidationProblem {
  code: ErrorCode;
  file: string;
  field: string;
  message: string;
}

export interface ValidationReport {
  directory: string;
  metadataFile?: string;
  ok: boolean;
  /** Each problem's message, in order (what the text output lists). */
  problems: string[];
  /** What was checked and found right. */
  checked: string[];
  /** The problems with their code, file and field. */
  details: ValidationProblem[];
}

export async function validateDirectory(dir: string): Promise<ValidationReport> {
  const r = await binding().addon.validateModelDirectory(dir, nativeOptions({ threads: 1 }), true);
  const report: ValidationReport = { directory: r.directory, ok: r.ok, problems: r.problems.map((p) => p.message), checked: r.checked, details: r.problems };
  if (r.metadataFile !== undefined) report.metadataFile = r.metadataFile;
  return report;
}
