import { config } from 'zod/mini';
import { en } from 'zod/v4/locales';

/**
 * zod for the function code: `zod/mini`, zod 4's functional, tree-shakable API (the same
 * parsers, checks and issues as `zod`, in a fraction of the bundle: `z.string().min(1)` is
 * `z.string().check(z.minLength(1))`), with zod's English error messages.
 *
 * `zod/mini` loads no locale, so without this every issue's message would read "Invalid input"
 * instead of e.g. "Too small: expected string to have >=1 characters"; the ingest's
 * problem+json details and the consumers' schema-violation reasons quote these messages. Import
 * it as `import * as z from '../shared/zod.ts'` rather than from `zod/mini`, so that the locale is
 * set wherever function code builds or parses a schema. (`zod` itself sets the same locale when
 * its first schema is built; the configuration is global, so both agree.)
 *
 * A namespace import keeps esbuild's tree-shaking: it follows `z.object` through `export *`, but
 * not through a re-exported namespace object (`export { z }` would bundle all of zod core, its
 * compiler and every locale: 430 KB instead of about 40). For the same reason, use `z.$ZodError`,
 * not `z.core.$ZodError`, in code (types such as `z.core.$ZodType` cost nothing).
 *
 * @see https://zod.dev/packages/mini
 */
config(en());

export * from 'zod/mini';
/**
 * Base class of every zod error, `zod`'s `ZodError` and `zod/mini`'s alike. Named here because
 * `z.core.$ZodError` would make esbuild bundle the whole `core` namespace.
 */
export { $ZodError } from 'zod/v4/core';
