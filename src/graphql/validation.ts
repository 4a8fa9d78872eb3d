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

/** What is wrong with one text input, if anything: no control character, no unpaired surrogate. */
export function textProblem(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // C0 controls (NUL included: the database refuses it), DEL and C1 controls: no name or email needs one.
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return 'must not contain control characters';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return 'must be well-formed Unicode (no unpaired surrogate)';
    } else if (c >= 0xdc00 && c <= 0xdfff) return 'must be well-formed Unicode (no unpaired surrogate)';
  }
  return null;
}

/** Every string in `value` (an input object, nested ones included) that {@link textProblem} refuses. */
function textProblemsOf(value: unknown, field: string): FieldProblem[] {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? [{ field, message }] : [];
  }
  if (value === null || typeof value !== 'object') return [];
  const prefix = field ? `${field}.` : '';
  return Object.entries(value).flatMap(([key, v]) => textProblemsOf(v, prefix + key));
}

/**
 * type-graphql's `validateFn`, on every argument: class-validator on every input and args object, and
 * one rule for all text (no control characters, well-formed Unicode), failing with BAD_USER_INPUT and
 * messages that name each field (`email: must be a valid email address`). It runs after the resolver's
 * middlewares: `ID` arguments are checked earlier, by `@ValidIds`.
 */
export const validateArgs: ValidatorFn = async (value, _type, { args }) => {
  if (typeof value === 'string') {
    const name = Object.keys(args).find((key) => args[key] === value) ?? 'argument';
    const problems = textProblemsOf(value, name);
    if (problems.length > 0) throw Errors.badInput(problems);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const errors = Array.isArray(value)
    ? []
    : await validate(value, { forbidUnknownValues: false, validationError: { target: false, value: false } });
  const problems = [...problemsOf(errors), ...textProblemsOf(value, '')];
  if (problems.length > 0) throw Errors.badInput(problems);
};
