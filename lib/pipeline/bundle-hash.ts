import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Inputs of every function bundle besides the code in `functions/`: dependency versions and
 * compiler settings esbuild reads.
 */
const BUNDLE_INPUT_FILES = ['package-lock.json', 'tsconfig.json'];

/** Folder holding all function code, relative to the project root. */
const FUNCTIONS_DIR = 'functions';

const cache = new Map<string, string>();

/**
 * A fingerprint of everything a function bundle is built from: the files under `functions/`,
 * the lock file and `tsconfig.json`, plus the entry and the bundling options.
 *
 * Given as the asset hash, it lets CDK reuse a bundle already in `cdk.out` instead of running
 * esbuild again (with the default output hash, CDK must bundle to know the hash). Synthesis on
 * an unchanged tree then skips bundling, which the local runtime does on every start.
 *
 * Invariant: function code imports only from `functions/` and `node_modules`; code imported from
 * anywhere else would not be part of the fingerprint.
 */
export function bundleAssetHash(projectRoot: string, entry: string, options: unknown): string {
  let sources = cache.get(projectRoot);
  if (sources === undefined) {
    const hash = createHash('sha256');
    const files = [
      ...listFiles(join(projectRoot, FUNCTIONS_DIR)),
      ...BUNDLE_INPUT_FILES.map((file) => join(projectRoot, file)),
    ];
    for (const file of files) {
      hash.update(relative(projectRoot, file)).update('\0').update(readFileSync(file)).update('\0');
    }
    sources = hash.digest('hex');
    cache.set(projectRoot, sources);
  }
  return createHash('sha256')
    .update(sources)
    .update(entry)
    .update(JSON.stringify(options))
    .digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && !entry.parentPath.includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
