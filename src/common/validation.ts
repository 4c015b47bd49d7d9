import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateIf } from 'class-validator';
import { DomainError, FieldError } from './domain-error';
import { bodyNotObject } from './errors';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    // Optional fields skip validation when absent (OptionalField, IsOptional), so a rule that
    // failed on an absent value means the field is required: say that, not its type rule.
    const messages = error.value === undefined && error.constraints ? [`${field} is required`] : Object.values(error.constraints ?? {});
    const own = messages.map((message) => ({ field, message }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Strict DTO validation: unknown fields are rejected (not silently dropped), nothing is
 * converted implicitly ("1" is not a number), and the error lists every field.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    // One message per field: the first rule it breaks (type before range).
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      const detail = fieldErrors.map((e) => e.message).join('; ') || 'Request tidak valid';
      return new DomainError('VALIDATION_FAILED', detail, fieldErrors);
    },
  });
}

/**
 * Leaves path parameters as the raw strings they arrived as. The stock pipe would turn a
 * `number` parameter into `+value` first, so "1e3", "0x10" or " 12" reached ParseIdPipe as
 * valid-looking numbers.
 */
class StrictValidationPipe extends ValidationPipe {
  protected transformPrimitive(value: unknown): unknown {
    return value;
  }

  /**
   * A body DTO wants a JSON object. An array would otherwise be validated as an object with
   * keys 0, 1, ... ("property 0 should not exist"), and null or a string as an unknown value.
   */
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && this.toValidate(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw bodyNotObject();
    }
    return super.transform(value, metadata);
  }
}

/** Path ids: a positive safe integer written in plain digits, or 400. */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const field = metadata.data ?? 'id';
    if (!/^[1-9]\d{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) {
      const message = `${field} must be a positive integer`;
      throw new DomainError('VALIDATION_FAILED', message, [{ field, message }]);
    }
    return Number(value);
  }
}

/**
 * For a route that takes no body. None, null or {} passes; any field is refused like an unknown
 * field of a DTO, because whoever sends one expects it to count: a deposit confirmation sent
 * with {"jumlah": 95000} would otherwise credit jumlah_transfer and answer 200.
 */
@Injectable()
export class NoBodyPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    if (value === undefined || value === null) return undefined;
    const fields = typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : ['body'];
    if (fields.length === 0) return undefined;
    const errors = fields.map((field) => ({ field, message: field === 'body' ? 'This route takes no body' : `property ${field} should not exist` }));
    throw new DomainError('VALIDATION_FAILED', errors.map((e) => e.message).join('; '), errors);
  }
}

/**
 * An optional body field: it may be left out, but an explicit null is validated (and so
 * rejected) like any other wrong value, unlike class-validator's @IsOptional().
 */
export const OptionalField = () => ValidateIf((_object: object, value: unknown) => value !== undefined);

/** Surrounding whitespace of a text field is dropped before it is validated and stored. */
export const Trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));
