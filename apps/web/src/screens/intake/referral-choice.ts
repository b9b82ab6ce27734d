import type { ReferralKind } from '../../api/types';

/** A referral as the intake draft keeps it: enough to show it again after a reload. */
export interface ReferralChoice {
  id: string;
  name: string;
  kind: ReferralKind;
}
