import { columnOf } from '../../apps/web/src/screens/coordinator/rota-week';

const ZONE = 'Europe/Moscow';
/** A Moscow wall-clock time (UTC+3, no daylight saving) as an ISO instant. */
const msk = (date: string, time: string) => new Date(`${date}T${time}:00+03:00`).toISOString();

describe('the rota week: which day column a shift is shown in', () => {
  const monday = '2026-12-07';

  it('a shift of the week is in the column of the day it starts', () => {
    expect(columnOf(msk('2026-12-09', '20:00'), msk('2026-12-10', '02:00'), monday, ZONE)).toBe(
      '2026-12-09',
    );
    expect(columnOf(msk('2026-12-13', '22:00'), msk('2026-12-14', '06:00'), monday, ZONE)).toBe(
      '2026-12-13',
    );
  });

  it('a shift still on when the week begins is on its Monday; one that ended by then is not', () => {
    expect(columnOf(msk('2026-12-06', '22:00'), msk('2026-12-07', '06:00'), monday, ZONE)).toBe(
      monday,
    );
    expect(
      columnOf(msk('2026-12-06', '18:00'), msk('2026-12-07', '00:00'), monday, ZONE),
    ).toBeNull();
  });

  it("last week's shifts, still at hand while the next week loads, land on no day of it", () => {
    // The stand-in's replaced occurrence of last Wednesday, shown for a moment on Monday.
    expect(
      columnOf(msk('2026-12-02', '09:00'), msk('2026-12-02', '12:00'), monday, ZONE),
    ).toBeNull();
    // And the next week's, going back a week.
    expect(
      columnOf(msk('2026-12-14', '09:00'), msk('2026-12-14', '12:00'), monday, ZONE),
    ).toBeNull();
  });
});
