import { lazy, Suspense } from 'react';
import { useI18n } from '../../i18n/i18n';

const QrCode = lazy(() => import('./QrCode'));

/** The secret in groups of four, easier to type into an authenticator by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})(?=.)/g, '$1 ');

/**
 * A new second factor's key, to put into an authenticator app: the QR code and the secret,
 * between the instructions. Shown once, at enrolment (sign-in or an enrolment code).
 */
export function TotpKey({ otpauthUri, secret }: { otpauthUri: string; secret: string }) {
  const { t } = useI18n();
  return (
    <>
      <p>{t('enrol.scan')}</p>
      <div className="enrol__key">
        <Suspense fallback={<div className="qr qr--placeholder" />}>
          <QrCode value={otpauthUri} label={t('enrol.qr')} />
        </Suspense>
        <div>
          <p className="field__label">{t('enrol.secret')}</p>
          <p>
            <code className="secret" translate="no">
              {grouped(secret)}
            </code>
          </p>
          <p className="field__hint">{t('enrol.warning')}</p>
        </div>
      </div>
      <p>{t('enrol.then')}</p>
    </>
  );
}
