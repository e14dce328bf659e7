import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isEmailAddress } from '../../domain/email-address.js';

/** class-validator's form of the domain's one email check (isEmailAddress), for GraphQL inputs. */
export function IsEmailAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmailAddress',
      validator: {
        validate: (value) => isEmailAddress(value),
        defaultMessage: () => '$property must be a valid email address, without control characters',
      },
    },
    options,
  );
}
