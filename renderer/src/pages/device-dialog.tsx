/**
 * Add or edit a device. Every field is checked as it is typed with the same zod schemas
 * the core uses; server refusals (duplicate name, validation) land on their fields.
 */
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import {
  deviceAddSchema,
  devicePatchSchema,
  ErrorCode,
  type AuthMethod,
  type Device,
  type MethodInput,
} from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { fieldMessage, issuesToFields, serverIssues, type FieldErrors } from '../lib/form';
import { splitTags } from '../lib/format';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';

interface Values {
  name: string;
  host: string;
  port: string;
  user: string;
  site: string;
  auth: AuthMethod;
  keyPath: string;
  secret: string;
  clearSecret: boolean;
  sudo: boolean;
  tags: string;
  desiredImage: string;
  proxyJump: string;
  notes: string;
}

type FieldKey = keyof Values;

const labels: Record<FieldKey, string> = {
  name: 'Name',
  host: 'Host',
  port: 'Port',
  user: 'User',
  site: 'Site',
  auth: 'Authentication',
  keyPath: 'Key file',
  secret: 'Secret',
  clearSecret: 'Remove stored secret',
  sudo: 'Sudo',
  tags: 'Tags',
  desiredImage: 'Desired image',
  proxyJump: 'Jump hosts',
  notes: 'Notes',
};

const FIELD_KEYS = Object.keys(labels) as FieldKey[];

function initialValues(d: Device | null): Values {
  return {
    name: d?.name ?? '',
    host: d?.host ?? '',
    port: String(d?.port ?? 22),
    user: d?.user ?? '',
    site: d?.siteName ?? '',
    auth: d?.auth ?? 'agent',
    keyPath: d?.keyPath ?? '',
    secret: '',
    clearSecret: false,
    sudo: d?.sudo ?? false,
    tags: (d?.tags ?? []).join(', '),
    desiredImage: d?.desiredImage ?? '',
    proxyJump: d?.proxyJump ?? '',
    notes: d?.notes ?? '',
  };
}

/** The object sent to the core, before validation. */
function candidate(v: Values, device: Device | null): Record<string, unknown> {
  const c: Record<string, unknown> = {
    name: v.name,
    host: v.host,
    port: v.port.trim() === '' ? undefined : v.port.trim(),
    user: v.user.trim() ? v.user : null,
    auth: v.auth,
    keyPath: v.auth === 'key' ? (v.keyPath.trim() ? v.keyPath : null) : null,
    secret: v.auth !== 'agent' && v.secret !== '' && !v.clearSecret ? v.secret : undefined,
    site: v.site ? v.site : null,
    tags: splitTags(v.tags),
    sudo: v.sudo,
    notes: v.notes,
    desiredImage: v.desiredImage.trim() ? v.desiredImage : null,
    proxyJump: v.proxyJump.trim() ? v.proxyJump : null,
  };
  if (device) {
    // Switching to ssh-agent makes a stored password or passphrase useless: drop it.
    if (v.clearSecret || (v.auth === 'agent' && device.hasSecret)) c.clearSecret = true;
  }
  return c;
}

/** Per-field messages, phrased as sentences ("Name is required"). */
function validate(v: Values, device: Device | null, tags: string[]): FieldErrors {
  const result = (device ? devicePatchSchema : deviceAddSchema).safeParse(candidate(v, device));
  if (result.success) return {};
  const out: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? '_form');
    if (out[key] !== undefined) continue;
    if (key === 'tags' && typeof issue.path[1] === 'number') {
      out.tags = `Tag "${tags[issue.path[1]] ?? ''}" ${issue.message}`;
    } else if (key === 'secret') {
      out.secret = fieldMessage(v.auth === 'password' ? 'Password' : 'Passphrase', issue.message);
    } else {
      out[key] = fieldMessage(labels[key as FieldKey] ?? key, issue.message);
    }
  }
  return out;
}

export interface DeviceDialogProps {
  /** The device to edit, or null to add one. */
  device: Device | null;
  onClose(): void;
}

/** The Add device / Edit device dialog (`data-testid="device-form"`). */
export function DeviceDialog({ device, onClose }: DeviceDialogProps): ReactElement {
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const add = useDevices((s) => s.add);
  const update = useDevices((s) => s.update);
  const [values, setValues] = useState<Values>(() => initialValues(device));
  const [touched, setTouched] = useState<Partial<Record<FieldKey, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (sites === null) void loadSites();
  }, [sites, loadSites]);

  const tagList = useMemo(() => splitTags(values.tags), [values.tags]);
  const errors = useMemo(() => validate(values, device, tagList), [values, device, tagList]);
  const invalid = Object.keys(errors).length > 0;

  const set = <K extends FieldKey>(key: K, value: Values[K]): void => {
    setValues((v) => ({ ...v, [key]: value }));
    setTouched((t) => ({ ...t, [key]: true }));
    setServerErrors((e) => {
      if (e[key] === undefined) return e;
      const next = { ...e };
      delete next[key];
      return next;
    });
  };
  const blur = (key: FieldKey) => () => setTouched((t) => (t[key] ? t : { ...t, [key]: true }));
  const errorFor = (key: FieldKey): string | undefined => serverErrors[key] ?? (touched[key] ? errors[key] : undefined);

  const submit = async (): Promise<void> => {
    setTouched(Object.fromEntries(FIELD_KEYS.map((k) => [k, true])));
    if (invalid || saving) return;
    setSaving(true);
    setFormError(null);
    try {
      const raw = candidate(values, device);
      if (device) {
        const parsed = devicePatchSchema.parse(raw);
        await update(device, parsed as MethodInput<'devices.update'>['patch']);
      } else {
        const parsed = deviceAddSchema.parse(raw);
        await add(parsed as MethodInput<'devices.add'>);
      }
      onClose();
    } catch (err) {
      setSaving(false);
      const e = asAppError(err);
      if (e.code === ErrorCode.NAME_TAKEN) {
        setServerErrors({ name: e.message });
      } else if (e.code === ErrorCode.VALIDATION_FAILED && serverIssues(e).length > 0) {
        const mapped = issuesToFields(serverIssues(e));
        const known: FieldErrors = {};
        const unknown: string[] = [];
        for (const [k, msg] of Object.entries(mapped)) {
          if (msg === undefined) continue;
          if ((FIELD_KEYS as string[]).includes(k)) known[k] = fieldMessage(labels[k as FieldKey], msg);
          else unknown.push(`${k}: ${msg}`);
        }
        setServerErrors(known);
        if (unknown.length || Object.keys(known).length === 0) setFormError(unknown.length ? unknown.join('; ') : e.message);
      } else {
        setFormError(describeError(e));
      }
    }
  };

  const secretLabel = values.auth === 'password' ? 'Password' : 'Key passphrase';
  const siteOptions = sites ?? [];
  const siteMissing = values.site && !siteOptions.some((s) => s.name === values.site);
  const siteProxyJump = siteOptions.find((s) => s.name === values.site)?.proxyJump ?? null;

  return (
    <Dialog
      title={device ? `Edit ${device.name}` : 'Add device'}
      onClose={onClose}
      busy={saving}
      width="wide"
      onSubmit={() => void submit()}
      formTestId="device-form"
      footer={
        <>
          <span className="footer-note">{invalid && Object.keys(touched).length > 0 ? 'Fix the highlighted fields to save.' : ''}</span>
          <button type="button" className="button" onClick={onClose} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={invalid || saving} data-testid="device-save">
            {saving ? 'Saving…' : device ? 'Save changes' : 'Add device'}
          </button>
        </>
      }
    >
      {formError ? (
        <div className="form-error" role="alert" data-testid="device-form-error">
          <AlertIcon />
          <span>{formError}</span>
        </div>
      ) : null}
      <div className="form-grid">
        <Field name="name" label="Name" required error={errorFor('name')} className="span-2">
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.name}
              onChange={(e) => set('name', e.target.value)}
              onBlur={blur('name')}
              autoComplete="off"
              spellCheck={false}
              placeholder="web-01"
              data-autofocus
            />
          )}
        </Field>
        <Field name="site" label="Site" error={errorFor('site')} className="span-2">
          {(p) => (
            <select {...p} value={values.site} onChange={(e) => set('site', e.target.value)} onBlur={blur('site')}>
              <option value="">No site</option>
              {siteOptions.map((s) => (
                <option key={s.id} value={s.name}>
                  {s.name}
                </option>
              ))}
              {siteMissing ? <option value={values.site}>{values.site}</option> : null}
            </select>
          )}
        </Field>
        <Field name="host" label="Host" required error={errorFor('host')} className="span-2" hint="DNS name, IPv4 or IPv6 address">
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.host}
              onChange={(e) => set('host', e.target.value)}
              onBlur={blur('host')}
              autoComplete="off"
              spellCheck={false}
              placeholder="192.0.2.10"
            />
          )}
        </Field>
        <Field name="port" label="Port" error={errorFor('port')}>
          {(p) => (
            <input
              {...p}
              type="text"
              inputMode="numeric"
              value={values.port}
              onChange={(e) => set('port', e.target.value)}
              onBlur={blur('port')}
              autoComplete="off"
            />
          )}
        </Field>
        <Field name="user" label="User" error={errorFor('user')}>
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.user}
              onChange={(e) => set('user', e.target.value)}
              onBlur={blur('user')}
              autoComplete="off"
              spellCheck={false}
              placeholder="root"
            />
          )}
        </Field>
        <Field name="auth" label="Authentication" error={errorFor('auth')} className="span-2">
          {(p) => (
            <select {...p} value={values.auth} onChange={(e) => set('auth', e.target.value as AuthMethod)} onBlur={blur('auth')}>
              <option value="agent">SSH agent</option>
              <option value="key">Key file</option>
              <option value="password">Password</option>
            </select>
          )}
        </Field>
        {values.auth === 'key' ? (
          <Field name="keyPath" label="Key file" required error={errorFor('keyPath')} className="span-2">
            {(p) => (
              <input
                {...p}
                type="text"
                value={values.keyPath}
                onChange={(e) => set('keyPath', e.target.value)}
                onBlur={blur('keyPath')}
                autoComplete="off"
                spellCheck={false}
                placeholder="~/.ssh/id_ed25519"
              />
            )}
          </Field>
        ) : (
          <div className="span-2" />
        )}
        {values.auth !== 'agent' ? (
          <Field
            name="secret"
            label={secretLabel}
            required={values.auth === 'password' && !device?.hasSecret}
            error={errorFor('secret')}
            className="span-2"
            hint={
              device?.hasSecret
                ? 'Stored — leave empty to keep it.'
                : values.auth === 'key'
                  ? 'Only if the key is encrypted. Stored encrypted; never shown again.'
                  : 'Stored encrypted; never shown again.'
            }
          >
            {(p) => (
              <input
                {...p}
                type="password"
                value={values.secret}
                onChange={(e) => set('secret', e.target.value)}
                onBlur={blur('secret')}
                autoComplete="new-password"
                disabled={values.clearSecret}
                placeholder={device?.hasSecret ? '••••••••' : ''}
              />
            )}
          </Field>
        ) : null}
        {device?.hasSecret && values.auth !== 'agent' ? (
          <div className="field span-2 field-check">
            <label className="check">
              <input
                type="checkbox"
                checked={values.clearSecret}
                onChange={(e) => set('clearSecret', e.target.checked)}
                data-testid="field-clearSecret"
              />
              Remove stored {values.auth === 'password' ? 'password' : 'passphrase'}
            </label>
          </div>
        ) : device?.hasSecret && values.auth === 'agent' ? (
          <p className="field-hint span-4">The stored password or passphrase will be removed: ssh-agent does not use it.</p>
        ) : null}
        <div className="field span-4 field-check">
          <label className="check">
            <input
              type="checkbox"
              id="f-sudo"
              checked={values.sudo}
              onChange={(e) => set('sudo', e.target.checked)}
              data-testid="field-sudo"
            />
            Commands need <code>sudo -n</code>
            <span className="muted"> (the user is not root; passwordless sudo is set up)</span>
          </label>
        </div>
        <Field
          name="proxyJump"
          label="Jump hosts (ProxyJump)"
          error={errorFor('proxyJump')}
          className="span-4"
          hint={
            siteProxyJump
              ? `Empty: through the site’s jump hosts (${siteProxyJump}). First hop first, separated by commas.`
              : 'Bastions to go through, first hop first: [user@]host[:port], separated by commas. Empty: connect directly (or through the site’s).'
          }
        >
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.proxyJump}
              onChange={(e) => set('proxyJump', e.target.value)}
              onBlur={blur('proxyJump')}
              autoComplete="off"
              spellCheck={false}
              placeholder="admin@bastion.example.net,10.0.0.1:2222"
            />
          )}
        </Field>
        <Field name="tags" label="Tags" error={errorFor('tags')} className="span-4" hint="Separate with commas or spaces, e.g. edge, kiosk, line-3">
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.tags}
              onChange={(e) => set('tags', e.target.value)}
              onBlur={blur('tags')}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field name="desiredImage" label="Desired image" error={errorFor('desiredImage')} className="span-4" hint="The bootc image this device should run, e.g. quay.io/org/os:42">
          {(p) => (
            <input
              {...p}
              type="text"
              value={values.desiredImage}
              onChange={(e) => set('desiredImage', e.target.value)}
              onBlur={blur('desiredImage')}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field name="notes" label="Notes" error={errorFor('notes')} className="span-4">
          {(p) => <textarea {...p} rows={3} value={values.notes} onChange={(e) => set('notes', e.target.value)} onBlur={blur('notes')} />}
        </Field>
      </div>
    </Dialog>
  );
}
