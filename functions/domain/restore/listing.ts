/**
 * The ListSecretsPage step: one page of credential secret names per invocation, straight from Secrets Manager's
 * ListSecrets (names and tags only, never values), filtered by name prefix.
 */
import type { SecretListingPort } from '../ports';
import { parseSecretName } from '../secrets/naming';
import { tallyRestoreResults } from './summary';
import type { RestoreCursor, RestorePageOutput, RestoreRun, RestoreState } from './types';

/**
 * Secrets per page: 50 names of at most 512 characters, the same number of results and the summary stay far
 * below Step Functions' 256 KiB payload quota.
 */
export const MAX_SECRETS_PER_PAGE = 50;
/**
 * Pages one segment lists before it hands its cursor to the next segment. Each page costs the segment's execution a
 * loop iteration of history, so this bounds that history whatever the number of secrets; test/quota.test.ts checks
 * it against the 25,000-event quota from the synthesized definition.
 */
export const MAX_PAGES_PER_SEGMENT = 500;
/** ListSecrets may answer empty pages with a token; a few are skipped here rather than each costing a loop. */
const MAX_LIST_CALLS = 10;

/** How many scopes the restore lists. */
export function scopeCount(run: Pick<RestoreRun, 'targetScopes' | 'narrowings'>): number {
  return run.targetScopes.length * run.narrowings.length;
}

/** The `index`th scope the restore lists (see `restoreRunSchema`); undefined past the last. */
export function scopeAt(run: Pick<RestoreRun, 'targetScopes' | 'narrowings'>, index: number): string | undefined {
  const target = run.targetScopes[Math.floor(index / run.narrowings.length)];
  const narrowing = run.narrowings[index % run.narrowings.length];
  return target === undefined || narrowing === undefined ? undefined : `${target}${narrowing}`;
}

function advance(cursor: RestoreCursor, scopes: number, nextToken: string | undefined): RestoreCursor {
  if (nextToken !== undefined) return { scopeIndex: cursor.scopeIndex, nextToken, done: false };
  const scopeIndex = cursor.scopeIndex + 1;
  return { scopeIndex, done: scopeIndex >= scopes };
}

/**
 * Folds the previous page's results into the summary, then lists the next page unless the listing or the segment's
 * page budget is done (so the last call of a segment only folds).
 */
export async function listSecretsPage(listing: SecretListingPort, state: RestoreState, pageSize: number): Promise<RestorePageOutput> {
  const { run } = state;
  let summary = tallyRestoreResults(state.summary, run, state.lastResults);
  let cursor = state.cursor;
  const items: string[] = [];
  const lists = state.pagesLeft > 0 && !cursor.done;
  for (let calls = 0; lists && items.length === 0 && !cursor.done && calls < MAX_LIST_CALLS; calls += 1) {
    const scope = scopeAt(run, cursor.scopeIndex);
    if (scope === undefined) break;
    const page = await listing.listSecretNames(scope, Math.min(pageSize, MAX_SECRETS_PER_PAGE), cursor.nextToken);
    // The name filter matches prefixes of any rotator-shaped name; only exact, well-formed rotator names count.
    for (const name of page.names) {
      if (name.startsWith(scope) && parseSecretName(run.secretPrefix, name)) items.push(name);
    }
    cursor = advance(cursor, scopeCount(run), page.nextToken);
  }
  summary = { ...summary, secretsInScope: summary.secretsInScope + items.length };
  return { run, cursor, summary, lastResults: [], pagesLeft: lists ? state.pagesLeft - 1 : state.pagesLeft, items };
}
