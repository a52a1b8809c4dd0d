export * from './hello.js';
//# sourceMappingURL=index.js.map