import { plainToInstance, Transform } from 'class-transformer';
import { Allow, IsIn, IsInt, IsString, Length, Max, Min, ValidateBy, ValidateIf, validateSync } from 'class-validator';
import { CONFLATE_MAX_MS, CONFLATE_MIN_MS, RPC_METHODS } from '@tandem/contracts';
import { jsonShapeProblem } from '@tandem/platform';
import type { AuthRequest, RpcMethod, RpcRequest, SubscribeRequest, UnsubscribeRequest } from '@tandem/contracts';

/** Absent is fine; present (null included) must pass the field's other rules. */
const Optional = () => ValidateIf((_object, value) => value !== undefined);

/** An object of short single-line strings (rpc `headers`). */
const IsHeaderRecord = () =>
  ValidateBy({
    name: 'isHeaderRecord',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.values(value).every((v) => typeof v === 'string' && v.length <= 1024 && !/[\r\n]/.test(v)),
      defaultMessage: () => 'headers must be an object of short single-line strings',
    },
  });

// One schema per socket payload (docs/contract.md, Realtime), each implementing the contract's type.

export class SubscribePayload implements SubscribeRequest {
  @IsString()
  channel!: string;

  @Optional()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  since?: number;

  @Optional()
  @IsInt()
  @Min(CONFLATE_MIN_MS)
  @Max(CONFLATE_MAX_MS)
  conflate?: number;
}

export class UnsubscribePayload implements UnsubscribeRequest {
  @IsString()
  channel!: string;
}

export class AuthPayload implements AuthRequest {
  @IsString()
  token!: string;
}

export class RpcPayload implements RpcRequest {
  /** Any case on the wire (`get`), upper case once validated. */
  @Transform(({ value }) => (typeof value === 'string' ? value.toUpperCase() : value))
  @IsIn(RPC_METHODS)
  method!: RpcMethod;

  @IsString()
  @Length(1, 2048)
  path!: string;

  @Allow()
  body?: unknown;

  @Optional()
  @IsHeaderRecord()
  headers?: Record<string, string>;
}

type PayloadResult<T> = { ok: true; payload: T } | { ok: false; message: string };

/**
 * Validates one socket payload against its schema: an object with the schema's fields and no
 * other. The message names the first problem (it goes back in an `invalid_request` ack).
 */
export function validatePayload<T extends object>(schema: new () => T, body: unknown): PayloadResult<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, message: 'payload must be an object' };
  }
  // class-transformer and class-validator recurse into every level: refuse what is too deep or
  // too large before they see it (the limits of REST bodies, docs/security.md).
  const shape = jsonShapeProblem(body);
  if (shape) return { ok: false, message: `payload ${shape}` };
  const payload = plainToInstance(schema, body);
  const [error] = validateSync(payload, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (!error) return { ok: true, payload };
  const reason = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
  return { ok: false, message: reason.startsWith(error.property) ? reason : `${error.property}: ${reason}` };
}
