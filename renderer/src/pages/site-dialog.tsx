/** Add a site, or edit one (rename, notes, jump hosts). Fields are checked as typed with the shared rules. */
import { useMemo, useState, type ReactElement } from 'react';
import { ErrorCode, nameSchema, notesSchema, proxyJumpSchema, type Site } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { fieldMessage, issuesToFields, serverIssues, type FieldErrors } from '../lib/form';
import { useSites } from '../stores/sites';
import { useUi } from '../stores/ui';

export interface SiteDialogProps {
  /** The site to edit, or null to add one. */
  site: Site | null;
  onClose(): void;
}

const labels: Record<string, string> = { name: 'Name', notes: 'Notes', proxyJump: 'Jump hosts', staleAfterDays: 'Stale after', keepRecordingsDays: 'Keep recordings' };

/** The Add site / Edit site dialog (`data-testid="site-form"`). */
export function SiteDialog({ site, onClose }: SiteDialogProps): ReactElement {
  const add = useSites((s) => s.add);
  const rename = useSites((s) => s.rename);
  const update = useSites((s) => s.update);
  const toast = useUi((s) => s.toast);
  const [name, setName] = useState(site?.name ?? '');
  const [notes, setNotes] = useState(site?.notes ?? '');
  const [proxyJump, setProxyJump] = useState(site?.proxyJump ?? '');
  const [staleDays, setStaleDays] = useState(site?.staleAfterDays ? String(site.staleAfterDays) : '');
  const [recordTerminals, setRecordTerminals] = useState(site?.recordTerminals ?? false);
  const [keepDays, setKeepDays] = useState(site?.keepRecordingsDays ? String(site.keepRecordingsDays) : '');
  const [touched, setTouched] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const parsedJump = useMemo(() => proxyJumpSchema.safeParse(proxyJump), [proxyJump]);
  const errors = useMemo<FieldErrors>(() => {
    const out: FieldErrors = {};
    const n = nameSchema.safeParse(name);
    if (!n.success) out.name = fieldMessage('Name', n.error.issues[0]?.message ?? 'is invalid');
    const t = notesSchema.safeParse(notes);
    if (!t.success) out.notes = fieldMessage('Notes', t.error.issues[0]?.message ?? 'are invalid');
    if (!parsedJump.success) out.proxyJump = fieldMessage('Jump hosts', parsedJump.error.issues[0]?.message ?? 'are invalid');
    if (staleDays.trim() && !(/^\d+$/.test(staleDays.trim()) && Number(staleDays) >= 1 && Number(staleDays) <= 3650)) out.staleAfterDays = 'Stale after: enter whole days from 1 to 3650, or leave it empty for 7.';
    if (keepDays.trim() && !(/^\d+$/.test(keepDays.trim()) && Number(keepDays) >= 1 && Number(keepDays) <= 36500)) out.keepRecordingsDays = 'Keep recordings: enter whole days from 1 to 36500, or leave it empty to keep them for ever.';
    return out;
  }, [name, notes, parsedJump, staleDays, keepDays]);
  const invalid = Object.keys(errors).length > 0;

  const submit = async (): Promise<void> => {
    setTouched(true);
    if (invalid || saving) return;
    setSaving(true);
    setFormError(null);
    const jump = parsedJump.success ? parsedJump.data : null;
    const stale = staleDays.trim() ? Number(staleDays) : null;
    const keep = keepDays.trim() ? Number(keepDays) : null;
    try {
      if (!site) {
        await add({ name: name.trim(), ...(notes ? { notes } : {}), ...(jump ? { proxyJump: jump } : {}), ...(stale ? { staleAfterDays: stale } : {}), ...(recordTerminals ? { recordTerminals } : {}), ...(keep ? { keepRecordingsDays: keep } : {}) });
      } else {
        const renamed = name.trim() !== site.name;
        const changed = notes !== site.notes || jump !== site.proxyJump || stale !== site.staleAfterDays || recordTerminals !== site.recordTerminals || keep !== site.keepRecordingsDays;
        const current = renamed ? await rename(site, name.trim()) : site;
        if (changed) {
          await update(current, { notes, proxyJump: jump, staleAfterDays: stale, recordTerminals, keepRecordingsDays: keep });
          if (!renamed) toast('success', `Saved site ${current.name}`);
        }
      }
      onClose();
    } catch (err) {
      setSaving(false);
      const e = asAppError(err);
      if (e.code === ErrorCode.NAME_TAKEN) setServerErrors({ name: e.message });
      else if (e.code === ErrorCode.VALIDATION_FAILED && serverIssues(e).length) {
        const mapped = issuesToFields(serverIssues(e));
        const known: FieldErrors = {};
        for (const k of Object.keys(labels)) if (mapped[k]) known[k] = fieldMessage(labels[k]!, mapped[k]);
        setServerErrors(known);
        if (Object.keys(known).length === 0) setFormError(e.message);
      } else setFormError(describeError(e));
    }
  };

  const errorFor = (key: string): string | undefined => serverErrors[key] ?? (touched ? errors[key] : undefined);
  const edit = <T,>(setter: (v: T) => void, key: string) => (v: T) => {
    setter(v);
    setTouched(true);
    setServerErrors((e) => {
      if (e[key] === undefined) return e;
      const next = { ...e };
      delete next[key];
      return next;
    });
  };

  return (
    <Dialog
      title={site ? `Edit site ${site.name}` : 'Add site'}
      onClose={onClose}
      busy={saving}
      width="normal"
      onSubmit={() => void submit()}
      formTestId="site-form"
      description={site ? 'Renaming moves its devices with it.' : 'Sites group devices by where they are: a lab, a store, a factory line.'}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={invalid || saving} data-testid="site-save">
            {saving ? 'Saving…' : site ? 'Save' : 'Add site'}
          </button>
        </>
      }
    >
      {formError ? (
        <div className="form-error" role="alert" data-testid="site-form-error">
          <AlertIcon />
          <span>{formError}</span>
        </div>
      ) : null}
      <div className="form-stack">
        <Field name="name" label="Name" required error={errorFor('name')}>
          {(p) => (
            <input
              {...p}
              type="text"
              value={name}
              onChange={(e) => edit(setName, 'name')(e.target.value)}
              onBlur={() => setTouched(true)}
              autoComplete="off"
              spellCheck={false}
              placeholder="lab"
              data-autofocus
            />
          )}
        </Field>
        <Field
          name="proxyJump"
          label="Jump hosts (ProxyJump)"
          error={errorFor('proxyJump')}
          hint="For this site’s devices that set none themselves: [user@]host[:port], first hop first, separated by commas. Empty: connect directly."
        >
          {(p) => (
            <input
              {...p}
              type="text"
              value={proxyJump}
              onChange={(e) => edit(setProxyJump, 'proxyJump')(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder="admin@bastion.example.net"
            />
          )}
        </Field>
        <Field name="staleAfterDays" label="Stale after (days)" error={errorFor('staleAfterDays')} hint="The audit cannot vouch for a device of this site whose last status is older than this. Empty: 7 days.">
          {(p) => <input {...p} type="text" inputMode="numeric" value={staleDays} onChange={(e) => edit(setStaleDays, 'staleAfterDays')(e.target.value)} autoComplete="off" placeholder="7" />}
        </Field>
        <label className="check check-top">
          <input type="checkbox" checked={recordTerminals} onChange={(e) => edit(setRecordTerminals, 'recordTerminals')(e.target.checked)} data-testid="field-recordTerminals" />
          <span>
            Record terminal sessions
            <span className="muted small check-hint">
              For audits: what terminals on this site’s devices print is saved (asciicast, playable with asciinema), never what is typed.
            </span>
          </span>
        </label>
        <Field
          name="keepRecordingsDays"
          label="Keep recordings (days)"
          error={errorFor('keepRecordingsDays')}
          hint="Recordings of this site are removed this many days after the session ended (the activity log says so). Empty: kept for ever."
        >
          {(p) => <input {...p} type="text" inputMode="numeric" value={keepDays} onChange={(e) => edit(setKeepDays, 'keepRecordingsDays')(e.target.value)} autoComplete="off" placeholder="for ever" />}
        </Field>
        <Field name="notes" label="Notes" error={errorFor('notes')}>
          {(p) => <textarea {...p} rows={3} value={notes} onChange={(e) => edit(setNotes, 'notes')(e.target.value)} />}
        </Field>
      </div>
    </Dialog>
  );
}
