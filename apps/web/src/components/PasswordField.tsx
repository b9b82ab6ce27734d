import type { ReactNode } from 'react';
import { Field } from './Field';

/** A password field with its label, hint and error: never spell-checked, never autofilled wrongly. */
export function PasswordField({
  id,
  label,
  hint,
  error,
  value,
  onChange,
  autoComplete,
  autoFocus = false,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode | undefined;
  error?: string | undefined;
  value: string;
  onChange: (value: string) => void;
  autoComplete: 'current-password' | 'new-password';
  autoFocus?: boolean;
}) {
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      {(control) => (
        <input
          {...control}
          className="input"
          type="password"
          autoComplete={autoComplete}
          spellCheck={false}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          {...(autoFocus ? { autoFocus: true } : {})}
        />
      )}
    </Field>
  );
}
