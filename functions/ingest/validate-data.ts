import type { CloudEventIssue } from '../shared/cloudevents/errors.ts';
import {
  type CloudEventsMode,
  escapePointer,
  locateAttribute,
  type ReceivedEvent,
} from '../shared/cloudevents/parse-http.ts';
import type { EventSchemaRegistry } from '../shared/event-schemas.ts';
import * as z from '../shared/zod.ts';

/**
 * Checks each event's `data` against the schema of its `type`, when the registry has one (types
 * without a schema are accepted as they are).
 *
 * @returns one issue per schema violation, naming the event, the path inside `data` and the rule;
 * empty when every event is valid
 */
export function dataIssues(
  events: readonly ReceivedEvent[],
  mode: CloudEventsMode,
  schemas: EventSchemaRegistry
): CloudEventIssue[] {
  return events.flatMap(({ event }, index) => {
    if (!Object.hasOwn(schemas, event.type)) return [];
    const schema = schemas[event.type];
    if (schema === undefined) return [];
    const where = locateAttribute(mode, index, 'data');
    const base = mode === 'binary' ? '' : (where.pointer ?? '');
    if (event.data_base64 !== undefined) {
      return [
        {
          ...where,
          pointer: base,
          detail: `data of type '${event.type}' must be JSON matching its schema, but binary data (data_base64) was provided`,
        },
      ];
    }
    const result = z.safeParse(schema, event.data);
    if (result.success) return [];
    return result.error.issues.map((issue) => {
      const path = issue.path.map((segment) => `/${escapePointer(String(segment))}`).join('');
      const at = path === '' ? 'data' : `data${path}`;
      return {
        ...(mode === 'batch' ? { index } : {}),
        pointer: base + path,
        detail: `${mode === 'batch' ? `entry ${index}: ` : ''}${at} does not match the schema of type '${event.type}': ${issue.message}`,
      };
    });
  });
}
