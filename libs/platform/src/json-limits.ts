/** Deepest nesting of arrays and objects any JSON body may have (docs/security.md, "Orders, stock and input"). */
export const MAX_JSON_DEPTH = 16;
/** Most values (array elements and object members, all levels together) any JSON body may hold. */
export const MAX_JSON_VALUES = 2_000;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;

/** A body refused for its shape: body-parser keeps `status` and `type`; the problem filter names it. */
export class JsonShapeError extends Error {
  readonly status = 400;
  readonly type = 'entity.too.complex';
}

/**
 * Refuses a JSON body nested deeper than `maxDepth` or holding more than `maxValues` values, by one
 * pass over the raw bytes before it is parsed: the validation pipe and class-transformer recurse
 * into every level and element, so such bodies would cost stack and time (or a 500) long before a
 * DTO rule could refuse them. Only structure outside strings counts; a malformed body is left to
 * the parser.
 */
export function assertJsonShape(body: Buffer, maxDepth = MAX_JSON_DEPTH, maxValues = MAX_JSON_VALUES): void {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < body.length; i += 1) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i += 1;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth += 1;
      values += 1;
      if (depth > maxDepth) throw new JsonShapeError(`nested deeper than ${maxDepth} levels`);
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      depth -= 1;
    } else if (byte === COMMA) {
      values += 1;
      if (values > maxValues) throw new JsonShapeError(`more than ${maxValues} values`);
    }
  }
}

/**
 * The same limits for a value already parsed (a Socket.IO payload: its parser has run before any
 * handler can look). Walks the value iteratively, so no depth can exhaust the stack here; returns
 * the reason a value is refused, or null.
 */
export function jsonShapeProblem(
  value: unknown,
  maxDepth = MAX_JSON_DEPTH,
  maxValues = MAX_JSON_VALUES,
): string | null {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  let values = 0;
  while (pending.length > 0) {
    const { value: next, depth } = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth + 1 > maxDepth) return `nested deeper than ${maxDepth} levels`;
    const children = Array.isArray(next) ? next : Object.values(next);
    values += children.length;
    if (values > maxValues) return `more than ${maxValues} values`;
    for (const child of children) pending.push({ value: child, depth: depth + 1 });
  }
  return null;
}
