import type { EmergencyPaged } from '../../api/types';
import type { MessageKey } from '../../i18n/messages.ru';

const MESSAGE: Record<EmergencyPaged, MessageKey> = {
  tier1: 'intake.savedEmergency',
  tier2: 'intake.savedEmergencyTier2',
  coordinators: 'intake.savedEmergencyCoordinators',
  nobody: 'intake.savedEmergencyNobody',
};

/**
 * What the confirmation after saving an emergency says about who is paged: what the server
 * read from the rota as it saved the call (roles, never names). Without that answer (an older
 * server), the general sentence.
 */
export function emergencyPagedMessage(paged: EmergencyPaged | undefined): MessageKey {
  return paged ? MESSAGE[paged] : 'intake.savedEmergency';
}
