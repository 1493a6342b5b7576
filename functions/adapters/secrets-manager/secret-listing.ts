import { ListSecretsCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretListingPort, SecretNamePage } from '../../domain/ports';
import { SecretStoreError } from './secret-store';

/** Secret names by prefix through ListSecrets, which returns names and tags only, never values. */
export class SecretsManagerSecretListing implements SecretListingPort {
  constructor(private readonly client: SecretsManagerClient) {}

  async listSecretNames(namePrefix: string, maxResults: number, nextToken?: string): Promise<SecretNamePage> {
    try {
      const page = await this.client.send(
        new ListSecretsCommand({
          Filters: [{ Key: 'name', Values: [namePrefix] }],
          MaxResults: maxResults,
          ...(nextToken !== undefined && { NextToken: nextToken }),
        }),
      );
      const names = (page.SecretList ?? []).flatMap((entry) => (entry.Name === undefined ? [] : [entry.Name]));
      return { names, ...(page.NextToken !== undefined && { nextToken: page.NextToken }) };
    } catch (error) {
      throw SecretStoreError.wrap('ListSecrets', `${namePrefix}*`, error);
    }
  }
}
