import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** The property must be a date after another date property of the same object. */
export function IsAfter(other: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isAfter',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [other],
      options: { message: `${String(propertyName)} must be after ${other}`, ...options },
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const before = (args.object as Record<string, unknown>)[other];
          return (
            value instanceof Date && before instanceof Date && value.getTime() > before.getTime()
          );
        },
      },
    });
}
