export * from './hello.js';
