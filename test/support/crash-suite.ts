/**
 * The crash-at-every-boundary suite, split across test files by crash point so that each file stays well within
 * its time budget (vitest runs files in parallel; the points of one file run one after another).
 */
import { describe, expect, it } from 'vitest';
import type { SimulatorSeed } from '../../tools/apic-simulator';
import { runCrashPlan, type CrashPlanReport, type RotationWorld } from './crash-plan';
import { acmeProdSeed } from './acme-seed';
import { scanWorld } from './faults-secrets';

export const CRASH_SHARDS = 3;

/** Day 0: one credential warned, two replaced; day 10: the third replaced, two originals deleted; day 20: the last. */
export function crashCatalog(): SimulatorSeed {
  return acmeProdSeed({
    bank: [
      {
        name: 'mobile',
        title: 'Mobile',
        credentials: [
          { name: 'key-a', title: 'Key A', ageDays: 80 },
          { name: 'key-b', title: 'Key B', ageDays: 90 },
        ],
      },
    ],
    shop: [{ name: 'web', title: 'Web', credentials: [{ name: 'key-w', title: 'Key W', ageDays: 90 }] }],
  });
}

export function crashSuite(shard: number): void {
  describe(`crash at every step boundary (shard ${shard + 1} of ${CRASH_SHARDS})`, () => {
    let report: CrashPlanReport;
    const secretHits: string[] = [];
    let secretsSearched = 0;
    const scan = async (world: RotationWorld) => {
      const result = await scanWorld(world);
      secretHits.push(...result.hits);
      secretsSearched += result.secretsSearched;
    };

    it('runs the reference timeline and every crash point of this shard', async () => {
      report = await runCrashPlan({
        seed: crashCatalog(),
        start: new Date('2025-03-01T03:00:00Z'),
        days: [0, 10, 20],
        settleDays: [21],
        select: (point) => point % CRASH_SHARDS === shard,
        beforeClose: scan,
      });
      const kinds = new Set(report.boundaries.map((b) => b.boundary));
      console.log(
        `crash shard ${shard + 1}/${CRASH_SHARDS}: ${report.results.length} of ${report.boundaries.length} crash points tested ` +
          `(${[...kinds].sort().join(', ')})`,
      );
      expect(report.results.length).toBeGreaterThan(0);
    }, 120_000);

    it('enumerates a boundary for every kind of write the timeline makes', () => {
      const kinds = new Set(report.boundaries.map((b) => b.boundary));
      for (const kind of [
        'apic.createCredential',
        'apic.updateCredential',
        'apic.deleteCredential',
        'store.stagePending',
        'store.promote',
        'ledger.queueNotice',
        'ledger.markNoticesSent',
        'mailer.send',
      ]) {
        expect(kinds).toContain(kind);
      }
    });

    it('has the reference end fully rotated with the names restored', () => {
      expect(report.reference.unrotated).toEqual({ 'bank/mobile': 0, 'shop/web': 0 });
      expect(report.reference.apps).toEqual({ 'bank/mobile': ['key-a | Key A', 'key-b | Key B'], 'shop/web': ['key-w | Key W'] });
      expect(report.reference.withoutAcceptedCurrent).toEqual([]);
    });

    it('stops each crashed run: the run fails, or counts the app or (for a mail) the notice as failed', () => {
      const unnoticed = report.results.filter(
        ({ crashedRun }) => crashedRun.status === 'SUCCEEDED' && crashedRun.appsFailed === 0 && crashedRun.noticesFailed === 0,
      );
      expect(unnoticed.map((r) => `${r.point} ${r.boundary}`)).toEqual([]);
    });

    it('keeps every invariant after the crash, the redrive, the rerun and every later run', () => {
      const violations = report.results.flatMap((r) => r.violations.map((v) => `point ${r.point} (${r.boundary}, day ${r.day}): ${v}`));
      expect(violations).toEqual([]);
    });

    it('converges to the reference end state from every crash point', () => {
      for (const result of report.results) {
        expect({ point: result.point, boundary: result.boundary, end: result.endState }).toEqual({
          point: result.point,
          boundary: result.boundary,
          end: report.reference,
        });
      }
    });

    it('leaks no secret into logs, payloads, summaries, errors or mails of any crashed world', () => {
      expect(secretsSearched).toBeGreaterThan(0);
      expect(secretHits).toEqual([]);
    });
  });
}

