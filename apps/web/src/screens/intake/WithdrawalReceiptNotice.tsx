import type { WithdrawalReceipt } from '../../api/types';
import { Notice } from '../../components/Notice';
import { useI18n } from '../../i18n/i18n';
import { inScriptOrder } from './consent-withdrawal';

/**
 * The server's receipt for a withdrawal, said as it is: what went at once, how many cases
 * closed, and, when part of it waits for a coordinator (`pendingId`), that the rest comes
 * later, if at all, and not before 24 hours; so the volunteer can tell the caller.
 */
export function WithdrawalReceiptNotice({ receipt }: { receipt: WithdrawalReceipt }) {
  const { t, label } = useI18n();
  const withdrawn = inScriptOrder(receipt.withdrawn);
  const pending = receipt.pendingId !== undefined;
  const closed = receipt.closedCaseIds.length;
  return (
    <Notice tone="success">
      <div className="withdraw-receipt">
        <p>
          <strong>
            {t('withdraw.receiptTitle', {
              scopes: withdrawn.map((scope) => label('consentScopes', scope)).join(', '),
            })}
          </strong>
        </p>
        <p>
          {t(pending ? 'withdraw.receiptMineNow' : 'withdraw.receiptAllNow')}
          {closed > 0 ? ` ${t('withdraw.receiptClosed', { count: closed })}` : null}
        </p>
        {pending ? (
          <p>
            {t('withdraw.receiptPending')}
            {withdrawn.includes('contact_back')
              ? ` ${t('withdraw.receiptContactBackPending')}`
              : null}
          </p>
        ) : null}
      </div>
    </Notice>
  );
}
