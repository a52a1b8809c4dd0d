// Jest 29 cannot require() an ES module; Node (>= 22.12) can. light-my-request (CommonJS) requires
// the ESM-only `cookie` 2 for one function, so under Jest only, `cookie` resolves to this CommonJS
// stand-in (jest.config.js, moduleNameMapper): the CommonJS `cookie` 0.7 that Express uses, plus
// that one function written with it.
const cookie = require('../../node_modules/cookie/index.js');

module.exports = {
  ...cookie,
  stringifySetCookie: ({ name, value, ...attributes }) => cookie.serialize(name, value, attributes),
};
