import { originAllowed } from './origin-policy.js';

const req = (origin: string | undefined, host = 'api.shop.example') => ({ headers: { origin, host } });

describe('originAllowed', () => {
  it('allows clients without an Origin header (native apps, servers)', () => {
    expect(originAllowed(req(undefined), [])).toBe(true);
    expect(originAllowed(req(undefined), ['https://shop.example'])).toBe(true);
  });

  it('with a list, allows exactly the listed origins', () => {
    expect(originAllowed(req('https://shop.example'), ['https://shop.example'])).toBe(true);
    expect(originAllowed(req('https://shop.example.evil'), ['https://shop.example'])).toBe(false);
    expect(originAllowed(req('http://shop.example'), ['https://shop.example'])).toBe(false);
  });

  it('without a list, allows only the same host', () => {
    expect(originAllowed(req('https://api.shop.example'), [])).toBe(true);
    expect(originAllowed(req('https://other.example'), [])).toBe(false);
    expect(originAllowed(req('not a url'), [])).toBe(false);
  });
});
