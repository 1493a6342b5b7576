/**
 * Running the restore definition against a local stack, and what the restore tests look at: APIC mutations by
 * route, and every text a run produced (logs, state payloads, the summary) for the secret scan.
 */
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { MAX_PAGES_PER_SEGMENT, type RestoreSummary } from '../../functions/domain/restore';
import type { CredentialSecretLocator } from '../../functions/domain/ports';
import { secretNameFor } from '../../functions/domain/secrets';
import type { LocalEnvironment } from '../../tools/runner/local-environment';
import type { LocalRunResult } from '../../tools/runner/workflow-runner';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { CollectedText } from './e2e-observe';

export class RestoreRunner {
  /** Every log line, state payload and summary of every run so far. */
  readonly collected: CollectedText[] = [];
  private runs = 0;

  constructor(
    private readonly stack: LocalEnvironment,
    private readonly definition: StateMachineDefinition,
  ) {}

  /** `options.definition` replaces the runner's own for this run (e.g. with smaller segments). */
  async run(
    input: Record<string, unknown>,
    options: { readonly definition?: StateMachineDefinition; readonly onStateEntered?: (state: string) => void } = {},
  ): Promise<LocalRunResult<RestoreSummary>> {
    this.runs += 1;
    const label = `restore run ${this.runs}`;
    const result = await this.stack.runRestore({
      definition: options.definition ?? this.definition,
      ...(options.onStateEntered && { onStateEntered: options.onStateEntered }),
      input,
      onLogLine: (text) => this.collected.push({ source: `log line of ${label}`, text }),
      recordPayloads: (text) => this.collected.push({ source: `payload of ${label}`, text }),
    });
    this.collected.push({ source: `result of ${label}`, text: JSON.stringify(result) });
    return result;
  }
}

/** APIC calls that change something, by route: everything but reads, token requests and verify-client-secret. */
export function apicMutations(counters: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counters).filter(([route, count]) => count > 0 && !route.startsWith('GET ') && route !== 'POST /token' && !route.endsWith('/verify-client-secret')),
  );
}

/** The restore definition with `pages` pages per segment instead of `MAX_PAGES_PER_SEGMENT` (to cross many segment boundaries). */
export function withPagesPerSegment(definition: StateMachineDefinition, pages: number): StateMachineDefinition {
  const copy = structuredClone(definition) as unknown as { States: Record<string, { ItemSelector?: { pagesLeft?: number } }> };
  const selector = copy.States.RunSegment?.ItemSelector;
  if (!selector || selector.pagesLeft !== MAX_PAGES_PER_SEGMENT) throw new Error('RunSegment no longer hands each segment MAX_PAGES_PER_SEGMENT pages');
  selector.pagesLeft = pages;
  return copy as unknown as StateMachineDefinition;
}

/** Stores a credential secret as the rotator would (a random pair issued at `issuedAt`), whatever APIC holds. */
export async function storeCredentialSecret(stack: LocalEnvironment, prefix: string, locator: CredentialSecretLocator, issuedAt: Date): Promise<void> {
  await stack.secretsManagerClient.send(
    new CreateSecretCommand({
      Name: secretNameFor(prefix, locator),
      SecretString: JSON.stringify({
        client_id: randomBytes(16).toString('hex'),
        client_secret: randomBytes(24).toString('base64url'),
        provider_org: locator.providerOrg,
        catalog: locator.catalog,
        consumer_org: locator.consumerOrg,
        app: locator.app,
        credential: locator.credential,
        cycle_id: 'seeded',
        issued_at: issuedAt.toISOString(),
      }),
    }),
  );
}
