import { stepsWithAccess, type StepId } from '../functions/steps';

/** A granted action that no SDK call of a local run uses, and why the function keeps it. */
export interface GrantWithoutLocalCall {
  readonly action: string;
  /** The steps whose functions hold it. */
  readonly steps: 'every step' | readonly StepId[];
  readonly why: string;
}

const LEASE_TAKERS = stepsWithAccess('run-lease');
const LEASE_STEPS = [...LEASE_TAKERS, ...stepsWithAccess('run-lease-renewal'), ...stepsWithAccess('run-lease-release')];

/**
 * test/iam-by-use.test.ts records every AWS call the steps make in local runs (rotation, faults, repair, run lease,
 * restore) and evaluates each against the synthesized policies. A granted action that no recorded call uses must be
 * listed here with its reason, or removed from lib/step-grants.ts: the test fails on an unused grant missing from this
 * list, and on an entry here that a recorded call does use.
 */
export const GRANTS_WITHOUT_LOCAL_CALLS: readonly GrantWithoutLocalCall[] = [
  {
    action: 'logs:CreateLogStream',
    steps: 'every step',
    why: 'The Lambda service writes each function’s log group with the function’s role; the handlers make no such call.',
  },
  { action: 'logs:PutLogEvents', steps: 'every step', why: 'As logs:CreateLogStream.' },
  {
    action: 'xray:PutTraceSegments',
    steps: 'every step',
    why: 'Active tracing: the Lambda runtime sends the trace segments with the function’s role; local runs trace nothing.',
  },
  { action: 'xray:PutTelemetryRecords', steps: 'every step', why: 'As xray:PutTraceSegments.' },
  {
    action: 'states:DescribeExecution',
    steps: LEASE_TAKERS,
    why:
      'Asks whether a lease holder’s execution still runs. Local runs have no Step Functions service to ask, so the ' +
      'runtime leaves that port out there (functions/runtime/ports.ts); test/run-lease.test.ts covers the decision.',
  },
  {
    action: 's3:ListBucket',
    steps: LEASE_STEPS,
    why:
      'S3 answers a read of a missing lease with 404 NoSuchKey only to a caller allowed s3:ListBucket, and 403 ' +
      'AccessDenied otherwise (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"). ' +
      'Whether the grant, limited to leases/, counts for that is not documented, so the lease store settles a 403 by ' +
      'listing the lease key (functions/adapters/s3/run-lease-store.ts); the local emulator answers 404, so no local ' +
      'run lists.',
  },
  {
    action: 's3:DeleteObject',
    steps: LEASE_TAKERS,
    why:
      'Taking the leases of several targets gives back the ones taken so far when a later one is held ' +
      '(functions/domain/lease/run-lease.ts, acquireLeases); the local runs have one target, test/run-lease.test.ts covers it.',
  },
  {
    action: 's3:GetObject',
    steps: ['restore-prepare'],
    why: 'Reads a lease another run holds: the same code as prepare-run’s (acquireLeases), which the race of the local runs exercises.',
  },
  { action: 'kms:Decrypt', steps: ['restore-prepare'], why: 'The bucket key for that read, as s3:GetObject.' },
  {
    action: 'secretsmanager:DescribeSecret',
    steps: ['restore-credential'],
    why: 'Granted with the value reads (credential-reads); restore-credential reads values only. It returns metadata, never a value.',
  },
  {
    action: 's3:AbortMultipartUpload',
    steps: ['build-report'],
    why:
      'Gives back the parts of a report upload when the build fails half way (functions/domain/report/upload.ts); the ' +
      'local runs build every report to the end, test/report-streaming.test.ts covers the abort.',
  },
];
