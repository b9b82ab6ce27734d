import type { ContactCase, MyContact } from '../../api/types';

/** The open legal or psychological case an emergency can be raised from (the API allows only those). */
export function escalatable(contact: MyContact): ContactCase | undefined {
  if (contact.cases.some((c) => c.service === 'emergency' && c.status !== 'closed'))
    return undefined;
  return contact.cases.find(
    (c) => (c.service === 'legal' || c.service === 'psych') && c.status !== 'closed',
  );
}
