export const HELLO = 'hi';
//# sourceMappingURL=hello.js.map