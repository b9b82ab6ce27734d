import { useId } from 'react';
import type { ReactNode } from 'react';

export interface FieldControl {
  id: string;
  'aria-describedby'?: string;
  'aria-invalid'?: true;
}

interface FieldProps {
  label: ReactNode;
  hint?: ReactNode | undefined;
  error?: string | undefined;
  /** Where the error summary links to; defaults to a generated id. */
  id?: string | undefined;
  className?: string;
  children: (control: FieldControl) => ReactNode;
}

/** A label, an optional hint and error, and the control they describe, wired by id. */
export function Field({ label, hint, error, id, className, children }: FieldProps) {
  const generated = useId();
  const controlId = id ?? generated;
  const hintId = `${controlId}-hint`;
  const errorId = `${controlId}-error`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(' ');
  return (
    <div className={['field', error ? 'field--error' : '', className ?? ''].join(' ').trim()}>
      <label htmlFor={controlId} className="field__label">
        {label}
      </label>
      {error ? (
        <p id={errorId} className="field__error">
          {error}
        </p>
      ) : null}
      {children({
        id: controlId,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(error ? { 'aria-invalid': true as const } : {}),
      })}
      {/* Below the control, so the controls of a row line up; read out via aria-describedby. */}
      {hint ? (
        <p id={hintId} className="field__hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}
