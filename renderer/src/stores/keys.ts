/**
 * Signing keys (issue 10): this installation's own key (`keys.show`) and the keys it trusts
 * (`keys.list`), with trust and revoke. Loaded when the Keys dialog opens.
 */
import { create } from 'zustand';
import type { MethodOutput, TrustedKey } from '../../../shared/contract';
import { client } from '../lib/api';
import { describeError } from '../lib/error-text';
import { useUi } from './ui';

interface KeysState {
  own: MethodOutput<'keys.show'> | null;
  trusted: TrustedKey[] | null;
  error: string | null;
  load(): Promise<void>;
  /** Throws (AppError) for the dialog's fields; toasts on success. */
  trust(input: { publicKey: string; fingerprint: string; name?: string }): Promise<TrustedKey>;
  /** Throws for the confirm dialog. */
  revoke(fingerprint: string): Promise<void>;
}

/** The keys store. */
export const useKeys = create<KeysState>((set, get) => ({
  own: null,
  trusted: null,
  error: null,
  async load() {
    try {
      const [own, trusted] = await Promise.all([client.invoke('keys.show', {}), client.invoke('keys.list', {})]);
      set({ own, trusted, error: null });
    } catch (err) {
      set({ error: describeError(err) });
    }
  },
  async trust(input) {
    const k = await client.invoke('keys.trust', input);
    useUi.getState().toast('success', `Trusted ${k.name} (${k.fingerprint})`);
    await get().load();
    return k;
  },
  async revoke(fingerprint) {
    const k = await client.invoke('keys.revoke', { fingerprint });
    useUi.getState().toast('success', `Revoked ${k.name}: its bundles are refused from now on`);
    await get().load();
  },
}));
