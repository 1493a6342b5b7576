import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { parseRotatorConfig } from '../functions/domain/config';
import { CredentialRotator } from './credential-rotator';

export type RotationStackProps = StackProps & {
  /** Raw config (from `cdk.json` or a file); parsed here, so a bad one fails before any resource exists. */
  readonly config: unknown;
};

/** Deploys one `CredentialRotator` and prints where to find it. */
export class RotationStack extends Stack {
  public readonly rotator: CredentialRotator;

  constructor(scope: Construct, id: string, props: RotationStackProps) {
    const { config, ...stackProps } = props;
    const rotatorConfig = parseRotatorConfig(config);
    super(scope, id, stackProps);
    this.rotator = new CredentialRotator(this, 'Rotator', { config: rotatorConfig });

    const { rotator } = this;
    const consoleHome = `https://${this.region}.console.aws.amazon.com`;
    const stateMachineOutputs = (idPrefix: string, stateMachine: sfn.StateMachine, workflow: string, started: string) => {
      new CfnOutput(this, `${idPrefix}Arn`, { description: `Start ${started} here`, value: stateMachine.stateMachineArn });
      new CfnOutput(this, `${idPrefix}ConsoleUrl`, {
        description: `Executions of the ${workflow} state machine`,
        value: `${consoleHome}/states/home?region=${this.region}#/statemachines/view/${stateMachine.stateMachineArn}`,
      });
    };
    stateMachineOutputs('StateMachine', rotator.stateMachine, 'rotation', 'a manual rotation run');
    stateMachineOutputs('RestoreStateMachine', rotator.restoreStateMachine, 'restore', 'a restore after an API Manager rebuild (dry run by default)');
    new CfnOutput(this, 'EncryptionKeyArn', { description: 'Key of the credential secrets, logs, reports and alarm topic', value: rotator.encryptionKey.keyArn });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Every alarm notifies this topic; subscribe more recipients here', value: rotator.alarmTopic.topicArn });
    new CfnOutput(this, 'ReportBucketName', { description: 'Run reports, under reports/<date>/<run>/', value: rotator.reportBucket.bucketName });
    new CfnOutput(this, 'DashboardName', { description: 'The rotator dashboard', value: rotator.dashboard.dashboardName });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'Runs, rotated credentials, failed apps and notices at a glance',
      value: `${consoleHome}/cloudwatch/home?region=${this.region}#dashboards/dashboard/${rotator.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'Bus of the Replacement Ready and Old Credential Removed events (source apic.credential-rotator)',
      value: rotator.eventBus.eventBusName,
    });
  }
}
