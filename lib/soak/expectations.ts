/**
 * What should happen to each accepted event at each consumer, computed from the pipeline
 * definition and the event alone (the SNS filter policies evaluated here, not the ingest's
 * record of expected consumers), so that a bug in the ingest's routing cannot hide itself.
 */
import { MESSAGE_ATTRIBUTES, TEST_FAULT_EXTENSION } from '../../functions/shared/contract.ts';
import {
  compileFilterPolicy,
  type FilterPolicyPredicate,
  filterableMessage,
} from '../../functions/shared/filter-policy.ts';
import { FilterPolicyScope, type PipelineDefinition } from '../definition/types.ts';
import { maxReceiveCountOf, type Route, type SoakEvent } from './plan.ts';

/** The final state an event should reach at a consumer. */
export type ExpectedOutcome = 'applied' | 'permanent' | 'exhausted';

/** One consumer an event should reach, and how it should end there. */
export interface Expectation {
  readonly consumer: string;
  readonly outcome: ExpectedOutcome;
}

/** Computes expectations for the definition's consumers. */
export class ExpectationModel {
  readonly #streams = new Map<string, { consumer: string; matches: FilterPolicyPredicate }[]>();
  readonly #definition: PipelineDefinition;

  constructor(definition: PipelineDefinition) {
    this.#definition = definition;
    for (const subscriber of definition.subscribers) {
      const scope = subscriber.filterPolicyScope ?? FilterPolicyScope.MESSAGE_ATTRIBUTES;
      const matches: FilterPolicyPredicate = subscriber.filterPolicy
        ? compileFilterPolicy(subscriber.filterPolicy, scope)
        : () => true;
      const list = this.#streams.get(subscriber.stream) ?? [];
      list.push({ consumer: subscriber.name, matches });
      this.#streams.set(subscriber.stream, list);
    }
  }

  /** The consumers `event` sent to `route` should reach, and the outcome at each. */
  expect(route: Route, event: SoakEvent): Expectation[] {
    const consumers =
      route.kind === 'queue'
        ? [route.name]
        : (this.#streams.get(route.name) ?? [])
            .filter(({ matches }) => matches(asMessage(event)))
            .map(({ consumer }) => consumer);
    return consumers.map((consumer) => ({
      consumer,
      outcome: outcomeOf(event, maxReceiveCountOf(this.#definition, consumer)),
    }));
  }
}

/** The message SNS evaluates: the CloudEvents context attributes, and the event as the body. */
function asMessage(event: SoakEvent) {
  const attributes: Record<string, { DataType: string; StringValue: string }> = {};
  const set = (name: string, value: unknown) => {
    if (typeof value === 'string') attributes[name] = { DataType: 'String', StringValue: value };
  };
  set(MESSAGE_ATTRIBUTES.type, event.type);
  set(MESSAGE_ATTRIBUTES.source, event.source);
  set(MESSAGE_ATTRIBUTES.id, event.id);
  return filterableMessage(attributes, JSON.stringify(event));
}

/** How a consumer with `maxReceiveCount` ends an event, given its `testfault`. */
export function outcomeOf(event: SoakEvent, maxReceiveCount: number): ExpectedOutcome {
  const fault = event[TEST_FAULT_EXTENSION];
  if (fault === 'permanent') return 'permanent';
  const transient = typeof fault === 'string' ? /^transient:(\d+)$/.exec(fault) : null;
  if (transient && Number(transient[1]) >= maxReceiveCount) return 'exhausted';
  return 'applied';
}
