import { Test } from '@nestjs/testing';
import { Controller, Get, Module } from '@nestjs/common';
import request from 'supertest';
import { HELLO } from '@tandem/contracts';
@Controller() class C { @Get('x') x() { return { HELLO }; } }
@Module({ controllers: [C] }) class M {}
describe('smoke', () => {
  it('works', async () => {
    const mod = await Test.createTestingModule({ imports: [M] }).compile();
    const app = mod.createNestApplication(); await app.init();
    const r = await request(app.getHttpServer()).get('/x');
    expect(r.body).toEqual({ HELLO: 'hi' });
    await app.close();
  });
});
