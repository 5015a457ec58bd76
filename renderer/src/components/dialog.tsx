/**
 * A modal built on the native <dialog> element: `showModal()` traps focus, Esc closes,
 * and focus returns to whatever had it before the dialog opened.
 */
import { useEffect, useRef, type FormEvent, type ReactElement, type ReactNode } from 'react';
import { CloseIcon } from './icons';

export interface DialogProps {
  title: string;
  /** Called when the user dismisses it (Esc, ×, Cancel). */
  onClose(): void;
  children: ReactNode;
  /** Buttons for the footer. */
  footer?: ReactNode;
  /** When set, the body is a <form> with this submit handler. */
  onSubmit?(e: FormEvent<HTMLFormElement>): void;
  formTestId?: string;
  width?: 'narrow' | 'normal' | 'wide' | 'xwide';
  /** While true, Esc and × do nothing (e.g. while saving). */
  busy?: boolean;
  description?: ReactNode;
}

/** A modal dialog with a title bar, a body and a footer. */
export function Dialog({ title, onClose, children, footer, onSubmit, formTestId, width = 'normal', busy, description }: DialogProps): ReactElement {
  const ref = useRef<HTMLDialogElement>(null);
  const onCloseRef = useRef(onClose);
  const busyRef = useRef(busy);
  useEffect(() => {
    onCloseRef.current = onClose;
    busyRef.current = busy;
  });

  useEffect(() => {
    const dlg = ref.current;
    if (!dlg) return;
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dlg.open) dlg.showModal();
    // React's autoFocus runs before showModal; honour `data-autofocus` instead.
    const first = dlg.querySelector<HTMLElement>('[data-autofocus]');
    first?.focus();
    const onCancel = (e: Event): void => {
      // <input type=file> fires a bubbling "cancel" when its chooser is dismissed: not ours.
      if (e.target !== dlg) return;
      e.preventDefault();
      if (!busyRef.current) onCloseRef.current();
    };
    dlg.addEventListener('cancel', onCancel);
    return () => {
      dlg.removeEventListener('cancel', onCancel);
      if (dlg.open) dlg.close();
      if (previous && previous.isConnected) previous.focus();
    };
  }, []);

  const titleId = `dlg-title-${title.replace(/\W+/g, '-').toLowerCase()}`;
  const body = (
    <>
      <header className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={() => !busy && onClose()}>
          <CloseIcon />
        </button>
      </header>
      <div className="dialog-body">
        {description ? <p className="dialog-description">{description}</p> : null}
        {children}
      </div>
      {footer ? <footer className="dialog-footer">{footer}</footer> : null}
    </>
  );

  return (
    <dialog ref={ref} className={`dialog dialog-${width}`} aria-labelledby={titleId}>
      {onSubmit ? (
        <form
          noValidate
          data-testid={formTestId}
          onSubmit={(e) => {
            e.preventDefault();
            onSubmit(e);
          }}
        >
          {body}
        </form>
      ) : (
        body
      )}
    </dialog>
  );
}

/** A form dialog's footer: Cancel, and the submit button that starts what the form asks for. */
export function SubmitFooter({ onCancel, label, testId }: { onCancel(): void; label: string; testId: string }): ReactElement {
  return (
    <>
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="button button-primary" data-testid={testId}>
        {label}
      </button>
    </>
  );
}
