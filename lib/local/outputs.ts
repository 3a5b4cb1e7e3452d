/**
 * The stack outputs of the local runtime: resolved from the template, with API Gateway URLs
 * pointed at the local REST API server, written in the shape `cdk deploy --outputs-file`
 * writes, so the CLI and the end-to-end tests read every target the same way.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Template } from './assembly.ts';
import { IntrinsicError, type IntrinsicResolver } from './intrinsics.ts';
import type { LocalStack } from './model.ts';

/** Where the local runtime writes its outputs file, relative to the project. */
export const LOCAL_OUTPUTS_FILE = 'outputs/local.json';

/** The outputs file: stack name → output key → value. */
export type OutputsFile = Record<string, Record<string, string>>;

/**
 * Resolves the template's `Outputs` (skipping those whose `Condition` is false). A list value
 * is joined with commas, as CloudFormation shows it.
 *
 * @throws IntrinsicError naming the output when its value cannot be resolved
 */
export function resolveOutputs(
  template: Template,
  resolver: IntrinsicResolver
): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs ?? {})) {
    const location = { logicalId: `Outputs.${key}`, path: 'Value' };
    if (output.Condition && !resolver.condition(output.Condition, location)) continue;
    const value = resolver.resolve(output.Value, location);
    if (Array.isArray(value)) {
      outputs[key] = value.map(String).join(',');
    } else if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean'
    ) {
      outputs[key] = String(value);
    } else {
      throw new IntrinsicError(location, 'an output value must be a string');
    }
  }
  return outputs;
}

/**
 * Rewrites every `https://<apiId>.execute-api.<region>.<suffix>/` of the given APIs in `value`
 * to `localBaseUrl` (e.g. `http://127.0.0.1:3000/`), keeping the stage and path that follow.
 */
export function localizeApiUrls(
  value: string,
  apiIds: readonly string[],
  localBaseUrl: string
): string {
  if (apiIds.length === 0) return value;
  const base = localBaseUrl.endsWith('/') ? localBaseUrl : `${localBaseUrl}/`;
  const ids = apiIds.map((id) => id.replace(/[^a-z0-9]/gi, '')).join('|');
  const pattern = new RegExp(`https://(?:${ids})\\.execute-api\\.[a-z0-9-]+\\.[a-z0-9.]+/`, 'g');
  return value.replace(pattern, base);
}

/**
 * The outputs file content for the stacks, with their API URLs pointing at `localBaseUrl`.
 */
export function localOutputs(stacks: readonly LocalStack[], localBaseUrl: string): OutputsFile {
  const file: OutputsFile = {};
  for (const stack of stacks) {
    const apiIds = stack.restApis.map((api) => api.apiId);
    file[stack.stackName] = Object.fromEntries(
      Object.entries(stack.outputs).map(([key, value]) => [
        key,
        localizeApiUrls(value, apiIds, localBaseUrl),
      ])
    );
  }
  return file;
}

/** Writes the outputs file atomically (readers never see half a file). */
export async function writeOutputsFile(path: string, content: OutputsFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(content, null, 2)}\n`);
  await rename(temporary, path);
}
