import { CUBOIDS } from './cuboids';
import { Dimension, DIMENSION, DIMENSIONS } from './dimensions';

/** Every dimension column of a rollup row, in key order. */
const DIMENSION_COLUMNS = DIMENSIONS.map((d) => DIMENSION[d].column).join(', ');

/**
 * SQL that builds one day of the daily rollup from the contacts, all cuboids at once. Cuboids
 * are grouped by which multi-valued dimensions they unnest (none, topic, service, both), and
 * each group is one GROUPING SETS query over that day's contacts: four scans of a day's rows
 * instead of one per cuboid.
 */
export function buildDaySql(tz: string): string[] {
  return cuboidClasses().map(([unnested, ids]) => classSql(unnested, ids, tz, 'day'));
}

/**
 * SQL that adds the cells of the contacts `$1::uuid[]` (on whatever days they fall) to
 * `stats_retired_day`, the part of each day's rollup that no longer has contacts behind it:
 * retention deletes a contact, and its statistics live on only as part of the aggregates.
 */
export function retireContactsSql(tz: string): string[] {
  return cuboidClasses().map(([unnested, ids]) => classSql(unnested, ids, tz, 'retire'));
}

/** Adds a day's retired cells to its freshly built rollup. */
export const ADD_RETIRED_DAY_SQL = `
  INSERT INTO stats_rollup_day (cuboid, bucket, ${DIMENSION_COLUMNS}, contacts, consented)
  SELECT cuboid, bucket, ${DIMENSION_COLUMNS}, contacts, consented
    FROM stats_retired_day WHERE bucket = $1::date
  ON CONFLICT (cuboid, bucket, ${DIMENSION_COLUMNS}) DO UPDATE
    SET contacts = stats_rollup_day.contacts + EXCLUDED.contacts,
        consented = stats_rollup_day.consented + EXCLUDED.consented`;

function cuboidClasses(): Array<[Dimension[], number[]]> {
  const classes = new Map<string, number[]>();
  CUBOIDS.forEach((cuboid, id) => {
    const key = cuboid.filter((d) => DIMENSION[d].multiValued).join('+');
    classes.set(key, [...(classes.get(key) ?? []), id]);
  });
  return [...classes].map(([key, ids]) => [key ? (key.split('+') as Dimension[]) : [], ids]);
}

function classSql(
  unnested: Dimension[],
  ids: number[],
  tz: string,
  mode: 'day' | 'retire',
): string {
  const used = DIMENSIONS.filter((d) => ids.some((id) => CUBOIDS[id].includes(d)));
  const value = (d: Dimension) => `v_${DIMENSION[d].column}`;
  const select = used.map((d) =>
    DIMENSION[d].multiValued
      ? `u_${d}.value AS ${value(d)}`
      : `${DIMENSION[d].source} AS ${value(d)}`,
  );
  const joins = unnested.map(
    (d) => `CROSS JOIN LATERAL unnest(${DIMENSION[d].source}) AS u_${d}(value)`,
  );
  // GROUPING(a, b, …) sets a bit (most significant first) for each argument NOT in the set.
  const masks = ids.map((id) => {
    const mask = used.reduce(
      (m, d, i) => (CUBOIDS[id].includes(d) ? m : m | (1 << (used.length - 1 - i))),
      0,
    );
    return `WHEN ${mask} THEN ${id}`;
  });
  const cuboidId = used.length
    ? `CASE GROUPING(${used.map(value).join(', ')}) ${masks.join(' ')} END`
    : String(ids[0]);
  const sets = ids.map((id) => `(${CUBOIDS[id].map(value).join(', ')})`).join(', ');
  const columns = DIMENSIONS.map((d) =>
    used.includes(d) ? `CASE WHEN GROUPING(${value(d)}) = 0 THEN ${value(d)} ELSE '' END` : `''`,
  );
  if (mode === 'retire')
    return `
    INSERT INTO stats_retired_day (cuboid, bucket, ${DIMENSION_COLUMNS}, contacts, consented)
    SELECT ${cuboidId}, x.bucket, ${columns.join(', ')}, count(*)::int, (count(*) FILTER (WHERE x.stats_consented))::int
      FROM (SELECT ${[...select, 'ct.stats_consented', `(ct.started_at AT TIME ZONE '${tz}')::date AS bucket`].join(', ')}
              FROM contacts ct ${joins.join(' ')}
             WHERE ct.id = ANY($1::uuid[])) x
     GROUP BY x.bucket${used.length ? `, GROUPING SETS (${sets})` : ''}
    ON CONFLICT (cuboid, bucket, ${DIMENSION_COLUMNS}) DO UPDATE
      SET contacts = stats_retired_day.contacts + EXCLUDED.contacts,
          consented = stats_retired_day.consented + EXCLUDED.consented`;
  return `
    INSERT INTO stats_rollup_day (cuboid, bucket, ${DIMENSION_COLUMNS}, contacts, consented)
    SELECT ${cuboidId}, $1::date, ${columns.join(', ')}, count(*)::int, (count(*) FILTER (WHERE x.stats_consented))::int
      FROM (SELECT ${[...select, 'ct.stats_consented'].join(', ')}
              FROM contacts ct ${joins.join(' ')}
             WHERE ct.started_at >= ($1::date)::timestamp AT TIME ZONE '${tz}'
               AND ct.started_at < ($1::date + 1)::timestamp AT TIME ZONE '${tz}') x
     GROUP BY ${used.length ? `GROUPING SETS (${sets})` : '()'}`;
}

/** A month of the monthly rollup, summed from its days. */
export const BUILD_MONTH_SQL = `
  INSERT INTO stats_rollup_month (cuboid, bucket, ${DIMENSION_COLUMNS}, contacts, consented)
  SELECT cuboid, $1::date, ${DIMENSION_COLUMNS}, sum(contacts)::int, sum(consented)::int
    FROM stats_rollup_day
   WHERE bucket >= $1::date AND bucket < ($1::date + interval '1 month')
   GROUP BY cuboid, ${DIMENSION_COLUMNS}`;
