import type { z } from 'zod';

/**
 * Schemas of CloudEvents `data`, by CloudEvents `type`. The ingest validates `data` against the
 * schema of its type before accepting an event; consumers parse it again (a violation there is a
 * permanent failure). Types without a schema are accepted as they are.
 */
export type EventSchemaRegistry = Readonly<Record<string, z.ZodType>>;
