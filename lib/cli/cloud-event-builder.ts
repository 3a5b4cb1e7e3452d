import { randomUUID } from 'node:crypto';

/** What `pipeline send` takes to build a CloudEvent. */
export interface CloudEventInput {
  readonly type: string;
  readonly source: string;
  /** @default - a new UUID */
  readonly id?: string;
  readonly subject?: string;
  /** CloudEvents `partitionkey` extension: the FIFO message group. */
  readonly partitionKey?: string;
  /** The event data, already parsed. */
  readonly data?: unknown;
  /** Extra extension attributes (`name=value`). */
  readonly extensions?: Readonly<Record<string, string>>;
  /** @default - now */
  readonly time?: string;
}

/** A structured-mode CloudEvent, as JSON. */
export type StructuredCloudEvent = Record<string, unknown> & {
  readonly specversion: '1.0';
  readonly id: string;
  readonly type: string;
  readonly source: string;
};

const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;

/**
 * Builds a structured-mode CloudEvent from CLI input. Extension names must follow the CloudEvents
 * naming rule (lowercase letters and digits); a wrong one is reported, not dropped.
 */
export function buildCloudEvent(input: CloudEventInput): StructuredCloudEvent {
  for (const name of Object.keys(input.extensions ?? {})) {
    if (!EXTENSION_NAME.test(name)) {
      throw new Error(
        `extension name "${name}" is not a valid CloudEvents attribute name (lowercase letters and digits, at most 20)`
      );
    }
  }
  return {
    ...input.extensions,
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    type: input.type,
    source: input.source,
    time: input.time ?? new Date().toISOString(),
    ...(input.subject === undefined ? {} : { subject: input.subject }),
    ...(input.partitionKey === undefined ? {} : { partitionkey: input.partitionKey }),
    ...(input.data === undefined ? {} : { datacontenttype: 'application/json', data: input.data }),
  };
}
