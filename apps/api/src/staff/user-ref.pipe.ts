import { Injectable, PipeTransform } from '@nestjs/common';
import { RequestValidationError } from '../http/validation';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user id in a path, or `me`. */
@Injectable()
export class UserRefPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (value === 'me' || UUID.test(value)) return value.toLowerCase();
    throw new RequestValidationError({ userId: ['userId must be a UUID or me'] });
  }
}
