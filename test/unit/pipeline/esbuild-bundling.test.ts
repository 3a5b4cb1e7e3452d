import { existsSync, readdirSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../lib/pipeline/bundled-function.ts';
import {
  ESBUILD_OPTIONS,
  RUNTIME_PROVIDED_MODULES,
} from '../../../lib/pipeline/esbuild-bundling.ts';

/** Every function entry: `functions/<name>/handler.ts`. */
const ENTRIES = readdirSync(join(PROJECT_ROOT, 'functions'))
  .map((name) => `functions/${name}/handler.ts`)
  .filter((entry) => existsSync(join(PROJECT_ROOT, entry)));

/**
 * Largest bundle accepted (minified): well above today's (about 140 KB for a consumer, 200 KB
 * for the ingest) and below what a bundled AWS SDK (about 380 KB) or all of `zod` (about 460 KB)
 * would add back.
 */
const MAX_BUNDLE_BYTES = 280 * 1024;

/** The consumers: every function but the ingest, which parses HTTP with the cloudevents SDK. */
const CONSUMER_ENTRIES = ENTRIES.filter((entry) => entry !== 'functions/ingest/handler.ts');

const bundles = new Map<string, { bytes: number; metafile: Metafile }>();

function bundle(entry: string): { bytes: number; metafile: Metafile } {
  const cached = bundles.get(entry);
  if (cached) return cached;
  const result = buildSync({
    ...ESBUILD_OPTIONS,
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile: join(PROJECT_ROOT, 'cdk.out', 'bundling-test', 'index.mjs'),
    write: false,
    metafile: true,
  });
  const [output] = Object.values(result.metafile.outputs).filter((out) => out.entryPoint);
  const built = { bytes: output?.bytes ?? 0, metafile: result.metafile };
  bundles.set(entry, built);
  return built;
}

describe('function bundles', () => {
  it('leave the AWS SDK and Smithy to the Lambda runtime, as NodejsFunction does', () => {
    expect(ESBUILD_OPTIONS.external).toEqual(['@aws-sdk/*', '@smithy/*']);
    expect(RUNTIME_PROVIDED_MODULES).toEqual(['@aws-sdk/*', '@smithy/*']);
  });

  it('finds every function', () => {
    expect(ENTRIES).toEqual(
      expect.arrayContaining(['functions/ingest/handler.ts', 'functions/audit/handler.ts'])
    );
    expect(ENTRIES.length).toBeGreaterThanOrEqual(6);
  });

  /**
   * SDK packages the function code imports, all part of the AWS SDK for JavaScript v3 the Lambda
   * Node.js runtimes include (the full client set and the DynamoDB utilities).
   */
  const LAMBDA_RUNTIME_SDK_PACKAGES = [
    '@aws-sdk/client-dynamodb',
    '@aws-sdk/client-sns',
    '@aws-sdk/client-sqs',
    '@aws-sdk/lib-dynamodb',
    '@aws-sdk/util-dynamodb',
  ];

  describe.each(ENTRIES)('%s', (entry) => {
    const { bytes, metafile } = bundle(entry);
    const inputs = Object.keys(metafile.inputs);
    const externals = [
      ...new Set(
        Object.values(metafile.outputs).flatMap((out) =>
          out.imports.filter((imported) => imported.external).map((imported) => imported.path)
        )
      ),
    ].filter((path) => !isBuiltin(path));

    it('holds no code of the AWS SDK or Smithy, and imports only them from outside', () => {
      expect(inputs.filter((file) => /node_modules\/@(aws-sdk|smithy)\//.test(file))).toEqual([]);
      for (const path of externals) expect(path).toMatch(/^@(aws-sdk|smithy)\//);
    });

    it('imports from outside only packages the Lambda Node.js runtime ships', () => {
      // A package outside this list passes every local test (it resolves from node_modules)
      // and fails on AWS at cold start: check it ships with the runtime before adding it.
      for (const path of externals) expect(LAMBDA_RUNTIME_SDK_PACKAGES).toContain(path);
    });

    it("whose imports resolve from the project's node_modules, where the local runtime loads the bundle", () => {
      // The local runtime and the bench import `<project>/cdk.out/asset.<hash>/index.mjs`.
      const fromAsset = createRequire(join(PROJECT_ROOT, 'cdk.out', 'asset.test', 'index.mjs'));
      for (const path of externals) expect(() => fromAsset.resolve(path), path).not.toThrow();
    });

    it('uses zod/mini, not zod', () => {
      expect(inputs.filter((file) => file.includes('node_modules/zod/v4/classic/'))).toEqual([]);
    });

    it(`stays under ${MAX_BUNDLE_BYTES / 1024} KB`, () => {
      expect(bytes).toBeLessThan(MAX_BUNDLE_BYTES);
    });
  });

  it.each(CONSUMER_ENTRIES)(
    "%s parses CloudEvents without the cloudevents package's entry point and bindings",
    (entry) => {
      // Its JSON schema validator only (with the ajv formats it needs).
      const inputs = Object.keys(bundle(entry).metafile.inputs);
      const sdk = inputs.filter((file) => file.includes('node_modules/cloudevents/dist/'));
      expect(sdk).toEqual(['node_modules/cloudevents/dist/schema/v1.js']);
    }
  );
});
