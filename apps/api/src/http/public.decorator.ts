import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'mayak:public';
/** The route needs no session. Everything else does: deny by default. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
