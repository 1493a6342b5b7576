/**
 * Deliberately broken variants of the rotation policy, each a wrapper around `assessApp` that makes one mistake the
 * ownership rule exists to prevent. The property tests show that each invariant catches its mistake.
 */
import { assessApp, replacedBaseName } from '../../functions/domain/policy';
import type { AppAssessment, AssessAppInput, CredentialRef, PolicySettings, RotationAction } from '../../functions/domain/policy';
import type { ApicCredential } from '../../functions/domain/model';
import type { StoredCredentialState } from '../../functions/domain/ports';

function ref(c: ApicCredential): CredentialRef {
  return { id: c.id, name: c.name, title: c.title, clientId: c.clientId };
}

function policySettings(input: AssessAppInput): PolicySettings {
  if ('exempt' in input.settings) throw new Error('the modelled world is never exempt');
  return input.settings;
}

/** The store as the policy is shown it, each state rewritten by `rewrite`. */
function withStore(input: AssessAppInput, rewrite: (base: string, state: StoredCredentialState | undefined) => StoredCredentialState | undefined): Map<string, StoredCredentialState> {
  const bases = new Set([...input.store.keys(), ...input.app.credentials.map((c) => c.name)]);
  const store = new Map<string, StoredCredentialState>();
  for (const base of bases) {
    const state = rewrite(base, input.store.get(base));
    if (state) store.set(base, state);
  }
  return store;
}

export const brokenPolicies = {
  /**
   * Drops the cycle-id check: a kept replacement past the grace is treated as the replacement of whatever credential
   * holds its base name, which is deleted (a person's re-created original) and its name taken.
   */
  deletesNameHolder(input: AssessAppInput): AppAssessment {
    const result = assessApp(input);
    const settings = policySettings(input);
    const extra: RotationAction[] = [];
    for (const assessed of result.credentials) {
      if (assessed.role !== 'kept' || assessed.ageDays < settings.deletionDays - settings.expiryDays) continue;
      const holder = input.app.credentials.find((c) => c.name === assessed.baseName);
      const kept = input.app.credentials.find((c) => c.id === assessed.credentialId);
      if (!holder || !kept) continue;
      const base = assessed.baseName;
      extra.push(
        { kind: 'delete-original', base, cycleId: holder.id, original: ref(holder), replacement: ref(kept) },
        { kind: 'rename-replacement', base, cycleId: holder.id, replacement: ref(kept), name: holder.name, title: holder.title },
      );
    }
    return { ...result, actions: [...result.actions, ...extra] };
  },

  /** Lets names decide, as before the ownership rule: a credential named `<name><suffix>` is taken for the current replacement of `<name>`. */
  believesNames(input: AssessAppInput): AppAssessment {
    const { replacementSuffix } = policySettings(input);
    const byName = new Map(input.app.credentials.map((c) => [c.name, c]));
    const believed = new Map<string, ApicCredential>();
    for (const credential of input.app.credentials) {
      const base = replacedBaseName(credential.name, replacementSuffix);
      const state = base === undefined ? undefined : input.store.get(base);
      const ours = state?.current?.clientId === credential.clientId || state?.pending?.clientId === credential.clientId;
      if (base !== undefined && byName.has(base) && !ours) believed.set(base, credential);
    }
    const store = withStore(input, (base, state) => {
      const credential = believed.get(base);
      const original = byName.get(base);
      if (!credential || !original) return state;
      return {
        secretExists: true,
        noticesSent: state?.noticesSent ?? {},
        noticesPending: state?.noticesPending ?? {},
        current: { clientId: credential.clientId, cycleId: original.id, versionId: 'believed' },
      };
    });
    const verifiedCurrent = new Map(input.verifiedCurrent);
    for (const base of believed.keys()) verifiedCurrent.set(base, true);
    return assessApp({ ...input, store, verifiedCurrent });
  },

  /** Ignores verifiedCurrent: every stored current secret is taken as accepted, so nothing is repaired and deletion does not wait. */
  trustsEveryCurrent(input: AssessAppInput): AppAssessment {
    return assessApp({ ...input, verifiedCurrent: new Map([...input.verifiedCurrent.keys()].map((base) => [base, true])) });
  },

  /** Blocks a due original whose `<name><suffix>` is taken, as before free replacement names. */
  blocksOnTakenName(input: AssessAppInput): AppAssessment {
    const { replacementSuffix } = policySettings(input);
    const result = assessApp(input);
    const actions = result.actions.flatMap((action): RotationAction[] => {
      if (action.kind !== 'create-replacement' || action.replacementName === action.original.name + replacementSuffix) return [action];
      const reason = `${action.original.name + replacementSuffix} exists`;
      return [{ kind: 'queue-notice', base: action.base, cycleId: action.cycleId, notice: 'action-needed', credentialName: action.original.name, reason }];
    });
    return { ...result, actions };
  },

  /** Ignores delivery: the replacement-ready notice of the cycle in flight is taken as delivered. */
  ignoresDelivery(input: AssessAppInput): AppAssessment {
    const store = withStore(input, (_base, state) =>
      state?.current ? { ...state, noticesSent: { ...state.noticesSent, 'replacement-ready': state.current.cycleId } } : state,
    );
    return assessApp({ ...input, store });
  },
};
