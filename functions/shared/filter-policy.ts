/**
 * An evaluator of Amazon SNS subscription filter policies, so that the ingest can tell which
 * subscribers of a stream a message will reach before it publishes it (and record them as the
 * consumers expected to process the event).
 *
 * It follows the semantics documented by AWS; where the emulator (fauxqs) differs, AWS wins and
 * the difference is listed here:
 * - numeric conditions match `Number` attributes and JSON numbers in the body only; fauxqs also
 *   parses numeric-looking `String` attributes and body strings;
 * - string conditions match `String` (and `String.Array` elements) only, never a `Number`
 *   attribute; fauxqs compares a `Number` attribute's text;
 * - arrays in the body match when any element matches; fauxqs ignores body arrays;
 * - `String.Array` attributes match when any element matches; fauxqs compares the JSON text;
 * - `$or` works at any depth of a body policy; fauxqs honours it at the top level only.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
 * @see https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */

/** Where a filter policy applies (the subscription's `FilterPolicyScope`). */
export type FilterPolicyScope = 'MessageAttributes' | 'MessageBody';

/** A message attribute as SNS and SQS carry it. */
export interface FilterableAttribute {
  /** `String`, `Number`, `String.Array` or `Binary` (optionally with a `.custom` suffix). */
  readonly DataType: string;
  /** The value as text (numbers and arrays too). */
  readonly StringValue?: string;
}

/** What a filter policy is evaluated against: the attributes and the parsed body. */
export interface FilterableMessage {
  /** Message attributes by name. */
  readonly attributes: Readonly<Record<string, FilterableAttribute>>;
  /** The message body parsed as JSON, or `undefined` when the body is not JSON. */
  readonly body: unknown;
}

/** A compiled filter policy: `true` when SNS would deliver the message to the subscription. */
export type FilterPolicyPredicate = (message: FilterableMessage) => boolean;

/** The filter policy is malformed or uses an operator this evaluator does not support. */
export class FilterPolicyError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FilterPolicyError';
  }
}

/**
 * Builds a {@link FilterableMessage} from attributes and the raw message body.
 *
 * @param attributes the message attributes
 * @param body the message body as published (JSON text for body-scope policies)
 */
export function filterableMessage(
  attributes: Readonly<Record<string, FilterableAttribute>>,
  body: string
): FilterableMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  return { attributes, body: parsed };
}

/**
 * Compiles a filter policy into a predicate, validating it once.
 *
 * Supported: exact strings, numbers, booleans and `null`; `prefix`; `suffix`;
 * `equals-ignore-case`; `anything-but` (a value, a list, or `{prefix}` / `{suffix}`); `exists`;
 * `numeric` (`=`, `<`, `<=`, `>`, `>=` and ranges such as `['>', 0, '<=', 5]`); `$or`; nested keys
 * (body scope only). Several conditions for one key match when any matches; several keys match
 * when all match.
 *
 * @throws FilterPolicyError when the policy is malformed or uses an unsupported operator, naming
 * the key path and the operator
 * @example
 * const matches = compileFilterPolicy({ type: [{ prefix: 'com.example.order.' }] }, 'MessageAttributes');
 * matches(filterableMessage({ type: { DataType: 'String', StringValue: 'com.example.order.paid' } }, '{}')); // true
 */
export function compileFilterPolicy(
  policy: Readonly<Record<string, unknown>>,
  scope: FilterPolicyScope
): FilterPolicyPredicate {
  const match = compileObject(policy, [], scope);
  return (message) => {
    if (scope === 'MessageAttributes') {
      // SNS evaluates an attribute policy only against messages that carry attributes.
      return Object.keys(message.attributes).length > 0 && match(message);
    }
    return isPlainObject(message.body) && match(message);
  };
}

/**
 * Evaluates a filter policy once (compiles it on each call; prefer {@link compileFilterPolicy}
 * for a policy used many times).
 *
 * @param policy the subscription's filter policy; absent means "every message"
 * @param scope where the policy applies
 * @param message the message's attributes and body
 */
export function matchesFilterPolicy(
  policy: Readonly<Record<string, unknown>> | undefined,
  scope: FilterPolicyScope,
  message: FilterableMessage
): boolean {
  if (policy === undefined) return true;
  return compileFilterPolicy(policy, scope)(message);
}

/**
 * The attribute names an attribute-scope policy reads (top-level keys and those under `$or`), so
 * that the ingest can make sure those attributes are set.
 */
export function filterPolicyAttributeNames(policy: Readonly<Record<string, unknown>>): string[] {
  const names = new Set<string>();
  const visit = (node: Readonly<Record<string, unknown>>): void => {
    for (const [key, value] of Object.entries(node)) {
      if (key === OR && Array.isArray(value)) {
        for (const branch of value) if (isPlainObject(branch)) visit(branch);
      } else {
        names.add(key);
      }
    }
  };
  visit(policy);
  return [...names].sort();
}

const OR = '$or';
const NUMERIC_OPERATORS = new Set(['=', '<', '<=', '>', '>=']);

/** A scalar found in a message: a JSON leaf or a typed attribute value. */
type Scalar = string | number | boolean | null;

/** Reads the scalars at a key path: none when absent. */
type ValueLookup = (message: FilterableMessage) => Scalar[];

type Predicate = (message: FilterableMessage) => boolean;

function compileObject(
  policy: Readonly<Record<string, unknown>>,
  path: readonly string[],
  scope: FilterPolicyScope
): Predicate {
  if (!isPlainObject(policy)) {
    throw new FilterPolicyError(`filter policy at ${describePath(path)} must be an object`);
  }
  const parts: Predicate[] = Object.entries(policy).map(([key, value]) => {
    if (key === OR) return compileOr(value, path, scope);
    const keyPath = [...path, key];
    if (Array.isArray(value)) return compileConditions(value, keyPath, scope);
    if (isPlainObject(value)) {
      if (scope === 'MessageAttributes') {
        throw new FilterPolicyError(
          `filter policy key ${describePath(keyPath)} nests a policy, which SNS allows only with the MessageBody scope`
        );
      }
      return compileObject(value, keyPath, scope);
    }
    throw new FilterPolicyError(
      `filter policy key ${describePath(keyPath)} must be an array of conditions, but ${JSON.stringify(value)} was provided`
    );
  });
  return (message) => parts.every((part) => part(message));
}

function compileOr(value: unknown, path: readonly string[], scope: FilterPolicyScope): Predicate {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isPlainObject)) {
    throw new FilterPolicyError(
      `'$or' at ${describePath(path)} must be an array of at least two policies`
    );
  }
  const branches = value.map((branch) => compileObject(branch, path, scope));
  return (message) => branches.some((branch) => branch(message));
}

function compileConditions(
  conditions: readonly unknown[],
  path: readonly string[],
  scope: FilterPolicyScope
): Predicate {
  if (conditions.length === 0) {
    throw new FilterPolicyError(`filter policy key ${describePath(path)} has no conditions`);
  }
  const lookup = scope === 'MessageAttributes' ? attributeLookup(path) : bodyLookup(path);
  const matchers = conditions.map((condition) => compileCondition(condition, path, scope));
  return (message) => {
    const values = lookup(message);
    return matchers.some((matcher) => matcher(values, message));
  };
}

type ConditionMatcher = (values: readonly Scalar[], message: FilterableMessage) => boolean;

function compileCondition(
  condition: unknown,
  path: readonly string[],
  scope: FilterPolicyScope
): ConditionMatcher {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) {
    const expected = condition as Scalar;
    return (values) => values.some((value) => value === expected);
  }
  if (!isPlainObject(condition)) {
    throw new FilterPolicyError(
      `condition ${JSON.stringify(condition)} of ${describePath(path)} is not a value or an operator`
    );
  }
  const operators = Object.keys(condition);
  const [operator] = operators;
  if (operators.length !== 1 || operator === undefined) {
    throw new FilterPolicyError(
      `condition ${JSON.stringify(condition)} of ${describePath(path)} must have exactly one operator`
    );
  }
  const operand = condition[operator];
  const where = `operator '${operator}' of ${describePath(path)}`;
  switch (operator) {
    case 'exists': {
      if (typeof operand !== 'boolean') {
        throw new FilterPolicyError(`${where} must be true or false`);
      }
      return (values) => values.length > 0 === operand;
    }
    case 'prefix':
      return stringOperator(operand, where, (value, text) => value.startsWith(text));
    case 'suffix':
      return stringOperator(operand, where, (value, text) => value.endsWith(text));
    case 'equals-ignore-case':
      return stringOperator(
        operand,
        where,
        (value, text) => value.toLowerCase() === text.toLowerCase()
      );
    case 'numeric':
      return compileNumeric(operand, where);
    case 'anything-but':
      return compileAnythingBut(operand, where);
    default:
      throw new FilterPolicyError(
        `unsupported ${where} (scope ${scope}); supported: exists, prefix, suffix, equals-ignore-case, numeric, anything-but`
      );
  }
}

function stringOperator(
  operand: unknown,
  where: string,
  test: (value: string, operand: string) => boolean
): ConditionMatcher {
  if (typeof operand !== 'string') throw new FilterPolicyError(`${where} must be a string`);
  return (values) => values.some((value) => typeof value === 'string' && test(value, operand));
}

function compileNumeric(operand: unknown, where: string): ConditionMatcher {
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0) {
    throw new FilterPolicyError(
      `${where} must be a list of operator and number pairs, e.g. ['>=', 0, '<', 10]`
    );
  }
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op: unknown = operand[i];
    const bound: unknown = operand[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op) || typeof bound !== 'number') {
      throw new FilterPolicyError(
        `${where} has an invalid pair ${JSON.stringify([op, bound])}; operators are =, <, <=, >, >=`
      );
    }
    pairs.push([op, bound]);
  }
  return (values) =>
    values.some(
      (value) =>
        typeof value === 'number' && pairs.every(([op, bound]) => compare(value, op, bound))
    );
}

function compare(value: number, op: string, bound: number): boolean {
  switch (op) {
    case '=':
      return value === bound;
    case '<':
      return value < bound;
    case '<=':
      return value <= bound;
    case '>':
      return value > bound;
    default:
      return value >= bound;
  }
}

/**
 * `anything-but` matches when the key is present and none of its values is excluded (AWS: "values
 * that don't include any of the policy property values").
 */
function compileAnythingBut(operand: unknown, where: string): ConditionMatcher {
  let excluded: (value: Scalar) => boolean;
  if (isPlainObject(operand)) {
    const [inner, ...rest] = Object.keys(operand);
    const text = inner === undefined ? undefined : operand[inner];
    if (rest.length > 0 || typeof text !== 'string' || (inner !== 'prefix' && inner !== 'suffix')) {
      throw new FilterPolicyError(`${where} accepts a value, a list, {prefix} or {suffix}`);
    }
    excluded =
      inner === 'prefix'
        ? (value) => typeof value === 'string' && value.startsWith(text)
        : (value) => typeof value === 'string' && value.endsWith(text);
  } else {
    const list: unknown[] = Array.isArray(operand) ? operand : [operand];
    if (list.length === 0 || !list.every((item) => ['string', 'number'].includes(typeof item))) {
      throw new FilterPolicyError(`${where} must list strings or numbers`);
    }
    excluded = (value) => list.includes(value);
  }
  return (values) => values.length > 0 && !values.some(excluded);
}

function attributeLookup(path: readonly string[]): ValueLookup {
  const [name] = path;
  return (message) => {
    const attribute = name === undefined ? undefined : message.attributes[name];
    if (attribute === undefined) return [];
    const text = attribute.StringValue ?? '';
    const type = attribute.DataType.split('.')[0] ?? '';
    if (attribute.DataType.startsWith('String.Array')) {
      try {
        const items: unknown = JSON.parse(text);
        return Array.isArray(items) ? items.filter(isScalar) : [];
      } catch {
        return [];
      }
    }
    if (type === 'Number') {
      const value = Number(text);
      return text.trim() === '' || Number.isNaN(value) ? [] : [value];
    }
    // SNS ignores Binary attributes.
    return type === 'String' ? [text] : [];
  };
}

function bodyLookup(path: readonly string[]): ValueLookup {
  return (message) => {
    let nodes: unknown[] = [message.body];
    for (const segment of path) {
      const next: unknown[] = [];
      for (const node of flatten(nodes)) {
        if (isPlainObject(node) && Object.hasOwn(node, segment)) next.push(node[segment]);
      }
      nodes = next;
    }
    // Arrays match element by element; objects are not leaves and match nothing.
    return flatten(nodes).filter(isScalar);
  };
}

function flatten(nodes: readonly unknown[]): unknown[] {
  return nodes.flatMap((node) => (Array.isArray(node) ? flatten(node) : [node]));
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describePath(path: readonly string[]): string {
  return path.length === 0 ? '(root)' : `'${path.join('.')}'`;
}
