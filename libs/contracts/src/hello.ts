export const HELLO = 'hi';
