import { Role } from '@mayak/identity';

export const SERVICES = ['legal', 'psych', 'emergency'] as const;
export type Service = (typeof SERVICES)[number];

export const CONSENT_SCOPES = [
  'service:legal',
  'service:psych',
  'service:emergency',
  'contact_back',
  'statistics',
] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

/** The consent scope without which a service may not see or use a caller's case. */
export const serviceScope = (service: Service): ConsentScope => `service:${service}`;

/** Who serves which service. */
export const SERVICE_ROLE: Readonly<Record<Service, Role>> = {
  legal: 'lawyer',
  psych: 'psychologist',
  emergency: 'responder',
};

export function servicesOf(roles: readonly Role[]): Service[] {
  return SERVICES.filter((service) => roles.includes(SERVICE_ROLE[service]));
}

export function effectiveScopes(
  scopes: readonly string[],
  withdrawn: readonly string[],
): ConsentScope[] {
  return CONSENT_SCOPES.filter((scope) => scopes.includes(scope) && !withdrawn.includes(scope));
}
