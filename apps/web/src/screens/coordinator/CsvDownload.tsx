import { useState } from 'react';
import { api } from '../../api/client';
import { errorMessage } from '../../api/error-message';
import { useI18n } from '../../i18n/i18n';

interface Props {
  /** GET /api/stats with format=csv. */
  href: string;
  label: string;
  /** What to make of the server's CSV before saving it (names beside codes, for one). */
  transform?: (csv: string) => string;
}

/**
 * The statistics as a CSV file. Fetched through the API client rather than followed as a
 * link: an export needs a recent password and code (issue 12.4), and the client asks for them
 * and tries once more, where a plain link would save the refusal as the file.
 */
export function CsvDownload({ href, label, transform }: Props) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const download = async () => {
    setBusy(true);
    setError(null);
    try {
      const served = await api.get<string>(href, { text: true, headers: { accept: 'text/csv' } });
      const csv = transform ? transform(served) : served;
      const params = new URL(href, window.location.origin).searchParams;
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `mayak-${params.get('from')}-${params.get('to')}-${params.get('period')}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      setError(errorMessage(t, failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="section-header__aside">
      <button
        type="button"
        className="link-button"
        aria-busy={busy || undefined}
        disabled={busy}
        onClick={() => void download()}
      >
        {label}
      </button>
      {error ? (
        <span className="field__error" role="alert">
          {' '}
          {error}
        </span>
      ) : null}
    </span>
  );
}
