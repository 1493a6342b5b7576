/**
 * A CDK app for the construct tests, with the feature flags of cdk.json (every context key but the `rotator`
 * config), so the tests synthesize what `cdk synth` and `cdk deploy` do, and without bundling the Lambdas.
 */
import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';
import type { RotatorConfigInput } from '../../functions/domain/config';

function cdkJsonFeatureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(cdkJson.context ?? {}).filter(([key]) => key !== 'rotator'));
}

export const CDK_JSON_FEATURE_FLAGS: Readonly<Record<string, unknown>> = cdkJsonFeatureFlags();

export function testApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...CDK_JSON_FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [], ...props.context } });
}

/** The account and region the construct tests synthesize for. */
export const TEST_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/** The smallest valid rotator config: one catalog, the APIC endpoint and the sender of the notices. */
export const MINIMAL_CONFIG = {
  targets: [{ providerOrg: 'acme', catalog: 'production' }],
  apicBaseUrl: 'https://apic.example.com/api',
  notificationSender: 'rotation@example.com',
} satisfies RotatorConfigInput;
