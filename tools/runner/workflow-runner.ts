/**
 * Runs the synthesized state machine definition on this machine: aws-local-stepfunctions interprets the ASL,
 * each Task state calls the real Lambda handler in-process, and the handlers' AWS SDK clients reach the
 * endpoints given here through the SDK's standard endpoint variables.
 */
import '../polyfill';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { Context } from 'aws-lambda';
import { handlerEntry } from '../../lib/lambda-defaults';
import { RotationStack } from '../../lib/rotation-stack';
import { parseRotatorConfig } from '../../functions/domain/config';
import { ROTATOR_CONFIG_FILE_VARIABLE, writeRotatorConfigFile } from '../../functions/runtime/config-file';
import { observeSdkCalls, partitionPorts, type SdkCall } from '../../functions/runtime/ports';
import type { RestoreSummary } from '../../functions/domain/restore';
import type { RunSummary } from '../../functions/domain/workflow/types';
import { STEPS, taskStateSteps, type StepId, type Workflow } from '../../functions/steps';
import { startEventBridgeEmulator } from '../emulators/eventbridge/emulator';
import { startS3Emulator } from '../emulators/s3/emulator';

/** The bucket local runs write their inventory reports to. */
export const LOCAL_REPORT_BUCKET = 'apic-rotator-reports';

type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Task state name → the step behind it and its handler, as deployed (the handler file the step registry names). */
export type TaskHandlers = Readonly<Record<string, { readonly step: StepId; readonly handler: LambdaHandler }>>;

/**
 * The URL a step's handler module is imported from. The bench imports the handlers the same way to time them, so
 * both get the same module instances.
 */
export function handlerModuleUrl(step: StepId): string {
  return pathToFileURL(handlerEntry(STEPS[step].handler)).href;
}

const loadedTaskHandlers = new Map<Workflow, Promise<TaskHandlers>>();

/** The handlers behind the task states of `workflow`, imported once. */
export function taskHandlers(workflow: Workflow): Promise<TaskHandlers> {
  let loaded = loadedTaskHandlers.get(workflow);
  if (!loaded) {
    loaded = Promise.all(
      Object.entries(taskStateSteps(workflow)).map(async ([stateName, step]) => {
        const module = (await import(handlerModuleUrl(step))) as { handler?: LambdaHandler };
        if (typeof module.handler !== 'function') throw new Error(`${STEPS[step].handler}.ts exports no handler`);
        return [stateName, { step, handler: module.handler }] as const;
      }),
    ).then((entries) => Object.fromEntries(entries));
    loadedTaskHandlers.set(workflow, loaded);
  }
  return loaded;
}

/** The account and region of the emulators' ARNs, and the stack's env when the runner synthesizes it. */
export const LOCAL_ACCOUNT = '123456789012';
export const LOCAL_REGION = 'us-east-1';
/** The rotator's key in local runs: the credential secrets name it, as the construct's `SECRET_KMS_KEY_ID` does. */
export const LOCAL_ENCRYPTION_KEY_ARN = `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/00000000-0000-4000-8000-000000000000`;

type Definitions = { rotation: StateMachineDefinition; restore: StateMachineDefinition };
const synthesized = new Map<string, Definitions>();

/**
 * Synthesizes the stack (without bundling) and returns both state machine definitions. Synthesis takes seconds, so
 * it is done once per config; the APIC URL only reaches the functions' config file, never the definitions.
 */
function synthesizeStack(config: unknown): Definitions {
  // A bad config fails here as it would at synth, cached or not.
  parseRotatorConfig(config);
  const key = JSON.stringify({ ...(config as Record<string, unknown>), apicBaseUrl: undefined });
  const cached = synthesized.get(key);
  if (cached) return cached;
  const definitions = synthesizeFresh(config);
  synthesized.set(key, definitions);
  return definitions;
}

function synthesizeFresh(config: unknown): Definitions {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new RotationStack(app, 'LocalRotation', { config, env: { account: LOCAL_ACCOUNT, region: LOCAL_REGION } });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const definitionOf = (machine: sfn.StateMachine) => {
    const resource = template.Resources[stack.getLogicalId(machine.node.defaultChild as sfn.CfnStateMachine)];
    if (!resource) throw new Error(`state machine ${machine.node.path} is missing from the synthesized template`);
    return JSON.parse(resolveIntrinsics(resource.Properties.DefinitionString)) as StateMachineDefinition;
  };
  return { rotation: definitionOf(stack.rotator.stateMachine), restore: definitionOf(stack.rotator.restoreStateMachine) };
}

/** The rotation state machine definition of the stack, with ARNs filled in. */
export function synthesizeDefinition(config: unknown): StateMachineDefinition {
  return synthesizeStack(config).rotation;
}

/** The restore state machine definition of the stack, with ARNs filled in. */
export function synthesizeRestoreDefinition(config: unknown): StateMachineDefinition {
  return synthesizeStack(config).restore;
}

/** Resolves the few intrinsics a definition string holds (Fn::Join, Fn::GetAtt, Ref) into local stand-ins. */
function resolveIntrinsics(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as Record<string, unknown>;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map(resolveIntrinsics).join(separator);
  }
  if ('Fn::GetAtt' in node) {
    const [logicalId] = node['Fn::GetAtt'] as [string];
    return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
  }
  if ('Ref' in node) {
    const ref = node.Ref as string;
    return ref === 'AWS::Partition' ? 'aws' : ref === 'AWS::Region' ? LOCAL_REGION : ref === 'AWS::AccountId' ? LOCAL_ACCOUNT : ref;
  }
  throw new Error(`unexpected intrinsic in the state machine definition: ${JSON.stringify(node).slice(0, 200)}`);
}

export interface LocalEndpoints {
  /** AWS Secrets Manager itself (default credential chain and region) when absent. */
  readonly secretsManager?: string;
  /** Amazon SES itself (default credential chain and region) when absent. */
  readonly ses?: string;
  /** Where the action steps publish rotation events; a throwaway emulator for this run when absent. */
  readonly eventBridge?: string;
  /** S3 endpoint and bucket for the run's inventory report; a private emulator is started when absent. */
  readonly s3?: { readonly endpoint: string; readonly bucket: string };
}

export interface LocalRunOptions {
  readonly definition: StateMachineDefinition;
  /** The rotator config, exactly as the stack would get it (validated by the handlers). */
  readonly config: unknown;
  readonly endpoints: LocalEndpoints;
  readonly adminSecretId: string;
  readonly input?: Record<string, unknown>;
  /** Simulated current time of the run (local runs only). */
  readonly now?: Date;
  readonly executionName?: string;
  /** PEM trusted for APIC, put into the config file as `apicCaBundle` (which it replaces). */
  readonly caBundle?: string;
  /** Every state's input and output as JSON text, for checks that no secret travels between states. */
  readonly recordPayloads?: (payload: string) => void;
  /**
   * Receives every line the handlers log (Powertools JSON logs and metrics) instead of stdout, so local runs can be
   * shown, stored or scanned for secrets. Default: dropped.
   */
  readonly onLogLine?: (line: string) => void;
  /** Called as each state is entered, with its name (progress display, crash plans). */
  readonly onStateEntered?: (stateName: string) => void;
  /**
   * The timeout every step's Lambda context counts its remaining time from.
   * @default 15 minutes, Lambda's longest: local runs are slower than Lambda (emulators, simulated latency)
   */
  readonly lambdaTimeoutMs?: number;
  /**
   * Receives every AWS SDK call a handler makes, with the step that made it (the IAM check by use). A recorded run
   * gives each step ports of its own, as each step is a function of its own in Lambda: every step then makes its own
   * first calls (such as reading the admin secret) instead of finding another step's result cached.
   */
  readonly onSdkCall?: (call: StepSdkCall) => void;
}

/** An AWS SDK call and the step whose handler made it. */
export interface StepSdkCall extends SdkCall {
  readonly step: StepId;
}

/** The step invocation a handler's code runs in: its SDK calls are told apart by it, even when maps run steps side by side. */
const invocation = new AsyncLocalStorage<{ readonly step: StepId; readonly onSdkCall?: (call: StepSdkCall) => void }>();
observeSdkCalls((call) => {
  const current = invocation.getStore();
  current?.onSdkCall?.({ ...call, step: current.step });
});
partitionPorts(() => {
  const current = invocation.getStore();
  return current?.onSdkCall ? current.step : undefined;
});


export interface LocalRunResult<Summary = RunSummary> {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly summary?: Summary;
  readonly error?: string;
  /** States entered: what Step Functions bills as state transitions. */
  readonly transitions: number;
  readonly taskInvocations: number;
}

const LONGEST_LAMBDA_TIMEOUT_MS = 15 * 60 * 1000;

function lambdaContext(step: StepId, executionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: step,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${step}`,
    memoryLimitInMB: String(STEPS[step].memoryMb),
    awsRequestId: `${executionName}-${randomUUID()}`,
    logGroupName: `/aws/lambda/${step}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * Runs started side by side (one local environment, `Promise.all`) share one process environment: the first run sets
 * it and the last one to end puts it back. Runs at the same time must therefore use the same endpoints.
 */
let environmentUsers = 0;
let savedEnvironment: Record<string, string | undefined> = {};

function applyEnvironment(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

async function withEnvironment<T>(variables: Record<string, string | undefined>, body: () => Promise<T>): Promise<T> {
  if (environmentUsers === 0) savedEnvironment = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  environmentUsers += 1;
  applyEnvironment(variables);
  try {
    return await body();
  } finally {
    environmentUsers -= 1;
    if (environmentUsers === 0) applyEnvironment(savedEnvironment);
  }
}

/** The log listeners of the runs going on; the streams are patched while there is one. */
const logListeners = new Set<(line: string) => void>();
let restoreStreams: (() => void) | undefined;

function patchStreams(): () => void {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    const write = originals[index] as (...args: unknown[]) => boolean;
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (!text.startsWith('{')) return write(chunk, ...rest);
      for (const line of text.split('\n')) if (line) for (const listener of logListeners) listener(line);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  return () =>
    streams.forEach((stream, index) => {
      stream.write = originals[index] as typeof stream.write;
    });
}

/**
 * Powertools writes JSON lines to stdout (and errors to stderr); those go to `onLogLine`. Anything else, such as the
 * caller's own progress output, passes through. Runs going on side by side each get every JSON line (their handlers
 * share one process, so a line cannot be told apart by run).
 */
async function withCapturedLogs<T>(onLogLine: (line: string) => void, body: () => Promise<T>): Promise<T> {
  const listener = (line: string) => onLogLine(line);
  logListeners.add(listener);
  restoreStreams ??= patchStreams();
  try {
    return await body();
  } finally {
    logListeners.delete(listener);
    if (logListeners.size === 0) {
      restoreStreams?.();
      restoreStreams = undefined;
    }
  }
}

/** Where local runs keep their config files: the same file a deployed function reads from its asset. */
const LOCAL_CONFIG_DIRECTORY = join(tmpdir(), 'apic-rotator-local-config');

/** Writes the run's config file as the construct does (the handlers validate it); returns its path. */
function writeLocalConfigFile(options: LocalRunOptions): string {
  const withCaBundle =
    options.caBundle !== undefined && typeof options.config === 'object' && options.config !== null
      ? { ...(options.config as Record<string, unknown>), apicCaBundle: options.caBundle }
      : options.config;
  return writeRotatorConfigFile(LOCAL_CONFIG_DIRECTORY, withCaBundle);
}

/** Runs a rotation definition (from `synthesizeDefinition`). */
export async function runWorkflowLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  return runDefinitionLocally<RunSummary>(options, await taskHandlers('rotation'));
}

/** Runs a restore definition (from `synthesizeRestoreDefinition`); `options.now` does not apply to a restore. */
export async function runRestoreLocally(options: Omit<LocalRunOptions, 'now'>): Promise<LocalRunResult<RestoreSummary>> {
  return runDefinitionLocally<RestoreSummary>(options, await taskHandlers('restore'));
}

/** Runs any definition whose task states `tasks` names; the execution output is returned as the summary. */
export async function runDefinitionLocally<Summary>(options: LocalRunOptions, tasks: TaskHandlers): Promise<LocalRunResult<Summary>> {
  const executionName = options.executionName ?? `local-${randomUUID()}`;
  const input = { ...(options.input ?? {}), ...(options.now ? { now: options.now.toISOString() } : {}) };
  let taskInvocations = 0;
  const taskResourceLocalHandlers = Object.fromEntries(
    Object.entries(tasks).map(([stateName, { step, handler }]) => [
      stateName,
      async (event: unknown) => {
        taskInvocations += 1;
        return (await invocation.run({ step, ...(options.onSdkCall ? { onSdkCall: options.onSdkCall } : {}) }, () =>
          handler(event, lambdaContext(step, executionName, options.lambdaTimeoutMs ?? LONGEST_LAMBDA_TIMEOUT_MS)),
        )) as never;
      },
    ]),
  );
  const ownEventBridge = options.endpoints.eventBridge === undefined ? await startEventBridgeEmulator() : undefined;
  const ownS3 = options.endpoints.s3 === undefined ? await startS3Emulator() : undefined;
  ownS3?.createBucket(LOCAL_REPORT_BUCKET);
  const s3 = options.endpoints.s3 ?? { endpoint: ownS3?.endpoint ?? '', bucket: LOCAL_REPORT_BUCKET };
  // Loopback services take any credentials; real AWS services need the caller's own, from the default chain.
  const reachesAws = options.endpoints.secretsManager === undefined || options.endpoints.ses === undefined;
  const environment = {
    [ROTATOR_CONFIG_FILE_VARIABLE]: writeLocalConfigFile(options),
    ADMIN_SECRET_ID: options.adminSecretId,
    // As the construct sets it: credential secrets name the rotator's key.
    SECRET_KMS_KEY_ID: LOCAL_ENCRYPTION_KEY_ARN,
    ALLOW_CLOCK_OVERRIDE: 'true',
    AWS_REGION: reachesAws ? process.env.AWS_REGION : LOCAL_REGION,
    AWS_ACCESS_KEY_ID: reachesAws ? process.env.AWS_ACCESS_KEY_ID : 'local',
    AWS_SECRET_ACCESS_KEY: reachesAws ? process.env.AWS_SECRET_ACCESS_KEY : 'local',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: options.endpoints.secretsManager,
    AWS_ENDPOINT_URL_SES: options.endpoints.ses,
    AWS_ENDPOINT_URL_EVENTBRIDGE: options.endpoints.eventBridge ?? ownEventBridge?.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    REPORT_BUCKET: s3.bucket,
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
  return withEnvironment<LocalRunResult<Summary>>(environment, () => withCapturedLogs(options.onLogLine ?? (() => undefined), async () => {
    const machine = new StateMachine(options.definition, { validationOptions: { checkArn: false } });
    const execution = machine.run(input, {
      overrides: {
        taskResourceLocalHandlers,
        // Retries still happen, without the production back-off waits.
        retryIntervalOverrides: Object.fromEntries(Object.keys(tasks).map((name) => [name, 0])),
      },
      context: {
        Execution: {
          Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:local:${executionName}`,
          Name: executionName,
          Input: input,
          StartTime: new Date().toISOString(),
        },
      },
    });
    let transitions = 0;
    const watching = (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          transitions += 1;
          options.onStateEntered?.(event.state.name);
        }
        if (options.recordPayloads && 'state' in event) {
          options.recordPayloads(JSON.stringify(event.state.input));
          if (event.state.output !== undefined) options.recordPayloads(JSON.stringify(event.state.output));
        }
        if (options.recordPayloads && (event.type === 'ExecutionFailed' || event.type === 'StateFailed')) {
          options.recordPayloads(`${event.Error} ${String(event.Cause)}`);
        }
      }
    })();
    try {
      const summary = (await execution.result) as unknown as Summary;
      await watching;
      return { status: 'SUCCEEDED', summary, transitions, taskInvocations };
    } catch (error) {
      await watching.catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      return { status: 'FAILED', error: message, transitions, taskInvocations };
    }
  })).finally(() => Promise.all([ownEventBridge?.close(), ownS3?.close()]));
}
