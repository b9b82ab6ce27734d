import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'mayak:public';
/** The route needs no session. Everything else does: deny by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

export const PASSKEY_SETUP = 'mayak:passkey-setup';
/**
 * The route serves a session that may only set up its first passkey (sessionReach in
 * libs/access): who am I, sign out, the passkey routes. Every other route refuses it.
 */
export const PasskeySetup = (): MethodDecorator & ClassDecorator =>
  SetMetadata(PASSKEY_SETUP, true);
