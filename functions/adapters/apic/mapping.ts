/**
 * APIC JSON → model types. Every field the rotator relies on is checked; anything malformed raises ApicDataError
 * naming the field and the object, because a wrong age or name would make the rotator act on the wrong credential.
 * Mapped objects are built field by field, so a `client_secret` in a response never reaches them.
 */
import type { ApicApp, ApicCredential, ClientSecretPair, ConsumerOrg, ConsumerOrgRef } from '../../domain/model';
import { ApicDataError } from '../../domain/apic/errors';

/** Where the data came from, for error messages. */
export interface DataSource {
  readonly method: string;
  readonly path: string;
  /** Dates later than now + the allowed clock skew are rejected. */
  readonly now: Date;
}

/** APIC's clock and ours may disagree a little; more than this in the future means a broken date. */
export const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

// ISO-8601 with an explicit zone: a zone-less date would be read in the Lambda's local time.
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

type Json = Record<string, unknown>;

export function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function fail(field: string, object: string, problem: string, source: DataSource): never {
  throw new ApicDataError(field, object, problem, { method: source.method, path: source.path });
}

function requireObject(value: unknown, object: string, source: DataSource): Json {
  if (!isJsonObject(value)) fail('(object)', object, `is ${describeType(value)}, expected an object`, source);
  return value;
}

function requireString(raw: Json, field: string, object: string, source: DataSource): string {
  const value = raw[field];
  if (value === undefined) fail(field, object, 'is missing', source);
  if (typeof value !== 'string') fail(field, object, `is ${describeType(value)}, expected a string`, source);
  if (value.trim() === '') fail(field, object, 'is empty', source);
  return value;
}

/** Titles are display text: an absent or null title falls back to the name, but a non-string is malformed. */
function titleOf(raw: Json, name: string, object: string, source: DataSource): string {
  const value = raw.title;
  if (value === undefined || value === null) return name;
  if (typeof value !== 'string') fail('title', object, `is ${describeType(value)}, expected a string`, source);
  return value;
}

function requireTimestamp(raw: Json, field: string, object: string, source: DataSource): string {
  const value = raw[field];
  if (value === undefined || value === null) fail(field, object, 'is missing', source);
  if (typeof value !== 'string') fail(field, object, `is ${describeType(value)}, expected an ISO-8601 string`, source);
  const shown = JSON.stringify(value.slice(0, 40));
  const at = ISO_TIMESTAMP.test(value) && isCalendarDate(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) fail(field, object, `is not an ISO-8601 timestamp with zone: ${shown}`, source);
  if (at > source.now.getTime() + MAX_CLOCK_SKEW_MS) fail(field, object, `is in the future: ${shown}`, source);
  return new Date(at).toISOString();
}

/** Date.parse rolls 2025-02-30 over to March; a date APIC never wrote must not become one. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day));
  return probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day;
}

function nameForMessages(raw: Json): string {
  return typeof raw.name === 'string' && raw.name !== '' ? JSON.stringify(raw.name) : '(unnamed)';
}

/** A credential object (full or expanded form). `owner` describes its app, e.g. `app "shop"`. */
export function toCredential(value: unknown, owner: string, source: DataSource): ApicCredential {
  const raw = requireObject(value, `a credential of ${owner}`, source);
  const object = `credential ${nameForMessages(raw)} of ${owner}`;
  const name = requireString(raw, 'name', object, source);
  return {
    id: requireString(raw, 'id', object, source),
    name,
    title: titleOf(raw, name, object, source),
    clientId: requireString(raw, 'client_id', object, source),
    createdAt: requireTimestamp(raw, 'created_at', object, source),
  };
}

/** Whether an expanded credential carries a `created_at` at all (some APIC versions leave it out). */
export function hasCreatedAt(value: unknown): boolean {
  return isJsonObject(value) && value.created_at !== undefined && value.created_at !== null;
}

/**
 * The expanded credentials of an app: APIC samples show them under `credentials`, some versions under
 * `app_credentials`. Undefined when the app carries neither (not expanded).
 */
export function expandedCredentialsOf(raw: Json, object: string, source: DataSource): unknown[] | undefined {
  for (const field of ['app_credentials', 'credentials']) {
    const value = raw[field];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) fail(field, object, `is ${describeType(value)}, expected an array`, source);
    return value;
  }
  return undefined;
}

export function toConsumerOrgRef(value: unknown, object: string, source: DataSource): ConsumerOrgRef {
  const raw = requireObject(value, object, source);
  return { id: requireString(raw, 'id', object, source), name: requireString(raw, 'name', object, source) };
}

/**
 * The consumer org of an app: the expanded `consumer_org` when present, otherwise the id from the id-based
 * `consumer_org_url` and the name the caller addressed it by.
 */
export function consumerOrgOfApp(raw: Json, object: string, source: DataSource, addressedAs?: string): ConsumerOrgRef {
  if (raw.consumer_org !== undefined && raw.consumer_org !== null) {
    return toConsumerOrgRef(raw.consumer_org, `consumer_org of ${object}`, source);
  }
  if (addressedAs === undefined) fail('consumer_org', object, 'is missing', source);
  const url = requireString(raw, 'consumer_org_url', object, source);
  const id = url.replace(/\/+$/, '').split('/').pop();
  if (!id) fail('consumer_org_url', object, 'has no id segment', source);
  return { id: decodeURIComponent(id), name: addressedAs };
}

export interface RawApp {
  readonly id: string;
  readonly name: string;
  readonly title: string;
  readonly consumerOrg: ConsumerOrgRef;
  readonly object: string;
  /** Undefined when the listing did not expand credentials. */
  readonly rawCredentials?: unknown[];
}

/** The app's own fields; credentials are mapped by the caller, which may have to fetch them. */
export function toRawApp(value: unknown, source: DataSource, consumerOrgAddressedAs?: string): RawApp {
  const raw = requireObject(value, 'an app', source);
  const object = `app ${nameForMessages(raw)}`;
  const name = requireString(raw, 'name', object, source);
  return {
    id: requireString(raw, 'id', object, source),
    name,
    title: titleOf(raw, name, object, source),
    consumerOrg: consumerOrgOfApp(raw, object, source, consumerOrgAddressedAs),
    object,
    rawCredentials: expandedCredentialsOf(raw, object, source),
  };
}

export function withCredentials(app: RawApp, credentials: readonly ApicCredential[]): ApicApp {
  return { id: app.id, name: app.name, title: app.title, consumerOrg: app.consumerOrg, credentials };
}

export function toConsumerOrg(value: unknown, source: DataSource): ConsumerOrg {
  const raw = requireObject(value, 'a consumer org', source);
  const object = `consumer org ${nameForMessages(raw)}`;
  const name = requireString(raw, 'name', object, source);
  const base = { id: requireString(raw, 'id', object, source), name, title: titleOf(raw, name, object, source) };
  const ownerEmail = ownerEmailOf(raw, object, source);
  return ownerEmail === undefined ? base : { ...base, ownerEmail };
}

function ownerEmailOf(raw: Json, object: string, source: DataSource): string | undefined {
  if (raw.owner === undefined || raw.owner === null) return undefined;
  const owner = requireObject(raw.owner, `owner of ${object}`, source);
  const email = owner.email;
  if (email === undefined || email === null) return undefined;
  if (typeof email !== 'string') fail('owner.email', object, `is ${describeType(email)}, expected a string`, source);
  const trimmed = email.trim();
  return trimmed === '' ? undefined : trimmed;
}

export interface ListEnvelope {
  readonly totalResults: number;
  readonly results: unknown[];
}

/** `{ total_results, results }`, the envelope of every APIC list. */
export function toListEnvelope(value: unknown, source: DataSource): ListEnvelope {
  const object = `list ${source.path}`;
  const raw = requireObject(value, object, source);
  const results = raw.results;
  if (!Array.isArray(results)) fail('results', object, `is ${describeType(results)}, expected an array`, source);
  const total = raw.total_results;
  if (typeof total !== 'number' || !Number.isInteger(total) || total < 0) {
    fail('total_results', object, `is ${describeType(total)}, expected a non-negative integer`, source);
  }
  return { totalResults: total, results };
}

/** The pair in a reset answer: the one moment APIC shows a secret. */
export function toSecretPair(value: unknown, object: string, source: DataSource): ClientSecretPair {
  const raw = requireObject(value, object, source);
  return {
    clientId: requireString(raw, 'client_id', object, source),
    clientSecret: requireString(raw, 'client_secret', object, source),
  };
}
