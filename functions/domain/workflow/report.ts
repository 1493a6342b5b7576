import type { ApicPort, ReportStorePort } from '../ports';
import { buildReport, ownerKey } from '../report';
import { MAX_LISTED_PLANNED } from './summary';
import type { BuildReportInput, RunContext, RunSummary } from './types';

export interface BuildReportDeps {
  readonly apic: ApicPort;
  readonly reports: ReportStorePort;
  readonly reportBucket: string;
}

/** Owner e-mails, one paged listing per catalog: the join that turns the parts into the inventory report. */
async function ownerEmails(apic: ApicPort, run: RunContext): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const target of run.targets) {
    for (const org of await apic.listConsumerOrgs(target)) {
      if (org.ownerEmail) owners.set(ownerKey({ ...target, consumerOrg: org.name }), org.ownerEmail);
    }
  }
  return owners;
}

/** The BuildReport step: writes the run's inventory report (CSV, JSON, manifest) and says where in the summary. */
export async function buildRunReport(deps: BuildReportDeps, input: BuildReportInput): Promise<RunSummary> {
  const { run, summary } = input;
  const built = await buildReport(deps.reports, {
    runId: run.runId,
    runDate: run.now.slice(0, 10),
    dryRun: run.dryRun,
    owners: await ownerEmails(deps.apic, run),
    summary: { ...summary },
    failedApps: summary.failures,
    listRowsWithAction: run.dryRun ? MAX_LISTED_PLANNED : 0,
  });
  const planned = built.firstRowsWithAction.map(({ consumerOrg, app, credential, action }) => ({ consumerOrg, app, credential, action }));
  return {
    ...summary,
    ...(run.dryRun && { planned, plannedNotListed: built.rowsWithAction - planned.length }),
    report: {
      bucket: deps.reportBucket,
      csvKey: built.keys.csvKey,
      jsonKey: built.keys.jsonKey,
      manifestKey: built.keys.manifestKey,
      rows: built.rowCount,
    },
  };
}
