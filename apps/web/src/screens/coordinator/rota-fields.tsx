import type { Tier } from '../../api/types';
import { Field } from '../../components/Field';
import { useI18n, type MessageKey } from '../../i18n/i18n';
import type { People } from './RotaWeek';

export const TIERS: Tier[] = [1, 2, 3];

/** The tier a shift (one-off or recurring) is for. */
export function TierField({
  id,
  label,
  tier,
  onChange,
}: {
  id: string;
  label: MessageKey;
  tier: Tier;
  onChange: (tier: Tier) => void;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t(label)}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={tier}
          onChange={(event) => onChange(Number(event.target.value) as Tier)}
        >
          {TIERS.map((n) => (
            <option key={n} value={n}>
              {t(`rota.tierName${n}`)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Who takes the shift: the people who may be on call at that tier. */
export function PersonField({
  id,
  label,
  candidates,
  chosen,
  error,
  onChange,
}: {
  id: string;
  label: MessageKey;
  candidates: People[Tier];
  chosen: string;
  error: string | undefined;
  onChange: (userId: string) => void;
}) {
  const { t } = useI18n();
  return (
    <Field id={id} label={t(label)} error={error}>
      {(control) => (
        <select
          {...control}
          className="input"
          value={chosen}
          onChange={(event) => onChange(event.target.value)}
        >
          <option value="">{t('rota.choosePerson')}</option>
          {candidates.map((p) => (
            <option key={p.userId} value={p.userId}>
              {p.username}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
