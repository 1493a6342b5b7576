export {
  SeedScriptFileError,
  adoptPair,
  adoptionLifecycle,
  indexCredentialsByClientId,
  parseSeedScriptFile,
  type AdoptDeps,
  type AdoptionOutcome,
  type AdoptionResult,
  type LocatedCredential,
  type SeedScriptPair,
} from './adopt';
