import { Injectable, PipeTransform } from '@nestjs/common';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { RequestValidationError } from '../http/validation';

/** A calendar date written YYYY-MM-DD that exists (no 31 February). */
export function isLocalDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** The property must be a local date (YYYY-MM-DD), optionally not before another one. */
export function IsLocalDate(notBefore?: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isLocalDate',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: notBefore
          ? `${String(propertyName)} must be a date YYYY-MM-DD, not before ${notBefore}`
          : `${String(propertyName)} must be a date YYYY-MM-DD`,
        ...options,
      },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          if (!isLocalDate(value)) return false;
          const other = notBefore ? (args.object as Record<string, unknown>)[notBefore] : undefined;
          return !isLocalDate(other) || value >= other;
        },
      },
    });
}

/** A path parameter that is a local date (YYYY-MM-DD). */
@Injectable()
export class LocalDatePipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (isLocalDate(value)) return value;
    throw new RequestValidationError({ [this.name]: [`${this.name} must be a date YYYY-MM-DD`] });
  }
}
