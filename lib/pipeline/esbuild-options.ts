/**
 * How every function is bundled: the esbuild options the synth's bundling
 * (esbuild-bundling.ts) and the local runtime's hot reload (lib/local/hot-reload.ts) share, so
 * both write the same bundle. No aws-cdk-lib here: the runtime loads this module on its main
 * thread without loading the CDK (~0.4 s of CPU).
 */
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';

/**
 * esbuild banner giving the ESM bundle a `require`, so that CommonJS dependencies bundled into
 * it (parts of Powertools and `cloudevents`) can still `require` Node built-ins.
 */
const ESM_REQUIRE_SHIM =
  "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);";

/** The file every bundle is written to; the handler string is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * Packages left out of every bundle and loaded from the Lambda runtime instead: the AWS SDK for
 * JavaScript v3 (`@aws-sdk/*`), which the `nodejs24.x` runtime ships, and the Smithy packages
 * (`@smithy/*`) it is built on and ships with it.
 *
 * This is the default of CDK's `NodejsFunction`: its `BundlingOptions.externalModules` defaults
 * to `['@aws-sdk/*']` on runtimes that include SDK v3 (Node.js 18 and later; `['aws-sdk']` on
 * older ones), and to `['@aws-sdk/*', '@smithy/*']` with the feature flag
 * `@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages` (since 2.161.0, recommended `true`),
 * because the two families are tightly coupled and a bundled `@smithy` package next to the
 * runtime's SDK could mismatch it. Leaving them out takes about 380 KB of minified SDK and Smithy
 * code out of each bundle. It does not make the SDK free at init: it is then loaded from the
 * runtime's many files instead of the one bundle (aws/aws-cdk#25492), and on this project's
 * machines that load is most of a function's module initialisation.
 *
 * Bare `@aws-sdk/...` imports stay in the bundle: on Lambda they resolve to the runtime's SDK,
 * locally (the local runtime and the bench import `cdk.out/asset.<hash>/index.mjs`) to the
 * project's `node_modules`, so the assembly must stay inside the project directory (or a copy
 * with `node_modules` linked, as the bench makes).
 *
 * @see https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.BundlingOptions.html#externalmodules
 * @see https://github.com/aws/aws-cdk/blob/main/packages/aws-cdk-lib/cx-api/FEATURE_FLAGS.md#aws-cdkaws-lambda-nodejssdkv3excludesmithypackages
 * @see https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html (runtime-included SDK)
 */
export const RUNTIME_PROVIDED_MODULES = ['@aws-sdk/*', '@smithy/*'] as const;

/**
 * How every function is bundled: ESM for Node.js 24, minified with source maps, the AWS SDK
 * taken from the Lambda runtime ({@link RUNTIME_PROVIDED_MODULES}).
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  external: [...RUNTIME_PROVIDED_MODULES],
  banner: { js: ESM_REQUIRE_SHIM },
  minify: true,
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'error',
} as const satisfies BuildOptions;

/**
 * The esbuild options of one function's bundle: {@link ESBUILD_OPTIONS}, `entryPath` as the entry
 * point and `outputDir`/{@link BUNDLE_FILE} as the output. The synth bundles with them, and so
 * does the local runtime's hot reload (lib/local/hot-reload.ts), so both write the same bundle.
 */
export function bundleBuildOptions(entryPath: string, outputDir: string) {
  return {
    ...ESBUILD_OPTIONS,
    entryPoints: [entryPath],
    outfile: join(outputDir, BUNDLE_FILE),
  } satisfies BuildOptions;
}

/**
 * esbuild options that list the project files a module graph reads, without bundling any
 * package or writing anything: build with them and read `metafile.inputs` (paths relative to
 * `projectDir`). The hot reload uses it for the files the CDK app itself reads.
 */
export function moduleGraphBuildOptions(entryPath: string, projectDir: string) {
  return {
    entryPoints: [entryPath],
    absWorkingDir: projectDir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  } as const satisfies BuildOptions;
}
