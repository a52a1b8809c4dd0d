import fc from 'fast-check';
import { assertJsonShape, jsonShapeProblem, JsonShapeError, MAX_JSON_DEPTH, MAX_JSON_VALUES } from './json-limits.js';

const refusal = (json: string): string | null => {
  try {
    assertJsonShape(Buffer.from(json));
    return null;
  } catch (error) {
    return error instanceof JsonShapeError ? error.message : `unexpected ${String(error)}`;
  }
};

describe('assertJsonShape', () => {
  it('passes ordinary bodies, with brackets and commas inside strings not counted', () => {
    expect(refusal(JSON.stringify({ items: [{ productId: 'x', quantity: 1 }] }))).toBeNull();
    expect(refusal(JSON.stringify({ name: '[[[[{{{{,,,,'.repeat(1000) }))).toBeNull();
    expect(refusal(JSON.stringify({ name: 'a \\" [[[[[[[[[[[[[[[[[[[[[[[[[[[[ "' }))).toBeNull();
    expect(refusal('not json')).toBeNull();
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels, arrays and objects alike`, () => {
    expect(refusal('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).toBeNull();
    expect(refusal('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper/);
    expect(refusal('{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000))).toMatch(/nested deeper/);
    // Unclosed: refused before the parser ever sees it.
    expect(refusal('{"items":' + '['.repeat(50_000))).toMatch(/nested deeper/);
  });

  it(`refuses more than ${MAX_JSON_VALUES} values in all`, () => {
    const items = (n: number) => JSON.stringify({ items: Array.from({ length: n }, () => 1) });
    expect(refusal(items(MAX_JSON_VALUES - 10))).toBeNull();
    expect(refusal(items(MAX_JSON_VALUES + 1))).toMatch(/more than/);
  });

  it('never refuses a JSON document within the limits (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: MAX_JSON_DEPTH - 1 }), (value) => {
        const json = JSON.stringify(value);
        return refusal(json) === null || (json.match(/,/g)?.length ?? 0) > MAX_JSON_VALUES;
      }),
    );
  });
});

describe('jsonShapeProblem (parsed values)', () => {
  const nested = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i += 1) value = i % 2 === 0 ? [value] : { x: value };
    return value;
  };

  it('accepts a value within the limits, scalars included', () => {
    expect(jsonShapeProblem({ channel: 'catalog', since: 3 })).toBeNull();
    expect(jsonShapeProblem('text')).toBeNull();
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH))).toBeNull();
  });

  it('refuses nesting deeper than the limit, however deep, without exhausting the stack', () => {
    expect(jsonShapeProblem(nested(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper/);
    expect(jsonShapeProblem(nested(200_000))).toMatch(/nested deeper/);
  });

  it('refuses more values than the limit', () => {
    expect(jsonShapeProblem({ lines: Array.from({ length: MAX_JSON_VALUES }, () => 1) })).toMatch(/more than/);
  });
});
