import type { ComponentType } from 'react';
import { ROLES, type Role } from '../api/types';
import type { MessageKey } from '../i18n/i18n';
import { RoleGrantsScreen } from '../screens/admin/RoleGrantsScreen';
import { UsersScreen } from '../screens/admin/UsersScreen';
import { AvailabilityScreen } from '../screens/availability/AvailabilityScreen';
import { CaseScreen } from '../screens/cases/CaseScreen';
import { CaseSearchScreen } from '../screens/cases/CaseSearchScreen';
import { CasesScreen } from '../screens/cases/CasesScreen';
import { AssignmentsScreen } from '../screens/coordinator/AssignmentsScreen';
import { RotaScreen } from '../screens/coordinator/RotaScreen';
import { StatisticsScreen } from '../screens/coordinator/StatisticsScreen';
import { WithdrawalsScreen } from '../screens/coordinator/WithdrawalsScreen';
import { EmergencyBoardScreen } from '../screens/emergencies/EmergencyBoardScreen';
import { IntakeScreen } from '../screens/intake/IntakeScreen';
import { NotificationsScreen } from '../screens/notifications/NotificationsScreen';
import { PasskeysScreen } from '../screens/passkeys/PasskeysScreen';
import { ReferralDirectoryScreen } from '../screens/referrals/ReferralDirectoryScreen';

export interface ScreenDefinition {
  /** A react-router path; `:id` parts are ids, never anything personal. */
  path: string;
  /** Its name in the navigation and the window title. */
  title: MessageKey;
  /** Who may open it; a person with any of these roles sees it. */
  roles: readonly Role[];
  Component: ComponentType;
  /** Reached by a link (a case, the notifications bell), not from the navigation bar. */
  hidden?: boolean;
}

/**
 * Every screen, in navigation order; "/" opens a person's first one (a responder lands on the
 * emergency board, a coordinator on the statistics). A person sees the
 * screens of all their roles; the server checks every request again, this only keeps the
 * menu honest and refuses a typed address the role has no business at.
 */
export const SCREENS: readonly ScreenDefinition[] = [
  { path: '/intake', title: 'nav.intake', roles: ['volunteer'], Component: IntakeScreen },
  { path: '/cases', title: 'nav.cases', roles: ['lawyer', 'psychologist'], Component: CasesScreen },
  {
    path: '/statistics',
    title: 'nav.statistics',
    roles: ['coordinator'],
    Component: StatisticsScreen,
  },
  {
    path: '/assignments',
    title: 'nav.assignments',
    roles: ['coordinator'],
    Component: AssignmentsScreen,
  },
  { path: '/rota', title: 'nav.rota', roles: ['coordinator'], Component: RotaScreen },
  {
    path: '/emergencies',
    title: 'nav.emergencies',
    roles: ['responder', 'coordinator'],
    Component: EmergencyBoardScreen,
  },
  {
    path: '/availability',
    title: 'nav.availability',
    roles: ['lawyer', 'psychologist', 'responder'],
    Component: AvailabilityScreen,
  },
  // After each role's first screen: "/" must still open a responder's board.
  {
    path: '/search',
    title: 'nav.search',
    roles: ['lawyer', 'psychologist', 'responder', 'coordinator'],
    Component: CaseSearchScreen,
  },
  { path: '/admin/users', title: 'nav.users', roles: ['admin'], Component: UsersScreen },
  {
    path: '/role-grants',
    title: 'nav.roleGrants',
    roles: ['admin', 'coordinator'],
    Component: RoleGrantsScreen,
  },
  {
    path: '/withdrawals',
    title: 'nav.withdrawals',
    roles: ['coordinator'],
    Component: WithdrawalsScreen,
  },
  // Kept by coordinators; read-only for those who refer callers (volunteers mostly use the
  // intake form's picker). Admins have no business in it.
  {
    path: '/referrals',
    title: 'nav.referrals',
    roles: ['coordinator', 'volunteer', 'lawyer', 'psychologist', 'responder'],
    Component: ReferralDirectoryScreen,
  },
  {
    path: '/cases/:id',
    title: 'nav.case',
    roles: ['lawyer', 'psychologist', 'responder', 'coordinator'],
    Component: CaseScreen,
    hidden: true,
  },
  {
    path: '/notifications',
    title: 'nav.notifications',
    roles: ['lawyer', 'psychologist', 'responder', 'coordinator'],
    Component: NotificationsScreen,
    hidden: true,
  },
  // Everyone's own passkeys, reached from the header.
  {
    path: '/passkeys',
    title: 'nav.passkeys',
    roles: ROLES,
    Component: PasskeysScreen,
    hidden: true,
  },
];

export const mayOpen = (screen: ScreenDefinition, roles: readonly Role[]): boolean =>
  screen.roles.some((role) => roles.includes(role));
