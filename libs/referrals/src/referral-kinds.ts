/** What an entry of the directory is; the UI translates the codes. */
export const REFERRAL_KINDS = [
  'lawyer',
  'doctor',
  'psychologist',
  'shelter',
  'safe_housing',
  'ngo',
  'other',
] as const;
export type ReferralKind = (typeof REFERRAL_KINDS)[number];

/** An entry that helps wherever the caller is (online, by phone): found by every region. */
export const NATIONWIDE = 'nationwide';

export const REFERRAL_STATUSES = ['active', 'retired'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];
