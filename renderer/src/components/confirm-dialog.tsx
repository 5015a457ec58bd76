/** A yes/no dialog for destructive actions, showing the server's refusal if any. */
import { useState, type ReactElement, type ReactNode } from 'react';
import { describeError } from '../lib/error-text';
import { Dialog } from './dialog';
import { AlertIcon } from './icons';

export interface ConfirmDialogProps {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  /** Performs the action; a thrown error is shown in the dialog and it stays open. */
  onConfirm(): Promise<void>;
  onClose(): void;
  /** Test id of the error line. */
  errorTestId?: string;
}

/** Confirm a destructive action (`data-testid="confirm-delete"` on the button). */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onClose, errorTestId = 'confirm-error' }: ConfirmDialogProps): ReactElement {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirm = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      onClose();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={title}
      onClose={onClose}
      busy={busy}
      width="narrow"
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-danger" data-testid="confirm-delete" onClick={() => void confirm()} disabled={busy}>
            {busy ? 'Deleting…' : confirmLabel}
          </button>
        </>
      }
    >
      <p className="confirm-message">{message}</p>
      {error ? (
        <div className="form-error" role="alert" data-testid={errorTestId}>
          <AlertIcon />
          <span>{error}</span>
        </div>
      ) : null}
    </Dialog>
  );
}
