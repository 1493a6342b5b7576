/** The report's row order, and the merge of sorted runs that keeps it without holding the runs. */
import type { ReportRow } from './rows';

/** A row's identity and sort key: a credential of an app of a consumer org in a catalog. */
export const SORT_FIELDS = ['providerOrg', 'catalog', 'consumerOrg', 'app', 'credential'] as const;

/** Code-unit order, not locale order: the same rows sort the same way on every machine. 0 means the same credential. */
export function compareRows(a: ReportRow, b: ReportRow): number {
  for (const field of SORT_FIELDS) {
    if (a[field] !== b[field]) return a[field] < b[field] ? -1 : 1;
  }
  return 0;
}

/**
 * Merges sources that are each in `compareRows` order into one stream in that order, reading each source one row at
 * a time. Of equal rows the one from the earlier source comes first, so a merge of runs cut from one sequence keeps
 * that sequence's order among equal rows (a stable sort). Stopping early closes every source.
 */
export async function* mergeSorted(sources: ReadonlyArray<AsyncIterable<ReportRow>>): AsyncGenerator<ReportRow> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  try {
    const heads = await Promise.all(iterators.map(async (iterator) => iterator.next()));
    for (;;) {
      let smallest = -1;
      for (const [index, head] of heads.entries()) {
        if (head.done) continue;
        const current = heads[smallest];
        if (smallest < 0 || (current && !current.done && compareRows(head.value, current.value) < 0)) smallest = index;
      }
      const winner = heads[smallest];
      if (!winner || winner.done) return;
      yield winner.value;
      heads[smallest] = await (iterators[smallest] as AsyncIterator<ReportRow>).next();
    }
  } finally {
    await Promise.all(iterators.map(async (iterator) => iterator.return?.()));
  }
}
