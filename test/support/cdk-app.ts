/**
 * A CDK app for the construct tests, with the feature flags of cdk.json (every context key but the `rotator`
 * config), so the tests synthesize what `cdk synth` and `cdk deploy` do, and without bundling the Lambdas.
 */
import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';

function cdkJsonFeatureFlags(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context?: Record<string, unknown> };
  return Object.fromEntries(Object.entries(cdkJson.context ?? {}).filter(([key]) => key !== 'rotator'));
}

export const CDK_JSON_FEATURE_FLAGS: Readonly<Record<string, unknown>> = cdkJsonFeatureFlags();

export function testApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...CDK_JSON_FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [], ...props.context } });
}
