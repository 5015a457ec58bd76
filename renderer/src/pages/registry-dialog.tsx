/** Add a registry, or change one: its login (the password is write-only) and plain HTTP. */
import { useMemo, useState, type ReactElement } from 'react';
import { ErrorCode, methods, type Registry } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { fieldMessage, issuesToFields, serverIssues, type FieldErrors } from '../lib/form';
import { useDesired } from '../stores/desired';

const setSchema = methods['registries.set'].input;
const labels: Record<string, string> = { host: 'Host', username: 'User', password: 'Password' };

export interface RegistryDialogProps {
  /** The registry to change, or null to add one. */
  registry: Registry | null;
  onClose(): void;
}

/** The Add registry / Edit registry dialog (`data-testid="registry-form"`). */
export function RegistryDialog({ registry, onClose }: RegistryDialogProps): ReactElement {
  const save = useDesired((s) => s.setRegistry);
  const [host, setHost] = useState(registry?.host ?? '');
  const [username, setUsername] = useState(registry?.username ?? '');
  const [password, setPassword] = useState('');
  const [insecure, setInsecure] = useState(registry?.insecure ?? false);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const input = useMemo(
    () => ({
      host,
      insecure,
      // Emptying the user forgets the login (and its password).
      username: username.trim() ? username : null,
      ...(password ? { password } : {}),
    }),
    [host, insecure, username, password],
  );
  const errors = useMemo<FieldErrors>(() => {
    const out: FieldErrors = {};
    const r = setSchema.safeParse(input);
    if (!r.success) {
      for (const issue of r.error.issues) {
        const key = String(issue.path[0] ?? '_form');
        if (out[key] === undefined) out[key] = fieldMessage(labels[key] ?? key, issue.message);
      }
    }
    if (password && !username.trim() && out.password === undefined) out.password = 'A password needs a user: fill in User too';
    return out;
  }, [input, password, username]);
  const invalid = Object.keys(errors).length > 0;

  const edit = (key: string, setter: (v: string) => void) => (v: string) => {
    setter(v);
    setTouched((t) => ({ ...t, [key]: true }));
    setServerErrors((e) => {
      if (e[key] === undefined) return e;
      const next = { ...e };
      delete next[key];
      return next;
    });
  };
  const errorFor = (key: string): string | undefined => serverErrors[key] ?? (touched[key] ? errors[key] : undefined);

  const submit = async (): Promise<void> => {
    setTouched({ host: true, username: true, password: true });
    if (invalid || saving) return;
    setSaving(true);
    setFormError(null);
    try {
      await save(input);
      onClose();
    } catch (err) {
      setSaving(false);
      const e = asAppError(err);
      if (e.code === ErrorCode.VALIDATION_FAILED && serverIssues(e).length) {
        const mapped = issuesToFields(serverIssues(e));
        const known: FieldErrors = {};
        for (const k of Object.keys(labels)) if (mapped[k]) known[k] = fieldMessage(labels[k]!, mapped[k]);
        setServerErrors(known);
        if (Object.keys(known).length === 0) setFormError(e.message);
      } else setFormError(describeError(e));
    }
  };

  return (
    <Dialog
      title={registry ? `Registry ${registry.host}` : 'Add registry'}
      onClose={onClose}
      busy={saving}
      width="normal"
      onSubmit={() => void submit()}
      formTestId="registry-form"
      description="The login Bootfleet uses to ask this registry what an image tag points at. Without one, it asks anonymously."
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={invalid || saving} data-testid="registry-save">
            {saving ? 'Saving…' : registry ? 'Save' : 'Add registry'}
          </button>
        </>
      }
    >
      {formError ? (
        <div className="form-error" role="alert" data-testid="registry-form-error">
          <AlertIcon />
          <span>{formError}</span>
        </div>
      ) : null}
      <div className="form-stack">
        <Field name="host" label="Host" required error={errorFor('host')} hint={registry ? undefined : 'As it appears at the start of image references, e.g. quay.io or registry.example.net:5000'}>
          {(p) => (
            <input
              {...p}
              type="text"
              value={host}
              onChange={(e) => edit('host', setHost)(e.target.value)}
              onBlur={() => setTouched((t) => ({ ...t, host: true }))}
              readOnly={!!registry}
              autoComplete="off"
              spellCheck={false}
              placeholder="registry.example.net:5000"
              {...(registry ? {} : { 'data-autofocus': true })}
            />
          )}
        </Field>
        <div className="form-grid">
          <Field name="username" label="User" className="span-2" error={errorFor('username')} hint={registry?.username ? 'Empty: forget the login' : undefined}>
            {(p) => (
              <input
                {...p}
                type="text"
                value={username}
                onChange={(e) => edit('username', setUsername)(e.target.value)}
                autoComplete="off"
                spellCheck={false}
                placeholder="anonymous"
                {...(registry ? { 'data-autofocus': true } : {})}
              />
            )}
          </Field>
          <Field
            name="password"
            label="Password or token"
            className="span-2"
            error={errorFor('password')}
            hint={registry?.hasPassword ? 'Stored encrypted; empty keeps it' : 'Stored encrypted, never shown again'}
          >
            {(p) => (
              <input
                {...p}
                type="password"
                value={password}
                onChange={(e) => edit('password', setPassword)(e.target.value)}
                autoComplete="new-password"
                placeholder={registry?.hasPassword ? '••••••••' : ''}
              />
            )}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" checked={insecure} onChange={(e) => setInsecure(e.target.checked)} data-testid="field-insecure" />
          <span>
            Plain HTTP <span className="muted">(no TLS; loopback registries fall back to it by themselves)</span>
          </span>
        </label>
      </div>
    </Dialog>
  );
}
