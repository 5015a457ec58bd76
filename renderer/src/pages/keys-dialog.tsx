/**
 * Keys (issue 10): this installation's signing key (to give to other sites), the keys it trusts
 * with Revoke, and "Trust a key…": the key line pasted, and the fingerprint checked with its owner.
 */
import { useEffect, useState, type ReactElement } from 'react';
import type { TrustedKey } from '../../../shared/contract';
import { ConfirmDialog } from '../components/confirm-dialog';
import { Dialog, SubmitFooter } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon, DownloadIcon, PlusIcon, TrashIcon } from '../components/icons';
import { CopyButton, RelativeTime } from '../components/status';
import { keyFileName, keyLineName, trustErrorField } from '../lib/bundles';
import { downloadText } from '../lib/download';
import { asAppError, describeError } from '../lib/error-text';
import { formatTime } from '../lib/format';
import { fieldMessage, issuesToFields, serverIssues } from '../lib/form';
import { useKeys } from '../stores/keys';

/** The Keys dialog (`data-testid="keys-dialog"`). */
export function KeysDialog({ onClose }: { onClose(): void }): ReactElement {
  const { own, trusted, error, load } = useKeys();
  const [trusting, setTrusting] = useState(false);
  const [revoking, setRevoking] = useState<TrustedKey | null>(null);
  const revoke = useKeys((s) => s.revoke);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <>
      <Dialog
        title="Signing keys"
        onClose={onClose}
        width="wide"
        description="Bundles are signed with this installation's key. Another installation imports them only once it trusts the key."
        footer={
          <button type="button" className="button" onClick={onClose} data-testid="keys-close">
            Close
          </button>
        }
      >
        <div data-testid="keys-dialog">
          {error ? (
            <div className="form-error" role="alert" data-testid="keys-error">
              <AlertIcon />
              <span>{error}</span>
            </div>
          ) : null}
          <h3 className="subhead">This installation</h3>
          {own ? (
            <dl className="fingerprints key-own" data-testid="keys-own">
              <dt>Name</dt>
              <dd data-testid="keys-own-name">{own.name}</dd>
              <dt>Fingerprint</dt>
              <dd>
                <code data-testid="keys-own-fingerprint">{own.fingerprint}</code> <CopyButton text={own.fingerprint} what="fingerprint" testId="keys-copy-fingerprint" />
              </dd>
              <dt>Public key</dt>
              <dd>
                <code className="key-line" data-testid="keys-own-public">
                  {own.publicKey}
                </code>{' '}
                <CopyButton text={own.publicKey} what="public key" testId="keys-copy-public" />
              </dd>
              <dt>Made</dt>
              <dd>{formatTime(own.createdAt)}</dd>
            </dl>
          ) : !error ? (
            <div className="loading-line">Loading…</div>
          ) : null}
          {own ? (
            <p className="muted small">
              Give the key file to the other site, and read them the fingerprint by another channel (phone) so they can check it.{' '}
              <button type="button" className="link-button" onClick={() => downloadText(keyFileName(own.name), `${own.publicKey}\n`, 'text/plain')} data-testid="keys-save">
                <DownloadIcon size={13} /> Save key file…
              </button>
            </p>
          ) : null}
          <div className="keys-trusted-head">
            <h3 className="subhead">Trusted keys</h3>
            <button type="button" className="button small" onClick={() => setTrusting(true)} data-testid="keys-trust">
              <PlusIcon size={14} /> Trust a key…
            </button>
          </div>
          {trusted && trusted.length === 0 ? (
            <p className="muted" data-testid="keys-none">
              No other key is trusted: only bundles made here can be imported.
            </p>
          ) : trusted ? (
            <div className="simple-table-wrap">
              <table className="simple-table" data-testid="keys-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Fingerprint</th>
                    <th scope="col">Trusted</th>
                    <th scope="col">Revoked</th>
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {trusted.map((k) => (
                    <tr key={k.fingerprint} data-testid="keys-row" data-fingerprint={k.fingerprint} className={k.revokedAt ? 'muted' : undefined}>
                      <td className="cell-strong nowrap">{k.name}</td>
                      <td>
                        <code className="small">{k.fingerprint}</code>
                      </td>
                      <td className="nowrap" title={formatTime(k.trustedAt)}>
                        <RelativeTime iso={k.trustedAt} /> by {k.trustedBy}
                      </td>
                      <td className="nowrap" data-testid="keys-revoked">
                        {k.revokedAt ? (
                          <span title={formatTime(k.revokedAt)}>
                            <RelativeTime iso={k.revokedAt} /> by {k.revokedBy}
                          </span>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="actions-cell">
                        {k.revokedAt ? null : (
                          <button type="button" className="icon-button danger" aria-label={`Revoke ${k.name}`} title="Revoke…" onClick={() => setRevoking(k)} data-testid="keys-revoke">
                            <TrashIcon size={15} />
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
        </div>
      </Dialog>
      {trusting ? <TrustKeyDialog onClose={() => setTrusting(false)} /> : null}
      {revoking ? (
        <ConfirmDialog
          title="Revoke key"
          message={
            <>
              Stop trusting <strong>{revoking.name}</strong> (<code>{revoking.fingerprint}</code>)? Bundles it signs are refused from now on. What was
              already imported stays.
            </>
          }
          confirmLabel="Revoke"
          busyLabel="Revoking…"
          confirmTestId="keys-revoke-confirm"
          errorTestId="keys-revoke-error"
          onConfirm={() => revoke(revoking.fingerprint)}
          onClose={() => setRevoking(null)}
        />
      ) : null}
    </>
  );
}

type TrustErrors = { publicKey?: string; fingerprint?: string; name?: string; _form?: string };

/** "Trust a key…": the key line, the fingerprint checked with the owner, an optional name. */
export function TrustKeyDialog({ onClose, onTrusted, signer }: { onClose(): void; onTrusted?(): void; signer?: string }): ReactElement {
  const trust = useKeys((s) => s.trust);
  const [publicKey, setPublicKey] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<TrustErrors>({});
  const submit = async (): Promise<void> => {
    const e: TrustErrors = {};
    if (!publicKey.trim()) e.publicKey = 'Paste the key line (from Keys on the other installation)';
    else if (!publicKey.trim().startsWith('bootfleet-ed25519 ')) e.publicKey = 'A key line starts with bootfleet-ed25519';
    if (!fingerprint.trim()) e.fingerprint = 'Type the fingerprint you checked with the key’s owner';
    setErrors(e);
    if (e.publicKey || e.fingerprint) return;
    setBusy(true);
    try {
      await trust({ publicKey: publicKey.trim(), fingerprint: fingerprint.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      onTrusted?.();
      onClose();
    } catch (err) {
      const ae = asAppError(err);
      const issues = serverIssues(ae);
      if (issues.length) {
        const f = issuesToFields(issues);
        setErrors({
          publicKey: f.publicKey && fieldMessage('Key', f.publicKey),
          fingerprint: f.fingerprint && fieldMessage('Fingerprint', f.fingerprint),
          name: f.name && fieldMessage('Name', f.name),
          _form: f._form,
        });
      } else {
        const msg = describeError(err);
        const field = trustErrorField(msg);
        setErrors(field ? { [field]: msg } : { _form: msg });
      }
      setBusy(false);
    }
  };
  const suggested = keyLineName(publicKey);
  return (
    <Dialog
      title="Trust a key"
      onClose={onClose}
      busy={busy}
      formTestId="keys-trust-form"
      description="Trust another installation's key so its bundles can be imported here. Check the fingerprint with the key's owner first (phone, in person): that is what makes it safe."
      onSubmit={() => void submit()}
      footer={<SubmitFooter onCancel={onClose} label={busy ? 'Trusting…' : 'Trust key'} testId="keys-trust-submit" />}
    >
      <div className="form-stack">
        {errors._form ? (
          <div className="form-error" role="alert" data-testid="keys-trust-error">
            <AlertIcon />
            <span>{errors._form}</span>
          </div>
        ) : null}
        <Field
          name="keys-trust-public"
          label="Public key"
          required
          error={errors.publicKey}
          hint="One line, bootfleet-ed25519 … On the other installation: Keys → copy the public key, or open its saved .pub file in a text editor."
        >
          {(p) => (
            <textarea
              {...p}
              className="mono"
              rows={3}
              value={publicKey}
              onChange={(e) => (setPublicKey(e.target.value), setErrors((x) => ({ ...x, publicKey: undefined, _form: undefined })))}
              placeholder="bootfleet-ed25519 BASE64 NAME"
              spellCheck={false}
              data-autofocus
            />
          )}
        </Field>
        <Field
          name="keys-trust-fingerprint"
          label="Fingerprint, as checked with the owner"
          required
          error={errors.fingerprint}
          hint={signer ? `The bundle was signed by ${signer}.` : 'The key is refused if it does not match.'}
        >
          {(p) => (
            <input
              {...p}
              type="text"
              className="mono"
              value={fingerprint}
              onChange={(e) => (setFingerprint(e.target.value), setErrors((x) => ({ ...x, fingerprint: undefined, _form: undefined })))}
              placeholder="SHA256:…"
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
        <Field name="keys-trust-name" label="Name (optional)" error={errors.name} hint={suggested ? `Default: ${suggested}` : undefined}>
          {(p) => <input {...p} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder={suggested || 'plant-7 laptop'} autoComplete="off" />}
        </Field>
      </div>
    </Dialog>
  );
}
