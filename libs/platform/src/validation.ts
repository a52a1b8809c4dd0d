import { ValidationPipe } from '@nestjs/common';
import type { ValidationError } from 'class-validator';
import type { FieldError } from '@tandem/contracts';
import { Problems } from './problem.js';

function fieldErrors(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([rule, message]) => ({
      field,
      // class-validator prefixes messages with the property name; keep the message about the rule.
      message:
        rule === 'whitelistValidation' ? 'is not allowed' : message.replace(new RegExp(`^${error.property}\\s`), ''),
    }));
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/**
 * Unknown fields are rejected, not dropped (docs/contract.md, "Errors"); values are not converted implicitly,
 * so `"5"` is not a number. Failures become 400 problem+json listing every field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => Problems.badRequest('The request is not valid', fieldErrors(errors)),
  });
}
