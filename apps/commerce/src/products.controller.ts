import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { STREAM_OFFSET_HEADER } from '@tandem/contracts';
import { ListProductsQueryDto, NewProductDto, UpdateProductDto } from '@tandem/contracts/server';
import type { Page, Product } from '@tandem/contracts';
import { Authenticated } from '@tandem/security';
import { CallerRateLimitGuard } from './caller-rate-limit.guard.js';
import { CatalogService } from './catalog.service.js';
import { etagOf, expectedVersion, matchesIfNoneMatch } from './etag.js';

@ApiTags('catalog')
@Controller('api/v1/products')
@UseGuards(CallerRateLimitGuard)
export class ProductsController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  async list(@Query() query: ListProductsQueryDto, @Res({ passthrough: true }) res: Response): Promise<Page<Product>> {
    const { value, offset } = await this.catalog.list(query);
    res.setHeader(STREAM_OFFSET_HEADER, String(offset));
    return value;
  }

  @Get(':id')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'ETag of a cached copy: 304 when unchanged' })
  async get(
    @Param('id') id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Product | undefined> {
    const { value, offset } = await this.catalog.get(id);
    res.setHeader(STREAM_OFFSET_HEADER, String(offset));
    res.setHeader('ETag', etagOf(value.version));
    res.setHeader('Cache-Control', 'no-cache');
    if (matchesIfNoneMatch(ifNoneMatch, value.version)) {
      res.status(304);
      return undefined;
    }
    return value;
  }

  @Post()
  @Authenticated('admin')
  async create(@Body() dto: NewProductDto, @Res({ passthrough: true }) res: Response): Promise<Product> {
    const product = await this.catalog.create(dto);
    res.setHeader('ETag', etagOf(product.version));
    res.setHeader('Location', `/api/v1/products/${product.id}`);
    return product;
  }

  @Patch(':id')
  @ApiHeader({ name: 'If-Match', required: false, description: 'ETag the change is based on: 412 when stale' })
  @HttpCode(200)
  @Authenticated('admin')
  async update(
    @Param('id') id: string,
    @Body() dto: UpdateProductDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Product> {
    const product = await this.catalog.update(id, dto, expectedVersion(ifMatch));
    res.setHeader('ETag', etagOf(product.version));
    return product;
  }
}
