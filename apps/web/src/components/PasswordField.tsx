import { useI18n, type MessageKey } from '../i18n/i18n';
import { Field } from './Field';

type AutoComplete = 'current-password' | 'new-password';

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
  label: MessageKey;
  hint?: MessageKey | undefined;
  error?: string | undefined;
  value: string;
  onChange: (value: string) => void;
  autoComplete: AutoComplete;
  autoFocus?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t(label)} hint={hint ? t(hint) : undefined} error={error}>
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

/**
 * The password fields of one dialog: each shows the dialog's error for its id, and the
 * dialog's first field takes the focus.
 */
export function passwordFieldsOf(fieldError: (id: string) => string | undefined, firstId: string) {
  return (
    id: string,
    label: MessageKey,
    value: string,
    onChange: (value: string) => void,
    autoComplete: AutoComplete,
    hint?: MessageKey,
  ) => (
    <PasswordField
      id={id}
      label={label}
      hint={hint}
      error={fieldError(id)}
      value={value}
      onChange={onChange}
      autoComplete={autoComplete}
      autoFocus={id === firstId}
    />
  );
}
