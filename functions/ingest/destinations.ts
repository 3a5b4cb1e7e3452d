import type { IngestRoutes } from '../shared/contract.ts';
import {
  compileFilterPolicy,
  type FilterableMessage,
  type FilterPolicyPredicate,
  filterPolicyAttributeNames,
} from '../shared/filter-policy.ts';
import { NotFoundError } from '../shared/http/http-errors.ts';

/** Kind of destination: an SNS topic (stream) or a point-to-point SQS queue. */
export type DestinationKind = 'stream' | 'queue';

/** Where an ingest request publishes to, resolved from the routes. */
export interface Destination {
  /** `stream` or `queue`. */
  readonly kind: DestinationKind;
  /** Stream or queue name. */
  readonly name: string;
  /** `stream:<name>` or `queue:<name>`, as the status records name it. */
  readonly label: string;
  /** Topic ARN (stream) or queue URL (queue). */
  readonly address: string;
  /** Whether the topic or queue is FIFO. */
  readonly fifo: boolean;
  /** Extensions the destination's attribute filter policies read, by name. */
  readonly filteredAttributes: readonly string[];
  /** The consumers that will receive a message: matching subscribers, or the queue's worker. */
  consumersOf(message: FilterableMessage): string[];
}

interface CompiledSubscriber {
  readonly name: string;
  readonly matches: FilterPolicyPredicate;
}

/**
 * The streams and queues of the routing document, with every filter policy compiled once at cold
 * start (a policy the evaluator cannot read fails there, not on a request).
 */
export class Destinations {
  private readonly streams = new Map<string, Destination>();
  private readonly queues = new Map<string, Destination>();

  constructor(routes: IngestRoutes) {
    for (const [name, stream] of Object.entries(routes.streams)) {
      const subscribers: CompiledSubscriber[] = stream.subscribers.map((subscriber) => ({
        name: subscriber.name,
        matches: subscriber.filterPolicy
          ? compileFilterPolicy(
              subscriber.filterPolicy,
              subscriber.filterPolicyScope ?? 'MessageAttributes'
            )
          : () => true,
      }));
      const filteredAttributes = new Set<string>();
      for (const subscriber of stream.subscribers) {
        if (subscriber.filterPolicy && subscriber.filterPolicyScope !== 'MessageBody') {
          for (const attribute of filterPolicyAttributeNames(subscriber.filterPolicy)) {
            filteredAttributes.add(attribute);
          }
        }
      }
      this.streams.set(name, {
        kind: 'stream',
        name,
        label: `stream:${name}`,
        address: stream.topicArn,
        fifo: stream.fifo,
        filteredAttributes: [...filteredAttributes].sort(),
        consumersOf: (message) =>
          subscribers.filter((subscriber) => subscriber.matches(message)).map(({ name }) => name),
      });
    }
    for (const [name, queue] of Object.entries(routes.queues)) {
      this.queues.set(name, {
        kind: 'queue',
        name,
        label: `queue:${name}`,
        address: queue.queueUrl,
        fifo: queue.fifo,
        filteredAttributes: [],
        consumersOf: () => [queue.worker],
      });
    }
  }

  /**
   * The destination of that kind and name.
   *
   * @throws NotFoundError naming the unknown stream or queue and the known ones
   */
  get(kind: DestinationKind, name: string): Destination {
    const destinations = kind === 'stream' ? this.streams : this.queues;
    const destination = destinations.get(name);
    if (!destination) {
      const known = [...destinations.keys()].sort().join(', ') || 'none';
      throw new NotFoundError(
        `unknown-${kind}`,
        kind === 'stream' ? 'Unknown stream' : 'Unknown queue',
        `${kind} '${name}' does not exist; known ${kind}s: ${known}`
      );
    }
    return destination;
  }
}
