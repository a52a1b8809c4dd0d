import { Module } from '@nestjs/common';
import type { INestApplication, Provider, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

export function openApiConfig(title: string) {
  return new DocumentBuilder()
    .setTitle(title)
    .setDescription('Tandem REST API. Errors are application/problem+json (RFC 9457); see the contract.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
}

/** Serves the app's OpenAPI document at /docs (UI) and /docs-json, outside production. */
export function serveOpenApi(app: INestApplication, title: string): void {
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, openApiConfig(title)));
}

/**
 * The document of a set of controllers without their infrastructure: every constructor dependency
 * (and the guards') is stubbed, since only route metadata is read. Used by the export script.
 */
export async function openApiDocument(title: string, controllers: Type[], guards: Type[] = []): Promise<OpenAPIObject> {
  const dependencies = new Set<Type>();
  for (const type of [...controllers, ...guards]) {
    for (const dep of (Reflect.getMetadata('design:paramtypes', type) ?? []) as Type[]) dependencies.add(dep);
  }
  const stubs: Provider[] = [...dependencies]
    .filter((dep) => dep && dep.name !== 'Reflector')
    .map((dep) => ({ provide: dep, useValue: {} }));
  @Module({ controllers, providers: [...stubs, ...guards] })
  class DocumentModule {}
  const app = await NestFactory.create(DocumentModule, { logger: false, abortOnError: false });
  const document = SwaggerModule.createDocument(app, openApiConfig(title));
  await app.close();
  return document;
}
