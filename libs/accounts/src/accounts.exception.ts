import { DomainException } from '@mayak/platform';

export enum AccountsError {
  /** A pending grant is decided by a person on the other side, never by its proposer. */
  GrantOwnProposal = 'grant_own_proposal',
  /** Nobody decides a grant of a role to themselves. */
  GrantOwnAccount = 'grant_own_account',
  /** An admin's proposal is confirmed by a coordinator, a coordinator's by an admin. */
  GrantSameSide = 'grant_same_side',
  /** The account's owner has not enrolled yet: nobody can know whom the role would go to. */
  GranteeNotEnrolled = 'grantee_not_enrolled',
  RoleHeld = 'role_held',
  /** The role-grant route is for roles that need two people; a volunteer is made by an admin. */
  NotTwoPersonRole = 'not_two_person_role',
}

const MESSAGES: Record<AccountsError, string> = {
  [AccountsError.GrantOwnProposal]: 'Someone other than its proposer must decide this grant.',
  [AccountsError.GrantOwnAccount]: 'Nobody decides a grant of a role to themselves.',
  [AccountsError.GrantSameSide]:
    'An admin’s proposal is confirmed by a coordinator, and a coordinator’s by an admin.',
  [AccountsError.GranteeNotEnrolled]:
    'The account’s owner has not set it up with their enrolment code yet.',
  [AccountsError.RoleHeld]: 'The account already holds this role.',
  [AccountsError.NotTwoPersonRole]:
    'Only roles that need a second person are proposed here; an admin grants the volunteer role.',
};

export class AccountsException extends DomainException<AccountsError> {
  constructor(code: AccountsError) {
    super(code, MESSAGES[code]);
  }
}
