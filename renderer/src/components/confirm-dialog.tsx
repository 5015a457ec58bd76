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
  /** The confirm button's text while it works. Default "Deleting…". */
  busyLabel?: string;
  /** Test id of the confirm button. Default `confirm-delete`. */
  confirmTestId?: string;
  width?: 'narrow' | 'normal';
  /** The text of the button that keeps things as they are. Default "Cancel". */
  dismissLabel?: string;
}

/** Confirm a destructive action (`data-testid="confirm-delete"` on the button). */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onClose,
  errorTestId = 'confirm-error',
  busyLabel = 'Deleting…',
  confirmTestId = 'confirm-delete',
  width = 'narrow',
  dismissLabel = 'Cancel',
}: ConfirmDialogProps): ReactElement {
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
      width={width}
      footer={
        <>
          <button type="button" className="button" onClick={onClose} disabled={busy} data-autofocus>
            {dismissLabel}
          </button>
          <button type="button" className="button button-danger" data-testid={confirmTestId} onClick={() => void confirm()} disabled={busy}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-message">{message}</div>
      {error ? (
        <div className="form-error" role="alert" data-testid={errorTestId}>
          <AlertIcon />
          <span>{error}</span>
        </div>
      ) : null}
    </Dialog>
  );
}
