import { unlessNotFound } from '../apic/lookups';
import type { ApicApp } from '../model';
import type { ApicPort, CredentialSecretLocator, ReportStorePort, SecretStorePort, StoredCredentialState } from '../ports';
import { assessApp as decide, candidateBaseNames, resolvePolicy, type AppAssessment } from '../policy';
import { postRunReportRows } from '../report';
import type { AppContext, Assessment, RunContext, WorkItem } from './types';

export interface AssessDeps {
  readonly apic: ApicPort;
  readonly store: SecretStorePort;
  readonly reports: ReportStorePort;
}

export interface AppStateReading {
  readonly context: AppContext;
  readonly app?: ApicApp;
  readonly assessment: AppAssessment;
}

export function appContextOf(run: RunContext, item: WorkItem): AppContext {
  const target = run.targets[item.targetIndex];
  if (!target) throw new RangeError(`work item names target ${item.targetIndex}, but the run has ${run.targets.length}`);
  return { ...target, consumerOrg: item.consumerOrg, app: item.app, targetIndex: item.targetIndex };
}

export function secretLocator(app: AppContext, credential: string): CredentialSecretLocator {
  return {
    providerOrg: app.providerOrg,
    catalog: app.catalog,
    consumerOrg: app.consumerOrg,
    app: app.app,
    credential,
  };
}

/**
 * Whether APIC accepts the pair consumers read (AWSCURRENT) on the credential holding its client id: a person may
 * have reset the secret in the UI, so decisions never rest on client-id equality alone.
 */
async function currentSecretAccepted(deps: AssessDeps, context: AppContext, base: string, credentialId: string): Promise<boolean> {
  const current = await deps.store.readCurrent(secretLocator(context, base));
  return current !== undefined && (await deps.apic.verifyClientSecret(context, credentialId, current));
}

/** Reads one app from APIC and what the secret store knows of it, and applies the policy. */
export async function readAppState(deps: AssessDeps, run: RunContext, item: WorkItem): Promise<AppStateReading> {
  const context = appContextOf(run, item);
  // An app deleted since the scan has nothing left to rotate.
  const app = await unlessNotFound(deps.apic.getApp(context));
  const settings = resolvePolicy(run, item.consumerOrg);
  const store = new Map<string, StoredCredentialState>();
  const verifiedCurrent = new Map<string, boolean>();
  if (app && !('exempt' in settings)) {
    const bases = new Set([
      ...candidateBaseNames(app.credentials, run.policy.replacementSuffix),
      // A person may have deleted a replacement and renamed its original: that secret still hands consumers a pair.
      ...(await deps.store.storedCredentialBases(context)),
    ]);
    for (const base of [...bases].sort()) {
      const state = await deps.store.describe(secretLocator(context, base));
      store.set(base, state);
      const holder = app.credentials.find((credential) => credential.clientId === state.current?.clientId);
      if (holder) verifiedCurrent.set(base, await currentSecretAccepted(deps, context, base, holder.id));
    }
  }
  const named = (run.emergency?.credentials ?? [])
    .filter((entry) => entry.consumerOrg === item.consumerOrg && entry.app === item.app)
    .map((entry) => entry.credential);
  const emergency = run.emergency && named.length > 0 ? { credentials: named, graceHours: run.emergency.graceHours, confirmRevoke: run.emergency.confirmRevoke } : undefined;
  const assessment = app
    ? decide({ app, store, verifiedCurrent, now: new Date(run.now), settings, ownerEmailKnown: true, ...(emergency && { emergency }) })
    : { actions: [], credentials: [] };
  return { context, app, assessment };
}

/**
 * The AssessApp step: the actions for one app, with the owner's e-mail when a notice will be queued. The app's
 * credentials go into the run's inventory report as this run leaves them (or, in a dry run, would leave them).
 */
export async function assessApp(deps: AssessDeps, run: RunContext, item: WorkItem): Promise<Assessment> {
  const { context, app, assessment } = await readAppState(deps, run, item);
  if (app) {
    const target = { providerOrg: context.providerOrg, catalog: context.catalog };
    // The rows show the app as the plan leaves it (see postRunReportRows); BuildReport marks apps whose actions failed.
    const settings = resolvePolicy(run, item.consumerOrg);
    const rows = postRunReportRows({ target, app, assessment, now: new Date(run.now), settings });
    await deps.reports.putPart(run.runId, `app/${item.targetIndex}/${item.consumerOrg}/${item.app}`, rows);
  }
  const needsOwner = assessment.actions.some((action) => action.kind === 'queue-notice');
  const ownerEmail = needsOwner
    ? (await deps.apic.getConsumerOrg(context, context.consumerOrg)).ownerEmail
    : undefined;
  const plan = assessment.actions.map(({ kind }) => ({ kind }));
  return { app: ownerEmail ? { ...context, ownerEmail } : context, actions: assessment.actions, plan };
}
