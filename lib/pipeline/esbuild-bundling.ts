import { join } from 'node:path';
import { AssetHashType, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { bundleAssetHash } from './bundle-hash.ts';
import { bundleBuildOptions, ESBUILD_OPTIONS } from './esbuild-options.ts';

export {
  BUNDLE_FILE,
  bundleBuildOptions,
  ESBUILD_OPTIONS,
  RUNTIME_PROVIDED_MODULES,
} from './esbuild-options.ts';

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
      buildSync(bundleBuildOptions(this.entryPath, outputDir));
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
