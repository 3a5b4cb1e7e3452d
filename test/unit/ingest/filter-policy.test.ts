import { describe, expect, it } from 'vitest';
import {
  compileFilterPolicy,
  type FilterableAttribute,
  filterableMessage,
  filterPolicyAttributeNames,
  matchesFilterPolicy,
} from '../../../functions/shared/filter-policy.ts';

const str = (value: string): FilterableAttribute => ({ DataType: 'String', StringValue: value });
const num = (value: number): FilterableAttribute => ({
  DataType: 'Number',
  StringValue: String(value),
});
const list = (values: unknown[]): FilterableAttribute => ({
  DataType: 'String.Array',
  StringValue: JSON.stringify(values),
});

const attrs = (attributes: Record<string, FilterableAttribute>) =>
  filterableMessage(attributes, '{}');
const body = (value: unknown) => filterableMessage({}, JSON.stringify(value));

describe('filter policy evaluator: message attributes', () => {
  const cases: Array<
    [string, Record<string, unknown>, Record<string, FilterableAttribute>, boolean]
  > = [
    ['exact string', { type: ['a', 'b'] }, { type: str('b') }, true],
    ['exact string is case-sensitive', { type: ['a'] }, { type: str('A') }, false],
    ['missing attribute', { type: ['a'] }, { other: str('a') }, false],
    [
      'all keys must match',
      { type: ['a'], source: ['s'] },
      { type: str('a'), source: str('x') },
      false,
    ],
    ['prefix', { type: [{ prefix: 'com.example.' }] }, { type: str('com.example.x') }, true],
    ['suffix', { type: [{ suffix: '.paid' }] }, { type: str('order.paid') }, true],
    [
      'equals-ignore-case',
      { type: [{ 'equals-ignore-case': 'PAID' }] },
      { type: str('paid') },
      true,
    ],
    ['anything-but value', { type: [{ 'anything-but': 'a' }] }, { type: str('b') }, true],
    [
      'anything-but list excludes',
      { type: [{ 'anything-but': ['a', 'b'] }] },
      { type: str('b') },
      false,
    ],
    [
      'anything-but needs the attribute',
      { type: [{ 'anything-but': ['a'] }] },
      { x: str('b') },
      false,
    ],
    [
      'anything-but prefix',
      { type: [{ 'anything-but': { prefix: 'com.' } }] },
      { type: str('org.x') },
      true,
    ],
    [
      'anything-but prefix excludes',
      { type: [{ 'anything-but': { prefix: 'com.' } }] },
      { type: str('com.x') },
      false,
    ],
    ['exists true', { region: [{ exists: true }] }, { region: str('eu') }, true],
    ['exists false', { region: [{ exists: false }] }, { type: str('a') }, true],
    ['exists false when present', { region: [{ exists: false }] }, { region: str('eu') }, false],
    [
      'numeric range on Number',
      { price: [{ numeric: ['>', 0, '<=', 100] }] },
      { price: num(100) },
      true,
    ],
    [
      'numeric range out',
      { price: [{ numeric: ['>', 0, '<=', 100] }] },
      { price: num(100.5) },
      false,
    ],
    ['numeric = on Number', { price: [{ numeric: ['=', 301.5] }] }, { price: num(301.5) }, true],
    [
      'numeric never matches a String attribute',
      { price: [{ numeric: ['=', 5] }] },
      { price: str('5') },
      false,
    ],
    ['exact number on Number', { price: [5] }, { price: num(5) }, true],
    ['string never matches a Number attribute', { price: ['5'] }, { price: num(5) }, false],
    ['String.Array matches any element', { tags: ['b'] }, { tags: list(['a', 'b']) }, true],
    [
      'anything-but on String.Array',
      { tags: [{ 'anything-but': ['b'] }] },
      { tags: list(['a', 'b']) },
      false,
    ],
    [
      '$or',
      { $or: [{ type: ['a'] }, { source: ['s'] }] },
      { type: str('x'), source: str('s') },
      true,
    ],
    [
      '$or with an AND key',
      { region: ['eu'], $or: [{ type: ['a'] }, { source: ['s'] }] },
      { region: str('us'), type: str('a') },
      false,
    ],
    [
      'Binary attributes are ignored',
      { blob: [{ exists: true }] },
      { blob: { DataType: 'Binary' } },
      false,
    ],
  ];

  it.each(cases)('%s', (_name, policy, attributes, expected) => {
    // Act
    const matched = matchesFilterPolicy(policy, 'MessageAttributes', attrs(attributes));
    // Assess
    expect(matched).toBe(expected);
  });

  it('matches nothing when the message has no attributes, even with exists false', () => {
    expect(
      matchesFilterPolicy({ region: [{ exists: false }] }, 'MessageAttributes', attrs({}))
    ).toBe(false);
  });
});

describe('filter policy evaluator: message body', () => {
  const cases: Array<[string, Record<string, unknown>, unknown, boolean]> = [
    [
      'top-level key',
      { type: ['com.example.order.paid'] },
      { type: 'com.example.order.paid' },
      true,
    ],
    [
      'nested key',
      { data: { total: { currency: ['EUR'] } } },
      { data: { total: { currency: 'EUR' } } },
      true,
    ],
    ['nested key missing', { data: { total: { currency: ['EUR'] } } }, { data: {} }, false],
    [
      'numeric on a body number',
      { data: { total: { amount: [{ numeric: ['>=', 1000] }] } } },
      { data: { total: { amount: 1500 } } },
      true,
    ],
    [
      'numeric never matches a body string',
      { amount: [{ numeric: ['=', 5] }] },
      { amount: '5' },
      false,
    ],
    ['array of scalars matches any element', { tags: ['vip'] }, { tags: ['new', 'vip'] }, true],
    [
      'array of objects is flattened',
      { items: { sku: ['B'] } },
      { items: [{ sku: 'A' }, { sku: 'B' }] },
      true,
    ],
    [
      'array with no matching element',
      { items: { sku: ['C'] } },
      { items: [{ sku: 'A' }, { sku: 'B' }] },
      false,
    ],
    ['boolean', { gift: [true] }, { gift: true }, true],
    ['boolean does not equal its text', { gift: ['true'] }, { gift: true }, false],
    ['null value', { note: [null] }, { note: null }, true],
    ['object is not a leaf', { data: [{ exists: true }] }, { data: { a: 1 } }, false],
    [
      'exists false on a missing nested key',
      { data: { coupon: [{ exists: false }] } },
      { data: { a: 1 } },
      true,
    ],
    [
      '$or nested under a key',
      { data: { $or: [{ a: [1] }, { b: [2] }] } },
      { data: { b: 2 } },
      true,
    ],
    [
      'prefix in body',
      { type: [{ prefix: 'com.example.order.' }] },
      { type: 'com.example.order.placed' },
      true,
    ],
  ];

  it.each(cases)('%s', (_name, policy, value, expected) => {
    expect(matchesFilterPolicy(policy, 'MessageBody', body(value))).toBe(expected);
  });

  it('matches nothing when the body is not a JSON object', () => {
    // Prepare
    const match = compileFilterPolicy({ type: [{ exists: false }] }, 'MessageBody');
    // Act / Assess
    expect(match(filterableMessage({}, 'not json'))).toBe(false);
    expect(match(filterableMessage({}, '[1,2]'))).toBe(false);
  });
});

describe('filter policy validation', () => {
  it('fails if an attribute policy nests a policy', () => {
    expect(() => compileFilterPolicy({ data: { a: ['x'] } }, 'MessageAttributes')).toThrow(
      /filter policy key 'data' nests a policy, which SNS allows only with the MessageBody scope/
    );
  });

  it('fails if a key is not a list of conditions', () => {
    expect(() => compileFilterPolicy({ type: 'a' }, 'MessageAttributes')).toThrow(
      /filter policy key 'type' must be an array of conditions, but "a" was provided/
    );
  });

  it('fails if an operator is unsupported', () => {
    expect(() =>
      compileFilterPolicy({ ip: [{ cidr: '10.0.0.0/8' }] }, 'MessageAttributes')
    ).toThrow(/unsupported operator 'cidr' of 'ip'/);
  });

  it('fails if a numeric condition has a bad operator', () => {
    expect(() =>
      compileFilterPolicy({ n: [{ numeric: ['>', 1, '!=', 2] }] }, 'MessageBody')
    ).toThrow(/operator 'numeric' of 'n' has an invalid pair \["!=",2\]/);
  });

  it('fails if $or has fewer than two branches', () => {
    expect(() => compileFilterPolicy({ $or: [{ a: ['x'] }] }, 'MessageAttributes')).toThrow(
      /'\$or' at \(root\) must be an array of at least two policies/
    );
  });

  it('lists the attribute names a policy reads, $or branches included', () => {
    expect(
      filterPolicyAttributeNames({ type: ['a'], $or: [{ region: ['eu'] }, { tier: ['gold'] }] })
    ).toEqual(['region', 'tier', 'type']);
  });
});
