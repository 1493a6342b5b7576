/**
 * The type of a step payload, read off the schema that validates it at the step's boundary, so a payload's fields are
 * declared once. The domain treats payloads as values: every field, nested ones included, is readonly.
 */
import type * as z from 'zod';

export type DeepReadonly<T> = T extends ReadonlyArray<infer Item>
  ? ReadonlyArray<DeepReadonly<Item>>
  : T extends object
    ? { readonly [Key in keyof T]: DeepReadonly<T[Key]> }
    : T;

/** What the schema's parse returns, readonly throughout: the parsed input is directly a domain function's parameter. */
export type Payload<Schema extends z.ZodType> = DeepReadonly<z.output<Schema>>;
