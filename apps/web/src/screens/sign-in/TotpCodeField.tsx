import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';

/**
 * The authenticator's six-digit code, as sign-in and enrolment ask for it: digits only (a
 * pasted "123 456" keeps its digits), offered to the browser as a one-time code.
 */
export function TotpCodeField({
  id,
  value,
  onChange,
  error,
  autoFocus,
}: {
  id: string;
  value: string;
  onChange: (digits: string) => void;
  error?: string | undefined;
  autoFocus?: boolean | undefined;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t('signIn.code')} hint={t('signIn.codeHint')} error={error}>
      {(control) => (
        <input
          {...control}
          className="input input--code"
          name="totp"
          inputMode="numeric"
          autoComplete="one-time-code"
          maxLength={6}
          value={value}
          onChange={(event) => onChange(event.target.value.replace(/\D/g, ''))}
          autoFocus={autoFocus}
        />
      )}
    </Field>
  );
}
