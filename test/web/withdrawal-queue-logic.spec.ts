import type { AppNotification, PendingWithdrawal } from '../../apps/web/src/api/types';
import { formatMessage } from '../../apps/web/src/i18n/format';
import { ru, type MessageKey } from '../../apps/web/src/i18n/messages.ru';
import {
  notificationTarget,
  notificationText,
} from '../../apps/web/src/notifications/notification-text';
import {
  newestFirst,
  withdrawalDecision,
} from '../../apps/web/src/screens/coordinator/withdrawal-queue';

/** The consent-withdrawal queue's rules that need no browser. */
describe('the consent-withdrawal queue screen', () => {
  const withdrawal = (overrides: Partial<PendingWithdrawal> = {}): PendingWithdrawal => ({
    id: '00000000-0000-4000-8000-000000000001',
    scopes: ['service:legal'],
    requestedBy: 'asker',
    requestedByUsername: 'vol.one',
    requestedAt: '2026-12-04T10:00:00.000Z',
    status: 'pending',
    notBefore: '2026-12-06T00:00:00.000Z',
    ...overrides,
  });

  it('lists the newest request first, whatever order the API answers in', () => {
    const older = withdrawal({ id: 'a', requestedAt: '2026-12-03T09:00:00.000Z' });
    const newer = withdrawal({ id: 'b', requestedAt: '2026-12-04T09:00:00.000Z' });
    const newest = withdrawal({ id: 'c', requestedAt: '2026-12-04T18:30:00.000Z' });
    const answer = [older, newer, newest];
    expect(newestFirst(answer).map((w) => w.id)).toEqual(['c', 'b', 'a']);
    // The API's answer itself is left as it was.
    expect(answer.map((w) => w.id)).toEqual(['a', 'b', 'c']);
  });

  it('a coordinator cannot decide their own request, and nobody decides a confirmed one again', () => {
    expect(withdrawalDecision(withdrawal(), 'someone-else')).toBe('open');
    expect(withdrawalDecision(withdrawal(), 'asker')).toBe('own');
    expect(withdrawalDecision(withdrawal({ status: 'confirmed' }), 'someone-else')).toBe(
      'confirmed',
    );
    expect(withdrawalDecision(withdrawal({ status: 'confirmed' }), 'asker')).toBe('confirmed');
  });

  it('withdrawal notifications lead coordinators to the queue and say what happened in words', () => {
    const t = (key: MessageKey, params?: Record<string, string | number>) =>
      formatMessage(ru[key], params, 'ru-RU');
    const note = (type: AppNotification['type']): AppNotification => ({
      id: 'n',
      type,
      caseId: null,
      aboutUserId: 'asker',
      createdAt: '2026-12-04T10:00:00.000Z',
      readAt: null,
    });
    expect(notificationTarget(note('withdrawal_pending'))).toBe('/withdrawals');
    expect(notificationTarget(note('withdrawal_burst'))).toBe('/withdrawals');
    expect(notificationText(t, note('withdrawal_pending'))).toMatch(/Отзыв согласия ждёт/);
    expect(notificationText(t, note('withdrawal_burst'))).toMatch(/много отзывов согласия/);
  });
});
