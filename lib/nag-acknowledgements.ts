import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { IConstruct } from 'constructs';
import { LEASE_PREFIX } from '../functions/domain/lease/decide';
import { REPORT_PREFIX } from '../functions/domain/report/keys';
import { executionArnPattern } from './step-grants';
import type { CredentialRotator } from './credential-rotator';

/**
 * Every cdk-nag (AwsSolutions) finding the rotator accepts, each with its reason, in one place.
 * Called by the construct itself so every stack that uses it inherits them; each acknowledgement names the exact
 * finding (rule plus resource), so a new wildcard added later still fails the check.
 */
export function acknowledgeRotatorNagFindings(rotator: CredentialRotator): void {
  const stack = Stack.of(rotator);
  const functions = [...Object.values(rotator.functions), ...Object.values(rotator.restoreFunctions)];

  const functionWildcards = new Map<unknown, string>([
    [
      '*',
      'X-Ray PutTraceSegments/PutTelemetryRecords have no resource-level permissions; neither has ListSecrets ' +
        '(finish-run, restore-list-page), which returns names and tags, never values.',
    ],
    [rotator.credentialSecretsArn, 'One secret per APIC credential, named at run time; the grant is limited to the rotator prefix.'],
    [
      stack.formatArn({ service: 'ses', resource: 'identity', resourceName: '*' }),
      'SES authorizes against the verified identity (domain or address) of the sender; the statement is conditioned ' +
        'on ses:FromAddress equal to the configured sender.',
    ],
    [
      rotator.reportBucket.arnForObjects(`${REPORT_PREFIX}*`),
      'Report parts and reports are objects named per run at run time; the grant is limited to the reports/ prefix ' +
        'of the rotator\'s own bucket.',
    ],
    [
      rotator.reportBucket.arnForObjects(`${LEASE_PREFIX}*`),
      'Run leases are one object per target catalog, named from the configured targets; the grant is limited to the ' +
        'leases/ prefix of the rotator\'s own bucket.',
    ],
    ...[rotator.stateMachineNames.rotation, rotator.stateMachineNames.restore].map(
      (name) =>
        [
          executionArnPattern(stack, name),
          'A run lease names its holder by execution ARN; the lease steps ask whether that execution still runs, for ' +
            'executions of the rotator\'s own state machines only (named at run time).',
        ] as const,
    ),
  ]);
  for (const fn of functions) {
    if (fn.role) acknowledgeKnownWildcards(fn.role.node.tryFindChild('DefaultPolicy'), functionWildcards);
  }

  acknowledgeStateMachineFindings(rotator.stateMachine, Object.values(rotator.functions));
  acknowledgeStateMachineFindings(rotator.restoreStateMachine, Object.values(rotator.restoreFunctions));
}

/** A state machine's role (invoking `functions`, its steps), its Distributed Map policy and its logging level. */
function acknowledgeStateMachineFindings(stateMachine: sfn.StateMachine, functions: readonly IFunction[]): void {
  const stateMachineWildcards = new Map<unknown, string>([
    ['*', 'X-Ray tracing and CloudWatch Logs delivery (logs:CreateLogDelivery and related) have no resource-level permissions.'],
    ...functions.map((fn) => [`${fn.functionArn}:*`, 'CDK lets the state machine invoke any version or alias of its own step functions.'] as const),
  ]);
  acknowledgeKnownWildcards(stateMachine.role.node.tryFindChild('DefaultPolicy'), stateMachineWildcards);

  const distributedMapPolicy = stateMachine.node.tryFindChild('DistributedMapPolicy');
  const childExecutions =
    'A Distributed Map starts, describes and stops child executions of its own state machine, named at run time.';
  acknowledgeKnownWildcards(
    distributedMapPolicy,
    new Map(wildcardResourcesOf(distributedMapPolicy).map((resource) => [resource, childExecutions])),
  );

  Validations.of(stateMachine).acknowledge({
    id: 'AwsSolutions-SF1',
    reason:
      'Logging is at ERROR level without execution data on purpose: payloads stay out of the logs, errors are ' +
      'enough to find the failing state, and the full history is in the execution.',
  });
}

/** Acknowledges each wildcard resource of `policy` that `reasons` explains; any other wildcard stays a finding. */
function acknowledgeKnownWildcards(policy: IConstruct | undefined, reasons: ReadonlyMap<unknown, string>): void {
  if (!(policy instanceof iam.Policy)) return;
  const stack = Stack.of(policy);
  const reasonByName = new Map([...reasons].map(([resource, reason]) => [findingName(stack.resolve(resource)), reason]));
  for (const resource of wildcardResourcesOf(policy)) {
    const name = findingName(resource);
    const reason = reasonByName.get(name);
    if (reason !== undefined) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${name}]`, reason });
  }
}

/** The resolved resources of `policy` that cdk-nag reports as wildcards. */
function wildcardResourcesOf(policy: IConstruct | undefined): unknown[] {
  if (!(policy instanceof iam.Policy)) return [];
  const resolved = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement?: Array<{ Resource?: unknown }> } | undefined;
  return (resolved?.Statement ?? [])
    .flatMap((statement) => (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]))
    .filter((resource) => resource !== undefined && findingName(resource).includes('*'));
}

/**
 * The flat name cdk-nag gives a resolved CloudFormation value in its finding ids (`Resource::<name>`): joins are
 * joined, `Ref`/`GetAtt` become `<Logical.Attr>`, anything else is its JSON.
 */
function findingName(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(findingName).join(delimiter);
    }
    if (value['Fn::Sub'] !== undefined) return findingName(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${findingName(getAtt[0])}.${findingName(getAtt[1])}>`;
    if (value['Fn::ImportValue'] !== undefined) return findingName(value['Fn::ImportValue']);
    if (value.Ref !== undefined) return `<${findingName(value.Ref)}>`;
  }
  return JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
