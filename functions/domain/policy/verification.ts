import { DAY_MS } from '../time';

/**
 * Whether `now` is the day an app's stored credentials are checked against APIC although nothing of the app is due.
 * A person may reset a secret in the API Manager UI after its rotation finished; only verify-client-secret shows
 * that AWSCURRENT no longer works, and the scan, which reads the listing alone, would otherwise not look again until
 * the app's next warning window, months later. Each app gets one fixed day in every `everyDays` consecutive days
 * (from a hash of its key), so the extra assessments spread evenly over the days instead of all landing on one run.
 * `everyDays` 0 turns the check off.
 */
export function isVerificationDay(appKey: string, now: Date, everyDays: number): boolean {
  if (everyDays <= 0) return false;
  const day = Math.floor(now.getTime() / DAY_MS);
  return positiveModulo(day, everyDays) === stableHash(appKey) % everyDays;
}

/** FNV-1a over the key's UTF-16 code units: stable across runs and processes, unlike any runtime hash. */
function stableHash(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index += 1) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function positiveModulo(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}
