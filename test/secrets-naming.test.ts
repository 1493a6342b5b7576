import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SECRET_NAME_LENGTH, SecretNameError, parseSecretName, secretNameFor, tagValue } from '../functions/domain/secrets';
import type { CredentialSecretLocator } from '../functions/domain/ports';

const locator: CredentialSecretLocator = { providerOrg: 'acme', catalog: 'prod', consumerOrg: 'Big Bank', app: 'pay/ments', credential: 'ünïcode+key' };

describe('secretNameFor', () => {
  it('keeps safe characters and encodes every other UTF-8 byte as +XX', () => {
    expect(secretNameFor('apic-rotator', locator)).toBe('apic-rotator/acme/prod/Big+20Bank/pay+2Fments/+C3+BCn+C3+AFcode+2Bkey');
  });

  it('round-trips names with spaces, slashes, plus signs and unicode', () => {
    const name = secretNameFor('team/rotator', locator);
    expect(parseSecretName('team/rotator', name)).toEqual(locator);
  });

  it('is injective and reversible for arbitrary segments', () => {
    const segment = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(fc.tuple(segment, segment, segment, segment, segment), fc.tuple(segment, segment, segment, segment, segment), (left, right) => {
        const [a, b] = [left, right].map(([providerOrg, catalog, consumerOrg, app, credential]) => ({ providerOrg, catalog, consumerOrg, app, credential }));
        if (!a || !b) return;
        // Encoded names may pass Secrets Manager's 512-character limit; those are refused, never truncated.
        const nameOrRefusal = (locator: typeof a) => {
          try {
            return secretNameFor('p', locator);
          } catch (error) {
            expect(error).toBeInstanceOf(SecretNameError);
            return undefined;
          }
        };
        const nameA = nameOrRefusal(a);
        if (nameA === undefined) return;
        expect(nameA).toMatch(/^[A-Za-z0-9/_+=.@-]+$/);
        expect(parseSecretName('p', nameA)).toEqual(a);
        if (JSON.stringify(a) !== JSON.stringify(b)) expect(nameOrRefusal(b)).not.toBe(nameA);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses names longer than 512 characters with a SecretNameError', () => {
    const long = { ...locator, credential: 'x'.repeat(MAX_SECRET_NAME_LENGTH) };
    expect(() => secretNameFor('apic-rotator', long)).toThrow(SecretNameError);
    expect(() => secretNameFor('apic-rotator', long)).toThrow(/512/);
  });

  it('refuses a prefix outside the secret-name charset', () => {
    expect(() => secretNameFor('bad prefix', locator)).toThrow(SecretNameError);
    expect(() => secretNameFor('trailing/', locator)).toThrow(SecretNameError);
  });
});

describe('parseSecretName', () => {
  it('rejects names outside the prefix, with the wrong segment count, or with non-canonical escapes', () => {
    expect(parseSecretName('apic-rotator', 'other/acme/prod/org/app/cred')).toBeUndefined();
    expect(parseSecretName('apic-rotator', 'apic-rotator/acme/prod/org/app')).toBeUndefined();
    expect(parseSecretName('apic-rotator', 'apic-rotator/acme/prod/org/app/+41')).toBeUndefined();
    expect(parseSecretName('apic-rotator', 'apic-rotator/acme/prod/org/app/+2b')).toBeUndefined();
    expect(parseSecretName('apic-rotator', 'apic-rotator/acme/prod/org/app/+FF')).toBeUndefined();
  });
});

describe('tagValue', () => {
  it('replaces characters outside the AWS tag charset and keeps letters of any script', () => {
    expect(tagValue('Zürich #1, "quoted"; ok:/=+-@_.')).toBe('Zürich _1_ _quoted__ ok:/=+-@_.');
  });

  it('cuts to 256 UTF-16 units without splitting a surrogate pair', () => {
    expect(tagValue('a'.repeat(300))).toHaveLength(256);
    const emojiLetters = `${'a'.repeat(255)}𝒜`;
    expect(tagValue(emojiLetters)).toBe('a'.repeat(255));
  });
});
