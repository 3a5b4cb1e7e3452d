import { join } from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';
import { bundleAssetHash } from './bundle-hash.ts';

/**
 * esbuild banner giving the ESM bundle a `require`, so that CommonJS dependencies bundled into
 * it (parts of the AWS SDK and Powertools) can still `require` Node built-ins.
 */
const ESM_REQUIRE_SHIM =
  "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);";

/** The file every bundle is written to; the handler string is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/**
 * How every function is bundled: ESM for Node.js 24, minified with source maps, AWS SDK
 * included.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: { js: ESM_REQUIRE_SHIM },
  minify: true,
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'error',
} as const satisfies BuildOptions;

/** Error of a bundle that did not build; its message is esbuild's. */
export class BundlingError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BundlingError';
  }
}

/**
 * Bundles one TypeScript entry with esbuild's JavaScript API, inside the synthesizing process.
 *
 * Why not `NodejsFunction`'s bundling: it starts esbuild through `npx` in a new process for each
 * function (about half a second to a second each here), which made every start of the local
 * runtime and every hot reload wait for all functions. In-process bundling takes a fraction of
 * that, and never needs Docker.
 */
export class EsbuildLocalBundling implements ILocalBundling {
  constructor(private readonly entryPath: string) {}

  tryBundle(outputDir: string): boolean {
    try {
      buildSync({
        ...ESBUILD_OPTIONS,
        entryPoints: [this.entryPath],
        outfile: join(outputDir, BUNDLE_FILE),
      });
    } catch (error) {
      // Returning false would make CDK fall back to Docker, which is neither wanted nor present.
      throw new BundlingError(`bundling ${this.entryPath} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return true;
  }
}

/**
 * The code asset of a function: `entry` bundled by {@link EsbuildLocalBundling}, fingerprinted
 * by {@link bundleAssetHash} so an unchanged function is not bundled again.
 *
 * @param projectRoot directory `entry` is relative to
 * @param entry path of the handler file, e.g. `functions/audit/handler.ts`
 */
export function bundledCode(projectRoot: string, entry: string): Code {
  const entryPath = join(projectRoot, entry);
  return Code.fromAsset(join(entryPath, '..'), {
    assetHashType: AssetHashType.CUSTOM,
    assetHash: bundleAssetHash(projectRoot, entry, ESBUILD_OPTIONS),
    bundling: {
      // Never pulled: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('esbuild-local-bundling-only'),
      local: new EsbuildLocalBundling(entryPath),
    },
  });
}
