/** Address canonicalisation: one spelling per address, so expectations compare by text. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { canonicalAddr, canonicalCidr } from '../../src/script/index.js';

it('canonical IPv4 and RFC 5952 IPv6', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', '127.0.0.1'],
    ['127.0.0.256', null],
    ['1.2.3', null],
    ['0:0::1', '::1'],
    ['::', '::'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // first of two equal zero runs
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group stays
    ['::ffff:7f00:1', '::ffff:127.0.0.1'],
    ['::FFFF:127.0.0.1', '::ffff:127.0.0.1'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['1::2::3', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['12345::', null],
  ];
  for (const [input, want] of cases) assert.equal(canonicalAddr(input), want, input);
});

it('CIDR prefixes are bounded by the family', () => {
  assert.equal(canonicalCidr('10.0.0.1/32'), '10.0.0.1/32');
  assert.equal(canonicalCidr('10.0.0.1/33'), null);
  assert.equal(canonicalCidr('fd00:0::1/128'), 'fd00::1/128');
  assert.equal(canonicalCidr('fd00::1/129'), null);
  assert.equal(canonicalCidr('fd00::1'), null);
});
