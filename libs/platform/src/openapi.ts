import { Module } from '@nestjs/common';
import type { INestApplication, Provider, Type } from '@nestjs/common';
import { GUARDS_METADATA, SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

function openApiConfig(title: string) {
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

/** Guards a controller names with `@UseGuards`, on the class or on its routes. */
function guardsOf(controller: Type): Type[] {
  const guards = new Set<Type>((Reflect.getMetadata(GUARDS_METADATA, controller) ?? []) as Type[]);
  for (const name of Object.getOwnPropertyNames(controller.prototype)) {
    const route = (controller.prototype as Record<string, unknown>)[name];
    if (typeof route !== 'function') continue;
    for (const guard of (Reflect.getMetadata(GUARDS_METADATA, route) ?? []) as Type[]) guards.add(guard);
  }
  return [...guards].filter((guard) => typeof guard === 'function');
}

/** Constructor dependencies of `type`: its parameter types, or the tokens named with `@Inject`. */
function dependenciesOf(type: Type): unknown[] {
  const tokens: unknown[] = [...((Reflect.getMetadata('design:paramtypes', type) ?? []) as unknown[])];
  for (const { index, param } of (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, type) ?? []) as {
    index: number;
    param: unknown;
  }[]) {
    tokens[index] = param;
  }
  return tokens;
}

/**
 * The document of a set of controllers without their infrastructure: every constructor dependency
 * of the controllers and of their guards is stubbed, since only route metadata is read. Used by the
 * export script.
 */
export async function openApiDocument(title: string, controllers: Type[], guards: Type[] = []): Promise<OpenAPIObject> {
  const allGuards = [...new Set([...guards, ...controllers.flatMap(guardsOf)])];
  const dependencies = new Set<unknown>();
  for (const type of [...controllers, ...allGuards]) {
    for (const dep of dependenciesOf(type)) dependencies.add(dep);
  }
  const stubs: Provider[] = [...dependencies]
    .filter((dep) => dep && (dep as Type).name !== 'Reflector')
    .map((dep) => ({ provide: dep as Type, useValue: {} }));
  @Module({ controllers, providers: [...stubs, ...allGuards] })
  class DocumentModule {}
  const app = await NestFactory.create(DocumentModule, { logger: false, abortOnError: false });
  const document = SwaggerModule.createDocument(app, openApiConfig(title));
  await app.close();
  return document;
}
