/**
 * The rules of the spec (shared/spec/linux-port-allocation.md) that a run of random scripts is
 * expected to cover, and their order in reports.
 */

/** The TCP rules of the spec (R37, devices, is not modelled; R34 and R43 do not exist). */
export const TCP_RULES: readonly string[] = [
  ...['R1', 'R2', 'R3', 'R4', 'R5', 'R6', 'R7', 'R8'],
  ...['R10', 'R11', 'R12', 'R13', 'R14', 'R15'],
  ...['R20', 'R21', 'R22', 'R23'],
  ...['R30', 'R31', 'R32', 'R33', 'R35', 'R36', 'R38'],
  ...['R40', 'R41', 'R42', 'R44', 'R45'],
  ...['R50', 'R51', 'R52', 'R53'],
  ...['R60', 'R61', 'R62', 'R63', 'R64'],
  ...['R70', 'R71', 'R72'],
];

/** Rule names in the spec's order: R2 before R10. */
export function sortRules(rules: Iterable<string>): string[] {
  return [...rules].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)) || a.localeCompare(b));
}
