// The drift statistics on histograms worked by hand: PSI over bins and missing values (floored
// shares), the binned KS over the values present, the missing share.
import { expect, it } from 'vitest';
import { PSI_FLOOR, ks, missingShare, psi } from '../dist/drift-stats.js';

it('PSI: 0 for the same shares, the formula otherwise, the floor for empty bins, NaN when empty', () => {
  expect(psi([10, 20, 30, 0], [1, 2, 3, 0])).toBeCloseTo(0, 15);
  // p = [0.5, 0.5, 0], q = [0.25, 0.75, 0]: (0.25-0.5) ln(0.5) + (0.75-0.5) ln(1.5)
  expect(psi([5, 5, 0], [1, 3, 0])).toBeCloseTo(-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5), 15);
  // A bin empty in the reference counts as PSI_FLOOR.
  const q = 0.5;
  expect(psi([10, 0, 0], [1, 1, 0])).toBeCloseTo((0.5 - 1) * Math.log(0.5) + (q - PSI_FLOOR) * Math.log(q / PSI_FLOOR), 12);
  expect(Number.isNaN(psi([1, 2, 0], [0, 0, 0]))).toBe(true);
});

it('KS: the largest CDF gap at the edges over the values present; null with none present', () => {
  // Reference CDF at the 2 inner edges: 0.25, 0.75; window: 0.5, 0.5; missing counts ignored.
  expect(ks([1, 2, 1, 9], [2, 0, 2, 0])).toBeCloseTo(0.25, 15);
  expect(ks([1, 1, 0], [0, 0, 5])).toBeNull();
  expect(ks([3, 0], [7, 0])).toBe(0); // one bin: nothing to compare
});

it('missing share', () => {
  expect(missingShare([1, 2, 1])).toBe(0.25);
  expect(Number.isNaN(missingShare([0, 0]))).toBe(true);
});
