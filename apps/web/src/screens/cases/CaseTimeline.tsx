import type { TimelineEntry } from '../../api/types';
import { useI18n } from '../../i18n/i18n';
import { timelineText } from './case-words';

/** What happened to the case and who did it, newest last: it reads as a story. */
export function CaseTimeline({
  timeline,
  nameOf,
}: {
  timeline: TimelineEntry[];
  nameOf: (userId: string | null) => string;
}) {
  const { t, label, dateTime } = useI18n();
  return (
    <section className="panel" aria-labelledby="case-timeline-title">
      <h2 id="case-timeline-title">{t('timeline.title')}</h2>
      <ol className="timeline">
        {timeline.map((entry, index) => (
          <li
            key={`${entry.at}-${index}`}
            className={`timeline__entry timeline__entry--${entry.type}`}
          >
            <span className="timeline__when">{dateTime(entry.at)}</span>
            <span className="timeline__what">{timelineText(t, label, entry)}</span>
            <span className="timeline__who">{nameOf(entry.actorId)}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
