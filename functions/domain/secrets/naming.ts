/**
 * Secret names and tag values. Each locator segment keeps `[A-Za-z0-9_.@-]` and writes every other byte of its
 * UTF-8 form as `+XX`: `+` is itself escaped and `/` never survives, so distinct locators get distinct names and
 * the name parses back to the locator.
 */
import type { CredentialSecretLocator } from '../ports';

/** AWS limit on secret names. */
export const MAX_SECRET_NAME_LENGTH = 512;
const MAX_TAG_VALUE_LENGTH = 256;
const KEPT_BYTE = /^[A-Za-z0-9_.@-]$/;
const PREFIX_PATTERN = /^[A-Za-z0-9_+=.@-]+(\/[A-Za-z0-9_+=.@-]+)*$/;
const TAG_DISALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu;

export class SecretNameError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretNameError';
  }
}

const SEGMENTS = ['providerOrg', 'catalog', 'consumerOrg', 'app', 'credential'] as const;

export function encodeSegment(segment: string): string {
  let encoded = '';
  for (const byte of Buffer.from(segment, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += KEPT_BYTE.test(char) ? char : `+${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Undefined unless `encoded` is exactly what `encodeSegment` produces for some string. */
export function decodeSegment(encoded: string): string | undefined {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; ) {
    const char = encoded.charAt(i);
    if (char === '+') {
      const hex = encoded.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return undefined;
      bytes.push(parseInt(hex, 16));
      i += 3;
    } else {
      if (!KEPT_BYTE.test(char)) return undefined;
      bytes.push(char.charCodeAt(0));
      i += 1;
    }
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // Reject non-canonical spellings such as `+41` for `A`, so each name belongs to one locator only.
  return encodeSegment(decoded) === encoded ? decoded : undefined;
}

export function assertValidPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new SecretNameError(`Secret name prefix '${prefix}' must be non-empty path segments of [A-Za-z0-9_+=.@-] separated by '/'`);
  }
}

export function secretNameFor(prefix: string, locator: CredentialSecretLocator): string {
  assertValidPrefix(prefix);
  const name = [prefix, ...SEGMENTS.map((segment) => encodeSegment(locator[segment]))].join('/');
  if (name.length > MAX_SECRET_NAME_LENGTH) {
    throw new SecretNameError(
      `Secret name for credential '${locator.credential}' of app '${locator.app}' in consumer org '${locator.consumerOrg}' ` +
        `would be ${name.length} characters; Secrets Manager allows ${MAX_SECRET_NAME_LENGTH}. Use a shorter prefix or shorter APIC names.`,
    );
  }
  return name;
}

/** The locator a name was made from, or undefined when the name is not a rotator secret under `prefix`. */
export function parseSecretName(prefix: string, name: string): CredentialSecretLocator | undefined {
  if (!name.startsWith(`${prefix}/`)) return undefined;
  const parts = name.slice(prefix.length + 1).split('/');
  if (parts.length !== SEGMENTS.length) return undefined;
  const decoded = parts.map(decodeSegment);
  const [providerOrg, catalog, consumerOrg, app, credential] = decoded;
  if (providerOrg === undefined || catalog === undefined || consumerOrg === undefined || app === undefined || credential === undefined) {
    return undefined;
  }
  return { providerOrg, catalog, consumerOrg, app, credential };
}

/** `value` made acceptable as an AWS tag value: disallowed characters become `_`, cut to 256 UTF-16 units. */
export function tagValue(value: string): string {
  let result = '';
  // Cut between code points so a surrogate pair is never split.
  for (const codePoint of value.replace(TAG_DISALLOWED, '_')) {
    if (result.length + codePoint.length > MAX_TAG_VALUE_LENGTH) break;
    result += codePoint;
  }
  return result;
}
