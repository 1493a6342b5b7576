import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

let cached: { key: string; client: SecretsManagerClient } | undefined;

/**
 * A Secrets Manager client configured by the SDK's standard environment (region, endpoint), built once per
 * environment: a warm Lambda reuses it, a local run that points the environment elsewhere gets a new one.
 */
export function secretsManagerFromEnvironment(wrap: (client: SecretsManagerClient) => SecretsManagerClient = (client) => client): SecretsManagerClient {
  const key = JSON.stringify(['AWS_REGION', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL'].map((name) => process.env[name]));
  if (cached?.key !== key) {
    cached?.client.destroy();
    cached = { key, client: wrap(new SecretsManagerClient({})) };
  }
  return cached.client;
}
