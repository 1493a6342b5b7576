/**
 * The secret scan: every secret the world issued (APIC client secrets, tokens and admin secrets the simulator
 * handed out, every client secret stored in Secrets Manager) searched for in everything the rotator said
 * (logs, state payloads, summaries, errors) and in every mail it sent.
 */
import type { RotationWorld } from './crash-plan';

export interface SecretScan {
  readonly secretsSearched: number;
  readonly textsSearched: number;
  /** Where a secret was found, never the secret itself. */
  readonly hits: string[];
}

export function secretsOf(world: RotationWorld): string[] {
  const stored = world.secretsManager.inspect.secretNames().flatMap((name) =>
    world.secretsManager.inspect.versions(name).flatMap((version) => {
      if (version.value === undefined) return [];
      const value = JSON.parse(version.value) as { client_secret?: unknown; clientSecret?: unknown; password?: unknown };
      return [value.client_secret, value.clientSecret, value.password].filter((v): v is string => typeof v === 'string');
    }),
  );
  return [...new Set([...world.apic.issuedSecrets(), ...stored])];
}

export async function textsOf(world: RotationWorld): Promise<string[]> {
  const mails = await world.ses.emails();
  return [...world.evidence, ...mails.map((mail) => JSON.stringify(mail))];
}

export function scanTexts(texts: readonly string[], secrets: readonly string[]): SecretScan {
  const hits: string[] = [];
  secrets.forEach((secret, secretIndex) => {
    texts.forEach((text, textIndex) => {
      const at = text.indexOf(secret);
      if (at >= 0) hits.push(`secret #${secretIndex} in text #${textIndex} at ${at}: ${text.replaceAll(secret, '<secret>').slice(0, 160)}`);
    });
  });
  return { secretsSearched: secrets.length, textsSearched: texts.length, hits };
}

export async function scanWorld(world: RotationWorld): Promise<SecretScan> {
  return scanTexts(await textsOf(world), secretsOf(world));
}
