/**
 * Reads a synthesized cloud assembly (`cdk.out`) the way the CDK CLI does: `manifest.json` →
 * stack artifacts → their template files → their asset manifests → the bundle directory of each
 * `AWS::Lambda::Function`. Nested assemblies (CDK stages) are followed.
 *
 * The local runtime reads only this, never the stack's constructs, so what runs locally is what
 * `cdk deploy` would ship.
 *
 * @see https://github.com/aws/aws-cdk-cli/tree/main/packages/%40aws-cdk/cloud-assembly-schema
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** A CloudFormation resource as it appears in a template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DependsOn?: string | readonly string[];
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** A CloudFormation template (the sections the local runtime reads). */
export interface Template {
  readonly Resources?: Record<string, TemplateResource>;
  readonly Outputs?: Record<
    string,
    { readonly Value: unknown; readonly Condition?: string; readonly Export?: unknown }
  >;
  readonly Parameters?: Record<string, unknown>;
  readonly Conditions?: Record<string, unknown>;
  readonly Mappings?: Record<string, unknown>;
}

/** A file asset of a stack, from its asset manifest. */
export interface FileAsset {
  /** Asset id (the source hash). */
  readonly id: string;
  /** Absolute path of the asset (a directory for `zip` packaging). */
  readonly path: string;
  /** `zip` for directories, `file` for single files. */
  readonly packaging: string;
  /**
   * `true` when the manifest gives an absolute source path: the CLI skipped bundling (`cdk ls`,
   * `cdk flags` or an exclusive `--exclusively` synth) and the path is the unbundled source.
   */
  readonly bundlingSkipped: boolean;
  /** Object keys the asset is published under (`<hash>.zip`). */
  readonly objectKeys: readonly string[];
}

/** A stack artifact of the assembly. */
export interface AssemblyStack {
  /** Artifact id in the manifest. */
  readonly artifactId: string;
  /** Deployed stack name (the outputs file's key). */
  readonly stackName: string;
  /** Absolute path of the template file. */
  readonly templateFile: string;
  readonly template: Template;
  /** File assets by asset id. */
  readonly assets: ReadonlyMap<string, FileAsset>;
}

/** A read cloud assembly. */
export interface CloudAssembly {
  /** Absolute path of the assembly directory. */
  readonly directory: string;
  /** Stacks in manifest order (nested assemblies included). */
  readonly stacks: readonly AssemblyStack[];
}

/** Where a function's code is. */
export interface FunctionBundle {
  /** Absolute path of the bundle directory. */
  readonly directory: string;
  /** The asset it comes from. */
  readonly asset: FileAsset;
}

/** The cloud assembly is missing, malformed or lacks what the runtime needs. */
export class AssemblyError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AssemblyError';
  }
}

/** A function's bundle was not built: bundling was skipped when the assembly was written. */
export class BundlingSkippedError extends AssemblyError {
  public constructor(logicalId: string, path: string) {
    super(
      `the code of ${logicalId} was not bundled (its asset points at the source ${path}): cdk.out was written with bundling skipped, e.g. by \`cdk ls\`; synthesize again with \`npx cdk synth\``
    );
    this.name = 'BundlingSkippedError';
  }
}

interface ManifestArtifact {
  readonly type: string;
  readonly properties?: Record<string, unknown>;
  readonly dependencies?: readonly string[];
  readonly displayName?: string;
}

interface AssetManifest {
  readonly files?: Record<
    string,
    {
      readonly source?: { readonly path?: string; readonly packaging?: string };
      readonly destinations?: Record<string, { readonly objectKey?: string }>;
    }
  >;
}

/**
 * Reads the cloud assembly in `directory`.
 *
 * @throws AssemblyError when `manifest.json` or a file it names is missing or malformed
 */
export async function readAssembly(directory: string): Promise<CloudAssembly> {
  const root = resolve(directory);
  if (!existsSync(join(root, 'manifest.json'))) {
    throw new AssemblyError(
      `no cloud assembly in ${root} (manifest.json is missing): run \`npx cdk synth\` first`
    );
  }
  return { directory: root, stacks: await readStacks(root) };
}

async function readStacks(directory: string): Promise<AssemblyStack[]> {
  const manifest = await readJson<{ artifacts?: Record<string, ManifestArtifact> }>(
    join(directory, 'manifest.json')
  );
  const artifacts = manifest.artifacts ?? {};
  const stacks: AssemblyStack[] = [];
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (artifact.type === 'cdk:cloud-assembly') {
      const nested = artifact.properties?.directoryName;
      if (typeof nested === 'string') stacks.push(...(await readStacks(join(directory, nested))));
      continue;
    }
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const templateName = artifact.properties?.templateFile;
    if (typeof templateName !== 'string') {
      throw new AssemblyError(`stack artifact ${artifactId} has no templateFile in manifest.json`);
    }
    const templateFile = join(directory, templateName);
    const template = await readJson<Template>(templateFile);
    const stackName =
      typeof artifact.properties?.stackName === 'string'
        ? artifact.properties.stackName
        : artifactId;
    const assets = new Map<string, FileAsset>();
    for (const dependency of artifact.dependencies ?? []) {
      const dependencyArtifact = artifacts[dependency];
      if (dependencyArtifact?.type !== 'cdk:asset-manifest') continue;
      const file = dependencyArtifact.properties?.file;
      if (typeof file !== 'string') continue;
      for (const asset of await readAssetManifest(directory, join(directory, file))) {
        assets.set(asset.id, asset);
      }
    }
    stacks.push({ artifactId, stackName, templateFile, template, assets });
  }
  return stacks;
}

async function readAssetManifest(directory: string, file: string): Promise<FileAsset[]> {
  const manifest = await readJson<AssetManifest>(file);
  return Object.entries(manifest.files ?? {}).flatMap(([id, entry]) => {
    const source = entry.source?.path;
    if (typeof source !== 'string') return [];
    const objectKeys = Object.values(entry.destinations ?? {})
      .map((destination) => destination.objectKey)
      .filter((key): key is string => typeof key === 'string');
    return [
      {
        id,
        path: isAbsolute(source) ? source : join(directory, source),
        packaging: entry.source?.packaging ?? 'file',
        bundlingSkipped: isAbsolute(source),
        objectKeys,
      },
    ];
  });
}

/**
 * Finds the bundle directory of an `AWS::Lambda::Function`: its `Code.S3Key` (`<hash>.zip`) is
 * an asset's object key; the asset's source path is the bundle.
 *
 * @throws AssemblyError when the function's code is not an asset of the stack (inline code or
 *   a container image), or the bundle directory is missing
 * @throws BundlingSkippedError when bundling was skipped when the assembly was written
 */
export function functionBundle(
  stack: AssemblyStack,
  logicalId: string,
  resource: TemplateResource
): FunctionBundle {
  const code = (resource.Properties?.Code ?? {}) as Record<string, unknown>;
  if (code.ZipFile !== undefined || code.ImageUri !== undefined) {
    throw new AssemblyError(
      `${logicalId}.Properties.Code uses ${code.ZipFile !== undefined ? 'inline code (ZipFile)' : 'a container image (ImageUri)'}, which the local runtime does not run: use a bundled asset (NodejsFunction or Code.fromAsset)`
    );
  }
  const key = code.S3Key;
  if (typeof key !== 'string') {
    throw new AssemblyError(
      `${logicalId}.Properties.Code.S3Key is not a plain asset key, so the runtime cannot find the bundle in ${dirname(stack.templateFile)}`
    );
  }
  const asset = findAssetByKey(stack, key);
  if (!asset) {
    throw new AssemblyError(
      `${logicalId}.Properties.Code.S3Key "${key}" is not an asset of stack ${stack.stackName}`
    );
  }
  if (asset.bundlingSkipped) throw new BundlingSkippedError(logicalId, asset.path);
  if (!existsSync(asset.path)) {
    throw new AssemblyError(`the bundle of ${logicalId} is missing: ${asset.path} does not exist`);
  }
  return { directory: asset.path, asset };
}

function findAssetByKey(stack: AssemblyStack, key: string): FileAsset | undefined {
  for (const asset of stack.assets.values()) {
    if (asset.objectKeys.includes(key)) return asset;
  }
  // The asset id is the object key without its extension, should the destinations be absent.
  return stack.assets.get(key.replace(/\.(zip|json)$/, ''));
}

async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new AssemblyError(`cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AssemblyError(`${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
