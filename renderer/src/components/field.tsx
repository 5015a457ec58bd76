/** A labelled form field with an inline error wired up through aria-describedby. */
import type { ReactElement, ReactNode } from 'react';

export interface FieldProps {
  /** The field key: ids become `f-<name>`, test ids `field-<name>` / `error-<name>`. */
  name: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  required?: boolean;
  /** Renders the control; spread the props onto it. */
  children(props: FieldControlProps): ReactNode;
  className?: string;
}

/** Props every control in a Field receives. */
export interface FieldControlProps {
  id: string;
  'data-testid': string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

/** Label, control, hint and error message. */
export function Field({ name, label, error, hint, required, children, className }: FieldProps): ReactElement {
  const id = `f-${name}`;
  const describedBy = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id}>
        {label}
        {required ? <span className="required" aria-hidden="true"> *</span> : null}
      </label>
      {children({ id, 'data-testid': `field-${name}`, 'aria-invalid': !!error, 'aria-describedby': describedBy })}
      {hint && !error ? (
        <div className="field-hint" id={`${id}-hint`}>
          {hint}
        </div>
      ) : null}
      {error ? (
        <div className="field-error" id={`${id}-error`} data-testid={`error-${name}`} role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}
