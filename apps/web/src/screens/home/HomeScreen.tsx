import { useI18n } from '../../i18n/i18n';
import { useMe } from '../../session/session';

/** For a person none of whose roles has a screen yet: say so, rather than show an empty page. */
export function HomeScreen() {
  const { t } = useI18n();
  const me = useMe();
  return (
    <section>
      <h1 tabIndex={-1}>{t('home.title', { username: me.username })}</h1>
      <p>{t('home.roles', { roles: me.roles.map((role) => t(`role.${role}`)).join(', ') })}</p>
      <p>{t('home.none')}</p>
    </section>
  );
}
