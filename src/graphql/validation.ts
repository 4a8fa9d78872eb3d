import { type ValidationError, validate } from 'class-validator';
import type { ValidatorFn } from 'type-graphql';
import { Errors, type FieldProblem } from './errors';

function problemsOf(errors: ValidationError[], prefix = ''): FieldProblem[] {
  return errors.flatMap((e) => {
    const field = prefix + e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...problemsOf(e.children ?? [], `${field}.`)];
  });
}

/**
 * type-graphql's `validateFn`: class-validator on every input and args object, failing with
 * BAD_USER_INPUT and messages that name each field (`email: must be a valid email address`).
 */
export const validateArgs: ValidatorFn = async (value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const errors = await validate(value, {
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw Errors.badInput(problemsOf(errors));
};
