import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { ALL_ERRORS } from '../functions/domain/error-names';

export interface PagedMapLoopProps {
  /**
   * Reads one page: leaves the page's work in `$.items` (possibly empty) and its position in `$.cursor`, whose
   * `done` is true after the last page.
   */
  readonly pageStep: sfn.TaskStateBase;
  /** State names of the two choices (part of the definition's contract with the tests and the quota model). */
  readonly hasItemsState: string;
  readonly morePagesState: string;
  /** The Distributed Map over `$.items`; its results land in `$.lastResults`. */
  readonly map: {
    readonly state: string;
    readonly itemSelector: Record<string, unknown>;
    readonly maxConcurrency: number;
    readonly itemProcessor: sfn.IChainable;
  };
  /** Where the loop goes once it is done. */
  readonly done: sfn.IChainable;
  /** Where a failure of the map itself goes, with the error at `$.error`; without it such a failure ends the execution. */
  readonly onMapFailure?: sfn.IChainable;
  /**
   * When the loop is done, checked once a page step has handed over no items.
   * @default the cursor is done: `$.cursor.done` is true
   */
  readonly doneWhen?: sfn.Condition;
}

/**
 * The paging loop both workflows share, each page's items handled in a Distributed Map (one child execution per
 * item, so the loop's history grows with the pages, not the items). The page step takes in the map's results, so
 * it runs once more after the last page:
 * ```
 * page step → HasItems? ─yes→ Map (over $.items → $.lastResults) → page step
 *                       └no──→ MorePages? ─more→ page step ; ─done→ done
 * ```
 * Returns the loop from its page step on.
 */
export function pagedMapLoop(scope: Construct, props: PagedMapLoopProps): sfn.Chain {
  const forEachItem = new sfn.DistributedMap(scope, props.map.state, {
    itemsPath: '$.items',
    itemSelector: props.map.itemSelector,
    maxConcurrency: props.map.maxConcurrency,
    resultPath: '$.lastResults',
    mapExecutionType: sfn.StateMachineType.STANDARD,
  });
  forEachItem.itemProcessor(props.map.itemProcessor);
  if (props.onMapFailure) forEachItem.addCatch(props.onMapFailure, { errors: [ALL_ERRORS], resultPath: '$.error' });
  const morePages = new sfn.Choice(scope, props.morePagesState)
    .when(props.doneWhen ?? sfn.Condition.booleanEquals('$.cursor.done', true), props.done)
    .otherwise(props.pageStep);
  forEachItem.next(props.pageStep);
  const hasItems = new sfn.Choice(scope, props.hasItemsState)
    .when(sfn.Condition.isPresent('$.items[0]'), forEachItem)
    .otherwise(morePages);
  return props.pageStep.next(hasItems);
}
