export * from './decide';
export { acquireLeases, releaseLeases, renewLeases, type AcquireOutcome, type LeaseDeps } from './run-lease';
export { heldLeasesSchema, releaseLeaseSchema, type RunSkipped } from './schema';
export { isSkipped, takeRunLeases, type LeasedRun } from './run';
