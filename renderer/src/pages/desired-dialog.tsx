/**
 * Set desired image: for a site, a tag or a device, or for the one it was opened for. Fields are
 * checked as typed with the contract's own `desired.set` schema; the core's refusals (an unknown
 * device, an ambiguous name, a bad reference) land on their fields.
 */
import { useEffect, useMemo, useState, type ReactElement } from 'react';
import { ErrorCode, methods, type DesiredScope } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { fieldMessage, issuesToFields, serverIssues, type FieldErrors } from '../lib/form';
import { useDesired } from '../stores/desired';
import { useDevices } from '../stores/devices';
import { useSites } from '../stores/sites';
import type { DesiredTarget } from '../stores/ui';

const setSchema = methods['desired.set'].input;
const targetLabel: Record<DesiredScope, string> = { site: 'Site', tag: 'Tag', device: 'Device' };
const labels: Record<string, string> = { image: 'Image', scope: 'Scope' };

export interface DesiredDialogProps {
  /** The owner it is set for (scope and target then fixed), or null to choose one. */
  for: DesiredTarget | null;
  /** The image to start from (the current one when changing it). */
  image?: string | undefined;
  /** Whether the entry being changed requires signed images. */
  requireSigned?: boolean | undefined;
  onClose(): void;
}

/** The Set desired image dialog (`data-testid="desired-form"`). */
export function DesiredDialog({ for: fixed, image: initialImage, requireSigned: initialSigned, onClose }: DesiredDialogProps): ReactElement {
  const sites = useSites((s) => s.sites);
  const loadSites = useSites((s) => s.load);
  const tags = useDevices((s) => s.tags);
  const loadTags = useDevices((s) => s.loadTags);
  const save = useDesired((s) => s.set);
  const suggestDevices = useDesired((s) => s.suggestDevices);
  const [scope, setScope] = useState<DesiredScope>(fixed?.scope ?? 'site');
  const [target, setTarget] = useState(fixed?.target ?? '');
  const [image, setImage] = useState(initialImage ?? '');
  const [resolve, setResolve] = useState(true);
  const [requireSigned, setRequireSigned] = useState(initialSigned ?? false);
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [deviceNames, setDeviceNames] = useState<string[]>([]);

  useEffect(() => {
    if (fixed) return;
    if (sites === null) void loadSites();
    if (tags === null) void loadTags();
  }, [fixed, sites, tags, loadSites, loadTags]);

  // Names for the device field, as typed.
  useEffect(() => {
    if (fixed || scope !== 'device') return;
    let live = true;
    const t = setTimeout(() => {
      suggestDevices(target.trim()).then(
        (names) => live && setDeviceNames(names),
        () => undefined,
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [fixed, scope, target, suggestDevices]);

  // A site is chosen by name in the select; the first one is the default.
  const siteList = useMemo(() => sites ?? [], [sites]);
  const effectiveTarget = !fixed && scope === 'site' && !target && siteList[0] ? siteList[0].name : target;

  const errors = useMemo<FieldErrors>(() => {
    const r = setSchema.safeParse({ scope, target: effectiveTarget, image, resolve });
    if (r.success) return {};
    const out: FieldErrors = {};
    for (const issue of r.error.issues) {
      const key = String(issue.path[0] ?? '_form');
      if (out[key] !== undefined) continue;
      out[key] = fieldMessage(key === 'target' ? targetLabel[scope] : (labels[key] ?? key), issue.message);
    }
    return out;
  }, [scope, effectiveTarget, image, resolve]);
  const invalid = Object.keys(errors).length > 0;

  const clearServer = (key: string): void =>
    setServerErrors((e) => {
      if (e[key] === undefined) return e;
      const next = { ...e };
      delete next[key];
      return next;
    });
  const edit = (key: string, setter: (v: string) => void) => (v: string) => {
    setter(v);
    setTouched((t) => ({ ...t, [key]: true }));
    clearServer(key);
  };
  const errorFor = (key: string): string | undefined => serverErrors[key] ?? (touched[key] ? errors[key] : undefined);

  const submit = async (): Promise<void> => {
    setTouched({ target: true, image: true });
    if (invalid || saving) return;
    setSaving(true);
    setFormError(null);
    try {
      await save({ scope, target: effectiveTarget.trim(), image: image.trim(), resolve, requireSigned });
      onClose();
    } catch (err) {
      setSaving(false);
      const e = asAppError(err);
      if (e.code === ErrorCode.VALIDATION_FAILED && serverIssues(e).length) {
        const mapped = issuesToFields(serverIssues(e));
        const known: FieldErrors = {};
        for (const k of ['image', 'target']) if (mapped[k]) known[k] = fieldMessage(k === 'target' ? targetLabel[scope] : 'Image', mapped[k]);
        setServerErrors(known);
        if (Object.keys(known).length === 0) setFormError(e.message);
      } else if ((e.code === ErrorCode.NOT_FOUND || e.code === ErrorCode.AMBIGUOUS) && !fixed) {
        setServerErrors({ target: e.message });
      } else setFormError(describeError(e));
    }
  };

  const forText = fixed ? `${fixed.scope} ${fixed.targetName}` : null;
  return (
    <Dialog
      title={forText ? `Desired image of ${forText}` : 'Set desired image'}
      onClose={onClose}
      busy={saving}
      width="normal"
      onSubmit={() => void submit()}
      formTestId="desired-form"
      description={
        fixed?.scope === 'device'
          ? 'The image set on a device wins over the ones its tags and its site ask for.'
          : 'What the devices should run. The most specific wins: an image set on a device, then its tags’, then its site’s.'
      }
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={invalid || saving} data-testid="desired-save">
            {saving ? (resolve ? 'Saving and checking…' : 'Saving…') : 'Set image'}
          </button>
        </>
      }
    >
      {formError ? (
        <div className="form-error" role="alert" data-testid="desired-form-error">
          <AlertIcon />
          <span>{formError}</span>
        </div>
      ) : null}
      <div className="form-stack">
        {fixed ? null : (
          <div className="form-grid">
            <Field name="scope" label="For every device of" className="span-2" error={errorFor('scope')}>
              {(p) => (
                <select
                  {...p}
                  value={scope}
                  onChange={(e) => {
                    setScope(e.target.value as DesiredScope);
                    setTarget('');
                    setServerErrors({});
                  }}
                >
                  <option value="site">a site</option>
                  <option value="tag">a tag</option>
                  <option value="device">one device</option>
                </select>
              )}
            </Field>
            <Field name="target" label={targetLabel[scope]} required className="span-2" error={errorFor('target')}>
              {(p) =>
                scope === 'site' ? (
                  <select {...p} value={effectiveTarget} onChange={(e) => edit('target', setTarget)(e.target.value)}>
                    {siteList.length === 0 ? <option value="">No sites yet</option> : null}
                    {siteList.map((s) => (
                      <option key={s.id} value={s.name}>
                        {s.name}
                      </option>
                    ))}
                  </select>
                ) : (
                  <>
                    <input
                      {...p}
                      type="text"
                      list={`f-target-${scope}-list`}
                      value={target}
                      onChange={(e) => edit('target', setTarget)(e.target.value)}
                      onBlur={() => setTouched((t) => ({ ...t, target: true }))}
                      autoComplete="off"
                      spellCheck={false}
                      placeholder={scope === 'tag' ? 'canary' : 'NAME or SITE/NAME'}
                    />
                    <datalist id={`f-target-${scope}-list`}>
                      {(scope === 'tag' ? (tags ?? []).map((t) => t.name) : deviceNames).map((n) => (
                        <option key={n} value={n} />
                      ))}
                    </datalist>
                  </>
                )
              }
            </Field>
          </div>
        )}
        <Field name="image" label="Image" required error={errorFor('image')} hint="IMAGE:TAG follows the tag (resolved through its registry); IMAGE@sha256:… pins one digest.">
          {(p) => (
            <input
              {...p}
              type="text"
              value={image}
              onChange={(e) => edit('image', setImage)(e.target.value)}
              onBlur={() => setTouched((t) => ({ ...t, image: true }))}
              autoComplete="off"
              spellCheck={false}
              placeholder="quay.io/example/os:42"
              data-autofocus
            />
          )}
        </Field>
        <label className="check check-top">
          <input type="checkbox" checked={resolve} onChange={(e) => setResolve(e.target.checked)} data-testid="field-resolve" />
          <span>
            Ask the registry for its digest now <span className="muted">(otherwise later, with Check registry)</span>
          </span>
        </label>
        <label className="check check-top">
          <input type="checkbox" checked={requireSigned} onChange={(e) => setRequireSigned(e.target.checked)} data-testid="field-requireSigned" />
          <span>
            Require signed images
            <span className="muted small check-hint">
              The audit reports devices that boot it without a signature policy; switch them with <em>Enforce signature policy</em>.
            </span>
          </span>
        </label>
      </div>
    </Dialog>
  );
}
