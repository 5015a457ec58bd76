/** Add a site, or rename one. Names are checked as typed with the shared name rule. */
import { useMemo, useState, type ReactElement } from 'react';
import { ErrorCode, nameSchema, notesSchema, type Site } from '../../../shared/contract';
import { Dialog } from '../components/dialog';
import { Field } from '../components/field';
import { AlertIcon } from '../components/icons';
import { asAppError, describeError } from '../lib/error-text';
import { fieldMessage, issuesToFields, serverIssues, type FieldErrors } from '../lib/form';
import { useSites } from '../stores/sites';

export interface SiteDialogProps {
  /** The site to rename, or null to add one. */
  site: Site | null;
  onClose(): void;
}

/** The Add site / Rename site dialog (`data-testid="site-form"`). */
export function SiteDialog({ site, onClose }: SiteDialogProps): ReactElement {
  const add = useSites((s) => s.add);
  const rename = useSites((s) => s.rename);
  const [name, setName] = useState(site?.name ?? '');
  const [notes, setNotes] = useState(site?.notes ?? '');
  const [touched, setTouched] = useState(false);
  const [serverErrors, setServerErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const errors = useMemo<FieldErrors>(() => {
    const out: FieldErrors = {};
    const n = nameSchema.safeParse(name);
    if (!n.success) out.name = fieldMessage('Name', n.error.issues[0]?.message ?? 'is invalid');
    else if (site && n.data === site.name) out.name = 'Type the new name.';
    if (!site) {
      const t = notesSchema.safeParse(notes);
      if (!t.success) out.notes = fieldMessage('Notes', t.error.issues[0]?.message ?? 'are invalid');
    }
    return out;
  }, [name, notes, site]);
  const invalid = Object.keys(errors).length > 0;

  const submit = async (): Promise<void> => {
    setTouched(true);
    if (invalid || saving) return;
    setSaving(true);
    setFormError(null);
    try {
      if (site) await rename(site, name.trim());
      else await add({ name: name.trim(), ...(notes ? { notes } : {}) });
      onClose();
    } catch (err) {
      setSaving(false);
      const e = asAppError(err);
      if (e.code === ErrorCode.NAME_TAKEN) setServerErrors({ name: e.message });
      else if (e.code === ErrorCode.VALIDATION_FAILED && serverIssues(e).length) {
        const mapped = issuesToFields(serverIssues(e));
        const known: FieldErrors = {};
        if (mapped.name) known.name = fieldMessage('Name', mapped.name);
        if (mapped.notes) known.notes = fieldMessage('Notes', mapped.notes);
        setServerErrors(known);
        if (!known.name && !known.notes) setFormError(e.message);
      } else setFormError(describeError(e));
    }
  };

  const nameError = serverErrors.name ?? (touched ? errors.name : undefined);
  const notesError = serverErrors.notes ?? (touched ? errors.notes : undefined);

  return (
    <Dialog
      title={site ? `Rename site ${site.name}` : 'Add site'}
      onClose={onClose}
      busy={saving}
      width="narrow"
      onSubmit={() => void submit()}
      formTestId="site-form"
      description={site ? 'Its devices move with it.' : 'Sites group devices by where they are: a lab, a store, a factory line.'}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={saving}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={invalid || saving} data-testid="site-save">
            {saving ? 'Saving…' : site ? 'Rename' : 'Add site'}
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
        <Field name="name" label={site ? 'New name' : 'Name'} required error={nameError}>
          {(p) => (
            <input
              {...p}
              type="text"
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setTouched(true);
                setServerErrors({});
              }}
              onBlur={() => setTouched(true)}
              autoComplete="off"
              spellCheck={false}
              placeholder="lab"
              data-autofocus
            />
          )}
        </Field>
        {!site ? (
          <Field name="notes" label="Notes" error={notesError}>
            {(p) => (
              <textarea
                {...p}
                rows={3}
                value={notes}
                onChange={(e) => {
                  setNotes(e.target.value);
                  setTouched(true);
                }}
              />
            )}
          </Field>
        ) : null}
      </div>
    </Dialog>
  );
}
