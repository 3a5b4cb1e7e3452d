import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * Inputs of every function bundle besides the code in `functions/`: dependency versions and
 * compiler settings esbuild reads.
 */
const BUNDLE_INPUT_FILES = ['package-lock.json', 'tsconfig.json'];

/** Folder holding all function code, relative to the project root. */
export const FUNCTIONS_DIR = 'functions';

/** The file that makes a folder of `functions/` a function of its own. */
export const HANDLER_FILE = 'handler.ts';

const fileHashes = new Map<string, string>();

/**
 * A fingerprint of everything one function's bundle is built from: its own folder, the shared
 * folders of `functions/` (every folder that is not another function's, such as `shared/` and
 * `shop/`), the lock file and `tsconfig.json`, plus the entry and the bundling options.
 *
 * Given as the asset hash, it lets CDK reuse a bundle already in `cdk.out` instead of running
 * esbuild again, so synthesis on an unchanged tree skips bundling, and an edit to one handler
 * rebundles only that function (the local runtime's hot reload relies on this).
 *
 * Invariant: a function imports only from its own folder, the shared folders and
 * `node_modules`, never from another function's folder; code imported from elsewhere would not
 * be part of the fingerprint.
 */
export function bundleAssetHash(projectRoot: string, entry: string, options: unknown): string {
  const functionsDir = join(projectRoot, FUNCTIONS_DIR);
  const ownFolder = join(projectRoot, dirname(entry));
  const otherFunctionFolders = readdirSync(functionsDir, { withFileTypes: true })
    .filter((folder) => folder.isDirectory())
    .map((folder) => join(functionsDir, folder.name))
    .filter((folder) => folder !== ownFolder && existsSync(join(folder, HANDLER_FILE)));
  const isOtherFunction = (file: string) =>
    otherFunctionFolders.some((folder) => file.startsWith(folder + sep));
  const files = [
    ...listFiles(functionsDir).filter((file) => !isOtherFunction(file)),
    ...BUNDLE_INPUT_FILES.map((file) => join(projectRoot, file)).filter((file) => existsSync(file)),
  ];
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(relative(projectRoot, file)).update('\0').update(hashOf(file)).update('\0');
  }
  return hash.update(entry).update('\0').update(JSON.stringify(options)).digest('hex');
}

function hashOf(file: string): string {
  let digest = fileHashes.get(file);
  if (digest === undefined) {
    digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    fileHashes.set(file, digest);
  }
  return digest;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && !entry.parentPath.includes('node_modules'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
