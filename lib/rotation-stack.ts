import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
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

    const stateMachineArn = this.rotator.stateMachine.stateMachineArn;
    new CfnOutput(this, 'StateMachineArn', { description: 'Start a manual run here', value: stateMachineArn });
    new CfnOutput(this, 'EncryptionKeyArn', { description: 'Key of the credential secrets and logs', value: this.rotator.encryptionKey.keyArn });
    new CfnOutput(this, 'StateMachineConsoleUrl', {
      description: 'Executions of the rotation state machine',
      value: `https://${this.region}.console.aws.amazon.com/states/home?region=${this.region}#/statemachines/view/${stateMachineArn}`,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'Runs, rotated credentials, failed apps and notices at a glance',
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.rotator.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'EventBusName', {
      description: 'Bus of the Replacement Ready and Old Credential Removed events (source apic.credential-rotator)',
      value: this.rotator.eventBus.eventBusName,
    });
  }
}
