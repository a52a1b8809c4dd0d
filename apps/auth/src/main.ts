import 'reflect-metadata';
import { Module, Controller, Get } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HELLO } from '@tandem/contracts';
@Controller()
class C { @Get('x') x() { return { HELLO }; } }
@Module({ controllers: [C] })
class M {}
const app = await NestFactory.create(M);
await app.listen(3901);
console.log('listening');
