import { Type } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { MAX_AMOUNT, MAX_STOCK } from '../catalog.js';
import type { Money, NewProduct, PageQuery, ProductPatch, ProductQuery } from '../catalog.js';

export class MoneyDto implements Money {
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  amount!: number;

  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'must be an ISO 4217 code such as EUR' })
  currency!: string;
}

export class NewProductDto implements NewProduct {
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, {
    message: 'must be 1-64 letters, digits, dots, dashes or underscores',
  })
  sku!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  // Required and an object: `@ValidateNested` alone lets a missing price or a list through
  // (docs/security.md, "Orders, stock and input").
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price!: MoneyDto;

  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;
}

/** Any non-empty subset of `{ name, description, price, stock }` (emptiness is checked by the service). */
export class UpdateProductDto implements ProductPatch {
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @IsOptional()
  @IsString()
  @MaxLength(5000)
  description?: string;

  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => MoneyDto)
  price?: MoneyDto;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_STOCK)
  stock?: number;
}

export class PageQueryDto implements PageQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export class ListProductsQueryDto extends PageQueryDto implements ProductQuery {
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}
