export { ageInDays, assessApp, candidateBaseNames, dateAfter, needsAttention, replacedBaseName, replacementNames, replacesAnOriginal } from './assess';
export type { AssessAppInput } from './assess';
export { isExempt, resolvePolicy } from './settings';
export { isVerificationDay } from './verification';
export type { ConsumerOrgPolicyOverride } from './settings';
export type * from './types';
