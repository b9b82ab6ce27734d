import { CUBOIDS } from './cuboids';
import { Dimension, DIMENSION, DIMENSIONS } from './dimensions';

/**
 * SQL that builds one day of the daily rollup from the contacts, all cuboids at once. Cuboids
 * are grouped by which multi-valued dimensions they unnest (none, topic, service, both), and
 * each group is one GROUPING SETS query over that day's contacts: four scans of a day's rows
 * instead of one per cuboid.
 */
export function buildDaySql(tz: string): string[] {
  const classes = new Map<string, number[]>();
  CUBOIDS.forEach((cuboid, id) => {
    const key = cuboid.filter((d) => DIMENSION[d].multiValued).join('+');
    classes.set(key, [...(classes.get(key) ?? []), id]);
  });
  return [...classes].map(([key, ids]) =>
    classSql(key ? (key.split('+') as Dimension[]) : [], ids, tz),
  );
}

function classSql(unnested: Dimension[], ids: number[], tz: string): string {
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
  return `
    INSERT INTO stats_rollup_day (cuboid, bucket, ${DIMENSIONS.map((d) => DIMENSION[d].column).join(', ')}, contacts, consented)
    SELECT ${cuboidId}, $1::date, ${columns.join(', ')}, count(*)::int, (count(*) FILTER (WHERE x.stats_consented))::int
      FROM (SELECT ${[...select, 'ct.stats_consented'].join(', ')}
              FROM contacts ct ${joins.join(' ')}
             WHERE ct.started_at >= ($1::date)::timestamp AT TIME ZONE '${tz}'
               AND ct.started_at < ($1::date + 1)::timestamp AT TIME ZONE '${tz}') x
     GROUP BY ${used.length ? `GROUPING SETS (${sets})` : '()'}`;
}

/** A month of the monthly rollup, summed from its days. */
export const BUILD_MONTH_SQL = `
  INSERT INTO stats_rollup_month (cuboid, bucket, ${DIMENSIONS.map((d) => DIMENSION[d].column).join(', ')}, contacts, consented)
  SELECT cuboid, $1::date, ${DIMENSIONS.map((d) => DIMENSION[d].column).join(', ')}, sum(contacts)::int, sum(consented)::int
    FROM stats_rollup_day
   WHERE bucket >= $1::date AND bucket < ($1::date + interval '1 month')
   GROUP BY cuboid, ${DIMENSIONS.map((d) => DIMENSION[d].column).join(', ')}`;
