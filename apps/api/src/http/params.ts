import { Param, ParseUUIDPipe } from '@nestjs/common';
import { RequestValidationError } from './validation';

/** A path parameter that must be a UUID; anything else is a 400 naming the parameter. */
export const UuidParam = (name = 'id'): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () => new RequestValidationError({ [name]: [`${name} must be a UUID`] }),
    }),
  );
