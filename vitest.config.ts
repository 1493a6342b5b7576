import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** Tests that run the synthesized state machine through the local runner, over a timeline or a scenario. */
const E2E = [
  'test/e2e-timeline.test.ts',
  'test/e2e-hygiene.test.ts',
  'test/faults.test.ts',
  'test/bad-input.test.ts',
  'test/restore.test.ts',
  'test/events-local-run.test.ts',
  'test/scan-calls.test.ts',
  'test/e2e-other-actors.test.ts',
  'test/adopt.test.ts',
  'test/e2e-adversarial.test.ts',
  'test/e2e-attacks.test.ts',
  'test/e2e-attacks-verify.test.ts',
  'test/e2e-attacks-world.test.ts',
  'test/e2e-attacks-scale.test.ts',
  'test/local-run-safety.test.ts',
  'test/e2e-run-lease.test.ts',
  'test/e2e-emergency.test.ts',
  'test/e2e-logs.test.ts',
  'test/finish-run-scale.test.ts',
  'test/e2e-deadline.test.ts',
  'test/e2e-config-file.test.ts',
  'test/iam-by-use.test.ts',
];
/** Crash at every step boundary of a reference timeline. */
const CRASH = ['test/crash*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['./tools/polyfill.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // At least two workers (vitest's default leaves one of two cores idle): the e2e and crash files spend much of
    // their time waiting on loopback I/O and retries, which another worker's files can use.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A worker runs its files one after another in one module graph: the CDK synthesis, the SDKs and the handlers
    // load once per worker instead of once per file. Tests keep their state in what they start (worlds, emulators,
    // clients), and what they change globally (environment, port decorators) they restore.
    isolate: false,
    coverage: {
      // On with --coverage (npm test); the handlers run in-process under the local runner, so every project counts.
      provider: 'v8',
      include: ['functions/**'],
      reportsDirectory: 'coverage',
      reporter: ['text-summary', 'json-summary', 'html'],
      thresholds: { lines: 90, branches: 85 },
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Everything fast: the pure domain, adapters against emulators, CDK assertions, the simulator and emulators.
          include: ['test/**/*.test.ts'],
          exclude: [...E2E, ...CRASH],
        },
      },
      { extends: true, test: { name: 'e2e', include: E2E } },
      { extends: true, test: { name: 'crash', include: CRASH } },
    ],
  },
});
