import * as z from 'zod';

/** The leases a run holds, as its run context carries them (absent in dry runs, which take none). */
export const heldLeasesSchema = z.object({
  holder: z.string().min(1),
  holderArn: z.string().min(1).optional(),
  workflow: z.enum(['rotation', 'restore']),
  keys: z.array(z.string().min(1)),
});

/** A run that found its target's lease held ends with this as its output. */
export interface RunSkipped {
  readonly status: 'skipped';
  readonly runId: string;
  readonly workflow: 'rotation' | 'restore';
  /** The holder's execution ARN (or its name when it ran outside Step Functions). */
  readonly heldBy: string;
  /** When the holder acquired the lease. */
  readonly since: string;
  readonly key: string;
  readonly message: string;
}

/** The release step reads only the run's leases; the rest of the state (summary, error) passes by untouched. */
export const releaseLeaseSchema = z.object({ run: z.object({ lease: heldLeasesSchema.optional() }) });
