import { Injectable, PipeTransform } from '@nestjs/common';
import { Tier } from '@mayak/emergency';
import { RequestValidationError } from '../http/validation';

@Injectable()
export class TierPipe implements PipeTransform<string, Tier> {
  transform(value: string): Tier {
    if (value === '1' || value === '2' || value === '3') return Number(value) as Tier;
    throw new RequestValidationError({ tier: ['tier must be 1, 2 or 3'] });
  }
}
