/**
 * Everything a local run needs on loopback: the APIC simulator, the Secrets Manager and SES emulators, the admin
 * secret stored where the handlers read it, and the synthesized definition, wired to run the workflow by date.
 */
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { startApicSimulator, type ApicSimulator, type SimulatorOptions, type SimulatorSnapshot } from '../apic-simulator';
import { startEventBridgeEmulator, type EventBridgeEmulator, type EventBridgeSnapshot } from '../emulators/eventbridge/emulator';
import { startSecretsManagerEmulator, type SecretsManagerEmulator, type SecretsManagerSnapshot } from '../emulators/secrets-manager/emulator';
import { startS3Emulator, type S3Emulator, type S3EmulatorOptions, type S3Snapshot } from '../emulators/s3/emulator';
import { startSesEmulator, type SesEmulator, type SesSnapshot } from '../emulators/ses/emulator';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { RestoreSummary } from '../../functions/domain/restore';
import {
  LOCAL_REPORT_BUCKET,
  runRestoreLocally,
  runWorkflowLocally,
  synthesizeDefinition,
  synthesizeRestoreDefinition,
  type LocalRunOptions,
  type LocalRunResult,
} from './workflow-runner';

export const LOCAL_ADMIN_SECRET_ID = 'apic-rotator-admin';

export interface LocalEnvironmentOptions {
  readonly simulator?: SimulatorOptions;
  /** Seeds the Secrets Manager emulator's ARN suffixes, for reproducible runs. */
  readonly randomSeed?: number;
  /** Config fields over the local defaults (targets default to every catalog seeded). */
  readonly config?: Record<string, unknown>;
  readonly recordSecretsManagerRequests?: boolean;
  /** How the S3 emulator plays the caller (e.g. a ListBucket grant limited to some prefixes). @default - it may list the whole bucket */
  readonly s3?: S3EmulatorOptions;
}

export type LocalEnvironmentRunOptions = Omit<LocalRunOptions, 'definition' | 'config' | 'endpoints' | 'adminSecretId'> & {
  /** The config the handlers get for this run instead of the stack's (the definition stays): bad-config tests. */
  readonly config?: unknown;
};

export type LocalEnvironmentRestoreOptions = Omit<LocalRunOptions, 'now' | 'definition' | 'config' | 'endpoints' | 'adminSecretId'> & {
  /** Replaces the restore definition of the stack's config for this run (e.g. with smaller segments). */
  readonly definition?: StateMachineDefinition;
};

export interface LocalEnvironment {
  readonly apic: ApicSimulator;
  readonly secretsManager: SecretsManagerEmulator;
  readonly ses: SesEmulator;
  /** Receives the rotation events the action steps publish. */
  readonly eventBridge: EventBridgeEmulator;
  /** Holds the inventory reports in bucket `LOCAL_REPORT_BUCKET`. */
  readonly s3: S3Emulator;
  readonly config: Record<string, unknown>;
  readonly secretsManagerClient: SecretsManagerClient;
  run(options: LocalEnvironmentRunOptions): Promise<LocalRunResult>;
  /** Runs the restore state machine of the stack's config against the stack. */
  runRestore(options: LocalEnvironmentRestoreOptions): Promise<LocalRunResult<RestoreSummary>>;
  /** A deep copy of what the simulator and every emulator hold (see their `snapshot()`), as plain data. */
  snapshot(): Promise<LocalEnvironmentSnapshot>;
  /**
   * Puts a deep copy of `snapshot` (possibly another stack's) into the simulator and every emulator. The endpoints and
   * the config stay this stack's; the admin secret and the simulator's admin credentials both come from the snapshot.
   */
  restore(snapshot: LocalEnvironmentSnapshot): void;
  close(): Promise<void>;
}

export interface LocalEnvironmentSnapshot {
  readonly apic: SimulatorSnapshot;
  readonly secretsManager: SecretsManagerSnapshot;
  readonly ses: SesSnapshot;
  readonly eventBridge: EventBridgeSnapshot;
  readonly s3: S3Snapshot;
}

export function localSdkConfig(endpoint: string) {
  return { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export async function startLocalEnvironment(options: LocalEnvironmentOptions = {}): Promise<LocalEnvironment> {
  const apic = await startApicSimulator(options.simulator);
  const secretsManager = await startSecretsManagerEmulator({
    recordRequests: options.recordSecretsManagerRequests ?? true,
    ...(options.randomSeed === undefined ? {} : { randomSeed: options.randomSeed }),
  });
  const ses = await startSesEmulator();
  const eventBridge = await startEventBridgeEmulator();
  const s3 = await startS3Emulator(options.s3);
  s3.createBucket(LOCAL_REPORT_BUCKET);
  const secretsManagerClient = new SecretsManagerClient(localSdkConfig(secretsManager.endpoint));
  await secretsManagerClient.send(
    new CreateSecretCommand({ Name: LOCAL_ADMIN_SECRET_ID, SecretString: JSON.stringify(apic.admin) }),
  );
  const targets = (options.simulator?.seed?.catalogs ?? []).map(({ providerOrg, catalog }) => ({ providerOrg, catalog }));
  const config = {
    targets,
    apicBaseUrl: apic.baseUrl,
    adminSecretName: LOCAL_ADMIN_SECRET_ID,
    notificationSender: 'apic-rotation@example.com',
    ...options.config,
  };
  const definition = synthesizeDefinition(config);
  const endpoints = {
    secretsManager: secretsManager.endpoint,
    ses: ses.endpoint,
    eventBridge: eventBridge.endpoint,
    s3: { endpoint: s3.endpoint, bucket: LOCAL_REPORT_BUCKET },
  };
  return {
    apic,
    secretsManager,
    ses,
    eventBridge,
    s3,
    config,
    secretsManagerClient,
    run: (runOptions) =>
      runWorkflowLocally({
        ...runOptions,
        definition,
        config: runOptions.config ?? config,
        endpoints,
        adminSecretId: LOCAL_ADMIN_SECRET_ID,
      }),
    runRestore: (restoreOptions) =>
      runRestoreLocally({
        ...restoreOptions,
        definition: restoreOptions.definition ?? synthesizeRestoreDefinition(config),
        config,
        endpoints,
        adminSecretId: LOCAL_ADMIN_SECRET_ID,
      }),
    snapshot: async () => ({
      apic: apic.snapshot(),
      secretsManager: secretsManager.snapshot(),
      ses: await ses.snapshot(),
      eventBridge: eventBridge.snapshot(),
      s3: s3.snapshot(),
    }),
    restore: (snapshot) => {
      apic.restore(snapshot.apic);
      secretsManager.restore(snapshot.secretsManager);
      ses.restore(snapshot.ses);
      eventBridge.restore(snapshot.eventBridge);
      s3.restore(snapshot.s3);
    },
    close: async () => {
      secretsManagerClient.destroy();
      await Promise.all([apic.close(), secretsManager.close(), ses.close(), eventBridge.close(), s3.close()]);
    },
  };
}
