import { Field } from '../../components/Field';
import { useI18n } from '../../i18n/i18n';
import { PASSKEY_NAME_MAX } from '../../session/webauthn';

/** The name a person gives a passkey, to tell their keys apart (sealed on the server). */
export function PasskeyNameField({
  id,
  value,
  onChange,
  error,
  autoFocus,
}: {
  id: string;
  value: string;
  onChange: (name: string) => void;
  error?: string | undefined;
  autoFocus?: boolean;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t('passkey.name')} hint={t('passkey.nameHint')} error={error}>
      {(control) => (
        <input
          {...control}
          className="input"
          name="passkey-name"
          autoComplete="off"
          maxLength={PASSKEY_NAME_MAX}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          {...(autoFocus ? { autoFocus: true } : {})}
        />
      )}
    </Field>
  );
}

/** What is wrong with a passkey's name before asking the server, if anything. */
export function passkeyNameProblem(name: string): 'passkey.error.name' | null {
  const trimmed = name.trim();
  return trimmed.length === 0 || trimmed.length > PASSKEY_NAME_MAX ? 'passkey.error.name' : null;
}
