/**
 * Resolves CloudFormation intrinsic functions, pseudo parameters and conditions the way
 * CloudFormation does at deploy time, so the local runtime sees the same values a deployed
 * stack would: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` (both forms), `Fn::Select`,
 * `Fn::Split`, `Fn::If`, `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`,
 * `Fn::GetAZs`, `Fn::FindInMap`, `Fn::Base64`, and the `AWS::` pseudo parameters.
 *
 * Anything it cannot resolve is an {@link IntrinsicError} naming the logical id and the
 * property path, never a silently wrong value.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
import { createHash } from 'node:crypto';

/** The account, region and names the pseudo parameters resolve to. */
export interface PseudoParameters {
  /** `AWS::Region`. */
  readonly region: string;
  /** `AWS::AccountId`. */
  readonly accountId: string;
  /** `AWS::Partition`. @default 'aws' */
  readonly partition?: string;
  /** `AWS::URLSuffix`. @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  /** `AWS::StackName`. */
  readonly stackName: string;
  /** `AWS::StackId`. @default - a made-up, stable stack ARN */
  readonly stackId?: string;
}

/**
 * Where the resolver finds the values of resources: the provisioner implements it with the
 * physical ids and attributes of what it created.
 *
 * Both methods throw {@link UnresolvableReferenceError} with a reason when they cannot answer;
 * the resolver adds the location.
 */
export interface ResourceLookup {
  /** Whether `logicalId` is a resource of the template (to tell it from a parameter). */
  has(logicalId: string): boolean;
  /** What `Ref` of the resource returns. */
  ref(logicalId: string): unknown;
  /** What `Fn::GetAtt` of the resource's attribute returns. */
  getAtt(logicalId: string, attribute: string): unknown;
}

/** Everything a resolver needs besides the resources. */
export interface IntrinsicResolverProps {
  readonly pseudo: PseudoParameters;
  readonly resources: ResourceLookup;
  /** The template's `Parameters` section (a parameter resolves to its override or `Default`). */
  readonly parameters?: Readonly<Record<string, unknown>>;
  /** Values given for parameters, overriding their `Default`. @default - none */
  readonly parameterValues?: Readonly<Record<string, string>>;
  /** The template's `Conditions` section. @default - none */
  readonly conditions?: Readonly<Record<string, unknown>>;
  /** The template's `Mappings` section. @default - none */
  readonly mappings?: Readonly<Record<string, unknown>>;
}

/** Where in the template a value sits, for error messages. */
export interface TemplateLocation {
  /** Logical id of the resource or output, e.g. `WorkerFunction1234`. */
  readonly logicalId: string;
  /** Dot path inside it, e.g. `Properties.Environment.Variables.TABLE`. */
  readonly path: string;
}

/** An intrinsic function or reference the local runtime cannot resolve. */
export class IntrinsicError extends Error {
  /** Logical id of the resource (or output, or condition) holding the value. */
  public readonly logicalId: string;
  /** Property path of the value inside it. */
  public readonly propertyPath: string;

  public constructor(location: TemplateLocation, reason: string, options?: ErrorOptions) {
    super(`cannot resolve ${location.logicalId}.${location.path}: ${reason}`, options);
    this.name = 'IntrinsicError';
    this.logicalId = location.logicalId;
    this.propertyPath = location.path;
  }
}

/**
 * Thrown by a {@link ResourceLookup} that cannot give a value; the resolver turns it into an
 * {@link IntrinsicError} carrying the location.
 */
export class UnresolvableReferenceError extends Error {
  public constructor(reason: string) {
    super(reason);
    this.name = 'UnresolvableReferenceError';
  }
}

/** The value of `Ref: AWS::NoValue`: removes the property (or list element) holding it. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** Availability zones `Fn::GetAZs` returns locally (a region's first three). */
const LOCAL_AZ_SUFFIXES = ['a', 'b', 'c'] as const;

/**
 * Resolves template values against pseudo parameters, parameters, conditions, mappings and a
 * {@link ResourceLookup}.
 *
 * @example
 * const resolver = new IntrinsicResolver({ pseudo, resources });
 * const env = resolver.resolve(fn.Properties.Environment, { logicalId: 'Fn', path: 'Properties.Environment' });
 */
export class IntrinsicResolver {
  private readonly props: IntrinsicResolverProps;
  private readonly conditionValues = new Map<string, boolean>();
  private readonly conditionsInProgress = new Set<string>();

  public constructor(props: IntrinsicResolverProps) {
    this.props = props;
  }

  /** The value of a pseudo parameter such as `AWS::Region`, or `undefined` if unknown. */
  public pseudoParameter(name: string): unknown {
    const pseudo = this.props.pseudo;
    const partition = pseudo.partition ?? 'aws';
    switch (name) {
      case 'AWS::Region':
        return pseudo.region;
      case 'AWS::AccountId':
        return pseudo.accountId;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return pseudo.urlSuffix ?? 'amazonaws.com';
      case 'AWS::StackName':
        return pseudo.stackName;
      case 'AWS::StackId':
        return (
          pseudo.stackId ??
          `arn:${partition}:cloudformation:${pseudo.region}:${pseudo.accountId}:stack/${pseudo.stackName}/${stableUuid(pseudo.stackName)}`
        );
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
      default:
        return undefined;
    }
  }

  /**
   * Resolves `value` deeply. `AWS::NoValue` drops the property or list element holding it;
   * at the top level it resolves to `undefined`.
   */
  public resolve(value: unknown, location: TemplateLocation): unknown {
    const resolved = this.resolveAt(value, location.logicalId, location.path);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  /** Resolves `value` and requires a string (numbers and booleans are turned into strings). */
  public resolveString(value: unknown, location: TemplateLocation): string {
    const resolved = this.resolve(value, location);
    if (typeof resolved === 'string') return resolved;
    if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
    throw new IntrinsicError(location, `expected a string, got ${describe(resolved)}`);
  }

  /**
   * Evaluates a named condition of the template's `Conditions` section.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/conditions-section-structure.html
   */
  public condition(name: string, location?: TemplateLocation): boolean {
    const known = this.conditionValues.get(name);
    if (known !== undefined) return known;
    const where = location ?? { logicalId: name, path: 'Condition' };
    const definition = this.props.conditions?.[name];
    if (definition === undefined) {
      throw new IntrinsicError(where, `condition "${name}" is not defined in Conditions`);
    }
    if (this.conditionsInProgress.has(name)) {
      throw new IntrinsicError(where, `condition "${name}" refers to itself`);
    }
    this.conditionsInProgress.add(name);
    try {
      const value = this.resolveAt(definition, `Conditions.${name}`, '');
      if (typeof value !== 'boolean') {
        throw new IntrinsicError(
          { logicalId: `Conditions.${name}`, path: '' },
          `a condition must evaluate to true or false, got ${describe(value)}`
        );
      }
      this.conditionValues.set(name, value);
      return value;
    } finally {
      this.conditionsInProgress.delete(name);
    }
  }

  private resolveAt(value: unknown, logicalId: string, path: string): unknown {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      value.forEach((item, index) => {
        const resolved = this.resolveAt(item, logicalId, `${path}[${index}]`);
        if (resolved !== NO_VALUE) out.push(resolved);
      });
      return out;
    }
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const first = entries[0];
    if (entries.length === 1 && first && isIntrinsicName(first[0])) {
      return this.intrinsic(first[0], first[1], logicalId, joinPath(path, first[0]));
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.resolveAt(item, logicalId, joinPath(path, key));
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, args: unknown, logicalId: string, path: string): unknown {
    const at: TemplateLocation = { logicalId, path };
    switch (name) {
      case 'Ref':
        return this.ref(args, at);
      case 'Fn::GetAtt':
        return this.getAtt(args, at);
      case 'Fn::Join':
        return this.join(args, at);
      case 'Fn::Sub':
        return this.sub(args, at);
      case 'Fn::Select':
        return this.select(args, at);
      case 'Fn::Split':
        return this.split(args, at);
      case 'Fn::If':
        return this.if(args, at);
      case 'Fn::Equals':
        return this.equals(args, at);
      case 'Fn::And':
      case 'Fn::Or':
        return this.andOr(name, args, at);
      case 'Fn::Not':
        return this.not(args, at);
      case 'Condition':
        if (typeof args !== 'string') throw new IntrinsicError(at, 'Condition needs a name');
        return this.condition(args, at);
      case 'Fn::GetAZs':
        return this.getAzs(args, at);
      case 'Fn::FindInMap':
        return this.findInMap(args, at);
      case 'Fn::Base64':
        return Buffer.from(this.stringArg(args, at, 'Fn::Base64'), 'utf8').toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.resolveAt(args, at.logicalId, at.path));
      case 'Fn::Length': {
        const list = this.resolveAt(args, at.logicalId, at.path);
        if (!Array.isArray(list)) throw new IntrinsicError(at, 'Fn::Length needs a list');
        return list.length;
      }
      case 'Fn::ImportValue': {
        const exportName = this.resolveAt(args, at.logicalId, at.path);
        throw new IntrinsicError(
          at,
          `Fn::ImportValue of ${JSON.stringify(exportName)} is not supported locally: the local runtime runs one stack's template and has no other stack's exports; pass the value as a parameter or deploy the stacks together`
        );
      }
      default:
        throw new IntrinsicError(at, `${name} is not supported by the local runtime`);
    }
  }

  private ref(args: unknown, at: TemplateLocation): unknown {
    if (typeof args !== 'string') throw new IntrinsicError(at, 'Ref needs a logical id string');
    if (args.startsWith('AWS::')) {
      const pseudo = this.pseudoParameter(args);
      if (pseudo === undefined) {
        throw new IntrinsicError(at, `unknown pseudo parameter ${args}`);
      }
      return pseudo;
    }
    if (this.props.resources.has(args)) {
      return this.lookup(at, () => this.props.resources.ref(args));
    }
    const parameter = this.props.parameters?.[args];
    if (parameter !== undefined) return this.parameterValue(args, parameter, at);
    throw new IntrinsicError(
      at,
      `Ref to "${args}", which is neither a resource nor a parameter of the template`
    );
  }

  private parameterValue(name: string, parameter: unknown, at: TemplateLocation): unknown {
    const given = this.props.parameterValues?.[name];
    const definition = (parameter ?? {}) as { Default?: unknown; Type?: unknown };
    const raw = given ?? definition.Default;
    if (raw === undefined) {
      throw new IntrinsicError(at, `parameter "${name}" has no Default and no value was given`);
    }
    if (typeof definition.Type === 'string' && definition.Type.startsWith('AWS::SSM::Parameter')) {
      throw new IntrinsicError(
        at,
        `parameter "${name}" is read from SSM Parameter Store (${String(raw)}), which the local runtime does not emulate`
      );
    }
    if (definition.Type === 'CommaDelimitedList' || definition.Type === 'List<Number>') {
      return String(raw).split(',');
    }
    return raw;
  }

  private getAtt(args: unknown, at: TemplateLocation): unknown {
    let target: unknown;
    let attribute: unknown;
    if (typeof args === 'string') {
      const dot = args.indexOf('.');
      target = args.slice(0, dot);
      attribute = args.slice(dot + 1);
      if (dot < 0) throw new IntrinsicError(at, `Fn::GetAtt "${args}" needs "LogicalId.Attribute"`);
    } else if (Array.isArray(args) && args.length === 2) {
      target = args[0];
      attribute = this.resolveAt(args[1], at.logicalId, at.path);
    }
    if (typeof target !== 'string' || typeof attribute !== 'string') {
      throw new IntrinsicError(at, 'Fn::GetAtt needs [logicalId, attribute]');
    }
    const logicalId = target;
    const name = attribute;
    if (!this.props.resources.has(logicalId)) {
      throw new IntrinsicError(at, `Fn::GetAtt of "${logicalId}", which is not a resource`);
    }
    return this.lookup(at, () => this.props.resources.getAtt(logicalId, name));
  }

  private lookup(at: TemplateLocation, get: () => unknown): unknown {
    try {
      return get();
    } catch (error) {
      if (error instanceof UnresolvableReferenceError) {
        throw new IntrinsicError(at, error.message, { cause: error });
      }
      throw error;
    }
  }

  private join(args: unknown, at: TemplateLocation): string {
    if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') {
      throw new IntrinsicError(at, 'Fn::Join needs [delimiter, [values]]');
    }
    const list = this.resolveAt(args[1], at.logicalId, `${at.path}[1]`);
    if (!Array.isArray(list)) throw new IntrinsicError(at, 'Fn::Join needs a list of values');
    return list
      .map((item, index) => scalar(item, { ...at, path: `${at.path}[1][${index}]` }))
      .join(args[0]);
  }

  private sub(args: unknown, at: TemplateLocation): string {
    let template: unknown = args;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(args)) {
      if (args.length !== 2) throw new IntrinsicError(at, 'Fn::Sub needs [template, {variables}]');
      template = args[0];
      const resolved = this.resolveAt(args[1], at.logicalId, `${at.path}[1]`);
      if (resolved === null || typeof resolved !== 'object' || Array.isArray(resolved)) {
        throw new IntrinsicError(at, 'Fn::Sub variables must be an object');
      }
      variables = resolved as Record<string, unknown>;
    }
    if (typeof template !== 'string')
      throw new IntrinsicError(at, 'Fn::Sub needs a string template');
    // `${!Literal}` stands for the text `${Literal}` and is not substituted.
    return template.replace(/\$\{([^}]*)\}/g, (_match, rawName: string) => {
      if (rawName.startsWith('!')) return `\${${rawName.slice(1)}}`;
      const name = rawName.trim();
      if (Object.hasOwn(variables, name)) return scalar(variables[name], at);
      if (name.startsWith('AWS::')) return scalar(this.ref(name, at), at);
      const dot = name.indexOf('.');
      if (dot > 0) return scalar(this.getAtt([name.slice(0, dot), name.slice(dot + 1)], at), at);
      return scalar(this.ref(name, at), at);
    });
  }

  private select(args: unknown, at: TemplateLocation): unknown {
    if (!Array.isArray(args) || args.length !== 2) {
      throw new IntrinsicError(at, 'Fn::Select needs [index, list]');
    }
    const index = Number(this.resolveAt(args[0], at.logicalId, `${at.path}[0]`));
    const list = this.resolveAt(args[1], at.logicalId, `${at.path}[1]`);
    if (!Array.isArray(list)) throw new IntrinsicError(at, 'Fn::Select needs a list');
    if (!Number.isInteger(index) || index < 0 || index >= list.length) {
      throw new IntrinsicError(
        at,
        `Fn::Select index ${String(args[0])} is out of range for a list of ${list.length}`
      );
    }
    return list[index];
  }

  private split(args: unknown, at: TemplateLocation): string[] {
    if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string') {
      throw new IntrinsicError(at, 'Fn::Split needs [delimiter, string]');
    }
    const source = this.resolveAt(args[1], at.logicalId, `${at.path}[1]`);
    if (typeof source !== 'string') throw new IntrinsicError(at, 'Fn::Split needs a string');
    return source.split(args[0]);
  }

  private if(args: unknown, at: TemplateLocation): unknown {
    if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string') {
      throw new IntrinsicError(at, 'Fn::If needs [conditionName, valueIfTrue, valueIfFalse]');
    }
    // Only the chosen branch is resolved: the other may name resources that do not exist.
    const chosen = this.condition(args[0], at) ? 1 : 2;
    return this.resolveAt(args[chosen], at.logicalId, `${at.path}[${chosen}]`);
  }

  private equals(args: unknown, at: TemplateLocation): boolean {
    if (!Array.isArray(args) || args.length !== 2) {
      throw new IntrinsicError(at, 'Fn::Equals needs [value, value]');
    }
    const left = this.resolveAt(args[0], at.logicalId, `${at.path}[0]`);
    const right = this.resolveAt(args[1], at.logicalId, `${at.path}[1]`);
    return JSON.stringify(left) === JSON.stringify(right);
  }

  private andOr(name: string, args: unknown, at: TemplateLocation): boolean {
    if (!Array.isArray(args) || args.length < 2 || args.length > 10) {
      throw new IntrinsicError(at, `${name} needs 2 to 10 conditions`);
    }
    const values = args.map((item, index) =>
      this.bool(item, { ...at, path: `${at.path}[${index}]` })
    );
    return name === 'Fn::And' ? values.every(Boolean) : values.some(Boolean);
  }

  private not(args: unknown, at: TemplateLocation): boolean {
    if (!Array.isArray(args) || args.length !== 1) {
      throw new IntrinsicError(at, 'Fn::Not needs [condition]');
    }
    return !this.bool(args[0], { ...at, path: `${at.path}[0]` });
  }

  private bool(value: unknown, at: TemplateLocation): boolean {
    const resolved = this.resolveAt(value, at.logicalId, at.path);
    if (typeof resolved === 'boolean') return resolved;
    if (resolved === 'true' || resolved === 'false') return resolved === 'true';
    throw new IntrinsicError(at, `expected a condition, got ${describe(resolved)}`);
  }

  private getAzs(args: unknown, at: TemplateLocation): string[] {
    const given = this.resolveAt(args, at.logicalId, at.path);
    if (given !== '' && typeof given !== 'string') {
      throw new IntrinsicError(at, 'Fn::GetAZs needs a region name or ""');
    }
    const region = given === '' ? this.props.pseudo.region : given;
    return LOCAL_AZ_SUFFIXES.map((suffix) => `${region}${suffix}`);
  }

  private findInMap(args: unknown, at: TemplateLocation): unknown {
    if (!Array.isArray(args) || args.length < 3) {
      throw new IntrinsicError(at, 'Fn::FindInMap needs [mapName, topLevelKey, secondLevelKey]');
    }
    const [mapName, top, second] = args
      .slice(0, 3)
      .map((item, index) => scalar(this.resolveAt(item, at.logicalId, `${at.path}[${index}]`), at));
    const map = this.props.mappings?.[mapName ?? ''] as
      | Record<string, Record<string, unknown> | undefined>
      | undefined;
    const value = map?.[top ?? '']?.[second ?? ''];
    if (value === undefined) {
      throw new IntrinsicError(
        at,
        `Fn::FindInMap found no ${mapName}.${top}.${second} in Mappings`
      );
    }
    return value;
  }

  private stringArg(args: unknown, at: TemplateLocation, name: string): string {
    const resolved = this.resolveAt(args, at.logicalId, at.path);
    if (typeof resolved !== 'string') throw new IntrinsicError(at, `${name} needs a string`);
    return resolved;
  }
}

/** A stable UUID-shaped id derived from `seed`, so made-up ids survive restarts. */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function isIntrinsicName(key: string): boolean {
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::');
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function scalar(value: unknown, at: TemplateLocation): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new IntrinsicError(at, `expected a string, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === NO_VALUE) return 'AWS::NoValue';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
