import type * as z from './zod.ts';

/**
 * Schemas of CloudEvents `data`, by CloudEvents `type`. The ingest validates `data` against the
 * schema of its type before accepting an event; consumers parse it again (a violation there is a
 * permanent failure). Types without a schema are accepted as they are.
 *
 * Any zod 4 schema fits: `zod/mini` ones (what the functions use, see `./zod.ts`) as well as
 * `zod` ones, since both build on zod's core `$ZodType`.
 */
export type EventSchemaRegistry = Readonly<Record<string, z.core.$ZodType>>;
