/**
 * Orders a template's resources so that each comes after everything it refers to, the order
 * CloudFormation creates them in: edges come from `Ref`, `Fn::GetAtt`, `Fn::Sub` variables and
 * `DependsOn`.
 */

/** The part of a template resource the graph reads. */
export interface GraphResource {
  readonly Type?: string;
  readonly Properties?: unknown;
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
}

/** The resources refer to each other in a loop. */
export class DependencyCycleError extends Error {
  /** Logical ids on the cycle, the first repeated at the end. */
  public readonly cycle: readonly string[];

  public constructor(cycle: readonly string[]) {
    super(`resources depend on each other in a cycle: ${cycle.join(' → ')}`);
    this.name = 'DependencyCycleError';
    this.cycle = cycle;
  }
}

/** A `DependsOn` names a resource that the template does not declare. */
export class UnknownDependencyError extends Error {
  public constructor(logicalId: string, dependency: string) {
    super(`${logicalId}.DependsOn names "${dependency}", which is not a resource of the template`);
    this.name = 'UnknownDependencyError';
  }
}

/**
 * Logical ids that `value` refers to through `Ref`, `Fn::GetAtt` or `Fn::Sub`, including
 * pseudo parameters and parameters (the caller keeps the ones that are resources).
 */
export function collectReferences(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, into);
    return into;
  }
  if (value === null || typeof value !== 'object') return into;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'Ref' && typeof item === 'string') {
      into.add(item);
    } else if (key === 'Fn::GetAtt') {
      const target =
        typeof item === 'string' ? item.split('.')[0] : Array.isArray(item) ? item[0] : undefined;
      if (typeof target === 'string') into.add(target);
      collectReferences(item, into);
    } else if (key === 'Fn::Sub') {
      const [template, variables] = Array.isArray(item) ? item : [item, {}];
      const given = new Set(
        variables && typeof variables === 'object' ? Object.keys(variables as object) : []
      );
      if (typeof template === 'string') {
        for (const match of template.matchAll(/\$\{([^}!][^}]*)\}/g)) {
          const name = (match[1] ?? '').trim();
          if (!given.has(name)) into.add(name.split('.')[0] ?? name);
        }
      }
      collectReferences(variables, into);
    } else {
      collectReferences(item, into);
    }
  }
  return into;
}

/**
 * Logical ids of the resources `resource` depends on (references and `DependsOn`), limited to
 * resources of the template.
 */
export function dependenciesOf(
  logicalId: string,
  resource: GraphResource,
  resources: Readonly<Record<string, GraphResource>>
): string[] {
  const found = collectReferences(resource.Properties);
  const dependsOn = resource.DependsOn === undefined ? [] : [resource.DependsOn].flat();
  for (const dependency of dependsOn) {
    if (!Object.hasOwn(resources, dependency))
      throw new UnknownDependencyError(logicalId, dependency);
    found.add(dependency);
  }
  return [...found].filter((id) => id !== logicalId && Object.hasOwn(resources, id));
}

/**
 * The template's logical ids in an order where every resource comes after the resources it
 * depends on. Ties keep the template's order, so the result is deterministic.
 *
 * @throws DependencyCycleError when resources depend on each other in a loop
 */
export function dependencyOrder(resources: Readonly<Record<string, GraphResource>>): string[] {
  const ids = Object.keys(resources);
  const dependencies = new Map<string, string[]>();
  for (const id of ids) {
    dependencies.set(id, dependenciesOf(id, resources[id] ?? {}, resources));
  }
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    const seen = state.get(id);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      throw new DependencyCycleError([...stack.slice(stack.indexOf(id)), id]);
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const dependency of dependencies.get(id) ?? []) visit(dependency);
    stack.pop();
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id);
  return order;
}
