import type { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsString, Min, ValidateNested } from 'class-validator';
import { ProblemException } from './problem.js';
import { createValidationPipe } from './validation.js';

class Price {
  @IsInt()
  @Min(0)
  amount!: number;
}

class NewThing {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Price)
  price!: Price;
}

const metadata: ArgumentMetadata = { type: 'body', metatype: NewThing };

async function problemOf(value: unknown): Promise<ProblemException> {
  try {
    await createValidationPipe().transform(value, metadata);
  } catch (error) {
    if (error instanceof ProblemException) return error;
    throw error;
  }
  throw new Error('expected a problem');
}

describe('validation pipe', () => {
  it('turns a valid body into an instance of its DTO', async () => {
    const value = await createValidationPipe().transform({ name: 'Mug', price: { amount: 5 } }, metadata);
    expect(value).toBeInstanceOf(NewThing);
    expect(value.price).toBeInstanceOf(Price);
  });

  it('rejects unknown fields instead of dropping them, naming each (nested ones with their path)', async () => {
    const problem = await problemOf({ name: 'Mug', price: { amount: 5, discount: 1 }, admin: true });
    expect(problem.getStatus()).toBe(400);
    expect(problem.extra.errors).toEqual(
      expect.arrayContaining([
        { field: 'admin', message: 'is not allowed' },
        { field: 'price.discount', message: 'is not allowed' },
      ]),
    );
  });

  it('never converts implicitly: "5" is not a number', async () => {
    const problem = await problemOf({ name: 'Mug', price: { amount: '5' } });
    expect(new Set(problem.extra.errors?.map((error) => error.field))).toEqual(new Set(['price.amount']));
    // The message is about the rule; the field is named once, in `field`.
    expect(problem.extra.errors).toContainEqual({ field: 'price.amount', message: 'must be an integer number' });
  });

  it('lists every bad field at once', async () => {
    const problem = await problemOf({ name: 3, price: { amount: -1 } });
    expect(new Set(problem.extra.errors?.map((error) => error.field))).toEqual(new Set(['name', 'price.amount']));
  });
});
